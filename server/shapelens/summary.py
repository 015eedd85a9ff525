"""The text of `shapelens --summary`: one table per model, in the spirit of Keras' model.summary(), nested
as torchinfo nests it (modules of modules as rows with their recursive counts, `--depth`, a Trainable
column), and the totals (none when a part is unknown: the first reason, and the readable part apart).

Shared by the CLI and the language server's hovers (lsp_format.py).
"""
from __future__ import annotations

import re
from typing import NamedTuple, Optional

from .analysis.records import FileResult, LayerRecord, ModelRecord


def count(n: Optional[int]) -> str:
    return "?" if n is None else f"{n:,}"


def human(n: Optional[int]) -> str:
    """2,312,000 → 2.3M (for MACs and bytes, where the order of magnitude is what one reads)."""
    if n is None:
        return "?"
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}".replace(".0" + unit, unit)
    return str(n)


def human_bytes(n: Optional[int]) -> str:
    if n is None:
        return "?"
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def shape_text(shape) -> str:
    return shape.text() if shape is not None else "?"


# ---------------------------------------------------------------------- nesting (torchinfo's rows)

DEFAULT_TORCH_DEPTH = 3   # torchinfo's default: leaves under their parents
DEFAULT_KERAS_DEPTH = 1   # Keras' summary(): a nested model is one row (expand_nested=False)


def default_depth(m: ModelRecord) -> int:
    return DEFAULT_KERAS_DEPTH if m.framework == "keras" else DEFAULT_TORCH_DEPTH


def trainable_flag(r: LayerRecord) -> str:
    """torchinfo's Trainable column: "True" (every parameter requires grad / is a Keras trainable weight),
    "False" (none), "Partial" (some), "--" (no parameters), "?" (unknown)."""
    if r.trainable is None or r.non_trainable is None:
        return "?"
    if r.trainable + r.non_trainable == 0:
        return "--"
    if r.trainable == 0:
        return "False"
    return "True" if r.non_trainable == 0 else "Partial"


def _inside(path: Optional[str], block: str) -> bool:
    return path is not None and (path == block or path.startswith(block + "."))


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ""


def ordered_rows(m: ModelRecord) -> list:
    """The model's blocks and leaves in one list, in named_modules() order (a module of modules before what
    it holds). Both lists are in that order already: a block goes before the first leaf inside it. A block
    with no leaf inside (an empty `nn.Sequential()` shortcut) goes after its parent's own parameters and the
    blocks placed before it, and among its siblings by the line it is made on (the records do not say in
    which order the parent registered them)."""
    layers, blocks = m.layers, m.blocks
    out: list = []
    placed: list = []
    i = 0
    for bi, b in enumerate(blocks):
        bp = b.path or ""
        j = next((k for k in range(i, len(layers)) if _inside(layers[k].path, bp)), None)
        if j is None:
            parent = _parent(bp)
            nxt = blocks[bi + 1].path if bi + 1 < len(blocks) else None
            earlier = [q.path for q in placed if q.path and not _inside(bp, q.path)]
            j = i
            while j < len(layers) and (layers[j].path == parent or any(_inside(layers[j].path, q) for q in earlier)):
                j += 1
            while j < len(layers) and layers[j].path and _parent(layers[j].path) == parent and \
                    not (nxt and _inside(layers[j].path, nxt)) and layers[j].span.line < b.span.line:
                j += 1
        out += layers[i:j]
        out.append(b)
        placed.append(b)
        i = j
    return out + layers[i:]


def own_params_names(r: LayerRecord) -> list:
    """The tensors of a module's own-parameters row ("pos: 1·8·1·1 = 8" → pos)."""
    names = []
    for what, text in r.formulas:
        if what == "params" and ": " in text:
            head = text.split(": ", 1)[0]
            if head.replace("_", "").replace(".", "").isalnum():
                names.append(head)
    return names


def _is_own_params(r: LayerRecord, m: ModelRecord, block_paths: set) -> bool:
    """The row of the parameters a module holds itself beside its children (a ViT's cls_token, the model's
    own nn.Parameter, MultiheadAttention's in_proj_weight)."""
    if r.kind != "layer" or r.path is None:
        return False
    if r.path in block_paths:
        return True
    return r.path == "" and m.kind == "module" and len(m.layers) > 1


