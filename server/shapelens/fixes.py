"""Quick fixes for shapelens diagnostics: libcst-located, minimal text edits that keep formatting and comments.

`compute_fixes(text, result)` lists, for each diagnostic of an analysed file, the source edits that repair
it (the code actions of the language server). Each Fix edits only what it must: one argument's value, one
integer inside a product (`32 * 4 * 4` → `32 * 5 * 5`), one inserted `nn.Flatten(),` line, or a trailing
`# shapelens: ignore[...]` comment. Positions follow records.Span: 1-based lines, 1-based character columns,
end exclusive. libcst is used to find the nodes and their exact positions; the edits themselves are applied
to the original text, so nothing else in the file is re-rendered.

`fix_text` / `fix_file` apply the *safe* fixes (those after which the real framework accepts the layer), in
rounds: one fix can reveal the next (a padding fix changes the shapes that reach a later Linear). A fix that
does not apply cleanly aborts the whole run (FixError) and the file is left untouched; a written file is
replaced atomically (temp file in the same directory + os.replace).

Everything here is pure: user code is parsed, never imported or executed.
"""
from __future__ import annotations

import ast
import bisect
import difflib
import itertools
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

import libcst as cst

from .analysis.engine import Options, analyze_source
from .analysis.imports import Aliases, dotted
from .analysis.records import Diagnostic, FileResult, LayerRecord, ModelRecord, Span
from .analysis.shapes import Shape, is_known
from .analysis.source import Chunk, chunks_of
from .analysis.values import Scope, Unknown, evaluate

MAX_ROUNDS = 8   # a round fixes every model up to its first shape-changing fix


# ---------------------------------------------------------------------- data


@dataclass(frozen=True)
class TextEdit:
    """Replace [start, end) with new_text. 1-based lines and character columns; end exclusive (records.Span)."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    new_text: str

    @property
    def span(self) -> Span:
        """The replaced range as a records.Span (for code that already converts Spans to LSP ranges)."""
        return Span(self.start_line, self.start_col, self.end_line, self.end_col)

    def as_dict(self) -> dict:
        return {"start_line": self.start_line, "start_col": self.start_col, "end_line": self.end_line,
                "end_col": self.end_col, "new_text": self.new_text}


@dataclass
class Fix:
    code: str                    # the diagnostic code this fix repairs
    title: str                   # the code-action title, e.g. "Set in_features to 800"
    diagnostic: Diagnostic
    edits: list = field(default_factory=list)   # list[TextEdit]
    safe: bool = False           # applying it makes the real framework accept the layer: --fix may apply it
    preferred: bool = False      # the first safe fix of its diagnostic (LSP CodeAction.isPreferred)
    reshapes: bool = False       # changes the layer's output shape (padding, stride, an inserted Flatten)
    layer_key: Optional[tuple] = None   # (model index, layer index) of the layer it edits

    def as_dict(self) -> dict:
        return {"code": self.code, "title": self.title, "safe": self.safe, "preferred": self.preferred,
                "diagnostic": self.diagnostic.as_dict(), "edits": [e.as_dict() for e in self.edits]}


class FixError(Exception):
    """A fix that cannot be applied cleanly (overlapping or out-of-range edits, a result that no longer
    parses, a diagnostic the fix did not remove). Nothing has been written when it is raised."""


# Which codes have a repairing fix (besides "Ignore ... on this line", offered for every code). Read by
# scripts/gen_codes_doc.py for docs/codes.md.
FIX_DESCRIPTIONS = {
    "SL003": "**Move the directive above line N**: to the line above the nearest model below it, indented as that "
             "line (not applied by --fix: which model the directive was meant for is the user's call).",
    "SL102": "**Use padding=N**: the integer padding d·(k − 1)//2 computed from the kernel and the dilation "
             "(what 'same' pads for odd kernels); or **Set stride=1** to keep padding='same'.",
    "SL103": "**Set padding to N**: the largest padding torch allows, half the effective kernel "
             "(d·(k − 1) + 1)//2.",
    "SL104": "**Set strides=1** (keeps the dilation) or **Set dilation_rate=1** (keeps the stride).",
    "SL105": "**Set in_channels / num_features / num_channels / normalized_shape** to what arrives (a constant "
             "of the file holding that value is used when the argument was a name).",
    "SL106": "**Set in_features to N**, keeping a product such as `32 * 4 * 4` as a product (`32 * 5 * 5`) "
             "when its factors match the shape before the Flatten; or, when a 4-D tensor reaches a Linear "
             "whose in_features equal its flattened size, **Insert nn.Flatten() before this layer**.",
}


# ---------------------------------------------------------------------- text positions

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list:
    """Lines with their endings, split like Python's tokenizer and libcst (\\n, \\r\\n, \\r only)."""
    return _LINE_RE.findall(text)


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


def _eol(line: str, default: str = "\n") -> str:
    return line[len(_strip_eol(line)):] or default


def _line_starts(lines: list) -> list:
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln)
    starts.append(pos)
    return starts


def _offset(lines: list, starts: list, line: int, col: int) -> int:
    if line == len(lines) + 1 and col == 1:
        return starts[-1]
    if not 1 <= line <= len(lines):
        raise FixError(f"edit position {line}:{col} is outside the file ({len(lines)} lines)")
    if not 1 <= col <= len(_strip_eol(lines[line - 1])) + 1:
        raise FixError(f"edit position {line}:{col} is outside its line")
    return starts[line - 1] + col - 1


def _position(text: str, offset: int) -> tuple:
    before = text[:offset]
    lines = split_lines(before)
    if not lines:
        return 1, 1
    last = lines[-1]
    if last != _strip_eol(last):  # offset right after a line ending
        return len(lines) + 1, 1
    return len(lines), len(last) + 1


