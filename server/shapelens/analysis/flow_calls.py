"""Calls in the interpreted code: constructors of layers and containers, calls of module objects (a
layer's catalog rule on the arriving tensor, a submodule's forward, a Sequential's chain), methods of
the file's classes, Python builtins, list and container methods."""
from __future__ import annotations

import os
from typing import Any, Optional

import libcst as cst

from ..frameworks import catalogs
from ..frameworks.base import Ctx, bind
from . import flow_funcs
from .flow_objects import (Builtin, BoundMethod, ClassRef, Instance, Leaf, ListMethod, ModDict, ModList, SeqMod,
                           Sym, Tensor, TensorMethod, MODULES)
from .records import LayerRecord
from .shapes import Shape
from .values import Unknown, short

TORCH_NN = "torch.nn."
KERAS_LAYERS = "keras.layers."
KERAS_INPUTS = {"keras.Input", "keras.layers.Input", "keras.layers.InputLayer"}
KERAS_SEQUENTIAL = {"keras.Sequential", "keras.models.Sequential"}
KERAS_MODEL = {"keras.Model", "keras.models.Model"}
# Layers that return (output, state) tuples: the state's shape is not followed.
TUPLE_RESULTS = {"LSTM", "GRU", "RNN", "MultiheadAttention"}
MODULE_SELF_METHODS = {"to", "eval", "train", "cuda", "cpu", "float", "double", "half", "requires_grad_", "apply",
                       "zero_grad", "bfloat16", "type"}


def call(it, fn, node: cst.Call, frame) -> Any:
    if isinstance(fn, Builtin):
        return call_builtin(it, fn.name, node, frame)
    if isinstance(fn, ClassRef):
        return instantiate(it, fn.cls, node, frame)
    if isinstance(fn, MODULES):
        positional, keywords, star = it.args(node, frame)
        return call_module(it, fn, positional, keywords, node, frame)
    if isinstance(fn, BoundMethod):
        return call_method(it, fn, node, frame)
    if isinstance(fn, TensorMethod):
        return flow_funcs.tensor_method(it, fn.tensor, fn.name, node, frame)
    if isinstance(fn, ListMethod):
        return list_method(it, fn, node, frame)
    from .flow_interp import Super

    if isinstance(fn, Super):
        return Unknown("super() is not callable")
    if isinstance(fn, Tensor):
        return Unknown("a tensor is not callable")
    return Unknown(f"`{short(node.func)}` is not something the analysis can call")


# ---------------------------------------------------------------- builtins and constructors

def call_builtin(it, name: str, node: cst.Call, frame) -> Any:
    from .flow_interp import BUILTINS

    if name in BUILTINS:
        return python_builtin(it, name, node, frame)
    if name in ("collections.OrderedDict", "OrderedDict"):
        positional, keywords, _ = it.args(node, frame)
        pairs = positional[0] if positional else []
        if isinstance(pairs, dict):
            return dict(pairs)
        if isinstance(pairs, (list, tuple)) and all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            return dict(pairs)
        return Unknown("the OrderedDict's items are known only at run time")
    if name.startswith(TORCH_NN):
        return torch_nn(it, name, node, frame)
    if name in KERAS_INPUTS:
        from .flow_keras import keras_input

        return keras_input(it, node, frame)
    if name in KERAS_SEQUENTIAL:
        return keras_sequential(it, node, frame)
    if name in KERAS_MODEL:
        from .flow_keras import functional_model

        return functional_model(it, node, frame)
    if name.startswith(KERAS_LAYERS):
        return keras_layers(it, name, node, frame)
    if name in ARRAY_FACTORIES:
        return array_factory(it, name, node, frame)
    if name.startswith("math.") and name[5:] in ("floor", "ceil", "prod", "sqrt", "log2", "gcd"):
        positional, _, _ = it.args(node, frame)
        if all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in positional) or name == "math.prod":
            try:
                import math

                return getattr(math, name[5:])(*positional)
            except Exception:
                return Unknown(f"`{short(node)}` cannot be evaluated")
        return Unknown(f"`{short(node)}` is only known at run time")
    if name.startswith("torch."):
        rest = name[len("torch."):]
        if rest in flow_funcs.FACTORIES:
            return factory(it, rest, node, frame)
        if "." not in rest:
            positional, keywords, star = it.args(node, frame)
            return flow_funcs.call_function(it, rest, node, frame, positional, keywords, star)
    positional, keywords, star = it.args(node, frame)
    return flow_funcs._unknown_op(it, node, frame, positional + list(keywords.values()),
                                  f"`{short(node.func)}` is not an operation shapelens follows")


