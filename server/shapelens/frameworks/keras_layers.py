"""Keras 3 layer catalog (rules follow keras 3.15: keras/src/layers/*, keras/src/ops/operation_utils.py).

Keras shapes keep the batch dimension open (None). data_format defaults to channels_last (the
`image_data_format()` default). Non-trainable parameters are what Keras reports as such (e.g. the
moving mean and variance of BatchNormalization). MACs: multiply-accumulates for one sample.
"""
from __future__ import annotations

import math
from typing import Optional

from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from .base import Catalog, Ctx, num, prod_text, sliding_out

CATALOG = Catalog("keras.layers.")
layer = CATALOG.layer

COMMON = ("activity_regularizer=None, **kwargs")
AXES = {1: ("steps",), 2: ("H", "W"), 3: ("D", "H", "W")}


# ---------------------------------------------------------------- helpers

def arriving(c: Ctx, rank: Optional[int] = None) -> Optional[Shape]:
    """The input shape, or None when unknown (Keras needs a built input for most parameter counts)."""
    if c.inp is None:
        c.why_unknown("the model's input shape is unknown: add keras.Input(shape=...) or input_shape= on the first layer")
    return c.inp


def data_format(c: Ctx) -> Optional[str]:
    v = c.known("data_format") if "data_format" in c.args else "channels_last"
    if v is None:
        return "channels_last"
    if v not in ("channels_last", "channels_first"):
        c.error("SL108", f"{c.rule.name}: data_format={v!r} is not 'channels_last' or 'channels_first'")
        return None
    return v


def need_rank(c: Ctx, rank: int, at_least: bool = False) -> bool:
    s = c.inp
    if s is None or s.open_rank:
        return True
    if len(s) == rank or (at_least and len(s) >= rank):
        return True
    c.error("SL110", f"{c.rule.name} expects a {rank}-D input{' or more' if at_least else ''} "
                     f"(batch included), but receives {len(s)}-D {s.text()}", related_to_input=True)
    return False


def channel_axis(fmt: str, rank: int) -> int:
    return -1 if fmt == "channels_last" else 1


def spatial_axes(fmt: str, rank: int, nd: int) -> list[int]:
    return list(range(1, 1 + nd)) if fmt == "channels_last" else list(range(2, 2 + nd))


def keras_padding(c: Ctx, allowed=("valid", "same")) -> Optional[str]:
    p = c.known("padding")
    if p is None:
        return None
    if not isinstance(p, str) or p.lower() not in allowed:
        if isinstance(p, str) and p.lower() == "causal":
            c.error("SL108", f"{c.rule.name}: padding='causal' is only supported for Conv1D (and SeparableConv1D)")
        else:
            c.error("SL108", f"{c.rule.name}: padding={p!r} must be one of {', '.join(repr(a) for a in allowed)}")
        return None
    return p.lower()


def window_out(c: Ctx, L, k: int, s: int, d: int, padding: str, label: str, pool: bool) -> object:
    """Keras' compute_conv_output_shape / compute_pooling_output_shape for one axis."""
    if not is_known(L):
        return L if L is None else UNKNOWN
    if padding in ("same", "causal"):
        o = (L - 1) // s + 1
        c.formula(label, f"{label}: padding='{padding}': ⌊({L} − 1) / {s}⌋ + 1 = {o}")
        return o
    if pool:
        o = (L - k) // s + 1
        text = f"{label}: ⌊({L} − {k}) / {s}⌋ + 1 = {o}"
        unread = (L - k) - (o - 1) * s if o >= 1 else 0
    else:
        o, text, unread = sliding_out(L, k, s, 0, d, False, label, "0")
    if o < 1:
        eff = d * (k - 1) + 1
        c.error("SL101", f"{c.rule.name}: the {'pool' if pool else 'kernel'} ({eff} on {label}) is larger than the "
                         f"input ({L}): output {label} would be {o} (\"Computed output size would be zero or negative\")",
                related_to_input=True)
        return UNKNOWN
    c.formula(label, text)
    if unread and s > 1:
        c.warning("SL201", f"{c.rule.name}: with {'pool' if pool else 'kernel'} {k} and stride {s} the last {unread} "
                           f"input position{'s' if unread > 1 else ''} on {label} "
                           f"{'are' if unread > 1 else 'is'} never read (padding='same' would keep them)")
    return o


# ---------------------------------------------------------------- core

@layer("Dense", "units, activation=None, use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
                "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
                "bias_constraint=None, lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs")
