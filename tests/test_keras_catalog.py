"""The Keras catalog against real Keras 3 (torch backend).

(a) every entry's signature is the real constructor's (names, order, defaults, **kwargs);
(b) differential: each configuration is built for real as keras.Sequential([keras.Input(shape), layer])
    and its output shape (None batch) and trainable / non-trainable weight counts are compared with what
    shapelens reports for the same source text;
(c) configurations Keras rejects (at construction or build) give an error-level diagnostic; those it
    accepts give none.
Also the Keras seed article's MLP and CNN, whose numbers are hand-written constants from the article.
"""
from __future__ import annotations

import inspect
import math
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import pytest  # noqa: E402

from shapelens.analysis import analyze_source  # noqa: E402
from shapelens.frameworks import base  # noqa: E402
from shapelens.frameworks.keras_layers import CATALOG  # noqa: E402

layers = keras.layers
HEADER = "import keras\nfrom keras import layers\n"
BASE_LAYER_KWARGS = {"activity_regularizer", "trainable", "dtype", "autocast", "name", "input_shape", "input_dim"}


# ---------------------------------------------------------------- running both sides

def weight_count(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def build_keras(shape, layer_src: str, batch_size=None):
    """('ok', output shape, trainable, non-trainable) of the real layer, or ('error', message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lay = eval(layer_src, {"layers": layers, "keras": keras})
            model = keras.Sequential([keras.Input(shape=shape, batch_size=batch_size), lay])
        out = model.layers[-1].output
        out = [tuple(o.shape) for o in out] if isinstance(out, (list, tuple)) else tuple(out.shape)
        return "ok", out, weight_count(lay.trainable_weights), weight_count(lay.non_trainable_weights)
    except Exception as e:  # noqa: BLE001 - any failure is Keras rejecting the configuration
        return "error", f"{type(e).__name__}: {e}"


def source_of(shape, layer_src: str, batch_size=None) -> str:
    batch = f", batch_size={batch_size}" if batch_size is not None else ""
    return HEADER + f"model = keras.Sequential([keras.Input(shape={tuple(shape)!r}{batch}), {layer_src}])\n"


def run_static(shape, layer_src: str, batch_size=None):
    """(the layer's LayerRecord, error-level diagnostics) from shapelens."""
    result = analyze_source(source_of(shape, layer_src, batch_size))
    assert len(result.models) == 1, result.as_dict()
    record = result.models[0].layers[-1]
    errors = [d for d in result.diagnostics if d.severity == "error"]
    return record, errors


def assert_matches_keras(shape, layer_src: str, batch_size=None) -> None:
    real = build_keras(shape, layer_src, batch_size)
    record, errors = run_static(shape, layer_src, batch_size)
    assert real[0] == "ok", f"Keras rejects {layer_src} on {shape}: {real[1]}"
    assert not errors, [e.message for e in errors]
    _, out, trainable, non_trainable = real
    if isinstance(out, list):  # a list of tensors (return_state, merge_mode=None): the record shows the first
        assert record.output_shape is not None and record.output_shape.dims == out[0], record.unknown_reasons
    else:
        assert record.output_shape is not None, record.unknown_reasons
        assert record.output_shape.dims == out
    assert (record.trainable, record.non_trainable) == (trainable, non_trainable), record.formulas


def assert_rejected_by_both(shape, layer_src: str, batch_size=None) -> None:
    real = build_keras(shape, layer_src, batch_size)
    assert real[0] == "error", f"Keras accepts {layer_src} on {shape}: {real}"
    _, errors = run_static(shape, layer_src, batch_size)
    assert errors, f"shapelens reports no error where Keras raises {real[1]}"


# ---------------------------------------------------------------- (b) configurations Keras accepts

ACCEPTED = [
    # Dense / EinsumDense
    ((20,), "layers.Dense(8)"),
    ((5, 7), "layers.Dense(3, use_bias=False)"),
    ((5, 7), "layers.Dense(3, use_bias=None)"),
    ((10, 3), "layers.LSTM(4, return_sequences=None)"),
    ((2, 3, 4), "layers.Dense(6, activation='relu')"),
    ((None, 5), "layers.Dense(4)"),
    ((10,), "layers.Dense(units=7, trainable=False)"),
    ((5, 3), "layers.EinsumDense('abc,cd->abd', output_shape=(5, 7), bias_axes='d')"),
    ((5, 3), "layers.EinsumDense('abc,cd->abd', output_shape=(None, 7))"),
    ((5, 3), "layers.EinsumDense('...c,cd->...d', output_shape=7, bias_axes='d')"),
    ((5, 3), "layers.EinsumDense('ab,bc->ac', output_shape=7)"),
    ((4, 6), "layers.EinsumDense('abc,cde->abde', output_shape=(4, 2, 3), bias_axes='de')"),
    ((4, 6), "layers.EinsumDense('abc,cde->abde', output_shape=(None, 2, 3), bias_axes='e')"),
    # Conv1D/2D/3D
    ((10, 3), "layers.Conv1D(4, 3)"),
    ((10, 3), "layers.Conv1D(4, 3, padding='causal', dilation_rate=2)"),
    ((11, 3), "layers.Conv1D(4, 3, strides=2, padding='same')"),
    ((11, 4), "layers.Conv1D(6, 3, strides=3, groups=2)"),
    ((4, 12), "layers.Conv1D(8, 5, data_format='channels_first', use_bias=False)"),
    ((None, 3), "layers.Conv1D(4, 3)"),
    ((10, 3), "layers.Convolution1D(2, 10)"),
    ((28, 28, 1), "layers.Conv2D(32, 5)"),
    ((28, 28, 1), "layers.Conv2D(32, (5, 3), strides=(2, 1))"),
    ((28, 28, 3), "layers.Conv2D(16, 3, padding='SAME', strides=2)"),
    ((17, 13, 8), "layers.Conv2D(12, (3, 3), dilation_rate=(2, 3), groups=4)"),
    ((3, 32, 30), "layers.Conv2D(8, 3, data_format='channels_first')"),
    ((3, 32, 30), "layers.Conv2D(8, 3, 2, 'same', 'channels_first')"),
    ((None, None, 3), "layers.Conv2D(8, 3)"),
    ((9, 9, 2), "layers.Convolution2D(4, 9)"),
    ((8, 9, 10, 2), "layers.Conv3D(4, 3)"),
    ((8, 9, 10, 2), "layers.Conv3D(4, (1, 2, 3), strides=(1, 2, 3), padding='same')"),
    ((2, 8, 9, 10), "layers.Conv3D(4, 2, data_format='channels_first', groups=2)"),
    # transposed
    ((10, 3), "layers.Conv1DTranspose(4, 3)"),
    ((10, 3), "layers.Conv1DTranspose(4, 2, strides=3)"),
    ((10, 3), "layers.Conv1DTranspose(4, 3, strides=2, padding='same')"),
    ((10, 3), "layers.Conv1DTranspose(4, 4, strides=3, output_padding=2)"),
    ((10, 3), "layers.Conv1DTranspose(4, 4, strides=3, padding='same', output_padding=1)"),
    ((10, 3), "layers.Conv1DTranspose(4, 3, dilation_rate=2)"),
    ((7, 7, 16), "layers.Conv2DTranspose(8, 3, strides=2)"),
    ((7, 7, 16), "layers.Conv2DTranspose(8, (4, 3), strides=(2, 1), padding='same', use_bias=False)"),
    ((16, 7, 5), "layers.Conv2DTranspose(8, 3, strides=2, data_format='channels_first')"),
    ((7, 7, 16), "layers.Convolution2DTranspose(8, 3)"),
    ((4, 5, 6, 2), "layers.Conv3DTranspose(3, 2, strides=2)"),
    ((4, 5, 6, 2), "layers.Conv3DTranspose(3, 2, 1, 'valid', 'channels_last', (0, 0, 0))"),
    ((2, 4, 5, 6), "layers.Convolution3DTranspose(3, 3, padding='same', data_format='channels_first')"),
    # separable / depthwise
    ((20, 6), "layers.SeparableConv1D(8, 3)"),
    ((20, 6), "layers.SeparableConv1D(8, 3, depth_multiplier=2, strides=2, padding='same')"),
    ((32, 32, 3), "layers.SeparableConv2D(16, 3)"),
    ((32, 32, 3), "layers.SeparableConv2D(16, (3, 5), depth_multiplier=3, use_bias=False)"),
    ((10, 10, 3), "layers.SeparableConv2D(4, 3, strides=2, dilation_rate=2)"),
    ((3, 32, 32), "layers.SeparableConvolution2D(16, 3, data_format='channels_first')"),
    ((20, 6), "layers.DepthwiseConv1D(3)"),
    ((20, 6), "layers.DepthwiseConv1D(5, depth_multiplier=2, padding='same', use_bias=False)"),
    ((28, 28, 8), "layers.DepthwiseConv2D(3)"),
    ((28, 28, 8), "layers.DepthwiseConv2D((3, 3), strides=2, depth_multiplier=4)"),
    ((10, 10, 3), "layers.DepthwiseConv2D(3, strides=2, dilation_rate=2)"),
    ((8, 28, 28), "layers.DepthwiseConv2D(3, data_format='channels_first')"),
    # pooling
    ((10, 4), "layers.MaxPooling1D()"),
    ((11, 4), "layers.MaxPooling1D(3, strides=2)"),
    ((11, 4), "layers.MaxPool1D(3, padding='same')"),
    ((4, 11), "layers.AveragePooling1D(2, data_format='channels_first')"),
    ((11, 4), "layers.AvgPool1D(pool_size=4, strides=1)"),
    ((28, 28, 3), "layers.MaxPooling2D()"),
    ((128, 128, 512), "layers.MaxPool2D((3, 3), (2, 2))"),
    ((27, 26, 3), "layers.MaxPooling2D(pool_size=(3, 2), padding='same')"),
    ((3, 27, 26), "layers.AveragePooling2D(3, data_format='channels_first')"),
    ((7, 7, 3), "layers.AvgPool2D(7)"),
    ((None, None, 3), "layers.MaxPooling2D()"),
    ((8, 9, 10, 2), "layers.MaxPooling3D()"),
    ((8, 9, 10, 2), "layers.AveragePooling3D((2, 3, 4), strides=1)"),
    ((2, 8, 9, 10), "layers.MaxPool3D(2, padding='same', data_format='channels_first')"),
    ((8, 9, 10, 2), "layers.AvgPool3D(3, 2, 'same')"),
    ((10, 4), "layers.GlobalAveragePooling1D()"),
    ((10, 4), "layers.GlobalMaxPooling1D(keepdims=True)"),
    ((4, 10), "layers.GlobalAvgPool1D(data_format='channels_first')"),
    ((8, 8, 3), "layers.GlobalAveragePooling2D()"),
    ((8, 8, 3), "layers.GlobalMaxPool2D(keepdims=True)"),
    ((3, 8, 8), "layers.GlobalMaxPooling2D(data_format='channels_first', keepdims=True)"),
    ((4, 8, 8, 3), "layers.GlobalAveragePooling3D()"),
    ((3, 4, 8, 8), "layers.GlobalAvgPool3D('channels_first', True)"),
    ((4, 8, 8, 3), "layers.GlobalMaxPool3D()"),
    # reshaping
    ((28, 28), "layers.Flatten()"),
    ((5,), "layers.Flatten()"),
    ((3, 4, 5), "layers.Flatten(data_format='channels_first')"),
    ((None, 5), "layers.Flatten()"),
    ((5, 3), "layers.Reshape((15,))"),
    ((5, 3), "layers.Reshape((-1, 5))"),
    ((5, 3), "layers.Reshape(target_shape=[3, 1, -1])"),
    ((None, 3), "layers.Reshape((-1, 3))"),
    ((None, 3), "layers.Reshape((3, 3))"),
    ((8, 3), "layers.Reshape((None, 3))"),
    ((8, 3), "layers.Reshape((None, -1))"),
    ((2, 3, 4), "layers.Permute((2, 1, 3))"),
    ((2, 3), "layers.Permute([2, 1])"),
    ((7,), "layers.RepeatVector(3)"),
    # shape-preserving
    ((6, 5), "layers.Dropout(0.5)"),
    ((6, 5), "layers.Dropout(0.0, noise_shape=(None, 1, 5), seed=1)"),
    ((6, 5), "layers.SpatialDropout1D(0.2)"),
    ((6, 5, 4), "layers.SpatialDropout2D(0.2, data_format='channels_first')"),
    ((6, 5, 4, 3), "layers.SpatialDropout3D(0.2)"),
    ((6,), "layers.GaussianNoise(0.1)"),
    ((6,), "layers.GaussianDropout(0.3)"),
    ((6,), "layers.AlphaDropout(1.0)"),
    ((6,), "layers.ActivityRegularization(l1=0.01)"),
    ((6, 2), "layers.Activation('relu')"),
    ((6, 2), "layers.Activation('swish')"),
    ((6, 2), "layers.Activation(activation='hard_swish')"),
    ((6, 2), "layers.ReLU(max_value=6.0)"),
    ((6, 2), "layers.LeakyReLU()"),
    ((6, 2), "layers.LeakyReLU(negative_slope=0.0)"),
    ((6, 2), "layers.ELU(0.5)"),
    ((6, 2), "layers.Softmax(axis=1)"),
    ((6, 2), "layers.Softmax(axis=5)"),
    ((6, 2), "layers.Identity()"),
    ((6, 2), "layers.Masking()"),
    ((8, 8, 3), "layers.Rescaling(1.0 / 255)"),
    ((8, 8, 3), "layers.RandomFlip('horizontal')"),
    ((8, 8, 3), "layers.RandomRotation(0.1)"),
    ((8, 8, 3), "layers.RandomZoom(0.2)"),
    ((8, 8, 3), "layers.RandomTranslation(0.1, 0.1)"),
    ((8, 8, 3), "layers.RandomContrast(0.2)"),
    ((8, 8, 3), "layers.RandomBrightness(0.2)"),
    ((8, 8, 3), "layers.RandomCrop(4, 5)"),
    ((3, 8, 8), "layers.RandomCrop(4, 5, data_format='channels_first')"),
    # PReLU
    ((3, 4), "layers.PReLU()"),
    ((3, 4, 5), "layers.PReLU(shared_axes=[1, 2])"),
    ((3, 4, 5), "layers.PReLU(shared_axes=1)"),
    ((3, 4, 5), "layers.PReLU(shared_axes=0)"),
    ((3, 4, 5), "layers.PReLU(shared_axes=3)"),
    # normalization
    ((10,), "layers.BatchNormalization()"),
    ((8, 8, 16), "layers.BatchNormalization()"),
    ((16, 8, 8), "layers.BatchNormalization(axis=1)"),
    ((8, 8, 16), "layers.BatchNormalization(center=False)"),
    ((8, 8, 16), "layers.BatchNormalization(scale=False, center=False)"),
    ((8, 8, 16), "layers.BatchNormalization(renorm=True)"),
    ((8, 8, 16), "layers.BatchNormalization(trainable=False)"),
    ((3, 4, 5), "layers.LayerNormalization()"),
    ((3, 4, 5), "layers.LayerNormalization(axis=[1, 2])"),
    ((3, 4, 5), "layers.LayerNormalization(axis=(-1, 1), center=False)"),
    ((3, 4, 5), "layers.LayerNormalization(axis=[1, -3])"),
    ((3, 4, 5), "layers.RMSNormalization()"),
    ((3, 4, 5), "layers.RMSNormalization(axis=[1, 2])"),
    ((3, 4, 6), "layers.GroupNormalization(groups=3)"),
    ((3, 4, 6), "layers.GroupNormalization(groups=-1, scale=False)"),
    ((3, 4, 6), "layers.GroupNormalization(groups=3, axis=1)"),
    ((3, 4, 6), "layers.UnitNormalization()"),
    ((3, 4, 6), "layers.UnitNormalization(axis=[1, 2])"),
    ((10, 10, 3), "layers.Normalization()"),
    ((10, 10, 3), "layers.Normalization(axis=None)"),
    ((10, 10, 3), "layers.Normalization(axis=(1, 2))"),
    ((10, 10, 3), "layers.Normalization(axis=(2, -1))"),
    ((10, 10, 3), "layers.Normalization(mean=0.5, variance=2.0)"),
    # embedding and recurrent
    ((10,), "layers.Embedding(100, 8)"),
    ((10, 4), "layers.Embedding(input_dim=100, output_dim=8, mask_zero=True)"),
    ((None,), "layers.Embedding(1000, 64)"),
    ((10,), "layers.Embedding(100, 8, input_length=10)"),
    ((None, 3), "layers.LSTM(4, unroll=True)"),
    ((10, 3), "layers.SimpleRNN(4)"),
    ((10, 3), "layers.SimpleRNN(4, return_sequences=True, use_bias=False)"),
    ((None, 3), "layers.SimpleRNN(5, return_sequences=True)"),
    ((10, 3), "layers.LSTM(4)"),
    ((10, 3), "layers.LSTM(16, return_sequences=True)"),
    ((10, 3), "layers.LSTM(4, return_state=True)"),
    ((10, 3), "layers.LSTM(4, use_bias=False, unroll=True)"),
    ((10, 3), "layers.GRU(4)"),
    ((10, 3), "layers.GRU(4, reset_after=False)"),
    ((10, 3), "layers.GRU(4, return_sequences=True, use_bias=False)"),
    ((10, 8, 8, 3), "layers.ConvLSTM2D(4, 3)"),
    ((10, 3, 8, 8), "layers.ConvLSTM2D(4, 3, data_format='channels_first', return_sequences=True, padding='same')"),
    ((10, 8, 8, 3), "layers.ConvLSTM2D(4, (3, 2), strides=2, use_bias=False)"),
    ((None, 8, 8, 3), "layers.ConvLSTM2D(2, 3, dilation_rate=2, return_sequences=True)"),
    ((10, 12, 3), "layers.ConvLSTM1D(4, 3)"),
    ((5, 6, 6, 6, 2), "layers.ConvLSTM3D(2, 3, padding='same')"),
    # padding, cropping, up-sampling
    ((10, 3), "layers.ZeroPadding1D()"),
    ((10, 3), "layers.ZeroPadding1D((2, 5))"),
    ((3, 10), "layers.ZeroPadding1D(2, data_format='channels_first')"),
    ((8, 8, 3), "layers.ZeroPadding2D()"),
    ((8, 8, 3), "layers.ZeroPadding2D(2)"),
    ((8, 8, 3), "layers.ZeroPadding2D(((1, 2), (3, 4)))"),
    ((3, 8, 8), "layers.ZeroPadding2D((1, 2), data_format='channels_first')"),
    ((4, 5, 6, 2), "layers.ZeroPadding3D()"),
    ((4, 5, 6, 2), "layers.ZeroPadding3D((1, (0, 2), 3))"),
    ((10, 3), "layers.Cropping1D()"),
    ((10, 3), "layers.Cropping1D((0, 9))"),
    ((8, 8, 3), "layers.Cropping2D(2)"),
    ((8, 8, 3), "layers.Cropping2D(((1, 2), (3, 4)))"),
    ((3, 8, 8), "layers.Cropping2D((1, 3), data_format='channels_first')"),
    ((4, 5, 6, 2), "layers.Cropping3D()"),
    ((10, 3), "layers.UpSampling1D(3)"),
    ((8, 8, 3), "layers.UpSampling2D()"),
    ((8, 8, 3), "layers.UpSampling2D((2, 3), interpolation='bilinear')"),
    ((3, 8, 8), "layers.UpSampling2D(2, data_format='channels_first')"),
    ((4, 5, 6, 2), "layers.UpSampling3D((1, 2, 3))"),
    # image preprocessing
    ((10, 10, 3), "layers.Resizing(5, 6)"),
    ((3, 10, 10), "layers.Resizing(5, 6, data_format='channels_first')"),
    ((10, 10), "layers.Resizing(5, 6)"),
    ((5,), "layers.Resizing(2, 3)"),
    ((4, 4, 4, 3), "layers.Resizing(2, 3)"),
    ((4, 4, 4, 3), "layers.RandomCrop(2, 3)"),
    ((4,), "layers.RandomCrop(2, 3, data_format='channels_first')"),
    ((10, 10, 3), "layers.CenterCrop(5, 6)"),
    ((10, 10, 3), "layers.CenterCrop(12, 6)"),
]
# Layers of keras 3.15 beyond the first catalog (one input each, so they run in keras.Sequential too).
ACCEPTED += [
    ((10, 8), "layers.AdaptiveAveragePooling1D(4)"),
    ((10, 9, 3), "layers.AdaptiveMaxPooling2D((4, 3))"),
    ((3, 10, 9), "layers.AdaptiveMaxPooling2D(4, data_format='channels_first')"),
    ((4, 5, 6, 2), "layers.AdaptiveAveragePooling3D(2)"),
    ((4, 5, 6, 2), "layers.AdaptiveMaxPooling3D((2, 20, 1))"),
    ((10, 4), "layers.AdaptiveAveragePooling2D(2)"),                 # only batch and channels are read
    ((8, 2), "layers.AdaptiveMaxPooling1D([3])"),
    ((3,), "layers.CategoryEncoding(5)"),
    ((3,), "layers.CategoryEncoding(5, output_mode='one_hot')"),
    ((3, 2), "layers.CategoryEncoding(5, output_mode='count')"),
    ((3, 1), "layers.CategoryEncoding(4, output_mode='one_hot')"),
    ((3,), "layers.CategoryEncoding(num_tokens=6, output_mode='binary')"),
    ((3,), "layers.Discretization(bin_boundaries=[0.0, 1.0])"),
    ((3,), "layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode='one_hot')"),
    ((3,), "layers.Discretization(num_bins=4, output_mode='count')"),
    ((3, 2), "layers.Discretization(num_bins=4, output_mode='multi_hot')"),
    ((3, 2), "layers.Discretization(num_bins=4, output_mode='one_hot')"),
    ((16000,), "layers.MelSpectrogram()"),
    ((16000,), "layers.MelSpectrogram(fft_length=512, sequence_stride=128, num_mel_bins=40)"),
    ((None,), "layers.MelSpectrogram(sequence_length=1024)"),
    ((16000, 1), "layers.STFTSpectrogram()"),
    ((16000, 1), "layers.STFTSpectrogram(frame_length=64, frame_step=16, fft_length=128, mode='stft')"),
    ((16000, 1), "layers.STFTSpectrogram(padding='same', expand_dims=True)"),
    ((1, 16000), "layers.STFTSpectrogram(data_format='channels_first', mode='magnitude')"),
    ((16000, 2), "layers.STFTSpectrogram(mode='real')"),
    ((1000, 1), "layers.STFTSpectrogram(frame_length=100, frame_step=30, mode='imag', padding='same')"),
    ((10,), "layers.SpectralNormalization(layers.Dense(4))"),
    ((8, 8, 3), "layers.SpectralNormalization(layers.Conv2D(4, 3))"),
    ((10, 8), "layers.SpectralNormalization(layers.Embedding(10, 4))"),
    ((10, 8), "layers.SpectralNormalization(layers.Dense(4, use_bias=False), power_iterations=2)"),
    ((6, 3), "layers.SpectralNormalization(layers.Conv1DTranspose(5, 2))"),
    ((10,), "layers.ReversibleEmbedding(100, 8)"),
    ((10,), "layers.ReversibleEmbedding(100, 8, tie_weights=False)"),
    ((10,), "layers.Lambda(lambda x: x[:, :3], output_shape=(3,))"),
    ((10, 3), "layers.RNN(layers.LSTMCell(4))"),
    ((10, 3), "layers.RNN(layers.GRUCell(4), return_sequences=True)"),
    ((10, 3), "layers.RNN(layers.SimpleRNNCell(5, use_bias=False))"),
    ((10, 3), "layers.RNN(layers.GRUCell(4, reset_after=False), go_backwards=True)"),
    ((None, 3), "layers.RNN(layers.LSTMCell(2), return_sequences=True)"),
    ((10, 3), "layers.RNN(layers.LSTMCell(4), return_state=True)"),
    ((8, 8, 3), "layers.AutoContrast()"),
    ((8, 8, 3), "layers.Solarization(0.1)"),
    ((8, 8, 3), "layers.ContrastLimitedAdaptiveHistogramEqualization()"),
    ((8, 8, 3), "layers.RandAugment()"),
    ((8, 8, 3), "layers.MaxNumBoundingBoxes(3)"),
    ((8, 8, 3), "layers.Pipeline([layers.AutoContrast(), layers.Solarization()])"),
]
STATEFUL_ACCEPTED = [
    ((10, 3), "layers.LSTM(4, stateful=True)", 8),
    ((10, 3), "layers.SimpleRNN(4, stateful=True, return_sequences=True)", 2),
]


# ---------------------------------------------------------------- (c) configurations Keras rejects

REJECTED = [
    ((5, None), "layers.Dense(4)"),                                  # weight needs the last dim
    ((10,), "layers.Dense(0)"),
    ((10,), "layers.Dense(4.5)"),
    ((), "layers.Dense(4)"),                                         # rank 1: Dense needs >= 2
    ((5, 3), "layers.EinsumDense('abc,cd->abd', output_shape=(4, 7))"),
    ((None, 3), "layers.EinsumDense('abc,bcd->ad', output_shape=7)"),
    ((5, 3), "layers.EinsumDense('abc,cd->abe', output_shape=(5, 7))"),
    ((5, 3), "layers.EinsumDense('abc->abd', output_shape=(5, 7))"),
    ((4, 3), "layers.Conv1D(2, 5)"),                                 # kernel larger than the input
    ((10, 3), "layers.Conv1D(2, 3, dilation_rate=5)"),
    ((10, 3), "layers.Conv1D(2, 3, strides=2, dilation_rate=2)"),
    ((10, 10, 3), "layers.Conv2D(2, 3, strides=(2, 1), dilation_rate=(1, 2))"),   # different axes
    ((10, 10, 3), "layers.Conv2D(2, 3, padding='causal')"),
    ((10, 10, 3), "layers.Conv2D(2, 3, padding='full')"),
    ((10, 10, 3), "layers.Conv2D(6, 3, groups=2)"),                 # 3 channels, 2 groups
    ((10, 10, 4), "layers.Conv2D(5, 3, groups=2)"),                 # 5 filters, 2 groups
    ((10, 10, 4), "layers.Conv2D(0, 3)"),
    ((10, 10, 4), "layers.Conv2D(4, 0)"),
    ((10, 10, 4), "layers.Conv2D(4, (3,))"),
    ((10, 10, 4), "layers.Conv2D(4, 3, strides=0)"),
    ((10, 10, 4), "layers.Conv2D(4, 3, data_format='NHWC')"),
    ((10, 4), "layers.Conv2D(4, 3)"),                                # wrong rank
    ((10, 10, 10, 4), "layers.Conv2D(4, 3)"),
    ((10, None), "layers.Conv1D(4, 3)"),                             # channels None
    ((2, 2, 3), "layers.Conv2D(4, 3)"),
    ((10, 3), "layers.Conv1DTranspose(4, 3, padding='causal')"),
    ((10, 3), "layers.Conv1DTranspose(4, 3, strides=2, output_padding=2)"),
    ((10, 3), "layers.Conv1DTranspose(4, 3, strides=2, dilation_rate=2)"),
    ((10, 3), "layers.SeparableConv1D(4, 3, padding='causal')"),
    ((10, 3), "layers.SeparableConv1D(4, 3, depth_multiplier=0)"),
    ((2, 2, 3), "layers.SeparableConv2D(4, 3)"),
    ((10, 3), "layers.DepthwiseConv1D(3, padding='causal')"),
    ((10, 10, 3), "layers.DepthwiseConv2D(11)"),
    ((10, 4), "layers.MaxPooling1D(11)"),
    ((10, 10, 4), "layers.MaxPooling2D(2, padding='SAME')"),
    ((10, 10, 4), "layers.MaxPooling2D(2, strides=0)"),
    ((10, 10, 4), "layers.MaxPooling2D(0)"),
    ((10, 10, 4), "layers.AveragePooling2D(2, padding='causal')"),
    ((10, 4), "layers.AveragePooling2D(2)"),
    ((10, 4), "layers.GlobalAveragePooling2D()"),
    ((10, 10, 4), "layers.GlobalMaxPooling1D()"),
    ((5, 3), "layers.Reshape((4, -1))"),
    ((5, 3), "layers.Reshape((16,))"),
    ((5, 3), "layers.Reshape((0, -1))"),
    ((5, 3), "layers.Reshape((-1, -1))"),
    ((5, 3), "layers.Reshape(15)"),
    ((2, 3, 4), "layers.Permute((1, 2))"),
    ((2, 3), "layers.Permute((0, 1))"),
    ((2, 3), "layers.RepeatVector(3)"),
    ((7,), "layers.RepeatVector(0)"),
    ((6,), "layers.Dropout(1.5)"),
    ((6,), "layers.SpatialDropout1D(0.2)"),
    ((6, 5), "layers.SpatialDropout1D(0.2, input_shape=(6, 5))"),  # no **kwargs
    ((6,), "layers.GaussianNoise(2.0)"),
    ((6,), "layers.ReLU(max_value=-1.0)"),
    ((6,), "layers.ReLU(negative_slope=-0.1)"),
    ((6,), "layers.LeakyReLU(negative_slope=-0.1)"),
    ((3, 4, 5), "layers.PReLU(shared_axes=4)"),
    ((None, 4), "layers.PReLU()"),
    ((8, 8, 16), "layers.BatchNormalization(axis=4)"),
    ((8, 8, 16), "layers.BatchNormalization(axis=0)"),                # the batch axis is None
    ((3, 4, 5), "layers.LayerNormalization(axis=0)"),
    ((3, 4, 5), "layers.LayerNormalization(axis=-5)"),
    ((3, 4, 5), "layers.LayerNormalization(axis='last')"),
    ((3, 4, 6), "layers.GroupNormalization(groups=4)"),
    ((3, 4, 6), "layers.GroupNormalization()"),                      # 32 groups > 6 channels
    ((3, 4, 6), "layers.GroupNormalization(groups=0)"),
    ((3, 4, 6), "layers.UnitNormalization(axis=5)"),
    ((10, 10, 3), "layers.Normalization(axis=4)"),
    ((10, 10, 3), "layers.Normalization(axis=0)"),                   # kept axis is the batch
    ((10, 10, 3), "layers.Normalization(mean=0.5)"),
    ((10, 10, 3), "layers.Normalization(axis=(1, -3))"),
    ((10,), "layers.Embedding(0, 8)"),
    ((10,), "layers.Embedding(100, -1)"),
    ((10,), "layers.LSTM(4)"),                                       # rank 2
    ((10, 3), "layers.LSTM(0)"),
    ((10, None), "layers.GRU(4)"),
    ((10, 3), "layers.SimpleRNN(4, stateful=True)"),                 # dynamic batch
    ((10, 8, 8, 3), "layers.ConvLSTM2D(4, 3, strides=2, dilation_rate=2)"),
    ((10, 8, 8, 3), "layers.ConvLSTM2D(4, 3, padding='causal')"),
    ((10, 8, 8, 3), "layers.ConvLSTM2D(4, 3, strides=0)"),
    ((10, None, 8, 3), "layers.ConvLSTM2D(4, 3)"),
    ((10, 8, 8), "layers.ConvLSTM2D(4, 3)"),
    ((10, 2, 8, 3), "layers.ConvLSTM2D(4, 3)"),
    ((10, 3), "layers.ZeroPadding1D(-1)"),
    ((10, 3), "layers.ZeroPadding1D((1, 2, 3))"),
    ((8, 8, 3), "layers.ZeroPadding2D((1, 2, 3))"),
    ((8, 8), "layers.ZeroPadding2D()"),
    ((10, 3), "layers.Cropping1D((5, 5))"),
    ((8, 8, 3), "layers.Cropping2D(4)"),
    ((8, 8, 3), "layers.Cropping2D(-1)"),
    ((4, 5, 6, 2), "layers.Cropping3D((2, 1, 1))"),
    ((10, 3), "layers.UpSampling1D(0)"),
    ((10, 3), "layers.UpSampling1D((2,))"),
    ((8, 8, 3), "layers.UpSampling2D((2, 2, 2))"),
    ((10, 10, 3, 2), "layers.CenterCrop(5, 6)"),
    ((4,), "layers.RandomCrop(2, 3)"),
    ((), "layers.Resizing(2, 3)"),
    ((10, 3), "layers.Dense(4, kernel_size=3)"),                    # not a keyword of Dense
    ((10, 3), "layers.Dense(4, batch_input_shape=(None, 10, 3))"),  # gone in Keras 3
    ((10, 3), "layers.Dense()"),
    ((10, 3), "layers.Dense(None)"),
    ((8, 8, 3), "layers.Conv2D(4, None)"),
    ((8, 8, 3), "layers.MaxPooling2D(2, padding=None)"),
    ((8, 8, 3), "layers.BatchNormalization(axis=None)"),
    ((8, 8, 4), "layers.GroupNormalization(groups=None)"),
    ((8, 8, 4), "layers.GroupNormalization(2, axis=[1, 2])"),
    ((8, 3), "layers.Reshape(None)"),
    ((8, 3), "layers.EinsumDense(None, 4)"),
    ((10, 3), "layers.Dense(4, trainable=1)"),
    ((10, 3), "layers.Dense(4, activation='ReLU')"),
    ((10, 3), "layers.Activation('leakyrelu')"),
    ((10, 3), "layers.LSTM(4, recurrent_activation='hard_sigmoidd')"),
    ((10, 3), "layers.Dense(4, 'relu', True, 'glorot_uniform', 'zeros', None, None, None, None, None, None, None, "
              "None, None)"),
]


REJECTED += [
    ((10,), "layers.AdaptiveAveragePooling1D((2, 3))"),
    ((10, 4), "layers.AdaptiveAveragePooling1D(2, data_format='NCHW')"),
    ((10, 4), "layers.AdaptiveMaxPooling2D('2')"),
    ((3,), "layers.CategoryEncoding()"),
    ((3,), "layers.CategoryEncoding(0)"),
    ((3,), "layers.CategoryEncoding(4, output_mode='tf_idf')"),
    ((3,), "layers.Discretization()"),
    ((3,), "layers.Discretization(num_bins=2, bin_boundaries=[0.0])"),
    ((3,), "layers.Discretization(num_bins=2, output_mode='onehot')"),
    ((3,), "layers.Discretization(num_bins=-1)"),
    ((1000,), "layers.MelSpectrogram(fft_length=256, sequence_length=512)"),
    ((1000, 1), "layers.STFTSpectrogram(frame_step=300)"),
    ((1000, 1), "layers.STFTSpectrogram(mode='power')"),
    ((1000, 1), "layers.STFTSpectrogram(fft_length=128)"),
    ((100,), "layers.STFTSpectrogram()"),
    ((1000, 1), "layers.STFTSpectrogram(padding='causal')"),
    ((1000, 1), "layers.STFTSpectrogram(scaling='log')"),
    ((10, 8), "layers.SpectralNormalization(layers.LSTM(4))"),
    ((10, 8), "layers.SpectralNormalization(layers.Dense(4), power_iterations=0)"),
    ((10,), "layers.ReversibleEmbedding(0, 8)"),
    ((10,), "layers.Lambda(lambda x: x, output_shape=5)"),
    ((10,), "layers.Lambda(lambda x: x, output_shape=[5])"),
    ((10, 3), "layers.Add()"),                                   # one tensor, not a list
    ((10, 3), "layers.Concatenate()"),
    ((10, 3), "layers.Dot(1)"),
    ((10, 3), "layers.MultiHeadAttention(2, 4)"),                # query and value
    ((10, 3), "layers.GroupQueryAttention(4, 4, 2)"),
    ((10, 3), "layers.Attention()"),                             # [query, value]
    ((10, 3), "layers.AdditiveAttention()"),
    ((10, 3), "layers.MultiHeadAttention(0, 4)"),
    ((10, 3), "layers.MultiHeadAttention(2, 4, value_dim=-1)"),
    ((10, 3), "layers.MultiHeadAttention(2, 4, output_shape='x')"),
    ((10, 3), "layers.GroupQueryAttention(4, 3, 2)"),
    ((10, 3), "layers.Attention(score_mode='add')"),
    ((10, 3), "layers.RNN(layers.LSTMCell(0))"),
    ((10,), "layers.RNN(layers.LSTMCell(4))"),
    ((10, 3), "layers.RNN(layers.Dense(4))"),                    # no state_size
    ((10, 3), "layers.LSTMCell(4)"),                             # a cell needs its states
    ((10, 3), "layers.RNN(layers.SimpleRNNCell(4), stateful=True)"),
]


@pytest.mark.parametrize("shape, src", ACCEPTED, ids=[f"{s}-{src}" for s, src in ACCEPTED])
def test_accepted_configuration_matches_keras(shape, src):
    assert_matches_keras(shape, src)


@pytest.mark.parametrize("shape, src, batch", STATEFUL_ACCEPTED)
def test_stateful_rnn_with_a_fixed_batch_matches_keras(shape, src, batch):
    assert_matches_keras(shape, src, batch)


@pytest.mark.parametrize("shape, src", REJECTED, ids=[f"{s}-{src}" for s, src in REJECTED])
def test_rejected_configuration_is_an_error(shape, src):
    assert_rejected_by_both(shape, src)


# ---------------------------------------------------------------- (a) signatures

def keras_params(name: str) -> list:
    sig = inspect.signature(getattr(layers, name).__init__)
    return [p for p in sig.parameters.values() if p.name != "self"]


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_signature_is_the_real_constructors(name):
    real = keras_params(name)
    rule = CATALOG[name]
    real_named = [p for p in real if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    assert [p.name for p in rule.signature.params] == [p.name for p in real_named]
    for ours, theirs in zip(rule.signature.params, real_named):
        if theirs.default is inspect.Parameter.empty:
            assert ours.default is base._NO_DEFAULT, ours
        else:
            assert ours.default == theirs.default, (ours.name, ours.default, theirs.default)
        assert ours.keyword_only == (theirs.kind == theirs.KEYWORD_ONLY)
    assert rule.signature.var_kwargs == any(p.kind == p.VAR_KEYWORD for p in real)
    assert not any(p.kind == p.VAR_POSITIONAL for p in real)


def base_class_keywords(name: str) -> set:
    """Keywords the base classes of a layer declare (and so may take through its **kwargs)."""
    cls = getattr(layers, name)
    own = {p.name for p in keras_params(name)}
    found: set = set()
    for klass in cls.__mro__[1:]:
        if "__init__" in vars(klass):
            found |= {p for p in inspect.signature(klass.__init__).parameters if p not in ("self", "args", "kwargs")}
        if klass is keras.layers.Layer:
            break
    return found - own - BASE_LAYER_KWARGS


# The minimal arguments of each layer that needs some, to construct it in the keyword tests.
REQUIRED_ARGS = {
    "Dense": "4", "EinsumDense": "'ab,bc->ac', 4", "Activation": "'relu'", "Dropout": "0.5",
    "SpatialDropout1D": "0.5", "SpatialDropout2D": "0.5", "SpatialDropout3D": "0.5", "GaussianNoise": "0.1",
    "GaussianDropout": "0.1", "AlphaDropout": "0.1", "Embedding": "10, 4", "Reshape": "(4,)", "Permute": "(1,)",
    "RepeatVector": "2", "Rescaling": "0.5", "Resizing": "4, 4", "CenterCrop": "4, 4", "RandomCrop": "4, 4",
    "SimpleRNN": "4", "LSTM": "4", "GRU": "4", "Bidirectional": "keras.layers.LSTM(4)",
    "TimeDistributed": "keras.layers.Dense(4)", "RandomBrightness": "0.1", "RandomColorDegeneration": "0.1",
    "RandomContrast": "0.1", "RandomHue": "0.1", "RandomPosterization": "2", "RandomRotation": "0.1",
    "RandomSaturation": "0.1", "RandomSharpness": "0.1", "RandomTranslation": "0.1, 0.1", "RandomZoom": "0.1",
    "MultiHeadAttention": "2, 4", "GroupQueryAttention": "4, 4, 2", "RNN": "keras.layers.LSTMCell(4)",
    "LSTMCell": "4", "GRUCell": "4", "SimpleRNNCell": "4", "StackedRNNCells": "[keras.layers.LSTMCell(4)]",
    "CategoryEncoding": "4", "Discretization": "num_bins=4", "Dot": "1", "Lambda": "lambda x: x",
    "Pipeline": "[keras.layers.AutoContrast()]", "ReversibleEmbedding": "10, 4",
    "SpectralNormalization": "keras.layers.Dense(4)", "MaxNumBoundingBoxes": "3", "Hashing": "4",
    "HashedCrossing": "4",
    **{f"Adaptive{kind}Pooling{nd}D": "2" for kind in ("Average", "Max") for nd in (1, 2, 3)},
}
# Keras builds these only with TensorFlow installed (their __init__ raises ImportError without it), which the
# test machines do not have: their signatures are compared, their shapes follow compute_output_shape (read in
# keras/src/layers/preprocessing) and test_tf_only_layers_follow_compute_output_shape checks them.
TF_ONLY = {"Hashing", "HashedCrossing", "IntegerLookup", "StringLookup", "TextVectorization"}


def required_args(name: str) -> str:
    if name in REQUIRED_ARGS:
        return REQUIRED_ARGS[name]
    params = CATALOG[name].signature.params
    if params and params[0].name == "filters":
        return "4, 3"
    if params and params[0].name in ("kernel_size", "pool_size") and params[0].default is base._NO_DEFAULT:
        return "3"
    return ""


def construct(name: str, extra: str = ""):
    args = ", ".join(a for a in (required_args(name), extra) if a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(f"layers.{name}({args})", {"layers": layers, "keras": keras})


ACCEPT_VALUES = {"alpha": "0.1", "zero_output_for_mask": "False", "unroll": "False", "lora_rank": "None",
                 "lora_alpha": "None", "rms_scaling": "False", "input_length": "None", "score_mode": "'dot'",
                 "seed": "None", "weights": "None", "quantization_config": "None"}


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_accepts_lists_every_base_class_keyword_keras_takes(name):
    """`accepts` (read by the engine's unrecognised-keyword check) must hold every keyword a base class
    takes through **kwargs; a base keyword the class itself passes (rank=, cell=) is rejected by Keras."""
    accepts = CATALOG[name].options["accepts"]
    if accepts is None or name in TF_ONLY:
        return
    construct(name)
    for kw in sorted(base_class_keywords(name) - set(accepts)):
        with pytest.raises((TypeError, ValueError)):
            construct(name, f"{kw}=None")
    for kw in sorted(accepts):
        construct(name, f"{kw}={ACCEPT_VALUES[kw]}")


@pytest.mark.parametrize("name", sorted(n for n in CATALOG if CATALOG[n].options["accepts"] is not None
                                         and n not in TF_ONLY))
def test_unknown_keyword_is_an_error(name):
    extra = "no_such_keyword=1"
    with pytest.raises((TypeError, ValueError)):
        construct(name, extra)
    args = ", ".join(a for a in (required_args(name), extra) if a)
    result = analyze_source(HEADER + f"model = keras.Sequential([layers.{name}({args})])\n")
    assert [d for d in result.diagnostics if d.severity == "error"]


ACCEPTED_KEYWORDS = [
    ((6, 2), "layers.LeakyReLU(alpha=0.1)"),
    ((10, 3), "layers.LSTM(4, zero_output_for_mask=True)"),
    ((10, 3), "layers.Conv1D(4, 3, lora_rank=None)"),
    ((8, 8, 3), "layers.RandomFlip(bounding_box_format='xyxy')"),
    ((3, 4), "layers.LayerNormalization(rms_scaling=True)"),
]


@pytest.mark.parametrize("shape, src", ACCEPTED_KEYWORDS)
def test_base_class_keywords_are_not_errors(shape, src):
    assert_matches_keras(shape, src)


def test_activation_names_are_keras_own():
    from keras.src import activations

    from shapelens.frameworks.keras_layers import ACTIVATIONS

    assert ACTIVATIONS == set(activations.ALL_OBJECTS_DICT)


# ---------------------------------------------------------------- SL201: windows that leave the input's end unread

def last_position_is_read(length: int, layer_src: str) -> bool:
    """Run the real layer on zeros with a 1 at the last position: the output moves iff a window reads it."""
    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = keras.Sequential([keras.Input(shape=(length, 1)), eval(layer_src, {"layers": layers})])
        x = np.zeros((1, length, 1), dtype="float32")
        x[0, -1, 0] = 1.0
        return bool(np.abs(keras.ops.convert_to_numpy(model(x))).sum() > 0)


@pytest.mark.parametrize("length, src", [
    (28, "layers.Conv1D(1, 3, strides=2, kernel_initializer='ones', use_bias=False)"),
    (27, "layers.Conv1D(1, 3, strides=2, kernel_initializer='ones', use_bias=False)"),
    (10, "layers.Conv1D(1, 2, strides=3, kernel_initializer='ones', use_bias=False)"),
    (11, "layers.Conv1D(1, 2, strides=3, kernel_initializer='ones', use_bias=False)"),
    (10, "layers.Conv1D(1, 3, strides=3, padding='same', kernel_initializer='ones', use_bias=False)"),
    (128, "layers.MaxPooling1D(3, 2)"),
    (127, "layers.MaxPooling1D(3, 2)"),
    (31, "layers.MaxPooling1D()"),
    (30, "layers.AveragePooling1D(2)"),
])
def test_unread_end_warning_matches_what_keras_reads(length, src):
    result = analyze_source(source_of((length, 1), src))
    warned = any(d.code == "SL201" for d in result.diagnostics)
    assert warned == (not last_position_is_read(length, src))


# ---------------------------------------------------------------- wrappers: a layer call as argument

# Keras declares 2·4 from the forward layer, although the real concatenation is 4 + 5.
BACKWARD_OF_OTHER_SIZE = ("layers.Bidirectional(layers.GRU(4, return_sequences=True), "
                          "backward_layer=layers.GRU(5, return_sequences=True, go_backwards=True))")
WRAPPED = [
    ((10, 3), "layers.Bidirectional(layers.LSTM(4))"),
    ((10, 3), "layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode='sum')"),
    ((10, 3), "layers.Bidirectional(layers.GRU(5), merge_mode='ave')"),
    ((10, 3), "layers.Bidirectional(layers.SimpleRNN(6, return_sequences=True), 'mul')"),
    ((10, 3), "layers.Bidirectional(layers.LSTM(4), merge_mode=None)"),
    ((10, 3), "layers.Bidirectional(layers.LSTM(4, return_state=True))"),
    ((None, 7), "layers.Bidirectional(layers.GRU(8, return_sequences=True, reset_after=False))"),
    ((10, 3), "layers.Bidirectional(layers.LSTM(4, trainable=False))"),
    ((10, 3), "layers.Bidirectional(layers.LSTM(4), trainable=False)"),
    ((10, 3), BACKWARD_OF_OTHER_SIZE),
    ((6, 8, 8, 3), "layers.Bidirectional(layers.ConvLSTM2D(2, 3))"),
    ((10, 3), "layers.Bidirectional(layers.LSTM(4, go_backwards=True), backward_layer=layers.LSTM(3))"),
    ((10, 3), "layers.TimeDistributed(layers.Dense(4))"),
    ((10, 8, 8, 3), "layers.TimeDistributed(layers.Conv2D(4, 3))"),
    ((10, 8, 8, 3), "layers.TimeDistributed(layers.MaxPooling2D())"),
    ((10, 8, 8, 3), "layers.TimeDistributed(layers.Flatten())"),
    ((6, 5, 4), "layers.TimeDistributed(layers.BatchNormalization())"),
    ((None, 5, 4), "layers.TimeDistributed(layers.Dense(2, use_bias=False))"),
]
WRAPPED_REJECTED = [
    ((10, 3), "layers.Bidirectional(layers.Dense(4))"),             # not recurrent: no go_backwards
    ((10,), "layers.Bidirectional(layers.LSTM(4))"),                # rank 2
    ((10, 3), "layers.Bidirectional(layers.LSTM(4), merge_mode='max')"),
    ((10, 3), "layers.Bidirectional(layers.LSTM(4, return_sequences=True), "
              "backward_layer=layers.LSTM(4, go_backwards=True))"),  # return_sequences differ
    ((10, 3), "layers.Bidirectional(layers.LSTM(4), backward_layer=layers.LSTM(4))"),   # same direction
    ((10, 3), "layers.Bidirectional(layers.LSTM(4, go_backwards=True))"),   # its backward copy is backwards too
    ((10, 3), "layers.Bidirectional(layers.LSTM(4), backward_layer=layers.LSTM(4, go_backwards=True, "
              "return_state=True))"),
    ((10,), "layers.TimeDistributed(layers.Dense(4))"),             # needs 3-D
    ((10, 2, 3), "layers.TimeDistributed(layers.Conv1D(4, 3))"),    # each step is (2, 3): kernel 3 > 2
    ((10, 3), "layers.TimeDistributed(layers.Dense(0))"),
]


@pytest.mark.parametrize("shape, src", WRAPPED)
def test_wrapper_matches_keras(shape, src):
    assert_matches_keras(shape, src)


@pytest.mark.parametrize("shape, src", WRAPPED_REJECTED)
def test_wrapper_rejection_is_an_error(shape, src):
    assert_rejected_by_both(shape, src)


def test_bidirectional_declares_twice_the_forward_size():
    record, _ = run_static((10, 3), BACKWARD_OF_OTHER_SIZE)
    assert build_keras((10, 3), BACKWARD_OF_OTHER_SIZE)[1] == (None, 10, 8) == record.output_shape.dims


# ---------------------------------------------------------------- the Keras seed article

MLP = HEADER + """
model = keras.Sequential([
    layers.Flatten(input_shape=(28, 28)),
    layers.Dense(512, activation='relu'),
    layers.Dense(256, activation='relu'),
    layers.Dense(128, activation='relu'),
    layers.Dense(10, activation='softmax'),
])
"""
MLP_PARAMS = [0, 401_920, 131_328, 32_896, 1_290]   # from the article
MLP_TOTAL = 567_434

CNN = HEADER + """
model = keras.Sequential([
    layers.Conv2D(512, (5, 5), padding='same', activation='relu', input_shape=(128, 128, 3)),
    layers.MaxPool2D((3, 3), (2, 2)),
    layers.Conv2D(256, (3, 3), strides=(2, 2), padding='valid', activation='relu'),
    layers.MaxPool2D(),
    layers.Flatten(),
    layers.Dense(128, activation='relu'),
    layers.Dense(10, activation='softmax'),
])
"""
CNN_SHAPES = [(None, 128, 128, 512), (None, 63, 63, 512), (None, 31, 31, 256), (None, 15, 15, 256),
              (None, 15 * 15 * 256), (None, 128), (None, 10)]
CNN_PARAMS = [38_912, 0, 1_179_904, 0, 0, 7_372_928, 1_290]   # from the article
CNN_TOTAL = 8_593_034


def keras_model(source: str):
    scope: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(source, scope)
    return scope["model"]


@pytest.mark.parametrize("source, params, total", [(MLP, MLP_PARAMS, MLP_TOTAL), (CNN, CNN_PARAMS, CNN_TOTAL)])
def test_article_numbers(source, params, total):
    model = analyze_source(source).models[0]
    assert [layer.params for layer in model.layers] == params
    assert model.total_params == total
    real = keras_model(source)
    assert [layer.count_params() for layer in real.layers] == params
    assert real.count_params() == total


def test_article_cnn_shapes_and_formula():
    model = analyze_source(CNN).models[0]
    assert [layer.output_shape.dims for layer in model.layers] == CNN_SHAPES
    assert [tuple(layer.output.shape) for layer in keras_model(CNN).layers] == CNN_SHAPES
    assert ("params", "(5·5·3 + 1)·512 = 38,912") in model.layers[0].formulas


# ---------------------------------------------------------------- call signatures

@pytest.mark.parametrize("name", sorted(n for n in CATALOG if CATALOG[n].call_signature is not None))
def test_call_signature_is_the_real_call(name):
    """An entry's call= is the real call()'s signature (names, order, defaults)."""
    real = [p for p in inspect.signature(getattr(layers, name).call).parameters.values() if p.name != "self"]
    named = [p for p in real if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    sig = CATALOG[name].call_signature
    assert [p.name for p in sig.params] == [p.name for p in named]
    for ours, theirs in zip(sig.params, named):
        if theirs.default is inspect.Parameter.empty:
            assert ours.default is base._NO_DEFAULT, ours
        else:
            assert ours.default == theirs.default, (ours.name, ours.default, theirs.default)
    assert sig.var_kwargs == any(p.kind == p.VAR_KEYWORD for p in real)


# ---------------------------------------------------------------- several inputs or outputs: functional models

def functional_source(inputs: tuple, layer_src: str, call: str, outputs: tuple) -> str:
    """keras.Input per shape (i0, i1, ...), `lay = <layer>`, `<call>` (e.g. "out, s = lay(i0, i1, ...)"), then
    `o<k> = layers.Identity()(<output k>)`: each output's shape is the shape of an Identity row."""
    lines = [HEADER.rstrip("\n")] + [f"i{k} = keras.Input(shape={tuple(s)!r})" for k, s in enumerate(inputs)]
    lines += [f"lay = {layer_src}", call] + [f"o{k} = layers.Identity()({e})" for k, e in enumerate(outputs)]
    lines.append(f"model = keras.Model([{', '.join(f'i{k}' for k in range(len(inputs)))}], "
                 f"[{', '.join(f'o{k}' for k in range(len(outputs)))}])")
    return "\n".join(lines) + "\n"


def real_functional(source: str, n_outputs: int):
    """(output shapes, trainable, non-trainable of `lay`) or ('error', message)."""
    scope: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(source, scope)  # noqa: S102 - our own table
    except Exception as e:  # noqa: BLE001 - Keras rejecting the configuration
        return "error", f"{type(e).__name__}: {e}"
    lay = scope["lay"]
    shapes = [tuple(scope[f"o{k}"].shape) for k in range(n_outputs)]
    return "ok", shapes, weight_count(lay.trainable_weights), weight_count(lay.non_trainable_weights)


def check_functional(inputs: tuple, layer_src: str, call: str, outputs: tuple) -> None:
    source = functional_source(inputs, layer_src, call, outputs)
    real = real_functional(source, len(outputs))
    result = analyze_source(source)
    errors = [d.message for d in result.diagnostics if d.severity == "error"]
    if real[0] == "error":
        assert errors, f"Keras raises {real[1]}; shapelens reports no error"
        return
    assert not errors, errors
    _, shapes, trainable, non_trainable = real
    (model,) = result.models
    kind = layer_src.split("(")[0].split(".")[-1]
    main = [r for r in model.layers if r.type == kind]
    assert main, [r.type for r in model.layers]
    assert (main[0].trainable, main[0].non_trainable) == (trainable, non_trainable), main[0].formulas
    ident = [r for r in model.layers if r.type == "Identity"]
    assert [r.output_shape.dims if r.output_shape else None for r in ident] == shapes


FUNCTIONAL = [
    # MultiHeadAttention: query, value, key; attention_axes; output_shape; scores
    (((5, 8), (7, 8)), "layers.MultiHeadAttention(2, 4)", "out = lay(i0, i1)", ("out",)),
    (((5, 8), (7, 6), (7, 3)), "layers.MultiHeadAttention(3, 4, value_dim=5)", "out = lay(i0, i1, i2)", ("out",)),
    (((5, 8), (5, 8)), "layers.MultiHeadAttention(2, 4, use_bias=False, output_shape=6)",
     "out, s = lay(i0, i1, return_attention_scores=True)", ("out", "s")),
    (((5, 8), (7, 8)), "layers.MultiHeadAttention(2, 4)", "out, s = lay(i0, i1, return_attention_scores=True)",
     ("out", "s")),
    (((4, 6, 8), (4, 6, 8)), "layers.MultiHeadAttention(2, 3, attention_axes=(1, 2))", "out = lay(i0, i1)",
     ("out",)),
    (((4, 6, 8), (4, 5, 3)), "layers.MultiHeadAttention(2, 3, attention_axes=2, output_shape=(2, 5))",
     "out = lay(i0, i1)", ("out",)),
    (((5, 8), (7, 8)), "layers.MultiHeadAttention(2, 4, use_gate=True, dropout=0.1)", "out = lay(i0, i1, i1)",
     ("out",)),
    (((None, 8), (None, 8)), "layers.MultiHeadAttention(num_heads=4, key_dim=2)", "out = lay(query=i0, value=i1)",
     ("out",)),
    (((5, 8), (7, 8), (6, 8)), "layers.MultiHeadAttention(2, 4)", "out = lay(i0, i1, i2)", ()),   # key ≠ value
    (((5, None), (7, 8)), "layers.MultiHeadAttention(2, 4)", "out = lay(i0, i1)", ()),             # Dq None
    # GroupQueryAttention
    (((5, 8), (7, 8)), "layers.GroupQueryAttention(4, 4, 2)", "out = lay(i0, i1)", ("out",)),
    (((5, 8), (7, 8), (7, 6)), "layers.GroupQueryAttention(3, 6, 3, use_bias=False, use_gate=True)",
     "out, s = lay(i0, i1, i2, return_attention_scores=True)", ("out", "s")),
    (((5, 8), (7, 6)), "layers.GroupQueryAttention(4, 4, 2)", "out = lay(i0, i1)", ()),           # D differs
    (((5, 8), (7, 8), (6, 8)), "layers.GroupQueryAttention(4, 4, 2)", "out = lay(i0, i1, i2)", ()),
    (((2, 5, 8), (2, 7, 8)), "layers.GroupQueryAttention(4, 4, 2)", "out = lay(i0, i1)", ()),     # 4-D
    # Attention / AdditiveAttention: a list [query, value, key]
    (((5, 8), (7, 8)), "layers.Attention()", "out = lay([i0, i1])", ("out",)),
    (((5, 8), (7, 6), (7, 8)), "layers.Attention(use_scale=True, score_mode='concat')",
     "out, s = lay([i0, i1, i2], return_attention_scores=True)", ("out", "s")),
    (((5, 8), (7, 8)), "layers.AdditiveAttention()", "out, s = lay([i0, i1], return_attention_scores=True)",
     ("out", "s")),
    (((5, 8), (7, 8)), "layers.AdditiveAttention(use_scale=False)", "out = lay([i0, i1, i1])", ("out",)),
    (((5, 8),), "layers.Attention()", "out = lay([i0])", ()),                                     # 1 input
    # recurrent layers returning their states
    (((10, 3),), "layers.LSTM(4, return_state=True)", "out, h, c = lay(i0)", ("out", "h", "c")),
    (((10, 3),), "layers.GRU(4, return_sequences=True, return_state=True)", "out, h = lay(i0)", ("out", "h")),
    (((10, 3),), "layers.SimpleRNN(5, return_state=True)", "out, h = lay(i0)", ("out", "h")),
    (((10, 3),), "layers.RNN(layers.LSTMCell(4), return_sequences=True, return_state=True)", "out, h, c = lay(i0)",
     ("out", "h", "c")),
    (((10, 3),), "layers.Bidirectional(layers.LSTM(4, return_state=True))", "out, h1, c1, h2, c2 = lay(i0)",
     ("out", "h1", "c2")),
    (((10, 3),), "layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode=None)", "f, b = lay(i0)",
     ("f", "b")),
    (((10, 3),), "layers.LSTM(4, return_state=True)", "out, h, c = lay(i0)", ("out[:, :2]", "h")),
    (((6, 8, 8, 3),), "layers.ConvLSTM2D(2, 3, return_state=True)", "out, h, c = lay(i0)", ("out", "c")),
    # ReversibleEmbedding both ways
    (((10,),), "layers.ReversibleEmbedding(50, 8)", "e = lay(i0)\nlogits = lay(e, reverse=True)", ("e", "logits")),
]


@pytest.mark.parametrize("inputs, layer_src, call, outputs", FUNCTIONAL,
                         ids=[f"{s} | {c}" for _, s, c, _ in FUNCTIONAL])
def test_functional_layer_matches_keras(inputs, layer_src, call, outputs):
    check_functional(inputs, layer_src, call, outputs)


@pytest.mark.parametrize("src", ["layers.RNN(layers.StackedRNNCells([layers.LSTMCell(4), layers.GRUCell(2)]))",
                                 "layers.RNN([layers.LSTMCell(4), layers.SimpleRNNCell(3)], return_sequences=True)"])
def test_stacked_cells_match_keras(src):
    assert_matches_keras((10, 3), src)


def test_lambda_without_output_shape_is_unknown_not_an_error():
    record, errors = run_static((10,), "layers.Lambda(lambda x: x * 2)")
    assert build_keras((10,), "layers.Lambda(lambda x: x * 2)")[0] == "ok"
    assert not errors and record.output_shape is None
    assert any("output_shape" in r for r in record.unknown_reasons)


def test_equalization_keeps_the_shape_of_what_it_is_applied_to():
    """Keras 3.15's Equalization cannot be part of a model (its symbolic call returns its input: 'part of a
    cycle'); applied to data it keeps the shape, which is what the entry says."""
    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = layers.Equalization()(np.zeros((2, 8, 8, 3), dtype="float32"))
    record, errors = run_static((8, 8, 3), "layers.Equalization()")
    assert tuple(y.shape)[1:] == record.output_shape.dims[1:] and not errors


# ---------------------------------------------------------------- merge entries (the interpreter still uses its own, interp/keras.py)

def run_entry(name: str, args: str, shapes: list):
    """The catalog entry `name` run on a list of input shapes, as the interpreter will call it: (Ctx, errors)."""
    import ast

    from shapelens.analysis.shapes import Shape
    from shapelens.frameworks.base import Ctx, bind

    call = ast.parse(f"f({args})").body[0].value
    positional = [ast.literal_eval(a) for a in call.args]
    keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    rule = CATALOG[name]
    bound = bind(rule.signature, positional, keywords, None)
    ins = [Shape.of((None,) + tuple(s)) for s in shapes]
    ctx = Ctx(rule, bound.values, bound.given, ins[0] if ins else None, "keras")
    ctx.call = {"inputs": ins}
    ctx.extra = bound.extra_kwargs
    rule.infer(ctx)
    return ctx, [f for f in ctx.findings if f.severity == "error"]


MERGES = [
    ("Add", "", [(3,), (3,)]), ("Add", "", [(3,)]), ("Add", "", [(2, 3), (3,)]), ("Add", "", [(2, 1), (1, 4)]),
    ("Add", "", [(3,), (4,)]), ("Add", "", [(None, 3), (5, 3)]), ("Subtract", "", [(3,), (3,)]),
    ("Subtract", "", [(3,), (3,), (3,)]), ("Multiply", "", [(2, 3), (2, 3), (2, 3)]),
    ("Average", "", [(4,), (1,)]), ("Maximum", "", [(2, 3), (2, 4)]), ("Minimum", "", [(5,), (5,)]),
    ("Concatenate", "", [(2, 3), (2, 5)]), ("Concatenate", "axis=1", [(2, 3), (4, 3)]),
    ("Concatenate", "axis=1", [(2, 3), (4, 1)]), ("Concatenate", "1", [(None, 3), (4, 3)]),
    ("Concatenate", "", [(2, 3), (1, 5)]), ("Concatenate", "", [(3,)]), ("Concatenate", "axis=-2", [(2, 3), (5, 3)]),
    ("Concatenate", "axis=-1", [(2, 3), (2, 3, 1)]),
    ("Dot", "axes=(1, 2)", [(4, 3), (5, 4)]), ("Dot", "axes=1", [(4,), (4,)]), ("Dot", "-1", [(2, 4), (3, 4)]),
    ("Dot", "axes=1", [(4,), (5,)]), ("Dot", "axes=(1, 1)", [(4, 2), (4, 3)]), ("Dot", "axes=1", [(4,)]),
    ("Dot", "axes=[2, 2], normalize=True", [(3, 4), (5, 4)]),
]


@pytest.mark.parametrize("name, args, shapes", MERGES, ids=[f"{n}({a}) {s}" for n, a, s in MERGES])
def test_merge_entry_matches_keras(name, args, shapes):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lay = eval(f"layers.{name}({args})", {"layers": layers})
            real = tuple(lay([keras.Input(shape=s) for s in shapes]).shape)
    except Exception as e:  # noqa: BLE001 - Keras rejecting the inputs
        real = e
    ctx, errors = run_entry(name, args, shapes)
    if isinstance(real, Exception):
        assert errors, f"Keras raises {real}; the entry reports no error"
        return
    assert not errors, [f.message for f in errors]
    assert ctx.out is not None and ctx.out.dims == real
    assert (ctx.trainable, ctx.non_trainable) == (0, 0)


# ---------------------------------------------------------------- TensorFlow-only layers: their compute_output_shape

def tf_only_shape(cls, attributes: dict, shape: tuple):
    """The real compute_output_shape of a layer Keras cannot construct here, run on a stand-in `self`."""
    from types import SimpleNamespace

    return tuple(getattr(layers, cls).compute_output_shape(SimpleNamespace(**attributes), shape))


TF_ONLY_CASES = [
    ("Hashing", "8", {"output_mode": "int", "num_bins": 8}, (None, 3)),
    ("Hashing", "8, output_mode='one_hot'", {"output_mode": "one_hot", "num_bins": 8}, (None, 3)),
    ("Hashing", "8, output_mode='count'", {"output_mode": "count", "num_bins": 8}, (None, 4, 3)),
    ("IntegerLookup", "", {"output_mode": "int"}, (None, 3)),
    ("IntegerLookup", "max_tokens=10, output_mode='multi_hot', pad_to_max_tokens=True",
     {"output_mode": "multi_hot", "max_tokens": 10, "pad_to_max_tokens": True}, (None, 3)),
    ("StringLookup", "max_tokens=6, output_mode='one_hot', pad_to_max_tokens=True",
     {"output_mode": "one_hot", "max_tokens": 6, "pad_to_max_tokens": True}, (None, 3)),
    ("StringLookup", "max_tokens=6, output_mode='one_hot', pad_to_max_tokens=True",
     {"output_mode": "one_hot", "max_tokens": 6, "pad_to_max_tokens": True}, (None, 1)),
    ("TextVectorization", "output_sequence_length=12", {"_output_mode": "int", "_output_sequence_length": 12},
     (None, 1)),
]


@pytest.mark.parametrize("name, args, attributes, shape", TF_ONLY_CASES)
def test_tf_only_layers_follow_compute_output_shape(name, args, attributes, shape):
    from shapelens.analysis.shapes import Shape
    from shapelens.frameworks.base import Ctx, bind

    import ast

    call = ast.parse(f"f({args})").body[0].value
    bound = bind(CATALOG[name].signature, [ast.literal_eval(a) for a in call.args],
                 {k.arg: ast.literal_eval(k.value) for k in call.keywords}, None)
    ctx = Ctx(CATALOG[name], bound.values, bound.given, Shape.of(shape), "keras")
    ctx.extra = bound.extra_kwargs
    CATALOG[name].infer(ctx)
    if name == "TextVectorization":
        real = getattr(layers, name).compute_output_shape(__import__("types").SimpleNamespace(**attributes), shape)
    else:
        real = tf_only_shape(name, attributes, shape)
    assert not ctx.findings and ctx.out.dims == tuple(real)
