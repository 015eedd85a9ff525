"""Step hints (issue #17, editor side): the real server, driven by a pytest-lsp client, shows the shape at the
end of every statement of forward() and of every function of the file it runs (a block class's forward),
one hint per place, and one layer hint per layer call even when a block class makes that call N times.

The judge is real PyTorch, never the server's own code:
- the shapes a statement makes: tests/test_modules.traced_steps (sys.settrace over one forward pass, every
  function of the file);
- the modules a line makes: torch.nn.Module.__init__ watched while the sample builds its model (the line of
  the sample that made each leaf module), with torch's own output shapes (forward hooks) and parameter counts;
- where a statement ends: Python's ast.
The labels are written by tests/test_lsp_e2e's one_label / layer_label, from their rule, not by lsp_format.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import pytest_lsp
import torch
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from test_lsp_e2e import (SERVER, _track_refreshes, configure, expected_hints, hint_set, hints, hover, layer_label,
                          one_label, open_doc, shape_str)
from test_modules import is_leaf, leaf_outputs, params_of, traced_steps

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "samples" / "modules"

pytestmark = pytest.mark.asyncio(loop_scope="module")


# ----------------------------------------------------------------------------- what torch does

# sample → (how to get its model from the sample's namespace, the input of one forward pass)
CASES = {
    "resnet_small.py": (lambda ns: ns["model"], (2, 3, 32, 32)),
    "unet_small.py": (lambda ns: ns["UNet"](), (1, 3, 64, 64)),        # its input is a directive
    "lenet_module.py": (lambda ns: ns["net"], (1, 1, 32, 32)),
}


def build(name: str):
    """Run the sample, build its model with Module.__init__ watched: (model, source, {module: the 1-based line
    of the sample that made it})."""
    source = (MODULES / name).read_text(encoding="utf-8")
    made: list = []
    init = torch.nn.Module.__init__

    def watched(self, *args, **kwargs):
        init(self, *args, **kwargs)
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename != name:
            frame = frame.f_back
        if frame is not None:
            made.append((self, frame.f_lineno))

    get, shape = CASES[name]
    torch.nn.Module.__init__ = watched
    try:
        torch.manual_seed(0)
        ns: dict = {"__name__": "steps_" + name.replace(".", "_")}
        exec(compile(source, name, "exec"), ns)
        model = get(ns)
    finally:
        torch.nn.Module.__init__ = init
    model.eval()
    lines = {}
    for module, line in made:
        lines.setdefault(id(module), line)
    return model, source, lines, (torch.randn(*shape),)


def statement_ends(source: str) -> dict[int, tuple[int, int]]:
    """first line of each statement inside a function → its end as an LSP position (ASCII sources: the ast
    column is the character)."""
    out = {}
    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for st in ast.walk(fn):
                if isinstance(st, ast.stmt) and not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.setdefault(st.lineno, (st.end_lineno - 1, st.end_col_offset))
    return out


def torch_layers_by_line(model, lines: dict, inputs: tuple) -> dict[int, list[dict]]:
    """1-based line → the leaf modules made there, in named_modules() order, as {name, output_shape, params}
    (torch's numbers)."""
    outputs = leaf_outputs(model, inputs)
    out: dict[int, list[dict]] = {}
    for name, m in model.named_modules():
        if name and is_leaf(m):
            out.setdefault(lines[id(m)], []).append(
                {"name": name, "output_shape": list(outputs[name]), "params": params_of(m)})
    return out


def as_list(shapes) -> list:
    """traced_steps' value (a shape, or the list of distinct shapes) → the list of distinct shapes."""
    return list(shapes) if isinstance(shapes, list) else [shapes]


# ----------------------------------------------------------------------------- sessions

@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def nvim(lsp_client: LanguageClient):
    """neovim 0.11: utf-8 positions, tooltips resolved lazily."""
    _track_refreshes(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities("neovim@v0.11.0")))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def emacs(lsp_client: LanguageClient):
    """emacs 29: no resolve support, every tooltip comes with its hint."""
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities("emacs@v29.1")))
    yield
    await lsp_client.shutdown_session()


def by_line(got) -> dict[int, list]:
    out: dict[int, list] = {}
    for h in got:
        out.setdefault(h.position.line, []).append(h)
    return out