def torch_nn(it, name: str, node, frame) -> Any:
    rest = name[len(TORCH_NN):]
    if rest.startswith("functional."):
        positional, keywords, star = it.args(node, frame)
        return flow_funcs.call_function(it, rest.split(".")[-1], node, frame, positional, keywords, star)
    if rest.startswith("init."):
        return None
    if rest == "Sequential":
        return torch_sequential(it, node, frame)
    if rest == "ModuleList":
        positional, _, _ = it.args(node, frame)
        items = it.iterate(positional[0]) if positional else []
        return ModList(list(items), "torch") if not isinstance(items, Unknown) else \
            opaque(it, node, frame, f"the ModuleList's items are known only at run time ({items.reason})")
    if rest == "ModuleDict":
        positional, _, _ = it.args(node, frame)
        items = positional[0] if positional else {}
        if isinstance(items, (list, tuple)) and all(isinstance(p, tuple) and len(p) == 2 for p in items):
            items = dict(items)
        return ModDict(dict(items), "torch") if isinstance(items, dict) else \
            opaque(it, node, frame, "the ModuleDict's items are known only at run time")
    if rest in ("Parameter", "parameter.Parameter"):
        return parameter(it, node, frame)
    if "." not in rest and rest[:1].isupper():
        return make_leaf(it, name, "torch", node, frame)
    return Unknown(f"`{short(node.func)}` is not something the analysis follows")


def torch_sequential(it, node, frame) -> Any:
    positional, _, star = it.args(node, frame)
    if star is not None:
        return opaque(it, node, frame, star.reason)
    if len(positional) == 1 and isinstance(positional[0], dict):
        children = list(positional[0].items())
    else:
        children = [(str(i), m) for i, m in enumerate(positional)]
    return SeqMod([(k, as_module(it, m, node, frame)) for k, m in children], "torch", node, frame.chunk)


def keras_sequential(it, node, frame) -> Any:
    positional, keywords, _ = it.args(node, frame)
    items = positional[0] if positional else keywords.get("layers", [])
    items = it.iterate(items) if items is not None else []
    if isinstance(items, Unknown):
        return opaque(it, node, frame, items.reason, "keras")
    mods = [m for m in items if not (isinstance(m, Tensor) and m.is_input)]  # keras.Input(...) as first element
    return SeqMod([(str(i), as_module(it, m, node, frame, "keras")) for i, m in enumerate(mods)], "keras", node,
                  frame.chunk)


def as_module(it, m, node, frame, framework: str = "torch"):
    if isinstance(m, MODULES):
        return m
    why = m.reason if isinstance(m, Unknown) else f"an element of `{short(node)}` is not a layer"
    return opaque(it, node, frame, why, framework)


def opaque(it, node, frame, why: str, framework: str = "torch") -> Leaf:
    """A module whose layers the analysis cannot see: unknown shape and parameters."""
    leaf = Leaf("?", framework, node, frame.chunk, [], {}, None)
    leaf.record = LayerRecord(leaf.span, "?", unknown_reasons=[why])
    leaf.record.trainable = leaf.record.non_trainable = leaf.record.macs = None
    leaf.special = "opaque"
    it.flow.info(leaf.span, f"{why}: its shape and parameters are unknown (shown as ?)")
    return leaf


