"""Keras 3 layer catalog (rules follow keras 3.15: keras/src/layers/*, keras/src/ops/operation_utils.py).

Keras shapes keep the batch dimension open (None). A None elsewhere is a dimension Keras itself leaves
dynamic (e.g. `keras.Input(shape=(None, 8))`): it stays None where Keras keeps it None, and is an error
where Keras needs the size to create a weight. data_format defaults to channels_last (the default of
`keras.config.image_data_format()`). Non-trainable parameters are what Keras reports as such (the moving
mean and variance of BatchNormalization; every weight of a layer built with trainable=False).
MACs: multiply-accumulates for one sample, biases not counted.

Each entry's signature is the real constructor's, in order. Option every entry carries:
  accepts  the extra keyword names the class's base classes take through **kwargs beyond those of
           keras.layers.Layer (e.g. LeakyReLU's deprecated alpha=); None = the base classes take
           more than we list (image preprocessing layers), so no keyword should be flagged unrecognised.
"""
from __future__ import annotations

import functools
import math
import re
from typing import Any, Callable, Optional

from ..analysis.shapes import UNKNOWN, Dim, Shape, dim_text, is_known
from ..analysis.values import Unknown, first_unknown
from .base import BoundLayer, Catalog, Ctx, Finding, num, prod_text

CATALOG = Catalog("keras.layers.")
AXES = {1: ("steps",), 2: ("H", "W"), 3: ("D", "H", "W")}
NO_INPUT = "the model's input shape is unknown: add keras.Input(shape=...) or input_shape= on the first layer"


def layer(names, signature: str, **options):
    """Register a rule; every rule also honours trainable=False (all its weights become non-trainable)."""
    options.setdefault("accepts", frozenset())
    register = CATALOG.layer(names, signature, **options)

    def wrap(fn: Callable[[Ctx], None]):
        @functools.wraps(fn)
        def infer(c: Ctx) -> None:
            check_activations(c)
            fn(c)
            apply_trainable(c)

        register(infer)
        return fn

    return wrap


# keras.activations.get() looks a string up in this table, case-sensitively (keras/src/activations/__init__.py:
# ALL_OBJECTS_DICT, the function names plus the aliases swish and hard_swish); anything else raises.
ACTIVATIONS = frozenset({
    "relu", "leaky_relu", "relu6", "softmax", "celu", "elu", "selu", "softplus", "softsign", "squareplus",
    "soft_shrink", "sparse_plus", "silu", "gelu", "glu", "tanh", "tanh_shrink", "threshold", "sigmoid",
    "sparse_sigmoid", "exponential", "hard_sigmoid", "hard_silu", "hard_tanh", "hard_shrink", "linear", "mish",
    "log_softmax", "log_sigmoid", "sparsemax", "swish", "hard_swish",
})


def check_activations(c: Ctx) -> None:
    for name in ("activation", "recurrent_activation"):
        v = c.args.get(name)
        if isinstance(v, str) and v not in ACTIVATIONS:
            close = [a for a in ACTIVATIONS if a == v.lower()]
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            c.error("SL108", f"{c.rule.name}: {name}={v!r} is not a Keras activation{hint}")


def apply_trainable(c: Ctx) -> None:
    given = c.extra.get("trainable", True) if isinstance(c.extra, dict) else True
    if given is True:
        return
    if isinstance(given, Unknown):
        c.trainable = c.non_trainable = None
        c.why_unknown(given.reason)
        return
    if not isinstance(given, bool):
        c.error("SL108", f"{c.rule.name}: trainable={given!r} must be True or False")
        return
    if c.trainable is None or c.non_trainable is None:
        c.trainable = c.non_trainable = None
        return
    if c.trainable:
        c.formula("non-trainable", f"trainable=False: all {num(c.trainable + c.non_trainable)} weights are frozen")
    c.trainable, c.non_trainable = 0, c.trainable + c.non_trainable


# ---------------------------------------------------------------- dims and arguments

def dmap(d: Dim, fn: Callable[[int], Dim]) -> Dim:
    """fn of a known size; Keras' dynamic None stays None; a symbolic size becomes '?'."""
    if is_known(d):
        return fn(d)
    return None if d is None else UNKNOWN


def arriving(c: Ctx, any_rank: bool = False) -> Optional[Shape]:
    """The input shape, or None (with the reason) when unknown. A shape of unknown rank (after a Dense
    on an unknown input) is only usable by rules that say so (any_rank)."""
    if c.inp is None:
        c.why_unknown(c.input_reason or (NO_INPUT if c.is_first else
                                         "the shape arriving from the previous layer is unknown"))
        return None
    if c.inp.open_rank and not any_rank:
        c.why_unknown(f"the rank of the arriving shape {c.inp.text()} is unknown")
        return None
    return c.inp


def need_rank(c: Ctx, rank: int, at_least: bool = False) -> bool:
    s = c.inp
    if s is None or s.open_rank:
        return True
    if len(s) == rank or (at_least and len(s) >= rank):
        return True
    c.error("SL110", f"{c.rule.name} expects a {rank}-D input{' or more' if at_least else ''} "
                     f"(batch included), but receives {len(s)}-D {s.text()}", related_to_input=True)
    return False


def sized(c: Ctx, d: Dim, what: str) -> Optional[int]:
    """A dimension a weight is sized by: Keras raises when it is None; '?' is unknown to us."""
    if is_known(d):
        return d
    if d is None:
        c.error("SL110", f"{c.rule.name}: {what} is None, but Keras needs it to create the weights "
                         f"(\"Shapes used to initialize variables must be fully-defined\")", related_to_input=True)
    else:
        c.why_unknown(f"{what} is unknown")
    return None


def as_tuple(c: Ctx, label: str, v: Any, n: int, allow_zero: bool = False) -> Optional[tuple]:
    """keras.src.utils.argument_validation.standardize_tuple: an int, or exactly n ints."""
    if isinstance(v, bool) or not isinstance(v, (int, tuple, list)):
        c.error("SL108", f"{c.rule.name}: {label}={v!r} must be an integer or a tuple of {n} integers")
        return None
    t = (v,) * n if isinstance(v, int) else tuple(v)
    if len(t) != n or not all(isinstance(x, int) and not isinstance(x, bool) for x in t):
        c.error("SL108", f"{c.rule.name}: {label}={v!r} must be an integer or a tuple of {n} integers")
        return None
    if any(x < (0 if allow_zero else 1) for x in t):
        c.error("SL109", f"{c.rule.name}: {label}={v!r} must be {'>= 0' if allow_zero else '> 0'}")
        return None
    return t


RUNTIME = object()   # an argument only known at run time


def const(c: Ctx, name: str) -> Any:
    """The argument's constant value (None included), or RUNTIME after recording why it is unknown."""
    v = c.args[name]
    if isinstance(v, (Unknown, tuple, list)) and first_unknown(v) is not None:
        c.known(name)  # records the reason
        return RUNTIME
    return v


def ktuple(c: Ctx, name: str, n: int, allow_zero: bool = False) -> Optional[tuple]:
    v = const(c, name)
    return None if v is RUNTIME else as_tuple(c, name, v, n, allow_zero)


def positive(c: Ctx, name: str) -> Optional[int]:
    """A count that must be a positive integer (units, filters, ...)."""
    v = const(c, name)
    if v is RUNTIME:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        c.error("SL108", f"{c.rule.name}: {name}={v!r} must be a positive integer")
        return None
    if v < 1:
        c.error("SL109", f"{c.rule.name}: {name}={v} must be a positive integer")
        return None
    return v


def flag(c: Ctx, name: str) -> Optional[bool]:
    """A switch, read as Keras does (`if self.use_bias:`); None when only known at run time."""
    v = const(c, name)
    return None if v is RUNTIME else bool(v)


def is_unknown_arg(c: Ctx, name: str) -> bool:
    """The argument was given but is only known at run time (c.known records why)."""
    return c.arg(name) is not None and c.known(name) is None


def data_format(c: Ctx) -> Optional[str]:
    """backend.standardize_data_format: None → channels_last; other strings are lower-cased."""
    if is_unknown_arg(c, "data_format"):
        return None
    v = c.arg("data_format")
    if v is None:
        return "channels_last"
    if isinstance(v, str) and v.lower() in ("channels_last", "channels_first"):
        return v.lower()
    c.error("SL108", f"{c.rule.name}: data_format={v!r} is not 'channels_last' or 'channels_first'")
    return None


def in_range(c: Ctx, name: str, low: float = 0.0, high: float = 1.0) -> None:
    v = c.args.get(name)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and not low <= v <= high:
        c.error("SL109", f"{c.rule.name}: {name}={v} must be between {low:g} and {high:g}")


def spatial_axes(fmt: str, nd: int, first: int = 1) -> list:
    """Indices of the nd spatial axes; `first` is where they start in channels_last (2 for ConvLSTM)."""
    return list(range(first, first + nd)) if fmt == "channels_last" else list(range(first + 1, first + 1 + nd))


def axis_label(nd: int, i: int) -> str:
    return AXES[nd][i]


