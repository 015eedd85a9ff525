"""The code the interpreter runs: one top-level statement (a source.Chunk) parsed with CPython's `ast`.

Why `ast` and not libcst: the interpreter only needs the syntax and positions, and `ast.parse` runs in C,
about 15 times faster than libcst; every node already carries its start and end. libcst stays where
concrete syntax matters (the quick fixes edit source text, fixes.py).

A Code maps an ast node to a records.Span (1-based lines, 1-based character columns; ast counts UTF-8
bytes in columns, converted here only for non-ASCII lines) and gives a short source text of a node for
messages.
"""
from __future__ import annotations

import ast
import warnings
from collections import OrderedDict
from typing import Optional

from ..records import Span
from ..source import Chunk

# A statement larger than this is not interpreted (a 5 MB one-line list would take seconds and hundreds of
# MB as ast nodes); real model code has no statement within an order of magnitude of it.
MAX_STATEMENT_CHARS = 1_000_000


class Code:
    """The parsed statements of one chunk. `offset` is added to an ast line number to get the file line."""

    __slots__ = ("chunk", "body", "offset", "lines", "error", "external")

    def __init__(self, chunk: Chunk, body: list, offset: int, lines: list, error: Optional[str]) -> None:
        self.chunk = chunk
        self.body = body
        self.offset = offset
        self.lines = lines          # the whole file's lines
        self.error = error
        # The interpreter, for the code of another file (loader.py): its positions mean nothing in the
        # analysed file, so they are the analysed file's line that called into it (Interp.anchor()).
        self.external = None

    @property
    def first_line(self) -> int:
        return self.chunk.start_line + 1

    def span(self, node) -> Span:
        if self.external is not None:
            return self.external.anchor()
        line = getattr(node, "lineno", None) if node is not None else None
        if line is None:
            first = self.chunk.start_line + 1
            return Span(first, 1, first, 1)
        end_line = node.end_lineno or line
        line += self.offset
        end_line += self.offset
        col = self._column(line, node.col_offset)
        end_col = self._column(end_line, node.end_col_offset if node.end_col_offset is not None else node.col_offset)
        return Span(line, col + 1, end_line, end_col + 1)

    def _column(self, line: int, byte_col: int) -> int:
        if 0 < line <= len(self.lines):
            text = self.lines[line - 1]
            if not text.isascii():
                return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))
        return byte_col

    def text(self, node, limit: int = 40) -> str:
        """The node's source text on one line, cut at `limit` characters."""
        if node is None or getattr(node, "lineno", None) is None:
            return "<expr>"
        if self.external is not None:   # the other file's own text (its lines; ast columns are UTF-8 bytes)
            raw = _segment(self.lines, node) or "<expr>"
            text = " ".join(raw.split())
            return text if len(text) <= limit else text[: limit - 1] + "…"
        s = self.span(node)
        if s.line < 1 or s.end_line > len(self.lines):
            return "<expr>"
        if s.line == s.end_line:
            raw = self.lines[s.line - 1][s.col - 1:s.end_col - 1]
        else:
            parts = [self.lines[s.line - 1][s.col - 1:]] + self.lines[s.line:s.end_line - 1] + \
                [self.lines[s.end_line - 1][:s.end_col - 1]]
            raw = " ".join(parts)
        text = " ".join(raw.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _segment(lines: list, node) -> Optional[str]:
    """ast.get_source_segment on already split lines (it splits the whole text on every call: 26,000 calls
    on a 2,000-line module of timm took 190 s)."""
    first, last = node.lineno, node.end_lineno
    if last is None or node.end_col_offset is None or first < 1 or last > len(lines):
        return None
    if last - first > 200:
        last = first + 200   # a message never shows that much
    part = [lines[i].encode("utf-8") for i in range(first - 1, last)]
    if len(part) == 1:
        return part[0][node.col_offset:node.end_col_offset].decode("utf-8", errors="replace")
    part[0] = part[0][node.col_offset:]
    if last == node.end_lineno:
        part[-1] = part[-1][:node.end_col_offset]
    return b"".join(part).decode("utf-8", errors="replace")


_TREES: "OrderedDict[str, tuple]" = OrderedDict()
_TREES_SIZE = 2048


def code_of(chunk: Chunk, lines: list) -> Code:
    """The chunk's statements: from the split's whole-file parse when it still holds them, else parsed
    (cached by the chunk's text: an unchanged statement is parsed once)."""
    parsed = chunk.__dict__.get("ast_statements")
    if parsed is not None:
        statements, ast_line = parsed
        return Code(chunk, statements, chunk.start_line + 1 - ast_line, lines, None)
    body, error = _parse(chunk.text)
    return Code(chunk, body, chunk.start_line, lines, error)


def _parse(text: str) -> tuple:
    hit = _TREES.get(text)
    if hit is not None:
        _TREES.move_to_end(text)
        return hit
    if len(text) > MAX_STATEMENT_CHARS:
        result = ([], f"a statement of {len(text):,} characters (more than {MAX_STATEMENT_CHARS:,}): not analysed")
    else:
        try:
            with warnings.catch_warnings():   # "invalid escape sequence" and the like: not ours to print
                warnings.simplefilter("ignore")
                result = (ast.parse(text).body, None)
        except SyntaxError as e:
            result = ([], f"syntax error at line {e.lineno}: {e.msg}")
        except (RecursionError, MemoryError):
            result = ([], "nested too deeply to parse: not analysed")
        except ValueError as e:   # e.g. null bytes
            result = ([], f"cannot parse: {e}")
    _TREES[text] = result
    if len(_TREES) > _TREES_SIZE:
        _TREES.popitem(last=False)
    return result


def clear_cache() -> None:
    _TREES.clear()
