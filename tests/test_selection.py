"""Which findings are reported (issue #18): SL201 once per layer naming every axis, off by default as ruff
does with opinionated rules (--select / --extend-select turn it on, in the CLI and the editor alike);
SL001 for a file that does not parse, with line and column, visible by default; the limits the SL001
documentation names are the ones the code applies."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT
from rawlsp import RawServer

from shapelens.analysis import source
from shapelens.analysis.codes import CODES, enabled
from shapelens.guard import analyse_text, merge_axes

STRIDED = ("import torch.nn as nn\n# shapelens: input=(1, 3, 28, 28)\n"
           "m = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, stride=2), nn.MaxPool2d(2))\n")
KERAS = ("from tensorflow import keras\nfrom keras import layers\n"
         "k = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, 3, strides=2),\n"
         "                      layers.Conv2D(8, (3, 2), strides=(3, 2))])\n")
BROKEN = "import torch.nn as nn\nm = nn.Sequential(nn.Linear(4, 2))\ndef f(:\n    pass\nx = [1,\n"


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "server"))
    env.pop("SHAPELENS_STRICT", None)
    return subprocess.run([sys.executable, "-m", "shapelens", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_selection_rules():
    assert not enabled("SL201") and enabled("SL106") and enabled("SL001")
    assert enabled("SL201", select=["SL201"]) and enabled("SL201", extend_select=["sl201"])
    assert enabled("SL201", select=["SL2"]) and not enabled("SL106", select=["SL2"])
    assert enabled("SL201", select=["ALL"]) and not enabled("SL201", select=["ALL"], ignore=["SL201"])
    assert not enabled("SL106", ignore=["SL1"]) and enabled("SL999")   # an unknown code is not hidden
    assert not CODES["SL201"].on_by_default and "--extend-select SL201" in CODES["SL201"].text()


def test_sl201_once_per_layer_naming_both_axes():
    found = [d for d in analyse_text(STRIDED, "/s.py").diagnostics if d.code == "SL201"]
    assert len(found) == 2                                   # the Conv2d and the MaxPool2d, not 4
    assert all(" on H and the last 1 on W are never read" in d.message for d in found), found
    keras = [d for d in analyse_text(KERAS, "/k.py").diagnostics if d.code == "SL201"]
    assert len(keras) == 2
    assert "with kernel 3 and stride 3 the last 1 input position on H, with kernel 2 and stride 2 the last 1 on W" \
        in keras[1].message
    again = analyse_text(STRIDED + "\n", "/s.py").diagnostics
    assert merge_axes(again) == again                         # nothing left to merge


def test_cli_sl201_off_by_default_and_on_when_selected(tmp_path):
    path = tmp_path / "strided.py"
    path.write_text(STRIDED)
    assert "SL201" not in cli("--check", str(path)).stdout
    for flags in (["--extend-select", "SL201"], ["--select", "SL201"], ["--select", "SL2"]):
        out = cli("--check", str(path), *flags).stdout
        assert out.count("SL201") == 2 and "2 warnings" in out, (flags, out)
    assert "SL201" not in cli("--check", str(path), "--extend-select", "SL201", "--ignore", "SL201").stdout


def test_cli_parse_failure_is_visible_with_line_and_column(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text(BROKEN)
    out = cli("--check", str(path))
    assert out.returncode == 0, out.stderr          # a warning: nothing in it was checked, nothing found wrong
    assert f"{path}:3:7: SL001 not analysed: syntax error: invalid syntax" in out.stdout, out.stdout
    assert f"{path}:5:5: SL001 not analysed: syntax error: '[' was never closed" in out.stdout
    assert "2 warnings" in out.stdout
    data = json.loads(cli("--check", str(path), "--format", "json").stdout)["files"][0]
    assert [m["total_params"] for m in data["models"]] == [10]    # the statements that parse are analysed
    assert cli("--check", str(path), "--ignore", "SL001").stdout.count("SL001") == 0


def test_server_sl201_follows_the_settings():
    text = STRIDED
    for options, expected in (({}, 0), ({"extendSelect": ["SL201"]}, 2), ({"select": "SL2"}, 2),
                              ({"extendSelect": ["SL201"], "ignore": ["SL201"]}, 0)):
        server = RawServer(env={"PYTHONPATH": os.path.join(ROOT, "server")})
        try:
            server.call("initialize", {"processId": None, "rootUri": None, "capabilities": {},
                                       "initializationOptions": {"shapelens": options}})
            server.notify("initialized", {})
            server.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///s.py", "languageId": "python",
                                                                    "version": 1, "text": text}})
            items = server.call("textDocument/diagnostic", {"textDocument": {"uri": "file:///s.py"}})["result"]["items"]
            assert sum(d["code"] == "SL201" for d in items) == expected, (options, items)
        finally:
            server.stop()


def test_documented_limits_are_the_applied_ones():
    what = CODES["SL001"].what
    assert f"{source.MAX_STATEMENT_CHARS:,} characters" in what and f"deeper than {source.MAX_DEPTH} levels" in what
    assert f"{source.MAX_FILE_CHARS:,} characters" in what
