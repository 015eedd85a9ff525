"""Symbolic sizes: integer expressions of the input's unknown sizes (issue #17).

With no input given, a model's input is `(N, C, H, W)` with N, H, W unknown; a Conv2d(k=3) makes H-2, a
2×2 pool (H-4)//2, a flatten 64·((H-4)//2)·((W-4)//2). A `Sym` is such a size. It is a `str` (its text),
so code that only carries sizes along treats it as it treats a directive's symbolic name ("H"), and two
sizes made by the same computation compare equal; the arithmetic below keeps the expression.

An expression is a polynomial: {monomial: coefficient}, a monomial a sorted tuple of atoms, an atom a
symbol name, a floor division `("//", poly, k)` or a sum used as a factor `("()", poly)` (products of sums
are not multiplied out: 64·(H-2)·(W-2) stays readable). Normal forms, all exact for integers:
  floor(P / k) with every coefficient of P divisible by k  = P / k
  floor(floor(P / a) / b)                                 = floor(P / (a·b))
  floor(P / k) + c                                        = floor((P + c·k) / k)
so a ResNet stem stays short: ((H+1)//2 - 1)//2 + 1 = (H+3)//4. Past MAX_TEXT characters a size is "?".
"""
from __future__ import annotations

import math
from typing import Optional

UNKNOWN = "?"
MAX_TEXT = 60
MAX_TERMS = 6


class Sym(str):
    """A size given by an expression of symbolic input sizes; its str value is the expression's text."""

    poly: tuple   # frozen polynomial: ((monomial, coefficient), ...)

    def __new__(cls, poly: tuple, text: str) -> "Sym":
        obj = super().__new__(cls, text)
        obj.poly = poly
        return obj

    def __reduce__(self):   # pickled across the LSP worker's pipe
        return (Sym, (self.poly, str(self)))


# ---------------------------------------------------------------------------- polynomials

def _freeze(p: dict) -> tuple:
    return tuple(sorted(((m, c) for m, c in p.items() if c), key=lambda mc: _mono_key(mc[0])))


def _mono_key(m: tuple) -> tuple:
    return (len(m) == 0, [_atom_text(a) for a in m])


def _poly(d) -> Optional[dict]:
    """The polynomial of a size: an int, a Sym, or a symbol name; None for "?" / None / anything else."""
    if isinstance(d, bool):
        return None
    if isinstance(d, int):
        return {(): d} if d else {}
    if isinstance(d, Sym):
        return dict(d.poly)
    if isinstance(d, str) and d != UNKNOWN and d.isidentifier():
        return {(d,): 1}
    return None


def _dim(p: dict):
    """A polynomial back to a size: an int when constant, else a Sym (or "?" when too large to read)."""
    p = {m: c for m, c in p.items() if c}
    p = _absorb(p)
    if not p:
        return 0
    if list(p) == [()]:
        return p[()]
    if len(p) == 1 and p.get(next(iter(p))) == 1 and len(next(iter(p))) == 1 and isinstance(next(iter(p))[0], str):
        return next(iter(p))[0]   # a bare symbol stays the plain name the directive gave
    frozen = _freeze(p)
    text = _poly_text(frozen)
    if len(text) > MAX_TEXT or len(frozen) > MAX_TERMS:
        return UNKNOWN
    return Sym(frozen, text)


def _absorb(p: dict) -> dict:
    """floor(P / k) + c = floor((P + c·k) / k): one floor atom plus a constant becomes one floor atom."""
    if len(p) != 2 or () not in p:
        return p
    (m, coef), = [(m, c) for m, c in p.items() if m != ()]
    if coef != 1 or len(m) != 1 or not _is_floor(m[0]):
        return p
    _, inner, k = m[0]
    q = dict(inner)
    q[()] = q.get((), 0) + p[()] * k
    return _floor(q, k)


def _is_floor(a) -> bool:
    return isinstance(a, tuple) and a[0] == "//"