def normalize_axes(c: Ctx, axes: list, rank: int, what: str = "axis") -> Optional[list]:
    """Axes as non-negative indices; an error (Keras raises) when one is out of range."""
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int):
            c.error("SL108", f"{c.rule.name}: {what}={a!r} must be an integer")
            return None
        if not -rank <= a < rank:
            c.error("SL110", f"{c.rule.name}: {what}={a} is out of range for a {rank}-D input {c.inp.text()}",
                    related_to_input=True)
            return None
        out.append(a % rank)
    return out


def no_weights(c: Ctx) -> None:
    c.set_params(0)
    c.macs = 0


def unknown_params(c: Ctx) -> None:
    c.trainable = c.non_trainable = None


def unknown_weights(c: Ctx, reason: str = "") -> None:
    unknown_params(c)
    c.macs = None
    if reason:
        c.why_unknown(reason)


def macs_of(c: Ctx, dims: list, per_position: Optional[int], text: str) -> None:
    """MACs = (product of the output positions) · work per position."""
    if per_position is None or not all(is_known(d) for d in dims):
        c.macs = None
        return
    c.macs = math.prod(dims) * per_position
    c.formula("MACs", (f"{prod_text(dims)} · " if dims else "") + f"{text} = {num(c.macs)}")


# ---------------------------------------------------------------- sliding windows

def conv_padding(c: Ctx, causal_ok: bool) -> Optional[str]:
    """standardize_padding: lower-cased; 'causal' only where the layer allows it (Conv1D)."""
    p = const(c, "padding")
    if p is RUNTIME:
        return None
    allowed = ("valid", "same", "causal") if causal_ok else ("valid", "same")
    if isinstance(p, str) and p.lower() in allowed:
        return p.lower()
    if isinstance(p, str) and p.lower() == "causal":
        c.error("SL108", f"{c.rule.name}: padding='causal' is only supported by Conv1D")
    else:
        c.error("SL108", f"{c.rule.name}: padding={p!r} must be one of {', '.join(repr(a) for a in allowed)}")
    return None


def pool_padding(c: Ctx) -> Optional[str]:
    """Pooling layers pass padding through unchanged: 'SAME' is rejected (case-sensitive)."""
    p = const(c, "padding")
    if p is RUNTIME:
        return None
    if p in ("valid", "same"):
        return p
    hint = " (pooling layers do not lower-case it)" if isinstance(p, str) and p.lower() in ("valid", "same") else ""
    c.error("SL108", f"{c.rule.name}: padding={p!r} must be 'valid' or 'same'{hint}")
    return None


def window_out(c: Ctx, L: Dim, k: int, s: int, d: int, padding: str, label: str, pool: bool = False) -> Dim:
    """compute_conv_output_shape / compute_pooling_output_shape for one axis.
    valid: ⌊(L − d·(k − 1) − 1) / s⌋ + 1 (pooling: ⌊(L − k) / s⌋ + 1); same/causal: ⌊(L − 1) / s⌋ + 1."""
    if not is_known(L):
        return dmap(L, int)
    if padding in ("same", "causal"):
        o = (L - 1) // s + 1
        c.formula(label, f"{label}: padding='{padding}': ⌊({L} − 1) / {s}⌋ + 1 = {o}")
        return o
    span = L - k if pool else L - d * (k - 1) - 1
    o = span // s + 1
    text = f"⌊({L} − {k}) / {s}⌋ + 1" if pool else f"⌊({L} − {d}·({k} − 1) − 1) / {s}⌋ + 1"
    if o < 1:
        eff = k if pool else d * (k - 1) + 1
        c.error("SL101", f"{c.rule.name}: the {'pool' if pool else 'kernel'} ({eff} on {label}) is larger than the "
                         f"input ({L}): {label} = {text} = {o} (\"Computed output size would be zero or negative\")",
                related_to_input=True)
        return UNKNOWN
    c.formula(label, f"{label}: {text} = {o}")
    unread = span - (o - 1) * s
    if unread and s > 1:
        c.warning("SL201", f"{c.rule.name}: with {'pool' if pool else 'kernel'} {k} and stride {s} the last {unread} "
                           f"input position{'s' if unread > 1 else ''} on {label} "
                           f"{'are' if unread > 1 else 'is'} never read (padding='same' would keep them)")
    return o


def spatial_out(c: Ctx, s: Shape, axes: list, k, strides, dil, padding, pool: bool = False) -> list:
    nd = len(axes)
    if None in (k, strides, dil) or padding is None:
        return [UNKNOWN] * nd
    return [window_out(c, s[a], k[i], strides[i], dil[i], padding, axis_label(nd, i), pool) for i, a in enumerate(axes)]


def stride_dilation_check(c: Ctx, strides, dil) -> None:
    if strides and dil and max(strides) > 1 and max(dil) > 1:
        c.error("SL104", f"{c.rule.name}: strides={c.arg('strides')!r} > 1 together with "
                         f"dilation_rate={c.arg('dilation_rate')!r} > 1 is not supported "
                         f"(Keras raises at construction)")


def conv_input(c: Ctx, nd: int, fmt: Optional[str], first: int = 1) -> Optional[tuple]:
    """(shape, channel axis, spatial axes) when the input is usable, else None (output unknown).
    `first` is the first spatial axis in channels_last: 1, or 2 for ConvLSTM (time comes first)."""
    s = arriving(c)
    if s is None or fmt is None or not need_rank(c, nd + first + 1):
        c.unknown_output("")
        return None
    ch = -1 if fmt == "channels_last" else first
    return s, ch, spatial_axes(fmt, nd, first)


def with_channels(s: Shape, ch: int, axes: list, spatial: list, channels: Dim) -> Shape:
    out = list(s.dims)
    for a, d in zip(axes, spatial):
        out[a] = d
    out[ch] = channels
    return Shape.of(out)


# ---------------------------------------------------------------- core

@layer("Dense", "units, activation=None, use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
                "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
                "bias_constraint=None, lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs")
def dense(c: Ctx) -> None:
    """Dense on the last axis: params (in + 1)·units."""
    units, bias = positive(c, "units"), flag(c, "use_bias")
    s = arriving(c, any_rank=True)
    if s is None:
        unknown_weights(c)
        c.out = Shape.of([None, units if units else UNKNOWN], open_rank=True)
        return
    if not need_rank(c, 2, at_least=True):
        c.unknown_output("the input has the wrong rank")
        unknown_weights(c)
        return
    c.out = Shape.of(list(s.dims[:-1]) + [units if units else UNKNOWN], s.open_rank)
    fin = sized(c, s[-1], "the last input dimension")
    if fin is None or units is None or bias is None:
        unknown_weights(c)
        return
    total = fin * units + (units if bias else 0)
    c.set_params(total, f"({num(fin)} + 1)·{num(units)} = {num(total)}" if bias
                 else f"{num(fin)}·{num(units)} = {num(total)} (no bias)")
    if s.open_rank:
        c.macs = None  # how many positions the Dense applies to depends on the unknown leading axes
        return
    macs_of(c, list(s.dims[1:-1]), fin * units, f"{fin}·{units}")


class EinsumError(Exception):
    pass


@layer("EinsumDense", "equation, output_shape, activation=None, bias_axes=None, kernel_initializer='glorot_uniform', "
                      "bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None, "
                      "kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None, "
                      "gptq_unpacked_column_size=None, quantization_config=None, **kwargs")
def einsum_dense(c: Ctx) -> None:
    """EinsumDense: the kernel takes the sizes its equation names (keras einsum_dense._analyze_einsum_string)."""
    eq, partial, bias_axes = const(c, "equation"), const(c, "output_shape"), const(c, "bias_axes")
    s = arriving(c)
    if s is None or RUNTIME in (eq, partial, bias_axes):
        unknown_weights(c)
        c.unknown_output("")
        return
    try:
        kernel, bias, out = analyze_einsum(eq, bias_axes, list(s.dims), partial)
    except (EinsumError, IndexError, TypeError, KeyError, ValueError) as e:  # what Keras' own parsing raises
        c.error("SL108", f"EinsumDense: {e}")
        unknown_weights(c)
        c.unknown_output("the equation does not fit the input")
        return
    c.out = Shape.of([d if d is None or is_known(d) else UNKNOWN for d in out])
    weights = [kernel] + ([bias] if bias is not None else [])
    sizes = [[sized(c, d, f"a kernel size of '{eq}'") for d in w] for w in weights]
    if any(None in w for w in sizes):
        unknown_weights(c)
        return
    total = sum(math.prod(w) for w in sizes)
    text = " + ".join(prod_text(w) for w in sizes)
    c.set_params(total, f"{text} = {num(total)}" + ("" if bias is not None else " (no bias)"))
    c.macs = None
    c.why_unknown("EinsumDense MACs are not computed")


def analyze_einsum(equation: str, bias_axes, input_shape: list, output_shape) -> tuple:
    """A port of keras.src.layers.core.einsum_dense._analyze_einsum_string (shapes only)."""
    if not isinstance(equation, str):
        raise EinsumError(f"equation={equation!r} is not a string")
    if not isinstance(output_shape, (int, tuple, list)):
        raise EinsumError(f"output_shape={output_shape!r} must be an int or a tuple")
    dot = re.sub(r"\.\.\.", "0", equation)
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False)):
        m = re.match(pattern, dot)
        if m:
            return einsum_split(m.group(1), m.group(2), m.group(3), bias_axes, input_shape, output_shape, left)
    raise EinsumError(f"invalid equation '{equation}': it must be [X],[Y]->[Z], ...[X],[Y]->...[Z] "
                      f"or [X]...,[Y]->[Z]...")


