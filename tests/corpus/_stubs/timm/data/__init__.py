# Harness-only stand-in for timm/data/__init__.py (see tests/corpus/_stubs/README.md): model files only import
# the constants (verbatim constants.py in torch/pkgs/timm/data/); the rest of timm.data needs PIL.
from .constants import *
