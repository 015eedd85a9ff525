"""Names from libraries (torch, keras, numpy, math, functools, copy, ...) and the objects they make.

A library name is a Native (its canonical dotted name). Calling one dispatches on that name: torch.nn
constructors make modules (modules.py), Keras constructors layers and models (keras.py), torch.* and
F.* functions work on tensors (tensors.py), math / functools / copy / collections / dataclasses behave as
Python's do. A library call the analysis does not follow gives an Opaque value (it may be a module) or,
with tensor arguments, a tensor of unknown shape; the reason says which call.

This module also holds the behaviour of the file's classes that derive from framework classes (their
objects are Mods), and the generic object protocol (attributes, items, iteration, truth) for objects
that are not plain Python values.
"""
from __future__ import annotations

import ast
import copy as _copy
import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Optional

from ...frameworks import catalogs
from ...frameworks.prelude import TORCH_NN_CLASSES as PRELUDE_CLASSES
from ...frameworks.class_bases import BASES
from ...frameworks.base import Signature, bind
from ..shapes import Shape
from . import modules as M
from .objects import (MISSING, BoundMethod, ClassMethod, FrameRef, Function, Instance, Native, NativeMethod, Opaque,
                      ModuleStore, Param, Partial, Property, StaticMethod, Super, Tensor, Unknown, UserClass)

_TENSORS = None


def tensors():
    """tensors.py, imported on first use (it imports this module)."""
    global _TENSORS
    if _TENSORS is None:
        from . import tensors as t

        _TENSORS = t
    return _TENSORS


def keras():
    from . import keras as k

    return k


# ====================================================================== names

# Conventional names used in snippets that omit their imports.
DEFAULT_ALIASES = {"nn": "torch.nn", "torch": "torch", "tf": "tensorflow", "keras": "keras", "layers": "keras.layers",
                   "F": "torch.nn.functional", "np": "numpy"}

_CANON_PREFIXES = (
    ("tensorflow.python.keras", "keras"), ("tensorflow.keras", "keras"), ("tf_keras", "keras"),
    ("keras.api", "keras"), ("keras.models", "keras"),
    ("torch.nn.parameter", "torch.nn"), ("torch.nn.modules.container", "torch.nn"),
)
_KERAS_SRC = re.compile(r"^keras\.src\.(layers|models|ops|activations|backend|applications|initializers|"
                        r"regularizers|utils|random|saving|losses|optimizers)((?:\.[A-Za-z_0-9]+)*)$")
_TORCH_MODULES = re.compile(r"^torch\.nn\.modules(?:\.[a-z_0-9]+)?\.([A-Z][A-Za-z_0-9]*)(.*)$")
_KERAS_LAYER_PATH = re.compile(r"^keras\.layers\.(?:[a-z_0-9]+\.)+([A-Z][A-Za-z_0-9]*)(.*)$")
# torch's eager-mode quantization modules, wherever they are imported from (torch.ao.quantization.QuantStub,
# torch.quantization.stubs.DeQuantStub, torch.nn.quantized.FloatFunctional, ...): the prelude's classes
_TORCH_QUANT = re.compile(r"^torch\.(?:ao\.)?(?:quantization|nn\.quantized)(?:\.[a-z_0-9]+)*\."
                          r"(QuantStub|DeQuantStub|FloatFunctional)(.*)$")


@functools.lru_cache(maxsize=8192)
def canonical(name: str) -> str:
    """One spelling per framework object: tf.keras / tensorflow.keras / keras.src.* are Keras 3's public
    names, torch.nn.modules.conv.Conv2d is torch.nn.Conv2d."""
    for prefix, repl in _CANON_PREFIXES:
        if name == prefix or name.startswith(prefix + "."):
            name = repl + name[len(prefix):]
    m = _KERAS_SRC.match(name)
    if m:
        area, rest = m.group(1), m.group(2)
        if area == "models":
            last = rest.rsplit(".", 1)[-1] if rest else ""
            name = {"Functional": "keras.Model", "Model": "keras.Model", "Sequential": "keras.Sequential"}.get(
                last, "keras" + (f".{last}" if last else ""))
        else:
            name = f"keras.{area}{rest}"
    m = _KERAS_LAYER_PATH.match(name)
    if m:
        name = f"keras.layers.{m.group(1)}{m.group(2)}"
    m = _TORCH_MODULES.match(name) or _TORCH_QUANT.match(name)
    if m:
        name = f"torch.nn.{m.group(1)}{m.group(2)}"
    if name == "keras.Functional":
        name = "keras.Model"
    if name in ("keras.layers.Layer", "keras.Layer"):
        name = "keras.layers.Layer"
    return name


def imported(name: str):
    return Native(canonical(name))


def default_name(name: str):
    full = DEFAULT_ALIASES.get(name)
    if full is not None:
        return Native(full)
    return Unknown(f"`{name}` is not defined in this file")


def star_import(it, module: str, level: int, frame) -> None:
    """`from torch.nn import *`: names the file does not define resolve in that module."""
    if level:
        return
    stars = frame.globals.setdefault("__star_imports__", [])
    stars.append(canonical(module))


def star_lookup(globals_: dict, name: str):
    for module in globals_.get("__star_imports__", ()):
        if module in ("torch.nn", "keras.layers", "torch", "keras", "torch.nn.functional") or \
                module.startswith(("torch.nn.", "keras.layers.")):
            if name[:1].isupper() or module == "torch.nn.functional":
                return Native(canonical(f"{module}.{name}"))
    return MISSING


# ====================================================================== classes of the file

TORCH_BASES = {"torch.nn.Module": "torch.nn.Module", "torch.nn.modules.module.Module": "torch.nn.Module"}
KERAS_BASES = {"keras.Model", "keras.layers.Layer", "keras.Sequential"}


def framework_of(native: str) -> Optional[str]:
    if native in TORCH_BASES or native in ("torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"):
        return "torch"
    if native in KERAS_BASES:
        return "keras"
    if native.startswith(M.TORCH_NN) and catalogs.get("torch").lookup(native) is not None:
        return "torch"
    if native.startswith("keras.layers.") and catalogs.get("keras").lookup(native) is not None:
        return "keras"
    return None


def init_class(it, cls: UserClass) -> None:
    """MRO (C3), and which framework class (if any) the class derives from."""
    from ...frameworks.prelude import AUTOGRAD_FUNCTION

    if any(isinstance(b, Native) and b.name in AUTOGRAD_FUNCTION for b in cls.bases):   # a custom autograd op
        function = prelude_class(it, "Function")
        cls.bases = [function if isinstance(b, Native) and b.name in AUTOGRAD_FUNCTION else b for b in cls.bases]
    if any(_prelude_name(b) for b in cls.bases):
        # a subclass of a module the prelude writes out (pytorch/examples' `class TransformerModel(nn.Transformer)`
        # replaces the decoder it builds): its __init__ runs torch's structure, so a child it replaces goes
        cls.bases = [prelude_class(it, _prelude_name(b)) if _prelude_name(b) else b for b in cls.bases]
    cls.mro = [cls] + _c3([_mro_of(b) for b in cls.bases] + [list(cls.bases)])
    for c in cls.mro[1:]:
        if isinstance(c, UserClass):
            if c.framework:
                cls.framework, cls.native = c.framework, c.native
                break
        elif isinstance(c, Native):
            fw = framework_of(c.name)
            if fw:
                cls.framework, cls.native = fw, TORCH_BASES.get(c.name, c.name)
                break
    if any(isinstance(b, Unknown) for b in cls.bases) and cls.framework is None:
        why = next(b for b in cls.bases if isinstance(b, Unknown))
        cls.ns.setdefault("__unknown_base__", why)


def _mro_of(base) -> list:
    if isinstance(base, UserClass):
        return list(base.mro)
    return [base]


def _c3(seqs: list) -> list:
    out: list = []
    seqs = [list(s) for s in seqs if s]
    while seqs:
        for s in seqs:
            head = s[0]
            if not any(head in other[1:] for other in seqs):
                break
        else:   # inconsistent hierarchy: Python raises; keep a depth-first order
            head = seqs[0][0]
        out.append(head)
        seqs = [[x for x in s if x is not head] for s in seqs]
        seqs = [s for s in seqs if s]
    return out


