"""The text of `shapelens --summary`: one table per model, in the spirit of Keras' model.summary().

Shared by the CLI and the language server's hover on a model name (which wraps it in a code block).
"""
from __future__ import annotations

from typing import Optional

from .analysis.records import FileResult, ModelRecord


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


def model_rows(m: ModelRecord) -> list:
    rows = []
    for layer in m.layers:
        label = ("  " * layer.depth) + (f"{layer.name} ({layer.type})" if layer.name else layer.type)
        rows.append((label, str(layer.span.line), shape_text(layer.output_shape), count(layer.params), count(layer.macs)))
    return rows


def model_table(m: ModelRecord) -> str:
    header = ("Layer (type)", "Line", "Output Shape", "Param #", "MACs")
    rows = model_rows(m)
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    align = ["<", ">", "<", ">", ">"]

    def fmt(r) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip()

    rule_len = len(fmt(header))
    lines = [fmt(header), "=" * rule_len]
    lines += [fmt(r) for r in rows]
    lines.append("=" * rule_len)
    return "\n".join(lines)


def totals_lines(m: ModelRecord) -> list:
    total = m.total_params
    size = f" ({human_bytes(4 * total)})" if total is not None else ""
    return [
        f"Total params: {count(total)}{size}",
        f"Trainable params: {count(m.trainable_params)}",
        f"Non-trainable params: {count(m.non_trainable_params)}",
        f"MACs per sample: {human(m.total_macs)}" + (f" ({m.total_macs:,})" if m.total_macs else ""),
        f"Activation memory per sample (float32): {human_bytes(m.activation_bytes)}",
    ]


def model_heading(path: str, m: ModelRecord) -> str:
    where = f"{path}:{m.span.line}"
    inp = shape_text(m.input_shape)
    src = f" from {m.input_source}" if m.input_source else ""
    if m.input_shape is None:
        inp, src = "unknown", (" (add `# shapelens: input=(1, 3, 224, 224)` above the model)"
                               if m.framework == "torch" else " (add keras.Input(shape=...))")
    framework = "PyTorch" if m.framework == "torch" else "Keras"
    return f'Model "{m.name}" ({framework}, {where}) · input {inp}{src}'


def unknown_notes(m: ModelRecord) -> list:
    notes = []
    for layer in m.layers:
        for reason in layer.unknown_reasons:
            notes.append(f"  line {layer.span.line} {layer.type}: ? because {reason}")
    return notes


def file_summary(r: FileResult) -> str:
    parts = []
    if not r.models:
        parts.append(f"{r.path}: no Keras or PyTorch Sequential models found")
    shown: set = set()
    for m in r.models:
        block = [model_heading(r.path, m), model_table(m)] + totals_lines(m)
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
