# Test-only stand-in for the timm package (see tests/corpus/_stubs/README.md): timm/layers is verbatim.
__version__ = "1.0.31"
