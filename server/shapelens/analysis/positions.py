"""Node positions of a parsed statement from CPython's `ast`, instead of libcst's PositionProvider.

Why: PositionProvider finds positions by generating the code of the whole tree while counting lines
and columns. That pass is about a third of a cold analysis of a large file (~0.8 s for the ~300 model
statements of benchmarks/generate.py's `large_file`). `ast.parse` (in C) already knows where every
expression and statement starts and ends; mapping its nodes onto the libcst tree is several times
cheaper and gives the same ranges.

What it relies on (tests/test_positions.py compares every range with PositionProvider's):
- For expressions and statements, PositionProvider's range is ast's range: 1-based lines, columns at
  the same places (ast counts UTF-8 bytes, libcst code points: converted), the node's own parentheses
  excluded. Exceptions, adjusted here: a parenthesised Tuple (ast includes its innermost parentheses);
  a Slice that ends with a colon (libcst includes the colon's trailing whitespace).
- A walk of the libcst tree in source order meets those nodes in the order of the ast nodes sorted by
  (start, larger first). Each pair is checked (node kind, name / value / argument count) and any
  mismatch returns None: the caller then uses PositionProvider.
- Nodes without an ast counterpart are derived from their parts the way libcst's codegen records
  them: Arg, Element, DictElement, SubscriptElement, Index, AssignTarget, SimpleStatementLine,
  BooleanOperation (ast flattens `a and b and c`), GeneratorExp (ast includes the parentheses, its
  own or the call's), the Name of an Attribute's attr, of a keyword argument, of a def / class and of
  `except ... as name`. A parameter's Name is paired with ast's `arg`.
- Not covered (left out of the dict): anything inside f-strings, imports, `del`, `global`,
  `nonlocal`, `match` and type parameters; Param, Decorator, Else / Finally / IndentedBlock,
  WithItem, comprehension clauses, operators and whitespace; a derived node whose parts sit in
  parentheses with a line break or a backslash in their whitespace. The caller falls back to
  PositionProvider when asked for those. None for the whole statement: the text does not parse with
  `ast`, has a form feed or a BOM, or the trees do not line up.
"""
from __future__ import annotations

import ast
import dataclasses
import io
import warnings
from typing import Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

Range = tuple  # (start line, start column, end line, end column): lines 1-based, columns 0-based code points


def fast_positions(module: cst.Module, text: str, statements: Optional[list] = None,
                   first_line: int = 1) -> Optional[dict]:
    """node -> CodeRange, the same values PositionProvider gives, for the expressions, statements and
    the other nodes listed in the module docstring; None when this fast path cannot vouch for its
    answer (the text does not parse with `ast`, or the two trees do not line up).

    `statements`: the text's ast statements if already parsed as part of a larger text (the whole
    file), whose line `first_line` is the text's first line; this spares parsing the text again."""
    if statements is None:
        tree = _parse(text)
        if tree is None:
            return None
        statements, first_line = tree.body, 1
    elif _odd(text):
        return None
    walk = _Walk()
    try:
        walk.visit(module)
    except RecursionError:
        return None
    ranges = _pair_up(walk.pairs, _ast_nodes(statements), _Columns(text), first_line - 1)
    if ranges is None:
        return None
    for node, derive in reversed(walk.derived):  # parts before the nodes made of them
        derive(node, ranges)
    return _code_ranges(ranges)


def _code_ranges(ranges: dict) -> dict:
    positions: dict = {}  # one CodePosition per place: many nodes start or end at the same one
    out = {}
    for node, (a, b, c, d) in ranges.items():
        start = positions.get(a << 24 | b)
        if start is None:
            start = positions[a << 24 | b] = CodePosition(a, b)
        end = positions.get(c << 24 | d)
        if end is None:
            end = positions[c << 24 | d] = CodePosition(c, d)
        out[node] = _code_range(start, end)
    return out


def _code_range(start: CodePosition, end: CodePosition) -> CodeRange:
    """CodeRange(start, end) without its __init__'s type checks (half the cost of this module's output).
    CodeRange is a frozen dataclass: fields are set the way its own __init__ sets them."""
    r = _new_range(CodeRange)
    _set_field(r, "start", start)
    _set_field(r, "end", end)
    return r


_new_range = CodeRange.__new__
_set_field = object.__setattr__


def _odd(text: str) -> bool:
    return text.startswith("\ufeff") or "\f" in text   # libcst and ast count columns differently there


