"""PyTorch layers beyond the common families (torch 2.13): EmbeddingBag (sparse.py), Fold/Unfold (fold.py,
aten im2col/col2im), LPPool, MaxUnpool and FractionalMaxPool (pooling.py and F.lp_pool*d, F.max_unpool*d,
F.fractional_max_pool*d), SyncBatchNorm (batchnorm.py), CrossMapLRN2d (normalization.py), CosineSimilarity and
PairwiseDistance (distance.py), AdaptiveLogSoftmaxWithLoss (adaptive.py).
"""
from __future__ import annotations

import math
from typing import Any, Optional

from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from ..analysis.values import Unknown
from .base import MISSING, Ctx, num, prod_text, sliding_out
from .torch_layers import (AXES, affine_params, arriving, check_rank, check_size, dim_at, int_tuple, is_int, layer,
                           more_than_one, pool_axis, pool_stride, positive, ranks, ranks_text, running_buffers,
                           settle_rank)
from .torch_attention import needs_inputs


def no_params(c: Ctx) -> None:
    c.set_params(0)
    c.macs = 0


# ---------------------------------------------------------------- EmbeddingBag

EMBEDDING_BAG_SIG = ("num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, "
                     "mode='mean', sparse=False, _weight=None, include_last_offset=False, padding_idx=None, "
                     "device=None, dtype=None")


@layer("EmbeddingBag", EMBEDDING_BAG_SIG, call="input, offsets=None, per_sample_weights=None")
def embedding_bag(c: Ctx) -> None:
    """Bags of embeddings reduced by sum/mean/max: a 2-D input (B, L) → (B, embedding_dim); a 1-D input (N)
    with offsets (B) → (B, embedding_dim) ((B − 1) with include_last_offset). Params num_embeddings·embedding_dim."""
    n, d = positive(c, "num_embeddings"), positive(c, "embedding_dim")
    pad, mode = c.known("padding_idx"), c.known("mode")
    if n is not None and is_int(pad) and not -n <= pad < n:
        c.error("SL109", f"EmbeddingBag: padding_idx={pad} must be within num_embeddings ({n})")
    c.set_params(None if n is None or d is None else n * d, f"{n}·{d} = {num(n * d)}" if n and d else "")
    c.macs = 0
    if isinstance(mode, str) and mode not in ("sum", "mean", "max"):
        c.error("SL108", f"EmbeddingBag: mode={mode!r} has to be one of 'sum', 'mean' or 'max' (forward raises)")
    elif mode == "max" and (c.known("scale_grad_by_freq") or c.known("sparse")):
        c.error("SL108", "EmbeddingBag: mode='max' supports neither scale_grad_by_freq nor sparse weights")
    x = c.call_arg("input")
    if not isinstance(x, Shape):
        return c.unknown_output(c.input_unknown())
    if not check_rank(c, ranks(1, 2), ranks_text(1, 2) + " of indices"):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, 1)
    offsets, weights = c.call_arg("offsets"), c.call_arg("per_sample_weights")
    if isinstance(weights, Shape) and mode is not None and mode != "sum":
        c.error("SL108", f"EmbeddingBag: per_sample_weights is only supported for mode='sum' (got mode={mode!r})",
                related_to_input=True)
    if isinstance(weights, Shape) and not s.open_rank and any(
            is_known(a) and is_known(b) and a != b for a, b in zip(weights.dims, s.dims)) or (
            isinstance(weights, Shape) and len(weights) != len(s)):
        c.error("SL110", f"EmbeddingBag: per_sample_weights {weights.text()} must have the shape of the input "
                         f"{s.text()}", related_to_input=True)
    if s.open_rank:
        return c.unknown_output("the input's rank is unknown")
    if len(s) == 2:
        if offsets is not None:
            c.error("SL110", "EmbeddingBag: if input is 2-D, then offsets has to be None (each row is a bag)",
                    related_to_input=True)
        c.out = Shape.of([s[0], d if d else UNKNOWN])
        return
    c.out = bags_from_offsets(c, offsets, d)