class Row(NamedTuple):
    record: LayerRecord
    depth: int          # torchinfo's: the model's children at 1
    label: str          # "conv1 (Conv2d)", "0 (BasicBlock)", "pos (Parameter)"
    own_params: bool    # the parameters a module holds itself (no output shape of their own)
    name: str = ""      # the label's name part ("conv1", "0", "pos"), "" for none
    type: str = ""      # the label's type part ("Conv2d", "Parameter")


def nested_rows(m: ModelRecord, depth: Optional[int] = None) -> list:
    """[Row] as torchinfo lists them with depth=`depth` (default: 3 for PyTorch,
    1 for Keras, as its summary() without expand_nested): blocks and leaves at tree depth <= depth, the
    model's children at 1. A block row carries its recursive counts; a module's own parameters are one
    row under it."""
    depth = default_depth(m) if depth is None else depth
    blocks = {b.path for b in m.blocks if b.path is not None}
    out = []
    for r in ordered_rows(m):
        own = _is_own_params(r, m, blocks)
        d = r.depth + 1 + (1 if own and r.path else 0)
        if d > depth:
            continue
        if own:
            names = own_params_names(r)
            name, kind = ", ".join(names), "Parameters" if len(names) > 1 else "Parameter"
            if not names:
                name, kind = "", f"{r.type} parameters"
        else:
            name, kind = r.name or "", r.type
            if name and r.path and name == r.path and d > 1:
                name = r.path.rsplit(".", 1)[-1]     # under its parent: the last part of its path
        out.append(Row(r, d, f"{name} ({kind})" if name else kind, own, name, kind))
    return out


def model_rows(m: ModelRecord, depth: Optional[int] = None) -> list:
    rows = []
    for row in nested_rows(m, depth):
        r = row.record
        rows.append(("  " * (row.depth - 1) + row.label, str(r.span.line),
                     "--" if row.own_params else shape_text(r.output_shape), count(r.params), count(r.macs),
                     trainable_flag(r)))
    return rows


HEADER = ("Layer (type)", "Line", "Output Shape", "Param #", "MACs", "Trainable")


def model_table(m: ModelRecord, depth: Optional[int] = None) -> str:
    rows = model_rows(m, depth)
    widths = [max(len(r[i]) for r in rows + [HEADER]) for i in range(len(HEADER))]
    align = ["<", ">", "<", ">", ">", ">"]

    def fmt(r) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip()

    rule_len = len(fmt(HEADER))
    lines = [fmt(HEADER), "=" * rule_len]
    lines += [fmt(r) for r in rows]
    lines.append("=" * rule_len)
    return "\n".join(lines)


# ---------------------------------------------------------------------- totals

def totals_lines(m: ModelRecord) -> list:
    total = m.total_params
    if m.params_unknown_reason is None and total is not None:
        lines = [f"Total params: {total:,} ({human_bytes(4 * total)})"]
    else:
        lines = [f"Total params: ? ({m.params_unknown_reason})",
                 f"Known params: at least {m.known_params_lower_bound:,} (the parts that could be read; "
                 f"not the total)"]
    lines += [
        f"Trainable params: {count(m.checked_trainable_params)}",
        f"Non-trainable params: {count(m.checked_non_trainable_params)}",
        f"MACs per sample: {human(m.total_macs)}" + (f" ({m.total_macs:,})" if m.total_macs else ""),
        f"Activation memory per sample (float32): {human_bytes(m.activation_bytes)}",
    ]
    return lines


def model_heading(path: str, m: ModelRecord) -> str:
    where = f"{path}:{m.span.line}"
    inp = shape_text(m.input_shape)
    src = f" from {m.input_source}" if m.input_source else ""
    if m.input_shape is None:
        inp, src = "unknown", (f": {m.input_reason}" if m.input_reason else
                               " (add `# shapelens: input=(1, 3, 224, 224)` above the model)"
                               if m.framework == "torch" else " (add keras.Input(shape=...))")
    framework = "PyTorch" if m.framework == "torch" else "Keras"
    return f'Model "{m.name}" ({framework}, {where}) · input {inp}{src}'


