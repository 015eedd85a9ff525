"""PyTorch attention and transformer modules (torch 2.13: torch/nn/modules/activation.py MultiheadAttention,
torch/nn/modules/transformer.py, and F.multi_head_attention_forward / _mha_shape_check in functional.py).

These are composite modules (options composite=True): each entry computes the module as a whole — output
shapes, the total of `parameters()` — and its docstring lists the child modules torch creates. A module is
in training mode when built, so MultiheadAttention never takes its inference fast path: every check below is
one F.multi_head_attention_forward applies.

MACs per sample: the projections (q: L·E·E, k: S·E·kdim, v: S·E·vdim, out: L·E·E) plus the two batched
products of attention (QKᵀ and weights·V: 2·L·S'·E), S' counting bias_k/bias_v and the zero column — what
torch.utils.flop_counter counts (addmm + bmm) with need_weights=True.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from ..analysis.values import Unknown
from .base import MISSING, NO_TENSOR, BoundLayer, Ctx, Finding, num
from .torch_layers import is_int, layer, positive


# ---------------------------------------------------------------- MultiheadAttention

@dataclass
class Mha:
    E: int
    heads: int
    kdim: int
    vdim: int
    bias: bool
    bias_kv: bool
    zero_attn: bool
    batch_first: bool

    @property
    def same_dims(self) -> bool:
        return self.kdim == self.E and self.vdim == self.E


def mha_config(c: Ctx, E: Any, heads: Any, kdim: Any = None, vdim: Any = None, bias: Any = True,
               bias_kv: Any = False, zero_attn: Any = False, batch_first: Any = False, who: str = "") -> Optional[Mha]:
    """MultiheadAttention.__init__'s checks: embed_dim and num_heads > 0, embed_dim divisible by num_heads."""
    name = who or c.rule.name
    values = (E, heads, kdim, vdim, bias, bias_kv, zero_attn, batch_first)
    if any(isinstance(v, Unknown) for v in values):
        return None
    if not all(is_int(v) for v in (E, heads)) or any(v is not None and not is_int(v) for v in (kdim, vdim)):
        c.error("SL108", f"{name}: embed_dim, num_heads, kdim and vdim must be integers")
        return None
    if E <= 0 or heads <= 0:
        c.error("SL109", f"{name}: embed_dim and num_heads must be greater than 0, got embed_dim={E} and "
                         f"num_heads={heads}")
        return None
    if E % heads:
        c.error("SL107", f"{name}: embed_dim={E} must be divisible by num_heads={heads} (each head gets "
                         f"embed_dim // num_heads features)")
        return None
    return Mha(E, heads, kdim if kdim is not None else E, vdim if vdim is not None else E, bool(bias), bool(bias_kv),
               bool(zero_attn), bool(batch_first))


def mha_params(m: Mha) -> tuple:
    """(total, formula): in_proj_weight 3E·E (or q/k/v_proj_weight E·E + E·kdim + E·vdim), in_proj_bias 3E,
    out_proj E·E + E, bias_k and bias_v E each."""
    E = m.E
    if m.same_dims:
        proj, text = 3 * E * E, f"3·{E}·{E}"
    else:
        proj, text = E * E + E * m.kdim + E * m.vdim, f"{E}·{E} + {E}·{m.kdim} + {E}·{m.vdim}"
    total = proj + E * E
    text += f" + {E}·{E}"
    if m.bias:
        total += 4 * E
        text += f" + 4·{E}"
    if m.bias_kv:
        total += 2 * E
        text += f" + 2·{E}"
    return total, f"{text} = {num(total)}"


def mha_param_note(m: Mha) -> str:
    parts = ["in_proj" if m.same_dims else "q/k/v_proj", "out_proj"]
    if m.bias:
        parts.append("in/out biases")
    if m.bias_kv:
        parts.append("bias_k, bias_v")
    return " (" + ", ".join(parts) + ")"


@dataclass
class Attended:
    out: Optional[Shape]
    weights: Optional[Shape]
    macs: Optional[int]


def same(a, b) -> bool:
    return not (is_known(a) and is_known(b) and a != b)


