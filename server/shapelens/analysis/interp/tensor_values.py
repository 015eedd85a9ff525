"""The numbers inside small 1-D tensors built from known numbers, as torch computes them: torchvision's RegNet
sizes its stages with tensor arithmetic (`torch.arange(depth) * w_a + w_0`, `torch.log`, `torch.round`,
`torch.pow`, `.int().tolist()`).

"Numbers must be right": an int64 element is an int, exactly. A float32 element is a Python float when its
value is certain: +, -, *, / of float32 values are IEEE operations, correctly rounded, reproduced here
exactly from the exact rational result. Where torch's result is not reproducible bit for bit (log and pow
come from vectorised kernels with up to a few ulps of error), an element is an Approx: an interval sure to
contain torch's float32. torch.round / .int() of an Approx give a number only when every value of the
interval gives the same one; otherwise the whole tensor's numbers are unknown (None), never a near miss.
"""
from __future__ import annotations

import math
import struct
from fractions import Fraction
from typing import Callable, Optional

MAX_ELEMENTS = 4096
KERNEL_ULPS = 4   # torch 2.13's float32 log / pow (Sleef, ≤ 1 ulp; VML / libm ≤ 1 ulp): four is a margin


class Approx:
    """A float32 torch computes, known to lie in [lo, hi]."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi

    def __repr__(self) -> str:  # pragma: no cover
        return f"Approx({self.lo!r}, {self.hi!r})"


def f32(v: float) -> Optional[float]:
    """v rounded to float32 (ties to even, as the hardware), None past float32's range."""
    try:
        return struct.unpack("f", struct.pack("f", v))[0]
    except OverflowError:
        return None


def ulp32(x: float) -> float:
    """The spacing of float32 numbers at x."""
    x = abs(x)
    if x < 2.0 ** -126:
        return 2.0 ** -149
    return 2.0 ** (math.frexp(x)[1] - 24)


def round_f32(exact: Fraction) -> Optional[float]:
    """The float32 nearest the exact rational: IEEE round to nearest, ties to even, subnormals included,
    computed exactly (no double rounding); None past float32's range."""
    if exact == 0:
        return 0.0
    sign, q = (-1, -exact) if exact < 0 else (1, exact)
    e = q.numerator.bit_length() - q.denominator.bit_length()   # 2**e <= q < 2**(e + 2)
    if q < Fraction(2) ** e:
        e -= 1
    elif q >= Fraction(2) ** (e + 1):
        e += 1
    e = max(e, -126)                                            # subnormals: a fixed exponent
    scaled = q * Fraction(2) ** (23 - e)                        # the significand, 24 bits before rounding
    m = round(scaled)                                           # Fraction.__round__: ties to even
    if m == 2 ** 24:
        m, e = 2 ** 23, e + 1
    if e > 127:
        return None
    return sign * math.ldexp(m, e - 23)


def bounds(v) -> tuple:
    if isinstance(v, Approx):
        return v.lo, v.hi
    return float(v), float(v)


def widened(lo: float, hi: float, ulps: float):
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return Approx(lo - ulps * ulp32(lo), hi + ulps * ulp32(hi))


def to_f32(v):
    """An element as float32 (torch casts an int64 tensor, or a Python scalar, to the float32 operand's
    dtype); a Python float scalar is rounded once, exactly as torch converts it."""
    if isinstance(v, Approx):
        return v
    if isinstance(v, bool):
        v = int(v)
    return round_f32(Fraction(v))


_EXACT = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b}


def arith(op: str, a, b):
    """One element of `a op b` with torch's type promotion: int64 with int64 stays int64 (but `/` is true
    division, float32); anything with a float is float32."""
    if op not in _EXACT:
        return None
    if isinstance(a, int) and isinstance(b, int) and op != "/":
        v = _EXACT[op](a, b)
        return v if -2 ** 63 <= v < 2 ** 63 else None
    a, b = to_f32(a), to_f32(b)
    if a is None or b is None:
        return None
    if op == "/" and (0.0 in bounds(b) or (isinstance(b, Approx) and b.lo <= 0.0 <= b.hi)):
        return None
    if isinstance(a, Approx) or isinstance(b, Approx):
        (alo, ahi), (blo, bhi) = bounds(a), bounds(b)
        combos = [_EXACT[op](x, y) for x in (alo, ahi) for y in (blo, bhi)]
        return widened(min(combos), max(combos), 1)
    return round_f32(_EXACT[op](Fraction(a), Fraction(b)))


def monotone(fn: Callable[[float], float], v, increasing: bool = True):
    """An element through a kernel of a few ulps' error (log, exp of a float32)."""
    lo, hi = bounds(to_f32(v))   # to_f32 keeps an Approx as it is
    try:
        a, b = fn(lo), fn(hi)
    except (ValueError, OverflowError):
        return None
    return widened(min(a, b), max(a, b), KERNEL_ULPS)


def power(base, exponent):
    """One element of torch.pow / `**`: int64 exactly for a non-negative int exponent, else a float32 kernel of
    a few ulps over the interval (a positive base: monotone in each argument)."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        return base ** exponent if abs(base ** exponent) < 2 ** 63 else None
    lo, hi = bounds(to_f32(base))
    elo, ehi = bounds(to_f32(exponent))
    if lo <= 0:
        return None
    try:
        combos = [x ** y for x in (lo, hi) for y in (elo, ehi)]
    except OverflowError:
        return None
    return widened(min(combos), max(combos), KERNEL_ULPS)


def to_integer(v, how: str):
    """torch.round (half to even) or a cast to an integer type (toward zero) of one element: the number, or
    None when the interval straddles two answers."""
    if isinstance(v, int):
        return v
    step = (lambda x: float(round(x))) if how == "round" else (lambda x: math.trunc(x))
    lo, hi = bounds(v)
    a, b = step(lo), step(hi)
    if a != b:
        return None
    return a if how == "round" else int(a)


def elementwise(fn, *columns) -> Optional[tuple]:
    """fn over the elements of equal-length tuples (a length-1 one broadcasts); None when any is unknown."""
    n = max(len(c) for c in columns)
    if n > MAX_ELEMENTS or any(len(c) not in (1, n) for c in columns):
        return None
    out = []
    for i in range(n):
        v = fn(*[c[i if len(c) > 1 else 0] for c in columns])
        if v is None:
            return None
        out.append(v)
    return tuple(out)


def exact(values: Optional[tuple]) -> Optional[tuple]:
    """The values when every one is a number (what .tolist() / .item() / iteration can hand out)."""
    if values is None or any(isinstance(v, Approx) for v in values):
        return None
    return values
