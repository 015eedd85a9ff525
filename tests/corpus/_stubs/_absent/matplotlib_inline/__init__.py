# Test-only empty stand-in for matplotlib_inline (imported at the top of d2l/torch.py, unused by models).