def attend(c: Ctx, m: Mha, q: Any, k: Any, v: Any, key_padding_mask: Any = None, attn_mask: Any = None,
           need_weights: Any = True, average: Any = True, is_causal: Any = False, who: str = "") -> Attended:
    """MultiheadAttention.forward on known or unknown tensors: the checks of _mha_shape_check and
    F.multi_head_attention_forward, the output (L, N, E) (batch_first: (N, L, E); unbatched (L, E)) and the
    weights (N, L, S') averaged over heads, (N, heads, L, S') otherwise, when need_weights."""
    name = who or c.rule.name
    if not isinstance(q, Shape) or q.open_rank or not same_ranks(c, name, q, k, v):
        return Attended(None, None, None)
    batched = len(q) == 3
    Q, K, V = (seq_batch_features(t, batched, m.batch_first) for t in (q, k, v))
    L, N, Eq = Q.dims
    ok = check_masks_rank(c, m, name, batched, key_padding_mask, attn_mask, Q, K)
    if is_causal is True and attn_mask is None:
        c.error("SL108", f"{name}: is_causal=True needs attn_mask (torch raises 'Need attn_mask if specifying the "
                         f"is_causal hint')", related_to_input=True)
        ok = False
    if not same(Eq, m.E):
        c.error("SL105", f"{name}: was expecting embedding dimension of {m.E}, but the query {q.text()} has {Eq}",
                related_to_input=True)
        ok = False
    ok = check_key_value(c, m, name, K, V, k, v) and ok
    if K is not None and not same(K[1], N):
        c.error("SL110", f"{name}: the key's batch size {K[1]} differs from the query's {N} "
                         f"({'dim 0' if m.batch_first else 'dim 1'} with batch_first={m.batch_first})",
                related_to_input=True)
        ok = False
    S = K[0] if K is not None else UNKNOWN
    ok = check_masks_size(c, m, name, batched, key_padding_mask, attn_mask, L, S, N) and ok
    return attended(m, batched, L, N, S, need_weights, average) if ok else Attended(None, None, None)


def same_ranks(c: Ctx, name: str, q: Shape, k: Any, v: Any) -> bool:
    """_mha_shape_check: a 2-D (unbatched) or 3-D query, and key and value of the same rank."""
    if len(q) not in (2, 3):
        c.error("SL110", f"{name}: query should be unbatched 2-D or batched 3-D, but it is {q.text()}",
                related_to_input=True)
        return False
    for label, t in (("key", k), ("value", v)):
        if isinstance(t, Shape) and not t.open_rank and len(t) != len(q):
            c.error("SL110", f"{name}: for a {'batched 3-D' if len(q) == 3 else 'unbatched 2-D'} query, {label} must "
                             f"be {len(q)}-D too, but it is {t.text()}", related_to_input=True)
            return False
    return True


def seq_batch_features(s: Any, batched: bool, batch_first: bool) -> Optional[Shape]:
    """A tensor in the (L, N, E) layout F.multi_head_attention_forward works in (None when unknown)."""
    if not isinstance(s, Shape) or s.open_rank:
        return None
    if batched and batch_first and len(s) == 3:
        return Shape.of([s[1], s[0], s[2]])
    return Shape.of([s[0], 1, s[1]]) if not batched and len(s) == 2 else s


def attended(m: Mha, batched: bool, L, N, S, need_weights: Any, average: Any) -> Attended:
    """The output, the weights (S' = S + 1 for bias_k/bias_v + 1 for the zero column) and the MACs."""
    out = Shape.of([N, L, m.E] if m.batch_first and batched else [L, N, m.E] if batched else [L, m.E])
    S2 = S + int(m.bias_kv) + int(m.zero_attn) if is_known(S) else UNKNOWN
    weights = None
    if need_weights is True and isinstance(average, bool):
        per_head = [] if average else [m.heads]
        weights = Shape.of(([N] if batched else []) + per_head + [L, S2])
    macs = None
    if all(is_known(d) for d in (L, S)):
        macs = L * m.E * m.E + S * m.E * m.kdim + S * m.E * m.vdim + 2 * L * S2 * m.E + L * m.E * m.E
    return Attended(out, weights, macs)


