"""The values the data-flow interpreter works with (flow_interp.py), besides plain constants and Unknown.

Tensor: a tensor whose shape is known (a Shape) or not (None, with the reason). Sym: a symbolic size
such as the "N" of a directive, as `x.size(0)` returns it. Module objects (Leaf, Instance, SeqMod,
ModList, ModDict) are what `__init__` builds; ClassInfo/ClassRef are the model classes of the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst

from .records import LayerRecord, Span
from .shapes import Shape
from .source import Chunk


@dataclass
class Tensor:
    shape: Optional[Shape]
    reason: str = ""                 # why the shape is unknown
    origin: str = ""                 # how the last dim came about ("16·5·5 = 400 after view of …")
    producer: Optional[tuple] = None  # (Span, text) of what made it, for related information
    # Keras functional graph: the layer application that made this tensor (GraphNode), None for an Input.
    node: Any = None
    step_span: Optional[Span] = None   # the statement that made it (Keras functional steps)
    is_input: bool = False


@dataclass(frozen=True)
class Sym:
    """A symbolic size (a directive's "N"): passes through view()/reshape() but not arithmetic."""

    name: str


@dataclass
class Leaf:
    """One layer object built by a framework constructor call (nn.Conv2d(...), layers.Dense(...))."""

    qualified: str
    framework: str
    call: cst.Call
    chunk: Chunk
    positional: list
    keywords: dict
    star: Any                      # Unknown when *args/**kwargs could not be expanded
    record: LayerRecord = None     # type: ignore[assignment]
    rule: Any = None               # catalog rule or a merge rule (Keras)
    calls: int = 0
    built_params: Optional[tuple] = None   # (trainable, non_trainable) after the first call
    macs_total: Optional[int] = 0
    special: str = ""              # "parameter" for nn.Parameter, "merge" for Keras merge layers

    @property
    def span(self) -> Span:
        return self.chunk.span(self.call)


@dataclass
class Instance:
    """An object of a model class of this file (nn.Module / keras.Model / keras.layers.Layer subclass)."""

    cls: "ClassInfo"
    attrs: dict = field(default_factory=dict)     # attribute name -> value (modules, constants, ...)
    name: str = ""                                 # path from the top model ("layer1.0"), "" for the top


@dataclass
class SeqMod:
    """nn.Sequential / keras.Sequential: children called in order."""

    children: list        # list of (key, module)
    framework: str
    call: Optional[cst.Call] = None
    chunk: Optional[Chunk] = None


@dataclass
class ModList:
    children: list        # modules
    framework: str = "torch"


@dataclass
class ModDict:
    children: dict        # key -> module
    framework: str = "torch"


MODULES = (Leaf, Instance, SeqMod, ModList, ModDict)


@dataclass
class ClassInfo:
    name: str
    node: cst.ClassDef
    chunk: Chunk
    scope: Any                       # the engine Scope the class is defined in
    framework: str                   # "torch" | "keras"
    base: Optional["ClassInfo"] = None   # a model class of this file it derives from
    top_level: bool = True           # defined at module level
    methods: dict = field(default_factory=dict)    # name -> FunctionDef
    class_attrs: dict = field(default_factory=dict)   # name -> value node (class-level constants)

    def method(self, name: str):
        return self._inherited("methods", name)

    def class_attr(self, name: str):
        return self._inherited("class_attrs", name)

    def _inherited(self, table: str, name: str):
        """(value, defining class) from this class or the nearest base of this file that has it."""
        c: Optional[ClassInfo] = self
        while c is not None:
            entries = getattr(c, table)
            if name in entries:
                return entries[name], c
            c = c.base
        return None, None


@dataclass(frozen=True)
class ClassRef:
    """A model class used as a value (`ResNet(BasicBlock, [2, 2, 2, 2])`)."""

    cls: ClassInfo


@dataclass
class BoundMethod:
    obj: Any
    name: str
    fn: Any = None
    owner: Optional[ClassInfo] = None


@dataclass
class TensorMethod:
    """`x.view` before it is called."""

    tensor: Tensor
    name: str


@dataclass
class ListMethod:
    target: list
    name: str


@dataclass
class Builtin:
    """A callable the interpreter knows by its qualified name (torch.cat, F.relu, range, ...)."""

    name: str


@dataclass
class GraphNode:
    """One operation of a Keras functional graph: a layer application (leaf) or an op (leaf None)."""

    leaf: Optional[Leaf]
    inputs: list          # Tensors
    seq: int              # creation order
