"""Independent groups of statements ("units"), so that an edit re-analyses only the group it touches.

The analysis walks a file statement by statement; what one top-level statement contributes depends
only on the names it reads. So the file's statements are grouped: two statements that can influence
each other through a name (one binds or changes it, the other mentions it) are in the same unit.
Imports and plain constants (`N = 10`, `SIZE = (3, 32, 32)`: no call, no mutable value) do not join
the statements that read them: they are copied into every unit that mentions them. Each unit is then
analysed on its own (engine.analyze_unit) and its records are cached by the unit's key: the texts of
its statements, the line just above each (a `# shapelens: input=` directive may sit there) and their
positions relative to the unit's first statement. An edit changes one statement, hence one unit's
key; every other unit is a cache hit, moved as a whole when lines were added or removed above it.

Names come from `symtable` (CPython's own scoping, in C): a statement mentions every name of its
module-level symbol table plus every global name used inside its functions and classes; it binds the
module-level names it assigns or imports. A statement `symtable` rejects falls back to every
identifier in its text, mentioned and bound (over-grouping is only slower, never wrong).
"""
from __future__ import annotations

import ast
import os
import re
import symtable
import warnings
from collections import OrderedDict, deque
from dataclasses import dataclass, replace
from typing import Optional

from .directives import DIRECTIVE_RE   # the directive the analysis reads: its names are reads
from .records import Span
from .source import Chunk

_IDENT = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class Names:
    binds: frozenset    # module-level names it assigns, imports or defines
    reads: frozenset    # module-level names whose value it uses (also inside its functions/classes)
    pure: bool          # only imports and constant assignments: never joins the units reading it
    star: bool = False  # `from m import *`: every unit gets it (what it binds is unknown)


_NAMES: "OrderedDict[str, Names]" = OrderedDict()
_NAMES_SIZE = 8192


def names_of(text: str, statements: Optional[list] = None) -> Optional[Names]:
    """The statement's names; None when `ast` cannot parse it (see _signature). `statements`: its ast
    statements when the caller has them (the split parsed the whole file), else it is parsed here."""
    hit = _NAMES.get(text, _NAMES)
    if hit is _NAMES:
        # A statement that parses has the names of any other that parses and differs only in the values
        # of its number literals (a keystroke changing a layer's size): symtable, which compiles the
        # statement again, is spared then (0.1-0.2 ms of such a keystroke in the server's child).
        shape = _NUMBER.sub("0", text) if statements is not None else None
        hit = _BY_SHAPE.get(shape, _NAMES) if shape is not None else _NAMES
        if hit is _NAMES:
            hit = _names(text, statements)
            if shape is not None:
                _BY_SHAPE[shape] = hit
                if len(_BY_SHAPE) > _NAMES_SIZE:
                    _BY_SHAPE.popitem(last=False)
        _NAMES[text] = hit
        if len(_NAMES) > _NAMES_SIZE:
            _NAMES.popitem(last=False)
    return hit  # type: ignore[return-value]


# a number literal's digits (not those inside a name such as `conv1`, nor `0x1F` or `1e5`, left as they are)
_NUMBER = re.compile(r"\b\d[\d_]*\b")
_BY_SHAPE: "OrderedDict[str, Names]" = OrderedDict()   # names_of by text with every number made 0


def _every_identifier(text: str) -> Names:
    every = frozenset(_IDENT.findall(text))
    return Names(every, every, False)


