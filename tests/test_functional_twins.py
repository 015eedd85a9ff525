"""torch.nn.functional and the tensor operations of hand-written attention against real torch 2.13.

(a) every function in frameworks/torch_functional.FUNCTIONS has the real function's signature (inspect's, or
    for a builtin the one its docstring documents; F.max_pool2d & co. dispatch on return_indices to the
    `_with_indices` function, whose signature they share);
(b) each call in the tables runs on real tensors and through shapelens (torch_functional.apply for F.*,
    tensor_ops for the torch.* operations) on their shapes: the same output shape(s), or an error from both.
Expressions use T(*shape) for a float tensor, L(*shape) for an integer one and B(*shape) for a bool one.
"""
from __future__ import annotations

import inspect
import re
import warnings

import pytest
import torch
import torch.nn.functional as F

from shapelens.analysis.shapes import Shape
from shapelens.frameworks import tensor_ops as ops
from shapelens.frameworks.base import _NO_DEFAULT, Signature
from shapelens.frameworks.torch_functional import FUNCTIONS, apply

torch.manual_seed(0)


# ---------------------------------------------------------------- (a) signatures

def documented_signature(fn) -> Signature:
    """The signature of a function: inspect's, else the first `name(...)` of its docstring (builtins)."""
    try:
        sig = inspect.signature(fn)
    except ValueError:
        doc = fn.__doc__ or ""
        m = re.search(r"^\s*\w+\((.*?)\)\s*(->|$)", doc, re.S | re.M)
        assert m, doc[:200]
        return Signature.parse(" ".join(m.group(1).split()).replace(" = ", "="))
    params = list(sig.parameters.values())
    if [p.kind for p in params] == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]:
        return documented_signature(getattr(F, f"{fn.__name__}_with_indices"))
    text = []
    for p in params:
        if p.default is inspect.Parameter.empty:
            text.append(p.name)
        elif p.default is None or isinstance(p.default, (bool, int, float, str)):
            text.append(f"{p.name}={p.default!r}")
        else:
            text.append(f"{p.name}=None")
    return Signature.parse(", ".join(text))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_signature_is_the_real_functions(name):
    real = documented_signature(getattr(F, name))
    ours = Signature.parse(FUNCTIONS[name].signature)
    assert [p.name for p in ours.params] == [p.name for p in real.params]
    for mine, theirs in zip(ours.params, real.params):
        if theirs.default is _NO_DEFAULT:
            assert mine.default is _NO_DEFAULT, mine.name
        else:
            assert mine.default == theirs.default, (mine.name, mine.default, theirs.default)


def test_every_functional_with_a_layer_twin_is_listed():
    """Each F function named after a catalog layer (max_pool2d ~ MaxPool2d) or with a layer the catalog runs for
    it is in the table."""
    from shapelens.frameworks.torch_layers import CATALOG

    def snake(name: str) -> str:
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()

    twins = {snake(n) for n in CATALOG}
    public = {n for n in dir(F) if not n.startswith("_") and callable(getattr(F, n))}
    assert sorted((twins & public) - set(FUNCTIONS)) == []


# ---------------------------------------------------------------- (b) the calls

class Static:
    """`F` / `torch` for shapelens: tensors are Shapes, each function returns a Result."""

    def __init__(self, table: dict):
        self.table = table

    def __getattr__(self, name):
        return self.table[name]


def functional_namespace() -> Static:
    return Static({name: (lambda *a, _n=name, **k: apply(_n, list(a), k)) for name in FUNCTIONS})


def T(*shape):
    return Shape.of(shape)


STATIC = {"T": T, "L": T, "B": T, "F": functional_namespace()}
REAL = {"T": lambda *s: torch.randn(s), "L": lambda *s: torch.zeros(s, dtype=torch.long),
        "B": lambda *s: torch.zeros(s, dtype=torch.bool), "F": F, "torch": torch}


