"""Command line: `--summary` (a static model.summary()), `--check` (CI / pre-commit), `--explain`, and the
language server (no arguments, or `serve`).

Only formatting lives here; every number comes from the analysis records. The server's imports
(pygls, lsprotocol: ~0.5 s) are loaded only when the server is asked for.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Iterable, Optional

from . import __version__

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "build", "dist", "venv", ".venv", "env", "__pycache__",
             "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache"}
PARALLEL_THRESHOLD = 32   # below this many files a process pool costs more than it saves


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="shapelens",
        description="Static layer shapes, parameter counts and shape checks for PyTorch and Keras models. "
                    "With no arguments (or `serve`), runs the language server over stdio.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--summary", action="store_true", help="print a model.summary()-like table for each model")
    mode.add_argument("--check", action="store_true", help="report shape errors (exit 1 if any error)")
    mode.add_argument("--explain", metavar="CODE", help="explain a diagnostic code, e.g. SL106")
    p.add_argument("paths", nargs="*", help="files (and, with --check, directories)")
    p.add_argument("--format", choices=["text", "json", "github"], default="text",
                   help="output format (github: workflow annotations, --check only)")
    p.add_argument("--select", action="append", default=[], metavar="CODE", help="only report these codes")
    p.add_argument("--ignore", action="append", default=[], metavar="CODE", help="do not report these codes")
    p.add_argument("--show-info", action="store_true", help="--check: also print info-level findings")
    p.add_argument("--fix", action="store_true", help="--check: apply the safe fixes in place, then report what is left")
    p.add_argument("--diff", action="store_true", help="--check: print the safe fixes as a diff, change nothing")
    p.add_argument("--input", metavar="SHAPE", help="default PyTorch input shape, e.g. '(1, 3, 224, 224)'")
    p.add_argument("--jobs", "-j", type=int, default=0, help="--check: worker processes (default: all cores)")
    p.add_argument("--version", action="version", version=f"shapelens {__version__}")
    p.add_argument("--tcp", metavar="HOST:PORT", help="language server: listen on TCP instead of stdio")
    p.add_argument("--log-file", help="language server: log file")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p


def entry() -> None:
    """`python -m shapelens`: main(), then a quick exit. Two costs of a short-lived process are skipped: the
    cyclic garbage collector walking, again and again, the objects the imports create (libcst's node
    classes, the catalogs), which all stay alive; and the interpreter's teardown, which frees them one by
    one (~25 ms, a tenth of `--check` on a small file). The exit is the ordinary one when the language
    server ran or a thread is still alive."""
    import gc

    global _GC_THRESHOLD
    _GC_THRESHOLD = gc.get_threshold()
    gc.set_threshold(100_000)   # a collection after 100,000 new container objects instead of 700
    code = main()
    if not isinstance(code, int) or "shapelens.lsp" in sys.modules or _other_threads():
        raise SystemExit(code)
    _quick_exit(code)


_GC_THRESHOLD: Optional[tuple] = None   # the garbage collector's thresholds before entry() raised them


def _restore_gc() -> None:
    """The language server is a long-lived process: it keeps the interpreter's default collection."""
    if _GC_THRESHOLD is not None:
        import gc

        gc.set_threshold(*_GC_THRESHOLD)


def _other_threads() -> bool:
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


def _quick_exit(code: int) -> None:
    """What the interpreter does at exit before its teardown, then os._exit(): the atexit functions, then
    the flush of stdout and stderr, a failure (a closed pipe) reported as the interpreter reports it, with
    its exit status 120."""
    import atexit

    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if run_exitfuncs is None:  # pragma: no cover - CPython has it
        raise SystemExit(code)
    run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None or getattr(stream, "closed", False):
            continue
        try:
            stream.flush()
        except Exception as e:
            import traceback

            code = 120
            try:
                sys.stderr.write(f"Exception ignored in: {stream!r}\n"
                                 + "".join(traceback.format_exception_only(type(e), e)))
                sys.stderr.flush()
            except Exception:
                pass
    os._exit(code)


def main(argv: Optional[list] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.explain:
            return explain(args.explain)
        if args.summary or args.check:
            if not args.paths:
                raise UsageError("give at least one path")
            return run_summary(args) if args.summary else run_check(args)
        if args.paths in ([], ["serve"]):
            from .lsp import run  # lazy: pygls is only needed by the server

            _restore_gc()
            run(tcp=args.tcp, log_file=args.log_file, log_level=args.log_level)
            return 0
        raise UsageError(f"unexpected arguments {' '.join(args.paths)}: use --summary or --check")
    except UsageError as e:
        print(f"shapelens: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


# ---------------------------------------------------------------------- inputs

def parse_shape(text: Optional[str]) -> Optional[tuple]:
    if not text:
        return None
    import ast

    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise UsageError(f"--input {text!r} is not a tuple of integers")
    if isinstance(value, int):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, int) and v > 0 for v in value):
        raise UsageError(f"--input {text!r} is not a tuple of positive integers")
    return tuple(value)