def new_object(it, cls: UserClass, node, frame):
    if cls.framework is None and "__unknown_base__" in cls.ns:
        # derived from a class the analysis cannot see (imported from another file): it may be a module,
        # so a model holding it has an unknown total; its own attributes and methods still work
        why = cls.ns["__unknown_base__"]
        mod = M.new_mod(it, it.unit.guess_framework(), M.USER, cls.name, node, frame)
        mod.cls = cls
        mod.taint = Unknown(f"`{cls.name}` derives from a class the analysis cannot see ({why.reason}): its "
                            f"parameters may be more than the ones found here")
        return mod
    if cls.framework is None:
        return Instance(cls)
    mod = M.new_mod(it, cls.framework, M.USER, cls.name, node, frame)
    mod.cls = cls
    native = cls.native or ""
    if native in ("torch.nn.ModuleList",):
        mod.kind = M.MODULELIST
    elif native in ("torch.nn.ModuleDict",):
        mod.kind = M.MODULEDICT
    return mod


def native_init(it, base: str, obj, args: list, kwargs: dict, node, frame, star) -> None:
    """The framework base class's __init__, run on an object of a file's subclass."""
    if not isinstance(obj, M.Mod):
        return
    if base == "torch.nn.Sequential" or base == "keras.Sequential":
        if base == "keras.Sequential":
            keras().sequential_init(it, obj, args, kwargs, node, frame)
        else:
            M.fill_sequential(it, obj, args, star, node, frame)
        return
    if base == "torch.nn.ModuleList":
        filled = M.torch_modulelist(it, args, node, frame)
        obj.children.update(filled.children)
        obj.taint = obj.taint or filled.taint
        return
    if base == "torch.nn.ModuleDict":
        filled = M.torch_moduledict(it, args, node, frame)
        obj.children.update(filled.children)
        obj.taint = obj.taint or filled.taint
        return
    if base == "keras.Model" and (args or "inputs" in kwargs):
        keras().functional_init(it, obj, args, kwargs, node, frame)
        return
    if base in ("torch.nn.Module", "keras.layers.Layer", "keras.Model", "object"):
        if base != "object" and obj.framework == "keras":
            keras().layer_kwargs(it, obj, kwargs)
        return
    fw = framework_of(base)
    if fw is not None:   # a catalog layer: `class MyConv(nn.Conv2d)` calling super().__init__(...)
        made = M.leaf(it, fw, base, args, kwargs, star, node, frame)
        obj.rule, obj.args, obj.kwargs, obj.star = made.rule, made.args, made.kwargs, made.star
        obj.leaf_ctx = made.leaf_ctx
        obj.layer_name = made.layer_name


def dataclass_init(it, cls: UserClass, obj, args: list, kwargs: dict, node, frame, star) -> None:
    """The __init__ that @dataclass writes: one parameter per annotated field, in order, with defaults."""
    fields = dataclass_fields(cls)
    given = dict(kwargs)
    for i, name in enumerate(fields):
        if i < len(args):
            value = args[i]
        elif name in given:
            value = given.pop(name)
        elif star is not None:
            value = star
        else:
            value, _ = cls.lookup(name)
            if value is MISSING:
                value = Unknown(f"the dataclass field `{name}` is not given")
            elif isinstance(value, Unknown) and "field(" in value.reason:
                value = value
        if isinstance(obj, Instance):
            obj.attrs[name] = _copy_default(value)
        elif isinstance(obj, M.Mod):
            M.set_mod_attr(it, obj, name, value, node, frame)
    post, _ = cls.lookup("__post_init__")
    if isinstance(post, Function):
        it.call_function(post, [obj], {}, node, frame)


def _copy_default(value):
    if isinstance(value, FieldDefault):
        return value.make()
    return value


class FieldDefault:
    """dataclasses.field(default_factory=...)."""

    __slots__ = ("factory", "it", "node", "frame")

    def __init__(self, factory, it, node, frame) -> None:
        self.factory, self.it, self.node, self.frame = factory, it, node, frame

    def make(self):
        return self.it.call(self.factory, [], {}, self.node, self.frame)


def init_failed(it, obj, result: Unknown) -> None:
    """__init__ could not run to its end (a required argument is missing, a `raise`): what it would have
    built is unknown."""
    if isinstance(obj, M.Mod) and obj.problem is None:
        obj.problem = result


def apply_decorator(it, dec, value, node, frame):
    t = type(dec)
    if t is Native:
        name = dec.name
        if name == "builtins.staticmethod":
            return StaticMethod(value)
        if name == "builtins.classmethod":
            return ClassMethod(value)
        if name == "builtins.property" or name == "functools.cached_property":
            return Property(value)
        if name in ("dataclasses.dataclass", "dataclass") and isinstance(value, UserClass):
            value.dataclass = True
            return value
        return value   # a framework or library decorator (torch.no_grad(), register_model()...): as is
    if t is Function:
        result = it.call_function(dec, [value], {}, node, frame)
        if isinstance(result, Unknown) or result is None:
            return value
        return result
    if t is NativeMethod and isinstance(dec.obj, Property):
        return dec.obj
    if t is Wraps:
        if isinstance(value, Function):
            value.attrs["__wrapped__"] = dec.wrapped
        return value
    if t is BoundMethod or t is Partial or t is UserClass:
        result = it.call(dec, [value], {}, node, frame)
        return value if isinstance(result, Unknown) or result is None else result
    return value   # unknown decorator (imported from another file): most keep the function as it is


# ====================================================================== calls of library names

def call_native(it, name: str, args: list, kwargs: dict, node, frame, star):
    head = name.split(".", 1)[0]
    if head == "builtins":
        from . import pybuiltins

        return pybuiltins.call_builtin(it, name[9:], args, kwargs, node, frame, star)
    if head == "torch":
        return _torch(it, name, args, kwargs, node, frame, star)
    if head == "keras" or head == "tensorflow":
        return keras().call(it, name, args, kwargs, node, frame, star)
    handler = _LIBRARY.get(name)
    if handler is not None:
        return handler(it, args, kwargs, node, frame, star)
    if head == "einops":
        from . import einops_calls

        out = einops_calls.call(it, name, args, kwargs, node, frame, star)
        if out is not None:
            return out
    if head == "math":
        return _math(it, name[5:], args, kwargs, node, frame)
    if head in ("numpy", "jax"):
        return tensors().array_call(it, name, args, kwargs, node, frame, star)
    if name.endswith(".__init__"):
        base = name[: -len(".__init__")]
        if args and (framework_of(base) or base in TORCH_BASES):
            native_init(it, TORCH_BASES.get(base, base), args[0], args[1:], kwargs, node, frame, star)
            return None
    if name.rsplit(".", 1)[-1] == "summary" and args:
        it.unit.summary_call(it, name, args, kwargs, node, frame)
        return None
    return unfollowed(it, name, args, kwargs, node, frame)


def may_change(it, args: list, kwargs: dict, callee: str) -> None:
    """Lists and dicts handed to a function the analysis does not follow may be changed by it (torchvision's
    `_ovewrite_named_param(kwargs, "groups", 32)`): their contents are unknown from then on."""
    for v in list(args) + list(kwargs.values()):
        if isinstance(v, (list, dict, set)) and it.taint_of(v) is None:
            it.set_taint(v, Unknown(f"it is passed to `{callee}`, which shapelens does not follow and which may "
                                    f"change it"))


def unfollowed(it, name: str, args: list, kwargs: dict, node, frame):
    may_change(it, args, kwargs, f"{name}()")
    why = f"`{name}()` is not something shapelens follows"
    if any(isinstance(a, Tensor) for a in list(args) + list(kwargs.values())):
        return tensors().unknown_op(it, node, frame, list(args) + list(kwargs.values()), why)
    return Opaque(it.located(why))


def weight_norm(it, name: str, args: list, kwargs: dict, node, frame):
    """torch.nn.utils(.parametrizations).weight_norm(module, name='weight', dim=0): the weight becomes
    g · v/‖v‖, v the weight's shape and g one number per index of `dim` (dim -1 or None: one number for the
    whole tensor; torch 2.13 norm_except_dim). Shapes are unchanged; the module gains g's parameters."""
    bound = bind(Signature.parse("module, name='weight', dim=0"), args, kwargs, None)
    mod, which, dim = bound.values.get("module"), bound.values.get("name"), bound.values.get("dim")
    if bound.errors or type(mod) is not M.Mod or not isinstance(which, str):
        return unfollowed(it, name, args, kwargs, node, frame)
    weight = mod_attr(it, mod, which, node, frame)
    shape = getattr(weight, "shape", None)
    if not isinstance(weight, Param) or shape is None or shape.open_rank or \
            not (dim is None or (isinstance(dim, int) and not isinstance(dim, bool) and -len(shape) <= dim < len(shape))):
        return unfollowed(it, name, args, kwargs, node, frame)
    if dim is None or dim == -1:
        g = Shape.of([])
    else:
        g = Shape.of([shape[d] if d == dim % len(shape) else 1 for d in range(len(shape))])
    set_object_attr(it, mod, f"{which}_g", Param(g, span=mod.span), node, frame)
    mod.attrs["__added_params__"] = dict(mod.attrs.get("__added_params__", {}), **{
        f"{which}_g": f"weight_norm(dim={dim}) at {it.where() or 'its call'}"})
    return mod


