"""Per-line shapes (issue #17): every shape shapelens puts on a line of forward() / call() / a Keras functional
builder is compared with what the real framework made on that line (tests/lineoracle.py, its docstring is the
contract), over the line corpus (tests/corpus/line_report.py LINE_CORPUS: published model files of
tests/corpus/, verbatim from their PyPI distributions).

The invariant: no line is ever WRONG (a concrete dim or the rank differs from the real run).  A line shown as
"?" (no step, an unknown dim, one shape where the line makes several) is allowed here; how many lines are
exact is measured by `python tests/corpus/line_report.py`, not asserted.

XFAIL is a ratchet as in tests/test_corpus.py: the models with a wrong line today, each with the reason.  The
marks are strict: fixing one makes its test fail until its entry is removed.

The oracle itself is tested first, on small programs whose lines are known by hand.
"""
from __future__ import annotations

import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "corpus"))

import line_report  # noqa: E402
import lineoracle  # noqa: E402
import truth  # noqa: E402
from lineoracle import EXACT, UNKNOWN, WRONG  # noqa: E402

# Models with a wrong line today: "<path in tests/corpus>::<variable>" -> what is wrong.
XFAIL: dict = {
    # none since the commit after 0944ab1: ka_resnet_v2's lines 29-31 showed an intermediate tensor of a helper
    # of another module (a statement of another file marked the tensor with the calling line)
}


# ----------------------------------------------------------------------------------------------------------
# The oracle on programs whose lines are known

TORCH_PROGRAM = '''\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, o):
        super().__init__()
        self.conv = nn.Conv2d(c, o, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return F.relu(y)


def flat(x):
    return x.flatten(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.blocks = nn.ModuleList([Block(32, 32), Block(32, 64)])
        self.fc = nn.Linear(64, 10)
        self.act = nn.ReLU()

    def forward(self, x):
        x = F.relu(self.conv1(x))
        for b in self.blocks:
            x = b(x)
        a, b = x.chunk(2, dim=1)
        n, c, h, w = x.shape
        x = self.act(x)
        a = self.act(a)
        x.mul_(2)
        out = [x]
        out[0] = x + 1
        out.append(self.fc(flat(x.mean((2, 3), keepdim=True))))
        y = torch.cat(
            [a,
             b], 1)
        try:
            z = x.view(3, -1, 7)
        except RuntimeError:
            z = None
        if x.dim() == 4: q = x.sum()
        return self.fc(flat(x.mean((2, 3), keepdim=True))), y
'''


def _lines_of(tmp_path, source: str):
    path = tmp_path / "prog.py"
    path.write_text(source, encoding="utf-8")
    ns = {"__name__": "prog"}
    exec(compile(source, str(path), "exec"), ns)
    return path, ns


def test_oracle_torch_contract(tmp_path):
    import torch
    path, ns = _lines_of(tmp_path, TORCH_PROGRAM)
    model = ns["Net"]().eval()
    with torch.no_grad(), lineoracle.LineRecorder(path) as rec:
        model(torch.randn(2, 1, 12, 12))
    res = rec.result()
    lines = {int(k): v for k, v in res["lines"].items()}
    src = TORCH_PROGRAM.splitlines()

    def at(text):
        return next(i for i, line in enumerate(src, 1) if line.strip().startswith(text))

    def vals(text):
        return lines[at(text)]["values"]

    # a block class instantiated twice: one line, its distinct shapes in order, with how often each occurred
    assert vals("y = self.conv(x)") == [[[2, 32, 10, 10]], [[2, 64, 10, 10]]]
    assert vals("return F.relu(y)") == [[[2, 32, 10, 10]], [[2, 64, 10, 10]]]
    # a helper function of the file called from two places: one shape, two runs
    assert vals("return x.flatten(1)") == [[[2, 64]]] and lines[at("return x.flatten(1)")]["counts"] == [2]
    assert vals("x = F.relu(self.conv1(x))") == [[[2, 32, 10, 10]]]      # the statement's final value
    assert vals("x = b(x)") == [[[2, 32, 10, 10]], [[2, 64, 10, 10]]]     # a loop: each run
    assert vals("a, b = x.chunk(2, dim=1)") == [[[2, 32, 10, 10], [2, 32, 10, 10]]]   # unpacking: the leaves
    assert lines[at("a, b = x.chunk(2, dim=1)")]["container"]
    assert at("n, c, h, w = x.shape") not in lines                        # no tensor: not an oracle line
    assert vals("x.mul_(2)") == [[[2, 64, 10, 10]]]                      # an in-place method: its object
    assert vals("out = [x]") == [[[2, 64, 10, 10]]]                      # a list holding a tensor
    assert at("out[0] = x + 1") not in lines                             # a subscript target: not recorded
    assert at("out.append(") not in lines                                # a bare call: value not observable
    assert str(at("out.append(")) in res["op_lines"]                     # ... but its ops are seen
    assert vals("y = torch.cat(") == [[[2, 64, 10, 10]]]                  # a statement over three lines
    assert lines[at("y = torch.cat(")]["end_line"] == at("y = torch.cat(") + 2
    assert at("z = x.view(3, -1, 7)") not in lines                       # a statement that raised
    assert at("if x.dim() == 4: q = x.sum()") not in lines               # a header and its body on one line
    assert vals("return self.fc(flat(") == [[[2, 10], [2, 64, 10, 10]]]  # return: the returned tuple's leaves
    assert not res["recorder_failures"]


