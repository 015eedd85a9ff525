"""`python -m shapelens`: see cli.entry()."""
from .cli import entry

entry()
