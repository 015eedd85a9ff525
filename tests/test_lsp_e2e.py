"""End-to-end tests of the language server: a real pytest-lsp client process around the real server over
stdio, with real client capabilities (neovim 0.11 for inlay hints and pull diagnostics, VS Code 1.65 for
published diagnostics, code lenses and UTF-16 positions).

What the server shows is compared with two independent judges:
- what the CLI prints for the same file (`python -m shapelens --summary FILE --format json`,
  `--check FILE --format json`), run as a subprocess;
- numbers worked out by hand from the layer definitions (written next to each fixture line).
Positions are converted with `str.encode`, not with the server's own code.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "shapelens"]      # no arguments: the language server over stdio

# ----------------------------------------------------------------------------- fixtures (sources)

TORCH_CNN = """\
import torch
import torch.nn as nn

# shapelens: input=(1, 1, 28, 28)
model = nn.Sequential(
    nn.Conv2d(1, 32, 5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(64 * 4 * 4, 128),
    nn.ReLU(),
    nn.Linear(128, 10),
)
"""
# By hand: conv1 28-5+1 = 24 → (1, 32, 24, 24), (5·5·1 + 1)·32 = 832 params, 24·24·32·25 = 460,800 MACs;
# pool → 12; conv2 12-5+1 = 8 → (1, 64, 8, 8), (5·5·32 + 1)·64 = 51,264 params, 8·8·64·800 = 3,276,800 MACs;
# pool → 4; flatten 64·4·4 = 1024; fc1 (1024 + 1)·128 = 131,200 params, 131,072 MACs;
# fc2 (128 + 1)·10 = 1,290 params, 1,280 MACs.
TORCH_TOTAL = 832 + 51_264 + 131_200 + 1_290          # 184,586
TORCH_MACS = 460_800 + 3_276_800 + 131_072 + 1_280     # 3,869,952 → "3.9M"

KERAS_CNN = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.BatchNormalization(),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
"""
# By hand: conv 28-3+1 = 26 → (None, 26, 26, 32), (3·3·1 + 1)·32 = 320; pool → 13; conv 13-3+1 = 11,
# (3·3·32 + 1)·64 = 18,496; BatchNormalization(64): 2·64 = 128 trainable (γ, β) + 128 non-trainable
# (moving mean/variance); pool ⌊(11-2)/2⌋+1 = 5; flatten 5·5·64 = 1600; dense (1600 + 1)·10 = 16,010.
KERAS_TOTAL = 320 + 18_496 + 256 + 16_010               # 35,082
KERAS_TRAINABLE = KERAS_TOTAL - 128                      # 34,954

BROKEN = """\
import torch.nn as nn

# shapelens: input=(1, 3, 32, 32)
broken = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 8 * 8, 10),
)
"""
# By hand: conv keeps 32 → pool 16 → flatten 16·16·16 = 4096 features, but Linear declares 1024: SL106 on
# line 8 (1-based), related to the Flatten on line 7.

NON_ASCII = """\
import torch.nn as nn
from collections import OrderedDict

# un réseau minuscule 😀 (a non-ASCII comment before the layers)
# shapelens: input=(1, 4)
tiny = nn.Sequential(OrderedDict([("😀é", nn.Linear(4, 8)), ("b", nn.Linear(9, 2))]))
"""
# 😀 is 2 UTF-16 code units and 4 UTF-8 bytes, é 1 and 2: columns after them differ per encoding.
# The second Linear declares 9 in_features while 8 arrive: SL106.
TINY = 5   # 0-based line of `tiny = ...`

TWO_MODELS = """\
import torch.nn as nn

# shapelens: input=(1, 3, 32, 32)
first = nn.Sequential(
    nn.Conv2d(3, 8, 3),
    nn.ReLU(),
)

value = 1

# shapelens: input=(1, 20)
second = nn.Sequential(
    nn.Linear(20, 30),
    nn.ReLU(),
)
"""
# first: (1, 8, 30, 30), (3·3·3 + 1)·8 = 224 params; second: (1, 30), (20 + 1)·30 = 630 params.


# ----------------------------------------------------------------------------- independent helpers

def units(text: str, encoding: str) -> int:
    """Length of text in the position encoding's code units, computed by encoding it."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def lsp_pos(text: str, line1: int, col1: int, encoding: str) -> tuple[int, int]:
    line = text.split("\n")[line1 - 1]
    return line1 - 1, units(line[: col1 - 1], encoding)


def eol(text: str, line1: int, encoding: str) -> tuple[int, int]:
    line = text.split("\n")[line1 - 1]
    return line1 - 1, units(line, encoding)


def shape_str(dims: Optional[list]) -> str:
    if dims is None:
        return "?"
    parts = ["…" if d == "..." else "None" if d is None else str(d) for d in dims]
    if len(parts) == 1 and parts[0] != "…":
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


def compact(n: Optional[int]) -> str:
    if n is None:
        return "?"
    for div, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if n >= div:
            text = f"{n / div:.1f}"
            return (text[:-2] if text.endswith(".0") else text) + unit
    return str(n)


def _cli(args: list[str]) -> dict:
    """The CLI's JSON for one file: {"path", "models", "diagnostics"}."""
    proc = subprocess.run([sys.executable, "-m", "shapelens", *args, "--format", "json"], capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert proc.returncode in (0, 1), proc.stderr
    (data,) = json.loads(proc.stdout)["files"]
    return data


def summary_json(path: Path) -> dict:
    """`python -m shapelens --summary FILE --format json`."""
    return _cli(["--summary", str(path)])


def cli_files(mode: str, paths: list[Path]) -> dict[str, dict]:
    """One CLI run over many files: {path: that file's JSON}."""
    proc = subprocess.run([sys.executable, "-m", "shapelens", mode, *map(str, paths), "--format", "json"],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert proc.returncode in (0, 1), proc.stderr
    return {f["path"]: f for f in json.loads(proc.stdout)["files"]}


def check_json(path: Path) -> list[dict]:
    """The findings of `python -m shapelens --check FILE --format json`."""
    return _cli(["--check", str(path)])["diagnostics"]


def count(n: Optional[int]) -> str:
    return "?" if n is None else f"{n:,}"


def one_label(values: list[str]) -> str:
    """Several values at one place, as the server is to merge them: the distinct ones in first-seen order,
    `a`, `a | b`, or `first | … | last (k shapes)`."""
    distinct: list[str] = []
    for v in values:
        if v not in distinct:
            distinct.append(v)
    if len(distinct) <= 2:
        return " | ".join(distinct)
    return f"{distinct[0]} | … | {distinct[-1]} ({len(distinct)} shapes)"


def count_span(values: list[Optional[int]], fmt: Callable[[int], str]) -> str:
    """Counts at one place: the one value, or `smallest–largest`; `?` for unknown ones."""
    known = sorted(set(v for v in values if v is not None))
    parts = [fmt(known[0]) if len(known) == 1 else f"{fmt(known[0])}–{fmt(known[-1])}"] if known else []
    if None in values:
        parts.append("?")
    return " | ".join(parts)


def layer_label(layers: list[dict]) -> str:
    """The hint of every layer whose call ends at one place (default settings: shape and parameters). Over
    60 characters, a range of parameters is written in K/M."""
    params = [layer["params"] for layer in layers]
    shapes = one_label([shape_str(layer["output_shape"]) for layer in layers])
    if all(p == 0 for p in params):
        return shapes
    label = f"{shapes} · {count_span(params, count)}"
    if len(label) > 60 and len(set(p for p in params if p is not None)) > 1:
        label = f"{shapes} · {count_span(params, compact)}"
    return label


def expected_hints(path: Path, encoding: str, data: Optional[dict] = None,
                   steps: bool = True) -> set[tuple[int, int, str]]:
    """(line, character, label) of every hint, derived from the CLI's JSON: the model's total at the end of
    its line; one hint per place where layer calls end (all the layers ending there, of every model);
    one per place where statements that make a tensor end (their distinct shapes, of every model), unless
    a layer hint is on that line."""
    text = path.read_text(encoding="utf-8")
    out = set()
    layers: dict[tuple[int, int], list[dict]] = {}
    made: dict[tuple[int, int], list[str]] = {}
    models = (data or summary_json(path))["models"]
    for model in models:
        out.add((*eol(text, model["line"], encoding),
                 f"{count(model['total_params'])} params · {compact(model['total_macs'])} MACs"))
        for layer in model["layers"]:
            layers.setdefault((layer["end_line"], layer["end_col"]), []).append(layer)
    for (line, col), group in layers.items():
        out.add((*lsp_pos(text, line, col, encoding), layer_label(group)))
    layer_lines = {line for line, _ in layers}
    for model in models if steps else ():
        for step in model["steps"]:
            if step["end_line"] not in layer_lines:
                shapes = step["output_shapes"] or [step["output_shape"]]
                made.setdefault((step["end_line"], step["end_col"]), []).extend(map(shape_str, shapes))
    for (line, col), shapes in made.items():
        out.add((*lsp_pos(text, line, col, encoding), one_label(shapes)))
    return out


def write(tmp_path: Path, name: str, text: str) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, path.as_uri()


def full_range(text: str) -> types.Range:
    return types.Range(types.Position(0, 0), types.Position(len(text.split("\n")) + 1, 0))


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))


async def hints(client: LanguageClient, uri: str, text: str, rng: Optional[types.Range] = None):
    result = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri), range=rng or full_range(text)))
    return list(result or [])


