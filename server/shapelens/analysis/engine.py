"""The analysis driver: analyze_source(text, path) -> FileResult.

The file is split into top-level statements (source.py), grouped into independent units (units.py), and
each unit is run by the interpreter (interp/models.py), cached by its statements' text so that an edit
re-runs only the unit it touches. A large cold file is shared between two processes (parallel=True).
"""
from __future__ import annotations

import os
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Optional

from . import directives, source, units
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
    for one document also lets the split itself be incremental (source.split), and the results of the
    units the edit did not touch are then taken over as they are (_after_edit)."""
    options = options or Options()
    try:
        lines, chunks = split(text, path)
        whole = path in units.WHOLE_FILES
        done = None if whole else _after_edit(path, chunks, lines, options)
        if done is None:
            done = _every_unit(path, chunks, lines, options, whole)
        if done is _RESTART:
            return analyze_source(text, path, options)
    except RecursionError:
        return _failed(path, "the file is nested too deeply to analyse")
    except Exception as e:  # pragma: no cover - only reached through a bug
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        return _failed(path, f"internal error while analysing this file ({type(e).__name__}: {e}); "
                             f"please report it")
    result = FileResult(path)
    result.models = list(done.models)   # the caller's own lists: _LAST keeps these
    result.diagnostics = list(done.diagnostics)
    unused = directives.unused_directives(text, result.models, result.diagnostics, done.taken.keys())
    if unused:
        result.diagnostics = sorted(result.diagnostics + unused, key=_position)
    result.diagnostics = filter_ignored(result.diagnostics, lines)
    return result


def _position(record) -> tuple:
    return record.span.line, record.span.col


@dataclass
class _Analysed:
    """What analyze_source found in one split of a file, per unit; the next edit of that file starts
    from it (_after_edit)."""
    serial: int                 # the split (source.split_state)
    default_input: Optional[tuple]
    signature: list             # units.signatures of its chunks
    units: list                 # units.group_signature's list
    found: list                 # (models, diagnostics) per unit
    checked: list               # units whose result read other files: looked up again every time
    models: list                # every unit's models, by position
    diagnostics: list           # every unit's diagnostics, by position
    slot: dict = field(default_factory=dict)   # id(model) -> its index in models (filled when first needed)
    taken: Counter = field(default_factory=Counter)   # the models' directive lines (directives.unused_directives)
    unit_of: dict = field(default_factory=dict)       # chunk index -> its units (filled when first needed)


_LAST: "OrderedDict[str, _Analysed]" = OrderedDict()
_LAST_KEPT = 16   # files whose last analysis is remembered (as source._SPLITS)
_RESTART = object()


def _every_unit(path: str, chunks: list[Chunk], lines: list[str], options: Options, whole: bool):
    """Every unit looked up in the unit cache, the others analysed."""
    signature = units.signatures(chunks, lines)
    groups = units.group_signature(signature, chunks, whole)
    try:
        found = _lookup(range(len(groups)), groups, chunks, lines, path, options, [None] * len(groups), whole)
    finally:
        drop_ast(chunks)
    if found is _RESTART:
        return _RESTART
    models = [m for f in found for m in f[0]]
    models.sort(key=_position)
    diagnostics = [d for f in found for d in f[1]]
    diagnostics.sort(key=_position)
    checked = [u for u, unit in enumerate(groups) if units.cache_deps(_key(unit, chunks, lines, options)[0])]
    done = _remember(path, options, signature, groups, found, checked, models, diagnostics)
    _count_directives(done.taken, models, 1)
    return done


def _key(unit: list, chunks: list[Chunk], lines: list[str], options: Options) -> tuple:
    return units.unit_key([chunks[i] for i in unit], lines, options.default_torch_input)


def _lookup(which, groups: list, chunks: list[Chunk], lines: list[str], path: str, options: Options,
            found: list, whole: bool = False, last: Optional[list] = None):
    """found[u] for each unit u in `which`: from the unit cache, or analysed (then cached). `last`: each
    unit's previous (models, diagnostics), whose records a new analysis reuses where equal (_reuse)."""
    pending = []
    for u in which:
        unit_chunks = [chunks[i] for i in groups[u]]
        key, base = units.unit_key(unit_chunks, lines, options.default_torch_input)
        hit = units.cache_get(key, base)
        if hit is None:
            pending.append((unit_chunks, key, base, u))
        else:
            found[u] = hit
    if pending:
        results = _analyze_units(pending, lines, path, options)
        if not whole and any(len(f) > 2 and f[2].get(REFLECTIVE) for f in results):
            _analyse_whole_from_now_on(path)
            return _RESTART
        for (unit_chunks, key, base, u), f in zip(pending, results):
            if last is not None:
                _reuse(last[u][0], f[0])
            units.cache_put(key, base, f, unit_chunks)
            found[u] = (f[0], f[1])
    return found


