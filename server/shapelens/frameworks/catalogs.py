"""The catalog of each framework, by the name ModelRecord.framework uses."""
from __future__ import annotations

from .base import Catalog
from .keras_layers import CATALOG as KERAS
from .torch_layers import CATALOG as TORCH

_CATALOGS = {"torch": TORCH, "keras": KERAS}


def get(framework: str) -> Catalog:
    return _CATALOGS[framework]