def make_leaf(it, qualified: str, framework: str, node, frame) -> Leaf:
    positional, keywords, star = it.args(node, frame)
    leaf = Leaf(qualified, framework, node, frame.chunk, positional, keywords, star)
    leaf.rule = catalogs.get(framework).lookup(qualified)
    leaf.record = LayerRecord(leaf.span, leaf.rule.name if leaf.rule else qualified.rsplit(".", 1)[-1])
    if leaf.rule is None:
        leaf.special = "unknown"
        why = f"`{qualified}` is not a layer shapelens knows"
        leaf.record.unknown_reasons = [why]
        leaf.record.trainable = leaf.record.non_trainable = leaf.record.macs = None
        it.flow.info(leaf.span, f"{why}: its shape and parameters are unknown (shown as ?)")
    return leaf


def keras_layers(it, name: str, node, frame) -> Any:
    from .flow_keras import MERGE_CLASSES, MERGE_FUNCTIONS, apply_merge, make_merge

    rest = name[len(KERAS_LAYERS):]
    if rest in MERGE_CLASSES:
        return make_merge(it, rest, node, frame)
    if rest in MERGE_FUNCTIONS:
        leaf = make_merge(it, MERGE_FUNCTIONS[rest], node, frame, functional=True)
        positional, keywords, _ = it.args(node, frame)
        return apply_merge(it, leaf, positional[0] if positional else keywords.get("inputs"), node, frame)
    if "." not in rest and rest[:1].isupper():
        return make_leaf(it, name, "keras", node, frame)
    return Unknown(f"`{short(node.func)}` is not something the analysis follows")


def parameter(it, node, frame) -> Any:
    positional, _, _ = it.args(node, frame)
    t = positional[0] if positional else None
    leaf = Leaf("torch.nn.Parameter", "torch", node, frame.chunk, [], {}, None)
    leaf.special = "parameter"
    leaf.record = LayerRecord(leaf.span, "Parameter")
    n = None
    if isinstance(t, Tensor) and t.shape is not None and not t.shape.open_rank:
        n = t.shape.numel()
    leaf.tensor = t if isinstance(t, Tensor) else Tensor(None, "the Parameter's tensor is unknown")  # type: ignore
    leaf.record.output_shape = leaf.tensor.shape  # type: ignore[attr-defined]
    leaf.record.trainable, leaf.record.non_trainable, leaf.record.macs = n, (0 if n is not None else None), 0
    if n is None:
        leaf.record.unknown_reasons = ["the Parameter's shape is unknown"]
        it.flow.info(leaf.span, "the Parameter's shape is unknown: its parameter count is unknown (shown as ?)")
    else:
        leaf.record.formulas = [("params", f"{'·'.join(str(d) for d in t.shape.dims)} = {n:,}")]
    return leaf


def factory(it, name: str, node, frame) -> Any:
    positional, keywords, _ = it.args(node, frame)
    if name.endswith("_like"):
        t = positional[0] if positional else None
        return Tensor(t.shape) if isinstance(t, Tensor) else Unknown("the template tensor is unknown")
    if name == "randint":
        positional = positional[-1:]
    elif name in ("full", "tensor", "arange"):
        positional = positional[:1]
        if name in ("tensor", "arange"):
            return Tensor(None, f"the size of torch.{name}(...) is not followed")
    sizes = flow_funcs.sizes_of(keywords.get("size", positional if positional else None))
    if sizes is None:
        return Tensor(None, f"the size of `{short(node)}` is known only at run time")
    return Tensor(Shape.of(["?" if s is None else s for s in sizes]))


