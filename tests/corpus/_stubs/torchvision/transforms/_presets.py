# Harness-only stand-in for torchvision/transforms/_presets.py (see tests/corpus/_stubs/README.md): the
# preset transforms weight enums name (never instantiated by the corpus); the verbatim module imports PIL.
from enum import Enum


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


class _Preset:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class ImageClassification(_Preset):
    pass


class VideoClassification(_Preset):
    pass


class SemanticSegmentation(_Preset):
    pass


class OpticalFlow(_Preset):
    pass


class ObjectDetection(_Preset):
    pass