def check_key_value(c: Ctx, m: Mha, name: str, K, V, k, v) -> bool:
    """Same dims: key.shape == value.shape and the last dim is embed_dim; kdim/vdim: the first two dims agree and
    the last dims are kdim and vdim (_in_projection's weight checks)."""
    if K is None or V is None:
        return True
    if m.same_dims:
        if any(not same(a, b) for a, b in zip(K.dims, V.dims)):
            c.error("SL110", f"{name}: key shape {k.text()} does not match value shape {v.text()}", related_to_input=True)
            return False
    elif any(not same(a, b) for a, b in zip(K.dims[:2], V.dims[:2])):
        c.error("SL110", f"{name}: key's sequence and batch dims {k.text()} do not match value's {v.text()}",
                related_to_input=True)
        return False
    ok = True
    for label, T, t, want, arg in (("key", K, k, m.kdim, "kdim"), ("value", V, v, m.vdim, "vdim")):
        if not same(T[2], want):
            c.error("SL105", f"{name}: the {label} {t.text()} has {T[2]} features, but {arg}={want}"
                             + ("" if m.same_dims else "") + " (its projection weight is sized for that)",
                    related_to_input=True)
            ok = False
    return ok


def check_masks_rank(c: Ctx, m: Mha, name: str, batched: bool, kpm, am, Q: Shape, K) -> bool:
    ok = True
    if isinstance(kpm, Shape) and not kpm.open_rank and len(kpm) != (2 if batched else 1):
        c.error("SL110", f"{name}: key_padding_mask must be {'2-D (N, S)' if batched else '1-D (S)'}, but it is "
                         f"{kpm.text()}", related_to_input=True)
        ok = False
    if isinstance(am, Shape) and not am.open_rank:
        if len(am) not in (2, 3):
            c.error("SL110", f"{name}: attn_mask must be 2-D (L, S) or 3-D (N·num_heads, L, S), but it is "
                             f"{am.text()}", related_to_input=True)
            ok = False
        elif len(am) == 3 and not batched and K is not None:
            want = (m.heads, Q[0], K[0])
            if any(not same(a, b) for a, b in zip(am.dims, want)):
                c.error("SL110", f"{name}: expected attn_mask of shape {tuple(map(dim_text, want))}, got {am.text()}",
                        related_to_input=True)
                ok = False
    return ok


def check_masks_size(c: Ctx, m: Mha, name: str, batched: bool, kpm, am, L, S, N) -> bool:
    ok = True
    if isinstance(am, Shape) and not am.open_rank and len(am) in (2, 3):
        want = (L, S) if len(am) == 2 else (N * m.heads if is_known(N) else UNKNOWN, L, S)
        if any(not same(a, b) for a, b in zip(am.dims, want)):
            c.error("SL110", f"{name}: the {len(am)}-D attn_mask is {am.text()}, but should be "
                             f"{tuple(map(dim_text, want))}", related_to_input=True)
            ok = False
    if isinstance(kpm, Shape) and not kpm.open_rank and len(kpm) == (2 if batched else 1):
        want = (N, S) if batched else (S,)
        if any(not same(a, b) for a, b in zip(kpm.dims, want)):
            c.error("SL110", f"{name}: key_padding_mask is {kpm.text()}, but should be {tuple(map(dim_text, want))} "
                             f"(batch, source length)", related_to_input=True)
            ok = False
    return ok


def call_value(c: Ctx, name: str) -> Any:
    """A call argument with MISSING and unknown tensors as None (unknown), constants as they are."""
    v = c.call_arg(name)
    return None if v is MISSING else v


def needs_inputs(c: Ctx, names: tuple) -> bool:
    """A module whose forward takes several tensors, run by a chain that passes one (nn.Sequential): torch
    raises TypeError for the missing ones. True when every named input is there."""
    missing = [n for n in names if c.call_arg(n) is MISSING]
    if missing and c.inp is not None:
        c.error("SL110", f"{c.rule.name}.forward takes {', '.join(names)}, but is called with one tensor "
                         f"(missing {', '.join(missing)}): nn.Sequential passes only one", related_to_input=True)
    return not missing


MHA_SIG = ("embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, "
           "vdim=None, batch_first=False, device=None, dtype=None")
MHA_CALL = ("query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True, "
            "is_causal=False")