def _lines_and_starts(text: str) -> tuple:
    lines = split_lines(text)
    return lines, _line_starts(lines)


def _edit_offsets(text: str, edits: Iterable[TextEdit], lines_and_starts: Optional[tuple] = None) -> list:
    lines, starts = lines_and_starts or _lines_and_starts(text)
    out = []
    for e in edits:
        a = _offset(lines, starts, e.start_line, e.start_col)
        b = _offset(lines, starts, e.end_line, e.end_col)
        if b < a:
            raise FixError(f"edit {e.start_line}:{e.start_col}-{e.end_line}:{e.end_col} ends before it starts")
        out.append((a, b, e.new_text))
    out.sort(key=lambda t: (t[0], t[1]))
    for (a1, b1, _), (a2, b2, _) in zip(out, out[1:]):
        if a2 < b1 or (a2 == a1 and b2 == b1 == a1):
            raise FixError("two edits overlap")
    return out


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits (positions refer to `text`). Raises FixError on overlap or bad positions."""
    parts, pos = [], 0
    for a, b, new in _edit_offsets(text, edits):
        parts.append(text[pos:a])
        parts.append(new)
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


def position_mapper(text: str, edits: Iterable[TextEdit]) -> Callable:
    """A function taking a (line, col) of `text` to where it is after the edits (an insert at the point itself
    moves it right). One pass over the edits, then a bisection per position."""
    lines = split_lines(text)
    starts = _line_starts(lines)
    offsets = _edit_offsets(text, edits)
    ends = [b for _, b, _ in offsets]
    deltas = list(itertools.accumulate(len(new) - (b - a) for a, b, new in offsets))
    new_text = apply_edits(text, edits)
    new_starts = _line_starts(split_lines(new_text))
    if not new_text or new_text[-1] not in "\r\n":
        new_starts = new_starts[:-1] or [0]  # no line after the last one

    def mapped(line: int, col: int) -> tuple:
        off = _offset(lines, starts, line, col)
        k = bisect.bisect_right(ends, off)  # the edits that end at or before the point
        new_off = off + (deltas[k - 1] if k else 0)
        i = bisect.bisect_right(new_starts, new_off) - 1
        return i + 1, new_off - new_starts[i] + 1

    return mapped


def map_position(text: str, edits: Iterable[TextEdit], line: int, col: int) -> tuple:
    """Where (line, col) of `text` is after the edits."""
    return position_mapper(text, list(edits))(line, col)


def lsp_column(line_text: str, col: int, encoding: str = "utf-16") -> int:
    """A 1-based character column as a 0-based offset in the LSP position encoding's code units."""
    prefix = line_text[: col - 1]
    if encoding == "utf-32":
        return len(prefix)
    if encoding == "utf-8":
        return len(prefix.encode("utf-8", "surrogatepass"))
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in prefix)


def to_lsp_edits(text: str, edits: Iterable[TextEdit], encoding: str = "utf-16") -> list:
    """Edits as LSP TextEdit dicts (0-based lines; characters in the negotiated position encoding, UTF-16 by
    default): [{"range": {"start": {"line", "character"}, "end": ...}, "newText": ...}]."""
    lines = split_lines(text)

    def pos(line: int, col: int) -> dict:
        lt = _strip_eol(lines[line - 1]) if 1 <= line <= len(lines) else ""
        return {"line": line - 1, "character": lsp_column(lt, col, encoding)}

    return [{"range": {"start": pos(e.start_line, e.start_col), "end": pos(e.end_line, e.end_col)},
             "newText": e.new_text} for e in edits]


def lsp_code_action(text: str, fix: Fix, uri: str, encoding: str = "utf-16") -> dict:
    """A Fix as an LSP CodeAction (JSON-shaped dict; lsprotocol's converter can structure it into
    types.CodeAction). The caller adds "diagnostics" (the client's own diagnostic objects from the request)."""
    return {"title": fix.title, "kind": "quickfix", "isPreferred": fix.preferred,
            "edit": {"changes": {uri: to_lsp_edits(text, fix.edits, encoding)}}}


def lsp_fix_all(text: str, uri: str, options: Optional[Options] = None, encoding: str = "utf-16") -> Optional[dict]:
    """A "source.fixAll.shapelens" CodeAction applying every safe fix (as `shapelens --fix` would), or None
    when there is nothing to fix or a fix does not apply cleanly."""
    try:
        new, applied = fix_text(text, uri, options)
    except FixError:
        return None
    if not applied or new == text:
        return None
    lines = split_lines(text)
    end = TextEdit(1, 1, len(lines) + 1, 1, new) if not lines or lines[-1] != _strip_eol(lines[-1]) else \
        TextEdit(1, 1, len(lines), len(lines[-1]) + 1, new)
    return {"title": f"Fix all shapelens errors ({len(applied)} fix{'es' if len(applied) != 1 else ''})",
            "kind": "source.fixAll.shapelens", "edit": {"changes": {uri: to_lsp_edits(text, [end], encoding)}}}


# ---------------------------------------------------------------------- source model


