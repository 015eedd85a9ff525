"""Issue #18: nothing is dropped in silence. A `# shapelens: input=` directive no model takes is an SL003
warning on its line, a model whose input is unknown says why in its heading, and a file with no model says
what was looked for and the nearest miss. The shapes a moved directive gives are checked against torch."""
from __future__ import annotations

import os
import textwrap

import pytest

from shapelens.guard import analyse_text
from shapelens.summary import file_summary


def analyse(src: str, path: str = "<messages>"):
    return analyse_text(textwrap.dedent(src), path)


def sl003(result) -> list:
    return [(d.span.line, d.severity, d.message) for d in result.diagnostics if d.code == "SL003"]


MISPLACED = """\
    import torch.nn as nn
    # shapelens: input=(1, 3, 32, 32)

    x = 3
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
"""


def test_a_directive_no_model_takes_is_a_warning_naming_where_it_must_sit():
    r = analyse(MISPLACED)
    [(line, severity, message)] = sl003(r)
    assert (line, severity) == (2, "warning")
    assert "attached to no model" in message and "right above the model's assignment" in message
    assert '"model" on line 5' in message
    assert r.models[0].input_source != "directive"


def test_the_directive_moved_above_the_model_is_taken_and_matches_torch():
    torch = pytest.importorskip("torch")
    moved = MISPLACED.replace("    # shapelens: input=(1, 3, 32, 32)\n", "").replace(
        "    model =", "    # shapelens: input=(1, 3, 32, 32)\n    model =")
    r = analyse(moved)
    assert sl003(r) == []
    m = r.models[0]
    assert m.input_source == "directive"
    real = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())(torch.zeros(1, 3, 32, 32))
    assert m.layers[-1].output_shape.text() == str(tuple(real.shape))


def test_the_quick_fix_moves_the_directive_above_the_model_and_torch_agrees():
    torch = pytest.importorskip("torch")
    from shapelens.fixes import apply_edits, compute_fixes

    text = textwrap.dedent(MISPLACED)
    r = analyse_text(text, "<messages-fix>")
    [move] = [f for f in compute_fixes(text, r) if f.code == "SL003" and f.title.startswith("Move")]
    fixed = apply_edits(text, move.edits)
    assert fixed.splitlines()[2:4] == ["x = 3", "# shapelens: input=(1, 3, 32, 32)"]
    after = analyse_text(fixed, "<messages-fixed>")
    assert sl003(after) == [] and after.models[0].input_source == "directive"
    real = torch.nn.Conv2d(3, 8, 3)(torch.zeros(1, 3, 32, 32))
    assert after.models[0].layers[0].output_shape.text() == str(tuple(real.shape))


@pytest.mark.parametrize("text", ["1,3,32,32", "(1, 3, 32", "'224'"])
def test_a_directive_that_is_not_a_shape_says_so(text):
    r = analyse(f"""\
        import torch.nn as nn
        # shapelens: input={text}
        model = nn.Sequential(nn.Conv2d(3, 8, 3))
    """)
    [(line, _, message)] = sl003(r)
    assert line == 2 and "is not a shape" in message and "(1, 3, 224, 224)" in message


def test_a_directive_above_a_keras_functional_model_names_the_input_it_has():
    pytest.importorskip("keras")
    r = analyse("""\
        import keras
        from keras import layers
        inp = keras.Input(shape=(8,))
        out = layers.Dense(4)(inp)
        # shapelens: input=(1, 16)
        model = keras.Model(inp, out)
    """)
    [(line, _, message)] = sl003(r)
    assert line == 5 and "is not used" in message and "Input" in message


def test_directives_taken_by_a_class_and_a_builder_are_not_reported():
    r = analyse("""\
        import torch.nn as nn

        # shapelens: input=(2, 3, 16, 16)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv2d(3, 4, 3)

            def forward(self, x):
                return self.c(x)


        # shapelens: input=(2, 5)
        def build():
            return nn.Sequential(nn.Linear(5, 7))
    """)
    assert sl003(r) == []
    assert sorted(m.input_source for m in r.models) == ["directive", "directive"]


def test_the_heading_of_a_model_whose_input_is_unknown_names_the_cause():
    pytest.importorskip("keras")
    r = analyse("""\
        from keras.src.models import Functional
        from keras import layers

        def get(img_size):
            inp = layers.Input(shape=img_size + (3,))
            x = layers.Conv2D(8, 3)(inp)
            return Functional(inp, x)
    """)
    heading = file_summary(r).splitlines()[0]
    assert "add keras.Input" not in heading
    assert "`img_size` is an argument of `get()`" in heading


def test_no_models_says_what_was_looked_for_and_the_nearest_miss(tmp_path):
    plain = analyse("import numpy as np\n\ndef f(x):\n    return np.zeros(x)\n")
    assert plain.models == []
    assert "nn.Module" in plain.no_models_reason and "imports neither torch nor keras" in plain.no_models_reason
    assert "no models found" in file_summary(plain) and "Sequential models found" not in file_summary(plain)

    path = tmp_path / "net.py"
    path.write_text("from mylib import BaseModel\nimport torch\n\n\nclass Net(BaseModel):\n    pass\n")
    r = analyse_text(path.read_text(), str(path))
    assert "class `Net` (line 5) derives from `BaseModel`, imported from `mylib`" in r.no_models_reason


def test_no_models_in_a_file_that_does_not_parse_names_the_line():
    r = analyse("import torch\nimport torch.nn as nn\nmodel = nn.Sequential(\n    nn.Conv2d(3,\n")
    assert r.models == [] and "line 4" in r.no_models_reason   # where Python reports it and "syntax error" in r.no_models_reason


