"""einops (issue: vit-pytorch and other transformer repos): `rearrange`, `repeat`, `reduce`, `einsum` and the
layers `einops.layers.torch.Rearrange` / `Reduce`, checked against real einops 0.8 on real torch tensors:
every pattern's output shape, and an error exactly where einops raises."""
from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

einops = pytest.importorskip("einops")

from shapelens.analysis.shapes import Shape  # noqa: E402
from shapelens.frameworks import einops_patterns as E  # noqa: E402
from test_modules import analyse_snippet, leaf_outputs, our_steps, params_of, real_forward_steps  # noqa: E402


def real(shape, pattern, op, axes):
    """einops' output shape, or "error"."""
    x = torch.zeros(shape)
    try:
        if op == "rearrange":
            return tuple(einops.rearrange(x, pattern, **axes).shape)
        if op == "repeat":
            return tuple(einops.repeat(x, pattern, **axes).shape)
        return tuple(einops.reduce(x, pattern, op, **axes).shape)
    except Exception:  # noqa: BLE001 - EinopsError, and the ZeroDivisionError of a 0 axis length
        return "error"


def ours(shape, pattern, op, axes):
    r = E.apply(Shape.of(shape), pattern, op, axes)
    if r.error:
        return "error"
    return tuple(r.shape.dims) if r.shape is not None else None


CASES = [
    ((2, 3, 32, 32), "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", "rearrange", dict(p1=8, p2=8)),
    ((2, 3, 30, 32), "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", "rearrange", dict(p1=8, p2=8)),
    ((2, 3, 32, 24), "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", "rearrange", dict(p1=8, p2=8)),
    ((1, 1, 16), "1 1 d -> b 1 d", "repeat", dict(b=4)),
    ((1, 2, 16), "1 1 d -> b 1 d", "repeat", dict(b=4)),
    ((1, 1, 16), "1 1 d -> b 1 d", "repeat", {}),
    ((1, 1, 16), "() n d -> b n d", "repeat", dict(b=3)),
    ((2, 5, 24), "b n (h d) -> b h n d", "rearrange", dict(h=4)),
    ((2, 5, 25), "b n (h d) -> b h n d", "rearrange", dict(h=4)),
    ((2, 4, 5, 6), "b h n d -> b n (h d)", "rearrange", {}),
    ((2, 5, 24), "b n d -> b d", "mean", {}),
    ((2, 5, 24), "b n d -> b d", "avg", {}),
    ((2, 5, 24), "b n d -> b n", "max", {}),
    ((2, 5, 24, 7), "b ... d -> b d ...", "rearrange", {}),
    ((2, 5, 24, 7), "b ... d -> b (...) d", "rearrange", {}),
    ((2, 5, 24, 7), "... d -> (...) d", "rearrange", {}),
    ((2, 7), "b ... d -> b d ...", "rearrange", {}),
    ((2,), "b ... d -> b d", "rearrange", {}),
    ((2, 5, 6), "... -> ...", "rearrange", {}),
    ((2, 5, 6), "... c d -> c d", "sum", {}),
    ((2, 5, 6), "b ... -> b", "sum", {}),
    ((2, 5, 6), "b n d -> b d", "rearrange", {}),
    ((2, 5, 6), "b n d -> b n", "repeat", {}),
    ((2, 5, 6), "b n d -> b n d c", "repeat", dict(c=3)),
    ((2, 5, 6), "b n d -> (r b) n d 3", "repeat", dict(r=3)),
    ((2, 5, 6), "b n d -> b (n 2) d", "repeat", {}),
    ((2, 5, 6), "b n d -> b n () d", "rearrange", {}),
    ((2, 1, 6), "b () d -> b d", "rearrange", {}),
    ((2, 4, 6), "b () d -> b d", "rearrange", {}),
    ((2, 1, 6), "b 1 d -> b d", "rearrange", {}),
    ((2, 4, 6, 8), "b c (h 2) (w 2) -> b c h w", "max", {}),
    ((2, 4, 7, 8), "b c (h 2) (w 2) -> b c h w", "max", {}),
    ((2, 4, 6, 8), "b c (h h2) (w w2) -> b c h w", "max", dict(h=3, w=4)),
    ((2, 4, 6, 8), "b c h w -> b c", "sum", dict(h=6)),
    ((2, 4, 6, 8), "b c h w -> b c", "sum", dict(h=5)),
    ((2, 4, 6, 8), "b c h w -> b c", "sum", dict(q=5)),
    ((2, 4, 6, 8), "b c (h w) z -> b c", "sum", {}),
    ((2, 4, 6, 8), "b c h w -> b c 1 1", "mean", {}),
    ((2, 4, 6), "b c c -> b c", "rearrange", {}),
    ((2, 4, 6), "b c d -> b c 2", "rearrange", {}),
    ((2, 4, 6), "b (c) d -> b c d", "rearrange", {}),
    ((2, 4, 6), "b c d -> (b c d)", "rearrange", {}),
    ((2, 4, 6), "b c d -> b c (d 1)", "rearrange", {}),
    ((2, 4, 6), "b c (... d) -> b c d", "rearrange", {}),
    ((2, 4, 6), "b c d -> b c (d ...)", "rearrange", {}),
    ((2, 4, 6), "b c d -> b c", "rearrange", {}),
    ((2, 4, 6), "b c d", "rearrange", {}),
    ((2, 4, 6), "b c (d -> b c d", "rearrange", {}),
    ((2, 4, 6), "b c d_ -> b c d_", "rearrange", {}),
    ((2, 4, 6), "b c d -> b c d", "rearrange", dict(d=6)),
    ((2, 4, 6), "b c (d e) -> b c d e", "rearrange", dict(e=0)),
    ((2, 4, 6), "b c (d e) -> (b e) c d", "rearrange", dict(d=2, e=3)),
    ((2, 4, 6), "b c (d e) -> (b e) c d", "rearrange", dict(d=2, e=2)),
    ((2, 4, 6), "b c (d e) -> (b e) c d", "rearrange", dict(d=2)),
    ((2, 4, 6), "b c (d e) -> (b e) c d", "rearrange", {}),
]