# ----------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("name", sorted(CASES))
async def test_every_traced_line_has_one_hint_with_torchs_shapes(nvim: LanguageClient, name: str):
    model, source, _, inputs = build(name)
    real = traced_steps(model, inputs, source)
    assert real, "the tracer saw the statements"
    path = MODULES / name
    uri = path.as_uri()
    open_doc(nvim, uri, source)
    got = await hints(nvim, uri, source)
    lines = by_line(got)
    ends = statement_ends(source)
    for line1, shapes in sorted(real.items()):
        shapes = as_list(shapes)
        end = ends[line1]
        there = lines.get(end[0], [])
        assert len(there) == 1, (name, line1, [h.label for h in there])
        (hint,) = there
        assert (hint.position.line, hint.position.character) == end, (name, line1)
        assert hint.label == one_label([shape_str(list(s)) for s in shapes]), (name, line1)
        # the tooltip names every distinct shape, the ones the label leaves out too
        tip = (await nvim.inlay_hint_resolve_async(hint)).tooltip.value
        for s in shapes:
            assert f"`{shape_str(list(s))}`" in tip, (name, line1, s)
    # and the whole answer is what the CLI's records give, by the merge rule
    assert hint_set(got) == expected_hints(path, "utf-8")


@pytest.mark.parametrize("name", ["resnet_small.py", "unet_small.py"])
async def test_a_block_class_line_has_one_layer_hint(nvim: LanguageClient, name: str):
    """BasicBlock's `self.conv1 = ...` makes six modules: one hint, with the distinct shapes and the range of
    parameters torch gives them; its tooltip names every module."""
    model, source, made, inputs = build(name)
    layers = torch_layers_by_line(model, made, inputs)
    assert max(len(group) for group in layers.values()) >= 3       # the test means something
    uri = (MODULES / name).as_uri()
    open_doc(nvim, uri, source)
    lines = by_line(await hints(nvim, uri, source))
    for line1, group in sorted(layers.items()):
        there = lines.get(line1 - 1, [])
        assert [h.label for h in there] == [layer_label(group)], (name, line1)
        tip = (await nvim.inlay_hint_resolve_async(there[0])).tooltip.value
        for layer in group:
            assert f"`{layer['name']}`" in tip or len(group) > 8, (name, line1, layer["name"])
        if len(group) > 1:
            for layer in group:
                assert shape_str(layer["output_shape"]) in tip and f"{layer['params']:,}" in tip


async def test_resnet_one_hint_per_place(nvim: LanguageClient):
    """One hint per place (the BasicBlock lines used to carry one per distinct label: five on conv1's line), on
    exactly the lines where torch makes a module or a statement makes a tensor, and the model's line."""
    model, source, made, inputs = build("resnet_small.py")
    uri = (MODULES / "resnet_small.py").as_uri()
    open_doc(nvim, uri, source)
    got = await hints(nvim, uri, source)
    places = [(h.position.line, h.position.character) for h in got]
    assert len(places) == len(set(places))
    layer_lines = {line1 - 1 for line1 in torch_layers_by_line(model, made, inputs)}
    step_lines = {statement_ends(source)[line1][0] for line1 in traced_steps(model, inputs, source)}
    model_line = next(i for i, line in enumerate(source.split("\n")) if line.startswith("model = "))
    assert {h.position.line for h in got} == layer_lines | step_lines | {model_line}
    assert len(got) == len(layer_lines) + len(step_lines) + 1


async def test_show_steps_off_removes_the_step_hints(nvim: LanguageClient):
    path = MODULES / "resnet_small.py"
    source = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    open_doc(nvim, uri, source)
    assert hint_set(await hints(nvim, uri, source)) == expected_hints(path, "utf-8")
    try:
        await configure(nvim, {"inlayHints": {"showSteps": False}})
        without = hint_set(await hints(nvim, uri, source))
        assert without == expected_hints(path, "utf-8", steps=False)
        assert without < expected_hints(path, "utf-8")
        await configure(nvim, {"inlayHints": {"showShapes": False}})      # a step hint is a shape
        forward = statement_ends(source)[source.split("\n").index("        out = self.layer1(out)") + 1][0]
        assert forward not in {h.position.line for h in await hints(nvim, uri, source)}
    finally:
        await configure(nvim, {})
    assert hint_set(await hints(nvim, uri, source)) == expected_hints(path, "utf-8")


