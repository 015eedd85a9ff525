"""Compare every model shapelens reports for a source text with the same models built and run in the real
framework (torch 2.13 / Keras 3 on the torch backend). Test helpers, not tests.

torch: the object the source binds to the record's name (or, for a model made from a class with its
defaults, a fresh object of the class) runs on a tensor of the input shape shapelens reports (symbolic
dims -> 2); every module of named_modules() that is a leaf or holds parameters of its own is compared with
shapelens' rows by path (rows of a Sequential root carry no path: by order): output shape of its first
call, trainable and frozen parameters; then the model's totals from model.parameters().
Keras: model.layers (flattened through nested Sequentials), output shapes and weight counts, totals.
"""
from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import math  # noqa: E402

import keras  # noqa: E402
import torch  # noqa: E402

from shapelens.analysis import analyze_source  # noqa: E402

BATCH = 2


def run_source(source: str) -> dict:
    """Run the source as a module of its own, in sys.modules while it runs (dataclasses and registries read
    sys.modules[cls.__module__], as in an imported file)."""
    import sys
    import types

    module = types.ModuleType("shapelens_realcheck")
    sys.modules[module.__name__] = module
    torch.manual_seed(0)
    try:
        exec(compile(source, "<realcheck>", "exec"), module.__dict__)
    finally:
        sys.modules.pop(module.__name__, None)
    return module.__dict__


def concrete(shape) -> tuple:
    assert shape is not None and not shape.open_rank, "shapelens found no input shape"
    return tuple(d if isinstance(d, int) and not isinstance(d, bool) else BATCH for d in shape.dims)


def dims_match(static, real) -> bool:
    if static is None or static.open_rank or len(static.dims) != len(real):
        return False
    return all(not (isinstance(s, int) and not isinstance(s, bool)) or s == r for s, r in zip(static.dims, real)
               ) and "?" not in static.dims


def real_object(ns: dict, record):
    if record.name in ns and not isinstance(ns[record.name], type):
        return ns[record.name]
    name = record.name[:-2] if record.name.endswith("()") else record.name
    value = ns[name]
    return value() if callable(value) else value


def own(mod) -> tuple:
    return (sum(p.numel() for p in mod.parameters(recurse=False) if p.requires_grad),
            sum(p.numel() for p in mod.parameters(recurse=False) if not p.requires_grad))


CONTAINERS = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)


def is_leaf(m) -> bool:
    """A module with no children: an empty container too (ShuffleNetV2's `branch1 = nn.Sequential()`), a leaf
    of named_modules() as torchinfo and the corpus harness list it."""
    return next(m.children(), None) is None


def torch_rows(model, shape: tuple) -> dict:
    """path -> (class name, output shape of the first call or None, own params)."""
    outs: dict = {}
    handles = []
    for name, m in model.named_modules():
        if name and is_leaf(m):
            def hook(mod, args, out, name=name):
                while isinstance(out, (tuple, list)) and out:   # the first tensor, depth first
                    out = out[0]
                if hasattr(out, "shape"):
                    outs.setdefault(name, tuple(out.shape))
            handles.append(m.register_forward_hook(hook))
    model.eval()
    with torch.no_grad():
        try:
            model(torch.randn(*shape))
        except RuntimeError as e:   # an Embedding first: token ids
            if "indices" not in str(e):
                raise
            outs.clear()
            model(torch.randint(0, 2, shape))
    for h in handles:
        h.remove()
    rows = {}
    for name, m in model.named_modules():
        if (name and is_leaf(m)) or any(True for _ in m.parameters(recurse=False)):
            rows[name] = (type(m).__name__, outs.get(name) if name else None, own(m))
    return rows


def compare_torch(record, model) -> list:
    problems = []
    rows = torch_rows(model, concrete(record.input_shape))
    # rows by their path in the model (the path of the model's own parameters is "")
    pairs = [(l, rows.get(l.path if l.path is not None else l.name)) for l in record.layers]
    if len(rows) != len(record.layers):
        problems.append(f"{record.name}: {len(record.layers)} rows {[l.path for l in record.layers]}, torch has "
                        f"{len(rows)} {list(rows)}")
    for layer, real in pairs:
        where = f"{record.name}: {layer.name or layer.type} (line {layer.span.line})"
        if real is None:
            problems.append(f"{where}: no such module in torch")
            continue
        cls, out, params = real
        if out is not None and not dims_match(layer.output_shape, out):
            problems.append(f"{where}: shape {layer.output_shape.text() if layer.output_shape else '?'} vs {out}")
        if (layer.trainable, layer.non_trainable) != params:
            problems.append(f"{where}: params {layer.trainable}+{layer.non_trainable} vs {params[0]}+{params[1]}")
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if (record.total_params, record.trainable_params) != (total, trainable):
        problems.append(f"{record.name}: totals {record.total_params}/{record.trainable_params} vs {total}/{trainable}")
    return problems


def keras_layers(model) -> list:
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # shapelens rows are leaves; a nested model is a block of them
            out.extend(keras_layers(layer))
        elif not isinstance(layer, keras.layers.InputLayer):
            out.append(layer)
    return out


def n_weights(ws) -> int:
    return sum(math.prod(w.shape) for w in ws)


def compare_keras(record, model) -> list:
    problems = []
    real = keras_layers(model)
    if len(real) != len(record.layers):
        return [f"{record.name}: rows {[l.type for l in record.layers]} vs {[type(l).__name__ for l in real]}"]
    for layer, r in zip(record.layers, real):
        where = f"{record.name}: {layer.name or layer.type} (line {layer.span.line})"
        if layer.type != type(r).__name__:
            problems.append(f"{where}: type {layer.type} vs {type(r).__name__}")
            continue
        if not dims_match(layer.output_shape, tuple(r.output.shape)):
            problems.append(f"{where}: shape {layer.output_shape.text() if layer.output_shape else '?'} vs "
                            f"{tuple(r.output.shape)}")
        counts = (n_weights(r.trainable_weights), n_weights(r.non_trainable_weights))
        if (layer.trainable, layer.non_trainable) != counts:
            problems.append(f"{where}: params {layer.trainable}+{layer.non_trainable} vs {counts[0]}+{counts[1]}")
    if record.total_params != model.count_params():
        problems.append(f"{record.name}: total {record.total_params} vs {model.count_params()}")
    return problems


def check_against_frameworks(source: str, expect_models: int = None, only: tuple = ()) -> list:
    """Analyse `source`, run it for real, compare every model (or the ones named in `only`); returns the
    records. Fails on any difference, on a model shapelens did not find (expect_models), and on any error
    diagnostic."""
    result = analyze_source(source, "<realcheck>")
    errors = [f"line {d.span.line} {d.code}: {d.message}" for d in result.diagnostics if d.severity == "error"]
    assert not errors, errors
    if expect_models is not None:
        assert len(result.models) == expect_models, [m.name for m in result.models]
    ns = run_source(source)
    problems = []
    for record in result.models:
        if only and record.name not in only:
            continue
        obj = real_object(ns, record)
        if record.framework == "keras":
            problems += compare_keras(record, obj)
        else:
            problems += compare_torch(record, obj)
    assert not problems, "\n".join(problems)
    return result.models