def _torch(it, name: str, args, kwargs, node, frame, star):
    if name.startswith(M.TORCH_NN):
        rest = name[len(M.TORCH_NN):]
        if rest.startswith("functional."):
            return tensors().call_functional(it, rest[len("functional."):], args, kwargs, node, frame, star)
        if rest.startswith("init."):
            return args[0] if args else None
        if rest in ("utils.spectral_norm", "utils.parametrizations.spectral_norm"):
            return args[0] if args else None   # the same parameter count (weight_orig replaces weight)
        if rest in ("utils.weight_norm", "utils.parametrizations.weight_norm"):
            return weight_norm(it, name, args, kwargs, node, frame)
        if rest == "Sequential":
            return M.torch_sequential(it, args, kwargs, star, node, frame)
        if rest == "ModuleList":
            return M.torch_modulelist(it, args, node, frame)
        if rest == "ModuleDict":
            return M.torch_moduledict(it, args, node, frame)
        if rest == "ParameterList":
            return M.torch_modulelist(it, args, node, frame, M.PARAMLIST)
        if rest == "ParameterDict":
            return M.torch_moduledict(it, args, node, frame, M.PARAMDICT)
        if rest == "Parameter" or rest == "UninitializedParameter":
            return M.parameter(it, args, kwargs, node, frame)
        if rest == "Module":
            return M.new_mod(it, "torch", M.USER, "torch.nn.Module", node, frame)
        if rest in PRELUDE_CLASSES:   # built of other modules: run torch's own structure (frameworks/prelude.py)
            return it.call(prelude_class(it, rest), args, kwargs, node, frame, star)
        if "." not in rest and rest[:1].isupper():
            return M.leaf(it, "torch", name, args, kwargs, star, node, frame)
        return unfollowed(it, name, args, kwargs, node, frame)
    return tensors().call_torch(it, name, args, kwargs, node, frame, star)


def _prelude_name(base) -> Optional[str]:
    """`Transformer` for the native base torch.nn.Transformer, when the prelude writes that class out."""
    if isinstance(base, Native) and base.name.startswith(M.TORCH_NN):
        rest = base.name[len(M.TORCH_NN):]
        return rest if rest in PRELUDE_CLASSES else None
    return None


def prelude_class(it, name: str):
    from ...frameworks.prelude import TORCH_NN

    module = it.unit.loader.source_module("torch.nn <shapelens prelude>", TORCH_NN)
    cls = module.globals.get(name)
    if isinstance(cls, UserClass):
        cls.native = cls.native or f"torch.nn.{name}"
    return cls


def _prelude_constructed(it, args, kwargs, node, frame, star):
    """__shapelens__.constructed(self, "Name", *args, **kwargs): the catalog entry `Name` with these
    constructor arguments checks them now (as torch's __init__ does) and sizes the module's calls later."""
    if len(args) < 2 or not isinstance(args[0], M.Mod) or not isinstance(args[1], str):
        return None
    mod, name = args[0], args[1]
    report = kwargs.pop("report", True)
    rule = catalogs.get("torch").get(name)
    if rule is None:
        return None
    probe = M.Mod("torch", M.LEAF, f"torch.nn.{name}", mod.span, 0)
    probe.rule, probe.args, probe.kwargs = rule, list(args[2:]), dict(kwargs)
    mod.attrs["__rule__"] = probe
    if report:
        ctx = M.run_rule(it, probe, None, {})
        for f in ctx.findings:
            if not f.related_to_input:
                M.report(it, mod.span, f.code, f.severity, f.message)
    return None


def _prelude_rule(it, args, kwargs, node, frame, star):
    """__shapelens__.rule(self, *tensors, **options): the catalog entry given at construction run on this
    call (its shapes and the checks the framework makes in forward), parameters aside."""
    mod = args[0] if args else None
    probe = mod.attrs.get("__rule__") if isinstance(mod, M.Mod) else None
    if probe is None:
        return Tensor(None, "the module's arguments are unknown")
    x = args[1] if len(args) > 1 else None
    if not isinstance(x, Tensor):
        x = Tensor(None, x.reason if isinstance(x, Unknown) else "the input is not a tensor the analysis follows")
    call, errors = M.call_args(probe.rule, list(args[1:]), kwargs)
    ctx = M.run_rule(it, probe, x, call)
    for e in errors:
        ctx.error("SL110", f"{probe.rule.name}.forward() {e}", related_to_input=True)
    span = it.anchor()
    if it.recorder is not None:
        it.recorder.leaf_call(mod, ctx, x, span)   # its row: the output and MACs of its first call
    for f in ctx.findings:
        if f.related_to_input:
            related = [x.producer] if x.producer else []
            M.report(it, span, f.code, f.severity, f"{mod_path(it, mod)}: {f.message}", related)
    producer = (span, f"{probe.rule.name} produces {ctx.out.text() if ctx.out else '?'}")
    out = Tensor(ctx.out, "; ".join(ctx.unknown), ctx.out_origin, producer)
    if ctx.outputs is not None:
        return M.outputs(ctx.outputs, out, probe, producer)
    return out


def _prelude_fail(it, args, kwargs, node, frame, star):
    """__shapelens__.fail(code, message): where torch's own code raises, an error on the user's line."""
    if len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], str):
        M.report(it, it.anchor(), args[0], "error", args[1])
        from .objects import Raise

        raise Raise(args[1])
    return None


def mod_path(it, mod) -> str:
    return M.mod_label(it, mod)


class Wraps:
    """functools.wraps(wrapped) before it is applied: the decorator that marks a wrapper as `wrapped`'s."""

    __slots__ = ("wrapped",)

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped


class InspectParameter:
    """inspect.Parameter of a function of the file: its name, kind and default."""

    __slots__ = ("name", "kind", "default")
    KINDS = {"POSITIONAL_ONLY": 0, "POSITIONAL_OR_KEYWORD": 1, "VAR_POSITIONAL": 2, "KEYWORD_ONLY": 3,
             "VAR_KEYWORD": 4}

    def __init__(self, name: str, kind: int, default) -> None:
        self.name, self.kind, self.default = name, kind, default


def _wraps(it, args, kwargs, node, frame, star):
    return Wraps(args[0]) if args else Unknown("functools.wraps() without a function")


def _signature(it, args, kwargs, node, frame, star):
    """inspect.signature(fn) of a function of the file, through functools.wraps' __wrapped__ as Python does."""
    fn = args[0] if args else None
    for _ in range(16):
        if isinstance(fn, Function) and "__wrapped__" in fn.attrs:
            fn = fn.attrs["__wrapped__"]
        elif isinstance(fn, BoundMethod) and isinstance(fn.fn, Function):
            fn = fn.fn
        else:
            break
    if not isinstance(fn, Function):
        return Unknown("inspect.signature() of something the analysis does not follow")
    a = fn.node.args
    params: dict = {}
    first_default = len(a.posonlyargs + a.args) - len(fn.defaults)
    empty = Native("inspect.Parameter.empty")
    for i, p in enumerate(a.posonlyargs + a.args):
        kind = 0 if i < len(a.posonlyargs) else 1
        params[p.arg] = InspectParameter(p.arg, kind, fn.defaults[i - first_default] if i >= first_default else empty)
    if a.vararg:
        params[a.vararg.arg] = InspectParameter(a.vararg.arg, 2, empty)
    for p in a.kwonlyargs:
        params[p.arg] = InspectParameter(p.arg, 3, fn.kwdefaults.get(p.arg, empty))
    if a.kwarg:
        params[a.kwarg.arg] = InspectParameter(a.kwarg.arg, 4, empty)
    return InspectSignature(it.born(params))


class InspectSignature:
    __slots__ = ("parameters",)

    def __init__(self, parameters: dict) -> None:
        self.parameters = parameters


def _math(it, fn: str, args, kwargs, node, frame):
    if fn in ("pi", "e", "inf", "tau"):
        return getattr(math, fn)
    f = getattr(math, fn, None)
    if f is None or not callable(f):
        return Unknown(f"`math.{fn}` is not followed")
    if fn == "prod":
        items = it.iterate(args[0], node, frame) if args else []
        if isinstance(items, Unknown):
            return items
        args = [items]
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
            return Unknown(f"`{frame.code.text(node)}` multiplies values known only at run time")
    elif not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        u = next((a for a in args if isinstance(a, Unknown)), None)
        return u or Unknown(f"`{frame.code.text(node)}` is only known at run time")
    try:
        result = f(*args)
    except (ValueError, TypeError, OverflowError):
        return Unknown(f"`{frame.code.text(node)}` cannot be evaluated")
    if isinstance(result, int) and result.bit_length() > 4096:
        return Unknown(f"`{frame.code.text(node)}` is an absurdly large number")
    return result