@layer("MultiheadAttention", MHA_SIG, call=MHA_CALL, composite=True)
def multihead_attention(c: Ctx) -> None:
    """Multi-head attention: (L, N, E) query, (S, N, kdim) key, (S, N, vdim) value → attn_output (L, N, E)
    and attn_weights (N, L, S) (per head (N, num_heads, L, S); None with need_weights=False); batch_first puts
    N first. Params 3·E·E + E·E + 4·E (q/k/v input projection, out_proj, biases); kdim/vdim: E·E + E·kdim + E·vdim.

    Children torch creates: out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias)
    (a Linear). Its own parameters: in_proj_weight (3·E, E) or q_proj_weight (E, E), k_proj_weight (E, kdim),
    v_proj_weight (E, vdim); in_proj_bias (3·E); bias_k, bias_v (1, 1, E) with add_bias_kv."""
    names = ("embed_dim", "num_heads", "kdim", "vdim", "bias", "add_bias_kv", "add_zero_attn", "batch_first")
    for n in names:
        c.known(n)  # records why an unknown one is unknown
    m = mha_config(c, *(c.args[n] for n in names))
    if m is None:
        c.set_params(None)
    else:
        total, text = mha_params(m)
        c.set_params(total, text + mha_param_note(m))
    c.macs = None
    if not needs_inputs(c, ("query", "key", "value")) or m is None:
        c.unknown_output("" if m is not None else "the layer's configuration is unknown")
        return
    r = attend(c, m, call_value(c, "query"), call_value(c, "key"), call_value(c, "value"),
               call_value(c, "key_padding_mask"), call_value(c, "attn_mask"), call_value(c, "need_weights"),
               call_value(c, "average_attn_weights"), call_value(c, "is_causal"))
    c.out, c.macs = r.out, r.macs
    if r.out is None:
        c.why_unknown("the query, key or value does not fit the layer")
        return
    # torch returns (out, None) with need_weights=False
    c.outputs = (r.out, NO_TENSOR if r.weights is None and call_value(c, "need_weights") is False else r.weights)
    if r.macs is not None:
        c.formula("MACs", f"projections + attention = {num(r.macs)}")


# ---------------------------------------------------------------- transformer layers

ACTIVATIONS = ("relu", "gelu")
LAYER_SIG = ("d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu', layer_norm_eps=1e-05, "
             "batch_first=False, norm_first=False, bias=True, device=None, dtype=None")
ENC_LAYER_CALL = "src, src_mask=None, src_key_padding_mask=None, is_causal=False"
DEC_LAYER_CALL = ("tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, "
                  "memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False")


@dataclass
class Block:
    """A TransformerEncoderLayer / DecoderLayer's sizes."""
    d: int
    heads: int
    ff: int
    bias: bool
    batch_first: bool
    mha: Mha
    decoder: bool

    def params(self) -> tuple:
        d, ff, b = self.d, self.ff, self.bias
        attn, _ = mha_params(self.mha)
        n_attn, n_norms = (2, 3) if self.decoder else (1, 2)
        linears = d * ff + ff * d + ((ff + d) if b else 0)
        norms = n_norms * (2 * d if b else d)
        total = n_attn * attn + linears + norms
        text = (f"{n_attn}·{num(attn)} (attention) + " if n_attn > 1 else f"{num(attn)} (attention) + ") + \
            (f"({d} + 1)·{ff} + ({ff} + 1)·{d}" if b else f"{d}·{ff} + {ff}·{d}") + " (feed-forward) + " + \
            f"{n_norms}·{2 if b else 1}·{d} (LayerNorms) = {num(total)}"
        return total, text


def block_config(c: Ctx, args: dict, decoder: bool, who: str = "") -> Optional[Block]:
    """TransformerEncoderLayer/DecoderLayer.__init__: the MultiheadAttention(s) (d_model, nhead) and the
    activation string ('relu' or 'gelu', else RuntimeError); a callable activation is accepted."""
    name = who or c.rule.name
    act = args.get("activation")
    if isinstance(act, str) and act not in ACTIVATIONS:
        c.error("SL108", f"{name}: activation should be relu/gelu, not {act!r}")
    d, heads, ff = args.get("d_model"), args.get("nhead"), args.get("dim_feedforward")
    bias, batch_first = args.get("bias", True), args.get("batch_first", False)
    if any(isinstance(v, Unknown) for v in (d, heads, ff, bias, batch_first)):
        return None
    if not is_int(ff) or ff < 0:
        c.error("SL109", f"{name}: dim_feedforward={ff!r} must be a non-negative integer")
        return None
    m = mha_config(c, d, heads, None, None, bias, False, False, batch_first, who=name)
    if m is None:
        return None
    return Block(d, heads, ff, bool(bias), bool(batch_first), m, decoder)


