"""`shapelens --summary` nested as torchinfo nests it (issue #16): modules of modules as rows with their
recursive counts, `--depth N`, a Trainable column; Keras nested models one row each, expanded with --depth
as summary(expand_nested=True).

Every expected value comes from the real framework, never from shapelens: for each row, torch's
`sum(p.numel() for p in module.parameters())` (recursive; a tensor held twice once) and requires_grad,
the module tree of `named_modules()` (its order, its depth), and torchinfo's own LayerInfo rows (depth,
class, num_params, trainable_params, its "True"/"False"/"Partial"/"--" wording) at each depth; for Keras,
trainable_weights / non_trainable_weights per layer and the rows of model.summary() (with and without
expand_nested), parsed from its printed table.
"""
from __future__ import annotations

import inspect
import math
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

torch = pytest.importorskip("torch")

from shapelens.analysis import analyze_source  # noqa: E402
from shapelens.summary import (  # noqa: E402
    DEFAULT_KERAS_DEPTH,
    DEFAULT_TORCH_DEPTH,
    file_summary,
    nested_rows,
    trainable_flag,
)
from test_parameters import KERAS as PARAM_KERAS  # noqa: E402
from test_parameters import TORCH as PARAM_TORCH  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULE_SAMPLES = ["resnet_small.py", "unet_small.py", "basic_block.py", "lenet_module.py"]

TORCH = {
    "frozen_blocks_in_a_sequential": """
        import torch
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.conv = nn.Conv2d(c, c, 3, padding=1)
                self.bn = nn.BatchNorm2d(c)
                self.act = nn.ReLU()
            def forward(self, x):
                return self.act(self.bn(self.conv(x)))
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = nn.Conv2d(3, 8, 3, padding=1)
                self.layer1 = nn.Sequential(Block(8), Block(8))
                self.pos = nn.Parameter(torch.zeros(1, 8, 1, 1))
                self.head = nn.Linear(8, 10)
                self.stem.weight.requires_grad = False
                for p in self.layer1[1].parameters():
                    p.requires_grad = False
            def forward(self, x):
                x = self.stem(x) + self.pos
                x = self.layer1(x)
                return self.head(x.mean((2, 3)))
        # shapelens: input=(2, 3, 16, 16)
        model = Net()
    """,
    "four_levels_moduledict_modulelist_empty_shortcut": """
        import torch.nn as nn
        class Unit(nn.Module):
            def __init__(self, c, project):
                super().__init__()
                self.fc = nn.Linear(c, c)
                self.norm = nn.LayerNorm(c)
                self.shortcut = nn.Sequential()
                if project:
                    self.shortcut = nn.Sequential(nn.Linear(c, c, bias=False))
                self.out = nn.Linear(c, c)
            def forward(self, x):
                return self.out(self.norm(self.fc(x))) + self.shortcut(x)
        class Stage(nn.Module):
            def __init__(self, c, n):
                super().__init__()
                self.units = nn.ModuleList([Unit(c, i == 0) for i in range(n)])
            def forward(self, x):
                for u in self.units:
                    x = u(x)
                return x
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.stages = nn.ModuleDict({"a": Stage(6, 2), "b": Stage(6, 1)})
                self.head = nn.Linear(6, 3)
                self.stages["b"].requires_grad_(False)
                self.stages["a"].units[1].norm.weight.requires_grad = False
            def forward(self, x):
                x = self.stages["a"](x)
                x = self.stages["b"](x)
                return self.head(x)
        # shapelens: input=(2, 6)
        model = Net()
    """,
    "transformer_encoder_own_parameters": """
        import torch
        import torch.nn as nn
        class Encoder(nn.Module):
            def __init__(self, dim=16, heads=2, depth=2, tokens=5):
                super().__init__()
                self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
                self.pos_embedding = nn.Parameter(torch.zeros(1, tokens + 1, dim))
                layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=32, batch_first=True)
                self.encoder = nn.TransformerEncoder(layer, depth)
            def forward(self, x):
                x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
                return self.encoder(x)
        class ViT(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Linear(12, 16)
                self.body = Encoder()
                self.head = nn.Linear(16, 4)
                self.body.encoder.layers[0].requires_grad_(False)
            def forward(self, x):
                return self.head(self.body(self.embed(x))[:, 0])
        # shapelens: input=(2, 5, 12)
        model = ViT()
    """,
}

