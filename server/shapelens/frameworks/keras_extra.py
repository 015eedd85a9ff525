"""Keras layers beyond the common families (keras 3.15): adaptive pooling (pooling/base_adaptive_pooling.py),
preprocessing (preprocessing/{category_encoding,discretization,hashing,hashed_crossing,index_lookup,
text_vectorization,mel_spectrogram,stft_spectrogram}.py), SpectralNormalization, ReversibleEmbedding, Lambda, and
the image augmentation layers added after the catalog's first version.

The output shapes are those of each layer's compute_output_shape (what Keras declares for the next layer).
"""
from __future__ import annotations

import math
from typing import Any, Optional

from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from .base import BoundLayer, Ctx, num
from .keras_layers import (RUNTIME, arriving, const, dmap, inner_layer, layer, need_rank, no_weights, positive,
                           run_inner, same_shape, sized, unknown_weights)


# ---------------------------------------------------------------- adaptive pooling

def adaptive_pool(c: Ctx) -> None:
    """Adaptive pooling to a fixed output_size: (batch, *output_size, C) — channels_first (batch, C,
    *output_size) — whatever the input's spatial sizes (compute_output_shape reads only the batch and the
    channel axis)."""
    nd = c.rule.options["nd"]
    no_weights(c)
    size = const(c, "output_size")
    fmt = const(c, "data_format")
    if fmt is not RUNTIME and fmt is not None and fmt not in ("channels_first", "channels_last"):
        # BaseAdaptivePooling compares the string exactly (no lower-casing).
        c.error("SL108", f"{c.rule.name}: data_format={fmt!r} is not 'channels_first' or 'channels_last'")
        fmt = RUNTIME
    sizes = adaptive_sizes(c, nd, size)
    s = arriving(c)
    if s is None or sizes is None or fmt is RUNTIME or len(s) < 2:
        return c.unknown_output("")
    if fmt == "channels_first":
        c.out = Shape.of([s[0], s[1]] + list(sizes))
    else:
        c.out = Shape.of([s[0]] + list(sizes) + [s[-1]])


def adaptive_sizes(c: Ctx, nd: int, size: Any) -> Optional[tuple]:
    if size is RUNTIME:
        return None
    if isinstance(size, int) and not isinstance(size, bool):
        return (size,) * nd
    if isinstance(size, (tuple, list)) and len(size) == nd:
        return tuple(size)
    c.error("SL108", f"{c.rule.name}: output_size={size!r} must be an integer or a tuple of {nd} integer"
                     f"{'s' if nd > 1 else ''}")
    return None


for _nd in (1, 2, 3):
    for _kind in ("Average", "Max"):
        layer(f"Adaptive{_kind}Pooling{_nd}D", "output_size, data_format=None, **kwargs", nd=_nd)(adaptive_pool)


# ---------------------------------------------------------------- categorical preprocessing

def encoded(c: Ctx, s: Shape, mode: str, depth: Any) -> Shape:
    """The one_hot / multi_hot / count layouts shared by CategoryEncoding, Hashing, Discretization and the
    lookups: one_hot adds a depth axis (replacing a trailing 1), the others replace the last axis."""
    d = depth if depth is not None else UNKNOWN
    dims = list(s.dims)
    if mode == "one_hot":
        if len(dims) > 1 and dims[-1] == 1:
            return Shape.of(dims[:-1] + [d])
        return Shape.of(dims + [d])
    return Shape.of(dims[:-1] + [d])


@layer("CategoryEncoding", "num_tokens=None, output_mode='multi_hot', sparse=False, **kwargs",
       call="inputs, count_weights=None")