def _floor(p: dict, k: int) -> dict:
    p = {m: c for m, c in p.items() if c}
    if k == 1:
        return p
    if all(c % k == 0 for c in p.values()):
        return {m: c // k for m, c in p.items()}
    if len(p) == 1 and p.get(next(iter(p))) == 1 and len(next(iter(p))) == 1 and _is_floor(next(iter(p))[0]):
        _, inner, a = next(iter(p))[0]
        return _floor(dict(inner), a * k)
    return {(("//", _freeze(p), k),): 1}


def _factors(p: dict) -> tuple:
    """(coefficient, atoms) of a polynomial used as a factor of a product; a sum's common factor goes in
    front (8·H-16 → 8·(H-2))."""
    if len(p) == 1:
        (m, c), = p.items()
        return c, m
    g = 0
    for c in p.values():
        g = math.gcd(g, c)
    if min(p.values()) < 0 and all(c < 0 for m, c in p.items() if m != ()):
        g = -g
    return g, (("()", _freeze({m: c // g for m, c in p.items()})),)


# ---------------------------------------------------------------------------- arithmetic on sizes

def _both(a, b):
    pa, pb = _poly(a), _poly(b)
    return (pa, pb) if pa is not None and pb is not None else (None, None)


def add(a, b):
    """a + b for sizes (int, Sym, symbol name); "?" when either is unknown."""
    pa, pb = _both(a, b)
    if pa is None:
        return UNKNOWN
    for m, c in pb.items():
        pa[m] = pa.get(m, 0) + c
    return _dim(pa)


def sub(a, b):
    return add(a, mul(b, -1)) if _poly(b) is not None else UNKNOWN


def mul(a, b):
    pa, pb = _both(a, b)
    if pa is None:
        return UNKNOWN
    if not pa or not pb:
        return 0
    if list(pa) == [()] or list(pb) == [()]:
        k, p = (pa[()], pb) if list(pa) == [()] else (pb[()], pa)
        return _dim({m: c * k for m, c in p.items()})
    ca, ma = _factors(pa)
    cb, mb = _factors(pb)
    mono = tuple(sorted(ma + mb, key=_atom_text))
    return _dim({mono: ca * cb})


def floordiv(a, k):
    """a // k for a positive int k."""
    p = _poly(a)
    if p is None or not isinstance(k, int) or isinstance(k, bool) or k <= 0:
        return UNKNOWN
    return _dim(_floor(p, k))


def is_symbolic(d) -> bool:
    """A size that is an expression or a symbol name (not an int, not "?", not Keras' None)."""
    return isinstance(d, str) and _poly(d) is not None


def symbols(d) -> set:
    """The symbol names a size depends on."""
    p = _poly(d)
    out: set = set()
    if p is None:
        return out

    def walk(poly):
        for m in poly:
            for a in m:
                if isinstance(a, str):
                    out.add(a)
                else:
                    walk(dict(a[1]))
    walk(p)
    return out


def evaluate(d, env: dict) -> Optional[int]:
    """The size's value with each symbol given in env; None when a symbol is missing or d is unknown."""
    p = _poly(d)
    if p is None:
        return None
    try:
        return _eval(p, env)
    except KeyError:
        return None


def _eval(p, env: dict) -> int:
    total = 0
    for m, c in (p.items() if isinstance(p, dict) else p):
        v = c
        for a in m:
            if isinstance(a, str):
                v *= env[a]
            elif a[0] == "//":
                v *= _eval(a[1], env) // a[2]
            else:
                v *= _eval(a[1], env)
        total += v
    return total


# ---------------------------------------------------------------------------- text

def _atom_text(a) -> str:
    if isinstance(a, str):
        return a
    if a[0] == "//":
        inner = _poly_text(a[1])
        bare = len(a[1]) == 1 and a[1][0][1] == 1 and len(a[1][0][0]) == 1 and isinstance(a[1][0][0][0], str)
        return f"{inner if bare else '(' + inner + ')'}//{a[2]}"
    return f"({_poly_text(a[1])})"


def _poly_text(frozen: tuple) -> str:
    out = ""
    for m, c in frozen:
        if m == ():
            body, sign = str(abs(c)), "-" if c < 0 else "+"
        else:
            many = len(m) > 1 or abs(c) != 1
            atoms = [(f"({_atom_text(a)})" if many and _is_floor(a) else _atom_text(a)) for a in m]
            body = "·".join(([str(abs(c))] if abs(c) != 1 else []) + atoms)
            sign = "-" if c < 0 else "+"
        out += (sign if out or sign == "-" else "") + body
    return out
