"""Framework module objects: torch.nn modules and Keras layers and models, as the interpreter builds them.

One class, Mod, for all of them (`kind` says which): a catalog layer ("leaf"), a framework layer without
a catalog entry ("unknown"), torch's containers ("sequential", "modulelist", "moduledict", "paramlist",
"paramdict"), an object of a file's subclass of nn.Module / keras.Model / keras.layers.Layer ("user"),
a Keras functional model ("functional"), and an object the analysis cannot see into ("opaque").

`children` is torch's `_modules` (registration order, as named_modules() walks it) or the layers a Keras
model tracks; `params` its own free parameters; `attrs` every other attribute. A leaf's parameters come
from its catalog rule (run once at construction, with no input, for torch; at its first call, for Keras,
which creates weights when a layer is built).

Calling a module runs its catalog rule on the arriving tensor (a leaf), the chain of its children (a
Sequential), or the file's forward()/call() (a user class). While a model runs for its records
(models.Recorder), every leaf call is recorded; while the model is being built, torch calls only compute
shapes (their findings are reported when the model itself runs).
"""
from __future__ import annotations

import os
from typing import Any, Optional

from ...frameworks import catalogs
from ...frameworks.base import NO_TENSOR, BoundLayer, Ctx, bind
from ..shapes import Shape
from .objects import MISSING, Native, Opaque, Param, Tensor, Unknown, UserClass, incomplete, with_root_cause

LEAF, UNKNOWN, SEQUENTIAL, MODULELIST, MODULEDICT = "leaf", "unknown", "sequential", "modulelist", "moduledict"
PARAMLIST, PARAMDICT, USER, FUNCTIONAL, OPAQUE = "paramlist", "paramdict", "user", "functional", "opaque"
CONTAINERS = (SEQUENTIAL, MODULELIST, MODULEDICT, PARAMLIST, PARAMDICT)

TORCH_NN = "torch.nn."
# torch.nn classes that are not layers a model records (losses are modules, but never part of a model)
NOT_LAYERS_SUFFIXES = ("Loss",)


class Mod:
    __slots__ = ("framework", "kind", "qualname", "cls", "rule", "args", "kwargs", "star", "children", "params",
                 "buffers", "attrs", "span", "taint", "serial", "leaf_ctx", "built", "calls", "trainable",
                 "graph", "problem", "layer_name", "maker", "__weakref__")

    def __init__(self, framework: str, kind: str, qualname: str, span, serial: int) -> None:
        self.framework = framework
        self.kind = kind
        self.qualname = qualname      # the framework class ("torch.nn.Conv2d") or the user class's name
        self.cls: Optional[UserClass] = None
        self.rule = None              # catalog entry of a leaf
        self.args: list = []          # constructor arguments of a leaf
        self.kwargs: dict = {}
        self.star = None              # Unknown when *args / **kwargs could not be expanded
        self.children: dict = {}
        self.params: dict = {}
        self.buffers: dict = {}
        self.attrs: dict = {}
        self.span = span              # where it was made (the constructor call)
        self.taint: Optional[Unknown] = None    # its contents are known only at run time
        self.serial = serial
        self.leaf_ctx: Optional[Ctx] = None     # the rule run at construction (torch): parameters, findings
        self.built: Optional[tuple] = None      # Keras: (ctx, input shape) of the first call, which builds it
        self.calls = 0
        self.trainable = True         # Keras layer.trainable
        self.graph = None             # Keras functional model: (inputs, outputs)
        self.problem: Optional[Unknown] = None  # __init__ could not run (a required argument is missing)
        self.layer_name: Optional[str] = None   # Keras name= / OrderedDict key given at construction
        self.maker = None             # the file's function whose code made it (a directive above it applies)

    @property
    def type_name(self) -> str:
        if self.cls is not None:
            return self.cls.name
        if self.rule is not None:
            return self.rule.name
        if self.kind == FUNCTIONAL:
            return "Functional"   # type(keras.Model(inputs, outputs)).__name__ in Keras 3
        return self.qualname.rsplit(".", 1)[-1]

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Mod {self.kind} {self.type_name}>"


def is_mod(v) -> bool:
    return type(v) is Mod


