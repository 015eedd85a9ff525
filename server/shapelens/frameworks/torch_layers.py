"""PyTorch layer catalog (rules follow torch 2.13: torch/nn/modules/*.py, torch/nn/functional.py and aten's
shape checks, verified against the real layers by tests/test_torch_catalog.py and test_torch_properties.py).

Shapes are handled with negative indices (channels of a Conv2d at -3, features of a Linear at -1) so
that one rule serves batched and unbatched inputs, as torch does. Parameter counts are what
`sum(p.numel() for p in m.parameters())` gives: buffers (BatchNorm running stats) are not parameters,
so `non_trainable` is 0 except for parameters torch creates frozen (Embedding(_freeze=True)).
MACs are multiply-accumulates for one sample (the batch dimension excluded), biases not counted
(the convention of the Caffe seed: conv1 5·5·24·24·20 = 288,000); parameter-free layers count 0.

Every check reports what torch itself rejects, at construction or in forward (a module is in training
mode when built, so training-mode checks such as BatchNorm's "more than 1 value per channel" count).
"""
from __future__ import annotations

import functools
import math
from typing import Callable, Optional

from ..analysis import symbolic
from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from ..analysis.values import first_unknown
from .base import MISSING, Catalog, Ctx, multiply, num, prod_text, sliding_out

CATALOG = Catalog("torch.nn.")


def layer(names, signature: str, **options):
    """CATALOG.layer, with every rule followed by explain_unknown."""
    def register(fn: Callable[[Ctx], None]):
        @functools.wraps(fn)
        def infer(c: Ctx) -> None:
            fn(c)
            explain_unknown(c)

        CATALOG.layer(names, signature, **options)(infer)
        return fn

    return register


def explain_unknown(c: Ctx) -> None:
    """Say why an output size, a count or the MACs is "?" when the rule had no more specific reason: it is
    the arriving shape that is unknown. Symbolic sizes from a directive ("N", "H") are not unknowns."""
    out = c.out
    unknown = out is None or out.open_rank or UNKNOWN in out.dims or c.macs is None or c.trainable is None
    if not unknown or c.unknown:
        return
    if c.inp is None and c.input_reason:
        c.why_unknown(c.input_reason)   # the arriving tensor's own cause (the model's input, or an op upstream)
    elif c.inp is None:
        c.why_unknown("the input shape is unknown (give the model one, e.g. `# shapelens: input=(1, 3, 224, 224)`)")
    elif c.inp.open_rank or UNKNOWN in c.inp.dims:
        c.why_unknown(f"the input {c.inp.text()} is only partly known" + (f": {c.input_reason}" if c.input_reason
                                                                           else ""))
    elif any(isinstance(d, str) for d in c.inp.dims):
        c.why_unknown(f"the input {c.inp.text()} has symbolic sizes: the MACs depend on them")


CONV_SIG = ("in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, "
            "padding_mode='zeros', device=None, dtype=None")
CONVT_SIG = ("in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, "
             "dilation=1, padding_mode='zeros', device=None, dtype=None")
LAZY_CONV_SIG = ("out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, "
                 "padding_mode='zeros', device=None, dtype=None")
LAZY_CONVT_SIG = ("out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, "
                  "dilation=1, padding_mode='zeros', device=None, dtype=None")
AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# ---------------------------------------------------------------- helpers

def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def arriving(c: Ctx, min_rank: int) -> Shape:
    """The input shape, or an open one ("…, ?, ?") when unknown, padded to at least min_rank dims."""
    s = c.inp if c.inp is not None else Shape.of([], open_rank=True)
    if s.open_rank and len(s) < min_rank:
        s = Shape.of([UNKNOWN] * (min_rank - len(s)) + list(s.dims), open_rank=True)
    return s


def dim_at(s: Shape, axis: int):
    """The size at `axis` (negative: from the end), or "?" when an open rank hides it."""
    if axis < 0:
        return s.dims[axis] if -axis <= len(s) else UNKNOWN
    return s.dims[axis] if not s.open_rank and axis < len(s) else UNKNOWN


def check_rank(c: Ctx, ok: Callable[[int], bool], allowed: str) -> bool:
    """False (and an SL110 error) when torch rejects the arriving rank. An open rank (an unknown number
    of leading dims) passes while it can still be one torch accepts."""
    s = c.inp
    if s is None:
        return True
    if s.open_rank:
        if any(ok(r) for r in range(len(s), len(s) + 8)):
            return True
    elif ok(len(s)):
        return True
    got = f"at least {len(s)}-D" if s.open_rank else f"{len(s)}-D"
    c.error("SL110", f"{c.rule.name} expects {allowed}, but receives {got} {s.text()}", related_to_input=True)
    return False


def settle_rank(s: Optional[Shape], ok: Callable[[int], bool]) -> Optional[Shape]:
    """An open-rank shape that only one accepted rank can complete is closed to that rank, "?" in front:
    BatchNorm2d on (…, 64, ?, ?) sees (?, 64, ?, ?)."""
    if s is None or not s.open_rank:
        return s
    fits = [r for r in range(len(s), len(s) + 8) if ok(r)]
    return Shape.of([UNKNOWN] * (fits[0] - len(s)) + list(s.dims)) if len(fits) == 1 else s


def ranks(*allowed: int) -> Callable[[int], bool]:
    return lambda r: r in allowed


def ranks_text(*allowed: int) -> str:
    return "a " + " or ".join(f"{r}-D" for r in allowed) + " input"


def literal_none(c: Ctx, name: str) -> bool:
    """An explicit None where torch needs a value (Ctx.known() answers None for unknown values too)."""
    if c.args.get(name, 0) is None:
        c.error("SL108", f"{c.rule.name}: {name}=None is not accepted")
        return True
    return False


def positive(c: Ctx, name: str) -> Optional[int]:
    return None if literal_none(c, name) else c.positive_int(name)


def int_tuple(c: Ctx, name: str, nd: int, low: int = 1, expand_single: bool = True) -> Optional[tuple]:
    """An int-or-tuple argument as an nd-tuple (None if unknown or invalid, with an error if invalid).

    torch repeats a 1-tuple for strides, paddings and pooling windows (aten's expand_param_if_needed),
    but not for a convolution's kernel_size, which sizes the weight tensor: expand_single=False."""
    if literal_none(c, name):
        return None
    v = c.known(name)
    if v is None:
        return None
    if is_int(v):
        t = (v,) * nd
    elif isinstance(v, (tuple, list)) and all(is_int(x) for x in v):
        t = tuple(v)
        if len(t) == 1 and expand_single:
            t = t * nd
    else:
        c.error("SL108", f"{c.rule.name}: {name}={v!r} is not an integer or a tuple of integers")
        return None
    if len(t) != nd:
        c.error("SL108", f"{c.rule.name}: {name}={v!r} must be an integer or a tuple of {nd} integer{'s' * (nd > 1)}")
        return None
    if any(x < low for x in t):
        what = "a negative" if low == 0 else "a non-positive"
        c.error("SL109", f"{c.rule.name}: {name}={v!r} has {what} value")
        return None
    return t


def exact_choice(c: Ctx, name: str, options: tuple) -> Optional[str]:
    """A string option; torch compares them case-sensitively ('SAME' and 'Zeros' are rejected)."""
    v = c.known(name)
    if v is None:
        return None
    if v in options:
        return v
    c.error("SL108", f"{c.rule.name}: {name}={v!r} is not one of {', '.join(repr(o) for o in options)}")
    return None


def check_size(c: Ctx, s: Shape, axis: int, expected: Optional[int], what: str) -> bool:
    """SL105 when the input's size at `axis` is known and differs from the declared `what`."""
    got = dim_at(s, axis)
    if c.inp is not None and expected is not None and symbolic.is_symbolic(got):
        c.require(got, expected, f"{what} {expected}", "SL105")
        return True
    if c.inp is None or expected is None or not is_known(got) or got == expected:
        return True
    c.error("SL105", f"{c.rule.name} expects {what}={expected}, but the input {s.text()} has {got} there",
            related_to_input=True)
    return False


def lead_factor(s: Shape, core_rank: int) -> Optional[int]:
    """Leading dims beyond the batch that multiply the work (a Linear on (N, T, F): T). Unbatched → 1."""
    if s.open_rank:
        return None
    lead = list(s.dims[: len(s) - core_rank])
    return multiply(*[d if is_known(d) else None for d in lead[1:]]) if len(lead) > 1 else 1


def pass_through(c: Ctx) -> None:
    c.out = c.inp
    c.out_origin = c.input_origin


# ---------------------------------------------------------------- convolutions

