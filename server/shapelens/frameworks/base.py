"""What a catalog entry is, and the context its rule works in.

A catalog entry (LayerRule) holds everything about one layer type: the real constructor's signature
(so positional arguments bind exactly as the framework binds them), and one `infer` function that,
given the bound arguments and the arriving shape, sets the output shape, the parameter counts with
their printed formula, the MACs, and reports the checks. Adding a layer touches one place: its entry.
"""
from __future__ import annotations

import ast
import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

from ..analysis import symbolic
from ..analysis.shapes import UNKNOWN, Dim, Shape, dim_text, is_known
from ..analysis.values import Unknown, first_unknown


# ---------------------------------------------------------------- signatures

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Param:
    name: str
    default: Any = _NO_DEFAULT
    keyword_only: bool = False


@dataclass(frozen=True)
class Signature:
    params: tuple
    var_kwargs: bool = False  # the constructor takes **kwargs (Keras: name=, dtype=, ...)

    @staticmethod
    def parse(text: str) -> "Signature":
        """A signature from its text (`"in_features, out_features, bias=True"`); cached: signatures are
        immutable and parsed again by the data-flow rules on every call."""
        return _parse_signature(text)

    @staticmethod
    def _parse(text: str) -> "Signature":
        fn = ast.parse(f"def f({text}): pass").body[0]
        assert isinstance(fn, ast.FunctionDef)
        a = fn.args
        params = []
        defaults = [ast.literal_eval(d) for d in a.defaults]
        positional = a.posonlyargs + a.args
        first_default = len(positional) - len(defaults)
        for i, arg in enumerate(positional):
            params.append(Param(arg.arg, defaults[i - first_default] if i >= first_default else _NO_DEFAULT))
        for arg, d in zip(a.kwonlyargs, a.kw_defaults):
            params.append(Param(arg.arg, _NO_DEFAULT if d is None else ast.literal_eval(d), keyword_only=True))
        return Signature(tuple(params), var_kwargs=a.kwarg is not None)

    @functools.cached_property
    def positional(self) -> tuple:
        """The parameters a positional argument can bind to, in order."""
        return tuple(p for p in self.params if not p.keyword_only)

    @functools.cached_property
    def names(self) -> frozenset:
        return frozenset(p.name for p in self.params)


@functools.lru_cache(maxsize=1024)
def _parse_signature(text: str) -> Signature:
    return Signature._parse(text)


@dataclass
class BoundArgs:
    values: dict          # name -> value (constants or Unknown), defaults filled in
    given: set            # names the call gave explicitly
    errors: list          # messages for a call the real constructor would reject (TypeError)
    extra_kwargs: dict    # **kwargs the signature accepted (Keras name=, input_shape=, ...)


def bind(sig: Signature, positional: Sequence[Any], keywords: dict, star_unknown: Optional[Unknown]) -> BoundArgs:
    """Bind like Python does. `star_unknown` is set when the call had *args/**kwargs we could not
    expand: every parameter not bound explicitly then becomes unknown rather than its default."""
    values: dict = {}
    given: set = set()
    errors: list = []
    pos_params = sig.positional
    # For *args signatures this still reports extra positionals: torch's parameter-less activations are
    # declared "*args, **kwargs" to mirror nn.Module.__init__ (which rejects them); Identity's rule drops it.
    if len(positional) > len(pos_params):
        errors.append(f"takes at most {len(pos_params)} positional arguments but {len(positional)} were given")
    for p, v in zip(pos_params, positional):
        values[p.name] = v
        given.add(p.name)
    extra = {}
    names = sig.names
    for k, v in keywords.items():
        if k in names:
            if k in given:
                errors.append(f"got multiple values for argument '{k}'")
            values[k] = v
            given.add(k)
        elif sig.var_kwargs:
            extra[k] = v
        else:
            errors.append(f"got an unexpected keyword argument '{k}'")
    for p in sig.params:
        if p.name in values:
            continue
        if star_unknown is not None:
            values[p.name] = star_unknown
        elif p.default is _NO_DEFAULT:
            errors.append(f"missing required argument '{p.name}'")
            values[p.name] = Unknown(f"`{p.name}` is missing")
        else:
            values[p.name] = p.default
    return BoundArgs(values, given, errors, extra)