def einsum_split(ins: str, ws: str, outs: str, bias_axes, input_shape: list, output_shape, left: bool) -> tuple:
    elided = len(input_shape) - len(ins)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: (i + elided) - len(input_shape) for i, d in enumerate(ins)}
        out_map = {d: i + elided for i, d in enumerate(outs)}
    else:
        in_map = {d: i for i, d in enumerate(ins)}
        out_map = {d: i for i, d in enumerate(outs)}
    for d in ins:
        if d in out_map:
            a, b = input_shape[in_map[d]], out[out_map[d]]
            # Keras compares the sizes as given (an input None against 5 is a mismatch); '?' is unknown to us.
            if b is not None and UNKNOWN not in (a, b) and a != b:
                raise EinsumError(f"input and output_shape do not match at the shared dimension '{d}': {a} vs {b}")
    for d in outs:
        if d not in ins and d not in ws:
            raise EinsumError(f"output dimension '{d}' is in neither the input nor the weight spec")
    kernel = []
    for d in ws:
        if d in out_map:
            kernel.append(out[out_map[d]])
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
        else:
            raise EinsumError(f"weight dimension '{d}' is in neither the input nor the output spec")
    return kernel, einsum_bias(outs, bias_axes, out, elided, left), out


def einsum_bias(outs: str, bias_axes, out: list, elided: int, left: bool) -> Optional[list]:
    if bias_axes is None:
        return None
    for ch in bias_axes:
        if ch not in outs:
            raise EinsumError(f"bias dimension '{ch}' is not part of the output spec '{outs}'")
    skip = elided if left else 0
    sizes = {ch: out[i + skip] for i, ch in enumerate(outs)}
    first = min(outs.find(ch) for ch in bias_axes)
    bias = [sizes[ch] if ch in bias_axes else 1 for ch in outs[first:]]
    if not left:
        bias.extend([1] * max(elided, 0))
    return bias


# ---------------------------------------------------------------- convolutions

CONV_TAIL = ("activation=None, use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
             "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
             "bias_constraint=None, **kwargs")
ONES = {1: "1", 2: "(1, 1)", 3: "(1, 1, 1)"}


def conv_sig(nd: int) -> str:
    return (f"filters, kernel_size, strides={ONES[nd]}, padding='valid', data_format=None, "
            f"dilation_rate={ONES[nd]}, groups=1, " + CONV_TAIL)


def conv(c: Ctx) -> None:
    """Convolution. valid: ⌊(L − d·(k − 1) − 1) / s⌋ + 1; same/causal: ⌊(L − 1) / s⌋ + 1.
    Params (k·k·Cin/groups + 1)·filters."""
    nd = c.rule.options["nd"]
    filters, groups = positive(c, "filters"), positive(c, "groups")
    k, strides, dil = ktuple(c, "kernel_size", nd), ktuple(c, "strides", nd), ktuple(c, "dilation_rate", nd)
    padding, fmt, bias = conv_padding(c, causal_ok=nd == 1), data_format(c), flag(c, "use_bias")
    if filters and groups and filters % groups:
        c.error("SL107", f"{c.rule.name}: filters={filters} is not divisible by groups={groups}")
    stride_dilation_check(c, strides, dil)
    got = conv_input(c, nd, fmt)
    if got is None:
        unknown_weights(c)
        return
    s, ch, axes = got
    cin = sized(c, s[ch], "the input channel dimension")
    if cin is not None and groups and cin % groups:
        c.error("SL107", f"{c.rule.name}: the input channels ({cin}) are not divisible by groups={groups}",
                related_to_input=True)
    sp = spatial_out(c, s, axes, k, strides, dil, padding)
    c.out = with_channels(s, ch, axes, sp, filters if filters else UNKNOWN)
    per = cin // groups if cin is not None and groups else None
    if k is None or per is None or filters is None or bias is None:
        unknown_weights(c)
        return
    kt = prod_text(list(k) + [per])
    total = math.prod(k) * per * filters + (filters if bias else 0)
    text = f"({kt} + 1)·{filters} = {num(total)}" if bias else f"{kt}·{filters} = {num(total)} (no bias)"
    if per != cin:
        text += f"  (groups={groups}: each filter sees {per} of the {cin} channels)"
    c.set_params(total, text)
    macs_of(c, sp + [filters], math.prod(k) * per, kt)


for _nd in (1, 2, 3):
    layer([f"Conv{_nd}D", f"Convolution{_nd}D"], conv_sig(_nd), nd=_nd,
          accepts=frozenset({"lora_rank", "lora_alpha"}))(conv)


def convt_sig(nd: int) -> str:
    # Conv3DTranspose declares data_format before output_padding; Conv1D/2DTranspose after it.
    middle = "data_format=None, output_padding=None" if nd == 3 else "output_padding=None, data_format=None"
    return (f"filters, kernel_size, strides={ONES[nd]}, padding='valid', {middle}, dilation_rate={ONES[nd]}, "
            + CONV_TAIL)


def transpose_out(c: Ctx, L: Dim, k: int, s: int, d: int, padding: str, op: Optional[int], label: str) -> Dim:
    """backend_utils._get_output_shape_given_tf_padding for one axis."""
    if not is_known(L):
        return dmap(L, int)
    eff = (k - 1) * d + 1
    if padding == "valid":
        extra = max(eff, s) - eff if op is None else op
        o = (L - 1) * s + eff + extra
        c.formula(label, f"{label}: ({L} − 1)·{s} + {eff} + {extra} = {o}")
    elif op is None:
        o = L * s
        c.formula(label, f"{label}: padding='same': {L}·{s} = {o}")
    else:
        o = (L - 1) * s + eff % 2 + op
        c.formula(label, f"{label}: padding='same': ({L} − 1)·{s} + {eff} mod 2 + {op} = {o}")
    return o


def conv_transpose(c: Ctx) -> None:
    """Transposed convolution. valid: (L − 1)·s + k_eff + (max(k_eff, s) − k_eff, or output_padding);
    same: L·s (with output_padding: (L − 1)·s + k_eff mod 2 + output_padding). Params k·k·filters·Cin + filters."""
    nd = c.rule.options["nd"]
    filters, bias = positive(c, "filters"), flag(c, "use_bias")
    k, strides, dil = ktuple(c, "kernel_size", nd), ktuple(c, "strides", nd), ktuple(c, "dilation_rate", nd)
    padding, fmt = conv_padding(c, causal_ok=False), data_format(c)
    op = None if c.arg("output_padding") is None else ktuple(c, "output_padding", nd, allow_zero=True)
    if op and strides and any(o >= st for o, st in zip(op, strides)):
        c.error("SL109", f"{c.rule.name}: output_padding={c.arg('output_padding')!r} must be strictly less than "
                         f"strides={c.arg('strides')!r}")
    stride_dilation_check(c, strides, dil)
    got = conv_input(c, nd, fmt)
    if got is None:
        unknown_weights(c)
        return
    s, ch, axes = got
    cin = sized(c, s[ch], "the input channel dimension")
    if None in (k, strides, dil) or padding is None or (op is None and c.arg("output_padding") is not None):
        sp = [UNKNOWN] * nd
    else:
        sp = [transpose_out(c, s[a], k[i], strides[i], dil[i], padding, op[i] if op else None, axis_label(nd, i))
              for i, a in enumerate(axes)]
    c.out = with_channels(s, ch, axes, sp, filters if filters else UNKNOWN)
    if k is None or cin is None or filters is None or bias is None:
        unknown_weights(c)
        return
    kt = prod_text(list(k) + [filters, cin])
    total = math.prod(k) * filters * cin + (filters if bias else 0)
    c.set_params(total, f"{kt} + {filters} = {num(total)}" if bias else f"{kt} = {num(total)} (no bias)")
    # Every input position scatters k·filters products per input channel.
    macs_of(c, [s[a] for a in axes] + [cin], math.prod(k) * filters, prod_text(list(k) + [filters]))


for _nd in (1, 2, 3):
    layer([f"Conv{_nd}DTranspose", f"Convolution{_nd}DTranspose"], convt_sig(_nd), nd=_nd)(conv_transpose)


SEPARABLE_TAIL = ("activation=None, use_bias=True, depthwise_initializer='glorot_uniform', "
                  "pointwise_initializer='glorot_uniform', bias_initializer='zeros', depthwise_regularizer=None, "
                  "pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
                  "depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs")


def separable_sig(nd: int) -> str:
    return (f"filters, kernel_size, strides={ONES[nd]}, padding='valid', data_format=None, "
            f"dilation_rate={ONES[nd]}, depth_multiplier=1, " + SEPARABLE_TAIL)


def depthwise_sig(nd: int) -> str:
    return (f"kernel_size, strides={ONES[nd]}, padding='valid', depth_multiplier=1, data_format=None, "
            f"dilation_rate={ONES[nd]}, activation=None, use_bias=True, depthwise_initializer='glorot_uniform', "
            f"bias_initializer='zeros', depthwise_regularizer=None, bias_regularizer=None, "
            f"activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs")