def _parse(text: str) -> Optional[ast.Module]:
    if _odd(text):
        return None
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence": not ours to print
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


# ----------------------------------------------------------------------------------- the ast side

def _optional(*names: str) -> tuple:
    """The ast classes of these names that this Python has."""
    return tuple(getattr(ast, n) for n in names if hasattr(ast, n))


# Nodes whose insides are not mapped (neither side descends): f-strings (positions inside them vary
# across Python versions), imports / global / del (names that are expressions in libcst only), match
# (patterns) and type parameters.
_AST_OPAQUE = frozenset((ast.JoinedStr, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Delete) + \
    _optional("Match", "TypeAlias", "TypeVar", "ParamSpec", "TypeVarTuple", "TemplateStr"))


def _ast_nodes(statements: list) -> list:
    """The ast nodes that have a libcst counterpart, in source order (an enclosing node first)."""
    found = []
    stack = list(reversed(statements))
    while stack:
        node = stack.pop()
        cls = type(node)
        if cls in _AST_MAPPED:
            found.append(node)
        if cls in _AST_OPAQUE:
            continue
        for name in _ast_fields_of(cls):
            value = getattr(node, name, None)
            if type(value) is list:
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    # a stable sort: on equal ranges (an Expr statement and its value) the enclosing node, met first, stays first
    found.sort(key=lambda a: (a.lineno, a.col_offset, -a.end_lineno, -a.end_col_offset))
    return found


_AST_FIELDS: dict = {}
_AST_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "id", "arg", "attr", "name", "kind", "type_comment", "module",
                              "level", "names", "conversion", "is_async", "simple", "lineno"})


def _ast_fields_of(cls: type) -> tuple:
    """The fields that can hold expressions or statements (not names, contexts or operators)."""
    fields = _AST_FIELDS.get(cls)
    if fields is None:
        fields = _AST_FIELDS[cls] = tuple(f for f in cls._fields
                                          if f not in _AST_LEAF_FIELDS and not (cls is ast.Constant and f == "value"))
    return fields


class _Columns:
    """ast column (UTF-8 bytes into the line) -> libcst column (code points)."""

    def __init__(self, text: str) -> None:
        self.ascii = text.isascii()
        self.lines = None if self.ascii else io.StringIO(text, newline="").readlines()  # as Python splits lines
        self.encoded: dict = {}

    def __call__(self, line: int, col: int) -> int:
        if self.ascii:
            return col
        data = self.encoded.get(line)
        if data is None:
            s = self.lines[line - 1]
            data = self.encoded[line] = b"" if s.isascii() else s.encode("utf-8")
        return len(data[:col].decode("utf-8")) if data else col


# ------------------------------------------------------------------------------ the libcst side

# libcst class -> the ast classes of its counterpart (the classes special-cased in `_kind` are below)
_KINDS: dict = {
    cst.Attribute: (ast.Attribute,), cst.Call: (ast.Call,), cst.Subscript: (ast.Subscript,),
    cst.BinaryOperation: (ast.BinOp,), cst.UnaryOperation: (ast.UnaryOp,), cst.Comparison: (ast.Compare,),
    cst.Lambda: (ast.Lambda,), cst.IfExp: (ast.IfExp,), cst.NamedExpr: (ast.NamedExpr,), cst.Await: (ast.Await,),
    cst.Tuple: (ast.Tuple,), cst.List: (ast.List,), cst.Set: (ast.Set,), cst.Dict: (ast.Dict,),
    cst.ListComp: (ast.ListComp,), cst.SetComp: (ast.SetComp,), cst.DictComp: (ast.DictComp,),
    cst.StarredElement: (ast.Starred,), cst.Slice: (ast.Slice,),
    cst.Integer: (ast.Constant,), cst.Float: (ast.Constant,), cst.Imaginary: (ast.Constant,),
    cst.SimpleString: (ast.Constant,), cst.Ellipsis: (ast.Constant,), cst.FormattedString: (ast.JoinedStr,),
    cst.Assign: (ast.Assign,), cst.AnnAssign: (ast.AnnAssign,), cst.AugAssign: (ast.AugAssign,),
    cst.Expr: (ast.Expr,), cst.Return: (ast.Return,), cst.Raise: (ast.Raise,), cst.Assert: (ast.Assert,),
    cst.Pass: (ast.Pass,), cst.Break: (ast.Break,), cst.Continue: (ast.Continue,), cst.Del: (ast.Delete,),
    cst.Global: (ast.Global,), cst.Nonlocal: (ast.Nonlocal,), cst.Import: (ast.Import,),
    cst.ImportFrom: (ast.ImportFrom,), cst.If: (ast.If,), cst.For: (ast.For, ast.AsyncFor),
    cst.While: (ast.While,), cst.With: (ast.With, ast.AsyncWith), cst.Try: (ast.Try,),
    cst.ExceptHandler: (ast.ExceptHandler,), cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,), cst.Match: _optional("Match"),
}
for _cst_name, _ast_names in (("TryStar", ("TryStar",)), ("ExceptStarHandler", ("ExceptHandler",)),
                              ("TypeAlias", ("TypeAlias",))):
    if hasattr(cst, _cst_name) and _optional(*_ast_names):
        _KINDS[getattr(cst, _cst_name)] = _optional(*_ast_names)

