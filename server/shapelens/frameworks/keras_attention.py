"""Keras attention layers (keras 3.15: keras/src/layers/attention/*.py).

The shapes are those Keras declares when the functional graph is built (compute_output_shape /
compute_output_spec), the checks those of __init__ and build(). Their sublayers (the EinsumDense projections)
are one row in Keras' summary, so these are plain entries. Several outputs (return_attention_scores=True)
go to Ctx.outputs: [output, scores].
"""
from __future__ import annotations

import math
from typing import Any, Optional

from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from ..analysis.values import Unknown
from .base import MISSING, Ctx, num, prod_text
from .keras_layers import RUNTIME, const, flag, layer, sized, unknown_weights

ATTN_CALL = ("query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None, "
             "return_attention_scores=False, training=None, use_causal_mask=False")


def strict_positive(c: Ctx, name: str, optional: bool = False) -> Any:
    """MultiHeadAttention.__init__: `isinstance(v, int) and v > 0` (None allowed when optional)."""
    v = const(c, name)
    if v is RUNTIME or (optional and v is None):
        return None if v is RUNTIME else v
    if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
        c.error("SL109", f"{c.rule.name}: {name}={v!r} must be a positive integer" + (" or None" if optional else ""))
        return RUNTIME
    return v


def call_shapes(c: Ctx, names: tuple) -> Optional[list]:
    """The shapes of the query/value/key tensors; None (after an error) when a chain passes one tensor."""
    values = [c.call_arg(n) for n in names]
    if values[1] is MISSING:
        if c.inp is not None:
            c.error("SL110", f"{c.rule.name} is called with query and value (and an optional key), but receives one "
                             f"tensor {c.inp.text()}: keras.Sequential passes only one", related_to_input=True)
        c.unknown_output("")
        return None
    return [v if isinstance(v, Shape) and not v.open_rank else None for v in values]


def weight_total(c: Ctx, parts: list) -> None:
    """parts: (label, [sizes of each weight]); sizes None → unknown."""
    if any(d is None for _, ws in parts for w in ws for d in w):
        unknown_weights(c)
        return
    total = sum(math.prod(w) for _, ws in parts for w in ws)
    text = " + ".join(f"{' + '.join(prod_text(w) for w in ws)} ({label})" for label, ws in parts if ws)
    c.set_params(total, f"{text} = {num(total)}")


def same_except_last(a: Shape, b: Shape) -> bool:
    """value_shape[1:-1] == key_shape[1:-1] as Keras compares tuples ('?' is unknown to us)."""
    x, y = a.dims[1:-1], b.dims[1:-1]
    return len(x) == len(y) and all(p == q or UNKNOWN in (p, q) for p, q in zip(x, y))


# ---------------------------------------------------------------- MultiHeadAttention

MHA_SIG = ("num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None, attention_axes=None, "
           "sliding_window=None, flash_attention=None, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
           "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
           "bias_constraint=None, use_gate=False, seed=None, **kwargs")


def mha_options(c: Ctx) -> Optional[tuple]:
    """(heads, key_dim, value_dim, output_shape or None) after MultiHeadAttention.__init__'s checks."""
    heads, kd = strict_positive(c, "num_heads"), strict_positive(c, "key_dim")
    vd = strict_positive(c, "value_dim", optional=True)
    out = const(c, "output_shape")
    if out is not RUNTIME and out:
        if isinstance(out, int) and not isinstance(out, bool):
            out = (out,)
        elif isinstance(out, (tuple, list)):
            out = tuple(out)
        else:
            c.error("SL108", f"MultiHeadAttention: output_shape={out!r} should be a tuple, a list or an int")
            out = RUNTIME
    axes = const(c, "attention_axes")
    if axes is not RUNTIME and axes is not None and not isinstance(axes, (int, list, tuple)):
        c.error("SL108", f"MultiHeadAttention: attention_axes={axes!r} must be an int, list, or tuple")
    window = const(c, "sliding_window")
    if window is not RUNTIME and window is not None and (not isinstance(window, int) or window <= 0):
        c.error("SL109", f"{c.rule.name}: sliding_window={window!r} must be None or a positive integer")
    flash, rate = const(c, "flash_attention"), const(c, "dropout")
    if flash is True and isinstance(rate, (int, float)) and rate > 0:
        c.error("SL108", f"{c.rule.name}: dropout is not supported when flash attention is enabled")
    if RUNTIME in (heads, kd, vd, out):
        return None
    return heads, kd, vd or kd, (out or None)


