"""Quick fixes (shapelens.fixes). Every broken model below really fails in torch / Keras (checked in each
test), and after the fixes it (a) has no error per shapelens, (b) really builds and runs a tensor in the
framework, (c) differs from the original only in the lines we expect, written out by hand from the shapes
the framework computes (never copied from shapelens' output): everything else, comments and spacing
included, is byte-identical."""
from __future__ import annotations

import difflib
import os
import stat
import textwrap

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.analysis import analyze_source
from shapelens.fixes import (FixError, TextEdit, apply_edits, compute_fixes, fix_file, fix_text, lsp_code_action,
                             lsp_fix_all, to_lsp_edits)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def errors(text: str) -> list:
    return [(d.code, d.span.line, d.message) for d in analyze_source(text).diagnostics if d.severity == "error"]


def line_changes(old: str, new: str) -> list:
    a, b = old.splitlines(), new.splitlines()
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return [(tag, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def run_torch(text: str, name: str, shape: tuple) -> torch.Tensor:
    ns: dict = {"__name__": "shapelens_fixed_model"}
    exec(compile(text, "<model>", "exec"), ns)
    model = ns[name].eval()
    with torch.no_grad():
        return model(torch.randn(*shape))


def titles(text: str) -> list:
    return [(f.code, f.title, f.safe) for f in compute_fixes(text, analyze_source(text))]


# ---------------------------------------------------------------------- broken models and their fixes

LINEAR_PRODUCT = src("""
    import torch
    import torch.nn as nn

    # shapelens: input=(2, 1, 28, 28)
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=5),   # 28 -> 24
        nn.ReLU(),
        nn.MaxPool2d(2),                   # 12
        nn.Conv2d(16, 32, kernel_size=3),  # 10
        nn.ReLU(),
        nn.MaxPool2d(2),                   # 5
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 128),  # classifier (sized for 4x4 maps)
        nn.ReLU(),
        nn.Linear(128,   10),
    )
""")

LINEAR_LITERAL = src("""
    import torch
    import torch.nn as nn

    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, 1),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, 1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(9216, 128),  # 64 * 12 * 12 on 28x28 digits
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    # shapelens sees the example input below: 32x32 digits, so 64 * 14 * 14 = 12544 features arrive
    out = model(torch.randn(2, 1, 32, 32))
""")

CONV_KEYWORD = src("""
    import torch.nn as nn

    # shapelens: input=(2, 3, 32, 32)
    model = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=3),
        nn.ReLU(inplace=True),
        nn.Conv2d(in_channels=32, out_channels=64, kernel_size=3),  # conv2 (was 32 wide)
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
""")

BATCHNORM = src("""
    import torch.nn as nn

    IN_CH = 32
    OUT_CH = 64

    # shapelens: input=(2, 32, 16, 16)
    block = nn.Sequential(
        nn.Conv2d(IN_CH, OUT_CH, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(IN_CH),  # normalise the conv's output
        nn.ReLU(inplace=True),
        nn.Flatten(),
        nn.Linear(OUT_CH * 16 * 16, 50), nn.BatchNorm1d(20),
    )
""")

SAME_STRIDE = src("""
    import torch.nn as nn

    # shapelens: input=(2, 3, 64, 64)
    encoder = nn.Sequential(
        nn.Conv2d(3, 32, kernel_size=3, padding="same"),
        nn.ReLU(),
        nn.Conv2d(32, 64, kernel_size=3, stride=2, padding="same"),  # downsample
        nn.ReLU(),
        nn.Conv2d(64, 64, (3, 5), 2, 'same', 2),
    )
""")

CHAIN = src("""
    import torch.nn as nn

    # shapelens: input=(2, 3, 32, 32)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding='same'),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 32 * 32, 10),
    )
""")

MISSING_FLATTEN = src("""
    import torch.nn as tnn

    # shapelens: input=(2, 1, 28, 28)
    model = tnn.Sequential(
        tnn.Conv2d(1, 32, 5),     # 24
        tnn.MaxPool2d(2),         # 12
        tnn.Conv2d(32, 32, 3),    # 10
        tnn.MaxPool2d(2),         # 5
        tnn.Linear(32 * 5 * 5, 10),
    )
""")

MISSING_FLATTEN_FORMS = src("""
    from collections import OrderedDict
    import torch
    from torch.nn import Sequential, Conv2d, Linear, ReLU

    layers = [Conv2d(3, 4, 3), ReLU()]
    layers.append(Linear(4 * 6 * 6, 10))
    # shapelens: input=(2, 3, 8, 8)
    first = Sequential(*layers)

    # shapelens: input=(2, 3, 8, 8)
    second = Sequential(OrderedDict([
        ('conv', Conv2d(3, 4, 3)),
        ('fc', Linear(144, 10)),
    ]))

    # shapelens: input=(2, 3, 8, 8)
    third = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Linear(256, 5))
""")

POOL_PADDING = src("""
    import torch.nn as nn

    # shapelens: input=(2, 3, 16, 16)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.MaxPool2d(kernel_size=2, padding=2))
""")

NORMS = src("""
    import torch.nn as nn

    # shapelens: input=(2, 3, 16, 16)
    model = nn.Sequential(
        nn.Conv2d(3, 12, 3, padding=1),
        nn.GroupNorm(3, 6),
        nn.LayerNorm([12, 16, 15]),
        nn.Conv2d(12, 4, 1),
        nn.LayerNorm(8),
    )
""")

KERAS_STRIDES_DILATION = src("""
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(shape=(64, 64, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, strides=2, dilation_rate=2, padding="same", activation="relu"),  # atrous
        layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax"),
    ])
""")


TORCH_CASES = {
    "linear_product_after_flatten": (
        LINEAR_PRODUCT, "model", (2, 1, 28, 28), (2, 10),
        [("replace", ["    nn.Linear(32 * 4 * 4, 128),  # classifier (sized for 4x4 maps)"],
          ["    nn.Linear(32 * 5 * 5, 128),  # classifier (sized for 4x4 maps)"])]),
    "linear_literal": (
        LINEAR_LITERAL, "model", (2, 1, 32, 32), (2, 10),
        [("replace", ["    nn.Linear(9216, 128),  # 64 * 12 * 12 on 28x28 digits"],
          ["    nn.Linear(12544, 128),  # 64 * 12 * 12 on 28x28 digits"])]),
    "conv_in_channels_keyword": (
        CONV_KEYWORD, "model", (2, 3, 32, 32), (2, 10),
        [("replace", ["    nn.Conv2d(in_channels=32, out_channels=64, kernel_size=3),  # conv2 (was 32 wide)"],
          ["    nn.Conv2d(in_channels=64, out_channels=64, kernel_size=3),  # conv2 (was 32 wide)"])]),
    "batchnorm_num_features": (
        BATCHNORM, "block", (2, 32, 16, 16), (2, 50),
        [("replace", ["    nn.BatchNorm2d(IN_CH),  # normalise the conv's output"],
          ["    nn.BatchNorm2d(OUT_CH),  # normalise the conv's output"]),
         ("replace", ["    nn.Linear(OUT_CH * 16 * 16, 50), nn.BatchNorm1d(20),"],
          ["    nn.Linear(OUT_CH * 16 * 16, 50), nn.BatchNorm1d(50),"])]),
    "same_padding_with_stride": (
        SAME_STRIDE, "encoder", (2, 3, 64, 64), (2, 64, 16, 16),
        # integer padding d·(k − 1)//2: k=3 → 1; k=(3, 5) with dilation 2 → (2, 4)
        [("replace", ["    nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=\"same\"),  # downsample"],
          ["    nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1),  # downsample"]),
         ("replace", ["    nn.Conv2d(64, 64, (3, 5), 2, 'same', 2),"],
          ["    nn.Conv2d(64, 64, (3, 5), 2, (2, 4), 2),"])]),
    "padding_fix_reveals_linear_fix": (
        # round 1: padding=1 → 16×16 maps; round 2: the Linear then needs 8·16·16
        CHAIN, "net", (2, 3, 32, 32), (2, 10),
        [("replace", ["    nn.Conv2d(3, 8, 3, stride=2, padding='same'),"],
          ["    nn.Conv2d(3, 8, 3, stride=2, padding=1),"]),
         ("replace", ["    nn.Linear(8 * 32 * 32, 10),"], ["    nn.Linear(8 * 16 * 16, 10),"])]),
    "linear_waits_for_the_padding_fix_above_it": (
        # both wrong at once: the Linear's size is only known once the padding is fixed, so it is fixed in the
        # next round, from the real 16×16 maps (a Linear fixed in the same round would get 8·32·32)
        CHAIN.replace("8 * 32 * 32", "3 * 32 * 32"), "net", (2, 3, 32, 32), (2, 10),
        [("replace", ["    nn.Conv2d(3, 8, 3, stride=2, padding='same'),"],
          ["    nn.Conv2d(3, 8, 3, stride=2, padding=1),"]),
         ("replace", ["    nn.Linear(3 * 32 * 32, 10),"], ["    nn.Linear(8 * 16 * 16, 10),"])]),
    "missing_flatten": (
        MISSING_FLATTEN, "model", (2, 1, 28, 28), (2, 10),
        [("insert", [], ["    tnn.Flatten(),"])]),
    "pool_padding": (
        POOL_PADDING, "model", (2, 3, 16, 16), (2, 8, 8, 8),
        [("replace", ["model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.MaxPool2d(kernel_size=2, padding=2))"],
          ["model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.MaxPool2d(kernel_size=2, padding=1))"])]),
    "group_norm_and_layer_norm": (
        NORMS, "model", (2, 3, 16, 16), (2, 4, 16, 16),
        [("replace", ["    nn.GroupNorm(3, 6),", "    nn.LayerNorm([12, 16, 15]),"],
          ["    nn.GroupNorm(3, 12),", "    nn.LayerNorm([12, 16, 16]),"]),
         ("replace", ["    nn.LayerNorm(8),"], ["    nn.LayerNorm(16),"])]),
}


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_torch_fix_makes_the_model_run(case):
    source, name, shape, out_shape, expected = TORCH_CASES[case]
    # the original really is broken: torch refuses it at construction or in forward
    with pytest.raises((RuntimeError, ValueError)):
        run_torch(source, name, shape)
    assert errors(source)

    fixed, applied = fix_text(source)

    assert errors(fixed) == []                                              # (a)
    assert tuple(run_torch(fixed, name, shape).shape) == out_shape          # (b)
    assert line_changes(source, fixed) == expected                          # (c)
    assert all(f.safe for f in applied)


def test_prelu_rmsnorm_instancenorm_and_transposed_conv_channels():
    text = src("""
        import torch.nn as nn
        # shapelens: input=(2, 5, 12)
        first = nn.Sequential(nn.Linear(12, 6), nn.RMSNorm((5, 12)), nn.PReLU(4))
        # shapelens: input=(2, 4, 8)
        second = nn.Sequential(nn.Conv1d(4, 3, 3), nn.PReLU(4), nn.InstanceNorm1d(5, affine=True),
                               nn.ConvTranspose1d(2, 2, 3))
    """)
    for name, shape in (("first", (2, 5, 12)), ("second", (2, 4, 8))):
        with pytest.raises(RuntimeError):
            run_torch(text, name, shape)
    fixed, _ = fix_text(text)
    assert errors(fixed) == []
    # (2, 5, 12) → Linear → (2, 5, 6): RMSNorm over (5, 6), PReLU on the 5 channels of dim 1;
    # (2, 4, 8) → Conv1d → (2, 3, 6): 3 channels for PReLU, InstanceNorm1d and ConvTranspose1d
    assert line_changes(text, fixed) == [(
        "replace",
        ["first = nn.Sequential(nn.Linear(12, 6), nn.RMSNorm((5, 12)), nn.PReLU(4))"],
        ["first = nn.Sequential(nn.Linear(12, 6), nn.RMSNorm((5, 6)), nn.PReLU(5))"]), (
        "replace",
        ["second = nn.Sequential(nn.Conv1d(4, 3, 3), nn.PReLU(4), nn.InstanceNorm1d(5, affine=True),",
         "                       nn.ConvTranspose1d(2, 2, 3))"],
        ["second = nn.Sequential(nn.Conv1d(4, 3, 3), nn.PReLU(3), nn.InstanceNorm1d(3, affine=True),",
         "                       nn.ConvTranspose1d(3, 2, 3))"])]
    assert tuple(run_torch(fixed, "first", (2, 5, 12)).shape) == (2, 5, 6)
    assert tuple(run_torch(fixed, "second", (2, 4, 8)).shape) == (2, 2, 8)


def test_missing_flatten_in_a_list_an_ordered_dict_and_inline():
    fixed, applied = fix_text(MISSING_FLATTEN_FORMS)
    assert [f.title for f in applied] == ["Insert torch.nn.Flatten() before this layer"] * 3
    assert errors(fixed) == []
    assert line_changes(MISSING_FLATTEN_FORMS, fixed) == [
        ("insert", [], ["layers.append(torch.nn.Flatten())"]),
        ("insert", [], ["    ('flatten', torch.nn.Flatten()),"]),
        ("replace",
         ["third = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Linear(256, 5))"],
         ["third = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Flatten(), "
          "torch.nn.Linear(256, 5))"]),
    ]
    for name, features in (("first", 10), ("second", 10), ("third", 5)):
        with pytest.raises(RuntimeError):
            run_torch(MISSING_FLATTEN_FORMS, name, (2, 3, 8, 8))
        assert tuple(run_torch(fixed, name, (2, 3, 8, 8)).shape) == (2, features)


def test_keras_strides_with_dilation():
    import numpy as np

    ns: dict = {}
    with pytest.raises(ValueError):
        exec(compile(KERAS_STRIDES_DILATION, "<model>", "exec"), ns)
    fixed, applied = fix_text(KERAS_STRIDES_DILATION)
    assert errors(fixed) == []
    assert line_changes(KERAS_STRIDES_DILATION, fixed) == [
        ("replace",
         ['    layers.Conv2D(64, 3, strides=2, dilation_rate=2, padding="same", activation="relu"),  # atrous'],
         ['    layers.Conv2D(64, 3, strides=1, dilation_rate=2, padding="same", activation="relu"),  # atrous'])]
    ns = {}
    exec(compile(fixed, "<model>", "exec"), ns)
    out = ns["model"](np.zeros((2, 64, 64, 3), dtype="float32"))
    assert tuple(out.shape) == (2, 10)


def test_keras_dense_needs_no_in_features_fix():
    # Keras' Dense sizes its kernel from whatever arrives (no in_features to get wrong): nothing to fix
    text = src("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(5, 5, 32)), layers.Flatten(), layers.Dense(10)])
    """)
    assert titles(text) == []


def test_alternative_fixes_are_offered_and_also_accepted_by_torch():
    text = src("""
        import torch.nn as nn
        # shapelens: input=(1, 3, 16, 16)
        model = nn.Sequential(nn.Conv2d(3, 8, kernel_size=5, stride=2, padding="same", dilation=1))
    """)
    result = analyze_source(text)
    fixes = [f for f in compute_fixes(text, result) if f.code == "SL102"]
    assert [(f.title, f.safe, f.preferred) for f in fixes] == [
        ("Use padding=2", True, True), ("Set stride=1", True, False), ("Ignore SL102 on this line", False, False)]
    # padding=2: (16 + 4 − 4 − 1)//2 + 1 = 8; stride=1 keeps 'same': 16
    assert tuple(run_torch(apply_edits(text, fixes[0].edits), "model", (1, 3, 16, 16)).shape) == (1, 8, 8, 8)
    assert tuple(run_torch(apply_edits(text, fixes[1].edits), "model", (1, 3, 16, 16)).shape) == (1, 8, 16, 16)


def test_linear_on_a_4d_tensor_prefers_flatten_and_never_autoapplies_the_last_axis_size():
    assert titles(MISSING_FLATTEN)[:2] == [("SL106", "Insert tnn.Flatten() before this layer", True),
                                           ("SL106", "Set in_features to 5", False)]


def test_a_layer_built_in_a_comprehension_gets_no_argument_fix():
    # one call, two layers: the first receives 16 channels, the second 8. Setting in_channels=16 on the
    # call would break the second layer, so only the ignore action is offered.
    text = src("""
        import torch.nn as nn
        # shapelens: input=(1, 16, 8, 8)
        model = nn.Sequential(*[nn.Conv2d(8, 8, 3, padding=1) for _ in range(2)])
    """)
    assert titles(text) == [("SL105", "Ignore SL105 on this line", False)]
    assert fix_text(text)[0] == text


def test_factors_that_are_names_are_kept():
    text = src("""
        import torch.nn as nn
        C = 32
        # shapelens: input=(2, 1, 12, 12)
        model = nn.Sequential(nn.Conv2d(1, C, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(C * 4 * 4, 10))
    """)
    fixed, _ = fix_text(text)  # 12 → 10 → 5: C · 5 · 5
    assert line_changes(text, fixed) == [(
        "replace",
        ["model = nn.Sequential(nn.Conv2d(1, C, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(C * 4 * 4, 10))"],
        ["model = nn.Sequential(nn.Conv2d(1, C, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(C * 5 * 5, 10))"])]
    assert tuple(run_torch(fixed, "model", (2, 1, 12, 12)).shape) == (2, 10)


MODULE_NET = src("""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(16, 64, 3, 1)   # was 16 wide
            self.bn = nn.BatchNorm2d(32)
            self.fc1 = nn.Linear(64 * 12 * 12, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = self.bn(x)
            x = F.max_pool2d(x, 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return self.fc2(x)


    model = Net()
    example = torch.randn(2, 1, 32, 32)
""")


def test_nn_module_layers_are_fixed_where_they_are_declared():
    # 32 → conv1 30 → conv2 28 → pool 14: fc1 needs 64·14·14
    with pytest.raises(RuntimeError):
        run_torch(MODULE_NET + "model(example)\n", "model", (2, 1, 32, 32))
    text = MODULE_NET + "out = model(example)\n"
    fixed, applied = fix_text(text)
    assert errors(fixed) == []
    assert line_changes(text, fixed) == [(
        "replace",
        ["        self.conv2 = nn.Conv2d(16, 64, 3, 1)   # was 16 wide", "        self.bn = nn.BatchNorm2d(32)",
         "        self.fc1 = nn.Linear(64 * 12 * 12, 128)"],
        ["        self.conv2 = nn.Conv2d(32, 64, 3, 1)   # was 16 wide", "        self.bn = nn.BatchNorm2d(64)",
         "        self.fc1 = nn.Linear(64 * 14 * 14, 128)"])]
    assert tuple(run_torch(fixed, "model", (2, 1, 32, 32)).shape) == (2, 10)


def test_a_submodule_called_twice_gets_no_argument_fix():
    # self.b sees 3 channels on its first call and 8 on its second: no in_channels fits both
    text = src("""
        import torch
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(3, 8, 3, padding=1)
                self.b = nn.Conv2d(8, 8, 3, padding=1)

            def forward(self, x):
                y = self.b(x)
                return self.b(self.a(x)) + y


        model = Net()
        out = model(torch.randn(2, 3, 8, 8))
    """)
    assert titles(text) == [("SL105", "Ignore SL105 on this line", False)]


# ---------------------------------------------------------------------- ignore action


def _ignore(text: str, code: str):
    fixes = [f for f in compute_fixes(text, analyze_source(text)) if f.title == f"Ignore {code} on this line"]
    assert len(fixes) == 1 and not fixes[0].safe
    return apply_edits(text, fixes[0].edits)


def test_ignore_appends_a_comment_after_an_existing_one():
    text = src("""
        import torch.nn as nn
        # shapelens: input=(1, 3, 8, 8)
        model = nn.Sequential(
            nn.Conv2d(4, 8, 3),  # stem
        )
    """)
    new = _ignore(text, "SL105")
    assert line_changes(text, new) == [("replace", ["    nn.Conv2d(4, 8, 3),  # stem"],
                                        ["    nn.Conv2d(4, 8, 3),  # stem  # shapelens: ignore[SL105]"])]
    assert errors(new) == []  # the engine honours the comment


def test_ignore_merges_into_an_existing_ignore_comment():
    text = src("""
        import torch.nn as nn
        # shapelens: input=(1, 3, 9, 9)
        model = nn.Sequential(
            nn.Conv2d(4, 8, 3, stride=2),  # shapelens: ignore[SL201]
        )
    """)
    new = _ignore(text, "SL105")
    assert line_changes(text, new) == [("replace", ["    nn.Conv2d(4, 8, 3, stride=2),  # shapelens: ignore[SL201]"],
                                        ["    nn.Conv2d(4, 8, 3, stride=2),  # shapelens: ignore[SL201, SL105]"])]
    assert analyze_source(new).diagnostics == []


def test_ignore_keeps_an_input_directive_on_the_same_line_working():
    text = "import torch.nn as nn\nmodel = nn.Sequential(nn.Conv2d(4, 8, 3))  # shapelens: input=[1, 3, 8, 8]\n"
    new = _ignore(text, "SL105")
    assert new.splitlines()[1] == ("model = nn.Sequential(nn.Conv2d(4, 8, 3))  # shapelens: ignore[SL105]  "
                                   "# shapelens: input=[1, 3, 8, 8]")
    result = analyze_source(new)
    assert result.diagnostics == [] and result.models[0].input_shape.dims == (1, 3, 8, 8)


def test_fix_text_never_applies_ignore_comments():
    text = src("""
        import torch.nn as nn
        # shapelens: input=(1, 3, 8, 8)
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding='full'))
    """)
    assert [c for c, _, _ in titles(text)] == ["SL108"]
    assert fix_text(text) == (text, [])


# ---------------------------------------------------------------------- fix_file


def test_fix_file_writes_the_fix_atomically(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(CONV_KEYWORD, encoding="utf-8")
    os.chmod(path, 0o640)
    new_text, diff, applied = fix_file(str(path), write=True)
    assert path.read_text(encoding="utf-8") == new_text != CONV_KEYWORD
    assert [f.title for f in applied] == ["Set in_channels to 64"]
    assert diff.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert "-    nn.Conv2d(in_channels=32, out_channels=64" in diff
    assert "+    nn.Conv2d(in_channels=64, out_channels=64" in diff
    assert sorted(os.listdir(tmp_path)) == ["model.py"]  # no temp file left behind
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert tuple(run_torch(path.read_text(), "model", (2, 3, 32, 32)).shape) == (2, 10)


def test_fix_file_without_write_leaves_the_file_alone(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(LINEAR_PRODUCT, encoding="utf-8")
    new_text, diff, applied = fix_file(str(path), write=False)
    assert path.read_text(encoding="utf-8") == LINEAR_PRODUCT
    assert new_text != LINEAR_PRODUCT and diff and len(applied) == 1


def test_fix_file_keeps_crlf_line_endings(tmp_path):
    path = tmp_path / "model.py"
    path.write_bytes(MISSING_FLATTEN.replace("\n", "\r\n").encode())
    fix_file(str(path), write=True)
    data = path.read_bytes()
    assert b"    tnn.Flatten(),\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert tuple(run_torch(data.decode(), "model", (2, 1, 28, 28)).shape) == (2, 10)


def _corrupting(new_text: str):
    def compute(text, result):
        fixes = compute_fixes(text, result)
        for f in fixes:
            f.edits = [TextEdit(e.start_line, e.start_col, e.end_line, e.end_col, new_text) for e in f.edits]
        return fixes
    return compute


@pytest.mark.parametrize("bad", ["64)", "33"], ids=["breaks_syntax", "does_not_fix"])
def test_a_failing_fix_leaves_the_file_untouched(tmp_path, bad):
    path = tmp_path / "model.py"
    path.write_bytes(CONV_KEYWORD.encode())
    with pytest.raises(FixError):
        fix_file(str(path), write=True, compute=_corrupting(bad))
    assert path.read_bytes() == CONV_KEYWORD.encode()
    assert sorted(os.listdir(tmp_path)) == ["model.py"]


def test_a_file_without_fixable_errors_is_not_rewritten(tmp_path):
    path = tmp_path / "ok.py"
    text = "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 2))\n"
    path.write_text(text)
    before = os.stat(path).st_mtime_ns
    assert fix_file(str(path), write=True) == (text, "", [])
    assert os.stat(path).st_mtime_ns == before


# ---------------------------------------------------------------------- edits


def test_apply_edits_rejects_overlaps_and_positions_outside_the_file():
    text = "abc\ndef\n"
    assert apply_edits(text, [TextEdit(1, 2, 1, 3, "X"), TextEdit(2, 1, 2, 1, ">"), TextEdit(3, 1, 3, 1, "g\n")]) \
        == "aXc\n>def\ng\n"
    with pytest.raises(FixError):
        apply_edits(text, [TextEdit(1, 1, 1, 3, "X"), TextEdit(1, 2, 1, 4, "Y")])
    with pytest.raises(FixError):
        apply_edits(text, [TextEdit(1, 9, 1, 9, "X")])
    with pytest.raises(FixError):
        apply_edits(text, [TextEdit(7, 1, 7, 1, "X")])


def test_lsp_edits_count_utf16_code_units():
    text = 'a = "😀"; b = 1\n'
    edit = TextEdit(1, 14, 1, 15, "2")  # the "1": 14th character, 15th UTF-16 unit (the emoji takes two)
    assert apply_edits(text, [edit]) == 'a = "😀"; b = 2\n'
    assert to_lsp_edits(text, [edit]) == [{"range": {"start": {"line": 0, "character": 14},
                                                     "end": {"line": 0, "character": 15}}, "newText": "2"}]
    # the emoji is 4 bytes in UTF-8 and one code point in UTF-32
    assert to_lsp_edits(text, [edit], "utf-8")[0]["range"]["start"]["character"] == 16
    assert to_lsp_edits(text, [edit], "utf-32")[0]["range"]["start"]["character"] == 13


# ---------------------------------------------------------------------- property: random channel mistakes


@st.composite
def conv_chains(draw):
    widths = draw(st.lists(st.integers(1, 6), min_size=2, max_size=5))
    lines = []
    for cin, cout in zip(widths, widths[1:]):
        declared = draw(st.integers(1, 6))
        lines.append(f"    nn.Conv2d({declared}, {cout}, 3, padding=1),")
        if draw(st.booleans()):
            lines.append(f"    nn.BatchNorm2d({draw(st.integers(1, 6))}),  # bn")
        lines.append("    nn.ReLU(),")
    lines.append("    nn.Flatten(),")
    lines.append(f"    nn.Linear({draw(st.integers(1, 6))} * 4 * 4, 3),")
    text = ("import torch.nn as nn\n\n# shapelens: input=(2, %d, 4, 4)\nmodel = nn.Sequential(\n%s\n)\n"
            % (widths[0], "\n".join(lines)))
    return text, widths


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_chains())
def test_random_channel_mistakes_are_all_fixed(case):
    text, widths = case
    fixed, applied = fix_text(text)
    assert errors(fixed) == []
    assert len(fixed.splitlines()) == len(text.splitlines())  # only arguments change
    assert tuple(run_torch(fixed, "model", (2, widths[0], 4, 4)).shape) == (2, 3)


# ---------------------------------------------------------------------- LSP shapes


def test_code_actions_are_valid_lsp_and_fix_the_document():
    from lsprotocol import converters, types

    converter = converters.get_converter()
    uri = "file:///model.py"
    result = analyze_source(CONV_KEYWORD)
    fix = next(f for f in compute_fixes(CONV_KEYWORD, result) if f.preferred)
    action = converter.structure(lsp_code_action(CONV_KEYWORD, fix, uri), types.CodeAction)
    assert action.kind == types.CodeActionKind.QuickFix and action.is_preferred
    (edit,) = action.edit.changes[uri]
    # the "32" of in_channels=32 on line 7 (0-based 6)
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.character, edit.new_text) == \
        (6, 26, 28, "64")

    fix_all = converter.structure(lsp_fix_all(LINEAR_PRODUCT, uri), types.CodeAction)
    (whole,) = fix_all.edit.changes[uri]
    assert (whole.range.start.line, whole.range.start.character) == (0, 0)
    assert (whole.range.end.line, whole.range.end.character) == (len(LINEAR_PRODUCT.splitlines()), 0)
    assert whole.new_text == fix_text(LINEAR_PRODUCT)[0]
    assert lsp_fix_all(whole.new_text, uri) is None


def test_codes_limit_what_fix_text_repairs():
    assert fix_text(CONV_KEYWORD, codes=["SL106"]) == (CONV_KEYWORD, [])
    assert [f.code for f in fix_text(CONV_KEYWORD, codes=["sl105"])[1]] == ["SL105"]


def test_positions_move_with_the_edits_before_them():
    from shapelens.fixes import map_position

    text = "abc\ndef\nghi\n"
    edits = [TextEdit(2, 1, 2, 1, "xx\n"), TextEdit(1, 2, 1, 3, "QQQ")]
    assert apply_edits(text, edits) == "aQQQc\nxx\ndef\nghi\n"
    assert [map_position(text, edits, *p) for p in [(1, 1), (1, 3), (2, 1), (3, 4), (4, 1)]] == \
        [(1, 1), (1, 5), (3, 1), (4, 4), (5, 1)]
