"""Property tests: random layer hyper-parameters, the real torch layer as the judge.

For each drawn configuration the source text `nn.Sequential(<layer>)` is generated with a
`# shapelens: input=(...)` directive; the real layer is built and run on a tensor of that shape.
shapelens must report an error exactly when torch raises (at construction or in forward), and
otherwise the real output shape and parameter count.
"""
from __future__ import annotations

import warnings

import torch
import torch.nn as nn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.analysis import analyze_source

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def real_run(src: str, shape: tuple):
    """(output shape, parameter count), or the exception torch raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = eval(src, {"nn": nn})  # noqa: S307 - generated from drawn integers only
            y = m(torch.randn(shape))
        except Exception as e:  # noqa: BLE001 - any exception is torch rejecting the layer
            return e
    if isinstance(y, tuple):
        y = y[0]
    return tuple(y.shape), sum(p.numel() for p in m.parameters())


def agrees_with_torch(src: str, shape: tuple) -> None:
    text = f"import torch.nn as nn\n# shapelens: input={shape!r}\nmodel = nn.Sequential({src})\n"
    result = analyze_source(text, "prop.py")
    (record,) = result.models[0].layers
    assert not any("internal error" in r for r in record.unknown_reasons), record.unknown_reasons
    errors = [d.message for d in result.diagnostics if d.severity == "error"]
    real = real_run(src, shape)
    if isinstance(real, Exception):
        assert errors, f"torch raises {type(real).__name__}: {str(real)[:300]}; shapelens reports no error"
        return
    assert not errors, f"torch accepts (output {real[0]}), shapelens reports {errors}"
    out, params = real
    assert record.output_shape is not None and tuple(record.output_shape.dims) == out, record.formulas
    assert record.params == params


def per_axis(nd: int, lo: int, hi: int):
    """An int, or a tuple with one value per spatial axis."""
    return st.one_of(st.integers(lo, hi), st.tuples(*[st.integers(lo, hi)] * nd))


def input_shape(draw, channels: int, nd: int, max_size: int) -> tuple:
    sizes = tuple(draw(st.integers(1, max_size)) for _ in range(nd))
    batch = (draw(st.integers(1, 2)),) if draw(st.booleans()) else ()
    return batch + (channels,) + sizes


def maybe_wrong(draw, channels: int) -> int:
    """Usually the declared channels; sometimes one more (a mismatch torch rejects)."""
    return draw(st.sampled_from([channels] * 6 + [channels + 1]))


# ---------------------------------------------------------------- convolutions

@st.composite
def convs(draw):
    nd = draw(st.sampled_from([1, 2, 2, 3]))
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    cin, cout = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    padding = draw(st.one_of(per_axis(nd, 0, 3), st.sampled_from(["same", "valid"])))
    args = [f"{cin}, {cout}", f"kernel_size={draw(per_axis(nd, 1, 4))!r}", f"stride={draw(per_axis(nd, 1, 3))!r}",
            f"padding={padding!r}", f"dilation={draw(per_axis(nd, 1, 3))!r}", f"groups={groups}",
            f"bias={draw(st.booleans())}",
            f"padding_mode={draw(st.sampled_from(['zeros', 'zeros', 'reflect', 'replicate', 'circular']))!r}"]
    shape = input_shape(draw, maybe_wrong(draw, cin), nd, 8 if nd < 3 else 6)
    return f"nn.Conv{nd}d({', '.join(args)})", shape


@SETTINGS
@given(convs())
def test_conv_matches_torch(case):
    agrees_with_torch(*case)


@st.composite
def conv_transposes(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    args = [f"{cin}, {cout}", f"kernel_size={draw(per_axis(2, 1, 4))!r}", f"stride={draw(per_axis(2, 1, 3))!r}",
            f"padding={draw(per_axis(2, 0, 3))!r}", f"output_padding={draw(per_axis(2, 0, 2))!r}",
            f"groups={groups}", f"bias={draw(st.booleans())}", f"dilation={draw(per_axis(2, 1, 2))!r}"]
    shape = input_shape(draw, maybe_wrong(draw, cin), 2, 6)
    return f"nn.ConvTranspose2d({', '.join(args)})", shape


@SETTINGS
@given(conv_transposes())
def test_conv_transpose_matches_torch(case):
    agrees_with_torch(*case)


# ---------------------------------------------------------------- pooling

@st.composite
def max_pools(draw):
    nd = draw(st.sampled_from([1, 2, 2, 2, 3]))
    stride = draw(st.one_of(st.none(), per_axis(nd, 1, 3)))
    args = [f"kernel_size={draw(per_axis(nd, 1, 4))!r}", f"stride={stride!r}", f"padding={draw(per_axis(nd, 0, 3))!r}",
            f"dilation={draw(per_axis(nd, 1, 3))!r}", f"ceil_mode={draw(st.booleans())}"]
    shape = input_shape(draw, draw(st.integers(1, 3)), nd, 9 if nd < 3 else 6)
    return f"nn.MaxPool{nd}d({', '.join(args)})", shape


@SETTINGS
@given(max_pools())
def test_max_pool_matches_torch(case):
    agrees_with_torch(*case)


@st.composite
def avg_pools(draw):
    nd = draw(st.sampled_from([1, 2, 2, 2, 3]))
    stride = draw(st.one_of(st.none(), per_axis(nd, 1, 3)))
    args = [f"kernel_size={draw(per_axis(nd, 1, 4))!r}", f"stride={stride!r}", f"padding={draw(per_axis(nd, 0, 3))!r}",
            f"ceil_mode={draw(st.booleans())}", f"count_include_pad={draw(st.booleans())}"]
    if nd > 1:
        args.append(f"divisor_override={draw(st.sampled_from([None, None, 1, 3]))!r}")
    shape = input_shape(draw, draw(st.integers(1, 3)), nd, 9 if nd < 3 else 6)
    return f"nn.AvgPool{nd}d({', '.join(args)})", shape


@SETTINGS
@given(avg_pools())
def test_avg_pool_matches_torch(case):
    agrees_with_torch(*case)


# ---------------------------------------------------------------- padding layers and upsampling

@st.composite
def pads(draw):
    kind = draw(st.sampled_from(["Zero", "Reflection", "Replication", "Circular"]))
    nd = draw(st.integers(1, 3))
    if draw(st.booleans()):
        padding = draw(st.integers(-2, 4))
    else:  # torch passes any even-length tuple to F.pad, not only 2·nd values
        m = draw(st.sampled_from([nd, nd, nd, 1, 2, 3]))
        padding = tuple(draw(st.integers(-3, 4)) for _ in range(2 * m))
    rank = draw(st.integers(1, 5))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    pads_given = padding if isinstance(padding, tuple) else (padding,)
    if kind == "Circular" and len(pads_given) > 2 and any(p < 0 for p in pads_given):
        # torch 2.13 raises "unsupported operation" for some negative circular pads over 2-3 dims, depending
        # on how its copies overlap in memory (an implementation limit, not a shape rule): shapelens models
        # the one-dim case only (pad_axis), so these are not drawn
        padding = tuple(abs(p) for p in pads_given)
    return f"nn.{kind}Pad{nd}d({padding!r})", shape


@SETTINGS
@given(pads())
def test_padding_layers_match_torch(case):
    agrees_with_torch(*case)


@st.composite
def upsamples(draw):
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "area", "linear", "bilinear", "bicubic", "trilinear"]))
    rank = draw(st.integers(3, 5))
    nd = rank - 2
    if draw(st.booleans()):
        size = draw(st.one_of(st.integers(0, 9), st.tuples(*[st.integers(1, 9)] * draw(st.integers(1, 3)))))
        how = f"size={size!r}"
    else:
        factor = st.floats(0.1, 3.5, allow_nan=False).map(lambda f: round(f, 2))
        scale = draw(st.one_of(factor, st.tuples(*[factor] * draw(st.sampled_from([nd, nd, nd, 1])))))
        how = f"scale_factor={scale!r}"
    shape = (1, 2) + tuple(draw(st.integers(1, 7)) for _ in range(nd))
    return f"nn.Upsample({how}, mode={mode!r})", shape


@SETTINGS
@given(upsamples())
def test_upsample_matches_torch(case):
    agrees_with_torch(*case)


# ---------------------------------------------------------------- recurrent layers and attention

@st.composite
def recurrents(draw):
    """RNN/LSTM/GRU with random sizes, directions and layouts; sometimes 0 layers, a proj_size not below
    hidden_size, or a feature size other than input_size (torch raises for each)."""
    kind = draw(st.sampled_from(["RNN", "LSTM", "GRU"]))
    fin, h = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    batch_first = draw(st.booleans())
    args = [f"{fin}", f"{h}", f"num_layers={draw(st.sampled_from([1, 1, 2, 3, 0]))}",
            f"bias={draw(st.booleans())}", f"batch_first={batch_first}",
            f"bidirectional={draw(st.booleans())}"]
    if kind == "LSTM":
        args.append(f"proj_size={draw(st.sampled_from([0, 0, 1, 2, h]))}")
    if kind == "RNN":
        args.append(f"nonlinearity={draw(st.sampled_from(['tanh', 'relu']))!r}")
    features = draw(st.sampled_from([fin] * 5 + [fin + 1]))
    steps, batch = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    shape = draw(st.sampled_from([(steps, features), (batch, steps, features) if batch_first else
                                  (steps, batch, features)]))
    return f"nn.{kind}({', '.join(args)})", shape


@SETTINGS
@given(recurrents())
def test_recurrent_matches_torch(case):
    agrees_with_torch(*case)


@st.composite
def recurrents_with_state(draw):
    """An LSTM or GRU called with an initial state whose shape is usually right and sometimes off by one
    in one dim (torch checks (D·num_layers, N, H_out) exactly)."""
    from test_torch_catalog import mod, randn

    kind = draw(st.sampled_from(["LSTM", "GRU"]))
    fin, h, layers = draw(st.integers(1, 5)), draw(st.integers(2, 5)), draw(st.integers(1, 2))
    dirs, batch_first = draw(st.integers(1, 2)), draw(st.booleans())
    proj = draw(st.sampled_from([0, 1])) if kind == "LSTM" else 0
    extra = f", proj_size={proj}" if kind == "LSTM" else ""
    src = f"nn.{kind}({fin}, {h}, {layers}, batch_first={batch_first}, bidirectional={dirs == 2}{extra})"
    steps, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batched = draw(st.booleans())
    x = (n, steps, fin) if batch_first else (steps, n, fin)
    x = x if batched else (steps, fin)
    state = [layers * dirs] + ([n] if batched else []) + [proj or h]
    if draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, len(state) - 1))
        state[i] += 1
    cell = [layers * dirs] + ([n] if batched else []) + [h]
    if kind == "LSTM":
        return mod([src], ["out, (h, c) = self.l0(a0, (a1, a2))"], ["out", "h", "c"],
                   [randn(*x), randn(*state), randn(*cell)])
    return mod([src], ["out, h = self.l0(a0, a1)"], ["out", "h"], [randn(*x), randn(*state)])


def agrees_in_module(case) -> None:
    """The accept/reject decision comes from torch; check_module then compares every output shape and the
    parameters (or that shapelens reports an error)."""
    from dataclasses import replace

    from test_torch_catalog import check_module, real_module

    real = real_module(case)
    check_module(replace(case, accepted=not isinstance(real, Exception)))


@SETTINGS
@given(recurrents_with_state())
def test_recurrent_state_matches_torch(case):
    agrees_in_module(case)


@st.composite
def attentions(draw):
    """MultiheadAttention with random embed_dim/num_heads (divisible or not), kdim/vdim, bias_kv, zero_attn,
    layouts, and query/key/value sizes that usually fit."""
    from test_torch_catalog import mod, randn

    heads = draw(st.integers(1, 3))
    E = heads * draw(st.integers(1, 3)) + draw(st.sampled_from([0, 0, 0, 0, 1]))
    kdim = draw(st.sampled_from([None, None, 2, 3]))
    vdim = draw(st.sampled_from([None, None, 2, 4]))
    batch_first = draw(st.booleans())
    args = [f"{E}", f"{heads}", f"bias={draw(st.booleans())}", f"add_bias_kv={draw(st.booleans())}",
            f"add_zero_attn={draw(st.booleans())}", f"kdim={kdim}", f"vdim={vdim}", f"batch_first={batch_first}"]
    L, S, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    batched = draw(st.booleans())

    def shape(length, features):
        features = draw(st.sampled_from([features] * 6 + [features + 1]))
        if not batched:
            return (length, features)
        return (n, length, features) if batch_first else (length, n, features)
    q, k, v = shape(L, E), shape(S, kdim or E), shape(S, vdim or E)
    if draw(st.integers(0, 5)) == 0 and len(v) == 3:  # another sequence length for the value
        v = tuple(d + 1 if i == (1 if batch_first else 0) else d for i, d in enumerate(v))
    options = f"need_weights={draw(st.booleans())}, average_attn_weights={draw(st.booleans())}"
    outputs = ["out", "w"] if "need_weights=True" in options else ["out"]
    return mod([f"nn.MultiheadAttention({', '.join(args)})"], [f"out, w = self.l0(a0, a1, a2, {options})"],
               outputs, [randn(*q), randn(*k), randn(*v)])


@SETTINGS
@given(attentions())
def test_multihead_attention_matches_torch(case):
    agrees_in_module(case)
