"""Keras: keras.Input tensors, layers built on their first call, Sequential models, functional models
(keras.Model(inputs, outputs) walks the graph back from its outputs), subclassed models, merge layers.

A Keras layer creates its weights when it is first called (built): the first call's input fixes its
parameters; a later call with other sizes would not fit them (reported). Layer calls on Keras tensors
are checked as the code runs, as Keras checks them while the model is built.

Merge layers take a list of tensors, so they have rules here rather than in the one-input catalog
(keras/src/layers/merging/*.py, Keras 3.15).
"""
from __future__ import annotations

from typing import Any, Optional

from ...frameworks.base import Signature, bind
from ..shapes import UNKNOWN, Shape, is_known
from . import modules as M
from .objects import GraphNode, Native, Opaque, Tensor, Unknown, with_root_cause

SL111 = "SL111"
MERGE_CLASSES = {"Concatenate": "axis=-1, **kwargs", "Add": "**kwargs", "Subtract": "**kwargs",
                 "Multiply": "**kwargs", "Average": "**kwargs", "Maximum": "**kwargs", "Minimum": "**kwargs",
                 "Dot": "axes, normalize=False, **kwargs"}
MERGE_FUNCTIONS = {"concatenate": "Concatenate", "add": "Add", "subtract": "Subtract", "multiply": "Multiply",
                   "average": "Average", "maximum": "Maximum", "minimum": "Minimum", "dot": "Dot"}
MERGE = "merge"
INPUTS = {"keras.Input", "keras.layers.Input", "keras.layers.InputLayer"}


def link(it, t: Tensor, inputs: list, mod) -> Tensor:
    """Record that `t` was made from `inputs` by `mod` (a layer) or an operation (None)."""
    t.node = GraphNode(mod, list(inputs), it.next_serial())
    return t


# ====================================================================== dispatch of keras.* names

def call(it, name: str, args: list, kwargs: dict, node, frame, star):
    if name.startswith("tensorflow."):
        return _tensorflow(it, name, args, kwargs, node, frame, star)
    if name in INPUTS:
        return keras_input(it, args, kwargs, node, frame)
    if name == "keras.Sequential":
        return sequential(it, args, kwargs, node, frame)
    if name == "keras.Model":
        return functional(it, args, kwargs, node, frame)
    if name.startswith("keras.layers."):
        rest = name[len("keras.layers."):]
        if rest in MERGE_CLASSES:
            return make_merge(it, rest, args, kwargs, star, node, frame)
        if rest in MERGE_FUNCTIONS:
            layer = make_merge(it, MERGE_FUNCTIONS[rest], args[1:], {k: v for k, v in kwargs.items() if k != "inputs"},
                               star, node, frame)
            return apply_merge(it, layer, args[0] if args else kwargs.get("inputs"), node, frame)
        if "." not in rest and rest[:1].isupper():
            return M.leaf(it, "keras", name, args, kwargs, star, node, frame)
    if name in ("keras.backend.image_data_format", "keras.config.image_data_format"):
        return "channels_last"   # Keras' default (keras.json may change it; shapelens reads no config)
    if name in ("keras.backend.is_keras_tensor", "keras.utils.is_keras_tensor"):
        t = args[0] if args else None
        return isinstance(t, Tensor) and (t.node is not None or t.is_input)
    if name == "keras.random.SeedGenerator":   # RNG state for keras.random ops, never a layer: not an Opaque
        return Unknown("a `keras.random.SeedGenerator`'s state is known only at run time")
    if name.startswith(("keras.ops.", "keras.activations.", "keras.backend.", "keras.random.")):
        return _ops(it, name, args, kwargs, node, frame, star)
    if name.startswith("keras.applications."):
        return _application(it, name, args, kwargs, node, frame, star)
    if name.startswith(("keras.utils.", "keras.saving.", "keras.optimizers.", "keras.losses.", "keras.metrics.",
                        "keras.callbacks.", "keras.initializers.", "keras.regularizers.", "keras.constraints.")):
        return Opaque(f"`{name}()` is not part of the model's shapes")
    from .natives import unfollowed

    return unfollowed(it, name, args, kwargs, node, frame)


