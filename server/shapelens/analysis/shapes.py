"""Tensor shapes as shapelens knows them statically.

A dimension (Dim) is one of:
  int        a known size;
  None       Keras' open batch dimension (printed "None", as model.summary() does);
  str        a symbolic size: a name from a directive such as "N" or "H", or "?" when unknown.

A Shape is a tuple of Dims plus `open_rank`: True when an unknown number of leading dimensions come
before the listed ones (e.g. a PyTorch model with no input shape: Conv2d(3, 32, 5) accepts both
(C, H, W) and (N, C, H, W), so its output is printed "(…, 32, ?, ?)"). A wholly unknown shape is
represented by None where a Shape is expected.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Union

Dim = Union[int, str, None]
UNKNOWN = "?"


def is_known(d: Dim) -> bool:
    return type(d) is int or (isinstance(d, int) and not isinstance(d, bool))


def dim_text(d: Dim) -> str:
    if d is None:
        return "None"
    if isinstance(d, int):
        return str(d)
    return d


@dataclass(frozen=True)
class Shape:
    dims: tuple
    open_rank: bool = False

    @staticmethod
    def of(dims: Iterable[Dim], open_rank: bool = False) -> "Shape":
        return Shape(tuple(dims), open_rank)

    @property
    def rank(self) -> Optional[int]:
        return None if self.open_rank else len(self.dims)

    def __len__(self) -> int:
        return len(self.dims)

    def __getitem__(self, i):
        return self.dims[i]

    def replace(self, index: int, value: Dim) -> "Shape":
        dims = list(self.dims)
        dims[index] = value
        return Shape(tuple(dims), self.open_rank)

    def text(self) -> str:
        parts = [dim_text(d) for d in self.dims]
        if self.open_rank:
            parts.insert(0, "…")
        if len(parts) == 1 and not self.open_rank:
            return f"({parts[0]},)"
        return "(" + ", ".join(parts) + ")"

    def to_json(self) -> list:
        dims = list(self.dims)
        return (["..."] if self.open_rank else []) + dims

    def sample_numel(self) -> Optional[int]:
        """Elements of one sample: the product of every dimension but the first (the batch)."""
        if self.open_rank or len(self.dims) < 1:
            return None
        n = 1
        for d in self.dims[1:]:
            if not is_known(d):
                return None
            n *= d
        return n

    def numel(self, start: int = 0) -> Optional[int]:
        n = 1
        for d in self.dims[start:]:
            if not is_known(d):
                return None
            n *= d
        return n


def product(dims: Iterable[Dim]) -> Dim:
    n = 1
    for d in dims:
        if not is_known(d):
            return UNKNOWN
        n *= d
    return n
