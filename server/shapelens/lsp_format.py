"""Pure functions from analysis records to what the editor shows: inlay hint labels, tooltips, hover
markdown, code lens titles, diagnostic links, settings, and LSP line/column conversion.

Nothing here talks to a client or knows about pygls, so every label can be unit-tested from a record.
lsp.py wraps these strings into LSP types. Unknown values print "?" (never a guess).
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, compress, count, repeat
from operator import add, and_, ge, is_not, le
from typing import Any, Iterable, Optional, Sequence

from .analysis.records import Diagnostic, LayerRecord, ModelRecord, Span, StepRecord
from .analysis.shapes import Shape
from .summary import nested_rows, param_notes, trainable_flag

SEP = " · "
CODES_URL = "https://github.com/shapelens/shapelens/blob/main/docs/codes.md#{anchor}"


# ---------------------------------------------------------------------- numbers

def fmt_count(n: Optional[int]) -> str:
    """217706 → "217,706"; None → "?"."""
    if n is None:
        return "?"
    return f"{n:,}"


_UNITS = ("", "K", "M", "G", "T", "P", "E")


def fmt_compact(n: Optional[int]) -> str:
    """2_300_000 → "2.3M", 460_800 → "460.8K", 999 → "999", 10**24 → "1.0e+24"; None → "?"."""
    if n is None:
        return "?"
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < 1000:
        return f"{sign}{n}"
    value = float(n)
    for unit in _UNITS[1:]:
        value /= 1000.0
        if round(value, 1) < 1000:
            text = f"{value:.1f}"
            if text.endswith(".0"):
                text = text[:-2]
            return f"{sign}{text}{unit}"
    return f"{sign}{float(n):.1e}"


def fmt_bytes(n: Optional[int]) -> str:
    """208488 → "203.6 KiB"; None → "?"."""
    if n is None:
        return "?"
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        value /= 1024.0
        if round(value, 1) < 1024:
            return f"{value:.1f} {unit}"
    return f"{float(n):.1e} B"


def shape_text(shape: Optional[Shape]) -> str:
    return shape.text() if shape is not None else "?"


# ---------------------------------------------------------------------- settings

@dataclass(frozen=True)
class HintConfig:
    """Which inlay hints to show (rust-analyzer style: one switch per part). show_shapes, show_params and
    show_macs pick the parts of each layer's hint; the model's total shows its parameters (show_params)
    and always its MACs. show_steps: the shape at the end of each statement of forward() / call() / a
    functional builder that makes a tensor (a shape: off with show_shapes too). Unknown values print "?",
    in step hints as in layer hints."""

    enabled: bool = True
    show_shapes: bool = True
    show_params: bool = True
    show_macs: bool = False
    show_steps: bool = True


@dataclass(frozen=True)
class Settings:
    hints: HintConfig = HintConfig()
    default_torch_input: Optional[tuple] = None
    ignore: frozenset = field(default_factory=frozenset)
    select: frozenset = field(default_factory=frozenset)          # as the CLI's --select
    extend_select: frozenset = field(default_factory=frozenset)   # as --extend-select (SL201 is off by default)


def _get(d: Any, dotted: str) -> Any:
    """d["a"]["b"] or d["a.b"] (clients send either), else None."""
    if not isinstance(d, dict):
        return None
    if dotted in d:
        return d[dotted]
    head, _, rest = dotted.partition(".")
    if rest and isinstance(d.get(head), dict):
        return _get(d[head], rest)
    return None


def _bool(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


_DIM_RE = re.compile(r"^\s*(?:(-?\d+)|([A-Za-z_][A-Za-z_0-9]*))\s*$")


def parse_input_shape(value: Any) -> Optional[tuple]:
    """The defaultTorchInput setting: "(1, 3, 224, 224)", "[N, 3, 32, 32]" or a JSON list → a tuple of
    dims (ints; names such as N stay symbolic; None is Keras' open batch). Anything else → None."""
    if isinstance(value, (list, tuple)):
        items: list = list(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 200:
            return None
        if text[:1] in "([" and text[-1:] in ")]":
            text = text[1:-1]
        items = [p for p in text.split(",")]
        if items and not items[-1].strip():
            items = items[:-1]  # "(3,)"
    else:
        return None
    if not items or len(items) > 8:
        return None
    dims: list = []
    for item in items:
        if isinstance(item, bool):
            return None
        if isinstance(item, int):
            dims.append(item)
            continue
        if item is None:
            dims.append(None)
            continue
        if not isinstance(item, str):
            return None
        m = _DIM_RE.match(item)
        if not m:
            return None
        if m.group(1) is not None:
            dims.append(int(m.group(1)))
        else:
            dims.append(None if m.group(2) == "None" else m.group(2))
    if any(isinstance(d, int) and d < 0 for d in dims):
        return None
    return tuple(dims)


def parse_settings(raw: Any) -> Settings:
    """The `shapelens` section of workspace/configuration (nested or dotted keys; bad values → defaults)."""
    if not isinstance(raw, dict):
        return Settings()
    d = HintConfig()
    hints = HintConfig(
        enabled=_bool(_get(raw, "inlayHints.enabled"), d.enabled),
        show_shapes=_bool(_get(raw, "inlayHints.showShapes"), d.show_shapes),
        show_params=_bool(_get(raw, "inlayHints.showParams"), d.show_params),
        show_macs=_bool(_get(raw, "inlayHints.showMacs"), d.show_macs),
        show_steps=_bool(_get(raw, "inlayHints.showSteps"), d.show_steps),
    )
    return Settings(hints, parse_input_shape(_get(raw, "defaultTorchInput")), _codes(_get(raw, "ignore")),
                    _codes(_get(raw, "select")), _codes(_get(raw, "extendSelect")))


def _codes(value: Any) -> frozenset:
    """A list of codes (or one comma-separated string), upper-cased; anything else → empty."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        return frozenset()
    return frozenset(c.strip().upper() for c in value if isinstance(c, str) and c.strip())


# ---------------------------------------------------------------------- inlay hints

def layer_hint_label(layer: LayerRecord, cfg: HintConfig = HintConfig()) -> Optional[str]:
    """`(1, 32, 24, 24) · 832`: the output shape, then the parameter count (and, with show_macs, the MACs:
    `· 460.8K MACs`). Parameter-free layers show only their shape. None when every part is switched off
    (a label is never empty)."""
    parts = []
    if cfg.show_shapes:
        parts.append(shape_text(layer.output_shape))
    params = layer.params
    if cfg.show_params and (params is None or params != 0):
        parts.append(fmt_count(params))
    if cfg.show_macs and (layer.macs is None or layer.macs != 0):
        parts.append(f"{fmt_compact(layer.macs)} MACs")
    return SEP.join(parts) or None


MERGE_NOUN = "shapes"
HINT_CHARS = 60   # a merged layer hint longer than this shows its parameter range in K/M (2.3K–36.9K)


def merge_values(values: Iterable[str], noun: str = MERGE_NOUN) -> str:
    """Several labels at one place as one short label, the distinct ones in first-seen order: `a`; two:
    `a | b`; more: `a | … | z (k shapes)` (the first and the last; the tooltip lists every one)."""
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return "?"
    if len(distinct) == 1:
        return distinct[0]
    if len(distinct) == 2:
        return f"{distinct[0]} | {distinct[1]}"
    return f"{distinct[0]} | … | {distinct[-1]} ({len(distinct)} {noun})"


def count_range(values: Sequence[Optional[int]], fmt=fmt_count) -> str:
    """Counts of several layers at one place: `832` (one value), `2,304–36,864` (the smallest and the
    largest), `… | ?` when some are unknown, `?` when all are."""
    known = sorted({v for v in values if v is not None})
    parts = []
    if known:
        parts.append(fmt(known[0]) if len(known) == 1 else f"{fmt(known[0])}–{fmt(known[-1])}")
    if len(known) == 0 or any(v is None for v in values):
        parts.append("?")
    return " | ".join(parts)


def layers_hint_label(layers: Sequence[LayerRecord], cfg: HintConfig = HintConfig()) -> Optional[str]:
    """The one hint of every layer whose call ends at the same place (a block class's `self.conv1 = ...`
    made once per block; a line shared by two models): layer_hint_label when they all agree, else the
    distinct shapes merged (merge_values) and the counts as ranges (count_range):
    `(2, 16, 32, 32) | (2, 32, 16, 16) · 2,304–4,608`; when that is longer than HINT_CHARS, the
    parameter range in K/M: `(2, 16, 32, 32) | … | (2, 64, 8, 8) (3 shapes) · 2.3K–36.9K`."""
    if len(layers) == 1:
        return layer_hint_label(layers[0], cfg)
    params = [l.params for l in layers]
    ranged = len({p for p in params if p is not None}) > 1
    label = None
    for fmt in (fmt_count, fmt_compact) if ranged else (fmt_count,):   # too long: the range in K/M
        parts = []
        if cfg.show_shapes:
            parts.append(merge_values(shape_text(l.output_shape) for l in layers))
        if cfg.show_params and any(p is None or p != 0 for p in params):
            parts.append(count_range(params, fmt))
        macs = [l.macs for l in layers]
        if cfg.show_macs and any(m is None or m != 0 for m in macs):
            parts.append(f"{count_range(macs, fmt_compact)} MACs")
        label = SEP.join(parts) or None
        if label is None or len(label) <= HINT_CHARS:
            break
    return label


def step_shapes(step: StepRecord) -> list:
    """The distinct shapes a step made (None: a tensor of unknown shape), at least one."""
    return list(step.output_shapes) if step.output_shapes else [step.output_shape]


def steps_hint_label(steps: Sequence[StepRecord], cfg: HintConfig = HintConfig()) -> Optional[str]:
    """The shape(s) at the end of a statement of forward() / call() / a functional builder (and every
    function of the file run by it): the distinct shapes of every run, of every model that runs it,
    merged as merge_values merges them; unknown ones print `?`. None when step hints are off."""
    if not (cfg.show_steps and cfg.show_shapes):
        return None
    return merge_values(shape_text(s) for step in steps for s in step_shapes(step))


class HintGroups:
    """Where a file's layer and step hints go, one hint per place: every layer record whose call ends at
    the same (line, column) — in any model of the file — is one hint, and so is every step record. A
    step whose hint line already has a layer hint (a Keras functional `x = layers.Conv2D(32, 3)(x)`) is
    left to the layer's hint. Only the places on lines first..last (1-based) are gathered: a request for
    the visible lines groups those alone (the scan of every record stays a comparison per record)."""

    __slots__ = ("layers", "steps")

    def __init__(self, models: Sequence[ModelRecord], first: int = -(1 << 62), last: int = 1 << 62,
                 index: Optional["HintIndex"] = None) -> None:
        self.layers: dict = {}   # (end_line, end_col) -> [(model index, layer index)], in record order
        self.steps: dict = {}    # (end_line, end_col) -> [(model index, step index)]
        layers, steps = self.layers, self.steps
        # only the models with a hint in view (an edit re-groups only the models on screen)
        seen = (index or HintIndex(models)).models_in(first, last)
        for mi in seen:
            model = models[mi]
            for li, layer in enumerate(model.layers):
                s = layer.span
                if first <= s.end_line <= last:
                    key = (s.end_line, s.end_col)
                    if key in layers:
                        layers[key].append((mi, li))
                    else:
                        layers[key] = [(mi, li)]
        layer_lines = {line for line, _ in layers}
        for mi in seen:
            model = models[mi]
            for si, step in enumerate(model.steps):
                s = step.span
                if first <= s.end_line <= last and s.end_line not in layer_lines:
                    steps.setdefault((s.end_line, s.end_col), []).append((mi, si))


class HintIndex:
    """Which models of a file have a hint on given lines, without touching each model: per model, the
    line of its total and the first and last line of its layer and step hints, in arrays, selected in C
    (map/compress). Made from the index of the file's previous analysis when there is one: the models
    the two lists share at the start and at the end (the very same objects: the analysis returns them
    again for the statements an edit did not touch, and the worker sends them as numbers) keep their
    rows, found by identity in C; only the models in between are read. After a keystroke in a
    3,000-line file that is one model of 300: reading them all was 0.8 ms of each edit's hints."""

    __slots__ = ("models", "total", "lo", "hi")

    def __init__(self, models: Sequence[ModelRecord], previous: Optional["HintIndex"] = None) -> None:
        self.models = list(models)
        n = len(models)
        p = s = 0
        if previous is not None:
            old = previous.models
            limit = min(len(old), n)
            p = _shared(old, models, limit)
            s = _shared(reversed(old), reversed(models), limit - p)
        rows = [(hint_line(m), *_hint_lines(m)) for m in models[p:n - s]]
        self.total = _spliced(previous and previous.total, p, s, (r[0] for r in rows))
        self.lo = _spliced(previous and previous.lo, p, s, (r[1] for r in rows))
        self.hi = _spliced(previous and previous.hi, p, s, (r[2] for r in rows))

    def totals_in(self, first: int, last: int) -> list[int]:
        """Indices of the models whose total's line is in first..last."""
        total = self.total
        return list(compress(range(len(total)), map(and_, map(ge, total, repeat(first)), map(le, total, repeat(last)))))

    def models_in(self, first: int, last: int) -> list[int]:
        """Indices of the models with a layer or step hint that may be on lines first..last."""
        return list(compress(range(len(self.lo)),
                             map(and_, map(le, self.lo, repeat(last)), map(ge, self.hi, repeat(first)))))


def _shared(a: Iterable, b: Iterable, limit: int) -> int:
    """How many leading items a and b have in common by identity (at most limit), compared in C."""
    return min(next(compress(count(), map(is_not, a, b)), limit), limit) if limit else 0


def _spliced(old: Optional[array], p: int, s: int, middle: Iterable[int]) -> array:
    new = array("q", old[:p]) if old is not None else array("q")
    new.extend(middle)
    if s:
        new.extend(old[len(old) - s:])
    return new


def _hint_lines(model: ModelRecord) -> tuple:
    """(first, last) end line of a model's layer and step hints, kept on the record: the records of units an
    edit did not touch are the same objects from one result to the next (the worker sends them as numbers)."""
    known = model.__dict__.get("_hint_lines")
    # a copy of the record moved by an edit above it has new layer and step lists: computed again
    if known is None or known[0] is not model.layers or known[1] is not model.steps:
        ends = [r.span.end_line for r in model.layers] + [s.span.end_line for s in model.steps]
        known = (model.layers, model.steps) + ((min(ends), max(ends)) if ends else (1 << 62, -(1 << 62)))
        model.__dict__["_hint_lines"] = known
    return known[2:]


def layer_group(models: Sequence[ModelRecord], mi: int, li: int) -> list:
    """[(model, index, layer)] of the one hint that layer `li` of model `mi` is part of (HintGroups)."""
    line = models[mi].layers[li].span.end_line
    groups = HintGroups(models, line, line)
    s = models[mi].layers[li].span
    return [(models[m], i, models[m].layers[i]) for m, i in groups.layers.get((s.end_line, s.end_col), ())]


def step_group(models: Sequence[ModelRecord], mi: int, si: int) -> list:
    """[(model, step)] of the one hint that step `si` of model `mi` is part of; [] when its line is left to a
    layer's hint."""
    s = models[mi].steps[si].span
    groups = HintGroups(models, s.end_line, s.end_line)
    return [(models[m], models[m].steps[i]) for m, i in groups.steps.get((s.end_line, s.end_col), ())]


def _total(model: ModelRecord) -> Optional[int]:
    """The model's total: None unless every parameter-bearing part is known (never the readable part's sum)."""
    return model.total_params if model.params_unknown_reason is None else None


def model_hint_label(model: ModelRecord, cfg: HintConfig = HintConfig()) -> str:
    """`217,706 params · 2.3M MACs` on the model's line (`2.3M MACs` alone without show_params); `? params`
    when a part is unknown (the tooltip says why)."""
    parts = []
    if cfg.show_params:
        parts.append(f"{fmt_count(_total(model))} params")
    parts.append(f"{fmt_compact(model.total_macs)} MACs")
    return SEP.join(parts)


LENS_REASON_CHARS = 90


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def code_lens_title(model: ModelRecord) -> str:
    """`217,706 params (217,706 trainable) · 2.3M MACs` above the model; when a part is unknown,
    `? params: line 8 `body.0`: … (at least 402 known) · ? MACs`."""
    reason = model.params_unknown_reason
    if reason is not None:
        return (f"? params: {_short(reason, LENS_REASON_CHARS)} (at least {model.known_params_lower_bound:,} "
                f"known){SEP}{fmt_compact(model.total_macs)} MACs")
    return (f"{fmt_count(model.total_params)} params ({fmt_count(model.checked_trainable_params)} trainable)"
            f"{SEP}{fmt_compact(model.total_macs)} MACs")


# ---------------------------------------------------------------------- markdown

def _md_escape_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """An inline code span that survives backticks in the text."""
    text = text.replace("\n", " ")
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


_PARAM_KINDS = ("params", "non-trainable", "buffers")


def _layer_title(layer: LayerRecord, index: Optional[int] = None, model: Optional[ModelRecord] = None) -> str:
    title = f"**{layer.type}**"
    if layer.name:
        title += f" {_code(layer.name)}"
    if model is not None and index is not None:
        title += f" — layer {index + 1} of {len(model.layers)} in {_code(model.name)}"
    return title


def layer_markdown(layer: LayerRecord, model: Optional[ModelRecord] = None, index: Optional[int] = None) -> str:
    """Hover (and inlay tooltip) for one layer call: input → output shape, the output-size formula per
    dimension, the parameter formula, MACs and why anything is unknown — all with the real numbers."""
    out = [_layer_title(layer, index, model), ""]
    out.append(f"input {_code(shape_text(layer.input_shape))} → output {_code(shape_text(layer.output_shape))}")
    sizes = [t for w, t in layer.formulas if w not in _PARAM_KINDS and w not in ("MACs", "note", "frozen", "tied",
                                                                                 "shared")]
    if sizes:
        out += ["", "**Output size**", ""] + [f"- {_code(t)}" for t in sizes]
    params = layer.params
    out += ["", f"**Parameters: {fmt_count(params)}**"
            + (f" ({fmt_count(layer.trainable)} trainable, {fmt_count(layer.non_trainable)} non-trainable)"
               if layer.non_trainable else "")
            + (f"{SEP}Trainable: {trainable_flag(layer)}" if layer.non_trainable and layer.trainable is not None
               else "")]
    param_formulas = [t for w, t in layer.formulas if w == "params"]
    if param_formulas:
        out += [""] + [f"- {_code(t)}" for t in param_formulas]
    non_trainable = [t for w, t in layer.formulas if w == "non-trainable"]
    if non_trainable:
        out += ["", f"**Non-trainable: {fmt_count(layer.non_trainable)}**", ""]
        out += [f"- {_code(t)}" for t in non_trainable]
    buffers = [t for w, t in layer.formulas if w == "buffers"]
    if buffers:
        out += ["", "**Buffers** (not parameters)", ""] + [f"- {_code(t)}" for t in buffers]
    out += ["", f"**MACs: {fmt_count(layer.macs)}**"]
    macs = [t for w, t in layer.formulas if w == "MACs"]
    if macs:
        out += [""] + [f"- {_code(t)}" for t in macs]
    why = param_notes(layer)
    if why:
        out += ["", "**Frozen / tied**", ""] + [f"- {t}" for t in why]
    notes = [t for w, t in layer.formulas if w == "note"]
    if notes:
        out += ["", "**Note**", ""] + [f"- {t}" for t in notes]
    if layer.unknown_reasons:
        out += ["", "**Unknown (?)**", ""] + [f"- {r}" for r in layer.unknown_reasons]
    return "\n".join(out)


def _model_kind(model: ModelRecord) -> str:
    framework = {"torch": "PyTorch", "keras": "Keras"}.get(model.framework, model.framework)
    what = {"sequential": "Sequential", "functional": "functional model", "layer": "layer"}.get(model.kind)
    if what is None:
        what = f"{_code(model.class_name)} module" if model.class_name else "module"
    return f"{framework} {what}"


def model_totals_markdown(model: ModelRecord) -> str:
    source = f" (from {model.input_source})" if model.input_source else ""
    reason = model.params_unknown_reason
    if reason is None:
        total = [f"- Total params: **{fmt_count(model.total_params)}**"]
    else:
        total = [f"- Total params: **?** — {reason}",
                 f"- Known params: at least {model.known_params_lower_bound:,} (the parts that could be read; "
                 f"not the total)"]
    lines = [
        f"**{model.name}** — {_model_kind(model)}, {len(model.layers)} layers",
        "",
        f"input {_code(shape_text(model.input_shape))}{source} → output {_code(shape_text(model.output_shape))}",
        "",
        *total,
        f"- Trainable params: {fmt_count(model.checked_trainable_params)}",
        f"- Non-trainable params: {fmt_count(model.checked_non_trainable_params)}",
        f"- MACs: {fmt_count(model.total_macs)} ({fmt_compact(model.total_macs)})",
        f"- Activation memory: {fmt_bytes(model.activation_bytes)} (float32 outputs, one sample)",
    ]
    if model.input_shape is None and model.input_reason:
        lines += ["", f"Input unknown: {model.input_reason}"]
    elif model.input_shape is None and model.framework == "torch":
        lines += ["", "No input shape: add `# shapelens: input=(1, 3, 224, 224)` above the model, "
                      "or set `shapelens.defaultTorchInput`."]
    return "\n".join(lines)


def model_markdown(model: ModelRecord) -> str:
    """Hover on a model's name: the totals and the summary table, nested as `--summary` nests it (modules of
    modules with their recursive counts, up to torchinfo's depth 3; a Keras nested model one row)."""
    rows = ["| # | layer | type | output shape | params | MACs | trainable |", "|--:|---|---|---|--:|--:|---|"]
    for i, row in enumerate(nested_rows(model)):
        layer = row.record
        indent = "· " * (row.depth - 1)
        shape = "--" if row.own_params else shape_text(layer.output_shape)
        rows.append(f"| {i + 1} | {_md_escape_cell(row.name)} | {indent}{_md_escape_cell(row.type)} | "
                    f"{_md_escape_cell(shape)} | {fmt_count(layer.params)} | {fmt_count(layer.macs)} | "
                    f"{trainable_flag(layer)} |")
    rows.append(f"| | | **total** | {_md_escape_cell(shape_text(model.output_shape))} | "
                f"**{fmt_count(_total(model))}** | **{fmt_count(model.total_macs)}** | |")
    return model_totals_markdown(model) + "\n\n" + "\n".join(rows)


def block_markdown(block: LayerRecord, model: ModelRecord, also: Sequence[LayerRecord] = ()) -> str:
    """Hover on a module of modules (a ResNet's `layer1`, a BasicBlock, a nested Keras model): its counts are
    the sums over everything inside it, as `sum(p.numel() for p in block.parameters())`."""
    inside = [l for l in model.layers if l.path is not None and block.path is not None
              and (l.path == block.path or l.path.startswith(block.path + "."))]
    title = f"**{block.type}**" + (f" {_code(block.path)}" if block.path else "")
    out = [f"{title} — module of {len(inside)} layers in {_code(model.name)}", ""]
    out.append(f"input {_code(shape_text(block.input_shape))} → output {_code(shape_text(block.output_shape))}")
    out += ["", f"**Parameters: {fmt_count(block.params)}**"
            + (f" ({fmt_count(block.trainable)} trainable, {fmt_count(block.non_trainable)} non-trainable)"
               if block.non_trainable else "")
            + f"{SEP}Trainable: {trainable_flag(block)}",
            "", "(the sum over every layer inside it)"]
    out += ["", f"**MACs: {fmt_count(block.macs)}**"]
    why = [f"{_code(l.path or l.type)}: {n}" for l in inside for n in param_notes(l)]
    if why:
        out += ["", "**Frozen / tied**", ""] + [f"- {t}" for t in why[:12]]
        if len(why) > 12:
            out.append(f"- … and {len(why) - 12} more")
    if block.unknown_reasons:
        out += ["", "**Unknown (?)**", ""] + [f"- {r}" for r in block.unknown_reasons]
    others = [b.path for b in also if b is not block and b.path]
    if others:
        out += ["", "Also made here: " + ", ".join(_code(p) for p in others[:8])
                + (f" and {len(others) - 8} more" if len(others) > 8 else "")]
    return "\n".join(out)


LIST_MAX = 8   # module paths named per row of a merged hint's table


def _names(items: Sequence[str], limit: int = LIST_MAX) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def layers_markdown(found: Sequence[tuple]) -> str:
    """Tooltip / hover of one layer hint made of several layer records (found: [(model, index, layer)],
    calls ending at one place: a block class's `self.conv1 = ...` once per block, a line two models
    share): each distinct (output shape, parameters, MACs) with how many modules have it and their paths
    (`layer1.0.conv1`), then the first one's formulas. One record: layer_markdown."""
    if len(found) == 1:
        model, i, layer = found[0]
        return layer_markdown(layer, model, i)
    names = list(dict.fromkeys(m.name for m, _, _ in found))
    several = len(names) > 1
    types = list(dict.fromkeys(l.type for _, _, l in found))
    groups: dict = {}
    for model, _, layer in found:
        key = (layer.type, shape_text(layer.output_shape), layer.params, layer.macs)
        path = layer.path or layer.name or layer.type
        groups.setdefault(key, []).append(_code(f"{model.name}: {path}" if several else path))
    if several:
        per_model = {n: sum(1 for m, _, _ in found if m.name == n) for n in names}
        where = ", ".join(f"{_code(n)} ({k})" for n, k in per_model.items())
        title = f"**{'/'.join(types)}** — this call's modules in {where}"
    else:
        title = f"**{'/'.join(types)}** — this call makes {len(found)} modules in {_code(names[0])}"
    out = [title, ""]
    if len(groups) == 1:
        out.append(f"Each: output {_code(shape_text(found[0][2].output_shape))}, "
                   f"{fmt_count(found[0][2].params)} params — {_names(next(iter(groups.values())))}")
    else:
        out.append(f"{len(groups)} different results:")
        out += ["", "| output shape | params | MACs | × | modules |", "|---|--:|--:|--:|---|"]
        for (_, shape, params, macs), paths in groups.items():
            out.append(f"| {_md_escape_cell(shape)} | {fmt_count(params)} | {fmt_count(macs)} | {len(paths)} | "
                       f"{_md_escape_cell(_names(paths))} |")
    model, i, layer = found[0]
    first = layer.path or layer.name or layer.type
    out += ["", "---", "", f"The first, {_code(first)}:", "", layer_markdown(layer, model, i)]
    return "\n".join(out)


def steps_markdown(found: Sequence[tuple]) -> str:
    """Tooltip / hover of a statement that makes a tensor (found: [(model, step)], the same statement in
    every model that runs it): each distinct shape (a block class used N times, a loop: one per shape),
    the shapes made only under a run-time condition, how often the statement ran, the tensors per run (a
    tuple of outputs), and why a shape is unknown."""
    names = list(dict.fromkeys(m.name for m, _ in found))
    several = len(names) > 1
    shapes: dict = {}    # shape text -> {"models": [names], "where": [conditions; "" for none]}
    reasons: list = []
    notes: list = []
    for model, step in found:
        wheres = list(step.only_where) + [""] * (len(step_shapes(step)) - len(step.only_where))
        for shape, where in zip(step_shapes(step), wheres):
            info = shapes.setdefault(shape_text(shape), {"models": [], "where": []})
            if model.name not in info["models"]:
                info["models"].append(model.name)
            info["where"].append(where)
        for r in step.unknown_reasons:
            if r not in reasons:
                reasons.append(r)
        auto = f"{len(step_shapes(step))} shapes over {step.runs} runs"
        if step.text and step.text != auto and step.text not in notes:
            notes.append(step.text)
    line = found[0][1].span.line
    where_text = " in " + ", ".join(_code(n) for n in names)
    if len(shapes) == 1:
        out = [f"**Line {line}** makes {_code(next(iter(shapes)))}{where_text}"]
    else:
        out = [f"**Line {line}** makes {len(shapes)} different shapes{where_text}"]
    rows, detailed = [], len(shapes) > 1
    for text, info in shapes.items():
        row = f"- {_code(text)}"
        if several and len(info["models"]) < len(names):
            row += " in " + ", ".join(_code(n) for n in info["models"])
        conditions = list(dict.fromkeys(info["where"]))
        if "" not in conditions:   # made on no path that always runs
            row += " — only where a run-time condition holds: " + "; ".join(conditions)
            detailed = True
        rows.append(row)
    if detailed:
        out += [""] + rows
    runs: dict = {}    # model -> times the statement ran (a statement and its own value: one count)
    for model, step in found:
        runs[model.name] = max(runs.get(model.name, 0), step.runs)
    if any(n > 1 for n in runs.values()):
        out += ["", "Ran " + ", ".join(f"×{n} in {_code(name)}" for name, n in runs.items())
                + " (a module class used several times, a loop, or a function called more than once)"]
    per_run = max(s.per_run for _, s in found)
    if per_run > 1:
        out += ["", f"{per_run} tensors per run (a tuple of outputs)"]
    if notes:
        out += ["", "**Note**", ""] + [f"- {_code(t)}" for t in notes]
    if reasons:
        out += ["", "**Unknown (?)**", ""] + [f"- {r}" for r in reasons]
    return "\n".join(out)


def diagnostic_href(code: str) -> str:
    return CODES_URL.format(anchor=code.lower())


SEVERITIES = {"error": 1, "warning": 2, "info": 3, "information": 3, "hint": 4}


def severity_number(severity: str) -> int:
    """records' severity → LSP DiagnosticSeverity value (1 error … 4 hint); unknown → 3 (information)."""
    return SEVERITIES.get(severity, 3)


def filter_diagnostics(diags: Iterable[Diagnostic], ignore: frozenset, select: frozenset = frozenset(),
                       extend_select: frozenset = frozenset()) -> list[Diagnostic]:
    """The findings the settings report: the CLI's rule selection (analysis/codes.enabled)."""
    from .analysis.codes import enabled

    return [d for d in diags if enabled(d.code, select, extend_select, ignore)]


# ---------------------------------------------------------------------- positions

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


def _units(ch: str, encoding: str) -> int:
    o = ord(ch)
    if encoding == "utf-16":
        return 2 if o > 0xFFFF else 1
    if encoding == "utf-8":
        return 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return 1


def _measure(text: str, offset: int) -> tuple[list, list]:
    """(starts, ends) of the lines of a text with no "\r", as offsets from `offset` on (an end excludes its
    "\n")."""
    lengths = [len(line) + 1 for line in text.split("\n")]
    starts = list(accumulate(lengths, initial=offset))
    starts.pop()
    return starts, [s + n - 1 for s, n in zip(starts, lengths)]


class LineIndex:
    """Lines of a text as LSP counts them (only \\r\\n, \\r and \\n end a line; not the form feed or
    U+2028 that str.splitlines also splits on), with column conversion between code points (what
    records hold, 1-based) and the negotiated position encoding's code units (0-based)."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.encoding = encoding
        self.plain = "\r" not in text
        if self.plain:  # the usual case: 2-3x faster than the regex loop
            starts, ends = _measure(text, 0)
        else:
            starts = [0]
            ends = []
            for m in _NEWLINE_RE.finditer(text):
                ends.append(m.start())
                starts.append(m.end())
            ends.append(len(text))
        self.starts = starts
        self.ends = ends

    def after_edit(self, text: str, a: int, b: int, inserted: str) -> "LineIndex":
        """The index of `text`, which is this text with [a:b] replaced by `inserted`: only the lines the
        edit touched are measured; the offsets of the lines after them move in C, and a keystroke that
        adds no character and no line shares this index's tables. (Measuring every line of a
        3,000-line file, 0.3-1 ms, was the largest part of the server's own work per keystroke.)"""
        if not self.plain or "\r" in inserted:
            return LineIndex(text, self.encoding)
        starts, ends = self.starts, self.ends
        first = bisect_right(starts, a) - 1          # the line holding a, and the one holding b
        last = bisect_right(starts, b) - 1
        delta = len(inserted) - (b - a)
        lo, hi = starts[first], ends[last] + delta   # the touched lines, in the new text
        mid_starts, mid_ends = _measure(text[lo:hi], lo)
        new = object.__new__(LineIndex)
        new.text, new.encoding, new.plain = text, self.encoding, True
        if not delta and mid_starts == starts[first:last + 1] and mid_ends == ends[first:last + 1]:
            new.starts, new.ends = starts, ends      # never changed in place: shared
        elif not delta:
            new.starts = starts[:first] + mid_starts + starts[last + 1:]
            new.ends = ends[:first] + mid_ends + ends[last + 1:]
        else:
            new.starts = starts[:first] + mid_starts + list(map(add, starts[last + 1:], repeat(delta)))
            new.ends = ends[:first] + mid_ends + list(map(add, ends[last + 1:], repeat(delta)))
        return new

    def with_encoding(self, encoding: str) -> "LineIndex":
        """The same lines, columns counted in another encoding (the line table is shared, not rebuilt)."""
        if encoding == self.encoding:
            return self
        other = object.__new__(LineIndex)
        other.__dict__.update(self.__dict__)
        other.encoding = encoding
        return other

    def __len__(self) -> int:
        return len(self.starts)

    def line(self, line0: int) -> str:
        if 0 <= line0 < len(self.starts):
            return self.text[self.starts[line0]:self.ends[line0]]
        return ""

    def _to_units(self, line_text: str, cp: int) -> int:
        cp = max(0, min(cp, len(line_text)))
        head = line_text[:cp]
        if self.encoding == "utf-32" or head.isascii():
            return cp
        return sum(_units(c, self.encoding) for c in head)

    def _from_units(self, line_text: str, units: int) -> int:
        if units <= 0:
            return 0
        if self.encoding == "utf-32" or line_text.isascii():
            return min(units, len(line_text))
        total = 0
        for i, c in enumerate(line_text):
            if total >= units:
                return i
            total += _units(c, self.encoding)
        return len(line_text)

    def position(self, line1: int, col1: int) -> tuple[int, int]:
        """A record's 1-based (line, code-point column) → LSP (line, character), clamped to the text."""
        line0 = line1 - 1
        if line0 < 0:
            return 0, 0
        if line0 >= len(self.starts):
            last = len(self.starts) - 1
            return last, self._to_units(self.line(last), len(self.line(last)))
        text = self.line(line0)
        return line0, self._to_units(text, col1 - 1)

    def end_of_line(self, line1: int) -> tuple[int, int]:
        line0 = max(0, min(line1 - 1, len(self.starts) - 1))
        text = self.line(line0)
        return line0, self._to_units(text, len(text))

    def from_lsp(self, line0: int, character: int) -> tuple[int, int]:
        """LSP (line, character) → 1-based (line, code-point column), clamped to the text."""
        if line0 < 0:
            return 1, 1
        if line0 >= len(self.starts):
            last = len(self.starts) - 1
            return last + 1, len(self.line(last)) + 1
        return line0 + 1, self._from_units(self.line(line0), character) + 1

    def offset(self, line0: int, character: int) -> int:
        """LSP (line, character) → index into the text (clamped), for applying incremental edits."""
        if line0 < 0:
            return 0
        if line0 >= len(self.starts):
            return len(self.text)
        return self.starts[line0] + self._from_units(self.line(line0), character)


def apply_change(text: str, start: tuple[int, int], end: tuple[int, int], new_text: str,
                 encoding: str = "utf-16", index: Optional[LineIndex] = None) -> str:
    """An incremental didChange edit: replace the LSP range start..end (clamped; reversed ends swapped).
    `index`: the text's LineIndex if the caller has one (any encoding)."""
    return apply_change_at(text, start, end, new_text, encoding, index)[0]


def apply_change_at(text: str, start: tuple[int, int], end: tuple[int, int], new_text: str,
                    encoding: str = "utf-16", index: Optional[LineIndex] = None) -> tuple[str, int, int]:
    """apply_change, and the offsets a, b of the stretch text[a:b] it replaced."""
    index = LineIndex(text, encoding) if index is None or index.text is not text else index.with_encoding(encoding)
    a = index.offset(*start)
    b = index.offset(*end)
    if b < a:
        a, b = b, a
    return text[:a] + new_text + text[b:], a, b


def span_contains(span: Span, line1: int, col1: int) -> bool:
    """Is the 1-based (line, col) inside span (start inclusive, end exclusive)?"""
    if (line1, col1) < (span.line, span.col):
        return False
    return (line1, col1) < (span.end_line, span.end_col)


def span_size(span: Span) -> tuple[int, int]:
    """For picking the innermost span: fewer lines first, then fewer columns."""
    return span.end_line - span.line, (span.end_col - span.col) if span.end_line == span.line else 10**9


def layer_at(models: Sequence[ModelRecord], line1: int, col1: int):
    """The innermost layer call under (line, col): (model, index, layer) or None."""
    best = None
    for model in models:
        for i, layer in enumerate(model.layers):
            if span_contains(layer.span, line1, col1):
                if best is None or span_size(layer.span) < span_size(best[2].span):
                    best = (model, i, layer)
    return best


def layers_at(models: Sequence[ModelRecord], line1: int, col1: int) -> list:
    """Every layer record of the innermost layer call under (line, col), in every model: [(model, index,
    layer)], several when the call made several modules (a block class used N times); [] for none."""
    best = layer_at(models, line1, col1)
    if best is None:
        return []
    span = best[2].span
    return [(m, i, l) for m in models for i, l in enumerate(m.layers) if l.span == span]


def steps_at(models: Sequence[ModelRecord], line1: int, col1: int) -> list:
    """The innermost statement under (line, col) that makes a tensor: [(model, step)] of every model that
    runs it; [] for none. Asked after the layers, blocks and models."""
    best = None
    for model in models:
        for step in model.steps:
            if span_contains(step.span, line1, col1) and (best is None or span_size(step.span) < span_size(best)):
                best = step.span
    if best is None:
        return []
    return [(m, s) for m in models for s in m.steps if s.span == best]


def block_at(models: Sequence[ModelRecord], line1: int, col1: int):
    """The innermost module of modules whose call is under (line, col): (model, block, [every block made by
    that call]) or None. Asked after layer_at: a leaf inside the call wins."""
    best = None
    for model in models:
        for block in model.blocks:
            if span_contains(block.span, line1, col1):
                if best is None or span_size(block.span) < span_size(best[1].span):
                    best = (model, block)
    if best is None:
        return None
    model, block = best
    return model, block, [b for b in model.blocks if b.span == block.span]


def model_at(models: Sequence[ModelRecord], line1: int, col1: int) -> Optional[ModelRecord]:
    """The model whose variable name is under (line, col); or, for the call's own first line, a position
    before the first layer (on `nn.Sequential(` itself)."""
    for model in models:
        if model.name_span is not None and span_contains(model.name_span, line1, col1):
            return model
    for model in models:
        s = model.span
        if line1 != s.line or not span_contains(s, line1, col1):
            continue
        first = model.layers[0].span if model.layers else None
        if first is None or (first.line, first.col) > (line1, col1):
            return model
    return None


def hint_line(model: ModelRecord) -> int:
    """1-based line that carries the model's total: the assignment's line."""
    return model.name_span.line if model.name_span is not None else model.span.line


def lens_span(model: ModelRecord) -> Span:
    return model.name_span if model.name_span is not None else Span(model.span.line, model.span.col,
                                                                     model.span.line, model.span.col)


__all__ = [
    "HintConfig", "HintGroups", "HintIndex", "Settings", "LineIndex", "apply_change", "block_at", "block_markdown",
    "code_lens_title", "count_range", "diagnostic_href", "filter_diagnostics", "fmt_bytes", "fmt_compact",
    "fmt_count", "hint_line", "layer_at", "layer_group", "layer_hint_label", "layer_markdown", "layers_at",
    "layers_hint_label", "layers_markdown", "lens_span", "merge_values", "model_at", "model_hint_label",
    "model_markdown", "model_totals_markdown", "parse_input_shape", "parse_settings", "severity_number",
    "shape_text", "span_contains", "step_group", "step_shapes", "steps_at", "steps_hint_label", "steps_markdown",
]