def _partial(it, args, kwargs, node, frame, star):
    if not args:
        return Unknown("partial() without a function")
    fn = args[0]
    if type(fn) is Partial:   # CPython flattens a partial of a partial: .func is the innermost function
        merged = dict(fn.kwargs)
        merged.update(kwargs)
        return Partial(fn.fn, list(fn.args) + list(args[1:]), merged)
    return Partial(fn, list(args[1:]), dict(kwargs))


def _reduce(it, args, kwargs, node, frame, star):
    if len(args) < 2:
        return Unknown("reduce() of values known only at run time")
    items = it.iterate(args[1], node, frame)
    if isinstance(items, Unknown):
        return items
    if len(args) > 2:
        acc, rest = args[2], items
    elif items:
        acc, rest = items[0], items[1:]
    else:
        return Unknown("reduce() of an empty sequence")
    for x in rest:
        acc = it.call(args[0], [acc, x], {}, node, frame)
    return acc


def _deepcopy(it, args, kwargs, node, frame, star):
    if not args:
        return Unknown("deepcopy() without a value")
    return deep_copy(it, args[0], {})


def _shallow_copy(it, args, kwargs, node, frame, star):
    v = args[0] if args else None
    if isinstance(v, list):
        return it.born(list(v))
    if isinstance(v, dict):
        return it.born(dict(v))
    if isinstance(v, M.Mod):
        return deep_copy(it, v, {}, shallow=True)
    return v


def deep_copy(it, v, memo: dict, shallow: bool = False):
    """copy.deepcopy of the interpreter's values: modules get new identities (their own parameters),
    constants stay."""
    key = id(v)
    if key in memo:
        return memo[key]
    t = type(v)
    if t is list:
        out = it.born([])
        memo[key] = out
        out.extend(deep_copy(it, x, memo) for x in v)
        return out
    if t is tuple:
        return tuple(deep_copy(it, x, memo) for x in v)
    if t is dict:
        out = it.born({})
        memo[key] = out
        out.update((k, deep_copy(it, x, memo)) for k, x in v.items())
        return out
    if t is M.Mod:
        new = M.Mod(v.framework, v.kind, v.qualname, v.span, it.next_serial())
        memo[key] = new
        for slot in M.Mod.__slots__:
            if slot in ("serial", "__weakref__"):
                continue
            setattr(new, slot, getattr(v, slot))
        if not shallow:
            new.children = {k: deep_copy(it, c, memo) for k, c in v.children.items()}
            new.params = {k: deep_copy(it, p, memo) for k, p in v.params.items()}
            new.attrs = {k: deep_copy(it, a, memo) for k, a in v.attrs.items()}
            new.buffers = dict(v.buffers)
        else:
            new.children, new.params, new.attrs = dict(v.children), dict(v.params), dict(v.attrs)
        new.built = None if new.framework == "keras" else new.built
        return new
    if t is Param:
        p = Param(v.shape, v.requires_grad, v.span, v.reason)
        memo[key] = p
        return p
    if t is Instance:
        new = Instance(v.cls)
        memo[key] = new
        new.attrs = {k: deep_copy(it, a, memo) for k, a in v.attrs.items()}
        return new
    return v


def _ordered_dict(it, args, kwargs, node, frame, star):
    from .pybuiltins import call_builtin

    return call_builtin(it, "dict", args, kwargs, node, frame, star)


def _defaultdict(it, args, kwargs, node, frame, star):
    """collections.defaultdict(factory, ...): a dict whose missing keys the factory fills (pybuiltins.get_item)."""
    from .pybuiltins import call_builtin

    factory = args[0] if args else kwargs.get("default_factory")
    d = call_builtin(it, "dict", list(args[1:]), {k: v for k, v in kwargs.items() if k != "default_factory"},
                     node, frame, star)
    if isinstance(d, dict) and factory is not None:
        it.default_factories[id(d)] = (d, factory, node, frame)
    return d


def _deque(it, args, kwargs, node, frame, star):
    """collections.deque(iterable): followed as a list (appendleft/popleft/extendleft work on it)."""
    if kwargs.get("maxlen") is not None or len(args) > 1:
        return Opaque("a deque with a maxlen is not followed")
    items = it.iterate(args[0], node, frame) if args else []
    if isinstance(items, Unknown):
        return items
    return it.born(list(items))


def dataclass_fields(cls: UserClass) -> list:
    fields = []
    for c in reversed(cls.mro):
        if isinstance(c, UserClass) and c.dataclass:
            for name in c.ns.get("__annotations__", {}):
                if name not in fields:
                    fields.append(name)
    return fields


def _dc_replace(it, args, kwargs, node, frame, star):
    """dataclasses.replace(obj, **changes): a new object of obj's class from obj's fields and the changes."""
    obj = args[0] if args else None
    if star is not None or not isinstance(obj, Instance) or not obj.cls.dataclass:
        return Opaque("`dataclasses.replace()` of an object the analysis does not follow")
    given = {f: obj.attrs[f] for f in dataclass_fields(obj.cls) if f in obj.attrs}
    given.update(kwargs)
    return it.call(obj.cls, [], given, node, frame)


def _dc_asdict(it, args, kwargs, node, frame, star):
    obj = args[0] if args else None
    if not isinstance(obj, Instance) or not obj.cls.dataclass or kwargs:
        return Opaque("`dataclasses.asdict()` of an object the analysis does not follow")
    out = {}
    for f in dataclass_fields(obj.cls):
        v = obj.attrs.get(f, MISSING)
        if v is MISSING:
            return Opaque(f"`dataclasses.asdict()`: the field `{f}` is not set")
        out[f] = deep_copy(it, v, {})
    return it.born(out)


def _field(it, args, kwargs, node, frame, star):
    if "default" in kwargs:
        return kwargs["default"]
    if "default_factory" in kwargs:
        return FieldDefault(kwargs["default_factory"], it, node, frame)
    return Unknown("a dataclass field(...) without a default")


def _identity(it, args, kwargs, node, frame, star):
    return args[-1] if args else None


def _itertools_chain(it, args, kwargs, node, frame, star):
    out = []
    for a in args:
        items = it.iterate(a, node, frame)
        if isinstance(items, Unknown):
            return items
        out.extend(items)
    return it.born(out)


def _itertools_product(it, args, kwargs, node, frame, star):
    import itertools

    seqs = []
    for a in args:
        items = it.iterate(a, node, frame)
        if isinstance(items, Unknown):
            return items
        seqs.append(items)
    repeat = kwargs.get("repeat", 1)
    if not isinstance(repeat, int):
        return Unknown("product() with a repeat known only at run time")
    total = math.prod(len(s) for s in seqs) ** repeat if seqs else 0
    if total > 100_000:
        return Unknown("a product too large to follow")
    return it.born([tuple(p) for p in itertools.product(*seqs, repeat=repeat)])


def _itertools_repeat(it, args, kwargs, node, frame, star):
    times = args[1] if len(args) > 1 else kwargs.get("times")
    if not isinstance(times, int) or times > 100_000:
        return Unknown("repeat() of a length known only at run time")
    return it.born([args[0]] * times)


def _namedtuple(it, args, kwargs, node, frame, star):
    return Opaque("a namedtuple class")


def _none(it, args, kwargs, node, frame, star):
    return None


def _currentframe(it, args, kwargs, node, frame, star):
    for i in range(len(it.frames) - 1, -1, -1):
        if it.frames[i] is frame:
            return FrameRef(frame, i)
    return FrameRef(frame, len(it.frames))


def _getargvalues(it, args, kwargs, node, frame, star):
    ref = args[0] if args else None
    if not isinstance(ref, FrameRef):
        return Unknown("getargvalues() of a frame the analysis does not follow")
    f = ref.frame
    names = []
    fn = getattr(f, "fn", None)
    if isinstance(fn, Function):
        a = fn.node.args
        names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
        varargs = a.vararg.arg if a.vararg else None
        varkw = a.kwarg.arg if a.kwarg else None
    else:
        varargs = varkw = None
    return (it.born(names), varargs, varkw, it.born(dict(f.vars)))


def frame_attr(it, ref, name: str):
    if name == "f_back":
        for i in range(ref.index - 1, -1, -1):
            return FrameRef(it.frames[i], i)
        return Unknown("the outermost frame has no caller the analysis follows")
    if name == "f_locals":
        return it.born(dict(ref.frame.vars))
    if name == "f_globals":
        return ref.frame.globals
    return Unknown(f"`frame.{name}` is not followed")


