"""How models are found and their layers expanded: aliases, OrderedDict, *lists, .append, comprehensions,
nested Sequentials, Keras .add, constants. Shapes/params in the annotations are hand-computed:
Conv2d(1, 32, 5) on 28×28 → 24×24, (5·5·1 + 1)·32 = 832; Linear(800, 10) → 8,010; etc. Each torch
snippet is also executed in real torch (test_torch_snippets_really_build) so the annotations are checked
against the framework too."""
from __future__ import annotations

import textwrap

import pytest

from annotated import check

TORCH_SNIPPETS = {
    "plain": """
        import torch.nn as nn
        # models: model
        # shapelens: input=(N, 1, 28, 28)
        model = nn.Sequential(
            nn.Conv2d(1, 32, 5),      # => (N, 32, 24, 24) 832
            nn.ReLU(),                # => (N, 32, 24, 24) 0
            nn.MaxPool2d(2),          # => (N, 32, 12, 12) 0
            nn.Flatten(),             # => (N, 4608) 0
            nn.Linear(4608, 10),      # => (N, 10) 46,090
        )
    """,
    "torch_dot_nn_and_constants": """
        import torch
        NUM_CLASSES = 10
        C = 2 * 16
        K = (3, 3)
        HIDDEN = 2 ** 7
        # models: net
        net = torch.nn.Sequential(
            torch.nn.Conv2d(3, C, K, padding=1),   # => (1, 32, 32, 32) 896
            torch.nn.AdaptiveAvgPool2d(1),         # => (1, 32, 1, 1) 0
            torch.nn.Flatten(),                    # => (1, 32) 0
            torch.nn.Linear(C, HIDDEN // 2),       # => (1, 64) 2,112
            torch.nn.Linear(HIDDEN // 2, NUM_CLASSES),  # => (1, 10) 650
        )
        net(torch.randn(1, 3, 32, 32))
    """,
    "from_import_and_ordered_dict": """
        from collections import OrderedDict
        import torch
        from torch.nn import Sequential, Conv1d, ReLU, Linear, Flatten
        # models: model
        model = Sequential(OrderedDict([
            ("conv", Conv1d(8, 16, kernel_size=3, stride=2)),   # => (4, 16, 49) 400  !! SL201
            ("act", ReLU()),                                    # => (4, 16, 49) 0
            ("flat", Flatten()),                                # => (4, 784) 0
            ("fc", Linear(16 * 49, 5)),                         # => (4, 5) 3,925
        ]))
        out = model(torch.zeros((4, 8, 100)))
    """,
    "star_list_append_and_loop": """
        import torch
        import torch.nn as nn
        layers = [nn.Linear(20, 64), nn.ReLU()]     # => (N, 64) 1,344
        for _ in range(2):
            layers.append(nn.Linear(64, 64))        # => (N, 64) 4,160
            layers.append(nn.ReLU())                # => (N, 64) 0
        layers += [nn.Linear(64, 3)]                # => (N, 3) 195
        # models: mlp
        mlp = nn.Sequential(*layers)  # shapelens: input=(N, 20)
    """,
    "comprehension_and_nested": """
        import torch.nn as nn
        widths = [3, 8, 16]
        blocks = [nn.Conv2d(widths[i], widths[i + 1], 3, padding=1) for i in range(2)]
        # first block: (3·3·3 + 1)·8 = 224; second: (3·3·8 + 1)·16 = 1,168
        features = nn.Sequential(*blocks, nn.MaxPool2d(2))
        # models: model
        # shapelens: input=(2, 3, 8, 8)
        model = nn.Sequential(
            features,
            nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 2)),   # => (2, 256) 0
        )
    """,
    # no input: the one the first layer takes, its unknown sizes symbolic (issue #17), as torch runs it batched
    "no_input_still_counts_params": """
        import torch.nn as nn
        # models: model
        model = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=3),     # => (N, 64, H-2, W-2) 1,792
            nn.BatchNorm2d(64),                  # => (N, 64, H-2, W-2) 128
            nn.Conv2d(64, 8, 1, bias=False),     # => (N, 8, H-2, W-2) 512
        )
    """,
    "channel_mismatch": """
        import torch.nn as nn
        # shapelens: input=(1, 3, 32, 32)
        model = nn.Sequential(
            nn.Conv2d(3, 16, 3),      # => (1, 16, 30, 30) 448
            nn.Conv2d(32, 8, 3),      # !! SL105
        )
    """,
    "function_scope_and_return": """
        import torch.nn as nn
        def make_classifier():
            hidden = 128
            return nn.Sequential(
                nn.Linear(784, hidden),   # => (…, 128) 100,480
                nn.Linear(hidden, 10),    # => (…, 10) 1,290
            )
        # models: make_classifier()
    """,
}