def depthwise_common(c: Ctx, nd: int) -> Optional[tuple]:
    """Shared by DepthwiseConv and SeparableConv: (shape, channel axis, spatial axes, Cin, k, multiplier,
    spatial output) or None. Keras does not reject strides > 1 with dilation_rate > 1 for these two."""
    mult = positive(c, "depth_multiplier")
    k, strides, dil = ktuple(c, "kernel_size", nd), ktuple(c, "strides", nd), ktuple(c, "dilation_rate", nd)
    padding, fmt = conv_padding(c, causal_ok=False), data_format(c)
    got = conv_input(c, nd, fmt)
    if got is None:
        return None
    s, ch, axes = got
    cin = sized(c, s[ch], "the input channel dimension")
    sp = spatial_out(c, s, axes, k, strides, dil, padding)
    return s, ch, axes, cin, k, mult, sp


def depthwise_conv(c: Ctx) -> None:
    """Depthwise convolution: each input channel gets depth_multiplier filters of its own.
    Params k·k·Cin·m + Cin·m."""
    bias = flag(c, "use_bias")
    got = depthwise_common(c, c.rule.options["nd"])
    if got is None:
        unknown_weights(c)
        return
    s, ch, axes, cin, k, mult, sp = got
    cout = cin * mult if cin is not None and mult is not None else None
    c.out = with_channels(s, ch, axes, sp, cout if cout is not None else UNKNOWN)
    if k is None or cout is None or bias is None:
        unknown_weights(c)
        return
    kt = prod_text(list(k) + [cin, mult])
    total = math.prod(k) * cout + (cout if bias else 0)
    c.set_params(total, f"{kt} + {cin}·{mult} = {num(total)}" if bias else f"{kt} = {num(total)} (no bias)")
    macs_of(c, sp + [cout], math.prod(k), prod_text(list(k)))


def separable_conv(c: Ctx) -> None:
    """Depthwise then pointwise (1×1) convolution. Params k·k·Cin·m + Cin·m·filters + filters."""
    filters, bias = positive(c, "filters"), flag(c, "use_bias")
    got = depthwise_common(c, c.rule.options["nd"])
    if got is None:
        unknown_weights(c)
        return
    s, ch, axes, cin, k, mult, sp = got
    c.out = with_channels(s, ch, axes, sp, filters if filters else UNKNOWN)
    if k is None or cin is None or mult is None or filters is None or bias is None:
        unknown_weights(c)
        return
    depth, point = math.prod(k) * cin * mult, cin * mult * filters
    total = depth + point + (filters if bias else 0)
    dt = prod_text(list(k) + [cin, mult])
    c.set_params(total, f"{dt} + {cin}·{mult}·{filters}" + (f" + {filters}" if bias else "") + f" = {num(total)}")
    macs_of(c, sp, depth + point, f"({dt} + {cin}·{mult}·{filters})")


for _nd in (1, 2):
    layer(f"DepthwiseConv{_nd}D", depthwise_sig(_nd), nd=_nd)(depthwise_conv)
    layer([f"SeparableConv{_nd}D", f"SeparableConvolution{_nd}D"], separable_sig(_nd), nd=_nd)(separable_conv)


# ---------------------------------------------------------------- pooling

def pool(c: Ctx) -> None:
    """Pooling. valid: ⌊(L − k) / s⌋ + 1; same: ⌊(L − 1) / s⌋ + 1 (strides default to pool_size). No weights."""
    nd = c.rule.options["nd"]
    no_weights(c)
    k = ktuple(c, "pool_size", nd)
    strides = k if c.arg("strides") is None else ktuple(c, "strides", nd, allow_zero=True)
    if strides and 0 in strides:
        # Keras accepts strides=0 at construction, then divides by it when the model is built.
        c.error("SL109", f"{c.rule.name}: strides={c.arg('strides')!r} contains 0 (Keras fails dividing by it)")
        strides = None
    padding, fmt = pool_padding(c), data_format(c)
    got = conv_input(c, nd, fmt)
    if got is None:
        return
    s, ch, axes = got
    sp = spatial_out(c, s, axes, k, strides, (1,) * nd, padding, pool=True)
    c.out = with_channels(s, ch, axes, sp, s[ch])


POOL_SIG = "pool_size{default}, strides=None, padding='valid', data_format=None, name=None, **kwargs"
for _nd, _default in ((1, "2"), (2, "(2, 2)"), (3, "(2, 2, 2)")):
    layer([f"MaxPooling{_nd}D", f"MaxPool{_nd}D"], POOL_SIG.format(default="=" + _default), nd=_nd)(pool)
    # AveragePooling has no default pool_size (MaxPooling has one).
    layer([f"AveragePooling{_nd}D", f"AvgPool{_nd}D"], POOL_SIG.format(default=""), nd=_nd)(pool)


def global_pool(c: Ctx) -> None:
    """Global pooling over the spatial axes; keepdims keeps them as 1."""
    nd = c.rule.options["nd"]
    no_weights(c)
    fmt, keep = data_format(c), flag(c, "keepdims")
    got = conv_input(c, nd, fmt)
    if got is None or keep is None:
        c.unknown_output("")
        return
    s, ch, axes = got
    c.out = Shape.of([1 if i in axes else d for i, d in enumerate(s.dims)] if keep else [s[0], s[ch]])


for _nd in (1, 2, 3):
    for _kind, _short in (("Average", "Avg"), ("Max", "Max")):
        layer([f"Global{_kind}Pooling{_nd}D", f"Global{_short}Pool{_nd}D"],
              "data_format=None, keepdims=False, **kwargs", nd=_nd)(global_pool)


# ---------------------------------------------------------------- reshaping

@layer("Flatten", "data_format=None, **kwargs")
def flatten(c: Ctx) -> None:
    """Flatten everything but the batch axis (None if any of those axes is None)."""
    no_weights(c)
    data_format(c)
    s = arriving(c)
    if s is None or s.open_rank:
        c.unknown_output("")
        return
    rest = s.dims[1:]
    if None in rest:
        n: Dim = None
    else:
        n = math.prod(rest) if all(is_known(d) for d in rest) else UNKNOWN
    c.out = Shape.of([s[0], n])
    if len(rest) > 1:
        text = f"{prod_text(dim_text(d) for d in rest)} = {num(n)}"
        c.formula("shape", f"flattened: {text}")
        c.out_origin = f"{text} after Flatten of {s.text()}"


@layer("Reshape", "target_shape, **kwargs")
def reshape(c: Ctx) -> None:
    """Reshape the non-batch axes; one -1 takes what is left."""
    no_weights(c)
    target = const(c, "target_shape")
    if target is RUNTIME:
        c.unknown_output("")
        return
    if not isinstance(target, (tuple, list)) or not all(
            t is None or (isinstance(t, int) and not isinstance(t, bool)) for t in target):
        c.error("SL108", f"Reshape: target_shape={target!r} must be a tuple of integers")
        c.unknown_output("target_shape is invalid")
        return
    if any(t is not None and t < -1 for t in target) or list(target).count(-1) > 1:
        c.error("SL109", f"Reshape: target_shape={tuple(target)!r}: sizes must be >= 0, with at most one -1")
        c.unknown_output("target_shape is invalid")
        return
    s = arriving(c)
    if s is None or s.open_rank:
        c.unknown_output("")
        return
    c.out = Shape.of([s[0]] + reshape_dims(c, list(s.dims[1:]), list(target)))