def _application(it, name: str, args, kwargs, node, frame, star):
    """keras.applications.ResNet50(...): Keras' own model code, read from the installed Keras when there is
    one (loader.py), and run like the file's code."""
    loader = it.unit.loader
    module, _, attr = name.rpartition(".")
    found = loader.absolute(module) if loader is not None else None
    if found is not None and not isinstance(found, Unknown):
        fn = loader.attribute(found, attr)
        if not isinstance(fn, Unknown):
            return it.call(fn, args, kwargs, node, frame, star)
    why = f"`{name}()` builds a model from Keras' sources, which are not installed here"
    return M.opaque(it, why, node, frame, "keras")


def _tensorflow(it, name: str, args, kwargs, node, frame, star):
    from . import tensors

    if name in tensors.ARRAY_FACTORIES:
        return tensors.array_call(it, name, args, kwargs, node, frame, star)
    short = name.rsplit(".", 1)[-1]
    if short in ("concat",) and args:
        return tensors.call_function(it, "cat", [args[0]], {"dim": kwargs.get("axis", args[1] if len(args) > 1
                                                                              else 0)}, node, frame, star)
    if short in ("reshape",) and len(args) >= 2:
        return tensors.call_function(it, "reshape", [args[0], args[1]], {}, node, frame, star)
    if name.startswith("tensorflow.nn.") and args and isinstance(args[0], Tensor):
        if short in ("relu", "sigmoid", "tanh", "softmax", "gelu", "silu", "swish", "elu", "selu", "leaky_relu",
                     "relu6", "softplus", "log_softmax", "dropout"):
            return tensors.result(it, Tensor(args[0].shape, args[0].reason), [args[0]])
    from .natives import unfollowed

    return unfollowed(it, name, args, kwargs, node, frame)


def _ops(it, name: str, args, kwargs, node, frame, star):
    """keras.ops.* / keras.activations.*: the operations on Keras tensors whose shapes are followed."""
    from . import tensors

    short = name.rsplit(".", 1)[-1]
    if name.startswith("keras.activations.") or short in ("relu", "sigmoid", "tanh", "softmax", "gelu", "silu",
                                                          "swish", "elu", "selu", "leaky_relu", "relu6", "softplus",
                                                          "log_softmax", "exp", "log", "sqrt", "abs", "square",
                                                          "negative", "stop_gradient", "cast", "convert_to_tensor",
                                                          "erf", "rsqrt"):
        t = args[0] if args else kwargs.get("x")
        if isinstance(t, Tensor):
            return tensors.result(it, Tensor(t.shape, t.reason, t.origin, t.producer), [t])
    if short == "dropout" and name.startswith("keras.random."):   # (inputs, rate, noise_shape, seed): as inputs
        t = args[0] if args else kwargs.get("inputs")
        if isinstance(t, Tensor):
            return tensors.result(it, Tensor(t.shape, t.reason, t.origin, t.producer), [t])
    if short in ("add", "subtract", "multiply", "divide", "maximum", "minimum", "power") and len(args) >= 2:
        import ast

        op = {"add": ast.Add, "subtract": ast.Sub, "multiply": ast.Mult, "divide": ast.Div}.get(short, ast.Add)
        return it.binary(op, args[0], args[1], node, frame)
    if short == "matmul" and len(args) >= 2:
        return tensors.call_function(it, "matmul", args[:2], {}, node, frame, star)
    if short in ("concatenate",) and args:
        return tensors.call_function(it, "cat", [args[0]], {"dim": kwargs.get("axis", args[1] if len(args) > 1
                                                                              else 0)}, node, frame, star)
    if short == "reshape" and len(args) >= 2:
        return tensors.call_function(it, "reshape", [args[0], args[1]], {}, node, frame, star)
    if short == "transpose" and args:
        axes = kwargs.get("axes", args[1] if len(args) > 1 else None)
        if axes is None and isinstance(args[0], Tensor) and args[0].shape is not None and \
                not args[0].shape.open_rank:
            axes = tuple(reversed(range(len(args[0].shape))))
        return tensors.call_function(it, "permute", [args[0], axes], {}, node, frame, star)
    if short == "expand_dims" and len(args) >= 1:
        return tensors.call_function(it, "unsqueeze", [args[0], kwargs.get("axis", args[1] if len(args) > 1
                                                                           else None)], {}, node, frame, star)
    if short in ("mean", "sum", "max", "min") and args:
        axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
        keep = kwargs.get("keepdims", False)
        return tensors.call_function(it, "amax" if short == "max" else "amin" if short == "min" else short,
                                     [args[0]], {"dim": axis, "keepdim": keep}, node, frame, star)
    if short == "shape" and args and isinstance(args[0], Tensor):
        return tensors.shape_tuple(args[0])
    if name in tensors.ARRAY_FACTORIES:
        return tensors.array_call(it, name, args, kwargs, node, frame, star)
    from .natives import unfollowed

    return unfollowed(it, name, args, kwargs, node, frame)


