"""PyTorch recurrent layers: RNN, LSTM, GRU and their cells (torch 2.13, torch/nn/modules/rnn.py).

Parameters are what RNNBase.__init__ creates: per layer and direction w_ih (gates·h, in), w_hh (gates·h, h_out),
with bias=True b_ih and b_hh (gates·h each), with proj_size > 0 (LSTM only) w_hr (proj, h); `in` is input_size
for layer 0 and h_out·directions above it, h_out = proj_size or hidden_size. Gates: LSTM 4, GRU 3, RNN 1.

forward() returns (output, h_n) — LSTM (output, (h_n, c_n)) — and the entries set Ctx.outputs to that structure.
MACs per sample: every step, every layer and direction, gates·h·(in + h_out) (+ proj·h), what
torch.utils.flop_counter counts for the non-oneDNN kernel (aten::lstm decomposed into addmm/mm).
"""
from __future__ import annotations

import numbers
from typing import Optional

from ..analysis.shapes import UNKNOWN, Shape, dim_text, is_known
from ..analysis.values import Unknown
from .base import Ctx, num
from .torch_layers import arriving, check_rank, exact_choice, is_int, layer, positive, ranks, ranks_text

RNN_TAIL = "bias=True, batch_first=False, dropout=0.0, bidirectional=False"
# The signatures are those of the typing.overload of each __init__ (the real one is `*args, **kwargs`, passed
# on to RNNBase.__init__(mode, *args, **kwargs) in this order).
RNN_SIGS = {
    "RNN": f"input_size, hidden_size, num_layers=1, nonlinearity='tanh', {RNN_TAIL}, device=None, dtype=None",
    "LSTM": f"input_size, hidden_size, num_layers=1, {RNN_TAIL}, proj_size=0, device=None, dtype=None",
    "GRU": f"input_size, hidden_size, num_layers=1, {RNN_TAIL}, device=None, dtype=None",
}
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3, "RNNCell": 1, "LSTMCell": 4, "GRUCell": 3}


class Config:
    """The sizes RNNBase.__init__ works with, once they are known and valid."""

    def __init__(self, gates: int, fin: int, h: int, layers: int, dirs: int, proj: int, bias: bool,
                 batch_first: bool) -> None:
        self.gates, self.fin, self.h, self.layers, self.dirs, self.proj = gates, fin, h, layers, dirs, proj
        self.bias, self.batch_first = bias, batch_first
        self.h_out = proj or h

    def layer_input(self, i: int) -> int:
        return self.fin if i == 0 else self.h_out * self.dirs


def strict_bool(c: Ctx, name: str) -> Optional[bool]:
    """RNNBase raises TypeError unless bias / batch_first are real bools."""
    if isinstance(c.args[name], Unknown):
        c.known(name)  # records why
        return None
    v = c.args[name]
    if not isinstance(v, bool):
        c.error("SL108", f"{c.rule.name}: {name} should be of type bool, got {type(v).__name__} (torch raises at "
                         f"construction)")
        return None
    return v


def check_dropout(c: Ctx) -> None:
    p = c.known("dropout")
    if p is None:
        return
    if isinstance(p, bool) or not isinstance(p, numbers.Number) or not 0 <= p <= 1:
        c.error("SL109", f"{c.rule.name}: dropout={p!r} should be a number in range [0, 1]")


def proj_size(c: Ctx, h: Optional[int]) -> Optional[int]:
    if "proj_size" not in c.args:
        return 0
    p = c.known("proj_size")
    if p is None:
        return None
    if not is_int(p):
        c.error("SL108", f"{c.rule.name}: proj_size={p!r} must be an integer")
        return None
    if p < 0:
        c.error("SL109", f"{c.rule.name}: proj_size={p} should be a positive integer or zero to disable projections")
        return None
    if h is not None and p >= h:
        c.error("SL109", f"{c.rule.name}: proj_size={p} has to be smaller than hidden_size={h}")
        return None
    return p


def rnn_config(c: Ctx) -> Optional[Config]:
    """The checks of RNN.__init__ / RNNBase.__init__, in torch's order; None when something is unknown or invalid."""
    check_dropout(c)
    bias, batch_first = strict_bool(c, "bias"), strict_bool(c, "batch_first")
    fin, h, layers = positive(c, "input_size"), positive(c, "hidden_size"), positive(c, "num_layers")
    proj = proj_size(c, h)
    if "nonlinearity" in c.args:
        exact_choice(c, "nonlinearity", ("tanh", "relu"))
    bidirectional = c.known("bidirectional")
    if None in (bias, batch_first, fin, h, layers, proj, bidirectional):
        return None
    return Config(GATES[c.rule.name], fin, h, layers, 2 if bidirectional else 1, proj, bias, batch_first)


