"""Pure shape rules of the tensor operations hand-written attention uses (torch 2.13 semantics): einsum (with
ellipsis), bmm / baddbmm, scaled_dot_product_attention, softmax, masked_fill, split / chunk (several outputs),
repeat / expand / tile, tril / triu, topk, gather, index_select, one_hot.

Each function takes Shapes and plain constants and returns a Result: the output shape (None when unknown, with
the reason), or `outputs` for several, or `error`, the message of what torch raises. matmul / @ broadcasting,
view / reshape, permute / transpose, cat / stack, reductions and F.pad are in analysis/interp/ops.py (not
repeated here). Framework-free: no torch import.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ..analysis.shapes import UNKNOWN, Dim, Shape, dim_text, is_known


@dataclass
class Result:
    """What an operation gives: the same fields as analysis.interp.ops.Op, plus `outputs` for an operation that
    returns several tensors (split, chunk, topk: a tuple of Shapes, None for an unknown one)."""
    shape: Optional[Shape] = None
    text: str = ""
    error: str = ""
    reason: str = ""
    origin: str = ""
    outputs: Optional[tuple] = field(default=None)


def unknown(reason: str) -> Result:
    return Result(None, reason=reason)


def fail(message: str) -> Result:
    return Result(None, error=message, reason="the operation does not fit its input")


def closed(*shapes: Any) -> bool:
    """Every shape is known to its rank (sizes may still be unknown)."""
    return all(isinstance(s, Shape) and not s.open_rank for s in shapes)


def norm_dim(dim: Any, rank: int) -> Optional[int]:
    """A dim in [-rank, rank) made non-negative (a 0-D tensor takes dims -1 and 0); None if out of range."""
    r = max(rank, 1)
    if isinstance(dim, bool) or not isinstance(dim, int) or not -r <= dim < r:
        return None
    return dim % r


def range_error(op: str, dim: Any, rank: int) -> Result:
    r = max(rank, 1)
    return fail(f"{op}: dim {dim} is out of range for a {rank}-D tensor (expected to be in [{-r}, {r - 1}])")


def broadcast_dims(a: list, b: list) -> Optional[list]:
    """torch broadcasting of two dim lists aligned from the right; None when two known sizes differ and
    neither is 1."""
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + list(a), [1] * (n - len(b)) + list(b)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        elif is_known(x) and is_known(y):
            return None
        else:
            out.append(x if is_known(x) else y if is_known(y) else UNKNOWN)
    return out


def same(a: Dim, b: Dim) -> bool:
    """Two sizes that can be equal (unknown or symbolic ones may be)."""
    return not (is_known(a) and is_known(b) and a != b)


# ---------------------------------------------------------------- einsum

_LETTERS = re.compile(r"^[A-Za-z.]*$")


def einsum(equation: str, shapes: list) -> Result:
    """torch.einsum: each operand's subscripts (with at most one '...') cover its dims; a label's sizes must
    agree (a size 1 broadcasts); '...' dims broadcast; without '->' the output is the labels seen once, sorted,
    after '...'."""
    if not isinstance(equation, str):
        return unknown("the einsum equation is not a constant string")
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        return fail(f"einsum(): {len(terms)} subscripts in '{equation}' for {len(shapes)} operands")
    if not all(_LETTERS.match(t) and t.count("...") <= 1 and "." not in t.replace("...", "") for t in terms + [rhs]):
        return fail(f"einsum(): invalid subscript in '{equation}' (letters and at most one '...' per operand)")
    if not closed(*shapes):
        return unknown("an operand's shape is unknown")
    sizes: dict = {}
    ellipsis: Optional[list] = []
    for term, s in zip(terms, shapes):
        got = einsum_operand(term, s, sizes)
        if isinstance(got, Result):
            return got
        ellipsis = broadcast_dims(ellipsis, got) if ellipsis is not None else None
        if ellipsis is None:
            return fail(f"einsum(): the '...' dims of the operands do not broadcast: "
                        f"{', '.join(x.text() for x in shapes)}")
    if not arrow:
        labels = "".join(terms).replace("...", "")
        rhs = ("..." if "..." in lhs else "") + "".join(sorted(ch for ch in set(labels) if labels.count(ch) == 1))
    return einsum_output(equation, rhs, sizes, ellipsis)


def einsum_operand(term: str, s: Shape, sizes: dict) -> Any:
    """Check one operand against its subscripts, recording each label's size; its '...' dims, or a Result."""
    labels = term.replace("...", "")
    if ("..." in term and len(labels) > len(s)) or ("..." not in term and len(labels) != len(s)):
        return fail(f"einsum(): the subscript '{term}' does not fit the {len(s)}-D operand {s.text()}")
    before = term.index("...") if "..." in term else len(term)
    head, tail = labels[:before], labels[before:]
    dims = list(s.dims)
    pairs = list(zip(head, dims[:len(head)])) + list(zip(tail, dims[len(dims) - len(tail):] if tail else []))
    for ch, d in pairs:
        seen = sizes.get(ch)
        if seen is None or seen == 1:
            sizes[ch] = d
        elif d != 1 and not same(seen, d):
            return fail(f"einsum(): subscript '{ch}' has size {dim_text(d)} in {s.text()}, which does not broadcast "
                        f"with the size {dim_text(seen)} seen before")
        elif d != 1 and not is_known(seen) and is_known(d):
            sizes[ch] = d
    return dims[len(head): len(dims) - len(tail)] if "..." in term else []