# ====================================================================== Input

def keras_input(it, args: list, kwargs: dict, node, frame) -> Tensor:
    shape = kwargs.get("shape", kwargs.get("input_shape", args[0] if args else None))
    batch = kwargs.get("batch_size")
    batch_shape = kwargs.get("batch_shape")
    dims = None
    if _dims_ok(batch_shape):
        dims = list(batch_shape)
    elif isinstance(shape, int) and not isinstance(shape, bool):
        dims = [batch if isinstance(batch, int) else None, shape]
    elif _dims_ok(shape):
        dims = [batch if isinstance(batch, int) else None] + list(shape)
    span = frame.code.span(node)
    if dims is None:
        why = shape.reason if isinstance(shape, Unknown) else f"the shape of `{frame.code.text(node)}` is not known " \
                                                              f"statically"
        M.report_info(it, span, f"{why}: what follows is unknown")
        t = Tensor(None, f"the Input's shape is unknown: {why}")
    else:
        s = Shape.of(dims)
        t = Tensor(s, producer=(span, f"Input produces {s.text()}"))
    t.is_input = True
    if frame.code.external is None:   # an Input made in another file has no line here
        t.step_spans = (span,)
    name = kwargs.get("name")
    if isinstance(name, str):
        t.origin = ""
    return t


def _dims_ok(v) -> bool:
    return isinstance(v, (tuple, list)) and all(d is None or (isinstance(d, int) and not isinstance(d, bool))
                                                for d in v)


def _tensors(v) -> Optional[list]:
    if isinstance(v, Tensor):
        return [v]
    if isinstance(v, dict):
        v = list(v.values())
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, Tensor) for x in v):
        return list(v)
    return None


# ====================================================================== Sequential

def sequential(it, args: list, kwargs: dict, node, frame) -> M.Mod:
    mod = M.new_mod(it, "keras", M.SEQUENTIAL, "keras.Sequential", node, frame)
    sequential_init(it, mod, args, kwargs, node, frame)
    return mod


def sequential_init(it, mod: M.Mod, args: list, kwargs: dict, node, frame) -> None:
    items = args[0] if args else kwargs.get("layers")
    layer_kwargs(it, mod, kwargs)
    if items is None:
        return
    found = it.iterate(items, node, frame)
    if isinstance(found, Unknown):
        mod.taint = found
        M.report_info(it, mod.span, f"{found.reason}: the Sequential's layers are unknown (shown as ?)")
        return
    for m in found:
        add_layer(it, mod, m, node, frame)


def add_layer(it, mod: M.Mod, layer, node, frame) -> None:
    if isinstance(layer, Tensor) and layer.is_input:   # keras.Input(...) as the first element
        if not mod.children:
            mod.attrs["__input__"] = layer
        return
    if type(layer) is M.Mod and layer.qualname == "keras.layers.InputLayer":
        return
    it.mutated(mod)
    mod.children[str(len(mod.children))] = M.as_module(it, layer, node, frame, "keras")