_LIBRARY = {
    "functools.partial": _partial, "functools.reduce": _reduce, "copy.deepcopy": _deepcopy, "copy.copy": _shallow_copy,
    "collections.defaultdict": _defaultdict, "collections.deque": _deque, "dataclasses.replace": _dc_replace,
    "dataclasses.asdict": _dc_asdict, "collections.OrderedDict": _ordered_dict, "typing.OrderedDict": _ordered_dict, "dataclasses.field": _field,
    "typing.cast": _identity, "itertools.chain": _itertools_chain, "itertools.product": _itertools_product,
    "itertools.repeat": _itertools_repeat, "collections.namedtuple": _namedtuple, "warnings.warn": _none,
    "logging.info": _none, "logging.warning": _none, "torchvision.utils._log_api_usage_once": _none,
    "random.seed": _none, "inspect.currentframe": _currentframe, "inspect.getargvalues": _getargvalues,
    "__shapelens__.constructed": _prelude_constructed, "__shapelens__.rule": _prelude_rule,
    "__shapelens__.fail": _prelude_fail, "functools.wraps": _wraps, "inspect.signature": _signature,
}


# ====================================================================== methods of objects

def call_method(it, obj, name: str, args: list, kwargs: dict, node, frame, star):
    t = type(obj)
    if ":" in name:   # a framework base class's method reached through super()
        base, _, method = name.partition(":")
        return _base_method(it, base, method, obj, args, kwargs, node, frame, star)
    if t in (list, dict, str, tuple, set, frozenset, int, float):
        from .pybuiltins import call_plain_method

        if star is not None:
            return Unknown(star.reason)
        return call_plain_method(it, obj, name, args, kwargs, node, frame)
    if t is M.Mod:
        return mod_method(it, obj, name, args, kwargs, node, frame, star)
    if t is ModuleStore:
        return store_method(it, obj, name, args, node, frame)
    if t is Tensor or t is Param:
        return tensors().call_method(it, obj, name, args, kwargs, node, frame, star)
    if t is Property:
        return obj
    return Unknown(f"`{frame.code.text(node)}` is not followed")


def _base_method(it, base: str, method: str, obj, args, kwargs, node, frame, star):
    if base.startswith("dataclass@") and isinstance(obj, Instance):
        dataclass_init(it, obj.cls.mro[int(base[10:])], obj, args, kwargs, node, frame, star)
        return None
    if method == "__init__":
        if base != "object":
            native_init(it, base, obj, args, kwargs, node, frame, star)
        return None
    if isinstance(obj, M.Mod):
        if method in ("forward", "call", "__call__"):
            if obj.rule is not None:
                return M.apply_leaf(it, obj, args, kwargs, node, frame)
            if base in ("torch.nn.Sequential", "keras.Sequential"):
                return M.call_chain(it, obj, args, kwargs, node, frame)
        return mod_method(it, obj, method, args, kwargs, node, frame, star)
    return Unknown(f"`super().{method}()` belongs to the framework's base class")


def mod_method(it, mod, name: str, args: list, kwargs: dict, node, frame, star):
    if name in M.SELF_METHODS:
        if name == "requires_grad_":
            freeze(it, mod, args[0] if args else kwargs.get("requires_grad", True), node, frame)
        return mod
    if name in ("forward", "__call__", "call"):
        return M.call_mod(it, mod, args, kwargs, node, frame)
    if mod.framework == "keras":
        return keras().model_method(it, mod, name, args, kwargs, node, frame, star)
    if name in ("__setattr__", "__getattr__", "__delattr__"):   # DLA: self.__setattr__('level_%d' % i, tree)
        return _dunder_attr(it, mod, name, args, node, frame)
    if name in ("add_module", "register_module") and len(args) >= 2:
        if not isinstance(args[0], str):
            it.set_taint(mod, Unknown(f"a module is added under a name known only at run time "
                                      f"(`{frame.code.text(node)}`)"))
            return None
        it.mutated(mod)
        mod.children[args[0]] = M.as_module(it, args[1], node, frame, mod.framework) if args[1] is not None else None
        return None
    if name == "register_parameter" and len(args) >= 2:
        if isinstance(args[0], str):
            it.mutated(mod)
            if args[1] is None:
                mod.params.pop(args[0], None)
            else:
                mod.params[args[0]] = M.as_param(args[1])
        return None
    if name == "register_buffer" and len(args) >= 2:
        if isinstance(args[0], str):
            mod.buffers[args[0]] = args[1]
            mod.attrs.pop(args[0], None)
        return None
    if mod.kind in (M.MODULELIST, M.SEQUENTIAL, M.PARAMLIST) and name in ("append", "extend", "insert"):
        return _list_like(it, mod, name, args, node, frame)
    if mod.kind in (M.MODULEDICT, M.PARAMDICT) and name in ("items", "keys", "values"):
        if mod.taint is not None:
            return mod.taint
        entries = mod.children if mod.kind == M.MODULEDICT else mod.params
        return it.born(list(getattr(entries, name)()))
    if mod.kind in (M.MODULEDICT, M.PARAMDICT) and name == "update" and args:
        src = args[0]
        items = list(src.items()) if isinstance(src, dict) else it.iterate(src, node, frame)
        if isinstance(items, Unknown):
            it.set_taint(mod, items)
            return None
        it.mutated(mod)
        for k, v in items:
            M.store_item(it, mod, str(k), v, node, frame)
        return None
    if name in ("parameters", "named_parameters", "children", "named_children", "modules", "named_modules",
                "buffers", "named_buffers"):
        return module_iteration(it, mod, name, args, kwargs, node, frame)
    if name in _READ_ONLY_METHODS:
        return Unknown(f"`.{name}()` is not followed")
    if name == "get_submodule" and len(args) == 1 and isinstance(args[0], str):
        found = mod
        for part in args[0].split(".") if args[0] else ():
            found = mod_attr(it, found, part, node, frame) if type(found) is M.Mod else found
        return found if type(found) is M.Mod else Unknown(it.located(f"`{frame.code.text(node)}` is not followed"))
    # A method shapelens does not model may register, replace or drop children (a total counted without
    # them would be wrong): the module's counts are unknown from here on.
    why = Unknown(it.located(f"`{frame.code.text(node)}` may change this module and is not followed"))
    it.set_taint(mod, why)
    return why


def _dunder_attr(it, mod, name: str, args: list, node, frame):
    """`mod.__setattr__(k, v)` / `__getattr__(k)` / `__delattr__(k)`: as `mod.k = v`, `mod.k`, `del mod.k`
    (nn.Module's own __setattr__ registers a module child, a Parameter, a buffer)."""
    wanted = 2 if name == "__setattr__" else 1
    if len(args) != wanted or not isinstance(args[0], str):
        why = Unknown(it.located(f"`{frame.code.text(node)}` names an attribute known only at run time"))
        if name != "__getattr__":
            it.set_taint(mod, why)
        return why
    if name == "__setattr__":
        M.set_mod_attr(it, mod, args[0], args[1], node, frame)
        return None
    if name == "__delattr__":
        del_object_attr(it, mod, args[0])
        return None
    return mod_attr(it, mod, args[0], node, frame)


def _list_like(it, mod, name: str, args: list, node, frame):
    if mod.taint is not None:
        return mod
    if name == "extend":
        items = it.iterate(args[0], node, frame) if args else []
        if isinstance(items, Unknown):
            it.set_taint(mod, items)
            return mod
    elif name == "insert":
        if len(args) != 2 or not isinstance(args[0], int):
            it.set_taint(mod, Unknown("a module is inserted at a position known only at run time"))
            return mod
        it.mutated(mod)
        store = mod.params if mod.kind == M.PARAMLIST else mod.children
        values = list(store.values())
        values.insert(args[0], args[1])
        store.clear()
        for i, v in enumerate(values):
            M.store_item(it, mod, str(i), v, node, frame)
        return mod
    else:
        items = args[:1]
    it.mutated(mod)
    store = mod.params if mod.kind == M.PARAMLIST else mod.children
    for m in items:
        M.store_item(it, mod, str(len(store)), m, node, frame)
    return mod


def freeze(it, mod, flag, node, frame) -> None:
    """`module.requires_grad_(False)`: every parameter under it stops training (issue #16 counts it)."""
    if not isinstance(flag, bool):
        it.set_taint(mod, Unknown("requires_grad_() with a value known only at run time"))
        return
    for m in walk_mods(mod):
        m.attrs["__requires_grad__"] = (flag, frame.code.span(node))
        for p in m.params.values():
            if isinstance(p, Param):
                p.requires_grad = flag
                p.frozen_at = frame.code.span(node)