SHARED = """
    import torch.nn as nn
    act = nn.ReLU()
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            shared = nn.Linear(4, 4)
            self.first = nn.Sequential(nn.Linear(4, 4), act, shared)
            self.second = nn.Sequential(act, shared, nn.Linear(4, 4))
        def forward(self, x):
            return self.second(self.first(x))
    # shapelens: input=(2, 4)
    model = Net()
"""


def dedent(src: str) -> str:
    return textwrap.dedent(src)


def run_torch(source: str, name: str = "model"):
    ns: dict = {"__name__": "shapelens_nesting"}
    torch.manual_seed(0)
    exec(compile(source, "<nesting>", "exec"), ns)
    value = ns[name]
    return value() if isinstance(value, type) else value   # a class shapelens reports: made with its defaults


def record_of(source: str, name: str = "model"):
    return next(m for m in analyze_source(source).models if m.name == name)


def torch_counts(mod, recurse: bool = True) -> tuple:
    """(trainable, non-trainable) as torch counts the module: parameters() (a tensor held twice once)."""
    ps = list(mod.parameters(recurse=recurse))
    return (sum(p.numel() for p in ps if p.requires_grad), sum(p.numel() for p in ps if not p.requires_grad))


def real_type(mod) -> str:
    """The module's class name, as torch and torchinfo give it: a lazy module that its first forward turned
    into its class (LazyLinear -> Linear, torch's cls_to_become) by that class's name."""
    return type(mod).__name__


def torch_flag(mod) -> str:
    """torchinfo's wording, from requires_grad (for the runs without torchinfo)."""
    ps = list(mod.parameters())
    if not ps:
        return "--"
    grads = {p.requires_grad for p in ps}
    return "Partial" if len(grads) == 2 else str(grads.pop())


def torch_sources() -> dict:
    out = {k: dedent(v) for k, v in TORCH.items()}
    for k in ("frozen_in_every_way", "shared_module_and_tied_weights", "free_parameters_vit_style",
              "lazy_modules_after_the_first_forward"):
        out[k] = dedent(PARAM_TORCH[k])
    for name in MODULE_SAMPLES:
        out[name] = (ROOT / "samples" / "modules" / name).read_text(encoding="utf-8")
    for path in sorted((ROOT / "samples").glob("*.py")):   # the torch samples (Sequentials nested in modules)
        text = path.read_text(encoding="utf-8")
        if "import torch" in text:
            out[path.name] = text
    return out


SOURCES = torch_sources()


def torch_models(source: str) -> list:
    """(record, real module) of every torch model shapelens reports in the source."""
    ns: dict = {"__name__": "shapelens_nesting"}
    torch.manual_seed(0)
    lazy = torch.nn.modules.lazy.LazyModuleMixin
    made: list = []
    original = lazy.__init__

    def remember(self, *args, **kwargs):   # which modules were made lazy (their class changes later)
        made.append(self)
        original(self, *args, **kwargs)

    lazy.__init__ = remember
    try:
        exec(compile(source, "<nesting>", "exec"), ns)
    finally:
        lazy.__init__ = original
    for mod in made:
        mod._shapelens_test_lazy = True
    out = []
    for m in analyze_source(source).models:
        if m.framework == "torch":
            value = ns[m.name[:-2] if m.name.endswith("()") else m.name]
            out.append((m, value() if isinstance(value, type) or m.name.endswith("()") else value))
    assert out
    return out


@pytest.mark.parametrize("case", sorted(SOURCES))
def test_rows_are_named_modules_with_their_recursive_counts(case):
    for m, model in torch_models(SOURCES[case]):
        check_rows(f"{case}:{m.name}", m, model)


