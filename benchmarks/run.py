"""shapelens speed benchmarks: one command, one markdown table.

    python benchmarks/run.py                 # everything (~4-6 min on 2 cores)
    python benchmarks/run.py --quick         # 5 runs each, smaller tree: a smoke run (~1 min)
    python benchmarks/run.py --write-readme  # also replace the table in benchmarks/README.md

Every target is printed next to a reference measured in the same run (ast.parse and
libcst.parse_module on the same text, `python -c "import torch"`), so a slow or busy machine shows up
in the references too. Wall-clock numbers are never asserted by the tests; this script only prints
pass/fail against the targets of issue 4.

The language server is driven over stdio by benchmarks/lspclient.py (a minimal JSON-RPC client). If
`shapelens.lsp` is missing or does not answer `initialize`, the server rows are replaced by the same
measurements on `analyze_source` in-process (marked "fallback").
"""
from __future__ import annotations

import argparse
import ast
import gc
import importlib.util
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "server"))

import generate  # noqa: E402
from lspclient import LspClient, hint_key, path_to_uri  # noqa: E402

GENERATED = generate.GENERATED
VISIBLE = 60  # lines in the "visible range" of the edit benchmark


# ---------------------------------------------------------------------- statistics

def p50(xs: list) -> float:
    return statistics.median(xs)


def p95(xs: list) -> float:
    s = sorted(xs)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms" if x < 10 else f"{x:.1f} s"


def sec(x: float) -> str:
    return f"{x:.3f} s"


@dataclass
class Row:
    target: str
    measured: str
    reference: str
    ratio: str
    goal: str
    ok: Optional[bool]
    note: str = ""


@dataclass
class Report:
    rows: list = field(default_factory=list)
    info: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def add(self, *a, **k) -> None:
        self.rows.append(Row(*a, **k))


BUDGET = 0.0      # seconds per measurement (0: none); set by --budget
MIN_RUNS = 10     # a budget never cuts a measurement below this many runs
LIMITED: list = []  # measurements the budget cut short


def over_budget(started: float, done: int, name: str) -> bool:
    if BUDGET and done >= MIN_RUNS and time.perf_counter() - started > BUDGET:
        LIMITED.append(f"{name}: {done} runs")
        return True
    return False


def timed(fn: Callable, runs: int, setup: Optional[Callable] = None, name: str = "") -> list:
    out = []
    started = time.perf_counter()
    for i in range(runs):
        if setup:
            setup(i)
        gc.collect()
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
        if over_budget(started, len(out), name):
            break
    return out


# ---------------------------------------------------------------------- machine

def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def busy_jiffies() -> tuple:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return (0, 0)
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts) - idle, sum(parts))


def versions() -> str:
    out = []
    for mod in ("libcst", "pygls", "lsprotocol"):
        try:
            from importlib.metadata import version

            out.append(f"{mod} {version(mod)}")
        except Exception:
            pass
    return ", ".join(out)


# ---------------------------------------------------------------------- edits

def digit_edit(text: str, target: tuple) -> tuple:
    """Change one digit (the last digit of a layer's size argument). Returns (new_text, change) with
    change = (line, col, line, col + 1, new_char) in LSP coordinates."""
    line, col = target
    lines = text.split("\n")
    old = lines[line][col]
    new = str(int(old) % 9 + 1)  # never 0 (a zero size is an error), never the same digit
    lines[line] = lines[line][:col] + new + lines[line][col + 1:]
    return "\n".join(lines), (line, col, line, col + 1, new)


def spread(targets: list, n: int) -> list:
    """n targets spread evenly over the file (each edit touches a statement not touched before)."""
    if n >= len(targets):
        return [targets[i % len(targets)] for i in range(n)]
    step = len(targets) / n
    return [targets[int(i * step)] for i in range(n)]


# ---------------------------------------------------------------------- references and in-process

def bench_references(rep: Report, text: str, runs: int) -> dict:
    import libcst

    t_ast = timed(lambda i: ast.parse(text), runs, name="ast.parse")
    t_cst = timed(lambda i: libcst.parse_module(text), runs, name="libcst.parse_module")
    n = text.count("\n")
    rep.info.append((f"ast.parse ({n}-line file)", t_ast))
    rep.info.append((f"libcst.parse_module ({n}-line file)", t_cst))
    return {"ast": t_ast, "libcst": t_cst}


