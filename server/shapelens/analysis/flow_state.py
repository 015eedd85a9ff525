"""Per-file state of the data-flow analysis (one Flow per Analyzer): the model classes found, the values
observed at module level (Keras functional tensors, model instances), name and attribute resolution
for the interpreter, and reporting."""
from __future__ import annotations

from typing import Any, Optional

from .flow_objects import (Builtin, BoundMethod, ClassRef, Instance, Leaf, ListMethod, Tensor, TensorMethod, MODULES)
from .values import Unknown, _MISSING

BUILTINS = None   # flow_interp.BUILTINS, imported on first use (flow_interp imports this module's users)
TENSOR_UNKNOWN_ATTRS = {"dtype", "device", "requires_grad", "is_cuda", "grad", "layout"}


class _Env(dict):
    """The values observed in one scope; every name ever set is also added to `names` (Flow.env_names),
    and so is the first part of a dotted one (`model` of `model.encoder`)."""

    __slots__ = ("names",)

    def __setitem__(self, key, value) -> None:
        self.names.add(key)
        if isinstance(key, str) and "." in key:
            self.names.add(key.partition(".")[0])
        dict.__setitem__(self, key, value)

    def setdefault(self, key, default=None):  # pragma: no cover - not used, kept consistent
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def update(self, *args, **kwargs) -> None:  # pragma: no cover - not used, kept consistent
        for k, v in dict(*args, **kwargs).items():
            self[k] = v