def conv_params(c: Ctx, k: tuple, cin: Optional[int], cout: Optional[int], groups: int, bias: bool,
                transposed: bool = False) -> None:
    """Weight (Cout, Cin/g, *k) — transposed: (Cin, Cout/g, *k) — plus a bias of Cout."""
    if cin is None or cout is None:
        c.set_params(None)
        return
    per = (cout if transposed else cin) // groups
    outs = cin if transposed else cout
    kt = prod_text(list(k) + [per])
    total = math.prod(k) * per * outs + (cout if bias else 0)
    if bias and not transposed:
        text = f"({kt} + 1)·{cout} = {num(total)}"
    elif bias:
        text = f"{kt}·{outs} + {cout} = {num(total)}"
    else:
        text = f"{kt}·{outs} = {num(total)} (no bias)"
    if groups > 1:
        text += f"  (groups={groups}: each filter sees {per} of the channels)"
    c.set_params(total, text)


def check_groups(c: Ctx, groups: Optional[int], cin: Optional[int], cout: Optional[int], lazy: bool) -> None:
    """torch raises at construction when in/out channels are not divisible by groups (a lazy layer: at its
    first forward, for the channels that arrive)."""
    if groups is None:
        return
    for name, value in (("in_channels", cin), ("out_channels", cout)):
        if value is None or value % groups == 0:
            continue
        if lazy and name == "in_channels":
            c.error("SL107", f"{c.rule.name}: the {value} input channels are not divisible by groups={groups}",
                    related_to_input=True)
        else:
            c.error("SL107", f"{c.rule.name}: {name}={value} is not divisible by groups={groups}")


@layer(["Conv1d", "Conv2d", "Conv3d"], CONV_SIG, per_name={"Conv1d": {"nd": 1}, "Conv2d": {"nd": 2}, "Conv3d": {"nd": 3}})
def conv(c: Ctx) -> None:
    """Convolution: out = ⌊(L + 2p − d·(k − 1) − 1) / s⌋ + 1 per spatial axis; params (k·k·Cin/g + 1)·Cout."""
    conv_like(c, c.rule.options["nd"], positive(c, "in_channels"), lazy=False)


@layer(["LazyConv1d", "LazyConv2d", "LazyConv3d"], LAZY_CONV_SIG,
       per_name={"LazyConv1d": {"nd": 1}, "LazyConv2d": {"nd": 2}, "LazyConv3d": {"nd": 3}})
def lazy_conv(c: Ctx) -> None:
    """Lazy convolution: in_channels is taken from the first input it sees (dim -(nd + 1))."""
    nd = c.rule.options["nd"]
    conv_like(c, nd, lazy_channels(c, nd), lazy=True)


def lazy_channels(c: Ctx, nd: int) -> Optional[int]:
    cin = dim_at(arriving(c, nd + 1), -(nd + 1))
    if not is_known(cin):
        c.why_unknown("in_channels is inferred from the input, whose channels are unknown")
        return None
    return cin


