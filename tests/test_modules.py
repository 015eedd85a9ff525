"""nn.Module analysis (issue 5), checked against real PyTorch.

Each sample in samples/modules/ is executed for real: forward hooks give every leaf module's output shape
at its first call, a line tracer gives the value each statement of the top model's forward() assigns or
returns, and parameters() gives the per-module and total parameter counts. shapelens' records must match
them. The broken samples mark the line of the expected error with `# !! CODE`; the real framework must
raise there too (the innermost frame of the sample in the traceback).
"""
from __future__ import annotations

import ast
import os
import re
import sys
import textwrap
import traceback

import pytest
import torch

from conftest import SAMPLES
from realcheck import is_leaf   # a module with no children, an empty container too
from shapelens.analysis import analyze_source

MODULES = os.path.join(SAMPLES, "modules")
DIAG = re.compile(r"#\s*!!\s*(SL\d+)")


def source_of(name: str) -> str:
    with open(os.path.join(MODULES, name), encoding="utf-8") as f:
        return f.read()


def run_sample(name: str) -> dict:
    """Execute a sample (ours) and return its namespace."""
    namespace = {"__name__": "sample_" + name.replace(".", "_")}
    exec(compile(source_of(name), name, "exec"), namespace)
    return namespace


def record_of(result, name: str):
    """The model named `name`, or the one that is an object of the class `name`."""
    found = [m for m in result.models if m.name == name] or [m for m in result.models if m.class_name == name]
    assert found, f"no model {name}; found {[(m.name, m.class_name) for m in result.models]}"
    return found[0]


def dims(shape) -> tuple:
    return tuple(shape.dims) if shape is not None else None


# ---------------------------------------------------------------- what real PyTorch does

def leaf_outputs(model: torch.nn.Module, inputs: tuple) -> dict:
    """name -> output shape at the module's first call."""
    seen: dict = {}
    handles = []
    for name, m in model.named_modules():
        if name and is_leaf(m):
            def hook(mod, args, out, name=name):
                seen.setdefault(name, tuple(out.shape))
            handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model(*inputs)
    for h in handles:
        h.remove()
    return seen


def simple_statements(tree: ast.AST) -> tuple:
    """line of each simple statement in any function of the file -> (kind, target names), and every line of
    a statement -> its first line."""
    out, owner = {}, {}
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for st in ast.walk(fn):
            if isinstance(st, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)):
                targets = []
                if isinstance(st, ast.Assign):
                    targets = [t.id for t in st.targets if isinstance(t, ast.Name)]
                elif isinstance(st, (ast.AugAssign, ast.AnnAssign)) and isinstance(st.target, ast.Name):
                    targets = [st.target.id]
                out[st.lineno] = (type(st).__name__, targets)
                for ln in range(st.lineno, st.end_lineno + 1):
                    owner.setdefault(ln, st.lineno)
            elif isinstance(st, ast.stmt):
                owner.setdefault(st.lineno, st.lineno)
    return out, owner


def traced_steps(model, inputs: tuple, source: str, method: str = "forward") -> dict:
    """line -> shape of the tensor the statement on that line assigned or returned, over every function of
    the file that runs in one call of the model (a block's forward too); a line that made several distinct
    shapes (a block class used N times, a loop) -> the list of them in first-seen order."""
    statements, owner = simple_statements(ast.parse(source))
    filename = getattr(type(model), method).__code__.co_filename
    seen: dict = {}

    def add(line, shape):
        shapes = seen.setdefault(line, [])
        if shape not in shapes:
            shapes.append(shape)

    def snapshot(frame, line):
        kind, targets = statements.get(line, (None, []))
        for t in targets:
            v = frame.f_locals.get(t)
            if isinstance(v, torch.Tensor):
                add(line, tuple(v.shape))

    def local(frame, event, arg, prev):
        # prev: the frame's last line; the tracer below gives each call its own
        if event == "line":
            line = owner.get(frame.f_lineno, frame.f_lineno)
            if prev[0] is not None and prev[0] != line:
                snapshot(frame, prev[0])
            prev[0] = line
        elif event == "return":
            if prev[0] is not None and statements.get(prev[0], ("",))[0] == "Return" and hasattr(arg, "shape"):
                add(prev[0], tuple(arg.shape))
        return local

    def tracer(frame, event, arg):
        if event != "call" or frame.f_code.co_filename != filename:
            return None
        prev = [None]

        def this_frame(frame, event, arg):
            return local(frame, event, arg, prev) and this_frame
        return this_frame

    sys.settrace(tracer)
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        sys.settrace(None)
    return {line: shapes[0] if len(shapes) == 1 else shapes for line, shapes in seen.items()}