def dense(c: Ctx) -> None:
    """Dense on the last axis: params (in + 1)·units."""
    units, bias = c.positive_int("units"), c.known("use_bias")
    s = arriving(c)
    if s is None:
        c.set_params(None)
        c.macs = None
        c.out = Shape.of([None, units if units else UNKNOWN], open_rank=True)
        return
    if not need_rank(c, 2, at_least=True):
        c.unknown_output("wrong rank")
        c.set_params(None)
        return
    fin = s[-1]
    if not is_known(fin) or units is None or bias is None:
        c.set_params(None)
        c.why_unknown("the last input dimension is unknown" if not is_known(fin) else "")
        c.macs = None
    else:
        total = fin * units + (units if bias else 0)
        c.set_params(total, f"({fin} + 1)·{units} = {num(total)}" if bias else f"{fin}·{units} = {num(total)} (no bias)")
        lead = s.numel(1) // fin if s.numel(1) is not None else None
        c.macs = lead * fin * units if lead is not None else None
        if c.macs is not None:
            c.formula("MACs", f"{fin}·{units}" + (f"·{lead}" if lead != 1 else "") + f" = {num(c.macs)}")
    c.out = Shape.of(list(s.dims[:-1]) + [units if units else UNKNOWN])


CONV_SIG = ("filters, kernel_size, strides=1, padding='valid', data_format=None, dilation_rate=1, groups=1, "
            "activation=None, use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
            "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
            "bias_constraint=None, **kwargs")


@layer(["Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D"], CONV_SIG,
       per_name={n: {"nd": int(n[-2])} for n in
                 ["Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D"]})
def conv(c: Ctx) -> None:
    """Convolution. valid: ⌊(L − d·(k − 1) − 1) / s⌋ + 1; same/causal: ⌊(L − 1) / s⌋ + 1.
    Params (k·k·Cin/groups + 1)·filters."""
    nd = c.rule.options["nd"]
    filters, groups = c.positive_int("filters"), c.positive_int("groups")
    k, strides, dil = c.ints("kernel_size", nd), c.ints("strides", nd), c.ints("dilation_rate", nd)
    allowed = ("valid", "same", "causal") if nd == 1 else ("valid", "same")
    padding, fmt, bias = keras_padding(c, allowed), data_format(c), c.known("use_bias")
    if strides and dil and any(s > 1 for s in strides) and any(d > 1 for d in dil):
        c.error("SL104", f"{c.rule.name}: strides={c.arg('strides')!r} > 1 together with "
                         f"dilation_rate={c.arg('dilation_rate')!r} > 1 is not supported (Keras raises at construction)")
    if filters and groups and filters % groups:
        c.error("SL107", f"{c.rule.name}: filters={filters} is not divisible by groups={groups}")
    s = arriving(c)
    if s is None or fmt is None or not need_rank(c, nd + 2):
        c.set_params(None)
        c.macs = None
        c.unknown_output("")
        return
    ch = channel_axis(fmt, len(s))
    cin = s[ch]
    if is_known(cin) and groups and cin % groups:
        c.error("SL107", f"{c.rule.name}: the input channels ({cin}) are not divisible by groups={groups}",
                related_to_input=True)
    out = list(s.dims)
    out_sp = []
    for i, axis in enumerate(spatial_axes(fmt, len(s), nd)):
        if None in (k, strides, dil) or padding is None:
            out[axis] = UNKNOWN
        else:
            out[axis] = window_out(c, s[axis], k[i], strides[i], dil[i], padding, AXES[nd][i], pool=False)
        out_sp.append(out[axis])
    out[ch] = filters if filters else UNKNOWN
    c.out = Shape.of(out)
    if k and is_known(cin) and filters and groups and bias is not None:
        per = cin // groups
        total = math.prod(k) * per * filters + (filters if bias else 0)
        kt = prod_text(list(k) + [per])
        c.set_params(total, f"({kt} + 1)·{filters} = {num(total)}" if bias else f"{kt}·{filters} = {num(total)} (no bias)")
        if all(is_known(d) for d in out_sp):
            c.macs = math.prod(out_sp) * filters * per * math.prod(k)
            c.formula("MACs", f"{prod_text(out_sp + [filters])} · {kt} = {num(c.macs)}")
        else:
            c.macs = None
    else:
        c.set_params(None)
        c.macs = None


POOL_SIG = "pool_size={default}, strides=None, padding='valid', data_format=None, name=None, **kwargs"


def pool(c: Ctx) -> None:
    """Pooling. valid: ⌊(L − k) / s⌋ + 1; same: ⌊(L − 1) / s⌋ + 1. No parameters."""
    nd = c.rule.options["nd"]
    k = c.ints("pool_size", nd)
    strides = c.ints("strides", nd) if c.arg("strides") is not None else k
    padding, fmt = keras_padding(c), data_format(c)
    c.set_params(0)
    c.macs = 0
    s = arriving(c)
    if s is None or fmt is None or not need_rank(c, nd + 2):
        c.unknown_output("")
        return
    out = list(s.dims)
    for i, axis in enumerate(spatial_axes(fmt, len(s), nd)):
        if k is None or strides is None or padding is None:
            out[axis] = UNKNOWN
        else:
            out[axis] = window_out(c, s[axis], k[i], strides[i], 1, padding, AXES[nd][i], pool=True)
    c.out = Shape.of(out)


