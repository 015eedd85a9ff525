"""Keras functional and subclassed models (issue 5), checked against real Keras 3 (torch backend).

The samples in samples/modules/ are executed: every statement's tensor (module-level KerasTensors, or a
line tracer inside call()), every layer's output at its first call and its count_params(), and the
model's count_params() must match shapelens' records. The broken samples mark the expected error with
`# !! CODE`; Keras must raise on that line too.
"""
from __future__ import annotations

import ast
import traceback

import numpy as np
import pytest

import keras
from shapelens.analysis import analyze_source
from test_modules import dims, marked_lines, our_steps, record_of, run_sample, source_of, traced_steps


def statement_values(source: str, filename: str) -> dict:
    """Execute the module statement by statement: line -> shape of the KerasTensor each one assigned."""
    ns: dict = {"__name__": "sample"}
    out = {}
    for node in ast.parse(source).body:
        exec(compile(ast.Module([node], []), filename, "exec"), ns)
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            value = ns[node.targets[0].id]
            if isinstance(value, keras.KerasTensor):
                out[node.lineno] = tuple(value.shape)
    return out


def real_layers(model) -> list:
    return [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]


def first_output(layer) -> tuple:
    return tuple(layer._inbound_nodes[0].output_tensors[0].shape)


def weights_size(weights) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


def check_functional(rec, model) -> None:
    # Keras lists the layers by depth from the outputs; shapelens in the order they are applied (also a
    # graph order). Compare each layer's type, first output and weights, whatever the order.
    real = sorted((type(l).__name__, str(first_output(l)), weights_size(l.trainable_weights),
                   weights_size(l.non_trainable_weights)) for l in real_layers(model))
    ours = sorted((l.type, str(dims(l.output_shape)), l.trainable, l.non_trainable) for l in rec.layers)
    assert ours == real
    assert rec.total_params == model.count_params()


def test_two_input_functional_model_matches_keras():
    source = source_of("keras_two_inputs.py")
    ns = run_sample("keras_two_inputs.py")
    result = analyze_source(source, "keras_two_inputs.py")
    assert not result.diagnostics
    model_rec = record_of(result, "model")
    assert model_rec.kind == "functional" and model_rec.framework == "keras"
    check_functional(model_rec, ns["model"])
    check_functional(record_of(result, "encoder"), ns["encoder"])

    steps = {s.span.line: dims(s.output_shape) for s in model_rec.steps}
    assert steps == statement_values(source, "keras_two_inputs.py")


def test_shared_layer_counted_once():
    ns = run_sample("keras_two_inputs.py")
    rec = record_of(analyze_source(source_of("keras_two_inputs.py")), "model")
    assert sum(1 for l in rec.layers if l.name == "shared_proj") == 1
    assert sum(1 for l in ns["model"].layers if l.name == "shared_proj") == 1


def resolve(model, path: str):
    obj = model
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def test_subclassed_keras_model_matches_keras():
    source = source_of("keras_subclassed.py")
    ns = run_sample("keras_subclassed.py")
    model = ns["model"]
    x = np.zeros((4, 20), dtype="float32")
    result = analyze_source(source, "keras_subclassed.py")
    assert not result.diagnostics
    rec = record_of(result, "Classifier")
    assert rec.kind == "module" and rec.input_source == "example input"

    seen = {}
    for layer in rec.layers:
        real = resolve(model, layer.name)
        original = real.call

        def wrapper(*args, _name=layer.name, _call=original, **kwargs):
            out = _call(*args, **kwargs)
            seen.setdefault(_name, tuple(out.shape))
            return out

        real.call = wrapper
        assert layer.params == real.count_params(), layer.name
    model(x)
    for layer in rec.layers:
        assert dims(layer.output_shape) == seen[layer.name], layer.name
    assert rec.total_params == model.count_params()

    real_steps = traced_steps(model, (x,), source, method="call")
    assert real_steps
    assert our_steps(rec) == real_steps


def test_broken_add_is_flagged_where_keras_raises():
    source = source_of("broken_keras_add.py")
    expected = marked_lines(source)
    result = analyze_source(source, "broken_keras_add.py")
    assert {(d.span.line, d.code) for d in result.diagnostics if d.severity == "error"} == set(expected.items())
    with pytest.raises(ValueError) as info:
        run_sample("broken_keras_add.py")
    frames = [f for f in traceback.extract_tb(info.value.__traceback__) if f.filename == "broken_keras_add.py"]
    assert frames[-1].lineno in expected


SHARED_MISFIT = '''
import keras
from keras import layers

a = keras.Input(shape=(8,))
b = keras.Input(shape=(4,))
shared = layers.Dense(3)
ya = shared(a)
yb = shared(b)
'''


def test_shared_layer_called_on_another_width():
    result = analyze_source(SHARED_MISFIT)
    errors = [(d.span.line, d.code) for d in result.diagnostics if d.severity == "error"]
    assert errors == [(9, "SL105")]
    ns: dict = {}
    with pytest.raises(ValueError) as info:
        exec(compile(SHARED_MISFIT, "<snippet>", "exec"), ns)
    assert [f for f in traceback.extract_tb(info.value.__traceback__) if f.filename == "<snippet>"][-1].lineno == 9


def test_model_inside_a_function_is_named_after_it():
    source = '''
import keras
from keras import layers


def build():
    inputs = keras.Input(shape=(6,))
    x = layers.Dense(4)(inputs)
    return keras.Model(inputs, layers.Dense(2)(x))
'''
    result = analyze_source(source)
    rec = record_of(result, "build()")
    ns: dict = {}
    exec(compile(source, "<snippet>", "exec"), ns)
    assert rec.total_params == ns["build"]().count_params()