_CONSTANT_NAMES = {"True": True, "False": False, "None": None}


def _kind(node: cst.CSTNode) -> Optional[tuple]:
    """The ast classes of the node's counterpart, or None when it has none."""
    cls = type(node)
    if cls is cst.Name:
        return (ast.Constant,) if node.value in _CONSTANT_NAMES else (ast.Name,)
    if cls is cst.Arg:  # `*a` is an ast Starred, `**k` and `k=v` an ast keyword, a plain argument nothing
        if node.star == "*":
            return (ast.Starred,)
        return (ast.keyword,) if node.star == "**" or node.keyword is not None else None
    if cls is cst.Index:  # `a[*b]`
        return (ast.Starred,) if node.star else None
    if cls is cst.Yield:
        return (ast.YieldFrom,) if isinstance(node.value, cst.From) else (ast.Yield,)
    if cls is cst.ConcatenatedString:
        return (ast.JoinedStr,) if _has_fstring(node) else (ast.Constant,)
    return _KINDS.get(cls)


def _has_fstring(node: cst.ConcatenatedString) -> bool:
    parts = [node.left, node.right]
    while parts:
        part = parts.pop()
        if isinstance(part, cst.ConcatenatedString):
            parts += [part.left, part.right]
        elif not isinstance(part, cst.SimpleString):
            return True
    return False


_AST_MAPPED = frozenset({c for kinds in _KINDS.values() for c in kinds} |
                        {ast.Name, ast.Constant, ast.Starred, ast.keyword, ast.Yield, ast.YieldFrom, ast.JoinedStr,
                         ast.arg})

_CST_OPAQUE = frozenset((cst.FormattedString, cst.ConcatenatedString, cst.Import, cst.ImportFrom, cst.Del,
                         cst.Global, cst.Nonlocal, cst.Match) +
                        tuple(getattr(cst, n) for n in ("TypeAlias", "TemplatedString") if hasattr(cst, n)))

# Child fields walked, in source order, where that order differs from the dataclass field order or
# where some fields are left out: names with no ast counterpart (an Attribute's attr, a keyword, a def's
# name: derived), type parameters, decorators (walked before the def: see _Walk.visit), an except's name.
_FIELDS: dict = {
    cst.IfExp: ("body", "test", "orelse"),
    cst.FunctionDef: ("params", "returns", "body"),
    cst.ClassDef: ("bases", "keywords", "body"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.Param: ("annotation", "default"),
    cst.Attribute: ("value",),
    cst.Arg: ("value",),
    cst.ExceptHandler: ("type", "body"),
    cst.Subscript: ("value", "slice"),
    cst.MatchCase: ("pattern", "guard", "body"),
}
if hasattr(cst, "ExceptStarHandler"):
    _FIELDS[cst.ExceptStarHandler] = ("type", "body")

_TOKEN_FIELDS = frozenset({
    "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "comma", "semicolon", "leading_lines",
    "lines_after_decorators", "trailing_whitespace", "header", "footer", "operator", "equal", "dot",
    "colon", "first_colon", "second_colon", "asynchronous", "star", "leading_whitespace", "posonly_ind",
    "relative", "trailing_comma", "type_parameters", "decorators"})


def _fields_of(cls: type) -> tuple:
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls)
                                      if f.name not in _TOKEN_FIELDS and not f.name.startswith("whitespace"))
    return fields


