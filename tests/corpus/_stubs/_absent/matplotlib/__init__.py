# Test-only empty stand-in for matplotlib (imported at the top of d2l/torch.py, unused by models).