def einsum_output(equation: str, rhs: str, sizes: dict, ellipsis: list) -> Result:
    out = []
    for part in re.split(r"(\.\.\.)", rhs):
        if part == "...":
            out.extend(ellipsis)
            continue
        for ch in part:
            if ch not in sizes:
                return fail(f"einsum(): output subscript '{ch}' of '{equation}' appears in no operand")
            if part.count(ch) > 1 or rhs.replace("...", "").count(ch) > 1:
                return fail(f"einsum(): output subscript '{ch}' appears more than once in '{equation}'")
            out.append(sizes[ch])
    return Result(Shape.of(out), text=f"einsum '{equation}' → {Shape.of(out).text()}")


# ---------------------------------------------------------------- batched products

def bmm(a: Shape, b: Shape, op: str = "bmm") -> Result:
    """torch.bmm: two 3-D tensors (b, n, m) @ (b, m, p) → (b, n, p), the batch sizes equal (no broadcasting)."""
    if not closed(a, b):
        return unknown("the shape of an operand is unknown")
    if len(a) != 3 or len(b) != 3:
        return fail(f"{op}: batch1 and batch2 must be 3-D tensors, got {a.text()} and {b.text()}")
    if not same(a[0], b[0]):
        return fail(f"{op}: the batch sizes of {a.text()} and {b.text()} differ ({a[0]} and {b[0]})")
    if not same(a[2], b[1]):
        return fail(f"{op}: {a.text()} @ {b.text()}: the inner sizes {a[2]} and {b[1]} differ")
    return Result(Shape.of([a[0] if is_known(a[0]) else b[0], a[1], b[2]]))


def baddbmm(inp: Shape, a: Shape, b: Shape) -> Result:
    """torch.baddbmm(input, batch1, batch2): input broadcasts to bmm's (b, n, p) result, which is the output."""
    prod = bmm(a, b, "baddbmm")
    if prod.shape is None or not closed(inp):
        return prod if prod.shape is None else unknown("the input's shape is unknown")
    out = broadcast_dims(list(inp.dims), list(prod.shape.dims))
    if out is None or len(inp) > 3 or any(is_known(x) and is_known(y) and x != y for x, y in
                                          zip(out, prod.shape.dims)):
        return fail(f"baddbmm: the input {inp.text()} does not broadcast to the product's shape "
                    f"{prod.shape.text()}")
    return prod