def input_of(mod: M.Mod) -> tuple:
    """(input shape, where it comes from) of a Keras Sequential model."""
    given = mod.attrs.get("__input__")
    if isinstance(given, Tensor):
        return given.shape, "Input"
    build = mod.attrs.get("__build__")
    first = next(iter(mod.children.values()), None)
    if type(first) is M.Mod and first.rule is not None:
        v = first.kwargs.get("input_shape")
        if _dims_ok(v) or (isinstance(v, int) and not isinstance(v, bool)):
            dims = [v] if isinstance(v, int) else list(v)
            return Shape.of([None] + dims), "input_shape="
        v = first.kwargs.get("input_dim")
        if isinstance(v, int) and not isinstance(v, bool):
            return Shape.of([None, v]), "input_dim="
    if build is not None:
        return build, "model.build()"
    return None, None


# ====================================================================== functional models

def functional(it, args: list, kwargs: dict, node, frame):
    if not args and "inputs" not in kwargs:
        return Unknown("a subclassed keras.Model")
    mod = M.new_mod(it, "keras", M.FUNCTIONAL, "keras.Model", node, frame)
    functional_init(it, mod, args, kwargs, node, frame)
    return mod


def functional_init(it, mod: M.Mod, args: list, kwargs: dict, node, frame) -> None:
    ins = _tensors(kwargs.get("inputs", args[0] if args else None))
    outs = _tensors(kwargs.get("outputs", args[1] if len(args) > 1 else None))
    layer_kwargs(it, mod, kwargs)
    if ins is None or outs is None:
        raw = kwargs.get("inputs", args[0] if args else None)
        why = raw.reason if isinstance(raw, Unknown) else \
            "the inputs or outputs of this keras.Model are not tensors the analysis followed"
        mod.taint = Unknown(why)
        M.report_info(it, frame.code.span(node), f"{why}: the model is not shown")
        return
    mod.graph = (ins, outs)
    mod.kind = M.FUNCTIONAL if mod.cls is None else mod.kind
    for layer in graph_layers(ins, outs)[0]:
        mod.children[layer_key(layer, len(mod.children))] = layer


def layer_key(layer, i: int) -> str:
    return layer.layer_name or f"{layer.type_name}_{i}"


def graph_layers(ins: list, outs: list) -> tuple:
    """The layers between the inputs and the outputs, each once, in the order Keras lists them
    (keras/src/ops/function.py map_graph: by depth from the inputs, then by first visit of a depth-first
    walk back from the outputs), and the tensors on the way."""
    stop = {id(t) for t in ins}
    finished, order, index = set(), [], {}
    found: list = []
    seen: set = set()

    def visit(t) -> None:
        if id(t) not in seen:
            seen.add(id(t))
            found.append(t)
        node = t.node
        if node is None or id(t) in stop or id(node) in finished:
            return
        op = node.mod if node.mod is not None else node
        index.setdefault(id(op), (len(index), op))
        finished.add(id(node))
        for x in node.inputs:
            visit(x)
        order.append(node)

    for t in outs:
        visit(t)
    for t in ins:
        if id(t) not in seen:
            seen.add(id(t))
            found.append(t)
    node_depth: dict = {}
    op_depth: dict = {}
    in_graph = {id(n) for n in order}
    for node in reversed(order):
        depth = node_depth.setdefault(id(node), 0)
        op = node.mod if node.mod is not None else node
        depth = max(depth, op_depth.get(id(op), 0))
        op_depth[id(op)] = depth
        node_depth[id(node)] = depth
        for x in node.inputs:
            parent = x.node
            if parent is not None and id(parent) in in_graph and id(x) not in stop:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    ops = sorted(index.values(), key=lambda p: (-op_depth.get(id(p[1]), 0), p[0]))
    layers = [op for _, op in ops if isinstance(op, M.Mod)]
    return layers, found


