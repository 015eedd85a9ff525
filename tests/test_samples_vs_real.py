"""Differential test: shapelens' static analysis of every file in samples/ against the real framework.

For each sample, shapelens analyses the source text (never running it). Then this test -- not shapelens --
executes the sample (our own file) with __name__ != "__main__", takes each model shapelens reports by
its variable name, and compares layer by layer with what the framework really does:

  torch: forward hooks on the leaf modules record, in execution order, every layer's real output shape
         on a tensor of the input shape shapelens reports (symbolic dims such as "N" become 2); the
         parameters of each module (its own, not its children's) are summed from .parameters().
  keras: each layer's symbolic `layer.output.shape` from the built model, trainable / non-trainable
         weights per layer, and model.count_params().

MACs (one sample, bias excluded: the convention shapelens documents and seed 004 uses) are recomputed
from the real shapes for convolutions and dense layers.

Files in samples/broken/ carry `# expect: SLxxx` on the offending line: the real framework must raise
(at construction, build or forward) for that reason, and shapelens must report exactly those error
codes on exactly those lines.
"""
from __future__ import annotations

import math
import os
import pathlib
import re

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from shapelens.analysis import analyze_source  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
GOOD = sorted(SAMPLES.glob("*.py"))
BROKEN = sorted((SAMPLES / "broken").glob("*.py"))
EXPECT_RE = re.compile(r"#\s*expect:\s*(SL\d{3})")
SYMBOLIC_BATCH = 2

# What the real framework's exception says for each code: the sample must fail *for that reason*.
REAL_ERROR_TEXT = {
    "SL101": r"too small|negative|zero",
    "SL102": r"padding='same' is not supported for strided convolutions",
    "SL104": r"dilation",
    "SL105": r"channels|running_mean|elements",
    "SL106": r"mat1 and mat2 shapes cannot be multiplied",
    "SL107": r"divisible by groups",
}


def _id(path: pathlib.Path) -> str:
    return path.stem


def load_sample(path: pathlib.Path) -> dict:
    """Execute one of *our* sample files (shapelens itself never does this)."""
    ns: dict = {"__name__": f"shapelens_sample_{path.stem}", "__file__": str(path)}
    torch.manual_seed(0)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), ns)
    return ns


def resolve(ns: dict, name: str):
    """The real object behind a ModelRecord name: "model", "self.features", "make_model()"."""
    if name.endswith("()"):
        return ns[name[:-2]]()
    parts = name.split(".")
    if parts[0] == "self":
        owners = [v for v in ns.values()
                  if not isinstance(v, type) and type(v).__module__ == ns["__name__"] and hasattr(v, parts[1])]
        assert len(owners) == 1, f"cannot find the one instance owning `{name}` (found {len(owners)})"
        obj = owners[0]
    else:
        assert parts[0] in ns, f"shapelens reports a model `{name}` that the executed sample does not define"
        obj = ns[parts[0]]
    for p in parts[1:]:
        obj = getattr(obj, p)
    return obj


def concrete(shape) -> tuple:
    """The input shape shapelens reports, with symbolic dims ("N", None) replaced by a small batch."""
    assert shape is not None, "shapelens found no input shape"
    assert not shape.open_rank, f"shapelens' input shape {shape.text()} has an open rank"
    return tuple(d if isinstance(d, int) and not isinstance(d, bool) else SYMBOLIC_BATCH for d in shape.dims)


def dims_match(static, real: tuple) -> bool:
    """Known dims must be equal; symbolic names (N, None) match anything; "?" (unknown) never does."""
    if static is None or static.open_rank or len(static.dims) != len(real):
        return False
    for s, r in zip(static.dims, real):
        if s == "?":
            return False
        if isinstance(s, int) and not isinstance(s, bool) and s != r:
            return False
    return True


def text_of(shape) -> str:
    return shape.text() if shape is not None else "?"


def unexpected_diagnostics(result) -> list[str]:
    return [f"line {d.span.line}: unexpected {d.severity} {d.code}: {d.message}"
            for d in result.diagnostics if d.severity == "error" or d.code == "SL002"]


# ---------------------------------------------------------------------------------------------- torch

def torch_trace(module: torch.nn.Module, shape: tuple) -> list:
    """Run a real tensor through `module`; return [(leaf module, input shape, output shape)] in call order."""
    calls: list = []
    leaves = [m for m in module.modules() if next(m.children(), None) is None]

    def hook(mod, args, out):
        calls.append((mod, tuple(args[0].shape) if args else None, tuple(out.shape)))

    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        module.eval()  # BatchNorm on (2, C) after a global pool is fine in eval mode
        with torch.no_grad():
            module(torch.randn(*shape))
    finally:
        for h in handles:
            h.remove()
    return calls