# ====================================================================== making modules

def new_mod(it, framework: str, kind: str, qualname: str, node, frame) -> Mod:
    span = frame.code.span(node) if node is not None else None
    mod = Mod(framework, kind, qualname, span, it.next_serial())
    if frame is not None and frame.kind == "function" and frame.code.external is None:
        mod.maker = frame.fn
    if kind in (SEQUENTIAL, FUNCTIONAL) and it.recorder is None and it.depth == 0:
        it.unit.made.append(mod)   # a model made without a name (`return nn.Sequential(...)`) is still one
    return mod


def opaque(it, why: str, node, frame, framework: str = "torch") -> Mod:
    """A module whose layers the analysis cannot see: unknown shape and parameters."""
    mod = new_mod(it, framework, OPAQUE, "?", node, frame)
    mod.taint = Unknown(why)
    return mod


def as_module(it, value, node, frame, framework: str):
    """A value placed where a module belongs (a Sequential's argument): modules as they are; anything else
    becomes an opaque module carrying the reason."""
    if type(value) is Mod:
        return value
    if isinstance(value, Unknown):
        why = value.reason
    else:
        why = f"`{frame.code.text(node)}` holds something that is not a layer shapelens follows"
    mod = opaque(it, why, node, frame, framework)
    report_info(it, mod.span, f"{why}: its shape and parameters are unknown (shown as ?)")
    return mod


def leaf(it, framework: str, qualname: str, args: list, kwargs: dict, star, node, frame) -> Mod:
    """A layer made by its framework constructor: its catalog entry, or an unknown layer."""
    rule = catalogs.lookup(framework, qualname)
    mod = new_mod(it, framework, LEAF if rule is not None else UNKNOWN, qualname, node, frame)
    mod.rule, mod.args, mod.kwargs, mod.star = rule, list(args), dict(kwargs), star
    name = kwargs.get("name")
    if isinstance(name, str):
        mod.layer_name = name
    if rule is None:
        why = f"`{qualname}` is not a layer shapelens knows"
        mod.taint = Unknown(why)
        if not qualname.endswith(NOT_LAYERS_SUFFIXES):
            report_info(it, mod.span, f"{why}: its shape and parameters are unknown (shown as ?)")
        return mod
    # Construction: the rule with no input gives the parameters (torch) and the checks of the arguments
    # alone, which the framework makes when the layer is built (reported on the constructor).
    ctx = run_rule(it, mod, None, {})
    mod.leaf_ctx = ctx
    for f in ctx.findings:
        if not f.related_to_input:
            report(it, mod.span, f.code, f.severity, f.message, call_related(it))
    return mod


def call_related(it) -> list:
    """The outermost call of a function of the file that led here: where its arguments came from."""
    for span in it.calls:
        if span is not None:
            return [(span, "called from here")]
    return []


# ====================================================================== running catalog rules

def clean(v) -> Any:
    """An argument for a catalog rule: constants, Unknown, or a BoundLayer (a layer given to a wrapper such
    as Bidirectional(LSTM(...)))."""
    t = type(v)
    if t in (int, float, str, bool) or v is None:
        return v
    if t in (tuple, list):
        items = [clean(x) for x in v]
        return tuple(items) if t is tuple else items
    if isinstance(v, Unknown):
        return v
    if t is Mod and v.kind == LEAF:
        bound = bind(v.rule.signature, [clean(x) for x in v.args], {k: clean(x) for k, x in v.kwargs.items()},
                     v.star)
        layer = BoundLayer(v.rule, bound.values, frozenset(bound.given), bound.extra_kwargs)
        layer.errors = [f"{v.rule.name}() {e}" for e in bound.errors]  # type: ignore[attr-defined]
        return layer
    if t is Native:
        return Unknown(f"`{v.name}` is passed as a value; the analysis reads only constants here")
    return Unknown("an argument is only known at run time")


# What keras.layers.Layer.__init__ accepts through **kwargs (keras/src/layers/layer.py, Keras 3): anything
# else raises "Unrecognized keyword arguments". A catalog entry lists what its own base classes add in
# options["accepts"] (None: the class takes arbitrary kwargs, so nothing is checked).
KERAS_BASE_KWARGS = {"activity_regularizer", "trainable", "dtype", "autocast", "name", "input_shape", "input_dim"}