def category_encoding(c: Ctx) -> None:
    """Integer categories → one-hot (adds an axis of num_tokens), multi-hot or counts (the last axis becomes
    num_tokens; a 0-D input gives (num_tokens,)). No weights."""
    no_weights(c)
    mode = const(c, "output_mode")
    mode = "multi_hot" if mode == "binary" else mode
    if mode is not RUNTIME and mode not in ("count", "one_hot", "multi_hot"):
        c.error("SL108", f"CategoryEncoding: output_mode={mode!r} is not 'count', 'one_hot' or 'multi_hot'")
        mode = RUNTIME
    n = const(c, "num_tokens")
    if n is None:
        c.error("SL108", "CategoryEncoding: num_tokens must be set (if the number of tokens is not known beforehand, "
                         "use IntegerLookup)")
        n = RUNTIME
    elif n is not RUNTIME and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        c.error("SL109", f"CategoryEncoding: num_tokens={n!r} must be >= 1")
        n = RUNTIME
    s = arriving(c)
    if s is None or mode is RUNTIME or n is RUNTIME:
        return c.unknown_output("")
    if len(s) == 0:
        c.out = Shape.of([n])
    elif mode == "one_hot" and len(s) == 1:
        c.out = Shape.of([s[0], n])
    else:
        c.out = encoded(c, s, mode, n)


def output_mode(c: Ctx, allowed: tuple) -> Any:
    mode = const(c, "output_mode")
    if mode is not RUNTIME and mode not in allowed:
        c.error("SL108", f"{c.rule.name}: output_mode={mode!r} is not one of {', '.join(map(repr, allowed))}")
        return RUNTIME
    return mode


def sparse_int(c: Ctx, mode: Any) -> None:
    if mode == "int" and const(c, "sparse") is True:
        c.error("SL108", f"{c.rule.name}: sparse=True may only be used with output_mode 'one_hot', 'multi_hot' or "
                         f"'count'")


@layer("Hashing", "num_bins, mask_value=None, salt=None, output_mode='int', sparse=False, **kwargs")
def hashing(c: Ctx) -> None:
    """Hash values into num_bins bins: 'int' keeps the shape; the other modes put num_bins on the last axis
    (one_hot adds it). No weights. (Keras needs TensorFlow for this layer.)"""
    no_weights(c)
    n = const(c, "num_bins")
    if n is None or (n is not RUNTIME and (not isinstance(n, int) or n <= 0)):
        c.error("SL109", f"Hashing: num_bins={n!r} cannot be None or non-positive")
        n = RUNTIME
    mode = output_mode(c, ("int", "one_hot", "multi_hot", "count"))
    sparse_int(c, mode)
    s = arriving(c)
    if s is None or mode is RUNTIME or n is RUNTIME:
        return c.unknown_output("")
    if mode == "int":
        c.out = s
    elif len(s) == 0:
        c.out = Shape.of([n])
    else:
        c.out = Shape.of(list(s.dims[:-1]) + [n])  # Hashing.compute_output_shape: the last axis, also for one_hot


@layer("HashedCrossing", "num_bins, output_mode='int', sparse=False, name=None, dtype=None, **kwargs",
       call="inputs")
def hashed_crossing(c: Ctx) -> None:
    """Cross two categorical features into num_bins bins: [a, b] with equal last axes → a's shape ('int'), or
    num_bins on the last axis ('one_hot'). No weights. (Keras needs TensorFlow for this layer.)"""
    no_weights(c)
    n = positive(c, "num_bins")
    mode = output_mode(c, ("int", "one_hot"))
    v = c.call.get("inputs") if c.called else None
    if not isinstance(v, (list, tuple)):
        if c.inp is not None or isinstance(v, Shape):
            c.error("SL110", "HashedCrossing expects a list/tuple of 2 tensors", related_to_input=True)
        return c.unknown_output("")
    if len(v) != 2:
        c.error("SL110", f"HashedCrossing expects a list/tuple of 2 tensors, got {len(v)}", related_to_input=True)
        return c.unknown_output("")
    a, b = v
    if not isinstance(a, Shape) or not isinstance(b, Shape) or mode is RUNTIME or n is None:
        return c.unknown_output("")
    if a.dims and b.dims and a[-1] != b[-1] and UNKNOWN not in (a[-1], b[-1]):
        c.error("SL110", f"HashedCrossing expects the two inputs to have identical shapes, got {a.text()} and "
                         f"{b.text()}", related_to_input=True)
        return c.unknown_output("")
    if mode == "int":
        c.out = a
    elif a.dims and a[-1] != 1:
        c.out = Shape.of(list(a.dims) + [n])
    else:
        c.out = Shape.of(list(a.dims[:-1]) + [n])