def own_params(mod: torch.nn.Module) -> tuple[int, int]:
    trainable = sum(p.numel() for p in mod.parameters(recurse=False) if p.requires_grad)
    frozen = sum(p.numel() for p in mod.parameters(recurse=False) if not p.requires_grad)
    return trainable, frozen


def torch_macs(mod: torch.nn.Module, inp: tuple, out: tuple):
    """MACs for one sample from the real shapes (None for layers whose MACs this test does not judge)."""
    conv = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)
    convt = (torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d, torch.nn.ConvTranspose3d)
    if isinstance(mod, conv):
        batch = out[0] if len(out) == mod.weight.dim() else 1
        return math.prod(out) // batch * (mod.in_channels // mod.groups) * math.prod(mod.kernel_size)
    if isinstance(mod, convt):
        batch = inp[0] if len(inp) == mod.weight.dim() else 1
        return math.prod(inp) // batch * (mod.out_channels // mod.groups) * math.prod(mod.kernel_size)
    if isinstance(mod, torch.nn.Linear):
        batch = out[0] if len(out) > 1 else 1
        return math.prod(out) // batch * mod.in_features
    return None


def compare_torch(record, module) -> list[str]:
    problems: list[str] = []
    calls = torch_trace(module, concrete(record.input_shape))
    if len(calls) != len(record.layers):
        real = [type(m).__name__ for m, _, _ in calls]
        static = [l.type for l in record.layers]
        return [f"{record.name}: shapelens lists {len(static)} layers {static}, torch calls {len(real)} {real}"]
    for i, (layer, (mod, inp, out)) in enumerate(zip(record.layers, calls)):
        where = f"{record.name} layer {i} (line {layer.span.line}, {layer.type})"
        if getattr(torch.nn, layer.type, None) is not type(mod):
            problems.append(f"{where}: shapelens says {layer.type}, torch runs {type(mod).__name__}")
            continue
        if not dims_match(layer.output_shape, out):
            why = f" (unknown: {'; '.join(layer.unknown_reasons)})" if layer.unknown_reasons else ""
            problems.append(f"{where}: output shape {text_of(layer.output_shape)} but torch gives {out}{why}")
        trainable, frozen = own_params(mod)
        if (layer.trainable, layer.non_trainable) != (trainable, frozen):
            problems.append(f"{where}: params {layer.trainable}+{layer.non_trainable} (trainable+frozen) but "
                            f"torch has {trainable}+{frozen}")
        macs = torch_macs(mod, inp, out)
        if macs is not None and layer.macs != macs:
            problems.append(f"{where}: MACs {layer.macs} but the real shapes give {macs}")
    total = sum(p.numel() for p in module.parameters())
    if record.total_params != total:
        problems.append(f"{record.name}: total params {record.total_params} but torch counts {total}")
    return problems


# ---------------------------------------------------------------------------------------------- keras

def keras_layers(model) -> list:
    flat = []
    for layer in model.layers:
        if isinstance(layer, keras.Sequential):
            flat.extend(keras_layers(layer))
        else:
            flat.append(layer)
    return flat


