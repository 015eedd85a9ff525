"""Indexing with tensors (tensors.indexed), judged by torch 2.13: generated `x[...]` expressions mixing
ints, slices, None, Ellipsis, lists of ints and integer index tensors; shapelens gives torch's shape, or ? (an
index that could be a boolean mask), never another shape."""
from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.guard import analyse_text

torch = pytest.importorskip("torch")

SIZES = st.integers(1, 4)


@st.composite
def index_expressions(draw):
    shape = tuple(draw(st.lists(SIZES, min_size=1, max_size=4)))
    n = draw(st.integers(1, len(shape)))
    items, tensors, axis = [], [], 0
    for _ in range(n):
        kind = draw(st.sampled_from(["int", "slice", "none", "tensor", "tensor", "list"]))
        if kind == "none":
            items.append("None")
            continue
        if axis >= len(shape):
            break
        d = shape[axis]
        axis += 1
        if kind == "int":
            items.append(str(draw(st.integers(-d, d - 1))))
        elif kind == "slice":
            items.append(draw(st.sampled_from([":", "1:", ":-1", "::2"])))
        elif kind == "list":
            items.append(str(draw(st.lists(st.integers(0, d - 1), min_size=1, max_size=3))))
        else:
            ishape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
            tensors.append(ishape)
            items.append(f"i{len(tensors) - 1}")
    if draw(st.booleans()) and "..." not in items:
        items.insert(draw(st.integers(0, len(items))), "...")
    return shape, tensors, ", ".join(items) or ":"


@given(index_expressions())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_indexing_gives_torch_s_shape_or_unknown(case):
    shape, tensors, expr = case
    made = [f"        i{k} = torch.zeros({s!r}, dtype=torch.long)" for k, s in enumerate(tensors)]
    source = "\n".join(["import torch", "import torch.nn as nn", "class M(nn.Module):", "    def forward(self, x):",
                        *made, f"        y = x[{expr}]", "        return y", f"# shapelens: input={shape!r}",
                        "model = M()", ""])
    x = torch.zeros(shape)
    ns = {"torch": torch, "x": x}
    for k, s in enumerate(tensors):
        ns[f"i{k}"] = torch.zeros(s, dtype=torch.long)
    try:
        real = tuple(eval(f"x[{expr}]", ns).shape)  # noqa: S307 - our own expression
    except (IndexError, RuntimeError, ValueError):
        real = None
    [m] = analyse_text(source, "<indexing>").models
    line = next(k for k, text in enumerate(source.splitlines(), 1) if text.strip().startswith("y = x["))
    [step] = [s for s in m.steps if s.span.line == line]
    mine = step.output_shape
    if mine is not None:
        assert real is not None and tuple(mine.dims) == real, (expr, shape, tensors, mine, real)


def test_a_relative_position_table_indexed_by_a_computed_index():
    """Swin's `table[index.view(-1)].view(Wh*Ww, Wh*Ww, -1)`: a 1-D index that cannot be a mask of the table's
    169 rows, so an integer index."""
    source = textwrap.dedent("""\
        import torch
        import torch.nn as nn
        class Bias(nn.Module):
            def __init__(self, window=7, heads=3):
                super().__init__()
                self.table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
                coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij"))
                flat = torch.flatten(coords, 1)
                rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
                self.register_buffer("index", rel.sum(-1).flatten())
                self.window = window
            def forward(self, x):
                n = self.window * self.window
                bias = self.table[self.index].view(n, n, -1).permute(2, 0, 1)
                return x + bias.unsqueeze(0)
        # shapelens: input=(2, 3, 49, 49)
        model = Bias()
    """)
    [m] = analyse_text(source, "<bias>").models
    ns: dict = {}
    exec(compile(source, "<bias>", "exec"), ns)  # noqa: S102 - our own snippet
    real = ns["model"](torch.zeros(2, 3, 49, 49))
    assert m.steps[-1].output_shape.text() == str(tuple(real.shape))