def check_rows(case: str, m, model) -> None:
    rows = nested_rows(m, depth=99)
    modules = dict(model.named_modules())
    # every module of named_modules() is one row, in its order, at its depth in the tree
    paths = [r.record.path for r in rows if not r.own_params]
    assert paths == [p for p in modules if p], case
    for row in rows:
        r = row.record
        if row.own_params:   # the tensors a module holds itself: parameters(recurse=False)
            assert (r.trainable, r.non_trainable) == torch_counts(modules[r.path], recurse=False), (case, r.path)
            continue
        mod = modules[r.path]
        assert row.depth == len(r.path.split(".")), (case, r.path)
        assert real_type(mod) == r.type, (case, r.path)
        assert (r.trainable, r.non_trainable) == torch_counts(mod), (case, r.path, r.kind)
        assert trainable_flag(r) == torch_flag(mod), (case, r.path)
    # the totals: model.parameters()
    t, n = torch_counts(model)
    assert (m.checked_trainable_params, m.checked_non_trainable_params, m.total_params) == (t, n, t + n)
    assert m.params_unknown_reason is None and m.known_params_lower_bound == t + n


@pytest.mark.parametrize("case", sorted(SOURCES))
def test_depth_filters_as_torchinfo(case):
    torchinfo = pytest.importorskip("torchinfo")
    # torchinfo's default depth is shapelens' default for PyTorch
    assert inspect.signature(torchinfo.summary).parameters["depth"].default == DEFAULT_TORCH_DEPTH
    for m, model in torch_models(SOURCES[case]):
        check_torchinfo(f"{case}:{m.name}", m, model, torchinfo)


def check_torchinfo(case: str, m, model, torchinfo) -> None:
    assert [tuple(r) for r in nested_rows(m)] == [tuple(r) for r in nested_rows(m, DEFAULT_TORCH_DEPTH)]
    for depth in (1, 2, 3, 4, 6):
        # without input data torchinfo lists every module in registration order (a module seen before is
        # "recursive": torch's named_modules() and shapelens list it once)
        stats = torchinfo.summary(model, depth=depth, verbose=0)
        real = [(info.depth, real_type(info.module), info.num_params, info.trainable_params, info.trainable)
                for info in stats.summary_list if 0 < info.depth <= depth and not info.is_recursive]
        ours = [(row.depth, row.record.type, row.record.params, row.record.trainable, trainable_flag(row.record))
                for row in nested_rows(m, depth) if not row.own_params]
        assert ours == real, (case, depth)


def test_shared_module_counts_in_every_block_that_holds_it():
    """torch counts a module held by two containers in each container's parameters(), once in the model;
    named_modules() lists it under its first path only."""
    source = dedent(SHARED)
    model, m = run_torch(source), record_of(source)
    modules = dict(model.named_modules())
    rows = {r.record.path: r.record for r in nested_rows(m, depth=99) if not r.own_params}
    assert list(rows) == [p for p in modules if p]
    for path, r in rows.items():
        assert (r.trainable, r.non_trainable) == torch_counts(modules[path]), path
    assert m.total_params == sum(p.numel() for p in model.parameters())


def test_a_bare_layer_is_one_row():
    """`model = nn.Linear(8, 64)`: the model is the layer, one row with torch's counts."""
    for m, model in torch_models(dedent(PARAM_TORCH["bare_layers_are_models"])):
        (row,) = nested_rows(m)
        assert row.record.type == type(model).__name__ and row.depth == 1 and not row.own_params
        assert (row.record.trainable, row.record.non_trainable) == torch_counts(model)
        assert trainable_flag(row.record) == torch_flag(model)


# ---------------------------------------------------------------------- unknown totals

UNKNOWN = """
    import torch.nn as nn
    from somewhere_else import MyBlock

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3)
            self.body = nn.Sequential(MyBlock(8), nn.ReLU())
            self.head = nn.Linear(8, 10)

        def forward(self, x):
            return self.head(self.body(self.stem(x)).mean((2, 3)))

    model = Net()
"""