def keras_kwargs_checks(ctx: Ctx, rule, bound, is_first: bool) -> None:
    accepts = rule.options.get("accepts", frozenset())
    unknown = sorted(k for k in bound.extra_kwargs if k not in KERAS_BASE_KWARGS | set(accepts or ()))
    if unknown and rule.signature.var_kwargs and accepts is not None:
        ctx.error("SL010", f"{rule.name}() does not accept {', '.join(unknown)}: Keras 3 raises "
                           f"'Unrecognized keyword arguments'" +
                  (" (batch_input_shape is gone: use keras.Input(batch_shape=...))" if "batch_input_shape" in unknown
                   else ""))
    if not is_first and ("input_shape" in bound.extra_kwargs or "input_dim" in bound.extra_kwargs):
        ctx.warning("SL202", f"{rule.name}: input_shape/input_dim is only read on the first layer of a Sequential "
                             f"model; here it is ignored")


def run_rule(it, mod: Mod, x: Optional[Tensor], call: dict, is_first: bool = True) -> Ctx:
    rule = mod.rule
    bound = bind(rule.signature, [clean(v) for v in mod.args], {k: clean(v) for k, v in mod.kwargs.items()},
                 mod.star)
    if x is not None and x.shape is None and x is it.placeholder:
        _give_model_input(it, mod, x, bound.values)
    ctx = Ctx(rule, bound.values, bound.given, x.shape if x is not None else None, mod.framework, is_first,
              x.origin if x is not None else "")
    ctx.extra = bound.extra_kwargs
    ctx.call = call
    if x is not None and x.shape is None:
        ctx.input_reason = x.reason or "the shape of the tensor it receives is not known to the analysis"
    elif x is not None and incomplete(x.shape):
        ctx.input_reason = x.reason
    name = bound.extra_kwargs.get("name", bound.values.get("name"))
    ctx.layer_name = name if isinstance(name, str) else None
    for e in bound.errors:
        ctx.error("SL010", f"{rule.name}() {e}")
    for v in bound.values.values():  # errors of a layer passed as an argument: Bidirectional(LSTM())
        for e in getattr(v, "errors", ()):
            ctx.error("SL010", e)
    if mod.framework == "keras":
        keras_kwargs_checks(ctx, rule, bound, is_first)
    try:
        rule.infer(ctx)
    except Exception as e:  # a rule bug must never take the analysis down; say so instead
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        ctx.out = None
        ctx.trainable = ctx.non_trainable = ctx.macs = None
        ctx.why_unknown(f"internal error in the {rule.name} rule: {type(e).__name__}: {e}")
    if ctx.constraints and it.recorder is not None:
        it.add_equations(ctx.constraints, mod)
    return ctx


def _give_model_input(it, mod: Mod, x: Tensor, args: dict) -> None:
    """The model's input, unknown so far, reaches its first layer: it becomes the input that layer takes,
    the unknown sizes symbolic ((N, 1, H, W) for Conv2d(1, ...)): issue #17."""
    make = mod.rule.options.get("model_input")
    if make is None:
        return
    try:
        dims = make(args)
    except Exception:  # noqa: BLE001 - arguments of any type; no input then
        return
    x.shape = Shape.of(dims)
    x.reason = ""
    it.placeholder_by = mod


def call_args(rule, args: list, kwargs: dict) -> tuple:
    """The layer call's arguments bound to the entry's call signature (Ctx.call), if it has one, and the
    TypeErrors Python raises for them (a MultiheadAttention in a Sequential gets no key and value)."""
    sig = rule.call_signature
    if sig is None:
        return {}, []
    bound = bind(sig, args, kwargs, None)
    return {k: _call_value(v) for k, v in bound.values.items()}, bound.errors


def _call_value(v) -> Any:
    if isinstance(v, Tensor):
        return v.shape if v.shape is not None else Unknown(v.reason or "the tensor's shape is unknown")
    if isinstance(v, (tuple, list)) and any(isinstance(e, Tensor) for e in v):
        items = [_call_value(e) for e in v]
        return tuple(items) if isinstance(v, tuple) else items
    return clean(v)