@layer("MultiHeadAttention", MHA_SIG, call=ATTN_CALL)
def multi_head_attention(c: Ctx) -> None:
    """Multi-head attention: query (B, *Tq, Dq), value (B, *Tv, Dv), key (defaults to value) → (B, *Tq, Dq), or
    (B, *Tq, *output_shape). Weights: the query, key and value projections Dq·H·key_dim, Dk·H·key_dim,
    Dv·H·value_dim (+ H·key_dim, H·key_dim, H·value_dim biases), the output H·value_dim·Dout (+ Dout), and with
    use_gate a sigmoid gate Dq·H·value_dim (+ H·value_dim). return_attention_scores adds (B, H, Tq, Tq): the
    shape Keras declares (compute_output_spec uses the query length twice)."""
    opts, bias, gate = mha_options(c), flag(c, "use_bias"), flag(c, "use_gate")
    c.macs = None
    shapes = call_shapes(c, ("query", "value", "key"))
    if shapes is None:
        return unknown_weights(c)
    q, v, k = shapes
    k = k if k is not None or c.call_arg("key") not in (None, MISSING) else v
    if q is None or v is None or opts is None or bias is None or gate is None:
        unknown_weights(c)
        return c.unknown_output("the query or value shape is unknown" if opts is not None else "")
    heads, kd, vd, out_shape = opts
    if k is not None and not same_except_last(v, k):
        c.error("SL110", f"MultiHeadAttention: all dimensions of value {v.text()} and key {k.text()}, except the "
                         f"last one, must be equal", related_to_input=True)
        unknown_weights(c)
        return c.unknown_output("")
    dq, dv = sized(c, q[-1], "the query's last dimension"), sized(c, v[-1], "the value's last dimension")
    dk = sized(c, k[-1], "the key's last dimension") if k is not None else None
    out_dims = list(out_shape) if out_shape else [dq]
    weight_total(c, mha_weights(dq, dk, dv, heads, kd, vd, out_dims, bias, gate))
    c.out = Shape.of(list(q.dims[:-1]) + (list(out_shape) if out_shape else [q[-1]]))
    mha_macs(c, q, k, (dq, dk, dv), heads, kd, vd, out_dims)
    if c.call_arg("return_attention_scores") is True:
        c.outputs = [c.out, declared_scores(c, q, k, heads)]


def mha_weights(dq, dk, dv, heads: int, kd: int, vd: int, out_dims: list, bias: bool, gate: bool) -> list:
    """The EinsumDense weights MultiHeadAttention.build creates: (label, [weight shapes])."""
    def proj(d, size):
        return [[d, heads, size]] + ([[heads, size]] if bias else [])
    parts = [("query", proj(dq, kd)), ("key", proj(dk, kd)), ("value", proj(dv, vd))]
    if gate:
        parts.append(("gate", proj(dq, vd)))
    parts.append(("output", [[heads, vd] + out_dims] + ([out_dims] if bias else [])))
    return parts


def mha_macs(c: Ctx, q: Shape, k: Optional[Shape], dims: tuple, heads: int, kd: int, vd: int, out_dims: list) -> None:
    """For (B, T, D) inputs: the four projections plus the two attention products H·Tq·Tk·(key_dim + value_dim)."""
    dq, dk, dv = dims
    if k is None or len(q) != 3 or None in dims or not all(is_known(d) for d in out_dims + [q[1], k[1]]):
        return
    Tq, Tk, dout = q[1], k[1], math.prod(out_dims)
    c.macs = (Tq * dq * heads * kd + Tk * dk * heads * kd + Tk * dv * heads * vd + Tq * heads * vd * dout
              + heads * Tq * Tk * (kd + vd))
    c.formula("MACs", f"projections + attention = {num(c.macs)}")


