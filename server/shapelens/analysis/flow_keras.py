"""Keras functional API: keras.Input tensors, layer calls on them, merge layers, keras.Model(inputs, outputs).

Module-level (and function-level) statements are observed as the engine walks them: a statement that
touches a Keras tensor or layer is evaluated by the interpreter, and the tensors remember the layer call
that made them. keras.Model(inputs, outputs) walks that graph back from the outputs: its layers (each
once, shared layers counted once, as Keras does) in the order they were applied, and its statements.

Merge layers take a list of tensors, so they have rules here rather than in the one-input catalog
(keras/src/layers/merging/*.py, Keras 3.15).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst

from ..frameworks.base import Signature, bind
from .flow_funcs import SL111
from .flow_interp import Frame, Interp, Run
from .flow_objects import Leaf, SeqMod, Tensor
from .imports import dotted
from .records import LayerRecord, ModelRecord, StepRecord
from .shapes import UNKNOWN, Shape, is_known
from .values import Unknown, _MISSING, child_nodes, identifiers, short

MERGE_CLASSES = {"Concatenate": "axis=-1, **kwargs", "Add": "**kwargs", "Subtract": "**kwargs",
                 "Multiply": "**kwargs", "Average": "**kwargs", "Maximum": "**kwargs", "Minimum": "**kwargs",
                 "Dot": "axes, normalize=False, **kwargs"}
MERGE_FUNCTIONS = {"concatenate": "Concatenate", "add": "Add", "subtract": "Subtract", "multiply": "Multiply",
                   "average": "Average", "maximum": "Maximum", "minimum": "Minimum", "dot": "Dot"}
FUNCTION_SIGS = {"Concatenate": "inputs, axis=-1, **kwargs", "Dot": "inputs, axes=-1, normalize=False, **kwargs"}


@dataclass
class Functional:
    record: ModelRecord
    leaves: list = field(default_factory=list)


# ---------------------------------------------------------------- Input and Model

def keras_input(it, node: cst.Call, frame) -> Any:
    positional, keywords, _ = it.args(node, frame)
    shape = keywords.get("shape", keywords.get("input_shape", positional[0] if positional else None))
    batch = keywords.get("batch_size")
    batch_shape = keywords.get("batch_shape")
    dims = None
    if _dims_ok(batch_shape):
        dims = list(batch_shape)
    elif isinstance(shape, int) and not isinstance(shape, bool):
        dims = [batch if isinstance(batch, int) else None, shape]
    elif _dims_ok(shape):
        dims = [batch if isinstance(batch, int) else None] + list(shape)
    span = frame.chunk.span(node)
    if dims is None:
        it.flow.info(span, f"the shape of `{short(node)}` is not known statically: what follows is unknown")
        return Tensor(None, "the Input's shape is unknown", is_input=True)
    s = Shape.of(dims)
    return Tensor(s, producer=(span, f"Input produces {s.text()}"), is_input=True)


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


def functional_model(it, node: cst.Call, frame) -> Any:
    positional, keywords, _ = it.args(node, frame)
    ins = _tensors(keywords.get("inputs", positional[0] if positional else None))
    outs = _tensors(keywords.get("outputs", positional[1] if len(positional) > 1 else None))
    span = frame.chunk.span(node)
    if ins is None or outs is None:
        if not positional and not keywords:
            return Unknown("a subclassed keras.Model")
        it.flow.info(span, "the inputs or outputs of this keras.Model are not tensors the analysis followed: "
                           "the model is not shown")
        return Unknown("the functional model's graph is unknown")
    leaves, steps = graph(ins, outs)
    name = keywords.get("name")
    record = ModelRecord(name if isinstance(name, str) else f"Model at line {span.line}", "keras", span,
                         kind="functional")
    record.input_shape = ins[0].shape
    record.input_source = "Input"
    record.layers = [leaf.record for leaf in leaves]
    record.steps = steps
    fm = Functional(record, leaves)
    it.flow.functional.append(fm)
    return fm


def graph(ins: list, outs: list) -> tuple:
    """The layers between the inputs and the outputs (each once, in the order they were applied) and the
    statements that made the tensors on the way."""
    stop = {id(t) for t in ins}
    seen, nodes, tensors = set(), [], []
    stack = list(outs) + list(ins)
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        tensors.append(t)
        if id(t) in stop or t.node is None:
            continue
        nodes.append(t.node)
        stack.extend(t.node.inputs)
    leaves, ids = [], set()
    for n in sorted(nodes, key=lambda n: n.seq):
        if n.leaf is not None and id(n.leaf) not in ids:
            ids.add(id(n.leaf))
            leaves.append(n.leaf)
    steps = {}
    for t in tensors:
        if t.step_span is not None:
            steps[t.step_span] = StepRecord(t.step_span, t.shape, "", [t.reason] if t.shape is None and t.reason
                                            else [])
    return leaves, sorted(steps.values(), key=lambda s: (s.span.line, s.span.col))


# ---------------------------------------------------------------- merge layers

def make_merge(it, cls_name: str, node: cst.Call, frame, functional: bool = False) -> Leaf:
    positional, keywords, star = it.args(node, frame)
    if functional:
        positional = positional[1:]  # the first argument is the list of inputs
        keywords = {k: v for k, v in keywords.items() if k != "inputs"}
    leaf = Leaf(f"keras.layers.{cls_name}", "keras", node, frame.chunk, positional, keywords, star)
    leaf.special = "merge"
    leaf.record = LayerRecord(leaf.span, cls_name)
    bound = bind(Signature.parse(MERGE_CLASSES[cls_name]), positional, keywords, star)
    leaf.merge_args = bound.values  # type: ignore[attr-defined]
    name = bound.extra_kwargs.get("name")
    if isinstance(name, str):
        leaf.record.name = name
    for e in bound.errors:
        it.flow.error(leaf.span, "SL010", f"{cls_name}() {e}")
    return leaf


def apply_merge(it, leaf: Leaf, inputs, node, frame) -> Any:
    tensors = _tensors(inputs) if not isinstance(inputs, Tensor) else None
    span = frame.chunk.span(node)
    kind = leaf.qualified.rsplit(".", 1)[-1]
    if tensors is None:
        it.flow.error(span, SL111, f"{kind} takes a list of tensors") if isinstance(inputs, Tensor) else None
        return Tensor(None, f"the inputs of {kind} are unknown")
    shapes = [t.shape for t in tensors]
    out, error = merge_shape(kind, shapes, leaf.merge_args)  # type: ignore[attr-defined]
    if error:
        related = [t.producer for t in tensors if t.producer is not None]
        it.flow.error(span, SL111, f"{kind}: {error}", related)
    r = leaf.record
    if leaf.calls == 0:
        r.input_shape, r.output_shape = shapes[0], out
        r.trainable = r.non_trainable = r.macs = 0
    leaf.calls += 1
    producer = (span, f"{kind} produces {out.text() if out else '?'}")
    why = "" if out is not None else ("the merge does not fit its inputs" if error else "an input shape is unknown")
    return it.result(Tensor(out, why, "", producer), tensors, leaf)


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


# ---------------------------------------------------------------- observing statements

KERAS_ENTRY_POINTS = frozenset({"keras.Input", "keras.layers.Input", "keras.Model", "keras.models.Model"})


def _keras_call(aliases, node: cst.Call) -> bool:
    """A call of a Keras layer (`layers.Dense(3)`, or a layer built and called at once: `Dense(3)(x)`),
    keras.Input or keras.Model."""
    func = node.func
    is_call = isinstance(func, cst.Call)
    qual = aliases.qualify(func.func if is_call else func) or ""
    if is_call and qual.startswith("keras."):
        return True
    return qual in KERAS_ENTRY_POINTS or (qual.startswith("keras.layers.") and "." not in qual[13:])


def _tracked(v) -> bool:
    if isinstance(v, (Tensor, Leaf, SeqMod, Functional)):
        return True
    return isinstance(v, (list, tuple, dict)) and any(_tracked(x) for x in (v.values() if isinstance(v, dict) else v))


def observe(flow, s, chunk, scope) -> None:
    value_node = getattr(s, "value", None) if isinstance(s, (cst.Assign, cst.AnnAssign, cst.Return, cst.Expr)) \
        else None
    targets = [t.target for t in s.targets] if isinstance(s, cst.Assign) else \
        [s.target] if isinstance(s, cst.AnnAssign) else []
    if value_node is None or not _relevant(flow, value_node, chunk, scope):
        env = flow.env(scope, create=False)
        if env:  # an assignment of something else: a name that held a followed value no longer does
            for t in targets:
                for name in _names(t):
                    if name in env and _tracked(env[name]):
                        del env[name]
        return
    env = flow.env(scope)
    if flow.module_run is None:
        flow.module_run = Run(flow, "keras")
    it = Interp(flow.module_run)
    frame = Frame({}, chunk, scope)
    value = it.eval(value_node, frame)
    if isinstance(value, Tensor):
        value.step_span = chunk.span(s)
    if isinstance(value, Functional):
        name_model(value, targets, chunk, scope, s)
    for t in targets:
        bind_name(flow, env, t, value)


def _relevant(flow, node, chunk, scope) -> bool:
    """Does the expression touch the Keras functional API (so that it is worth evaluating)? It does when
    it calls a Keras layer, keras.Input or keras.Model, or mentions a name bound to a tensor, a layer or
    a model the analysis follows (lambdas are not looked into)."""
    if not _may_be_relevant(flow, chunk):
        return False
    aliases = flow.an.aliases
    stack = [node]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is cst.Name:
            v = flow.env_lookup(scope, n.value)
            if v is not _MISSING and _tracked(v):
                return True
            continue
        if t is cst.Lambda:
            continue
        if t is cst.Call and _keras_call(aliases, n):
            return True
        stack.extend(child_nodes(n))
    return False


def _may_be_relevant(flow, chunk) -> bool:
    """A cheap check on the statement's text before the walk in _relevant(): False when no identifier in
    it can make an expression relevant. A Keras call needs its dotted name to start with an import alias
    that can lead to `keras.` (imports.Aliases.qualify); a followed value needs a name bound in an env."""
    idents = identifiers(chunk.text)
    if idents is None:
        return True
    if not idents.isdisjoint(flow.env_names):
        return True
    heads = flow.an.aliases.keras_heads()
    return heads is None or not idents.isdisjoint(heads)


def _names(target) -> list:
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for el in target.elements for n in _names(el.value)]
    name = dotted(target)
    return [name] if name else []


def bind_name(flow, env: dict, target, value) -> None:
    if isinstance(target, (cst.Tuple, cst.List)):
        items = value if isinstance(value, (list, tuple)) and len(value) == len(target.elements) else None
        for i, el in enumerate(target.elements):
            bind_name(flow, env, el.value, items[i] if items is not None else Unknown("unpacked at run time"))
        return
    name = dotted(target)
    if not name:
        return
    if _tracked(value):
        env[name] = value
    elif name in env:
        del env[name]


def name_model(fm: Functional, targets: list, chunk, scope, s) -> None:
    record = fm.record
    named = isinstance(record.name, str) and not record.name.startswith("Model at line")
    if targets and dotted(targets[0]):
        record.name_span = chunk.span(targets[0])
        if not named:
            record.name = dotted(targets[0])
    elif isinstance(s, cst.Return) and not named:
        fn = scope.lookup("<function>")
        if isinstance(fn, str):
            record.name = f"{fn}()"