def hint_set(result) -> set[tuple[int, int, str]]:
    return {(h.position.line, h.position.character, h.label) for h in result}


async def pull(client: LanguageClient, uri: str, previous: Optional[str] = None):
    return await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri), previous_result_id=previous))


async def hover(client: LanguageClient, uri: str, line0: int, char: int):
    return await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(line0, char)))


async def status(client: LanguageClient) -> Any:
    return await client.protocol.send_request_async("shapelens/status", {})


async def eventually(check: Callable[[], Any], what: str, limit: float = 30.0):
    """Poll until check() is truthy (the bound only keeps a broken server from hanging the suite)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while True:
        value = check()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def line_of(text: str, needle: str) -> int:
    """0-based line of the first line containing needle."""
    for i, line in enumerate(text.split("\n")):
        if needle in line:
            return i
    raise ValueError(needle)


def change(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int],
           new_text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(*start), types.Position(*end)), text=new_text)]))


# ----------------------------------------------------------------------------- sessions
# One server per client kind for the whole module (starting one costs more than all its requests). Every
# test uses its own file URIs; tests that change settings put the defaults back before they end.

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _track_refreshes(client: LanguageClient) -> None:
    """Answer (and count) the refresh requests a real editor answers."""
    client.inlay_refreshes = 0  # type: ignore[attr-defined]
    client.lens_refreshes = 0  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def _refresh(params):
        client.inlay_refreshes += 1  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def _lens_refresh(params):
        client.lens_refreshes += 1  # type: ignore[attr-defined]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def nvim(lsp_client: LanguageClient):
    _track_refreshes(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim@v0.11.0")))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def vscode(lsp_client: LanguageClient):
    _track_refreshes(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


LOG_FILE = Path(tempfile.gettempdir()) / f"shapelens-lsp-test-{os.getpid()}.log"


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[*SERVER, "serve", "--log-file", str(LOG_FILE), "--log-level", "debug"]), scope="module")
async def emacs(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities("emacs@v29.1")))
    yield
    await lsp_client.shutdown_session()
    LOG_FILE.unlink(missing_ok=True)


async def configure(client: LanguageClient, settings: dict) -> None:
    """Change the `shapelens` settings and wait for the server's inlay hint refresh."""
    before = client.inlay_refreshes  # type: ignore[attr-defined]
    client.set_configuration(settings, section="shapelens")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await eventually(lambda: client.inlay_refreshes > before, "workspace/inlayHint/refresh")  # type: ignore


# ----------------------------------------------------------------------------- neovim: hints, hover, pull

async def test_negotiates_utf8_and_pull_diagnostics(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "cnn.py", TORCH_CNN)
    open_doc(nvim, uri, TORCH_CNN)
    st = await status(nvim)
    # neovim lists utf-8 first: the server must agree to it, and use pull diagnostics (it declares them).
    assert st.encoding == "utf-8"
    assert st.pull_diagnostics is True


async def test_inlay_hints_agree_with_cli(nvim: LanguageClient, tmp_path):
    for name, text in (("cnn.py", TORCH_CNN), ("keras_cnn.py", KERAS_CNN), ("broken.py", BROKEN)):
        path, uri = write(tmp_path, name, text)
        open_doc(nvim, uri, text)
        got = await hints(nvim, uri, text)
        assert hint_set(got) == expected_hints(path, "utf-8"), name
        for h in got:
            assert h.label and h.kind == types.InlayHintKind.Type and h.padding_left
            # neovim resolves tooltips lazily: data stays tiny (no URI, no text)
            assert h.tooltip is None and len(json.dumps(h.data)) < 40