ROOT_CAUSE = """\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.fc = nn.Linear(8, 4)

        def forward(self, x):
            x = self.conv(x)
            x = x.view(x.size(0), x.unknown_method(), -1)
            x = x.mean(-1)
            return self.fc(x)


    # shapelens: input=(1, 3, 16, 16)
    model = Net()
"""


def _reasons(result) -> list:
    """The reasons of the "?" sizes on the statements' hints."""
    return [why for m in result.models for s in m.steps for why in s.unknown_reasons]


def test_a_question_mark_names_the_line_where_it_began_not_each_layer_after_it():
    """The view at line 13 makes a size unknown; the statement after it says so, with the line. (torch: the
    view gives (1, 8, 196) and the Linear (1, 4), which shapelens shows since out_features fixes it.)"""
    r = analyse(ROOT_CAUSE)
    assert [s.output_shape.text() for s in r.models[0].steps] == ["(1, 8, 14, 14)", "(1, ?, ?)", "(1, ?)", "(1, 4)"]
    [why] = set(_reasons(r))
    assert "line 13" in why and "view" in why
    assert "the shape of an operand is unknown" not in why and "input shape is unknown" not in why


def test_a_line_named_in_a_reason_moves_with_its_model(monkeypatch):
    """A cached unit moved by an edit above it names the moved line, as a fresh analysis does."""
    from shapelens.analysis import units

    analyse(ROOT_CAUSE)
    moved_text = "# a comment added above\n\n" + textwrap.dedent(ROOT_CAUSE)
    moved = analyse_text(moved_text, "<messages>")
    units.clear_cache()
    fresh = analyse_text(moved_text, "<messages-fresh>")
    assert _reasons(moved) == _reasons(fresh) and "line 15" in _reasons(moved)[0]   # 13 + 2 lines added


def test_a_directive_above_a_value_shapelens_cannot_build_says_why():
    """The nearest miss at its line: the model is made on a path only the run decides (an environment
    variable, as timm's `_USE_NAFLEX_DEFAULT`)."""
    r = analyse("""\
        import os
        import torch.nn as nn

        def make():
            if os.environ.get("USE_BIG", "") == "1":
                return nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
            return nn.Linear(4, 2)

        # shapelens: input=(2, 4)
        model = make()
    """)
    [(line, _, message)] = sl003(r)
    assert line == 9 and "`model = make()` is not a model shapelens can follow" in message
    assert "`make()` returns on a path known only at run time" in message


def test_a_directive_above_a_second_name_for_a_model_is_taken_and_matches_torch():
    """`model = D` under a directive (D built earlier with no input, yunjey/pytorch-tutorial's GAN): the
    directive is taken for that name, not reported as attached to no model."""
    torch = pytest.importorskip("torch")
    r = analyse("""\
        import torch.nn as nn
        D = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1), nn.Sigmoid())

        # shapelens: input=(2, 784)
        model = D
    """)
    assert sl003(r) == []
    m = next(m for m in r.models if m.name == "model")
    assert m.input_source == "directive"
    real = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.LeakyReLU(0.2), torch.nn.Linear(256, 1),
                               torch.nn.Sigmoid())
    x = torch.zeros(2, 784)
    outs = []
    for layer in real:
        x = layer(x)
        outs.append(str(tuple(x.shape)))
    assert [l.output_shape.text() for l in m.layers] == outs


@pytest.mark.parametrize("layer,example", [
    ("nn.Linear(784, 10)", "(1, 784)"),
    ("nn.LSTM(28, 64, batch_first=True)", "(1, 10, 28)"),
    ("nn.GRU(28, 64)", "(10, 1, 28)"),
    ("nn.Embedding(100, 8)", "(1, 16)"),
])
def test_an_unknown_input_heading_suggests_what_the_first_layer_takes_and_torch_runs_it(layer, example):
    """A model with no input whose first layer leaves the rank open says which input to write, from that
    layer's arguments, not a generic image shape; pasted above the model, torch runs it and shapelens
    gives torch's shape."""
    torch = pytest.importorskip("torch")
    src = f"""\
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.first = {layer}
            def forward(self, x):
                out = self.first(x)
                return out[0] if isinstance(out, tuple) else out
        model = Net()
    """
    (m,) = analyse(src).models
    assert m.input_shape is None and f"`# shapelens: input={example}`" in m.input_reason
    assert "(first layer, " not in m.input_reason and "what its first layer" in m.input_reason
    given = analyse(src.replace("        model = Net()", f"        # shapelens: input={example}\n        model = Net()"))
    (g,) = given.models
    real = eval("torch." + layer)
    x = torch.zeros(*eval(example), dtype=torch.long if "Embedding" in layer else torch.float32)
    out = real(x)
    out = out[0] if isinstance(out, tuple) else out
    assert g.input_source == "directive" and g.layers[0].output_shape.text() == str(tuple(out.shape))


def test_a_class_nobody_makes_with_a_conditional_child_is_summarised_with_its_reason():
    """pytorch-cifar's SENet BasicBlock, never made in the file and with a shortcut chosen by its
    arguments: its own row (the module itself) had no line, and printing why its total is unknown failed
    the whole file ("not analysed: AttributeError"). Every row has a line; the total is ? with the reason."""
    r = analyse("""\
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self, cin, cout, stride=1):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, 3, stride, 1)
                self.shortcut = nn.Sequential()
                if stride != 1 or cin != cout:
                    self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride))
            def forward(self, x):
                return self.conv(x) + self.shortcut(x)
    """)
    (m,) = r.models
    assert all(l.span is not None for l in m.layers + m.blocks)
    assert m.total_params is None and m.params_unknown_reason.startswith("line 2 ")
    assert "condition `stride != 1 or cin != cout`" in m.params_unknown_reason
    assert "Total params: ?" in file_summary(r)