_FROZEN_KEY = re.compile(r"^(?P<key>[\w.]+): requires_grad=False \(line (?P<line>\d+)\)$")
_FROZEN_ALL = re.compile(r"^requires_grad_\(False\) at line (?P<line>\d+)$")
_TIED = re.compile(r"^(?P<key>[\w.]+) is the tensor made at line (?P<line>\d+)$")


def param_notes(r: LayerRecord) -> list:
    """Why a layer's parameters are frozen or tied, with the line that made them so, from the "frozen" /
    "tied" / "shared" formulas of its record: ["`weight`, `bias` frozen at line 41 (requires_grad=False)",
    "`weight` tied to the tensor made at line 12: counted once in the model's total"]."""
    frozen: dict = {}    # line -> [keys]: one note per line
    tied: dict = {}
    notes = []
    for what, text in r.formulas:
        if what == "frozen":
            m = _FROZEN_KEY.match(text) or _FROZEN_ALL.match(text)
            if m is None:
                notes.append(f"frozen: {text}")
            else:
                frozen.setdefault(int(m["line"]), []).append(m.groupdict().get("key"))
        elif what == "tied":
            m = _TIED.match(text)
            if m is None:
                notes.append(f"tied: {text}")
            else:
                tied.setdefault(int(m["line"]), []).append(m["key"])
        elif what == "shared":
            notes.append(f"shared: {text}")
    for line, keys in frozen.items():
        named = [k for k in keys if k]
        if named:
            notes.append(f"{', '.join(f'`{k}`' for k in named)} frozen at line {line} (requires_grad=False)")
        if len(named) < len(keys):
            notes.append(f"frozen at line {line} (requires_grad_(False))")
    for line, keys in tied.items():
        notes.append(f"{', '.join(f'`{k}`' for k in keys)} tied to the tensor made at line {line}: counted "
                     f"once in the model's total")
    return notes


MAX_NOTES = 12


def frozen_tied_notes(m: ModelRecord) -> list:
    out = []
    for layer in m.layers:
        where = f"  line {layer.span.line} {layer.type}" + (f" `{layer.path}`" if layer.path else "")
        out += [f"{where}: {n}" for n in param_notes(layer)]
    if len(out) > MAX_NOTES:
        out = out[:MAX_NOTES - 1] + [f"  ... and {len(out) - MAX_NOTES + 1} more (the hover on a layer names "
                                     f"its lines)"]
    return out


def unknown_notes(m: ModelRecord) -> list:
    notes = []
    for layer in m.layers:
        for reason in layer.unknown_reasons:
            notes.append(f"  line {layer.span.line} {layer.type}: ? because {reason}")
    return notes


def file_summary(r: FileResult, depth: Optional[int] = None) -> str:
    parts = []
    if not r.models:
        parts.append(f"{r.path}: {r.no_models_reason or 'no models found'}")
    shown: set = set()
    for m in r.models:
        block = [model_heading(r.path, m), model_table(m, depth)] + totals_lines(m)
        frozen = frozen_tied_notes(m)
        if frozen:
            block += ["Frozen or tied parameters:"] + frozen
        notes = unknown_notes(m)
        if notes:
            block += ["Unknown values:"] + notes
        lo, hi = m.span.line, max([l.span.end_line for l in m.layers] + [m.span.end_line])
        diags = [d for d in r.diagnostics if lo <= d.span.line <= hi and d.severity != "info"]
        if diags:
            block.append("Diagnostics:")
            block += [_finding(r.path, d) for d in diags]
            shown.update(id(d) for d in diags)
        parts.append("\n".join(block))
    # what belongs to no model: above all a statement that was not analysed (SL001), which may be why a
    # model is missing from the tables
    rest = [d for d in r.diagnostics if id(d) not in shown and d.severity != "info"]
    if rest:
        parts.append("\n".join(["Other findings:"] + [_finding(r.path, d) for d in rest]))
    return "\n\n".join(parts)


def _finding(path: str, d) -> str:
    return f"  {path}:{d.span.line}:{d.span.col}: {d.code} {d.message}"