# Array makers used for example inputs of Keras models: name -> how the shape is given
# ("varargs": rand(2, 32); "first": zeros((2, 32)); "size": normal(loc, scale, size) / size=).
ARRAY_FACTORIES = {"numpy.zeros": "first", "numpy.ones": "first", "numpy.empty": "first",
                   "numpy.random.rand": "varargs", "numpy.random.randn": "varargs", "numpy.random.random": "first",
                   "numpy.random.normal": "size", "numpy.random.uniform": "size",
                   "keras.ops.zeros": "first", "keras.ops.ones": "first", "keras.random.normal": "first",
                   "keras.random.uniform": "first", "tensorflow.zeros": "first", "tensorflow.ones": "first",
                   "tensorflow.random.normal": "first", "tensorflow.random.uniform": "first"}


def array_factory(it, name: str, node, frame) -> Any:
    positional, keywords, _ = it.args(node, frame)
    how = ARRAY_FACTORIES[name]
    if how == "varargs":
        value = positional
    elif how == "size":
        value = keywords.get("size", positional[2] if len(positional) > 2 else None)
    else:
        value = keywords.get("shape", positional[0] if positional else None)
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    sizes = flow_funcs.sizes_of(value)
    if sizes is None or None in sizes:
        return Tensor(None, f"the size of `{short(node)}` is known only at run time")
    return Tensor(Shape.of(sizes))


def python_builtin(it, name: str, node, frame) -> Any:
    from .flow_interp import Super

    if name == "super":
        return Super(frame.self_obj, frame.cls)
    positional, keywords, star = it.args(node, frame)
    if name == "print":
        return None
    if name in ("setattr", "getattr", "hasattr"):
        return attr_builtin(it, name, positional, node, frame)
    if star is not None:
        return Unknown(f"`{short(node)}` is only known at run time")
    if name == "len":
        return length(positional[0]) if positional else Unknown("len() without argument")
    if name in ("enumerate", "zip", "reversed", "sorted", "list", "tuple", "dict") and positional:
        seqs = [it.iterate(p) for p in positional]
        if any(isinstance(s, Unknown) for s in seqs):
            return next(s for s in seqs if isinstance(s, Unknown))
        if name == "enumerate":
            start = positional[1] if len(positional) > 1 else keywords.get("start", 0)
            return [(i + start, v) for i, v in enumerate(seqs[0])]
        if name == "zip":
            return [tuple(v) for v in zip(*seqs)]
        if name == "reversed":
            return list(reversed(seqs[0]))
        if name == "dict":
            return dict(seqs[0]) if all(isinstance(p, tuple) and len(p) == 2 for p in seqs[0]) else \
                Unknown("dict() of run-time items")
        if name == "sorted":
            try:
                return sorted(seqs[0])
            except TypeError:
                return Unknown("sorted() of run-time values")
        return tuple(seqs[0]) if name == "tuple" else list(seqs[0])
    if name in ("list", "tuple", "dict") and not positional:
        return {"list": [], "tuple": (), "dict": dict(keywords)}[name]
    return constant_builtin(name, positional, node)


def constant_builtin(name: str, args: list, node) -> Any:
    for a in args:
        if isinstance(a, Unknown):
            return a
    consts = (int, float, str, bool, tuple, list, range)
    if not all(isinstance(a, consts) for a in args):
        return Unknown(f"`{short(node)}` is only known at run time")
    if name == "range" and not all(isinstance(a, int) for a in args):
        return Unknown(f"`{short(node)}` is not a range of integers")
    if name == "isinstance":
        return Unknown("isinstance() is only known at run time")
    fn = __builtins__["range" if name == "range" else name] if isinstance(__builtins__, dict) else \
        getattr(__builtins__, name)
    try:
        result = fn(*args)
    except Exception:
        return Unknown(f"`{short(node)}` cannot be evaluated")
    if isinstance(result, range) and len(result) > 10_000_000:
        return Unknown("the range is too long")
    return result


