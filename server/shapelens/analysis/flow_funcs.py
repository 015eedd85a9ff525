"""Tensor functions and methods in forward(): torch.*, F.*, x.view(...), indexing, `a + b`.

F.* functions that have a layer twin run that layer's catalog rule, with the function's arguments bound
by the function's own signature (F.max_pool2d(x, 2) → the MaxPool2d rule with kernel_size=2). The rest
are shape rules from flow_ops.py. What is not listed here makes its result unknown, with an info.
"""
from __future__ import annotations

from typing import Any, Optional

import libcst as cst

from ..frameworks import catalogs
from ..frameworks.base import Signature, bind
from . import flow_ops as ops
from .flow_objects import Sym, Tensor
from .shapes import UNKNOWN, Shape, is_known
from .values import Unknown, short

SL111 = "SL111"   # tensor operation shape mismatch (view/reshape/cat/broadcast): see the report to the lead

_POOL = "input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None"
# functional name -> (layer rule, the function's signature)
RULE_FUNCS = {
    **{f"max_pool{n}d": (f"MaxPool{n}d", "input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                                         "return_indices=False") for n in (1, 2, 3)},
    "avg_pool1d": ("AvgPool1d", "input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True"),
    "avg_pool2d": ("AvgPool2d", _POOL), "avg_pool3d": ("AvgPool3d", _POOL),
    **{f"adaptive_avg_pool{n}d": (f"AdaptiveAvgPool{n}d", "input, output_size") for n in (1, 2, 3)},
    **{f"adaptive_max_pool{n}d": (f"AdaptiveMaxPool{n}d", "input, output_size, return_indices=False")
       for n in (1, 2, 3)},
    "relu": ("ReLU", "input, inplace=False"), "relu_": ("ReLU", "input"), "relu6": ("ReLU6", "input, inplace=False"),
    "elu": ("ELU", "input, alpha=1.0, inplace=False"), "selu": ("SELU", "input, inplace=False"),
    "celu": ("CELU", "input, alpha=1.0, inplace=False"),
    "leaky_relu": ("LeakyReLU", "input, negative_slope=0.01, inplace=False"),
    "gelu": ("GELU", "input, approximate='none'"), "silu": ("SiLU", "input, inplace=False"),
    "mish": ("Mish", "input, inplace=False"), "hardswish": ("Hardswish", "input, inplace=False"),
    "hardsigmoid": ("Hardsigmoid", "input, inplace=False"), "sigmoid": ("Sigmoid", "input"),
    "tanh": ("Tanh", "input"), "softplus": ("Softplus", "input, beta=1.0, threshold=20.0"),
    "softmax": ("Softmax", "input, dim=None, _stacklevel=3, dtype=None"),
    "log_softmax": ("LogSoftmax", "input, dim=None, _stacklevel=3, dtype=None"),
    "softmin": ("Softmin", "input, dim=None, _stacklevel=3, dtype=None"),
    "dropout": ("Dropout", "input, p=0.5, training=True, inplace=False"),
    "dropout1d": ("Dropout1d", "input, p=0.5, training=True, inplace=False"),
    "dropout2d": ("Dropout2d", "input, p=0.5, training=True, inplace=False"),
    "dropout3d": ("Dropout3d", "input, p=0.5, training=True, inplace=False"),
    "interpolate": ("Upsample", "input, size=None, scale_factor=None, mode='nearest', align_corners=None, "
                                "recompute_scale_factor=None, antialias=False"),
    "upsample": ("Upsample", "input, size=None, scale_factor=None, mode='nearest', align_corners=None"),
    "pixel_shuffle": ("PixelShuffle", "input, upscale_factor"),
    "glu": ("GLU", "input, dim=-1"),
}
# Element-wise functions without a layer twin: same shape out.
SAME_SHAPE = {"exp", "log", "abs", "sqrt", "rsqrt", "neg", "sin", "cos", "clamp", "clip", "square", "sign",
              "contiguous", "float", "double", "half", "bfloat16", "to", "detach", "clone", "cpu", "cuda", "type_as",
              "batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize", "relu_", "sigmoid_", "tanh_",
              "requires_grad_", "exp_", "log1p", "floor", "ceil", "round", "erf", "reciprocal", "pow",
              "hardtanh", "logsigmoid", "softsign", "tanhshrink", "alpha_dropout", "feature_alpha_dropout",
              "local_response_norm", "rms_norm", "nan_to_num", "masked_fill", "float_power", "pow_", "clamp_",
              "mul_", "add_", "div_", "sub_", "zero_", "fill_"}
ELEMENTWISE = {"add": "+", "sub": "-", "subtract": "-", "mul": "*", "multiply": "*", "div": "/", "divide": "/",
               "maximum": "max", "minimum": "min", "true_divide": "/", "where": "where"}
SIGS = {
    "flatten": "input, start_dim=0, end_dim=-1",
    "reshape": "input, shape", "view": "input, *shape",
    "cat": "tensors, dim=0", "concat": "tensors, dim=0", "concatenate": "tensors, dim=0", "stack": "tensors, dim=0",
    "hstack": "tensors", "vstack": "tensors",
    "permute": "input, dims", "transpose": "input, dim0, dim1", "swapaxes": "input, dim0, dim1",
    "swapdims": "input, dim0, dim1", "movedim": "input, source, destination",
    "unsqueeze": "input, dim", "squeeze": "input, dim=None",
    "matmul": "input, other", "mm": "input, other", "bmm": "input, other",
    "conv1d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "conv2d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "conv3d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
    "linear": "input, weight, bias=None",
    "pad": "input, pad, mode='constant', value=None",
    "chunk": "input, chunks, dim=0", "split": "tensor, split_size_or_sections, dim=0",
    "t": "input",
}
REDUCTIONS = {"mean", "sum", "amax", "amin", "prod", "std", "var", "logsumexp", "nansum", "nanmean", "norm"}
FACTORIES = {"randn", "rand", "zeros", "ones", "empty", "full", "randint", "randn_like", "zeros_like", "ones_like",
             "rand_like", "empty_like", "full_like", "tensor", "arange"}


def sizes_of(value) -> Optional[list]:
    """Sizes given to view/reshape/factories as ints, symbolic names or None (unknown); None if not sizes."""
    if isinstance(value, (tuple, list)) and len(value) == 1 and isinstance(value[0], (tuple, list)):
        value = value[0]
    if not isinstance(value, (tuple, list)):
        return None
    out = []
    for v in value:
        if isinstance(v, bool):
            return None
        if isinstance(v, int):
            out.append(v)
        elif isinstance(v, Sym):
            out.append(v.name)
        elif isinstance(v, Unknown):
            out.append(None)
        elif isinstance(v, Tensor):
            out.append(None)  # a 0-d tensor used as a size: known at run time
        else:
            return None
    return out


def dim_value(d) -> Any:
    """A Shape dim as a Python value: int, Sym for a symbolic size, Unknown otherwise."""
    if is_known(d):
        return d
    if isinstance(d, str) and d != UNKNOWN:
        return Sym(d)
    return Unknown("that size is known only at run time")


def shape_tuple(t: Tensor) -> Any:
    if t.shape is None or t.shape.open_rank:
        return Unknown(f"the tensor's shape is unknown{': ' + t.reason if t.reason else ''}")
    return tuple(dim_value(d) for d in t.shape.dims)


# ---------------------------------------------------------------- entry points

def call_function(it, name: str, node: cst.Call, frame, positional: list, keywords: dict, star) -> Any:
    """torch.X / F.X / a tensor method X with the tensor as first argument. `name` is the short name."""
    if star is not None:
        return _unknown_op(it, node, frame, positional, f"`{short(node)}` unpacks arguments at run time")
    if name in RULE_FUNCS:
        return rule_function(it, name, node, frame, positional, keywords)
    if name in REDUCTIONS:
        return reduction(it, name, node, frame, positional, keywords)
    if name in SAME_SHAPE:
        return _same(it, positional, node, frame)
    if name in ELEMENTWISE and len(positional) >= 2 and ELEMENTWISE[name] != "where":
        return it.binary({"+": "Add", "-": "Subtract", "*": "Multiply", "/": "Divide"}.get(ELEMENTWISE[name], "Add"),
                         positional[0], positional[1], node, frame)
    if name in SIGS:
        handler = HANDLERS[name]
        bound = bind(Signature.parse(SIGS[name]), positional, keywords, None)
        if bound.errors:
            it.flow.error(frame.chunk.span(node), "SL010", f"{name}() {bound.errors[0]}")
            return Tensor(None, f"`{short(node)}` has invalid arguments")
        return handler(it, name, node, frame, bound.values)
    return _unknown_op(it, node, frame, positional, f"`{short(node.func)}` is not an operation shapelens follows")


def _tensors_in(values) -> list:
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out.extend(_tensors_in(v))
    return out


def _unknown_op(it, node, frame, positional, why: str) -> Any:
    tensors = _tensors_in(positional)
    if not tensors:
        return Unknown(why)
    if all(t.shape is not None for t in tensors):  # report where the shape is lost, not downstream
        it.flow.info(frame.chunk.span(node), f"{why}: its result's shape is unknown from here on (shown as ?)")
    return it.result(Tensor(None, why), tensors)


def _first_tensor(it, node, frame, value) -> Optional[Tensor]:
    if isinstance(value, Tensor):
        return value
    return None


def _same(it, positional, node, frame) -> Any:
    t = positional[0] if positional else None
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    return it.result(Tensor(t.shape, t.reason, t.origin, t.producer), [t])


def fail(it, node, frame, op: ops.Op, inputs: list) -> Tensor:
    """Report an Op's error (SL111) with the producers of its inputs as related information."""
    related = [t.producer for t in inputs if t.producer is not None]
    it.flow.error(frame.chunk.span(node), SL111, op.error, related)
    return it.result(Tensor(None, op.reason or "the operation does not fit its input"), inputs)


def from_op(it, node, frame, op: ops.Op, inputs: list, what: str) -> Tensor:
    if op.error:
        return fail(it, node, frame, op, inputs)
    reason = op.reason
    if op.shape is None and not reason:
        reason = "the input's shape is unknown"
    if op.shape is None and inputs and all(t.shape is not None for t in inputs) and reason:
        it.flow.info(frame.chunk.span(node), f"{what}: {reason}; the shape is unknown from here on (shown as ?)")
    producer = (frame.chunk.span(node), f"{what} produces {op.shape.text() if op.shape else '?'}")
    return it.result(Tensor(op.shape, reason, op.origin, producer), inputs)


# ---------------------------------------------------------------- functions bound to layer rules

def rule_function(it, name: str, node, frame, positional, keywords) -> Any:
    from .flow_calls import run_rule

    rule_name, sig_text = RULE_FUNCS[name]
    sig = Signature.parse(sig_text)
    bound = bind(sig, positional, keywords, None)
    t = bound.values.get("input")
    if bound.errors:
        it.flow.error(frame.chunk.span(node), "SL010", f"{name}() {bound.errors[0]}")
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is not applied to a tensor the analysis follows")
    rule = catalogs.get("torch").get(rule_name)
    if rule is None:
        return _unknown_op(it, node, frame, [t], f"no rule for {rule_name}")
    names = {p.name for p in rule.signature.params}
    kw = {k: v for k, v in bound.values.items() if k in names and k in bound.given}
    ctx = run_rule(it, rule, [], kw, None, t, "torch")
    span = frame.chunk.span(node)
    for f in ctx.findings:
        related = [t.producer] if f.related_to_input and t.producer else []
        it.flow.report(span, f.code, f.severity, f"{name}: {f.message}", related)
    if ctx.out is None and t.shape is not None and ctx.unknown:
        it.flow.info(span, f"{name}: {'; '.join(ctx.unknown)}: the shape is unknown from here on (shown as ?)")
    out = Tensor(ctx.out, "; ".join(ctx.unknown), ctx.out_origin,
                 (span, f"{name} produces {ctx.out.text() if ctx.out else '?'}"))
    return it.result(out, [t])


def reduction(it, name, node, frame, positional, keywords) -> Any:
    sig = Signature.parse("input, dim=None, keepdim=False, dtype=None, *, out=None" if name != "norm" else
                          "input, p='fro', dim=None, keepdim=False, out=None, dtype=None")
    bound = bind(sig, positional, keywords, None)
    t = bound.values.get("input")
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    dim, keep = bound.values["dim"], bound.values["keepdim"]
    dims = None if dim is None else ([dim] if isinstance(dim, int) else list(dim) if isinstance(dim, (tuple, list))
                                      else Unknown(""))
    if isinstance(dims, Unknown) or (dims and not all(isinstance(d, int) for d in dims)) or not isinstance(keep, bool):
        return _unknown_op(it, node, frame, [t], f"`{short(node)}` reduces over a dim known only at run time")
    return from_op(it, node, frame, ops.reduce(t.shape, dims, keep, name), [t], name)


# ---------------------------------------------------------------- shape functions

def h_flatten(it, name, node, frame, a) -> Any:
    t, start, end = a["input"], a["start_dim"], a["end_dim"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    if not isinstance(start, int) or not isinstance(end, int):
        return _unknown_op(it, node, frame, [t], "the flattened dims are known only at run time")
    return from_op(it, node, frame, ops.flatten(t.shape, start, end), [t], "flatten")


def h_view(it, name, node, frame, a) -> Any:
    t = a["input"]
    raw = a.get("shape")
    sizes = sizes_of(raw if name != "view" else list(raw))
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    if sizes is None:
        return _unknown_op(it, node, frame, [t], f"the sizes of `{short(node)}` are known only at run time")
    return from_op(it, node, frame, ops.view(t.shape, sizes, "view" if name == "view" else "reshape"), [t],
                   "view" if name == "view" else "reshape")


def h_cat(it, name, node, frame, a) -> Any:
    tensors = a["tensors"]
    dim = a.get("dim", 0) if name not in ("hstack", "vstack") else (0 if name == "vstack" else 1)
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(x, Tensor) for x in tensors):
        return _unknown_op(it, node, frame, [tensors] if isinstance(tensors, Tensor) else list(tensors or [])
                           if isinstance(tensors, (list, tuple)) else [], f"the tensors given to {name} are not known")
    if not isinstance(dim, int):
        return _unknown_op(it, node, frame, list(tensors), f"the dim of {name} is known only at run time")
    kind = "stack" if name == "stack" else "cat"
    return from_op(it, node, frame, ops.cat([x.shape for x in tensors], dim, kind), list(tensors), kind)


def h_permute(it, name, node, frame, a) -> Any:
    t, dims = a["input"], a["dims"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    dims = list(dims[0]) if isinstance(dims, (tuple, list)) and len(dims) == 1 and isinstance(dims[0], (tuple, list)) \
        else list(dims) if isinstance(dims, (tuple, list)) else None
    if dims is None or not all(isinstance(d, int) for d in dims):
        return _unknown_op(it, node, frame, [t], "the permutation is known only at run time")
    return from_op(it, node, frame, ops.permute(t.shape, dims), [t], "permute")


def h_transpose(it, name, node, frame, a) -> Any:
    t, d0, d1 = a["input"], a["dim0"], a["dim1"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    if not isinstance(d0, int) or not isinstance(d1, int):
        return _unknown_op(it, node, frame, [t], "the transposed dims are known only at run time")
    return from_op(it, node, frame, ops.transpose(t.shape, d0, d1), [t], "transpose")


def h_t(it, name, node, frame, a) -> Any:
    t = a["input"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    if t.shape is not None and not t.shape.open_rank and len(t.shape) < 2:
        return it.result(Tensor(t.shape), [t])
    return from_op(it, node, frame, ops.transpose(t.shape, 0, 1), [t], "t")


def h_unsqueeze(it, name, node, frame, a) -> Any:
    t, d = a["input"], a["dim"]
    if not isinstance(t, Tensor) or not isinstance(d, int):
        return _unknown_op(it, node, frame, [t], "the dim is known only at run time")
    return from_op(it, node, frame, ops.unsqueeze(t.shape, d), [t], "unsqueeze")


def h_squeeze(it, name, node, frame, a) -> Any:
    t, d = a["input"], a["dim"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    dims = None if d is None else [d] if isinstance(d, int) else list(d) if isinstance(d, (tuple, list)) else "?"
    if dims == "?" or (dims and not all(isinstance(x, int) for x in dims)):
        return _unknown_op(it, node, frame, [t], "the dim is known only at run time")
    return from_op(it, node, frame, ops.squeeze(t.shape, dims), [t], "squeeze")


def h_matmul(it, name, node, frame, a) -> Any:
    x, y = a["input"], a["other"]
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        return _unknown_op(it, node, frame, [x, y], "an operand of the matrix product is unknown")
    return from_op(it, node, frame, ops.matmul(x.shape, y.shape), [x, y], name)


def h_pad(it, name, node, frame, a) -> Any:
    t, pads = a["input"], a["pad"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    if not isinstance(pads, (tuple, list)) or not all(isinstance(p, int) for p in pads):
        return _unknown_op(it, node, frame, [t], "the padding is known only at run time")
    return from_op(it, node, frame, ops.pad(t.shape, list(pads)), [t], "pad")


def h_conv(it, name, node, frame, a) -> Any:
    """F.conv2d(x, weight): the Conv2d rule with the sizes read off the weight (out, in/groups, *k)."""
    from .flow_calls import run_rule

    t, w = a["input"], a["weight"]
    nd = int(name[-2])
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    ws = w.shape if isinstance(w, Tensor) else None
    groups = a["groups"]
    if ws is None or ws.open_rank or len(ws) != nd + 2 or not all(is_known(d) for d in ws.dims) or \
            not isinstance(groups, int):
        return _unknown_op(it, node, frame, [t], f"the weight of {name} has an unknown shape")
    kw = {"in_channels": ws[1] * groups, "out_channels": ws[0], "kernel_size": tuple(ws.dims[2:]),
          "stride": a["stride"], "padding": a["padding"], "dilation": a["dilation"], "groups": groups}
    rule = catalogs.get("torch").get(f"Conv{nd}d")
    ctx = run_rule(it, rule, [], kw, None, t, "torch")
    span = frame.chunk.span(node)
    for f in ctx.findings:
        it.flow.report(span, f.code, f.severity, f"{name}: {f.message}", [t.producer] if t.producer else [])
    return it.result(Tensor(ctx.out, "; ".join(ctx.unknown), "", (span, f"{name} produces "
                                                                        f"{ctx.out.text() if ctx.out else '?'}")), [t])


def h_linear(it, name, node, frame, a) -> Any:
    t, w = a["input"], a["weight"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{short(node)}` is only known at run time")
    ws = w.shape if isinstance(w, Tensor) else None
    if ws is None or ws.open_rank or len(ws) != 2:
        return _unknown_op(it, node, frame, [t], "the weight of linear has an unknown shape")
    return from_op(it, node, frame, ops.matmul(t.shape, Shape.of([ws[1], ws[0]])), [t], "linear")


def h_chunk(it, name, node, frame, a) -> Any:
    t = a.get("input", a.get("tensor"))
    dim = a["dim"]
    if not isinstance(t, Tensor) or t.shape is None or t.shape.open_rank or not isinstance(dim, int):
        return Unknown(f"the pieces of `{short(node)}` are known only at run time")
    d = ops.norm_dim(dim, len(t.shape))
    size = t.shape[d] if d is not None else UNKNOWN
    if not is_known(size):
        return Unknown(f"the pieces of `{short(node)}` are known only at run time")
    if name == "chunk":
        n = a["chunks"]
        if not isinstance(n, int) or n < 1:
            return Unknown("the number of chunks is unknown")
        step = -(-size // n)
        parts = [min(step, size - i) for i in range(0, size, step)]
    else:
        s = a["split_size_or_sections"]
        if isinstance(s, int) and s > 0:
            parts = [min(s, size - i) for i in range(0, size, s)]
        elif isinstance(s, (list, tuple)) and all(isinstance(x, int) for x in s) and sum(s) == size:
            parts = list(s)
        else:
            return Unknown(f"the pieces of `{short(node)}` are known only at run time")
    return tuple(it.result(Tensor(t.shape.replace(d, p)), [t]) for p in parts)


def h_movedim(it, name, node, frame, a) -> Any:
    t, src, dst = a["input"], a["source"], a["destination"]
    if not isinstance(t, Tensor) or not isinstance(src, int) or not isinstance(dst, int) or t.shape is None \
            or t.shape.open_rank:
        return _unknown_op(it, node, frame, [t], "movedim's dims are known only at run time")
    r = len(t.shape)
    s, d = ops.norm_dim(src, r), ops.norm_dim(dst, r)
    if s is None or d is None:
        return from_op(it, node, frame, ops.Op(None, error=f"movedim: dim out of range for {t.shape.text()}"), [t],
                       "movedim")
    order = [i for i in range(r) if i != s]
    order.insert(d, s)
    return from_op(it, node, frame, ops.permute(t.shape, order, "movedim"), [t], "movedim")


HANDLERS = {"flatten": h_flatten, "reshape": h_view, "view": h_view, "cat": h_cat, "concat": h_cat,
            "concatenate": h_cat, "stack": h_cat, "hstack": h_cat, "vstack": h_cat, "permute": h_permute,
            "transpose": h_transpose, "swapaxes": h_transpose, "swapdims": h_transpose, "unsqueeze": h_unsqueeze,
            "squeeze": h_squeeze, "matmul": h_matmul, "mm": h_matmul, "bmm": h_matmul, "conv1d": h_conv,
            "conv2d": h_conv, "conv3d": h_conv, "linear": h_linear, "pad": h_pad, "chunk": h_chunk,
            "split": h_chunk, "t": h_t, "movedim": h_movedim}


# ---------------------------------------------------------------- tensor methods

def tensor_method(it, t: Tensor, name: str, node: cst.Call, frame) -> Any:
    positional, keywords, star = it.args(node, frame)
    if name in ("size", "dim", "numel", "ndimension", "nelement"):
        return size_method(t, name, positional, keywords)
    if name in ("view", "reshape"):
        if len(positional) == 1 and isinstance(positional[0], (tuple, list)):
            positional = list(positional[0])
        return h_view(it, "view" if name == "view" else "reshape", node, frame, {"input": t, "shape": positional})
    if name in ("view_as", "reshape_as", "expand_as", "type_as") and positional and isinstance(positional[0], Tensor):
        other = positional[0]
        if name == "type_as":
            return _same(it, [t], node, frame)
        sizes = sizes_of(list(other.shape.dims)) if other.shape is not None and not other.shape.open_rank else None
        if sizes is None:
            return _unknown_op(it, node, frame, [t], f"the shape of `{short(node.args[0].value)}` is unknown")
        if name == "expand_as":
            return from_op(it, node, frame, ops.broadcast(t.shape, other.shape, "expand_as"), [t], name)
        return from_op(it, node, frame, ops.view(t.shape, sizes, name), [t], name)
    if name == "permute" and positional and not isinstance(positional[0], (tuple, list)):
        positional = [tuple(positional)]
    if name in ("expand", "repeat"):
        return expand(it, t, name, positional, node, frame)
    return call_function(it, name, node, frame, [t] + positional, keywords, star)


def size_method(t: Tensor, name: str, positional, keywords) -> Any:
    dims = shape_tuple(t)
    if isinstance(dims, Unknown):
        return dims
    if name in ("dim", "ndimension"):
        return len(dims)
    if name in ("numel", "nelement"):
        return Unknown("numel is only computed for known sizes") if not all(isinstance(d, int) for d in dims) \
            else __import__("math").prod(dims)
    index = positional[0] if positional else keywords.get("dim")
    if index is None:
        return dims
    if not isinstance(index, int) or not -len(dims) <= index < len(dims):
        return Unknown(f"size({index}) is out of range for the tensor")
    return dims[index]


def expand(it, t: Tensor, name: str, positional, node, frame) -> Any:
    sizes = sizes_of(positional)
    if sizes is None or t.shape is None or t.shape.open_rank:
        return _unknown_op(it, node, frame, [t], f"the sizes of `{short(node)}` are known only at run time")
    dims = list(t.shape.dims)
    if len(sizes) < len(dims):
        return fail(it, node, frame, ops.Op(None, error=f"{name}: {len(sizes)} sizes given for the {len(dims)}-D "
                                                          f"tensor {t.shape.text()}"), [t])
    dims = [1] * (len(sizes) - len(dims)) + dims
    out = []
    for d, s in zip(dims, sizes):
        if name == "repeat":
            out.append(d * s if is_known(d) and isinstance(s, int) else UNKNOWN)
        elif s == -1:
            out.append(d)
        elif is_known(d) and d != 1 and isinstance(s, int) and s != d:
            return fail(it, node, frame, ops.Op(None, error=f"expand: size {s} does not match the existing size {d} "
                                                              f"of {t.shape.text()} (only size-1 dims expand)"), [t])
        else:
            out.append(s if s is not None else UNKNOWN)
    return from_op(it, node, frame, ops.Op(Shape.of(out)), [t], name)


# ---------------------------------------------------------------- operators

def tensor_binary(it, op: str, left, right, node, frame, inplace: bool) -> Any:
    symbol = {"Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//", "Modulo": "%",
              "Power": "**", "MatrixMultiply": "@"}.get(op, op)
    tensors = [v for v in (left, right) if isinstance(v, Tensor)]
    other = right if isinstance(left, Tensor) else left
    if op == "MatrixMultiply":
        if len(tensors) < 2:
            return _unknown_op(it, node, frame, tensors, "an operand of `@` is unknown")
        return from_op(it, node, frame, ops.matmul(left.shape, right.shape), tensors, "@")
    if len(tensors) == 1:
        if isinstance(other, (int, float, bool, Sym)):
            t = tensors[0]
            return it.result(Tensor(t.shape, t.reason, t.origin, t.producer), tensors)
        return _unknown_op(it, node, frame, tensors,
                           f"the other operand of `{symbol}` ({short(node)}) is {_describe(other)}")
    result = ops.broadcast(left.shape, right.shape, _op_text(node, symbol))
    if not result.error and inplace and result.shape is not None and left.shape is not None and \
            result.shape != left.shape and all(is_known(d) for d in result.shape.dims + left.shape.dims):
        result = ops.Op(None, error=f"`{_op_text(node, symbol)}`: the result {result.shape.text()} does not fit "
                                    f"in place into {left.shape.text()}", reason="in-place broadcast")
    return from_op(it, node, frame, result, tensors, _op_text(node, symbol))


def _op_text(node, symbol: str) -> str:
    return short(node, 50) if node is not None else symbol


def _describe(v) -> str:
    if isinstance(v, Unknown):
        return f"unknown: {v.reason}"
    return "not something the analysis follows"


# ---------------------------------------------------------------- indexing

def index_tensor(it, t: Tensor, keys, node, frame) -> Any:
    items = list(keys) if isinstance(keys, tuple) else [keys]
    if t.shape is None or t.shape.open_rank:
        return _unknown_op(it, node, frame, [t], f"`{short(node)}` indexes a tensor of unknown shape")
    if any(not (x is None or x is Ellipsis or isinstance(x, (int, slice))) or isinstance(x, bool) for x in items):
        return _unknown_op(it, node, frame, [t], f"the index of `{short(node)}` is known only at run time")
    if items.count(Ellipsis) > 1:
        return Unknown("more than one ellipsis")
    dims = list(t.shape.dims)
    used = sum(1 for x in items if x is not None and x is not Ellipsis)
    if used > len(dims):
        return fail(it, node, frame, ops.Op(None, error=f"`{short(node)}`: too many indices for the {len(dims)}-D "
                                                          f"tensor {t.shape.text()}"), [t])
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + [slice(None)] * (len(dims) - used) + items[at + 1:]
    out, axis = [], 0
    for x in items:
        if x is None:
            out.append(1)
            continue
        d = dims[axis]
        axis += 1
        if isinstance(x, int):
            if is_known(d) and not -d <= x < d:
                return fail(it, node, frame, ops.Op(None, error=f"`{short(node)}`: index {x} is out of range for "
                                                                  f"size {d}"), [t])
            continue
        if is_known(d):
            out.append(len(range(*x.indices(d))))
        else:
            out.append(d if x == slice(None) else UNKNOWN)
    out.extend(dims[axis:])
    return from_op(it, node, frame, ops.Op(Shape.of(out)), [t], "indexing")
