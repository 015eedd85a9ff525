"""Unit tests of lsp_format: labels, markdown and positions from real analysis records of real sources.

Expected numbers are worked out by hand from the layer definitions (see the comments), never copied
from the functions under test.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shapelens.analysis.engine import analyze_source
from shapelens.analysis.records import LayerRecord, ModelRecord, Span
from shapelens.analysis.shapes import Shape
from shapelens.lsp_format import (
    HintConfig,
    HintGroups,
    LineIndex,
    Settings,
    apply_change,
    code_lens_title,
    count_range,
    diagnostic_href,
    filter_diagnostics,
    fmt_bytes,
    fmt_compact,
    fmt_count,
    hint_line,
    layer_at,
    layer_hint_label,
    layer_group,
    layer_markdown,
    layers_at,
    layers_hint_label,
    layers_markdown,
    merge_values,
    model_at,
    model_hint_label,
    model_markdown,
    parse_input_shape,
    parse_settings,
    severity_number,
    steps_at,
    steps_hint_label,
    steps_markdown,
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


# ---------------------------------------------------------------------- one hint per place (issue #17)

BLOCKS = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(x))


class Net(nn.Module):  # shapelens: input=(1, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.a = Block(3, 4)
        self.b = Block(4, 4)
        self.c = Block(4, 8)

    def forward(self, x):
        x = self.a(x)
        x = self.b(x)
        return self.c(x)
"""
# padding 1, kernel 3: 8 → 8. conv params (3·3·cin + 1)·cout: a 28·4 = 112, b 37·4 = 148, c 37·8 = 296;
# MACs 8·8·cout · 3·3·cin: a 256·27 = 6,912, b 256·36 = 9,216, c 512·36 = 18,432.
# Block.forward (line 11) runs 3 times: (1, 4, 8, 8) twice, then (1, 8, 8, 8).

WIDE = BLOCKS.replace("input=(1, 3, 8, 8)", "input=(1, 3, 32, 32)").replace(
    "        self.c = Block(4, 8)\n",
    "        self.c = Block(4, 64)\n        self.d = Block(64, 128)\n        self.e = Block(128, 256)\n").replace(
    "        return self.c(x)\n", "        x = self.c(x)\n        x = self.d(x)\n        return self.e(x)\n")
# convs 3→4, 4→4, 4→64, 64→128, 128→256 at 32x32: 5 outputs, 4 distinct shapes (a and b agree); params
# 112, 148, (36 + 1)·64 = 2,368, (576 + 1)·128 = 73,856, (1152 + 1)·256 = 295,168.


def _line(src: str, needle: str) -> int:
    return next(i for i, row in enumerate(src.split("\n"), 1) if needle in row)


def _group(models, groups: dict, line: int) -> list:
    (key,) = [k for k in groups if k[0] == line]
    return [(models[m], i) for m, i in groups[key]]


def test_merge_values_and_count_range():
    assert merge_values([]) == "?"
    assert merge_values(["(1, 4)"] * 3) == "(1, 4)"
    assert merge_values(["a", "b", "a"]) == "a | b"
    assert merge_values(["a", "b", "c", "b", "d"]) == "a | … | d (4 shapes)"
    assert count_range([832]) == "832"
    assert count_range([2_304, 4_608, 2_304]) == "2,304–4,608"
    assert count_range([None, None]) == "?"
    assert count_range([None, 832]) == "832 | ?"
    assert count_range([2_304, 36_864], fmt_compact) == "2.3K–36.9K"


def test_a_block_class_line_is_one_hint():
    (m,) = analyze_source(BLOCKS, "blocks.py").models
    groups = HintGroups([m])
    conv = [m.layers[i] for _, i in _group([m], groups.layers, _line(BLOCKS, "self.conv = "))]
    act = [m.layers[i] for _, i in _group([m], groups.layers, _line(BLOCKS, "self.act = "))]
    assert [l.path for l in conv] == ["a.conv", "b.conv", "c.conv"] and len(groups.layers) == 2
    assert layers_hint_label(conv) == "(1, 4, 8, 8) | (1, 8, 8, 8) · 112–296"
    assert layers_hint_label(act) == "(1, 4, 8, 8) | (1, 8, 8, 8)"                      # parameter-free
    assert layers_hint_label(conv, HintConfig(show_macs=True)) == \
        "(1, 4, 8, 8) | (1, 8, 8, 8) · 112–296 · 6.9K–18.4K MACs"
    assert layers_hint_label(conv, HintConfig(show_shapes=False)) == "112–296"
    assert layers_hint_label(act, HintConfig(show_shapes=False)) is None
    assert layers_hint_label(conv[:1]) == layer_hint_label(conv[0]) == "(1, 4, 8, 8) · 112"
    md = layers_markdown([(m, m.layers.index(l), l) for l in conv])
    assert "this call makes 3 modules in `Net`" in md
    assert "| (1, 4, 8, 8) | 112 | 6,912 | 1 | `a.conv` |" in md
    assert "| (1, 4, 8, 8) | 148 | 9,216 | 1 | `b.conv` |" in md
    assert "| (1, 8, 8, 8) | 296 | 18,432 | 1 | `c.conv` |" in md
    assert "(3·3·3 + 1)·4 = 112" in md                       # the first one's formulas
    md = layers_markdown([(m, m.layers.index(l), l) for l in act])
    assert "| (1, 4, 8, 8) | 0 | 0 | 2 | `a.act`, `b.act` |" in md


