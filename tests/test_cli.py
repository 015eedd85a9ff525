"""The CLI as users and CI run it: a real subprocess, real files. Expected numbers are the seed articles'
(217,706 for the MNIST CNN of seed 002; 567,434 for the Keras MLP of seed 003)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")


def run(*args, cwd=None):
    env = dict(os.environ)
    env.pop("SHAPELENS_STRICT", None)
    # this checkout's package, whatever `pip install -e` last pointed the interpreter at
    env["PYTHONPATH"] = os.path.join(ROOT, "server") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "shapelens", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


BROKEN = textwrap.dedent("""\
    import torch.nn as nn
    # shapelens: input=(1, 1, 28, 28)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 5),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )
""")


def test_summary_seed_002():
    out = run("--summary", os.path.join(SAMPLES, "lasagne_mnist_cnn.py"))
    assert out.returncode == 0, out.stderr
    assert "Total params: 217,706" in out.stdout          # seed 002: "a total of ... 217'706"
    assert "832" in out.stdout and "205,056" in out.stdout


def test_summary_json_schema_seed_003():
    out = run("--summary", os.path.join(SAMPLES, "keras_mnist_mlp.py"), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    model = data["files"][0]["models"][0]
    assert model["framework"] == "keras" and model["total_params"] == 567_434   # seed 003
    assert [l["params"] for l in model["layers"]] == [0, 401_920, 131_328, 32_896, 1_290]
    assert model["layers"][1]["output_shape"] == [None, 512]
    for key in ("line", "col", "end_line", "end_col", "type", "trainable", "non_trainable", "macs"):
        assert key in model["layers"][0]


def test_check_reports_and_exits_1(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text(BROKEN)
    out = run("--check", str(f))
    assert out.returncode == 1
    # 28 → conv5 → 24 → pool2 → 12: 32·12·12 = 4,608 features arrive at a Linear declared for 512
    assert f"{f}:7:5: SL106" in out.stdout and "4608" in out.stdout.replace(",", "")
    assert "Found 1 error" in out.stdout


def test_check_select_ignore_and_inline(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text(BROKEN)
    assert run("--check", str(f), "--ignore", "SL106").returncode == 0
    assert run("--check", str(f), "--select", "SL101").returncode == 0
    f.write_text(BROKEN.replace("nn.Linear(32 * 4 * 4, 10),", "nn.Linear(32 * 4 * 4, 10),  # shapelens: ignore[SL106]"))
    assert run("--check", str(f)).returncode == 0


def test_check_directories_skip_venvs_and_hidden(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BROKEN)
    for skipped in (".hidden", "node_modules", "venv", "build"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "bad.py").write_text(BROKEN)
    out = run("--check", str(tmp_path))
    assert out.returncode == 1
    assert out.stdout.count("SL106") == 1 and "in 1 file" in out.stdout


def test_check_json_and_github(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text(BROKEN)
    data = json.loads(run("--check", str(f), "--format", "json").stdout)
    diag = data["files"][0]["diagnostics"][0]
    assert (diag["code"], diag["severity"], diag["line"], diag["col"]) == ("SL106", "error", 7, 5)
    gh = run("--check", str(f), "--format", "github").stdout
    assert gh.startswith("::error file=") and "line=7" in gh


def test_usage_errors_exit_2(tmp_path):
    assert run("--check", str(tmp_path / "missing.py")).returncode == 2
    assert run("--check").returncode == 2
    assert run("--explain", "SL999").returncode == 2
    assert run("--summary", str(tmp_path)).returncode == 2


def test_explain():
    out = run("--explain", "sl102")
    assert out.returncode == 0 and "padding='same'" in out.stdout and "Fix" in out.stdout


def test_fix_and_diff(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text(BROKEN)
    diff = run("--check", "--diff", str(f))
    assert diff.returncode == 1 and "-    nn.Linear(32 * 4 * 4, 10)," in diff.stdout
    assert f.read_text() == BROKEN                       # --diff changes nothing
    fixed = run("--check", "--fix", str(f))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    # the factors are matched to the arriving (1, 32, 12, 12): 32 * 12 * 12
    assert "nn.Linear(32 * 12 * 12, 10)," in f.read_text()


def test_cli_does_not_import_the_server_or_frameworks(tmp_path):
    f = tmp_path / "ok.py"
    f.write_text("import torch.nn as nn\nm = nn.Sequential(nn.Linear(2, 3))\n")
    code = ("import sys; from shapelens.cli import main; main(['--check', %r]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'torch', 'keras')))"
            % str(f))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("[]"), out.stdout


@pytest.mark.parametrize("name", ["lenet5.py", "vgg16.py", "keras_cnn_summary.py"])
def test_summary_runs_on_samples(name):
    out = run("--summary", os.path.join(SAMPLES, name))
    assert out.returncode == 0 and "Total params:" in out.stdout and "?" not in out.stdout.split("Total params:")[1].split("\n")[0]


KERAS_NO_INPUT = textwrap.dedent('''\
    import keras
    from keras import layers

    model = keras.Sequential([
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10),
    ])
''')


def test_input_option_builds_a_keras_sequential_as_keras_does(tmp_path):
    """`--input '(None, 160, 160, 3)'` for a Keras Sequential built without an input (issue #18): the rows
    are what model.build() then summary() give in real Keras."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    path = tmp_path / "kseq.py"
    path.write_text(KERAS_NO_INPUT)
    ns: dict = {}
    exec(KERAS_NO_INPUT, ns)
    real = ns["model"]
    real.build((None, 160, 160, 3))
    out = run("--summary", str(path), "--input", "(None, 160, 160, 3)", "--format", "json")
    assert out.returncode == 0, out.stderr
    (model,) = json.loads(out.stdout)["files"][0]["models"]
    assert model["total_params"] == real.count_params()
    rows = [(tuple(l["output_shape"]), l["trainable"]) for l in model["layers"]]
    assert rows == [(tuple(layer.output.shape), layer.count_params()) for layer in real.layers]
