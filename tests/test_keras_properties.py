"""Property tests against real Keras 3 (torch backend): random Conv1D/Conv2D and pooling configurations.

For each one the real layer is built in keras.Sequential([keras.Input(shape), layer]); shapelens must
report an error exactly when Keras raises (at construction or build), and otherwise the same output
shape (None batch) and the same weight count.
"""
from __future__ import annotations

import math
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from shapelens.analysis import analyze_source  # noqa: E402

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def real_layer(shape, src: str):
    """('ok', output shape, weight count) or ('error', message) from real Keras."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = eval(src, {"layers": keras.layers})
            keras.Sequential([keras.Input(shape=shape), layer])
        return "ok", tuple(layer.output.shape), sum(math.prod(w.shape) for w in layer.weights)
    except Exception as e:  # noqa: BLE001 - any failure is Keras rejecting the configuration
        return "error", f"{type(e).__name__}: {e}"


def static_layer(shape, src: str):
    text = f"import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape={shape!r}), {src}])\n"
    result = analyze_source(text)
    errors = [d.message for d in result.diagnostics if d.severity == "error"]
    return result.models[0].layers[-1], errors


def check_against_keras(shape, src: str) -> None:
    real = real_layer(shape, src)
    record, errors = static_layer(shape, src)
    if real[0] == "error":
        assert errors, f"Keras raises {real[1]!r} but shapelens reports no error for {src} on {shape}"
        return
    assert not errors, f"Keras accepts {src} on {shape} but shapelens reports {errors}"
    assert record.output_shape is not None, record.unknown_reasons
    assert record.output_shape.dims == real[1], (src, shape, record.formulas)
    assert record.params == real[2], (src, record.formulas)


def per_axis(nd: int, values) -> st.SearchStrategy:
    """An int (same on every axis) or a tuple with one value per axis."""
    return st.one_of(values, st.tuples(*[values] * nd)) if nd > 1 else values


@st.composite
def conv_case(draw):
    nd = draw(st.sampled_from([1, 2]))
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    # Mostly channel and filter counts that the groups divide, so that the shape rules get exercised too.
    cin = draw(st.sampled_from([groups * m for m in (1, 2, 3)] + [5]))
    filters = draw(st.sampled_from([groups * m for m in (1, 2, 4)] + [7]))
    spatial = tuple(draw(st.integers(1, 12)) for _ in range(nd))
    shape = spatial + (cin,) if fmt == "channels_last" else (cin,) + spatial
    args = {
        "filters": filters,
        "kernel_size": draw(per_axis(nd, st.integers(1, 6))),
        "strides": draw(per_axis(nd, st.sampled_from([1, 1, 2, 3]))),
        "padding": draw(st.sampled_from(["valid", "valid", "same", "causal"])),
        "data_format": fmt,
        "dilation_rate": draw(per_axis(nd, st.sampled_from([1, 1, 1, 2, 3]))),
        "groups": groups,
        "use_bias": draw(st.booleans()),
    }
    call = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return shape, f"layers.Conv{nd}D({call})"


@SETTINGS
@given(conv_case())
def test_conv_matches_keras(case):
    check_against_keras(*case)


@st.composite
def pool_case(draw):
    nd = draw(st.sampled_from([1, 2, 3]))
    kind = draw(st.sampled_from(["MaxPooling", "AveragePooling"]))
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    spatial = tuple(draw(st.integers(1, 12 if nd < 3 else 6)) for _ in range(nd))
    shape = spatial + (2,) if fmt == "channels_last" else (2,) + spatial
    args = {
        "pool_size": draw(per_axis(nd, st.integers(1, 5))),
        "strides": draw(st.one_of(st.none(), per_axis(nd, st.integers(1, 4)))),
        "padding": draw(st.sampled_from(["valid", "same"])),
        "data_format": fmt,
    }
    call = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return shape, f"layers.{kind}{nd}D({call})"


@SETTINGS
@given(pool_case())
def test_pooling_matches_keras(case):
    check_against_keras(*case)


@st.composite
def transposed_case(draw):
    nd = draw(st.sampled_from([1, 2]))
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    spatial = tuple(draw(st.integers(1, 10)) for _ in range(nd))
    shape = spatial + (3,) if fmt == "channels_last" else (3,) + spatial
    strides = draw(per_axis(nd, st.integers(1, 3)))
    args = {
        "filters": draw(st.integers(1, 5)),
        "kernel_size": draw(per_axis(nd, st.integers(1, 5))),
        "strides": strides,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "output_padding": draw(st.one_of(st.none(), st.none(), per_axis(nd, st.integers(0, 2)))),
        "data_format": fmt,
        "dilation_rate": draw(per_axis(nd, st.sampled_from([1, 1, 2]))),
    }
    call = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return shape, f"layers.Conv{nd}DTranspose({call})"


@SETTINGS
@given(transposed_case())
def test_conv_transpose_matches_keras(case):
    check_against_keras(*case)


@st.composite
def reshaping_case(draw):
    """Cropping / padding / up-sampling on random sizes, and Reshape to a random target with maybe one -1."""
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kind = draw(st.sampled_from(["Cropping2D", "ZeroPadding2D", "UpSampling2D", "Reshape"]))
    if kind == "Reshape":
        target = draw(st.lists(st.sampled_from([-1, 1, 2, 3, 4, 6, 9, 12]), min_size=1, max_size=3))
        return (h, w, 2), f"layers.Reshape({tuple(target)!r})"
    amount = st.integers(0, 5) if kind != "UpSampling2D" else st.integers(1, 3)
    arg = draw(st.one_of(amount, st.tuples(amount, amount),
                         st.tuples(st.tuples(amount, amount), st.tuples(amount, amount))
                         if kind != "UpSampling2D" else st.tuples(amount, amount)))
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    shape = (h, w, 2) if fmt == "channels_last" else (2, h, w)
    return shape, f"layers.{kind}({arg!r}, data_format={fmt!r})"


@SETTINGS
@given(reshaping_case())
def test_reshaping_matches_keras(case):
    check_against_keras(*case)


# ---------------------------------------------------------------- recurrent layers and attention

@st.composite
def recurrent_case(draw):
    """LSTM / GRU / SimpleRNN (or RNN over the matching cell) with random units, flags and input sizes; a
    feature size of None sometimes (Keras needs it to create the kernel)."""
    kind = draw(st.sampled_from(["LSTM", "GRU", "SimpleRNN"]))
    args = {"units": draw(st.integers(0, 6)), "use_bias": draw(st.booleans()),
            "return_sequences": draw(st.booleans()), "go_backwards": draw(st.booleans())}
    if kind == "GRU":
        args["reset_after"] = draw(st.booleans())
    call = ", ".join(f"{k}={v!r}" for k, v in args.items())
    shape = (draw(st.sampled_from([None, 1, 4, 7])), draw(st.sampled_from([1, 3, 5, 5, 5, None])))
    if draw(st.booleans()):
        cell_args = ", ".join(f"{k}={v!r}" for k, v in args.items() if k not in ("return_sequences", "go_backwards"))
        rnn_args = ", ".join(f"{k}={args[k]!r}" for k in ("return_sequences", "go_backwards"))
        return shape, f"layers.RNN(layers.{kind}Cell({cell_args}), {rnn_args})"
    return shape, f"layers.{kind}({call})"


@SETTINGS
@given(recurrent_case())
def test_recurrent_matches_keras(case):
    check_against_keras(*case)


@st.composite
def attention_case(draw):
    """MultiHeadAttention in a functional model: random heads, key/value dims, output_shape, bias, query, value
    and (sometimes) key sizes, and return_attention_scores."""
    heads, key_dim = draw(st.integers(0, 3)), draw(st.integers(1, 4))
    value_dim = draw(st.sampled_from([None, None, 2, 5]))
    out = draw(st.sampled_from([None, None, 3, (2, 2)]))
    args = f"{heads}, {key_dim}, value_dim={value_dim}, output_shape={out!r}, use_bias={draw(st.booleans())}"
    q = (draw(st.integers(1, 5)), draw(st.sampled_from([2, 4, 6])))
    v = (draw(st.integers(1, 5)), draw(st.sampled_from([2, 3, 4])))
    inputs = [q, v]
    if draw(st.booleans()):
        inputs.append((draw(st.sampled_from([v[0], v[0], v[0] + 1])), draw(st.sampled_from([2, 3]))))
    names = ", ".join(f"i{k}" for k in range(len(inputs)))
    if draw(st.booleans()):
        return tuple(inputs), f"layers.MultiHeadAttention({args})", \
            f"out, s = lay({names}, return_attention_scores=True)", ("out", "s")
    return tuple(inputs), f"layers.MultiHeadAttention({args})", f"out = lay({names})", ("out",)


@SETTINGS
@given(attention_case())
def test_multi_head_attention_matches_keras(case):
    from test_keras_catalog import check_functional

    check_functional(*case)