def call_functional(it, mod: M.Mod, args: list, kwargs: dict, node, frame):
    """A functional model used as a layer: its output shape when the input has its input's shape."""
    x = args[0] if args else kwargs.get("inputs")
    if mod.taint is not None or mod.graph is None:
        why = mod.taint.reason if mod.taint is not None else "the model's graph is unknown"
        return link(it, Tensor(None, why), _tensors(x) or [], mod) if isinstance(x, Tensor) else Tensor(None, why)
    ins, outs = mod.graph
    given = _tensors(x) or []
    same = len(given) == len(ins) and all(g.shape is not None and i.shape is not None and
                                          list(g.shape.dims[1:]) == list(i.shape.dims[1:]) for g, i in zip(given, ins))
    if mod.calls == 0:
        mod.built = (None, given[0].shape if given else None)
    mod.calls += 1
    if not same:
        out = Tensor(None, "the nested model is called on an input of another shape than its own Input")
        return link(it, out, given, mod)
    results = [link(it, Tensor(o.shape, o.reason, o.origin, (frame.code.span(node), f"{mod.type_name} produces "
                                                         f"{o.shape.text() if o.shape else '?'}")), given, mod)
               for o in outs]
    return results[0] if len(results) == 1 else results


# ====================================================================== nested models and custom layers

def linked(args: list, kwargs: dict) -> bool:
    """Is any argument a Keras graph tensor (a functional model is being built)?"""
    stack = list(args) + list(kwargs.values())
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            if v.node is not None or v.is_input:
                return True
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return False


def _unlinked(v, found: list):
    """The arguments with every graph tensor replaced by a fresh tensor of its shape (what a model does
    inside is not part of the outer graph), collecting the originals."""
    if isinstance(v, Tensor):
        found.append(v)
        return Tensor(v.shape, v.reason, v.origin, v.producer)
    if isinstance(v, list):
        return [_unlinked(x, found) for x in v]
    if isinstance(v, tuple):
        return tuple(_unlinked(x, found) for x in v)
    if isinstance(v, dict):
        return {k: _unlinked(x, found) for k, x in v.items()}
    return v


def _relink(it, v, inputs: list, mod):
    if isinstance(v, Tensor):
        return link(it, Tensor(v.shape, v.reason, v.origin, v.producer), inputs, mod)
    if isinstance(v, list):
        return [_relink(it, x, inputs, mod) for x in v]
    if isinstance(v, tuple):
        return tuple(_relink(it, x, inputs, mod) for x in v)
    if isinstance(v, dict):
        return {k: _relink(it, x, inputs, mod) for k, x in v.items()}
    return v


def as_one_node(it, mod: M.Mod, args: list, kwargs: dict, node, frame, inside):
    """A Keras model or custom layer called on graph tensors is one layer of the graph (as Keras records
    it): it runs on copies of its inputs, and its outputs are linked to its inputs through it."""
    found: list = []
    inner_args = _unlinked(list(args), found)
    inner_kwargs = _unlinked(dict(kwargs), found)
    out = inside(it, mod, inner_args, inner_kwargs, node, frame)
    if mod.built is None:
        first = found[0].shape if found else None
        mod.built = (None, first)
        mod.attrs["__first__"] = (first, out.shape if isinstance(out, Tensor) else None)
    mod.calls += 1
    return _relink(it, out, found, mod)


# ====================================================================== layers

def layer_kwargs(it, mod: M.Mod, kwargs: dict) -> None:
    name = kwargs.get("name")
    if isinstance(name, str):
        mod.layer_name = name
    trainable = kwargs.get("trainable")
    if isinstance(trainable, bool):
        mod.trainable = trainable


