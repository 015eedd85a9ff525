# Test-only empty stand-in for pandas (imported at the top of d2l/torch.py, unused by models).