@pytest.mark.parametrize("name", sorted(TORCH_SNIPPETS))
def test_torch_snippets(name):
    check(textwrap.dedent(TORCH_SNIPPETS[name]))


@pytest.mark.parametrize("name", [n for n in sorted(TORCH_SNIPPETS) if n != "channel_mismatch"])
def test_torch_snippets_really_build(name):
    """The annotations' parameter counts are what real torch counts for the same lines."""
    import re

    import torch  # noqa: F401  (the snippets use it)

    source = textwrap.dedent(TORCH_SNIPPETS[name])
    ns: dict = {}
    exec(compile(source, name, "exec"), ns)  # our own test snippet, not user code
    modules = [v for v in ns.values() if isinstance(v, torch.nn.Sequential)]
    if "make_classifier" in ns:
        modules.append(ns["make_classifier"]())
    real = {}
    for seq in modules:
        for m in seq.modules():
            if not list(m.children()):
                real.setdefault(type(m).__name__, set()).add(sum(p.numel() for p in m.parameters()))
    for line in source.splitlines():
        match = re.search(r"(\w+)\(.*#\s*=>\s*\S.*?\s([\d,]+)$", line)
        if match and match.group(1) in real:
            assert int(match.group(2).replace(",", "")) in real[match.group(1)], line


KERAS_SNIPPETS = {
    "seed_003_mlp_add": """
        from tensorflow import keras
        # models: model
        model = keras.Sequential()
        model.add(keras.layers.Flatten(input_shape=(28, 28)))     # => (None, 784) 0
        model.add(keras.layers.Dense(512, activation='relu'))     # => (None, 512) 401,920
        model.add(keras.layers.Dense(256, activation='relu'))     # => (None, 256) 131,328
        model.add(keras.layers.Dense(128, activation='relu'))     # => (None, 128) 32,896
        model.add(keras.layers.Dense(10, activation='softmax'))   # => (None, 10) 1,290
    """,
    "input_and_layers_alias": """
        import keras
        from keras import layers as L
        # models: m
        m = keras.Sequential([
            keras.Input(shape=(32, 32, 3)),
            L.Conv2D(16, 3, padding="same"),   # => (None, 32, 32, 16) 448
            L.BatchNormalization(),            # => (None, 32, 32, 16) 64
            L.GlobalAveragePooling2D(),        # => (None, 16) 0
            L.Dense(10),                       # => (None, 10) 170
        ])
    """,
    "tf_keras_and_build": """
        import tensorflow as tf
        # models: clf
        clf = tf.keras.models.Sequential([
            tf.keras.layers.Dense(64),    # => (None, 64) 1,344
            tf.keras.layers.Dense(1),     # => (None, 1) 65
        ])
        clf.build((None, 20))
    """,
    "from_keras_layers_import": """
        from keras.models import Sequential
        from keras.layers import Dense, Dropout
        # models: model
        model = Sequential()
        model.add(Dense(32, input_dim=8))   # => (None, 32) 288
        model.add(Dropout(0.5))             # => (None, 32) 0
        model.add(Dense(1))                 # => (None, 1) 33
    """,
}


@pytest.mark.parametrize("name", sorted(KERAS_SNIPPETS))
def test_keras_snippets(name):
    check(textwrap.dedent(KERAS_SNIPPETS[name]))


def test_run_time_values_are_unknown_with_reason():
    source = textwrap.dedent("""
        import torch.nn as nn
        def build(n_in, cfg):
            return nn.Sequential(nn.Linear(n_in, 10), nn.Linear(10, cfg.classes))
    """)
    from shapelens.analysis import analyze_source

    m = analyze_source(source).models[0]
    first, second = m.layers
    assert first.params is None and any("n_in" in r for r in first.unknown_reasons)
    assert second.params is None and any("cfg.classes" in r for r in second.unknown_reasons)
    assert m.total_params is None