async def test_every_sample_agrees_with_cli(nvim: LanguageClient):
    """The project's samples (many layer kinds, broken models too): hints and diagnostics of the server
    equal the CLI's --summary and --check JSON for each file."""
    files = sorted((ROOT / "samples").rglob("*.py"))
    assert len(files) >= 10
    summaries = cli_files("--summary", files)
    checks = cli_files("--check", files)
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "\r" in text or any(c in text for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
            continue   # the helpers below split lines at \n only
        uri = path.as_uri()
        open_doc(nvim, uri, text)
        try:
            got = hint_set(await hints(nvim, uri, text))
            assert got == expected_hints(path, "utf-8", summaries[str(path)]), path.name
            report = await pull(nvim, uri)
            assert sorted((d.code, d.range.start.line, d.range.start.character, d.range.end.line,
                           d.range.end.character) for d in report.items) == sorted(
                (e["code"], *lsp_pos(text, e["line"], e["col"], "utf-8"),
                 *lsp_pos(text, e["end_line"], e["end_col"], "utf-8")) for e in checks[str(path)]["diagnostics"])
            compared += 1
        finally:
            nvim.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert compared >= 10


async def test_inlay_hints_known_numbers(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "cnn.py", TORCH_CNN)
    open_doc(nvim, uri, TORCH_CNN)
    got = hint_set(await hints(nvim, uri, TORCH_CNN))
    conv1 = line_of(TORCH_CNN, "nn.Conv2d(1, 32, 5)")
    assert (conv1, len("    nn.Conv2d(1, 32, 5)"), "(1, 32, 24, 24) · 832") in got
    conv2 = line_of(TORCH_CNN, "nn.Conv2d(32, 64, 5)")
    assert (conv2, len("    nn.Conv2d(32, 64, 5)"), "(1, 64, 8, 8) · 51,264") in got
    relu = line_of(TORCH_CNN, "nn.ReLU()")
    assert (relu, len("    nn.ReLU()"), "(1, 32, 24, 24)") in got  # parameter-free: the shape only
    line = line_of(TORCH_CNN, "model = nn.Sequential(")
    assert (line, len("model = nn.Sequential("), f"{TORCH_TOTAL:,} params · 3.9M MACs") in got
    assert TORCH_TOTAL == 184_586 and compact(TORCH_MACS) == "3.9M"

    path, uri = write(tmp_path, "keras_cnn.py", KERAS_CNN)
    open_doc(nvim, uri, KERAS_CNN)
    labels = {h.label for h in await hints(nvim, uri, KERAS_CNN)}
    assert "(None, 26, 26, 32) · 320" in labels
    assert "(None, 11, 11, 64) · 256" in labels          # BatchNormalization: 128 + 128
    assert "(None, 10) · 16,010" in labels
    assert f"{KERAS_TOTAL:,} params · 2.4M MACs" in labels


async def test_inlay_hints_only_in_requested_range(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "cnn.py", TORCH_CNN)
    open_doc(nvim, uri, TORCH_CNN)
    first = line_of(TORCH_CNN, "nn.Conv2d(32, 64, 5)")
    rng = types.Range(types.Position(first, 0), types.Position(first + 1, 100))
    got = await hints(nvim, uri, TORCH_CNN, rng)
    assert [(h.position.line, h.label) for h in got] == [(first, "(1, 64, 8, 8) · 51,264"),
                                                         (first + 1, "(1, 64, 8, 8)")]


async def test_inlay_hint_resolve_gives_formula_tooltip(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "cnn.py", TORCH_CNN)
    open_doc(nvim, uri, TORCH_CNN)
    got = await hints(nvim, uri, TORCH_CNN)
    conv1 = next(h for h in got if h.label == "(1, 32, 24, 24) · 832")
    resolved = await nvim.inlay_hint_resolve_async(conv1)
    assert resolved.tooltip.kind == types.MarkupKind.Markdown
    tip = resolved.tooltip.value
    assert "(5·5·1 + 1)·32 = 832" in tip
    assert "⌊(28 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 24" in tip
    assert "460,800" in tip
    total = next(h for h in got if h.label.endswith("MACs"))
    tip = (await nvim.inlay_hint_resolve_async(total)).tooltip.value
    assert f"{TORCH_TOTAL:,}" in tip and f"{TORCH_MACS:,}" in tip


async def test_hover_layer_shows_formulas_with_real_numbers(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "cnn.py", TORCH_CNN)
    open_doc(nvim, uri, TORCH_CNN)
    line = line_of(TORCH_CNN, "nn.Conv2d(1, 32, 5)")
    h = await hover(nvim, uri, line, 8)
    text = h.contents.value
    assert "(1, 1, 28, 28)" in text and "(1, 32, 24, 24)" in text      # input and output shape
    assert "H: ⌊(28 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 24" in text
    assert "W: ⌊(28 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 24" in text
    assert "(5·5·1 + 1)·32 = 832" in text
    assert "460,800" in text                                            # MACs
    assert (h.range.start.line, h.range.start.character) == (line, 4)
    assert (h.range.end.line, h.range.end.character) == (line, len("    nn.Conv2d(1, 32, 5)"))
    # between two layers (the indentation) there is nothing to show
    assert await hover(nvim, uri, line + 1, 1) is None


async def test_hover_keras_batchnorm_non_trainable(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "keras_cnn.py", KERAS_CNN)
    open_doc(nvim, uri, KERAS_CNN)
    line = line_of(KERAS_CNN, "BatchNormalization")
    text = (await hover(nvim, uri, line, 12)).contents.value
    assert "**Parameters: 256** (128 trainable, 128 non-trainable)" in text
    assert "Non-trainable: 128" in text and "moving mean" in text


async def test_hover_model_name_shows_summary_table(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "keras_cnn.py", KERAS_CNN)
    open_doc(nvim, uri, KERAS_CNN)
    line = line_of(KERAS_CNN, "model = keras.Sequential")
    text = (await hover(nvim, uri, line, 2)).contents.value
    model = summary_json(path)["models"][0]
    rows = [r for r in text.split("\n") if r.startswith("| ") and r[2:3].isdigit()]
    assert len(rows) == len(model["layers"]) == 8
    for row, layer in zip(rows, model["layers"]):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == layer["type"]
        assert cells[3] == shape_str(layer["output_shape"])
        assert cells[4] == f"{layer['params']:,}"
        assert cells[5] == f"{layer['macs']:,}"
    assert f"Total params: **{KERAS_TOTAL:,}**" in text
    assert f"Trainable params: {KERAS_TRAINABLE:,}" in text
    assert "Non-trainable params: 128" in text
    assert f"MACs: {model['total_macs']:,}" in text
    assert "Activation memory:" in text


FROZEN_TIED = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 8)
        self.stem = nn.Linear(8, 8)
        self.blocks = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8))
        self.head = nn.Linear(8, 30)
        self.stem.weight.requires_grad = False
        self.head.weight = self.embed.weight

    def forward(self, x):
        return self.head(self.blocks(self.stem(self.embed(x))))


