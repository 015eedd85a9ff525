"""Keras merge layers as catalog entries (keras 3.15: keras/src/layers/merging/*.py).

Each takes a list of tensors: the entry's call signature is "inputs", and Ctx.call["inputs"] holds the list of
Shapes (None or Unknown for one whose shape is unknown). In a keras.Sequential chain the layer receives one
tensor (Ctx.call empty): Keras raises "A merge layer should be called on a list of inputs". The shapes are the
ones Keras declares (compute_output_shape), the checks those of build(): no weights, no MACs.
"""
from __future__ import annotations

from typing import Any, Optional

from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from .base import Ctx
from .keras_layers import const, RUNTIME, layer, no_weights


def merge_inputs(c: Ctx) -> Optional[list]:
    """The list of input shapes, or None (after an error when Keras raises, or with a reason when unknown)."""
    v = c.call.get("inputs") if c.called else None
    if not c.called:
        if c.inp is not None:
            c.error("SL110", f"{c.rule.name}: a merge layer should be called on a list of inputs, but receives one "
                             f"tensor {c.inp.text()}", related_to_input=True)
        c.unknown_output("")
        return None
    if isinstance(v, Shape):
        c.error("SL110", f"{c.rule.name}: a merge layer should be called on a list of inputs, not one tensor "
                         f"{v.text()}", related_to_input=True)
        c.unknown_output("")
        return None
    if not isinstance(v, (list, tuple)):
        c.unknown_output("the inputs of the merge are not a list the analysis follows")
        return None
    if not v:
        c.error("SL110", f"{c.rule.name}: a merge layer should be called on a list of at least 1 input",
                related_to_input=True)
        c.unknown_output("")
        return None
    shapes = list(v)
    if any(not isinstance(s, Shape) or s.open_rank for s in shapes):
        c.unknown_output("an input shape of the merge is unknown")
        return None
    return shapes


def shapes_text(shapes: list) -> str:
    return ", ".join(s.text() for s in shapes)


def same_dim(a, b) -> bool:
    """Keras compares declared sizes: None only equals None; '?' (unknown to us) equals anything."""
    return a == b or UNKNOWN in (a, b) or (isinstance(a, str) and isinstance(b, str))


# ---------------------------------------------------------------- element-wise merges

def elementwise(c: Ctx, a: Optional[list], b: Optional[list], shapes: list) -> Optional[list]:
    """Merge._compute_elemwise_op_output_shape: right-aligned, a 1 broadcasts, None stays None."""
    if a is None or b is None:
        return None
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    out = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1:
            out.append(i)
        elif is_known(i) and is_known(j) and i != j:
            c.error("SL111", f"{c.rule.name}: inputs have incompatible shapes {shapes_text(shapes)}",
                    related_to_input=True)
            return None
        else:
            out.append(i if i == j or not is_known(j) else j)
    return out


def merge(c: Ctx) -> None:
    """Element-wise merge (Add, Subtract, Multiply, Average, Maximum, Minimum): the inputs broadcast from the
    right (a 1 against any size; None stays None); equal batch sizes; Subtract takes exactly 2."""
    no_weights(c)
    shapes = merge_inputs(c)
    if shapes is None:
        return
    if c.rule.name == "Subtract" and len(shapes) != 2:
        c.error("SL110", f"Subtract: a Subtract layer should be called on exactly 2 inputs, got {len(shapes)}",
                related_to_input=True)
        return c.unknown_output("")
    batches = {s[0] for s in shapes if len(s)} - {None}
    known = {b for b in batches if is_known(b)}
    if len(known) > 1:
        c.error("SL111", f"{c.rule.name}: cannot merge tensors with different batch sizes: {shapes_text(shapes)}",
                related_to_input=True)
        return c.unknown_output("")
    out: Optional[list] = list(shapes[0].dims[1:])
    for s in shapes[1:]:
        out = elementwise(c, out, list(s.dims[1:]), shapes)
        if out is None:
            return c.unknown_output("the inputs do not broadcast")
    batch = batches.pop() if len(batches) == 1 else None
    c.out = Shape.of([batch] + out)


for _name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
    layer(_name, "**kwargs", call="inputs")(merge)


# ---------------------------------------------------------------- Concatenate