class MyBlock(torch.nn.Module):
    """A stand-in for the module shapelens cannot read: any module with parameters."""

    def __init__(self, c):
        super().__init__()
        self.conv = torch.nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


def test_unknown_part_gives_no_total_only_a_lower_bound(tmp_path):
    source = dedent(UNKNOWN)
    m = record_of(source)
    # the real model, with a stand-in for the module shapelens cannot read
    ns: dict = {"__name__": "nesting_unknown", "MyBlock": MyBlock}
    exec(compile(source.replace("from somewhere_else import MyBlock\n", ""), "<unknown>", "exec"), ns)
    real_readable = sum(p.numel() for n, p in ns["model"].named_parameters() if not n.startswith("body.0."))
    real_total = sum(p.numel() for p in ns["model"].parameters())
    assert real_total > real_readable
    assert m.total_params is None and m.checked_trainable_params is None
    reason = m.params_unknown_reason
    assert reason.startswith("line 9 ") and "somewhere_else.MyBlock" in reason
    assert m.known_params_lower_bound == real_readable          # the part that could be read, apart
    data = m.as_dict()
    assert data["total_params"] is None and data["trainable_params"] is None
    assert data["total_params_unknown_reason"] == reason
    assert data["known_params_lower_bound"] == real_readable
    text = file_summary(analyze_source(source))
    assert f"Total params: ? ({reason})" in text
    assert f"Total params: {real_readable:,}" not in text and "Trainable params: ?" in text
    body = next(r for r in nested_rows(m) if r.record.path == "body")
    assert body.record.params is None and trainable_flag(body.record) == "?"


# ---------------------------------------------------------------------- Keras

KERAS_NESTED = """
    import keras
    from keras import layers
    base = keras.Sequential([keras.Input((32,)), layers.Dense(16, name="d1"), layers.BatchNormalization(name="bn"),
                             layers.Dense(8, name="d2")], name="base")
    base.trainable = False
    inner2 = keras.Sequential([layers.Dense(4, name="x1")], name="inner2")
    inner = keras.Sequential([keras.Input((8,)), layers.Dense(8, name="q1"), inner2], name="inner")
    inputs = keras.Input((32,))
    x = base(inputs)
    x = inner(x)
    outputs = layers.Dense(2, name="head")(x)
    model = keras.Model(inputs, outputs, name="top")
"""

_ROW_RE = re.compile(r"^│ (?P<indent>\s*)(?:└ )?(?P<name>\S+) \((?P<type>\w+)\)\s*│.*│\s*(?P<params>[\d,]+)\s*│")


def keras_summary_rows(model, expand_nested: bool) -> list:
    """(depth, name, type, params) of each row of Keras' own model.summary(), parsed from its table (wide
    enough that no cell wraps); the InputLayer row left out, as shapelens shows no row for an Input."""
    out: list = []
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "220"    # rich's console is as wide as COLUMNS (80 when it is not a terminal)
    try:
        model.summary(expand_nested=expand_nested, line_length=200,
                      print_fn=lambda s, line_break=None: out.append(s))
    finally:
        if columns is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = columns
    rows = []
    for line in "\n".join(out).split("\n"):
        m = _ROW_RE.match(line)
        if m and m["type"] != "InputLayer":
            depth = 1 + (len(m["indent"]) + 1) // 3 if "└" in line.split("│")[1] else 1
            rows.append((depth, m["name"], m["type"], int(m["params"].replace(",", ""))))
    return rows


def keras_layers_by_name(model) -> dict:
    out = {}
    for layer in model.layers:
        out[layer.name] = layer
        if hasattr(layer, "layers"):
            out.update(keras_layers_by_name(layer))
    return out


