"""Command line: `--summary` (a static model.summary()), `--check` (CI / pre-commit), `--explain`, and the
language server (no arguments, or `serve`).

Only formatting lives here; every number comes from the analysis records. The server's imports
(pygls, lsprotocol: ~0.5 s) are loaded only when the server is asked for.

Every file is analysed under limits (guard.py): in a forked child with a memory cap and a time limit
per file. A file that trips one gets an SL001 naming the limit, the run goes on, and the exit status is
2 (ruff's convention: 0 clean, 1 findings, 2 abnormal). This process never imports the analysis core:
the children do, and send back plain dicts and text.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Iterable, Optional

from . import __version__
from .guard import DEFAULT_MEMORY_MB, DEFAULT_SECONDS, Outcome, limit_message, run_guarded

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
    p.add_argument("--select", action="append", default=[], metavar="CODE",
                   help="only report these codes (or prefixes: SL1; ALL), instead of the default set")
    p.add_argument("--extend-select", action="append", default=[], metavar="CODE",
                   help="also report these codes (e.g. SL201, which is off by default)")
    p.add_argument("--ignore", action="append", default=[], metavar="CODE", help="do not report these codes")
    p.add_argument("--show-info", action="store_true", help="--check: also print info-level findings")
    p.add_argument("--fix", action="store_true", help="--check: apply the safe fixes in place, then report what is left")
    p.add_argument("--diff", action="store_true", help="--check: print the safe fixes as a diff, change nothing")
    p.add_argument("--depth", type=int, metavar="N",
                   help="--summary: show modules nested up to N deep, as torchinfo's depth (default 3 for "
                        "PyTorch; 1 for Keras, where a nested model is one row, as summary() without "
                        "expand_nested)")
    p.add_argument("--input", metavar="SHAPE",
                   help="default input shape, e.g. '(1, 3, 224, 224)'; None for a Keras batch or time axis")
    p.add_argument("--jobs", "-j", type=int, default=0, help="--check: worker processes (default: all cores)")
    p.add_argument("--memory-limit", type=int, default=DEFAULT_MEMORY_MB, metavar="MIB",
                   help=f"memory of the process analysing one file (default {DEFAULT_MEMORY_MB} MiB)")
    p.add_argument("--timeout", type=float, default=DEFAULT_SECONDS, metavar="SECONDS",
                   help=f"time to analyse one file (default {DEFAULT_SECONDS:g} s)")
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
            if args.depth is not None and args.depth < 0:
                raise UsageError("--depth takes a number >= 0")
            if args.memory_limit < 64 or not args.timeout > 0:
                raise UsageError("--memory-limit takes at least 64 (MiB), --timeout a positive number of seconds")
            return run_summary(args) if args.summary else run_check(args)
        if args.paths in ([], ["serve"]):
            from .lsp import run  # lazy: pygls is only needed by the server

            _restore_gc()
            return run(tcp=args.tcp, log_file=args.log_file, log_level=args.log_level)   # ends the process
        raise UsageError(f"unexpected arguments {' '.join(args.paths)}: use --summary or --check")
    except UsageError as e:
        print(f"shapelens: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


# ---------------------------------------------------------------------- inputs

def parse_shape(text: Optional[str]) -> Optional[tuple]:
    """--input: a tuple of positive integers; None stands for a Keras batch or time axis."""
    if not text:
        return None
    import ast

    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise UsageError(f"--input {text!r} is not a tuple of integers")
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value or not all(
            v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0) for v in value):
        raise UsageError(f"--input {text!r} is not a tuple of positive integers (or None for a Keras batch axis)")
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
    """The file's FileResult as reported (guard.analyse_text). Runs in a guarded child."""
    from .guard import analyse_text

    result = analyse_text(read_text(path), path, default_input)
    # The core turns any exception into an "internal error" finding; one that is really the memory
    # limit (MemoryError under RLIMIT_AS) is reported as the limit instead.
    if any(d.code == "SL001" and "MemoryError" in d.message for d in result.diagnostics):
        raise MemoryError
    return result


def keep(diag, select: list, ignore: list, extend_select: Iterable[str] = ()) -> bool:
    from .analysis.codes import enabled

    return enabled(diag.code, select, extend_select, ignore)


def worker_count(files: list, jobs: int) -> int:
    if len(files) < PARALLEL_THRESHOLD or jobs == 1:
        return 1
    return jobs if jobs > 0 else (os.cpu_count() or 1)


def guarded(args, files: list, work) -> list:
    """[Outcome] of work((path, args)) for each file, each in a limited child (guard.run_guarded)."""
    return run_guarded([(f, args) for f in files], work, worker_count(files, args.jobs),
                       args.memory_limit, args.timeout)


def not_analysed(path: str, outcome: Outcome, args) -> dict:
    """The report of a file whose analysis tripped a limit or failed: one SL001 naming why."""
    message = limit_message(outcome.status, str(outcome.value or ""), args.memory_limit, args.timeout)
    diag = {"line": 1, "col": 1, "end_line": 1, "end_col": 1, "code": "SL001", "severity": "warning",
            "message": message}
    return {"path": path, "models": [], "diagnostics": [diag], "not_analysed": outcome.status}


# ---------------------------------------------------------------------- --check

def check_job(job) -> dict:
    """In the child: one file's report as a JSON-ready dict, findings filtered by the selection."""
    path, args = job
    result = analyse_path(path, parse_shape(args.input))
    result.diagnostics = [d for d in result.diagnostics if keep(d, args.select, args.ignore, args.extend_select)]
    return result.as_dict()