def bench_inprocess(rep: Report, text: str, runs: int) -> dict:
    from shapelens.analysis import Options, analyze_source
    from shapelens.analysis.engine import clear_caches

    cold = timed(lambda i: analyze_source(text, "large.py", Options()), runs, setup=lambda i: clear_caches(),
                 name="analyze_source cold")
    rep.info.append(("analyze_source cold (every cache cleared), in-process, one process", cold))
    cold2 = timed(lambda i: analyze_source(text, "large.py", Options(parallel=True)), runs,
                  setup=lambda i: clear_caches(), name="analyze_source cold parallel")
    rep.info.append(("analyze_source cold, Options(parallel=True) as in the server (a forked child shares the "
                     "units' batches)", cold2))
    analyze_source(text, "large.py", Options())
    targets = spread(generate.edit_targets(text), runs)
    state = {"text": text}

    def edit(i):
        state["text"], _ = digit_edit(state["text"], targets[i])

    warm = timed(lambda i: analyze_source(state["text"], "large.py", Options()), runs, setup=edit,
                 name="analyze_source warm")
    rep.info.append(("analyze_source after a 1-char edit (warm caches: only the edited unit is analysed), "
                     "in-process", warm))
    return {"cold": cold, "warm": warm}


# ---------------------------------------------------------------------- server

def server_available() -> tuple:
    if importlib.util.find_spec("shapelens.lsp") is None:
        return False, "server/shapelens/lsp.py does not exist yet"
    try:
        c = LspClient(stderr_path=os.path.join(GENERATED, "server-probe.log"))
        try:
            c.initialize(timeout=30)
        finally:
            c.shutdown()
    except Exception as e:  # noqa: BLE001 - any failure means "not ready"
        return False, f"the server did not initialize: {type(e).__name__}: {e}"
    return True, ""