class _Missing:
    """A call argument that was not given and has no default (Ctx.call_arg)."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "MISSING"


MISSING = _Missing()


# ---------------------------------------------------------------- formatting

def num(n: Any) -> str:
    """A number as the formulas print it: 217,706; floats without noise."""
    if isinstance(n, bool):
        return str(n)
    if isinstance(n, int):
        return f"{n:,}"
    if isinstance(n, float):
        return f"{n:g}"
    return dim_text(n)


def prod_text(factors: Iterable[Any]) -> str:
    return "·".join(map(str, factors))


# ---------------------------------------------------------------- the rule context

class _NoTensor:
    """In Ctx.outputs: the forward returns None there (MultiheadAttention's weights with need_weights=False)."""

    def __repr__(self) -> str:  # pragma: no cover
        return "NO_TENSOR"


NO_TENSOR = _NoTensor()


@dataclass
class Finding:
    code: str
    severity: str
    message: str
    related_to_input: bool = False  # point related info at the layer that produced the input


@dataclass
class Ctx:
    """What one layer's rule reads and writes."""

    rule: "LayerRule"
    args: dict
    given: set
    inp: Optional[Shape]
    framework: str
    is_first: bool = False
    input_origin: str = ""   # e.g. "64·5·5 = 1600 after Flatten of (N, 64, 5, 5)" for the last dim
    out: Optional[Shape] = None
    # why the arriving tensor's shape is unknown, when it is and the interpreter knows (an op upstream it
    # does not follow, a value known only at run time): the rule's "?" then names that cause, not the input
    input_reason: str = ""
    trainable: Optional[int] = 0
    non_trainable: Optional[int] = 0
    macs: Optional[int] = 0
    formulas: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    unknown: list = field(default_factory=list)
    out_origin: str = ""     # how the output's last dimension came about, for later messages
    extra: dict = field(default_factory=dict)   # **kwargs the constructor accepted (Keras)
    layer_name: Optional[str] = None
    # The layer's call, bound to the entry's call signature (options["call"], e.g. torch MultiheadAttention's
    # "query, key, value, key_padding_mask=None, need_weights=True, ..."): name -> a Shape for a tensor,
    # a tuple of those for a tuple of tensors (hx=(h0, c0)), a constant, or Unknown (also for a tensor
    # whose shape is unknown). Empty for an entry without options["call"]: then `inp` is all it gets.
    # `inp` is always the shape of the first tensor argument.
    call: dict = field(default_factory=dict)
    # Set by a rule whose layer returns more than one tensor: the result's structure with a Shape (or None
    # when unknown) in place of each tensor, e.g. LSTM's (out, (h_n, c_n)). `out` stays the main output
    # (the one the record and the hint show).
    outputs: Any = None
    # Equations the layer puts on symbolic input sizes (issue #17): (size, value, what), e.g. a Linear reached
    # by 64·((H-4)//2)·((W-4)//2) features wants it = 9216. The interpreter solves them for the input.
    constraints: list = field(default_factory=list)

    # -- reporting
    def error(self, code: str, message: str, related_to_input: bool = False) -> None:
        self.findings.append(Finding(code, "error", message, related_to_input))

    def warning(self, code: str, message: str) -> None:
        self.findings.append(Finding(code, "warning", message))

    def info(self, code: str, message: str) -> None:
        self.findings.append(Finding(code, "info", message))

    def require(self, size: Dim, value: int, what: str, code: str) -> None:
        """The layer runs only where the symbolic `size` equals `value` (what: e.g. "in_features 9216"); `code`:
        the check's own code, for the error when no input size satisfies it."""
        self.constraints.append((size, value, what, code))

    def why_unknown(self, reason: str) -> None:
        if reason and reason not in self.unknown:
            self.unknown.append(reason)

    def formula(self, what: str, text: str) -> None:
        self.formulas.append((what, text))

    # -- the layer's call (entries with options["call"])
    @property
    def called(self) -> bool:
        """True when the interpreter bound the layer's call (Ctx.call); False when the layer runs in a chain
        (nn.Sequential, keras.Sequential) that passes it one tensor, `inp`, or was never called."""
        return bool(self.call)

    def call_arg(self, name: str) -> Any:
        """A call argument: what the call gave, else the call signature's default. The first parameter is
        `inp` when the call was not bound (a chain passes one tensor). A parameter without default that
        the call does not give is MISSING."""
        if name in self.call:
            return self.call[name]
        sig = self.rule.call_signature
        if sig is None:
            return MISSING
        if sig.params and sig.params[0].name == name:
            return self.inp if self.inp is not None else Unknown("the input shape is unknown")
        for p in sig.params:
            if p.name == name:
                return MISSING if p.default is _NO_DEFAULT else p.default
        return MISSING

    def tensor(self, name: str) -> Optional[Shape]:
        """A tensor argument's shape; None when it is not given or its shape is unknown."""
        v = self.call_arg(name)
        return v if isinstance(v, Shape) else None

    # -- arguments
    def arg(self, name: str) -> Any:
        return self.args[name]

    def known(self, name: str) -> Any:
        """The argument's value, or None after recording why it is unknown."""
        v = self.args[name]
        u = first_unknown(v) if isinstance(v, (Unknown, tuple, list)) else None  # a scalar is known
        if u is not None:
            self.why_unknown(u.reason)
            return None
        return v

    def ints(self, name: str, n: int, allow_zero: bool = False) -> Optional[tuple]:
        """An int-or-tuple argument as an n-tuple of ints (None if unknown or invalid)."""
        v = self.known(name)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, tuple, list)):
            self.error("SL108", f"{self.rule.name}: {name}={v!r} is not an integer or a tuple of integers")
            return None
        t = (v,) * n if isinstance(v, int) else tuple(v)
        if len(t) == 1 and n > 1:
            t = t * n
        if len(t) != n or not all(isinstance(x, int) and not isinstance(x, bool) for x in t):
            self.error("SL108", f"{self.rule.name}: {name}={v!r} must be an integer or a tuple of {n} integers")
            return None
        low = 0 if allow_zero else 1
        if any(x < low for x in t):
            what = "negative" if allow_zero else "non-positive"
            self.error("SL109", f"{self.rule.name}: {name}={v!r} has a {what} value")
            return None
        return t

    def positive_int(self, name: str) -> Optional[int]:
        v = self.known(name)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            self.error("SL108", f"{self.rule.name}: {name}={v!r} must be an integer")
            return None
        if v < 1:
            self.error("SL109", f"{self.rule.name}: {name}={v} must be a positive integer")
            return None
        return v

    def choice(self, name: str, options: Sequence[str]) -> Optional[str]:
        v = self.known(name)
        if v is None:
            return None
        if isinstance(v, str) and v.lower() in options:
            return v.lower()
        opts = ", ".join(repr(o) for o in options)
        self.error("SL108", f"{self.rule.name}: {name}={v!r} is not one of {opts}")
        return None

    # -- shapes
    def need_rank(self, *ranks: int, what: str = "") -> bool:
        """Check the arriving rank; False (and an error) when the framework would reject it."""
        if self.inp is None:
            return True
        if self.inp.open_rank:
            return len(self.inp) <= max(ranks)
        if len(self.inp) in ranks:
            return True
        allowed = " or ".join(f"{r}-D" for r in ranks)
        self.error(
            "SL110",
            f"{self.rule.name} expects a {allowed} input{what}, but receives {len(self.inp)}-D {self.inp.text()}",
            related_to_input=True,
        )
        return False

    def unknown_output(self, reason: str) -> None:
        self.out = None
        self.why_unknown(reason)

    def input_unknown(self, what: str = "the shape arriving at this layer is unknown") -> str:
        """`what`, with the cause the arriving tensor carries (where its "?" began, issue #18)."""
        return f"{what}: {self.input_reason}" if self.input_reason else what

    def set_params(self, trainable: Optional[int], formula: str = "", non_trainable: Optional[int] = 0,
                   nt_formula: str = "") -> None:
        self.trainable = trainable
        self.non_trainable = non_trainable
        if formula:
            self.formula("params", formula)
        if nt_formula:
            self.formula("non-trainable", nt_formula)