LOOKUP_TAIL = "invert=False, output_mode='int'"
INTEGER_LOOKUP_SIG = ("max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None, "
                      "vocabulary_dtype='int64', idf_weights=None, invert=False, output_mode='int', sparse=False, "
                      "pad_to_max_tokens=False, oov_method='floormod', salt=None, name=None, **kwargs")
STRING_LOOKUP_SIG = ("max_tokens=None, num_oov_indices=1, mask_token=None, oov_token='[UNK]', vocabulary=None, "
                     "idf_weights=None, invert=False, output_mode='int', pad_to_max_tokens=False, sparse=False, "
                     "encoding='utf-8', name=None, salt=None, **kwargs")
LOOKUP_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def lookup_depth(c: Ctx, mode: str) -> Any:
    """index_lookup: max_tokens with pad_to_max_tokens, else the vocabulary size: the tokens, the OOV indices
    and, in 'int' mode, the mask token. Unknown when the vocabulary comes from adapt()."""
    if const(c, "pad_to_max_tokens") is True:
        m = const(c, "max_tokens")
        return m if isinstance(m, int) else None
    vocab, oov, mask = const(c, "vocabulary"), const(c, "num_oov_indices"), const(c, "mask_token")
    if not isinstance(vocab, (list, tuple)) or not isinstance(oov, int):
        c.why_unknown("the vocabulary size is only known after adapt() or from a file")
        return None
    return len(vocab) + oov + (1 if mask is not None and mode == "int" else 0)


def lookup(c: Ctx) -> None:
    """Map tokens to indices: 'int' keeps the shape; one_hot adds an axis of the vocabulary size (replacing a
    trailing 1); multi_hot, count and tf_idf replace the last axis by it. No weights (the vocabulary is a
    lookup table, not a weight). (Keras needs TensorFlow for this layer.)"""
    no_weights(c)
    m = const(c, "max_tokens")
    if isinstance(m, int) and not isinstance(m, bool) and m <= 1:
        c.error("SL109", f"{c.rule.name}: max_tokens={m} must be greater than 1 (or None)")
    mode = output_mode(c, LOOKUP_MODES)
    if mode not in (RUNTIME, "int", "one_hot") and const(c, "invert") is True:
        c.error("SL108", f"{c.rule.name}: invert=True only works with output_mode='int'")
    if mode == "tf_idf" and const(c, "idf_weights") is None and not isinstance(const(c, "vocabulary"), str):
        c.why_unknown("tf_idf needs idf_weights (or adapt())")
    if const(c, "pad_to_max_tokens") is True and const(c, "max_tokens") is None:
        c.error("SL108", f"{c.rule.name}: pad_to_max_tokens=True needs max_tokens")
    s = arriving(c)
    if s is None or mode is RUNTIME:
        return c.unknown_output("")
    if mode == "int":
        c.out = s
        return
    c.out = encoded(c, s, mode, lookup_depth(c, mode))


layer("IntegerLookup", INTEGER_LOOKUP_SIG)(lookup)
layer("StringLookup", STRING_LOOKUP_SIG)(lookup)


@layer("TextVectorization", "max_tokens=None, standardize='lower_and_strip_punctuation', split='whitespace', "
                            "ngrams=None, output_mode='int', output_sequence_length=None, pad_to_max_tokens=False, "
                            "vocabulary=None, idf_weights=None, sparse=False, ragged=False, encoding='utf-8', "
                            "name=None, **kwargs")