def bench_server_edit(rep: Report, path: str, text: str, runs: int, warmup: int = 3) -> dict:
    uri = path_to_uri(path)
    nlines = text.count("\n")
    with LspClient(stderr_path=os.path.join(GENERATED, "server-edit.log")) as c:
        c.initialize(root_uri=path_to_uri(os.path.dirname(path)))
        rss_start = c.rss_kb()
        t = time.perf_counter()
        c.did_open(uri, text)
        all_hints = c.inlay_hints(uri, 0, nlines + 1, timeout=120)
        first_open = time.perf_counter() - t
        rss_open = c.rss_kb()
        targets = spread(generate.edit_targets(text), runs + warmup)
        version = 1
        times, fresh = [], 0
        started = time.perf_counter()
        for i, target in enumerate(targets):
            line = target[0]
            lo = max(0, line - VISIBLE // 2)
            hi = min(nlines, lo + VISIBLE)
            before = sorted(map(hint_key, c.inlay_hints(uri, lo, hi)))  # what the editor shows now (untimed)
            text, change = digit_edit(text, target)
            version += 1
            gc.collect()
            t = time.perf_counter()
            c.did_change(uri, version, text, change)
            hints = c.wait(c.inlay_hints_async(uri, lo, hi), timeout=120) or []
            dt = time.perf_counter() - t
            after = sorted(map(hint_key, hints))
            if i >= warmup:
                times.append(dt)
                fresh += after != before
                if over_budget(started, len(times), "server edit"):
                    break
        rss_edits = c.rss_kb()
        requests = sorted(set(c.server_requests))
    return {"times": times, "fresh": fresh, "first_open": first_open, "hints": len(all_hints),
            "rss_start": rss_start, "rss_open": rss_open, "rss_edits": rss_edits, "sync": c.sync_kind,
            "server_requests": requests}


def bench_server_cold(rep: Report, runs: int, lines: int) -> dict:
    """didOpen → all hints, each run a new file (different seed: no statement text seen before), all in
    one warmed-up server; libcst.parse_module timed on the same text right before."""
    import libcst

    opens, parses = [], []
    with LspClient(stderr_path=os.path.join(GENERATED, "server-cold.log")) as c:
        c.initialize(root_uri=path_to_uri(GENERATED))
        started = time.perf_counter()
        for i in range(runs + 1):  # run 0 warms up the server's code paths
            text = generate.large_file(1000 + i, lines)
            nlines = text.count("\n")
            uri = path_to_uri(os.path.join(GENERATED, f"cold_{i}.py"))
            gc.collect()
            t = time.perf_counter()
            libcst.parse_module(text)
            tp = time.perf_counter() - t
            gc.collect()
            t = time.perf_counter()
            c.did_open(uri, text)
            c.inlay_hints(uri, 0, nlines + 1, timeout=120)
            to = time.perf_counter() - t
            c.did_close(uri)
            if i:
                opens.append(to)
                parses.append(tp)
                if over_budget(started, len(opens), "server cold open"):
                    break
        rss = c.rss_kb()
    return {"open": opens, "parse": parses, "rss_after": rss}


# ---------------------------------------------------------------------- fallbacks

def fallback_memory(path: str) -> dict:
    code = (
        "import sys\n"
        "from shapelens.analysis import analyze_source\n"
        f"r = analyze_source(open({path!r}).read(), 'large.py')\n"
        "print(open('/proc/self/status').read())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600).stdout
    kb = {}
    for line in out.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            k, v = line.split(":", 1)
            kb[k] = int(v.split()[0])
    return kb


# ---------------------------------------------------------------------- CLI

def run_wall(cmd: list, env: Optional[dict] = None) -> tuple:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()[-2000:]}")
    return wall, cpu


def bench_cli(rep: Report, small: str, tree: str, runs: int, torch_runs: int, tree_runs: int) -> dict:
    env = dict(os.environ)
    # Measure shapelens as installed: pip compiles an installed package's bytecode (torch's too), but an
    # editable install under PYTHONDONTWRITEBYTECODE=1 would compile ~11,000 lines on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "server", "shapelens")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    check = [sys.executable, "-m", "shapelens", "--check", small]
    torch_cmd = [sys.executable, "-c", "import torch"]
    run_wall(check, env)
    run_wall(torch_cmd, env)  # warm the page cache for both
    check_t, torch_t = [], []
    for i in range(max(runs, torch_runs)):  # interleaved: a busy moment hits both
        if i < runs:
            check_t.append(run_wall(check, env)[0])
        if i < torch_runs:
            torch_t.append(run_wall(torch_cmd, env)[0])
    tree_cmd = [sys.executable, "-m", "shapelens", "--check", tree]
    walls, cpus, others = [], [], []
    for _ in range(tree_runs):
        b0, t0 = busy_jiffies()
        w, cpu = run_wall(tree_cmd, env)
        b1, t1 = busy_jiffies()
        walls.append(w)
        cpus.append(cpu)
        hz = os.sysconf("SC_CLK_TCK")
        others.append(max(0.0, (b1 - b0) / hz - cpu) / w)  # cores kept busy by other processes
    serial_w, serial_cpu = run_wall(tree_cmd + ["--jobs", "1"], env)
    return {"check": check_t, "torch": torch_t, "tree_wall": walls, "tree_cpu": cpus, "tree_others": others,
            "serial_wall": serial_w, "serial_cpu": serial_cpu}


# ---------------------------------------------------------------------- table

def fmt_table(rep: Report) -> str:
    out = ["| target | measured (median / p95) | reference, same run (median / p95) | ratio | goal | result |",
           "| --- | --- | --- | --- | --- | --- |"]
    for r in rep.rows:
        res = "n/a" if r.ok is None else ("**pass**" if r.ok else "**FAIL**")
        target = r.target + (f" ({r.note})" if r.note else "")
        out.append(f"| {target} | {r.measured} | {r.reference} | {r.ratio} | {r.goal} | {res} |")
    if rep.info:
        out += ["", "| breakdown / reference | median | p95 | runs |", "| --- | --- | --- | --- |"]
        for name, xs in rep.info:
            out.append(f"| {name} | {ms(p50(xs))} | {ms(p95(xs))} | {len(xs)} |")
    return "\n".join(out)


def mb(kb: Optional[int]) -> str:
    return "?" if kb is None else f"{kb / 1024:.1f} MB"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="shapelens speed benchmarks (prints a markdown table)")
    ap.add_argument("--runs", type=int, default=30, help="runs per timed measurement (default 30)")
    ap.add_argument("--torch-runs", type=int, default=None, help="runs of `python -c 'import torch'` (default: --runs)")
    ap.add_argument("--tree-runs", type=int, default=3, help="runs of --check on the 1,000-file tree (default 3)")
    ap.add_argument("--files", type=int, default=1000, help="files in the --check tree (default 1000)")
    ap.add_argument("--lines", type=int, default=3000, help="lines of the large file (default 3000)")
    ap.add_argument("--quick", action="store_true", help="5 runs, 1 tree run: a smoke test of the benchmark")
    ap.add_argument("--budget", type=float, default=0.0,
                    help="stop a measurement after this many seconds once it has 10 runs (default: no limit; "
                         "cut measurements are listed under the table)")
    ap.add_argument("--no-server", action="store_true", help="skip the language server (use the fallbacks)")
    ap.add_argument("--skip-cli", action="store_true", help="skip the --check measurements")
    ap.add_argument("--write-readme", action="store_true", help="replace the results section of benchmarks/README.md")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.tree_runs = 5, 1
    global BUDGET
    BUDGET = args.budget
    torch_runs = args.torch_runs or args.runs

    os.makedirs(GENERATED, exist_ok=True)
    load0 = os.getloadavg()
    busy0 = busy_jiffies()
    t_start = time.perf_counter()
    large_path = os.path.join(GENERATED, "large.py")
    text = generate.large_file(0, args.lines)
    with open(large_path, "w") as f:
        f.write(text)
    small_path = os.path.join(GENERATED, "small.py")
    with open(small_path, "w") as f:
        f.write(generate.small_file(1))
    tree = os.path.join(GENERATED, "tree")
    generate.write_tree(tree, args.files)

    from shapelens.analysis import analyze_source

    result = analyze_source(text, "large.py")
    rep = Report()
    nmodels = len(result.models)
    nlayers = sum(len(m.layers) for m in result.models)
    rep.notes.append(f"large file: {text.count(chr(10))} lines, {nmodels} models, {nlayers} layers "
                     f"(benchmarks/generate.py, seed 0)")

    print(f"[bench] references and in-process analysis ({args.runs} runs)...", file=sys.stderr)
    refs = bench_references(rep, text, args.runs)
    inproc = bench_inprocess(rep, text, args.runs)
    ref_cst, ref_ast = refs["libcst"], refs["ast"]

    ok, why = (False, "--no-server") if args.no_server else server_available()
    if ok:
        print(f"[bench] server: edit → hints ({args.runs} runs)...", file=sys.stderr)
        ed = bench_server_edit(rep, large_path, text, args.runs)
        xs = ed["times"]
        rep.add("Edit → fresh inlay hints, server over stdio (1-char didChange + inlayHint of 60 lines)",
                f"{ms(p50(xs))} / {ms(p95(xs))}", f"ast.parse {ms(p50(ref_ast))} / {ms(p95(ref_ast))}",
                f"{p50(xs) / p50(ref_ast):.2f}x ast.parse", "p50 ≤ 15 ms, p95 ≤ 40 ms",
                p50(xs) <= 0.015 and p95(xs) <= 0.040,
                note=f"{ed['fresh']}/{len(xs)} responses showed the edit; sync kind {ed['sync']}")
        print(f"[bench] server: cold open ({args.runs} runs)...", file=sys.stderr)
        co = bench_server_cold(rep, args.runs, args.lines)
        xs, ps = co["open"], co["parse"]
        rep.add("Cold open, server: didOpen → all inlay hints (new text each run)",
                f"{ms(p50(xs))} / {ms(p95(xs))}", f"libcst.parse_module {ms(p50(ps))} / {ms(p95(ps))}",
                f"{p50(xs) / p50(ps):.2f}x", "≤ 1.5x libcst.parse_module", p50(xs) / p50(ps) <= 1.5)
        ro, re_ = ed["rss_open"], ed["rss_edits"]
        rss = max(ro.get("tree_VmRSS", 0), re_.get("tree_VmRSS", 0))
        rep.add("Server memory with the 3k-line file open: VmRSS of the server + its children, after open / "
                "after the edits",
                f"{mb(ro.get('tree_VmRSS'))} / {mb(re_.get('tree_VmRSS'))}",
                f"idle server {mb(ed['rss_start'].get('tree_VmRSS'))} ({ed['rss_start'].get('processes')} process(es))",
                "", "< 150 MB", rss < 150 * 1024,
                note=f"{re_.get('processes')} processes; server process alone {mb(ro.get('VmRSS'))} / "
                     f"{mb(re_.get('VmRSS'))}, its peak VmHWM {mb(re_.get('VmHWM'))}")
        rep.notes.append(f"server overhead on the edit path: server p50 {ms(p50(ed['times']))} − in-process "
                         f"analyze_source p50 {ms(p50(inproc['warm']))} = {ms(p50(ed['times']) - p50(inproc['warm']))}")
        rep.notes.append(f"first open of the file in a fresh server (lazy imports included): {ms(ed['first_open'])}, "
                         f"{ed['hints']} hints; requests the server sent: {', '.join(ed['server_requests']) or 'none'}")
        rep.notes.append(f"server (+ children) VmRSS after the {len(co['open']) + 1} cold-open files (each closed "
                         f"after use): {mb(co['rss_after'].get('tree_VmRSS'))}")
    else:
        rep.notes.append(f"**server not measured** ({why}): the server rows below are FALLBACKS measured on "
                         f"`analyze_source` in-process (units cached by statement text make a re-analysis incremental).")
        xs = inproc["warm"]
        rep.add("Edit → fresh results, FALLBACK: analyze_source of the edited text, warm cache, in-process",
                f"{ms(p50(xs))} / {ms(p95(xs))}", f"ast.parse {ms(p50(ref_ast))} / {ms(p95(ref_ast))}",
                f"{p50(xs) / p50(ref_ast):.2f}x ast.parse", "p50 ≤ 15 ms, p95 ≤ 40 ms",
                p50(xs) <= 0.015 and p95(xs) <= 0.040)
        xs = inproc["cold"]
        rep.add("Cold open, FALLBACK: analyze_source with every cache cleared, in-process",
                f"{ms(p50(xs))} / {ms(p95(xs))}", f"libcst.parse_module {ms(p50(ref_cst))} / {ms(p95(ref_cst))}",
                f"{p50(xs) / p50(ref_cst):.2f}x", "≤ 1.5x libcst.parse_module", p50(xs) / p50(ref_cst) <= 1.5)
        kb = fallback_memory(large_path)
        rep.add("Memory, FALLBACK: a process that imported shapelens and analysed the file (VmRSS)",
                mb(kb.get("VmRSS")), "", "", "< 150 MB", kb.get("VmRSS", 10 ** 9) < 150 * 1024,
                note=f"VmHWM {mb(kb.get('VmHWM'))}")

    if not args.skip_cli:
        print(f"[bench] CLI: --check small file ({args.runs} runs), import torch ({torch_runs} runs), "
              f"tree of {args.files} files ({args.tree_runs} runs + 1 serial)...", file=sys.stderr)
        cli = bench_cli(rep, small_path, tree, args.runs, torch_runs, args.tree_runs)
        xs, ts = cli["check"], cli["torch"]
        rep.add("`shapelens --check` one small file, whole process", f"{sec(p50(xs))} / {sec(p95(xs))}",
                "", "", "≤ 0.35 s", p50(xs) <= 0.35)
        rep.add("`--check` one small file vs `python -c \"import torch\"`", f"{sec(p50(xs))} / {sec(p95(xs))}",
                f"import torch {sec(p50(ts))} / {sec(p95(ts))}", f"{p50(ts) / p50(xs):.2f}x faster",
                "≥ 5x faster", p50(ts) / p50(xs) >= 5)
        ncpu = os.cpu_count() or 1
        utils = [c / w for c, w in zip(cli["tree_cpu"], cli["tree_wall"])]
        rep.add(f"`--check` on a tree of {args.files} files: CPU utilisation (user+sys)/wall",
                f"{p50(utils):.2f} cores (wall {sec(p50(cli['tree_wall']))})",
                f"--jobs 1: wall {sec(cli['serial_wall'])}, {cli['serial_cpu'] / cli['serial_wall']:.2f} cores",
                f"{cli['serial_wall'] / p50(cli['tree_wall']):.2f}x speed-up",
                f"≥ {0.8 * ncpu:.1f} cores (both busy)", p50(utils) >= 0.8 * ncpu,
                note=f"other processes kept {p50(cli['tree_others']):.2f} cores busy meanwhile")

    busy1 = busy_jiffies()
    elapsed = time.perf_counter() - t_start
    hz = os.sysconf("SC_CLK_TCK")
    machine = (f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, "
               f"Python {platform.python_version()}, {platform.system()} {platform.release()}; {versions()}")
    load = (f"load average {load0[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end; machine busy "
            f"{(busy1[0] - busy0[0]) / hz / elapsed:.2f} cores on average over the {elapsed:.0f} s run")
    if LIMITED:
        rep.notes.append("cut short by --budget (fewer runs than asked): " + "; ".join(LIMITED))
    table = fmt_table(rep)
    report = "\n".join([f"Machine: {machine}", "", f"Run: {time.strftime('%Y-%m-%d %H:%M')}, {args.runs} runs "
                        f"per measurement; {load}", ""] + [f"- {n}" for n in rep.notes] + ["", table])
    print(report)
    if args.write_readme:
        write_readme(report)
    return 0


def write_readme(report: str) -> None:
    path = os.path.join(HERE, "README.md")
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    with open(path) as f:
        readme = f.read()
    if start in readme and end in readme:
        head, rest = readme.split(start, 1)
        _, tail = rest.split(end, 1)
        readme = f"{head}{start}\n{report}\n{end}{tail}"
    else:
        readme += f"\n{start}\n{report}\n{end}\n"
    with open(path, "w") as f:
        f.write(readme)


if __name__ == "__main__":
    sys.exit(main())
