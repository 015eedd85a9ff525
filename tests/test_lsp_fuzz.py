"""Fuzzing the language server through didChange: random truncations, insertions and deletions of the
fixture texts, sent as incremental edits to one server session (neovim capabilities: UTF-8 positions,
pull diagnostics, lazy tooltips).

After every example the server must answer inlay hints, hover, resolve and pull diagnostics, and its
hints must sit exactly where the layers of the *edited* text end: the test keeps its own copy of the
text, analyses it with `analyze_source` and converts positions with `str.encode`, so a wrong incremental
sync or column conversion shows up as a mismatch. Bounded: 50 derandomized examples.
"""
from __future__ import annotations

import hashlib
import itertools
import re
import sys

import pytest
import pytest_lsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from shapelens.analysis.engine import analyze_source

SERVER = [sys.executable, "-m", "shapelens"]
pytestmark = pytest.mark.asyncio(loop_scope="module")

TEXTS = [
    """\
import torch.nn as nn
from collections import OrderedDict

# shapelens: input=(1, 1, 28, 28)
model = nn.Sequential(OrderedDict([
    ("conv😀", nn.Conv2d(1, 32, 5)),
    ("rélu", nn.ReLU()),
    ("pool😀é", nn.MaxPool2d(2)),
    ("flat", nn.Flatten()),
    ("😀😀", nn.Linear(32 * 12 * 12, 10)),
]))
""",
    """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.BatchNormalization(),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
""",
    """\
import torch.nn as nn
from collections import OrderedDict

# shapelens: input=(1, 3, 32, 32)
broken = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 8 * 8, 10),
)
tiny = nn.Sequential(OrderedDict([("😀é", nn.Linear(4, 8)), ("b", nn.Linear(9, 2))]))
""",
]

TOKENS = ["(", ")", "[", "]", ",", ":", "\n", "\r\n", "\r", " ", "    ", "\t", "#", '"', "'''", "\\", "*", "=",
          "nn.Linear(3, 4)", "nn.Conv2d(", "layers.Dense(", "model = nn.Sequential(", "keras.Input(shape=(",
          "10**12", "0", "-1", "\x00", "😀", "é", "lambda x:", "def f(", "if x:", "# shapelens: input=(2, 3)"]
# Characters Python's str.splitlines treats as line ends but LSP and Python's tokenizer do not are left
# out here (see test_lsp_e2e for them): the oracle below relies on both sides agreeing on lines.
_ODD_LINE_ENDS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters=_ODD_LINE_ENDS)
snippet = st.one_of(st.lists(st.sampled_from(TOKENS), max_size=6).map("".join), st.text(chars, max_size=12))

where = st.integers(0, 100_000)     # an offset into the text, modulo its length
edit = st.one_of(
    st.tuples(st.just("truncate"), where),
    st.tuples(st.just("insert"), where, snippet),
    st.tuples(st.just("delete"), where, st.integers(1, 80)),
    st.tuples(st.just("replace"), where, st.integers(1, 20), snippet),
)

_NEWLINE = re.compile(r"\r\n|\r|\n")


def lsp_lines(text: str) -> list[str]:
    return _NEWLINE.split(text)


def position_of(text: str, offset: int) -> types.Position:
    """The UTF-8 LSP position of a code-point offset (never inside a \\r\\n pair)."""
    head = text[:offset]
    lines = lsp_lines(head)
    return types.Position(len(lines) - 1, len(lines[-1].encode("utf-8")))


def snap(text: str, offset: int) -> int:
    offset = max(0, min(offset, len(text)))
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        offset -= 1   # an edit boundary between \r and \n is not addressable in LSP positions
    return offset


def apply(text: str, op: tuple) -> tuple[int, int, str]:
    kind, where = op[0], op[1]
    at = snap(text, where % (len(text) + 1))
    if kind == "truncate":
        return at, len(text), ""
    if kind == "insert":
        return at, at, op[2]
    if kind == "delete":
        return at, snap(text, at + op[2]), ""
    return at, snap(text, at + op[2]), op[3]


