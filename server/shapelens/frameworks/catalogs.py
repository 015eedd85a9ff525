"""The catalog of each framework, by the name ModelRecord.framework uses.

Each catalog module is imported on first use, so that a file using one framework does not pay for
building the other's catalog (and the CLI does not pay for either before it reads a file).
"""
from __future__ import annotations

from .base import Catalog

_CATALOGS: dict = {}


def get(framework: str) -> Catalog:
    catalog = _CATALOGS.get(framework)
    if catalog is None:
        if framework == "torch":
            from .torch_layers import CATALOG as catalog
        elif framework == "keras":
            from .keras_layers import CATALOG as catalog
        else:
            raise KeyError(framework)
        _CATALOGS[framework] = catalog
    return catalog


def lookup(framework: str, qualified: str):
    """The entry of a layer by its qualified name: the framework's catalog, or for torch the layers of
    einops.layers.torch (frameworks/einops_patterns.py)."""
    if framework == "torch" and qualified.startswith("einops.layers.torch."):
        from .einops_patterns import CATALOG as einops_layers

        return einops_layers.lookup(qualified)
    return get(framework).lookup(qualified)


def __getattr__(name: str) -> Catalog:
    """`catalogs.TORCH` / `catalogs.KERAS`, as before the catalogs were loaded lazily."""
    if name in ("TORCH", "KERAS"):
        return get(name.lower())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
