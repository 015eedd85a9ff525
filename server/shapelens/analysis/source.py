"""Split a file into top-level statements and parse each one with libcst, cached by its text.

Why per statement: an editor's file is usually half-typed somewhere. Parsing statement by statement
keeps every intact model analysable while one statement is broken, and lets an edit re-parse only the
statement it touched (libcst is ~15x slower than `ast`). Positions are computed lazily, only for
statements that hold a model, and shifted by the statement's first line.

Bounded cost: a statement larger than MAX_STATEMENT_CHARS or nested deeper than MAX_DEPTH (brackets and
operator chains both count: libcst's native parser recurses on each, slows down quadratically and
overflows the C stack past a few thousand levels) is *refused*: it is never parsed, never analysed, and
`statement_diagnostics` reports it as SL001 with the limit. A line longer than MAX_STATEMENT_CHARS is
found before any parse, so a 5 MB one-line list costs a few C-speed passes over the text, not seconds
of `ast.parse`; the rest of the file is split and analysed as usual.
"""
from __future__ import annotations

import ast
import io
import re
import warnings
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import compress, count
from operator import itemgetter, ne
from typing import Iterable, Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .positions import fast_positions
from .records import Diagnostic, Span


class Chunk:
    """One top-level statement: its text and first line; parsed with libcst the first time its module
    is asked for (a statement no model depends on is never parsed)."""

    # A refused chunk (over a limit: `refused` says which) is in no unit: units.group reads its
    # names_signature, set to None here, and never parses it. Whoever analyses chunks skips it.
    refused: Optional[str] = None
    syntax_ok: Optional[bool] = None   # True: Python's parser took it (the split's whole-file parse)

    def __init__(self, start_line: int, text: str, parsed: Optional[tuple] = None,
                 positions: Optional[dict] = None, complete: bool = False, refused: Optional[str] = None) -> None:
        self.start_line = start_line     # 0-based line of the statement's first line in the file
        self.text = text
        self._parsed = parsed            # (module or None, error or None), once parsed
        self._positions = positions      # node -> CodeRange, relative to the statement
        self._complete = complete        # _positions has every node (PositionProvider's), not the fast subset
        if refused is not None:
            self.refused = refused
            self._parsed = (None, refused)
            self.names_signature = None

    def __repr__(self) -> str:
        return f"Chunk(line {self.start_line + 1}, {self.text[:30]!r})"

    @property
    def module(self) -> Optional[cst.Module]:
        if self._parsed is None:
            self._parsed = _parse_cached(self.text)[:2]
        return self._parsed[0]

    @property
    def error(self) -> Optional[str]:
        self.module  # noqa: B018 - parses on first use
        return self._parsed[1]  # type: ignore[index]

    def moved(self, delta: int) -> "Chunk":
        moved = Chunk(self.start_line + delta, self.text, self._parsed, self._positions, self._complete, self.refused)
        moved.syntax_ok = self.syntax_ok
        return moved

    def span(self, node: cst.CSTNode) -> Span:
        if self._positions is None:
            self._positions, self._complete = _positions_for(self)
        r = self._positions.get(node)
        if r is None and not self._complete:  # left out by the fast path: PositionProvider's, once
            self._positions, self._complete = _positions_for(self, complete=True)
            r = self._positions.get(node)
        if r is None:  # a node built by us, not parsed: fall back to the chunk start
            return Span(self.start_line + 1, 1, self.start_line + 1, 1)
        return Span(r.start.line + self.start_line, r.start.column + 1, r.end.line + self.start_line, r.end.column + 1)


_CACHE: "OrderedDict[str, tuple]" = OrderedDict()
_CACHE_SIZE = 1024  # ~27 KB a statement: bounds the server's memory (unit results outlive it)