# ====================================================================== reporting

def report(it, span, code: str, severity: str, message: str, related=None) -> None:
    if it.quiet:
        return
    if severity == "error" and it.regions:
        # on a path that runs only when a condition known at run time holds (`if self.training:`): the
        # framework raises only then
        severity = "warning"
        message = f"{message} (only where {it.regions[-1].reason})"
    it.unit.report(span, code, severity, message, related or [])


def report_info(it, span, message: str) -> None:
    report(it, span, "SL002", "info", message)


# ====================================================================== calling modules

def call_mod(it, mod: Mod, args: list, kwargs: dict, node, frame) -> Any:
    kind = mod.kind
    if mod.framework == "keras" and (mod.cls is not None or kind == SEQUENTIAL):
        from . import keras

        if keras.linked(args, kwargs):   # a model or custom layer in a functional graph: one node of it
            return keras.as_one_node(it, mod, args, kwargs, node, frame, _call_inside)
    return _call_inside(it, mod, args, kwargs, node, frame)


def _call_inside(it, mod: Mod, args: list, kwargs: dict, node, frame) -> Any:
    kind = mod.kind
    if mod.cls is not None:
        return call_user(it, mod, args, kwargs, node, frame)
    if kind == LEAF or kind == "merge":
        return apply_leaf(it, mod, args, kwargs, node, frame)
    if kind == SEQUENTIAL:
        return call_chain(it, mod, args, kwargs, node, frame)
    if kind == FUNCTIONAL:
        from . import keras

        return keras.call_functional(it, mod, args, kwargs, node, frame)
    if kind in (UNKNOWN, OPAQUE):
        x = first_tensor(args, kwargs)
        why = mod.taint.reason if mod.taint is not None else "the layer is unknown"
        if x is not None and mod.framework == "keras":
            from . import keras

            return keras.link(it, Tensor(None, why), [x], mod)
        return Tensor(None, why) if x is not None or not args else Opaque(why)
    what = {MODULELIST: "a ModuleList", MODULEDICT: "a ModuleDict"}.get(kind, f"a {kind}")
    report_info(it, frame.code.span(node), f"{what} is not callable (it has no forward): the result is unknown")
    return Tensor(None, f"{what} is not callable")


def first_tensor(args: list, kwargs: dict) -> Optional[Tensor]:
    for v in list(args) + list(kwargs.values()):
        if isinstance(v, Tensor):
            return v
    return None


def call_chain(it, mod: Mod, args: list, kwargs: dict, node, frame) -> Any:
    value = args[0] if args else kwargs.get("input", kwargs.get("inputs"))
    if mod.taint is not None:
        return Tensor(None, mod.taint.reason)
    first = True
    x = value
    for child in list(mod.children.values()):
        if child is None:
            continue
        if type(child) is not Mod:
            value = Tensor(None, "an element of the Sequential is not a module")
        elif child.framework == "keras" and child.kind in (LEAF, "merge") and child.cls is None:
            from . import keras

            value = keras.apply_layer(it, child, [value], {}, None, frame, is_first=first)
        else:
            # node None: a finding of a layer in the chain is reported on the layer itself
            value = it.call(child, [value], {}, None, frame)
        first = False
    if it.recorder is not None:
        it.recorder.module_call(mod, x if isinstance(x, Tensor) else None, value)
    return value