for _nd, _default in ((1, "2"), (2, "(2, 2)"), (3, "(2, 2, 2)")):
    for _kind in ("Max", "Average"):
        layer([f"{_kind}Pooling{_nd}D", f"{_kind[:3] if _kind == 'Max' else 'Avg'}Pool{_nd}D"],
              POOL_SIG.format(default=_default), nd=_nd)(pool)


def global_pool(c: Ctx) -> None:
    """Global pooling over the spatial axes; keepdims keeps them as 1."""
    nd = c.rule.options["nd"]
    fmt, keep = data_format(c), c.known("keepdims")
    c.set_params(0)
    c.macs = 0
    s = arriving(c)
    if s is None or fmt is None or not need_rank(c, nd + 2):
        c.unknown_output("")
        return
    axes = spatial_axes(fmt, len(s), nd)
    if keep:
        c.out = Shape.of([1 if i in axes else d for i, d in enumerate(s.dims)])
    else:
        c.out = Shape.of([d for i, d in enumerate(s.dims) if i not in axes])


for _nd in (1, 2, 3):
    for _kind in ("Average", "Max"):
        layer([f"Global{_kind}Pooling{_nd}D", f"Global{'Max' if _kind == 'Max' else 'Avg'}Pool{_nd}D"],
              "data_format=None, keepdims=False, **kwargs", nd=_nd)(global_pool)


@layer("Flatten", "data_format=None, **kwargs")
def flatten(c: Ctx) -> None:
    """Flatten everything but the batch axis."""
    c.set_params(0)
    c.macs = 0
    data_format(c)
    s = arriving(c)
    if s is None or s.open_rank:
        c.unknown_output("")
        return
    rest = s.dims[1:]
    n = s.numel(1)
    c.out = Shape.of([s[0], n if n is not None else UNKNOWN])
    if len(rest) > 1:
        text = f"{prod_text(dim_text(d) for d in rest)} = {dim_text(n if n is not None else UNKNOWN)}"
        c.formula("shape", f"flattened: {text}")
        c.out_origin = f"{text} after Flatten of {s.text()}"


def same_shape(c: Ctx) -> None:
    """Element-wise: the output shape is the input shape; no parameters."""
    rate = c.args.get("rate")
    if isinstance(rate, (int, float)) and not isinstance(rate, bool) and not 0 <= rate <= 1:
        c.error("SL109", f"{c.rule.name}: rate={rate} must be in [0, 1]")
    c.set_params(0)
    c.macs = 0
    c.out = c.inp
    c.out_origin = c.input_origin
    if c.inp is None:
        c.why_unknown("the model's input shape is unknown")


_SAME_SHAPE = {
    "Activation": "activation, **kwargs",
    "ReLU": "max_value=None, negative_slope=0.0, threshold=0.0, **kwargs",
    "LeakyReLU": "negative_slope=0.3, **kwargs",
    "ELU": "alpha=1.0, **kwargs",
    "Softmax": "axis=-1, **kwargs",
    "Dropout": "rate, noise_shape=None, seed=None, **kwargs",
    "SpatialDropout1D": "rate, seed=None, name=None, dtype=None",
    "SpatialDropout2D": "rate, data_format=None, seed=None, name=None, dtype=None",
    "SpatialDropout3D": "rate, data_format=None, seed=None, name=None, dtype=None",
    "GaussianNoise": "stddev, seed=None, **kwargs",
    "GaussianDropout": "rate, seed=None, **kwargs",
    "AlphaDropout": "rate, noise_shape=None, seed=None, **kwargs",
}
for _name, _sig in _SAME_SHAPE.items():
    layer(_name, _sig)(same_shape)


@layer("BatchNormalization",
       "axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True, beta_initializer='zeros', "
       "gamma_initializer='ones', moving_mean_initializer='zeros', moving_variance_initializer='ones', "
       "beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, renorm=False, "
       "renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs")
def batch_norm(c: Ctx) -> None:
    """BatchNormalization: γ and β trainable (C each), moving mean and variance non-trainable (C each)."""
    axis, center, scale = c.known("axis"), c.known("center"), c.known("scale")
    c.macs = 0
    s = arriving(c)
    c.out = s
    if s is None or not isinstance(axis, int) or center is None or scale is None:
        c.set_params(None)
        return
    if not -len(s) <= axis < len(s):
        c.error("SL110", f"BatchNormalization: axis={axis} is out of range for the {len(s)}-D input {s.text()}",
                related_to_input=True)
        c.set_params(None)
        return
    C = s[axis]
    if not is_known(C):
        c.set_params(None)
        c.why_unknown("the normalised axis has an unknown size")
        return
    per = int(bool(center)) + int(bool(scale))
    c.set_params(per * C, f"{per}·{C} = {num(per * C)} (γ, β)" if per == 2 else f"{per}·{C} = {num(per * C)}",
                 non_trainable=2 * C, nt_formula=f"2·{C} = {num(2 * C)} (moving mean, moving variance)")