# Limits on one top-level statement. libcst's native parser recurses once per bracket and once per link
# of an operator chain (`a + b + …`, `x.f().g()…`, `x[0][0]…`, `- - a`): past ~3,000 levels it overflows
# the C stack (a segfault no `except` catches), and its time grows about quadratically well before
# (1,000 `+` terms 0.15 s, 3,000 2 s; 1,000 `.f()` 1.3 s). CPython's own parser stops at 200 brackets.
MAX_DEPTH = 300                 # nesting as _depth counts it: a bracket 2 (150 brackets, as before), a chain link 1
# libcst needs about 1-2 MB per KB of statement (a 100 KB nn.Sequential: 0.2 GB, 3.5 s); no model
# definition comes near it. A 5 MB one-line list would take 6 GB.
MAX_STATEMENT_CHARS = 100_000
# Above this the file is not analysed at all (after the refused statements are cut out): Python's own
# `ast` needs ~0.3-2.4 s and ~0.2 GB per MB to split it.
MAX_FILE_CHARS = 4_000_000

# The tokens that matter for nesting; everything else (names, spaces) is skipped by the regex engine in C.
# Strings, comments and numbers are matched only so that the brackets and dots inside them are not counted.
_DEPTH_TOKENS = re.compile(r'''
    (?P<str>[rRbBuUfF]{0,2}(?:"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)|\'\'\'(?:[^'\\]|\\.|'(?!''))*(?:\'\'\'|\Z)
                          |"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?))
  | (?P<skip>\#[^\n]*|\\\r?\n|\d[\w.]*(?:[eE][-+]\d\w*)?|\.\d\w*)
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<sep>[,;])
  | (?P<newline>\n)
  | (?P<link>[-+*/%@&|^~<>.]|\b(?:and|or|not|if|else|lambda|await|in|is)\b)
''', re.VERBOSE | re.DOTALL)

# a cheap upper bound of _depth: every character that could open a level or add a link
_DEPTH_CHARS = "([{+-*/%@&|^~<>."
_DEPTH_WORDS = ("and ", "or ", "not ", "if ", "else", "lambda", "await", "in ", "is ")


def _depth(text: str) -> int:
    """How deep libcst would nest the statement, estimated from its tokens: each open bracket adds 2,
    each operator, dot or keyword operator since the last comma of the same bracket adds 1 (`a + b + c`
    is a chain of 2 links nested in each other; `[a + b, c + d]` two chains of 1), and a bracket right
    after a closing one (`f()()`, `x[0][0]`) is a link too. Over-counting only refuses a statement a
    little early; it never lets a deeper one through."""
    stack: list = []
    base = links = deepest = 0
    after_close = False
    for m in _DEPTH_TOKENS.finditer(text):
        kind = m.lastgroup
        if kind == "link":
            links += 1
            if base + links > deepest:
                deepest = base + links
        elif kind == "open":
            if after_close:
                links += 1
            stack.append((base, links))
            base += links + 2
            links = 0
            if base > deepest:
                deepest = base
        elif kind == "close":
            if stack:
                base, links = stack.pop()
        elif kind == "sep" or (kind == "newline" and not stack):
            links = 0
        after_close = kind == "close"
    return deepest


def _could_be_deep(text: str) -> bool:
    """False when even counting every bracket twice and every operator character once stays within
    MAX_DEPTH (almost every statement: then the token scan is skipped)."""
    if len(text) * 2 <= MAX_DEPTH:
        return False
    total = text.count("(") + text.count("[") + text.count("{")
    for ch in _DEPTH_CHARS:
        total += text.count(ch)
    for word in _DEPTH_WORDS:
        total += text.count(word)
    return total > MAX_DEPTH


def refusal(text: str) -> Optional[str]:
    """Why a statement is over a limit and will not be parsed or analysed, or None."""
    if len(text) > MAX_STATEMENT_CHARS:
        return f"not analysed: a statement of {len(text):,} characters (the limit is {MAX_STATEMENT_CHARS:,})"
    if _could_be_deep(text):
        depth = _depth(text)
        if depth > MAX_DEPTH:
            return (f"not analysed: a statement nested {depth:,} levels deep (the limit is {MAX_DEPTH}; a bracket "
                    f"counts 2, each link of an operator chain such as `a + b + …` 1)")
    return None


