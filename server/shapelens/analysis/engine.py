"""The analysis driver: analyze_source(text, path) -> FileResult.

The file is split into top-level statements (source.py), grouped into independent units (units.py), and
each unit is run by the interpreter (interp/models.py), cached by its statements' text so that an edit
re-runs only the unit it touches. A large cold file is shared between two processes (parallel=True).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional

from . import directives, units
from .records import Diagnostic, FileResult, Span
from .source import Chunk, drop_ast, split


@dataclass
class Options:
    default_torch_input: Optional[tuple] = None   # LSP setting: used when a torch model has no input
    # Analyse a large cold file in two processes (os.fork): the language server's analysis child sets
    # it, so that opening a 3,000-line file uses both cores. Results are identical either way.
    parallel: bool = False


_IGNORE_RE = re.compile(r"#\s*shapelens:\s*ignore(?:\[([A-Za-z0-9_, ]+)\])?")


def filter_ignored(diags: list[Diagnostic], lines: list[str]) -> list[Diagnostic]:
    """Drop findings silenced by a `# shapelens: ignore[CODE]` comment on one of their lines."""
    kept = []
    for d in diags:
        ignored = set()
        for ln in range(d.span.line, d.span.end_line + 1):
            if 0 < ln <= len(lines) and "shapelens" in lines[ln - 1]:
                for m in _IGNORE_RE.finditer(lines[ln - 1]):
                    ignored.update(c.strip().upper() for c in (m.group(1) or "*").split(","))
        if "*" in ignored or d.code in ignored:
            continue
        kept.append(d)
    return kept


def analyze_source(text: str, path: str = "<string>", options: Optional[Options] = None) -> FileResult:
    """Analyse one file's text. Never raises for any input text: an internal error becomes an info
    diagnostic (with SHAPELENS_STRICT=1, as in our tests, it is raised instead so that tests catch it).

    The file is split into units (units.py), each analysed on its own and cached by its statements'
    text: after an edit only the edited unit is analysed again. Passing the same `path` on every call
    for one document also lets the split itself be incremental (source.split)."""
    options = options or Options()
    try:
        lines, chunks = split(text, path)
        result = FileResult(path)
        pending = []
        whole = path in units.WHOLE_FILES
        for unit in units.group(chunks, lines, whole):
            unit_chunks = [chunks[i] for i in unit]
            key, base = units.unit_key(unit_chunks, lines, options.default_torch_input)
            hit = units.cache_get(key, base)
            if hit is None:
                pending.append((unit_chunks, key, base))
            else:
                result.models.extend(hit[0])
                result.diagnostics.extend(hit[1])
        try:
            found_all = _analyze_units(pending, lines, path, options)
            if not whole and any(len(f) > 2 and f[2].get(REFLECTIVE) for f in found_all):
                _analyse_whole_from_now_on(path)
                return analyze_source(text, path, options)
        finally:
            drop_ast(chunks)
        for (unit_chunks, key, base), found in zip(pending, found_all):
            units.cache_put(key, base, found, unit_chunks)
            result.models.extend(found[0])
            result.diagnostics.extend(found[1])
    except RecursionError:
        return _failed(path, "the file is nested too deeply to analyse")
    except Exception as e:  # pragma: no cover - only reached through a bug
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        return _failed(path, f"internal error while analysing this file ({type(e).__name__}: {e}); "
                             f"please report it")
    result.models.sort(key=lambda r: (r.span.line, r.span.col))
    result.diagnostics += directives.unused_directives(text, result.models, result.diagnostics)
    result.diagnostics.sort(key=lambda d: (d.span.line, d.span.col))
    result.diagnostics = filter_ignored(result.diagnostics, lines)
    return result


REFLECTIVE = "<reflective>"   # interp.models.REFLECTIVE (not imported here: the interpreter loads lazily)


def _analyse_whole_from_now_on(path: str) -> None:
    """A unit reached the file's own module object: which statements it reads is not in the text, so the
    file is one unit from now on (units.WHOLE_FILES, bounded)."""
    units.WHOLE_FILES[path] = True
    if len(units.WHOLE_FILES) > 256:
        units.WHOLE_FILES.popitem(last=False)


PARALLEL_MIN_CHARS = 40_000   # below this much text to analyse, a fork costs more than it saves
PARALLEL_BATCHES = 64         # pieces the work is cut into, taken in turn by whichever process is free


def _analyze_units(pending: list, lines: list[str], path: str, options: Options) -> list:
    """(models, diagnostics) of each pending unit, in order. With options.parallel and enough work, a
    forked child works beside this process (both cores on a cold open): the units are cut into batches
    of about equal text, and each process takes the next batch whenever it is free (a fixed half each
    left one process idle for up to 100 ms on a 3,000-line file). Whatever the child does not bring
    back (it failed in any way), this process analyses itself."""
    def one(k: int) -> tuple:
        return _analyze_unit(pending[k][0], lines, path, options)

    every = range(len(pending))
    if not (options.parallel and hasattr(os, "fork") and len(pending) > 1):
        return [one(k) for k in every]
    sizes = [sum(len(c.text) for c in u[0]) for u in pending]
    if sum(sizes) < PARALLEL_MIN_CHARS:
        return [one(k) for k in every]
    batches = _batches(sizes, PARALLEL_BATCHES)
    queue = _claims(len(batches))
    if queue is None:
        return [one(k) for k in every]

    def work() -> dict:
        return {k: one(k) for b in _claimed(queue) for k in batches[b]}

    theirs = _fork(work)
    try:
        mine = work()
    finally:   # whatever happens here, the child is waited for (no zombie) and the queue closed
        found = theirs()
        os.close(queue)
    if isinstance(found, dict):
        mine.update((k, v) for k, v in found.items() if k not in mine and 0 <= k < len(pending))
    return [mine[k] if k in mine else one(k) for k in every]


def _batches(sizes: list, n: int) -> list:
    """Consecutive index ranges of about sum(sizes)/n each (a unit is never cut)."""
    target = max(1, sum(sizes) // n)
    batches, start, acc = [], 0, 0
    for k, size in enumerate(sizes):
        acc += size
        if acc >= target:
            batches.append(range(start, k + 1))
            start, acc = k + 1, 0
    if start < len(sizes):
        batches.append(range(start, len(sizes)))
    return batches


def _claims(n: int):
    """A pipe holding the numbers 0..n-1 (2 bytes each, n < 32,768), its write end closed: a work queue
    shared by forked processes, no lock needed (a 2-byte read from a pipe takes the next number
    whole, and no two readers get the same one). Returns its read end, or None."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        os.write(write_end, b"".join(b.to_bytes(2, "big") for b in range(n)))
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return read_end


