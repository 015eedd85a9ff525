"""Shape rules of tensor operations used in forward()/call(): view/reshape, flatten, permute, transpose,
unsqueeze, squeeze, reductions, cat/stack, broadcasting, matmul, F.pad.

Each function takes Shapes and plain arguments and returns an Op: the output shape (None when unknown,
with the reason), a formula text, and an error message when the framework would raise. Sizes follow
torch's semantics (aten/src/ATen/InferSize.h for view's -1, ExpandUtils.cpp for broadcasting).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Optional

from .. import symbolic
from ..shapes import UNKNOWN, Shape, dim_text, is_known


@dataclass
class Op:
    shape: Optional[Shape] = None
    text: str = ""
    error: str = ""
    reason: str = ""      # why the shape is unknown
    origin: str = ""      # how the last dimension came about (for a later Linear's message)
    constraints: tuple = ()   # (size, value, what, code): equations on symbolic input sizes, as Ctx.constraints


def unknown(reason: str) -> Op:
    return Op(None, reason=reason)


def _is_sym(d) -> bool:
    return isinstance(d, str) and d != UNKNOWN


def factors(dims) -> tuple:
    """(product of the known sizes, Counter of symbolic sizes, whether some size is unknown)."""
    known, syms, unk = 1, Counter(), False
    for d in dims:
        if is_known(d):
            known *= d
        elif _is_sym(d):
            syms[d] += 1
        else:
            unk = True
    return known, syms, unk


def _numel_text(dims) -> str:
    return "·".join(dim_text(d) for d in dims) if dims else "1"


def norm_dim(dim: int, rank: int, what: str = "dim") -> Optional[int]:
    """A dim index in range [-rank, rank) made non-negative; None when out of range."""
    if not -rank <= dim < max(rank, 1):
        return None
    return dim % rank if rank else 0


def _range_error(op: str, dim, rank: int) -> Op:
    return Op(None, error=f"{op}: dim {dim} is out of range for a {rank}-D tensor "
                          f"(expected to be in [{-rank}, {rank - 1}])", reason="the dim is out of range")


# ---------------------------------------------------------------- view / reshape

def view(s: Shape, sizes: list, op: str = "view") -> Op:
    """sizes: ints (one may be -1), symbolic names (str) or None for a size known only at run time."""
    if any(isinstance(x, int) and x < -1 for x in sizes) or sum(1 for x in sizes if x == -1) > 1:
        return Op(None, error=f"{op}: invalid size {tuple(sizes)} (only one -1, no other negatives)",
                  reason="invalid sizes")
    target = [UNKNOWN if x is None else x for x in sizes]
    if s is None or s.open_rank:
        out = [UNKNOWN if x == -1 else x for x in target]
        return Op(Shape.of(out), reason="the input shape is unknown" if -1 in sizes else "")
    kin, sin, uin = factors(s.dims)
    rest = [x for x in target if x != -1]
    kout, sout, uout = factors(rest)
    in_text = f"{_numel_text(s.dims)}"
    if -1 not in target:
        if not uin and not uout and sin == sout and kin != kout:
            return Op(None, error=f"{op}: shape {_tuple_text(target)} is invalid for an input of {s.text()} "
                                  f"({in_text} = {kin:,} elements{' per ' + '·'.join(sin) if sin else ''}, "
                                  f"the new shape has {kout:,})",
                      reason=f"the {op} does not fit the input")
        return Op(Shape.of(target), text=f"{op}: {s.text()} → {_tuple_text(target)}")
    index = target.index(-1)
    batch_kept = _view_keeps_batch(s, target, index, op)
    if batch_kept is not None:
        return batch_kept
    if uin or uout or any(sout[k] > sin[k] for k in sout):
        missing = "the input has a size known only at run time" if uin or uout else "the sizes are symbolic"
        return Op(Shape.of([UNKNOWN if x == -1 else x for x in target]), reason=f"{op}'s -1 is unknown: {missing}")
    left = sin - sout
    if kout == 0 or kin % kout:
        if left:  # e.g. N·576 / 400: whole for some N only; torch decides at run time
            return Op(Shape.of([UNKNOWN if x == -1 else x for x in target]),
                      reason=f"{op}'s -1 = {'·'.join(left.elements())}·{kin} / {kout} is whole only for some "
                             f"{'·'.join(left)}")
        return Op(None, error=f"{op}: shape {_tuple_text(target)} is invalid for an input of {s.text()} "
                              f"({in_text} = {kin:,} elements, not a multiple of {kout:,})",
                  reason=f"the {op} does not fit the input")
    q = kin // kout
    if left and (q != 1 or sum(left.values()) > 1):
        value = UNKNOWN
        why = f"{op}'s -1 = {'·'.join(left.elements())}" + (f"·{q}" if q != 1 else "") + " is symbolic"
    elif left:
        value, why = next(iter(left)), ""
    else:
        value, why = q, ""
    out = list(target)
    out[index] = value
    text = f"{op}: -1 = {in_text} / {_numel_text(rest)} = {dim_text(value)}"
    origin = ""
    lead = len(out) - 1
    if index == lead and list(s.dims[:lead]) == list(target[:lead]):  # view(N, -1): the tail is merged
        origin = f"{_numel_text(s.dims[lead:])} = {dim_text(value)} after {op} of {s.text()}"
    elif index == lead:
        origin = f"{text[len(op) + 2:]} after {op} of {s.text()}"
    return Op(Shape.of(out), text=text, reason=why, origin=origin)


def _view_keeps_batch(s: Shape, target: list, index: int, op: str) -> Optional[Op]:
    """`x.view(-1, 16 * 5 * 5)` on (N, 16, (H-12)//4, (W-12)//4): the -1 is the batch N, and the view
    fits only where 16·((H-12)//4)·((W-12)//4) = 400 — an equation for the input's sizes. Only for a -1 in
    front of known sizes, on an input whose first dim is a bare symbol (the batch) and whose other sizes
    are symbolic expressions; None otherwise (the general rule applies)."""
    if index != 0 or not s.dims or not (isinstance(s.dims[0], str) and s.dims[0].isidentifier()):
        return None
    rest, tail = target[1:], list(s.dims[1:])
    if not rest or not all(is_known(x) for x in rest) or not any(symbolic.is_symbolic(d) for d in tail):
        return None
    want = math.prod(rest)
    have = 1
    for d in tail:
        have = symbolic.mul(have, d)
    if not symbolic.is_symbolic(have) or symbolic.symbols(have) & {s.dims[0]}:
        return None
    out = [s.dims[0]] + list(rest)
    return Op(Shape.of(out), text=f"{op}: -1 = {s.dims[0]} where {dim_text(have)} = {want}",
              origin=f"{dim_text(have)} = {want} after {op} of {s.text()}",
              constraints=((have, want, f"{op}({_tuple_text(target)[1:-1]})", "SL111"),))


def _tuple_text(sizes) -> str:
    return "(" + ", ".join(dim_text(x) for x in sizes) + ("," if len(sizes) == 1 else "") + ")"


def flatten(s: Shape, start: int, end: int, op: str = "flatten") -> Op:
    if s is None or s.open_rank:
        return unknown("the input rank is unknown, so the flattened size is unknown")
    r = len(s)
    if r == 0:
        return Op(Shape.of([1]))
    lo, hi = norm_dim(start, r), norm_dim(end, r)
    if lo is None or hi is None or lo > hi:
        return Op(None, error=f"{op}(start_dim={start}, end_dim={end}) does not fit the {r}-D input {s.text()}",
                  reason=f"the {op} does not fit the input")
    merged = s.dims[lo: hi + 1]
    n = 1
    for d in merged:
        n = symbolic.mul(n, d)   # an int, an expression of symbolic sizes, or "?"
    out = Shape.of(list(s.dims[:lo]) + [n] + list(s.dims[hi + 1:]))
    text = f"{_numel_text(merged)} = {dim_text(n)}"
    origin = f"{text} after {op} of {s.text()}" if hi == r - 1 and len(merged) > 1 else ""
    return Op(out, text=f"{op}: {text}" if len(merged) > 1 else "", origin=origin)


def permute(s: Shape, dims: list, op: str = "permute") -> Op:
    if s is None or s.open_rank:
        return unknown("the input rank is unknown")
    r = len(s)
    if len(dims) != r:
        return Op(None, error=f"{op}: {len(dims)} dims given for the {r}-D input {s.text()}",
                  reason="the permutation does not fit the input")
    normed = [norm_dim(d, r) for d in dims]
    if None in normed or sorted(normed) != list(range(r)):
        return Op(None, error=f"{op}: {tuple(dims)} is not a permutation of the dims of the {r}-D input {s.text()}",
                  reason="the permutation does not fit the input")
    return Op(Shape.of([s.dims[i] for i in normed]))


def transpose(s: Shape, d0: int, d1: int) -> Op:
    if s is None or s.open_rank:
        return unknown("the input rank is unknown")
    r = len(s)
    a, b = norm_dim(d0, r), norm_dim(d1, r)
    if a is None or b is None:
        return _range_error("transpose", d0 if a is None else d1, r)
    dims = list(s.dims)
    dims[a], dims[b] = dims[b], dims[a]
    return Op(Shape.of(dims))


def unsqueeze(s: Shape, dim: int) -> Op:
    if s is None or s.open_rank:
        return unknown("the input rank is unknown")
    r = len(s) + 1
    d = norm_dim(dim, r)
    if d is None:
        return _range_error("unsqueeze", dim, r)
    dims = list(s.dims)
    dims.insert(d, 1)
    return Op(Shape.of(dims))


def squeeze(s: Shape, dims: Optional[list]) -> Op:
    if s is None or s.open_rank:
        return unknown("the input rank is unknown")
    r = len(s)
    picked = list(range(r)) if dims is None else []
    for d in dims or []:
        n = norm_dim(d, r)
        if n is None:
            return _range_error("squeeze", d, r)
        picked.append(n)
    out = []
    for i, d in enumerate(s.dims):
        if i in picked and not is_known(d):
            return unknown(f"squeeze: whether dim {i} has size 1 is only known at run time")
        if not (i in picked and d == 1):
            out.append(d)
    return Op(Shape.of(out))


def reduce(s: Shape, dims: Optional[list], keepdim: bool, op: str) -> Op:
    """mean/sum/amax/... over `dims` (None: all dims)."""
    if s is None or s.open_rank:
        return unknown("the input rank is unknown")
    r = len(s)
    if dims is None:
        return Op(Shape.of([1] * r if keepdim else []))
    picked = set()
    for d in dims:
        n = norm_dim(d, r)
        if n is None:
            return _range_error(op, d, r)
        picked.add(n)
    out = [1 if i in picked else d for i, d in enumerate(s.dims) if keepdim or i not in picked]
    return Op(Shape.of(out))


# ---------------------------------------------------------------- several tensors

def cat(shapes: list, dim: int, op: str = "cat") -> Op:
    if any(s is None or s.open_rank for s in shapes):
        return unknown(f"the shape of a tensor given to {op} is unknown")
    if not shapes:
        return Op(None, error=f"{op}() expects a non-empty list of tensors", reason="no tensors")
    if op != "stack" and any(s.dims != (0,) for s in shapes):
        # torch.cat skips 1-D empty tensors whatever the others' rank (a legacy rule torch keeps: emformer
        # concatenates torch.empty(0) with (T, N, D) memories)
        shapes = [s for s in shapes if s.dims != (0,)]
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        ranks = ", ".join(s.text() for s in shapes)
        return Op(None, error=f"{op}: the tensors have different ranks: {ranks}", reason="the ranks differ")
    out_rank = rank + 1 if op == "stack" else rank
    d = norm_dim(dim, out_rank)
    if d is None:
        return _range_error(op, dim, out_rank)
    if op == "stack":
        for s in shapes[1:]:
            bad = _first_mismatch(shapes[0], s, skip=None)
            if bad is not None:
                return Op(None, error=f"{op} expects each tensor to be equal size, but got {shapes[0].text()} and "
                                      f"{s.text()}", reason="the shapes differ")
        dims = list(shapes[0].dims)
        dims.insert(d, len(shapes))
        return Op(Shape.of(dims))
    for s in shapes[1:]:
        bad = _first_mismatch(shapes[0], s, skip=d)
        if bad is not None:
            return Op(None, error=f"{op}: sizes of tensors must match except in dimension {d}: {shapes[0].text()} "
                                  f"and {s.text()} differ in dimension {bad}", reason="the shapes differ")
    sizes = [s[d] for s in shapes]
    total = 0
    for x in sizes:
        total = symbolic.add(total, x)
    dims = list(shapes[0].dims)
    dims[d] = total
    text = f"{op} on dim {d}: " + " + ".join(dim_text(x) for x in sizes) + f" = {dim_text(total)}"
    return Op(Shape.of(dims), text=text)


def _first_mismatch(a: Shape, b: Shape, skip: Optional[int]) -> Optional[int]:
    for i, (x, y) in enumerate(zip(a.dims, b.dims)):
        if i != skip and is_known(x) and is_known(y) and x != y:
            return i
    return None


def broadcast(a: Shape, b: Shape, op: str = "+") -> Op:
    """torch/NumPy broadcasting of two shapes, aligned from the right."""
    if a is None or b is None or a.open_rank or b.open_rank:
        return unknown("the shape of an operand is unknown")
    n = max(len(a), len(b))
    da = [1] * (n - len(a)) + list(a.dims)
    db = [1] * (n - len(b)) + list(b.dims)
    out = []
    for i, (x, y) in enumerate(zip(da, db)):
        if x == y:
            out.append(x)
        elif x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif is_known(x) and is_known(y):
            return Op(None, error=f"`{op}`: the shapes {a.text()} and {b.text()} cannot be broadcast: size {x} and "
                                  f"size {y} at dimension {i - n} (each pair must be equal or one of them 1)",
                      reason="the operands do not broadcast")
        else:
            out.append(UNKNOWN)
    return Op(Shape.of(out))


def matmul(a: Shape, b: Shape) -> Op:
    if a is None or b is None or a.open_rank or b.open_rank:
        return unknown("the shape of an operand is unknown")
    if len(a) == 0 or len(b) == 0:
        return Op(None, error="matmul: both arguments need at least 1 dimension", reason="0-D operand")
    da, db = list(a.dims), list(b.dims)
    va, vb = len(da) == 1, len(db) == 1
    if va:
        da = [1] + da
    if vb:
        db = db + [1]
    k1, k2 = da[-1], db[-2]
    if is_known(k1) and is_known(k2) and k1 != k2:
        return Op(None, error=f"matmul: {a.text()} @ {b.text()}: the inner sizes {k1} and {k2} differ",
                  reason="the inner sizes differ")
    batch = broadcast(Shape.of(da[:-2]), Shape.of(db[:-2]), "@")
    if batch.shape is None:
        return batch
    out = list(batch.shape.dims) + ([] if va else [da[-2]]) + ([] if vb else [db[-1]])
    return Op(Shape.of(out))


def pad(s: Shape, pads: list) -> Op:
    """F.pad: pairs (left, right) from the last dim backwards."""
    if s is None or s.open_rank:
        return unknown("the input rank is unknown")
    if len(pads) % 2 or len(pads) // 2 > len(s):
        return Op(None, error=f"F.pad: padding {tuple(pads)} must have an even length of at most 2·{len(s)}",
                  reason="invalid padding")
    dims = list(s.dims)
    for i in range(len(pads) // 2):
        axis = len(dims) - 1 - i
        d = dims[axis]
        dims[axis] = d + pads[2 * i] + pads[2 * i + 1] if is_known(d) else UNKNOWN
        if is_known(dims[axis]) and dims[axis] < 1:
            return Op(None, error=f"F.pad: the padded size of dim {axis} would be {dims[axis]}",
                      reason="the padded size is not positive")
    return Op(Shape.of(dims))


def numel(s: Shape) -> Optional[int]:
    if s is None or s.open_rank:
        return None
    return math.prod(d for d in s.dims) if all(is_known(d) for d in s.dims) else None
