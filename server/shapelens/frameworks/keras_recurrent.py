"""Keras recurrent cells and the generic RNN layer (keras 3.15: keras/src/layers/rnn/{rnn,lstm,gru,simple_rnn,
stacked_rnn_cells}.py).

A cell works on one step (batch, features) → (batch, units) with its states; its weights are those of the
matching layer (LSTMCell: kernel (F, 4u), recurrent_kernel (u, 4u), bias 4u; GRUCell with reset_after a
(2, 3u) bias; SimpleRNNCell one gate). RNN(cell) runs a cell over axis 1; StackedRNNCells chains cells, each
fed with the previous one's output. RNN and the wrapped cells are one row in Keras' summary.
"""
from __future__ import annotations

from typing import Any, Optional

from ..analysis.shapes import UNKNOWN, Shape, is_known
from ..analysis.values import Unknown
from .base import MISSING, BoundLayer, Ctx, Finding, num
from .keras_layers import (GATES, RNN_CALL, arriving, flag, layer, need_rank, positive, rnn_output, sized,
                           unknown_weights)

CELL_TAIL = ("kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, "
             "recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0")
CELL_SIGS = {
    "SimpleRNNCell": "units, activation='tanh', use_bias=True, kernel_initializer='glorot_uniform', "
                     "recurrent_initializer='orthogonal', bias_initializer='zeros', " + CELL_TAIL + ", seed=None, "
                     "**kwargs",
    "LSTMCell": "units, activation='tanh', recurrent_activation='sigmoid', use_bias=True, "
                "kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal', bias_initializer='zeros', "
                "unit_forget_bias=True, " + CELL_TAIL + ", seed=None, **kwargs",
    "GRUCell": "units, activation='tanh', recurrent_activation='sigmoid', use_bias=True, "
               "kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal', bias_initializer='zeros', "
               + CELL_TAIL + ", reset_after=True, seed=None, **kwargs",
}
CELL_LAYER = {"SimpleRNNCell": "SimpleRNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}


def cell_weights(c: Ctx, fin: int, units: int) -> None:
    """gates·u·(F + u) + gates·u bias (GRU with reset_after: 2·3u)."""
    gates = GATES[CELL_LAYER[c.rule.name]]
    bias = flag(c, "use_bias")
    two = c.rule.name == "GRUCell" and bool(flag(c, "reset_after"))
    if bias is None:
        return unknown_weights(c)
    core = gates * units * (fin + units)
    total = core + ((2 if two else 1) * gates * units if bias else 0)
    g = f"{gates}·" if gates > 1 else ""
    c.set_params(total, f"{g}({units}·({fin} + {units})" + (f" + {'2·' if two else ''}{units}" if bias else "")
                 + f") = {num(total)}")
    c.macs = core
    c.formula("MACs", f"{g}{units}·({fin} + {units}) = {num(core)}")


def cell(c: Ctx) -> None:
    """One step of SimpleRNN / LSTM / GRU: (batch, F) and the states → (batch, units) and the new states
    ([h, c] for LSTMCell, [h] otherwise). Called on its own it needs `states`; inside RNN it runs per step."""
    units = positive(c, "units")
    for name in ("dropout", "recurrent_dropout"):
        v = c.args.get(name)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not 0 <= v <= 1:
            c.error("SL109", f"{c.rule.name}: {name}={v} must be in [0, 1]")
    s = arriving(c)
    if c.call_arg("states") is MISSING and c.inp is not None:
        c.error("SL110", f"{c.rule.name} is called with (inputs, states), but receives only the inputs (a cell runs "
                         f"one step: wrap it in keras.layers.RNN)", related_to_input=True)
    if s is None or units is None:
        unknown_weights(c)
        return c.unknown_output("")
    fin = sized(c, s[-1], "the feature dimension")
    c.out = Shape.of(list(s.dims[:-1]) + [units])
    if fin is None:
        return unknown_weights(c)
    cell_weights(c, fin, units)
    if c.called:
        c.outputs = (c.out, [c.out] * (2 if c.rule.name == "LSTMCell" else 1))


for _name, _sig in CELL_SIGS.items():
    layer(_name, _sig, call="inputs, states, training=False" if _name != "SimpleRNNCell" else
          "sequence, states, training=False")(cell)


# ---------------------------------------------------------------- stacks of cells and RNN(cell)

def run_cell(c: Ctx, bound: BoundLayer, step: Optional[Shape]) -> Ctx:
    """Run a cell's rule on one step's shape (batch, F); its findings become the caller's."""
    sub = Ctx(bound.rule, dict(bound.args), set(bound.given), step, c.framework)
    sub.extra = dict(bound.extra or {})
    sig = bound.rule.call_signature
    if sig is not None and step is not None:  # the RNN calls the cell with the step and its states
        sub.call = {sig.params[0].name: step, "states": Unknown("the RNN's states")}
    bound.rule.infer(sub)
    for f in sub.findings:
        c.findings.append(Finding(f.code, f.severity, f"{c.rule.name}: {f.message}", f.related_to_input))
    for reason in sub.unknown:
        c.why_unknown(reason)
    return sub


def state_sizes(bound: BoundLayer) -> Optional[list]:
    """A cell's state_size: LSTMCell [u, u]; GRUCell, SimpleRNNCell [u]; StackedRNNCells one list per cell."""
    if bound.rule.name == "StackedRNNCells":
        cells = bound.args.get("cells")
        if not isinstance(cells, (list, tuple)) or not all(isinstance(x, BoundLayer) for x in cells):
            return None
        sizes = [state_sizes(x) for x in cells]
        return None if any(s is None for s in sizes) else sizes
    units = bound.args.get("units")
    if not isinstance(units, int):
        return None
    return [units, units] if bound.rule.name == "LSTMCell" else [units]


def chain_cells(c: Ctx, cells: list, step: Optional[Shape]) -> tuple:
    """(output shape of the last cell, [cell contexts]) feeding each cell the previous one's output."""
    ctxs, shape = [], step
    for bound in cells:
        sub = run_cell(c, bound, shape)
        ctxs.append(sub)
        shape = sub.out
    return shape, ctxs


def total_weights(c: Ctx, parts: list) -> None:
    if any(p.trainable is None or p.non_trainable is None for p in parts):
        return unknown_weights(c)
    c.trainable = sum(p.trainable for p in parts)
    c.non_trainable = sum(p.non_trainable for p in parts)
    if len(parts) == 1:
        c.formulas.extend((w, t) for w, t in parts[0].formulas if w in ("params", "non-trainable"))
    else:
        c.formula("params", " + ".join(num(p.trainable + p.non_trainable) for p in parts)
                  + f" = {num(c.trainable + c.non_trainable)} (one per cell)")
    c.macs = None if any(p.macs is None for p in parts) else sum(p.macs for p in parts)


CELLS = frozenset(CELL_SIGS) | {"StackedRNNCells"}


def cells_of(c: Ctx, name: str) -> Optional[list]:
    """The cell(s) given as `name`: layers with `call` and `state_size` (RNN.__init__ raises for others)."""
    v = c.args.get(name)
    items = [v] if isinstance(v, BoundLayer) else list(v) if isinstance(v, (list, tuple)) and v and all(
        isinstance(x, BoundLayer) for x in v) else None
    if items is not None:
        for x in items:
            if x.rule.name not in CELLS:
                c.error("SL108", f"{c.rule.name}: {x.rule.name} is not a recurrent cell (it has no `state_size`); "
                                 f"use LSTMCell, GRUCell or SimpleRNNCell, or the {x.rule.name} layer itself")
                return None
        return items
    if c.known(name) is not None:
        c.error("SL108", f"{c.rule.name}: {name}={v!r} is not a recurrent cell (it needs `call` and `state_size`)")
    else:
        c.why_unknown(f"the cell `{name}` is not known statically")
    return None


@layer("StackedRNNCells", "cells, **kwargs", call="inputs, states, training=False, **kwargs")
def stacked_cells(c: Ctx) -> None:
    """Cells run one after the other on a step: each gets the previous cell's output; the output is the last
    cell's. Weights: the sum of the cells'."""
    cells = cells_of(c, "cells")
    s = arriving(c)
    if cells is None or s is None:
        unknown_weights(c)
        return c.unknown_output("")
    out, ctxs = chain_cells(c, cells, s)
    total_weights(c, ctxs)
    c.out = out


@layer("RNN", "cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False, "
              "zero_output_for_mask=False, **kwargs", call=RNN_CALL)
def rnn_layer(c: Ctx) -> None:
    """The generic recurrent layer: the cell (or a list of cells, stacked) on every step of axis 1:
    (batch, T, F) → (batch, T, units) with return_sequences, else (batch, units); return_state adds the final
    states (batch, s) for each of the cell's state sizes. Weights: the cell's."""
    cells = cells_of(c, "cell")
    s = arriving(c)
    if cells is None or s is None or not need_rank(c, 3, at_least=True):
        unknown_weights(c)
        return c.unknown_output("")
    out, ctxs = chain_cells(c, cells, Shape.of([s[0]] + list(s.dims[2:])))
    total_weights(c, ctxs)
    if c.macs is not None and is_known(s[1]):
        c.macs *= s[1]
        c.formula("MACs", f"{s[1]} steps = {num(c.macs)}")
    elif c.macs:
        c.macs = None
    if out is None:
        return c.unknown_output("")
    rnn_output(c, s, list(out.dims[1:]))
    if c.outputs is not None:
        # A list of cells is wrapped in StackedRNNCells, whose state_size holds one list per cell.
        stacked = isinstance(c.args.get("cell"), (list, tuple))
        sizes = [state_sizes(b) for b in cells] if stacked else state_sizes(cells[0])
        if sizes is not None and any(x is None for x in sizes):
            sizes = None
        c.outputs = [c.outputs[0]] + states_of(s[0], sizes)


def states_of(batch: Any, sizes: Optional[list]) -> list:
    """RNN.compute_output_shape: (batch, size) per state, a nested list for a stacked cell's."""
    if sizes is None:
        return [None]
    out = []
    for size in sizes:
        if isinstance(size, list):
            out.append(states_of(batch, size))
        else:
            out.append(Shape.of([batch, size if size is not None else UNKNOWN]))
    return out