async def test_hover_on_a_forward_line_gives_its_shapes(nvim: LanguageClient):
    model, source, _, inputs = build("resnet_small.py")
    real = traced_steps(model, inputs, source)
    uri = (MODULES / "resnet_small.py").as_uri()
    open_doc(nvim, uri, source)
    rows = source.split("\n")
    # ResNet.forward: one run, one shape
    line1 = rows.index("        out = self.layer2(out)") + 1
    h = await hover(nvim, uri, line1 - 1, len("        o"))
    assert f"`{shape_str(list(real[line1]))}`" in h.contents.value
    assert (h.range.start.line, h.range.start.character) == (line1 - 1, 8)
    # BasicBlock.forward: every block runs it; each distinct shape, and how often it ran
    line1 = rows.index("        out = F.relu(self.bn1(self.conv1(x)))") + 1
    text = (await hover(nvim, uri, line1 - 1, len("        o"))).contents.value
    blocks = [m for m in model.modules() if type(m).__name__ == "BasicBlock"]
    assert len(as_list(real[line1])) == 3 and len(blocks) == 6
    for s in as_list(real[line1]):
        assert f"`{shape_str(list(s))}`" in text
    assert f"×{len(blocks)}" in text
    # on the constructor call of a layer the block makes six times: the layer hover, every module named
    line1 = rows.index("        self.bn1 = nn.BatchNorm2d(planes)") + 1
    text = (await hover(nvim, uri, line1 - 1, len("        self.bn1 = nn.Ba"))).contents.value
    bns = [n for n, m in model.named_modules() if n.endswith(".bn1")]
    assert len(bns) == 6 and all(f"`{n}`" in text for n in bns)


async def test_direct_tooltips_for_merged_layer_and_step_hints(emacs: LanguageClient):
    model, source, made, inputs = build("resnet_small.py")
    real = traced_steps(model, inputs, source)
    uri = (MODULES / "resnet_small.py").as_uri()
    open_doc(emacs, uri, source)
    got = await hints(emacs, uri, source)
    assert all(h.data is None and h.tooltip is not None for h in got)
    lines = by_line(got)
    rows = source.split("\n")
    conv1 = rows.index("        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, "
                       "bias=False)")
    (hint,) = lines[conv1]
    names = [layer["name"] for layer in torch_layers_by_line(model, made, inputs)[conv1 + 1]]
    assert len(names) == 6 and all(f"`{n}`" in hint.tooltip.value for n in names)
    line1 = rows.index("        out = F.relu(out)") + 1
    (hint,) = lines[statement_ends(source)[line1][0]]
    assert all(f"`{shape_str(list(s))}`" in hint.tooltip.value for s in as_list(real[line1]))


async def test_keras_functional_line_shows_the_layer_hint_only(nvim: LanguageClient):
    """`x = layers.Conv2D(16, 3, ...)(image)` is a layer and a statement: the layer's hint alone. Statements
    that call no layer on their line (`xa = shared(x)`) get their shape, once for the two models that share
    them; Keras gives the shapes."""
    import keras   # noqa: F401 - the judge (torch backend, as conftest sets)

    path = MODULES / "keras_two_inputs.py"
    source = path.read_text(encoding="utf-8")
    ns: dict = {"__name__": "steps_keras"}
    exec(compile(source, str(path), "exec"), ns)
    uri = path.as_uri()
    open_doc(nvim, uri, source)
    got = await hints(nvim, uri, source)
    lines = by_line(got)
    rows = source.split("\n")
    conv = rows.index('x = layers.Conv2D(16, 3, activation="relu")(image)')
    assert [h.position.character for h in lines[conv]] == [len('x = layers.Conv2D(16, 3, activation="relu")')]
    for var in ("image", "meta", "xa", "ya"):
        line0 = next(i for i, row in enumerate(rows) if row.startswith(f"{var} = "))
        (hint,) = lines[line0]
        assert hint.label == shape_str(list(ns[var].shape)), var
        assert hint.position.character == len(rows[line0])
    places = [(h.position.line, h.position.character) for h in got]
    assert len(places) == len(set(places))
    assert hint_set(got) == expected_hints(path, "utf-8")