def _parse_cached(text: str) -> tuple:
    hit = _CACHE.get(text)
    if hit is not None:
        _CACHE.move_to_end(text)
        return hit
    why = refusal(text)   # also here: a chunk made outside split() never reaches libcst unchecked
    if why is not None:
        result = (None, why, {})
        _CACHE[text] = result
        return result
    try:
        result = (cst.parse_module(text), None, {})
    except cst.ParserSyntaxError as e:
        result = (None, f"syntax error at line {e.raw_line}: {e.message}", {})
    except Exception as e:  # libcst raises a few other errors on odd input (e.g. null bytes)
        result = (None, f"cannot parse: {type(e).__name__}", {})
    _CACHE[text] = result
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def _positions_for(chunk: Chunk, complete: bool = False) -> tuple[dict, bool]:
    """(positions, complete). Positions come from `ast` (positions.py: ~5x cheaper than libcst's
    PositionProvider, identical ranges) unless that fast path cannot vouch for them or a node it left
    out is asked for (complete=True): then from PositionProvider. Both are kept with the parse."""
    hit = _CACHE.get(chunk.text)
    # The cache's positions are for the cache's module; a chunk may hold an older parse of its text
    # (the entry was evicted and parsed again since): positions key on node identity, so not shared then.
    store = hit[2] if hit is not None and hit[0] is chunk.module else {}
    if "all" in store:
        return store["all"], True
    if not complete and "fast" in store:
        return store["fast"], False
    if chunk.module is None:
        return {}, True
    parsed = chunk.__dict__.pop("ast_statements", None)   # (statements, first line) from the split's parse
    positions = None if complete else fast_positions(chunk.module, chunk.text, *(parsed or ()))
    done = positions is None
    if done:
        positions = dict(MetadataWrapper(chunk.module, unsafe_skip_copy=True).resolve(PositionProvider))
    store["all" if done else "fast"] = positions
    return positions, done


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them: only \\r\\n, \\r and \\n end a line (str.splitlines would also split at
    form feeds and U+2028, which ast and libcst do not). str.splitlines is used when the text has none of
    those other breaks (about 3x faster than the StringIO way)."""
    if not any(c in text for c in _OTHER_BREAKS):   # one fast search each (a regex class is 10x slower)
        return text.splitlines(keepends=True)
    return io.StringIO(text, newline="").readlines()


# what str.splitlines also ends a line at, besides \r and \n
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def _ast_ranges(text: str) -> Optional[list[tuple[int, int]]]:
    """The statements' line ranges from `ast`, or None when the text does not parse."""
    found = _ast_statements(text)
    return None if found is None else [(first, last) for first, last, _ in found]


def _ast_statements(text: str) -> Optional[list[tuple[int, int, list]]]:
    """(first, last+1, ast statements) per top-level statement range, or None when the text does not
    parse. The statements spare units.py a second parse of each statement."""
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal" on half-typed code: not ours to print
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    found: list[tuple[int, int, list]] = []
    for stmt in tree.body:
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])]) - 1
        last = stmt.end_lineno or stmt.lineno
        if found and first < found[-1][1]:  # two statements on one line: `a = 1; b = 2`
            found[-1] = (found[-1][0], max(last, found[-1][1]), found[-1][2] + [stmt])
        else:
            found.append((first, last, [stmt]))
    return found


_CONTINUATION_KEYWORDS = ("else", "elif", "except", "finally", "case")


def _scan_ranges(lines: list[str]) -> tuple[list[tuple[int, int]], bool]:
    """For text that does not parse: a statement starts at each column-0 line outside brackets and
    strings (a decorated def starts at its first decorator). Crude but robust: a broken statement
    only spoils its own range. Also returns whether the scan ended in a clean state (not inside a
    string, a backslash continuation or after a decorator), i.e. whether a column-0 line after these
    lines would start a statement."""
    starts: list[int] = []
    depth = 0
    in_string: Optional[str] = None
    continued = False
    after_decorator = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        first_word = stripped.split()[0].rstrip(":") if stripped else ""
        # Column 0 outside a string starts a statement even inside open brackets: in an editor an
        # unclosed bracket is a half-typed line, and must not swallow the rest of the file.
        at_top = in_string is None and not continued
        if (at_top and line[:1] not in ("", " ", "\t", "#", "\r", "\n")
                and not stripped.startswith((")", "]", "}"))
                and first_word not in _CONTINUATION_KEYWORDS):
            if not after_decorator:
                starts.append(i)
            depth = 0
            after_decorator = stripped.startswith("@")
        depth, in_string = _scan_line(line, depth, in_string)
        continued = line.rstrip("\r\n").endswith("\\")
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ranges = [(s, starts[k + 1] if k + 1 < len(starts) else len(lines)) for k, s in enumerate(starts)]
    return ranges, in_string is None and not continued and not after_decorator