def bags_from_offsets(c: Ctx, offsets: Any, d: Optional[int]) -> Optional[Shape]:
    if offsets is None or offsets is MISSING:
        if c.inp is not None:
            c.error("SL110", "EmbeddingBag: a 1-D input needs offsets (a 1-D tensor of bag starts), got None",
                    related_to_input=True)
        return None
    if not isinstance(offsets, Shape) or offsets.open_rank:
        return Shape.of([UNKNOWN, d if d else UNKNOWN])
    if len(offsets) != 1:
        c.error("SL110", f"EmbeddingBag: offsets has to be a 1-D tensor, got {offsets.text()}", related_to_input=True)
        return None
    bags = offsets[0]
    last = c.known("include_last_offset")
    if last and is_known(bags):
        bags -= 1
    return Shape.of([bags if last is not None else UNKNOWN, d if d else UNKNOWN])


# ---------------------------------------------------------------- Fold / Unfold

def blocks(c: Ctx, sizes: list, k, dil, pad, stride) -> Optional[list]:
    """The number of sliding blocks per spatial axis: ⌊(size + 2p − d·(k − 1) − 1) / s⌋ + 1 (aten im2col)."""
    out = []
    for i, (label, size) in enumerate(zip(AXES[2], sizes)):
        o, text, _ = sliding_out(size, k[i], stride[i], 2 * pad[i], dil[i], False, label, f"2·{pad[i]}")
        c.formula("blocks", text)  # a count of blocks, not an output size
        out.append(o)
    if all(is_known(o) for o in out) and any(o < 1 for o in out):
        c.error("SL101", f"{c.rule.name}: the spatial size {tuple(sizes)} gives {tuple(out)} sliding blocks of "
                         f"kernel {k} (dilation {dil}, padding {pad}, stride {stride}); each must be at least one",
                related_to_input=True)
        return None
    return out


def fold_args(c: Ctx) -> Optional[tuple]:
    k = int_tuple(c, "kernel_size", 2, expand_single=False)
    dil = int_tuple(c, "dilation", 2, expand_single=False)
    pad = int_tuple(c, "padding", 2, low=0, expand_single=False)
    stride = int_tuple(c, "stride", 2, expand_single=False)
    return None if None in (k, dil, pad, stride) else (k, dil, pad, stride)


@layer("Unfold", "kernel_size, dilation=1, padding=0, stride=1")
def unfold(c: Ctx) -> None:
    """Sliding blocks (im2col): (N, C, H, W) → (N, C·kh·kw, L), L the number of blocks; unbatched (C, H, W) →
    (C·kh·kw, L)."""
    no_params(c)
    args = fold_args(c)
    if not check_rank(c, ranks(3, 4), ranks_text(3, 4)):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, 3)
    if args is None:
        return c.unknown_output("the block sizes are unknown")
    k, dil, pad, stride = args
    n = blocks(c, list(s.dims[-2:]), k, dil, pad, stride)
    C = s[-3]
    chans = C * k[0] * k[1] if is_known(C) else UNKNOWN
    L = n[0] * n[1] if n is not None and all(is_known(o) for o in n) else UNKNOWN
    if n is None:
        return c.unknown_output("no sliding block fits")
    if is_known(L):
        c.formula("shape", f"L = {n[0]}·{n[1]} = {L}; channels {dim_text(C)}·{k[0]}·{k[1]} = {dim_text(chans)}")
    c.out = Shape.of(list(s.dims[:-3]) + [chans, L], s.open_rank)


