"""Symbolic sizes and the input inferred from the model (issue #17), judged by Python's integers and by
real PyTorch.

- The expression algebra (analysis/symbolic.py) against plain integer arithmetic at random sizes.
- Models given no input: every layer's symbolic output shape, evaluated at several input sizes (square
  and not), equals what torch produces at those sizes.
- Models whose layers fix the input (a Linear after a flatten, a view(-1, 16*5*5)): the inferred input is
  one torch runs, every smaller square size makes torch raise (it is the smallest), and the layer shapes
  at it are torch's.
- A Linear no input size can reach: torch raises at every size tried, and shapelens says so on its line.
"""
from __future__ import annotations

import textwrap

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapelens.analysis import analyze_source, symbolic

# ---------------------------------------------------------------- the algebra

OPS = st.lists(st.tuples(st.sampled_from(["add", "sub", "mul", "floordiv", "mulsym", "addsym"]),
                         st.integers(-7, 9)), max_size=8)


@settings(max_examples=300, deadline=None)
@given(OPS, st.integers(1, 300), st.integers(1, 300))
def test_expressions_evaluate_as_integer_arithmetic(ops, h, w):
    dim, value = "H", h
    env = {"H": h, "W": w}
    for op, k in ops:
        if op == "add":
            dim, value = symbolic.add(dim, k), value + k
        elif op == "sub":
            dim, value = symbolic.sub(dim, k), value - k
        elif op == "mul":
            dim, value = symbolic.mul(dim, k), value * k
        elif op == "floordiv" and k > 0:
            dim, value = symbolic.floordiv(dim, k), value // k
        elif op == "mulsym":
            dim, value = symbolic.mul(dim, symbolic.sub("W", k)), value * (w - k)
        elif op == "addsym":
            dim, value = symbolic.add(dim, "W"), value + w
        if dim == symbolic.UNKNOWN:   # too long to read: "?" is allowed, a wrong value is not
            return
        got = dim if isinstance(dim, int) else symbolic.evaluate(dim, env)
        assert got == value, (ops, dim)


def test_normal_forms_stay_short():
    h = "H"
    for _ in range(5):   # a ResNet's stem and four stride-2 stages: ((H+1)//2 ... )
        h = symbolic.add(symbolic.floordiv(symbolic.add(h, 2 - 2 - 1), 2), 1)
    assert str(h) == "(H+31)//32"
    pooled = symbolic.floordiv(symbolic.sub(symbolic.sub("H", 4), 0), 2)
    assert str(symbolic.mul(symbolic.mul(64, pooled), pooled)) == "64·((H-4)//2)·((H-4)//2)"
    assert str(symbolic.mul(symbolic.mul(8, symbolic.sub("H", 2)), symbolic.sub("W", 2))) == "8·(H-2)·(W-2)"


# ---------------------------------------------------------------- real torch

def build(source: str, name: str):
    ns: dict = {"__name__": "symbolic_case"}
    exec(compile(source, "<case>", "exec"), ns)
    obj = ns[name]
    model = obj() if isinstance(obj, type) else obj
    model.eval()
    return model


def record(source: str, name: str):
    result = analyze_source(source, "<case>")
    found = [m for m in result.models if m.name == name or m.class_name == name]
    assert found, [m.name for m in result.models]
    return found[0], result


def leaf_outputs(model, x) -> dict:
    seen: dict = {}

    def hook(name):
        def record_first(mod, args, out):   # returns None: the output stays the module's
            seen.setdefault(name, tuple(out.shape))
        return record_first
    hooks = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if n and not list(m.children())]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return seen


def runs(model, shape) -> bool:
    try:
        with torch.no_grad():
            model(torch.zeros(*shape))
        return True
    except RuntimeError:
        return False


FULLY_CONV = '''
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 5, stride=2),
    nn.BatchNorm2d(32),
    nn.Conv2d(32, 8, 3, stride=2, padding=1, dilation=2),
    nn.AvgPool2d(3, stride=2, ceil_mode=True),
    nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),
)
'''

