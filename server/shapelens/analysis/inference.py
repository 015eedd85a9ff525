"""The input size a model admits, solved from the equations its layers put on symbolic sizes (issue #17).

A torch model with no input runs on `(N, 1, H, W)` (the channels from its first layer). A Linear reached by
64·((H-4)//2)·((W-4)//2) features wants that to equal its in_features 9216; a `view(-1, 400)` wants the
features behind the batch to make 400. Those equations, with every size the run made kept ≥ 1 (a kernel
never larger than what it reads), fix H and W:

- H = W where the model gives no reason to differ, the smallest size that fits (floor division lets both
  28 and 29 fit MNIST's 9216: 28, which leaves no input row unread), the others named in the note;
- no square size: the smallest H + W that fits, when one exists;
- none at all: the equation that no size satisfies, for an error on the layer.

Every size a conv / pool / flatten makes is nondecreasing in the input sizes once every size is ≥ 1, so a
scan stops as soon as an equation's left side passes its value: "no solution" is proved, not guessed.
The batch N stays a symbol (nothing in a model fixes it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from . import symbolic

LIMIT = 4096          # largest size tried on one axis
PAIR_BUDGET = 60_000  # evaluations for a search over two independent sizes


@dataclass
class Equation:
    size: str          # a symbolic size (Sym)
    value: int
    what: str          # e.g. "fc1 (Linear)'s in_features 9216"
    span: object = None
    code: str = "SL106"   # the check's code: SL106 in_features, SL105 channels, SL111 a view
    mod: object = None   # the layer that put it (its row names it)

    def text(self) -> str:
        return f"{self.size} = {self.value}"


@dataclass
class Solution:
    env: dict                       # symbol -> size
    equations: list
    also: list = field(default_factory=list)   # other square sizes that fit too

    def note(self) -> str:
        """e.g. "inference: H = W = 28, the smallest size at which fc1 (Linear)'s in_features 9216 fits
        (64·((H-4)//2)·((W-4)//2) = 9216; 29 fits too)"."""
        names = sorted(self.env)
        square = len(set(self.env.values())) == 1 and len(names) > 1
        sizes = (" = ".join(names) + f" = {self.env[names[0]]}") if square else \
            ", ".join(f"{n} = {self.env[n]}" for n in names)
        fits = " and ".join(dict.fromkeys(e.what for e in self.equations[:3]))
        verb = "fits" if len(self.equations) == 1 else "fit"
        eqs = "; ".join(e.text() for e in self.equations[:3])
        more = f"; {', '.join(str(v) for v in self.also[:3])} {'fits' if len(self.also) == 1 else 'fit'} too" \
            if self.also else ""
        which = "the smallest size" if self.also else ("the size" if square or len(names) == 1 else "the smallest sizes")
        return f"inference: {sizes}, {which} at which {fits} {verb} ({eqs}{more})"


@dataclass
class NoSolution:
    equation: Equation
    symbols: list

    def message(self) -> str:
        e = self.equation
        return (f"no input size fits {e.what}: it needs {e.text()}, which no "
                f"{', '.join(self.symbols)} gives")


def solve(equations: list, free: list, sizes: list):
    """Solution, NoSolution or None (nothing to solve, or not decidable within the limits).
    free: the input's symbols to solve for (H, W); sizes: every symbolic size the run made (kept ≥ 1)."""
    eqs = [e for e in equations if symbolic.symbols(e.size) and symbolic.symbols(e.size) <= set(free)]
    if not eqs or len(eqs) != len([e for e in equations if symbolic.symbols(e.size)]):
        return None   # an equation on the batch or another symbol: not ours to solve
    used = sorted(set().union(*(symbolic.symbols(e.size) for e in eqs)))
    checks = [s for s in dict.fromkeys(sizes) if symbolic.symbols(s) and symbolic.symbols(s) <= set(used)]
    found, also, proved = _square(eqs, used, checks)
    if found is not None:
        return Solution({n: found for n in used}, eqs, also)
    if len(used) == 2:
        pair, proved2 = _pair(eqs, used, checks)
        if pair is not None:
            return Solution(dict(zip(used, pair)), eqs)
        proved = proved and proved2
    elif len(used) > 2:
        return None
    if proved:
        return NoSolution(eqs[0], used)
    return None


def _state(eqs: list, checks: list, env: dict) -> Optional[str]:
    """"fit", "over" (valid, and an equation's side already exceeds its value), "under" or None (invalid:
    a size of the run is < 1 here)."""
    for s in checks:
        v = symbolic.evaluate(s, env)
        if v is None or v < 1:
            return None
    state = "fit"
    for e in eqs:
        v = symbolic.evaluate(e.size, env)
        if v is None:
            return None
        if v > e.value:
            return "over"
        if v != e.value:
            state = "under"
    return state


def _square(eqs: list, used: list, checks: list) -> tuple:
    """(smallest fitting size with every symbol equal, other fitting sizes, whether none fits is proved)."""
    found, also = None, []
    for v in range(1, LIMIT + 1):
        st = _state(eqs, checks, {n: v for n in used})
        if st == "over":
            return found, also, True
        if st == "fit":
            if found is None:
                found = v
            elif len(also) < 3:
                also.append(v)
    return found, also, False


def _pair(eqs: list, used: list, checks: list) -> tuple:
    """(smallest (a, b) by a + b that fits, whether none fits is proved) for two independent symbols."""
    best, budget = None, PAIR_BUDGET
    only_a = [c for c in checks if symbolic.symbols(c) == {used[0]}]
    for a in range(1, LIMIT + 1):
        # a size of the first symbol alone below 1 (LeNet's (H-12)//4 for H < 16): no b can make this a valid
        if any((symbolic.evaluate(c, {used[0]: a}) or 0) < 1 for c in only_a):
            continue
        first_valid = None
        for b in range(1, LIMIT + 1):
            budget -= 1
            if budget < 0:
                return best, False
            st = _state(eqs, checks, {used[0]: a, used[1]: b})
            if st is None:
                continue
            if first_valid is None:
                first_valid = st
            if st == "over":
                break
            if st == "fit" and (best is None or a + b < sum(best)):
                best = (a, b)
        if first_valid == "over":   # already over at the smallest valid b: larger a only grows
            return best, True
        if best is not None and a > sum(best):
            return best, True
    return best, False