@layer("Fold", "output_size, kernel_size, dilation=1, padding=0, stride=1")
def fold(c: Ctx) -> None:
    """Sum the blocks back (col2im): (N, C·kh·kw, L) → (N, C, *output_size); L must be the number of blocks
    output_size holds, and the channels a multiple of kh·kw."""
    no_params(c)
    args = fold_args(c)
    size = int_tuple(c, "output_size", 2, expand_single=False)
    if not check_rank(c, ranks(2, 3), ranks_text(2, 3) + " (C·kh·kw, L)"):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, 2)
    if args is None or size is None:
        return c.unknown_output("the block sizes are unknown")
    k, dil, pad, stride = args
    CK, L = s[-2], s[-1]
    kk = k[0] * k[1]
    if is_known(CK) and CK % kk:
        c.error("SL107", f"Fold: the input's dimension -2 ({CK}) must be divisible by the product of kernel_size "
                         f"{k[0]}·{k[1]} = {kk}", related_to_input=True)
        return c.unknown_output("bad channels")
    n = blocks(c, list(size), k, dil, pad, stride)
    if n is None:
        return c.unknown_output("no sliding block fits")
    want = n[0] * n[1]
    if is_known(L) and L != want:
        c.error("SL110", f"Fold: output_size={size} holds {n[0]}·{n[1]} = {want} blocks, but the input {s.text()} "
                         f"has {L}", related_to_input=True)
        return c.unknown_output("the blocks do not fit output_size")
    c.out = Shape.of(list(s.dims[:-2]) + [CK // kk if is_known(CK) else UNKNOWN] + list(size), s.open_rank)


# ---------------------------------------------------------------- LPPool

def lp_pool(c: Ctx) -> None:
    """Power-average pooling: avg_pool of xᵖ with padding 0 (⌊(L − k) / s⌋ + 1, ⌈…⌉ with ceil_mode), then the
    p-th root. norm_type=0 divides by zero; LPPool2d/3d unpack kernel_size into 2 or 3 sizes."""
    nd = c.rule.options["nd"]
    no_params(c)
    p = c.known("norm_type")
    if isinstance(p, (int, float)) and not isinstance(p, bool) and p == 0:
        c.error("SL109", f"{c.rule.name}: norm_type=0: the p-th root 1/norm_type divides by zero")
    raw = c.known("kernel_size")
    if nd == 1 and isinstance(raw, (tuple, list)):
        c.error("SL108", f"LPPool1d: kernel_size={raw!r}: F.lp_pool1d multiplies by kernel_size, which must be an int")
        return c.unknown_output("invalid kernel_size")
    if nd > 1 and isinstance(raw, (tuple, list)) and len(raw) != nd:
        c.error("SL108", f"{c.rule.name}: kernel_size={raw!r} must be an int or {nd} ints (F.lp_pool{nd}d unpacks it)")
        return c.unknown_output("invalid kernel_size")
    k = int_tuple(c, "kernel_size", nd)
    stride = pool_stride(c, nd, k)
    ceil_mode = c.known("ceil_mode")
    if not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, nd + 1)
    out = []
    for i, L in enumerate(s.dims[-nd:]):
        if None in (k, stride, ceil_mode):
            out.append(UNKNOWN)
            continue
        out.append(pool_axis(c, AXES[nd][i], L, k[i], stride[i], 0, 1, bool(ceil_mode)))
    c.out = Shape.of(list(s.dims[:-nd]) + out, s.open_rank)


for _nd in (1, 2, 3):
    layer(f"LPPool{_nd}d", "norm_type, kernel_size, stride=None, ceil_mode=False", nd=_nd)(lp_pool)


# ---------------------------------------------------------------- MaxUnpool

def max_unpool(c: Ctx) -> None:
    """Inverse of max pooling: (N, C, *L) and the pooling's indices → (N, C, *out), out = (L − 1)·s − 2p + k,
    or output_size (nd sizes, or nd + 2 with N and C) strictly within s of that. The indices must have the
    input's shape; their values (known only at run time) must fall inside the output."""
    nd = c.rule.options["nd"]
    no_params(c)
    k = int_tuple(c, "kernel_size", nd)
    stride = k if c.arg("stride") is None else int_tuple(c, "stride", nd)
    pad = int_tuple(c, "padding", nd, low=0)
    if not needs_inputs(c, ("input", "indices")):
        return c.unknown_output("")
    x, idx = c.call_arg("input"), c.call_arg("indices")
    if not isinstance(x, Shape):
        return c.unknown_output(c.input_unknown())
    if not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, nd + 1)
    if isinstance(idx, Shape) and not idx.open_rank and not s.open_rank and (
            len(idx) != len(s) or any(is_known(a) and is_known(b) and a != b for a, b in zip(idx.dims, s.dims))):
        c.error("SL110", f"{c.rule.name}: the indices {idx.text()} must have the shape of the input {s.text()}",
                related_to_input=True)
        return c.unknown_output("the indices do not fit the input")
    if None in (k, stride, pad):
        return c.unknown_output("the unpooling sizes are unknown")
    default = []
    for i, L in enumerate(s.dims[-nd:]):
        label = AXES[nd][i]
        if not is_known(L):
            default.append(UNKNOWN)
            continue
        o = (L - 1) * stride[i] + k[i] - 2 * pad[i]
        c.formula(label, f"{label}: ({L} − 1)·{stride[i]} + {k[i]} − 2·{pad[i]} = {o}")
        default.append(o)
    sizes = unpool_size(c, nd, default, stride)
    if sizes is None:
        return c.unknown_output("output_size does not fit")
    if any(is_known(o) and o < 0 for o in sizes):
        c.error("SL101", f"{c.rule.name}: the output size {tuple(sizes)} would be negative", related_to_input=True)
        return c.unknown_output("negative output")
    c.out = Shape.of(list(s.dims[:-nd]) + sizes, s.open_rank)


