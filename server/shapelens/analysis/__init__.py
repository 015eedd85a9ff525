"""Framework-free analysis core: parse → find models → resolve values → propagate shapes."""
from .engine import Options, analyze_source
from .records import Diagnostic, FileResult, LayerRecord, ModelRecord, Span
from .shapes import Shape

__all__ = ["Options", "analyze_source", "Diagnostic", "FileResult", "LayerRecord", "ModelRecord", "Span", "Shape"]
