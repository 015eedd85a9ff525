"""The records every output format reads (CLI text/json, LSP hints/hovers/diagnostics).

One LayerRecord per layer call, one ModelRecord per model, one FileResult per file, in the spirit of
torchinfo's layer_info.py. Positions are 1-based lines and 1-based columns (character offsets,
not bytes); `end_col` is exclusive-of-last-character + 1, i.e. the column just after the call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from .shapes import Shape


@dataclass(frozen=True)
class Span:
    line: int
    col: int
    end_line: int
    end_col: int

    def as_dict(self) -> dict:
        return {"line": self.line, "col": self.col, "end_line": self.end_line, "end_col": self.end_col}

    def __reduce__(self):
        # Pickled as its four numbers, not as a dict of fields: a cold open of a 3,000-line file sends
        # ~6,000 spans from the analysis child; this halves the time to pickle and unpickle its reply.
        return Span, (self.line, self.col, self.end_line, self.end_col)


@dataclass
class Diagnostic:
    span: Span
    code: str
    severity: str  # "error" | "warning" | "info"
    message: str
    # Where the shape at fault came from: (span, message) of an earlier layer.
    related: list[tuple[Span, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = self.span.as_dict()
        d.update(code=self.code, severity=self.severity, message=self.message)
        if self.related:
            d["related"] = [dict(s.as_dict(), message=m) for s, m in self.related]
        return d


@dataclass
class LayerRecord:
    span: Span
    type: str                      # the class name as the framework calls it, e.g. "Conv2d"
    name: Optional[str] = None     # Keras name= / OrderedDict key, if any
    input_shape: Optional[Shape] = None
    output_shape: Optional[Shape] = None
    trainable: Optional[int] = None
    non_trainable: Optional[int] = None
    macs: Optional[int] = None
    # Human-readable formula lines with the real numbers filled in, e.g.
    # ("params", "(5·5·1 + 1)·32 = 832"), ("H", "⌊(28 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 24").
    formulas: list[tuple[str, str]] = field(default_factory=list)
    # Why a value is "?" (unknown): each reason once.
    unknown_reasons: list[str] = field(default_factory=list)
    depth: int = 0                 # nesting depth (nested Sequential)
    # "layer" (a leaf module, or the parameters a module holds itself) or "block" (a module of modules, in
    # ModelRecord.blocks: its trainable / non_trainable are the sums over everything inside it).
    kind: str = "layer"
    path: Optional[str] = None     # the module's full path in the model ("layer1.0.conv1"; "" for the model)

    @property
    def params(self) -> Optional[int]:
        if self.trainable is None or self.non_trainable is None:
            return None
        return self.trainable + self.non_trainable

    def as_dict(self) -> dict:
        d = self.span.as_dict()
        d.update(
            type=self.type,
            name=self.name,
            input_shape=self.input_shape.to_json() if self.input_shape else None,
            output_shape=self.output_shape.to_json() if self.output_shape else None,
            params=self.params,
            trainable=self.trainable,
            non_trainable=self.non_trainable,
            macs=self.macs,
            formulas=[{"what": w, "text": t} for w, t in self.formulas],
            unknown=self.unknown_reasons,
            depth=self.depth,
            kind=self.kind,
            path=self.path,
        )
        return d


@dataclass
class StepRecord:
    """One data-flow statement of a forward()/call() or a Keras functional graph that produces a tensor
    (e.g. `x = F.relu(self.conv1(x))`, `x = x.view(-1, 16 * 5 * 5)`): where it is and the shape it makes."""

    span: Span
    output_shape: Optional[Shape] = None   # the one shape, when the line makes exactly one distinct shape
    text: str = ""                      # e.g. "view: 16·5·5 = 400"
    unknown_reasons: list[str] = field(default_factory=list)
    # The distinct shapes the statement made, in first-seen order: several for `a, b = x.split(...)` with
    # different sizes, or a statement whose shape changes across runs (a block class used N times, a loop).
    # None stands for a tensor of unknown shape.
    output_shapes: list = field(default_factory=list)
    runs: int = 1                       # times the statement ran in the model's run
    per_run: int = 1                    # tensors it makes per run (2 for `a, b = x.chunk(2)`)
    # parallel to output_shapes: "" for a shape made on a path that always runs, else the run-time condition
    # under which alone it was made (`self.training`): the framework makes it only where that holds
    only_where: list = field(default_factory=list)

    def as_dict(self) -> dict:
        d = self.span.as_dict()
        d.update(output_shape=self.output_shape.to_json() if self.output_shape else None, text=self.text,
                 unknown=self.unknown_reasons,
                 output_shapes=[s.to_json() if s is not None else None for s in self.output_shapes],
                 runs=self.runs, per_run=self.per_run, only_where=self.only_where)
        return d


def _sum(values: list[Optional[int]]) -> Optional[int]:
    if any(v is None for v in values):
        return None
    return sum(values)  # type: ignore[arg-type]


@dataclass
class ModelRecord:
    name: str
    framework: str                 # "torch" | "keras"
    span: Span                     # the model's constructor call (or assignment target line)
    name_span: Optional[Span] = None   # the variable name, for hovers on it
    input_shape: Optional[Shape] = None
    input_source: Optional[str] = None  # where the input shape came from, e.g. "directive"
    directive_line: Optional[int] = None  # the line of the `# shapelens: input=` directive it took
    input_reason: Optional[str] = None    # why the input shape is unknown, when it is and the cause is known
    layers: list[LayerRecord] = field(default_factory=list)
    # "sequential"; "module" (nn.Module / keras.Model subclass); "functional" (keras.Model(inputs, outputs))
    kind: str = "sequential"
    steps: list[StepRecord] = field(default_factory=list)   # data-flow statements (module / functional)
    class_name: Optional[str] = None   # the file's class the model is an object of (kind "module")
    # Modules of modules (a ResNet's layer1, a BasicBlock, a TransformerEncoderLayer), in named_modules()
    # order; `layers` holds the leaves. Not counted in the totals (their contents are).
    blocks: list[LayerRecord] = field(default_factory=list)
    # (trainable, non-trainable) as the framework counts the whole model (a tensor shared by two layers, a
    # tied weight, once); None: the sums of the rows. A part None: unknown.
    totals: Optional[tuple] = None

    @property
    def trainable_params(self) -> Optional[int]:
        if self.totals is not None:
            return self.totals[0]
        return _sum([l.trainable for l in self.layers])

    @property
    def non_trainable_params(self) -> Optional[int]:
        if self.totals is not None:
            return self.totals[1]
        return _sum([l.non_trainable for l in self.layers])

    @property
    def total_params(self) -> Optional[int]:
        t, n = self.trainable_params, self.non_trainable_params
        return None if t is None or n is None else t + n

    @property
    def checked_trainable_params(self) -> Optional[int]:
        """trainable_params, None unless every row's trainable count is known (a part is never the sum of
        the rows that could be read)."""
        return None if any(l.trainable is None for l in self.layers) else self.trainable_params

    @property
    def checked_non_trainable_params(self) -> Optional[int]:
        return None if any(l.non_trainable is None for l in self.layers) else self.non_trainable_params

    @property
    def params_unknown_reason(self) -> Optional[str]:
        """Why total_params is unknown: the first row (in named_modules() order) whose parameters are
        unknown, with its line and its first reason. None when the total is known."""
        if self.total_params is not None and self.checked_trainable_params is not None \
                and self.checked_non_trainable_params is not None:
            return None
        for l in self.layers:
            if l.trainable is None or l.non_trainable is None:
                why = l.unknown_reasons[0] if l.unknown_reasons else "its parameters are unknown"
                what = (f" {l.type}" if l.type != "?" else "") + (f" `{l.path}`" if l.path else "")
                return f"line {l.span.line}{what}: {why}"
        return "a part of the model's parameters is unknown"

    @property
    def known_params_lower_bound(self) -> int:
        """The parameters of the rows that could be read: the total when it is known, else a lower bound (a
        row whose tensor is tied to another row's is left out, so that no tensor is counted twice)."""
        if self.total_params is not None and self.params_unknown_reason is None:
            return self.total_params
        n = 0
        for l in self.layers:
            if any(w == "tied" for w, _ in l.formulas):
                continue
            n += (l.trainable or 0) + (l.non_trainable or 0)
        return n

    @property
    def total_macs(self) -> Optional[int]:
        return _sum([l.macs for l in self.layers])

    @property
    def output_shape(self) -> Optional[Shape]:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def activation_bytes(self) -> Optional[int]:
        """float32 bytes of every layer output for one sample (batch dim excluded)."""
        total = 0
        for layer in self.layers:
            n = layer.output_shape.sample_numel() if layer.output_shape else None
            if n is None:
                return None
            total += 4 * n
        return total

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "framework": self.framework,
            "line": self.span.line,
            "col": self.span.col,
            "input_shape": self.input_shape.to_json() if self.input_shape else None,
            "input_source": self.input_source,
            "input_unknown_reason": self.input_reason,
            "layers": [l.as_dict() for l in self.layers],
            "total_params": self.total_params if self.params_unknown_reason is None else None,
            "total_params_unknown_reason": self.params_unknown_reason,
            "known_params_lower_bound": self.known_params_lower_bound,
            "trainable_params": self.checked_trainable_params,
            "non_trainable_params": self.checked_non_trainable_params,
            "total_macs": self.total_macs,
            "activation_bytes": self.activation_bytes,
            "kind": self.kind,
            "class": self.class_name,
            "steps": [s.as_dict() for s in self.steps],
            "blocks": [b.as_dict() for b in self.blocks],
        }


Number = Union[int, float]


@dataclass
class FileResult:
    path: str
    models: list[ModelRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    no_models_reason: Optional[str] = None   # with no model: what was looked for and the nearest miss

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "models": [m.as_dict() for m in self.models],
            "no_models_reason": self.no_models_reason,
            "diagnostics": [d.as_dict() for d in sorted(self.diagnostics, key=_diag_key)],
        }


def _diag_key(d: Diagnostic):
    return (d.span.line, d.span.col, d.code)