class _Source:
    """The file split into per-statement libcst modules (the engine's chunks, so the spans agree with the
    diagnostics'), with a lookup from a span to the Call node the engine reported it on."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = split_lines(text)
        self.chunks: list = chunks_of(text)
        self._indexes: dict = {}
        self._scopes: dict = {}
        self._running = Scope(kind="module")   # module constants bound by chunks[:_running_upto]
        self._running_upto = 0
        self._aliases: Optional[Aliases] = None

    def chunk_at(self, line: int) -> Optional[Chunk]:
        found = None
        for ch in self.chunks:
            if ch.start_line + 1 <= line:
                found = ch
            else:
                break
        return found

    def _index(self, ch: Chunk) -> "_Index":
        key = id(ch.module)
        if key not in self._indexes:
            index = _Index()
            ch.module.visit(index)
            index.by_span = {}
            for node in index.calls:
                index.by_span.setdefault(ch.span(node), node)
            self._indexes[key] = index
        return self._indexes[key]

    def call_at(self, span: Span) -> Optional[tuple]:
        """(call node, chunk) of the Call whose span is exactly `span`."""
        ch = self.chunk_at(span.line)
        if ch is None or ch.module is None:
            return None
        node = self._index(ch).by_span.get(span)
        return (node, ch) if node is not None else None

    def parents(self, ch: Chunk) -> dict:
        return self._index(ch).parent

    def text_of(self, ch: Chunk, node: cst.CSTNode) -> str:
        """The node's source text as written."""
        s = ch.span(node)
        if s.line == s.end_line:
            return _strip_eol(self.lines[s.line - 1])[s.col - 1: s.end_col - 1]
        return ch.module.code_for_node(node) if ch.module is not None else ""

    def aliases(self) -> Aliases:
        if self._aliases is None:
            self._aliases = Aliases()
            for ch in self.chunks:
                if ch.module is None:
                    continue
                for imp in _imports_in(ch.module):
                    self._aliases.add_import(imp)
        return self._aliases

    def scope_before(self, ch: Chunk) -> Scope:
        """Module-level constants bound before the statement `ch` (as the engine evaluates them), minus every
        name the statement itself binds (function parameters, locals) so a local never passes for a constant."""
        if id(ch) in self._scopes:
            return self._scopes[id(ch)]
        position = next(i for i, c in enumerate(self.chunks) if c is ch)
        if position < self._running_upto:  # asked out of order: start again from the top
            self._running, self._running_upto = Scope(kind="module"), 0
        for other in self.chunks[self._running_upto:position]:
            if other.module is not None:
                for stmt in other.module.body:
                    _bind_statement(stmt, self._running)
        self._running_upto = position
        scope = Scope(names=dict(self._running.names), kind="module")
        if ch.module is not None:
            for name in _bound_names(ch.module):
                scope.bind(name, Unknown(f"`{name}` is bound in this statement"))
        self._scopes[id(ch)] = scope
        return scope


class _Index(cst.CSTVisitor):
    """One walk of a statement: its calls and every node's parent (libcst's ParentNodeProvider does the same
    through MetadataWrapper, ~40x slower)."""

    def __init__(self) -> None:
        self.calls: list = []
        self.parent: dict = {}
        self.by_span: dict = {}
        self._stack: list = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parent[node] = self._stack[-1]
        self._stack.append(node)
        if isinstance(node, cst.Call):
            self.calls.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


def _imports_in(module: cst.Module) -> list:
    found: list = []

    class V(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            found.append(node)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            found.append(node)

    module.visit(V())
    return found


def _bind_statement(stmt, scope: Scope) -> None:
    if isinstance(stmt, cst.SimpleStatementLine):
        for s in stmt.body:
            if isinstance(s, cst.Assign):
                value = evaluate(s.value, scope)
                for t in s.targets:
                    if isinstance(t.target, cst.Name):
                        scope.bind(t.target.value, value if not isinstance(value, cst.CSTNode) else Unknown("a call"))
                    else:
                        for name in _target_names(t.target):
                            scope.bind(name, Unknown("unpacked"))
            elif isinstance(s, cst.AnnAssign) and isinstance(s.target, cst.Name) and s.value is not None:
                value = evaluate(s.value, scope)
                scope.bind(s.target.value, value if not isinstance(value, cst.CSTNode) else Unknown("a call"))
            elif isinstance(s, cst.AugAssign) and isinstance(s.target, cst.Name):
                scope.bind(s.target.value, Unknown("augmented"))
        return
    for name in _bound_names(stmt):
        scope.bind(name, Unknown("bound in a compound statement"))


def _target_names(node) -> list:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for el in node.elements for n in _target_names(el.value)]
    if isinstance(node, cst.StarredElement):
        return _target_names(node.value)
    return []


def _bound_names(node: cst.CSTNode) -> set:
    names: set = set()

    class V(cst.CSTVisitor):
        def visit_AssignTarget(self, n: cst.AssignTarget) -> None:
            names.update(_target_names(n.target))

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            names.update(_target_names(n.target))

        def visit_AugAssign(self, n: cst.AugAssign) -> None:
            names.update(_target_names(n.target))

        def visit_For(self, n: cst.For) -> None:
            names.update(_target_names(n.target))

        def visit_CompFor(self, n: cst.CompFor) -> None:
            names.update(_target_names(n.target))

        def visit_Param(self, n: cst.Param) -> None:
            names.add(n.name.value)

        def visit_FunctionDef(self, n: cst.FunctionDef) -> None:
            names.add(n.name.value)

        def visit_ClassDef(self, n: cst.ClassDef) -> None:
            names.add(n.name.value)

        def visit_AsName(self, n: cst.AsName) -> None:
            names.update(_target_names(n.name))

        def visit_NamedExpr(self, n: cst.NamedExpr) -> None:
            names.update(_target_names(n.target))

    node.visit(V())
    return names


# ---------------------------------------------------------------------- the context one fixer works in