def test_oracle_lazy_modules_and_keras_build(tmp_path):
    import torch
    src = ("import torch.nn as nn\n"
           "class M(nn.Module):\n"
           "    def __init__(self):\n"
           "        super().__init__()\n"
           "        self.l = nn.LazyLinear(3)\n"
           "    def forward(self, x):\n"
           "        w = self.l.weight\n"
           "        return self.l(x)\n")
    path, ns = _lines_of(tmp_path, src)
    with torch.no_grad(), lineoracle.LineRecorder(path) as rec:
        ns["M"]()(torch.randn(2, 5))        # the uninitialised weight has no shape yet: skipped, no error
    assert rec.result()["lines"]["8"]["values"] == [[[2, 3]]]
    assert "7" not in rec.result()["lines"] and not rec.failures

    ksrc = ('import keras\n'
            'from keras import layers\n'
            '\n'
            'def block(x, filters):\n'
            '    y = layers.Conv2D(filters, 3, padding="same")(x)\n'
            '    return layers.Activation("relu")(y)\n'
            '\n'
            'def build(n):\n'
            '    inputs = keras.Input(shape=(16, 16, 3))\n'
            '    x = inputs\n'
            '    for i in range(n):\n'
            '        x = block(x, 8 * (i + 1))\n'
            '        x = layers.MaxPooling2D()(x)\n'
            '    a, b = keras.ops.split(x, 2, axis=-1)\n'
            '    x = layers.GlobalAveragePooling2D()(x)\n'
            '    return keras.Model(inputs, layers.Dense(10)(x))\n'
            '\n'
            'inputs = keras.Input(shape=(8,))\n'
            'h = layers.Dense(4)(inputs)\n'
            'model_b = keras.Model(inputs, h)\n'
            'model = build(2)\n'
            'model_3 = build(3)\n')
    kpath = tmp_path / "kprog.py"
    kpath.write_text(ksrc, encoding="utf-8")
    kns = {"__name__": "kprog"}
    rec = lineoracle.LineRecorder(kpath, keras_symbolic=True, module_level=True, op_lines=False)
    with rec:
        exec(compile(ksrc, str(kpath), "exec"), kns)
    two = lineoracle.keras_model_lines(rec, kns["model"])
    three = lineoracle.keras_model_lines(rec, kns["model_3"])
    assert two["5"]["values"] == [[[None, 16, 16, 8]], [[None, 8, 8, 16]]]
    assert three["5"]["values"] == [[[None, 16, 16, 8]], [[None, 8, 8, 16]], [[None, 4, 4, 24]]]
    assert two["15"]["values"] == [[[None, 16]]] and three["15"]["values"] == [[[None, 24]]]
    assert "14" not in two                         # split's tensors are not in the model's graph
    assert set(lineoracle.keras_model_lines(rec, kns["model_b"])) == {"18", "19"}   # module level