def block_forward(c: Ctx, b: Block, x: Any, memory: Any = None, masks: Optional[dict] = None,
                  who: str = "") -> tuple:
    """(output shape or None, MACs) of one layer: self-attention on x (and, in a decoder, attention from x to
    memory), then the feed-forward on each position."""
    name = who or c.rule.name
    masks = masks or {}
    r = attend(c, b.mha, x, x, x, masks.get("self_kpm"), masks.get("self_mask"), False, True,
               masks.get("self_causal", False), who=f"{name} (self_attn)")
    if r.out is None:
        return None, None
    macs = r.macs
    if b.decoder:
        if isinstance(memory, Shape) and isinstance(x, Shape) and not memory.open_rank and len(memory) != len(x):
            c.error("SL110", f"{name}: memory {memory.text()} must have the rank of tgt {x.text()}",
                    related_to_input=True)
            return None, None
        r2 = attend(c, b.mha, x, memory, memory, masks.get("mem_kpm"), masks.get("mem_mask"), False, True,
                    masks.get("mem_causal", False), who=f"{name} (multihead_attn)")
        if r2.out is None and isinstance(memory, Shape):
            return None, None
        macs = None if macs is None or r2.macs is None else macs + r2.macs
    L = x[1] if b.batch_first and len(x) == 3 else x[0]
    if macs is not None and is_known(L):
        macs += 2 * L * b.d * b.ff
    return r.out, macs


def layer_masks(c: Ctx, decoder: bool) -> dict:
    if decoder:
        return {"self_mask": call_value(c, "tgt_mask"), "self_kpm": call_value(c, "tgt_key_padding_mask"),
                "self_causal": call_value(c, "tgt_is_causal"), "mem_mask": call_value(c, "memory_mask"),
                "mem_kpm": call_value(c, "memory_key_padding_mask"),
                "mem_causal": call_value(c, "memory_is_causal")}
    return {"self_mask": call_value(c, "src_mask"), "self_kpm": call_value(c, "src_key_padding_mask"),
            "self_causal": call_value(c, "is_causal")}


def transformer_layer(c: Ctx) -> None:
    """TransformerEncoderLayer: self-attention then a feed-forward d_model → dim_feedforward → d_model, each
    with a residual and a LayerNorm; the output has the shape of src. TransformerDecoderLayer adds attention
    to `memory` (and a third LayerNorm); its output has the shape of tgt.

    Children torch creates (encoder): self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
    batch_first=batch_first); linear1 = Linear(d_model, dim_feedforward, bias=bias); dropout = Dropout(dropout);
    linear2 = Linear(dim_feedforward, d_model, bias=bias); norm1, norm2 = LayerNorm(d_model, eps=layer_norm_eps,
    bias=bias); dropout1, dropout2 = Dropout(dropout). The decoder adds multihead_attn = MultiheadAttention(
    d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first) after self_attn, norm3 and dropout3."""
    decoder = c.rule.options["decoder"]
    b = block_config(c, c.args, decoder)
    if b is None:
        c.set_params(None)
    else:
        c.set_params(*b.params())
    c.macs = None
    first = "tgt" if decoder else "src"
    if not needs_inputs(c, (first, "memory") if decoder else (first,)) or b is None:
        c.unknown_output("")
        return
    x = call_value(c, first)
    out, macs = block_forward(c, b, x, call_value(c, "memory"), layer_masks(c, decoder))
    c.out, c.macs = out, macs
    if out is None:
        c.why_unknown(f"the {first} shape is unknown or does not fit the layer")
    elif macs is not None:
        c.formula("MACs", f"attention + feed-forward = {num(macs)}")


layer("TransformerEncoderLayer", LAYER_SIG, call=ENC_LAYER_CALL, composite=True, decoder=False)(transformer_layer)
layer("TransformerDecoderLayer", LAYER_SIG, call=DEC_LAYER_CALL, composite=True, decoder=True)(transformer_layer)