def reshape_dims(c: Ctx, rest: list, target: list) -> list:
    """operation_utils.compute_reshape_output_shape on the non-batch axes."""
    if None in rest or None in target:  # Keras neither checks nor resolves -1 against a dynamic size
        return [None if t == -1 else t for t in target]
    if not all(is_known(d) for d in rest):
        return [UNKNOWN if t == -1 else t for t in target]
    size = math.prod(rest)
    known = math.prod(t for t in target if t != -1)
    shown = f"{prod_text(rest)} = {num(size)}" if len(rest) > 1 else num(size)
    if -1 not in target:
        if known != size:
            c.error("SL110", f"Reshape: target_shape {tuple(target)} holds {num(known)} values but each sample of "
                             f"{c.inp.text()} holds {shown}", related_to_input=True)
            return [UNKNOWN] * len(target)
        return target
    if known == 0 or size % known:
        c.error("SL110", f"Reshape: the {shown} values of each sample of {c.inp.text()} cannot be divided by the "
                         f"{num(known)} of target_shape {tuple(target)}", related_to_input=True)
        return [UNKNOWN] * len(target)
    c.formula("shape", f"-1 = {num(size)} / {num(known)} = {num(size // known)}")
    return [size // known if t == -1 else t for t in target]


@layer("Permute", "dims, **kwargs")
def permute(c: Ctx) -> None:
    """Permute the non-batch axes (1-based dims)."""
    no_weights(c)
    dims = const(c, "dims")
    if dims is RUNTIME:
        c.unknown_output("")
        return
    ints = isinstance(dims, (tuple, list)) and all(isinstance(d, int) and not isinstance(d, bool) for d in dims)
    if not ints or sorted(dims) != list(range(1, len(dims) + 1)):
        c.error("SL108", f"Permute: dims={dims!r} must be a permutation of 1..n")
        c.unknown_output("dims is invalid")
        return
    s = arriving(c)
    if s is None or not need_rank(c, len(dims) + 1):
        c.unknown_output("")
        return
    c.out = Shape.of([s[0]] + [s[d] for d in dims])


@layer("RepeatVector", "n, **kwargs")
def repeat_vector(c: Ctx) -> None:
    """(batch, F) → (batch, n, F)."""
    no_weights(c)
    n = positive(c, "n")
    s = arriving(c)
    if s is None or not need_rank(c, 2):
        c.unknown_output("")
        return
    c.out = Shape.of([s[0], n if n else UNKNOWN, s[1]])


# ---------------------------------------------------------------- shape-preserving, no weights

def same_shape(c: Ctx) -> None:
    """Element-wise: the output shape is the input shape; no weights."""
    for name in ("rate", "stddev"):
        if name in c.args:
            in_range(c, name)
    no_weights(c)
    rank = c.rule.options.get("rank")
    if rank and not need_rank(c, rank):
        c.unknown_output("the input has the wrong rank")
        return
    c.out = c.inp
    c.out_origin = c.input_origin
    arriving(c)


_SAME_SHAPE = {
    "Activation": "activation, **kwargs",
    "ELU": "alpha=1.0, **kwargs",
    "Softmax": "axis=-1, **kwargs",
    "Dropout": "rate, noise_shape=None, seed=None, **kwargs",
    "GaussianNoise": "stddev, seed=None, **kwargs",
    "GaussianDropout": "rate, seed=None, **kwargs",
    "AlphaDropout": "rate, noise_shape=None, seed=None, **kwargs",
    "ActivityRegularization": "l1=0.0, l2=0.0, **kwargs",
    "Identity": "**kwargs",
    "Masking": "mask_value=0.0, **kwargs",
    "Rescaling": "scale, offset=0.0, **kwargs",
}
for _name, _sig in _SAME_SHAPE.items():
    layer(_name, _sig)(same_shape)
layer("SpatialDropout1D", "rate, seed=None, name=None, dtype=None", rank=3)(same_shape)
layer("SpatialDropout2D", "rate, data_format=None, seed=None, name=None, dtype=None", rank=4)(same_shape)
layer("SpatialDropout3D", "rate, data_format=None, seed=None, name=None, dtype=None", rank=5)(same_shape)

# Image augmentation: shape-preserving, no weights. Their base class takes more keywords than listed
# here (factor=, bounding_box_format=, ...), hence accepts=None.
_RANDOM = {
    "RandomBrightness": "factor, value_range=(0, 255), seed=None, **kwargs",
    "RandomColorDegeneration": "factor, value_range=(0, 255), data_format=None, seed=None, **kwargs",
    "RandomColorJitter": "value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None, "
                         "hue_factor=None, seed=None, data_format=None, **kwargs",
    "RandomContrast": "factor, value_range=(0, 255), seed=None, **kwargs",
    "RandomElasticTransform": "factor=1.0, scale=1.0, interpolation='bilinear', fill_mode='reflect', fill_value=0.0, "
                              "value_range=(0, 255), seed=None, data_format=None, **kwargs",
    "RandomErasing": "factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None, "
                     "data_format=None, **kwargs",
    "RandomFlip": "mode='horizontal_and_vertical', seed=None, data_format=None, **kwargs",
    "RandomGaussianBlur": "factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None, "
                          "**kwargs",
    "RandomGrayscale": "factor=0.5, data_format=None, seed=None, **kwargs",
    "RandomHue": "factor, value_range=(0, 255), data_format=None, seed=None, **kwargs",
    "RandomInvert": "factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs",
    "RandomPerspective": "factor=1.0, scale=1.0, interpolation='bilinear', fill_value=0.0, seed=None, "
                         "data_format=None, **kwargs",
    "RandomPosterization": "factor, value_range=(0, 255), data_format=None, seed=None, **kwargs",
    "RandomRotation": "factor, fill_mode='reflect', interpolation='bilinear', seed=None, fill_value=0.0, "
                      "data_format=None, **kwargs",
    "RandomSaturation": "factor, value_range=(0, 255), data_format=None, seed=None, **kwargs",
    "RandomSharpness": "factor, value_range=(0, 255), data_format=None, seed=None, **kwargs",
    "RandomShear": "x_factor=0.0, y_factor=0.0, interpolation='bilinear', fill_mode='reflect', fill_value=0.0, "
                   "data_format=None, seed=None, **kwargs",
    "RandomTranslation": "height_factor, width_factor, fill_mode='reflect', interpolation='bilinear', seed=None, "
                         "fill_value=0.0, data_format=None, **kwargs",
    "RandomZoom": "height_factor, width_factor=None, fill_mode='reflect', interpolation='bilinear', seed=None, "
                  "fill_value=0.0, data_format=None, **kwargs",
}
for _name, _sig in _RANDOM.items():
    layer(_name, _sig, accepts=None)(same_shape)


@layer("ReLU", "max_value=None, negative_slope=0.0, threshold=0.0, **kwargs")
def relu(c: Ctx) -> None:
    """ReLU: shape-preserving; max_value, negative_slope and threshold must not be negative."""
    for name in ("max_value", "negative_slope", "threshold"):
        v = c.args.get(name)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
            c.error("SL109", f"ReLU: {name}={v} cannot be negative")
        elif v is None and name != "max_value":
            c.error("SL109", f"ReLU: {name} cannot be None")
    same_shape(c)


@layer("LeakyReLU", "negative_slope=0.3, **kwargs", accepts=frozenset({"alpha"}))
def leaky_relu(c: Ctx) -> None:
    """LeakyReLU: shape-preserving (alpha= is the deprecated name of negative_slope)."""
    v = c.extra.get("alpha", c.args.get("negative_slope"))
    if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0):
        c.error("SL109", f"LeakyReLU: negative_slope={v} cannot be None or negative")
    same_shape(c)


@layer("PReLU", "alpha_initializer='Zeros', alpha_regularizer=None, alpha_constraint=None, shared_axes=None, **kwargs")
def prelu(c: Ctx) -> None:
    """PReLU: one learnable slope per element of a sample, shared (size 1) along shared_axes."""
    c.macs = 0
    shared = c.known("shared_axes")
    s = arriving(c)
    c.out = s
    if s is None or is_unknown_arg(c, "shared_axes"):
        unknown_params(c)
        return
    shape = list(s.dims[1:])
    axes = [] if shared is None else list(shared) if isinstance(shared, (list, tuple)) else [shared]
    for a in axes:
        # prelu.py does param_shape[i - 1] = 1 with Python indexing: shared_axes=0 hits the last axis.
        if isinstance(a, bool) or not isinstance(a, int) or not -len(shape) <= a - 1 < len(shape):
            c.error("SL110", f"PReLU: shared_axes={shared!r} is out of range for the input {s.text()}",
                    related_to_input=True)
            unknown_params(c)
            return
        shape[a - 1] = 1
    sizes = [sized(c, d, "a non-batch input dimension") for d in shape]
    if None in sizes:
        unknown_params(c)
        return
    total = math.prod(sizes)
    c.set_params(total, f"{prod_text(sizes)} = {num(total)}" if len(sizes) > 1 else num(total))


# ---------------------------------------------------------------- normalization

@layer("BatchNormalization",
       "axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True, beta_initializer='zeros', "
       "gamma_initializer='ones', moving_mean_initializer='zeros', moving_variance_initializer='ones', "
       "beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, renorm=False, "
       "renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs")
def batch_norm(c: Ctx) -> None:
    """BatchNormalization: γ and β trainable (C each); moving mean and variance non-trainable (C each);
    renorm=True adds 3·C non-trainable (moving stddev, renorm mean, renorm stddev)."""
    axis, center, scale, renorm = axis_arg(c), flag(c, "center"), flag(c, "scale"), flag(c, "renorm")
    c.macs = 0
    s = arriving(c)
    c.out = s
    if s is None or axis is None or None in (center, scale, renorm):
        unknown_params(c)
        return
    axes = normalize_axes(c, [axis], len(s))
    C = sized(c, s[axes[0]], f"the normalised axis {axis}") if axes else None
    if C is None:
        unknown_params(c)
        return
    per = int(center) + int(scale)
    stats = 5 if renorm else 2
    names = "moving mean, moving variance" + (", moving stddev, renorm mean, renorm stddev" if renorm else "")
    c.set_params(per * C, f"{per}·{C} = {num(per * C)}" + (" (γ, β)" if per == 2 else ""),
                 non_trainable=stats * C, nt_formula=f"{stats}·{C} = {num(stats * C)} ({names})")


def axis_arg(c: Ctx) -> Any:
    """The axis argument of a normalization layer; None (no axis) is an error, as in Keras."""
    axis = const(c, "axis")
    if axis is RUNTIME:
        return None
    if axis is None:
        c.error("SL108", f"{c.rule.name}: axis=None is not an axis")
    return axis