def length(v) -> Any:
    if isinstance(v, (list, tuple, str, dict, range)):
        return len(v)
    if isinstance(v, (ModList, SeqMod)):
        return len(v.children)
    if isinstance(v, ModDict):
        return len(v.children)
    if isinstance(v, Tensor):
        dims = flow_funcs.shape_tuple(v)
        return dims[0] if isinstance(dims, tuple) and dims else Unknown("len() of a tensor of unknown shape")
    return v if isinstance(v, Unknown) else Unknown("len() of a run-time value")


def attr_builtin(it, name: str, args: list, node, frame) -> Any:
    if len(args) < 2 or not isinstance(args[1], str):
        return Unknown(f"`{short(node)}` uses an attribute name known only at run time")
    obj, attr = args[0], args[1]
    if name == "setattr" and len(args) == 3:
        if isinstance(obj, Instance):
            it.flow.set_attr(obj, attr, args[2])
        return None
    value = it.flow.attribute(it, obj, attr, node, frame)
    if name == "hasattr":
        return Unknown("hasattr() is only known at run time") if isinstance(value, Unknown) else True
    if isinstance(value, Unknown) and len(args) == 3:
        return args[2]
    return value


# ---------------------------------------------------------------- methods

def call_method(it, m: BoundMethod, node, frame) -> Any:
    obj = m.obj
    if m.fn is not None:
        positional, keywords, star = it.args(node, frame)
        owner = m.owner
        record = frame.record_steps and obj is frame.self_obj
        return it.run_function(m.fn, owner, obj, positional, keywords, star, owner.chunk, owner.scope,
                               record_steps=record, where=frame.where)
    from .flow_interp import Super

    if isinstance(obj, Super):
        return super_method(it, obj, m.name, node, frame)
    if isinstance(obj, dict):
        return dict_method(obj, m.name)
    if isinstance(obj, MODULES):
        return module_method(it, obj, m.name, node, frame)
    return Unknown(f"`{short(node.func)}` is only known at run time")


def super_method(it, sup, name: str, node, frame) -> Any:
    base = sup.cls.base if sup.cls is not None else None
    fn, owner = base.method(name) if base is not None else (None, None)
    if fn is None:
        if name == "__init__":
            return None  # nn.Module.__init__ / keras.Model.__init__: nothing to follow
        return Unknown(f"`super().{name}` belongs to the framework's base class")
    positional, keywords, star = it.args(node, frame)
    return it.run_function(fn, owner, sup.obj, positional, keywords, star, owner.chunk, owner.scope,
                           record_steps=False, where=frame.where)


def dict_method(d: dict, name: str) -> Any:
    if name == "items":
        return list(d.items())
    if name == "keys":
        return list(d.keys())
    if name == "values":
        return list(d.values())
    return Unknown(f"dict.{name}() is not followed")


def module_method(it, obj, name: str, node, frame) -> Any:
    positional, keywords, star = it.args(node, frame)
    if name in MODULE_SELF_METHODS:
        return obj
    if name in ("forward", "call", "__call__"):
        return call_module(it, obj, positional, keywords, node, frame)
    if isinstance(obj, ModList) and name in ("append", "extend", "insert"):
        items = positional if name == "append" else it.iterate(positional[-1]) if positional else []
        if isinstance(items, Unknown):
            obj.children.append(opaque(it, node, frame, items.reason))
        elif name == "insert" and len(positional) == 2 and isinstance(positional[0], int):
            obj.children.insert(positional[0], as_module(it, positional[1], node, frame))
        else:
            obj.children.extend(as_module(it, m, node, frame) for m in items)
        return obj
    if isinstance(obj, SeqMod) and name in ("add_module", "append") and positional:
        key = positional[0] if name == "add_module" else str(len(obj.children))
        obj.children.append((key, as_module(it, positional[-1], node, frame, obj.framework)))
        return obj
    if isinstance(obj, ModDict) and name in ("items", "keys", "values"):
        return dict_method(obj.children, name)
    if isinstance(obj, ModDict) and name == "update" and positional and isinstance(positional[0], dict):
        obj.children.update(positional[0])
        return None
    if isinstance(obj, Instance) and name in ("add_module", "register_module", "register_buffer",
                                              "register_parameter") and len(positional) >= 2:
        if isinstance(positional[0], str):
            it.flow.set_attr(obj, positional[0], positional[1])
        return None
    if isinstance(obj, Leaf) and name == "add":  # keras.Sequential.add is a SeqMod; a Leaf has no add
        return Unknown("add() on a layer")
    return Unknown(f"`.{name}()` of a module is not followed")


