"""PyTorch layer catalog (rules follow torch 2.13: torch/nn/modules/*.py and aten's shape checks).

Shapes are handled with negative indices (channels of a Conv2d at -3, features of a Linear at -1) so
that one rule serves batched and unbatched inputs, as torch does. Parameter counts are what
`sum(p.numel() for p in m.parameters())` gives: buffers (BatchNorm running stats) are not parameters.
MACs are multiply-accumulates for one sample (the batch dimension excluded), biases not counted
(the convention of the Caffe seed: conv1 5·5·24·24·20 = 288,000).
"""
from __future__ import annotations

import math
from typing import Optional

from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from .base import Catalog, Ctx, fmt_shape, multiply, num, prod_text, sliding_out

CATALOG = Catalog("torch.nn.")
layer = CATALOG.layer

CONV_SIG = ("in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, "
            "padding_mode='zeros', device=None, dtype=None")
CONVT_SIG = ("in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, "
             "dilation=1, padding_mode='zeros', device=None, dtype=None")
LAZY_CONV_SIG = ("out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, "
                 "padding_mode='zeros', device=None, dtype=None")
AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


# ---------------------------------------------------------------- helpers

def arriving(c: Ctx, min_rank: int) -> Shape:
    """The input shape, or an open one ("…, ?, ?") when unknown, padded to at least min_rank dims."""
    s = c.inp if c.inp is not None else Shape.of([], open_rank=True)
    if s.open_rank and len(s) < min_rank:
        s = Shape.of([UNKNOWN] * (min_rank - len(s)) + list(s.dims), open_rank=True)
    return s


def batch_factor(s: Shape, core_rank: int) -> Optional[int]:
    """Leading dims beyond batch that multiply the work (e.g. a Linear on (N, T, F): T). Unbatched → 1."""
    if s.open_rank:
        return None
    lead = list(s.dims[: len(s) - core_rank])
    if not lead:
        return 1
    return multiply(*[d if is_known(d) else None for d in lead[1:]]) if lead[1:] else 1


def check_channels(c: Ctx, s: Shape, axis: int, expected: Optional[int], what: str) -> None:
    if expected is None or c.inp is None or len(s) < -axis:
        return
    got = s[axis]
    if is_known(got) and got != expected:
        c.error("SL105", f"{c.rule.name} expects {what}={expected}, but the input {s.text()} has {got} "
                          f"{'channels' if 'channel' in what or 'features' in what else 'here'}", related_to_input=True)


def conv_params(c: Ctx, k: tuple, cin: Optional[int], cout: Optional[int], groups: int, bias: bool,
                transposed: bool = False) -> None:
    if cin is None or cout is None:
        c.set_params(None)
        return
    per = (cout if transposed else cin) // groups
    outs = cin if transposed else cout
    kt = prod_text(list(k) + [per])
    weight = math.prod(k) * per * outs
    total = weight + (cout if bias else 0)
    if bias and not transposed:
        text = f"({kt} + 1)·{cout} = {num(total)}"
    elif bias:
        text = f"{kt}·{outs} + {cout} = {num(total)}"
    else:
        text = f"{kt}·{outs} = {num(total)} (no bias)"
    if groups > 1:
        text += f"  (groups={groups}: each filter sees {per} of the channels)"
    c.set_params(total, text)


def spatial(c: Ctx, s: Shape, nd: int) -> list:
    return list(s.dims[-nd:])


# ---------------------------------------------------------------- convolutions

@layer(["Conv1d", "Conv2d", "Conv3d"], CONV_SIG, per_name={"Conv1d": {"nd": 1}, "Conv2d": {"nd": 2}, "Conv3d": {"nd": 3}})
def conv(c: Ctx) -> None:
    """Convolution: out = ⌊(L + 2p − d·(k − 1) − 1) / s⌋ + 1 per spatial axis; params (k·k·Cin/g + 1)·Cout."""
    nd = c.rule.options["nd"]
    conv_like(c, nd, c.positive_int("in_channels"))


@layer(["LazyConv1d", "LazyConv2d", "LazyConv3d"], LAZY_CONV_SIG,
       per_name={"LazyConv1d": {"nd": 1}, "LazyConv2d": {"nd": 2}, "LazyConv3d": {"nd": 3}})