@dataclass
class _Site:
    """One diagnostic on one layer call."""

    src: _Source
    diag: Diagnostic
    call: cst.Call
    chunk: Chunk
    layer: LayerRecord
    model: ModelRecord
    index: int
    shared: bool          # the call stands for several layers (a loop, a comprehension): no argument edits
    _scope: Optional[Scope] = None

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            self._scope = self.src.scope_before(self.chunk)
        return self._scope

    def span(self, node: cst.CSTNode) -> Span:
        return self.chunk.span(node)

    def fix(self, title: str, edits: list, safe: bool, reshapes: bool = False) -> Fix:
        return Fix(self.diag.code, title, self.diag, edits, safe=safe, reshapes=reshapes)

    def replace(self, node: cst.CSTNode, new_text: str) -> TextEdit:
        s = self.span(node)
        return TextEdit(s.line, s.col, s.end_line, s.end_col, new_text)

    def value(self, node: Optional[cst.CSTNode], default: Any = None) -> Any:
        if node is None:
            return default
        v = evaluate(node, self.scope)
        return None if isinstance(v, (Unknown, cst.CSTNode)) else v


def _arg(call: cst.Call, name: str, index: Optional[int]) -> Optional[cst.Arg]:
    """The argument bound to parameter `name` (keyword, or the index-th positional)."""
    position = 0
    for a in call.args:
        if a.keyword is not None:
            if a.keyword.value == name:
                return a
            continue
        if a.star:
            if index is not None and position <= index:
                return None  # *args may or may not fill it: do not guess
            continue
        if index is not None and position == index:
            return a
        position += 1
    return None


def _int_value(v: Any) -> Optional[int]:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _per_axis(v: Any, nd: int) -> Optional[tuple]:
    if _int_value(v) is not None:
        return (v,) * nd
    if isinstance(v, (tuple, list)) and all(_int_value(x) is not None for x in v):
        t = tuple(v)
        if len(t) == 1:
            t = t * nd
        return t if len(t) == nd else None
    return None


def _literal(values: tuple) -> str:
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(str(v) for v in values) + ")"


def _nd(layer_type: str) -> Optional[int]:
    m = re.search(r"([123])[dD]$", layer_type)
    return int(m.group(1)) if m else None


def _value_text(site: _Site, node: cst.CSTNode, target: int) -> str:
    """How to write `target` in place of `node`, in the user's style: a name stays a name when exactly one
    module-level constant holds that value; otherwise the number."""
    if isinstance(node, cst.Name) and site.chunk is not None:
        candidates = sorted(name for name, v in site.scope.names.items()
                            if _int_value(v) == target and name.isupper() and not name.startswith("_"))
        if len(candidates) == 1:
            return candidates[0]
    return str(target)


def _move_directive(src: _Source, d: Diagnostic) -> Optional[Fix]:
    """SL003 on a directive no model takes: move it right above the nearest model below (the diagnostic's
    related span), indented as that line. The directive's line goes when the comment is all it holds."""
    if not d.related:
        return None
    target = d.related[0][0].line
    ln = d.span.line
    if not (1 <= ln < target <= len(src.lines)):
        return None
    line, above = src.lines[ln - 1], src.lines[target - 1]
    comment = _strip_eol(line)[d.span.col - 1:].rstrip()
    indent = above[: len(above) - len(above.lstrip())]
    if _strip_eol(line)[: d.span.col - 1].strip():   # code before the comment: only the comment goes
        remove = TextEdit(ln, d.span.col, ln, len(_strip_eol(line)) + 1, "")
    else:
        remove = TextEdit(ln, 1, ln + 1, 1, "")
    insert = TextEdit(target, 1, target, 1, f"{indent}{comment}{_eol(line)}")
    return Fix(d.code, f"Move the directive above line {target}", d, [remove, insert], safe=False)


# fixers of findings on a line rather than a layer: (source, diagnostic) -> Fix or None
LINE_FIXERS = {"SL003": _move_directive}


def _ignore_fix(src: _Source, d: Diagnostic) -> Optional[Fix]:
    title = f"Ignore {d.code} on this line"
    for ln in range(d.span.line, d.span.end_line + 1):
        if not 1 <= ln <= len(src.lines):
            break
        edit = _ignore_edit(src.lines[ln - 1], ln, d.code)
        if edit is None:
            continue
        if not _still_parses(src, ln, edit):
            continue
        return Fix(d.code, title, d, [edit], safe=False)
    return None


_IGNORE_RE = re.compile(r"#\s*shapelens:\s*ignore(\[([A-Za-z0-9_, ]*)\])?")
_DIRECTIVE_RE = re.compile(r"#\s*shapelens:\s*input\s*=")


def _ignore_edit(line: str, ln: int, code: str) -> Optional[TextEdit]:
    body = _strip_eol(line)
    if body.rstrip().endswith("\\"):
        return None  # a comment cannot follow a line continuation
    m = _IGNORE_RE.search(body)
    if m is not None and _in_comment(body, m.start()):
        if m.group(1) is None:
            return None  # a bare ignore already silences every code
        codes = [c.strip() for c in m.group(2).split(",") if c.strip()]
        if code in codes:
            return None
        new = "[" + ", ".join(codes + [code]) + "]"
        return TextEdit(ln, m.start(1) + 1, ln, m.end(1) + 1, new)
    comment = f"# shapelens: ignore[{code}]"
    d = _DIRECTIVE_RE.search(body)
    if d is not None and _in_comment(body, d.start()):
        # keep the input directive last on the line: its bracketed shape is matched up to the line's end
        return TextEdit(ln, d.start() + 1, ln, d.start() + 1, comment + "  ")
    trimmed = body.rstrip()
    if not trimmed:
        return None
    return TextEdit(ln, len(trimmed) + 1, ln, len(body) + 1, "  " + comment)