def rnn_params(c: Ctx, k: Config) -> None:
    """Σ over layers and directions of gates·(h·(in + h_out) + 2h) (+ proj·h); printed per layer."""
    total, parts = 0, []
    g = f"{k.gates}·" if k.gates > 1 else ""
    for i in range(k.layers):
        fin = k.layer_input(i)
        per = k.gates * k.h * (fin + k.h_out) + (2 * k.gates * k.h if k.bias else 0) + k.proj * k.h
        total += per * k.dirs
        inner = f"{k.h}·({fin} + {k.h_out})" + (f" + 2·{k.h}" if k.bias else "")
        text = f"{g}({inner})" if g else inner
        if k.proj:
            text += f" + {k.proj}·{k.h}"
        parts.append((f"{k.dirs}·({text})" if k.dirs > 1 and k.proj else f"{k.dirs}·{text}" if k.dirs > 1
                      else text, per * k.dirs))
    text = " + ".join(t for t, _ in parts)
    notes = [n for n, on in (("no bias", not k.bias), (f"{k.layers} layers", k.layers > 1),
                             ("bidirectional", k.dirs > 1), (f"proj_size={k.proj}", k.proj)) if on]
    c.set_params(total, f"{text} = {num(total)}" + (f" ({', '.join(notes)})" if notes else ""))


def step_macs(k: Config) -> int:
    return sum(k.dirs * (k.gates * k.h * (k.layer_input(i) + k.h_out) + k.proj * k.h) for i in range(k.layers))


def rnn(c: Ctx) -> None:
    """Recurrent layer on (L, N, H_in) — (N, L, H_in) with batch_first, (L, H_in) unbatched — giving
    (…, D·H_out) and h_n (D·num_layers, N, H_out) (LSTM also c_n (D·num_layers, N, hidden_size)).
    Params per layer and direction gates·(h·(in + h_out) + 2h) (+ proj·h): LSTM 4 gates, GRU 3, RNN 1."""
    k = rnn_config(c)
    if k is None:
        c.set_params(None)
    else:
        rnn_params(c, k)
    c.macs = None
    x = c.call_arg("input")
    if not isinstance(x, Shape) or not check_rank(c, ranks(2, 3), ranks_text(2, 3) + " (L, H_in) or a batch"):
        c.unknown_output("the input has the wrong rank" if isinstance(x, Shape) else c.input_unknown())
        return
    s = arriving(c, 2)
    features = s[-1]
    if k is not None and is_known(features) and features != k.fin:
        c.error("SL105", f"{c.rule.name} expects input_size={k.fin}, but the input {s.text()} has {features} "
                         f"features (input.size(-1) must be equal to input_size)", related_to_input=True)
    if k is None:
        c.out = Shape.of(list(s.dims[:-1]) + [UNKNOWN], s.open_rank)
        return
    width = k.dirs * k.h_out
    c.out = Shape.of(list(s.dims[:-1]) + [width], s.open_rank)
    if k.dirs > 1:
        c.formula("shape", f"features: 2·{k.h_out} = {width} (bidirectional: forward and backward concatenated)")
    if s.open_rank:
        c.why_unknown(c.input_unknown("the input's rank is unknown, so whether it is batched is unknown"))
        return
    batched = len(s) == 3
    batch = (s[0] if k.batch_first else s[1]) if batched else None
    steps = (s[1] if k.batch_first else s[0]) if batched else s[0]
    states = [Shape.of([k.layers * k.dirs] + ([batch] if batched else []) + [size]) for size in hidden_sizes(c, k)]
    if not check_hidden(c, k, batched, batch):
        states = [None] * len(states)
    c.outputs = (c.out, tuple(states)) if c.rule.name == "LSTM" else (c.out, states[0])
    if is_known(steps):
        per = step_macs(k)
        c.macs = steps * per
        c.formula("MACs", f"{steps} steps · {num(per)} = {num(c.macs)}")


def hidden_sizes(c: Ctx, k: Config) -> list:
    """The last dim of each state: h_n has h_out (proj_size when projecting), c_n has hidden_size."""
    return [k.h_out, k.h] if c.rule.name == "LSTM" else [k.h_out]