def apply_layer(it, mod: M.Mod, args: list, kwargs: dict, node, frame, is_first: bool = True):
    if mod.kind == MERGE:
        return apply_merge(it, mod, args[0] if args else kwargs.get("inputs"), node, frame)
    x = args[0] if args else kwargs.get("inputs", kwargs.get("query", kwargs.get("x")))
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, Tensor) for v in x) and mod.rule is not None \
            and mod.rule.call_signature is None:
        x = x[0]
    if not isinstance(x, Tensor):
        why = x.reason if isinstance(x, Unknown) else "the input is not a tensor the analysis follows"
        x = Tensor(None, why)
    call, errors = M.call_args(mod.rule, args, kwargs)
    ctx = M.run_rule(it, mod, x, call, is_first)
    for e in errors:
        ctx.error("SL110", f"{mod.rule.name}.call() {e}", related_to_input=True)
    call_span = frame.code.span(node) if node is not None else mod.span
    label = mod.layer_name or mod.type_name
    if mod.built is None:
        mod.built = (ctx, x.shape)
    else:
        check_shared(it, mod, ctx, x, call_span)
    mod.calls += 1
    if it.recorder is not None:
        it.recorder.leaf_call(mod, ctx, x, call_span)
    report_findings(it, mod, ctx, x, call_span, label)
    out_text = ctx.out.text() if ctx.out is not None else "?"
    named = f"{label} ({mod.type_name})" if label != mod.type_name else label
    producer = (call_span, f"{named} produces {out_text}")
    out = Tensor(ctx.out, "; ".join(ctx.unknown) or ("" if ctx.out else f"{label}'s output is unknown"),
                 ctx.out_origin, producer)
    with_root_cause(it, out, [x])
    out = link(it, out, [x] + [v for v in list(args[1:]) + list(kwargs.values()) if isinstance(v, Tensor)], mod)
    if ctx.outputs is not None:
        return M.outputs(ctx.outputs, out, mod, producer)
    return out


def report_findings(it, mod: M.Mod, ctx, x: Tensor, call_span, label: str) -> None:
    for f in ctx.findings:
        if f.related_to_input and call_span != mod.span:
            related = ([x.producer] if x.producer else []) + [(mod.span, f"{label} = {mod.type_name}(...) is "
                                                                         f"declared here")]
            M.report(it, call_span, f.code, f.severity, f"{label}: {f.message}", related)
        else:
            related = [x.producer] if f.related_to_input and x.producer else []
            M.report(it, mod.span, f.code, f.severity, f.message, related)


def check_shared(it, mod: M.Mod, ctx, x: Tensor, call_span) -> None:
    """A Keras layer is built on its first call; a later call with other sizes does not fit its weights."""
    first_ctx, first_shape = mod.built
    if first_ctx is None:
        return
    now = (ctx.trainable, ctx.non_trainable)
    before = (first_ctx.trainable, first_ctx.non_trainable)
    if None in now or None in before or now == before:
        return
    first = first_shape.text() if first_shape else "?"
    M.report(it, call_span, "SL105", "error",
             f"the shared layer {mod.layer_name or mod.type_name} was built for the input {first} on its first call; "
             f"its weights do not fit the input {x.shape.text() if x.shape else '?'} here",
             [(mod.span, "the layer is created here")])


# ====================================================================== models' methods and attributes

def model_method(it, mod: M.Mod, name: str, args: list, kwargs: dict, node, frame, star):
    if name == "add" and args:
        if mod.kind != M.SEQUENTIAL and not (mod.cls is not None and mod.cls.native == "keras.Sequential"):
            return Unknown("add() on a layer")
        add_layer(it, mod, args[0], node, frame)
        return None
    if name == "pop":
        if mod.children:
            it.mutated(mod)
            key = list(mod.children)[-1]
            return mod.children.pop(key)
        return None
    if name == "build" and args:
        shape = args[0]
        if _dims_ok(shape):
            mod.attrs["__build__"] = Shape.of(list(shape))
            it.unit.example(it, mod, [Tensor(Shape.of(list(shape)))], "model.build()")
        return None
    if name in ("compile", "fit", "evaluate", "predict", "summary", "save", "save_weights", "load_weights",
                "train_on_batch", "test_on_batch", "predict_on_batch", "reset_states", "set_weights"):
        return None
    if name == "get_layer":
        key = args[0] if args else kwargs.get("name")
        for child in mod.children.values():
            if type(child) is M.Mod and child.layer_name == key:
                return child
        index = kwargs.get("index")
        if isinstance(index, int):
            children = list(mod.children.values())
            if -len(children) <= index < len(children):
                return children[index]
        return Unknown(f"the layer `{key}` is not found")
    if name in ("count_params",):
        return Unknown("count_params() is shown by shapelens, not computed here")
    if name in ("add_weight",):
        return _add_weight(it, mod, args, kwargs, node, frame)
    return Unknown(f"`.{name}()` of a Keras model is not followed")


