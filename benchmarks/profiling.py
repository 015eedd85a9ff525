"""Where the time goes: cProfile of the edit path and the cold path on the generated 3k-line file.

    python benchmarks/profiling.py              # both paths, top 25 functions each
    python benchmarks/profiling.py edit --top 40
    python benchmarks/profiling.py cold --pyinstrument   # pyinstrument's tree instead (if installed)

edit: analyze_source after a one-character edit with a warm parse cache (what the server's worker does on
      each keystroke). cold: analyze_source with the parse cache cleared (a first didOpen).
Besides the usual cProfile listing, a short "hot spots" table gives the cumulative time of the
functions that dominated earlier profiles (only those that exist in the current code are shown).
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))

import generate  # noqa: E402
from run import digit_edit, spread  # noqa: E402

# (file suffix, function name): what they are.
HOT_SPOTS = [
    ("analysis/source.py", "split", "split into statements (incremental: only around the changed lines)"),
    ("analysis/units.py", "group", "group statements into units by the names they read (symtable)"),
    ("analysis/units.py", "unit_key", "cache key of each unit (memoized on its chunks)"),
    ("analysis/units.py", "cache_get", "unit results from the cache (moved when lines shifted)"),
    ("analysis/engine.py", "_analyze_units", "the walk over the units that missed the cache"),
    ("libcst/_parser/entrypoints.py", "parse_module", "libcst parsing (statements parsed on first use)"),
    ("analysis/source.py", "_positions_for", "positions (positions.py from ast; PositionProvider fallback)"),
    ("analysis/engine.py", "statement", "the walk over statements"),
    ("analysis/engine.py", "find_loose_models", "Sequential calls not assigned to a name"),
    ("analysis/dataflow.py", "small_statement", "data-flow hooks per statement"),
    ("analysis/engine.py", "build_record", "per model: input + propagation + spans"),
    ("analysis/inputs.py", "model_input", "per model: where the input shape comes from"),
    ("analysis/engine.py", "propagate", "per model: layer rules"),
    ("libcst/_nodes/base.py", "visit", "libcst visitor machinery (remaining visitors)"),
]


def hot_spots(stats: pstats.Stats, total: float) -> str:
    rows = []
    for (file, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        for suffix, name, what in HOT_SPOTS:
            if func == name and file.replace(os.sep, "/").endswith(suffix):
                rows.append((ct, nc, f"{suffix}:{name}", what))
    rows.sort(reverse=True)
    out = ["| function | calls | cumulative | share | what |", "| --- | --- | --- | --- | --- |"]
    for ct, nc, name, what in rows:
        out.append(f"| {name} | {nc} | {ct * 1000:.0f} ms | {100 * ct / total:.0f}% | {what} |")
    return "\n".join(out)


def profile(label: str, fn, top: int, use_pyinstrument: bool) -> None:
    if use_pyinstrument:
        from pyinstrument import Profiler

        p = Profiler(interval=0.0005)
        p.start()
        fn()
        p.stop()
        print(p.output_text(unicode=True, color=False, show_all=False))
        return
    pr = cProfile.Profile()
    gc.collect()
    gc.disable()   # as in the server's analysis child (worker.Collector): no collection mid-request
    t = time.perf_counter()
    pr.enable()
    fn()
    pr.disable()
    total = time.perf_counter() - t
    gc.enable()
    stats = pstats.Stats(pr)
    print(f"\n## {label}: {total * 1000:.0f} ms under cProfile\n")
    print(hot_spots(stats, total))
    for order in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(pr, stream=buf).strip_dirs().sort_stats(order).print_stats(top)
        body = buf.getvalue()
        print(f"\n### top {top} by {order}\n\n```\n{body[body.find('ncalls'):].rstrip()}\n```")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("which", nargs="*", help="edit and/or cold (default: both)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--pyinstrument", action="store_true")
    args = ap.parse_args(argv)
    args.which = args.which or ["edit", "cold"]
    if set(args.which) - {"edit", "cold"}:
        ap.error("which: edit and/or cold")

    from shapelens.analysis import Options, analyze_source
    from shapelens.analysis.engine import clear_caches

    text = generate.large_file(0, args.lines)
    targets = spread(generate.edit_targets(text), 10)
    print(f"# profile: {text.count(chr(10))} lines, Python {sys.version.split()[0]}")
    if "edit" in args.which:
        analyze_source(text, "large.py", Options())
        first, _ = digit_edit(text, targets[0])
        analyze_source(first, "large.py", Options())
        edited, _ = digit_edit(first, targets[5])  # one edit after the last analysed text, as in an editor
        profile("edit path: analyze_source after a 1-char edit, warm cache",
                lambda: analyze_source(edited, "large.py", Options()), args.top, args.pyinstrument)
    if "cold" in args.which:
        analyze_source(text, "large.py", Options())  # code paths warmed, then the cache emptied
        clear_caches()
        profile("cold path: analyze_source, parse cache cleared",
                lambda: analyze_source(text, "large.py", Options()), args.top, args.pyinstrument)
    return 0


if __name__ == "__main__":
    sys.exit(main())