def unpool_size(c: Ctx, nd: int, default: list, stride: tuple) -> Optional[list]:
    """F._unpool_output_size: output_size must hold nd or nd + 2 sizes, each strictly between default − s and
    default + s."""
    given = c.call_arg("output_size")
    if given is None or given is MISSING:
        return default
    if isinstance(given, Unknown) or not isinstance(given, (tuple, list)) or not all(is_int(v) for v in given):
        return [UNKNOWN] * nd
    sizes = list(given)
    if len(sizes) == nd + 2:
        sizes = sizes[2:]
    if len(sizes) != nd:
        c.error("SL110", f"{c.rule.name}: output_size={tuple(given)} should hold {nd} or {nd + 2} sizes",
                related_to_input=True)
        return None
    for i, (want, d) in enumerate(zip(sizes, default)):
        if is_known(d) and not d - stride[i] < want < d + stride[i]:
            c.error("SL110", f"{c.rule.name}: invalid output_size {tuple(given)} (dim {i} must be between "
                             f"{d - stride[i]} and {d + stride[i]})", related_to_input=True)
            return None
    return sizes


for _nd in (1, 2, 3):
    layer(f"MaxUnpool{_nd}d", "kernel_size, stride=None, padding=0", nd=_nd,
          call="input, indices, output_size=None")(max_unpool)


# ---------------------------------------------------------------- FractionalMaxPool

def fractional_max_pool(c: Ctx) -> None:
    """Fractional max pooling: output_size, or ⌊input · output_ratio⌋ (0 < ratio < 1); each output size plus
    the kernel minus 1 must fit in the input (aten fractional_max_pool*d). return_indices=True: (out, indices)."""
    nd = c.rule.options["nd"]
    no_params(c)
    k = int_tuple(c, "kernel_size", nd, expand_single=False)
    size, ratio = c.args["output_size"], c.args["output_ratio"]
    if size is None and ratio is None:
        c.error("SL108", f"{c.rule.name} requires either output_size or output_ratio")
        return c.unknown_output("no output size")
    if size is not None and ratio is not None:
        c.error("SL108", f"{c.rule.name}: only one of output_size and output_ratio may be specified")
        return c.unknown_output("both output_size and output_ratio")
    sizes = int_tuple(c, "output_size", nd, expand_single=False) if size is not None else None
    ratios = fraction_ratios(c, nd) if ratio is not None else None
    if not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, nd + 1)
    ins = list(s.dims[-nd:])
    if ratios is not None:
        sizes = [math.floor(d * r) if is_known(d) else UNKNOWN for d, r in zip(ins, ratios)]
        for label, d, r, o in zip(AXES[nd], ins, ratios, sizes):
            if is_known(d):
                c.formula(label, f"{label}: ⌊{d} · {num(r)}⌋ = {o}")
    if sizes is None or k is None:
        return c.unknown_output("the output size is unknown")
    for label, d, o, kk in zip(AXES[nd], ins, sizes, k):
        if is_known(d) and is_known(o) and o + kk - 1 > d:
            c.error("SL101", f"{c.rule.name}: pool {label} {kk} too large relative to the input {label} {d} for an "
                             f"output of {o} ({o} + {kk} − 1 > {d})", related_to_input=True)
            return c.unknown_output("the pool does not fit")
    c.out = Shape.of(list(s.dims[:-nd]) + list(sizes), s.open_rank)
    if c.known("return_indices"):
        c.outputs = (c.out, c.out)


def fraction_ratios(c: Ctx, nd: int) -> Optional[tuple]:
    r = c.known("output_ratio")
    if r is None:
        return None
    t = (r,) * nd if isinstance(r, (int, float)) and not isinstance(r, bool) else tuple(r) if isinstance(
        r, (tuple, list)) else None
    if t is None or len(t) != nd or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in t):
        c.error("SL108", f"{c.rule.name}: output_ratio={r!r} must be a number or {nd} numbers")
        return None
    if not all(0 < x < 1 for x in t):
        c.error("SL109", f"{c.rule.name}: output_ratio must be between 0 and 1 (got {r!r})")
        return None
    return t


for _nd in (2, 3):
    layer(f"FractionalMaxPool{_nd}d", "kernel_size, output_size=None, output_ratio=None, return_indices=False, "
                                      "_random_samples=None", nd=_nd)(fractional_max_pool)


