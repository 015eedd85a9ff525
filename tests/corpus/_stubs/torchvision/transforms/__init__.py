# Harness-only stand-in for torchvision/transforms/__init__.py (see tests/corpus/_stubs/README.md): the
# verbatim one imports PIL.
from . import _presets