def axes_sizes(c: Ctx, s: Shape, axis, need_sizes: bool = True) -> Optional[list]:
    """The sizes of the normalised axes (an int or a list of ints), or None after reporting why."""
    if isinstance(axis, bool) or not isinstance(axis, (int, list, tuple)):
        c.error("SL108", f"{c.rule.name}: axis={axis!r} must be an int or a list/tuple of ints")
        return None
    axes = normalize_axes(c, [axis] if isinstance(axis, int) else list(axis), len(s))
    if axes is None or not need_sizes:
        return axes
    sizes = [sized(c, s[a], f"axis {a}") for a in sorted(axes)]
    return None if None in sizes else sizes


@layer("LayerNormalization", "axis=-1, epsilon=0.001, center=True, scale=True, beta_initializer='zeros', "
                             "gamma_initializer='ones', beta_regularizer=None, gamma_regularizer=None, "
                             "beta_constraint=None, gamma_constraint=None, **kwargs",
       accepts=frozenset({"rms_scaling"}))
def layer_norm(c: Ctx) -> None:
    """LayerNormalization: γ and β over the normalised axes (rms_scaling=True: γ only)."""
    axis, center, scale = axis_arg(c), flag(c, "center"), flag(c, "scale")
    rms = bool(c.extra.get("rms_scaling", False))
    c.macs = 0
    s = arriving(c)
    c.out = s
    sizes = axes_sizes(c, s, axis) if s is not None and axis is not None else None
    if sizes is None or None in (center, scale):
        unknown_params(c)
        return
    n = math.prod(sizes)
    per = int(scale or rms) + int(center and not rms)
    c.set_params(per * n, f"{per}·{prod_text(sizes)} = {num(per * n)}")


@layer("RMSNormalization", "axis=-1, epsilon=1e-06, **kwargs")
def rms_norm(c: Ctx) -> None:
    """RMSNormalization: one scale per element of the normalised axes."""
    axis = axis_arg(c)
    c.macs = 0
    s = arriving(c)
    c.out = s
    sizes = axes_sizes(c, s, axis) if s is not None and axis is not None else None
    if sizes is None:
        unknown_params(c)
        return
    c.set_params(math.prod(sizes), f"{prod_text(sizes)} = {num(math.prod(sizes))}")


@layer("GroupNormalization", "groups=32, axis=-1, epsilon=0.001, center=True, scale=True, beta_initializer='zeros', "
                             "gamma_initializer='ones', beta_regularizer=None, gamma_regularizer=None, "
                             "beta_constraint=None, gamma_constraint=None, **kwargs")
def group_norm(c: Ctx) -> None:
    """GroupNormalization: the channels split into groups (-1: one per channel); γ and β per channel."""
    groups, axis, center, scale = const(c, "groups"), axis_arg(c), flag(c, "center"), flag(c, "scale")
    c.macs = 0
    valid = isinstance(groups, int) and not isinstance(groups, bool) and (groups > 0 or groups == -1)
    if groups is RUNTIME:
        groups = None
    elif not valid:
        c.error("SL109", f"GroupNormalization: groups={groups!r} must be a positive integer (or -1)")
        groups = None
    s = arriving(c)
    c.out = s
    if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int)):
        c.error("SL108", f"GroupNormalization: axis={axis!r} must be one integer")
        axis = None
    sizes = axes_sizes(c, s, axis) if s is not None and axis is not None else None
    if sizes is None or groups is None or None in (center, scale):
        unknown_params(c)
        return
    C = sizes[0]
    g = C if groups == -1 else groups
    if C < g or C % g:
        c.error("SL107", f"GroupNormalization: the {C} channels cannot be split into groups={g}", related_to_input=True)
        unknown_params(c)
        return
    per = int(center) + int(scale)
    c.set_params(per * C, f"{per}·{C} = {num(per * C)}")


@layer("UnitNormalization", "axis=-1, **kwargs")
def unit_norm(c: Ctx) -> None:
    """UnitNormalization: shape-preserving, no weights."""
    axis = axis_arg(c)
    no_weights(c)
    s = arriving(c)
    c.out = s
    if s is not None and axis is not None:
        axes_sizes(c, s, axis, need_sizes=False)


@layer("Normalization", "axis=-1, mean=None, variance=None, invert=False, **kwargs")
def normalization(c: Ctx) -> None:
    """Normalization (preprocessing): mean and variance per kept axis plus a count, all non-trainable;
    no weights when mean= and variance= are given."""
    axis, mean, var = c.known("axis"), c.arg("mean"), c.arg("variance")
    no_weights(c)
    if (mean is None) != (var is None):
        c.error("SL108", "Normalization: mean and variance must both be given, or neither")
    s = arriving(c)
    c.out = s
    if s is None or is_unknown_arg(c, "axis"):
        unknown_params(c)
        return
    if mean is not None:
        return
    if axis is not None and not isinstance(axis, (int, tuple, list)):
        c.error("SL108", f"Normalization: axis={axis!r} must be None, an int or a tuple of ints")
        unknown_params(c)
        return
    kept = [] if axis is None else [axis] if isinstance(axis, int) else list(axis)
    axes = normalize_axes(c, kept, len(s))
    if axes is not None and len(set(axes)) != len(axes):
        c.error("SL108", f"Normalization: axis={axis!r} names an axis twice (Keras fails reshaping the statistics)")
        axes = None
    sizes = [sized(c, s[a], f"kept axis {a}") for a in sorted(axes)] if axes is not None else [None]
    if None in sizes:
        unknown_params(c)
        return
    n = math.prod(sizes)
    c.set_params(0, non_trainable=2 * n + 1,
                 nt_formula=f"2·{prod_text(sizes) if sizes else 1} + 1 = {num(2 * n + 1)} (mean, variance, count)")


# ---------------------------------------------------------------- embedding and recurrent

@layer("Embedding", "input_dim, output_dim, embeddings_initializer='uniform', embeddings_regularizer=None, "
                    "embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None, "
                    "quantization_config=None, **kwargs", accepts=frozenset({"input_length"}))
def embedding(c: Ctx) -> None:
    """Embedding lookup: (…) → (…, output_dim); params input_dim·output_dim."""
    n, d = positive(c, "input_dim"), positive(c, "output_dim")
    c.macs = 0
    if n and d:
        c.set_params(n * d, f"{n}·{d} = {num(n * d)}")
    else:
        unknown_params(c)
    s = arriving(c, any_rank=True)
    c.out = Shape.of(list(s.dims) + [d if d else UNKNOWN], s.open_rank) if s is not None else None


RNN_TAIL = ("dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, "
            "go_backwards=False, stateful=False, unroll=False")
RNN_SIGS = {
    "SimpleRNN": "units, activation='tanh', use_bias=True, kernel_initializer='glorot_uniform', "
                 "recurrent_initializer='orthogonal', bias_initializer='zeros', kernel_regularizer=None, "
                 "recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
                 "kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0, "
                 "recurrent_dropout=0.0, "
                 "return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False, "
                 "seed=None, **kwargs",
    "LSTM": "units, activation='tanh', recurrent_activation='sigmoid', use_bias=True, "
            "kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal', bias_initializer='zeros', "
            "unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, "
            "activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, "
            + RNN_TAIL + ", use_cudnn='auto', **kwargs",
    "GRU": "units, activation='tanh', recurrent_activation='sigmoid', use_bias=True, "
           "kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal', bias_initializer='zeros', "
           "kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
           "kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, "
           + RNN_TAIL + ", reset_after=True, use_cudnn='auto', **kwargs",
}
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
# How many state tensors return_state=True returns after the output (LSTM: h and c).
STATES = {"LSTM": 2, "ConvLSTM1D": 2, "ConvLSTM2D": 2, "ConvLSTM3D": 2}
RNN_CALL = "sequences, initial_state=None, mask=None, training=False"


def rnn_output(c: Ctx, s: Shape, state: list) -> None:
    """(batch, T, …) → (batch, T, *state) with return_sequences, else (batch, *state). return_state
    makes the layer return a list, which a Sequential model cannot pass on as one tensor."""
    seqs, ret_state = flag(c, "return_sequences"), flag(c, "return_state")
    if flag(c, "stateful") and s[0] is None:
        c.error("SL110", f"{c.rule.name}: stateful=True needs a fixed batch size (keras.Input(..., batch_size=N)); "
                         f"the input {s.text()} has a dynamic batch", related_to_input=True)
    if seqs is None or ret_state is None:
        c.unknown_output("")
        return
    out = Shape.of([s[0], s[1]] + state if seqs else [s[0]] + state)
    if ret_state and c.called:
        # Called in a functional model: [output, *states], each state (batch, *one step's output).
        c.out = out
        c.outputs = [out] + [Shape.of([s[0]] + state)] * STATES.get(c.rule.name, 1)
        return
    if ret_state:
        c.unknown_output(f"return_state=True: {c.rule.name} returns a list [output {out.text()}, states…], "
                         f"not one tensor")
        c.info("SL002", f"{c.rule.name}(return_state=True) returns a list of tensors: in a Sequential model a "
                        f"following layer receives all of them and Keras raises")
        return
    c.out = out


