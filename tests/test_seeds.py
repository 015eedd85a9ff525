"""The hand calculations of the seed articles (/work/shared/seeds), checked against shapelens' analysis of
the samples that rebuild those networks. Every expected number below is copied from an article (the
quoted line sits next to it), never from shapelens' own output.

  001 LeNet-5 (a Chinese blog post on CNN parameter counts)       -> samples/lenet5.py
  002 "How to calculate the number of parameters for CNN?" (Lasagne MNIST CNN) -> samples/lasagne_mnist_cnn.py
  003 Keras MLP and CNN model.summary() (a Chinese blog post)    -> samples/keras_mnist_mlp.py, keras_cnn_summary.py
  004 Caffe LeNet log, "CNN中的参数与计算量"                       -> samples/caffe_lenet.py
"""
from __future__ import annotations

import pathlib

import pytest

from shapelens.analysis import analyze_source

SAMPLES = pathlib.Path(__file__).resolve().parents[1] / "samples"


def analyse(name: str):
    path = SAMPLES / name
    result = analyze_source(path.read_text(encoding="utf-8"), str(path))
    assert len(result.models) == 1, [m.name for m in result.models]
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert not errors, errors
    return result.models[0]


def of_type(model, *types: str) -> list:
    return [l for l in model.layers if l.type in types]


def named(model, name: str):
    found = [l for l in model.layers if l.name == name]
    assert len(found) == 1, f"no single layer named {name!r}: {[l.name for l in model.layers]}"
    return found[0]


def per_sample(shape) -> tuple:
    """A shape without its batch dimension (the articles print C×H×W or a feature count)."""
    assert shape is not None and not shape.open_rank, shape
    return tuple(shape.dims[1:])


# ------------------------------------------------------------------------------------------- seed 002

@pytest.fixture(scope="module")
def lasagne():
    return analyse("lasagne_mnist_cnn.py")


def test_002_total(lasagne):
    # "So in your network, you have a total of 832 + 9'248 + 205'056 + 2'570 = 217'706 learnable parameters"
    assert lasagne.total_params == 217_706
    assert lasagne.trainable_params == 217_706


def test_002_per_layer_params(lasagne):
    # "1  conv2d1   (28-(5-1))=24 -> 32x24x24    (5*5*1+1)*32   =     832"
    # "3  conv2d2   (12-(3-1))=10 -> 32x10x10    (3*3*32+1)*32  =   9'248"
    # "5  dense                           256    (32*5*5+1)*256 = 205'056"
    # "6  output                           10    (256+1)*10     =   2'570"
    with_params = [l.params for l in lasagne.layers if l.params]
    assert with_params == [832, 9_248, 205_056, 2_570]
    conv1, conv2 = of_type(lasagne, "Conv2d")
    dense, output = of_type(lasagne, "Linear")
    assert (conv1.params, conv2.params, dense.params, output.params) == (832, 9_248, 205_056, 2_570)
    assert per_sample(dense.output_shape) == (256,)
    assert per_sample(output.output_shape) == (10,)


def test_002_shapes(lasagne):
    # "1  conv2d1   (28-(5-1))=24 -> 32x24x24"
    # "2  maxpool1                   32x12x12"
    # "3  conv2d2   (12-(3-1))=10 -> 32x10x10"
    # "4  maxpool2                     32x5x5"
    conv1, conv2 = of_type(lasagne, "Conv2d")
    pool1, pool2 = of_type(lasagne, "MaxPool2d")
    assert per_sample(lasagne.input_shape) == (1, 28, 28)   # "0  input   1x28x28"
    assert per_sample(conv1.output_shape) == (32, 24, 24)
    assert per_sample(pool1.output_shape) == (32, 12, 12)
    assert per_sample(conv2.output_shape) == (32, 10, 10)
    assert per_sample(pool2.output_shape) == (32, 5, 5)


def test_002_conv1_formula_text(lasagne):
    # "(5*5*1+1)*32   =     832", printed by shapelens with · for *
    conv1 = of_type(lasagne, "Conv2d")[0]
    params_formulas = [text for what, text in conv1.formulas if what == "params"]
    assert any("(5·5·1 + 1)·32 = 832" in t for t in params_formulas), conv1.formulas


# ------------------------------------------------------------------------------------------- seed 003

def test_003_mlp():
    mlp = analyse("keras_mnist_mlp.py")
    # "flatten (Flatten) (None, 784) 0"
    # "dense (Dense) (None, 512) 401920"
    # "dense_1 (Dense) (None, 256) 131328"
    # "dense_2 (Dense) (None, 128) 32896"
    # "dense_3 (Dense) (None, 10) 1290"
    expected = [("Flatten", (None, 784), 0), ("Dense", (None, 512), 401_920), ("Dense", (None, 256), 131_328),
                ("Dense", (None, 128), 32_896), ("Dense", (None, 10), 1_290)]
    got = [(l.type, tuple(l.output_shape.dims) if l.output_shape else None, l.params) for l in mlp.layers]
    assert got == expected
    # "Total params: 567,434"  "Trainable params: 567,434"  "Non-trainable params: 0"
    assert mlp.total_params == 567_434
    assert mlp.trainable_params == 567_434
    assert mlp.non_trainable_params == 0