def check_hidden(c: Ctx, k: Config, batched: bool, batch) -> bool:
    """forward's checks of hx against (D·num_layers, N, H_out) (check_forward_args). False when hx is not usable."""
    hx = c.call_arg("hx")
    if hx is None or isinstance(hx, Unknown):
        return True
    names = ["h_0", "c_0"] if c.rule.name == "LSTM" else ["h_0"]
    states = list(hx) if isinstance(hx, (tuple, list)) else [hx]
    if len(states) != len(names):
        what = "a tuple (h_0, c_0)" if c.rule.name == "LSTM" else "one tensor h_0"
        c.error("SL110", f"{c.rule.name}: hx must be {what}", related_to_input=True)
        return False
    want_rank = 3 if batched else 2
    ok = True
    for name, st, size in zip(names, states, hidden_sizes(c, k)):
        if not isinstance(st, Shape) or st.open_rank:
            continue
        if len(st) != want_rank:
            c.error("SL110", f"{c.rule.name}: for a {'batched 3-D' if batched else 'unbatched 2-D'} input, {name} should "
                             f"also be {want_rank}-D, but it is {st.text()}", related_to_input=True)
            ok = False
            continue
        want = [k.layers * k.dirs] + ([batch] if batched else []) + [size]
        if any(is_known(a) and is_known(b) and a != b for a, b in zip(st.dims, want)):
            c.error("SL105", f"{c.rule.name}: expected {name} of size {tuple(dim_text(d) for d in want)} "
                             f"(D·num_layers, N, H), got {st.text()}", related_to_input=True)
            ok = False
    return ok


for _name, _sig in RNN_SIGS.items():
    layer(_name, _sig, call="input, hx=None")(rnn)


# ---------------------------------------------------------------- cells

CELL_SIGS = {
    "RNNCell": "input_size, hidden_size, bias=True, nonlinearity='tanh', device=None, dtype=None",
    "LSTMCell": "input_size, hidden_size, bias=True, device=None, dtype=None",
    "GRUCell": "input_size, hidden_size, bias=True, device=None, dtype=None",
}


def cell(c: Ctx) -> None:
    """One step: (N, H_in) → h' (N, h) — LSTMCell (h', c') — unbatched (H_in) → (h). Params
    gates·h·(in + h) + 2·gates·h with bias (RNNCellBase: weight_ih, weight_hh, bias_ih, bias_hh)."""
    fin, h, bias = positive(c, "input_size"), positive(c, "hidden_size"), c.known("bias")
    if "nonlinearity" in c.args:  # RNNCell raises 'Unknown nonlinearity' in forward
        exact_choice(c, "nonlinearity", ("tanh", "relu"))
    gates = GATES[c.rule.name]
    if None in (fin, h, bias):
        c.set_params(None)
    else:
        total = gates * h * (fin + h) + (2 * gates * h if bias else 0)
        g = f"{gates}·" if gates > 1 else ""
        c.set_params(total, f"{g}({h}·({fin} + {h})" + (f" + 2·{h}" if bias else "") + f") = {num(total)}"
                     + ("" if bias else " (no bias)"))
    c.macs = None
    x = c.call_arg("input")
    if not isinstance(x, Shape) or not check_rank(c, ranks(1, 2), ranks_text(1, 2) + " (N, H_in) or (H_in)"):
        c.unknown_output("the input has the wrong rank" if isinstance(x, Shape) else c.input_unknown())
        return
    s = arriving(c, 1)
    if fin is not None and is_known(s[-1]) and s[-1] != fin:
        c.error("SL105", f"{c.rule.name} expects input_size={fin}, but the input {s.text()} has {s[-1]} features",
                related_to_input=True)
    c.out = Shape.of(list(s.dims[:-1]) + [h if h else UNKNOWN], s.open_rank)
    if s.open_rank:
        return
    if h is not None:
        check_cell_state(c, s, h)
    if c.rule.name == "LSTMCell":
        c.outputs = (c.out, c.out)
    if fin is not None and h is not None:
        c.macs = gates * h * (fin + h)
        c.formula("MACs", f"{gates}·{h}·({fin} + {h}) = {num(c.macs)}")


def check_cell_state(c: Ctx, s: Shape, h: int) -> None:
    """hx must be 1-D or 2-D (ValueError), and (N, hidden_size) once the input is batched (aten's
    check_rnn_cell_forward_hidden)."""
    hx = c.call_arg("hx")
    if hx is None or isinstance(hx, Unknown):
        return
    states = list(hx) if isinstance(hx, (tuple, list)) else [hx]
    want = list(s.dims[:-1]) + [h]
    for st in states:
        if not isinstance(st, Shape) or st.open_rank:
            continue
        if len(st) not in (1, 2):
            c.error("SL110", f"{c.rule.name}: expected the hidden state to be 1-D or 2-D, got {st.text()}",
                    related_to_input=True)
        elif len(st) == len(want) and any(is_known(a) and is_known(b) and a != b for a, b in zip(st.dims, want)):
            c.error("SL105", f"{c.rule.name}: the hidden state {st.text()} does not match "
                             f"{tuple(dim_text(d) for d in want)} (batch, hidden_size)", related_to_input=True)


for _name, _sig in CELL_SIGS.items():
    layer(_name, _sig, call="input, hx=None")(cell)