# shapelens: input=(2, 5)
model = Net()
"""

UNKNOWN_PART = """\
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


def _torch_model(source: str):
    import torch   # the judge: the real model

    ns: dict = {"__name__": "e2e_frozen_tied"}
    torch.manual_seed(0)
    exec(compile(source, "<e2e>", "exec"), ns)
    return ns["model"]


async def test_hover_says_which_tensors_are_frozen_or_tied(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "tied.py", FROZEN_TIED)
    open_doc(nvim, uri, FROZEN_TIED)
    model = _torch_model(FROZEN_TIED)
    # the stem: weight frozen by the line that sets requires_grad (1-based), counts as torch counts them
    stem = line_of(FROZEN_TIED, "self.stem = nn.Linear(8, 8)")
    text = (await hover(nvim, uri, stem, len("        self.stem = nn.L"))).contents.value
    frozen_line = line_of(FROZEN_TIED, "self.stem.weight.requires_grad = False") + 1
    assert f"`weight` frozen at line {frozen_line} (requires_grad=False)" in text
    t = sum(p.numel() for p in model.stem.parameters() if p.requires_grad)
    n = sum(p.numel() for p in model.stem.parameters() if not p.requires_grad)
    assert f"({t:,} trainable, {n:,} non-trainable) · Trainable: Partial" in text
    # the head: its weight is the embedding's tensor (torch: the same Parameter object)
    assert model.head.weight is model.embed.weight
    head = line_of(FROZEN_TIED, "self.head = nn.Linear(8, 30)")
    text = (await hover(nvim, uri, head, len("        self.head = nn.L"))).contents.value
    made = line_of(FROZEN_TIED, "self.embed = nn.Embedding(30, 8)") + 1
    assert f"`weight` tied to the tensor made at line {made}" in text and "counted once" in text
    # the model: the total counts the tied tensor once, as model.parameters()
    line = line_of(FROZEN_TIED, "model = Net()")
    text = (await hover(nvim, uri, line, 2)).contents.value
    assert f"Total params: **{sum(p.numel() for p in model.parameters()):,}**" in text
    # a module of modules: hover on its call gives its recursive count
    blocks = line_of(FROZEN_TIED, "self.blocks = nn.Sequential(")
    text = (await hover(nvim, uri, blocks, len("        self.blocks = nn.Seq"))).contents.value
    assert "**Sequential** `blocks`" in text
    assert f"**Parameters: {sum(p.numel() for p in model.blocks.parameters()):,}**" in text
    assert "Trainable: True" in text and all(p.requires_grad for p in model.blocks.parameters())


async def test_unknown_part_code_lens_and_hover_give_no_total(vscode: LanguageClient, tmp_path):
    import torch

    path, uri = write(tmp_path, "unknown.py", UNKNOWN_PART)
    open_doc(vscode, uri, UNKNOWN_PART)
    lenses = await vscode.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    (lens,) = lenses
    # the part that could be read, counted by torch: Conv2d(3, 8, 3) and Linear(8, 10)
    readable = sum(p.numel() for m in (torch.nn.Conv2d(3, 8, 3), torch.nn.Linear(8, 10)) for p in m.parameters())
    body = line_of(UNKNOWN_PART, "MyBlock(8)") + 1
    title = lens.command.title
    assert title.startswith(f"? params: line {body} `body.0`: ") and "somewhere_else.MyBlock" in title
    assert f"(at least {readable:,} known)" in title and f"{readable:,} params" not in title
    line = line_of(UNKNOWN_PART, "model = Net()")
    text = (await hover(vscode, uri, line, 2)).contents.value
    assert f"Total params: **?** — line {body} `body.0`:" in text
    assert f"at least {readable:,}" in text and "Trainable params: ?" in text