class Flow:
    def __init__(self, an) -> None:
        self.an = an
        self.classes: dict = {}        # class name -> ClassInfo
        self.envs: dict = {}           # id(engine scope) -> (scope, {name: value}) observed at walk time
        self.env_names: set = set()    # every name ever set in one of the envs, and the first part of a
                                       # dotted one: a superset, for checks on a statement's text
        self.sites: list = []          # flow_inputs.Site: instantiations of the file's model classes
        self.functional: list = []     # flow_keras.Functional models (keras.Model(inputs, outputs))
        self.engine_cache: dict = {}   # id(node) -> value: a module-level layer is one object
        self.seq = 0
        self.module_run = None         # flow_interp.Run for module-level statements (set lazily)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # ------------------------------------------------------------------ names
    def env(self, scope, create: bool = True) -> Optional[dict]:
        """The values observed in `scope`; with create=False, None when nothing was observed there yet."""
        entry = self.envs.get(id(scope))
        if entry is None or entry[0] is not scope:
            if not create:
                return None
            env = _Env()
            env.names = self.env_names
            entry = (scope, env)
            self.envs[id(scope)] = entry
        return entry[1]

    def env_lookup(self, scope, name: str) -> Any:
        s = scope
        while s is not None:
            entry = self.envs.get(id(s))
            if entry is not None and entry[0] is s and name in entry[1]:
                return entry[1][name]
            s = s.parent
        return _MISSING

    def global_value(self, name: str, node, frame, it, probe: bool = False) -> Any:
        global BUILTINS
        if BUILTINS is None:
            from .flow_interp import BUILTINS

        v = self.env_lookup(frame.scope, name)
        if v is not _MISSING:
            return v
        if name in self.classes:
            return ClassRef(self.classes[name])
        ev = frame.scope.lookup(name) if frame.scope is not None else _MISSING
        if ev is not _MISSING:
            return self.from_engine(ev, it, frame)
        if name in BUILTINS:
            return Builtin(name)
        if probe:
            return _MISSING
        qual = self.an.aliases.names.get(name)
        if qual is not None:
            return Builtin(qual)
        return Unknown(f"`{name}` is not defined in this file")

    def from_engine(self, ev, it, frame) -> Any:
        """A value the engine bound (constants, layer calls as NodeRefs, Sequential builders)."""
        from .engine import BoundNode, ModelBuilder, NodeRef
        from .flow_interp import Frame

        if isinstance(ev, (int, float, str, bool, type(None), Unknown)):
            return ev
        if isinstance(ev, (list, tuple)):
            items = [self.from_engine(x, it, frame) for x in ev]
            return items if isinstance(ev, list) else tuple(items)
        if isinstance(ev, dict):
            return dict(ev)
        if isinstance(ev, ModelBuilder):
            ev = ev.ref
        if isinstance(ev, (NodeRef, BoundNode)):
            key = id(ev.node)
            if key not in self.engine_cache:
                scope = ev.scope if isinstance(ev, BoundNode) else frame.scope
                self.engine_cache[key] = it.eval(ev.node, Frame({}, ev.chunk, scope))
            return self.engine_cache[key]
        return Unknown("a value the analysis does not follow")

    # ------------------------------------------------------------------ attributes
    def attribute(self, it, base, attr: str, node, frame) -> Any:
        from .flow_interp import Frame, Super
        from .flow_funcs import shape_tuple

        if isinstance(base, Unknown):
            return base
        if isinstance(base, Instance):
            return self.instance_attr(it, base, attr)
        if isinstance(base, ClassRef):
            value, owner = base.cls.class_attr(attr)
            if value is not None:
                return it.eval(value, Frame({}, owner.chunk, owner.scope))
            fn, owner = base.cls.method(attr)
            return BoundMethod(None, attr, fn, owner) if fn is not None else Unknown(f"`{base.cls.name}.{attr}` "
                                                                                    f"is not defined in the class")
        if isinstance(base, Super):
            return BoundMethod(base, attr)
        if isinstance(base, Tensor):
            return self.tensor_attr(base, attr, shape_tuple)
        if isinstance(base, Leaf):
            return self.leaf_attr(base, attr)
        if isinstance(base, MODULES):
            return BoundMethod(base, attr)
        if isinstance(base, Builtin):
            return Builtin(f"{base.name}.{attr}")
        if isinstance(base, list):
            return ListMethod(base, attr)
        if isinstance(base, dict):
            return BoundMethod(base, attr)
        return Unknown(f"`.{attr}` is only known at run time")

    def instance_attr(self, it, obj: Instance, attr: str) -> Any:
        if attr in obj.attrs:
            v = obj.attrs[attr]
            return v.tensor if isinstance(v, Leaf) and v.special == "parameter" else v  # type: ignore[attr-defined]
        fn, owner = obj.cls.method(attr)
        if fn is not None:
            return BoundMethod(obj, attr, fn, owner)
        value, owner = obj.cls.class_attr(attr)
        if value is not None:
            from .flow_interp import Frame

            return it.eval(value, Frame({}, owner.chunk, owner.scope))
        if attr == "training":
            return Unknown("`self.training` is known only at run time")
        from .flow_calls import MODULE_SELF_METHODS

        if attr in MODULE_SELF_METHODS or attr in ("forward", "call", "add_module", "register_module",
                                                   "register_buffer", "register_parameter"):
            return BoundMethod(obj, attr)
        return Unknown(f"`self.{attr}` is not set in {obj.cls.name}.__init__")

    def tensor_attr(self, t: Tensor, attr: str, shape_tuple) -> Any:
        if attr == "shape":
            return shape_tuple(t)
        if attr == "ndim":
            dims = shape_tuple(t)
            return len(dims) if isinstance(dims, tuple) else dims
        if attr == "T":
            if t.shape is None or t.shape.open_rank:
                return Tensor(None, "the tensor's shape is unknown")
            return Tensor(t.shape.of(reversed(t.shape.dims)))
        if attr == "data":
            return t
        if attr in TENSOR_UNKNOWN_ATTRS:
            return Unknown(f"`.{attr}` is known only at run time")
        return TensorMethod(t, attr)

    def leaf_attr(self, leaf: Leaf, attr: str) -> Any:
        """`self.fc.in_features`: the constructor's argument, bound as the framework binds it."""
        from ..frameworks.base import bind
        from .flow_calls import clean

        from .flow_funcs import shape_tuple

        if leaf.special == "parameter":
            return self.tensor_attr(leaf.tensor, attr, shape_tuple)  # type: ignore[attr-defined]
        if leaf.rule is not None and any(p.name == attr for p in leaf.rule.signature.params):
            bound = bind(leaf.rule.signature, [clean(v) for v in leaf.positional],
                         {k: clean(v) for k, v in leaf.keywords.items()}, leaf.star)
            return bound.values.get(attr, Unknown(f"`.{attr}` is unknown"))
        return BoundMethod(leaf, attr)

    def set_attr(self, obj: Instance, name: str, value: Any) -> None:
        obj.attrs[name] = value

    # ------------------------------------------------------------------ reporting
    def report(self, span, code: str, severity: str, message: str, related=None) -> None:
        self.an.report(span, code, severity, message, related or [])

    def error(self, span, code: str, message: str, related=None) -> None:
        self.report(span, code, "error", message, related)

    def info(self, span, message: str) -> None:
        self.report(span, "SL002", "info", message)

    def info_if_tensor(self, it, stmt, frame, message: str) -> None:
        if frame.record_steps:
            self.info(frame.chunk.span(stmt.iter), f"{message}: what the loop assigns is unknown after it")
