"""einops patterns (einops 0.8: einops/parsing.py, einops/einops.py `_prepare_transformation_recipe` and
`_reconstruct_from_shape_uncached`), as shape rules: `rearrange`, `repeat`, `reduce` and the torch layers
`einops.layers.torch.Rearrange` / `Reduce` (parameter-free modules; their catalog is CATALOG below).

Framework-free: sizes are ints, symbolic sizes (analysis/symbolic.py) or "?". An error is reported only where
einops raises for sure (both sizes are ints); with a symbolic or unknown size the check is left open.
"""
from __future__ import annotations

from typing import Any, Optional

from ..analysis import symbolic
from ..analysis.shapes import UNKNOWN, Shape, dim_text
from .base import Catalog, Ctx
from .tensor_ops import Result, fail, unknown

REDUCTIONS = ("min", "max", "sum", "mean", "prod", "any", "all")
_ELL = "…"
_UNKNOWN_LEN = object()    # an axis whose length the input gives
_EXPECTED_LEN = object()   # an axis whose length a keyword argument gives


class EinopsError(Exception):
    pass


class Anon:
    """An anonymous axis (`2` in `(h 2)`): each one is its own axis, as einops' AnonymousAxis."""

    def __init__(self, value: str) -> None:
        self.value = int(value)

    def __repr__(self) -> str:
        return str(self.value)


class Side:
    """One side of a pattern (einops.parsing.ParsedExpression)."""

    def __init__(self, expression: str) -> None:
        self.has_ellipsis = False
        self.ellipsis_parenthesized: Optional[bool] = None
        self.identifiers: set = set()
        self.non_unitary_anonymous = False
        self.composition: list = []
        if "." in expression:
            if "..." not in expression:
                raise EinopsError("Expression may contain dots only inside ellipsis (...)")
            if expression.count("...") != 1 or expression.count(".") != 3:
                raise EinopsError("Expression may contain dots only inside ellipsis (...); only one ellipsis for "
                                  "tensor ")
            expression = expression.replace("...", _ELL)
            self.has_ellipsis = True
        group: Optional[list] = None

        def add(x: str) -> None:
            if x in self.identifiers:
                raise EinopsError(f'Indexing expression contains duplicate dimension "{x}"')
            if x == _ELL:
                self.identifiers.add(_ELL)
                if group is None:
                    self.composition.append(_ELL)
                    self.ellipsis_parenthesized = False
                else:
                    group.append(_ELL)
                    self.ellipsis_parenthesized = True
                return
            number = x.isdecimal()
            if number and int(x) == 1:
                if group is None:
                    self.composition.append([])
                return
            if not number and not valid_name(x):
                raise EinopsError(f"Invalid axis identifier: {x}")
            axis: Any = Anon(x) if number else x
            self.identifiers.add(axis)
            self.non_unitary_anonymous |= number
            (self.composition.append([axis]) if group is None else group.append(axis))

        current = None
        for ch in expression:
            if ch in "() ":
                if current is not None:
                    add(current)
                current = None
                if ch == "(":
                    if group is not None:
                        raise EinopsError("Axis composition is one-level (brackets inside brackets not allowed)")
                    group = []
                elif ch == ")":
                    if group is None:
                        raise EinopsError("Brackets are not balanced")
                    self.composition.append(group)
                    group = None
            elif ch.isalnum() or ch in ("_", _ELL):
                current = ch if current is None else current + ch
            else:
                raise EinopsError(f"Unknown character '{ch}'")
        if group is not None:
            raise EinopsError(f'Imbalanced parentheses in expression: "{expression}"')
        if current is not None:
            add(current)


def valid_name(name: str) -> bool:
    return name.isidentifier() and name[0] != "_" and name[-1] != "_"


class Recipe:
    def __init__(self, left: list, right: list, lengths: dict, right_ids: set) -> None:
        self.left, self.right, self.lengths, self.right_ids = left, right, lengths, right_ids


def check_operation(operation: Any) -> str:
    """'rearrange', 'repeat', or a reduction ('reduce' for a callable one)."""
    if operation in ("rearrange", "repeat") or operation in REDUCTIONS or operation == "reduce":
        return operation
    raise EinopsError(f"Unknown reduction {operation}. Expect one of {REDUCTIONS}.")