def rnn_params(c: Ctx, fin: int, units: int, bias: bool) -> None:
    gates = GATES[c.rule.name]
    core = gates * units * (fin + units)
    g = f"{gates}·" if gates > 1 else ""
    if not bias:
        c.set_params(core, f"{g}{units}·({fin} + {units}) = {num(core)} (no bias)")
        return
    two = c.rule.name == "GRU" and bool(flag(c, "reset_after"))
    total = core + (2 if two else 1) * gates * units
    c.set_params(total, f"{g}({units}·({fin} + {units}) + {'2·' if two else ''}{units}) = {num(total)}"
                 + ("  (reset_after=True: separate input and recurrent biases)" if two else ""))


def rnn(c: Ctx) -> None:
    """Recurrent layer on (batch, T, F). Params gates·(units·(F + units) + units): SimpleRNN 1 gate,
    LSTM 4, GRU 3 (reset_after=True, the default, has a second bias vector)."""
    units, bias = positive(c, "units"), flag(c, "use_bias")
    s = arriving(c)
    if s is None or not need_rank(c, 3):
        c.unknown_output("")
        unknown_weights(c)
        return
    rnn_output(c, s, [units if units else UNKNOWN])
    fin = sized(c, s[2], "the feature dimension")
    if fin is None or units is None or bias is None or (c.rule.name == "GRU" and flag(c, "reset_after") is None):
        unknown_weights(c)
        return
    rnn_params(c, fin, units, bias)
    gates = GATES[c.rule.name]
    macs_of(c, [s[1]], gates * units * (fin + units), f"{gates}·{units}·({fin} + {units})")


for _name, _sig in RNN_SIGS.items():
    layer(_name, _sig, accepts=frozenset({"zero_output_for_mask"}), call=RNN_CALL)(rnn)


CONV_LSTM_SIG = ("filters, kernel_size, strides=1, padding='valid', data_format=None, dilation_rate=1, "
                 "activation='tanh', recurrent_activation='sigmoid', use_bias=True, "
                 "kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal', bias_initializer='zeros', "
                 "unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, "
                 "activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, "
                 "dropout=0.0, "
                 "recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False, "
                 "stateful=False, **kwargs")


def conv_lstm(c: Ctx) -> None:
    """ConvLSTM on (batch, T, *spatial, C): per step a convolution of the input into 4·filters channels
    and a 'same' convolution of the state. Params k·Cin·4f + k·f·4f + 4f."""
    nd = c.rule.options["nd"]
    filters, bias = positive(c, "filters"), flag(c, "use_bias")
    k, dil = ktuple(c, "kernel_size", nd), ktuple(c, "dilation_rate", nd)
    strides = ktuple(c, "strides", nd, allow_zero=True)
    if strides and 0 in strides:  # accepted at construction; the output size then divides by it
        c.error("SL109", f"{c.rule.name}: strides={c.arg('strides')!r} contains 0")
        strides = None
    padding, fmt = conv_padding(c, causal_ok=False), data_format(c)
    stride_dilation_check(c, strides, dil)
    got = conv_input(c, nd, fmt, first=2)
    if got is None:
        unknown_weights(c)
        return
    s, ch, axes = got
    cin = sized(c, s[ch], "the input channel dimension")
    statics = [sized(c, s[a], "a spatial dimension") for a in axes]  # ConvLSTM needs static spatial sizes
    sp = spatial_out(c, s, axes, k, strides, dil, padding)
    step = list(s.dims[2:])  # one step: the input without batch and time
    for a, d in zip(axes, sp):
        step[a - 2] = d
    step[-1 if ch == -1 else 0] = filters if filters else UNKNOWN
    rnn_output(c, s, step)
    if k is None or cin is None or filters is None or bias is None or None in statics:
        unknown_weights(c)
        return
    kk, kt = math.prod(k), prod_text(k)
    total = kk * cin * 4 * filters + kk * filters * 4 * filters + (4 * filters if bias else 0)
    f4 = 4 * filters
    c.set_params(total, f"{kt}·{cin}·{f4} + {kt}·{filters}·{f4}" + (f" + {f4}" if bias else "") + f" = {num(total)}"
                 + f"  (4 gates · {filters} filters)")
    macs_of(c, [s[1]] + sp, kk * 4 * filters * (cin + filters), f"{kt}·4·{filters}·({cin} + {filters})")


for _nd in (1, 2, 3):
    layer(f"ConvLSTM{_nd}D", CONV_LSTM_SIG, nd=_nd, accepts=frozenset({"zero_output_for_mask", "unroll"}),
          call=RNN_CALL)(conv_lstm)


# ---------------------------------------------------------------- wrappers (a layer as argument)

def inner_layer(c: Ctx, name: str) -> Optional[BoundLayer]:
    """The wrapped layer: the engine passes a layer call given as an argument as a BoundLayer."""
    v = c.args.get(name)
    if isinstance(v, BoundLayer):
        return v
    if c.known(name) is not None:
        c.error("SL108", f"{c.rule.name}: {name}={v!r} is not a Keras layer")
    else:
        c.why_unknown(f"the wrapped layer `{name}` is not known statically")
    return None


def run_inner(c: Ctx, inner: BoundLayer, shape: Optional[Shape], **changes) -> Ctx:
    """Run the wrapped layer's rule on `shape`; its findings and reasons become the wrapper's. When the
    wrapper itself was called in a functional model, so is the wrapped layer (its several outputs count)."""
    args = dict(inner.args)
    args.update(changes)
    sub = Ctx(inner.rule, args, set(inner.given), shape, c.framework)
    sub.extra = dict(inner.extra or {})
    sig = inner.rule.call_signature
    if c.called and sig is not None and sig.params and shape is not None:
        sub.call = {sig.params[0].name: shape}
    inner.rule.infer(sub)
    for f in sub.findings:
        c.findings.append(Finding(f.code, f.severity, f"{c.rule.name}: {f.message}", f.related_to_input))
    for reason in sub.unknown:
        c.why_unknown(reason)
    return sub


def add_weights(c: Ctx, parts: list, text: str = "") -> None:
    if any(p.trainable is None or p.non_trainable is None for p in parts):
        unknown_weights(c)
        return
    c.trainable = sum(p.trainable for p in parts)
    c.non_trainable = sum(p.non_trainable for p in parts)
    c.macs = None if any(p.macs is None for p in parts) else sum(p.macs for p in parts)
    if text:
        c.formula("params", " + ".join(num(p.trainable + p.non_trainable) for p in parts)
                  + f" = {num(c.trainable + c.non_trainable)} ({text})")


MERGE_MODES = ("sum", "mul", "ave", "concat", None)


@layer("Bidirectional", "layer, merge_mode='concat', weights=None, backward_layer=None, **kwargs",
       call="sequences, initial_state=None, mask=None, training=None")
def bidirectional(c: Ctx) -> None:
    """Bidirectional RNN: a forward and a backward copy (or backward_layer), so twice the weights;
    merge_mode='concat' doubles the last axis, sum/mul/ave keep it, None returns both outputs as a list."""
    mode = c.arg("merge_mode")
    if is_unknown_arg(c, "merge_mode"):
        mode = UNKNOWN
    elif mode not in MERGE_MODES:
        c.error("SL108", f"Bidirectional: merge_mode={mode!r} must be one of 'sum', 'mul', 'ave', 'concat', None")
        mode = UNKNOWN
    fwd = inner_layer(c, "layer")
    bwd = fwd if c.arg("backward_layer") is None else inner_layer(c, "backward_layer")
    if fwd is None or bwd is None or not recurrent_only(c, [fwd, bwd]):
        c.unknown_output("")
        unknown_weights(c)
        return
    f = run_inner(c, fwd, c.inp)
    b = run_inner(c, bwd, c.inp, go_backwards=True) if bwd is fwd else run_inner(c, bwd, c.inp)
    same_config(c, f, b)
    c.formulas.extend((w, t) for w, t in f.formulas if w != "MACs")
    add_weights(c, [f, b], "forward + backward")
    if c.macs is not None:
        c.formula("MACs", f"{num(f.macs)} + {num(b.macs)} = {num(c.macs)} (forward + backward)")
    if f.out is None or b.out is None or mode == UNKNOWN:
        c.unknown_output("")
        return
    f_states = list(f.outputs[1:]) if f.outputs is not None else []
    if mode is None and c.called:
        # compute_output_shape: [forward, backward] and, with return_state, the forward layer's states twice.
        c.out = f.out
        c.outputs = [f.out, b.out] + f_states + f_states
        return
    if mode is None:
        c.unknown_output("merge_mode=None: Bidirectional returns a list [forward, backward], not one tensor")
        return
    last = f.out[-1]
    if mode == "concat":
        # Keras declares twice the forward layer's size (bidirectional.compute_output_shape), even when a
        # backward_layer of another size makes the real concatenation differ: later layers are built on it.
        last = dmap(last, lambda d: 2 * d)
        c.formula("shape", f"concat: 2·{dim_text(f.out[-1])} = {dim_text(last)}")
        if is_known(b.out[-1]) and b.out[-1] != f.out[-1]:
            c.formula("shape", f"(Keras declares {dim_text(last)} from the forward layer; at run time the "
                               f"concatenation is {f.out[-1]} + {b.out[-1]} = {f.out[-1] + b.out[-1]})")
    c.out = f.out.replace(len(f.out) - 1, last)
    if f_states:
        c.outputs = [c.out] + f_states + f_states