def _in_comment(body: str, index: int) -> bool:
    """Whether body[index] ('#') starts a comment, not a string's content."""
    quote: Optional[str] = None
    i = 0
    while i < index:
        ch = body[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if body.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif ch in "\"'":
            quote = body[i:i + 3] if body[i:i + 3] in ('"""', "'''") else ch
            i += len(quote)
            continue
        elif ch == "#":
            return True  # an earlier '#' starts the comment, and ours is inside it
        i += 1
    return quote is None


def _still_parses(src: _Source, ln: int, edit: TextEdit) -> bool:
    ch = src.chunk_at(ln)
    if ch is None or ch.module is None:
        return True  # the statement did not parse before either; a comment cannot make it worse
    local = TextEdit(edit.start_line - ch.start_line, edit.start_col, edit.end_line - ch.start_line, edit.end_col,
                     edit.new_text)
    try:
        ast.parse(apply_edits(ch.text, [local]))
    except (SyntaxError, FixError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------- SL106: Linear in_features


_ORIGIN_RE = re.compile(r"\((\d+(?:·\d+)+) = (\d+) after [Ff]latten of ")


def _flatten_source(site: _Site) -> Optional[list]:
    """The dims a Flatten merged into the features arriving at this Linear, e.g. [32, 5, 5]: from the layers
    before it in a Sequential, or from the diagnostic's account of the flatten in a forward()."""
    got = site.layer.input_shape
    if getattr(site.model, "kind", "sequential") != "sequential":
        m = _ORIGIN_RE.search(site.diag.message)
        if m is None:
            return None
        dims = [int(x) for x in m.group(1).split("·")]
        return dims if math.prod(dims) == int(m.group(2)) == got[-1] else None
    j = site.index - 1
    while j >= 0:
        prev = site.model.layers[j]
        if prev.type == "Flatten":
            s_in, s_out = prev.input_shape, prev.output_shape
            if s_in is None or s_out is None or s_in.open_rank or len(s_out) < 1:
                return None
            merged = list(s_in.dims[len(s_out) - 1:])
            if merged and all(is_known(d) for d in merged) and math.prod(merged) == got[-1]:
                return merged
            return None
        if prev.output_shape != got or prev.input_shape != got:
            return None  # something reshaped the tensor after any Flatten
        j -= 1
    return None


def _factors(node: cst.BaseExpression) -> list:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return _factors(node.left) + _factors(node.right)
    return [node]


def _groupings(dims: list, n: int) -> list:
    """Every way to cut `dims` into n contiguous groups, as the products of the groups."""
    if n == len(dims):
        return [list(dims)]
    out = []
    for cuts in itertools.combinations(range(1, len(dims)), n - 1):
        bounds = (0,) + cuts + (len(dims),)
        out.append([math.prod(dims[a:b]) for a, b in zip(bounds, bounds[1:])])
    return out


def _product_edits(site: _Site, node: cst.BaseExpression, declared: Optional[int], merged: list) -> Optional[list]:
    """Rewrite the integer factors of a product so that it equals the flattened dims, factor for factor."""
    factors = _factors(node)
    if len(factors) < 2 or len(factors) > len(merged) or len(merged) > 6:
        return None
    values = []
    for f in factors:
        if isinstance(f, cst.Integer):
            values.append(("lit", _int_value(site.value(f))))
        else:
            values.append(("fixed", _int_value(site.value(f))))
    targets = _groupings(merged, len(factors))
    if len(factors) == len(merged):
        targets += [list(p) for p in itertools.permutations(merged)]
    best = None
    for target in targets:
        edits = 0
        unknown_product = 1
        ok = True
        for (kind, v), t in zip(values, target):
            if kind == "fixed":
                if v is None:
                    unknown_product *= t
                elif v != t:
                    ok = False
                    break
            elif v != t:
                edits += 1
        if not ok:
            continue
        unknown = [i for i, (k, v) in enumerate(values) if k == "fixed" and v is None]
        if unknown:
            # factors we cannot evaluate (a name bound at run time) are only kept when the declared product
            # pins their value down exactly
            known = math.prod(v for k, v in values if v is not None)
            if declared is None or known == 0 or declared % known or declared // known != unknown_product:
                continue
        if best is None or edits < best[0]:
            best = (edits, target)
    if best is None:
        return None
    return [site.replace(f, str(t)) for f, (kind, v), t in zip(factors, values, best[1])
            if kind == "lit" and v != t]


def _fix_linear(site: _Site) -> list:
    if site.layer.type != "Linear" or site.shared:
        return []
    s = site.layer.input_shape
    if s is None or len(s) < 1 or not is_known(s[-1]):
        return []
    got = s[-1]
    arg = _arg(site.call, "in_features", 0)
    if arg is None:
        return []
    declared = _int_value(site.value(arg.value))
    if declared is None:
        m = re.search(r"in_features=(\d+)", site.diag.message)
        declared = int(m.group(1)) if m else None
    fixes = []
    flat = s.sample_numel() if not s.open_rank and len(s) > 2 else None
    flatten_fix = None
    if flat is not None and declared == flat:
        flatten_fix = _insert_flatten(site)
        if flatten_fix is not None:
            fixes.append(flatten_fix)
    title = f"Set in_features to {got}"
    edits = None
    merged = _flatten_source(site)
    if merged is not None and isinstance(arg.value, cst.BinaryOperation):
        edits = _product_edits(site, arg.value, declared, merged)
    if edits is None:
        edits = [site.replace(arg.value, _value_text(site, arg.value, got))]
    # On a 4-D (or higher) input the Linear acts on the last axis only; setting in_features to that axis
    # makes torch accept the model but is rarely what was meant (a missing Flatten): never auto-applied.
    safe = flatten_fix is None and (s.open_rank or len(s) <= 3)
    fixes.append(site.fix(title, edits, safe=safe))
    return fixes


def _insert_flatten(site: _Site) -> Optional[Fix]:
    flatten = _flatten_name(site)
    if flatten is None:
        return None
    parents = site.src.parents(site.chunk)
    call = site.call
    parent = parents.get(call)
    src_lines = site.src.lines
    title = f"Insert {flatten}() before this layer"

    def before(node: cst.CSTNode, element: str) -> TextEdit:
        # anchored on the Arg / Element, whose span includes any parentheses around the call
        s = site.span(node)
        line = src_lines[s.line - 1]
        indent = line[: s.col - 1]
        if indent.strip() == "":
            return TextEdit(s.line, 1, s.line, 1, f"{indent}{element},{_eol(line)}")
        return TextEdit(s.line, s.col, s.line, s.col, f"{element}, ")

    if isinstance(parent, cst.Arg) and not parent.star and parent.keyword is None:
        owner = parents.get(parent)
        if isinstance(owner, cst.Call):
            fname = dotted(owner.func) or ""
            if fname.split(".")[-1] == "Sequential":
                return site.fix(title, [before(parent, f"{flatten}()")], safe=True, reshapes=True)
            if isinstance(owner.func, cst.Attribute) and owner.func.attr.value in ("append", "add") \
                    and len(owner.args) == 1:
                stmt_expr = parents.get(owner)
                line_stmt = parents.get(stmt_expr) if isinstance(stmt_expr, cst.Expr) else None
                if isinstance(line_stmt, cst.SimpleStatementLine) and len(line_stmt.body) == 1:
                    s = site.span(line_stmt)
                    line = src_lines[s.line - 1]
                    indent = line[: s.col - 1]
                    if indent.strip() == "":
                        owner_text = site.src.text_of(site.chunk, owner.func)
                        text = f"{indent}{owner_text}({flatten}()){_eol(line)}"
                        return site.fix(title, [TextEdit(s.line, 1, s.line, 1, text)],
                                   safe=True, reshapes=True)
        return None
    if isinstance(parent, cst.Element) and not isinstance(parent, cst.StarredElement):
        container = parents.get(parent)
        if isinstance(container, cst.Tuple) and len(container.elements) == 2 and container.elements[1] is parent:
            # an OrderedDict entry ("fc", nn.Linear(...)): insert ("flatten", nn.Flatten()) before it
            entry = parents.get(container)
            key = container.elements[0].value
            if isinstance(entry, cst.Element) and isinstance(key, cst.SimpleString):
                quote = key.quote
                name = _fresh_key(site, "flatten")
                edit = before(entry, f"({quote}{name}{quote}, {flatten}())")
                return site.fix(title, [edit], safe=True, reshapes=True)
            return None
        if isinstance(container, (cst.List, cst.Tuple)):
            return site.fix(title, [before(parent, f"{flatten}()")], safe=True, reshapes=True)
    return None


def _fresh_key(site: _Site, base: str) -> str:
    used = set(re.findall(r"""["']([A-Za-z_][A-Za-z0-9_]*)["']""", site.chunk.text))
    if base not in used:
        return base
    for i in itertools.count(1):
        if f"{base}{i}" not in used:
            return f"{base}{i}"
    raise AssertionError  # pragma: no cover


def _flatten_name(site: _Site) -> Optional[str]:
    """How this file spells torch.nn.Flatten: the Linear's own prefix (nn., torch.nn.), else an imported name."""
    func = site.call.func
    if isinstance(func, cst.Attribute):
        prefix = dotted(func.value)
        if prefix is not None:
            return f"{prefix}.Flatten"
    aliases = site.src.aliases()
    names = aliases.names
    for local, full in names.items():
        if full == "torch.nn.Flatten":
            return local
    for local, full in names.items():
        if full == "torch.nn" and not local.startswith("*"):
            return f"{local}.Flatten"
    if any(k.startswith("*") and v == "torch.nn" for k, v in names.items()):
        return "Flatten"
    if names.get("torch") == "torch":
        return "torch.nn.Flatten"
    return None


# ---------------------------------------------------------------------- SL105: channels


def _channel_param(layer_type: str) -> Optional[tuple]:
    """(parameter, its positional index, the index of the channel axis in the input shape)."""
    nd = _nd(layer_type)
    if re.fullmatch(r"Conv[123]d|ConvTranspose[123]d", layer_type) and nd:
        return "in_channels", 0, -(nd + 1)
    if re.fullmatch(r"BatchNorm[123]d", layer_type):
        return "num_features", 0, 1
    if re.fullmatch(r"InstanceNorm[123]d", layer_type) and nd:
        return "num_features", 0, -(nd + 1)
    if layer_type == "GroupNorm":
        return "num_channels", 1, 1
    if layer_type == "PReLU":
        return "num_parameters", 0, 1
    return None


def _fix_channels(site: _Site) -> list:
    if site.shared:
        return []
    s = site.layer.input_shape
    if s is None:
        return []
    if site.layer.type in ("LayerNorm", "RMSNorm"):
        return _fix_layer_norm(site, s)
    spec = _channel_param(site.layer.type)
    if spec is None:
        return []
    name, index, axis = spec
    if (axis >= 0 and s.open_rank) or len(s) < (axis + 1 if axis >= 0 else -axis):
        return []
    got = s[axis]
    if not is_known(got):
        return []
    arg = _arg(site.call, name, index)
    if arg is None:
        return []
    safe = True
    if name == "in_channels":
        groups = site.value(getattr(_arg(site.call, "groups", 6), "value", None), 1)  # 7th in both signatures
        safe = _int_value(groups) is not None and got % groups == 0
    elif name == "num_channels":
        groups = site.value(getattr(_arg(site.call, "num_groups", 0), "value", None))
        safe = _int_value(groups) is not None and got % groups == 0
    edit = site.replace(arg.value, _value_text(site, arg.value, got))
    return [site.fix(f"Set {name} to {got}", [edit], safe=safe)]


def _fix_layer_norm(site: _Site, s: Shape) -> list:
    arg = _arg(site.call, "normalized_shape", 0)
    if arg is None:
        return []
    node = arg.value
    if isinstance(node, (cst.Tuple, cst.List)):
        elements = [el for el in node.elements]
        if not elements or any(isinstance(el, cst.StarredElement) for el in elements):
            return []
        n = len(elements)
    else:
        elements, n = [], 1
    if len(s) < n:
        return []
    tail = list(s.dims[len(s) - n:])
    if not all(is_known(d) for d in tail):
        return []
    if elements:
        edits = [site.replace(el.value, _value_text(site, el.value, t))
                 for el, t in zip(elements, tail) if _int_value(site.value(el.value)) != t]
        shown = "(" + ", ".join(str(t) for t in tail) + (",)" if n == 1 else ")")
    else:
        edits = [site.replace(node, _value_text(site, node, tail[0]))]
        shown = str(tail[0])
    if not edits:
        return []
    return [site.fix(f"Set normalized_shape to {shown}", edits, safe=True)]


# ---------------------------------------------------------------------- SL102 / SL103 / SL104


def _fix_same_stride(site: _Site) -> list:
    """PyTorch padding='same' with stride > 1: integer padding d·(k − 1)//2, or stride 1."""
    nd = _nd(site.layer.type)
    if nd is None or site.shared:
        return []
    call = site.call
    fixes = []
    pad = _arg(call, "padding", 4)
    k = _per_axis(site.value(getattr(_arg(call, "kernel_size", 2), "value", None)), nd)
    dil_arg = _arg(call, "dilation", 5)
    dil = _per_axis(site.value(getattr(dil_arg, "value", None), 1), nd)
    if pad is not None and k is not None and dil is not None:
        pads = tuple(d * (kk - 1) // 2 for kk, d in zip(k, dil))
        text = _literal(pads)
        fixes.append(site.fix(f"Use padding={text}", [site.replace(pad.value, text)], safe=True, reshapes=True))
    stride = _arg(call, "stride", 3)
    if stride is not None:
        fixes.append(site.fix("Set stride=1", [site.replace(stride.value, "1")], safe=True, reshapes=True))
    return fixes


def _fix_pool_padding(site: _Site) -> list:
    """Pooling padding above half the effective kernel: the largest padding torch accepts."""
    nd = _nd(site.layer.type)
    if nd is None or site.shared or not re.fullmatch(r"(Max|Avg)Pool[123]d", site.layer.type):
        return []
    call = site.call
    pad = _arg(call, "padding", 2)
    k = _per_axis(site.value(getattr(_arg(call, "kernel_size", 0), "value", None)), nd)
    dil = (1,) * nd
    if site.layer.type.startswith("Max"):
        dil = _per_axis(site.value(getattr(_arg(call, "dilation", 3), "value", None), 1), nd)
    padv = _per_axis(site.value(getattr(pad, "value", None)), nd)
    if pad is None or k is None or dil is None or padv is None:
        return []
    new = tuple(min(p, (d * (kk - 1) + 1) // 2) for p, kk, d in zip(padv, k, dil))
    text = _literal(new)
    return [site.fix(f"Set padding to {text}", [site.replace(pad.value, text)], safe=True, reshapes=True)]


def _fix_strides_dilation(site: _Site) -> list:
    """Keras strides > 1 with dilation_rate > 1."""
    if site.shared:
        return []
    call = site.call
    fixes = []
    strides = _arg(call, "strides", 2)
    if strides is not None:
        fixes.append(site.fix("Set strides=1", [site.replace(strides.value, "1")], safe=True, reshapes=True))
    dilation = _arg(call, "dilation_rate", 5)
    if dilation is not None:
        fixes.append(site.fix("Set dilation_rate=1", [site.replace(dilation.value, "1")],
                         safe=True, reshapes=True))
    return fixes


# the SL numbers below are those the rules in frameworks/ report these problems with
FIXERS: dict = {
    "SL102": _fix_same_stride,
    "SL103": _fix_pool_padding,
    "SL104": _fix_strides_dilation,
    "SL105": _fix_channels,
    "SL106": _fix_linear,
}


# ---------------------------------------------------------------------- compute


def _layer_sites(result: FileResult) -> dict:
    """span → [(model index, model, layer index, layer)] for every layer of every model."""
    out: dict = {}
    for mi, m in enumerate(result.models):
        for i, layer in enumerate(m.layers):
            out.setdefault(layer.span, []).append((mi, m, i, layer))
    return out


def _layer_of(d: Diagnostic, sites: dict) -> Optional[list]:
    """The layer records a diagnostic is about: the layer at its span (Sequential models), or, for a call
    in forward() / call(), the layer declared where its related information points ("… is declared here")."""
    found = sites.get(d.span)
    if found:
        return found
    related = [(span, msg) for span, msg in d.related if span in sites]
    related.sort(key=lambda r: "declared" not in r[1])
    return sites[related[0][0]] if related else None


def _called_more_than_once(src: "_Source", ch: Chunk, layer: LayerRecord, model: ModelRecord) -> bool:
    """A submodule of an nn.Module / keras.Model used at several places: one declaration, several inputs."""
    if getattr(model, "kind", "sequential") != "module" or not layer.name:
        return False
    uses = re.findall(r"\bself\s*\.\s*" + re.escape(layer.name) + r"\b", ch.text)
    return len(uses) > 2  # the declaration and one call


def _in_loop(site_parents: dict, call: cst.Call) -> bool:
    node = site_parents.get(call)
    while node is not None:
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp, cst.For, cst.While,
                             cst.Lambda)):
            return True
        node = site_parents.get(node)
    return False


def compute_fixes(text: str, result: FileResult, diagnostics: Optional[Iterable[Diagnostic]] = None) -> list:
    """Every fix for the file's diagnostics (or for `diagnostics` only), in diagnostic order; per diagnostic
    the repairing fixes first (the first safe one marked preferred), then "Ignore SLxxx on this line"."""
    src = _Source(text)
    sites = _layer_sites(result)
    diags = list(diagnostics) if diagnostics is not None else list(result.diagnostics)
    diags.sort(key=lambda d: (d.span.line, d.span.col, d.code))
    fixes: list = []
    for d in diags:
        own: list = []
        key = None
        fixer = FIXERS.get(d.code)
        found = _layer_of(d, sites) if fixer else None
        located = src.call_at(found[0][3].span) if found else None
        if fixer and found and located:
            mi, model, index, layer = found[0]
            key = (mi, index)
            call, ch = located
            shared = len({(str(l.input_shape), l.type) for _, _, _, l in found}) > 1 or \
                _in_loop(src.parents(ch), call) or _called_more_than_once(src, ch, layer, model)
            site = _Site(src, d, call, ch, layer, model, index, shared)
            try:
                own = [f for f in fixer(site) if f.edits]
            except (FixError, KeyError, IndexError, ValueError, TypeError):
                own = []  # a fixer that cannot make sense of this call offers nothing rather than failing
        if d.code in LINE_FIXERS:
            own = [f for f in [LINE_FIXERS[d.code](src, d)] if f is not None]
        for f in own:
            f.layer_key = key
        for f in own:
            if f.safe:
                f.preferred = True
                break
        ignore = _ignore_fix(src, d)
        if ignore is not None:
            own.append(ignore)
        fixes.extend(own)
    return fixes


# ---------------------------------------------------------------------- applying


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def fix_text(text: str, path: str = "<string>", options: Optional[Options] = None,
             codes: Optional[Iterable[str]] = None,
             compute: Optional[Callable] = None) -> tuple:
    """Apply the safe fixes in rounds (at most MAX_ROUNDS; re-analysed after each round, since one fix can
    reveal the next). Returns (new_text, applied fixes). Raises FixError when a fix does not apply cleanly.
    `codes` limits the codes fixed; `compute` replaces compute_fixes (tests)."""
    compute = compute or compute_fixes
    wanted = {c.upper() for c in codes} if codes is not None else None
    applied: list = []
    current = text
    result = analyze_source(current, path, options)
    for _ in range(MAX_ROUNDS):
        chosen: list = []
        taken: list = []
        reshaped: set = set()   # models where a fix of this round changes the shapes further down
        candidates = [f for f in compute(current, result) if f.safe and f.preferred]  # one per diagnostic
        candidates = _round_order(candidates, result)
        lines_and_starts = _lines_and_starts(current)
        for f in candidates:
            if wanted is not None and f.code not in wanted:
                continue
            model = f.layer_key[0] if f.layer_key else None
            if model is not None and model in reshaped:
                continue  # computed from shapes an earlier fix changes: redo it next round
            offsets = _edit_offsets(current, f.edits, lines_and_starts)
            if any(_overlaps(o, t) for o in offsets for t in taken):
                continue  # the next round will see it again
            chosen.append(f)
            taken.extend(offsets)
            if f.reshapes and model is not None:
                reshaped.add(model)
        if not chosen:
            break
        edits = [e for f in chosen for e in f.edits]
        new = apply_edits(current, edits)
        if _parses(current) and not _parses(new):
            raise FixError(f"{path}: applying {', '.join(f.title for f in chosen)} would break the syntax")
        new_result = analyze_source(new, path, options)
        mapped = position_mapper(current, edits)
        reported = {(d.code, d.span.line, d.span.col) for d in new_result.diagnostics}
        for f in chosen:
            line, col = mapped(f.diagnostic.span.line, f.diagnostic.span.col)
            if (f.code, line, col) in reported:
                raise FixError(f"{path}:{f.diagnostic.span.line}: '{f.title}' did not remove {f.code}")
        applied.extend(chosen)
        current, result = new, new_result
    return current, applied


def _round_order(candidates: list, result: FileResult) -> list:
    """Sequential models: layer order (fix_text stops a model at its first shape-changing fix). Models whose
    layers run in forward() order, not declaration order: either every fix that keeps the shapes, or the
    first shape-changing one alone, so that no fix of a round is computed from shapes another one changes."""
    candidates = sorted(candidates, key=lambda f: f.layer_key or (-1, -1))
    out = []
    for mi in sorted({f.layer_key[0] for f in candidates if f.layer_key} | {None}, key=lambda m: (m is not None, m)):
        group = [f for f in candidates if (f.layer_key[0] if f.layer_key else None) == mi]
        kind = getattr(result.models[mi], "kind", "sequential") if mi is not None else "sequential"
        if kind != "sequential":
            keep = [f for f in group if not f.reshapes]
            group = keep or group[:1]
        out.extend(group)
    return out


def _overlaps(a: tuple, b: tuple) -> bool:
    (a1, b1, _), (a2, b2, _) = a, b
    if a1 == b1 == a2 == b2:
        return True
    return a1 < b2 and a2 < b1 or (a1 == a2 and (a1 == b1 or a2 == b2))


def unified_diff(old: str, new: str, path: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))


def fix_file(path: str, write: bool, options: Optional[Options] = None, codes: Optional[Iterable[str]] = None,
             compute: Optional[Callable] = None) -> tuple:
    """Fix one file: (new_text, unified diff, applied fixes). With write=True the file is replaced atomically,
    and only if it changed and every fix applied cleanly (else FixError, and the file is untouched)."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FixError(f"{path}: not UTF-8 ({e.reason}); not fixed")
    new_text, applied = fix_text(text, path, options, codes, compute)
    diff = unified_diff(text, new_text, path) if new_text != text else ""
    if write and new_text != text:
        _atomic_write(path, new_text.encode("utf-8"))
    return new_text, diff, applied


def _atomic_write(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".shapelens-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
