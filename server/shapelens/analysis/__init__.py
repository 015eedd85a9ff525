"""Framework-free analysis core: parse → find models → resolve values → propagate shapes.

The names are loaded lazily, so that the catalogs (which import analysis.shapes) can be imported first.
"""
from importlib import import_module

_EXPORTS = {
    "Options": ".engine", "analyze_source": ".engine",
    "Diagnostic": ".records", "FileResult": ".records", "LayerRecord": ".records", "ModelRecord": ".records",
    "Span": ".records", "Shape": ".shapes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(name)