def recipe(pattern: str, operation: str, axes_names: tuple, ndim: int) -> Recipe:
    """einops._prepare_transformation_recipe: the checks of the pattern for an ndim-D input."""
    if not isinstance(pattern, str) or "->" not in pattern:
        raise EinopsError(f"Pattern {pattern!r} has no '->'")
    left_str, right_str = pattern.split("->")[:2] if pattern.count("->") == 1 else _too_many_arrows(pattern)
    left, right = Side(left_str), Side(right_str)
    if not left.has_ellipsis and right.has_ellipsis:
        raise EinopsError(f"Ellipsis found in right side, but not left side of a pattern {pattern}")
    if left.has_ellipsis and left.ellipsis_parenthesized:
        raise EinopsError(f"Ellipsis inside parenthesis in the left side is not allowed: {pattern}")
    if operation == "rearrange":
        if left.non_unitary_anonymous or right.non_unitary_anonymous:
            raise EinopsError("Non-unitary anonymous axes are not supported in rearrange (exception is length 1)")
        difference = left.identifiers ^ right.identifiers
        if difference:
            raise EinopsError(f"Identifiers only on one side of expression (should be on both): {_names(difference)}")
    elif operation == "repeat":
        difference = left.identifiers - right.identifiers
        if difference:
            raise EinopsError(f"Unexpected identifiers on the left side of repeat: {_names(difference)}")
        without = {a for a in right.identifiers if not isinstance(a, Anon)} - left.identifiers - set(axes_names)
        if without:
            raise EinopsError(f"Specify sizes for new axes in repeat: {_names(without)}")
    else:
        difference = right.identifiers - left.identifiers
        if difference:
            raise EinopsError(f"Unexpected identifiers on the right side of reduce {operation}: {_names(difference)}")
    if left.has_ellipsis:
        n_other = len(left.composition) - 1
        if ndim < n_other:
            raise EinopsError(f"Wrong shape: expected >={n_other} dims. Received {ndim}-dim tensor.")
        ell = [f"{_ELL}{i}" for i in range(ndim - n_other)]
        left_comp = []
        for axes in left.composition:
            left_comp.extend([[a] for a in ell] if axes == _ELL else [axes])
        right_comp = []
        for axes in right.composition:
            if axes == _ELL:
                right_comp.extend([a] for a in ell)
            else:
                right_comp.append([x for a in axes for x in (ell if a == _ELL else [a])])
        right_ids = (right.identifiers - {_ELL}) | (set(ell) if right.has_ellipsis else set())
    else:
        if ndim != len(left.composition):
            raise EinopsError(f"Wrong shape: expected {len(left.composition)} dims. Received {ndim}-dim tensor.")
        left_comp, right_comp = left.composition, right.composition
        right_ids = right.identifiers
    lengths: dict = {}
    for axes in left_comp:
        for a in axes:
            lengths[a] = a.value if isinstance(a, Anon) else _UNKNOWN_LEN
    for a in right_ids:
        if a not in lengths:
            lengths[a] = a.value if isinstance(a, Anon) else _UNKNOWN_LEN
    for name in axes_names:
        if not valid_name(name):
            raise EinopsError(f"Invalid name for an axis {name}")
        if name not in lengths:
            raise EinopsError(f"Axis {name} is not used in transform")
        lengths[name] = _EXPECTED_LEN
    for axes in left_comp:
        open_ = [a for a in axes if lengths[a] is _UNKNOWN_LEN]
        if len(open_) > 1:
            raise EinopsError(f"Could not infer sizes for {_names(open_)}")
    return Recipe(left_comp, right_comp, lengths, right_ids)


def _too_many_arrows(pattern: str):
    raise EinopsError(f"too many values to unpack in pattern {pattern!r} (more than one '->')")


def _names(axes) -> str:
    return "{" + ", ".join(sorted(repr(a) for a in axes)) + "}"


def _size(v: Any) -> Any:
    """An axis length given as a keyword: an int, a symbolic size, else "?"."""
    if isinstance(v, bool):
        return UNKNOWN
    if isinstance(v, float) and v.is_integer() and v > 0:
        return int(v)
    if isinstance(v, int) or symbolic.is_symbolic(v):
        return v
    return UNKNOWN