def call_user(it, mod: Mod, args: list, kwargs: dict, node, frame) -> Any:
    from .pybuiltins import bind_class_value
    from .objects import MISSING

    method = "forward" if mod.framework == "torch" else "call"
    if mod.framework == "keras" and "__built__" not in mod.attrs:
        keras_build(it, mod, args, kwargs, node, frame)
    fn, owner = mod.cls.lookup(method)
    if fn is MISSING or fn is None:
        fn, owner = mod.cls.lookup("__call__")
    if fn is not MISSING and fn is not None:
        bound = bind_class_value(fn, mod, mod.cls)
        if hasattr(bound, "fn") and hasattr(bound, "obj"):
            out = it.call_function(bound.fn, [mod] + list(args), kwargs, node, frame,
                                   record=it.recorder is not None and it.recorder.records(mod), self_obj=mod)
        else:
            out = it.call(bound, list(args), kwargs, node, frame)
        if it.recorder is not None:
            it.recorder.module_call(mod, first_tensor(args, kwargs), out)
        return out
    native = mod.cls.native or ""
    if native == "torch.nn.Sequential" or native == "keras.Sequential":
        return call_chain(it, mod, args, kwargs, node, frame)
    if mod.rule is not None:
        return apply_leaf(it, mod, args, kwargs, node, frame)
    x = first_tensor(args, kwargs)
    why = f"`{mod.cls.name}` has no {method}() method"
    report_info(it, frame.code.span(node), f"{why}: the result is unknown")
    return Tensor(None, why) if x is not None else Unknown(why)


def keras_build(it, mod: Mod, args: list, kwargs: dict, node, frame) -> None:
    """Keras builds a layer on its first call: Layer.__call__ runs the class's build(input_shape) first,
    where custom layers make their weights (add_weight)."""
    from .objects import Function

    mod.attrs["__built__"] = True
    build, _ = mod.cls.lookup("build")
    if not isinstance(build, Function):
        return
    x = args[0] if args else next(iter(kwargs.values()), None)
    it.call_function(build, [mod, _shape_value(x)], {}, node, frame)


def _shape_value(x):
    """What build() receives: the input's shape as a tuple (None for the batch), or a list of them."""
    if isinstance(x, Tensor):
        if x.shape is None or x.shape.open_rank:
            return Unknown("the input shape of build() is unknown")
        from .tensors import dim_value

        return tuple(None if d is None else dim_value(d) for d in x.shape.dims)
    if isinstance(x, (list, tuple)):
        return [_shape_value(v) for v in x]
    return Unknown("the input shape of build() is unknown")


def apply_leaf(it, mod: Mod, args: list, kwargs: dict, node, frame) -> Any:
    """A layer called on its input: its catalog rule on the arriving shape."""
    from . import keras

    if mod.framework == "keras":
        return keras.apply_layer(it, mod, args, kwargs, node, frame)
    x = args[0] if args else kwargs.get("input", kwargs.get("x"))
    if not isinstance(x, Tensor):
        why = x.reason if isinstance(x, Unknown) else f"the input of `{frame.code.text(node)}` is not a tensor the " \
                                                      f"analysis follows"
        x = Tensor(None, why)
    call, errors = call_args(mod.rule, args, kwargs)
    ctx = run_rule(it, mod, x, call)
    for e in errors:
        ctx.error("SL110", f"{mod.rule.name}.forward() {e}", related_to_input=True)
    call_span = frame.code.span(node) if node is not None else mod.span
    label = mod_label(it, mod)
    if it.recorder is not None:
        it.recorder.leaf_call(mod, ctx, x, call_span)
    report_findings(it, mod, ctx, x, call_span, label)
    out_text = ctx.out.text() if ctx.out is not None else "?"
    named = f"{label} ({mod.type_name})" if label != mod.type_name else label
    producer = (call_span, f"{named} produces {out_text}")
    out = Tensor(ctx.out, "; ".join(ctx.unknown) or ("" if ctx.out else f"{label}'s output is unknown"),
                 ctx.out_origin, producer)
    with_root_cause(it, out, [x])
    if ctx.outputs is not None:
        return outputs(ctx.outputs, out, mod, producer)
    return out


def outputs(structure, main: Tensor, mod: Mod, producer) -> Any:
    """The tensors of a layer that returns several (ctx.outputs): the first Shape is the main output."""
    first = [True]

    def build(v):
        if isinstance(v, (tuple, list)):
            items = [build(e) for e in v]
            return tuple(items) if isinstance(v, tuple) else items
        if first[0] and (v is None or isinstance(v, Shape)):
            first[0] = False
            return main
        if isinstance(v, Shape):
            return Tensor(v, "", "", producer)
        if v is NO_TENSOR:
            return None
        line = f" (line {producer[0].line})" if producer and producer[0] is not None else ""
        return Tensor(None, f"this output of {mod.type_name} is unknown{line}")
    return build(structure)


