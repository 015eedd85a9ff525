"""Framework-free analysis core: parse → find models → resolve values → propagate shapes.

The names are loaded lazily, so that the catalogs (which import analysis.shapes) can be imported first.
"""

_EXPORTS = {
    "Options": ".engine", "analyze_source": ".engine",
    "Diagnostic": ".records", "FileResult": ".records", "LayerRecord": ".records", "ModelRecord": ".records",
    "Span": ".records", "Shape": ".shapes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    # __import__ rather than importlib.import_module: the same, but visible to `python -X importtime`
    return getattr(__import__(__name__ + module, fromlist=[name]), name)