def _divide(length: Any, known: Any) -> Any:
    if isinstance(length, int) and isinstance(known, int):
        return length // known
    if isinstance(known, int) and known > 0:
        return symbolic.floordiv(length, known) if symbolic.is_symbolic(length) else UNKNOWN
    if known == length and symbolic.is_symbolic(known):
        return 1
    return UNKNOWN


def reconstruct(r: Recipe, dims: list, axes: dict) -> list:
    """einops._reconstruct_from_shape: the output sizes, or EinopsError where einops raises."""
    lengths = {a: v for a, v in r.lengths.items()}
    for name, v in axes.items():
        lengths[name] = _size(v)
    for axes_group, length in zip(r.left, dims):
        known = [a for a in axes_group if lengths[a] is not _UNKNOWN_LEN]
        open_ = [a for a in axes_group if lengths[a] is _UNKNOWN_LEN]
        if not known and len(open_) == 1:
            lengths[open_[0]] = length
            continue
        product: Any = 1
        for a in known:
            product = symbolic.mul(product, lengths[a])
        if not open_:
            if isinstance(length, int) and isinstance(product, int) and length != product:
                raise EinopsError(f"Shape mismatch, {length} != {product}")
        else:
            if isinstance(length, int) and isinstance(product, int) and (product == 0 or length % product):
                if product == 0:
                    raise EinopsError("integer division or modulo by zero")
                raise EinopsError(f"Shape mismatch, can't divide axis of length {length} in chunks of {product}")
            lengths[open_[0]] = _divide(length, product)
    out = []
    for group in r.right:
        size: Any = 1
        for a in group:
            v = lengths[a]
            size = symbolic.mul(size, v if v is not _UNKNOWN_LEN and v is not _EXPECTED_LEN else UNKNOWN)
        out.append(size)
    return out


def apply(shape: Optional[Shape], pattern: Any, operation: Any, axes: dict, fn: str = "", label: str = "") -> Result:
    """The output of einops.<fn>(x, pattern, ...) on an input of `shape` (None: unknown)."""
    fn = fn or ("reduce" if operation not in ("rearrange", "repeat") else operation)
    if not isinstance(pattern, str):
        return unknown(f"the pattern of {fn}() is not a constant string")
    if not isinstance(operation, str):
        operation = "reduce"   # a callable reduction (torch.logsumexp, ...): einops accepts it
    if any(not isinstance(k, str) for k in axes):
        return unknown("an axis length is given through **kwargs known only at run time")
    try:
        check_operation(operation)
        if shape is None or (shape.open_rank and "..." in pattern):
            recipe(pattern, operation, tuple(axes), _some_ndim(pattern))   # the pattern's own errors
            return unknown("the input's shape is unknown")
        dims = list(shape.dims)
        if shape.open_rank:   # a pattern without '...' fixes the rank: the leading sizes are unknown
            n = len(Side(pattern.split("->")[0]).composition)
            if len(dims) > n:
                raise EinopsError(f"Wrong shape: expected {n} dims. Received {len(dims)}-dim tensor.")
            dims = [UNKNOWN] * (n - len(dims)) + dims
        r = recipe(pattern, operation, tuple(axes), len(dims))
        out = Shape.of(reconstruct(r, dims, axes))
    except EinopsError as e:
        given = "".join(f", {k}={dim_text(_size(v))}" for k, v in axes.items())
        red = f", '{operation}'" if operation not in ("rearrange", "repeat", "reduce") else ""
        label = label or f"einops.{fn}(x, "
        shown = f" on the input {shape.text()}" if shape is not None else ""
        return fail(f"{label}'{pattern}'{red}{given}) raises{shown}: {e}")
    return Result(out, text=f"{fn} '{pattern}' → {out.text()}")


def _some_ndim(pattern: str) -> int:
    left = Side(pattern.split("->")[0])
    return len(left.composition) - (1 if left.has_ellipsis else 0)