def scaled_dot_product_attention(q: Shape, k: Shape, v: Shape, attn_mask: Optional[Shape] = None,
                                 is_causal: Any = False, enable_gqa: Any = False, dropout_p: Any = 0.0) -> Result:
    """F.scaled_dot_product_attention: q (…, L, E), k (…, S, E), v (…, S, Ev) → (…, L, Ev); the leading dims
    broadcast (with enable_gqa the heads at dim -3 of k and v divide q's); attn_mask broadcasts to (…, L, S).

    Which kernel runs decides two checks (torch 2.13 on CPU): 4-D inputs without dropout take the fused kernel,
    which neither rejects is_causal together with an attn_mask nor checks that the value's length is the key's;
    the math kernel (other ranks, dropout_p > 0) raises for both."""
    if not closed(q, k, v):
        return unknown("the shape of the query, key or value is unknown")
    if min(len(q), len(k), len(v)) < 2:
        return fail(f"scaled_dot_product_attention: query, key and value need at least 2 dims, got {q.text()}, "
                    f"{k.text()}, {v.text()}")
    fused = len(q) == len(k) == len(v) == 4 and dropout_p == 0
    if is_causal is True and attn_mask is not None and not fused:
        return fail("scaled_dot_product_attention: an explicit attn_mask should not be set when is_causal=True")
    if not same(q[-1], k[-1]):
        return fail(f"scaled_dot_product_attention: the query {q.text()} and key {k.text()} need the same last "
                    f"dim (embedding size)")
    if not same(k[-2], v[-2]) and not fused:
        return fail(f"scaled_dot_product_attention: the key {k.text()} and value {v.text()} need the same "
                    f"sequence length (dim -2)")
    lead_k, lead_v = list(k.dims[:-2]), list(v.dims[:-2])
    if enable_gqa is True and len(q) >= 3 and len(k) >= 3:
        hq, hk = q[-3], k[-3]
        if is_known(hq) and is_known(hk) and hq % hk:
            return fail(f"scaled_dot_product_attention: with enable_gqa the query heads {hq} must be a multiple of "
                        f"the key/value heads {hk}")
        lead_k = lead_k[:-1] + [hq]
        lead_v = lead_v[:-1] + [hq]
    first = broadcast_dims(list(q.dims[:-2]), lead_k)
    batch = broadcast_dims(first, lead_v) if first is not None else None
    if batch is None:
        return fail(f"scaled_dot_product_attention: the batch dims of {q.text()}, {k.text()} and {v.text()} do not "
                    f"broadcast")
    if isinstance(attn_mask, Shape) and not attn_mask.open_rank:
        if broadcast_dims(list(attn_mask.dims), batch + [q[-2], k[-2]]) is None or len(attn_mask) > len(batch) + 2:
            return fail(f"scaled_dot_product_attention: attn_mask {attn_mask.text()} does not broadcast to "
                        f"{Shape.of(batch + [q[-2], k[-2]]).text()}")
    return Result(Shape.of(batch + [q[-2], v[-1]]))


# ---------------------------------------------------------------- same-shape operations with checks

def softmax(s: Shape, dim: Any, op: str = "softmax") -> Result:
    """softmax / log_softmax: the same shape; `dim` must be in range (None: torch picks one, with a warning)."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    if dim is not None and norm_dim(dim, len(s)) is None:
        return range_error(op, dim, len(s))
    return Result(s)


def masked_fill(s: Shape, mask: Shape, inplace: bool = False) -> Result:
    """x.masked_fill(mask, value): x and the mask broadcast together (the result can grow); masked_fill_ (in
    place) needs the mask to broadcast to x's own shape."""
    if not closed(s, mask):
        return unknown("the shape of the input or the mask is unknown")
    out = broadcast_dims(list(s.dims), list(mask.dims))
    grows = out is not None and (len(out) > len(s) or any(is_known(x) and is_known(y) and x != y
                                                          for x, y in zip(out, s.dims)))
    if out is None or (inplace and grows):
        return fail(f"masked_fill{'_' if inplace else ''}: the mask {mask.text()} does not broadcast to the input "
                    f"{s.text()}")
    return Result(Shape.of(out))


def triangle(s: Shape, op: str = "tril") -> Result:
    """tril / triu: the same shape; at least 2 dims."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    if len(s) < 2:
        return fail(f"{op}: input tensor must have at least 2 dimensions, got {s.text()}")
    return Result(s)


# ---------------------------------------------------------------- several outputs

def split(s: Shape, split_size_or_sections: Any, dim: Any = 0) -> Result:
    """torch.split: pieces of split_size along dim (the last one smaller), or the given sections (which must
    add up to the size)."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    d = norm_dim(dim, len(s))
    if d is None or not len(s):
        return range_error("split", dim, len(s))
    size = s[d]
    sections = split_size_or_sections
    if isinstance(sections, (list, tuple)):
        if not all(isinstance(x, int) and x >= 0 for x in sections):
            return unknown("the sections are known only at run time")
        if is_known(size) and sum(sections) != size:
            return fail(f"split_with_sizes expects split_sizes to sum exactly to {size} (dim {d} of {s.text()}), "
                        f"but got {list(sections)}")
        return pieces(s, d, list(sections))
    if not isinstance(sections, int) or isinstance(sections, bool):
        return unknown("the split size is known only at run time")
    if sections < 0 or (sections == 0 and size != 0):
        return fail(f"split: split_size can only be 0 if dimension size is 0, but got {sections}")
    if not is_known(size):
        return unknown(f"how many pieces dim {d} makes is known only at run time")
    return pieces(s, d, [min(sections, size - i) for i in range(0, size, sections)] if size else [0])