def _scan_line(line: str, depth: int, in_string: Optional[str]) -> tuple[int, Optional[str]]:
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            if line.startswith(in_string, i):
                i += len(in_string)
                in_string = None
                continue
            i += 1
            continue
        if c == "#":
            break
        if c in "\"'":
            q = line[i : i + 3] if line[i : i + 3] in ('"""', "'''") else c
            in_string = q
            i += len(q)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        i += 1
    if in_string in ('"', "'"):  # an unterminated one-line string ends with its line
        in_string = None
    return depth, in_string


def chunks_of(text: str, path: Optional[str] = None) -> list[Chunk]:
    """The file's top-level statements, parsed. With a `path`, the previous split of that path is
    reused: only the statements around the lines that changed are split again (an editor's keystroke
    must not re-parse 3,000 lines); the result is the same as a fresh split (tests/test_incremental.py)."""
    return split(text, path)[1]


def split(text: str, path: Optional[str] = None) -> tuple[list[str], list[Chunk]]:
    """(lines, chunks) of the text: see chunks_of."""
    previous = _SPLITS.get(path) if path is not None else None
    if previous is not None and previous.text == text:
        return previous.lines, previous.chunks
    hint = _EDITS.pop(path, None) if path is not None else None
    if hint is not None and (previous is None or hint[0] is not previous.text or hint[1] is not text):
        hint = None
    diff = _line_diff(previous, text, hint) if previous is not None else None
    lines = diff[0] if diff is not None else split_lines(text)
    done = _resplit(previous, text, lines, diff) if previous is not None else None
    if done is None:
        done = _full_split(text, lines)
    if path is not None:
        _SPLITS[path] = done
        _SPLITS.move_to_end(path)
        while len(_SPLITS) > _SPLITS_KEPT:
            _SPLITS.popitem(last=False)
    return done.lines, done.chunks


@dataclass
class _Split:
    text: str
    lines: list[str]
    ranges: list[tuple[int, int]]
    parsed: bool                 # ranges from `ast` (the whole text parsed), else from _scan_ranges
    chunks: list[Chunk]
    guarded: bool = False        # cut around over-long lines (_guarded_split): never re-split in part
    # (serial of the split this one was made from, i, j, n, delta): its chunks[i..j] became the n chunks
    # from i on, the chunks before are the very same objects, those after the same moved delta lines
    since: Optional[tuple] = None
    serial: int = field(default_factory=lambda: next(_SERIALS))
    bad: Optional[list] = None   # indices of the chunks statement_diagnostics looks at (unparsed_chunks)


_SERIALS = count(1)


def _unchecked(chunk: Chunk) -> bool:
    return not (chunk.syntax_ok and chunk.refused is None)


def unparsed_chunks(path: str, chunks: list[Chunk]) -> list[Chunk]:
    """The chunks of the path's split that Python's parser did not take or a limit refused (what
    statement_diagnostics reports), kept with the split and carried over by an edit: a keystroke does not
    look at the other 300 statements of a large file."""
    state = _SPLITS.get(path)
    if state is None or state.chunks is not chunks:
        return [c for c in chunks if _unchecked(c)]
    if state.bad is None:
        state.bad = [i for i, c in enumerate(chunks) if _unchecked(c)]
    return [chunks[i] for i in state.bad]


def _carried(old: _Split, i: int, j: int, new: list[Chunk]) -> Optional[list]:
    """old.bad for a split whose chunks[i..j] became `new`."""
    if old.bad is None:
        return None
    shift = len(new) - (j - i + 1)
    return [b for b in old.bad if b < i] + [i + k for k, c in enumerate(new) if _unchecked(c)] + \
        [b + shift for b in old.bad if b > j]