def n_weights(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def keras_flag(layer) -> str:
    t, n = n_weights(layer.trainable_weights), n_weights(layer.non_trainable_weights)
    return "--" if t + n == 0 else "False" if t == 0 else "True" if n == 0 else "Partial"


KERAS_SOURCES = {"nested_models": dedent(KERAS_NESTED), "frozen_base_then_head": dedent(PARAM_KERAS["frozen_base_then_head"])}


@pytest.mark.parametrize("case", sorted(KERAS_SOURCES))
def test_keras_nested_models_one_row_then_expanded(case):
    keras = pytest.importorskip("keras")
    source = KERAS_SOURCES[case]
    ns: dict = {"__name__": "nesting_keras"}
    keras.utils.clear_session()
    exec(compile(source, "<keras>", "exec"), ns)
    model, m = ns["model"], record_of(source)
    assert DEFAULT_KERAS_DEPTH == 1
    for depth, expand in ((None, False), (1, False), (99, True)):
        real = keras_summary_rows(model, expand)
        ours = [(r.depth, r.record.name, r.record.type, r.record.params) for r in nested_rows(m, depth)]
        if case == "frozen_base_then_head":   # layers without name= : Keras numbers them at run time
            real = [(d, None if t != "Functional" else n, t, p) for d, n, t, p in real]
            ours = [(d, n if t == "Functional" else None, t, p) for d, n, t, p in ours]
        assert ours == real, (case, depth)
    by_name = keras_layers_by_name(model)
    for row in nested_rows(m, 99):
        layer = by_name.get(row.record.name)
        if layer is None:
            continue
        t, n = n_weights(layer.trainable_weights), n_weights(layer.non_trainable_weights)
        assert (row.record.trainable, row.record.non_trainable) == (t, n), row.record.name
        assert trainable_flag(row.record) == keras_flag(layer), row.record.name


# ---------------------------------------------------------------------- the CLI

def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("SHAPELENS_STRICT", None)
    env["PYTHONPATH"] = str(ROOT / "server") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "shapelens", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_depth_option_and_trainable_column(tmp_path):
    source = dedent(TORCH["frozen_blocks_in_a_sequential"])
    f = tmp_path / "net.py"
    f.write_text(source)
    model = run_torch(source)
    modules = dict(model.named_modules())
    for depth in (1, 2, 3):
        out = cli("--summary", str(f), "--depth", str(depth))
        assert out.returncode == 0, out.stderr
        lines = out.stdout.split("\n")
        assert "Trainable" in lines[1] and "Param #" in lines[1]
        end = next(i for i in range(3, len(lines)) if lines[i].startswith("==="))
        body = lines[3:end]
        # a row per module up to the depth (plus the model's own Parameter `pos`), indented by its depth
        shown = [p for p in modules if p and len(p.split(".")) <= depth]
        assert len(body) == len(shown) + 1 and body[0].startswith("pos (Parameter)")
        for path, row in zip(shown, body[1:]):
            mod = modules[path]
            label = f"{path.rsplit('.', 1)[-1]} ({type(mod).__name__})"
            indent = "  " * (len(path.split(".")) - 1)
            assert row.startswith(indent + label + " "), (path, row)
            assert row.split()[-1] == torch_flag(mod), row
            assert f" {sum(p.numel() for p in mod.parameters()):,} " in row, row
    t, n = torch_counts(model)
    assert f"Total params: {t + n:,}" in out.stdout and f"Trainable params: {t:,}" in out.stdout
    line = source.split("\n").index("        self.stem.weight.requires_grad = False") + 1
    assert f"`stem`: `weight` frozen at line {line} (requires_grad=False)" in out.stdout
    assert cli("--summary", str(f), "--depth", "-1").returncode == 2


def test_cli_json_unknown_total(tmp_path):
    import json

    f = tmp_path / "unknown.py"
    f.write_text(dedent(UNKNOWN))
    out = cli("--summary", str(f), "--format", "json")
    model = json.loads(out.stdout)["files"][0]["models"][0]
    assert model["total_params"] is None and model["trainable_params"] is None
    assert "somewhere_else.MyBlock" in model["total_params_unknown_reason"]
    # Conv2d(3, 8, 3) + Linear(8, 10), counted by torch
    assert model["known_params_lower_bound"] == sum(
        p.numel() for p in (*torch.nn.Conv2d(3, 8, 3).parameters(), *torch.nn.Linear(8, 10).parameters()))
