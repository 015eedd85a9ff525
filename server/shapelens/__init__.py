"""shapelens: static layer shapes, parameter counts and shape checks for Keras and PyTorch models."""
__version__ = "0.1.0"
