# Test-only stand-in for the torchvision package (see tests/corpus/_stubs/README.md).
__version__ = "0.29.1"