def mod_label(it, mod: Mod) -> str:
    if it.recorder is not None:
        name = it.recorder.name_of(mod)
        if name:
            return name
    return mod.layer_name or mod.type_name


def report_findings(it, mod: Mod, ctx: Ctx, x: Tensor, call_span, label: str) -> None:
    """Input findings go on the call in forward() (where the framework raises), pointing at the constructor;
    findings about the arguments alone go on the constructor. Torch calls made while the model is being
    built are not reported: the model's own run reports them."""
    if it.quiet or (mod.framework == "torch" and it.recorder is None):
        return
    for f in ctx.findings:
        if f.related_to_input and call_span != mod.span:
            related = ([x.producer] if x.producer else []) + [(mod.span, f"{label} = {mod.type_name}(...) is "
                                                                         f"declared here")]
            report(it, call_span, f.code, f.severity, f"{label}: {f.message}", related)
        else:
            related = [x.producer] if f.related_to_input and x.producer else []
            report(it, mod.span, f.code, f.severity, f.message, related)


# ====================================================================== containers (torch)

def torch_sequential(it, args: list, kwargs: dict, star, node, frame) -> Mod:
    mod = new_mod(it, "torch", SEQUENTIAL, "torch.nn.Sequential", node, frame)
    fill_sequential(it, mod, args, star, node, frame)
    return mod


def fill_sequential(it, mod: Mod, args: list, star, node, frame) -> None:
    if star is not None:
        mod.taint = Unknown(star.reason)
        report_info(it, frame.code.span(node), f"{star.reason}: the Sequential's layers are unknown (shown as ?)")
        return
    if len(args) == 1 and isinstance(args[0], dict):
        why = it.taint_of(args[0])
        if why is not None:
            mod.taint = why
            return
        items = list(args[0].items())
    else:
        items = [(str(i), m) for i, m in enumerate(args)]
    for key, m in items:
        mod.children[str(key)] = as_module(it, m, node, frame, mod.framework)


def torch_modulelist(it, args: list, node, frame, kind: str = MODULELIST) -> Mod:
    qual = {MODULELIST: "torch.nn.ModuleList", PARAMLIST: "torch.nn.ParameterList"}[kind]
    mod = new_mod(it, "torch", kind, qual, node, frame)
    if args and args[0] is not None:
        items = it.iterate(args[0], node, frame)
        if isinstance(items, Unknown):
            mod.taint = items
            report_info(it, mod.span, f"the {qual.rsplit('.', 1)[-1]}'s items are known only at run time "
                                      f"({items.reason}): its parameters are unknown (shown as ?)")
            return mod
        for i, m in enumerate(items):
            store_item(it, mod, str(i), m, node, frame)
    return mod


def torch_moduledict(it, args: list, node, frame, kind: str = MODULEDICT) -> Mod:
    qual = {MODULEDICT: "torch.nn.ModuleDict", PARAMDICT: "torch.nn.ParameterDict"}[kind]
    mod = new_mod(it, "torch", kind, qual, node, frame)
    src = args[0] if args else None
    if src is None:
        return mod
    if isinstance(src, dict) and it.taint_of(src) is None:
        items = list(src.items())
    else:
        items = it.iterate(src, node, frame)
        if isinstance(items, Unknown) or not all(isinstance(p, tuple) and len(p) == 2 for p in items):
            mod.taint = items if isinstance(items, Unknown) else Unknown("the items are known only at run time")
            return mod
    for k, m in items:
        store_item(it, mod, str(k), m, node, frame)
    return mod


def store_item(it, mod: Mod, key: str, value, node, frame) -> None:
    """An item of a container: a module (ModuleList/Dict) or a parameter (ParameterList/Dict)."""
    if mod.kind in (PARAMLIST, PARAMDICT):
        mod.params[key] = value if isinstance(value, Param) else as_param(value)
    else:
        mod.children[key] = as_module(it, value, node, frame, mod.framework)


def as_param(value) -> Param:
    if isinstance(value, Param):
        return value
    if isinstance(value, Tensor):
        p = Param(value.shape)
        return p
    return Param(None, reason=value.reason if isinstance(value, Unknown) else "the parameter is unknown")


