# Harness-only stand-in for timm/__init__.py (see tests/corpus/_stubs/README.md): the verbatim one, in
# torch/pkgs/timm/, also imports every timm model (`from .models import create_model, ...`), which the corpus
# does not carry. Its submodules are the tree's.
from .version import __version__ as __version__