def test_unknown_layer_breaks_the_chain_but_later_layers_reestablish_channels():
    source = textwrap.dedent("""
        import torch.nn as nn
        from mylib import Block
        # shapelens: input=(1, 3, 64, 64)
        model = nn.Sequential(nn.Conv2d(3, 8, 3), Block(8), nn.Conv2d(8, 4, 1), nn.Flatten())
    """)
    from shapelens.analysis import analyze_source

    r = analyze_source(source)
    conv, block, conv2, flat = r.models[0].layers
    assert conv.output_shape.text() == "(1, 8, 62, 62)"
    assert block.output_shape is None and block.params is None
    assert conv2.params == 36 and conv2.output_shape.text() == "(…, 4, ?, ?)"
    assert flat.output_shape is None
    assert [d.code for d in r.diagnostics] == ["SL002"]


def test_broken_statement_keeps_other_models():
    source = textwrap.dedent("""
        import torch.nn as nn
        a = nn.Sequential(nn.Linear(4, 2))
        b = nn.Sequential(nn.Linear(3,
        c = nn.Sequential(nn.Linear(5, 1))
    """)
    from shapelens.analysis import analyze_source

    r = analyze_source(source)
    assert [m.name for m in r.models] == ["a", "c"]
    assert [m.total_params for m in r.models] == [10, 6]


def test_inline_ignore():
    source = textwrap.dedent("""
        import torch.nn as nn
        # shapelens: input=(1, 3, 32, 32)
        model = nn.Sequential(
            nn.Conv2d(3, 16, 3),
            nn.Conv2d(32, 8, 3),  # shapelens: ignore[SL105]
        )
    """)
    from shapelens.analysis import analyze_source

    assert analyze_source(source).diagnostics == []


def test_keras_input_shape_on_later_layer_and_removed_kwargs():
    check(textwrap.dedent("""
        import keras
        from keras import layers
        model = keras.Sequential([
            layers.Dense(16, input_shape=(8,)),   # => (None, 16) 144
            layers.Dense(4, input_shape=(16,)),   # => (None, 4) 68  !! SL202
        ])
        old = keras.Sequential([
            layers.Dense(4, batch_input_shape=(None, 8)),   # !! SL010
        ])
    """))


def test_loop_variables_are_frozen_per_iteration():
    from shapelens.analysis import analyze_source

    m = analyze_source(textwrap.dedent("""
        import torch.nn as nn
        widths = [3, 16, 32, 64]
        layers = []
        for i in range(3):
            layers.append(nn.Conv2d(widths[i], widths[i + 1], kernel_size=3, padding=1))
            layers.append(nn.ReLU())
        # shapelens: input=(1, 3, 16, 16)
        model = nn.Sequential(*layers)
    """)).models[0]
    # by hand: (3·3·3 + 1)·16 = 448, (3·3·16 + 1)·32 = 4,640, (3·3·32 + 1)·64 = 18,496; padding 1 keeps 16×16
    assert [l.params for l in m.layers if l.type == "Conv2d"] == [448, 4640, 18496]
    assert m.layers[-1].output_shape.text() == "(1, 64, 16, 16)"


def test_an_internal_error_is_a_warning_check_shows(monkeypatch):
    """A bug (or a broken install) in the analysis is an SL001 warning on the statements it stopped, which
    `--check` shows without --show-info, never a silent "no models found"."""
    from shapelens.analysis import analyze_source
    from shapelens.analysis.interp import models

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.delenv("SHAPELENS_STRICT", raising=False)
    monkeypatch.setattr(models, "analyze_unit", broken)
    # a text no other test analyses: the unit cache must not hand this failure to anyone else
    result = analyze_source("import torch.nn as nn\nmodel_internal_error_case = nn.Linear(2, 3)\n", "<broken>")
    assert [(d.code, d.severity) for d in result.diagnostics] == [("SL001", "warning")]
    assert "internal error" in result.diagnostics[0].message and "a bug" in result.diagnostics[0].message