def lazy_conv(c: Ctx) -> None:
    """Lazy convolution: in_channels is taken from the first input it sees."""
    nd = c.rule.options["nd"]
    s = arriving(c, nd + 1)
    cin = s[-(nd + 1)] if is_known(s[-(nd + 1)]) else None
    if cin is None:
        c.why_unknown("in_channels is inferred from the input, whose channels are unknown")
    conv_like(c, nd, cin, lazy=True)


def conv_like(c: Ctx, nd: int, cin: Optional[int], lazy: bool = False) -> None:
    cout = c.positive_int("out_channels")
    k = c.ints("kernel_size", nd)
    stride = c.ints("stride", nd)
    dilation = c.ints("dilation", nd)
    groups = c.positive_int("groups")
    bias = c.known("bias")
    c.choice("padding_mode", ("zeros", "reflect", "replicate", "circular"))
    padding = c.known("padding")
    same = False
    pads: Optional[tuple] = None
    if isinstance(padding, str):
        pmode = padding.lower()
        if pmode not in ("same", "valid"):
            c.error("SL108", f"{c.rule.name}: padding={padding!r} is not 'valid', 'same' or an integer")
        elif pmode == "same":
            same = True
            if stride is not None and any(x > 1 for x in stride):
                c.error("SL102", f"{c.rule.name}: padding='same' is not supported for strided convolutions "
                                 f"(stride={c.arg('stride')!r}); torch raises at construction")
        else:
            pads = (0,) * nd
    elif padding is not None:
        pads = c.ints("padding", nd, allow_zero=True)
    if groups is not None:
        for name, value in (("in_channels", cin), ("out_channels", cout)):
            if value is not None and value % groups:
                c.error("SL107", f"{c.rule.name}: {name}={value} is not divisible by groups={groups}")
    if k is None or groups is None or bias is None:
        c.set_params(None)
    else:
        conv_params(c, k, cin, cout, groups, bool(bias))
    if not c.need_rank(nd + 1, nd + 2):
        c.unknown_output("the input has the wrong rank")
        c.macs = None
        return
    s = arriving(c, nd + 1)
    if not lazy:
        check_channels(c, s, -(nd + 1), cin, "in_channels")
    out_sp = []
    unread_total = []
    ins = spatial(c, s, nd)
    for i in range(nd):
        label = AXES[nd][i]
        if k is None or stride is None or dilation is None or (pads is None and not same):
            out_sp.append(UNKNOWN)
            continue
        if same:
            out_sp.append(ins[i])
            if is_known(ins[i]):
                c.formula(label, f"{label}: padding='same' keeps the size: {ins[i]}")
            continue
        o, text, unread = sliding_out(ins[i], k[i], stride[i], 2 * pads[i], dilation[i], False, label, f"2·{pads[i]}",
                                      pad_left=pads[i], pad_right=pads[i])
        if is_known(o) and o < 1:
            eff = dilation[i] * (k[i] - 1) + 1
            c.error("SL101", f"{c.rule.name}: the kernel ({eff} on {label}, dilation included) is larger than the "
                             f"padded input ({ins[i]} + 2·{pads[i]} = {ins[i] + 2 * pads[i]}): output {label} would be {o}",
                    related_to_input=True)
            out_sp.append(UNKNOWN)
            continue
        if text:
            c.formula(label, text)
        if unread and stride[i] > 1:
            unread_total.append((label, unread))
        out_sp.append(o)
    for label, n in unread_total:
        c.warning("SL201", f"{c.rule.name}: with stride {stride[AXES[nd].index(label)]} the last {n} input "
                           f"{'row' if label == 'H' else 'column' if label == 'W' else 'position'}{'s' if n > 1 else ''} "
                           f"on {label} are never read by any window")
    out = Shape.of(list(s.dims[: len(s) - nd - 1]) + [cout if cout is not None else UNKNOWN] + out_sp, s.open_rank)
    c.out = out
    if cout is None:
        c.why_unknown("out_channels is unknown")
    if k is not None and cin is not None and groups and cout is not None and all(is_known(d) for d in out_sp):
        sp = math.prod(out_sp)
        per = cin // groups
        c.macs = sp * cout * per * math.prod(k)
        c.formula("MACs", f"{prod_text(out_sp + [cout])} · {prod_text(list(k) + [per])} = {num(c.macs)}")
    else:
        c.macs = None