def walk_mods(mod, seen: Optional[set] = None) -> list:
    seen = set() if seen is None else seen
    out = []
    stack = [mod]
    while stack:
        m = stack.pop()
        if not isinstance(m, M.Mod) or id(m) in seen:
            continue
        seen.add(id(m))
        out.append(m)
        stack.extend(reversed([c for c in m.children.values() if isinstance(c, M.Mod)]))
    return out


def module_iteration(it, mod, name: str, args, kwargs, node, frame):
    if name in ("children", "named_children"):
        if mod.taint is not None:
            return mod.taint
        items = [(k, c) for k, c in mod.children.items() if c is not None]
        return it.born([(k, c) for k, c in items] if name == "named_children" else [c for _, c in items])
    if name in ("modules", "named_modules"):
        mods = walk_mods(mod)
        if any(m.taint is not None for m in mods):
            return next(m.taint for m in mods if m.taint is not None)
        if name == "modules":
            return it.born(mods)
        from .models import walk_tree
        return it.born([(path, m) for m, path, _ in walk_tree(mod)])
    if name in ("parameters", "named_parameters"):
        mods = walk_mods(mod)
        out = []
        for m in mods:
            if m.taint is not None:
                return ParamsUnknown(m.taint.reason, mod)
            out.extend(param_views(it, m))
        if name == "parameters":
            return it.born(out)
        return it.born(_named_params(it, mod))
    return it.born([])


@dataclass(frozen=True, eq=False)
class ParamsUnknown(Unknown):
    """`module.parameters()` of a module with a part shapelens cannot follow: a loop over it may change any
    parameter's requires_grad (`for p in vit.parameters(): p.requires_grad = False`), so after such a loop
    every trainable / non-trainable split under `owner` is unknown, never the one from before."""

    owner: Any = None


def _named_params(it, mod) -> list:
    """(name, Param) as named_parameters() gives them: "blocks.0.norm1.weight"; a tensor shapelens counts
    without knowing its name (a layer the weight table does not cover) has an unknown name, so a test on
    it (`name.startswith("head")`) is unknown too, never a guess. A tensor held twice comes once."""
    from .models import walk_tree
    out, seen = [], set()
    for m, path, _ in walk_tree(mod):
        param_views(it, m)
        for key, p in m.params.items():
            if not isinstance(p, Param) or id(p) in seen:
                continue
            seen.add(id(p))
            full = f"{path}.{key}" if path else key
            out.append((full if not key.startswith("<") else Unknown(f"the names of {m.type_name}'s tensors "
                                                                     f"are not known to shapelens"), p))
    return out


def is_module_list(v) -> bool:
    return type(v) is M.Mod and v.kind == M.MODULELIST and v.framework == "torch"


def loop_over_params(it, items: "ParamsUnknown", reason: str) -> None:
    for m in walk_mods(items.owner):
        for p in param_views(it, m):
            p.requires_grad = Unknown(reason)


def param_views(it, mod) -> list:
    """Parameters of a module, as Param objects (materialised for a leaf from its catalog rule)."""
    if mod.rule is not None:
        materialize(it, mod)
    return [p for p in mod.params.values() if isinstance(p, Param)]


def materialize(it, mod) -> None:
    """A catalog layer's tensors as Param objects, once (weight, bias with their shapes where the table
    knows them; else one tensor of the rule's count), so that the code can freeze, tie or share them."""
    if mod.params or mod.rule is None:
        return
    named = tensors().leaf_params(it, mod)
    if named is not None:
        mod.params.update(named)
        return
    ctx = mod.leaf_ctx
    if ctx is not None and ctx.trainable is not None and ctx.non_trainable is not None:
        if ctx.trainable:
            mod.params["<parameters>"] = Param(None, True, mod.span, count=ctx.trainable)
        if ctx.non_trainable:
            mod.params["<frozen parameters>"] = Param(None, False, mod.span, count=ctx.non_trainable)


# ====================================================================== calling objects

def call_object(it, fn, args: list, kwargs: dict, node, frame, star):
    t = type(fn)
    if t is M.Mod:
        if star is not None:
            return Tensor(None, star.reason)
        if it.recorder is None and args and all(isinstance(a, Tensor) for a in args) and \
                any(a.shape is not None for a in args):
            it.unit.example(it, fn, list(args), "example input")   # `model(torch.randn(1, 3, 32, 32))`
        return M.call_mod(it, fn, args, kwargs, node, frame)
    if t is Instance:
        call, _ = fn.cls.lookup("__call__")
        if isinstance(call, Function):
            return it.call_function(call, [fn] + list(args), kwargs, node, frame, star)
        return Unknown(f"a `{fn.cls.name}` object is not callable")
    if t is Super:
        return Unknown("super() is not callable")
    if t is Tensor:
        return Unknown("a tensor is not callable")
    if t is Property:
        return it.call(fn.fget, args, kwargs, node, frame, star)
    if isinstance(fn, Unknown):
        why = f"`{frame.code.text(node.func)}` is {_unknown_text(fn.reason)}" if node is not None else fn.reason
        may_change(it, args, kwargs, f"{frame.code.text(node.func)}()" if node is not None else "a function")
        if any(isinstance(a, Tensor) for a in list(args) + list(kwargs.values())):
            return tensors().unknown_op(it, node, frame, list(args) + list(kwargs.values()), why)
        return Opaque(why)
    if t is FieldDefault:
        return fn.make()
    if t is Wraps:
        return apply_decorator(it, fn, args[0], node, frame) if args else Unknown("wraps() without a function")
    return Unknown(f"`{frame.code.text(node.func) if node is not None else 'it'}` is not callable")


def _unknown_text(reason: str) -> str:
    return f"unknown ({reason})"


# ====================================================================== the object protocol

def native_attr(it, obj: Native, name: str, node, frame):
    if name in ("__name__", "__qualname__") and "." in obj.name:
        return obj.name.rsplit(".", 1)[1]   # nn.BatchNorm2d.__name__ == "BatchNorm2d"
    full = canonical(f"{obj.name}.{name}")
    if full.startswith("math.") and name in ("pi", "e", "inf", "tau", "nan"):
        return getattr(math, name)
    if full in ("torch.float32", "torch.float", "torch.float16", "torch.int64", "torch.long", "torch.bool",
                "torch.bfloat16", "torch.float64", "torch.int32", "torch.uint8"):
        return Unknown(f"the dtype {full}")
    if full == "sys.maxsize":
        return 2 ** 63 - 1
    if full.startswith("inspect.Parameter.") and full.rsplit(".", 1)[-1] in InspectParameter.KINDS:
        return InspectParameter.KINDS[full.rsplit(".", 1)[-1]]
    return Native(full)


def object_attr(it, obj, name: str, node, frame):
    t = type(obj)
    if t is M.Mod:
        return mod_attr(it, obj, name, node, frame)
    if t is FrameRef:
        return frame_attr(it, obj, name)
    if t is ModuleStore:
        return NativeMethod(obj, name)
    if t is InspectSignature:
        return obj.parameters if name == "parameters" else Unknown(f"`Signature.{name}` is not followed")
    if t is InspectParameter:
        if name in InspectParameter.KINDS:
            return InspectParameter.KINDS[name]
        if name in ("name", "kind", "default"):
            return getattr(obj, name)
        return Unknown(f"`Parameter.{name}` is not followed")
    if t is BoundMethod:
        if name == "__self__":
            return obj.obj
        return Unknown(f"`.{name}` of a method")
    if t is NativeMethod:
        return Unknown(f"`.{name}` of a method")
    if t is Partial:
        if name == "func":
            return obj.fn
        if name == "keywords":
            return obj.kwargs
        return Unknown(f"`.{name}` of a partial")
    return Unknown(f"`.{name}` is not followed")