class _Step:
    def __init__(self, shape, col=1, reasons=()):
        from shapelens.analysis.records import Span
        self.span = Span(1, col, 1, col + 5)
        self.output_shape = shape
        self.unknown_reasons = list(reasons)


def _row(values, shapes, env=None):
    from shapelens.analysis.shapes import Shape
    steps = [_Step(None if s is None else Shape(tuple(s[1:]), True) if s and s[0] == "…" else Shape(tuple(s)))
             for s in shapes]
    rec = {"line": 1, "text": "x = f(x)", "values": values, "counts": [1] * len(values)}
    return lineoracle.compare_line(rec, steps, env or {})


def test_compare_line_statuses():
    assert _row([[[2, 3]]], []).status == UNKNOWN                                   # no step
    assert _row([[[2, 3]]], [None]).status == UNKNOWN                               # shape unknown
    assert _row([[[2, 3]]], [(2, 3)]).status == EXACT
    assert _row([[[2, 3]]], [("N", 3)], {"N": 2}).status == EXACT                 # directive symbol at 2
    assert _row([[[2, 3]]], [("N", 3)], {"N": 3}).status == WRONG
    assert _row([[[2, 6]]], [("N", "3·N")], {"N": 2}).status == EXACT              # an expression, evaluated
    assert _row([[[2, 6]]], [("N", "H-2")], {"N": 2}).status == UNKNOWN            # H unknown to the harness
    assert _row([[[2, 3]]], [(2, "?")]).status == UNKNOWN
    assert _row([[[2, 3]]], [(2, 4)]).status == WRONG
    assert _row([[[2, 3]]], [(2, 3, 1)]).status == WRONG                           # rank
    assert _row([[[2, 3, 4]]], [("…", 3, 4)]).status == UNKNOWN                    # open rank
    assert _row([[[2, 3, 4]]], [("…", 5, 4)]).status == WRONG
    assert _row([[[None, 3]]], [(None, 3)]).status == EXACT                        # Keras batch
    # several distinct values: one shown is "?", one that is none of them is wrong
    assert _row([[[2, 3]], [[2, 4]]], [(2, 4)]).status == UNKNOWN
    assert _row([[[2, 3]], [[2, 4]]], [(2, 5)]).status == WRONG
    # a tuple: one shape shown for it is "?"; the step with the greatest column is the line's
    assert _row([[[2, 3], [2, 4]]], [(2, 3)]).status == UNKNOWN
    r = lineoracle.compare_line({"line": 1, "text": "", "values": [[[2, 3]]], "counts": [1]},
                                [_Step(None, col=1), _Step(_shape((2, 3)), col=9)], {})
    assert r.status == EXACT


def _shape(dims):
    from shapelens.analysis.shapes import Shape
    return Shape(tuple(dims))


def test_known_wrong_helper_in_another_module(tmp_path):
    """Was the XFAIL of ka_resnet_v2, small: a Keras helper in another module downsamples in its last
    statement; the step on the calling line showed an intermediate tensor of the helper."""
    from shapelens.analysis import analyze_source
    (tmp_path / "helpers.py").write_text(
        "from keras import layers\n\n\n"
        "def stack(x, filters, stride=2):\n"
        "    x = layers.Conv2D(filters, 1)(x)\n"
        "    x = layers.Conv2D(filters, 1, strides=stride)(x)\n"
        "    return x\n", encoding="utf-8")
    main = ("import keras\nimport helpers\n\n\n"
            "def build():\n"
            "    inputs = keras.Input(shape=(16, 16, 3))\n"
            "    x = helpers.stack(inputs, 8)\n"
            "    return keras.Model(inputs, x)\n\n\n"
            "model = build()\n")
    (tmp_path / "main.py").write_text(main, encoding="utf-8")
    res = analyze_source(main, str(tmp_path / "main.py"))
    steps = {s.span.line: s for s in res.models[0].steps}
    shown = steps[7].output_shape.dims if 7 in steps and steps[7].output_shape else None
    assert shown in (None, (None, 8, 8, 8)), f"line 7 shows {shown}, real (None, 8, 8, 8)"


# ----------------------------------------------------------------------------------------------------------
# The line corpus

FILES = line_report.line_corpus()