def _add_weight(it, mod, args, kwargs, node, frame):
    from .objects import Param

    shape = kwargs.get("shape", args[0] if args else None)
    trainable = kwargs.get("trainable", True)
    name = kwargs.get("name", f"weight_{len(mod.params)}")
    s = Shape.of(list(shape)) if _dims_ok(shape) and None not in shape else None
    p = Param(s, trainable if isinstance(trainable, bool) else Unknown("trainable is known only at run time"),
              frame.code.span(node), "" if s is not None else "the weight's shape is known only at run time")
    mod.params[str(name) if isinstance(name, str) else f"weight_{len(mod.params)}"] = p
    return p


def layer_attr(it, mod: M.Mod, name: str, node, frame):
    if name == "trainable":
        return mod.trainable
    if name == "layers":
        if mod.taint is not None:
            return mod.taint
        return it.born([c for c in mod.children.values() if type(c) is M.Mod])
    if name in ("output", "outputs", "input", "inputs"):
        if mod.graph is not None:
            ins, outs = mod.graph
            chosen = outs if name.startswith("output") else ins
            return chosen[0] if name in ("output", "input") and len(chosen) == 1 else list(chosen)
        return Unknown(f"`.{name}` of a model that is not functional")
    if name == "name":
        return mod.layer_name or Unknown("the layer's name is generated at run time")
    if name in ("built",):
        return mod.built is not None
    if name in ("add", "build", "compile", "fit", "summary", "get_layer", "pop", "add_weight", "evaluate", "predict",
                "count_params", "save", "call", "__call__"):
        from .objects import NativeMethod

        return NativeMethod(mod, name)
    if mod.rule is not None and any(p.name == name for p in mod.rule.signature.params):
        bound = M.bind(mod.rule.signature, [M.clean(v) for v in mod.args],
                       {k: M.clean(v) for k, v in mod.kwargs.items()}, mod.star)
        return bound.values.get(name, Unknown(f"`.{name}` is unknown"))
    if mod.cls is not None:
        return Unknown(it.located(f"`{name}` is not set on this `{mod.cls.name}` object"))
    return Unknown(f"`.{name}` of {mod.type_name} is not followed")


# ====================================================================== merge layers

def make_merge(it, cls_name: str, args: list, kwargs: dict, star, node, frame) -> M.Mod:
    mod = M.new_mod(it, "keras", MERGE, f"keras.layers.{cls_name}", node, frame)
    bound = bind(Signature.parse(MERGE_CLASSES[cls_name]), [M.clean(a) for a in args],
                 {k: M.clean(v) for k, v in kwargs.items()}, star)
    mod.attrs["__merge_args__"] = bound.values
    name = bound.extra_kwargs.get("name")
    if isinstance(name, str):
        mod.layer_name = name
    for e in bound.errors:
        M.report(it, mod.span, "SL010", "error", f"{cls_name}() {e}")
    return mod


def apply_merge(it, mod: M.Mod, inputs, node, frame) -> Any:
    found = _tensors(inputs) if not isinstance(inputs, Tensor) else None
    span = frame.code.span(node) if node is not None else mod.span
    kind = mod.qualname.rsplit(".", 1)[-1]
    if found is None:
        if isinstance(inputs, Tensor):
            M.report(it, span, SL111, "error", f"{kind} takes a list of tensors")
        return Tensor(None, f"the inputs of {kind} are unknown")
    shapes = [t.shape for t in found]
    out, error = merge_shape(kind, shapes, mod.attrs["__merge_args__"])
    if error:
        related = [t.producer for t in found if t.producer is not None]
        M.report(it, span, SL111, "error", f"{kind}: {error}", related)
    if mod.built is None:
        mod.built = (None, shapes[0])
        mod.attrs["__first__"] = (shapes[0], out)
    mod.calls += 1
    if it.recorder is not None:
        it.recorder.merge_call(mod, shapes[0], out, span)
    producer = (span, f"{kind} produces {out.text() if out else '?'}")
    why = "" if out is not None else ("the merge does not fit its inputs" if error else "an input shape is unknown")
    return link(it, Tensor(out, why, "", producer), found, mod)


