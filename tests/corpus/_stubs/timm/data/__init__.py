# Test-only stand-in: only the constants model files import (constants.py beside this file is verbatim).
from .constants import *