def split_state(path: str) -> Optional[_Split]:
    """The path's last split (split() just made or reused it): its serial and what changed since the one
    before (engine.analyze_source then reuses what the unchanged statements gave)."""
    return _SPLITS.get(path)


_SPLITS: "OrderedDict[str, _Split]" = OrderedDict()
_SPLITS_KEPT = 16   # documents whose last split is remembered


def _full_split(text: str, lines: list[str]) -> _Split:
    if len(text) > MAX_STATEMENT_CHARS:   # only then can a line be over the limit, or the file
        return _guarded_split(text, lines)
    return _plain_split(text, lines)


def _plain_split(text: str, lines: list[str], offset: int = 0) -> _Split:
    """The split of `lines` (the file's lines[offset:], or all of them): by `ast` when the text parses,
    else by the scanner."""
    found = _ast_statements(text)
    if found is None:
        ranges = [(first + offset, last + offset) for first, last in _scan_ranges(lines)[0]]
        return _Split(text, lines, ranges, False, [_chunk(lines, first - offset, last - offset, line=first)
                                                   for first, last in ranges])
    ranges = [(first + offset, last + offset) for first, last, _ in found]
    return _Split(text, lines, ranges, True, [_chunk(lines, first, last, stmts, first + 1, line=first + offset)
                                              for first, last, stmts in found])


def _guarded_split(text: str, lines: list[str]) -> _Split:
    """A large text: statements holding a line longer than MAX_STATEMENT_CHARS are cut out first (found
    with C-speed passes over the lines) and refused unparsed; the text between them is split as usual.
    A text still over MAX_FILE_CHARS after that is refused whole."""
    long_lines = [i for i, n in enumerate(map(len, lines)) if n > MAX_STATEMENT_CHARS]
    shown = lines
    comments = {i for i in long_lines if lines[i].lstrip().startswith("#")}
    if comments:   # a comment holds no code: shortened, it costs its statement nothing
        shown = list(lines)
        for i in comments:
            line = lines[i]
            shown[i] = line[:len(line) - len(line.lstrip())] + "#\n"
        long_lines = [i for i in long_lines if i not in comments]
    return _split_around(text, lines, shown, long_lines)


def _split_around(text: str, lines: list[str], shown: list[str], long_lines: list[int]) -> _Split:
    """_guarded_split once long comment lines are shortened in `shown` (the chunks' text comes from it)."""
    cut = _statements_around(shown, long_lines)
    kept = sum(map(len, shown)) - sum(len(shown[i]) for first, last in cut for i in range(first, last))
    if kept > MAX_FILE_CHARS:
        why = (f"not analysed: a file of {len(text):,} characters (the limit is {MAX_FILE_CHARS:,}, not counting "
               f"statements over {MAX_STATEMENT_CHARS:,}, which are skipped)")
        return _Split(text, lines, [(0, len(lines))], False, [Chunk(0, text, refused=why)], guarded=True)
    ranges: list = []
    chunks: list = []
    start = 0
    for first, last in cut + [(len(lines), len(lines))]:
        if start < first:
            part = _plain_split("".join(shown[start:first]), shown[start:first], start)
            ranges += part.ranges
            chunks += part.chunks
        if first < last:
            ranges.append((first, last))
            chunks.append(_chunk(shown, first, last))
        start = last
    return _Split(text, lines, ranges, False, chunks, guarded=True)


def _statements_around(lines: list[str], inside: list[int]) -> list[tuple[int, int]]:
    """The line ranges of the top-level statements holding the given lines, merged, in order: from the
    nearest line above that starts a statement (column 0, not a continuation such as `else:`, with the
    decorators above it) to the next such line below. A guess, as the scanner's: if it is wrong, the
    text around fails to parse and the scanner splits it."""
    found: list = []
    for i in inside:
        if found and i < found[-1][1]:
            continue
        first = i
        while first > 0 and not _starts_statement(lines[first]):
            first -= 1
        while first > 0 and lines[first - 1][:1] == "@":
            first -= 1
        last = i + 1
        while last < len(lines) and not _starts_statement(lines[last]):
            last += 1
        if found and first <= found[-1][1]:
            found[-1] = (found[-1][0], last)
        else:
            found.append((first, last))
    return found


