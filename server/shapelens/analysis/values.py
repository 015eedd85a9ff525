"""Static evaluation of the constant expressions that size layers. Never executes user code.

A value is a plain Python constant (int, float, str, bool, None, tuple, list) or Unknown(reason).
Names resolve through a chain of Scopes (module, enclosing function, ...). Anything only known at run
time (a function argument, len(x), a config attribute) becomes Unknown with a sentence saying why.
"""
from __future__ import annotations

import ast
import builtins
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst


@dataclass(frozen=True)
class Unknown:
    reason: str

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Unknown({self.reason!r})"


def is_unknown(v: Any) -> bool:
    return isinstance(v, Unknown)


def first_unknown(*values: Any) -> Optional[Unknown]:
    for v in values:
        if isinstance(v, Unknown):
            return v
        if isinstance(v, (tuple, list)):
            u = first_unknown(*v)
            if u:
                return u
    return None


# Ints beyond this many bits are "absurd sizes": we refuse to compute them rather than hang.
MAX_BITS = 4096


@dataclass
class Scope:
    """Names bound in one scope. Values are constants, Unknown, or libcst nodes (e.g. a layer call
    bound to a name, or a list of layer calls built with .append) for the finder to expand."""

    parent: Optional["Scope"] = None
    names: dict = field(default_factory=dict)
    kind: str = "module"

    def lookup(self, name: str) -> Any:
        scope: Optional[Scope] = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return _MISSING

    def bind(self, name: str, value: Any) -> None:
        self.names[name] = value


_MISSING = object()

_BUILTIN_CONSTS = {"True": True, "False": False, "None": None}


# Fields of libcst nodes that only hold whitespace, brackets, commas and other tokens (never a name or a
# call): skipped by child_nodes(), which is what a CSTVisitor would reach minus those tokens.
_TOKEN_FIELDS = frozenset({
    "lpar", "rpar", "lbrace", "lbracket", "rbrace", "rbracket", "comma", "colon", "first_colon", "second_colon",
    "dot", "equal", "semicolon", "operator", "asynchronous", "comment", "leading_lines", "empty_lines",
    "trailing_whitespace", "newline", "header", "footer", "lines_after_decorators", "default_indent",
    "default_newline", "encoding", "has_trailing_newline", "relative", "conversion", "trailing_comma", "separator",
    "posonly_ind", "star", "leading_whitespace", "first_line", "last_line", "indent"})
# Where the fields' declaration order is not the source order a CSTVisitor visits them in.
_VISIT_ORDER = {
    "Arg": ("keyword", "value"),
    "ClassDef": ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    "ExceptHandler": ("type", "name", "body"),
    "ExceptStarHandler": ("type", "name", "body"),
    "FunctionDef": ("decorators", "name", "type_parameters", "params", "returns", "body"),
    "IfExp": ("body", "test", "orelse"),
    "MatchCase": ("pattern", "guard", "body"),
    "Parameters": ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
    "TypeAlias": ("name", "type_parameters", "value"),
}
_CHILD_FIELDS: dict = {}


def _child_fields(t: type) -> tuple:
    import dataclasses

    names = [f.name for f in dataclasses.fields(t)
             if not f.name.startswith("whitespace") and f.name not in _TOKEN_FIELDS]
    order = _VISIT_ORDER.get(t.__name__) if t.__module__.startswith("libcst.") else None
    if order is not None and sorted(order) == sorted(names):
        names = list(order)
    _CHILD_FIELDS[t] = tuple(names)
    return _CHILD_FIELDS[t]


def child_nodes(node: cst.CSTNode) -> list:
    """The child nodes of `node` that can hold names or calls (no whitespace or token nodes), in the order a
    CSTVisitor visits them (source order). A direct replacement for walking with a visitor (whose
    dispatch is slow, and which rebuilds every node it leaves)."""
    t = type(node)
    fields = _CHILD_FIELDS.get(t)
    if fields is None:
        fields = _child_fields(t)
    out = []
    for f in fields:
        v = getattr(node, f)
        if isinstance(v, cst.CSTNode):
            out.append(v)
        elif isinstance(v, (tuple, list)):
            out.extend(x for x in v if isinstance(x, cst.CSTNode))
    return out


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENTIFIERS: dict = {}


def identifiers(text: str) -> Optional[frozenset]:
    """The identifiers in a statement's text: a superset of the names in it, for cheap checks before a
    walk over its nodes. None when the text is not ASCII (a name may be spelled in a way the pattern
    does not see)."""
    hit = _IDENTIFIERS.get(text, _MISSING)
    if hit is _MISSING:
        hit = frozenset(_IDENTIFIER.findall(text)) if text.isascii() else None
        if len(_IDENTIFIERS) > 8192:
            _IDENTIFIERS.clear()
        _IDENTIFIERS[text] = hit
    return hit