def construction_error(pattern: Any, operation: Any, axes: tuple) -> Optional[str]:
    """What einops raises when a Rearrange / Reduce layer is built (einops._prepare_recipes_for_all_dims)."""
    if not isinstance(pattern, str) or not all(isinstance(a, str) for a in axes):
        return None
    try:
        check_operation(operation if isinstance(operation, str) else "reduce")
        left = Side(pattern.split("->")[0]) if "->" in pattern else None
        if left is None:
            raise EinopsError("not enough values to unpack (expected 2, got 1)")
        ndims = [len(left.composition)] if not left.has_ellipsis else \
            [len(left.composition) - 1 + k for k in range(8)]
        for ndim in ndims:
            recipe(pattern, operation if isinstance(operation, str) else "reduce", axes, ndim)
    except EinopsError as e:
        return str(e)
    return None


# ---------------------------------------------------------------- the layers

CATALOG = Catalog("einops.layers.torch.")


def _layer_rule(c: Ctx, operation: Any, fn: str) -> None:
    c.set_params(0)
    c.macs = 0
    pattern = c.known("pattern")
    axes = dict(c.extra)
    if pattern is None:
        c.unknown_output("the pattern is known only at run time")
        return
    if not isinstance(pattern, str):
        c.error("SL108", f"{fn}: pattern={pattern!r} is not a string")
        c.unknown_output("the pattern is not a string")
        return
    bad = construction_error(pattern, operation, tuple(axes))
    if bad is not None:
        red = f", {operation!r}" if fn == "Reduce" and isinstance(operation, str) else ""
        c.error("SL108", f"{fn}('{pattern}'{red}) raises when built: {bad}")
        c.unknown_output("the pattern is invalid")
        return
    if c.inp is None:
        c.unknown_output(c.input_unknown())
        return
    left = Side(pattern.split("->")[0])
    if not c.inp.open_rank:
        n = len(left.composition)
        ndim = len(c.inp)
        if (not left.has_ellipsis and ndim != n) or (left.has_ellipsis and not n - 1 <= ndim < n + 7):
            want = f"{n}" if not left.has_ellipsis else f"{n - 1} to {n + 6}"
            c.error("SL110", f"{fn}('{pattern}') takes a {want}-D input, not the {ndim}-D {c.inp.text()} (einops "
                             f"has no recipe for it: KeyError {ndim})", related_to_input=True)
            c.unknown_output("the input has the wrong rank")
            return
    res = apply(c.inp, pattern, operation, axes, fn.lower(), label=f"{fn}(")
    if res.error:
        c.error("SL111", res.error, related_to_input=True)
        c.unknown_output("the pattern does not fit the input")
        return
    if res.shape is None:
        c.unknown_output(res.reason)
        return
    c.out = res.shape
    c.formula("shape", res.text)


@CATALOG.layer("Rearrange", "pattern, **axes_lengths")
def rearrange_layer(c: Ctx) -> None:
    """einops Rearrange(pattern, **axes_lengths): einops.rearrange as a layer (no parameters)."""
    _layer_rule(c, "rearrange", "Rearrange")


@CATALOG.layer("Reduce", "pattern, reduction, **axes_lengths")
def reduce_layer(c: Ctx) -> None:
    """einops Reduce(pattern, reduction, **axes_lengths): einops.reduce as a layer (no parameters)."""
    reduction = c.args.get("reduction")
    if not isinstance(reduction, str) and not callable(reduction):
        reduction = "reduce"
    _layer_rule(c, reduction, "Reduce")


# ---------------------------------------------------------------- the functions

def call(fn: str, shape: Optional[Shape], args: list, kwargs: dict) -> Optional[Result]:
    """einops.rearrange / repeat / reduce on an input of `shape`, the other arguments as the call gives them
    (the tensor first). None when the call's arguments are not the function's."""
    rest = list(args[1:])
    kw = dict(kwargs)
    kw.pop("tensor", None)
    pattern = rest.pop(0) if rest else kw.pop("pattern", None)
    if fn == "reduce":
        operation = rest.pop(0) if rest else kw.pop("reduction", None)
        if operation is None:
            return None
    else:
        operation = fn
    if rest or pattern is None:
        return None
    return apply(shape, pattern, operation, kw, fn)