def mod_attr(it, mod, name: str, node, frame):
    from .pybuiltins import bind_class_value

    if name in mod.attrs:
        return mod.attrs[name]
    if name == "__class__":   # MUNIT: `m.__class__.__name__ == "AdaptiveInstanceNorm2d"` over self.modules()
        return type_of(it, mod)
    if name == "__dict__":   # a write through it is not followed: the module's contents are unknown from here
        why = Unknown(it.located(f"`{frame.code.text(node)}` is not followed"))
        it.set_taint(mod, why)
        return why
    if mod.cls is not None:
        value, owner = mod.cls.lookup(name)
        if value is not MISSING:
            if isinstance(value, Property):
                return it.call(value.fget, [mod], {}, node, frame)
            return bind_class_value(value, mod, mod.cls)
    if name in mod.params:
        return mod.params[name]
    if name in mod.buffers:
        return mod.buffers[name]
    if name in mod.children:
        return mod.children[name]
    if name in _STORES and mod.framework == "torch":
        if name == "_parameters":
            materialize(it, mod)
        return ModuleStore(mod, _STORES[name])
    if mod.framework == "keras":
        return keras().layer_attr(it, mod, name, node, frame)
    if name == "training":
        return Unknown("`self.training` is known only at run time")
    if name in ("weight", "bias") or (mod.rule is not None and name.endswith(("_weight", "_bias"))) or \
            name.startswith(("weight_", "bias_")):
        params = tensors().leaf_params(it, mod) if mod.rule is not None and not mod.params else None
        if params is not None:
            mod.params.update(params)
        if name in mod.params:
            return mod.params[name]
        if params is not None or (mod.params and "<parameters>" not in mod.params):
            return None if name == "bias" else Unknown(f"`{mod.type_name}.{name}` is not a parameter")
        p = Param(None, True, None, f"the shape of {mod.type_name}'s {name} is not known to shapelens")
        p.owner = mod
        return p
    if mod.rule is not None and any(p.name == name for p in mod.rule.signature.params):
        bound = M.bind(mod.rule.signature, [M.clean(v) for v in mod.args],
                       {k: M.clean(v) for k, v in mod.kwargs.items()}, mod.star)
        return tensors().attr_of_layer(mod, name, bound.values.get(name, Unknown(f"`.{name}` is unknown")))
    if name in ("forward", "__call__"):
        return NativeMethod(mod, name)
    if name in M.SELF_METHODS or name in _MODULE_METHODS:
        return NativeMethod(mod, name)
    if mod.kind == M.USER and mod.cls is not None:
        return Unknown(it.located(f"`{name}` is not set on this `{mod.cls.name}` object"))
    return Unknown(f"`.{name}` of {mod.type_name} is not followed")


_STORES = {"_modules": "children", "_parameters": "params", "_buffers": "buffers"}

# nn.Module's methods that read it or change no child, parameter or buffer shape (torch 2.13's dir())
_READ_ONLY_METHODS = frozenset({
    "load_state_dict", "state_dict", "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_backward_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_state_dict_post_hook", "register_state_dict_pre_hook",
    "extra_repr", "reset_parameters", "_init_weights", "init_weights", "get_extra_state", "set_extra_state",
    "get_parameter", "get_buffer", "compile", "_apply", "_get_name", "_register_state_dict_hook",
    "_register_load_state_dict_pre_hook"})

_MODULE_METHODS = frozenset({
    "add_module", "register_module", "register_parameter", "register_buffer", "append", "extend", "insert", "items",
    "keys", "values", "update", "parameters", "named_parameters", "children", "named_children", "modules",
    "named_modules", "buffers", "named_buffers", "call", "forward", "__setattr__", "__getattr__", "__delattr__",
    "get_submodule", "set_submodule"}) | _READ_ONLY_METHODS


def set_object_attr(it, obj, name: str, value, node, frame) -> None:
    if type(obj) is M.Mod:
        M.set_mod_attr(it, obj, name, value, node, frame)


def del_object_attr(it, obj, name: str) -> None:
    if type(obj) is M.Mod:
        it.mutated(obj)
        for store in (obj.children, obj.params, obj.buffers, obj.attrs):
            store.pop(name, None)


def object_item(it, base, key, node, frame):
    if type(base) is M.Mod:
        return mod_item(it, base, key, node, frame)
    if type(base) is ModuleStore:
        if base.mod.taint is not None:
            return M.opaque(it, base.mod.taint.reason, node, frame, base.mod.framework)
        if isinstance(key, Unknown):
            return Unknown(f"`{frame.code.text(node)}` picks an entry known only at run time")
        found = base.entries().get(key, MISSING)
        return Unknown(f"`{frame.code.text(node)}`: no such entry") if found is MISSING else found
    if isinstance(base, Native) and base.name == "sys.modules" and key == frame.globals.get("__name__", "__main__"):
        return it.unit.self_module(frame)   # `d2l = sys.modules[__name__]`: the module itself
    if isinstance(base, Native) and base.name == "sys.modules" and isinstance(key, str):
        found = it.unit.loader.loaded(key) if it.unit.loader is not None else None
        if found is not None:
            return found
    if isinstance(key, Unknown):
        return Opaque(key.reason) if isinstance(base, (Native,)) else key
    if isinstance(base, Native):
        return Opaque(f"`{frame.code.text(node)}` is not followed")
    return Unknown(f"`{frame.code.text(node)}` is not followed")


def mod_item(it, mod, key, node, frame):
    if mod.taint is not None:
        return M.opaque(it, mod.taint.reason, node, frame, mod.framework) if not isinstance(key, slice) else \
            M.opaque(it, mod.taint.reason, node, frame, mod.framework)
    if mod.kind in (M.PARAMLIST, M.PARAMDICT):
        entries = list(mod.params.values()) if mod.kind == M.PARAMLIST else mod.params
    elif mod.kind == M.MODULEDICT:
        entries = mod.children
    else:
        entries = [c for c in mod.children.values()]
    if isinstance(key, Unknown):
        return Unknown(f"`{frame.code.text(node)}` picks a module known only at run time")
    try:
        if isinstance(entries, dict):
            return entries[key]
        picked = entries[key]
    except (IndexError, KeyError, TypeError):
        return Unknown(f"`{frame.code.text(node)}` is out of range")
    if isinstance(key, slice):
        keys = list(mod.children)[key]
        new = M.new_mod(it, mod.framework, mod.kind if mod.kind in (M.SEQUENTIAL, M.MODULELIST) else M.SEQUENTIAL,
                        mod.qualname if mod.cls is None else "torch.nn.Sequential", node, frame)
        new.children = {k: mod.children[k] for k in keys}
        if mod.cls is not None and mod.kind == M.USER:
            new.kind = M.SEQUENTIAL
        new.serial = mod.serial
        return new
    return picked


def set_object_item(it, base, key, value, node, frame) -> None:
    if type(base) is ModuleStore:
        store_entry(it, base, key, value, node, frame)
        return
    if type(base) is M.Mod:
        if isinstance(key, Unknown):
            it.set_taint(base, Unknown("a module is set at a position known only at run time"))
            return
        it.mutated(base)
        if base.kind in (M.MODULELIST, M.SEQUENTIAL) and isinstance(key, int):
            keys = list(base.children)
            if -len(keys) <= key < len(keys):
                base.children[keys[key]] = M.as_module(it, value, node, frame, base.framework)
            return
        if base.kind in (M.PARAMLIST,) and isinstance(key, int):
            keys = list(base.params)
            if -len(keys) <= key < len(keys):
                base.params[keys[key]] = M.as_param(value)
            return
        M.store_item(it, base, str(key), value, node, frame)


def store_entry(it, store: ModuleStore, key, value, node, frame) -> None:
    """`module._modules[key] = value` (and _parameters, _buffers): what register_module / register_parameter /
    register_buffer would store, without their checks (torch writes the dict as given)."""
    mod = store.mod
    if not isinstance(key, str):
        it.set_taint(mod, Unknown(f"`{frame.code.text(node)}` sets an entry known only at run time"))
        return
    it.mutated(mod)
    if store.which == "children":
        mod.children[key] = None if value is None else M.as_module(it, value, node, frame, mod.framework)
    elif store.which == "params":
        mod.params[key] = None if value is None else M.as_param(value)
    else:
        mod.buffers[key] = value


def store_method(it, store: ModuleStore, name: str, args: list, node, frame):
    entries = store.entries()
    if store.mod.taint is not None:
        return store.mod.taint
    if name in ("keys", "values", "items"):
        return it.born([(k, v) for k, v in entries.items()] if name == "items" else list(getattr(entries, name)()))
    if name == "get" and args and isinstance(args[0], str):
        return entries.get(args[0], args[1] if len(args) > 1 else None)
    # pop, update, clear, setdefault, ...: the module changes in a way not followed
    it.set_taint(store.mod, Unknown(f"`{frame.code.text(node)}` changes the module's registry"))
    return Unknown(f"`{frame.code.text(node)}` is not followed")


def del_object_item(it, base, key) -> None:
    if type(base) is ModuleStore:
        if isinstance(key, str):
            it.mutated(base.mod)
            base.entries().pop(key, None)
        else:
            it.set_taint(base.mod, Unknown("an entry is deleted at a position known only at run time"))
        return
    if type(base) is M.Mod and not isinstance(key, Unknown):
        it.mutated(base)
        if isinstance(key, int):
            keys = list(base.children)
            if -len(keys) <= key < len(keys):
                del base.children[keys[key]]
        else:
            base.children.pop(str(key), None)


