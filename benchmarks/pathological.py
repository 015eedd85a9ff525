"""CLI time and memory on pathological files (issue #19), next to normal files measured in the same run.

    python benchmarks/pathological.py                      # this checkout, 3 runs per file
    python benchmarks/pathological.py --runs 1 --only chain
    python benchmarks/pathological.py --pythonpath /tmp/old/server --cap-mb 8000 --budget 40
                                                           # another checkout (e.g. before a change)

Each row is `python -m shapelens --check FILE` as a whole process: median wall time over --runs, the
ratio to the small normal file's median (so a busy machine shows in both), the peak resident memory
of the process tree (the CLI and its analysing child: VmHWM summed over the tree, sampled every 20 ms
from /proc), the exit status (139 or -11: a segmentation fault; "budget" when the run passed --budget
seconds and was killed; "cap" when it died at the --cap-mb address-space cap, which protects this
machine when an old checkout is measured), and the start of the first SL001 message.

The files, generated here (none checked in): a model file of 40 lines and one of 3,000 (normal), a
string concatenation of 2,000 / 8,000 / 50,000 terms, 3,000 chained method calls, 3,000 nested
brackets, a 5 MB one-line list of ints, a 5 MB one-line nn.Sequential of 300,000 layers, a 1 MB list
written one element per line, 4.2 MB of small statements (over the file limit), 200 KB of random
bytes. Each pathological statement sits between two small models that must still be analysed.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import generate  # noqa: E402

MODEL = ("import torch.nn as nn\n# shapelens: input=(1, 4)\n"
         "model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n")


def around(middle: str) -> str:
    return MODEL + middle + MODEL.replace("model =", "after =")


def chain(n: int) -> str:
    return "S = " + " + ".join(["'ab'"] * n) + "\n"


def cases() -> list:
    """(name, kind, text-or-bytes): kind "normal" rows are the references."""
    rng = random.Random(19)
    return [
        ("small model file (40 lines)", "normal", generate.small_file(1)),
        ("large model file (3,000 lines, 290 models)", "normal", generate.large_file(1)),
        ("'ab' + … 2,000 terms", "chain", around(chain(2000))),
        ("'ab' + … 8,000 terms", "chain", around(chain(8000))),
        ("'ab' + … 50,000 terms", "chain", around(chain(50_000))),
        ("x.f().f()… 3,000 calls", "chain", around("S = x" + ".f()" * 3000 + "\n")),
        ("3,000 nested brackets", "deep", around("S = " + "(" * 3000 + "1" + ")" * 3000 + "\n")),
        ("5 MB one-line list of ints", "long", around("L = [" + ", ".join(map(str, range(700_000))) + "]\n")),
        ("5 MB one-line nn.Sequential (300k layers)", "long",
         around("big = nn.Sequential(" + ", ".join(["nn.Linear(4, 4)"] * 300_000) + ")\n")),
        ("1 MB list, one element per line", "long", around("L = [\n" + "".join(f"    {i},\n" for i in range(150_000)) + "]\n")),
        ("4.2 MB of small statements", "huge", "x = 1\n" * 700_000 + MODEL),
        ("200 KB of random bytes", "garbage", bytes(rng.randrange(256) for _ in range(200_000))),
    ]


def measure(path: str, env: dict, budget: float, cap_mb: int) -> dict:
    """One run: wall seconds, peak KB of the tree, exit status (or "budget"/"cap"), stdout."""
    def limit() -> None:
        if cap_mb:
            resource.setrlimit(resource.RLIMIT_AS, (cap_mb << 20, cap_mb << 20))

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "shapelens", "--check", path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL, preexec_fn=limit)
    peak = 0
    status: object = None
    while True:
        try:
            out, err = proc.communicate(timeout=0.02)
            status = proc.returncode
            break
        except subprocess.TimeoutExpired:
            peak = max(peak, tree_kb(proc.pid))
            if time.perf_counter() - start > budget:
                kill_tree(proc.pid)
                out, err = proc.communicate()
                status = "budget"
                break
    wall = time.perf_counter() - start
    text = err.decode("utf-8", "replace")
    if status not in (0, 1, 2, "budget") and ("MemoryError" in text or "memory allocation" in text):
        status = "cap"
    return {"wall": wall, "peak": peak, "status": status, "out": out.decode("utf-8", "replace"),
            "traceback": "Traceback" in text}


def tree_kb(pid: int) -> int:
    return sum(status_kb(p, "VmHWM") for p in [pid, *descendants(pid)])


def descendants(pid: int) -> list:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in _listdir(f"/proc/{p}/task"):
            try:
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    kids = [int(c) for c in fh.read().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def kill_tree(pid: int) -> None:
    for p in [*descendants(pid), pid]:
        try:
            os.kill(p, 9)
        except OSError:
            pass


def _listdir(path: str) -> list:
    try:
        return os.listdir(path)
    except OSError:
        return []


def status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def first_sl001(out: str) -> str:
    for line in out.splitlines():
        if " SL001 " in line:
            return line.split(" SL001 ", 1)[1][:70]
    return ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60.0, help="seconds before a run is killed")
    ap.add_argument("--cap-mb", type=int, default=0, help="address-space cap of each run (protects this machine)")
    ap.add_argument("--pythonpath", default=os.path.join(ROOT, "server"), help="the shapelens package to measure")
    ap.add_argument("--only", default="", help="only the rows whose name contains this")
    args = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=args.pythonpath)
    env.pop("SHAPELENS_STRICT", None)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, kind, content) in enumerate(cases()):
            if args.only and args.only not in name and kind != "normal":
                continue
            path = os.path.join(tmp, f"case{i}.py")
            with open(path, "wb") as fh:
                fh.write(content if isinstance(content, bytes) else content.encode("utf-8"))
            runs = [measure(path, env, args.budget, args.cap_mb) for _ in range(args.runs)]
            rows.append((name, kind, os.path.getsize(path), runs))
            print(f"[pathological] {name}: {statistics.median(r['wall'] for r in runs):.2f} s", file=sys.stderr)
    print(table(rows, args))
    return 0


def table(rows: list, args) -> str:
    reference = statistics.median(r["wall"] for r in rows[0][3])
    lines = [f"`python -m shapelens --check FILE`, {args.runs} run(s) each, package {args.pythonpath}; "
             f"reference: the small model file, {reference:.2f} s median in this run.", "",
             "| file | size | wall (median) | × small file | peak memory (tree) | exit | traceback | SL001 says |",
             "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for name, kind, size, runs in rows:
        wall = statistics.median(r["wall"] for r in runs)
        peak = max(r["peak"] for r in runs)
        statuses = sorted({str(r["status"]) for r in runs})
        budget = any(r["status"] == "budget" for r in runs)
        lines.append(f"| {name} | {size / 1e6:.2f} MB | {'> ' if budget else ''}{wall:.2f} s | {wall / reference:.1f}× | "
                     f"{peak / 1024:,.0f} MB | {', '.join(statuses)} | {'yes' if any(r['traceback'] for r in runs) else 'no'} | "
                     f"{first_sl001(runs[-1]['out'])} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