def declared_scores(c: Ctx, q: Shape, k: Optional[Shape], heads: int) -> Shape:
    length = q[1] if len(q) > 1 else UNKNOWN
    if k is not None and len(k) > 1 and k[1] != length:
        c.formula("note", f"Keras declares the scores (B, {heads}, {dim_text(length)}, {dim_text(length)}); at run "
                          f"time they are (B, {heads}, {dim_text(length)}, {dim_text(k[1])})")
    return Shape.of([q[0], heads, length, length])


# ---------------------------------------------------------------- GroupQueryAttention

GQA_SIG = ("head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True, sliding_window=None, "
           "flash_attention=None, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
           "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
           "bias_constraint=None, use_gate=False, seed=None, **kwargs")


@layer("GroupQueryAttention", GQA_SIG, call=ATTN_CALL)
def group_query_attention(c: Ctx) -> None:
    """Grouped-query attention on (B, T, D) tensors: num_key_value_heads key/value heads shared by
    num_query_heads query heads. Weights (einsum 'bqm,muh', 'bkm,mvh', 'bquh,uhm'): query D·U·h (+ U·h), key
    Dk·V·h (+ V·h), value Dv·V·h (+ V·h), gate D·U·h (+ U·h) with use_gate, output U·h·D (+ D). The query and
    value must have the same last dimension; scores (B, U, Tq, Tk)."""
    h, u, kv = (const(c, n) for n in ("head_dim", "num_query_heads", "num_key_value_heads"))
    bias, gate = flag(c, "use_bias"), flag(c, "use_gate")
    c.macs = None
    ints = all(isinstance(x, int) and not isinstance(x, bool) for x in (h, u, kv))
    if ints and kv == 0:
        c.error("SL109", "GroupQueryAttention: num_key_value_heads=0 (num_query_heads is divided by it)")
    elif ints and u % kv:
        c.error("SL107", f"GroupQueryAttention: num_query_heads={u} must be divisible by num_key_value_heads={kv}")
    window = const(c, "sliding_window")
    if window is not RUNTIME and window is not None and (not isinstance(window, int) or window <= 0):
        c.error("SL109", f"GroupQueryAttention: sliding_window={window!r} must be None or a positive integer")
    shapes = call_shapes(c, ("query", "value", "key"))
    if shapes is None:
        return unknown_weights(c)
    q, v, k = shapes
    k = k if k is not None or c.call_arg("key") not in (None, MISSING) else v
    if q is None or v is None or not ints or bias is None or gate is None:
        unknown_weights(c)
        return c.unknown_output("the query or value shape is unknown")
    if not gqa_inputs_fit(c, q, v, k):
        unknown_weights(c)
        return c.unknown_output("")
    d = sized(c, q[-1], "the query's last dimension")
    dk = sized(c, k[-1], "the key's last dimension") if k is not None else None
    dv = sized(c, v[-1], "the value's last dimension")
    parts = [("query", [[d, u, h]] + ([[u, h]] if bias else [])), ("key", [[dk, kv, h]] + ([[kv, h]] if bias else [])),
             ("value", [[dv, kv, h]] + ([[kv, h]] if bias else []))]
    if gate:
        parts.append(("gate", [[d, u, h]] + ([[u, h]] if bias else [])))
    parts.append(("output", [[u, h, d]] + ([[d]] if bias else [])))
    weight_total(c, parts)
    c.out = q
    if c.call_arg("return_attention_scores") is True:
        c.outputs = [c.out, Shape.of([q[0], u, q[1], k[1] if k is not None else UNKNOWN])]


def gqa_inputs_fit(c: Ctx, q: Shape, v: Shape, k: Optional[Shape]) -> bool:
    """GroupQueryAttention: 3-D tensors (its einsums are 'bqm', 'bkm'), the query's last dimension the value's
    (compute_output_shape), and value and key alike but for the last dimension."""
    for label, s in (("query", q), ("value", v), ("key", k)):
        if s is not None and len(s) != 3:
            c.error("SL110", f"GroupQueryAttention: the {label} must be 3-D (batch, length, features), but it is "
                             f"{s.text()}", related_to_input=True)
            return False
    if q[-1] != v[-1] and UNKNOWN not in (q[-1], v[-1]):
        c.error("SL105", f"GroupQueryAttention: the last dimension of query {q.text()} and value {v.text()} must be "
                         f"equal", related_to_input=True)
        return False
    if k is not None and not same_except_last(v, k):
        c.error("SL110", f"GroupQueryAttention: all dimensions of value {v.text()} and key {k.text()}, except the "
                         f"last one, must be equal", related_to_input=True)
        return False
    return True