def list_method(it, m: ListMethod, node, frame) -> Any:
    positional, _, _ = it.args(node, frame)
    target = m.target
    if m.name == "append" and len(positional) == 1:
        target.append(positional[0])
    elif m.name == "extend" and positional:
        items = it.iterate(positional[0])
        if isinstance(items, Unknown):
            return items
        target.extend(items)
    elif m.name == "insert" and len(positional) == 2 and isinstance(positional[0], int):
        target.insert(positional[0], positional[1])
    elif m.name == "pop":
        index = positional[0] if positional else -1
        if not isinstance(index, int) or not -len(target) <= index < max(len(target), 1) or not target:
            return Unknown("pop() from a list of run-time length")
        return target.pop(index)
    elif m.name == "reverse":
        target.reverse()
    elif m.name == "copy":
        return list(target)
    elif m.name == "index" and positional:
        try:
            return target.index(positional[0])
        except ValueError:
            return Unknown("the element is not in the list")
    else:
        return Unknown(f"list.{m.name}() is not followed")
    return None


# ---------------------------------------------------------------- objects of the file's classes

def instantiate(it, cls, node, frame) -> Any:
    positional, keywords, star = it.args(node, frame)
    return construct(it, cls, positional, keywords, star)


def construct(it, cls, positional, keywords, star) -> Instance:
    obj = Instance(cls)
    fn, owner = cls.method("__init__")
    if fn is not None:
        result = it.run_function(fn, owner, obj, positional, keywords, star, owner.chunk, owner.scope)
        if isinstance(result, Unknown) and "called without" in result.reason:
            obj.attrs["<init-problem>"] = result
    build, _ = cls.method("build")
    if build is not None and cls.framework == "keras":
        obj.attrs["<build>"] = Unknown(f"`{cls.name}.build()` creates weights the analysis does not follow")
    return obj


# ---------------------------------------------------------------- calling modules

def call_module(it, mod, positional: list, keywords: dict, node, frame) -> Any:
    if isinstance(mod, Leaf):
        return apply_leaf(it, mod, positional, keywords, node, frame)
    if isinstance(mod, SeqMod):
        value = positional[0] if positional else keywords.get("input", keywords.get("inputs"))
        for _, child in mod.children:
            value = call_module(it, child, [value], {}, node, frame)
        return value
    if isinstance(mod, Instance):
        method = "forward" if mod.cls.framework == "torch" else "call"
        fn, owner = mod.cls.method(method)
        if fn is None:
            return Unknown(f"`{mod.cls.name}` has no {method}() method")
        return it.run_function(fn, owner, mod, positional, keywords, None, owner.chunk, owner.scope,
                               record_steps=False, where=mod.name)
    kind = "ModuleList" if isinstance(mod, ModList) else "ModuleDict"
    it.flow.info(frame.chunk.span(node), f"a {kind} is not callable (it has no forward): the result is unknown")
    return Tensor(None, f"a {kind} is not callable")