def object_binary(it, op, left, right, node, frame):
    if op is ast.Add and type(left) is M.Mod and type(right) is M.Mod and left.kind == M.SEQUENTIAL:
        new = M.new_mod(it, left.framework, M.SEQUENTIAL, left.qualname, node, frame)
        for i, m in enumerate(list(left.children.values()) + list(right.children.values())):
            new.children[str(i)] = m
        return new
    if isinstance(left, Param) or isinstance(right, Param):
        return tensors().binary(it, op, left, right, node, frame, False)
    return Unknown(f"`{frame.code.text(node)}` is only known at run time")


def contains(left, right, op):
    if type(right) is ModuleStore and isinstance(left, str) and right.mod.taint is None:
        r = left in right.entries()
        return r if op is ast.In else not r
    if type(right) is M.Mod and isinstance(left, str):
        r = left in right.children or left in right.params
        return r if op is ast.In else not r
    return None


def truth(it, v) -> Optional[bool]:
    if type(v) is M.Mod:
        if v.kind in (M.MODULELIST, M.MODULEDICT, M.SEQUENTIAL) and v.cls is None:
            return None if v.taint is not None else bool(v.children)
        return True
    if type(v) is ModuleStore:
        return None if v.mod.taint is not None else bool(v.entries())
    if isinstance(v, (Function, BoundMethod, UserClass, Native, NativeMethod, Instance, Param, Partial)):
        return True
    return None


def iterate(it, v, node, frame, unpack: Optional[int]):
    t = type(v)
    if t is M.Mod:
        if v.taint is not None:
            return v.taint
        if v.kind in (M.PARAMLIST,):
            return list(v.params.values())
        if v.kind == M.PARAMDICT:
            return list(v.params)
        if v.kind == M.MODULEDICT:
            return list(v.children)
        return [c for c in v.children.values() if c is not None]
    if t is ModuleStore:
        return v.mod.taint if v.mod.taint is not None else list(v.entries())
    if t is Tensor or t is Param:
        return tensors().iterate(it, v, node, frame, unpack)
    if t is Instance:
        return Unknown(f"iterating over a `{v.cls.name}` object is not followed")
    if isinstance(v, Unknown):
        return v
    return Unknown(f"`{frame.code.text(node)}` is not something the analysis can iterate over")


def length(it, v, node, frame):
    if type(v) is M.Mod:
        if v.taint is not None:
            return v.taint
        return len(v.params) if v.kind in (M.PARAMLIST, M.PARAMDICT) else len(v.children)
    if isinstance(v, (Tensor, Param)):
        return tensors().length(it, v)
    if type(v) is ModuleStore:
        return v.mod.taint if v.mod.taint is not None else len(v.entries())
    if isinstance(v, Unknown):
        return v
    return Unknown("len() of a run-time value")


_PY_TYPES = {"builtins.int": int, "builtins.float": float, "builtins.str": str, "builtins.bool": bool,
             "builtins.list": list, "builtins.tuple": tuple, "builtins.dict": dict, "builtins.set": set}


def isinstance_of(it, obj, cls):
    if isinstance(cls, tuple):
        answers = [isinstance_of(it, obj, c) for c in cls]
        if any(a is True for a in answers):
            return True
        if all(a is False for a in answers):
            return False
        return Unknown("isinstance() is known only at run time")
    if isinstance(obj, Unknown):
        return Unknown("isinstance() of a value known only at run time")
    if isinstance(cls, Native) and isinstance(obj, (UserClass, Function, Partial, BoundMethod, Native)):
        return _callable_is(obj, cls.name)
    if isinstance(cls, Native):
        py = _PY_TYPES.get(cls.name) or _stdlib_class(cls.name)
        if py is not None:
            if isinstance(obj, (int, float, str, bool, list, tuple, dict, set, frozenset, type(None))):
                return isinstance(obj, py)
            return False if cls.name in _PY_TYPES else Unknown("isinstance() is known only at run time")
        if type(obj) is M.Mod:
            return _mod_is(obj, cls.name)
        if isinstance(obj, (Tensor, Param)):
            return cls.name in ("torch.Tensor", "torch.nn.Parameter") and (cls.name == "torch.Tensor" or
                                                                            isinstance(obj, Param))
        if isinstance(obj, (int, float, str, bool, list, tuple, dict, set, type(None))):
            return False
        return Unknown("isinstance() is known only at run time")
    if isinstance(cls, UserClass):
        ocls = obj.cls if isinstance(obj, (Instance, M.Mod)) else None
        if ocls is None:
            return False
        return cls in ocls.mro
    return Unknown("isinstance() is known only at run time")


_CALLABLE_TYPES = {   # what isinstance() says of a class, a function, a partial, a method (CPython 3.11)
    "builtins.type": (UserClass,), "types.FunctionType": (Function,), "types.LambdaType": (Function,),
    "types.MethodType": (BoundMethod,), "functools.partial": (Partial,),
    "typing.Callable": (UserClass, Function, Partial, BoundMethod), "builtins.object": (UserClass, Function,
                                                                                        Partial, BoundMethod),
    "collections.abc.Callable": (UserClass, Function, Partial, BoundMethod),
}


def _callable_is(obj, name: str):
    """isinstance(norm_layer, (type, str, types.FunctionType, functools.partial)) on a class, function or
    partial of the analysed code (timm's get_norm_act_layer); a framework class is a `type` when the
    catalog knows it as a class."""
    if isinstance(obj, Native):
        if name == "builtins.type" and (obj.name in BASES or obj.name in _PY_TYPES):
            return True
        if name in _PY_TYPES or name == "functools.partial":
            return False   # a library's class, function or module is not a str, an int, a list, a partial
        if name == "types.FunctionType" and obj.name in BASES:
            return False
        return Unknown("isinstance() of a library object is not followed")
    kinds = _CALLABLE_TYPES.get(name)
    if kinds is not None:
        return isinstance(obj, kinds)
    if name in _PY_TYPES or name in BASES or name.startswith(("torch.", "keras.")):
        return False   # a class or function is not a str, an int, a module, ...
    return Unknown("isinstance() against this class is not followed")


_STDLIB_TYPE_MODULES = ("collections.abc.", "collections.", "numbers.", "typing.")


def _stdlib_class(name: str):
    """collections.abc.Sequence, numbers.Integral, typing.Mapping, ...: real classes, safe to test plain values
    against (torchvision's MobileNetV3 checks isinstance(setting, Sequence))."""
    if not name.startswith(_STDLIB_TYPE_MODULES):
        return None
    import collections.abc
    import numbers
    import typing

    module, _, attr = name.rpartition(".")
    base = {"collections.abc": collections.abc, "collections": collections, "numbers": numbers,
            "typing": typing}.get(module)
    value = getattr(base, attr, None) if base is not None and not attr.startswith("_") else None
    try:
        isinstance(0, value)
    except TypeError:
        return None
    return value


def _mod_is(mod, name: str):
    if name in ("torch.nn.Module", "keras.layers.Layer"):
        return True
    if name == "keras.Model":
        return mod.kind in (M.FUNCTIONAL, M.SEQUENTIAL) or (mod.cls is not None and mod.cls.native == "keras.Model")
    kinds = {"torch.nn.Sequential": M.SEQUENTIAL, "torch.nn.ModuleList": M.MODULELIST,
             "torch.nn.ModuleDict": M.MODULEDICT, "keras.Sequential": M.SEQUENTIAL}
    if name in kinds and mod.cls is None:
        return mod.kind == kinds[name]
    if mod.qualname == name or name in BASES.get(mod.qualname, ()):
        return True   # also a torch class run from the prelude (nn.MultiheadAttention)
    natives = [c.name for c in mod.cls.mro if isinstance(c, Native)] if mod.cls is not None else [mod.qualname]
    answer = False
    for n in natives:
        if n == name or name in BASES.get(n, ()):
            return True
        if n not in BASES and n not in ("torch.nn.Module", "keras.layers.Layer", "object", "builtins.object"):
            answer = Unknown(f"isinstance() against `{n}`'s base classes is not followed")
    return answer


def issubclass_of(it, sub, cls):
    if isinstance(sub, UserClass):
        if isinstance(cls, UserClass):
            return cls in sub.mro
        if isinstance(cls, Native):
            return any(isinstance(c, Native) and (c.name == cls.name or cls.name in BASES.get(c.name, ()))
                       for c in sub.mro) or (cls.name == "torch.nn.Module" and sub.framework == "torch")
    if isinstance(sub, Native) and isinstance(cls, Native):
        if sub.name == cls.name or cls.name in BASES.get(sub.name, ()):
            return True
        return False if sub.name in BASES else Unknown("issubclass() of framework classes is not followed")
    return Unknown("issubclass() is known only at run time")


def type_of(it, v):
    if type(v) is M.Mod:
        return v.cls if v.cls is not None else Native(v.qualname)
    return Unknown("type() of a value known only at run time")


def is_module(v) -> bool:
    return type(v) is M.Mod