def n_weights(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def keras_macs(layer, out: tuple):
    if type(layer) in (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D):
        per_group = layer.kernel.shape[-2]  # kernel: (*k, Cin/groups, filters)
        return math.prod(out[1:]) * per_group * math.prod(layer.kernel_size)
    if type(layer) is keras.layers.Dense:
        return math.prod(out[1:]) * layer.kernel.shape[0]
    return None


def compare_keras(record, model) -> list[str]:
    problems: list[str] = []
    if not model.built:
        return [f"{record.name}: the real Keras model is not built (it has no input shape)"]
    real_input = tuple(model.inputs[0].shape)
    if not dims_match(record.input_shape, real_input):
        problems.append(f"{record.name}: input {text_of(record.input_shape)} but Keras builds {real_input}")
    real_layers = keras_layers(model)
    if len(real_layers) != len(record.layers):
        return problems + [f"{record.name}: shapelens lists {[l.type for l in record.layers]}, Keras has "
                           f"{[type(l).__name__ for l in real_layers]}"]
    for i, (layer, real) in enumerate(zip(record.layers, real_layers)):
        where = f"{record.name} layer {i} (line {layer.span.line}, {layer.type})"
        if getattr(keras.layers, layer.type, None) is not type(real):
            problems.append(f"{where}: shapelens says {layer.type}, Keras has {type(real).__name__}")
            continue
        out = tuple(real.output.shape)
        if not dims_match(layer.output_shape, out):
            why = f" (unknown: {'; '.join(layer.unknown_reasons)})" if layer.unknown_reasons else ""
            problems.append(f"{where}: output shape {text_of(layer.output_shape)} but Keras gives {out}{why}")
        trainable, frozen = n_weights(real.trainable_weights), n_weights(real.non_trainable_weights)
        if (layer.trainable, layer.non_trainable) != (trainable, frozen):
            problems.append(f"{where}: params {layer.trainable}+{layer.non_trainable} (trainable+non-trainable) "
                            f"but Keras has {trainable}+{frozen}")
        macs = keras_macs(real, out)
        if macs is not None and layer.macs != macs:
            problems.append(f"{where}: MACs {layer.macs} but the real shapes give {macs}")
    if record.total_params != model.count_params():
        problems.append(f"{record.name}: total params {record.total_params} but Keras counts {model.count_params()}")
    if record.trainable_params != n_weights(model.trainable_weights):
        problems.append(f"{record.name}: trainable {record.trainable_params} but Keras has "
                        f"{n_weights(model.trainable_weights)}")
    return problems


# ---------------------------------------------------------------------------------------------- tests

def test_enough_samples():
    assert len(GOOD) >= 14, GOOD
    assert len(BROKEN) >= 5, BROKEN


@pytest.mark.parametrize("path", GOOD, ids=_id)
def test_sample_matches_real_framework(path: pathlib.Path):
    result = analyze_source(path.read_text(encoding="utf-8"), str(path))
    assert result.models, "shapelens found no model in the sample"
    problems = unexpected_diagnostics(result)
    ns = load_sample(path)
    for record in result.models:
        if record.input_shape is None:
            problems.append(f"{record.name}: shapelens found no input shape for the model")
            continue
        if record.kind == "module":  # a Module class: per-statement checks live in test_modules.py
            problems += compare_module(record, ns)
            continue
        real = resolve(ns, record.name)
        if record.framework == "keras":
            assert isinstance(real, keras.Model), f"{record.name} is not a Keras model"
            problems += compare_keras(record, real)
        else:
            assert isinstance(real, torch.nn.Module) and not isinstance(real, keras.Layer), record.name
            problems += compare_torch(record, real)
    assert not problems, f"{path.name}: shapelens disagrees with the real framework:\n  " + "\n  ".join(problems)


def compare_module(record, ns: dict) -> list:
    """An nn.Module class: the instance the sample makes (or a fresh one), its parameter total and the
    output shape of a forward on the input shape shapelens found."""
    cls = ns[record.class_name]
    instances = [v for v in ns.values() if type(v) is cls]
    model = ns[record.name] if type(ns.get(record.name)) is cls else instances[0] if instances else cls()
    problems = []
    total = sum(p.numel() for p in model.parameters())
    if record.total_params != total:
        problems.append(f"{record.name}: total params {record.total_params} but torch counts {total}")
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(*concrete(record.input_shape)))
    final = record.steps[-1].output_shape if record.steps else None
    if final is not None and not dims_match(final, tuple(out.shape)):
        problems.append(f"{record.name}: forward returns {tuple(out.shape)} but shapelens says {final.text()}")
    return problems


def expected_markers(text: str) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(text.splitlines(), start=1):
        for m in EXPECT_RE.finditer(line):
            found.add((number, m.group(1)))
    return found


@pytest.mark.parametrize("path", BROKEN, ids=_id)
def test_broken_sample_is_flagged(path: pathlib.Path):
    text = path.read_text(encoding="utf-8")
    expected = expected_markers(text)
    assert expected, f"{path.name} has no `# expect: SLxxx` marker"
    result = analyze_source(text, str(path))
    errors = {(d.span.line, d.code) for d in result.diagnostics if d.severity == "error"}
    details = "\n  ".join(f"line {d.span.line} {d.code} {d.severity}: {d.message}" for d in result.diagnostics)
    assert errors == expected, (f"{path.name}: expected errors {sorted(expected)}, shapelens reports "
                                f"{sorted(errors)}\n  {details}")


@pytest.mark.parametrize("path", BROKEN, ids=_id)
def test_broken_sample_really_fails(path: pathlib.Path):
    """The marked mistake is a real one: the framework raises at construction, build or forward."""
    text = path.read_text(encoding="utf-8")
    codes = {code for _, code in expected_markers(text)}
    assert codes and codes <= set(REAL_ERROR_TEXT), codes
    raised = None
    try:
        ns = load_sample(path)
    except Exception as e:  # construction or (Keras) build
        raised = e
    if raised is None:
        result = analyze_source(text, str(path))
        assert result.models, "shapelens found no model to run"
        for record in result.models:
            real = resolve(ns, record.name)
            try:
                torch_trace(real, concrete(record.input_shape))
            except Exception as e:  # forward
                raised = e
                break
    assert raised is not None, f"{path.name}: the real framework accepts this model; the sample is not broken"
    pattern = "|".join(REAL_ERROR_TEXT[c] for c in sorted(codes))
    assert re.search(pattern, str(raised)), f"{path.name}: raised for another reason: {type(raised).__name__}: {raised}"