# ---------------------------------------------------------------- Attention / AdditiveAttention

DOT_CALL = "inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False"


def attention_inputs(c: Ctx) -> Optional[list]:
    """Attention._validate_inputs: a list [query, value] or [query, value, key]."""
    v = c.call.get("inputs") if c.called else None
    if not c.called or isinstance(v, Shape):
        got = v if isinstance(v, Shape) else c.inp
        if got is not None:
            c.error("SL110", f"{c.rule.name} must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key], but receives one tensor {got.text()}", related_to_input=True)
        c.unknown_output("")
        return None
    if not isinstance(v, (list, tuple)):
        c.unknown_output("the inputs of the attention are not a list the analysis follows")
        return None
    if not 2 <= len(v) <= 3:
        c.error("SL110", f"{c.rule.name} accepts a list of 2 or 3 inputs ([query, value] or [query, value, key]), "
                         f"got {len(v)}", related_to_input=True)
        c.unknown_output("")
        return None
    shapes = [s if isinstance(s, Shape) and not s.open_rank else None for s in v]
    return shapes + ([shapes[1]] if len(shapes) == 2 else [])


def dot_attention_output(c: Ctx, shapes: list) -> None:
    """(*query[:-1], value[-1]); scores (*query[:-1], key[-2])."""
    q, v, k = shapes
    if q is None or v is None:
        return c.unknown_output("the query or value shape is unknown")
    c.out = Shape.of(list(q.dims[:-1]) + [v[-1]])
    if c.call_arg("return_attention_scores") is True:
        c.outputs = [c.out, Shape.of(list(q.dims[:-1]) + [k[-2] if k is not None and len(k) > 1 else UNKNOWN])]


@layer("Attention", "use_scale=False, score_mode='dot', dropout=0.0, seed=None, **kwargs", call=DOT_CALL)
def attention(c: Ctx) -> None:
    """Dot-product (Luong) attention on [query (B, Tq, D), value (B, Tv, D), key]: (B, Tq, Dv). Weights: a
    scalar scale with use_scale, a scalar concat_score_weight with score_mode='concat'."""
    mode = const(c, "score_mode")
    if mode is not RUNTIME and mode not in ("dot", "concat"):
        c.error("SL108", f"Attention: score_mode={mode!r} is not one of 'dot', 'concat'")
    scale = flag(c, "use_scale")
    c.macs = None
    shapes = attention_inputs(c)
    if shapes is None:
        return unknown_weights(c)
    if scale is None or mode is RUNTIME:
        unknown_weights(c)
    else:
        n = int(scale) + int(mode == "concat")
        c.set_params(n, f"{n} (" + ", ".join(w for w, on in (("scale", scale), ("concat_score_weight",
                                                                                  mode == "concat")) if on) + ")"
                     if n else "")
    dot_attention_output(c, shapes)


@layer("AdditiveAttention", "use_scale=True, dropout=0.0, **kwargs", call=DOT_CALL,
       accepts=frozenset({"score_mode", "seed"}))
def additive_attention(c: Ctx) -> None:
    """Additive (Bahdanau) attention on [query, value, key]: (B, Tq, Dv). Weights: a scale vector of the query's
    last dimension with use_scale."""
    scale = flag(c, "use_scale")
    mode = c.extra.get("score_mode", "dot") if isinstance(c.extra, dict) else "dot"
    if isinstance(mode, str) and mode not in ("dot", "concat"):
        c.error("SL108", f"AdditiveAttention: score_mode={mode!r} is not one of 'dot', 'concat'")
    c.macs = None
    shapes = attention_inputs(c)
    if shapes is None:
        return unknown_weights(c)
    q = shapes[0]
    if scale is None or (scale and q is None):
        unknown_weights(c)
    elif scale:
        d = sized(c, q[-1], "the query's last dimension")
        if d is None:
            unknown_weights(c)
        else:
            c.set_params(d, f"{d} (scale)")
    else:
        c.set_params(0)
    dot_attention_output(c, shapes)
