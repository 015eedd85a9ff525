"""einops as the interpreter meets it (never read from site-packages: loader.NATIVE_TOPS): the functions
`einops.rearrange / repeat / reduce / einsum` on tensors, and the layers `einops.layers.torch.Rearrange /
Reduce` as parameter-free torch leaves. The pattern rules are frameworks/einops_patterns.py."""
from __future__ import annotations

from typing import Any

from . import modules as M
from .objects import Param, Tensor

LAYERS = {"Rearrange", "Reduce"}
FUNCTIONS = {"rearrange", "repeat", "reduce", "einsum"}


def short_name(name: str) -> str:
    for prefix in ("einops.layers.torch.", "einops.einops.", "einops._einsum.", "einops."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def call(it, name: str, args: list, kwargs: dict, node, frame, star) -> Any:
    """einops.<name>(...); None when it is not one einops follows here (the caller says so)."""
    from . import tensors as T

    short = short_name(name)
    if short in LAYERS and name.startswith(("einops.layers.torch.", "einops.layers.")):
        return M.leaf(it, "torch", f"einops.layers.torch.{short}", args, kwargs, star, node, frame)
    if short not in FUNCTIONS or name not in (f"einops.{short}", f"einops.einops.{short}", "einops._einsum.einsum"):
        return None
    args = [T.as_tensor(a) for a in args]
    values = list(args) + list(kwargs.values())
    if star is not None:
        return T.unknown_op(it, node, frame, values, f"`{frame.code.text(node)}` unpacks arguments at run time")
    if short == "einsum":
        return _einsum(it, args, kwargs, node, frame)
    first = args[0] if args else kwargs.get("tensor")
    inputs = [first] if isinstance(first, Tensor) else []
    shape = first.shape if isinstance(first, Tensor) else None
    if isinstance(first, (list, tuple)) and first and all(isinstance(t, (Tensor, Param)) for t in first):
        inputs = [T.as_tensor(t) for t in first]   # a list of tensors is stacked on a new first axis
        shapes = [t.shape for t in inputs]
        if all(s is not None and not s.open_rank for s in shapes) and len({s.dims for s in shapes}) == 1:
            shape = type(shapes[0]).of([len(inputs)] + list(shapes[0].dims))
    if not inputs:
        return T.unknown_op(it, node, frame, values, f"`{name}()` is given no tensor shapelens follows")
    from ...frameworks import einops_patterns as E

    kw = {k: _plain(v) for k, v in kwargs.items()}
    res = E.call(short, shape, [None] + [_plain(a) for a in args[1:]], kw)
    if res is None:
        return T.unknown_op(it, node, frame, values, f"the arguments of `{frame.code.text(node)}` are not einops'")
    if shape is None and not res.error:
        return T.unknown_op(it, node, frame, values, res.reason or "the input's shape is unknown")
    return T.from_result(it, node, frame, res, inputs, short)


def _plain(v):
    if isinstance(v, (int, str, float)) or v is None:
        return v
    return v   # an Unknown stays one: an unknown pattern or reduction is not a constant


def _einsum(it, args, kwargs, node, frame):
    """einops.einsum(*tensors, pattern): torch.einsum with axis names of any length."""
    from . import tensors as T
    from ...frameworks import tensor_ops

    *operands, pattern = args if args else [None]
    inputs = [t for t in operands if isinstance(t, Tensor)]
    if not isinstance(pattern, str) or len(inputs) != len(operands) or not inputs:
        return T.unknown_op(it, node, frame, list(args), "the einsum pattern is known only at run time")
    if any(t.shape is None for t in inputs):
        return T.unknown_op(it, node, frame, inputs, "an operand's shape is unknown")
    eq = _letters(pattern)
    if eq is None:
        return T.unknown_op(it, node, frame, inputs, f"the einsum pattern '{pattern}' is not one shapelens reads")
    res = tensor_ops.einsum(eq, [t.shape for t in inputs])
    if res.error:
        res.error = res.error.replace(f"'{eq}'", f"'{pattern}'")
    return T.from_result(it, node, frame, res, inputs, "einsum")


def _letters(pattern: str):
    """'b h i d, b h j d -> b h i j' as 'abcd,abed->abce' (None for parentheses or too many names)."""
    if "->" not in pattern or "(" in pattern or ")" in pattern:
        return None
    left, right = pattern.split("->", 1)
    names: dict = {}
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def term(t: str):
        out = ""
        for tok in t.split():
            if tok == "...":
                out += "..."
                continue
            if not tok.isidentifier():
                return None
            if tok not in names:
                if len(names) >= len(letters):
                    return None
                names[tok] = letters[len(names)]
            out += names[tok]
        return out

    terms = [term(t) for t in left.split(",")]
    rhs = term(right)
    if rhs is None or any(t is None for t in terms):
        return None
    return ",".join(terms) + "->" + rhs