def apply_leaf(it, leaf: Leaf, positional: list, keywords: dict, node, frame) -> Any:
    if leaf.special == "merge":
        from .flow_keras import apply_merge

        return apply_merge(it, leaf, positional[0] if positional else keywords.get("inputs"), node, frame)
    x = positional[0] if positional else keywords.get("input", keywords.get("inputs", keywords.get("x")))
    if leaf.special in ("parameter",):
        return Unknown("a Parameter is not callable")
    if not isinstance(x, Tensor):
        why = x.reason if isinstance(x, Unknown) else f"the input of `{short(node)}` is not a tensor the analysis follows"
        x = Tensor(None, why)
    if leaf.rule is None:
        leaf.calls += 1
        return it.result(Tensor(None, leaf.record.unknown_reasons[0] if leaf.record.unknown_reasons else "unknown"),
                         [x], leaf)
    ctx = run_rule(it, leaf.rule, leaf.positional, leaf.keywords, leaf.star, x, leaf.framework,
                   call_args(leaf.rule, positional, keywords))
    call_span = frame.chunk.span(node)
    label = leaf.record.name or leaf.record.type
    if leaf.calls == 0:
        fill_record(leaf, ctx, x)
    else:
        check_shared(it, leaf, ctx, x, call_span)
    leaf.calls += 1
    leaf.macs_total = None if leaf.macs_total is None or ctx.macs is None else leaf.macs_total + ctx.macs
    report_findings(it, leaf, ctx, x, call_span, label)
    out_text = ctx.out.text() if ctx.out is not None else "?"
    named = f"{label} ({leaf.record.type})" if label != leaf.record.type else label
    producer = (call_span, f"{named} produces {out_text}")
    out = Tensor(ctx.out, "; ".join(ctx.unknown) or ("" if ctx.out else f"{label}'s output is unknown"),
                 ctx.out_origin, producer)
    out = it.result(out, [x], leaf)
    if ctx.outputs is not None:
        return _outputs(it, ctx.outputs, out, x, leaf, producer)
    if leaf.record.type in TUPLE_RESULTS and leaf.framework == "torch":
        return (out, Tensor(None, f"the state returned by {leaf.record.type} is not followed"))
    return out


def _outputs(it, structure, main: Tensor, x: Tensor, leaf, producer) -> Any:
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
            return it.result(Tensor(v, "", "", producer), [x], leaf)
        return Tensor(None, f"this output of {leaf.record.type} is unknown")
    return build(structure)


def call_args(rule, positional: list, keywords: dict) -> dict:
    """The layer call's arguments bound to the entry's call signature (Ctx.call), if it has one."""
    sig = rule.call_signature
    if sig is None:
        return {}
    bound = bind(sig, positional, keywords, None)
    return {k: _call_value(v) for k, v in bound.values.items()}


def _call_value(v) -> Any:
    if isinstance(v, Tensor):
        return v.shape if v.shape is not None else Unknown(v.reason or "the tensor's shape is unknown")
    if isinstance(v, (tuple, list)) and any(isinstance(e, Tensor) for e in v):
        items = [_call_value(e) for e in v]
        return tuple(items) if isinstance(v, tuple) else items
    return clean(v)


def report_findings(it, leaf: Leaf, ctx: Ctx, x: Tensor, call_span, label: str) -> None:
    """Input findings go on the call in forward() (where the framework raises), pointing at the constructor;
    findings about the arguments alone go on the constructor."""
    for f in ctx.findings:
        if f.related_to_input and call_span != leaf.span:
            related = ([x.producer] if x.producer else []) + [(leaf.span, f"{label} = {leaf.record.type}(...) is "
                                                                          f"declared here")]
            it.flow.report(call_span, f.code, f.severity, f"{label}: {f.message}", related)
        else:
            related = [x.producer] if f.related_to_input and x.producer else []
            it.flow.report(leaf.span, f.code, f.severity, f.message, related)