def parameter(it, args: list, kwargs: dict, node, frame) -> Param:
    t = args[0] if args else kwargs.get("data")
    grad = args[1] if len(args) > 1 else kwargs.get("requires_grad", True)
    span = frame.code.span(node)
    if isinstance(t, Tensor):
        return Param(t.shape, grad, span, t.reason)
    if isinstance(t, Param):
        return Param(t.shape, grad, span, t.reason)
    return Param(None, grad, span, "the Parameter's tensor is unknown")


# ====================================================================== attributes of modules

# Methods of nn.Module that return the module itself (model.to(device).eval()).
SELF_METHODS = frozenset({"to", "eval", "train", "cuda", "cpu", "float", "double", "half", "bfloat16", "type",
                          "requires_grad_", "apply", "zero_grad", "share_memory", "to_empty", "ipu", "xpu", "mtia"})


def set_mod_attr(it, mod: Mod, name: str, value, node, frame) -> None:
    """`self.x = value` on a module: torch puts modules in _modules, Parameters in _parameters, tensors
    given to an existing buffer name in _buffers, everything else in __dict__ (nn.Module.__setattr__)."""
    if type(value) is Mod or isinstance(value, Param) or name in mod.children or name in mod.params:
        it.mutated(mod)   # its modules or parameters change: on some paths only, they are unknown
        if isinstance(value, Param) and mod.rule is not None:   # `decoder.weight = encoder.weight`
            from .natives import materialize

            materialize(it, mod)
    elif name == "trainable" and mod.framework == "keras":
        set_keras_trainable(it, mod, value, frame.code.span(node) if node is not None else None)
        return
    else:
        value = it.settled(mod, mod.attrs.get(name, MISSING), value, f"`{name}`")
    if type(value) is Mod:
        if name not in mod.children:
            mod.attrs.pop(name, None)
            mod.params.pop(name, None)
        mod.children[name] = value
    elif isinstance(value, Param):
        mod.children.pop(name, None)
        mod.params[name] = value
    elif isinstance(value, Tensor) and name in mod.buffers:
        mod.buffers[name] = value
    elif name in mod.children and value is None:
        mod.children[name] = None
    elif isinstance(value, Opaque) and mod.cls is not None:
        # made by something the analysis does not follow: if it is a module, its parameters count
        mod.children[name] = opaque(it, value.reason, node, frame, mod.framework)
    elif isinstance(value, Unknown) and name in mod.children and mod.children[name] is not None:
        # a module's child replaced by a value known only at run time (`self.layers += [...]` that could not be
        # followed): a module may be there now, its parameters unknown -- never the old child's count
        mod.children[name] = opaque(it, value.reason, node, frame, mod.framework)
    else:
        if mod.framework == "keras" and isinstance(value, (list, tuple, dict)) and _holds_layers(value):
            mod.children[name] = value   # Keras tracks layers in lists and dicts
        mod.attrs[name] = value


def set_keras_trainable(it, mod: Mod, value, span=None) -> None:
    """`layer.trainable = False`: Keras sets it on the layer and every layer inside it (a frozen base model);
    a value known only at run time makes their split unknown. `span`: where (the hover says so)."""
    flag = value if isinstance(value, bool) else None
    stack, seen = [mod], set()
    while stack:
        m = stack.pop()
        if type(m) is not Mod or id(m) in seen:
            continue
        seen.add(id(m))
        m.trainable = flag if flag is not None else Unknown("`trainable` is set to a value known only at run time")
        m.attrs["__trainable_at__"] = span
        for c in m.children.values():
            if isinstance(c, (list, tuple)):
                stack.extend(c)
            elif isinstance(c, dict):
                stack.extend(c.values())
            else:
                stack.append(c)


def _holds_layers(value) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return any(type(v) is Mod for v in items)


__all__ = ["Mod", "new_mod", "leaf", "opaque", "as_module", "call_mod", "run_rule", "torch_sequential",
           "torch_modulelist", "torch_moduledict", "parameter", "SELF_METHODS", "set_mod_attr", "clean"]