async def test_pull_diagnostics_agree_with_check(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "broken.py", BROKEN)
    open_doc(nvim, uri, BROKEN)
    report = await pull(nvim, uri)
    assert report.kind == "full"
    expected = check_json(path)
    got = sorted(report.items, key=lambda d: (d.range.start.line, d.range.start.character, d.code))
    assert [(d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
            for d in got] == [(e["code"], *lsp_pos(BROKEN, e["line"], e["col"], "utf-8"),
                               *lsp_pos(BROKEN, e["end_line"], e["end_col"], "utf-8")) for e in expected]
    sl106 = next(d for d in got if d.code == "SL106")
    assert sl106.range.start.line == line_of(BROKEN, "nn.Linear(16 * 8 * 8, 10)")
    assert sl106.severity == types.DiagnosticSeverity.Error and sl106.source == "shapelens"
    assert "4096" in sl106.message
    # neovim declares relatedInformation: it points at the Flatten that produced the 4096 features
    (rel,) = sl106.related_information
    assert rel.location.uri == uri and rel.location.range.start.line == line_of(BROKEN, "nn.Flatten()")
    # the same text again: unchanged, by resultId
    again = await pull(nvim, uri, report.result_id)
    assert again.kind == "unchanged" and again.result_id == report.result_id


async def test_non_ascii_columns_utf8(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "tiny.py", NON_ASCII)
    open_doc(nvim, uri, NON_ASCII)
    got = hint_set(await hints(nvim, uri, NON_ASCII))
    assert got == expected_hints(path, "utf-8")
    line = NON_ASCII.split("\n")[TINY]
    end_first = line.index("nn.Linear(4, 8)") + len("nn.Linear(4, 8)")
    assert (TINY, len(line[:end_first].encode("utf-8")), "(1, 8) · 40") in got   # (4 + 1)·8 = 40
    (d,) = [d for d in (await pull(nvim, uri)).items if d.code == "SL106"]
    start = line.index("nn.Linear(9, 2)")
    assert (d.range.start.line, d.range.start.character) == (TINY, len(line[:start].encode("utf-8")))
    assert d.range.end.character == len(line[:start + len("nn.Linear(9, 2)")].encode("utf-8"))
    # an incremental edit after the emoji, in UTF-8 units: 9 → 8 fixes the mismatch
    nine = line.index("9, 2)")
    at = len(line[:nine].encode("utf-8"))
    change(nvim, uri, 2, (TINY, at), (TINY, at + 1), "8")
    assert [d.code for d in (await pull(nvim, uri)).items if d.code == "SL106"] == []
    fixed = NON_ASCII.replace("nn.Linear(9, 2)", "nn.Linear(8, 2)")
    (mine,) = [d for d in (await status(nvim)).documents if d.uri == uri]
    assert mine.length == len(fixed) and mine.version == 2
    assert "(1, 2) · 18" in {h.label for h in await hints(nvim, uri, fixed)}      # (8 + 1)·2


async def test_edit_updates_hints_and_diagnostics(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "broken.py", BROKEN)
    open_doc(nvim, uri, BROKEN)
    before = await pull(nvim, uri)
    assert [d.code for d in before.items] == ["SL106"]
    line = line_of(BROKEN, "nn.Linear(16 * 8 * 8, 10)")
    start = BROKEN.split("\n")[line].index("8 * 8")
    change(nvim, uri, 2, (line, start), (line, start + len("8 * 8")), "16 * 16")
    fixed = BROKEN.replace("16 * 8 * 8", "16 * 16 * 16")
    after = await pull(nvim, uri, before.result_id)
    assert after.kind == "full" and list(after.items) == []
    got = hint_set(await hints(nvim, uri, fixed))
    assert (line, len("    nn.Linear(16 * 16 * 16, 10)"), "(1, 10) · 40,970") in got   # (4096 + 1)·10
    path.write_text(fixed, encoding="utf-8")
    assert got == expected_hints(path, "utf-8")


async def test_broken_edit_elsewhere_keeps_other_models(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "two.py", TWO_MODELS)
    open_doc(nvim, uri, TWO_MODELS)
    before = hint_set(await hints(nvim, uri, TWO_MODELS))
    assert any(label == "(1, 8, 30, 30) · 224" for *_, label in before)
    assert any(label == "(1, 30) · 630" for *_, label in before)
    # half-typed code between the two models: `value = nn.Conv2d(3,` replaces `value = 1`
    line = line_of(TWO_MODELS, "value = 1")
    change(nvim, uri, 2, (line, len("value = ")), (line, len("value = 1")), "nn.Conv2d(3,")
    broken = TWO_MODELS.replace("value = 1", "value = nn.Conv2d(3,")
    after = hint_set(await hints(nvim, uri, broken))
    assert after == before    # both models keep every hint, at the same places
    # and the diagnostics are what --check says about the half-typed file
    path.write_text(broken, encoding="utf-8")
    report = await pull(nvim, uri)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in report.items] == [
        (e["code"], *lsp_pos(broken, e["line"], e["col"], "utf-8")) for e in check_json(path)]


async def test_config_change_refreshes(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "broken.py", BROKEN)
    open_doc(nvim, uri, BROKEN)
    before = await pull(nvim, uri)
    assert {h.label for h in await hints(nvim, uri, BROKEN)} >= {"(1, 16, 32, 32) · 448"}   # (27 + 1)·16
    try:
        await configure(nvim, {"inlayHints": {"showParams": False}, "ignore": ["SL106"]})
        labels = [h.label for h in await hints(nvim, uri, BROKEN)]
        assert "(1, 16, 32, 32)" in labels and "(1, 10)" in labels
        assert not any("·" in label or "params" in label for label in labels)     # no parameter counts
        assert [label for label in labels if label.endswith(" MACs")]             # the total: MACs only
        after = await pull(nvim, uri, before.result_id)
        assert after.kind == "full" and list(after.items) == []      # SL106 ignored by the setting
        await configure(nvim, {"inlayHints": {"showMacs": True}})
        labels = [h.label for h in await hints(nvim, uri, BROKEN)]
        assert "(1, 16, 32, 32) · 448 · 442.4K MACs" in labels                      # 32·32·16·27 = 442,368
        await configure(nvim, {"inlayHints": {"enabled": False}})
        assert await hints(nvim, uri, BROKEN) == []
        assert [d.code for d in (await pull(nvim, uri)).items] == ["SL106"]
    finally:
        await configure(nvim, {})
    assert {h.label for h in await hints(nvim, uri, BROKEN)} >= {"(1, 16, 32, 32) · 448"}


async def test_default_torch_input_setting(nvim: LanguageClient, tmp_path):
    text = "import torch.nn as nn\n\nnet = nn.Sequential(\n    nn.Conv2d(3, 8, 3),\n    nn.Flatten(),\n)\n"
    path, uri = write(tmp_path, "noinput.py", text)
    open_doc(nvim, uri, text)
    labels = [h.label for h in await hints(nvim, uri, text)]
    assert "(N, 8, H-2, W-2) · 224" in labels   # no input: the one Conv2d takes, unknown sizes symbolic
    try:
        await configure(nvim, {"defaultTorchInput": "(2, 3, 10, 10)"})
        labels = [h.label for h in await hints(nvim, uri, text)]
        assert "(2, 8, 8, 8) · 224" in labels and "(2, 512)" in labels   # 10-3+1 = 8; 8·8·8 = 512
    finally:
        await configure(nvim, {})


async def test_each_text_is_analysed_once(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "cnn.py", TORCH_CNN)
    start = (await status(nvim)).analyses
    open_doc(nvim, uri, TORCH_CNN)
    first = hint_set(await hints(nvim, uri, TORCH_CNN))
    await asyncio.gather(hints(nvim, uri, TORCH_CNN), hover(nvim, uri, 5, 6), pull(nvim, uri),
                         hints(nvim, uri, TORCH_CNN), nvim.text_document_code_lens_async(
                             types.CodeLensParams(types.TextDocumentIdentifier(uri))))
    assert (await status(nvim)).analyses == start + 1
    # an edit and its undo: the original text is answered from the cache
    change(nvim, uri, 2, (5, 4), (5, 4), "  ")
    await hints(nvim, uri, TORCH_CNN)
    change(nvim, uri, 3, (5, 4), (5, 6), "")
    assert hint_set(await hints(nvim, uri, TORCH_CNN)) == first
    assert (await status(nvim)).analyses == start + 2