# ---------------------------------------------------------------- stacks: TransformerEncoder / Decoder

def run_child(c: Ctx, child: BoundLayer, shape: Optional[Shape], call: Optional[dict] = None) -> Ctx:
    """Run a layer given as an argument (TransformerEncoder(encoder_layer, ...)) on `shape`; its findings
    become this module's."""
    sub = Ctx(child.rule, dict(child.args), set(child.given), shape, c.framework)
    sub.call = call or {}
    child.rule.infer(sub)
    for f in sub.findings:
        c.findings.append(Finding(f.code, f.severity, f"{c.rule.name}: {f.message}", f.related_to_input))
    for reason in sub.unknown:
        c.why_unknown(reason)
    return sub


def stack(c: Ctx) -> None:
    """TransformerEncoder / TransformerDecoder: num_layers deep copies of the given layer, then `norm` if
    given; the output has the shape of src (tgt). Params num_layers × the layer's + the norm's.

    Children torch creates: layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
    (layers.0, layers.1, ...), and norm (the module passed as norm=, if any)."""
    decoder = c.rule.options["decoder"]
    arg = "decoder_layer" if decoder else "encoder_layer"
    child, norm = c.args.get(arg), c.args.get("norm")
    n = positive(c, "num_layers")  # 0 layers construct, but forward reads self.layers[0] (IndexError)
    c.macs = None
    first = "tgt" if decoder else "src"
    if not isinstance(child, BoundLayer):
        c.set_params(None)
        c.why_unknown(f"the {arg} is not a layer known statically")
        c.unknown_output("")
        return
    if not needs_inputs(c, (first, "memory") if decoder else (first,)):
        c.unknown_output("")
        one = run_child(c, child, None)
    else:
        sub_call = stack_call(c, decoder)
        one = run_child(c, child, c.tensor(first), sub_call)
        c.out = one.out
    norm_ctx = run_child(c, norm, c.out, {}) if isinstance(norm, BoundLayer) else None
    stack_params(c, one, norm_ctx, n)
    if one.macs is not None and is_int(n) and c.out is not None:
        c.macs = n * one.macs
        c.formula("MACs", f"{n} layers · {num(one.macs)} = {num(c.macs)}")


def stack_call(c: Ctx, decoder: bool) -> dict:
    """The layer's call as the stack makes it (mask= becomes src_mask=, ...)."""
    if decoder:
        names = ("tgt", "memory", "tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask",
                 "memory_is_causal")
        call = {k: c.call_arg(k) for k in names}
        call["tgt_is_causal"] = c.call_arg("tgt_is_causal") is True
    else:
        call = {"src": c.call_arg("src"), "src_mask": c.call_arg("mask"),
                "src_key_padding_mask": c.call_arg("src_key_padding_mask"),
                "is_causal": c.call_arg("is_causal") is True}
    return {k: v for k, v in call.items() if v is not MISSING}


def stack_params(c: Ctx, one: Ctx, norm: Optional[Ctx], n: Any) -> None:
    if one.trainable is None or not is_int(n) or (norm is not None and norm.trainable is None):
        c.set_params(None)
        return
    per = one.trainable + one.non_trainable
    total = n * per + (norm.trainable + norm.non_trainable if norm is not None else 0)
    text = f"{n}·{num(per)}" + (f" + {num(norm.trainable + norm.non_trainable)} (norm)" if norm else "")
    c.set_params(total, f"{text} = {num(total)}")


layer("TransformerEncoder", "encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True",
      call="src, mask=None, src_key_padding_mask=None, is_causal=None", composite=True, decoder=False)(stack)
layer("TransformerDecoder", "decoder_layer, num_layers, norm=None",
      call="tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None, "
           "tgt_is_causal=None, memory_is_causal=False", composite=True, decoder=True)(stack)


# ---------------------------------------------------------------- Transformer

TRANSFORMER_SIG = ("d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048, "
                   "dropout=0.1, activation='relu', custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-05, "
                   "batch_first=False, norm_first=False, bias=True, device=None, dtype=None")