def _starts_statement(line: str) -> bool:
    if line[:1] in ("", " ", "\t", "#", "\r", "\n", "\f", ")", "]", "}"):
        return False
    word = line[:16].split(None, 1)[0].rstrip(":") if line.strip() else ""
    return word not in _CONTINUATION_KEYWORDS


def _chunk(lines: list[str], first: int, last: int, stmts: Optional[list] = None, ast_line: int = 1,
           line: Optional[int] = None) -> Chunk:
    """The chunk of lines[first:last], starting at file line `line` (0-based; default: first); stmts: its
    ast statements from the split's parse, where its first line is line ast_line. They spare a parse
    each to units.py (names) and to the positions, and are dropped once the positions are computed or
    the analysis is over (drop_ast). A statement over a limit (refusal) becomes a refused chunk."""
    body = "".join(lines[first:last])
    if not body.endswith("\n"):
        body += "\n"
    start = first if line is None else line
    why = refusal(body)
    if why is not None:
        return Chunk(start, body, refused=why)
    chunk = Chunk(start, body)
    if stmts is not None:
        chunk.ast_statements = (stmts, ast_line)
        chunk.syntax_ok = True
    return chunk


def drop_ast(chunks: list[Chunk]) -> None:
    """Forget the split's ast statements (a few MB for a large file) once an analysis is over."""
    for chunk in chunks:
        chunk.__dict__.pop("ast_statements", None)


def _common(a: Iterable[str], b: Iterable[str], limit: int) -> int:
    """How many leading items a and b have in common (at most limit). The first difference is found
    by iterators that run in C (map, compress): no Python loop over 3,000 lines."""
    return next(compress(count(), map(ne, a, b)), limit) if limit else 0


_EDITS: dict = {}   # path -> (old text, new text, start, end in the old text): expect_edit


def expect_edit(path: str, old: str, new: str, start: int, end: int) -> None:
    """The next split of `path` is of `new`, made from `old` (the text split last) by replacing
    old[start:end]: it then needs no search for what changed (the language server's child is told the
    edit, not the whole text)."""
    _EDITS[path] = (old, new, start, end)


def _line_diff(old: _Split, text: str, hint: Optional[tuple] = None) -> Optional[tuple[list[str], int, int]]:
    """(lines, p, s): the new text's lines, made from the old split's lines and the one stretch of text
    that changed, with p lines in common at the start and s at the end. An edit then costs no pass
    over each of the 3,000 lines (splitting them, comparing them one by one): after a keystroke, the
    server's child is mostly idle, and every line touched is a cache miss. None when a line may end
    in "\r" (split_lines' other path) in either text."""
    if "\r" in text or "\r" in old.text:
        return None
    was = old.text
    if hint is not None:   # expect_edit: what lies outside the replaced stretch is common to both
        prefix = hint[2]
        suffix = min(len(was) - hint[3], min(len(was), len(text)) - prefix)
    else:
        prefix = _common_prefix(was, text)
        suffix = _common_suffix(was, text, min(len(was), len(text)) - prefix)
    p = was.count("\n", 0, prefix)                 # lines whose "\n" is in the common prefix
    start = was.rfind("\n", 0, prefix) + 1         # where line p starts, in both texts
    tail = len(was) - suffix                        # the common suffix: was[tail:] == text[-suffix:]
    # lines that start after a "\n" inside the common suffix are the same in both texts
    s = was.count("\n", tail, len(was) - 1) if suffix else 0
    first_kept = was.find("\n", tail, len(was) - 1) + 1 if s else len(was)   # its start in the old text
    middle = text[start:len(text) - (len(was) - first_kept)]
    lines = old.lines[:p] + (split_lines(middle) if middle else []) + old.lines[len(old.lines) - s:]
    return lines, p, s