def _claimed(queue: int):
    """The batch numbers this process takes from the queue, until it is empty."""
    while True:
        try:
            data = os.read(queue, 2)
        except OSError:
            return
        if len(data) < 2:
            return
        yield int.from_bytes(data, "big")


def _fork(work):
    """Run work() in a forked child; returns a function that waits for its pickled result (None when
    the child failed)."""
    import pickle

    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError:
        return lambda: None
    if pid == 0:  # the child: compute, send, leave without running any cleanup of the parent's
        status = 1
        try:
            os.close(read_end)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def wait():
        try:
            with os.fdopen(read_end, "rb") as inp:
                data = inp.read()
            _, status = os.waitpid(pid, 0)
            return pickle.loads(data) if status == 0 else None
        except Exception:
            return None
    return wait


def _analyze_unit(chunks: list[Chunk], lines: list[str], path: str, options: Options) -> tuple:
    try:
        from .interp.models import analyze_unit

        return analyze_unit(chunks, lines, path, options)
    except RecursionError:
        return [], [_unit_failed(chunks, "these statements are nested too deeply to analyse")]
    except Exception as e:  # pragma: no cover - only reached through a bug
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        # a warning, not an info: `--check` shows it without --show-info (a broken install analysed nothing
        # and said only "no models found")
        return [], [_unit_failed(chunks, f"internal error while analysing these statements "
                                         f"({type(e).__name__}: {e}); please report it", "warning")]


def _unit_failed(chunks: list[Chunk], message: str, severity: str = "info") -> Diagnostic:
    line = chunks[-1].start_line + 1
    return Diagnostic(Span(line, 1, line, 1), "SL001", severity, message)


def _failed(path: str, message: str) -> FileResult:
    result = FileResult(path)
    result.diagnostics.append(Diagnostic(Span(1, 1, 1, 1), "SL001", "info", message))
    return result


def clear_caches() -> None:
    """Forget parsed statements, remembered splits and unit results: the next analysis is cold."""
    from . import source

    source.clear_caches()
    units.clear_cache()