def merge_shape(kind: str, shapes: list, args: dict) -> tuple:
    if any(s is None or s.open_rank for s in shapes):
        return None, ""
    if len(shapes) < 2 and kind != "Concatenate":
        return None, f"a merge layer should be called on a list of at least 2 inputs, got {len(shapes)}"
    if kind == "Concatenate":
        return concat_shape(shapes, args.get("axis", -1))
    if kind == "Dot":
        return dot_shape(shapes, args.get("axes"))
    if kind == "Subtract" and len(shapes) != 2:
        return None, f"Subtract takes exactly 2 inputs, got {len(shapes)}"
    return elementwise_shape(shapes)


def elementwise_shape(shapes: list) -> tuple:
    """Merge._compute_elemwise_op_output_shape: align from the right, a 1 broadcasts, None stays None."""
    out = list(shapes[0].dims[1:])
    for s in shapes[1:]:
        other = list(s.dims[1:])
        if len(other) > len(out):
            out, other = other, out
        head = out[: len(out) - len(other)]
        tail = []
        for i, j in zip(out[len(out) - len(other):], other):
            if i is None or j is None:
                tail.append(None)
            elif i == 1:
                tail.append(j)
            elif j == 1:
                tail.append(i)
            elif is_known(i) and is_known(j) and i != j:
                return None, (f"inputs have incompatible shapes: " + " and ".join(x.text() for x in shapes))
            else:
                tail.append(i if i == j else UNKNOWN)
        out = head + tail
    batches = {s[0] for s in shapes if s.dims}
    batch = batches.pop() if len(batches) == 1 else None
    return Shape.of([batch] + out), ""


def concat_shape(shapes: list, axis) -> tuple:
    if not isinstance(axis, int):
        return None, ""
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        return None, "a Concatenate layer requires inputs with matching shapes except for the concatenation " \
                     "axis; got " + ", ".join(s.text() for s in shapes)
    if not -rank <= axis < rank:
        return None, f"axis={axis} is out of range for {rank}-D inputs"
    a = axis % rank
    dims = []
    for i in range(rank):
        col = [s[i] for s in shapes]
        if i == a:
            dims.append(sum(col) if all(is_known(d) for d in col) else None)
            continue
        known = {d for d in col if is_known(d)}
        if len(known) > 1:
            return None, "a Concatenate layer requires inputs with matching shapes except for the concatenation " \
                         "axis; got " + ", ".join(s.text() for s in shapes)
        dims.append(known.pop() if known and all(is_known(d) for d in col) else col[0])
    return Shape.of(dims), ""


def dot_shape(shapes: list, axes) -> tuple:
    if len(shapes) != 2:
        return None, f"Dot takes exactly 2 inputs, got {len(shapes)}"
    a, b = list(shapes[0].dims), list(shapes[1].dims)
    if isinstance(axes, int):
        ax = [axes % len(a), axes % len(b)] if axes < 0 else [axes, axes]
    elif isinstance(axes, (tuple, list)) and len(axes) == 2 and all(isinstance(x, int) for x in axes):
        ax = [axes[0] % len(a), axes[1] % len(b)]
    else:
        return None, ""
    if not (0 <= ax[0] < len(a) and 0 <= ax[1] < len(b)):
        return None, f"axes {axes} are out of range"
    if is_known(a[ax[0]]) and is_known(b[ax[1]]) and a[ax[0]] != b[ax[1]]:
        return None, f"incompatible input shapes: {shapes[0].text()} (axis {ax[0]}: {a[ax[0]]}) and " \
                     f"{shapes[1].text()} (axis {ax[1]}: {b[ax[1]]})"
    a.pop(ax[0])
    b.pop(ax[1])
    b.pop(0)
    out = a + b
    if len(out) == 1:
        out.append(1)
    return Shape.of(out), ""


__all__ = ["call", "apply_layer", "link", "sequential", "functional", "graph_layers", "input_of", "Native"]
