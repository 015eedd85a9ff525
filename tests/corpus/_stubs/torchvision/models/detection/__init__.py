# Test-only stand-in (see tests/corpus/_stubs/README.md).