async def test_a_change_is_analysed_before_anything_asks(nvim: LanguageClient, tmp_path):
    """didOpen and didChange start the analysis of the new text at once (neovim pulls diagnostics, so
    nothing else would); the inlay hints asked for next use that analysis: one per text."""
    path, uri = write(tmp_path, "early.py", TORCH_CNN)
    start = (await status(nvim)).analyses

    async def analysed(n: int) -> None:
        for _ in range(600):
            st = await status(nvim)
            if st.analyses == n and str(path) in st.cached_paths:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no analysis without a request (status: {st})")

    open_doc(nvim, uri, TORCH_CNN)
    await analysed(start + 1)
    assert "(1, 32, 24, 24) · 832" in [h.label for h in await hints(nvim, uri, TORCH_CNN)]   # (5·5·1+1)·32
    row = line_of(TORCH_CNN, "Conv2d(1, 32")
    col = TORCH_CNN.split("\n")[row].index("32")
    change(nvim, uri, 2, (row, col), (row, col + 2), "16")
    await analysed(start + 2)
    edited = TORCH_CNN.replace("Conv2d(1, 32", "Conv2d(1, 16")
    assert "(1, 16, 24, 24) · 416" in [h.label for h in await hints(nvim, uri, edited)]     # (5·5·1+1)·16
    assert (await status(nvim)).analyses == start + 2


# ----------------------------------------------------------------------------- robustness (neovim session)

async def test_robust_inputs(nvim: LanguageClient, tmp_path):
    restarts = (await status(nvim)).worker_restarts
    cases = {
        "absurd.py": "import torch.nn as nn\n# shapelens: input=(1, 10**12)\n"
                     "big = nn.Sequential(nn.Linear(10**12, 10**12))\n",
        "unknown.py": "import torch.nn as nn\n# shapelens: input=(1, 3, 8, 8)\n"
                      "m = nn.Sequential(MyBlock(3), nn.Conv2d(3, 4, 3))\n",
        "garbage.py": "\x00\x01\xff\ufffd model = nn.Sequential(\x00 nn.Linear(\n\x7f\x1b[0m",
        "nested.py": "x = " + "(" * 1600 + "1" + ")" * 1600 + "\n",
        # str.splitlines() line ends that are not LSP (nor Python) line ends
        "odd_newlines.py": "import torch.nn as nn\nx = 'a\u2028b\x85c'\n\x0c\n# shapelens: input=(1, 4)\n"
                           "m = nn.Sequential(nn.Linear(4, 8))\n",
    }
    for name, text in cases.items():
        path, uri = write(tmp_path, name, text)
        open_doc(nvim, uri, text)
        got = await hints(nvim, uri, text)
        await hover(nvim, uri, 2, 25)
        report = await pull(nvim, uri)
        assert isinstance(got, list) and report.kind == "full", name
        if name == "absurd.py":
            params = (10**12 + 1) * 10**12
            assert f"(1, 1000000000000) · {params:,}" in [h.label for h in got]
        if name == "unknown.py":
            labels = [h.label for h in got]
            assert "? · ?" in labels                   # the unknown block
            # after it only what Conv2d itself fixes is known: 4 channels, (3·3·3 + 1)·4 = 112 params
            assert "(…, 4, ?, ?) · 112" in labels
            assert "? params · ? MACs" in labels
            tip = (await hover(nvim, uri, 2, 20)).contents.value
            assert "MyBlock" in tip and "Unknown" in tip
    # positions out of range, a never-opened document, an edit of a never-opened document
    uri = (tmp_path / "absurd.py").as_uri()
    assert await hover(nvim, uri, 10_000, 10_000) is None
    assert await hover(nvim, uri, 0, 10_000) is None
    ghost = (tmp_path / "never-opened.py").as_uri()
    change(nvim, ghost, 5, (3, 0), (4, 0), "x")
    assert await hints(nvim, ghost, "x") == []
    assert list((await pull(nvim, ghost)).items) == []
    assert await hover(nvim, ghost, 0, 0) is None
    # an edit with a range far past the end is clamped, not fatal
    change(nvim, uri, 2, (500, 3), (900, 0), "\n# tail\n")
    tailed = cases["absurd.py"] + "\n# tail\n"
    params = (10**12 + 1) * 10**12
    assert {h.label for h in await hints(nvim, uri, tailed)} == {
        f"(1, 1000000000000) · {params:,}", f"{params:,} params · 1.0e+24 MACs"}      # 10¹² · 10¹² MACs
    assert (await hover(nvim, uri, 5, 3)) is None and await hover(nvim, uri, 2, 25) is not None
    st = await status(nvim)
    assert st.worker_restarts == restarts     # nothing here needed a new analysis child
    assert not [m for m in nvim.messages]      # nothing was shown to the user


async def test_large_file(nvim: LanguageClient, tmp_path):
    filler = "".join(f"x{i} = {i}  # filler line\n" for i in range(20_000))
    text = filler + TORCH_CNN
    path, uri = write(tmp_path, "large.py", text)
    open_doc(nvim, uri, text)
    line = line_of(text, "nn.Conv2d(1, 32, 5)")
    rng = types.Range(types.Position(line - 5, 0), types.Position(line + 20, 0))
    got = hint_set(await hints(nvim, uri, text, rng))
    assert (line, len("    nn.Conv2d(1, 32, 5)"), "(1, 32, 24, 24) · 832") in got
    assert len(got) == 11        # the 10 layers and the total, nothing from the filler


async def test_worker_crash_is_survived(nvim: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "cnn.py", TORCH_CNN)
    open_doc(nvim, uri, TORCH_CNN)
    assert hint_set(await hints(nvim, uri, TORCH_CNN)) == expected_hints(path, "utf-8")
    st = await status(nvim)
    assert st.isolated is True
    restarts = st.worker_restarts
    # kill the analysis child the hard way, as a native crash in the parser would
    os.kill(st.worker_pid, signal.SIGKILL)
    line = line_of(TORCH_CNN, "nn.Linear(128, 10)")
    change(nvim, uri, 2, (line, len("    nn.Linear(128, ")), (line, len("    nn.Linear(128, 10")), "20")
    edited = TORCH_CNN.replace("nn.Linear(128, 10)", "nn.Linear(128, 20)")
    labels = {h.label for h in await hints(nvim, uri, edited)}
    assert "(1, 20) · 2,580" in labels       # (128 + 1)·20, from a restarted child
    st = await status(nvim)
    assert st.worker_restarts == restarts + 1 and st.worker_pid is not None