def test_a_long_merged_label_writes_its_parameter_range_in_k():
    (m,) = analyze_source(WIDE, "wide.py").models
    groups = HintGroups([m])
    conv = [m.layers[i] for _, i in _group([m], groups.layers, _line(WIDE, "self.conv = "))]
    assert [l.params for l in conv] == [112, 148, 2_368, 73_856, 295_168]
    exact = "(1, 4, 32, 32) | … | (1, 256, 32, 32) (4 shapes) · 112–295,168"
    assert len(exact) > 60
    assert layers_hint_label(conv) == "(1, 4, 32, 32) | … | (1, 256, 32, 32) (4 shapes) · 112–295.2K"
    assert layers_hint_label(conv[:3]) == "(1, 4, 32, 32) | (1, 64, 32, 32) · 112–2,368"       # short: exact


def test_step_hints_and_their_markdown():
    (m,) = analyze_source(BLOCKS, "blocks.py").models
    groups = HintGroups([m])
    line = _line(BLOCKS, "return self.act(self.conv(x))")
    ((_, si),) = _group([m], groups.steps, line)
    step = m.steps[si]
    assert steps_hint_label([step]) == "(1, 4, 8, 8) | (1, 8, 8, 8)"
    assert steps_hint_label([step], HintConfig(show_steps=False)) is None
    assert steps_hint_label([step], HintConfig(show_shapes=False)) is None
    md = steps_markdown([(m, step)])
    assert f"**Line {line}** makes 2 different shapes in `Net`" in md
    assert "- `(1, 4, 8, 8)`\n- `(1, 8, 8, 8)`" in md and "×3 in `Net`" in md
    assert steps_at([m], line, 12) == [(m, step)]
    first = _line(BLOCKS, "x = self.a(x)")
    (found,) = steps_at([m], first, 10)
    assert steps_markdown([found]) == f"**Line {first}** makes `(1, 4, 8, 8)` in `Net`"
    assert steps_at([m], first, 1) == []                     # the indentation
    # hovering a layer call: every module it makes
    conv = _line(BLOCKS, "self.conv = ")
    assert [l.path for _, _, l in layers_at([m], conv, 22)] == ["a.conv", "b.conv", "c.conv"]


CONDITIONS = """\
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelens: input=(2, 8)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        x = self.fc(x)
        if self.training:
            y = x.unsqueeze(1)
        a, b = x.split([3, 5], 1)
        z = somewhere(x)
        return x
"""
# split([3, 5], 1) of (2, 8): (2, 3) and (2, 5), two tensors per run; unsqueeze(1): (2, 1, 8) in training only.


def test_step_markdown_conditions_tuples_and_unknowns():
    (m,) = analyze_source(CONDITIONS, "c.py").models
    steps = {s.span.line: s for s in m.steps}
    cond = steps[_line(CONDITIONS, "y = x.unsqueeze(1)")]
    md = steps_markdown([(m, cond)])
    assert "`(2, 1, 8)`" in md and "only where a run-time condition holds" in md and "self.training" in md
    split = steps[_line(CONDITIONS, "a, b = x.split")]
    assert steps_hint_label([split]) == "(2, 3) | (2, 5)"
    assert "2 tensors per run" in steps_markdown([(m, split)])
    unknown = steps[_line(CONDITIONS, "z = somewhere(x)")]
    assert steps_hint_label([unknown]) == "?"
    md = steps_markdown([(m, unknown)])
    assert "**Unknown (?)**" in md and "somewhere" in md


TWO_KERAS = """\
import keras
from keras import layers

inp = keras.Input(shape=(8,))
h = layers.Dense(4)(inp)
out = layers.Dense(2)(h)
a = keras.Model(inp, out)
b = keras.Model(inp, h)
"""
# Dense(4) on 8 features: (None, 4), (8 + 1)·4 = 36; Dense(2): (None, 2), (4 + 1)·2 = 10.