def our_steps(rec) -> dict:
    """line -> the step's shape, or the list of its distinct shapes (the form traced_steps gives)."""
    out = {}
    for s in rec.steps:
        shapes = [dims(x) for x in (s.output_shapes or [s.output_shape])]
        out[s.span.line] = shapes[0] if len(shapes) == 1 else shapes
    return out


def params_of(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# ---------------------------------------------------------------- the comparison

def compare_module(sample: str, model_var: str, class_name: str, inputs: tuple):
    source = source_of(sample)
    ns = run_sample(sample)
    model = ns[model_var] if model_var else ns[class_name]()
    model.eval()  # BatchNorm in eval mode: shapes are the same, no running-stat updates
    result = analyze_source(source, sample)
    rec = record_of(result, class_name)
    assert rec.kind == "module"
    assert dims(rec.input_shape) == tuple(inputs[0].shape)

    real_leaves = {n: m for n, m in model.named_modules() if n and is_leaf(m)}
    assert [l.name for l in rec.layers] == list(real_leaves), "leaf modules in named_modules() order"
    for layer in rec.layers:
        assert layer.params == params_of(real_leaves[layer.name]), layer.name
    assert rec.total_params == params_of(model)

    outputs = leaf_outputs(model, inputs)
    for layer in rec.layers:
        assert dims(layer.output_shape) == outputs.get(layer.name), layer.name

    real_steps = traced_steps(model, inputs, source)
    ours = our_steps(rec)
    assert real_steps, "the tracer saw the forward statements"
    assert ours == real_steps
    assert not [d for d in result.diagnostics if d.severity == "error"]
    return rec, result


def test_lenet_module_with_functional_calls():
    rec, result = compare_module("lenet_module.py", "net", "LeNet", (torch.randn(1, 1, 32, 32),))
    assert rec.input_source == "example input"
    assert not [d for d in result.diagnostics if d.code == "SL002"]


def test_resnet_basic_block():
    rec, _ = compare_module("basic_block.py", "block", "BasicBlock", (torch.zeros(4, 64, 56, 56),))
    assert any(l.name.startswith("downsample.") for l in rec.layers)


def test_small_resnet_with_block_used_several_times():
    rec, result = compare_module("resnet_small.py", "model", "ResNet", (torch.randn(2, 3, 32, 32),))
    # BasicBlock is a part of ResNet here, not a model of its own
    assert [(m.name, m.class_name) for m in result.models] == [("model", "ResNet")]
    assert sum(1 for l in rec.layers if l.name.endswith(".conv1")) == 6


def test_unet_with_cat_skips():
    ns = run_sample("unet_small.py")
    torch.manual_seed(0)
    model = ns["UNet"]()
    source = source_of("unet_small.py")
    result = analyze_source(source, "unet_small.py")
    rec = record_of(result, "UNet")
    assert rec.input_source == "directive"
    ns["unet"] = model
    inputs = (torch.randn(1, 3, 64, 64),)
    model.eval()
    real_leaves = {n: m for n, m in model.named_modules() if n and is_leaf(m)}
    assert [l.name for l in rec.layers] == list(real_leaves)
    assert rec.total_params == params_of(model)
    outputs = leaf_outputs(model, inputs)
    for layer in rec.layers:
        assert dims(layer.output_shape) == outputs[layer.name], layer.name
    assert our_steps(rec) == traced_steps(model, inputs, source)


# ---------------------------------------------------------------- broken variants

BROKEN = ["broken_view.py", "broken_linear.py", "broken_residual.py"]


def marked_lines(source: str) -> dict:
    return {i: m.group(1) for i, line in enumerate(source.splitlines(), 1) if (m := DIAG.search(line))}


@pytest.mark.parametrize("sample", BROKEN)
def test_broken_variant_is_flagged_where_torch_raises(sample):
    source = source_of(sample)
    expected = marked_lines(source)
    assert expected
    result = analyze_source(source, sample)
    errors = {(d.span.line, d.code) for d in result.diagnostics if d.severity == "error"}
    assert errors == {(line, code) for line, code in expected.items()}

    with pytest.raises(RuntimeError) as info:
        run_sample(sample)
    frames = [f for f in traceback.extract_tb(info.value.__traceback__) if f.filename == sample]
    assert frames[-1].lineno in expected, "torch raises on the flagged line"


# ---------------------------------------------------------------- smaller behaviours (real torch as oracle)

def analyse_snippet(source: str, name: str):
    result = analyze_source(source, "<snippet>")
    return record_of(result, name), result


def real_forward_steps(source: str, cls: str, inputs: tuple) -> tuple:
    ns: dict = {"__name__": "snippet"}
    exec(compile(source, "<snippet>", "exec"), ns)
    model = ns[cls]()
    return model, traced_steps(model, inputs, source)


TENSOR_OPS = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Ops(nn.Module):  # shapelens: input=(2, 8, 6, 10)
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(6, 4)
        self.blocks = nn.ModuleList([nn.Conv2d(8, 8, 3, padding=1) for _ in range(3)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 3), "b": nn.Linear(4, 5)})
        self.unused = nn.Linear(7, 7)
        self.scale = nn.Parameter(torch.ones(1, 8, 1, 1))

    def forward(self, x):
        for block in self.blocks:
            x = block(x) * self.scale
        x = F.pad(x, (1, 2, 0, 1))
        x = F.interpolate(x, scale_factor=2)
        x = F.avg_pool2d(x, 2)
        y = x.permute(0, 2, 3, 1)
        y = y.transpose(1, 2).contiguous()
        z = y.reshape(y.size(0), -1, 8)
        z = z.mean(dim=1, keepdim=True)
        w = x.flatten(2).transpose(1, 2)
        w = self.proj(w[..., 2:])
        s = torch.stack([w, w], dim=1)
        c = torch.cat((w, w, w), dim=-1)
        u = w.unsqueeze(0).squeeze(0)
        a = self.heads["a"](u)
        b = self.heads["b"](u[:, -1])
        v = x.view(x.size(0), x.size(1), -1).sum(-1)
        return a.sum() + b.mean() + v.amax() + s.sum() + c.sum() + z.sum()