def text_vectorization(c: Ctx) -> None:
    """Strings → token indices (batch, output_sequence_length) in 'int' mode (None without a length); the other
    modes give (…, vocabulary size) as the lookups do, max_tokens with pad_to_max_tokens. No weights. (Keras
    needs TensorFlow for this layer.)"""
    no_weights(c)
    mode = output_mode(c, LOOKUP_MODES)
    length = const(c, "output_sequence_length")
    if length is not None and length is not RUNTIME and mode not in ("int", RUNTIME):
        c.error("SL108", "TextVectorization: output_sequence_length can only be set with output_mode='int'")
    s = arriving(c)
    if s is None or mode is RUNTIME:
        return c.unknown_output("")
    if mode == "int":
        c.out = Shape.of([s[0] if len(s) else None, length if isinstance(length, int) else None])
        return
    split = const(c, "split")
    dims = list(s.dims) + ([1] if split is None and len(s) <= 1 else [] if split is None else [None])
    depth = const(c, "max_tokens") if const(c, "pad_to_max_tokens") is True else None
    if depth is None:
        c.why_unknown("the vocabulary size is only known after adapt() (or with pad_to_max_tokens=True)")
    c.out = encoded(c, Shape.of(dims), mode, depth)


@layer("Discretization", "bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode='int', sparse=False, "
                         "dtype=None, name=None")
def discretization(c: Ctx) -> None:
    """Bucket values by bin_boundaries (len + 1 bins) or num_bins: 'int' keeps the shape; one_hot adds a depth
    axis; multi_hot and count give (batch, *rest, depth) without axis 1. No weights."""
    no_weights(c)
    mode = output_mode(c, ("int", "one_hot", "multi_hot", "count"))
    sparse_int(c, mode)
    bounds, n = const(c, "bin_boundaries"), const(c, "num_bins")
    if isinstance(n, int) and n < 0:
        c.error("SL109", f"Discretization: num_bins={n} must be >= 0")
    if n is not None and n is not RUNTIME and bounds is not None and bounds is not RUNTIME:
        c.error("SL108", "Discretization: both num_bins and bin_boundaries are set; give one")
    elif n is None and bounds is None:
        c.error("SL108", "Discretization: set either num_bins or bin_boundaries")
    s = arriving(c)
    if s is None or mode is RUNTIME:
        return c.unknown_output("")
    if mode == "int":
        c.out = s
        return
    depth = len(bounds) + 1 if isinstance(bounds, (list, tuple)) else n if isinstance(n, int) else None
    d = depth if depth is not None else UNKNOWN
    if mode == "one_hot":
        c.out = encoded(c, s, mode, depth)
    elif len(s) >= 2:
        c.out = Shape.of([s[0]] + list(s.dims[2:]) + [d])
    else:
        c.out = Shape.of([d])


# ---------------------------------------------------------------- audio

@layer("MelSpectrogram", "fft_length=2048, sequence_stride=512, sequence_length=None, window='hann', "
                         "sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True, "
                         "top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs")