@layer(["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"], CONVT_SIG,
       per_name={"ConvTranspose1d": {"nd": 1}, "ConvTranspose2d": {"nd": 2}, "ConvTranspose3d": {"nd": 3}})
def conv_transpose(c: Ctx) -> None:
    """Transposed convolution: out = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    nd = c.rule.options["nd"]
    cin, cout = c.positive_int("in_channels"), c.positive_int("out_channels")
    k, stride, dilation = c.ints("kernel_size", nd), c.ints("stride", nd), c.ints("dilation", nd)
    pads = c.ints("padding", nd, allow_zero=True) if not isinstance(c.arg("padding"), str) else None
    if isinstance(c.arg("padding"), str):
        c.error("SL108", f"{c.rule.name}: padding={c.arg('padding')!r}: transposed convolutions take integer padding only")
    opad = c.ints("output_padding", nd, allow_zero=True)
    groups, bias = c.positive_int("groups"), c.known("bias")
    if c.arg("padding_mode") != "zeros":
        c.error("SL108", f"{c.rule.name}: only padding_mode='zeros' is supported for transposed convolutions")
    if groups is not None:
        for name, value in (("in_channels", cin), ("out_channels", cout)):
            if value is not None and value % groups:
                c.error("SL107", f"{c.rule.name}: {name}={value} is not divisible by groups={groups}")
    if opad and stride and dilation:
        for i in range(nd):
            if opad[i] >= stride[i] and opad[i] >= dilation[i]:
                c.error("SL108", f"{c.rule.name}: output_padding={opad[i]} must be smaller than either stride "
                                 f"({stride[i]}) or dilation ({dilation[i]})")
    if k is None or groups is None or bias is None:
        c.set_params(None)
    else:
        conv_params(c, k, cin, cout, groups, bool(bias), transposed=True)
    if not c.need_rank(nd + 1, nd + 2):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    check_channels(c, s, -(nd + 1), cin, "in_channels")
    out_sp = []
    for i, L in enumerate(spatial(c, s, nd)):
        label = AXES[nd][i]
        if None in (k, stride, dilation, pads, opad) or not is_known(L):
            out_sp.append(UNKNOWN)
            continue
        o = (L - 1) * stride[i] - 2 * pads[i] + dilation[i] * (k[i] - 1) + opad[i] + 1
        c.formula(label, f"{label}: ({L} − 1)·{stride[i]} − 2·{pads[i]} + {dilation[i]}·({k[i]} − 1) + {opad[i]} + 1 = {o}")
        if o < 1:
            c.error("SL101", f"{c.rule.name}: output {label} would be {o}", related_to_input=True)
            o = UNKNOWN
        out_sp.append(o)
    c.out = Shape.of(list(s.dims[: len(s) - nd - 1]) + [cout if cout else UNKNOWN] + out_sp, s.open_rank)
    in_sp = spatial(c, s, nd)
    if k and cin and cout and groups and all(is_known(d) for d in in_sp):
        per = cout // groups
        c.macs = math.prod(in_sp) * cin * per * math.prod(k)
        c.formula("MACs", f"{prod_text(in_sp + [cin])} · {prod_text(list(k) + [per])} = {num(c.macs)}")
    else:
        c.macs = None


# ---------------------------------------------------------------- linear

def linear_like(c: Ctx, fin: Optional[int], fout: Optional[int], bias) -> None:
    s = arriving(c, 1)
    if c.inp is not None and len(s) == 0 and not s.open_rank:
        c.error("SL110", f"{c.rule.name} cannot take a 0-D input", related_to_input=True)
    got = s[-1] if len(s) else UNKNOWN
    if fin is not None and is_known(got) and got != fin:
        where = f" ({c.input_origin})" if c.input_origin else ""
        c.error("SL106", f"{c.rule.name} expects in_features={fin}, but {num(got)} features arrive{where}: "
                         f"input {s.text()}", related_to_input=True)
    if fin is not None and fout is not None and bias is not None:
        total = fin * fout + (fout if bias else 0)
        c.set_params(total, f"({fin} + 1)·{fout} = {num(total)}" if bias else f"{fin}·{fout} = {num(total)} (no bias)")
    else:
        c.set_params(None)
    c.out = Shape.of(list(s.dims[:-1]) + [fout if fout is not None else UNKNOWN], s.open_rank) if len(s) else None
    lead = batch_factor(s, 1)
    if fin is not None and fout is not None and lead is not None:
        c.macs = lead * fin * fout
        c.formula("MACs", f"{fin}·{fout}" + (f"·{lead}" if lead != 1 else "") + f" = {num(c.macs)}")
    else:
        c.macs = None


@layer("Linear", "in_features, out_features, bias=True, device=None, dtype=None")
def linear(c: Ctx) -> None:
    """Fully connected: y = xWᵀ + b on the last dimension; params (in + 1)·out."""
    linear_like(c, c.positive_int("in_features"), c.positive_int("out_features"), c.known("bias"))


@layer("LazyLinear", "out_features, bias=True, device=None, dtype=None")
def lazy_linear(c: Ctx) -> None:
    """LazyLinear: in_features is taken from the first input (a Linear after the first forward)."""
    s = arriving(c, 1)
    fin = s[-1] if len(s) and is_known(s[-1]) else None
    if fin is None:
        c.why_unknown("in_features is inferred from the input, which is unknown")
    linear_like(c, fin, c.positive_int("out_features"), c.known("bias"))


@layer("Bilinear", "in1_features, in2_features, out_features, bias=True, device=None, dtype=None")
def bilinear(c: Ctx) -> None:
    """Bilinear: y = x₁ᵀ A x₂ + b; params in1·in2·out + out. Takes two inputs."""
    a, b, o, bias = (c.positive_int("in1_features"), c.positive_int("in2_features"), c.positive_int("out_features"),
                     c.known("bias"))
    if None not in (a, b, o, bias):
        total = a * b * o + (o if bias else 0)
        c.set_params(total, f"{a}·{b}·{o}" + (f" + {o}" if bias else "") + f" = {num(total)}")
    else:
        c.set_params(None)
    c.error("SL110", "Bilinear takes two inputs (input1, input2), but nn.Sequential passes one: forward raises")
    c.unknown_output("Bilinear needs two inputs")
    c.macs = None


@layer("Identity", "*args, **kwargs")
def identity(c: Ctx) -> None:
    """Identity: passes its input through."""
    c.out = c.inp


# ---------------------------------------------------------------- pooling

POOL_SIGS = {
    "MaxPool": "kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False",
    "AvgPool1d": "kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True",
    "AvgPool": "kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None",
}


def pool(c: Ctx, nd: int, has_dilation: bool) -> None:
    k = c.ints("kernel_size", nd)
    stride = c.ints("stride", nd) if c.arg("stride") is not None else k
    pads = c.ints("padding", nd, allow_zero=True)
    dilation = c.ints("dilation", nd) if has_dilation else (1,) * nd
    ceil_mode = bool(c.known("ceil_mode"))
    c.set_params(0)
    c.macs = 0
    if k and pads and dilation:
        for i in range(nd):
            eff = (k[i] - 1) * dilation[i] + 1
            if pads[i] * 2 > eff:
                half = eff // 2
                c.error("SL103", f"{c.rule.name}: padding={pads[i]} is more than half the effective kernel "
                                 f"({eff} → at most {half}); torch raises 'pad should be at most half of effective "
                                 f"kernel size'")
    if not c.need_rank(nd + 1, nd + 2):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    out_sp = []
    for i, L in enumerate(spatial(c, s, nd)):
        label = AXES[nd][i]
        if None in (k, stride, pads, dilation):
            out_sp.append(UNKNOWN)
            continue
        o, text, unread = sliding_out(L, k[i], stride[i], 2 * pads[i], dilation[i], ceil_mode, label, f"2·{pads[i]}",
                                      pad_left=pads[i], pad_right=pads[i])
        if is_known(o) and o < 1:
            c.error("SL101", f"{c.rule.name}: the window ({k[i]}) is larger than the padded input "
                             f"({L} + 2·{pads[i]}) on {label}: output would be {o}", related_to_input=True)
            out_sp.append(UNKNOWN)
            continue
        if text:
            c.formula(label, text)
        if unread:
            c.warning("SL201", f"{c.rule.name}: with kernel {k[i]} and stride {stride[i]} the last {unread} input "
                               f"position{'s' if unread > 1 else ''} on {label} "
                               f"{'are' if unread > 1 else 'is'} never read (use ceil_mode=True or padding to keep them)")
        out_sp.append(o)
    c.out = Shape.of(list(s.dims[:-nd]) + out_sp, s.open_rank)


for _nd in (1, 2, 3):
    layer(f"MaxPool{_nd}d", POOL_SIGS["MaxPool"], nd=_nd)(lambda c: pool(c, c.rule.options["nd"], True))
    layer(f"AvgPool{_nd}d", POOL_SIGS["AvgPool1d" if _nd == 1 else "AvgPool"], nd=_nd)(
        lambda c: pool(c, c.rule.options["nd"], False))


def adaptive_pool(c: Ctx) -> None:
    """Adaptive pooling: the output size is given; None keeps that input size."""
    nd = c.rule.options["nd"]
    size = c.known("output_size")
    c.set_params(0)
    c.macs = 0
    if not c.need_rank(nd + 1, nd + 2):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    if size is None:
        c.out = Shape.of(list(s.dims[:-nd]) + [UNKNOWN] * nd, s.open_rank)
        return
    sizes = (size,) * nd if not isinstance(size, (tuple, list)) else tuple(size)
    if len(sizes) != nd:
        c.error("SL108", f"{c.rule.name}: output_size={size!r} must have {nd} entries")
        c.unknown_output("invalid output_size")
        return
    ins = spatial(c, s, nd)
    out_sp = [ins[i] if v is None else v for i, v in enumerate(sizes)]
    c.out = Shape.of(list(s.dims[:-nd]) + out_sp, s.open_rank)


for _nd in (1, 2, 3):
    layer(f"AdaptiveAvgPool{_nd}d", "output_size", nd=_nd)(adaptive_pool)
    layer(f"AdaptiveMaxPool{_nd}d", "output_size, return_indices=False", nd=_nd)(adaptive_pool)


# ---------------------------------------------------------------- normalisation

@layer(["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"],
       "num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None",
       per_name={"BatchNorm1d": {"ranks": (2, 3)}, "BatchNorm2d": {"ranks": (4,)}, "BatchNorm3d": {"ranks": (5,)}})
def batch_norm(c: Ctx) -> None:
    """Batch normalisation over the channel axis (dim 1). Params 2·C (γ, β) if affine; running mean and
    variance are buffers, not parameters."""
    C = c.positive_int("num_features")
    affine, track = c.known("affine"), c.known("track_running_stats")
    norm_common(c, C, affine, track, c.rule.options["ranks"], axis=1)


@layer(["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"],
       "num_features, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None",
       per_name={"InstanceNorm1d": {"ranks": (2, 3)}, "InstanceNorm2d": {"ranks": (3, 4)},
                 "InstanceNorm3d": {"ranks": (4, 5)}})
def instance_norm(c: Ctx) -> None:
    """Instance normalisation; unbatched inputs allowed. Params 2·C only with affine=True."""
    C = c.positive_int("num_features")
    norm_common(c, C, c.known("affine"), c.known("track_running_stats"), c.rule.options["ranks"], axis=None)


def norm_common(c: Ctx, C: Optional[int], affine, track, ranks: tuple, axis: Optional[int]) -> None:
    if C is not None and affine is not None:
        c.set_params(2 * C if affine else 0, f"2·{C} = {num(2 * C)} (weight γ and bias β)" if affine else "0 (affine=False)")
        if track:
            c.formula("buffers", f"running_mean + running_var = 2·{C} (buffers, not parameters)")
    else:
        c.set_params(None)
    c.macs = 0
    if not c.need_rank(*ranks):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, min(ranks))
    if axis is None:  # channel axis counted from the end: (N, C, *spatial) or (C, *spatial)
        axis = -(ranks[0])
    elif not s.open_rank:
        axis = axis - len(s)
    else:
        c.out = s
        return
    check_channels(c, s, axis, C, "num_features")
    c.out = s


@layer("LayerNorm", "normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, device=None, dtype=None")
def layer_norm(c: Ctx) -> None:
    """Layer normalisation over the trailing normalized_shape; params prod(shape)·2 with affine and bias."""
    ns = c.known("normalized_shape")
    if isinstance(ns, int) and not isinstance(ns, bool):
        ns = (ns,)
    affine, bias = c.known("elementwise_affine"), c.known("bias")
    c.macs = 0
    if isinstance(ns, (tuple, list)) and all(isinstance(x, int) for x in ns) and affine is not None and bias is not None:
        n = math.prod(ns)
        per = (1 + (1 if bias else 0)) if affine else 0
        c.set_params(n * per, f"{per}·{prod_text(ns)} = {num(n * per)}" if affine else "0 (elementwise_affine=False)")
        s = arriving(c, len(ns))
        tail = list(s.dims[-len(ns):])
        if c.inp is not None and all(is_known(d) for d in tail) and tail != list(ns):
            c.error("SL105", f"LayerNorm expects the last dims to be {tuple(ns)}, but the input {s.text()} ends with "
                             f"{tuple(tail)}", related_to_input=True)
    else:
        c.set_params(None)
    c.out = c.inp


@layer("GroupNorm", "num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None")
def group_norm(c: Ctx) -> None:
    """Group normalisation over channel groups (dim 1); params 2·C with affine."""
    g, C, affine = c.positive_int("num_groups"), c.positive_int("num_channels"), c.known("affine")
    if g and C and C % g:
        c.error("SL107", f"GroupNorm: num_channels={C} is not divisible by num_groups={g}")
    c.macs = 0
    if C is not None and affine is not None:
        c.set_params(2 * C if affine else 0, f"2·{C} = {num(2 * C)}" if affine else "0 (affine=False)")
    else:
        c.set_params(None)
    if not c.need_rank(2, 3, 4, 5):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, 2)
    if not s.open_rank:
        check_channels(c, s, 1 - len(s), C, "num_channels")
    c.out = s


@layer("LocalResponseNorm", "size, alpha=0.0001, beta=0.75, k=1.0")
def local_response_norm(c: Ctx) -> None:
    """Local response normalisation across channels: shape-preserving, no parameters."""
    c.positive_int("size")
    c.set_params(0)
    c.out = c.inp


# ---------------------------------------------------------------- reshaping

@layer("Flatten", "start_dim=1, end_dim=-1")
def flatten(c: Ctx) -> None:
    """Flatten dims start_dim..end_dim into one."""
    start, end = c.known("start_dim"), c.known("end_dim")
    c.set_params(0)
    c.macs = 0
    s = c.inp
    if s is None or s.open_rank or start is None or end is None:
        c.unknown_output("the input rank is unknown, so the flattened size is unknown")
        return
    r = len(s)
    lo, hi = start % r if r else 0, end % r if r else 0
    if r == 0 or not (-r <= start < r and -r <= end < r) or lo > hi:
        c.error("SL110", f"Flatten(start_dim={start}, end_dim={end}) does not fit the {r}-D input {s.text()}",
                related_to_input=True)
        c.unknown_output("Flatten does not fit the input")
        return
    merged = s.dims[lo: hi + 1]
    n = 1
    for d in merged:
        n = n * d if is_known(d) and is_known(n) else UNKNOWN
    c.out = Shape.of(list(s.dims[:lo]) + [n] + list(s.dims[hi + 1:]))
    if len(merged) > 1:
        text = f"{prod_text(dim_text(d) for d in merged)} = {dim_text(n)}"
        c.formula("shape", f"flattened: {text}")
        c.out_origin = f"{text} after Flatten of {s.text()}"


@layer("Unflatten", "dim, unflattened_size")
def unflatten(c: Ctx) -> None:
    """Unflatten one dim into unflattened_size (one entry may be -1)."""
    dim, sizes = c.known("dim"), c.known("unflattened_size")
    c.set_params(0)
    c.macs = 0
    s = c.inp
    if s is None or s.open_rank or not isinstance(dim, int) or not isinstance(sizes, (tuple, list)):
        c.unknown_output("the input or the unflattened size is unknown")
        return
    r = len(s)
    if not -r <= dim < r:
        c.error("SL110", f"Unflatten(dim={dim}) is out of range for the {r}-D input {s.text()}", related_to_input=True)
        c.unknown_output("bad dim")
        return
    d = s[dim % r]
    sizes = list(sizes)
    if sizes.count(-1) == 1 and is_known(d):
        rest = math.prod(x for x in sizes if x != -1)
        sizes[sizes.index(-1)] = d // rest if rest and d % rest == 0 else UNKNOWN
    if is_known(d) and all(is_known(x) for x in sizes) and math.prod(sizes) != d:
        c.error("SL110", f"Unflatten: {prod_text(sizes)} = {math.prod(sizes)} does not equal the size {d} of dim {dim}",
                related_to_input=True)
    c.out = Shape.of(list(s.dims[: dim % r]) + sizes + list(s.dims[dim % r + 1:]))


# ---------------------------------------------------------------- element-wise (shape-preserving)

_SAME_SHAPE = {
    "ReLU": "inplace=False", "ReLU6": "inplace=False", "SELU": "inplace=False", "SiLU": "inplace=False",
    "Mish": "inplace=False", "Sigmoid": "", "Tanh": "", "LogSigmoid": "", "Tanhshrink": "", "Softsign": "",
    "Hardsigmoid": "inplace=False", "Hardswish": "inplace=False",
    "LeakyReLU": "negative_slope=0.01, inplace=False", "ELU": "alpha=1.0, inplace=False",
    "CELU": "alpha=1.0, inplace=False", "GELU": "approximate='none'",
    "Hardtanh": "min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None",
    "Softplus": "beta=1.0, threshold=20.0", "Softshrink": "lambd=0.5", "Hardshrink": "lambd=0.5",
    "Threshold": "threshold, value, inplace=False", "RReLU": "lower=0.125, upper=0.3333333333333333, inplace=False",
    "Softmax": "dim=None", "LogSoftmax": "dim=None", "Softmin": "dim=None", "Softmax2d": "",
    "Dropout": "p=0.5, inplace=False", "Dropout1d": "p=0.5, inplace=False", "Dropout2d": "p=0.5, inplace=False",
    "Dropout3d": "p=0.5, inplace=False", "AlphaDropout": "p=0.5, inplace=False",
    "FeatureAlphaDropout": "p=0.5, inplace=False",
}


def same_shape(c: Ctx) -> None:
    """Element-wise: the output shape is the input shape; no parameters."""
    p = c.args.get("p")
    if isinstance(p, (int, float)) and not isinstance(p, bool) and not 0 <= p <= 1:
        c.error("SL109", f"{c.rule.name}: dropout probability has to be between 0 and 1, but got {p}")
    c.set_params(0)
    c.macs = 0
    c.out = c.inp
    c.out_origin = c.input_origin


for _name, _sig in _SAME_SHAPE.items():
    layer(_name, _sig)(same_shape)


@layer("PReLU", "num_parameters=1, init=0.25, device=None, dtype=None")
def prelu(c: Ctx) -> None:
    """PReLU: one learnable slope, or one per channel (dim 1)."""
    n = c.positive_int("num_parameters")
    c.set_params(n, f"num_parameters = {n}" if n is not None else "")
    c.macs = 0
    c.out = c.inp
    s = c.inp
    if n and n > 1 and s is not None and not s.open_rank and len(s) >= 2:
        check_channels(c, s, 1 - len(s), n, "num_parameters")


@layer("GLU", "dim=-1")
def glu(c: Ctx) -> None:
    """GLU halves the size of `dim`."""
    dim = c.known("dim")
    c.set_params(0)
    c.macs = 0
    s = c.inp
    if s is None or not isinstance(dim, int) or (s.open_rank and dim >= 0):
        c.unknown_output("the input is unknown")
        return
    d = s[dim]
    if is_known(d) and d % 2:
        c.error("SL110", f"GLU halves dim {dim}, but its size {d} is odd", related_to_input=True)
    c.out = s.replace(dim, d // 2 if is_known(d) else UNKNOWN)


@layer("Embedding", "num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0, "
                    "scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None")
def embedding(c: Ctx) -> None:
    """Embedding lookup: (…) → (…, embedding_dim); params num_embeddings·embedding_dim."""
    n, d = c.positive_int("num_embeddings"), c.positive_int("embedding_dim")
    pad = c.known("padding_idx")
    if n is not None and isinstance(pad, int) and not -n <= pad < n:
        c.error("SL109", f"Embedding: padding_idx={pad} must be within num_embeddings ({n})")
    if n is not None and d is not None:
        c.set_params(n * d, f"{n}·{d} = {num(n * d)}")
    else:
        c.set_params(None)
    c.macs = 0
    s = arriving(c, 0)
    c.out = Shape.of(list(s.dims) + [d if d else UNKNOWN], s.open_rank)


@layer("Upsample", "size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None")
def upsample(c: Ctx) -> None:
    """Upsample the spatial dims (all but N and C) to `size` or by `scale_factor` (floored)."""
    c.set_params(0)
    c.macs = 0
    c.choice("mode", ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact"))
    size, scale = c.known("size"), c.known("scale_factor")
    s = c.inp
    if s is None or s.open_rank or len(s) < 3:
        c.unknown_output("the input rank is unknown")
        return
    nd = len(s) - 2
    if size is not None:
        sizes = (size,) * nd if isinstance(size, int) else tuple(size)
        out = list(sizes)
    elif scale is not None:
        scales = (scale,) * nd if isinstance(scale, (int, float)) else tuple(scale)
        out = [math.floor(d * f) if is_known(d) else UNKNOWN for d, f in zip(s.dims[2:], scales)]
    else:
        c.error("SL108", "Upsample: either size or scale_factor should be defined")
        c.unknown_output("no size")
        return
    c.out = Shape.of(list(s.dims[:2]) + out)


@layer("PixelShuffle", "upscale_factor")
def pixel_shuffle(c: Ctx) -> None:
    """(…, C·r², H, W) → (…, C, H·r, W·r)."""
    r = c.positive_int("upscale_factor")
    c.set_params(0)
    c.macs = 0
    s = arriving(c, 3)
    if r is None:
        c.unknown_output("upscale_factor is unknown")
        return
    C, H, W = s[-3], s[-2], s[-1]
    if is_known(C) and C % (r * r):
        c.error("SL107", f"PixelShuffle: channels {C} are not divisible by upscale_factor² = {r * r}", related_to_input=True)
    f = lambda d, op: op(d) if is_known(d) else UNKNOWN  # noqa: E731
    c.out = Shape.of(list(s.dims[:-3]) + [f(C, lambda x: x // (r * r)), f(H, lambda x: x * r), f(W, lambda x: x * r)],
                     s.open_rank)


@layer("ChannelShuffle", "groups")
def channel_shuffle(c: Ctx) -> None:
    """Shuffles channels in groups: shape-preserving."""
    g = c.positive_int("groups")
    c.set_params(0)
    c.macs = 0
    s = c.inp
    if g and s is not None and not s.open_rank and len(s) >= 3 and is_known(s[1]) and s[1] % g:
        c.error("SL107", f"ChannelShuffle: {s[1]} channels are not divisible by groups={g}", related_to_input=True)
    c.out = s


def padding_layer(c: Ctx) -> None:
    """Padding: adds (left, right[, top, bottom[, front, back]]) to the last dims."""
    nd = c.rule.options["nd"]
    pad = c.known("padding")
    c.set_params(0)
    c.macs = 0
    if pad is None:
        c.unknown_output("the padding is unknown")
        return
    pads = (pad,) * (2 * nd) if isinstance(pad, int) else tuple(pad)
    if len(pads) != 2 * nd:
        c.error("SL108", f"{c.rule.name}: padding={pad!r} must be an int or a {2 * nd}-tuple")
        c.unknown_output("bad padding")
        return
    if not c.need_rank(nd + 1, nd + 2):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    dims = list(s.dims)
    for i in range(nd):  # pads run from the last dim backwards: (left, right, top, bottom, ...)
        axis = -1 - i
        d = dims[axis]
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if "Reflection" in c.rule.name and is_known(d) and (lo >= d or hi >= d):
            c.error("SL109", f"{c.rule.name}: padding ({lo}, {hi}) must be smaller than the input size {d}",
                    related_to_input=True)
        dims[axis] = d + lo + hi if is_known(d) else UNKNOWN
        if is_known(dims[axis]) and dims[axis] < 1:
            c.error("SL101", f"{c.rule.name}: output size would be {dims[axis]}", related_to_input=True)
    c.out = Shape.of(dims, s.open_rank)


for _nd in (1, 2, 3):
    layer(f"ZeroPad{_nd}d", "padding", nd=_nd)(padding_layer)
    layer(f"ConstantPad{_nd}d", "padding, value", nd=_nd)(padding_layer)
    layer(f"ReflectionPad{_nd}d", "padding", nd=_nd)(padding_layer)
    layer(f"ReplicationPad{_nd}d", "padding", nd=_nd)(padding_layer)
    layer(f"CircularPad{_nd}d", "padding", nd=_nd)(padding_layer)