def chunk(s: Shape, chunks: Any, dim: Any = 0) -> Result:
    """torch.chunk: ⌈size / chunks⌉ per piece, as many pieces as that takes (maybe fewer than `chunks`)."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    d = norm_dim(dim, len(s))
    if d is None or not len(s):
        return range_error("chunk", dim, len(s))
    if not isinstance(chunks, int) or isinstance(chunks, bool):
        return unknown("the number of chunks is known only at run time")
    if chunks < 1:
        return fail(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = s[d]
    if not is_known(size):
        return unknown(f"the pieces of dim {d} are known only at run time")
    step = -(-size // chunks) if size else 0
    return pieces(s, d, [min(step, size - i) for i in range(0, size, step)] if step else [0])


def pieces(s: Shape, d: int, sizes: list) -> Result:
    outs = tuple(s.replace(d, n) for n in sizes)
    return Result(outs[0] if outs else None, text=f"{len(outs)} pieces on dim {d}: {sizes}", outputs=outs)


def topk(s: Shape, k: Any, dim: Any = -1) -> Result:
    """torch.topk: (values, indices), both with dim's size replaced by k (k must not exceed it)."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    d = norm_dim(dim, len(s))
    if d is None:
        return range_error("topk", dim, len(s))
    if not isinstance(k, int) or isinstance(k, bool):
        return unknown("k is known only at run time")
    size = s[d] if len(s) else 1
    if k < 0 or (is_known(size) and k > size):
        return fail(f"topk: selected index k={k} out of range for dim {d} of size {dim_text(size)}")
    out = s.replace(d, k) if len(s) else s
    return Result(out, outputs=(out, out))


# ---------------------------------------------------------------- repeat / expand / tile

def repeat(s: Shape, sizes: list) -> Result:
    """x.repeat(*sizes): at least x's rank; leading new dims, each dim times its repeat."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    if len(sizes) < len(s):
        return fail(f"repeat: number of repeat dims ({len(sizes)}) can not be smaller than the number of dims of "
                    f"the tensor {s.text()}")
    return Result(Shape.of(times([1] * (len(sizes) - len(s)) + list(s.dims), sizes)))


def tile(s: Shape, dims: list) -> Result:
    """torch.tile: like repeat, but fewer repeats than dims are padded with 1s in front."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    reps = [1] * max(0, len(s) - len(dims)) + list(dims)
    return Result(Shape.of(times([1] * (len(reps) - len(s)) + list(s.dims), reps)))