async def test_edits_and_a_child_kill_give_what_a_fresh_analysis_gives(nvim: LanguageClient, tmp_path):
    """The child sends only changed records (numbers for the rest, deltas for moved ones): after edits
    that keep, change and move models, and a killed child, the hints are still exactly the CLI's."""
    text = TWO_MODELS + "\n" + TORCH_CNN + "\n" + KERAS_CNN + "\n" + BROKEN
    path, uri = write(tmp_path, "many.py", text)
    open_doc(nvim, uri, text)
    assert hint_set(await hints(nvim, uri, text)) == expected_hints(path, "utf-8")
    version = 1

    def edit(start: tuple[int, int], end: tuple[int, int], new: str) -> str:
        nonlocal version, text
        lines = text.split("\n")
        a = sum(len(line) + 1 for line in lines[:start[0]]) + start[1]
        b = sum(len(line) + 1 for line in lines[:end[0]]) + end[1]
        version += 1
        change(nvim, uri, version, start, end, new)
        text = text[:a] + new + text[b:]
        return text

    line = line_of(text, "nn.Linear(128, 10)")
    edit((line, len("    nn.Linear(128, ")), (line, len("    nn.Linear(128, 1")), "2")     # one model changes
    await hints(nvim, uri, text)
    edit((0, 0), (0, 0), "\n\n")                                                      # every model moves
    await hints(nvim, uri, text)
    line = line_of(text, "value = 1")
    edit((line, 0), (line, 0), "# moved below\n")                                    # the models below move
    await hints(nvim, uri, text)
    st = await status(nvim)
    assert 0 < st.worker_table and path.as_posix() in st.cached_paths
    os.kill(st.worker_pid, signal.SIGKILL)                                           # a native crash
    line = line_of(text, "layers.Dense(10")
    edit((line, len("    layers.Dense(")), (line, len("    layers.Dense(10")), "12")  # after the restart
    got = hint_set(await hints(nvim, uri, text))
    path.write_text(text, encoding="utf-8")
    assert got == expected_hints(path, "utf-8")
    # the requested range only filters: any range gives the full answer's hints inside it
    whole = await hints(nvim, uri, text)
    n = len(text.split("\n"))
    for a, b in [(0, 3), (5, 5), (10, 30), (n - 4, n + 10), (n + 5, n + 9), (0, n)]:
        rng = types.Range(types.Position(a, 0), types.Position(b, 0))
        inside = {(h.position.line, h.position.character, h.label) for h in whole
                  if (a, 0) <= (h.position.line, h.position.character) <= (b, 0)}
        assert hint_set(await hints(nvim, uri, text, rng)) == inside, (a, b)
    # the latest hints resolve; closing the document drops its analyses
    resolved = await nvim.inlay_hint_resolve_async(next(h for h in whole if h.label.endswith("MACs")))
    assert resolved.tooltip is not None and "Total params" in resolved.tooltip.value
    nvim.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    st = await status(nvim)
    assert path.as_posix() not in st.cached_paths and st.worker_restarts >= 1


# ----------------------------------------------------------------------------- VS Code: publish, lens, utf-16