CONV1D = '''
import torch.nn as nn

model = nn.Sequential(nn.Conv1d(12, 24, 7, stride=3), nn.MaxPool1d(3), nn.Conv1d(24, 4, 1))
'''


@pytest.mark.parametrize("source", [FULLY_CONV, CONV1D], ids=["conv2d", "conv1d"])
def test_symbolic_shapes_equal_torch_at_every_size(source):
    rec, _ = record(source, "model")
    model = build(source, "model")
    names = [d for d in rec.input_shape.dims[1:] if isinstance(d, str)]
    assert rec.input_shape.dims[0] == "N" and names, rec.input_shape
    sizes = [(s,) * len(names) for s in (40, 57, 64, 99)] + ([(41, 77)] if len(names) == 2 else [(133,)])
    for size in sizes:
        env = dict(zip(names, size), N=2)
        x = [2 if d == "N" else env[d] if isinstance(d, str) else d for d in rec.input_shape.dims]
        real = leaf_outputs(model, torch.zeros(*x))
        for layer in rec.layers:
            ours = tuple(d if isinstance(d, int) else symbolic.evaluate(d, env) for d in layer.output_shape.dims)
            assert ours == real[layer.path], (layer.path, layer.output_shape.text(), size)


MNIST = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output
'''

LENET_VIEW = '''
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x
'''

SEQUENTIAL_FLATTEN = '''
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 32, 5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(32, 32, 3),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(800, 256),
    nn.ReLU(),
    nn.Linear(256, 10),
)
'''


@pytest.mark.parametrize("source,name,expected", [(MNIST, "Net", 28), (LENET_VIEW, "LeNet", 32),
                                                  (SEQUENTIAL_FLATTEN, "model", 28)],
                         ids=["mnist", "lenet_view", "sequential_flatten"])
def test_inferred_input_is_the_smallest_torch_runs(source, name, expected):
    rec, result = record(source, name)
    model = build(source, name)
    dims = rec.input_shape.dims
    assert dims[0] == "N" and all(isinstance(d, int) for d in dims[1:]), rec.input_shape
    assert rec.input_source.startswith("inference:"), rec.input_source
    size = dims[2]
    assert size == expected   # the seeds' and tutorials' input sizes (MNIST 28, CIFAR LeNet 32)
    shape = (2,) + tuple(dims[1:])
    assert runs(model, shape)
    for smaller in range(1, size):
        assert not runs(model, (2, dims[1], smaller, smaller)), smaller
    real = leaf_outputs(model, torch.zeros(*shape))
    for layer in rec.layers:
        ours = tuple(2 if d == "N" else d for d in layer.output_shape.dims)
        assert ours == real[layer.path], layer.path
    assert not [d for d in result.diagnostics if d.severity == "error"]


def test_a_linear_no_input_reaches_is_an_error_on_its_line():
    source = MNIST.replace("nn.Linear(9216, 128)", "nn.Linear(9217, 128)")
    model = build(source, "Net")
    assert not any(runs(model, (1, 1, s, s)) for s in range(1, 80))
    assert not any(runs(model, (1, 1, 28, w)) for w in range(1, 80))
    rec, result = record(source, "Net")
    errors = [d for d in result.diagnostics if d.severity == "error"]
    line = source.splitlines().index("        self.fc1 = nn.Linear(9217, 128)") + 1
    assert [(d.code, d.span.line) for d in errors] == [("SL106", line)]
    assert "9217" in errors[0].message and "64·((H-4)//2)·((W-4)//2)" in errors[0].message
    assert rec.input_shape.text() == "(N, 1, H, W)"


def test_a_directive_with_symbols_is_not_solved():
    """`input=(N, 1, H, W)` says the sizes are free: the shapes stay symbolic, nothing is inferred."""
    source = MNIST.replace("class Net(nn.Module):", "class Net(nn.Module):  # shapelens: input=(N, 1, H, W)")
    rec, result = record(source, "Net")
    assert rec.input_shape.text() == "(N, 1, H, W)" and rec.input_source == "directive"
    model = build(source, "Net")
    real = leaf_outputs(model, torch.zeros(3, 1, 28, 28))
    for layer in rec.layers:
        ours = tuple(symbolic.evaluate(d, {"N": 3, "H": 28, "W": 28}) if isinstance(d, str) else d
                     for d in layer.output_shape.dims)
        assert ours == real[layer.path], layer.path


# ---------------------------------------------------------------- generated stacks (hypothesis)

@st.composite
def conv_stacks(draw):
    """A Sequential of 1-4 convolutions / pools / transposed convolutions with random geometry."""
    layers, ch = [], 3
    for i in range(draw(st.integers(1, 4))):
        # a convolution first: it is what gives a model without an input its (N, C, H, W)
        kind = "conv" if i == 0 else draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "convt"]))
        k = draw(st.integers(1, 5))
        s = draw(st.integers(1, 3))
        if kind == "conv":
            p, d = draw(st.integers(0, k // 2)), draw(st.integers(1, 2))
            out = draw(st.sampled_from([4, 8]))
            layers.append(f"nn.Conv2d({ch}, {out}, {k}, stride={s}, padding={p}, dilation={d})")
            ch = out
        elif kind == "convt":
            p = draw(st.integers(0, k // 2))
            op = draw(st.integers(0, max(0, s - 1)))
            layers.append(f"nn.ConvTranspose2d({ch}, 4, {k}, stride={s}, padding={p}, output_padding={op})")
            ch = 4
        else:
            p = draw(st.integers(0, k // 2))
            ceil = draw(st.booleans())
            name = "MaxPool2d" if kind == "maxpool" else "AvgPool2d"
            layers.append(f"nn.{name}({k}, stride={s}, padding={p}, ceil_mode={ceil})")
    return "import torch.nn as nn\n\nmodel = nn.Sequential(\n" + "".join(f"    {l},\n" for l in layers) + ")\n"


@settings(max_examples=60, deadline=None)
@given(conv_stacks(), st.lists(st.tuples(st.integers(8, 70), st.integers(8, 70)), min_size=3, max_size=3))
def test_symbolic_stacks_equal_torch_at_three_sizes(source, sizes):
    """Every dim shapelens gives as an expression equals torch's at three input sizes where torch runs;
    a dim it cannot express is "?" (allowed), never a wrong value."""
    rec, _ = record(source, "model")
    model = build(source, "model")
    assert rec.input_shape.text() == "(N, 3, H, W)"
    for h, w in sizes:
        try:
            real = leaf_outputs(model, torch.zeros(2, 3, h, w))
        except RuntimeError:
            continue   # too small for this stack: torch raises; nothing to compare at this size
        env = {"N": 2, "H": h, "W": w}
        for layer in rec.layers:
            for d, t in zip(layer.output_shape.dims, real[layer.path]):
                if d == symbolic.UNKNOWN:
                    continue
                assert (d if isinstance(d, int) else symbolic.evaluate(d, env)) == t, \
                    (layer.path, layer.output_shape.text(), (h, w), real[layer.path])


def test_a_view_no_input_size_fits_is_its_own_error_on_its_line():
    """`x.view(-1, 16 * 5 * 5 + 1)` after LeNet's convolutions: no square input makes 16·((H-12)//4)·((W-12)//4)
    equal 401, torch raises at every size tried, and the error is the view's code (SL111) on the view's line."""
    source = LENET_VIEW.replace("x.view(-1, 16 * 5 * 5)", "x.view(-1, 401)").replace(
        "nn.Linear(16 * 5 * 5, 120)", "nn.Linear(401, 120)")
    model = build(source, "LeNet")
    assert not any(runs(model, (1, 3, s, s)) for s in range(12, 90))
    rec, result = record(source, "LeNet")
    errors = [d for d in result.diagnostics if d.severity == "error"]
    line = source.splitlines().index("        x = x.view(-1, 401)") + 1
    assert [(d.code, d.span.line) for d in errors] == [("SL111", line)], [(d.code, d.span.line, d.message) for d in errors]
    assert "401" in errors[0].message