def repeat_interleave(s: Shape, repeats: Any = None, dim: Any = None, output_size: Any = None) -> Result:
    """torch.repeat_interleave (torch 2.13 aten/native/Repeat.cpp): each element `repeats` times along dim
    (dim None: over the flattened input). A tensor of repeats makes the size their sum, known only at run
    time unless output_size says it; torch.repeat_interleave(repeats) alone is that case too."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    by_tensor = "the size is the sum of a tensor of repeats, known only at run time"
    if repeats is None:   # torch.repeat_interleave(repeats_tensor): arange repeated, sum(repeats) long
        return Result(Shape.of([output_size])) if isinstance(output_size, int) else \
            Result(Shape.of([UNKNOWN]), reason=by_tensor)
    if dim is None:
        n = s.numel() if all(is_known(d) for d in s.dims) else None
        base, d = Shape.of([n if n is not None else UNKNOWN]), 0
    else:
        d = norm_dim(dim, len(s))
        if d is None or not len(s):   # torch 2.13 raises IndexError for a 0-D input with a dim
            return range_error("repeat_interleave", dim if len(s) else 1, len(s))
        base = s
    if isinstance(repeats, bool) or not isinstance(repeats, (int, Shape)):
        return unknown("the number of repeats is known only at run time")
    if isinstance(repeats, int):
        if repeats < 0:
            return fail("repeat_interleave: repeats can not be negative")
        size = base[d] * repeats if is_known(base[d]) else UNKNOWN
    elif isinstance(output_size, int):
        size = output_size
    else:
        return Result(base.replace(d, UNKNOWN), reason=by_tensor)
    return Result(base.replace(d, size))


# ---------------------------------------------------------------- spectra (torch 2.13 functional.py, SpectralOps.cpp)

def _int_arg(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def stft(s: Shape, n_fft: Any, hop_length: Any = None, win_length: Any = None, window: Any = None,
         center: Any = True, pad_mode: Any = "reflect", normalized: Any = False, onesided: Any = None,
         return_complex: Any = None) -> Result:
    """torch.stft of a real (L,) or (B, L) signal: (B, n_fft//2 + 1, frames) complex, frames =
    1 + (L + 2·(n_fft//2) − n_fft)//hop with center (reflect-padded by n_fft//2 each side), else
    1 + (L − n_fft)//hop; hop defaults to n_fft//4; onesided=False keeps all n_fft frequencies;
    return_complex=False adds a last dim of 2 (real, imaginary)."""
    if not closed(s) or not _int_arg(n_fft):
        return unknown("the signal's rank or n_fft is unknown")
    if return_complex is None:   # torch raises for a real input; a complex one (not tracked) would be fine
        return unknown("stft without return_complex: torch requires it for a real signal")
    if len(s) not in (1, 2):
        return fail(f"stft: expected a 1D or 2D tensor, got {s.text()}")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not (_int_arg(hop) and _int_arg(win)) or not isinstance(center, bool) or not isinstance(return_complex, bool):
        return unknown("an argument of stft is known only at run time")
    if n_fft <= 0 or hop <= 0 or win <= 0 or win > n_fft:
        return fail(f"stft: expected 0 < n_fft, 0 < hop_length and 0 < win_length <= n_fft, got n_fft={n_fft}, "
                    f"hop_length={hop}, win_length={win}")
    if isinstance(window, Shape) and (window.open_rank or len(window) != 1 or (is_known(window[0]) and window[0] != win)):
        return fail(f"stft: expected a 1D window tensor of size equal to win_length={win}, got {window.text()}")
    L = s[-1]
    if not is_known(L):
        frames = UNKNOWN
    else:
        padded = L + 2 * (n_fft // 2) if center else L
        if center and pad_mode == "reflect" and n_fft // 2 >= L:
            return fail(f"stft: the reflect padding n_fft//2 = {n_fft // 2} must be smaller than the signal's "
                        f"length {L}")
        if padded < n_fft:
            return fail(f"stft: expected 0 < n_fft <= {padded} (the padded length), got n_fft={n_fft}")
        frames = 1 + (padded - n_fft) // hop
    freqs = n_fft // 2 + 1 if onesided in (None, True) else n_fft
    dims = list(s.dims[:-1]) + [freqs, frames] + ([] if return_complex else [2])
    return Result(Shape.of(dims))


def istft(s: Shape, n_fft: Any, hop_length: Any = None, win_length: Any = None, window: Any = None,
          center: Any = True, normalized: Any = False, onesided: Any = None, length: Any = None,
          return_complex: Any = False) -> Result:
    """torch.istft of (B, freqs, frames) complex: (B, length), length = n_fft + hop·(frames − 1) − 2·(n_fft//2)
    with center unless given."""
    if not closed(s) or not _int_arg(n_fft):
        return unknown("the spectrum's rank or n_fft is unknown")
    if len(s) not in (2, 3):
        return fail(f"istft: expected a 2D or 3D complex tensor, got {s.text()}")
    hop = n_fft // 4 if hop_length is None else hop_length
    if not _int_arg(hop) or not isinstance(center, bool) or not (length is None or _int_arg(length)):
        return unknown("an argument of istft is known only at run time")
    freqs, frames = s[-2], s[-1]
    side = onesided if isinstance(onesided, bool) else (freqs != n_fft if is_known(freqs) else None)
    if side is None:
        return unknown("the number of frequencies is unknown")
    want = n_fft // 2 + 1 if side else n_fft
    if is_known(freqs) and freqs != want:
        return fail(f"istft: expected the frequency dimension of {s.text()} to be {want} for n_fft={n_fft}")
    if length is not None:
        n = length
    elif is_known(frames):
        n = n_fft + hop * (frames - 1) - (2 * (n_fft // 2) if center else 0)
    else:
        n = UNKNOWN
    return Result(Shape.of(list(s.dims[:-2]) + [n]))


def view_as_real(s: Shape) -> Result:
    """A complex tensor as real pairs: a last dim of 2."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    return Result(Shape.of(list(s.dims) + [2]))


def view_as_complex(s: Shape) -> Result:
    """Real pairs (last dim 2) as one complex tensor."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    if not len(s) or (is_known(s[-1]) and s[-1] != 2):
        return fail(f"view_as_complex: the last dimension of {s.text()} must have size 2")
    return Result(Shape.of(list(s.dims[:-1])))


def times(dims: list, reps: list) -> list:
    out = []
    for d, r in zip(dims, reps):
        out.append(d * r if is_known(d) and isinstance(r, int) else 0 if r == 0 else UNKNOWN)
    return out


def expand(s: Shape, sizes: list) -> Result:
    """x.expand(*sizes): new dims in front; -1 keeps a dim; only size-1 dims grow."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    if len(sizes) < len(s):
        return fail(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
                    f"dimensions in the tensor {s.text()}")
    dims = [None] * (len(sizes) - len(s)) + list(s.dims)
    out = []
    for i, (d, n) in enumerate(zip(dims, sizes)):
        if n == -1:
            if d is None:
                return fail(f"expand: -1 is not allowed in a leading, non-existing dimension ({i})")
            out.append(d)
        elif d is None or d == 1 or not isinstance(n, int) or not is_known(d) or d == n:
            out.append(n if isinstance(n, int) or isinstance(n, str) else UNKNOWN)
        else:
            return fail(f"expand: the expanded size of the tensor ({n}) must match the existing size ({d}) at "
                        f"non-singleton dimension {i}; target sizes {list(sizes)}, tensor {s.text()}")
    return Result(Shape.of(out))


# ---------------------------------------------------------------- indexing

def gather(s: Shape, dim: Any, index: Shape) -> Result:
    """torch.gather: the output has the index's shape; same rank as the input, and index.size(d) ≤
    input.size(d) on every other dim."""
    if not closed(s, index):
        return unknown("the shape of the input or the index is unknown")
    d = norm_dim(dim, len(s))
    if d is None:
        return range_error("gather", dim, len(s))
    if len(index) != len(s) and not (len(s) == 0 or len(index) == 0):
        return fail(f"gather: index {index.text()} should have the same number of dimensions as the input {s.text()}")
    for i, (a, b) in enumerate(zip(index.dims, s.dims)):
        if i != d and is_known(a) and is_known(b) and a > b:
            return fail(f"gather: size does not match at dimension {i}: the index {index.text()} is larger than the "
                        f"input {s.text()} apart from dimension {d}")
    return Result(index)


def index_select(s: Shape, dim: Any, index: Shape) -> Result:
    """torch.index_select: dim's size becomes the number of indices (a 1-D or 0-D index)."""
    if not closed(s, index):
        return unknown("the shape of the input or the index is unknown")
    d = norm_dim(dim, len(s))
    if d is None:
        return range_error("index_select", dim, len(s))
    if len(index) > 1:
        return fail(f"index_select(): index should be a vector (1-D), got {index.text()}")
    n = index[0] if len(index) else 1
    return Result(s.replace(d, n) if len(s) else s)


def one_hot(s: Shape, num_classes: Any = -1) -> Result:
    """F.one_hot: a class axis of num_classes appended (-1: the largest index + 1, known only at run time)."""
    if not closed(s):
        return unknown("the input's rank is unknown")
    if num_classes == -1:
        return Result(Shape.of(list(s.dims) + [UNKNOWN]), reason="num_classes=-1: the class count is the largest "
                                                                 "index + 1, known only at run time")
    if not isinstance(num_classes, int) or isinstance(num_classes, bool):
        return unknown("num_classes is known only at run time")
    if num_classes < -1:
        return fail(f"one_hot: num_classes={num_classes} should be -1 or a non-negative number")
    return Result(Shape.of(list(s.dims) + [num_classes]))