def conv_padding(c: Ctx, nd: int, k: Optional[tuple], dilation: Optional[tuple]) -> tuple:
    """(mode, per-axis (left, right) pads or None). mode: 'same', 'valid' or 'int'."""
    if literal_none(c, "padding"):
        return "int", None
    padding = c.known("padding")
    if padding is None:
        return "int", None
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            c.error("SL108", f"{c.rule.name}: padding={padding!r} is not 'valid', 'same' or an integer "
                             f"(torch compares the strings exactly)")
            return "int", None
        if padding == "valid":
            return "valid", [(0, 0)] * nd
        if k is None or dilation is None:
            return "same", None
        # conv.py: total = d·(k − 1), left = total // 2, the rest on the right (even kernels pad asymmetrically).
        return "same", [(d * (kk - 1) // 2, d * (kk - 1) - d * (kk - 1) // 2) for d, kk in zip(dilation, k)]
    p = int_tuple(c, "padding", nd, low=0)
    return "int", None if p is None else [(x, x) for x in p]


def check_padding_mode(c: Ctx, mode: Optional[str], pads: list, sizes: list) -> None:
    """Non-'zeros' modes pad with F.pad first: reflect needs each pad < the size, circular ≤ the size."""
    if mode not in ("reflect", "circular"):
        return
    for label, (lo, hi), size in zip(AXES[len(pads)], pads, sizes):
        if not is_known(size):
            continue
        limit_ok = (lambda p: p < size) if mode == "reflect" else (lambda p: p <= size)
        if not (limit_ok(lo) and limit_ok(hi)):
            rule = "smaller than" if mode == "reflect" else "at most"
            c.error("SL109", f"{c.rule.name}: padding_mode='{mode}' needs the padding ({lo}, {hi}) on {label} to be "
                             f"{rule} the input size {size}", related_to_input=True)


def conv_like(c: Ctx, nd: int, cin: Optional[int], lazy: bool) -> None:
    cout = positive(c, "out_channels")
    k = int_tuple(c, "kernel_size", nd, expand_single=False)
    stride, dilation = int_tuple(c, "stride", nd), int_tuple(c, "dilation", nd)
    groups, bias = positive(c, "groups"), c.known("bias")
    mode = exact_choice(c, "padding_mode", PADDING_MODES)
    pad_kind, pads = conv_padding(c, nd, k, dilation)
    if pad_kind == "same" and stride is not None and any(x != 1 for x in stride):
        c.error("SL102", f"{c.rule.name}: padding='same' is not supported for strided convolutions "
                         f"(stride={c.arg('stride')!r}); torch raises at construction")
    check_groups(c, groups, cin, cout, lazy)
    if k is None or groups is None or bias is None:
        c.set_params(None)
    else:
        conv_params(c, k, cin, cout, groups, bool(bias))
    c.macs = None
    if not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    if not lazy:
        check_size(c, s, -(nd + 1), cin, "in_channels")
    ins = list(s.dims[-nd:])
    if pads is not None:
        check_padding_mode(c, mode, pads, ins)
    out_sp = conv_spatial(c, nd, ins, k, stride, dilation, pads, pad_kind == "same")
    c.out = Shape.of(list(s.dims[: len(s) - nd - 1]) + [cout if cout is not None else UNKNOWN] + out_sp, s.open_rank)
    if cout is None:
        c.why_unknown("out_channels is unknown")
    if k is not None and cin is not None and groups and cout is not None and all(is_known(d) for d in out_sp):
        per = cin // groups
        c.macs = math.prod(out_sp) * cout * per * math.prod(k)
        c.formula("MACs", f"{prod_text(out_sp + [cout])} · {prod_text(list(k) + [per])} = {num(c.macs)}")


def conv_spatial(c: Ctx, nd: int, ins: list, k, stride, dilation, pads, same: bool) -> list:
    out_sp = []
    for i, label in enumerate(AXES[nd]):
        if k is None or stride is None or dilation is None or pads is None:
            out_sp.append(UNKNOWN)
            continue
        if same:
            out_sp.append(ins[i])
            if is_known(ins[i]):
                lo, hi = pads[i]
                c.formula(label, f"{label}: padding='same' pads {lo} before and {hi} after: "
                                 f"{ins[i]} + {lo} + {hi} − {dilation[i]}·({k[i]} − 1) = {ins[i]}")
            continue
        p = pads[i][0]
        o, text, unread = sliding_out(ins[i], k[i], stride[i], 2 * p, dilation[i], False, label, f"2·{p}",
                                      pad_left=p, pad_right=p)
        c.formula(label, text)
        if is_known(o) and o < 1:
            eff = dilation[i] * (k[i] - 1) + 1
            c.error("SL101", f"{c.rule.name}: the kernel ({eff} on {label}, dilation included) is larger than the "
                             f"padded input ({ins[i]} + 2·{p} = {ins[i] + 2 * p}): output {label} would be {o}",
                    related_to_input=True)
            o = UNKNOWN
        elif unread and stride[i] > 1:
            c.warning("SL201", f"{c.rule.name}: with stride {stride[i]} the last {unread} input position"
                               f"{'s' if unread > 1 else ''} on {label} {'are' if unread > 1 else 'is'} never read "
                               f"by any window")
        out_sp.append(o)
    return out_sp


@layer(["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"], CONVT_SIG,
       per_name={"ConvTranspose1d": {"nd": 1}, "ConvTranspose2d": {"nd": 2}, "ConvTranspose3d": {"nd": 3}})
def conv_transpose(c: Ctx) -> None:
    """Transposed convolution: out = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    conv_transpose_like(c, c.rule.options["nd"], positive(c, "in_channels"), lazy=False)


@layer(["LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d"], LAZY_CONVT_SIG,
       per_name={"LazyConvTranspose1d": {"nd": 1}, "LazyConvTranspose2d": {"nd": 2}, "LazyConvTranspose3d": {"nd": 3}})
def lazy_conv_transpose(c: Ctx) -> None:
    """Lazy transposed convolution: in_channels is taken from the first input it sees."""
    nd = c.rule.options["nd"]
    conv_transpose_like(c, nd, lazy_channels(c, nd), lazy=True)


def conv_transpose_spatial(c: Ctx, nd: int, s: Shape, k, stride, dilation, pads, opad, groups) -> list:
    out_sp = []
    for i, L in enumerate(s.dims[-nd:]):
        label = AXES[nd][i]
        if None in (k, stride, dilation, pads, opad) or not (is_known(L) or symbolic.is_symbolic(L)):
            out_sp.append(UNKNOWN)
            continue
        if not is_known(L):   # symbolic: the same formula as an expression, e.g. 2·H-4+4 = 2·H
            o = symbolic.add(symbolic.mul(symbolic.sub(L, 1), stride[i]),
                             -2 * pads[i] + dilation[i] * (k[i] - 1) + opad[i] + 1)
            c.formula(label, f"{label}: ({L} − 1)·{stride[i]} − 2·{pads[i]} + {dilation[i]}·({k[i]} − 1) + "
                             f"{opad[i]} + 1 = {dim_text(o)}")
            out_sp.append(o)
            continue
        o = (L - 1) * stride[i] - 2 * pads[i] + dilation[i] * (k[i] - 1) + opad[i] + 1
        c.formula(label, f"{label}: ({L} − 1)·{stride[i]} − 2·{pads[i]} + {dilation[i]}·({k[i]} − 1) + {opad[i]} + 1 = {o}")
        accepted = empty_output_accepted(s, nd, groups, k, stride, opad) if o == 0 else o > 0
        if not accepted and accepted is not None:
            c.error("SL101", f"{c.rule.name}: output {label} would be {o} (padding {pads[i]} removes more than the "
                             f"transposed kernel adds)", related_to_input=True)
            o = UNKNOWN
        elif o == 0:
            c.formula("note", f"output {label} is empty (0): torch's oneDNN CPU kernel returns an empty tensor, its "
                              f"native kernel (batch 1, groups 1, small kernels) raises 'Output size is too small'"
                              + ("; which one runs here is unknown" if accepted is None else ""))
        out_sp.append(o)
    return out_sp


def empty_output_accepted(s: Shape, nd: int, groups, k: tuple, stride: tuple, opad: tuple) -> Optional[bool]:
    """Whether torch returns an empty tensor (rather than raising) for a transposed convolution whose output
    size is 0. Verified on torch 2.13 CPU: it depends on the kernel aten picks (use_mkldnn in Convolution.cpp).
    oneDNN, used for groups > 1, a batch > 1, kernels larger than 3×3 or inputs of more than 20480 elements
    (when torch runs more than one thread, as it does by default) and an output_padding below the stride,
    only rejects negative sizes; the native kernel raises 'Output size is too small' for 0 too."""
    if any(p >= st for p, st in zip(opad, stride)):
        return False
    batch = s[0] if len(s) == nd + 2 else 1
    dims = [batch] + list(s.dims[-(nd + 1):])
    if s.open_rank or groups is None or not all(is_known(d) for d in dims):
        return None  # which kernel runs is unknown
    big_kernel = nd >= 2 and k[-1] > 3 and k[-2] > 3  # a 1-d kernel is viewed as (1, k)
    return groups > 1 or batch > 1 or big_kernel or math.prod(dims) > 20480


def conv_transpose_like(c: Ctx, nd: int, cin: Optional[int], lazy: bool) -> None:
    cout = positive(c, "out_channels")
    k = int_tuple(c, "kernel_size", nd, expand_single=False)
    stride, dilation = int_tuple(c, "stride", nd), int_tuple(c, "dilation", nd)
    if isinstance(c.arg("padding"), str):
        # _pair('same') makes a tuple of characters; conv_transpose2d then raises in forward.
        c.error("SL108", f"{c.rule.name}: padding={c.arg('padding')!r}: transposed convolutions take integer padding only")
        pads = None
    else:
        pads = int_tuple(c, "padding", nd, low=0)
    opad = int_tuple(c, "output_padding", nd, low=0)
    groups, bias = positive(c, "groups"), c.known("bias")
    mode = c.known("padding_mode")
    if mode is not None and mode != "zeros":
        c.error("SL108", f"{c.rule.name}: only padding_mode='zeros' is supported for transposed convolutions")
    check_groups(c, groups, cin, cout, lazy)
    if opad and stride and dilation:
        for i in range(nd):
            if opad[i] >= stride[i] and opad[i] >= dilation[i]:
                c.error("SL108", f"{c.rule.name}: output_padding={opad[i]} must be smaller than either stride "
                                 f"({stride[i]}) or dilation ({dilation[i]})")
    if k is None or groups is None or bias is None:
        c.set_params(None)
    else:
        conv_params(c, k, cin, cout, groups, bool(bias), transposed=True)
    c.macs = None
    if not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    if not lazy:
        check_size(c, s, -(nd + 1), cin, "in_channels")
    in_sp = list(s.dims[-nd:])
    out_sp = conv_transpose_spatial(c, nd, s, k, stride, dilation, pads, opad, groups)
    c.out = Shape.of(list(s.dims[: len(s) - nd - 1]) + [cout if cout is not None else UNKNOWN] + out_sp, s.open_rank)
    if k and cin and cout and groups and all(is_known(d) for d in in_sp):
        per = cout // groups
        c.macs = math.prod(in_sp) * cin * per * math.prod(k)
        c.formula("MACs", f"{prod_text(in_sp + [cin])} · {prod_text(list(k) + [per])} = {num(c.macs)}")


# ---------------------------------------------------------------- linear

def linear_like(c: Ctx, fin: Optional[int], fout: Optional[int], bias) -> None:
    s = arriving(c, 1)
    if fin is not None and fout is not None and bias is not None:
        total = fin * fout + (fout if bias else 0)
        c.set_params(total, f"({fin} + 1)·{fout} = {num(total)}" if bias else f"{fin}·{fout} = {num(total)} (no bias)")
    else:
        c.set_params(None)
    c.macs = None
    if not check_rank(c, lambda r: r >= 1, "an input of at least 1 dimension (features last)"):
        c.unknown_output("a 0-D input has no features")
        return
    got = s[-1]
    if fin is not None and is_known(got) and got != fin:
        where = f" ({c.input_origin})" if c.input_origin else ""
        c.error("SL106", f"{c.rule.name} expects in_features={fin}, but {num(got)} features arrive{where}: "
                         f"input {s.text()}", related_to_input=True)
    elif fin is not None and symbolic.is_symbolic(got):
        c.require(got, fin, f"in_features {fin}", "SL106")
    c.out = Shape.of(list(s.dims[:-1]) + [fout if fout is not None else UNKNOWN], s.open_rank)
    lead = lead_factor(s, 1)
    if fin is not None and fout is not None and lead is not None:
        c.macs = lead * fin * fout
        c.formula("MACs", f"{fin}·{fout}" + (f"·{lead}" if lead != 1 else "") + f" = {num(c.macs)}")


@layer("Linear", "in_features, out_features, bias=True, device=None, dtype=None")
def linear(c: Ctx) -> None:
    """Fully connected: y = xWᵀ + b on the last dimension; params (in + 1)·out."""
    linear_like(c, positive(c, "in_features"), positive(c, "out_features"), c.known("bias"))


@layer("LazyLinear", "out_features, bias=True, device=None, dtype=None")
def lazy_linear(c: Ctx) -> None:
    """LazyLinear: in_features is taken from the first input (a Linear after the first forward)."""
    s = arriving(c, 1)
    fin = s[-1] if len(s) and is_known(s[-1]) else None
    if fin is None:
        c.why_unknown(c.input_unknown("in_features is inferred from the input, which is unknown"))
    linear_like(c, fin, positive(c, "out_features"), c.known("bias"))


@layer("Bilinear", "in1_features, in2_features, out_features, bias=True, device=None, dtype=None",
       call="input1, input2")
def bilinear(c: Ctx) -> None:
    """Bilinear: y = x₁ᵀ A x₂ + b on (…, in1) and (…, in2) → (…, out); params in1·in2·out + out. Takes two
    inputs, with the same leading dims (aten bilinear's checks)."""
    a, b, o, bias = (positive(c, "in1_features"), positive(c, "in2_features"), positive(c, "out_features"),
                     c.known("bias"))
    if None not in (a, b, o, bias):
        total = a * b * o + (o if bias else 0)
        c.set_params(total, f"{a}·{b}·{o}" + (f" + {o}" if bias else "") + f" = {num(total)}")
    else:
        c.set_params(None)
    c.macs = None
    x1, x2 = c.call_arg("input1"), c.call_arg("input2")
    if x2 is MISSING:
        if c.inp is not None:
            c.error("SL110", "Bilinear takes two inputs (input1, input2), but nn.Sequential passes one: forward raises",
                    related_to_input=True)
        return c.unknown_output("Bilinear needs two inputs")
    if not isinstance(x1, Shape) or not isinstance(x2, Shape) or x1.open_rank or x2.open_rank:
        return c.unknown_output("the shape of an input is unknown")
    if bilinear_mismatch(c, x1, x2, a, b):
        return c.unknown_output("the inputs do not fit the layer")
    c.out = Shape.of(list(x1.dims[:-1]) + [o if o else UNKNOWN])
    lead = lead_factor(x1, 1)
    if None not in (a, b, o, lead):
        c.macs = lead * a * b * o
        c.formula("MACs", f"{a}·{b}·{o}" + (f"·{lead}" if lead != 1 else "") + f" = {num(c.macs)}")


def bilinear_mismatch(c: Ctx, x1: Shape, x2: Shape, a, b) -> bool:
    if len(x1) != len(x2):
        c.error("SL110", f"Bilinear: input dimensions do not match: {x1.text()} and {x2.text()}", related_to_input=True)
        return True
    for i, (p, q) in enumerate(zip(x1.dims[:-1], x2.dims[:-1])):
        if is_known(p) and is_known(q) and p != q:
            c.error("SL110", f"Bilinear: input batch dimensions do not match at dim {i}: got {p} and {q}",
                    related_to_input=True)
            return True
    for label, x, want in (("input1", x1, a), ("input2", x2, b)):
        if want is not None and is_known(x[-1]) and x[-1] != want:
            c.error("SL105", f"Bilinear: {label} size does not match weight size: got {x[-1]} but expected {want}",
                    related_to_input=True)
            return True
    return False


@layer("Identity", "*args, **kwargs")
def identity(c: Ctx) -> None:
    """Identity: passes its input through; its constructor accepts and ignores any arguments."""
    # base.Signature keeps no slot for *args, so bind() reports Identity(54) as too many positional
    # arguments; the real Identity.__init__(*args, **kwargs) accepts them.
    c.findings[:] = [f for f in c.findings if not (f.code == "SL010" and "positional" in f.message)]
    c.set_params(0)
    c.macs = 0
    pass_through(c)


# ---------------------------------------------------------------- pooling

POOL_SIGS = {
    "MaxPool": "kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False",
    "AvgPool1d": "kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True",
    "AvgPool": "kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None",
}


def pool_stride(c: Ctx, nd: int, k: Optional[tuple]) -> Optional[tuple]:
    """stride=None (and an empty tuple, which aten treats the same) means stride = kernel_size."""
    v = c.arg("stride")
    if v is None or (isinstance(v, (tuple, list)) and len(v) == 0):
        return k
    return int_tuple(c, "stride", nd)


def pool(c: Ctx) -> None:
    """Max/avg pooling: out = ⌊(L + 2p − d·(k − 1) − 1) / s⌋ + 1 (⌈…⌉ with ceil_mode, the last window
    starting inside the input or the left padding); padding at most half the kernel."""
    nd = c.rule.options["nd"]
    is_max = c.rule.name.startswith("Max")
    k = int_tuple(c, "kernel_size", nd)
    stride = pool_stride(c, nd, k)
    pads = int_tuple(c, "padding", nd, low=0)
    dilation = int_tuple(c, "dilation", nd) if is_max else (1,) * nd
    ceil_mode = c.known("ceil_mode")
    c.set_params(0)
    c.macs = 0
    if "divisor_override" in c.args and c.known("divisor_override") == 0:
        c.error("SL109", f"{c.rule.name}: divisor_override=0: torch raises 'divisor must be not zero'")
    if is_max and c.known("return_indices"):
        c.formula("note", "return_indices=True: forward returns (output, indices); a following layer in "
                          "nn.Sequential receives the tuple")
    if k and pads:
        for i, label in enumerate(AXES[nd]):
            # aten checks pad ≤ k/2 (pool2d_shape_check), and for max pooling also pad ≤ effective kernel/2,
            # which the first implies.
            if pads[i] > k[i] // 2:
                c.error("SL103", f"{c.rule.name}: padding={pads[i]} on {label} is more than half the kernel "
                                 f"({k[i]} → at most {k[i] // 2}); torch raises 'pad should be at most half of "
                                 f"kernel size'")
    if not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    out_sp = []
    for i, L in enumerate(s.dims[-nd:]):
        if None in (k, stride, pads, dilation, ceil_mode):
            out_sp.append(UNKNOWN)
            continue
        out_sp.append(pool_axis(c, AXES[nd][i], L, k[i], stride[i], pads[i], dilation[i], bool(ceil_mode)))
    if c.rule.name == "AvgPool3d" and k:
        check_window_fits(c, list(s.dims[-nd:]), k)
    c.out = Shape.of(list(s.dims[:-nd]) + out_sp, s.open_rank)
    if is_max and c.known("return_indices"):
        c.outputs = (c.out, c.out)  # (output, indices): the indices have the output's shape


def check_window_fits(c: Ctx, sizes: list, k: tuple) -> None:
    """avg_pool3d alone (aten pool3d_shape_check with check_input_size) needs the unpadded input to be at
    least the kernel on every axis, whatever the padding."""
    small = [f"{label} {d} < {kk}" for label, d, kk in zip(AXES[3], sizes, k) if is_known(d) and d < kk]
    if small:
        c.error("SL101", f"AvgPool3d: the input {c.inp.text() if c.inp else '?'} is smaller than the kernel "
                         f"({', '.join(small)}); avg_pool3d raises even with padding", related_to_input=True)


def pool_axis(c: Ctx, label: str, L, k: int, stride: int, pad: int, dilation: int, ceil_mode: bool):
    o, text, unread = sliding_out(L, k, stride, 2 * pad, dilation, ceil_mode, label, f"2·{pad}",
                                  pad_left=pad, pad_right=pad)
    c.formula(label, text)
    if is_known(o) and o < 1:
        c.error("SL101", f"{c.rule.name}: the window ({dilation * (k - 1) + 1} on {label}, dilation included) is "
                         f"larger than the padded input ({L} + 2·{pad}): output {label} would be {o}",
                related_to_input=True)
        return UNKNOWN
    if unread:
        c.warning("SL201", f"{c.rule.name}: with kernel {k} and stride {stride} the last {unread} input "
                           f"position{'s' if unread > 1 else ''} on {label} "
                           f"{'are' if unread > 1 else 'is'} never read (use ceil_mode=True or padding to keep them)")
    return o


for _nd in (1, 2, 3):
    layer(f"MaxPool{_nd}d", POOL_SIGS["MaxPool"], nd=_nd)(pool)
    layer(f"AvgPool{_nd}d", POOL_SIGS["AvgPool1d" if _nd == 1 else "AvgPool"], nd=_nd)(pool)


def adaptive_pool(c: Ctx) -> None:
    """Adaptive pooling: the output size is given (ints ≥ 0; None keeps that input size, 2-D/3-D only)."""
    nd = c.rule.options["nd"]
    c.set_params(0)
    c.macs = 0
    if c.rule.name.startswith("AdaptiveMax") and c.known("return_indices"):
        c.formula("note", "return_indices=True: forward returns (output, indices); a following layer in "
                          "nn.Sequential receives the tuple")
    sizes = adaptive_sizes(c, nd)
    if not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    if sizes is None:
        c.out = Shape.of(list(s.dims[:-nd]) + [UNKNOWN] * nd, s.open_rank)
        return
    ins = list(s.dims[-nd:])
    c.out = Shape.of(list(s.dims[:-nd]) + [ins[i] if v is None else v for i, v in enumerate(sizes)], s.open_rank)
    if c.rule.name.startswith("AdaptiveMax") and c.known("return_indices"):
        c.outputs = (c.out, c.out)  # (output, indices)


def adaptive_sizes(c: Ctx, nd: int) -> Optional[tuple]:
    raw = c.arg("output_size")
    u = first_unknown(raw)
    if u is not None:
        c.why_unknown(u.reason)
        return None
    sizes = (raw,) * nd if is_int(raw) else tuple(raw) if isinstance(raw, (tuple, list)) else None
    none_ok = nd > 1  # adaptive_*_pool1d takes a tuple of ints only
    if sizes is None or len(sizes) != nd or not all(is_int(v) or (v is None and none_ok) for v in sizes):
        c.error("SL108", f"{c.rule.name}: output_size={raw!r} must be an integer or a tuple of {nd} "
                         f"{'integers or None' if none_ok else 'integer'}")
        return None
    if any(v is not None and v < 0 for v in sizes):
        c.error("SL109", f"{c.rule.name}: output_size={raw!r} has a negative value")
        return None
    return sizes


for _nd in (1, 2, 3):
    layer(f"AdaptiveAvgPool{_nd}d", "output_size", nd=_nd)(adaptive_pool)
    layer(f"AdaptiveMaxPool{_nd}d", "output_size, return_indices=False", nd=_nd)(adaptive_pool)


# ---------------------------------------------------------------- normalisation

NORM_SIG = ("num_features, eps=1e-05, momentum=0.1, affine={affine}, track_running_stats={track}, device=None, "
            "dtype=None, *, bias=True")
LAZY_NORM_SIG = ("eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *, "
                 "bias=True")
BN_RANKS = {1: (2, 3), 2: (4,), 3: (5,)}


def affine_params(c: Ctx, C: Optional[int], affine, bias, flag: str = "affine") -> None:
    """weight γ (C) and, with bias=True, β (C) when affine; nothing otherwise."""
    if C is None or affine is None or bias is None:
        c.set_params(None)
    elif not affine:
        c.set_params(0, f"0 ({flag}=False)")
    elif bias:
        c.set_params(2 * C, f"2·{C} = {num(2 * C)} (weight γ and bias β)")
    else:
        c.set_params(C, f"1·{C} = {num(C)} (weight γ only: bias=False)")


def running_buffers(c: Ctx, C: Optional[int], track) -> None:
    if track and C is not None:
        c.formula("buffers", f"running_mean {C} + running_var {C} + num_batches_tracked 1 = {2 * C + 1} "
                             f"(buffers, not parameters)")


def more_than_one(c: Ctx, values: list, what: str) -> None:
    """Training-mode batch statistics need more than one value (F._verify_batch_size / _verify_spatial_size).
    A warning, not an error: the same call is fine after .eval(), and the batch of 1 is often only the example
    input's (torchvision's Inception runs 1x1 maps through BatchNorm2d at inference)."""
    if values and all(is_known(v) for v in values) and math.prod(values) == 1:
        c.warning("SL203", f"{c.rule.name}: {what} is 1 for the input {c.inp.text()}: in training mode torch "
                           f"raises 'Expected more than 1 value per channel when training' (fine after .eval())")


@layer(["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"], NORM_SIG.format(affine=True, track=True),
       per_name={"BatchNorm1d": {"nd": 1}, "BatchNorm2d": {"nd": 2}, "BatchNorm3d": {"nd": 3}})
def batch_norm(c: Ctx) -> None:
    """Batch normalisation over the channel axis (dim 1). Params 2·C (γ, β) if affine; running mean and
    variance are buffers, not parameters."""
    batch_norm_like(c, positive(c, "num_features"))


@layer(["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"], LAZY_NORM_SIG,
       per_name={"LazyBatchNorm1d": {"nd": 1}, "LazyBatchNorm2d": {"nd": 2}, "LazyBatchNorm3d": {"nd": 3}})
def lazy_batch_norm(c: Ctx) -> None:
    """Lazy batch normalisation: num_features is the input's dim 1 at the first forward."""
    s = settle_rank(c.inp, ranks(*BN_RANKS[c.rule.options["nd"]]))
    C = dim_at(s, 1) if s is not None else UNKNOWN
    if not is_known(C):
        c.why_unknown("num_features is inferred from the input, whose channels are unknown")
    batch_norm_like(c, C if is_known(C) else None)


def batch_norm_like(c: Ctx, C: Optional[int]) -> None:
    affine, track = c.known("affine"), c.known("track_running_stats")
    affine_params(c, C, affine, c.known("bias"))
    running_buffers(c, C, track)
    c.macs = 0
    allowed = BN_RANKS[c.rule.options["nd"]]
    if not check_rank(c, ranks(*allowed), ranks_text(*allowed)):
        c.unknown_output("the input has the wrong rank")
        return
    s = settle_rank(arriving(c, min(allowed)), ranks(*allowed))
    c.out = s
    if s.open_rank:
        return
    if affine or track:  # without weight or running stats nothing is sized by num_features
        check_size(c, s, 1, C, "num_features")
    more_than_one(c, [s[0]] + list(s.dims[2:]), "the number of values per channel (batch × spatial)")


@layer(["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"], NORM_SIG.format(affine=False, track=False),
       per_name={"InstanceNorm1d": {"nd": 1}, "InstanceNorm2d": {"nd": 2}, "InstanceNorm3d": {"nd": 3}})
def instance_norm(c: Ctx) -> None:
    """Instance normalisation per sample and channel; unbatched inputs allowed. Params 2·C only if affine."""
    instance_norm_like(c, positive(c, "num_features"))


@layer(["LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"], LAZY_NORM_SIG,
       per_name={"LazyInstanceNorm1d": {"nd": 1}, "LazyInstanceNorm2d": {"nd": 2}, "LazyInstanceNorm3d": {"nd": 3}})
def lazy_instance_norm(c: Ctx) -> None:
    """Lazy instance normalisation: num_features is the input's dim 1 at the first forward."""
    # _LazyNormBase.initialize_parameters reads input.shape[1] even for an unbatched (C, *spatial) input,
    # so there the weight and running stats are sized by the first spatial dim, not the channels.
    C = dim_at(c.inp, 1) if c.inp is not None else UNKNOWN
    if not is_known(C):
        c.why_unknown("num_features is inferred from the input, whose channels are unknown")
    instance_norm_like(c, C if is_known(C) else None)


def instance_norm_like(c: Ctx, C: Optional[int]) -> None:
    nd = c.rule.options["nd"]
    affine, track = c.known("affine"), c.known("track_running_stats")
    affine_params(c, C, affine, c.known("bias"))
    running_buffers(c, C, track)
    c.macs = 0
    if not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, nd + 1)
    c.out = s
    got = dim_at(s, -(nd + 1))  # the channel axis: dim 1 batched, dim 0 unbatched
    if affine or track:
        check_size(c, s, -(nd + 1), C, "num_features")
    elif C is not None and is_known(got) and got != C:
        c.formula("note", f"num_features={C} differs from the {got} channels; unused with affine=False "
                          f"(torch only warns)")
    more_than_one(c, list(s.dims[-nd:]), "the number of spatial elements per channel")


@layer("LayerNorm", "normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, device=None, dtype=None")
def layer_norm(c: Ctx) -> None:
    """Layer normalisation over the trailing normalized_shape; params 2·prod(shape) with affine and bias."""
    ns = normalized_shape(c)
    affine, bias = c.known("elementwise_affine"), c.known("bias")
    if ns is None or affine is None or bias is None:
        c.set_params(None)
    else:
        n = math.prod(ns)
        per = (2 if bias else 1) if affine else 0
        c.set_params(n * per, f"{per}·{prod_text(ns)} = {num(n * per)}" if affine else "0 (elementwise_affine=False)")
    trailing_shape_check(c, ns)


@layer("RMSNorm", "normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None")
def rms_norm(c: Ctx) -> None:
    """RMS normalisation over the trailing normalized_shape; params prod(shape) (a scale, no bias)."""
    ns = normalized_shape(c)
    affine = c.known("elementwise_affine")
    if ns is None or affine is None:
        c.set_params(None)
    else:
        n = math.prod(ns) if affine else 0
        c.set_params(n, f"{prod_text(ns)} = {num(n)} (weight)" if affine else "0 (elementwise_affine=False)")
    trailing_shape_check(c, ns)


def normalized_shape(c: Ctx) -> Optional[tuple]:
    ns = c.known("normalized_shape")
    if ns is None:
        return None
    if is_int(ns):
        ns = (ns,)
    if not isinstance(ns, (tuple, list)) or not all(is_int(x) for x in ns):
        c.error("SL108", f"{c.rule.name}: normalized_shape={ns!r} must be an integer or a tuple of integers")
        return None
    if len(ns) == 0:
        c.error("SL109", f"{c.rule.name}: normalized_shape=() is empty; torch needs at least one dimension")
        return None
    return tuple(ns)


def trailing_shape_check(c: Ctx, ns: Optional[tuple]) -> None:
    c.macs = 0
    pass_through(c)
    s = c.inp
    if ns is None or s is None:
        return
    if not check_rank(c, lambda r: r >= len(ns), f"an input ending with {ns} ({len(ns)}-D or more)"):
        return
    tail = [dim_at(s, -i) for i in range(len(ns), 0, -1)]
    if all(is_known(d) for d in tail) and tuple(tail) != ns:
        c.error("SL105", f"{c.rule.name} expects the last dims to be {ns}, but the input {s.text()} ends with "
                         f"{tuple(tail)}", related_to_input=True)


@layer("GroupNorm", "num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None, *, bias=True")
def group_norm(c: Ctx) -> None:
    """Group normalisation over channel groups (dim 1); params 2·C with affine."""
    g, C, affine = positive(c, "num_groups"), positive(c, "num_channels"), c.known("affine")
    if g and C and C % g:
        c.error("SL107", f"GroupNorm: num_channels={C} is not divisible by num_groups={g}")
    affine_params(c, C, affine, c.known("bias"))
    c.macs = 0
    if not check_rank(c, lambda r: r >= 2, "an input of at least 2 dimensions (N, C, *)"):
        c.unknown_output("the input has the wrong rank")
        return
    s = arriving(c, 2)
    c.out = s
    if s.open_rank:
        return
    got = s[1]
    if affine:
        check_size(c, s, 1, C, "num_channels")
    if g and is_known(got) and got % g:
        c.error("SL107", f"GroupNorm: the input's {got} channels are not divisible by num_groups={g}",
                related_to_input=True)
    elif g and is_known(got):
        more_than_one(c, [s[0], got // g] + list(s.dims[2:]), "the number of values per group")


@layer("LocalResponseNorm", "size, alpha=0.0001, beta=0.75, k=1.0")
def local_response_norm(c: Ctx) -> None:
    """Local response normalisation across channels (dim 1): shape-preserving, no parameters."""
    positive(c, "size")
    c.set_params(0)
    c.macs = 0
    if check_rank(c, lambda r: r >= 3, "an input of at least 3 dimensions (N, C, *)"):
        pass_through(c)
    else:
        c.unknown_output("the input has the wrong rank")


# ---------------------------------------------------------------- reshaping

@layer("Flatten", "start_dim=1, end_dim=-1")
def flatten(c: Ctx) -> None:
    """Flatten dims start_dim..end_dim into one."""
    start, end = c.known("start_dim"), c.known("end_dim")
    c.set_params(0)
    c.macs = 0
    s = c.inp
    if s is None or s.open_rank or start is None or end is None:
        c.unknown_output(c.input_unknown("the input rank is unknown, so the flattened size is unknown"))
        return
    r = max(len(s), 1)  # torch wraps dims of a 0-D tensor as if it had one
    if not (is_int(start) and is_int(end) and -r <= start < r and -r <= end < r) or start % r > end % r:
        c.error("SL110", f"Flatten(start_dim={start}, end_dim={end}) does not fit the {len(s)}-D input {s.text()}",
                related_to_input=True)
        c.unknown_output("Flatten does not fit the input")
        return
    if len(s) == 0:
        c.out = Shape.of([1])
        return
    lo, hi = start % r, end % r
    merged = s.dims[lo: hi + 1]
    n = 1
    for d in merged:
        n = symbolic.mul(n, d)   # an int, or an expression of symbolic sizes, or "?"
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
    if sizes is not None and not (isinstance(sizes, (tuple, list)) and all(is_int(x) for x in sizes)):
        c.error("SL108", f"Unflatten: unflattened_size={sizes!r} must be a tuple of ints (torch raises at construction)")
        sizes = None
    s = c.inp
    if s is None or s.open_rank or not is_int(dim) or sizes is None:
        c.unknown_output("the input or the unflattened size is unknown")
        return
    r = len(s)
    if not -r <= dim < r:
        c.error("SL110", f"Unflatten(dim={dim}) is out of range for the {r}-D input {s.text()}", related_to_input=True)
        c.unknown_output("bad dim")
        return
    out = unflatten_sizes(c, s[dim % r], list(sizes), dim)
    c.out = Shape.of(list(s.dims[: dim % r]) + out + list(s.dims[dim % r + 1:])) if out is not None else None


def unflatten_sizes(c: Ctx, d, sizes: list, dim: int) -> Optional[list]:
    if sizes.count(-1) > 1 or any(x < -1 for x in sizes):
        c.error("SL109", f"Unflatten: unflattened_size={tuple(sizes)}: only one dimension can be inferred (-1)")
        return None
    if not is_known(d):
        return [x if x != -1 else UNKNOWN for x in sizes]
    rest = math.prod(x for x in sizes if x != -1)
    if (-1 in sizes and (rest == 0 or d % rest)) or (-1 not in sizes and rest != d):
        c.error("SL110", f"Unflatten: {prod_text(sizes)} does not multiply up to the size {d} of dim {dim}",
                related_to_input=True)
        return None
    return [d // rest if x == -1 else x for x in sizes]


# ---------------------------------------------------------------- element-wise (shape-preserving)

NO_ARGS = "*args, **kwargs"  # classes without __init__: nn.Module.__init__ rejects any argument
_SAME_SHAPE = {
    "ReLU": "inplace=False", "ReLU6": "inplace=False", "SELU": "inplace=False", "SiLU": "inplace=False",
    "Mish": "inplace=False", "Sigmoid": NO_ARGS, "Tanh": NO_ARGS, "LogSigmoid": NO_ARGS, "Tanhshrink": NO_ARGS,
    "Softsign": NO_ARGS, "Hardsigmoid": "inplace=False", "Hardswish": "inplace=False",
    "LeakyReLU": "negative_slope=0.01, inplace=False", "ELU": "alpha=1.0, inplace=False",
    "CELU": "alpha=1.0, inplace=False", "GELU": "approximate='none'",
    "Hardtanh": "min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None",
    "Softplus": "beta=1.0, threshold=20.0", "Softshrink": "lambd=0.5", "Hardshrink": "lambd=0.5",
    "Threshold": "threshold, value, inplace=False", "RReLU": "lower=0.125, upper=0.3333333333333333, inplace=False",
    "Softmax": "dim=None", "LogSoftmax": "dim=None", "Softmin": "dim=None", "Softmax2d": NO_ARGS,
    "Dropout": "p=0.5, inplace=False", "Dropout1d": "p=0.5, inplace=False", "Dropout2d": "p=0.5, inplace=False",
    "Dropout3d": "p=0.5, inplace=False", "AlphaDropout": "p=0.5, inplace=False",
    "FeatureAlphaDropout": "p=0.5, inplace=False",
}


def number(c: Ctx, name: str):
    v = c.known(name)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def check_hardtanh(c: Ctx) -> None:
    lo = number(c, "min_value") if c.args["min_value"] is not None else number(c, "min_val")
    hi = number(c, "max_value") if c.args["max_value"] is not None else number(c, "max_val")
    if lo is not None and hi is not None and hi <= lo:
        c.error("SL109", f"Hardtanh: max_val ({hi}) must be greater than min_val ({lo}); torch raises at construction")


def check_softmax_dim(c: Ctx) -> None:
    dim, s = c.known("dim"), c.inp
    if not is_int(dim) or s is None or s.open_rank:
        return
    r = max(len(s), 1)
    if not -r <= dim < r:
        c.error("SL110", f"{c.rule.name}(dim={dim}) is out of range for the {len(s)}-D input {s.text()}",
                related_to_input=True)


def rank_rule(ok: Callable[[int], bool], allowed: str) -> Callable[[Ctx], None]:
    return lambda c: None if check_rank(c, ok, allowed) else c.unknown_output("the input has the wrong rank")


_CHECKS: dict = {
    "Hardtanh": check_hardtanh,
    "Softmax": check_softmax_dim, "LogSoftmax": check_softmax_dim, "Softmin": check_softmax_dim,
    "Softmax2d": rank_rule(ranks(3, 4), ranks_text(3, 4)),
    "Dropout1d": rank_rule(ranks(2, 3), ranks_text(2, 3)),
    # Dropout2d/3d only warn for other ranks; F.feature_dropout needs 2 dims (Dropout3d adds one itself).
    "Dropout2d": rank_rule(lambda r: r >= 2, "an input of at least 2 dimensions"),
    "Dropout3d": rank_rule(lambda r: r >= 1, "an input of at least 1 dimension"),
    "FeatureAlphaDropout": rank_rule(lambda r: r >= 2, "an input of at least 2 dimensions"),
    "GELU": lambda c: exact_choice(c, "approximate", ("none", "tanh")),
    "CELU": lambda c: number(c, "alpha") == 0 and c.error("SL109", "CELU: alpha=0: torch raises 'alpha cannot be 0'"),
    "Softshrink": lambda c: (number(c, "lambd") or 0) < 0 and c.error(
        "SL109", f"Softshrink: lambd={c.arg('lambd')} must be ≥ 0"),
    "RReLU": lambda c: None not in (number(c, "lower"), number(c, "upper")) and number(c, "lower") > number(
        c, "upper") and c.error("SL109", "RReLU: lower must be ≤ upper (forward raises in training mode)"),
}


def same_shape(c: Ctx) -> None:
    """Element-wise: the output shape is the input shape; no parameters."""
    if c.extra:  # a class with no __init__ of its own: nn.Module.__init__ raises TypeError for any keyword
        c.error("SL010", f"{c.rule.name}() got an unexpected keyword argument '{next(iter(c.extra))}'")
    p = number(c, "p") if "p" in c.args else None
    if p is not None and not 0 <= p <= 1:
        c.error("SL109", f"{c.rule.name}: dropout probability has to be between 0 and 1, but got {p}")
    c.set_params(0)
    c.macs = 0
    pass_through(c)
    check = _CHECKS.get(c.rule.name)
    if check is not None:
        check(c)


for _name, _sig in _SAME_SHAPE.items():
    layer(_name, _sig)(same_shape)


@layer("PReLU", "num_parameters=1, init=0.25, device=None, dtype=None")
def prelu(c: Ctx) -> None:
    """PReLU: one learnable slope, or one per channel (dim 1; a 0-D or 1-D input has 1 channel)."""
    n = positive(c, "num_parameters")
    c.set_params(n, f"num_parameters = {n}" if n is not None else "")
    c.macs = 0
    pass_through(c)
    s = c.inp
    if not n or n == 1 or s is None or s.open_rank:
        return
    channels = s[1] if len(s) >= 2 else 1
    if is_known(channels) and channels != n:
        c.error("SL105", f"PReLU expects num_parameters={n} channels at dim 1, but the input {s.text()} has "
                         f"{channels}", related_to_input=True)


@layer("GLU", "dim=-1")
def glu(c: Ctx) -> None:
    """GLU halves the size of `dim`."""
    dim = c.known("dim")
    c.set_params(0)
    c.macs = 0
    s = c.inp
    if s is None or not is_int(dim) or (s.open_rank and dim >= 0):
        c.unknown_output(c.input_unknown("the input is unknown"))
        return
    if not s.open_rank and not -len(s) <= dim < len(s):
        c.error("SL110", f"GLU(dim={dim}) is out of range for the {len(s)}-D input {s.text()}", related_to_input=True)
        c.unknown_output("bad dim")
        return
    if s.open_rank and -dim > len(s):
        c.unknown_output(c.input_unknown("the input is unknown"))
        return
    d = s[dim]
    if is_known(d) and d % 2:
        c.error("SL110", f"GLU halves dim {dim}, but its size {d} is odd", related_to_input=True)
    c.out = s.replace(dim, d // 2 if is_known(d) and d % 2 == 0 else UNKNOWN)


# ---------------------------------------------------------------- embedding

@layer("Embedding", "num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0, "
                    "scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None")
def embedding(c: Ctx) -> None:
    """Embedding lookup: (…) → (…, embedding_dim); params num_embeddings·embedding_dim. The input holds
    integer indices."""
    n, d = positive(c, "num_embeddings"), positive(c, "embedding_dim")
    pad = c.known("padding_idx")
    if n is not None and is_int(pad) and not -n <= pad < n:
        c.error("SL109", f"Embedding: padding_idx={pad} must be within num_embeddings ({n})")
    frozen = c.known("_freeze")
    if n is None or d is None or frozen is None:
        c.set_params(None)
    elif frozen:  # a Parameter with requires_grad=False: still counted by parameters()
        c.set_params(0, "", non_trainable=n * d, nt_formula=f"{n}·{d} = {num(n * d)} (_freeze=True)")
    else:
        c.set_params(n * d, f"{n}·{d} = {num(n * d)}")
    c.macs = 0
    s = arriving(c, 0)
    c.out = Shape.of(list(s.dims) + [d if d else UNKNOWN], s.open_rank)


# ---------------------------------------------------------------- resampling

UPSAMPLE_SIG = "size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None"
# F.interpolate: the input ranks each mode takes (all dims after N and C are spatial).
UPSAMPLE_RANKS = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "area": (3, 4, 5), "linear": (3,),
                  "bilinear": (4,), "bicubic": (4,), "trilinear": (5,)}


@layer("Upsample", UPSAMPLE_SIG)
def upsample(c: Ctx) -> None:
    """Upsample the spatial dims (every dim after N and C) to `size` or by `scale_factor` (floored)."""
    upsample_like(c, c.known("mode"), c.known("align_corners"), c.known("recompute_scale_factor"))


@layer("UpsamplingNearest2d", "size=None, scale_factor=None", mode="nearest")
@layer("UpsamplingBilinear2d", "size=None, scale_factor=None", mode="bilinear")
def upsampling_2d(c: Ctx) -> None:
    """Deprecated Upsample(mode='nearest') / Upsample(mode='bilinear', align_corners=True)."""
    mode = c.rule.options["mode"]
    upsample_like(c, mode, True if mode == "bilinear" else None, None)


def upsample_like(c: Ctx, mode, align_corners, recompute) -> None:
    c.set_params(0)
    c.macs = 0
    size, scale = c.known("size"), upsample_scale(c)
    if scale is _BAD:
        return c.unknown_output("invalid scale_factor")
    if mode is not None and mode not in UPSAMPLE_RANKS:
        why = " (lanczos needs antialias=True, which Upsample does not pass)" if mode == "lanczos" else ""
        c.error("SL108", f"{c.rule.name}: mode={mode!r} is not one of {', '.join(map(repr, UPSAMPLE_RANKS))}{why}")
        mode = None
    ac = c.args.get("align_corners")
    if mode in ("nearest", "nearest-exact", "area") and ac is not None and first_unknown(ac) is None:
        c.error("SL108", f"{c.rule.name}: align_corners can only be set with linear, bilinear, bicubic or trilinear modes")
    if size is not None and scale is not None:
        c.error("SL108", f"{c.rule.name}: only one of size or scale_factor should be defined")
        return c.unknown_output("both size and scale_factor are given")
    if size is None and scale is None:
        if first_unknown(c.arg("size"), c.arg("scale_factor")) is None:
            c.error("SL108", f"{c.rule.name}: either size or scale_factor should be defined (scale_factor=0 counts as "
                             f"not given)")
        return c.unknown_output("no size or scale_factor")
    if size is not None and recompute:
        c.error("SL108", f"{c.rule.name}: recompute_scale_factor is not meaningful with an explicit size")
    allowed = UPSAMPLE_RANKS.get(mode, (3, 4, 5))
    if not check_rank(c, ranks(*allowed), ranks_text(*allowed) + f" (mode={mode!r})"):
        return c.unknown_output("the input has the wrong rank")
    s = settle_rank(c.inp, ranks(*allowed))
    if s is None or s.open_rank:
        return c.unknown_output("the input rank is unknown, so the number of spatial dims is unknown")
    c.out = upsample_shape(c, s, size, scale, mode)


_BAD = object()


def upsample_scale(c: Ctx):
    """Upsample stores float(scale_factor), or None when it is falsy (0 and 0.0 mean 'not given')."""
    v = c.known("scale_factor")
    if isinstance(v, tuple):
        return v
    if isinstance(v, list):
        c.error("SL108", f"{c.rule.name}: scale_factor={v!r}: a list is not accepted (float() of a list raises); "
                         f"use a tuple")
        return _BAD
    return v if v else None


def upsample_shape(c: Ctx, s: Shape, size, scale, mode) -> Optional[Shape]:
    nd = len(s) - 2
    given = size if size is not None else scale
    values = tuple(given) if isinstance(given, (tuple, list)) else (given,) * nd
    if len(values) != nd:
        c.error("SL110", f"{c.rule.name}: {'size' if size is not None else 'scale_factor'}={given!r} has "
                         f"{len(values)} entries but the input {s.text()} has {nd} spatial dims", related_to_input=True)
        return None
    out = []
    for label, d, v in zip(AXES.get(nd, ("dim",) * nd), s.dims[2:], values):
        if size is not None:
            if not is_int(v):
                c.error("SL108", f"{c.rule.name}: size={size!r} must hold integers")
                return None
            o = v
        elif not isinstance(v, (int, float)) or isinstance(v, bool):
            c.error("SL108", f"{c.rule.name}: scale_factor={scale!r} must hold numbers")
            return None
        elif not is_known(d):
            o = UNKNOWN
        else:
            o = math.floor(d * float(v))  # aten: (int64)(input_size · scale)
            c.formula(label, f"{label}: ⌊{d} · {num(float(v))}⌋ = {o}")
        # mode='area' is adaptive average pooling, which accepts an empty (0) output; the others need ≥ 1.
        if is_known(o) and (o < 0 or (o == 0 and mode != "area")):
            c.error("SL101", f"{c.rule.name}: output {label} would be {o}; torch needs sizes greater than 0",
                    related_to_input=True)
            o = UNKNOWN
        out.append(o)
    return Shape.of(list(s.dims[:2]) + out)


@layer("PixelShuffle", "upscale_factor")
def pixel_shuffle(c: Ctx) -> None:
    """(…, C·r², H, W) → (…, C, H·r, W·r)."""
    shuffle_like(c, positive(c, "upscale_factor"), up=True)


@layer("PixelUnshuffle", "downscale_factor")
def pixel_unshuffle(c: Ctx) -> None:
    """(…, C, H·r, W·r) → (…, C·r², H, W)."""
    shuffle_like(c, positive(c, "downscale_factor"), up=False)


def shuffle_like(c: Ctx, r: Optional[int], up: bool) -> None:
    c.set_params(0)
    c.macs = 0
    if not check_rank(c, lambda n: n >= 3, "an input of at least 3 dimensions (…, C, H, W)"):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, 3)
    if r is None:
        return c.unknown_output("the factor is unknown")
    C, H, W = s[-3], s[-2], s[-1]
    if up:
        if is_known(C) and C % (r * r):
            c.error("SL107", f"PixelShuffle: channels {C} are not divisible by upscale_factor² = {r * r}",
                    related_to_input=True)
        new = [C // (r * r) if is_known(C) and C % (r * r) == 0 else UNKNOWN,
               H * r if is_known(H) else UNKNOWN, W * r if is_known(W) else UNKNOWN]
    else:
        for label, d in (("height", H), ("width", W)):
            if is_known(d) and d % r:
                c.error("SL107", f"PixelUnshuffle: the {label} {d} is not divisible by downscale_factor={r}",
                        related_to_input=True)
        new = [C * r * r if is_known(C) else UNKNOWN, H // r if is_known(H) and H % r == 0 else UNKNOWN,
               W // r if is_known(W) and W % r == 0 else UNKNOWN]
    c.out = Shape.of(list(s.dims[:-3]) + new, s.open_rank)


@layer("ChannelShuffle", "groups")
def channel_shuffle(c: Ctx) -> None:
    """Shuffles the channels (dim 1) in groups: shape-preserving; needs more than 2 dims."""
    g = positive(c, "groups")
    c.set_params(0)
    c.macs = 0
    if not check_rank(c, lambda n: n >= 3, "an input of more than 2 dimensions (N, C, *)"):
        return c.unknown_output("the input has the wrong rank")
    pass_through(c)
    s = c.inp
    if g and s is not None and not s.open_rank and is_known(s[1]) and s[1] % g:
        c.error("SL107", f"ChannelShuffle: {s[1]} channels are not divisible by groups={g}", related_to_input=True)


# ---------------------------------------------------------------- padding

def padding_layer(c: Ctx) -> None:
    """Padding: adds (left, right[, top, bottom[, front, back]]) to the last dims, last dim first.

    An int pads every side; a tuple is passed to F.pad as it is, so its length (not the class name) says
    how many trailing dims are padded. Constant padding takes any rank; reflect/replicate/circular need
    the padded dims plus 1 or 2 (aten's _pad_enum). Negative values crop."""
    nd, kind = c.rule.options["nd"], c.rule.options["kind"]
    c.set_params(0)
    c.macs = 0
    pads = padding_tuple(c, nd)
    if kind == "circular" and not check_rank(c, ranks(nd + 1, nd + 2), ranks_text(nd + 1, nd + 2)):
        return c.unknown_output("the input has the wrong rank")
    if pads is None:
        return c.unknown_output("the padding is unknown")
    m = len(pads) // 2
    if kind == "constant":
        ok, allowed = (lambda r: r >= m), f"an input of at least {m} dimension{'s' * (m > 1)}"
    else:
        ok, allowed = ranks(m + 1, m + 2), ranks_text(m + 1, m + 2) + f" for a {len(pads)}-value {kind} padding"
    if not check_rank(c, ok, allowed):
        return c.unknown_output("the input has the wrong rank")
    s = arriving(c, m)
    dims = list(s.dims)
    labels = AXES.get(m, tuple(f"dim {-m + i}" for i in range(m)))
    # one padded dim of one row (every other dim 1): the only layout where torch's circular copy overlaps
    one_row = m == 1 and not s.open_rank and all(is_known(x) for x in dims[:-1]) and math.prod(dims[:-1]) == 1
    outs = [pad_axis(c, kind, dims, -1 - i, labels[m - 1 - i], pads[2 * i], pads[2 * i + 1], one_row)
            for i in range(m)]
    known = [o for o in outs if is_known(o)]
    # Reflection/replication kernels reject an output whose padded dims are all empty (size 0), a 1-D
    # one therefore any empty output; constant and circular padding accept empty dims.
    if kind in ("reflect", "replicate") and known and len(known) == m and all(o < 1 for o in known):
        c.error("SL101", f"{c.rule.name}: every padded output dim would be 0", related_to_input=True)
    c.out = Shape.of(dims, s.open_rank)


def padding_tuple(c: Ctx, nd: int) -> Optional[tuple]:
    pad = c.known("padding")
    if pad is None:
        return None
    if is_int(pad):
        return (pad,) * (2 * nd)
    kind = c.rule.options["kind"]
    if not isinstance(pad, (tuple, list)) or not all(is_int(x) for x in pad):
        c.error("SL108", f"{c.rule.name}: padding={pad!r} must be an int or a tuple of ints")
        return None
    if len(pad) % 2:
        c.error("SL108", f"{c.rule.name}: padding={pad!r}: its length must be even (a (before, after) pair per dim)")
        return None
    if kind != "constant" and len(pad) not in (2, 4, 6):
        c.error("SL108", f"{c.rule.name}: padding={pad!r}: {kind} padding takes 2, 4 or 6 values")
        return None
    if len(pad) != 2 * nd:
        c.formula("note", f"padding has {len(pad)} values: only the last {len(pad) // 2} dim"
                          f"{'s are' if len(pad) > 2 else ' is'} padded")
    return tuple(pad)


def pad_axis(c: Ctx, kind: str, dims: list, axis: int, label: str, lo: int, hi: int, one_row: bool = False):
    d = dims[axis]
    if not is_known(d):
        dims[axis] = UNKNOWN
        return UNKNOWN
    if kind == "reflect" and not (lo < d and hi < d):
        c.error("SL109", f"{c.rule.name}: padding ({lo}, {hi}) must be smaller than the input size {d} on {label}",
                related_to_input=True)
    if kind == "circular" and not (lo <= d and hi <= d):
        c.error("SL109", f"{c.rule.name}: padding ({lo}, {hi}) wraps around more than once: at most the input size "
                         f"{d} on {label}", related_to_input=True)
    elif kind == "circular" and one_row and min(lo, hi) < 0 < max(lo, hi) and max(lo, hi) > d + min(lo, hi) >= 1:
        # torch 2.13's _pad_circular crops first, then copies the wrap from the cropped tensor into its own
        # output: on a single row, a wrap wider than what is left (when something is left) overlaps and raises
        # "unsupported operation" (checked against torch for sizes 1-8, pads -8..8, leading dims 1 or more).
        # With several rows or 2-D / 3-D padding the overlap depends on the memory layout: not modelled
        c.error("SL109", f"{c.rule.name}: padding ({lo}, {hi}) wraps {max(lo, hi)} positions around what the "
                         f"negative side leaves ({d} − {-min(lo, hi)} = {d + min(lo, hi)}) on {label}; torch "
                         f"raises", related_to_input=True)
    o = d + lo + hi
    c.formula(label, f"{label}: {d} + {lo} + {hi} = {o}")
    # constant_pad_nd crops (narrow) with the negative pads before it adds the positive ones.
    if kind == "constant" and d + min(lo, 0) + min(hi, 0) < 0:
        c.error("SL101", f"{c.rule.name}: the negative padding ({lo}, {hi}) crops more than the input size {d} on "
                         f"{label}", related_to_input=True)
        o = UNKNOWN
    elif o < 0:
        c.error("SL101", f"{c.rule.name}: output size on {label} would be {o}", related_to_input=True)
        o = UNKNOWN
    dims[axis] = o
    return o


for _nd in (1, 2, 3):
    layer(f"ZeroPad{_nd}d", "padding", nd=_nd, kind="constant")(padding_layer)
    layer(f"ConstantPad{_nd}d", "padding, value", nd=_nd, kind="constant")(padding_layer)
    layer(f"ReflectionPad{_nd}d", "padding", nd=_nd, kind="reflect")(padding_layer)
    layer(f"ReplicationPad{_nd}d", "padding", nd=_nd, kind="replicate")(padding_layer)
    layer(f"CircularPad{_nd}d", "padding", nd=_nd, kind="circular")(padding_layer)


# ---------------------------------------------------------------- families in modules of their own

# Imported last: they register into CATALOG with the helpers above.
from . import torch_attention, torch_extra, torch_recurrent  # noqa: E402,F401


# ---------------------------------------------------------------- the model input a first layer implies

def _int_arg(args: dict, name: str):
    v = args.get(name)
    return v if is_int(v) and v > 0 else UNKNOWN


def _spatial_input(channels: str, nd: int):
    # batched, as torchinfo and every tutorial run it: (N, C, *spatial), spatial sizes named as AXES
    return lambda args: ["N", _int_arg(args, channels)] + list(AXES[nd])


# Issue #17: a model given no input runs on the input its first layer takes, its unknown sizes symbolic
# (N, H, W, ...): options["model_input"](bound constructor args) -> dims. Only layers that take one batched
# form in practice, a convolution's (N, C, *spatial): a Linear takes (…, in_features) of any rank (DeepSpeech
# feeds it (N, C, T, F)), an RNN (L, N, H_in) or unbatched (L, H_in), an Embedding any shape: for those the
# rank stays open, as before, rather than a guess that could make a false error.
MODEL_INPUTS = {}
for _nd in (1, 2, 3):
    for _name in (f"Conv{_nd}d", f"ConvTranspose{_nd}d"):
        MODEL_INPUTS[_name] = _spatial_input("in_channels", _nd)
    if _nd > 1:
        MODEL_INPUTS[f"BatchNorm{_nd}d"] = _spatial_input("num_features", _nd)
for _name, _fn in MODEL_INPUTS.items():
    CATALOG[_name].options["model_input"] = _fn


# What to suggest when a model's first layer leaves the input's rank open (a Linear, an RNN, an Embedding):
# an example the user can paste as `# shapelens: input=...`, never used as the input itself. Sequence layers
# get 10 steps, an Embedding 16 token ids; batch 1 (options["example_input"](bound args) -> dims or None).
def _rnn_example(args: dict):
    size = _int_arg(args, "input_size")
    return None if size is UNKNOWN else ([1, 10, size] if args.get("batch_first") is True else [10, 1, size])


def _example(name: str, prefix: list):
    def make(args: dict):
        size = _int_arg(args, name)
        return None if size is UNKNOWN else prefix + [size]
    return make


EXAMPLE_INPUTS = {"Linear": _example("in_features", [1]), "LazyLinear": None, "BatchNorm1d": _example("num_features", [1]),
                  "LSTM": _rnn_example, "GRU": _rnn_example, "RNN": _rnn_example,
                  "Embedding": lambda args: [1, 16], "EmbeddingBag": lambda args: [1, 16]}
for _name, _fn in EXAMPLE_INPUTS.items():
    if _fn is not None and _name in CATALOG:
        CATALOG[_name].options["example_input"] = _fn