@pytest.mark.parametrize("shape, pattern, op, axes", CASES, ids=[f"{c[2]}:{c[1]}:{c[3]}" for c in CASES])
def test_pattern_matches_einops(shape, pattern, op, axes):
    assert ours(shape, pattern, op, axes) == real(shape, pattern, op, axes)


def test_symbolic_sizes_stay_expressions():
    r = E.apply(Shape.of(["N", 3, "H", "W"]), "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", "rearrange", dict(p1=8, p2=8))
    assert not r.error
    n, hw, c = r.shape.dims
    assert n == "N" and c == 192 and "H" in hw and "W" in hw
    # an unknown size: no error, the size it feeds is unknown
    r = E.apply(Shape.of([2, "?", 24]), "b n (h d) -> b h n d", "rearrange", dict(h=4))
    assert tuple(r.shape.dims) == (2, 4, "?", 6)


# ---------------------------------------------------------------- random rearrange patterns (property)

@st.composite
def rearrange_case(draw):
    """A random input shape, its dims named and some grouped on the left, a permutation of the axes regrouped
    on the right; some group members given as keywords, sometimes a wrong size."""
    n_axes = draw(st.integers(1, 6))
    names = [f"a{i}" for i in range(n_axes)]
    sizes = {n: draw(st.integers(1, 4)) for n in names}

    def groups(order):
        out, i = [], 0
        while i < len(order):
            k = draw(st.integers(1, min(3, len(order) - i)))
            out.append(order[i:i + k])
            i += k
        return out

    left = groups(names)
    right = groups(draw(st.permutations(names)))
    axes = {}
    for g in left:
        given = g[1:] if len(g) > 1 else ([g[0]] if draw(st.booleans()) else [])
        for a in given:
            if draw(st.booleans()) or len(g) > 1:
                axes[a] = sizes[a] + (1 if draw(st.integers(0, 9)) == 0 else 0)
    shape = tuple(int(torch.tensor([sizes[a] for a in g]).prod()) for g in left)
    text = lambda gs: " ".join(g[0] if len(g) == 1 and draw(st.booleans()) else f"({' '.join(g)})" for g in gs)
    use_ellipsis = len(left) > 1 and left[0] == right[0] and len(left[0]) == 1 and draw(st.booleans())
    lt, rt = text(left), text(right)
    if use_ellipsis:
        lt, rt = lt.replace(left[0][0], "...", 1), rt.replace(right[0][0], "...", 1)
        axes.pop(left[0][0], None)
    return shape, f"{lt} -> {rt}", axes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rearrange_case())
def test_random_rearrange_patterns_match_einops(case):
    shape, pattern, axes = case
    assert ours(shape, pattern, "rearrange", axes) == real(shape, pattern, "rearrange", axes)


# ---------------------------------------------------------------- in models: layers and forward lines

VIT = '''
import torch
from torch import nn
from einops import rearrange, repeat, reduce
import einops
from einops.layers.torch import Rearrange, Reduce


class Attention(nn.Module):
    def __init__(self, dim, heads=4):
        super().__init__()
        self.heads = heads
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x):
        qkv = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = map(lambda t: rearrange(t, 'b n (h d) -> b h n d', h=self.heads), qkv)
        dots = torch.matmul(q, k.transpose(-1, -2))
        attn = dots.softmax(dim=-1)
        out = torch.matmul(attn, v)
        sim = einops.einsum(q, k, 'b h i d, b h j d -> b h i j')
        out = rearrange(out, 'b h n d -> b n (h d)')
        return self.to_out(out)


class ViT(nn.Module):  # shapelens: input=(2, 3, 32, 32)
    def __init__(self):
        super().__init__()
        self.to_patch_embedding = nn.Sequential(
            Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=8, p2=8),
            nn.LayerNorm(192),
            nn.Linear(192, 64),
        )
        self.cls_token = nn.Parameter(torch.randn(1, 1, 64))
        self.attn = Attention(64)
        self.pool = Reduce('b n d -> b d', 'mean')
        self.to_grid = Rearrange('b (h w) d -> b d h w', h=4)
        self.down = Reduce('b d (h 2) (w 2) -> b d h w', 'max')
        self.head = nn.Linear(64, 10)

    def forward(self, img):
        x = self.to_patch_embedding(img)
        b, n, _ = x.shape
        cls_tokens = repeat(self.cls_token, '1 1 d -> b 1 d', b=b)
        x = torch.cat((cls_tokens, x), dim=1)
        x = self.attn(x)
        grid = self.to_grid(x[:, 1:])
        small = self.down(grid)
        flat = rearrange(small, 'b ... -> b (...)')
        both = repeat(flat, 'b d -> b d r', r=3)
        peak = reduce(x, 'b n d -> b d', 'max')
        lst = rearrange([x, x], 'k b n d -> b k n d')
        x = self.pool(x)
        return self.head(x) + peak.sum() + flat.sum() + both.sum() + lst.sum() + sim_sum(x)


def sim_sum(x):
    return 0
'''