TRANSFORMER_CALL = ("src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None, "
                    "tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None, "
                    "memory_is_causal=False")


@layer("Transformer", TRANSFORMER_SIG, call=TRANSFORMER_CALL, composite=True)
def transformer(c: Ctx) -> None:
    """Encoder-decoder transformer: src (S, N, E) and tgt (T, N, E) → (T, N, E) (batch_first: N first). Params
    num_encoder_layers·encoder layer + LayerNorm + num_decoder_layers·decoder layer + LayerNorm.

    Children torch creates: encoder = TransformerEncoder(TransformerEncoderLayer(d_model, nhead,
    dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias), num_encoder_layers,
    LayerNorm(d_model, eps=layer_norm_eps, bias=bias)); decoder = TransformerDecoder(TransformerDecoderLayer(
    same arguments), num_decoder_layers, LayerNorm(d_model, eps=layer_norm_eps, bias=bias)). custom_encoder /
    custom_decoder replace them."""
    a = c.args
    enc = block_config(c, a, decoder=False)
    dec = replace(enc, decoder=True) if enc is not None else None
    # 0 layers construct, but the stacks' forward reads self.layers[0] (IndexError).
    ne, nd = positive(c, "num_encoder_layers"), positive(c, "num_decoder_layers")
    custom = [n for n in ("custom_encoder", "custom_decoder") if a.get(n) is not None]
    c.macs = None
    if enc is None or dec is None or not is_int(ne) or not is_int(nd) or custom:
        c.set_params(None)
        if custom:
            c.why_unknown(f"{' and '.join(custom)} is a module the analysis does not follow")
    else:
        norm = 2 * enc.d if enc.bias else enc.d
        pe, pd = enc.params()[0], dec.params()[0]
        total = ne * pe + norm + nd * pd + norm
        c.set_params(total, f"{ne}·{num(pe)} + {norm} (encoder) + {nd}·{num(pd)} + {norm} (decoder) = {num(total)}")
    if not needs_inputs(c, ("src", "tgt")) or enc is None:
        c.unknown_output("")
        return
    src, tgt = call_value(c, "src"), call_value(c, "tgt")
    if not check_src_tgt(c, enc, src, tgt):
        c.unknown_output("src and tgt do not fit the transformer")
        return
    memory, m1 = block_forward(c, enc, src, masks={"self_mask": call_value(c, "src_mask"),
                                                  "self_kpm": call_value(c, "src_key_padding_mask"),
                                                  "self_causal": call_value(c, "src_is_causal") is True})
    out, m2 = block_forward(c, dec, tgt, memory if memory is not None else src, {
        "self_mask": call_value(c, "tgt_mask"), "self_kpm": call_value(c, "tgt_key_padding_mask"),
        "self_causal": call_value(c, "tgt_is_causal") is True, "mem_mask": call_value(c, "memory_mask"),
        "mem_kpm": call_value(c, "memory_key_padding_mask"), "mem_causal": call_value(c, "memory_is_causal")})
    c.out = out
    if out is None:
        c.why_unknown("the tgt shape is unknown or does not fit the transformer")
    if m1 is not None and m2 is not None and is_int(ne) and is_int(nd):
        c.macs = ne * m1 + nd * m2
        c.formula("MACs", f"{ne}·{num(m1)} (encoder) + {nd}·{num(m2)} (decoder) = {num(c.macs)}")


def check_src_tgt(c: Ctx, b: Block, src: Any, tgt: Any) -> bool:
    """Transformer.forward: equal batch sizes (batched src), and both feature sizes equal to d_model."""
    if not isinstance(src, Shape) or not isinstance(tgt, Shape) or src.open_rank or tgt.open_rank:
        return True
    ok = True
    if len(src) == 3 and len(tgt) >= 2:
        axis = 0 if b.batch_first else 1
        if not same(src[axis], tgt[axis]):
            c.error("SL110", f"Transformer: the batch number of src {src.text()} and tgt {tgt.text()} must be equal",
                    related_to_input=True)
            ok = False
    for label, t in (("src", src), ("tgt", tgt)):
        if not same(t[-1], b.d):
            c.error("SL105", f"Transformer: the feature number of {label} {t.text()} must be equal to d_model={b.d}",
                    related_to_input=True)
            ok = False
    return ok