def expected_positions(text: str) -> set[tuple[int, int]]:
    """Where the hints of this text must be: after each layer call, and at the end of each model's line."""
    lines = lsp_lines(text)

    def pos(line1: int, col1: int) -> tuple[int, int]:
        return line1 - 1, len(lines[line1 - 1][: col1 - 1].encode("utf-8"))

    out = set()
    for model in analyze_source(text, "fuzz.py").models:
        line1 = model.name_span.line if model.name_span is not None else model.span.line
        out.add((line1 - 1, len(lines[line1 - 1].encode("utf-8"))))
        for layer in model.layers:
            out.add(pos(layer.span.end_line, layer.span.end_col))
    return out


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim@v0.11.0")))
    yield
    await lsp_client.shutdown_session()


_counter = itertools.count()


@settings(max_examples=50, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(base=st.sampled_from(range(len(TEXTS))), ops=st.lists(edit, min_size=1, max_size=3),
       probe=st.tuples(st.integers(0, 40), st.integers(0, 120)))
async def test_random_edits_keep_the_server_answering(client: LanguageClient, base, ops, probe):
    uri = f"file:///fuzz/doc{next(_counter)}.py"
    text = TEXTS[base]
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    doc = types.TextDocumentIdentifier(uri)
    try:
        for version, op in enumerate(ops, start=2):
            a, b, new = apply(text, op)
            change = types.TextDocumentContentChangePartial(
                range=types.Range(position_of(text, a), position_of(text, b)), text=new)
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change]))
            text = text[:a] + new + text[b:]

        # the server's copy of the document is exactly ours
        status = await client.protocol.send_request_async("shapelens/status", {})
        (mine,) = [d for d in status.documents if d.uri == uri]
        assert mine.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()

        lines = lsp_lines(text)
        whole = types.Range(types.Position(0, 0), types.Position(len(lines), 0))
        hints = await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=doc, range=whole))
        assert hints is not None
        got = {(h.position.line, h.position.character) for h in hints}
        assert got == expected_positions(text)
        for h in hints:
            assert h.label
            assert h.position.character <= len(lines[h.position.line].encode("utf-8"))
        if hints:
            resolved = await client.inlay_hint_resolve_async(hints[0])
            assert resolved.tooltip is not None and resolved.tooltip.value

        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=doc))
        assert report.kind == "full"
        for d in report.items:
            assert d.source == "shapelens" and d.code and d.message
            assert 0 <= d.range.start.line < len(lines) and 0 <= d.range.end.line < len(lines)
            assert (d.range.start.line, d.range.start.character) <= (d.range.end.line, d.range.end.character)

        result = await client.text_document_hover_async(types.HoverParams(
            text_document=doc, position=types.Position(*probe)))
        assert result is None or result.contents.value
    finally:
        client.text_document_did_close(types.DidCloseTextDocumentParams(doc))


async def test_server_still_correct_after_fuzzing(client: LanguageClient):
    """Runs after the fuzz test in the same session: the server is alive and still exact."""
    uri = "file:///fuzz/final.py"
    text = TEXTS[0]
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri),
        range=types.Range(types.Position(0, 0), types.Position(20, 0))))
    labels = {(h.position.line, h.label) for h in hints}
    # conv: 28-5+1 = 24, (5·5·1 + 1)·32 = 832; linear: (32·12·12 + 1)·10 = 46,090
    assert (5, "(1, 32, 24, 24) · 832") in labels
    assert (9, "(1, 10) · 46,090") in labels
    assert (4, "46,922 params · 506.9K MACs") in labels
    conv = next(h for h in hints if h.position.line == 5)
    line = text.split("\n")[5]
    assert conv.position.character == len(line[: line.index("5))") + 2].encode("utf-8"))   # UTF-8 columns
    status = await client.protocol.send_request_async("shapelens/status", {})
    assert [d.uri for d in status.documents] == [uri]     # every fuzz document was closed again
    assert not client.messages                  # nothing was shown to the user