def _children(node: cst.CSTNode) -> list:
    """The node's children that can hold expressions or statements, in source order."""
    out = []
    for name in _fields_of(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            out.extend(v for v in value if _is_node(type(v)))
        elif _is_node(kind):
            out.append(value)
    return out


_NODE_TYPES: dict = {}


def _is_node(kind: type) -> bool:
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


class _Walk:
    """The libcst tree in source order: `pairs` ((node, ast classes of its counterpart); node None for an
    ast node to skip: an unparenthesised subscript tuple `a[1, 2]` has no libcst node), `derived`
    ((node, derive) for the nodes whose range is made of other ranges)."""

    def __init__(self) -> None:
        self.pairs: list = []
        self.derived: list = []

    def visit(self, node: cst.CSTNode) -> None:
        cls = type(node)
        if cls is cst.FunctionDef or cls is cst.ClassDef:
            for decorator in node.decorators:  # they come first in the source, but the def's range starts after them
                self.visit(decorator)
        kind = _kind(node)
        if kind is not None:
            self.pairs.append((node, kind))
        elif cls is cst.Param:  # ast's `arg` starts at the parameter's name
            self.pairs.append((node.name, (ast.arg,)))
        derive = _DERIVED.get(cls)
        if derive is not None:
            self.derived.append((node, derive))
        if cls in _CST_OPAQUE:
            return
        if cls is cst.Subscript and _tuple_slice(node):
            self.visit(node.value)
            self.pairs.append((None, (ast.Tuple,)))
            for element in node.slice:
                self.visit(element)
            return
        for child in _children(node):
            self.visit(child)


def _tuple_slice(node: cst.Subscript) -> bool:
    """Whether ast makes the subscript a Tuple with no parentheses: `a[1, 2]`, `a[1,]`, `a[*b]`."""
    first = node.slice[0].slice
    return len(node.slice) > 1 or isinstance(node.slice[0].comma, cst.Comma) or \
        (isinstance(first, cst.Index) and bool(first.star))


# ------------------------------------------------------------------------------------ pairing

def _pair_up(pairs: list, ast_nodes: list, column: _Columns, shift: int = 0) -> Optional[dict]:
    """shift: lines before the text's first line in the ast's numbering."""
    if len(pairs) != len(ast_nodes):
        return None
    ranges = _Ranges()
    met = 0
    for (node, kind), a in zip(pairs, ast_nodes):
        if type(a) not in kind:
            return None
        if node is None:  # an ast node with no libcst counterpart
            continue
        check = _CHECKS.get(type(node))
        if check is not None and not check(node, a):
            return None
        line, end_line = a.lineno - shift, a.end_lineno - shift
        r = (line, column(line, a.col_offset), end_line, column(end_line, a.end_col_offset))
        if type(a) is ast.arg:  # the range of `x: int`: keep the name's
            r = (r[0], r[1], r[0], r[1] + len(node.value))
        adjust = _ADJUST.get(type(node))
        if adjust is not None:
            r = adjust(node, r)
        if r is not None:
            ranges[node] = r
            met += 1
    return ranges if len(ranges) == met else None  # a node met twice: do not guess


# A cheap check that a pair is the same piece of source.
_CONSTANT_TYPES = {cst.Integer: (int,), cst.Float: (float,), cst.Imaginary: (complex,),
                   cst.SimpleString: (str, bytes)}

_CHECKS: dict = {
    cst.Name: lambda n, a: a.id == n.value if type(a) is ast.Name else
    a.arg == n.value if type(a) is ast.arg else a.value is _CONSTANT_NAMES[n.value],
    cst.Attribute: lambda n, a: a.attr == n.attr.value,
    cst.Call: lambda n, a: len(n.args) == len(a.args) + len(a.keywords),
    cst.Arg: lambda n, a: type(a) is ast.Starred or a.arg == (n.keyword.value if n.keyword else None),
    cst.Integer: lambda n, a: type(a.value) in _CONSTANT_TYPES[type(n)],
    cst.Float: lambda n, a: type(a.value) in _CONSTANT_TYPES[type(n)],
    cst.Imaginary: lambda n, a: type(a.value) in _CONSTANT_TYPES[type(n)],
    cst.SimpleString: lambda n, a: type(a.value) in _CONSTANT_TYPES[type(n)],
    cst.Ellipsis: lambda n, a: a.value is ...,
    cst.Tuple: lambda n, a: len(n.elements) == len(a.elts),
    cst.List: lambda n, a: len(n.elements) == len(a.elts),
    cst.Set: lambda n, a: len(n.elements) == len(a.elts),
    cst.Dict: lambda n, a: len(n.elements) == len(a.keys),
    cst.Comparison: lambda n, a: len(n.comparisons) == len(a.ops),
    cst.Assign: lambda n, a: len(n.targets) == len(a.targets),
}


# ------------------------------------------------------------------- ranges ast gives differently

def _simple(ws) -> Optional[int]:
    """The width of whitespace that stays on its line, else None."""
    if type(ws) is cst.SimpleWhitespace and "\\" not in ws.value:
        return len(ws.value)
    return None


def _slice_range(node: cst.Slice, r: Range) -> Optional[Range]:
    """libcst's Slice range includes the whitespace around a colon at either end."""
    l1, c1, l2, c2 = r
    if node.lower is None:
        width = _simple(node.first_colon.whitespace_before)
        if width is None:
            return None
        c1 -= width
    if node.step is None:
        last = node.second_colon if isinstance(node.second_colon, cst.Colon) else \
            node.first_colon if node.upper is None else None
        if last is not None:
            width = _simple(last.whitespace_after)
            if width is None:
                return None
            c2 += width
    return (l1, c1, l2, c2)


_ADJUST: dict = {cst.Slice: _slice_range}


# --------------------------------------------------------------------------------- derived ranges

class _Ranges(dict):
    """node -> Range, and in `outer` the ranges with their parentheses that ast gave directly (a tuple's)."""

    def __init__(self) -> None:
        super().__init__()
        self.outer: dict = {}


def _outer(node: cst.CSTNode, ranges: _Ranges) -> Optional[Range]:
    """The node's range with its own parentheses."""
    lpar = getattr(node, "lpar", ())
    if not lpar:
        return ranges.get(node)
    r = ranges.outer.get(node)
    if r is not None:
        return r
    r = ranges.get(node)
    if r is None:
        return None
    l1, c1, l2, c2 = r
    for paren in lpar:
        width = _simple(paren.whitespace_after)
        if width is None:
            return None
        c1 -= 1 + width
    for paren in node.rpar:
        width = _simple(paren.whitespace_before)
        if width is None:
            return None
        c2 += width + 1
    return (l1, c1, l2, c2)


def _span(first: Optional[Range], last: Optional[Range]) -> Optional[Range]:
    return None if first is None or last is None else (first[0], first[1], last[2], last[3])


def _set(ranges: dict, node: cst.CSTNode, r: Optional[Range]) -> None:
    if r is not None:
        ranges[node] = r


def _last_comprehension_part(node: cst.GeneratorExp) -> cst.BaseExpression:
    comp = node.for_in
    while comp.inner_for_in is not None:
        comp = comp.inner_for_in
    return comp.ifs[-1].test if comp.ifs else comp.iter


def _name_at(ranges: dict, name: cst.Name, line: int, col: int) -> None:
    ranges[name] = (line, col, line, col + len(name.value))


def _attr_name(node: cst.Attribute, ranges: dict) -> None:
    r = ranges.get(node)
    if r is not None:  # the attribute's name ends the Attribute
        _name_at(ranges, node.attr, r[2], r[3] - len(node.attr.value))


def _arg(node: cst.Arg, ranges: dict) -> None:
    if node.keyword is not None:
        r = ranges.get(node)
        if r is not None:
            _name_at(ranges, node.keyword, r[0], r[1])
    elif not node.star:
        _set(ranges, node, _outer(node.value, ranges))


def _def_name(node, ranges: dict) -> None:
    """`[async] def name` / `class name`: the name follows the keywords on the def's first line."""
    r = ranges.get(node)
    if r is None:
        return
    if isinstance(node, cst.ClassDef):
        parts = [("class", node.whitespace_after_class)]
    else:
        parts = [("def", node.whitespace_after_def)]
        if node.asynchronous is not None:
            parts.insert(0, ("async", node.asynchronous.whitespace_after))
    col = r[1]
    for keyword, ws in parts:
        width = _simple(ws)
        if width is None:
            return
        col += len(keyword) + width
    _name_at(ranges, node.name, r[0], col)


def _tuple(node: cst.Tuple, ranges: dict) -> None:
    """ast's range of a parenthesised tuple includes its innermost parentheses, libcst's does not: it
    starts after the `(` and its whitespace and ends before the whitespace and `)`. When that whitespace
    has a line break, the first element's start / the last element's end (and comma) are used."""
    r = ranges.pop(node, None)
    if r is None or not node.lpar:
        _set(ranges, node, r)
        return
    if len(node.lpar) == 1:
        ranges.outer[node] = r
    l1, c1, l2, c2 = r
    width = _simple(node.lpar[-1].whitespace_after)
    if width is not None:
        c1 += 1 + width
    elif node.elements:
        first = _outer(node.elements[0], ranges)
        if first is None:
            return
        l1, c1 = first[0], first[1]
    else:
        return
    width = _simple(node.rpar[0].whitespace_before)
    if width is not None:
        c2 -= 1 + width
    elif node.elements:
        last = _with_comma(node.elements[-1], ranges)
        if last is None:
            return
        l2, c2 = last
    else:
        return
    ranges[node] = (l1, c1, l2, c2)


def _with_comma(element, ranges: dict) -> Optional[tuple]:
    """(line, column) of the end of the element and its comma if any."""
    r = _outer(element, ranges)
    comma = element.comma
    if r is None or not isinstance(comma, cst.Comma):
        return None if r is None else (r[2], r[3])
    before, after = _simple(comma.whitespace_before), _simple(comma.whitespace_after)
    if before is None or after is None:
        return None
    return (r[2], r[3] + before + 1 + after)


def _except_name(node, ranges: dict) -> None:
    """`except Type as name`: the name follows the type, `as` and their whitespace."""
    if node.name is None:
        return
    r = _outer(node.type, ranges)
    before, after = _simple(node.name.whitespace_before_as), _simple(node.name.whitespace_after_as)
    name = node.name.name
    if r is not None and before is not None and after is not None and isinstance(name, cst.Name):
        _name_at(ranges, name, r[2], r[3] + before + 2 + after)


def _compound(node, ranges: dict) -> None:
    """A compound statement ends with its last simple statement. ast's range also takes in a `;` after
    it, libcst's does not: then the end is that statement line's end."""
    last = node
    while not isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        children = _children(last)
        if not children:
            return
        last = children[-1]
    if isinstance(last.body[-1].semicolon, cst.Semicolon):
        r, end = ranges.pop(node, None), ranges.get(last)
        if r is not None and end is not None:
            ranges[node] = (r[0], r[1], end[2], end[3])


def _def(node, ranges: dict) -> None:
    _compound(node, ranges)
    _def_name(node, ranges)


def _except(node, ranges: dict) -> None:
    _compound(node, ranges)
    _except_name(node, ranges)


def _statement_line(node, ranges: dict) -> None:
    _set(ranges, node, _span(ranges.get(node.body[0]), ranges.get(node.body[-1])))


_DERIVED: dict = {
    cst.Attribute: _attr_name,
    cst.Arg: _arg,
    cst.ClassDef: _def,
    cst.FunctionDef: _def,
    cst.Element: lambda n, rs: _set(rs, n, _outer(n.value, rs)),
    cst.AssignTarget: lambda n, rs: _set(rs, n, _outer(n.target, rs)),
    cst.Index: lambda n, rs: None if n.star else _set(rs, n, _outer(n.value, rs)),
    cst.SubscriptElement: lambda n, rs: _set(rs, n, rs.get(n.slice)),
    cst.DictElement: lambda n, rs: _set(rs, n, _span(_outer(n.key, rs), _outer(n.value, rs))),
    cst.BooleanOperation: lambda n, rs: _set(rs, n, _span(_outer(n.left, rs), _outer(n.right, rs))),
    cst.GeneratorExp: lambda n, rs: _set(rs, n, _span(_outer(n.elt, rs), _outer(_last_comprehension_part(n), rs))),
    cst.Tuple: _tuple,
    cst.ExceptHandler: _except,
    cst.SimpleStatementLine: _statement_line,
    cst.SimpleStatementSuite: _statement_line,
}
for _compound_class in (cst.If, cst.For, cst.While, cst.With, cst.Try, cst.Match):
    _DERIVED[_compound_class] = _compound
if hasattr(cst, "TryStar"):
    _DERIVED[cst.TryStar] = _compound
if hasattr(cst, "ExceptStarHandler"):
    _DERIVED[cst.ExceptStarHandler] = _except