@dataclass
class LayerRule:
    name: str
    signature: Signature
    infer: Callable[[Ctx], None]
    options: dict = field(default_factory=dict)   # per-entry constants, e.g. {"nd": 2}
    doc: str = ""

    @functools.cached_property
    def call_signature(self) -> Optional[Signature]:
        """The signature of the layer's forward()/call() when the entry gives one (options["call"])."""
        text = self.options.get("call")
        return Signature.parse(text) if text else None

    @property
    def composite(self) -> bool:
        """options["composite"]: a PyTorch module made of child modules (MultiheadAttention's out_proj,
        TransformerEncoderLayer's self_attn, linear1, ...). The entry computes the module as a whole (its
        output shapes, its total parameters as `parameters()` counts them); its docstring lists the
        children torch creates, for the interpreter to show them as rows of their own."""
        return bool(self.options.get("composite"))


@dataclass
class BoundLayer:
    """A layer call passed as an argument to another layer (Bidirectional(LSTM(64)),
    TimeDistributed(Dense(8))): its catalog rule and its bound arguments."""

    rule: LayerRule
    args: dict
    given: frozenset = frozenset()
    extra: dict = field(default_factory=dict)


class Catalog(dict):
    """name -> LayerRule, filled with the @layer decorator. `prefix` is the canonical module the
    layers live in ("torch.nn." or "keras.layers.")."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def lookup(self, qualified: str) -> Optional["LayerRule"]:
        if qualified.startswith(self.prefix):
            return self.get(qualified[len(self.prefix):])
        return None

    def layer(self, names, signature: str, **options):
        if isinstance(names, str):
            names = [names]
        sig = Signature.parse(signature)

        def register(fn: Callable[[Ctx], None]):
            for n in names:
                self[n] = LayerRule(n, sig, fn, dict(options, **(options.get("per_name", {}).get(n, {}))),
                                    (fn.__doc__ or "").strip())
            return fn

        return register


# ---------------------------------------------------------------- shared formulas

def sliding_out(size: Dim, kernel: int, stride: int, pad_total: int, dilation: int, ceil_mode: bool,
                label: str, pad_text: str, pad_left: int = 0, pad_right: int = 0) -> tuple:
    """Output length of a sliding window, with its formula. Returns (out, formula, unread).

    PyTorch's rule (torch/nn/modules/conv.py docs, aten pooling_output_shape_pad_lr):
    ⌊(L + 2p − d·(k − 1) − 1) / s⌋ + 1; in ceil_mode ⌈…⌉, and the last window must start inside the
    input or the left padding. Keras 'valid' is the same rule with p = 0. `out` may be < 1: the caller
    reports it. `unread` counts trailing real input positions that no window reads.
    """
    if symbolic.is_symbolic(size):
        return _sliding_symbolic(size, kernel, stride, pad_total, dilation, ceil_mode, label, pad_text, pad_right)
    if not is_known(size):
        return UNKNOWN, f"{label}: input size {dim_text(size)} → ?", 0
    span = size + pad_total - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad_left:
            out -= 1
        lb, rb = "⌈", "⌉"
    else:
        out = span // stride + 1
        lb, rb = "⌊", "⌋"
    unread = max(0, span - (out - 1) * stride - pad_right) if out >= 1 and not ceil_mode else 0
    text = f"{label}: {lb}({size} + {pad_text} − {dilation}·({kernel} − 1) − 1) / {stride}{rb} + 1 = {out}"
    return out, text, unread


def _sliding_symbolic(size: Dim, kernel: int, stride: int, pad_total: int, dilation: int, ceil_mode: bool,
                      label: str, pad_text: str, pad_right: int) -> tuple:
    """sliding_out for a symbolic size (H, H-2, (H-4)//2): the same formula as an expression. In ceil_mode
    ⌈x / s⌉ = ⌊(x + s − 1) / s⌋, exact unless the last window could start in the right padding (then torch
    drops it, at some sizes only: "?")."""
    eff = dilation * (kernel - 1) + 1
    span = symbolic.add(size, pad_total - eff)
    if ceil_mode:
        if pad_right + stride > eff:
            return UNKNOWN, f"{label}: ceil_mode on the symbolic size {size}: the last window may start in the " \
                            f"padding at some sizes → ?", 0
        out = symbolic.add(symbolic.floordiv(symbolic.add(span, stride - 1), stride), 1)
        lb, rb = "⌈", "⌉"
    else:
        out = symbolic.add(symbolic.floordiv(span, stride), 1)
        lb, rb = "⌊", "⌋"
    text = f"{label}: {lb}({size} + {pad_text} − {dilation}·({kernel} − 1) − 1) / {stride}{rb} + 1 = {dim_text(out)}"
    return out, text, 0


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def fmt_shape(s: Optional[Shape]) -> str:
    return s.text() if s is not None else "?"


def multiply(*values: Optional[int]) -> Optional[int]:
    if any(v is None for v in values):
        return None
    return math.prod(values)  # type: ignore[arg-type]