# ---------------------------------------------------------------- normalisation

@layer("SyncBatchNorm", "num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, "
                        "process_group=None, device=None, dtype=None, *, bias=True")
def sync_batch_norm(c: Ctx) -> None:
    """Batch normalisation synchronised across processes (on one process: BatchNorm): any input of at least 2
    dims (N, C, *); params 2·C with affine, running stats are buffers."""
    C, affine, track = positive(c, "num_features"), c.known("affine"), c.known("track_running_stats")
    affine_params(c, C, affine, c.known("bias"))
    running_buffers(c, C, track)
    c.macs = 0
    if not check_rank(c, lambda r: r >= 2, "an input of at least 2 dimensions (N, C, *)"):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, 2)
    c.out = s
    if s.open_rank:
        return
    if affine or track:
        check_size(c, s, 1, C, "num_features")
    more_than_one(c, [s[0]] + list(s.dims[2:]), "the number of values per channel (batch × spatial)")


@layer("CrossMapLRN2d", "size, alpha=0.0001, beta=0.75, k=1")
def cross_map_lrn(c: Ctx) -> None:
    """Local response normalisation across channels of a 4-D input (N, C, H, W): shape-preserving."""
    positive(c, "size")
    no_params(c)
    if check_rank(c, ranks(4), ranks_text(4)):
        c.out = settle_rank(c.inp, ranks(4))
    else:
        c.unknown_output("the input has the wrong rank")


# ---------------------------------------------------------------- distances

def broadcast_dims(c: Ctx, a: Shape, b: Shape) -> Optional[list]:
    n = max(len(a), len(b))
    da = [1] * (n - len(a)) + list(a.dims)
    db = [1] * (n - len(b)) + list(b.dims)
    out = []
    for i, (x, y) in enumerate(zip(da, db)):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        elif is_known(x) and is_known(y):
            c.error("SL110", f"{c.rule.name}: x1 {a.text()} and x2 {b.text()} do not broadcast (size {x} and {y} at "
                             f"dimension {i - n})", related_to_input=True)
            return None
        else:
            out.append(UNKNOWN)
    return out


def two_inputs(c: Ctx) -> Optional[tuple]:
    if not needs_inputs(c, ("x1", "x2")):
        c.unknown_output("")
        return None
    a, b = c.call_arg("x1"), c.call_arg("x2")
    if not isinstance(a, Shape) or not isinstance(b, Shape) or a.open_rank or b.open_rank:
        c.unknown_output("the shape of x1 or x2 is unknown")
        return None
    return a, b


@layer("CosineSimilarity", "dim=1, eps=1e-08", call="x1, x2")
def cosine_similarity(c: Ctx) -> None:
    """Cosine similarity of x1 and x2 along `dim`, after broadcasting them: the broadcast shape without `dim`."""
    no_params(c)
    dim = c.known("dim")
    got = two_inputs(c)
    if got is None:
        return
    dims = broadcast_dims(c, *got)
    if dims is None or not is_int(dim):
        return c.unknown_output("the inputs do not broadcast" if dims is None else "dim is unknown")
    r = max(len(dims), 1)
    if not -r <= dim < r:
        c.error("SL110", f"CosineSimilarity: dim={dim} is out of range for {len(dims)}-D inputs", related_to_input=True)
        return c.unknown_output("bad dim")
    if dims:
        del dims[dim % r]
    c.out = Shape.of(dims)


@layer("PairwiseDistance", "p=2.0, eps=1e-06, keepdim=False", call="x1, x2")
def pairwise_distance(c: Ctx) -> None:
    """p-norm distance of x1 − x2 over the last dim, after broadcasting: the broadcast shape without its last
    dim (kept as 1 with keepdim; 1-D inputs give a 0-D result, or (1,) with keepdim)."""
    no_params(c)
    keep = c.known("keepdim")
    got = two_inputs(c)
    if got is None:
        return
    dims = broadcast_dims(c, *got)
    if dims is None or keep is None:
        return c.unknown_output("the inputs do not broadcast" if dims is None else "keepdim is unknown")
    c.out = Shape.of(dims[:-1] + ([1] if keep else [])) if dims else Shape.of([1] if keep else [])


# ---------------------------------------------------------------- AdaptiveLogSoftmaxWithLoss

@layer("AdaptiveLogSoftmaxWithLoss", "in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, "
                                     "dtype=None", call="input_, target_", composite=True)
