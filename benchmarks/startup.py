"""Start-up time of `python -m shapelens --check FILE` next to `python -c "import torch"` (issue #4).

    python benchmarks/startup.py [--runs 30] [FILE]      # FILE: default, generate.small_file()

Runs are interleaved (check, torch, check, torch, ...) so a busy moment on a shared machine hits both;
the figure to compare is the ratio of the medians measured in the same run. Extra commands to time
alongside can be given with --also 'python -c "import libcst"' (repeatable).

--pyc: time with cached bytecode, as an installed tool runs (pip compiles a package's .pyc files when it
installs it; an editable install under PYTHONDONTWRITEBYTECODE=1 compiles shapelens from source on every
run, ~6,000 lines). The cache goes to a temporary PYTHONPYCACHEPREFIX, not into the source tree.
"""
from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def wall(cmd: list, env: dict) -> tuple:
    """(wall, CPU) seconds of one run; CPU (user + system) is less sensitive to a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()[-2000:]}")
    return dt, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def p95(xs: list) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--also", action="append", default=[], metavar="CMD")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--pyc", action="store_true", help="with cached bytecode (see above)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        return bench(args, tmp)


def bench(args, tmp: str) -> int:
    env = dict(os.environ)
    if args.pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
    path = args.file
    if path is None:
        sys.path.insert(0, HERE)
        import generate

        path = os.path.join(tmp, "small.py")
        with open(path, "w") as f:
            f.write(generate.small_file())
    cmds = {"check": [sys.executable, "-m", "shapelens", "--check", path]}
    if not args.no_torch:
        cmds["torch"] = [sys.executable, "-c", "import torch"]
    for c in args.also:
        cmds[c] = [sys.executable if w == "python" else w for w in shlex.split(c)]
    for cmd in cmds.values():   # warm the page cache (and with --pyc, write the bytecode)
        wall(cmd, env)
    times = {k: [] for k in cmds}
    cpus = {k: [] for k in cmds}
    for _ in range(args.runs):
        for k, cmd in cmds.items():
            w, c = wall(cmd, env)
            times[k].append(w)
            cpus[k].append(c)
    width = max(len(k) for k in cmds)
    for k, xs in times.items():
        print(f"{k:<{width}}  wall median {statistics.median(xs):.3f} s  p95 {p95(xs):.3f} s  min {min(xs):.3f} s"
              f"   CPU median {statistics.median(cpus[k]):.3f} s")
    if "torch" in times:
        for k in times:
            if k != "torch":
                print(f"torch / {k} (wall medians): "
                      f"{statistics.median(times['torch']) / statistics.median(times[k]):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