def test_003_cnn():
    cnn = analyse("keras_cnn_summary.py")
    # "Conv_1 (Conv2D) (None, 128, 128, 512) 38912"
    # "Pool_1 (MaxPooling2D) (None, 63, 63, 512) 0"
    # "Conv_2 (Conv2D) (None, 31, 31, 256) 1179904"
    # "Pool_2 (MaxPooling2D) (None, 15, 15, 256) 0"
    # "flatten (Flatten) (None, 57600) 0"
    # "Dense_1 (Dense) (None, 128) 7372928"
    # "Dense_2 (Dense) (None, 10) 1290"
    expected = {
        "Conv_1": ((None, 128, 128, 512), 38_912),
        "Pool_1": ((None, 63, 63, 512), 0),
        "Conv_2": ((None, 31, 31, 256), 1_179_904),
        "Pool_2": ((None, 15, 15, 256), 0),
        "Dense_1": ((None, 128), 7_372_928),
        "Dense_2": ((None, 10), 1_290),
    }
    for name, (shape, params) in expected.items():
        layer = named(cnn, name)
        assert tuple(layer.output_shape.dims) == shape, name
        assert layer.params == params, name
    (flatten,) = of_type(cnn, "Flatten")
    assert tuple(flatten.output_shape.dims) == (None, 57_600)
    # "Total params: 8,593,034"
    assert cnn.total_params == 8_593_034
    assert cnn.non_trainable_params == 0


# ------------------------------------------------------------------------------------------- seed 004

@pytest.fixture(scope="module")
def caffe():
    return analyse("caffe_lenet.py")


def test_004_conv1(caffe):
    conv1 = named(caffe, "conv1")
    # "I0405 18:22:48.351820 13112 net.cpp:157] Top shape: 64 20 24 24 (737280)"
    assert tuple(conv1.output_shape.dims) == (64, 20, 24, 24)
    # "则单样本前向传播计算量为:5×5×24×24×20 = 288 000" (per sample)
    assert conv1.macs == 288_000
    # "卷积层参数数量为:5×5×20 = 500" counts the weights only; torch adds 20 biases: 500 + 20
    assert conv1.params == 500 + 20


def test_004_pools_and_ip1(caffe):
    # "Top shape: 64 20 12 12 (184320)"  (pool1)
    assert tuple(named(caffe, "pool1").output_shape.dims) == (64, 20, 12, 12)
    # "Top shape: 64 50 4 4 (51200)"  (pool2)
    assert tuple(named(caffe, "pool2").output_shape.dims) == (64, 50, 4, 4)
    ip1 = named(caffe, "ip1")
    # "Top shape: 64 500 (32000)"  (ip1)
    assert tuple(ip1.output_shape.dims) == (64, 500)
    # "所以单样本前向传播计算量为:4×4×50×500 = 400 000"
    assert ip1.macs == 400_000
    # "参数数量为4×4×50×500 = 400 000" (weights; torch adds 500 biases)
    assert ip1.params == 400_000 + 500
    # "conv-1的计算量是ip1的0.72"
    assert named(caffe, "conv1").macs / ip1.macs == pytest.approx(0.72)


# ------------------------------------------------------------------------------------------- seed 001

def test_001_lenet5():
    lenet = analyse("lenet5.py")
    c1, c3, c5 = of_type(lenet, "Conv2d")
    f6, output = of_type(lenet, "Linear")
    # "特征图的大小为28*28,这样能防止输入的连接掉到边界之外(32-5+1=28)"
    assert per_sample(lenet.input_shape) == (1, 32, 32)
    assert per_sample(c1.output_shape) == (6, 28, 28)
    # "C1有156个可训练参数(...共(5*5+1)*6=156个参数)"
    assert c1.params == 156
    # "C3 ... 得到的特征map就只有10x10个神经元 ... 所以就存在16个特征map了"
    assert per_sample(c3.output_shape) == (16, 10, 10)
    # "S4层是一个下采样层,由16个5*5大小的特征图构成"
    s2, s4 = of_type(lenet, "AvgPool2d")
    assert per_sample(s2.output_shape) == (6, 14, 14)   # "S2层是一个下采样层,有6个14*14的特征图"
    assert per_sample(s4.output_shape) == (16, 5, 5)
    # "故C5特征图的大小为1*1(5-5+1=1)" ; "C5层有48120(120*(16*5*5+1)=48120 ...)个可训练连接"
    assert per_sample(c5.output_shape) == (120, 1, 1)
    assert c5.params == 48_120
    # "F6层有84个单元 ... 有10164(84*(120*(1*1)+1)=10164)个可训练参数"
    assert per_sample(f6.output_shape) == (84,)
    assert f6.params == 10_164