def _after_edit(path: str, chunks: list[Chunk], lines: list[str], options: Options):
    """The analysis of an edited text from the last one of the same file, or None when that does not
    apply (first analysis, lines moved, other statements, other settings). Only the units holding an
    edited statement, and those that read other files, are looked up: after a keystroke in a
    3,000-line file the other 300 units are not touched at all (each one touched was a lookup, a key
    hashed and, in the server's mostly idle child, a cache miss). The result is the one _every_unit
    would give: the same records, in the same order (tests/test_incremental.py)."""
    last = _LAST.get(path)
    state = source.split_state(path)
    if last is None or state is None or last.default_input != options.default_torch_input:
        return None
    if state.serial == last.serial:
        first, n = 0, 0
    else:
        since = state.since
        if since is None or since[0] != last.serial or since[4] or since[3] != since[2] - since[1] + 1:
            return None
        first, n = since[1], since[3]
    signature = last.signature[:first] + units.signatures(chunks[first:first + n], lines) + \
        last.signature[first + n:]
    groups = units.group_signature(signature, chunks)
    if groups is not last.units:
        return None
    if not last.unit_of:   # chunk index -> the units holding it (kept while the units stay the same)
        for u, unit in enumerate(groups):
            for i in unit:
                last.unit_of.setdefault(i, []).append(u)
    changed = sorted({u for i in range(first, first + n) for u in last.unit_of.get(i, ())} | set(last.checked))
    try:
        found = _lookup(changed, groups, chunks, lines, path, options, list(last.found), last=last.found)
    finally:
        drop_ast(chunks[first:first + n])   # only these statements are new: the others' went before
    if found is _RESTART:
        return _RESTART
    models = _models_after(last, found, changed)
    if models is None:
        models = [m for f in found for m in f[0]]
        models.sort(key=_position)
        slot: dict = {}
        taken: Counter = Counter()
        _count_directives(taken, models, 1)
    else:
        slot = last.slot
        taken = last.taken.copy()
        for u in changed:
            if found[u][0] is not last.found[u][0]:
                _count_directives(taken, last.found[u][0], -1)
                _count_directives(taken, found[u][0], 1)
    diagnostics = last.diagnostics
    if any(found[u][1] is not last.found[u][1] and (found[u][1] or last.found[u][1]) for u in changed):
        diagnostics = [d for f in found for d in f[1]]
        diagnostics.sort(key=_position)
    # (changed holds every unit of last.checked: each is looked up again, and kept if it still reads a file)
    checked = [u for u in changed if units.cache_deps(_key(groups[u], chunks, lines, options)[0])]
    done = _remember(path, options, signature, groups, found, checked, models, diagnostics)
    done.slot = slot
    done.taken = taken
    done.unit_of = last.unit_of
    return done


def _reuse(old_models: list, new_models: list) -> None:
    """Put the previous analysis's very record in place of each new layer, block and step record equal
    to it (same model, same index), in the fresh records of a unit analysed again after a keystroke:
    a number changed in one layer changes that layer and the shapes after it, not the rest. Records
    are never changed once returned, so an equal one is as good as the new; the server's child then
    sends the model as the few records that differ (lspfeatures/worker.py), and the server builds only
    those (a 15-layer model was some 300 objects to pickle and unpickle per keystroke)."""
    if len(old_models) != len(new_models):
        return
    for old, new in zip(old_models, new_models):
        if type(old) is not type(new) or old.name != new.name:
            continue
        for field_name in ("layers", "blocks", "steps"):
            was, now = getattr(old, field_name), getattr(new, field_name)
            if len(was) == len(now):
                for k, (a, b) in enumerate(zip(was, now)):
                    if a is not b and a == b:
                        now[k] = a


def _count_directives(taken: Counter, models: list, step: int) -> None:
    """Add (step 1) or take away (step -1) the models' directive lines in `taken`, dropping lines no model
    takes any more."""
    for m in models:
        if m.directive_line:
            left = taken[m.directive_line] + step
            if left > 0:
                taken[m.directive_line] = left
            else:
                del taken[m.directive_line]


def _models_after(last: _Analysed, found: list, changed: list) -> Optional[list]:
    """last.models with the changed units' models put in place of their old ones, when each new one has
    the position of the old one it replaces (a keystroke inside a statement); else None."""
    models = None
    slot = last.slot
    for u in changed:
        old, new = last.found[u][0], found[u][0]
        if new is old:
            continue
        if len(new) != len(old) or any(_position(a) != _position(b) for a, b in zip(old, new)):
            return None
        if models is None:
            models = list(last.models)
            if not slot:
                slot.update((id(m), k) for k, m in enumerate(last.models))
        for a, b in zip(old, new):
            k = slot.pop(id(a))
            models[k] = b
            slot[id(b)] = k
    return last.models if models is None else models


def _remember(path: str, options: Options, signature: list, groups: list, found: list, checked: list,
              models: list, diagnostics: list) -> _Analysed:
    state = source.split_state(path)
    done = _Analysed(state.serial if state is not None else -1, options.default_torch_input, signature,
                     groups, found, checked, models, diagnostics)
    if state is not None:
        _LAST[path] = done
        _LAST.move_to_end(path)
        while len(_LAST) > _LAST_KEPT:
            _LAST.popitem(last=False)
    return done


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


def forget_file(path: str) -> None:
    """Drop what is remembered of one file's last analysis and split (a closed document); the unit
    cache keeps its results (an identical text elsewhere may still use them) until it evicts them."""
    _LAST.pop(path, None)
    source.forget_split(path)


def clear_caches() -> None:
    """Forget parsed statements, remembered splits and unit results: the next analysis is cold."""
    source.clear_caches()
    units.clear_cache()
    _LAST.clear()
