import os
import sys

# Keras 3 runs on the torch backend in our tests (there is no tensorflow on our machines).
os.environ.setdefault("KERAS_BACKEND", "torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")
sys.path.insert(0, os.path.join(ROOT, "server"))

# Internal errors in the analysis raise in tests instead of becoming an info diagnostic.
os.environ["SHAPELENS_STRICT"] = "1"