'''


def test_tensor_operations_match_torch():
    inputs = (torch.randn(2, 8, 6, 10),)
    rec, result = analyse_snippet(TENSOR_OPS, "Ops")
    model, real = real_forward_steps(TENSOR_OPS, "Ops", inputs)
    ours = our_steps(rec)
    assert ours == real
    assert rec.total_params == params_of(model)  # includes the unused Linear and the Parameter
    assert not result.diagnostics


def test_unknown_operation_says_why():
    source = '''
import torch
import torch.nn as nn


class Odd(nn.Module):  # shapelens: input=(1, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        x = self.fc(x)
        x = torch.fft.rfft(x)
        return self.fc(x)
'''
    rec, result = analyse_snippet(source, "Odd")
    steps = {s.span.line: s for s in rec.steps}
    assert steps[12].output_shape is not None
    assert steps[13].output_shape is None and steps[13].unknown_reasons
    infos = [d for d in result.diagnostics if d.code == "SL002"]
    assert [d.span.line for d in infos] == [13]
    assert rec.total_params == 20  # Linear(4, 4): 4·4 + 4


def test_constructor_defaults_subclass_and_directive_on_the_line_above():
    source = '''
import torch.nn as nn


class Base(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.stem = nn.Conv1d(2, width, 3)


# shapelens: input=(5, 2, 20)
class Net(Base):
    def __init__(self, width=16, classes=3):
        super().__init__(width)
        self.head = nn.Linear(width * 18, classes)

    def forward(self, x):
        x = self.stem(x)
        x = x.view(x.shape[0], -1)
        return self.head(x)
'''
    import torch

    rec, result = analyse_snippet(source, "Net")
    model, real = real_forward_steps(source, "Net", (torch.randn(5, 2, 20),))
    assert our_steps(rec) == real
    assert rec.total_params == params_of(model)
    assert not result.diagnostics


def test_symbolic_batch_and_no_input():
    source = '''
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):  # shapelens: input=(N, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4 * 6 * 6, 2)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = x.view(x.size(0), -1)
        return self.fc(x)


class NoInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x)
'''
    rec, result = analyse_snippet(source, "Net")
    assert [s.output_shape.text() for s in rec.steps] == ["(N, 4, 6, 6)", "(N, 144)", "(N, 2)"]
    other = record_of(result, "NoInput")
    # no input given, and a Linear takes any rank: no input is guessed, the parameters still count
    assert other.input_shape is None and other.total_params == 8
    assert not [d for d in result.diagnostics if d.severity == "error"]


def test_cat_skips_empty_one_dimensional_tensors_as_torch_does():
    """torch.cat drops 1-D empty tensors whatever the others' rank (torchaudio's Emformer concatenates
    torch.empty(0) with its (T, N, D) memory): no false "different ranks" error, the shapes torch gives."""
    source = textwrap.dedent('''
        import torch
        import torch.nn as nn


        class Memory(nn.Module):  # shapelens: input=(4, 2, 8)
            def __init__(self):
                super().__init__()
                self.proj = nn.Linear(8, 8)

            def forward(self, x):
                empty = torch.empty(0)
                y = torch.cat([self.proj(x), empty])
                z = torch.cat([empty, y, x], dim=0)
                return torch.cat([z, empty], dim=2)
    ''')
    rec, result = analyse_snippet(source, "Memory")
    _, real = real_forward_steps(source, "Memory", (torch.randn(4, 2, 8),))
    assert our_steps(rec) == real
    assert not [d for d in result.diagnostics if d.severity == "error"]


def test_unbind_gives_one_tensor_per_slice_as_torch_does():
    """timm's attention: `q, k, v = qkv.unbind(0)`; torch.unbind(x, dim=1) too."""
    source = textwrap.dedent('''
        import torch
        import torch.nn as nn


        class Attn(nn.Module):  # shapelens: input=(2, 5, 16)
            def __init__(self, dim=16, heads=4):
                super().__init__()
                self.heads = heads
                self.qkv = nn.Linear(dim, dim * 3)
                self.proj = nn.Linear(dim, dim)

            def forward(self, x):
                B, N, C = x.shape
                qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
                q, k, v = qkv.unbind(0)
                first = torch.unbind(q, dim=1)[0]
                attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
                x = (attn @ v).transpose(1, 2).reshape(B, N, C)
                return self.proj(x) + first.sum()
    ''')
    rec, result = analyse_snippet(source, "Attn")
    model, real = real_forward_steps(source, "Attn", (torch.randn(2, 5, 16),))
    ours = our_steps(rec)
    assert {line: ours.get(line) for line in real} == real
    qkv = model.qkv(torch.randn(2, 5, 16)).reshape(2, 5, 3, 4, 4).permute(2, 0, 3, 1, 4)
    line = source.splitlines().index("        q, k, v = qkv.unbind(0)") + 1
    assert ours[line] == tuple(qkv.unbind(0)[0].shape)   # three tensors, one distinct shape
    assert not [d for d in result.diagnostics if d.severity in ("error", "info")]


def test_a_question_mark_names_its_real_cause_not_the_input():
    """Issue #18: with the input given, a layer after an operation shapelens does not follow says that
    operation is why, never "the input shape is unknown (give the model one ...)"."""
    source = textwrap.dedent('''
        import torch
        import torch.nn as nn


        class Net(nn.Module):  # shapelens: input=(2, 8, 16)
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(16, 16)
                self.norm = nn.LayerNorm(16)

            def forward(self, x):
                x = torch.fft.fft(x).real
                return self.norm(self.fc(x))
    ''')
    rec, _ = analyse_snippet(source, "Net")
    assert rec.input_source == "directive"
    reasons = [why for layer in rec.layers for why in layer.unknown_reasons]
    assert reasons and not [w for w in reasons if "give the model one" in w or "input shape is unknown" in w]
    assert any("fft" in w for w in reasons), reasons