@layer("Concatenate", "axis=-1, **kwargs", call="inputs")
def concatenate(c: Ctx) -> None:
    """Concatenate along `axis`: the sizes there add up (None if any is None); every other axis must agree
    (Concatenate.build: each shape with `axis` removed must be the same, None matching anything)."""
    no_weights(c)
    axis = const(c, "axis")
    shapes = merge_inputs(c)
    if shapes is None or axis is RUNTIME:
        return c.unknown_output("") if shapes is not None else None
    if isinstance(axis, bool) or not isinstance(axis, int):
        c.error("SL108", f"Concatenate: axis={axis!r} must be an integer")
        return c.unknown_output("")
    rank = len(shapes[0])
    if not -rank <= axis < rank:
        c.error("SL110", f"Concatenate: axis={axis} is out of range for the {rank}-D inputs {shapes_text(shapes)}",
                related_to_input=True)
        return c.unknown_output("")
    if not concat_fits(shapes, axis):
        c.error("SL111", f"Concatenate: a Concatenate layer requires inputs with matching shapes except for the "
                         f"concatenation axis; got {shapes_text(shapes)}", related_to_input=True)
        return c.unknown_output("")
    out = list(shapes[0].dims)
    for s in shapes[1:]:
        if out[axis] is None or s[axis] is None:
            out[axis] = None
            break
        out[axis] = out[axis] + s[axis] if is_known(out[axis]) and is_known(s[axis]) else UNKNOWN
    if is_known(out[axis]) and len(shapes) > 1:
        c.formula("shape", f"axis {axis}: " + " + ".join(dim_text(s[axis]) for s in shapes) + f" = {out[axis]}")
    c.out = Shape.of(out)


def concat_fits(shapes: list, axis: int) -> bool:
    """Concatenate.build: remove `axis` from each shape (when the shape is long enough, as Keras does); the
    results must be one shape, or of one rank with at most one non-None size per position."""
    reduced = []
    for s in shapes:
        dims = list(s.dims)
        if len(dims) > axis:
            del dims[axis]
        reduced.append(tuple(dims))
    if len(set(reduced)) == 1:
        return True
    if len({len(r) for r in reduced}) != 1:
        return False
    for column in zip(*reduced):
        sizes = {d for d in column if d is not None and d != UNKNOWN}
        if len({d for d in sizes if is_known(d)}) > 1:
            return False
    return True


# ---------------------------------------------------------------- Dot

def dot_axes(c: Ctx, axes: Any) -> Optional[Any]:
    """Dot.__init__: an int, or a list/tuple of 2 ints."""
    if isinstance(axes, bool):
        axes = None
    if isinstance(axes, int):
        return axes
    if not isinstance(axes, (list, tuple)):
        c.error("SL108", f"Dot: axes={axes!r} should be a list or an int")
        return None
    if len(axes) != 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        c.error("SL108", f"Dot: axes={axes!r} should contain two integers")
        return None
    return list(axes)


@layer("Dot", "axes, normalize=False, **kwargs", call="inputs")
def dot(c: Ctx) -> None:
    """Batched dot product of two inputs along `axes`: the remaining axes of the first, then those of the
    second without its batch axis ((batch, 1) when nothing else remains). The two sizes must be equal (None
    only equals None)."""
    no_weights(c)
    raw = const(c, "axes")
    axes = None if raw is RUNTIME else dot_axes(c, raw)
    shapes = merge_inputs(c)
    if shapes is None:
        return
    if len(shapes) != 2:
        c.error("SL110", f"Dot: a Dot layer should be called on a list of 2 inputs, got {len(shapes)}",
                related_to_input=True)
        return c.unknown_output("")
    if axes is None:
        return c.unknown_output("the axes are unknown")
    a, b = list(shapes[0].dims), list(shapes[1].dims)
    if isinstance(axes, int):
        ax = [axes % len(a), axes % len(b)] if axes < 0 else [axes, axes]
    else:
        ax = list(axes)
    if not (-len(a) <= ax[0] < len(a) and -len(b) <= ax[1] < len(b)):
        c.error("SL110", f"Dot: axes {raw!r} are out of range for {shapes_text(shapes)}", related_to_input=True)
        return c.unknown_output("")
    x, y = a[ax[0]], b[ax[1]]
    if not same_dim(x, y):
        c.error("SL111", f"Dot: incompatible input shapes: axis values {dim_text(x)} (at axis {ax[0]}) != "
                         f"{dim_text(y)} (at axis {ax[1]}); inputs {shapes_text(shapes)}", related_to_input=True)
        return c.unknown_output("")
    a.pop(ax[0])
    b.pop(ax[1])
    b.pop(0)
    out = a + b
    c.out = Shape.of(out + [1] if len(out) == 1 else out)