async def test_vscode_published_diagnostics(vscode: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "broken.py", BROKEN)
    open_doc(vscode, uri, BROKEN)
    diags = await eventually(lambda: vscode.diagnostics.get(uri), "publishDiagnostics")
    expected = check_json(path)
    assert [(d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
            for d in diags] == [(e["code"], *lsp_pos(BROKEN, e["line"], e["col"], "utf-16"),
                                 *lsp_pos(BROKEN, e["end_line"], e["end_col"], "utf-16")) for e in expected]
    d = next(d for d in diags if d.code == "SL106")
    assert d.code_description.href == "https://github.com/shapelens/shapelens/blob/main/docs/codes.md#sl106"
    assert d.source == "shapelens" and d.severity == types.DiagnosticSeverity.Error
    (rel,) = d.related_information
    e = next(e for e in expected if e["code"] == "SL106")
    assert rel.location.range.start.line == e["related"][0]["line"] - 1 == line_of(BROKEN, "nn.Flatten()")
    # fix it with a few keystrokes: the debounced publish ends with the fixed text's (empty) list
    line = line_of(BROKEN, "nn.Linear(16 * 8 * 8, 10)")
    col = BROKEN.split("\n")[line].index("8 * 8")
    change(vscode, uri, 2, (line, col), (line, col + 1), "1")
    change(vscode, uri, 3, (line, col + 1), (line, col + 1), "6")
    change(vscode, uri, 4, (line, col + len("16 * ")), (line, col + len("16 * 8")), "16")
    await eventually(lambda: len(vscode.diagnostics[uri]) == 0, "the fixed file's empty diagnostics")
    # breaking it again publishes again; closing clears them
    change(vscode, uri, 5, (line, col), (line, col + 2), "3")
    diags = await eventually(lambda: vscode.diagnostics[uri], "diagnostics of the re-broken file")
    assert [d.code for d in diags] == ["SL106"] and "768" in diags[0].message      # 16·3·16 = 768
    vscode.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await eventually(lambda: len(vscode.diagnostics[uri]) == 0, "cleared diagnostics")


async def test_vscode_code_lens_and_utf16(vscode: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "keras_cnn.py", KERAS_CNN)
    open_doc(vscode, uri, KERAS_CNN)
    lenses = await vscode.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    (lens,) = lenses
    assert lens.command.title == f"{KERAS_TOTAL:,} params ({KERAS_TRAINABLE:,} trainable) · 2.4M MACs"
    assert lens.range.start.line == line_of(KERAS_CNN, "model = keras.Sequential")
    # utf-16 positions (VS Code declares no positionEncodings)
    path, uri = write(tmp_path, "tiny.py", NON_ASCII)
    open_doc(vscode, uri, NON_ASCII)
    assert (await status(vscode)).encoding == "utf-16"
    diags = await eventually(lambda: vscode.diagnostics.get(uri), "publishDiagnostics")
    line = NON_ASCII.split("\n")[TINY]
    start = line.index("nn.Linear(9, 2)")
    (d,) = [d for d in diags if d.code == "SL106"]
    assert (d.range.start.line, d.range.start.character) == (TINY, units(line[:start], "utf-16"))
    assert units(line[:start], "utf-16") != units(line[:start], "utf-8") != start     # the test means something
    # an incremental edit after the emoji, in UTF-16 units
    nine = line.index("9, 2)")
    change(vscode, uri, 2, (TINY, units(line[:nine], "utf-16")), (TINY, units(line[:nine + 1], "utf-16")), "8")
    await eventually(lambda: not [d for d in vscode.diagnostics[uri] if d.code == "SL106"], "SL106 gone")
    # hover at a UTF-16 column inside the first Linear
    first = line.index("nn.Linear(4, 8)")
    h = await hover(vscode, uri, TINY, units(line[:first + 3], "utf-16"))
    assert "(1, 4)" in h.contents.value and "(1, 8)" in h.contents.value
    assert h.range.start.character == units(line[:first], "utf-16")


async def test_vscode_settings_change_republishes(vscode: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "broken.py", BROKEN)
    open_doc(vscode, uri, BROKEN)
    await eventually(lambda: [d.code for d in vscode.diagnostics.get(uri, [])] == ["SL106"], "SL106")
    lens_refreshes = vscode.lens_refreshes
    vscode.set_configuration({"ignore": ["SL106"]}, section="shapelens")
    try:
        vscode.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await eventually(lambda: len(vscode.diagnostics[uri]) == 0, "diagnostics without SL106")
    finally:
        vscode.set_configuration({}, section="shapelens")
        vscode.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await eventually(lambda: len(vscode.diagnostics[uri]) == 1, "SL106 back")
    # VS Code 1.65 declares no inlay hints: the server must not ask it to refresh them (but its lenses)
    assert vscode.inlay_refreshes == 0 and vscode.lens_refreshes == lens_refreshes + 2


# ----------------------------------------------------------------------------- emacs: utf-32, direct tooltips


async def test_emacs_utf32_direct_tooltips_and_log_file(emacs: LanguageClient, tmp_path):
    path, uri = write(tmp_path, "tiny.py", NON_ASCII)
    open_doc(emacs, uri, NON_ASCII)
    assert (await status(emacs)).encoding == "utf-32"       # emacs lists utf-32 first
    got = await hints(emacs, uri, NON_ASCII)
    assert hint_set(got) == expected_hints(path, "utf-32")
    # no resolveSupport: every tooltip comes with the hint, and there is no data to resolve
    first = next(h for h in got if h.label == "(1, 8) · 40")
    assert first.data is None and "(4 + 1)·8 = 40" in first.tooltip.value
    formats = client_capabilities("emacs@v29.1").text_document.hover.content_format or []
    assert first.tooltip.kind == (types.MarkupKind.Markdown if types.MarkupKind.Markdown in formats
                                  else types.MarkupKind.PlainText)
    # publishDiagnostics without relatedInformation or codeDescription support: neither is sent
    diags = await eventually(lambda: emacs.diagnostics.get(uri), "publishDiagnostics")
    (d,) = [d for d in diags if d.code == "SL106"]
    assert d.related_information is None and d.code_description is None
    line = NON_ASCII.split("\n")[TINY]
    assert d.range.start.character == line.index("nn.Linear(9, 2)")     # code points
    assert "settings:" in LOG_FILE.read_text(encoding="utf-8")         # --log-file is used


# ----------------------------------------------------------------------------- TCP and internal errors


async def test_tcp_server_answers_initialize():
    await asyncio.to_thread(_tcp_initialize)


def _tcp_initialize() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([*SERVER, "--tcp", f"127.0.0.1:{port}"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    timer = threading.Timer(60, proc.kill)     # a hung server must not hang the suite
    timer.start()
    try:
        for _ in range(600):
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError("the TCP server exited")
                threading.Event().wait(0.1)
        else:
            raise AssertionError("the TCP server never listened")
        with conn:
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                               "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
            conn.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            while len(rest) < length:
                rest += conn.recv(65536)
            answer = json.loads(rest[:length])
        caps = answer["result"]["capabilities"]
        assert answer["result"]["serverInfo"]["name"] == "shapelens"
        assert caps["inlayHintProvider"] == {"resolveProvider": True}
        assert caps["hoverProvider"] and caps["codeLensProvider"] is not None
        assert caps["diagnosticProvider"]["interFileDependencies"] is False
        assert caps["positionEncoding"] == "utf-16"
        assert caps["textDocumentSync"]["change"] == 2          # incremental
    finally:
        timer.cancel()
        proc.kill()
        proc.wait()


async def test_internal_errors_are_logged_and_answered_empty():
    """In-process: a handler that raises answers its empty result and logs, and nothing reaches the user."""
    from shapelens.lsp import create_server

    server = create_server(isolate=False)
    sent: list = []
    server.window_log_message = sent.append                          # what the client would receive
    server.window_show_message = lambda params: sent.append(("SHOWN", params))
    features = server.protocol.fm.features
    for method, empty in ((types.TEXT_DOCUMENT_INLAY_HINT, []), (types.TEXT_DOCUMENT_HOVER, None),
                          (types.TEXT_DOCUMENT_CODE_LENS, [])):
        assert await features[method](object()) == empty             # params without a text document
    report = await features[types.TEXT_DOCUMENT_DIAGNOSTIC](object())
    assert report.kind == "full" and report.items == []
    assert len(sent) == 4 and all(p.type == types.MessageType.Log for p in sent)
    assert all("internal error" in p.message and "Traceback" not in p.message for p in sent)


async def test_quick_fix_through_the_server_makes_torch_accept_the_model(nvim: LanguageClient, tmp_path):
    """textDocument/codeAction on the SL106 of BROKEN: the preferred fix, applied, gives a model real torch
    runs (4096 features by hand: 16·16·16), and shapelens then reports no error."""
    import torch

    from shapelens.analysis import analyze_source
    from shapelens.fixes import TextEdit, apply_edits

    path, uri = write(tmp_path, "broken.py", BROKEN)
    open_doc(nvim, uri, BROKEN)
    report = await pull(nvim, uri)
    sl106 = next(d for d in report.items if d.code == "SL106")
    actions = await nvim.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=sl106.range,
        context=types.CodeActionContext(diagnostics=[sl106])))
    titles = [a.title for a in actions]
    assert any("Ignore SL106" in t for t in titles)
    fix = next(a for a in actions if a.is_preferred)
    assert fix.kind == types.CodeActionKind.QuickFix and list(fix.diagnostics) == [sl106]
    edits = fix.edit.changes[uri]
    lines = BROKEN.splitlines(keepends=True)
    # utf-8 was negotiated and BROKEN is ASCII: LSP columns + 1 are our 1-based columns
    fixed = apply_edits(BROKEN, [TextEdit(e.range.start.line + 1, e.range.start.character + 1,
                                          e.range.end.line + 1, e.range.end.character + 1, e.new_text) for e in edits])
    assert len(lines) == len(fixed.splitlines(keepends=True))
    assert not [d for d in analyze_source(fixed).diagnostics if d.severity == "error"]
    ns: dict = {}
    exec(compile(fixed, "fixed", "exec"), ns)
    assert tuple(ns["broken"](torch.randn(1, 3, 32, 32)).shape) == (1, 10)