def same_config(c: Ctx, f: Ctx, b: Ctx) -> None:
    """bidirectional._verify_layer_config: opposite go_backwards; equal stateful, return_sequences, return_state.
    (Without backward_layer the backward copy is the forward config with go_backwards=True.)"""
    values = [(f.args.get(name), b.args.get(name)) for name in ("go_backwards", "stateful", "return_sequences",
                                                                 "return_state")]
    if any(isinstance(v, Unknown) for pair in values for v in pair):
        return
    (fg, bg), *rest = values
    if bool(fg) == bool(bg):
        c.error("SL108", f"Bidirectional: the forward and backward layers need different go_backwards "
                         f"(both are {bool(fg)})")
    for name, (fv, bv) in zip(("stateful", "return_sequences", "return_state"), rest):
        if bool(fv) != bool(bv):
            c.error("SL108", f"Bidirectional: the forward and backward layers must agree on {name}")


def recurrent_only(c: Ctx, parts: list) -> bool:
    """Bidirectional re-creates the layer with go_backwards=True: only recurrent layers have it."""
    for part in parts:
        if "go_backwards" not in {p.name for p in part.rule.signature.params}:
            c.error("SL108", f"Bidirectional wraps recurrent layers only; {part.rule.name} has no go_backwards "
                             f"(Keras raises)")
            return False
    return True


@layer("TimeDistributed", "layer, **kwargs", call="inputs, training=None, mask=None")
def time_distributed(c: Ctx) -> None:
    """TimeDistributed: the wrapped layer on every step of axis 1: (batch, T, …) → (batch, T, *inner)."""
    inner = inner_layer(c, "layer")
    s = arriving(c)
    if inner is None or s is None or not need_rank(c, 3, at_least=True):
        c.unknown_output("")
        unknown_weights(c)
        return
    sub = run_inner(c, inner, Shape.of([s[0]] + list(s.dims[2:])))
    add_weights(c, [sub])
    c.formulas.extend((w, t) for w, t in sub.formulas if w != "MACs")
    c.macs = sub.macs * s[1] if sub.macs is not None and is_known(s[1]) else (0 if sub.macs == 0 else None)
    if c.macs:
        c.formula("MACs", f"{s[1]} steps · {num(sub.macs)} = {num(c.macs)}")
    c.out = None if sub.out is None else Shape.of([sub.out[0], s[1]] + list(sub.out.dims[1:]))


# ---------------------------------------------------------------- padding, cropping, up-sampling

def pairs(c: Ctx, name: str, nd: int) -> Optional[list]:
    """ZeroPadding2D/3D and Cropping2D/3D: an int, or nd entries each an int or a pair (all >= 0)."""
    v = const(c, name)
    if v is RUNTIME:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 0:
            c.error("SL109", f"{c.rule.name}: {name}={v} cannot be negative")
            return None
        return [(v, v)] * nd
    if not isinstance(v, (tuple, list)) or len(v) != nd:
        c.error("SL108", f"{c.rule.name}: {name}={v!r} must be an int or {nd} entries")
        return None
    out = [as_tuple(c, f"{name} entry {i + 1}", e, 2, allow_zero=True) for i, e in enumerate(v)]
    return None if None in out else out


def grow_spatial(c: Ctx, nd: int, amounts: Optional[list], fmt: Optional[str], sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) before + after on each spatial axis."""
    no_weights(c)
    got = conv_input(c, nd, fmt)
    if got is None or amounts is None:
        c.unknown_output("")
        return
    s, ch, axes = got
    out = list(s.dims)
    op = "+" if sign > 0 else "−"
    for i, a in enumerate(axes):
        lo, hi = amounts[i]
        label = axis_label(nd, i)
        out[a] = dmap(s[a], lambda d: d + sign * (lo + hi))
        if sign < 0 and is_known(out[a]) and out[a] < 1:
            c.error("SL101", f"{c.rule.name}: cropping {lo} + {hi} leaves nothing of the {s[a]} on {label}",
                    related_to_input=True)
            out[a] = UNKNOWN
        elif is_known(out[a]):
            c.formula(label, f"{label}: {s[a]} {op} {lo} {op} {hi} = {out[a]}")
    c.out = Shape.of(out)


@layer("ZeroPadding1D", "padding=1, data_format=None, **kwargs")
def zero_padding1d(c: Ctx) -> None:
    """ZeroPadding1D: steps + left + right."""
    p = ktuple(c, "padding", 2, allow_zero=True)
    grow_spatial(c, 1, [p] if p else None, data_format(c), 1)


def zero_padding(c: Ctx) -> None:
    """ZeroPadding2D/3D: each spatial axis + before + after."""
    nd = c.rule.options["nd"]
    grow_spatial(c, nd, pairs(c, "padding", nd), data_format(c), 1)


layer("ZeroPadding2D", "padding=(1, 1), data_format=None, **kwargs", nd=2)(zero_padding)
layer("ZeroPadding3D", "padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs", nd=3)(zero_padding)


@layer("Cropping1D", "cropping=(1, 1), **kwargs")
def cropping1d(c: Ctx) -> None:
    """Cropping1D: steps − start − end (must stay ≥ 1)."""
    p = ktuple(c, "cropping", 2, allow_zero=True)
    grow_spatial(c, 1, [p] if p else None, "channels_last", -1)


def cropping(c: Ctx) -> None:
    """Cropping2D/3D: each spatial axis − before − after (must stay ≥ 1)."""
    nd = c.rule.options["nd"]
    grow_spatial(c, nd, pairs(c, "cropping", nd), data_format(c), -1)


layer("Cropping2D", "cropping=((0, 0), (0, 0)), data_format=None, **kwargs", nd=2)(cropping)
layer("Cropping3D", "cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs", nd=3)(cropping)


def up_sampling(c: Ctx) -> None:
    """UpSampling: each spatial axis times its size."""
    nd = c.rule.options["nd"]
    no_weights(c)
    if nd == 1:
        n = positive(c, "size")
        size, fmt = ((n,) if n else None), "channels_last"
    else:
        size, fmt = ktuple(c, "size", nd), data_format(c)
    got = conv_input(c, nd, fmt)
    if got is None or size is None:
        c.unknown_output("")
        return
    s, ch, axes = got
    out = list(s.dims)
    for i, a in enumerate(axes):
        out[a] = dmap(s[a], lambda d: d * size[i])
    c.out = Shape.of(out)


layer("UpSampling1D", "size=2, **kwargs", nd=1)(up_sampling)
layer("UpSampling2D", "size=(2, 2), data_format=None, interpolation='nearest', **kwargs", nd=2)(up_sampling)
layer("UpSampling3D", "size=(2, 2, 2), data_format=None, **kwargs", nd=3)(up_sampling)


# ---------------------------------------------------------------- image preprocessing

def resize(c: Ctx) -> None:
    """Resizing / CenterCrop: (height, width) replace the image axes. As in Keras, only a 4-D input is a
    batch of images; any other rank is read as one unbatched image (so (None, H, W) becomes (height,
    width, W)). CenterCrop takes 3-D or 4-D inputs only."""
    no_weights(c)
    h, w, fmt = c.known("height"), c.known("width"), data_format(c)
    s = arriving(c)
    if s is None or fmt is None:
        c.unknown_output("")
        return
    first = (1 if len(s) == 4 else 0) + (0 if fmt == "channels_last" else 1)
    if (c.rule.name == "CenterCrop" and len(s) not in (3, 4)) or first + 1 >= len(s):
        c.error("SL110", f"{c.rule.name} cannot take the {len(s)}-D input {s.text()}", related_to_input=True)
        c.unknown_output("")
        return
    c.out = s.replace(first, h if is_known(h) else UNKNOWN).replace(first + 1, w if is_known(w) else UNKNOWN)


layer("Resizing", "height, width, interpolation='bilinear', crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, "
                  "fill_mode='constant', fill_value=0.0, antialias=False, data_format=None, **kwargs",
      accepts=None)(resize)
layer("CenterCrop", "height, width, data_format=None, **kwargs", accepts=None)(resize)


@layer("RandomCrop", "height, width, seed=None, data_format=None, name=None, **kwargs", accepts=None)
def random_crop(c: Ctx) -> None:
    """RandomCrop: (height, width) replace the image axes (counted from the end, batched or not)."""
    no_weights(c)
    h, w, fmt = c.known("height"), c.known("width"), data_format(c)
    s = arriving(c)
    if s is None or fmt is None or not need_rank(c, 3 if fmt == "channels_last" else 2, at_least=True):
        c.unknown_output("")
        return
    first = len(s) - (3 if fmt == "channels_last" else 2)
    c.out = s.replace(first, h if is_known(h) else UNKNOWN).replace(first + 1, w if is_known(w) else UNKNOWN)


# ---------------------------------------------------------------- families in modules of their own

# Imported last: they register into CATALOG with the helpers above.
from . import keras_attention, keras_extra, keras_merge, keras_recurrent  # noqa: E402,F401