def mel_spectrogram(c: Ctx) -> None:
    """Audio (batch, samples) → (batch, num_mel_bins, ⌊(samples + stride + 1) / stride⌋). No weights."""
    no_weights(c)
    fft, stride, mels = const(c, "fft_length"), positive(c, "sequence_stride"), const(c, "num_mel_bins")
    length = const(c, "sequence_length")
    length = fft if length is None else length
    if all(isinstance(x, int) for x in (fft, length)) and fft < length:
        c.error("SL109", f"MelSpectrogram: fft_length={fft} must be at least sequence_length={length}")
    s = arriving(c)
    if s is None or stride is None or mels is RUNTIME:
        return c.unknown_output("")
    t = s[0] if len(s) == 1 else s[1] if len(s) > 1 else None
    frames = dmap(t, lambda d: (d + stride + 1) // stride)
    if is_known(t):
        c.formula("shape", f"frames: ⌊({t} + {stride} + 1) / {stride}⌋ = {frames}")
    c.out = Shape.of([mels, frames] if len(s) == 1 else [s[0], mels, frames])


STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def stft_options(c: Ctx) -> Optional[tuple]:
    """STFTSpectrogram.__init__'s checks; (mode, frame, step, fft, padding, expand_dims, data_format) with the
    defaults filled in (frame_step frame_length // 2, fft_length the next power of 2), or None."""
    mode, frame, step, fft = (const(c, n) for n in ("mode", "frame_length", "frame_step", "fft_length"))
    padding, expand, fmt = const(c, "padding"), const(c, "expand_dims"), const(c, "data_format")
    ints = isinstance(frame, int) and not isinstance(frame, bool)
    if ints and step is not None and step is not RUNTIME and (step > frame or step < 1):
        c.error("SL109", f"STFTSpectrogram: frame_step={step} should be a positive integer not greater than "
                         f"frame_length={frame}")
    if ints and isinstance(fft, int) and fft < frame:
        c.error("SL109", f"STFTSpectrogram: fft_length={fft} should be not less than frame_length={frame}")
    if mode is not RUNTIME and mode not in STFT_MODES:
        c.error("SL108", f"STFTSpectrogram: mode={mode!r} is not one of {', '.join(STFT_MODES)}")
    if padding is not RUNTIME and padding not in ("valid", "same"):
        c.error("SL108", f"STFTSpectrogram: padding={padding!r} should be 'valid' or 'same'")
    scaling = const(c, "scaling")
    if scaling is not RUNTIME and scaling not in (None, "density", "spectrum"):
        c.error("SL108", f"STFTSpectrogram: scaling={scaling!r} should be None, 'density' or 'spectrum'")
    if not ints or mode not in STFT_MODES or padding not in ("valid", "same") or RUNTIME in (step, fft, expand, fmt):
        return None
    return (mode, frame, step or frame // 2, fft or 2 ** int(math.ceil(math.log2(frame))), padding, expand, fmt)


@layer("STFTSpectrogram", "mode='log', frame_length=256, frame_step=None, fft_length=None, window='hann', "
                          "periodic=False, scaling='density', padding='valid', expand_dims=False, data_format=None, "
                          "**kwargs")
def stft_spectrogram(c: Ctx) -> None:
    """Audio (batch, samples, channels) → (batch, frames, freq·channels), freq = fft_length // 2 + 1 (twice that
    for mode='stft'); frames as a convolution of frame_length with stride frame_step (default frame_length // 2).
    Weights: the real and imaginary STFT kernels (frame_length, 1, freq) — one of them for 'real' / 'imag'."""
    opts = stft_options(c)
    if opts is None:
        unknown_weights(c)
        return c.unknown_output("")
    mode, frame, step, fft, padding, expand, fmt = opts
    freq = fft // 2 + 1
    kernels = (mode != "imag") + (mode != "real")
    total = kernels * frame * freq
    c.set_params(total, f"{kernels}·{frame}·1·{freq} = {num(total)} (STFT kernels)")
    c.macs = None
    first = (fmt or "channels_last") == "channels_first"
    if not need_rank(c, 3):
        return c.unknown_output("")
    s = arriving(c)
    if s is None:
        return c.unknown_output("")
    t, ch = (s[2], s[1]) if first else (s[1], s[2])
    freq_out = freq * 2 if mode == "stft" else freq
    frames = dmap(t, lambda d: (d - 1) // step + 1 if padding == "same" else (d - frame) // step + 1)
    if is_known(frames) and frames < 1:
        c.error("SL101", f"STFTSpectrogram: the input's {t} samples are fewer than frame_length={frame}",
                related_to_input=True)
        return c.unknown_output("")
    if is_known(t):
        c.formula("shape", f"frames: ⌊({t} − {'1' if padding == 'same' else frame}) / {step}⌋ + 1 = {frames}")
    if expand:
        c.out = Shape.of([s[0], ch, frames, freq_out] if first else [s[0], frames, freq_out, ch])
    else:
        chans = dmap(ch, lambda d: d * freq_out)
        c.out = Shape.of([s[0], chans, frames] if first else [s[0], frames, chans])


# ---------------------------------------------------------------- wrappers and embeddings

def kernel_last_dim(c: Ctx, inner: Ctx) -> Optional[int]:
    """The last dimension of the wrapped layer's `kernel` (or `embeddings`), which SpectralNormalization's
    vector_u is sized by: Dense units, Conv filters (ConvTranspose: input channels), Embedding output_dim,
    EinsumDense the last kernel axis."""
    name = inner.rule.name
    a = inner.args
    if name in ("Dense", "EinsumDense") or name.startswith(("Conv", "Convolution")) and "Transpose" not in name \
            and "LSTM" not in name:
        if name == "EinsumDense":
            return None
        v = a.get("units", a.get("filters"))
        return v if isinstance(v, int) else None
    if name in ("Embedding", "ReversibleEmbedding"):
        v = a.get("output_dim")
        return v if isinstance(v, int) else None
    if "Transpose" in name and inner.inp is not None and not inner.inp.open_rank:
        fmt = a.get("data_format")
        ch = inner.inp[1] if fmt == "channels_first" else inner.inp[-1]
        return ch if is_known(ch) else None
    return None


HAS_KERNEL = ("Dense", "EinsumDense", "Embedding", "ReversibleEmbedding")


@layer("SpectralNormalization", "layer, power_iterations=1, **kwargs", call="inputs, training=False")
def spectral_normalization(c: Ctx) -> None:
    """Spectral normalisation of a layer's kernel: the wrapped layer's shape and weights, plus a non-trainable
    vector_u (1, kernel's last dimension). The layer must have a `kernel` or `embeddings` weight."""
    p = const(c, "power_iterations")
    if isinstance(p, (int, float)) and not isinstance(p, bool) and p <= 0:
        c.error("SL109", f"SpectralNormalization: power_iterations={p} should be greater than zero")
    inner = inner_layer(c, "layer")
    if inner is None:
        unknown_weights(c)
        return c.unknown_output("")
    name = inner.rule.name
    conv = name.startswith(("Conv", "Convolution")) and "LSTM" not in name
    if name not in HAS_KERNEL and not conv:
        c.error("SL108", f"SpectralNormalization: {name} has no attribute 'kernel' nor 'embeddings' (Keras raises "
                         f"when it is built)")
        unknown_weights(c)
        return c.unknown_output("")
    sub = run_inner(c, inner, c.inp)
    c.out, c.out_origin = sub.out, sub.out_origin
    n = kernel_last_dim(c, sub)
    if sub.trainable is None or sub.non_trainable is None or n is None:
        return unknown_weights(c)
    c.trainable, c.non_trainable, c.macs = sub.trainable, sub.non_trainable + n, sub.macs
    c.formulas.extend((w, t) for w, t in sub.formulas if w != "non-trainable")
    c.formula("non-trainable", f"1·{n} = {n} (vector_u)")


@layer("ReversibleEmbedding", "input_dim, output_dim, tie_weights=True, embeddings_initializer='uniform', "
                              "embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, "
                              "reverse_dtype=None, logit_soft_cap=None, **kwargs",
       call="inputs, reverse=False", accepts=frozenset({"weights", "lora_rank", "lora_alpha", "quantization_config",
                                                        "input_length"}))
def reversible_embedding(c: Ctx) -> None:
    """An Embedding that can also project back: (…) → (…, output_dim), or with reverse=True (…, output_dim) →
    (…, input_dim). Weights input_dim·output_dim, plus output_dim·input_dim reverse_embeddings when
    tie_weights=False."""
    n, d, tie = positive(c, "input_dim"), positive(c, "output_dim"), const(c, "tie_weights")
    c.macs = 0
    if n is None or d is None or tie is RUNTIME:
        unknown_weights(c)
    elif tie:
        c.set_params(n * d, f"{n}·{d} = {num(n * d)}")
    else:
        c.set_params(2 * n * d, f"{n}·{d} + {d}·{n} = {num(2 * n * d)} (embeddings, reverse_embeddings)")
    s = arriving(c, any_rank=True)
    if s is None:
        return c.unknown_output("")
    if c.call_arg("reverse") is True:
        c.out = s.replace(len(s) - 1, n if n else UNKNOWN) if len(s) else None
        return
    c.out = Shape.of(list(s.dims) + [d if d else UNKNOWN], s.open_rank)


@layer("Lambda", "function, output_shape=None, mask=None, arguments=None, **kwargs",
       call="inputs, mask=None, training=None")
def lambda_layer(c: Ctx) -> None:
    """A function of the input: its shape is unknown unless output_shape= is given ((batch,) + output_shape, the
    batch taken from the first input). No weights."""
    no_weights(c)
    shape = const(c, "output_shape")
    s = arriving(c, any_rank=True)
    if shape is None or shape is RUNTIME:
        return c.unknown_output("the Lambda's function is not run by the analysis: give output_shape= to see "
                                "its shape")
    if not isinstance(shape, tuple):
        # Lambda.compute_output_shape concatenates (batch,) + output_shape: only a tuple works.
        c.error("SL108", f"Lambda: output_shape={shape!r} must be a tuple (Keras computes (batch,) + output_shape)")
        return c.unknown_output("")
    batch = s[0] if s is not None and len(s) else None
    c.out = Shape.of([batch] + [d if d is None or isinstance(d, int) else UNKNOWN for d in shape])


# ---------------------------------------------------------------- image augmentation

# Shape-preserving augmentation layers; their base class takes more keywords than listed (accepts=None).
_AUGMENT = {
    "AugMix": "value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True, "
              "interpolation='bilinear', seed=None, data_format=None, **kwargs",
    "AutoContrast": "value_range=(0, 255), **kwargs",
    "ContrastLimitedAdaptiveHistogramEqualization": "value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), "
                                                    "data_format=None, **kwargs",
    "CutMix": "factor=1.0, seed=None, data_format=None, **kwargs",
    # Keras 3.15's Equalization returns its input in a symbolic call, which makes any model built with it
    # raise "part of a cycle"; applied to data it keeps the shape, which is what this entry says.
    "Equalization": "value_range=(0, 255), bins=256, data_format=None, **kwargs",
    "MixUp": "alpha=0.2, data_format=None, seed=None, **kwargs",
    "RandAugment": "value_range=(0, 255), num_ops=2, factor=0.5, interpolation='bilinear', seed=None, "
                   "data_format=None, **kwargs",
    "Solarization": "addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs",
    # Bounding boxes are capped at max_number; the images pass unchanged.
    "MaxNumBoundingBoxes": "max_number, fill_value=-1, **kwargs",
}
for _name, _sig in _AUGMENT.items():
    layer(_name, _sig, accepts=None, call="data, training=True")(same_shape)


@layer("Pipeline", "layers, name=None", call="inputs, training=True, mask=None")
def pipeline(c: Ctx) -> None:
    """A sequence of preprocessing layers applied in order (not a Layer's model: no weights of its own)."""
    items = c.args.get("layers")
    if not isinstance(items, (list, tuple)) or not all(isinstance(x, BoundLayer) for x in items):
        c.why_unknown("the pipeline's layers are not known statically")
        unknown_weights(c)
        return c.unknown_output("")
    shape, parts = c.inp, []
    for inner in items:
        sub = run_inner(c, inner, shape)
        parts.append(sub)
        shape = sub.out
    c.out = shape
    if any(p.trainable is None for p in parts):
        return unknown_weights(c)
    c.set_params(sum(p.trainable for p in parts), non_trainable=sum(p.non_trainable for p in parts))
    c.macs = 0