def _common_prefix(a: str, b: str) -> int:
    """len of the longest common prefix, by halving: each step compares one window of both strings in C
    (about twice the text's length copied in all; no Python loop over characters or lines)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while hi - lo > 1:   # a[:lo] == b[:lo], a[:hi] != b[:hi]
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """len of the longest common suffix, at most limit (see _common_prefix)."""
    la, lb = len(a), len(b)
    lo, hi = 0, limit
    if a[la - hi:] == b[lb - hi:]:
        return hi
    while hi - lo > 1:   # the last lo are equal, the last hi are not
        mid = (lo + hi) // 2
        if a[la - mid:la - lo] == b[lb - mid:lb - lo]:
            lo = mid
        else:
            hi = mid
    return lo


def _resplit(old: _Split, text: str, lines: list[str], diff: Optional[tuple] = None) -> Optional[_Split]:
    """Split again only the statements around the changed lines: from the statement before the first
    changed line to the one after the last. Returns None (the caller splits the whole text) whenever
    the result could differ from a fresh split: the region does not parse while the rest did (the
    whole text now takes the scanner), or it parses while the rest was scanned (the whole text may
    parse again), the scan of the region ends inside a string, or the edit touches the first lines
    (encoding cookie) or a __future__ import."""
    if old.guarded:
        return None
    n_old, n_new = len(old.lines), len(lines)
    limit = min(n_old, n_new)
    if diff is not None:   # from _line_diff: lines in common at the start and at the end
        p, s = diff[1], diff[2]
    else:
        p = min(_common(old.lines, lines, limit), limit)
        s = min(_common(reversed(old.lines), reversed(lines), limit - p), limit - p)
    changed_end = n_old - s                  # old lines [p, changed_end) became new lines [p, n_new - s)
    ranges = old.ranges
    # first affected range: the one before the first range that ends after p; last: the one after the
    # last range that starts before changed_end.
    # (ranges are in file order and do not overlap: their starts and their ends both increase; the
    # lists are made in C, and bisect's key= would need Python 3.10)
    delta = n_new - n_old
    ends = list(map(itemgetter(1), ranges))
    inside = _within_one(old, text, lines, p, changed_end, delta, ends)
    if inside is not None:
        return inside
    i = max(0, bisect_right(ends, p) - 1)
    j = min(len(ranges) - 1, bisect_left(list(map(itemgetter(0), ranges)), max(changed_end, p + 1)))
    if j < i:
        return None
    start = ranges[i][0] if i > 0 else 0
    end_old = ranges[j + 1][0] if j + 1 < len(ranges) else n_old
    end_new = end_old + delta
    if start < 2 or end_new < start or end_old < changed_end:
        return None
    region = "".join(lines[start:end_new])
    if "__future__" in region or len(region) > MAX_STATEMENT_CHARS:
        return None
    if old.parsed:
        found = _ast_statements(region)
        if found is None:
            return None
    else:
        if _ast_ranges(region) is not None:
            return None
        inner, clean = _scan_ranges(lines[start:end_new])
        found = [(a, b, None) for a, b in inner]
        if not clean:
            return None
    return _replaced(old, text, lines, i, j, found, start, delta, old.parsed)


def _replaced(old: _Split, text: str, lines: list[str], i: int, j: int, found: list, offset: int, delta: int,
              parsed: bool) -> _Split:
    """The split of `text`: old's statements i..j replaced by `found` ((first, last, ast statements) from
    line `offset` of the new text), those before kept as they are, those after moved delta lines."""
    after = old.ranges[j + 1:]
    ranges = old.ranges[:i] + [(a + offset, b + offset) for a, b, _ in found] + \
        ([(a + delta, b + delta) for a, b in after] if delta else after)
    made = [_chunk(lines, a + offset, b + offset, stmts, a + 1) for a, b, stmts in found]
    kept = old.chunks[j + 1:]
    chunks = old.chunks[:i] + made + ([c.moved(delta) for c in kept] if delta else kept)
    return _Split(text, lines, ranges, parsed, chunks, since=(old.serial, i, j, len(found), delta),
                  bad=_carried(old, i, j, made))


def _within_one(old: _Split, text: str, lines: list[str], p: int, changed_end: int, delta: int, ends: list) -> Optional[_Split]:
    """The usual keystroke: the changed lines lie inside one statement of a parsed text, and its new lines
    still parse on their own into statements from its first line to its last. Then only that statement
    is split again, not its neighbours too: the new lines close every bracket and string they open
    and start at column 0 without a continuation (`else:`, an indented line) or they would not parse
    alone, so the statements around them end and begin where they did. None when that does not hold
    (the caller then takes the statements around as well), and when the statement's last line holds a
    directive: the statement below reads that line too."""
    if not old.parsed:
        return None
    k = bisect_right(ends, p)   # the first statement ending after line p
    if k >= len(ends):
        return None
    first, last = old.ranges[k]
    if first > p or changed_end > last or first < 2:
        return None
    if "shapelens" in old.lines[last - 1] or "shapelens" in lines[last + delta - 1]:
        return None   # a directive on its last line belongs to the statement below too (units.unit_key)
    region = "".join(lines[first:last + delta])
    if "__future__" in region or len(region) > MAX_STATEMENT_CHARS:
        return None
    found = _ast_statements(region)
    if not found or found[0][0] != 0 or found[-1][1] != last + delta - first:
        return None
    return _replaced(old, text, lines, k, k, found, first, delta, True)


def statement_diagnostics(chunks: list[Chunk]) -> list[Diagnostic]:
    """SL001 (a warning: nothing in it is checked) for each statement that is not analysed: refused
    (over a limit, named in the message) or rejected by Python's parser (at the error's line and
    column, with Python's message)."""
    found = []
    for chunk in chunks:
        if chunk.syntax_ok and chunk.refused is None:
            continue
        diag = chunk.__dict__.get("_sl001")   # the same object for an unchanged statement (the server's
        if diag is None:                       # child then sends it as a number: lspfeatures/worker.py)
            diag = chunk._sl001 = _not_analysed(chunk)
        if diag is not False:
            found.append(diag)
    if len(found) > MAX_REPORTED:   # a binary or garbled file: the first ones say enough
        last = found[MAX_REPORTED - 1].span
        rest = len(found) - MAX_REPORTED + 1
        found = found[:MAX_REPORTED - 1] + [Diagnostic(
            Span(last.line, last.col, last.line, last.col), "SL001", "warning",
            f"not analysed: {rest:,} more statements from here on (syntax errors or over a limit; "
            f"only the first {MAX_REPORTED - 1} are listed)")]
    return found