def fill_record(leaf: Leaf, ctx: Ctx, x: Tensor) -> None:
    r = leaf.record
    r.type = leaf.rule.name
    r.input_shape, r.output_shape = x.shape, ctx.out
    r.trainable, r.non_trainable = ctx.trainable, ctx.non_trainable
    r.formulas, r.unknown_reasons = ctx.formulas, ctx.unknown
    if ctx.layer_name:
        r.name = ctx.layer_name
    leaf.built_params = (ctx.trainable, ctx.non_trainable)


def check_shared(it, leaf: Leaf, ctx: Ctx, x: Tensor, call_span) -> None:
    """A Keras layer is built on its first call; a later call with other sizes does not fit its weights."""
    if leaf.framework != "keras" or leaf.built_params is None:
        return
    now = (ctx.trainable, ctx.non_trainable)
    if None in now or None in leaf.built_params or now == leaf.built_params:
        return
    first = leaf.record.input_shape.text() if leaf.record.input_shape else "?"
    it.flow.report(call_span, "SL105", "error",
                   f"the shared layer {leaf.record.name or leaf.record.type} was built for the input {first} on its "
                   f"first call; its weights do not fit the input {x.shape.text() if x.shape else '?'} here",
                   [(leaf.span, "the layer is created here")])


def clean(v) -> Any:
    """Arguments for a catalog rule: constants or Unknown only."""
    if isinstance(v, (int, float, str, bool, type(None))):
        return v
    if isinstance(v, (tuple, list)):
        items = [clean(x) for x in v]
        return tuple(items) if isinstance(v, tuple) else items
    if isinstance(v, Unknown):
        return v
    if isinstance(v, Sym):
        return Unknown(f"the size {v.name} is symbolic")
    return Unknown("an argument is only known at run time")


def run_rule(it, rule, positional, keywords, star, x: Tensor, framework: str, call: Optional[dict] = None) -> Ctx:
    from .engine import keras_kwargs_checks

    bound = bind(rule.signature, [clean(v) for v in positional], {k: clean(v) for k, v in keywords.items()}, star)
    ctx = Ctx(rule, bound.values, bound.given, x.shape, framework, True, x.origin)
    ctx.call = call or {}
    ctx.extra = bound.extra_kwargs
    name = bound.extra_kwargs.get("name", bound.values.get("name"))
    ctx.layer_name = name if isinstance(name, str) else None
    for e in bound.errors:
        ctx.error("SL010", f"{rule.name}() {e}")
    if framework == "keras":
        keras_kwargs_checks(ctx, rule, bound, True)
    try:
        rule.infer(ctx)
    except Exception as e:  # a rule bug must not take the analysis down
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        ctx.out = None
        ctx.trainable = ctx.non_trainable = ctx.macs = None
        ctx.why_unknown(f"internal error in the {rule.name} rule: {type(e).__name__}: {e}")
    return ctx


def finish_leaf(it, leaf: Leaf) -> None:
    """A layer never called: PyTorch still has its parameters; Keras never built it (no weights)."""
    if leaf.calls and leaf.rule is not None:
        leaf.record.macs = leaf.macs_total
    if leaf.calls or leaf.special in ("parameter", "opaque", "unknown", "merge"):
        if leaf.special == "merge" and not leaf.calls:
            leaf.record.trainable = leaf.record.non_trainable = leaf.record.macs = 0
        return
    r = leaf.record
    if leaf.framework == "keras":
        r.trainable = r.non_trainable = r.macs = 0
        r.unknown_reasons = ["never called: Keras creates a layer's weights on its first call"]
        return
    ctx = run_rule(it, leaf.rule, leaf.positional, leaf.keywords, leaf.star, Tensor(None), "torch")
    r.trainable, r.non_trainable, r.macs = ctx.trainable, ctx.non_trainable, 0
    r.formulas = [f for f in ctx.formulas if f[0] in ("params", "non-trainable", "buffers")]
    r.unknown_reasons = ["never called in forward()"]
    for f in ctx.findings:
        if not f.related_to_input:
            it.flow.report(leaf.span, f.code, f.severity, f.message)