def test_vit_layers_and_forward_match_einops():
    inputs = (torch.randn(2, 3, 32, 32),)
    rec, result = analyse_snippet(VIT, "ViT")
    model, real_steps = real_forward_steps(VIT, "ViT", inputs)
    ours_ = our_steps(rec)
    # the tracer sees only names bound to one tensor: `qkv = ....chunk(3)` and `q, k, v = map(...)` are ours alone
    assert {line: ours_.get(line) for line in real_steps} == real_steps
    assert set(ours_) - set(real_steps) == {17, 18}
    leaves = leaf_outputs(model, inputs)
    got = {r.name: tuple(r.output_shape.dims) for r in rec.layers if r.output_shape is not None}
    for name, shape in leaves.items():
        assert got.get(name) == shape, name
    for r in rec.layers:
        if r.name in ("to_patch_embedding.0", "pool", "to_grid", "down"):
            assert r.trainable == 0 and r.non_trainable == 0
    assert rec.total_params == params_of(model)
    assert not [d for d in result.diagnostics if d.severity in ("error", "info")], result.diagnostics


BROKEN = '''
import torch
from torch import nn
from einops import rearrange, repeat, reduce
from einops.layers.torch import Rearrange, Reduce


class Broken(nn.Module):  # shapelens: input=(2, 3, 30, 32)
    def __init__(self, case):
        super().__init__()
        self.case = case
        self.patch = Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=8, p2=8)
        self.pool = Reduce('b n d -> b d', 'mean')

    def forward(self, x):
        if self.case == 0:
            return self.patch(x)
        if self.case == 1:
            return repeat(x, 'b c h w -> b c h w r')
        if self.case == 2:
            return reduce(x, 'b c (h 4) w -> b c w', 'max')
        if self.case == 3:
            return rearrange(x, 'b c h -> b h c')
        return self.pool(x)


# shapelens: input=(2, 3, 30, 32)
model0 = Broken(0)
# shapelens: input=(2, 3, 30, 32)
model1 = Broken(1)
# shapelens: input=(2, 3, 30, 32)
model2 = Broken(2)
# shapelens: input=(2, 3, 30, 32)
model3 = Broken(3)
# shapelens: input=(2, 3, 30, 32)
model4 = Broken(4)
'''


@pytest.mark.parametrize("case", range(5))
def test_errors_where_einops_raises(case):
    from shapelens.analysis import analyze_source

    ns: dict = {"__name__": "snippet"}
    exec(compile(BROKEN, "<snippet>", "exec"), ns)
    with pytest.raises(Exception) as raised:
        ns[f"model{case}"](torch.randn(2, 3, 30, 32))
    assert type(raised.value).__name__ in ("EinopsError", "KeyError")
    result = analyze_source(BROKEN, "<snippet>")
    lines = {d.span.line: d for d in result.diagnostics if d.severity == "error"}
    expected_line = BROKEN.splitlines().index(
        ["            return self.patch(x)", "            return repeat(x, 'b c h w -> b c h w r')",
         "            return reduce(x, 'b c (h 4) w -> b c w', 'max')",
         "            return rearrange(x, 'b c h -> b h c')", "        return self.pool(x)"][case]) + 1
    assert expected_line in lines, [(d.span.line, d.message) for d in result.diagnostics]
    assert lines[expected_line].code in ("SL111", "SL110")


def test_layer_built_with_a_bad_pattern_is_an_error_at_construction():
    from shapelens.analysis import analyze_source

    src = '''
from torch import nn
from einops.layers.torch import Rearrange, Reduce

# shapelens: input=(2, 5, 6)
model = nn.Sequential(Rearrange('b n d -> b d'), Reduce('b n d -> b d', 'avg'))
'''
    for line in ("Rearrange('b n d -> b d')", "Reduce('b n d -> b d', 'avg')"):
        with pytest.raises(einops.EinopsError):
            eval(line, vars(einops.layers.torch))
    result = analyze_source(src, "<snippet>")
    errors = [d for d in result.diagnostics if d.severity == "error" and d.code == "SL108"]
    assert len(errors) == 2, result.diagnostics
