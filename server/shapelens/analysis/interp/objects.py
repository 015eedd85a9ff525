"""The values the interpreter works with, besides plain Python constants and containers.

Plain values are Python's own: int, float, bool, str, None, tuple, list, dict, set, range, slice. Lists
and dicts are real Python lists and dicts, mutated in place as Python would; the interpreter keeps a
side table of the ones whose contents became unknown (interp.taint).

Everything else is one of the classes below: Unknown (a value known only at run time, with the reason),
functions and classes of the analysed file, instances of them, framework objects (Native: a name in
torch / keras / numpy ... not yet called; Mod: a torch module or Keras layer/model; Param; Tensor).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from ...frameworks.class_bases import CLASS_ATTRIBUTES
from ..shapes import UNKNOWN, Shape
from ..values import Unknown, first_unknown  # noqa: F401  (the one Unknown, shared with the catalogs)


@dataclass(frozen=True)
class Opaque(Unknown):
    """An object made by a call the analysis does not follow (an import from another file, a library
    function): it may be a module with parameters, so a model holding it has an unknown total."""


class Function:
    """A function or lambda of the analysed file. `outer` is the frame it was defined in (closures see
    its names as they are when the function runs, as Python's cells do)."""

    __slots__ = ("node", "code", "name", "qualname", "globals", "outer", "defaults", "kwdefaults", "owner",
                 "attrs", "invoked")

    def __init__(self, node, code, name: str, qualname: str, globals_: dict, outer, defaults: list,
                 kwdefaults: dict) -> None:
        self.node = node
        self.code = code
        self.name = name
        self.qualname = qualname
        self.globals = globals_
        self.outer = outer
        self.defaults = defaults
        self.kwdefaults = kwdefaults
        self.owner = None          # the UserClass whose body defined it (for super())
        self.attrs: dict = {}
        self.invoked = False       # called at least once (speculative runs skip called functions)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<function {self.qualname}>"


class StaticMethod:
    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        self.fn = fn


class ClassMethod:
    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        self.fn = fn


class Property:
    __slots__ = ("fget",)

    def __init__(self, fget) -> None:
        self.fget = fget


class UserClass:
    """A class of the analysed file. `mro` holds UserClasses and, at their place, the Native classes they
    derive from (nn.Module, nn.Sequential, keras.Model, a catalog layer ...)."""

    __slots__ = ("name", "qualname", "node", "code", "bases", "ns", "mro", "framework", "native", "dataclass",
                 "fields", "invoked")

    def __init__(self, name: str, qualname: str, node, code, bases: list, ns: dict) -> None:
        self.name = name
        self.qualname = qualname
        self.node = node
        self.code = code
        self.bases = bases
        self.ns = ns
        self.mro: list = []
        self.framework: Optional[str] = None   # "torch" | "keras" when it derives from their modules/layers
        self.native: Optional[str] = None      # the first framework class in its MRO, e.g. "torch.nn.Sequential"
        self.dataclass = False
        self.fields: list = []                 # dataclass fields: (name, default node or _MISSING)
        self.invoked = False

    def lookup(self, name: str, start: int = 0) -> tuple:
        """(value, owner) for the first class in mro[start:] that defines `name`; owner is a UserClass or
        a Native; (MISSING, None) when none does."""
        for c in self.mro[start:]:
            if isinstance(c, UserClass):
                if name in c.ns:
                    return c.ns[name], c
            elif name not in CLASS_ATTRIBUTES.get(getattr(c, "name", None), (name,)):
                continue   # nn.Module defines no such attribute: Python goes on to the next class of the MRO
            else:
                return MISSING, c   # the framework's class: the caller decides what it provides
        return MISSING, None

    def __repr__(self) -> str:  # pragma: no cover
        return f"<class {self.qualname}>"


class Instance:
    """An object of a plain class of the file (a config, a builder...), not a framework module."""

    __slots__ = ("cls", "attrs")

    def __init__(self, cls: UserClass) -> None:
        self.cls = cls
        self.attrs: dict = {}


class BoundMethod:
    __slots__ = ("fn", "obj")

    def __init__(self, fn, obj) -> None:
        self.fn = fn
        self.obj = obj


@dataclass(frozen=True)
class Native:
    """A name from a library: a module (torch.nn), a class (torch.nn.Conv2d) or a function
    (torch.flatten), by its canonical dotted name. Attribute access extends the name; a call is
    dispatched on the name (natives.py)."""

    name: str


class NativeMethod:
    """A method of a framework or builtin object before it is called: `model.add`, `x.view`, `lst.append`."""

    __slots__ = ("obj", "name")

    def __init__(self, obj, name: str) -> None:
        self.obj = obj
        self.name = name


class ModuleStore:
    """`module._modules` / `._parameters` / `._buffers`: the module's own registry, read and written in place
    (torchvision's _replace_relu does `module._modules[name] = nn.ReLU()`)."""

    __slots__ = ("mod", "which")

    def __init__(self, mod, which: str) -> None:
        self.mod = mod
        self.which = which   # "children", "params" or "buffers"

    def entries(self) -> dict:
        return getattr(self.mod, self.which)


class Super:
    __slots__ = ("cls", "obj")

    def __init__(self, cls: UserClass, obj) -> None:
        self.cls = cls     # the class whose method called super()
        self.obj = obj


class Partial:
    """functools.partial(fn, *args, **kwargs)."""

    __slots__ = ("fn", "args", "kwargs")

    def __init__(self, fn, args: list, kwargs: dict) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs


class Tensor:
    """A tensor whose shape is known (a Shape) or not (None, with the reason)."""

    __slots__ = ("shape", "reason", "origin", "producer", "node", "step_spans", "is_input", "requires_grad",
                 "values")

    def __init__(self, shape: Optional[Shape], reason: str = "", origin: str = "", producer=None,
                 node=None) -> None:
        self.shape = shape
        self.reason = reason
        self.origin = origin          # how the last dim came about ("16·5·5 = 400 after view of …")
        self.producer = producer      # (Span, text) of what made it, for related information
        self.node = node              # Keras functional graph: the GraphNode that made it
        self.step_spans = ()          # the analysed file's statements that bound it (Keras functional steps)
        self.is_input = False         # a keras.Input
        self.requires_grad = None
        # a 1-D tensor of numbers known here (torch.linspace(0, rate, depth): timm's drop-path rates), read by
        # iteration, .item() and .tolist(); None for any other tensor
        self.values = None

    def __repr__(self) -> str:  # pragma: no cover
        return f"Tensor({self.shape.text() if self.shape else '?'})"


def incomplete(shape) -> bool:
    """A shape not fully known: unknown, of open rank, or with a "?" size."""
    return shape is None or shape.open_rank or UNKNOWN in shape.dims


_NAMES_A_LINE = re.compile(r"\bline \d+")


def with_root_cause(it, t: "Tensor", inputs) -> "Tensor":
    """`t` with the cause of its unknown sizes (issue #18: a "?" names where it began, e.g. "`segments` has
    no shape", not "the shape of an operand is unknown" at every layer after it): the first input's when an
    input was already not fully known; its own otherwise, with the line it began at ("… (line 44)")."""
    if not incomplete(t.shape):
        return t
    for x in inputs:
        if isinstance(x, Tensor) and x.reason and incomplete(x.shape):
            t.reason = x.reason
            return t
    t.reason = it.located(t.reason or it.unknown_here())
    return t


class Param:
    """An nn.Parameter (or a Keras weight made with add_weight): its shape and whether it trains."""

    __slots__ = ("shape", "requires_grad", "span", "reason", "frozen_at", "count", "owner")

    def __init__(self, shape: Optional[Shape], requires_grad=True, span=None, reason: str = "",
                 count: Optional[int] = None) -> None:
        self.shape = shape
        self.requires_grad = requires_grad
        self.span = span
        self.reason = reason
        self.frozen_at = None
        self.count = count          # the elements, for a layer's tensors known by their count only
        self.owner = None           # the layer a tensor of unknown shape belongs to (changing it: its row is ?)

    def numel(self) -> Optional[int]:
        if self.shape is None or self.shape.open_rank:
            return self.count
        return self.shape.numel()


class FrameRef:
    """A frame of the running code as inspect.currentframe() gives it (d2l's save_hyperparameters reads the
    caller's arguments this way)."""

    __slots__ = ("frame", "index")

    def __init__(self, frame, index: int) -> None:
        self.frame = frame
        self.index = index


@dataclass
class GraphNode:
    """One operation of a Keras functional graph: a layer application (mod) or an op (mod None)."""

    mod: Any
    inputs: list
    seq: int


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:  # pragma: no cover
        return "MISSING"


MISSING = _Missing()


class Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class Break(Exception):
    pass


class Continue(Exception):
    pass


class Raise(Exception):
    """A `raise` in the analysed code: the function (or top-level statement) stops here."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class BudgetSpent(Exception):
    """The analysis' work budget is spent: everything from here on is unknown."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