def names_in(node: cst.CSTNode) -> set:
    """The values of every Name node under `node` (itself included)."""
    names = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is cst.Name:
            names.add(n.value)
            continue
        stack.extend(child_nodes(n))
    return names


def code_of(node: cst.CSTNode) -> str:
    try:
        return cst.Module(body=[]).code_for_node(node)
    except Exception:  # pragma: no cover - libcst always renders nodes it parsed
        return "<expr>"


def short(node: cst.CSTNode, limit: int = 40) -> str:
    text = " ".join(code_of(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evaluate(node: cst.BaseExpression, scope: Scope) -> Any:
    """The constant value of `node`, or Unknown(reason). Layer calls etc. come back as nodes."""
    try:
        return _eval(node, scope, 0)
    except RecursionError:
        return Unknown("expression nested too deeply to evaluate")


def _eval(node: cst.BaseExpression, scope: Scope, depth: int) -> Any:
    if depth > 60:
        return Unknown("expression nested too deeply to evaluate")
    # The most frequent node types first, by exact type (libcst's node classes have no subclasses).
    t = type(node)
    if t is cst.Integer or t is cst.Float:
        return _literal(node.value)
    if t is cst.Name:
        return _eval_name(node.value, scope)
    if t is cst.Call:
        return _call(node, scope, depth)
    if t is cst.SimpleString:
        text = node.value  # what node.evaluated_value gives; short literals ("relu", "same") cached
        v = _string(text) if len(text) <= 200 else ast.literal_eval(text)
        return v if isinstance(v, str) else Unknown("bytes are not sizes")
    return _eval_other(node, scope, depth)


def _eval_other(node: cst.BaseExpression, scope: Scope, depth: int) -> Any:
    ev = lambda n: _eval(n, scope, depth + 1)  # noqa: E731
    if isinstance(node, cst.Integer):
        return _literal(node.value)
    if isinstance(node, cst.Float):
        return _literal(node.value)
    if isinstance(node, cst.Imaginary):
        return Unknown("complex numbers are not sizes")
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        v = node.evaluated_value
        return v if isinstance(v, str) else Unknown("bytes are not sizes")
    if isinstance(node, cst.FormattedString):
        return Unknown(f"`{short(node)}` is formatted at run time")
    if isinstance(node, cst.Name):
        return _eval_name(node.value, scope)
    if isinstance(node, (cst.Tuple, cst.List)):
        items = []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                inner = ev(el.value)
                if isinstance(inner, (tuple, list)):
                    items.extend(inner)
                    continue
                return Unknown(f"`{short(el)}` is only known at run time")
            items.append(ev(el.value))
        return tuple(items) if isinstance(node, cst.Tuple) else list(items)
    if isinstance(node, cst.UnaryOperation):
        v = ev(node.expression)
        if is_unknown(v):
            return v
        try:
            if isinstance(node.operator, cst.Minus):
                return -v
            if isinstance(node.operator, cst.Plus):
                return +v
            if isinstance(node.operator, cst.Not):
                return not v
        except TypeError:
            pass
        return Unknown(f"cannot evaluate `{short(node)}`")
    if isinstance(node, cst.BinaryOperation):
        return _binop(node, ev(node.left), ev(node.right))
    if isinstance(node, cst.Subscript):
        return _subscript(node, ev(node.value), scope, depth)
    if isinstance(node, cst.Call):
        return _call(node, scope, depth)
    if isinstance(node, cst.Attribute):
        return Unknown(f"`{short(node)}` is an attribute, known only at run time")
    if isinstance(node, cst.IfExp):
        test = ev(node.test)
        if is_unknown(test):
            return Unknown(f"the condition `{short(node.test)}` is only known at run time")
        return ev(node.body if test else node.orelse)
    if isinstance(node, cst.ListComp):
        return node  # the finder expands comprehensions of layers
    if isinstance(node, cst.Comparison):
        return _compare(node, ev)
    if isinstance(node, cst.BooleanOperation):
        left = ev(node.left)
        if is_unknown(left) or isinstance(left, cst.CSTNode):
            return Unknown(f"`{short(node)}` is only known at run time")
        if isinstance(node.operator, cst.And):
            return ev(node.right) if left else left
        return left if left else ev(node.right)
    return Unknown(f"`{short(node)}` is only known at run time")


_COMPARE = {
    cst.Equal: lambda a, b: a == b, cst.NotEqual: lambda a, b: a != b,
    cst.LessThan: lambda a, b: a < b, cst.LessThanEqual: lambda a, b: a <= b,
    cst.GreaterThan: lambda a, b: a > b, cst.GreaterThanEqual: lambda a, b: a >= b,
    cst.In: lambda a, b: a in b, cst.NotIn: lambda a, b: a not in b,
    cst.Is: lambda a, b: a is b, cst.IsNot: lambda a, b: a is not b,
}


def _compare(node: cst.Comparison, ev) -> Any:
    """`v == "M"`, `0 < i < n`: only on constants; anything unknown makes the whole test unknown."""
    left = ev(node.left)
    for target in node.comparisons:
        right = ev(target.comparator)
        if first_unknown(left, right) or isinstance(left, cst.CSTNode) or isinstance(right, cst.CSTNode):
            return Unknown(f"`{short(node)}` is only known at run time")
        fn = _COMPARE.get(type(target.operator))
        try:
            if fn is None or not fn(left, right):
                return False if fn is not None else Unknown(f"cannot evaluate `{short(node)}`")
        except TypeError:
            return Unknown(f"`{short(node)}` cannot be evaluated")
        left = right
    return True


@functools.lru_cache(maxsize=4096)
def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return Unknown(f"cannot read the number {text}")


@functools.lru_cache(maxsize=4096)
def _string(text: str) -> Any:
    return ast.literal_eval(text)


def _eval_name(name: str, scope: Scope) -> Any:
    v = scope.lookup(name)
    if v is _MISSING:
        if name in _BUILTIN_CONSTS:
            return _BUILTIN_CONSTS[name]
        return Unknown(f"`{name}` is not defined in this file")
    return v


def _too_big(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > MAX_BITS


def _binop(node: cst.BinaryOperation, left: Any, right: Any) -> Any:
    u = first_unknown(left, right)
    if u:
        return u
    op = node.operator
    try:
        if isinstance(op, cst.Power):
            if isinstance(left, (int, float)) and isinstance(right, (int, float)):
                if abs(left) > 1 and right > 0 and right * math.log2(abs(left)) > MAX_BITS:
                    return Unknown(f"`{short(node)}` is an absurdly large number")
            result = left ** right
        elif isinstance(op, cst.Add):
            result = left + right
        elif isinstance(op, cst.Subtract):
            result = left - right
        elif isinstance(op, cst.Multiply):
            if isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
                n = right if isinstance(left, (str, list, tuple)) else left
                if isinstance(n, int) and n > 10_000:
                    return Unknown(f"`{short(node)}` repeats a sequence {n} times")
            result = left * right
        elif isinstance(op, cst.Divide):
            result = left / right
        elif isinstance(op, cst.FloorDivide):
            result = left // right
        elif isinstance(op, cst.Modulo):
            result = left % right
        else:
            return Unknown(f"cannot evaluate `{short(node)}` statically")
    except (TypeError, ZeroDivisionError, OverflowError, ValueError):
        return Unknown(f"`{short(node)}` cannot be evaluated")
    if _too_big(result):
        return Unknown(f"`{short(node)}` is an absurdly large number")
    return result


def _subscript(node: cst.Subscript, base: Any, scope: Scope, depth: int) -> Any:
    if is_unknown(base):
        return base
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return Unknown(f"`{short(node)}` is only known at run time")
    index = _eval(node.slice[0].slice.value, scope, depth + 1)
    if is_unknown(index):
        return index
    try:
        if isinstance(base, (tuple, list, dict, str)):
            return base[index]
    except (IndexError, KeyError, TypeError):
        return Unknown(f"`{short(node)}` is out of range")
    return Unknown(f"`{short(node)}` is only known at run time")


_MATH = {"math.floor": math.floor, "math.ceil": math.ceil, "math.prod": math.prod, "math.sqrt": math.sqrt}
_PURE = {"int", "float", "max", "min", "abs", "round", "tuple", "list", "len", "sum", "str", "bool"}


def _call(node: cst.Call, scope: Scope, depth: int) -> Any:
    func = node.func
    name = None
    if isinstance(func, cst.Name) and scope.lookup(func.value) is _MISSING:
        name = func.value
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "math":
        name = "math." + func.attr.value
    if name in _PURE or name in _MATH:
        if any(a.keyword is not None or a.star for a in node.args):
            return Unknown(f"`{short(node)}` is only known at run time")
        args = [_eval(a.value, scope, depth + 1) for a in node.args]
        u = first_unknown(*args)
        if u:
            return u
        fn = _MATH.get(name) or getattr(builtins, name)
        try:
            result = fn(*args)
        except Exception:
            return Unknown(f"`{short(node)}` cannot be evaluated")
        return Unknown(f"`{short(node)}` is an absurdly large number") if _too_big(result) else result
    return node  # a call: the finder decides whether it is a layer; as a value it is unknown


def as_value(v: Any, what: str) -> Any:
    """A call node or comprehension where a constant was expected becomes Unknown."""
    if isinstance(v, cst.CSTNode):
        return Unknown(f"{what} `{short(v)}` is only known at run time")
    return v