def _names(text: str, statements: Optional[list] = None) -> Optional[Names]:
    if statements is None:
        try:
            with warnings.catch_warnings():  # "invalid escape sequence" and the like: not ours to print
                warnings.simplefilter("ignore")
                statements = ast.parse(text).body
        except (SyntaxError, ValueError, MemoryError, RecursionError, TypeError):
            return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = symtable.symtable(text, "<statement>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError, TypeError):
        return _every_identifier(text)
    binds: set = set()
    reads: set = set()
    _collect(table, binds, reads, top=True)
    star = "import" in text and _star_import(statements)
    pure = all(_pure_statement(s) for s in statements)
    return Names(frozenset(binds), frozenset(reads | _directive_names(text)), pure, star)


def _star_import(statements: list) -> bool:
    """`from m import *` (only legal at module level, so only in statement bodies, never in functions)."""
    for s in statements:
        if isinstance(s, ast.ImportFrom) and any(a.name == "*" for a in s.names):
            return True
        if isinstance(s, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            bodies = [s.body, getattr(s, "orelse", []), getattr(s, "finalbody", [])]
            bodies += [h.body for h in getattr(s, "handlers", [])]
            if any(_star_import(b) for b in bodies):
                return True
    return False


def _collect(table, binds: set, reads: set, top: bool) -> None:
    for sym in table.get_symbols():
        name = sym.get_name()
        if top:
            if sym.is_referenced():
                reads.add(name)
            if sym.is_assigned() or sym.is_imported():
                binds.add(name)
        elif sym.is_global():
            if sym.is_referenced():
                reads.add(name)
            if sym.is_declared_global() and sym.is_assigned():
                binds.add(name)
    for child in table.get_children():
        _collect(child, binds, reads, top=False)


def _directive_names(text: str) -> set:
    """Names in `# shapelens: input=(N, C, IMG, IMG)` comments: the directive evaluates them."""
    if "shapelens" not in text:
        return set()
    return {name for m in DIRECTIVE_RE.finditer(text) for name in _IDENT.findall(m.group(1))}


_CONSTANT_NODES = (ast.Constant, ast.Name, ast.Tuple, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare,
                   ast.IfExp, ast.Attribute, ast.Subscript, ast.Slice, ast.JoinedStr, ast.FormattedValue,
                   ast.Load, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


def _pure_statement(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
        return True
    if isinstance(stmt, ast.Try):  # try: import torch / except ImportError: torch = None
        blocks = [stmt.body, stmt.orelse, stmt.finalbody] + [h.body for h in stmt.handlers]
        return all(_pure_statement(s) for b in blocks for s in b)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):  # a docstring
        return True
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return False
    if not all(_plain_target(t) for t in targets):
        return False
    return all(isinstance(n, _CONSTANT_NODES) for n in ast.walk(value))


def _plain_target(t: ast.expr) -> bool:
    if isinstance(t, ast.Name):
        return True
    return isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts)


# Paths of files whose code reached their own module object at run time (timm's register_model reads
# `sys.modules[fn.__module__]`): analysed as one unit from then on (engine.analyze_source).
WHOLE_FILES: "OrderedDict[str, bool]" = OrderedDict()


def group(chunks: list[Chunk], lines: list[str], whole: bool = False) -> list[list[int]]:
    """The units of a file: lists of chunk indices in file order. Chunks that did not parse are in no
    unit (the walk skips them anyway). Statements are joined through a name only when one of them
    reads it: two statements that merely assign `_` do not influence each other. `whole`: one unit."""
    return group_signature(signatures(chunks, lines), chunks, whole)


def signatures(chunks: list[Chunk], lines: list[str]) -> list:
    """What grouping reads of each statement (its Names, or None for one the walk skips), remembered on
    the statement object (an unchanged one keeps its text and the line above)."""
    signature = [c.__dict__.get("names_signature", _NAMES) for c in chunks]
    for i, names in enumerate(signature):
        if names is _NAMES:   # a new statement object
            names = signature[i] = chunks[i].names_signature = _signature(chunks[i], lines)
    return signature


def group_signature(signature: list, chunks: list[Chunk], whole: bool = False) -> list[list[int]]:
    """group() from the statements' signatures: the very same list object as before when no statement
    changed what it binds or reads."""
    if whole:
        return [[i for i, n in enumerate(signature) if n is not None]]
    for old_signature, old_units in _GROUPS:
        if old_signature == signature:  # an edit inside a statement rarely changes what it binds or reads
            return old_units
    if any(_SELF_ALIAS.search(c.text) for c in chunks if "__name__" in c.text):
        units = [[i for i, n in enumerate(signature) if n is not None]]
    else:
        units = _group(signature)
    _GROUPS.append((signature, units))
    return units


_GROUPS: "deque[tuple[list, list]]" = deque(maxlen=8)


# `d2l = sys.modules[__name__]`: the module reaches its own names through an alias (`d2l.Classifier`), so
# which statement reads which name is no longer in the text: such a file is one unit.
_SELF_ALIAS = re.compile(r"sys\.modules\s*\[\s*__name__\s*\]")


def _signature(chunk: Chunk, lines: list[str]) -> Optional[Names]:
    """What grouping needs of a statement: its names, or None for a statement the walk will skip. A
    statement `ast` rejects is parsed with libcst only then (rare: half-typed code); if libcst takes it,
    every identifier in it counts as read and bound."""
    parsed = chunk.__dict__.get("ast_statements")   # (statements, first line) from the split's parse
    names = names_of(chunk.text, parsed[0] if parsed else None)
    if names is None:
        if chunk.module is None:
            return None
        names = _every_identifier(chunk.text)
    if chunk.start_line > 0 and "shapelens" in lines[chunk.start_line - 1]:
        names = _with_directive_above(names, chunk, lines)
    return names


def _group(signature: list) -> list[list[int]]:
    live = [i for i, n in enumerate(signature) if n is not None]
    names = {i: signature[i] for i in live}
    pure = {i for i in live if names[i].pure}
    # A constant computed from a non-constant name is not a constant: repeat until nothing changes.
    while True:
        impure_names = set()
        for i in live:
            if i not in pure:
                impure_names |= names[i].binds
        demoted = {i for i in pure if names[i].reads & impure_names}
        if not demoted:
            break
        pure -= demoted
    parent = {i: i for i in live if i not in pure}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    readers: dict = {}
    binders: dict = {}
    for i in parent:
        for name in names[i].reads & impure_names:
            readers.setdefault(name, []).append(i)
        for name in names[i].binds:
            binders.setdefault(name, []).append(i)
    for name, joined in readers.items():
        first = find(joined[0])
        for i in joined[1:] + binders.get(name, []):
            other = find(i)
            if other != first:
                parent[max(first, other)] = min(first, other)
                first = min(first, other)
    members: dict = {}
    for i in parent:
        members.setdefault(find(i), []).append(i)
    pure_binders: dict = {}
    stars = [i for i in pure if names[i].star]
    for i in pure:
        for name in names[i].binds:
            pure_binders.setdefault(name, []).append(i)
    units = []
    for root in sorted(members):
        unit = set(members[root]) | set(stars)
        todo = list(unit)
        while todo:  # the constants the unit reads, and the constants those read
            for name in names[todo.pop()].reads:
                for k in pure_binders.get(name, ()):
                    if k not in unit:
                        unit.add(k)
                        todo.append(k)
        units.append(sorted(unit))
    return units


def _with_directive_above(names: Names, chunk: Chunk, lines: list[str]) -> Names:
    """A directive on the line just above a statement belongs to it."""
    extra = _directive_names(lines[chunk.start_line - 1])
    if not extra or extra <= names.reads:
        return names
    return replace(names, reads=names.reads | extra)


# ---------------------------------------------------------------------- the cache of unit results

@dataclass
class _Entry:
    base: int            # 0-based line of the unit's first non-constant statement when analysed
    models: list
    diagnostics: list
    lines: Optional[list]   # (first, last) 1-based lines of its non-constant statements when analysed
    movable: Optional[bool] = None   # every position is in those lines and no text names a line (worked
                                     # out on the first move: on a cold open it would cost ~10 ms)
    deps: Optional[dict] = None      # other files the unit read (path -> (mtime_ns, size)): a change misses


_RESULTS: "OrderedDict[tuple, _Entry]" = OrderedDict()
_RESULTS_SIZE = 2048   # units; a 3,000-line file has ~300


def unit_key(chunks: list[Chunk], lines: list[str], default_input) -> tuple[tuple, int]:
    """The key of a unit's result, and its base line. Constants enter by text only (moving them does not
    move any result); other statements by text, the line above (directives) and position relative to
    the base, so that a unit moved as a whole by an edit above it is still a hit. Remembered on the
    unit's last chunk (the first is often a shared import): the same chunk objects (an edit elsewhere) have the same key."""
    # The memo holds the unit's other chunks, not the last one itself: a chunk referring to itself would
    # be a cycle, and its parse tree would then wait for a full garbage collection to be freed.
    others = tuple(chunks[:-1])
    memo = getattr(chunks[-1], "_unit_key", None)
    if memo is not None and memo[0] == default_input and memo[1] == others:  # identity: no __eq__
        return memo[2], memo[3]
    moving = [c for c in chunks if not _pure(c)]
    base = (moving or chunks)[0].start_line
    parts = []
    for c in chunks:
        if _pure(c):
            parts.append(c.text)
        else:
            above = lines[c.start_line - 1] if 0 < c.start_line <= len(lines) else ""
            parts.append((c.text, above if "shapelens" in above else "", c.start_line - base))
    key = (repr(default_input), tuple(parts))
    chunks[-1]._unit_key = (default_input, others, key, base)  # type: ignore[attr-defined]
    return key, base


def _pure(chunk: Chunk) -> bool:
    names = names_of(chunk.text)
    return names is not None and names.pure


def cache_get(key: tuple, base: int) -> Optional[tuple]:
    entry = _RESULTS.get(key)
    if entry is None:
        return None
    if entry.deps and not _deps_unchanged(entry.deps):
        del _RESULTS[key]
        return None
    _RESULTS.move_to_end(key)
    if entry.base != base:
        if entry.movable is None:
            entry.movable = _movable(entry.models, entry.diagnostics, entry.lines)
            entry.lines = None
        if not entry.movable:
            return None
        delta = base - entry.base
        entry.models = [_moved_model(m, delta) for m in entry.models]
        entry.diagnostics = [_moved_diagnostic(d, delta) for d in entry.diagnostics]
        entry.base = base
    return entry.models, entry.diagnostics


def _deps_unchanged(deps: dict) -> bool:
    for path, stamp in deps.items():
        if path.startswith("<"):   # a marker (interp.models.REFLECTIVE), not a file
            continue
        try:
            st = os.stat(path)
        except OSError:
            return False
        if (st.st_mtime_ns, st.st_size) != stamp:
            return False
    return True


def cache_put(key: tuple, base: int, found: tuple, chunks: list[Chunk]) -> None:
    models, diagnostics = found[0], found[1]
    deps = found[2] if len(found) > 2 else None
    lines = [(c.start_line + 1, c.start_line + c.text.count("\n")) for c in chunks if not _pure(c)]
    _RESULTS[key] = _Entry(base, models, diagnostics, lines, deps=deps or None)
    if len(_RESULTS) > _RESULTS_SIZE:
        _RESULTS.popitem(last=False)


def cache_deps(key: tuple) -> bool:
    """Did the cached result of this unit read other files (so each use must check them again)?"""
    entry = _RESULTS.get(key)
    return entry is not None and bool(entry.deps)


def clear_cache() -> None:
    _RESULTS.clear()
    _NAMES.clear()
    _BY_SHAPE.clear()
    _GROUPS.clear()


# "line 44" in a text names a line of this file, "line 44 of `timm.models.levit`" one of another (never moves)
_LINE_IN_TEXT = re.compile(r"\bline (\d+)\b(?! of `)")
_LINE_NAME = re.compile(r"^(Sequential|Model) at line (\d+)$")


def _movable(models: list, diagnostics: list, ranges: list) -> bool:
    lines = set()
    for first, last in ranges:
        lines.update(range(first, last + 1))
    spans, texts = [], []
    for m in models:
        spans += [m.span, m.name_span] + [l.span for l in m.layers + m.blocks] + [s.span for s in m.steps]
        texts += [m.input_source, m.input_reason] + [s.text for s in m.steps]
        for l in m.layers + m.blocks:
            texts += [l.name, l.type] + [t for _, t in l.formulas] + list(l.unknown_reasons)
        for s in m.steps:
            texts += s.unknown_reasons
    for d in diagnostics:
        spans += [d.span] + [s for s, _ in d.related]
        texts += [d.message] + [t for _, t in d.related]
    if any(s is not None and (s.line not in lines or s.end_line not in lines) for s in spans):
        return False
    # a text naming a line of the unit moves with it (where a "?" began, issue #18); one naming another
    # unit's line does not
    return all(int(n) in lines for t in texts if isinstance(t, str) and "line " in t
               for n in _LINE_IN_TEXT.findall(t))


def _shifted(text, delta: int):
    """A text's lines of this file moved by delta (a movable unit names only its own)."""
    if not isinstance(text, str) or "line " not in text:
        return text
    return _LINE_IN_TEXT.sub(lambda m: f"line {int(m.group(1)) + delta}", text)


def _shifted_texts(texts: list, delta: int) -> list:
    """The same list when no text names a line (the worker sends an unchanged object as a number)."""
    if not any("line " in t for t in texts if isinstance(t, str)):
        return texts
    return [_shifted(t, delta) for t in texts]


def _shifted_formulas(formulas: list, delta: int) -> list:
    if not any("line " in t for _, t in formulas if isinstance(t, str)):
        return formulas
    return [(w, _shifted(t, delta)) for w, t in formulas]


def _moved_row(r, delta: int):
    return _copy(r, span=_moved(r.span, delta), unknown_reasons=_shifted_texts(r.unknown_reasons, delta),
                 formulas=_shifted_formulas(r.formulas, delta))


def _moved(span, delta: int):
    if span is None:
        return None
    return Span(span.line + delta, span.col, span.end_line + delta, span.end_col)


def _copy(obj, **changes):
    """A shallow copy with some fields changed (dataclasses.replace re-runs __init__: 5x slower)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


def _moved_model(m, delta: int):
    name = m.name
    match = _LINE_NAME.match(name) if isinstance(name, str) else None
    if match:
        name = f"{match.group(1)} at line {int(match.group(2)) + delta}"
    line = m.directive_line + delta if m.directive_line else m.directive_line
    return _copy(m, name=name, span=_moved(m.span, delta), name_span=_moved(m.name_span, delta),
                 directive_line=line, input_source=_shifted(m.input_source, delta),
                 input_reason=_shifted(m.input_reason, delta),
                 layers=[_moved_row(l, delta) for l in m.layers],
                 blocks=[_moved_row(b, delta) for b in m.blocks],
                 steps=[_copy(s, span=_moved(s.span, delta), text=_shifted(s.text, delta),
                              unknown_reasons=_shifted_texts(s.unknown_reasons, delta)) for s in m.steps])


def _moved_diagnostic(d, delta: int):
    return _copy(d, span=_moved(d.span, delta), message=_shifted(d.message, delta),
                 related=[(_moved(s, delta), _shifted(t, delta)) for s, t in d.related] if d.related else d.related)
