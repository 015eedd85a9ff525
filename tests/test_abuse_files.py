"""Adversarial files, generated here (no checked-in blobs), against the CLI and the analysis itself.

Each CLI case asserts: the run ends normally (exit 0/1 for a statement over a limit, 2 for a file that
tripped the CLI's memory or time limit), no traceback on stderr, the statement at fault is reported as
SL001 naming its limit, the model elsewhere in the file is still analysed, and the peak memory of the
whole process tree (VmHWM from /proc, sampled while it runs) stays under MEMORY_CEILING. The only
timing is RUN_BOUND, a generous bound that tells a hang from a slow machine; speed is measured in
benchmarks/pathological.py.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SAMPLES
from rawlsp import _status_kb, children_of

RUN_BOUND = 60.0                  # seconds for one CLI run (a hang, not a slow machine)
MEMORY_CEILING_KB = 1536 << 10    # the CLI and its analysing child, peak resident
MODEL = ("import torch.nn as nn\n# shapelens: input=(1, 4)\n"
         "model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n")
MODEL_PARAMS = 58


def cli(*args: str) -> tuple:
    """(exit status, stdout, stderr, peak KB) of `python -m shapelens ARGS` (this checkout's package)."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "server"))
    env.pop("SHAPELENS_STRICT", None)
    proc = subprocess.Popen([sys.executable, "-m", "shapelens", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL)
    peak = 0
    deadline = time.monotonic() + RUN_BOUND
    out, err = b"", b""
    while True:
        try:
            out, err = proc.communicate(timeout=0.02)
            break
        except subprocess.TimeoutExpired:
            pids = [proc.pid, *children_of(proc.pid)]
            peak = max(peak, sum(_status_kb(pid, "VmHWM") for pid in pids))
            if time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                raise AssertionError(f"shapelens {' '.join(args)} ran past {RUN_BOUND} s")
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), peak


# ----------------------------------------------------------------------------- the files

def chain(n: int) -> str:
    return "S = " + " + ".join(["'ab'"] * n) + "\n"


CASES = {
    # name: (statement text placed between two models, what the SL001 says)
    "8,000-term string chain": (chain(8000), "levels deep"),
    "50,000-term string chain": (chain(50_000), "the limit is 100,000"),
    "3,000-link method chain": ("S = x" + ".f()" * 3000 + "\n", "levels deep"),
    "3,000 nested brackets": ("S = " + "(" * 3000 + "1" + ")" * 3000 + "\n", "levels deep"),
    "8,000 unary minus": ("S = " + "-" * 8000 + "1\n", "levels deep"),
    "5 MB one-line list of ints": ("L = [" + ", ".join(str(i) for i in range(700_000)) + "]\n",
                                   "the limit is 100,000"),
    "5 MB one-line Sequential": ("big = nn.Sequential(" + ", ".join(["nn.Linear(4, 4)"] * 300_000) + ")\n",
                                 "the limit is 100,000"),
    "1 MB list over many lines": ("L = [\n" + "".join(f"    {i},\n" for i in range(150_000)) + "]\n",
                                  "the limit is 100,000"),
    "a syntax error": ("def broken(:\n    pass\n", "syntax error"),
    "an unclosed bracket": ("x = nn.Sequential(\n    nn.Linear(2, 3)\n", "never closed"),
}


def file_with(middle: str) -> str:
    """A model, the statement at fault, and a second model that must still be analysed."""
    return MODEL + middle + MODEL.replace("model =", "after =")


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_reports_the_statement_and_analyses_the_rest(tmp_path, name):
    middle, says = CASES[name]
    path = tmp_path / "case.py"
    path.write_text(file_with(middle), encoding="utf-8")
    code, out, err, peak = cli("--check", str(path), "--format", "json")
    assert code == 0, err
    assert "Traceback" not in err
    (report,) = json.loads(out)["files"]
    sl001 = [d for d in report["diagnostics"] if d["code"] == "SL001"]
    assert sl001 and any(says in d["message"] for d in sl001), sl001
    assert all(d["line"] > 3 for d in sl001)                      # at the statement, not at line 1
    params = sorted(m["total_params"] for m in report["models"] if m["name"] in ("model", "after"))
    assert params == [MODEL_PARAMS, MODEL_PARAMS], report["models"]
    assert peak < MEMORY_CEILING_KB, f"{peak} KB"
    text = cli("--check", str(path))[1]                             # the text format shows it by default
    assert "SL001 not analysed" in text and "1 warning" in text


def test_cli_on_garbage_bytes_and_odd_text(tmp_path):
    rng = random.Random(1919)
    files = {
        "random.py": bytes(rng.randrange(256) for _ in range(200_000)),
        "nulls.py": MODEL.encode() + b"\x00" * 1000 + b"\n" + MODEL.replace("model =", "after =").encode(),
        "deep_blocks.py": "".join("    " * i + f"if x{i}:\n" for i in range(120)).encode() + b"    " * 120 + b"pass\n",
        "unterminated.py": b'"""' + MODEL.encode(),
        "line_breaks.py": MODEL.replace("\n", "\r").encode() + b"\x0c\x0b\r\n" + MODEL.replace("\n", "\r\n").encode(),
        "long_comment.py": MODEL.encode() + b"#" + b"c" * 5_000_000 + b"\n",
        "many_models.py": "".join(MODEL.replace("model =", f"m{i} =") for i in range(200)).encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    code, out, err, peak = cli("--check", str(tmp_path), "--format", "json")
    assert code in (0, 1), err
    assert "Traceback" not in err and peak < MEMORY_CEILING_KB
    reports = {os.path.basename(r["path"]): r for r in json.loads(out)["files"]}
    assert set(reports) == set(files)
    assert [m["total_params"] for m in reports["long_comment.py"]["models"]] == [MODEL_PARAMS]
    assert len(reports["many_models.py"]["models"]) == 200
    assert len(reports["random.py"]["diagnostics"]) <= 50          # a binary file: the first findings, then a count


def test_a_file_over_the_file_limit_is_refused_whole_and_quickly(tmp_path):
    path = tmp_path / "huge.py"
    path.write_text("x = 1\n" * 700_000 + MODEL, encoding="utf-8")    # 4.2 MB of small statements
    code, out, err, peak = cli("--check", str(path))
    assert code == 0 and "not analysed: a file of" in out and "the limit is 4,000,000" in out, out + err
    assert peak < MEMORY_CEILING_KB


# ----------------------------------------------------------------------------- the CLI's own limits

def test_memory_limit_trips_one_file_and_the_run_goes_on(tmp_path):
    """80 MB of comments cannot even be read and decoded within 128 MiB; the model file next to it can."""
    (tmp_path / "a_huge.py").write_bytes(("#" * 99 + "\n").encode() * 800_000)
    (tmp_path / "b_model.py").write_text(MODEL.replace("nn.Linear(4, 8)", "nn.Linear(5, 8)"), encoding="utf-8")
    code, out, err, peak = cli("--check", str(tmp_path), "--memory-limit", "128")
    assert code == 2, out + err
    assert "a_huge.py:1:1: SL001 not analysed: the analysis ran out of memory (the limit is 128 MiB" in out
    assert "b_model.py:3:" in out and "SL106" in out, out      # the other file was analysed: its error found
    assert "1 file not analysed" in out and "Traceback" not in err
    assert peak < MEMORY_CEILING_KB


def test_time_limit_names_the_limit_and_exits_2(tmp_path):
    """No child can even import the analysis in a millisecond: both files trip it, the run still ends."""
    for name in ("one.py", "two.py"):
        (tmp_path / name).write_text(MODEL, encoding="utf-8")
    code, out, err, _ = cli("--check", str(tmp_path), "--timeout", "0.001")
    assert code == 2 and "Traceback" not in err
    assert out.count("SL001 not analysed: the analysis took longer than the time limit of 0.001 s") == 2, out
    code, out, err, _ = cli("--summary", str(tmp_path / "one.py"), "--timeout", "0.001", "--format", "json")
    assert code == 2 and json.loads(out)["files"][0]["not_analysed"] == "time"


def test_the_guard_isolates_each_job():
    """guard.run_guarded: a job that sleeps forever, one that allocates too much and one that crashes
    cost only their own outcome; the jobs around them are answered."""
    import signal

    from shapelens.guard import run_guarded

    def work(job):
        if job == "sleep":
            time.sleep(3600)
        if job == "allocate":
            return len(bytearray(512 << 20))
        if job == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        return job * 2

    jobs = ["a", "sleep", "b", "allocate", "c", "crash", "d"]
    got = run_guarded(jobs, work, workers=2, memory_mb=256, seconds=2.0)
    assert [o.status for o in got] == ["ok", "time", "ok", "memory", "ok", "crash", "ok"]
    assert [o.value for o in got if o.status == "ok"] == ["aa", "bb", "cc", "dd"]


def test_a_repository_run_stays_under_a_fixed_ceiling(tmp_path):
    """40 files (the parallel path: two analysing children), a few of them pathological: every file
    gets its report, and the whole tree never holds more than the parent plus two capped children."""
    for i in range(34):
        (tmp_path / f"model_{i:02}.py").write_text(MODEL, encoding="utf-8")
    for i, (middle, _) in enumerate(CASES.values()):
        if i < 6:
            (tmp_path / f"patho_{i}.py").write_text(file_with(middle), encoding="utf-8")
    code, out, err, peak = cli("--check", str(tmp_path), "--jobs", "2", "--memory-limit", "512", "--format", "json")
    assert code == 0 and "Traceback" not in err, err
    reports = json.loads(out)["files"]
    assert len(reports) == 40 and all(r["models"] for r in reports)
    assert peak < (2 * 512 + 256) << 10, f"{peak} KB"


def test_usage_errors_for_limits_and_input():
    assert cli("--check", "x.py", "--memory-limit", "10")[0] == 2
    assert cli("--check", "x.py", "--timeout", "0")[0] == 2
    assert cli("--check", os.path.join(SAMPLES, "lenet5.py"), "--input", "(None, 160, 160, 3)")[0] in (0, 1)
    code, _, err, _ = cli("--check", os.path.join(SAMPLES, "lenet5.py"), "--input", "(0, -1)")
    assert code == 2 and "positive integers" in err


# ----------------------------------------------------------------------------- in-process: prefixes, fragments

def test_every_line_prefix_of_every_sample():
    """Typing each sample line by line: every prefix is analysed without an exception, and a statement
    cut in half is an SL001 at a line of the prefix, never a crash or a silent nothing."""
    from shapelens.guard import analyse_text

    for name in sorted(n for n in os.listdir(SAMPLES) if n.endswith(".py")):
        with open(os.path.join(SAMPLES, name), encoding="utf-8") as fh:
            lines = fh.read().splitlines(keepends=True)
        for k in range(1, len(lines) + 1):
            text = "".join(lines[:k])
            result = analyse_text(text, f"/prefix/{name}")
            for d in result.diagnostics:
                if d.code == "SL001":
                    assert 1 <= d.span.line <= k + 1, (name, k, d)


FRAGMENTS = [chain(400), "S = x" + ".f()" * 400 + "\n", "S = " + "[" * 200 + "]" * 200 + "\n",
             "def f(:\n", "x = (\n", "'''\n", "L = [" + "1, " * 40_000 + "]\n", "\x00\n", "if x:\n",
             "#" + "c" * 120_000 + "\n", "class C(nn.Module):\n    def forward(self, x):\n        return x\n"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=4), st.lists(st.sampled_from(FRAGMENTS), max_size=4))
def test_pathological_fragments_around_a_model(before, after):
    """Whatever surrounds it, a model is analysed (or, when a fragment swallows it syntactically, the
    file says why, unless the model is only the inside of a string), and nothing raises."""
    import ast

    from shapelens.guard import analyse_text

    text = "".join(before) + MODEL + "".join(after)
    result = analyse_text(text, "/fragments.py")
    found = [m for m in result.models if m.name == "model"]
    if found:
        assert found[0].total_params == MODEL_PARAMS
    elif not any(d.code == "SL001" for d in result.diagnostics):
        tree = ast.parse(text)   # no finding: the file is valid Python, the model inside a string
        assert not any(isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "model" for n in tree.body)
