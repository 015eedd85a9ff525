"""Unit tests of lsp_format: labels, markdown and positions from real analysis records of real sources.

Expected numbers are worked out by hand from the layer definitions (see the comments), never copied
from the functions under test.
"""
from __future__ import annotations

import pytest

from shapelens.analysis.engine import analyze_source
from shapelens.analysis.records import LayerRecord, ModelRecord, Span
from shapelens.analysis.shapes import Shape
from shapelens.lsp_format import (
    HintConfig,
    LineIndex,
    Settings,
    apply_change,
    code_lens_title,
    diagnostic_href,
    filter_diagnostics,
    fmt_bytes,
    fmt_compact,
    fmt_count,
    hint_line,
    layer_at,
    layer_hint_label,
    layer_markdown,
    model_at,
    model_hint_label,
    model_markdown,
    parse_input_shape,
    parse_settings,
    severity_number,
)

TORCH = """\
import torch.nn as nn

# shapelens: input=(1, 1, 28, 28)
model = nn.Sequential(
    nn.Conv2d(1, 32, 5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(32 * 12 * 12, 10),
)
"""
# conv: 28-5+1 = 24, (5·5·1 + 1)·32 = 832 params, 24·24·32·25 = 460,800 MACs; pool → 12;
# flatten 32·12·12 = 4608; linear (4608 + 1)·10 = 46,090 params, 46,080 MACs.