def _cases():
    out = []
    for f in FILES:
        for m in truth.read_corpus_file(f).models:
            key = f"{truth.rel_name(f)}::{m.name}"
            marks = [pytest.mark.xfail(strict=True, reason=XFAIL[key])] if key in XFAIL else []
            out.append(pytest.param(f, m.name, id=key, marks=marks))
    return out


CASES = _cases()


@pytest.fixture(scope="session")
def line_oracles():
    """The oracle for every file of the line corpus (cached in tests/corpus/.lines/; cold: 2 workers)."""
    return lineoracle.load_lines(FILES, jobs=2)


@pytest.fixture(scope="session")
def line_models(request, line_oracles) -> dict:
    """{path: {model: ModelLines}} for the files of the selected tests, analysed in 2 processes."""
    assert os.environ.get("SHAPELENS_STRICT") == "1"
    files = set(FILES)
    paths = sorted({item.callspec.params["path"] for item in request.session.items
                    if hasattr(item, "callspec") and item.callspec.params.get("path") in files})
    by_file = lineoracle.compare_files(paths, {p.resolve(): line_oracles[p.resolve()] for p in paths}, jobs=2)
    return {p: {m.name: m for m in by_file[p.resolve()]} for p in paths}


@pytest.mark.parametrize("path,name", CASES)
def test_no_wrong_line_shape(path, name, line_oracles, line_models):
    om = line_oracles[path.resolve()]["models"].get(name) or {}
    assert not om.get("error") and not om.get("forward_error"), f"the oracle failed: {om}"
    assert not om.get("recorder_failures"), om["recorder_failures"]
    ml = line_models[path][name]
    assert not (ml.error or "").startswith("shapelens raised"), ml.error
    wrong = ml.wrong()
    assert not wrong, "\n".join([f"{len(wrong)} wrong line shapes:"] + wrong[:25])


def test_line_corpus_shape(line_oracles):
    """The line corpus: >= 20 files and >= 40 models of both frameworks, every oracle built, and lines found."""
    assert len(FILES) >= 20 and all(f.is_file() for f in FILES)
    models = [(p, n, m) for p, o in line_oracles.items() for n, m in o["models"].items()]
    assert len(models) >= 40
    assert {truth.framework_of(p) for p, _, _ in models} == {"torch", "keras"}
    assert all(not o.get("error") for o in line_oracles.values())
    assert sum(len(m.get("lines", {})) for _, _, m in models) >= 1000
    assert sum(1 for _, _, m in models if m.get("lines")) >= 0.95 * len(models)


def test_keys_of_xfail_exist():
    stale = sorted(set(XFAIL) - {p.id for p in CASES})
    assert not stale, f"XFAIL names models that are not in the line corpus: {stale}"


def test_oracle_keras_call_lines(tmp_path):
    """A Keras layer of the file used in a functional model: its call() lines from two runs of the model, the
    dims that differ between the runs None (as Keras infers a symbolic call)."""
    src = ('import keras\n'
           'from keras import layers\n'
           '\n'
           'class Block(keras.Layer):\n'
           '    def __init__(self, units):\n'
           '        super().__init__()\n'
           '        self.dense = layers.Dense(units)\n'
           '    def call(self, x):\n'
           '        y = self.dense(x)\n'
           '        return keras.ops.concatenate([x, y], axis=-1)\n'
           '\n'
           'inputs = keras.Input(shape=(None, 4))\n'
           'h = Block(6)(inputs)\n'
           'model = keras.Model(inputs, h)\n'
           '# ---- shapelens corpus: added below (not in the source) ----\n'
           '# corpus: models=model\n')
    path = tmp_path / "keras" / "kcall.py"
    path.parent.mkdir()
    path.write_text("# Source: test\n# Licence: test\n" + src, encoding="utf-8")
    res = lineoracle.record_file(path)
    lines = res["models"]["model"]["lines"]
    assert lines["14"]["values"] == [[[None, None, 4]]]                     # the build: KerasTensors
    assert lines["15"]["values"] == [[[None, None, 10]]]
    assert lines["11"]["values"] == [[[None, None, 6]]]                     # call(): two runs merged
    assert lines["12"]["values"] == [[[None, None, 10]]]
    assert res["models"]["model"]["forward_error"] is None