def test_groups_span_models_and_leave_layer_lines_to_the_layer():
    models = analyze_source(TWO_KERAS, "k.py").models
    assert [m.name for m in models] == ["a", "b"]
    groups = HintGroups(models)
    dense4 = _group(models, groups.layers, 5)
    assert [m.name for m, _ in dense4] == ["a", "b"]                   # both models' Dense(4): one hint
    assert layers_hint_label([m.layers[i] for m, i in dense4]) == "(None, 4) · 36"
    assert sorted(line for line, _ in groups.steps) == [4]              # lines 5, 6: the layers' hints
    ((m0, i0), *_) = dense4
    md = layers_markdown(layer_group(models, models.index(m0), i0))
    assert "`a` (1), `b` (1)" in md and "`a: " in md and "`b: " in md
    (inputs,) = [[(models[m], models[m].steps[i]) for m, i in g] for g in groups.steps.values()]
    assert {m.name for m, _ in inputs} == {"a", "b"}
    assert steps_hint_label([s for _, s in inputs]) == "(None, 8)"
    assert "in `a`, `b`" in steps_markdown(inputs)


# ---------------------------------------------------------------------- the VS Code settings

class _Asked(dict):
    """A settings dict that records every key parse_settings asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list = []

    def __contains__(self, key) -> bool:
        self.asked.append(key)
        return False


def test_every_server_setting_is_declared_for_vscode():
    """Each key parse_settings reads is declared in vscode-client/package.json (`shapelens.<key>`) with the
    server's own default, and a value other than the default changes the server's settings."""
    asked = _Asked()
    parse_settings(asked)
    keys = list(dict.fromkeys(asked.asked))
    assert {"inlayHints.showSteps", "select", "extendSelect", "ignore"} <= set(keys)
    manifest = json.loads((Path(__file__).resolve().parents[1] / "vscode-client" / "package.json").read_text())
    props = manifest["contributes"]["configuration"]["properties"]
    other = {"boolean": None, "array": ["SL201"], "string": "(1, 3)"}
    for key in keys:
        prop = props.get(f"shapelens.{key}")
        assert prop is not None, f"shapelens.{key} is not declared"
        assert prop.get("description") or prop.get("markdownDescription"), key
        assert parse_settings({key: prop["default"]}) == Settings(), f"{key}: the declared default is the server's"
        changed = (not prop["default"]) if prop["type"] == "boolean" else other[prop["type"]]
        assert parse_settings({key: changed}) != Settings(), f"{key}: the server reads it"


def test_the_hint_index_of_an_edit_equals_a_fresh_one():
    """HintIndex made from the previous analysis's index (rows of the models both share, by identity)
    selects exactly the models a scan of every record selects, after edits in place, lines added and
    removed, and a model deleted."""
    import random
    import sys

    from shapelens.lsp_format import HintIndex

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import generate

    def brute(models, first, last):
        ends = [[r.span.end_line for r in m.layers] + [s.span.end_line for s in m.steps] for m in models]
        seen = [i for i, e in enumerate(ends) if any(first <= x <= last for x in e)]
        totals = [i for i, m in enumerate(models) if first <= hint_line(m) <= last]
        return seen, totals

    text = generate.large_file(5, 300)
    rng = random.Random(5)
    index = None
    for step in range(12):
        lines = text.split("\n")
        i = rng.randrange(len(lines))
        if step % 3 == 0:
            lines.insert(i, "")                        # every model below moves (new record objects)
        elif step % 3 == 1:
            lines[i] = lines[i].replace("3", "4", 1)   # in place
        else:
            del lines[i]
        text = "\n".join(lines)
        models = analyze_source(text, "index.py").models
        index = HintIndex(models, index)
        fresh = HintIndex(models)
        assert (index.total, index.lo, index.hi) == (fresh.total, fresh.lo, fresh.hi)
        for _ in range(5):
            first = rng.randrange(1, len(lines))
            last = first + rng.randrange(60)
            seen, totals = brute(models, first, last)
            assert [i for i in index.models_in(first, last) if i in seen] == seen
            assert index.totals_in(first, last) == totals


def test_a_line_index_after_an_edit_equals_a_fresh_one():
    """LineIndex.after_edit (only the touched lines measured) gives the tables of LineIndex(new text),
    for edits anywhere: inside a line, across lines, adding and removing newlines, at both ends, on an
    empty text, and with a carriage return (then built anew)."""
    import random

    rng = random.Random(3)
    pieces = ["a", "bc", "\n", "\n\n", "x = 1\n", "é", "", "\r\n"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces[:-1]) for _ in range(rng.randrange(0, 12)))
        a = rng.randrange(len(text) + 1)
        b = rng.randrange(a, len(text) + 1)
        inserted = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 3)))
        new_text = text[:a] + inserted + text[b:]
        got = LineIndex(text).after_edit(new_text, a, b, inserted)
        want = LineIndex(new_text)
        assert (got.text, got.starts, got.ends) == (want.text, want.starts, want.ends), (text, a, b, inserted)