def real_result(expr: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            y = eval(expr, dict(REAL))  # noqa: S307 - our own table
        except Exception as e:  # noqa: BLE001 - torch rejecting the call
            return e
    return [tuple(t.shape) for t in y] if isinstance(y, (tuple, list)) else tuple(y.shape)


def check(expr: str, static_ns: dict) -> None:
    real = real_result(expr)
    r = eval(expr, dict(static_ns))  # noqa: S307
    if isinstance(real, Exception):
        assert r.error, f"torch raises {type(real).__name__}: {str(real)[:200]}; shapelens: {r}"
        return
    assert not r.error, f"torch gives {real}; shapelens: {r.error}"
    if isinstance(real, list):
        assert r.outputs is not None and [tuple(s.dims) for s in r.outputs] == real, r
    else:
        assert r.shape is not None and tuple(r.shape.dims) == real, (r, real)


FUNCTIONAL_CALLS = [
    "F.conv2d(T(1, 3, 8, 8), T(16, 3, 3, 3), padding=1)",
    "F.conv2d(T(1, 4, 8, 8), T(6, 2, 3, 3), T(6), stride=2, groups=2)",
    "F.conv2d(T(1, 4, 8, 8), T(6, 3, 3, 3))",
    "F.conv2d(T(1, 3, 8, 8), T(6, 3, 3, 3), T(5))",
    "F.conv2d(T(3, 8, 8), T(6, 3, 3, 3), padding='same')",
    "F.conv1d(T(2, 4, 10), T(8, 4, 3), dilation=2)",
    "F.conv3d(T(1, 2, 5, 6, 7), T(4, 2, 3, 3, 3))",
    "F.conv1d(T(2, 4, 10), T(8, 4, 3, 3))",
    "F.conv_transpose2d(T(1, 8, 5, 5), T(8, 4, 3, 3), stride=2, padding=1, output_padding=1)",
    "F.conv_transpose1d(T(2, 6, 7), T(6, 2, 4), groups=3)",
    "F.linear(T(4, 20), T(30, 20), T(30))",
    "F.linear(T(2, 5, 20), T(30, 20))",
    "F.linear(T(4, 21), T(30, 20))",
    "F.bilinear(T(4, 3), T(4, 5), T(6, 3, 5))",
    "F.bilinear(T(4, 3), T(4, 6), T(6, 3, 5))",
    "F.embedding(L(4, 7), T(100, 16))",
    "F.embedding(L(4, 7), T(100, 16), padding_idx=100)",
    "F.embedding_bag(L(3, 5), T(10, 4))",
    "F.embedding_bag(L(8), T(10, 4), L(3), mode='sum')",
    "F.max_pool2d(T(1, 3, 8, 8), 2)",
    "F.max_pool2d(T(1, 3, 8, 8), 3, stride=2, padding=1, return_indices=True)",
    "F.max_pool2d(T(1, 3, 8, 8), 3, padding=2)",
    "F.max_pool1d(T(2, 3, 9), 2, ceil_mode=True)",
    "F.max_pool3d_with_indices(T(1, 2, 4, 4, 4), 2, return_indices=True)",
    "F.avg_pool2d(T(1, 3, 7, 7), 3, stride=2, count_include_pad=False)",
    "F.avg_pool1d(T(2, 3, 10), 4, padding=2)",
    "F.avg_pool3d(T(1, 2, 4, 4, 4), 2, divisor_override=3)",
    "F.adaptive_avg_pool2d(T(2, 8, 7, 7), (1, 1))",
    "F.adaptive_avg_pool1d(T(2, 8, 7), 3)",
    "F.adaptive_max_pool2d(T(2, 8, 7, 7), 3, return_indices=True)",
    "F.adaptive_max_pool1d_with_indices(T(2, 8, 7), 3, return_indices=True)",
    "F.lp_pool2d(T(1, 3, 7, 7), 2, 2)",
    "F.lp_pool1d(T(2, 4, 9), 2, 3, 2)",
    "F.fractional_max_pool2d(T(1, 2, 7, 7), 3, output_size=4)",
    "F.fractional_max_pool2d(T(1, 2, 7, 7), 2, output_ratio=0.5, return_indices=True)",
    "F.fractional_max_pool2d(T(1, 2, 7, 7), 2, output_ratio=(0.5, 0.5))",
    "F.max_unpool2d(T(1, 2, 3, 3), L(1, 2, 3, 3), 2)", "F.max_unpool1d(T(2, 3, 4), L(2, 3, 4), 2, output_size=(9,))",
    "F.max_unpool2d(T(1, 2, 3, 3), L(1, 2, 2, 3), 2)",
    "F.layer_norm(T(2, 5, 10), (10,))",
    "F.layer_norm(T(2, 5, 10), (5, 10))",
    "F.layer_norm(T(2, 5, 10), (11,))",
    "F.rms_norm(T(2, 6), [6])",
    "F.group_norm(T(2, 8, 4, 4), 4)",
    "F.group_norm(T(2, 6, 4, 4), 4)",
    "F.batch_norm(T(4, 3, 5), T(3), T(3))",
    "F.batch_norm(T(4, 3, 5), T(4), T(4))",
    "F.batch_norm(T(1, 3), T(3), T(3), training=True)",
    "F.instance_norm(T(2, 3, 5, 5))",
    "F.instance_norm(T(2, 3, 1))",
    "F.local_response_norm(T(2, 4, 5, 5), 2)",
    "F.normalize(T(2, 5), dim=1)",
    "F.normalize(T(2, 5), dim=2)",
    "F.dropout(T(2, 5), 0.3)",
    "F.dropout(T(2, 5), 1.5)",
    "F.dropout2d(T(2, 4, 5, 5), 0.2)",
    "F.alpha_dropout(T(2, 5), 0.2, training=True)",
    "F.relu(T(2, 3))", "F.relu6(T(2, 3))", "F.elu(T(2, 3), 0.5)", "F.selu(T(3,))", "F.celu(T(2, 3), 2.0)",
    "F.leaky_relu(T(2, 3), 0.2)", "F.prelu(T(2, 3, 4), T(3))", "F.prelu(T(2, 3, 4), T(4))", "F.rrelu(T(2, 3))",
    "F.glu(T(2, 6))", "F.glu(T(2, 5))", "F.gelu(T(2, 3), approximate='tanh')", "F.logsigmoid(T(2, 3))",
    "F.hardshrink(T(2, 3))", "F.tanhshrink(T(2, 3))", "F.softsign(T(2, 3))", "F.softplus(T(2, 3), beta=2)",
    "F.softmin(T(2, 3), dim=0)", "F.softmax(T(2, 3, 4), dim=-1)", "F.softmax(T(2, 3), dim=3)",
    "F.log_softmax(T(2, 3), 1)", "F.softshrink(T(2, 3), 0.3)", "F.gumbel_softmax(T(2, 5))", "F.tanh(T(2, 3))",
    "F.sigmoid(T(2, 3))", "F.hardsigmoid(T(2, 3))", "F.silu(T(2, 3))", "F.mish(T(2, 3))", "F.hardswish(T(2, 3))",
    "F.hardtanh(T(2, 3), -2.0, 2.0)", "F.threshold(T(2, 3), 0.1, 20.0)",
    "F.interpolate(T(1, 3, 5, 5), scale_factor=2)",
    "F.interpolate(T(1, 3, 5, 7), size=(10, 9), mode='bilinear', align_corners=False)",
    "F.interpolate(T(1, 3, 5), scale_factor=2, mode='bilinear')",
    "F.upsample(T(1, 3, 4, 4), scale_factor=2)", "F.upsample_nearest(T(1, 3, 4, 4), size=7)",
    "F.upsample_bilinear(T(1, 3, 4, 4), scale_factor=2)",
    "F.pad(T(2, 3, 5), (1, 2))", "F.pad(T(2, 3, 5, 5), (1, 1, 2, 0), value=1.0)",
    "F.pad(T(2, 3, 5, 5), (1, 1, 2, 0), mode='reflect')", "F.pad(T(2, 3, 5), (6, 0), mode='reflect')",
    "F.pad(T(2, 3, 4, 4, 4), (1, 1, 1, 1, 1, 1), mode='replicate')", "F.pad(T(1, 2, 3), (-1, 0))",
    "F.pad(T(1, 2, 4), (2, 2), mode='circular')",
    "F.pixel_shuffle(T(1, 8, 3, 3), 2)", "F.pixel_shuffle(T(1, 8, 3, 3), 3)", "F.pixel_unshuffle(T(1, 2, 4, 6), 2)",
    "F.channel_shuffle(T(1, 4, 3, 3), 2)", "F.native_channel_shuffle(T(1, 4, 3, 3), 2)",
    "F.unfold(T(2, 3, 5, 5), 2)", "F.unfold(T(2, 3, 5, 5), (2, 3), stride=2, padding=1)",
    "F.fold(T(2, 8, 9), 4, 2)", "F.fold(T(2, 8, 8), 4, 2)",
    "F.cosine_similarity(T(2, 3, 4), T(2, 1, 4))", "F.cosine_similarity(T(2, 3, 4), T(2, 2, 4))",
    "F.cosine_similarity(T(4), T(4), dim=0)",
    "F.pairwise_distance(T(3, 4), T(3, 4), keepdim=True)", "F.pairwise_distance(T(2, 3, 4), T(4))",
    "F.one_hot(L(2, 3), 5)", "F.one_hot(L(4), num_classes=3)",
    "F.scaled_dot_product_attention(T(2, 4, 5, 8), T(2, 4, 7, 8), T(2, 4, 7, 6))",
    "F.scaled_dot_product_attention(T(2, 4, 5, 8), T(2, 4, 7, 8), T(2, 4, 7, 8), attn_mask=T(5, 7))",
    "F.scaled_dot_product_attention(T(2, 4, 5, 8), T(2, 4, 5, 8), T(2, 4, 5, 8), is_causal=True)",
    "F.scaled_dot_product_attention(T(2, 4, 5, 8), T(2, 4, 7, 8), T(2, 4, 6, 8))",
    "F.scaled_dot_product_attention(T(2, 4, 5, 8), T(2, 4, 7, 6), T(2, 4, 7, 8))",
    "F.scaled_dot_product_attention(T(2, 8, 5, 4), T(2, 2, 7, 4), T(2, 2, 7, 4), enable_gqa=True)",
    "F.scaled_dot_product_attention(T(2, 6, 5, 4), T(2, 4, 7, 4), T(2, 4, 7, 4), enable_gqa=True)",
    "F.scaled_dot_product_attention(T(5, 8), T(7, 8), T(7, 3))",
    "F.scaled_dot_product_attention(T(2, 4, 5, 8), T(2, 4, 7, 8), T(2, 4, 7, 8), attn_mask=T(5, 6))",
    "F.scaled_dot_product_attention(T(2, 4, 5, 8), T(2, 4, 5, 8), T(2, 4, 5, 8), attn_mask=T(5, 5), is_causal=True)",
    "F.scaled_dot_product_attention(T(4, 5, 8), T(4, 5, 8), T(4, 5, 8), attn_mask=T(5, 5), is_causal=True)",
    "F.scaled_dot_product_attention(T(2, 4, 5, 8), T(2, 4, 7, 8), T(2, 4, 6, 8), dropout_p=0.1)",
    "F.scaled_dot_product_attention(T(5, 8), T(7, 8), T(6, 8))",
    "F.multi_head_attention_forward(T(5, 3, 16), T(7, 3, 16), T(7, 3, 16), 16, 4, T(48, 16), T(48), None, None, "
    "False, 0.0, T(16, 16), T(16))",
    "F.multi_head_attention_forward(T(5, 3, 16), T(7, 3, 16), T(7, 3, 16), 16, 4, T(48, 16), T(48), T(1, 1, 16), "
    "T(1, 1, 16), True, 0.0, T(16, 16), T(16), average_attn_weights=False)",
    "F.multi_head_attention_forward(T(5, 3, 12), T(7, 3, 16), T(7, 3, 16), 16, 4, T(48, 16), T(48), None, None, "
    "False, 0.0, T(16, 16), T(16))",
]


@pytest.mark.parametrize("expr", FUNCTIONAL_CALLS)
def test_functional_call_matches_torch(expr):
    check(expr, STATIC)


# ---------------------------------------------------------------- tensor operations of hand-written attention

def op_namespace() -> dict:
    def split(s, size, dim=0):
        return ops.split(s, size, dim)

    torch_ns = Static({
        "einsum": lambda eq, *shapes: ops.einsum(eq, list(shapes[0]) if len(shapes) == 1 and isinstance(
            shapes[0], list) else list(shapes)),
        "bmm": ops.bmm, "baddbmm": ops.baddbmm, "softmax": lambda s, dim: ops.softmax(s, dim),
        "masked_fill": lambda s, mask, value: ops.masked_fill(s, mask), "split": split,
        "chunk": lambda s, n, dim=0: ops.chunk(s, n, dim), "tril": lambda s, diagonal=0: ops.triangle(s, "tril"),
        "triu": lambda s, diagonal=0: ops.triangle(s, "triu"), "topk": lambda s, k, dim=-1: ops.topk(s, k, dim),
        "gather": ops.gather, "index_select": ops.index_select, "tile": lambda s, dims: ops.tile(s, list(dims)),
        "repeat_interleave": lambda s, repeats=None, dim=None, output_size=None: ops.repeat_interleave(
            s, repeats, dim, output_size),
        "stft": ops.stft, "istft": ops.istft, "view_as_real": ops.view_as_real,
        "view_as_complex": ops.view_as_complex,
    })
    return {"T": T, "L": T, "B": T, "C": T, "torch": torch_ns,
            "repeat": lambda s, *sizes: ops.repeat(s, list(sizes)), "expand": lambda s, *sizes: ops.expand(s, list(sizes))}


OP_REAL = dict(REAL, C=lambda *s: torch.randn(s, dtype=torch.complex64), repeat=lambda t, *sizes: t.repeat(*sizes), expand=lambda t, *sizes: t.expand(*sizes))

OP_CALLS = [
    "torch.einsum('bhid,bhjd->bhij', T(2, 4, 5, 8), T(2, 4, 7, 8))",
    "torch.einsum('bhij,bhjd->bhid', T(2, 4, 5, 7), T(2, 4, 7, 8))",
    "torch.einsum('ij,jk', T(3, 4), T(4, 5))",
    "torch.einsum('ij,jk->ik', T(3, 4), T(5, 5))",
    "torch.einsum('...ij,...jk->...ik', T(2, 3, 4), T(4, 5))",
    "torch.einsum('b...d,bd->b...', T(2, 3, 4, 6), T(2, 6))",
    "torch.einsum('ii->i', T(4, 4))",
    "torch.einsum('i,j->ij', T(3), T(4))",
    "torch.einsum('bij->bji', T(2, 3, 4))",
    "torch.einsum('ij,ij->', T(3, 4), T(3, 4))",
    "torch.einsum('ij,j->i', T(3, 4), T(1))",
    "torch.einsum('ij,jk->ik', T(3, 4, 1), T(4, 5))",
    "torch.einsum('ij->k', T(3, 4))",
    "torch.einsum('ij,jk->ik', [T(3, 4), T(4, 5)])",
    "torch.bmm(T(2, 3, 4), T(2, 4, 5))",
    "torch.bmm(T(2, 3, 4), T(3, 4, 5))",
    "torch.bmm(T(3, 4), T(4, 5))",
    "torch.baddbmm(T(2, 3, 5), T(2, 3, 4), T(2, 4, 5))",
    "torch.baddbmm(T(5,), T(2, 3, 4), T(2, 4, 5))",
    "torch.baddbmm(T(2, 3, 4), T(2, 3, 4), T(2, 4, 5))",
    "torch.softmax(T(2, 3, 4), -1)", "torch.softmax(T(2, 3), 2)",
    "torch.masked_fill(T(2, 4, 5, 5), B(5, 5), 0.0)", "torch.masked_fill(T(2, 5), B(3, 2, 5), 0.0)",
    "torch.masked_fill(T(2, 5), B(2, 4), 0.0)", "torch.masked_fill(T(2, 1, 5), B(3, 1), 0.0)",
    "torch.split(T(2, 10, 4), 3, dim=1)", "torch.split(T(2, 10, 4), [2, 8], 1)", "torch.split(T(2, 10, 4), [2, 7], 1)",
    "torch.split(T(6, 2), 6)", "torch.split(T(6, 2), 2, dim=2)",
    "torch.chunk(T(2, 10), 3, dim=1)", "torch.chunk(T(2, 12, 3), 3, 1)", "torch.chunk(T(5,), 0)",
    "torch.tril(T(4, 4))", "torch.triu(T(2, 4, 4), diagonal=1)", "torch.tril(T(4,))",
    "torch.topk(T(3, 10), 4)", "torch.topk(T(3, 10), 4, dim=0)", "torch.topk(T(3, 10), 11)",
    "torch.gather(T(3, 4), 1, L(3, 2))", "torch.gather(T(3, 4), 0, L(5, 4))", "torch.gather(T(3, 4), 1, L(3, 2, 1))",
    "torch.index_select(T(3, 4), 0, L(5))", "torch.index_select(T(3, 4), 1, L(2, 2))",
    "torch.tile(T(2, 3), (2,))", "torch.tile(T(2, 3), (2, 2, 1))",
    "torch.stft(T(3, 1000), 512, 128, window=T(512), return_complex=True)", "torch.stft(T(1000), 256, return_complex=True)",
    "torch.stft(T(3, 1000), 400, 100, center=False, return_complex=True)",
    "torch.stft(T(3, 1000), 512, 128, onesided=False, return_complex=True)",
    "torch.stft(T(3, 1000), 512, win_length=300, window=T(512), return_complex=True)",
    "torch.stft(T(3, 1000), 512, win_length=300, return_complex=True)", "torch.stft(T(3, 100), 512, return_complex=True)",
    "torch.stft(T(2, 3, 1000), 64, return_complex=True)", "torch.stft(T(3, 1000), 64, return_complex=False)",
    "torch.stft(T(3, 1000), 64, 0, return_complex=True)", "torch.stft(T(3, 1000), 64, 16, 80, return_complex=True)",
    "torch.istft(C(3, 257, 8), 512, 128, window=T(512))", "torch.istft(C(3, 257, 8), 512, 128, length=1000)",
    "torch.istft(C(257, 8), 512)", "torch.istft(C(3, 200, 8), 512)", "torch.istft(C(3, 512, 8), 512, onesided=False, return_complex=True)",
    "torch.istft(C(3, 201, 9), 400, 100, window=T(400), center=False)",
    "torch.view_as_real(C(3, 4))", "torch.view_as_complex(T(3, 4, 2))", "torch.view_as_complex(T(3, 4))",
    "torch.repeat_interleave(T(2, 3), 2)", "torch.repeat_interleave(T(2, 3), 2, dim=1)",
    "torch.repeat_interleave(T(2, 3, 4), 3, -3)", "torch.repeat_interleave(T(2, 3), 2, dim=2)",
    "torch.repeat_interleave(T(2, 3), -1, dim=0)", "torch.repeat_interleave(T(), 4)", "torch.repeat_interleave(T(), 4, 0)",
    "repeat(T(2, 3), 2, 1, 2)", "repeat(T(2, 3), 2)", "expand(T(3, 1), 2, 3, 4)", "expand(T(3, 1), -1, 5)",
    "expand(T(3, 2), 3, 4)", "expand(T(3, 1), -1, 2, 4)",
]


@pytest.mark.parametrize("expr", OP_CALLS)
def test_tensor_operation_matches_torch(expr):
    real = real_result_with(expr, OP_REAL)
    r = eval(expr, op_namespace())  # noqa: S307
    if isinstance(real, Exception):
        assert r.error, f"torch raises {type(real).__name__}: {str(real)[:200]}; shapelens: {r}"
        return
    assert not r.error, f"torch gives {real}; shapelens: {r.error}"
    if isinstance(real, list):
        assert r.outputs is not None and [tuple(s.dims) for s in r.outputs] == real, r
    else:
        assert r.shape is not None and tuple(r.shape.dims) == real, (r, real)


def real_result_with(expr: str, ns: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            y = eval(expr, dict(ns))  # noqa: S307 - our own table
        except Exception as e:  # noqa: BLE001
            return e
    return [tuple(t.shape) for t in y] if isinstance(y, (tuple, list)) else tuple(y.shape)