MAX_REPORTED = 50   # SL001 findings of one file before the rest are counted in one


def _not_analysed(chunk: Chunk):
    """The chunk's SL001, or False when Python parses it."""
    line = chunk.start_line + 1
    if chunk.refused is not None:
        return Diagnostic(Span(line, 1, line, 1), "SL001", "warning", chunk.refused)
    error = _syntax_error(chunk)
    if error is None:
        return False
    row, col, message = error
    return Diagnostic(Span(line + row - 1, col, line + row - 1, col + 1), "SL001", "warning", f"not analysed: {message}")


def _syntax_error(chunk: Chunk) -> Optional[tuple]:
    """(line in the chunk, column, message) of Python's complaint about the chunk, or None; remembered
    on the chunk (an unchanged statement keeps its chunk across edits)."""
    known = chunk.__dict__.get("_syntax_error", chunk)
    if known is not chunk:
        return known
    error = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(chunk.text)
        chunk.syntax_ok = True
    except SyntaxError as e:
        row = e.lineno or 1
        error = (row, max(1, e.offset or 1), f"syntax error: {e.msg}")
    except (RecursionError, MemoryError):
        error = (1, 1, "nested too deeply for Python's parser")
    except ValueError as e:   # e.g. a null byte
        error = (1, 1, f"cannot parse: {e}")
    chunk._syntax_error = error
    return error


def forget_split(path: str) -> None:
    _SPLITS.pop(path, None)
    _EDITS.pop(path, None)


def clear_caches() -> None:
    """Forget every parsed statement and remembered split (tests and benchmarks: a cold analysis)."""
    _CACHE.clear()
    _SPLITS.clear()
    _EDITS.clear()