def run_check(args) -> int:
    files = iter_files(args.paths, recursive=True)
    parse_shape(args.input)   # a bad --input is a usage error before any work
    abnormal = False
    if args.fix or args.diff:
        changed, abnormal = apply_fixes(files, args)
        if args.diff:
            return 2 if abnormal else 1 if changed else 0
    reports = []
    for path, outcome in zip(files, guarded(args, files, check_job)):
        if outcome.status == "ok":
            reports.append(outcome.value)
            continue
        abnormal = True
        if outcome.status == "error" and "cannot read" in str(outcome.value):
            print(f"shapelens: error: {str(outcome.value).split(': ', 1)[-1]}", file=sys.stderr)
        reports.append(not_analysed(path, outcome, args))
    counts = {"error": 0, "warning": 0, "info": 0}
    for r in reports:
        for d in r["diagnostics"]:
            counts[d["severity"]] = counts.get(d["severity"], 0) + 1
    if args.format == "json":
        print(json.dumps({"files": reports}, indent=1, ensure_ascii=False))
    else:
        selected = {c.upper() for c in args.select + args.extend_select}
        for r in reports:
            for d in sorted(r["diagnostics"], key=lambda d: (d["line"], d["col"])):
                if d["severity"] == "info" and not (args.show_info or d["code"] in selected):
                    continue
                print(format_finding(r["path"], d, args.format))
        skipped = sum(1 for r in reports if "not_analysed" in r)
        print(closing_line(counts, len(files), skipped), file=sys.stderr if args.format == "github" else sys.stdout)
    if abnormal:
        return 2
    return 1 if counts["error"] else 0


def fix_job(job) -> tuple:
    """In the child: (diff, titles of the applied fixes) of one file, written in place with --fix."""
    from .analysis import Options
    from .fixes import FixError, fix_file

    path, args = job
    options = Options(default_torch_input=parse_shape(args.input))
    codes = [c.upper() for c in args.select] or None
    try:
        _, diff, applied = fix_file(path, write=args.fix and not args.diff, options=options, codes=codes)
    except FixError as e:
        return None, str(e)
    ignored = {c.upper() for c in args.ignore}
    return diff, [f.title for f in applied if f.code not in ignored]


def apply_fixes(files: list, args) -> tuple:
    """--fix / --diff: the safe fixes (those that make the real framework accept the model). A file is
    rewritten only when every fix in it applies cleanly, atomically (temp file + rename). Returns
    (files changed, whether a file tripped a limit)."""
    changed = 0
    abnormal = False
    for path, outcome in zip(files, guarded(args, files, fix_job)):
        if outcome.status != "ok":
            abnormal = True
            print(f"{path}: SL001 {limit_message(outcome.status, str(outcome.value or ''), args.memory_limit, args.timeout)}",
                  file=sys.stderr)
            continue
        diff, titles = outcome.value
        if diff is None:
            print(f"shapelens: {titles}", file=sys.stderr)
            continue
        if diff:
            changed += 1
            if args.diff:
                sys.stdout.write(diff)
            else:
                print(f"{path}: fixed {len(titles)} issue{'s' if len(titles) != 1 else ''} ({'; '.join(titles)})",
                      file=sys.stderr)
    return changed, abnormal


def format_finding(path: str, d: dict, fmt: str) -> str:
    if fmt == "github":
        level = {"error": "error", "warning": "warning", "info": "notice"}[d["severity"]]
        msg = d["message"].replace("%", "%25").replace("\n", "%0A")
        return (f"::{level} file={path},line={d['line']},col={d['col']},endLine={d['end_line']},"
                f"endColumn={d['end_col']},title=shapelens {d['code']}::{d['code']} {msg}")
    return f"{path}:{d['line']}:{d['col']}: {d['code']} {d['message']}"


def closing_line(counts: dict, nfiles: int, skipped: int = 0) -> str:
    parts = [f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
             f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}"]
    if counts["info"]:
        parts.append(f"{counts['info']} info")
    line = f"Found {', '.join(parts)} in {nfiles} file{'s' if nfiles != 1 else ''}."
    if skipped:
        line += f" {skipped} file{'s' if skipped != 1 else ''} not analysed (a limit was reached: see SL001)."
    return line


# ---------------------------------------------------------------------- --summary

def summary_job(job) -> tuple:
    """In the child: (summary text, JSON-ready dict, any error) of one file."""
    from .summary import file_summary

    path, args = job
    result = analyse_path(path, parse_shape(args.input))
    result.diagnostics = [d for d in result.diagnostics if keep(d, args.select, args.ignore, args.extend_select)]
    errors = any(d.severity == "error" for d in result.diagnostics)
    return file_summary(result, args.depth), result.as_dict(), errors


def run_summary(args) -> int:
    files = iter_files(args.paths, recursive=False)
    parse_shape(args.input)
    texts, dicts, errors, abnormal = [], [], False, False
    for path, outcome in zip(files, guarded(args, files, summary_job)):
        if outcome.status == "ok":
            text, data, has_errors = outcome.value
            errors = errors or has_errors
        else:
            abnormal = True
            data = not_analysed(path, outcome, args)
            text = f"{path}: {data['diagnostics'][0]['message']}"
        texts.append(text)
        dicts.append(data)
    if args.format == "json":
        print(json.dumps({"files": dicts}, indent=1, ensure_ascii=False))
    else:
        print("\n\n".join(texts))
    return 2 if abnormal else 1 if errors else 0


def explain(code: str) -> int:
    from .analysis.codes import CODES, explain as explain_code

    text = explain_code(code)
    if text is None:
        raise UsageError(f"unknown code {code!r}; known codes: {', '.join(sorted(CODES))}")
    print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