def adaptive_log_softmax(c: Ctx) -> None:
    """Adaptive softmax: (N, in_features) and targets (N) → (output (N), loss ()); unbatched (in_features) and a
    0-D target → (output (), loss ()). Params: head in·(shortlist + clusters) (+ bias), and per cluster
    in·hsz + hsz·osz with hsz = ⌊in / div_value^(i+1)⌋.

    Children torch creates: head = Linear(in_features, cutoffs[0] + len(cutoffs), bias=head_bias); tail =
    ModuleList of Sequential(Linear(in_features, hsz_i, bias=False), Linear(hsz_i, osz_i, bias=False)) per
    cluster i, osz_i = cutoffs[i + 1] − cutoffs[i] (n_classes closing the list)."""
    fin, n, cutoffs = positive(c, "in_features"), positive(c, "n_classes"), c.known("cutoffs")
    div, head_bias = c.known("div_value"), c.known("head_bias")
    cuts = check_cutoffs(c, cutoffs, n)
    c.macs = None
    if None in (fin, cuts, div, head_bias):
        c.set_params(None)
    else:
        asm_params(c, fin, cuts + [n], div, bool(head_bias))
    if not needs_inputs(c, ("input_", "target_")):
        return c.unknown_output("")
    x, t = c.call_arg("input_"), c.call_arg("target_")
    if not isinstance(x, Shape) or not isinstance(t, Shape) or x.open_rank or t.open_rank:
        return c.unknown_output("the input or target shape is unknown")
    if not asm_inputs_fit(c, x, t, fin):
        return c.unknown_output("the input or target does not fit the layer")
    c.out = Shape.of(list(t.dims))
    c.outputs = (c.out, Shape.of([]))


def asm_inputs_fit(c: Ctx, x: Shape, t: Shape, fin: Optional[int]) -> bool:
    """AdaptiveLogSoftmaxWithLoss.forward: a 1-D target with a 2-D input of the same batch, or a 0-D target with
    a 1-D input; in_features features (the head Linear)."""
    name = "AdaptiveLogSoftmaxWithLoss"
    if len(t) > 1:
        c.error("SL110", f"{name}: 0-D or 1-D target expected, got {t.text()}", related_to_input=True)
        return False
    if len(x) != len(t) + 1:
        c.error("SL110", f"{name}: a {len(t)}-D target expects a {len(t) + 1}-D input, got {x.text()}",
                related_to_input=True)
        return False
    if len(t) == 1 and is_known(x[0]) and is_known(t[0]) and x[0] != t[0]:
        c.error("SL110", f"{name}: input {x.text()} and target {t.text()} should have the same size in the batch "
                         f"dimension", related_to_input=True)
        return False
    if fin is not None and is_known(x[-1]) and x[-1] != fin:
        c.error("SL106", f"{name} expects in_features={fin}, but the input {x.text()} has {x[-1]}",
                related_to_input=True)
        return False
    return True


def check_cutoffs(c: Ctx, cutoffs: Any, n: Optional[int]) -> Optional[list]:
    if cutoffs is None:
        return None
    if not isinstance(cutoffs, (tuple, list)) or not cutoffs:
        c.error("SL108", "AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of length larger than 0")
        return None
    cuts = list(cutoffs)
    ints = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in cuts)
    if not ints or cuts != sorted(cuts) or min(cuts) <= 0 or len(set(cuts)) != len(cuts) or \
            any(int(x) != x for x in cuts) or (n is not None and max(cuts) > n - 1):
        c.error("SL109", "AdaptiveLogSoftmaxWithLoss: cutoffs should be unique, positive integers in increasing order, "
                         "each between 1 and n_classes − 1")
        return None
    return [int(x) for x in cuts]


def asm_params(c: Ctx, fin: int, cuts: list, div, head_bias: bool) -> None:
    clusters = len(cuts) - 1
    head = cuts[0] + clusters
    total = fin * head + (head if head_bias else 0)
    parts = [f"{fin}·{head}" + (f" + {head}" if head_bias else "")]
    for i in range(clusters):
        hsz = int(fin // (div ** (i + 1)))
        osz = cuts[i + 1] - cuts[i]
        total += fin * hsz + hsz * osz
        parts.append(f"{fin}·{hsz} + {hsz}·{osz}")
    c.set_params(total, f"{' + '.join(parts)} = {num(total)} (head, then each tail cluster)")