KERAS = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.BatchNormalization(),
    layers.Flatten(),
    layers.Dense(10),
])
"""
# conv 28-3+1 = 26: (9 + 1)·32 = 320 params, 26·26·32·9 = 194,688 MACs; BatchNormalization(32): 64
# trainable + 64 non-trainable; flatten 26·26·32 = 21,632; dense (21,632 + 1)·10 = 216,330, 216,320 MACs.


@pytest.fixture(scope="module")
def torch_model() -> ModelRecord:
    (m,) = analyze_source(TORCH, "t.py").models
    return m


@pytest.fixture(scope="module")
def keras_model() -> ModelRecord:
    (m,) = analyze_source(KERAS, "k.py").models
    return m


# ---------------------------------------------------------------------- numbers

@pytest.mark.parametrize("n, text", [
    (None, "?"), (0, "0"), (999, "999"), (1000, "1K"), (460_800, "460.8K"), (2_300_000, "2.3M"),
    (3_869_952, "3.9M"), (999_999, "1M"), (1_250_000_000, "1.2G"), (10**24, "1e+24"), (2 * 10**21, "2e+21"),
])
def test_fmt_compact(n, text):
    assert fmt_compact(n) == text.replace("1e+24", "1.0e+24").replace("2e+21", "2.0e+21")


def test_fmt_count_and_bytes():
    assert fmt_count(217_706) == "217,706"
    assert fmt_count(None) == "?"
    assert fmt_count(10**24) == "1,000,000,000,000,000,000,000,000"
    assert fmt_bytes(1023) == "1023 B"
    assert fmt_bytes(208_488) == "203.6 KiB"      # 208488 / 1024 = 203.60
    assert fmt_bytes(3 * 2**20) == "3.0 MiB"
    assert fmt_bytes(None) == "?"


# ---------------------------------------------------------------------- settings

def test_parse_input_shape():
    assert parse_input_shape("(1, 3, 224, 224)") == (1, 3, 224, 224)
    assert parse_input_shape("[N, 3, 32, 32]") == ("N", 3, 32, 32)
    assert parse_input_shape("(None, 20)") == (None, 20)
    assert parse_input_shape("(3,)") == (3,)
    assert parse_input_shape([1, 10]) == (1, 10)
    for bad in ("", "()", "(1, 2", "(1; 2)", "(-1, 3)", "(1.5, 2)", 7, None, [True], "(" + "1, " * 300 + ")",
                "__import__('os')"):
        assert parse_input_shape(bad) is None, bad


def test_parse_settings_nested_dotted_and_bad_values():
    s = parse_settings({"inlayHints": {"showParams": False, "showMacs": "no"},
                        "defaultTorchInput": "(1, 3, 32, 32)", "ignore": ["sl201", " SL106 ", 3]})
    assert s.hints == HintConfig(enabled=True, show_shapes=True, show_params=False, show_macs=False)
    assert s.default_torch_input == (1, 3, 32, 32)
    assert s.ignore == frozenset({"SL201", "SL106"})
    s = parse_settings({"inlayHints.enabled": False, "inlayHints.showMacs": True, "ignore": "SL001,SL002"})
    assert s.hints.enabled is False and s.hints.show_macs is True and s.ignore == frozenset({"SL001", "SL002"})
    assert parse_settings(None) == Settings() == parse_settings([1, 2]) == parse_settings({"inlayHints": 3})


# ---------------------------------------------------------------------- hint labels

def test_layer_hint_labels(torch_model):
    conv, relu, pool, flatten, linear = torch_model.layers
    assert layer_hint_label(conv) == "(1, 32, 24, 24) · 832"
    assert layer_hint_label(relu) == "(1, 32, 24, 24)"              # parameter-free: shape only
    assert layer_hint_label(pool) == "(1, 32, 12, 12)"
    assert layer_hint_label(flatten) == "(1, 4608)"
    assert layer_hint_label(linear) == "(1, 10) · 46,090"
    no_shapes = HintConfig(show_shapes=False)
    assert layer_hint_label(conv, no_shapes) == "832"
    assert layer_hint_label(relu, no_shapes) is None                 # nothing left: no empty label
    assert layer_hint_label(conv, HintConfig(show_params=False)) == "(1, 32, 24, 24)"
    with_macs = HintConfig(show_macs=True)
    assert layer_hint_label(conv, with_macs) == "(1, 32, 24, 24) · 832 · 460.8K MACs"     # 24·24·32·25
    assert layer_hint_label(linear, with_macs) == "(1, 10) · 46,090 · 46.1K MACs"        # 4608·10
    assert layer_hint_label(relu, with_macs) == "(1, 32, 24, 24)"                         # no MACs


def test_model_hint_label_and_code_lens(torch_model, keras_model):
    total = 832 + 46_090
    macs = 460_800 + 46_080
    assert model_hint_label(torch_model) == f"{total:,} params · 506.9K MACs" == "46,922 params · 506.9K MACs"
    assert model_hint_label(torch_model, HintConfig(show_params=False)) == "506.9K MACs"
    assert code_lens_title(torch_model) == "46,922 params (46,922 trainable) · 506.9K MACs"
    assert torch_model.total_macs == macs
    # keras: 320 + 128 + 216,330 = 216,778 total, 64 of them non-trainable; 194,688 + 216,320 MACs
    assert code_lens_title(keras_model) == "216,778 params (216,714 trainable) · 411K MACs"


def test_unknown_values_show_question_marks():
    src = "import torch.nn as nn\nm = nn.Sequential(MyBlock(3), nn.Linear(4, 2))\n"
    (m,) = analyze_source(src).models
    block, linear = m.layers
    assert layer_hint_label(block) == "? · ?"
    assert layer_hint_label(linear) == "(…, 2) · 10"                  # (4 + 1)·2; no input shape
    assert model_hint_label(m) == "? params · ? MACs"
    md = layer_markdown(block, m, 0)
    assert "MyBlock" in md and "**Unknown (?)**" in md and "**Parameters: ?**" in md


# ---------------------------------------------------------------------- markdown

def test_layer_markdown_has_formulas_with_numbers(torch_model):
    md = layer_markdown(torch_model.layers[0], torch_model, 0)
    assert "**Conv2d** — layer 1 of 5 in `model`" in md
    assert "input `(1, 1, 28, 28)` → output `(1, 32, 24, 24)`" in md
    assert "- `H: ⌊(28 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 24`" in md
    assert "- `W: ⌊(28 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 24`" in md
    assert "**Parameters: 832**" in md and "`(5·5·1 + 1)·32 = 832`" in md
    assert "**MACs: 460,800**" in md


def test_keras_batchnorm_markdown_says_what_is_non_trainable(keras_model):
    bn = keras_model.layers[1]
    md = layer_markdown(bn, keras_model, 1)
    assert "**Parameters: 128** (64 trainable, 64 non-trainable)" in md
    assert "**Non-trainable: 64**" in md and "moving mean" in md


def test_model_markdown_table(keras_model):
    md = model_markdown(keras_model)
    rows = [r for r in md.split("\n") if r.startswith("| ") and r[2:3].isdigit()]
    assert [r.split("|")[3].strip() for r in rows] == ["Conv2D", "BatchNormalization", "Flatten", "Dense"]
    assert [r.split("|")[5].strip() for r in rows] == ["320", "128", "0", "216,330"]
    assert "Total params: **216,778**" in md
    assert "Trainable params: 216,714" in md and "Non-trainable params: 64" in md
    assert "| | | **total** | (None, 10) | **216,778** | **411,008** |" in md


def test_markdown_table_escapes_pipes():
    layer = LayerRecord(Span(1, 1, 1, 2), "A|B", name="x|y", output_shape=Shape.of([1, 2]), trainable=0,
                        non_trainable=0, macs=0)
    md = model_markdown(ModelRecord("m", "torch", Span(1, 1, 1, 2), layers=[layer]))
    row = next(r for r in md.split("\n") if r.startswith("| 1 "))
    assert "A\\|B" in row and "x\\|y" in row


def test_diagnostics_helpers():
    assert diagnostic_href("SL106") == "https://github.com/shapelens/shapelens/blob/main/docs/codes.md#sl106"
    assert [severity_number(s) for s in ("error", "warning", "info", "whatever")] == [1, 2, 3, 3]
    src = "import torch.nn as nn\n# shapelens: input=(1, 8)\nm = nn.Sequential(nn.Linear(4, 2))\n"
    diags = analyze_source(src).diagnostics
    assert [d.code for d in diags] == ["SL106"]
    assert filter_diagnostics(diags, frozenset({"SL106"})) == []
    assert filter_diagnostics(diags, frozenset({"SL201"})) == diags


# ---------------------------------------------------------------------- positions

def test_line_index_encodings():
    text = 'a = "😀é"; b = 1\r\nsecond\rthird\nfourth'
    for enc, col in (("utf-16", len('a = "') + 2 + 1), ("utf-8", len('a = "') + 4 + 2), ("utf-32", len('a = "') + 2)):
        index = LineIndex(text, enc)
        # 1-based code point column of the closing quote: 'a = "' + 2 chars + 1
        assert index.position(1, len('a = "😀é') + 1) == (0, col), enc
        assert index.from_lsp(0, col) == (1, len('a = "😀é') + 1), enc
    index = LineIndex(text, "utf-16")
    assert len(index) == 4 and index.line(1) == "second" and index.line(2) == "third"
    assert index.end_of_line(1) == (0, len('a = "') + 3 + len('"; b = 1'))   # 😀 2 units, é 1
    # out of range: clamped, never raises
    assert index.position(99, 5) == (3, 6)
    assert index.position(0, 0) == (0, 0)
    assert index.from_lsp(50, 3) == (4, 7)
    assert index.from_lsp(1, 999) == (2, 7)


def test_line_index_only_lsp_newlines():
    # form feed and U+2028 are not line ends for LSP (nor for Python's tokenizer)
    text = "x = 1\x0c\ny = '\u2028'\nz"
    index = LineIndex(text)
    assert len(index) == 3 and index.line(1) == "y = '\u2028'"


def test_line_index_fast_path_matches_the_line_rules():
    """Texts without "\r" take a split-based path: same lines as the regex rules (checked by hand here:
    only "\n" ends a line), including empty lines, a trailing newline and other line-like characters."""
    import random

    rng = random.Random(4)
    for _ in range(500):
        text = "".join(rng.choice(["a", "é", "😀", "\n", "\n\n", "\x0c", "\u2028", "\x85", " "])
                       for _ in range(rng.randrange(0, 25)))
        index = LineIndex(text)
        lines = text.split("\n")                 # without "\r", "\n" is the only LSP line end
        assert len(index) == len(lines)
        assert [index.line(i) for i in range(len(lines))] == lines
        assert index.starts == [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]
    # "\r" anywhere: the regex path (\r\n, \r and \n end lines)
    index = LineIndex("a\r\nb\rc\nd")
    assert [index.line(i) for i in range(len(index))] == ["a", "b", "c", "d"]


def test_line_index_with_encoding_shares_the_lines():
    text = "x = '😀'\ny = 2\n"
    index = LineIndex(text, "utf-16")
    other = index.with_encoding("utf-8")
    assert other.starts is index.starts and other.encoding == "utf-8" and index.encoding == "utf-16"
    assert other.position(1, 8) == LineIndex(text, "utf-8").position(1, 8) == (0, 10)
    assert index.position(1, 8) == (0, 8)
    assert index.with_encoding("utf-16") is index


def test_apply_change_with_a_prebuilt_index():
    text = "ab😀cd\nline2\n"
    for enc, start in (("utf-16", 4), ("utf-8", 6)):
        for given in (LineIndex(text, "utf-32"), LineIndex(text, enc), LineIndex("other text", enc)):
            assert apply_change(text, (0, start), (0, start + 1), "X", enc, given) == "ab😀Xd\nline2\n"


def test_apply_change():
    text = "ab😀cd\nline2\n"
    # utf-16: 😀 spans characters 2..4
    assert apply_change(text, (0, 4), (0, 5), "X", "utf-16") == "ab😀Xd\nline2\n"
    assert apply_change(text, (0, 6), (0, 7), "X", "utf-8") == "ab😀Xd\nline2\n"
    assert apply_change(text, (1, 0), (2, 0), "", "utf-16") == "ab😀cd\n"
    assert apply_change(text, (9, 9), (12, 0), "tail", "utf-16") == text + "tail"   # past the end: appended
    assert apply_change(text, (1, 2), (0, 1), "", "utf-16") == "ane2\n"             # reversed ends


# ---------------------------------------------------------------------- lookups

def test_layer_and_model_lookup(torch_model):
    conv = torch_model.layers[0]
    found = layer_at([torch_model], conv.span.line, conv.span.col + 3)
    assert found is not None and found[1] == 0 and found[2] is conv
    assert layer_at([torch_model], conv.span.line, conv.span.end_col) is None      # end is exclusive
    assert layer_at([torch_model], conv.span.line, 1) is None                       # the indentation
    name = torch_model.name_span
    assert model_at([torch_model], name.line, name.col) is torch_model
    assert model_at([torch_model], name.line, len("model = nn.Seq")) is torch_model  # on the call itself
    assert model_at([torch_model], conv.span.line, conv.span.col) is None
    assert hint_line(torch_model) == 4