def iter_files(paths: Iterable[str], recursive: bool) -> list:
    files = []
    for path in paths:
        if os.path.isdir(path):
            if not recursive:
                raise UsageError(f"{path} is a directory (--summary takes files)")
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")
                                 and not os.path.exists(os.path.join(root, d, "pyvenv.cfg")))
                files.extend(os.path.join(root, n) for n in sorted(names) if n.endswith((".py", ".pyi")))
        elif os.path.exists(path):
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return files


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror}")
    return data.decode("utf-8", errors="replace")


def analyse_path(path: str, default_input: Optional[tuple]):
    from .analysis import Options, analyze_source

    return analyze_source(read_text(path), path, Options(default_torch_input=default_input))


def _analyse_for_pool(job):
    path, default_input = job
    try:
        return analyse_path(path, default_input)
    except UsageError as e:
        return e


def analyse_all(files: list, default_input: Optional[tuple], jobs: int) -> list:
    if len(files) < PARALLEL_THRESHOLD or jobs == 1:
        return [analyse_path(f, default_input) for f in files]
    from concurrent.futures import ProcessPoolExecutor

    workers = jobs or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_analyse_for_pool, [(f, default_input) for f in files], chunksize=8))
    for r in results:
        if isinstance(r, UsageError):
            raise r
    return results


def keep(diag, select: list, ignore: list) -> bool:
    select = {c.upper() for c in select}
    ignore = {c.upper() for c in ignore}
    if select and diag.code not in select:
        return False
    return diag.code not in ignore


# ---------------------------------------------------------------------- --check

def run_check(args) -> int:
    files = iter_files(args.paths, recursive=True)
    if args.fix or args.diff:
        changed = apply_fixes(files, args)
        if args.diff:
            return 1 if changed else 0
    results = analyse_all(files, parse_shape(args.input), args.jobs)
    counts = {"error": 0, "warning": 0, "info": 0}
    for r in results:
        r.diagnostics = [d for d in r.diagnostics if keep(d, args.select, args.ignore)]
        for d in r.diagnostics:
            counts[d.severity] += 1
    if args.format == "json":
        print(json.dumps({"files": [r.as_dict() for r in results]}, indent=1, ensure_ascii=False))
    else:
        for r in results:
            for d in sorted(r.diagnostics, key=lambda d: (d.span.line, d.span.col)):
                if d.severity == "info" and not (args.show_info or d.code in {c.upper() for c in args.select}):
                    continue
                print(format_finding(r.path, d, args.format))
        print(closing_line(counts, len(files)), file=sys.stderr if args.format == "github" else sys.stdout)
    return 1 if counts["error"] else 0


def apply_fixes(files: list, args) -> int:
    """--fix / --diff: the safe fixes (those that make the real framework accept the model). A file is
    rewritten only when every fix in it applies cleanly, atomically (temp file + rename)."""
    from .analysis import Options
    from .fixes import FixError, fix_file

    options = Options(default_torch_input=parse_shape(args.input))
    codes = [c.upper() for c in args.select] or None
    changed = 0
    for path in files:
        try:
            _, diff, applied = fix_file(path, write=args.fix and not args.diff, options=options, codes=codes)
        except FixError as e:
            print(f"shapelens: {e}", file=sys.stderr)
            continue
        applied = [f for f in applied if f.code not in {c.upper() for c in args.ignore}]
        if diff:
            changed += 1
            if args.diff:
                sys.stdout.write(diff)
            else:
                titles = "; ".join(f.title for f in applied)
                print(f"{path}: fixed {len(applied)} issue{'s' if len(applied) != 1 else ''} ({titles})",
                      file=sys.stderr)
    return changed


def format_finding(path: str, d, fmt: str) -> str:
    if fmt == "github":
        level = {"error": "error", "warning": "warning", "info": "notice"}[d.severity]
        msg = d.message.replace("%", "%25").replace("\n", "%0A")
        return (f"::{level} file={path},line={d.span.line},col={d.span.col},endLine={d.span.end_line},"
                f"endColumn={d.span.end_col},title=shapelens {d.code}::{d.code} {msg}")
    return f"{path}:{d.span.line}:{d.span.col}: {d.code} {d.message}"


def closing_line(counts: dict, nfiles: int) -> str:
    parts = [f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
             f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}"]
    if counts["info"]:
        parts.append(f"{counts['info']} info")
    return f"Found {', '.join(parts)} in {nfiles} file{'s' if nfiles != 1 else ''}."


# ---------------------------------------------------------------------- --summary

def run_summary(args) -> int:
    files = iter_files(args.paths, recursive=False)
    results = analyse_all(files, parse_shape(args.input), 1)
    for r in results:
        r.diagnostics = [d for d in r.diagnostics if keep(d, args.select, args.ignore)]
    if args.format == "json":
        print(json.dumps({"files": [r.as_dict() for r in results]}, indent=1, ensure_ascii=False))
    else:
        from .summary import file_summary

        print("\n\n".join(file_summary(r) for r in results))
    return 1 if any(d.severity == "error" for r in results for d in r.diagnostics) else 0


def explain(code: str) -> int:
    from .analysis.codes import CODES, explain as explain_code

    text = explain_code(code)
    if text is None:
        raise UsageError(f"unknown code {code!r}; known codes: {', '.join(sorted(CODES))}")
    print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
