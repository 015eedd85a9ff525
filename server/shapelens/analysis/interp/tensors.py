"""Tensors in forward() / call() and at module level: torch.* and F.* functions, tensor methods
(x.view(...), x.size(1)), indexing, operators, factories (torch.randn(2, 3)) and NumPy arrays used as
example inputs.

F.* functions that have a layer twin run that layer's catalog rule, with the function's arguments bound
by the function's own signature (F.max_pool2d(x, 2) → the MaxPool2d rule with kernel_size=2). The rest
are shape rules from ops.py. What is not listed here makes its result unknown, with an info saying
which call lost the shape.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any, Optional

from ...frameworks import catalogs
from ...frameworks.base import NO_TENSOR, Signature, bind
from . import ops
from ..shapes import UNKNOWN, Shape, is_known
from . import modules as M
from . import tensor_values as TV
from .objects import Native, Param, Tensor, Unknown, incomplete, with_root_cause

SL111 = "SL111"   # tensor operation shape mismatch (view/reshape/cat/broadcast)


@dataclass(frozen=True)
class Sym:
    """A symbolic size (a directive's "N"), as `x.size(0)` returns it: passes through view()/reshape()."""

    name: str


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
SAME_SHAPE = {"roll", "exp", "log", "abs", "sqrt", "rsqrt", "neg", "sin", "cos", "clamp", "clip", "square", "sign",
              "contiguous", "float", "double", "half", "bfloat16", "to", "detach", "clone", "cpu", "cuda", "type_as",
              "batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize", "relu_", "sigmoid_", "tanh_",
              "requires_grad_", "exp_", "log1p", "floor", "ceil", "round", "erf", "reciprocal", "pow",
              "hardtanh", "logsigmoid", "softsign", "tanhshrink", "alpha_dropout", "feature_alpha_dropout",
              "local_response_norm", "rms_norm", "nan_to_num", "masked_fill", "float_power", "pow_", "clamp_",
              "mul_", "add_", "div_", "sub_", "zero_", "fill_", "long", "int", "bool", "sigmoid", "tanh", "relu",
              "abs_", "neg_", "uniform_", "normal_", "masked_fill_", "dropout_", "detach_", "contiguous_",
              "hardtanh_", "leaky_relu_", "elu_", "sqrt_", "copy_", "clamp_min", "clamp_max", "exp2", "expm1",
              "log2", "log10", "sinh", "cosh", "atan", "asin", "acos", "tan", "trunc", "frac", "logit",
              "softshrink", "hardshrink", "threshold", "rrelu", "pin_memory", "bernoulli", "bernoulli_",
              "exponential_", "geometric_", "cauchy_", "log_normal_", "random_"}
ELEMENTWISE = {"add": ast.Add, "sub": ast.Sub, "subtract": ast.Sub, "mul": ast.Mult, "multiply": ast.Mult,
               "div": ast.Div, "divide": ast.Div, "true_divide": ast.Div, "maximum": ast.Add, "minimum": ast.Add,
               "fmod": ast.Mod, "remainder": ast.Mod, "atan2": ast.Add, "lerp": ast.Add, "eq": ast.Add,
               "ne": ast.Add, "lt": ast.Add, "le": ast.Add, "gt": ast.Add, "ge": ast.Add, "logical_and": ast.Add,
               "logical_or": ast.Add}
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
    "t": "input", "unbind": "input, dim=0",
}
REDUCTIONS = {"mean", "sum", "amax", "amin", "prod", "std", "var", "logsumexp", "nansum", "nanmean", "norm", "max",
              "min", "argmax", "argmin", "all", "any", "median"}
FACTORIES = {"randn", "rand", "zeros", "ones", "empty", "full", "randint", "randn_like", "zeros_like", "ones_like",
             "rand_like", "empty_like", "full_like", "tensor", "arange", "as_tensor", "from_numpy", "eye",
             "linspace", "randperm", "hann_window", "hamming_window", "blackman_window", "bartlett_window",
             "kaiser_window"}


# ====================================================================== helpers

def report_info(it, frame, node, message: str) -> None:
    M.report_info(it, frame.code.span(node) if node is not None else None, message)


def result(it, t: Tensor, inputs: list) -> Tensor:
    """A tensor made from `inputs`: Keras functional graphs follow these links."""
    with_root_cause(it, t, inputs)
    if any(isinstance(x, Tensor) and (x.node is not None or x.is_input) for x in inputs):
        from . import keras

        return keras.link(it, t, [x for x in inputs if isinstance(x, Tensor)], None)
    return t


def sizes_of(value) -> Optional[list]:
    """Sizes given to view/reshape/factories as ints, symbolic names or None (unknown); None if not sizes."""
    if isinstance(value, (tuple, list)) and len(value) == 1 and isinstance(value[0], (tuple, list)):
        value = value[0]
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
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
        elif isinstance(v, Unknown) or isinstance(v, Tensor):
            out.append(None)   # a size known at run time (or a 0-d tensor used as a size)
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


def shape_tuple(t) -> Any:
    s = t.shape
    if s is None or s.open_rank:
        reason = getattr(t, "reason", "")
        return Unknown(f"the tensor's shape is unknown{': ' + reason if reason else ''}")
    return tuple(dim_value(d) for d in s.dims)


def tensors_in(values) -> list:
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out.extend(tensors_in(v))
    return out


def reporting(it, inputs) -> bool:
    """Shape findings are reported while a model runs for its records, and for Keras tensors (a functional
    graph is built, and checked by Keras, as the code runs)."""
    return it.recorder is not None or any(isinstance(t, Tensor) and (t.node is not None or t.is_input)
                                          for t in inputs)


def unknown_op(it, node, frame, values, why: str) -> Any:
    found = tensors_in(values)
    if not found:
        return Unknown(it.located(why))
    if all(t.shape is not None for t in found) and reporting(it, found):
        report_info(it, frame, node, f"{why}: its result's shape is unknown from here on (shown as ?)")
    return result(it, Tensor(None, why), found)


def _same(it, t, node, frame) -> Any:
    if not isinstance(t, (Tensor, Param)):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    t = as_tensor(t)
    return result(it, Tensor(t.shape, t.reason, t.origin, t.producer), [t])


def as_tensor(v):
    """A Parameter used as a tensor."""
    if isinstance(v, Param):
        return Tensor(v.shape, v.reason)
    return v


def fail(it, node, frame, op: ops.Op, inputs: list) -> Tensor:
    """Report an Op's error (SL111) with the producers of its inputs as related information."""
    related = [t.producer for t in inputs if isinstance(t, Tensor) and t.producer is not None]
    if reporting(it, inputs):
        M.report(it, frame.code.span(node), SL111, "error", op.error, related)
    return result(it, Tensor(None, op.reason or "the operation does not fit its input"), inputs)


def from_op(it, node, frame, op: ops.Op, inputs: list, what: str) -> Tensor:
    if op.error:
        return fail(it, node, frame, op, inputs)
    reason = op.reason
    if op.shape is None and not reason:
        reason = "the input's shape is unknown"
    if op.shape is None and inputs and all(t.shape is not None for t in inputs) and reason and \
            reporting(it, inputs):
        report_info(it, frame, node, f"{what}: {reason}; the shape is unknown from here on (shown as ?)")
    producer = (frame.code.span(node), f"{what} produces {op.shape.text() if op.shape else '?'}")
    if op.constraints and it.recorder is not None:
        it.add_equations(op.constraints, span=it.anchor() if frame.code.external is not None else producer[0])
    return result(it, Tensor(op.shape, reason, op.origin, producer), inputs)


# ====================================================================== entry points

# ====================================================================== the catalogs' functional tables

def _as_shape_arg(v):
    """A value for the frameworks' framework-free tables: a tensor as its Shape (Unknown when unknown)."""
    if isinstance(v, Param):
        v = as_tensor(v)
    if isinstance(v, Tensor):
        return v.shape if v.shape is not None else Unknown(v.reason or "the tensor's shape is unknown")
    if isinstance(v, (list, tuple)) and any(isinstance(x, (Tensor, Param)) for x in v):
        items = [_as_shape_arg(x) for x in v]
        return tuple(items) if isinstance(v, tuple) else items
    return M.clean(v) if not isinstance(v, (int, float, str, bool, type(None))) else v


def from_result(it, node, frame, res, inputs: list, what: str):
    """A frameworks.tensor_ops.Result as the interpreter's tensor(s)."""
    op = ops.Op(res.shape, res.text, res.error, res.reason, res.origin)
    if res.error or res.outputs is None:
        return from_op(it, node, frame, op, inputs, what)
    span = frame.code.span(node)
    out = []
    for shape in res.outputs:
        if shape is NO_TENSOR:   # the function returns None there
            out.append(None)
            continue
        producer = (span, f"{what} produces {shape.text() if shape else '?'}")
        out.append(result(it, Tensor(shape, "" if shape is not None else res.reason or "unknown", "", producer),
                          inputs))
    return tuple(out)


def functional_table(it, name: str, args: list, kwargs: dict, node, frame):
    """F.<name> from frameworks/torch_functional.py (its real signature, its layer twin or shape rule)."""
    from ...frameworks import torch_functional as TF

    if name not in TF.FUNCTIONS:
        return None
    inputs = tensors_in(list(args) + list(kwargs.values()))
    if not inputs:
        return None
    res = TF.apply(name, [_as_shape_arg(a) for a in args], {k: _as_shape_arg(v) for k, v in kwargs.items()})
    return from_result(it, node, frame, res, inputs, f"F.{name}")


def _op_einsum(args, kwargs):
    eq = args[0] if args else kwargs.get("equation")
    operands = list(args[1:])
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = list(operands[0])
    if not isinstance(eq, str) or not all(isinstance(o, Shape) for o in operands):
        return None
    return TO().einsum(eq, operands)


def _first_shape(args, kwargs, key="input"):
    v = args[0] if args else kwargs.get(key)
    return v if isinstance(v, Shape) else None


def _op_simple(fn_name: str, *names):
    """A tensor_ops function taking the input shape then the named arguments (positional or keyword)."""
    def run(args, kwargs):
        s = _first_shape(args, kwargs)
        if s is None:
            return None
        # the arguments the shape depends on, by position or keyword (others, such as masked_fill's value,
        # do not change the shape)
        values = {n: args[1 + i] for i, n in enumerate(names) if len(args) > 1 + i}
        for n in names:
            if n in kwargs:
                if n in values:
                    return None   # given twice
                values[n] = kwargs[n]
        return getattr(TO(), fn_name)(s, **values)
    return run


def _op_sizes(fn_name: str):
    """repeat / tile / expand: the sizes as varargs or one tuple."""
    def run(args, kwargs):
        s = _first_shape(args, kwargs)
        sizes = list(args[1:])
        if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
            sizes = list(sizes[0])
        if s is None or not sizes or not all(isinstance(x, int) for x in sizes):
            return None
        return getattr(TO(), fn_name)(s, sizes)
    return run


def _op_two(fn_name: str):
    def run(args, kwargs):
        shapes = [a for a in args if isinstance(a, Shape)]
        return getattr(TO(), fn_name)(*shapes[:2]) if len(shapes) >= 2 else None
    return run


def _op_baddbmm(args, kwargs):
    shapes = [a for a in args if isinstance(a, Shape)]
    return TO().baddbmm(*shapes[:3]) if len(shapes) >= 3 else None


_NONE = object()
TENSOR_OPS = {
    "einsum": _op_einsum, "bmm": _op_two("bmm"), "baddbmm": _op_baddbmm,
    "masked_fill": _op_simple("masked_fill", "mask"), "masked_fill_": _op_simple("masked_fill", "mask"),
    "tril": _op_simple("triangle"), "triu": _op_simple("triangle"),
    "split": _op_simple("split", "split_size_or_sections", "dim"), "chunk": _op_simple("chunk", "chunks", "dim"),
    "topk": _op_simple("topk", "k", "dim"), "repeat": _op_sizes("repeat"), "tile": _op_sizes("tile"),
    "repeat_interleave": _op_simple("repeat_interleave", "repeats", "dim", "output_size"),
    "stft": _op_simple("stft", "n_fft", "hop_length", "win_length", "window", "center", "pad_mode", "normalized",
                       "onesided", "return_complex"),
    "istft": _op_simple("istft", "n_fft", "hop_length", "win_length", "window", "center", "normalized",
                        "onesided", "length", "return_complex"),
    "view_as_real": _op_simple("view_as_real"), "view_as_complex": _op_simple("view_as_complex"),
    "gather": _op_simple("gather", "dim", "index"), "index_select": _op_simple("index_select", "dim", "index"),
}


def TO():
    from ...frameworks import tensor_ops

    return tensor_ops


def tensor_op(it, name: str, args: list, kwargs: dict, node, frame):
    """torch.<name> / x.<name>() from frameworks/tensor_ops.py; None when it is not one of them."""
    fn = TENSOR_OPS.get(name)
    if fn is None:
        return None
    inputs = tensors_in(list(args) + list(kwargs.values()))
    if not inputs:
        return None
    res = fn([_as_shape_arg(a) for a in args], {k: _as_shape_arg(v) for k, v in kwargs.items()})
    if res is None:
        return unknown_op(it, node, frame, inputs, f"`{frame.code.text(node)}` has arguments known only at run time")
    return from_result(it, node, frame, res, inputs, name)


# Questions whose answer is False when a model runs eagerly (not scripted, traced, compiled or exported)
EAGER_FALSE = frozenset({"jit.is_scripting", "jit.is_tracing", "_C._get_tracing_state", "compiler.is_compiling",
                         "compiler.is_dynamo_compiling", "_dynamo.is_compiling", "onnx.is_in_onnx_export",
                         "fx._symbolic_trace.is_fx_tracing"})


def call_torch(it, name: str, args: list, kwargs: dict, node, frame, star) -> Any:
    rest = name[len("torch."):]
    if rest in FACTORIES:
        return factory(it, rest, args, kwargs, node, frame)
    if rest in ("no_grad", "enable_grad", "inference_mode", "device", "manual_seed", "set_grad_enabled",
                "autocast", "set_default_dtype", "cuda.is_available", "get_default_dtype"):
        return None if rest == "manual_seed" else Unknown(f"`torch.{rest}()` is known only at run time")
    if rest in EAGER_FALSE:   # the analysis models eager execution, as the frameworks' runs it is checked on
        return False
    if rest == "jit.annotate" and len(args) == 2:   # (type, value): the value
        return args[1]
    if rest in ("jit.script", "jit.ignore", "jit.unused", "jit.export", "jit.interface") and len(args) == 1 \
            and not kwargs:   # decorators that leave an eager call as it is
        return args[0]
    if rest == "Size":
        items = it.iterate(args[0], node, frame) if args else []
        return tuple(items) if not isinstance(items, Unknown) else items
    if rest.startswith("nn.functional."):
        return call_functional(it, rest[len("nn.functional."):], args, kwargs, node, frame, star)
    if rest in LEGACY_CONSTRUCTORS and star is None and not kwargs:
        return legacy_constructor(it, args, node, frame)
    if "." not in rest:
        return call_function(it, rest, args, kwargs, node, frame, star)
    return unknown_op(it, node, frame, list(args) + list(kwargs.values()),
                      f"`{name}()` is not an operation shapelens follows")


# torch.Tensor(2, 3) is an uninitialised (2, 3) tensor, torch.Tensor([1, 2]) the data; likewise the typed ones
LEGACY_CONSTRUCTORS = frozenset({"Tensor", "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
                                 "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"})


def legacy_constructor(it, args: list, node, frame) -> Any:
    """`torch.Tensor(num_features)` (MUNIT's LayerNorm parameters), as torch 2.13's legacy constructor reads
    its arguments: sizes when every one is an int, the data when one list or tuple is given."""
    if args and all(isinstance(a, int) and not isinstance(a, bool) and a >= 0 for a in args):
        return Tensor(Shape.of(list(args)))
    if not args:
        return Tensor(Shape.of([0]))
    if len(args) == 1 and isinstance(args[0], (list, tuple)):   # its shape only: the dtype is the class's
        data = literal_tensor(list(args[0]))
        return Tensor(data.shape) if isinstance(data, Tensor) else data
    return Tensor(None, f"the size of `{frame.code.text(node)}` is known only at run time")


def call_functional(it, name: str, args: list, kwargs: dict, node, frame, star) -> Any:
    """torch.nn.functional.<name>: the catalog's table of F functions first (real signatures), then the
    rules shared with torch.* (view, cat, ...)."""
    if star is None:
        out = functional_table(it, name, args, kwargs, node, frame)
        if out is not None:
            return out
    return call_function(it, name, args, kwargs, node, frame, star)


def call_function(it, name: str, args: list, kwargs: dict, node, frame, star) -> Any:
    """torch.X / F.X / a tensor method X with the tensor as first argument. `name` is the short name."""
    args = [as_tensor(a) for a in args]
    if name == "diff" and len(args) == 1 and not kwargs and isinstance(args[0], Tensor) and args[0].values:
        t = args[0]   # 1-D: n - 1 differences (torchvision's RegNet stage depths)
        if all(isinstance(v, int) for v in t.values) and len(t.values) >= 1:
            out = result(it, Tensor(Shape.of([len(t.values) - 1])), [t])
            return with_values(out, tuple(b - a for a, b in zip(t.values, t.values[1:])))
    if name in ("pow", "float_power") and len(args) == 2 and not kwargs and isinstance(args[0], (int, float)) \
            and isinstance(args[1], Tensor):   # torch.pow(2.49, exponents): the exponents' shape
        out = result(it, Tensor(args[1].shape, args[1].reason, "", args[1].producer), [args[1]])
        return with_values(out, function_values(name, args, kwargs)) if name == "pow" else out
    out = _call_function(it, name, args, kwargs, node, frame, star)
    if isinstance(out, Tensor) and not any(out is a for a in args) and \
            any(isinstance(a, Tensor) and a.values for a in args):
        with_values(out, function_values(name, args, kwargs))
    return out


def _call_function(it, name: str, args: list, kwargs: dict, node, frame, star) -> Any:
    if star is not None:
        return unknown_op(it, node, frame, args, f"`{frame.code.text(node)}` unpacks arguments at run time")
    if name not in SIGS or name in ("split", "chunk"):
        out = tensor_op(it, name, args, kwargs, node, frame)
        if out is not None:
            return out
    if name in ("scaled_dot_product_attention", "one_hot", "softmax", "log_softmax") and name not in RULE_FUNCS:
        out = functional_table(it, name, args, kwargs, node, frame)
        if out is not None:
            return out
    if name in RULE_FUNCS:
        return rule_function(it, name, args, kwargs, node, frame)
    if name in REDUCTIONS:
        return reduction(it, name, args, kwargs, node, frame)
    if name in SAME_SHAPE:
        return _same(it, args[0] if args else kwargs.get("input"), node, frame)
    if name in ELEMENTWISE and len(args) >= 2:
        return it.binary(ELEMENTWISE[name], args[0], args[1], node, frame)
    if name == "where" and len(args) == 3:
        cond = it.binary(ast.Add, args[0], args[1], node, frame)
        return it.binary(ast.Add, cond, args[2], node, frame)
    if name == "meshgrid" and set(kwargs) <= {"indexing"}:   # *tensors: no table signature takes varargs
        return h_meshgrid(it, name, node, frame, {"tensors": args, "indexing": kwargs.get("indexing")})
    if name in SIGS:
        handler = HANDLERS[name]
        bound = bind(Signature.parse(SIGS[name]), args, kwargs, None)
        if bound.errors:
            if it.recorder is not None:
                M.report(it, frame.code.span(node), "SL010", "error", f"{name}() {bound.errors[0]}")
            return Tensor(None, f"`{frame.code.text(node)}` has invalid arguments")
        return handler(it, name, node, frame, bound.values)
    return unknown_op(it, node, frame, args + list(kwargs.values()),
                      f"`{frame.code.text(node.func) if isinstance(node, ast.Call) else name}` is not an operation "
                      f"shapelens follows")


def rule_function(it, name: str, args: list, kwargs: dict, node, frame) -> Any:
    rule_name, sig_text = RULE_FUNCS[name]
    bound = bind(Signature.parse(sig_text), args, kwargs, None)
    t = bound.values.get("input")
    if bound.errors and it.recorder is not None:
        M.report(it, frame.code.span(node), "SL010", "error", f"{name}() {bound.errors[0]}")
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is not applied to a tensor the analysis follows")
    rule = catalogs.get("torch").get(rule_name)
    if rule is None:
        return unknown_op(it, node, frame, [t], f"no rule for {rule_name}")
    names = {p.name for p in rule.signature.params}
    mod = M.Mod("torch", M.LEAF, f"torch.nn.{rule_name}", None, 0)
    mod.rule = rule
    mod.kwargs = {k: v for k, v in bound.values.items() if k in names and k in bound.given}
    ctx = M.run_rule(it, mod, t, {})
    span = frame.code.span(node)
    if reporting(it, [t]):
        for f in ctx.findings:
            related = [t.producer] if f.related_to_input and t.producer else []
            M.report(it, span, f.code, f.severity, f"{name}: {f.message}", related)
        if ctx.out is None and t.shape is not None and ctx.unknown:
            report_info(it, frame, node, f"{name}: {'; '.join(ctx.unknown)}: the shape is unknown from here on "
                                         f"(shown as ?)")
    out = Tensor(ctx.out, "; ".join(ctx.unknown), ctx.out_origin,
                 (span, f"{name} produces {ctx.out.text() if ctx.out else '?'}"))
    out = result(it, out, [t])
    if ctx.outputs is not None:
        return M.outputs(ctx.outputs, out, mod, out.producer)
    return out


def reduction(it, name, args, kwargs, node, frame) -> Any:
    sig = Signature.parse("input, dim=None, keepdim=False, dtype=None, *, out=None" if name != "norm" else
                          "input, p='fro', dim=None, keepdim=False, out=None, dtype=None")
    bound = bind(sig, args, kwargs, None)
    t = bound.values.get("input")
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    dim, keep = bound.values["dim"], bound.values["keepdim"]
    if isinstance(dim, Tensor):   # torch.max(a, b): element-wise
        return it.binary(ast.Add, t, dim, node, frame)
    dims = None if dim is None else ([dim] if isinstance(dim, int) else list(dim) if isinstance(dim, (tuple, list))
                                      else Unknown(""))
    if isinstance(dims, Unknown) or (dims and not all(isinstance(d, int) for d in dims)) or not isinstance(keep, bool):
        return unknown_op(it, node, frame, [t], f"`{frame.code.text(node)}` reduces over a dim known only at run time")
    out = from_op(it, node, frame, ops.reduce(t.shape, dims, keep, name), [t], name)
    if name in ("max", "min", "median") and dim is not None:   # (values, indices)
        return (out, Tensor(out.shape, out.reason))
    return out


# ====================================================================== shape functions

def h_flatten(it, name, node, frame, a) -> Any:
    t, start, end = a["input"], a["start_dim"], a["end_dim"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    if not isinstance(start, int) or not isinstance(end, int):
        return unknown_op(it, node, frame, [t], "the flattened dims are known only at run time")
    return from_op(it, node, frame, ops.flatten(t.shape, start, end), [t], "flatten")


def h_view(it, name, node, frame, a) -> Any:
    t = a["input"]
    raw = a.get("shape")
    if isinstance(raw, Unknown) and isinstance(t, Tensor):
        return unknown_op(it, node, frame, [t], f"the shape given to `{frame.code.text(node)}` is known only at "
                                                f"run time: {raw.reason}")
    sizes = sizes_of(raw if name != "view" else list(raw))
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    if sizes is None:
        return unknown_op(it, node, frame, [t], f"the sizes of `{frame.code.text(node)}` are known only at run time")
    kind = "view" if name == "view" else "reshape"
    return from_op(it, node, frame, ops.view(t.shape, sizes, kind), [t], kind)


def h_cat(it, name, node, frame, a) -> Any:
    tensors = a["tensors"]
    dim = a.get("dim", 0) if name not in ("hstack", "vstack") else (0 if name == "vstack" else 1)
    items = list(tensors) if isinstance(tensors, (list, tuple)) else None
    if items is not None:
        items = [as_tensor(x) for x in items]
    if items is None or not all(isinstance(x, Tensor) for x in items):
        return unknown_op(it, node, frame, [tensors] if isinstance(tensors, Tensor) else items or [],
                          f"the tensors given to {name} are not known")
    if not isinstance(dim, int):
        return unknown_op(it, node, frame, items, f"the dim of {name} is known only at run time")
    kind = "stack" if name == "stack" else "cat"
    return from_op(it, node, frame, ops.cat([x.shape for x in items], dim, kind), items, kind)


def h_permute(it, name, node, frame, a) -> Any:
    t, dims = a["input"], a["dims"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    dims = list(dims[0]) if isinstance(dims, (tuple, list)) and len(dims) == 1 and isinstance(dims[0], (tuple, list)) \
        else list(dims) if isinstance(dims, (tuple, list)) else None
    if dims is None or not all(isinstance(d, int) for d in dims):
        return unknown_op(it, node, frame, [t], "the permutation is known only at run time")
    return from_op(it, node, frame, ops.permute(t.shape, dims), [t], "permute")


def h_transpose(it, name, node, frame, a) -> Any:
    t, d0, d1 = a["input"], a["dim0"], a["dim1"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    if not isinstance(d0, int) or not isinstance(d1, int):
        return unknown_op(it, node, frame, [t], "the transposed dims are known only at run time")
    return from_op(it, node, frame, ops.transpose(t.shape, d0, d1), [t], "transpose")


def h_t(it, name, node, frame, a) -> Any:
    t = a["input"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    if t.shape is not None and not t.shape.open_rank and len(t.shape) < 2:
        return result(it, Tensor(t.shape), [t])
    return from_op(it, node, frame, ops.transpose(t.shape, 0, 1), [t], "t")


def h_unsqueeze(it, name, node, frame, a) -> Any:
    t, d = a["input"], a["dim"]
    if not isinstance(t, Tensor) or not isinstance(d, int):
        return unknown_op(it, node, frame, [t], "the dim is known only at run time")
    return from_op(it, node, frame, ops.unsqueeze(t.shape, d), [t], "unsqueeze")


def h_squeeze(it, name, node, frame, a) -> Any:
    t, d = a["input"], a["dim"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    dims = None if d is None else [d] if isinstance(d, int) else list(d) if isinstance(d, (tuple, list)) else "?"
    if dims == "?" or (dims and not all(isinstance(x, int) for x in dims)):
        return unknown_op(it, node, frame, [t], "the dim is known only at run time")
    return from_op(it, node, frame, ops.squeeze(t.shape, dims), [t], "squeeze")


def h_matmul(it, name, node, frame, a) -> Any:
    x, y = as_tensor(a["input"]), as_tensor(a["other"])
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        other = x if not isinstance(x, Tensor) else y
        why = getattr(other, "reason", "")
        return unknown_op(it, node, frame, [x, y], "an operand of the matrix product is unknown" +
                          (f": {why}" if why else ""))
    return from_op(it, node, frame, ops.matmul(x.shape, y.shape), [x, y], name)


def h_pad(it, name, node, frame, a) -> Any:
    t, pads = a["input"], a["pad"]
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    if not isinstance(pads, (tuple, list)) or not all(isinstance(p, int) for p in pads):
        return unknown_op(it, node, frame, [t], "the padding is known only at run time")
    return from_op(it, node, frame, ops.pad(t.shape, list(pads)), [t], "pad")


def h_conv(it, name, node, frame, a) -> Any:
    """F.conv2d(x, weight): the Conv2d rule with the sizes read off the weight (out, in/groups, *k)."""
    t, w = a["input"], as_tensor(a["weight"])
    nd = int(name[-2])
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    ws = w.shape if isinstance(w, Tensor) else None
    groups = a["groups"]
    if ws is None or ws.open_rank or len(ws) != nd + 2 or not all(is_known(d) for d in ws.dims) or \
            not isinstance(groups, int):
        return unknown_op(it, node, frame, [t], f"the weight of {name} has an unknown shape")
    mod = M.Mod("torch", M.LEAF, f"torch.nn.Conv{nd}d", None, 0)
    mod.rule = catalogs.get("torch").get(f"Conv{nd}d")
    mod.kwargs = {"in_channels": ws[1] * groups, "out_channels": ws[0], "kernel_size": tuple(ws.dims[2:]),
                  "stride": a["stride"], "padding": a["padding"], "dilation": a["dilation"], "groups": groups}
    ctx = M.run_rule(it, mod, t, {})
    span = frame.code.span(node)
    if it.recorder is not None:
        for f in ctx.findings:
            M.report(it, span, f.code, f.severity, f"{name}: {f.message}", [t.producer] if t.producer else [])
    return result(it, Tensor(ctx.out, "; ".join(ctx.unknown), "",
                             (span, f"{name} produces {ctx.out.text() if ctx.out else '?'}")), [t])


def h_linear(it, name, node, frame, a) -> Any:
    t, w = a["input"], as_tensor(a["weight"])
    if not isinstance(t, Tensor):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    ws = w.shape if isinstance(w, Tensor) else None
    if ws is None or ws.open_rank or len(ws) != 2:
        return unknown_op(it, node, frame, [t], "the weight of linear has an unknown shape")
    return from_op(it, node, frame, ops.matmul(t.shape, Shape.of([ws[1], ws[0]])), [t], "linear")


def h_chunk(it, name, node, frame, a) -> Any:
    t = a.get("input", a.get("tensor"))
    dim = a["dim"]
    if not isinstance(t, Tensor) or t.shape is None or t.shape.open_rank or not isinstance(dim, int):
        return Unknown(f"the pieces of `{frame.code.text(node)}` are known only at run time")
    d = ops.norm_dim(dim, len(t.shape))
    size = t.shape[d] if d is not None else UNKNOWN
    if not is_known(size):
        return Unknown(f"the pieces of `{frame.code.text(node)}` are known only at run time")
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
            return Unknown(f"the pieces of `{frame.code.text(node)}` are known only at run time")
    return tuple(result(it, Tensor(t.shape.replace(d, p)), [t]) for p in parts)


def h_unbind(it, name, node, frame, a) -> Any:
    """torch.unbind / x.unbind(dim): a tuple of size(dim) tensors without that dim (timm's attention:
    `q, k, v = qkv.unbind(0)`)."""
    t, dim = a["input"], a["dim"]
    if not isinstance(t, Tensor) or t.shape is None or t.shape.open_rank or not isinstance(dim, int):
        return Unknown(f"the pieces of `{frame.code.text(node)}` are known only at run time")
    d = ops.norm_dim(dim, len(t.shape))
    if d is None:
        return fail(it, node, frame, ops._range_error("unbind", dim, len(t.shape)), [t])
    size = t.shape[d]
    if not is_known(size) or size > 4096:
        return Unknown(f"the number of pieces of `{frame.code.text(node)}` is known only at run time")
    dims = list(t.shape.dims[:d]) + list(t.shape.dims[d + 1:])
    return tuple(result(it, Tensor(Shape.of(dims)), [t]) for _ in range(size))


def h_meshgrid(it, name, node, frame, a) -> Any:
    """torch.meshgrid(*tensors, indexing='ij'): N tensors of shape (len(t1), …, len(tN)) from 0-D or 1-D
    tensors; indexing='xy' swaps the first two (torch 2.13 functional.py)."""
    ts = list(a["tensors"])
    if len(ts) == 1 and isinstance(ts[0], (list, tuple)):
        ts = list(ts[0])
    ts = [as_tensor(t) for t in ts]
    if not ts or not all(isinstance(t, Tensor) and t.shape is not None and not t.shape.open_rank for t in ts):
        return unknown_op(it, node, frame, ts, "the tensors given to meshgrid are not known")
    if any(len(t.shape) > 1 for t in ts):
        bad = next(t for t in ts if len(t.shape) > 1)
        return fail(it, node, frame, ops.Op(None, error=f"meshgrid: expects 0D or 1D tensors, got "
                                                        f"{bad.shape.text()}"), ts)
    indexing = a["indexing"]
    if indexing not in (None, "ij", "xy"):
        return unknown_op(it, node, frame, ts, "meshgrid's indexing is known only at run time")
    sizes = [t.shape[0] if len(t.shape) else 1 for t in ts]
    if indexing == "xy" and len(sizes) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    return tuple(result(it, Tensor(Shape.of(sizes)), ts) for _ in ts)


def h_movedim(it, name, node, frame, a) -> Any:
    t, src, dst = a["input"], a["source"], a["destination"]
    if not isinstance(t, Tensor) or not isinstance(src, int) or not isinstance(dst, int) or t.shape is None \
            or t.shape.open_rank:
        return unknown_op(it, node, frame, [t], "movedim's dims are known only at run time")
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
            "conv2d": h_conv, "conv3d": h_conv, "linear": h_linear, "pad": h_pad, "chunk": h_chunk, "unbind": h_unbind,
            "split": h_chunk, "t": h_t, "movedim": h_movedim}


# ====================================================================== factories

def factory(it, name: str, args: list, kwargs: dict, node, frame) -> Any:
    if name.endswith("_like"):
        t = as_tensor(args[0]) if args else None
        return Tensor(t.shape) if isinstance(t, Tensor) else Unknown("the template tensor is unknown")
    if name in ("tensor", "as_tensor", "from_numpy"):
        return literal_tensor(args[0] if args else None)
    if name == "arange":
        nums = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
        if len(nums) == len(args) and 1 <= len(args) <= 3 and all(isinstance(a, int) for a in nums):
            out = Tensor(Shape.of([len(range(*nums))]))
            if len(out.shape.dims) == 1 and out.shape.dims[0] <= 4096 and not kwargs.get("dtype"):
                out.values = tuple(range(*nums))   # int64 values, exactly
            return out
        return Tensor(None, f"the size of `{frame.code.text(node)}` is known only at run time")
    if name == "linspace" and len(args) >= 3 and _numbers(args[:2]) and \
            isinstance(args[2], int) and not isinstance(args[2], bool) and 1 <= args[2] <= 4096 and \
            not kwargs.get("dtype"):
        out = Tensor(Shape.of([args[2]]))
        out.values = _linspace32(float(args[0]), float(args[1]), args[2])
        return out
    if name == "arange":
        return Tensor(None, f"the size of `{frame.code.text(node)}` is known only at run time")
    if name.endswith("_window"):   # torch.hann_window(window_length, periodic=True, ...): (window_length,)
        n = args[0] if args else kwargs.get("window_length")
        return Tensor(Shape.of([n])) if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else \
            Tensor(None, f"the length of `{frame.code.text(node)}` is known only at run time")
    if name == "randint":
        args = args[-1:]
    elif name == "full":
        args = args[:1]
    elif name == "eye":
        n = args[0] if args else None
        m = args[1] if len(args) > 1 else n
        if isinstance(n, int) and isinstance(m, int):
            return Tensor(Shape.of([n, m]))
        return Tensor(None, "the size of torch.eye() is known only at run time")
    elif name == "randperm":
        args = args[:1]
    elif name == "linspace":
        args = [args[2]] if len(args) > 2 else [kwargs.get("steps")]
    sizes = sizes_of(kwargs.get("size", args if args else None))
    if sizes is None:
        return Tensor(None, f"the size of `{frame.code.text(node)}` is known only at run time")
    return Tensor(Shape.of(["?" if s is None else s for s in sizes]))


def _linspace32(start: float, end: float, steps: int):
    """torch.linspace's float32 values where they are exact whatever the kernel: one or two steps (the two
    ends), or start == end (timm's drop-path rates with the default drop_path_rate=0.: every rate 0.0, so
    `DropPath(r) if r > 0. else nn.Identity()` is decided). Between the ends torch's vectorised kernel rounds
    in ways this does not reproduce bit for bit: None then (the values stay unknown, never a near miss)."""
    import struct

    def f32(v: float) -> float:
        return struct.unpack("f", struct.pack("f", v))[0]

    if steps == 1:
        return (f32(start),)
    if steps == 2 or start == end:
        return tuple(f32(start) if i < steps // 2 else f32(end) for i in range(steps)) if start != end \
            else (f32(start),) * steps
    return None


def literal_tensor(v) -> Tensor:
    """torch.tensor([[1, 2], [3, 4]]): the nesting gives the shape (and a 1-D list of numbers its values)."""
    literal = v if isinstance(v, (list, tuple)) else ()
    dims = []
    while isinstance(v, (list, tuple)):
        dims.append(len(v))
        if not v:
            break
        v = v[0]
    if isinstance(v, (int, float, bool)) or dims:
        out = Tensor(Shape.of(dims))
        if len(dims) == 1 and 0 < dims[0] <= TV.MAX_ELEMENTS and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in literal):
            # int64 when every number is an int, else float32 (torch's default dtype)
            floats = any(isinstance(x, float) for x in literal)
            out.values = TV.elementwise(TV.to_f32, tuple(literal)) if floats else tuple(literal)
        return out
    if isinstance(v, Tensor):
        return Tensor(v.shape)
    return Tensor(None, "the size of torch.tensor(...) is known only at run time")


# Array makers used for example inputs of Keras models: name -> how the shape is given
# ("varargs": rand(2, 32); "first": zeros((2, 32)); "size": normal(loc, scale, size) / size=).
ARRAY_FACTORIES = {"numpy.zeros": "first", "numpy.ones": "first", "numpy.empty": "first",
                   "numpy.random.rand": "varargs", "numpy.random.randn": "varargs", "numpy.random.random": "first",
                   "numpy.random.normal": "size", "numpy.random.uniform": "size",
                   "keras.ops.zeros": "first", "keras.ops.ones": "first", "keras.random.normal": "first",
                   "keras.random.uniform": "first", "tensorflow.zeros": "first", "tensorflow.ones": "first",
                   "tensorflow.random.normal": "first", "tensorflow.random.uniform": "first"}


def _numbers(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def numpy_constant(name: str, args: list, kwargs: dict):
    """NumPy on plain numbers, as the model-building code uses it (np.linspace(0, rate, n) for drop-path
    schedules, np.prod of a shape, np.sqrt): the values, as Python lists and numbers. None: not this."""
    short = name.rsplit(".", 1)[-1]
    if short == "linspace" and 2 <= len(args) <= 3 and _numbers(args):
        start, stop = float(args[0]), float(args[1])
        num = args[2] if len(args) > 2 else kwargs.get("num", 50)
        if not isinstance(num, int) or not 0 <= num <= 100_000 or kwargs.keys() - {"num"}:
            return None
        if num == 1:
            return [start]
        step = (stop - start) / (num - 1)
        return [start + i * step for i in range(num - 1)] + [stop] if num else []
    if short == "arange" and 1 <= len(args) <= 3 and all(isinstance(a, int) for a in args) and not kwargs:
        r = range(*args)
        return list(r) if len(r) <= 100_000 else None
    if short in ("sqrt", "floor", "ceil", "log", "log2", "exp") and len(args) == 1 and _numbers(args):
        try:
            return float(getattr(math, short)(args[0]))
        except (ValueError, OverflowError):
            return None
    if short in ("prod", "sum", "cumsum") and len(args) == 1 and isinstance(args[0], (list, tuple)) and \
            _numbers(args[0]):
        if short == "cumsum":
            out, total = [], 0
            for v in args[0]:
                total += v
                out.append(total)
            return out
        return math.prod(args[0]) if short == "prod" else sum(args[0])
    if short in ("round", "int", "float") and len(args) == 1 and _numbers(args):
        return {"round": round, "int": int, "float": float}[short](args[0])
    return None


def array_call(it, name: str, args: list, kwargs: dict, node, frame, star) -> Any:
    how = ARRAY_FACTORIES.get(name)
    constant = numpy_constant(name, args, kwargs) if how is None and name.startswith("numpy.") else None
    if constant is not None:
        return it.born(constant) if isinstance(constant, list) else constant
    if how is None:
        if name in ("numpy.prod",) and args:
            items = it.iterate(args[0], node, frame)
            if not isinstance(items, Unknown) and all(isinstance(x, int) for x in items):
                return math.prod(items)
        if name in ("numpy.array", "numpy.asarray"):
            return literal_tensor(args[0] if args else None)
        if name in ("numpy.sqrt", "numpy.floor", "numpy.ceil") and args and isinstance(args[0], (int, float)):
            return getattr(math, name.split(".")[-1])(args[0])
        return M.Opaque(it.located(f"`{name}()` is not something shapelens follows")) if not tensors_in(args) else \
            unknown_op(it, node, frame, args, f"`{name}()` is not something shapelens follows")
    if how == "varargs":
        value = args
    elif how == "size":
        value = kwargs.get("size", args[2] if len(args) > 2 else None)
    else:
        value = kwargs.get("shape", args[0] if args else None)
    sizes = sizes_of(value)
    if sizes is None or None in sizes:
        return Tensor(None, f"the size of `{frame.code.text(node)}` is known only at run time")
    return Tensor(Shape.of(sizes))


# ====================================================================== methods and attributes

TENSOR_UNKNOWN_ATTRS = {"dtype", "device", "is_cuda", "grad", "layout", "grad_fn"}


def attribute(it, t, name: str, node, frame) -> Any:
    if name == "shape":
        return shape_tuple(t)
    if name == "ndim":
        dims = shape_tuple(t)
        return len(dims) if isinstance(dims, tuple) else dims
    if name in ("real", "imag"):   # a complex tensor's parts (stft's output): the same shape
        t = as_tensor(t)
        return result(it, Tensor(t.shape, t.reason, t.origin, t.producer), [t])
    if name in ("T", "mT"):
        if t.shape is None or t.shape.open_rank:
            return Tensor(None, getattr(t, "reason", "") or "the tensor's shape is unknown")
        dims = list(t.shape.dims)
        if name == "mT":
            dims[-2:] = dims[-2:][::-1] if len(dims) >= 2 else dims
        else:
            dims.reverse()
        return Tensor(Shape.of(dims))
    if name == "data":
        return as_tensor(t) if isinstance(t, Param) else t
    if name == "requires_grad":
        return t.requires_grad if isinstance(t, Param) else Unknown("`.requires_grad` is known only at run time")
    if name in TENSOR_UNKNOWN_ATTRS:
        return Unknown(f"`.{name}` is known only at run time")
    return M.Opaque(f"`.{name}` of a tensor") if name.startswith("_") else _method(t, name)


def _method(t, name: str):
    from .objects import NativeMethod

    return NativeMethod(t, name)


def set_attribute(it, t, name: str, value, node, frame) -> None:
    if isinstance(t, Param) and name == "requires_grad" and t.owner is not None:
        # a tensor of a layer whose tensors shapelens does not list: which part is frozen is unknown
        t.owner.params["<changed tensor>"] = Param(None, value, frame.code.span(node), t.reason)
        return
    if isinstance(t, Param) and name == "requires_grad":
        if isinstance(value, bool):
            t.requires_grad = value
            t.frozen_at = frame.code.span(node)
        else:
            t.requires_grad = Unknown("requires_grad is set to a value known only at run time")


def call_method(it, t, name: str, args: list, kwargs: dict, node, frame, star) -> Any:
    if isinstance(t, Param):
        if name == "requires_grad_":
            flag = args[0] if args else kwargs.get("requires_grad", True)
            set_attribute(it, t, "requires_grad", flag, node, frame)
            return t
        t = as_tensor(t)
    if name in ("size", "dim", "numel", "ndimension", "nelement"):
        return size_method(t, name, args, kwargs)
    if name == "type":   # x.type(): the type's name; x.type(dtype): the same shape cast (linformer)
        if args or kwargs.get("dtype") is not None:
            return _same(it, t, node, frame)
        return Unknown("`.type()` names the tensor's type, known only at run time")
    if name in ("view", "reshape"):
        if len(args) == 1 and isinstance(args[0], (tuple, list)):
            args = list(args[0])
        elif len(args) == 1 and isinstance(args[0], Unknown):   # x.view(shape): a size or a whole shape
            return unknown_op(it, node, frame, [t], f"the shape given to `{frame.code.text(node)}` is known only "
                                                    f"at run time: {args[0].reason}")
        return h_view(it, "view" if name == "view" else "reshape", node, frame, {"input": t, "shape": args})
    if name in ("view_as", "reshape_as", "expand_as", "type_as") and args and isinstance(as_tensor(args[0]), Tensor):
        other = as_tensor(args[0])
        if name == "type_as":
            return _same(it, t, node, frame)
        sizes = sizes_of(list(other.shape.dims)) if other.shape is not None and not other.shape.open_rank else None
        if sizes is None:
            return unknown_op(it, node, frame, [t], f"the shape of the argument of `{frame.code.text(node)}` is unknown")
        if name == "expand_as":
            return from_op(it, node, frame, ops.broadcast(t.shape, other.shape, "expand_as"), [t], name)
        return from_op(it, node, frame, ops.view(t.shape, sizes, name), [t], name)
    if name == "permute" and args and not isinstance(args[0], (tuple, list)):
        args = [tuple(args)]
    if name in ("expand", "repeat"):
        return expand(it, t, name, args, node, frame)
    if name in ("new_empty", "new_zeros", "new_ones", "new_full"):
        # a new tensor of the given size (torchvision's stochastic_depth: input.new_empty(size).bernoulli_(p))
        return factory(it, "full" if name == "new_full" else "empty", args, kwargs, node, frame)
    if name == "item":
        if TV.exact(t.values) is not None and len(t.values) == 1:
            return t.values[0]
        return Unknown("`.item()` is known only at run time")
    if name == "tolist":
        if TV.exact(t.values) is not None:
            return it.born(list(t.values)) if t.shape is not None and len(t.shape.dims) == 1 else t.values[0]
        return Unknown("`.tolist()` is known only at run time")
    if name in ("numpy",):
        return t
    return call_function(it, name, [t] + list(args), kwargs, node, frame, star)


def size_method(t: Tensor, name: str, args, kwargs) -> Any:
    dims = shape_tuple(t)
    if isinstance(dims, Unknown):
        return dims
    if name in ("dim", "ndimension"):
        return len(dims)
    if name in ("numel", "nelement"):
        return Unknown("numel is only computed for known sizes") if not all(isinstance(d, int) for d in dims) \
            else math.prod(dims)
    index = args[0] if args else kwargs.get("dim")
    if index is None:
        return dims
    if not isinstance(index, int) or not -len(dims) <= index < len(dims):
        return Unknown(f"size({index}) is out of range for the tensor")
    return dims[index]


def expand(it, t: Tensor, name: str, args, node, frame) -> Any:
    sizes = sizes_of(args)
    if sizes is None or t.shape is None or t.shape.open_rank:
        return unknown_op(it, node, frame, [t], f"the sizes of `{frame.code.text(node)}` are known only at run time")
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


def iterate(it, t, node, frame, unpack: Optional[int]):
    t = as_tensor(t)
    s = t.shape
    if s is not None and not s.open_rank and len(s) and is_known(s[0]) and s[0] <= 10_000:
        items = [Tensor(Shape.of(s.dims[1:])) for _ in range(s[0])]
        if TV.exact(t.values) is not None and len(t.values) == s[0]:
            for item, v in zip(items, t.values):
                item.values = (v,)
        return items
    if incomplete(s) and t.reason:   # unpacking what a layer of unknown output returned: its cause
        return Unknown(t.reason)
    return Unknown(it.located("iterating over a tensor of a length known only at run time"))


def length(it, t):
    dims = shape_tuple(as_tensor(t))
    if isinstance(dims, tuple) and dims:
        return dims[0]
    return Unknown("len() of a tensor of unknown shape")


def builtin_on_tensor(it, name: str, args, kwargs, node, frame) -> Any:
    if name in ("int", "float", "bool", "round", "abs") and len(args) == 1:
        return Unknown(f"`{name}()` of a tensor's value is known only at run time")
    return Unknown(f"`{frame.code.text(node)}` is known only at run time")


# ====================================================================== operators

def with_values(out, values: Optional[tuple]):
    """`out` holding the numbers computed for it, when its shape is the 1-D (or 0-D) one they fill."""
    if values is not None and isinstance(out, Tensor) and out.shape is not None and not out.shape.open_rank \
            and len(out.shape) <= 1 and (out.shape.dims[0] if len(out.shape) else 1) == len(values):
        out.values = values
    return out


def _column(v) -> Optional[tuple]:
    if isinstance(v, Tensor):
        return v.values
    if isinstance(v, (int, float)):
        return (v,)
    return None


_VALUE_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _binary_values(op, left, right) -> Optional[tuple]:
    """The numbers of `left op right` when both sides' are known (tensor_values: torch's promotion and
    float32 rounding)."""
    a, b = _column(left), _column(right)
    if a is None or b is None:
        return None
    if op is ast.Pow:
        return TV.elementwise(TV.power, a, b)
    symbol = _VALUE_SYMBOLS.get(op)
    return TV.elementwise(lambda x, y: TV.arith(symbol, x, y), a, b) if symbol else None


def function_values(name: str, args: list, kwargs: dict) -> Optional[tuple]:
    """The numbers of torch.<name>(...) / x.<name>(...) on tensors whose numbers are known."""
    t = args[0] if args else None
    if name in ("log", "round", "int", "long", "float") and isinstance(t, Tensor) and t.values and \
            len(args) == 1 and not kwargs:
        if name == "log":
            return TV.elementwise(lambda v: TV.monotone(math.log, v), t.values)
        if name == "float":
            return TV.elementwise(TV.to_f32, t.values)
        how = "round" if name == "round" else "trunc"
        return TV.elementwise(lambda v: TV.to_integer(v, how), t.values)   # round: float in, float out
    if name in ("pow", "div", "divide", "true_divide", "mul", "multiply", "add", "sub", "subtract") and \
            len(args) == 2 and not kwargs:
        op = {"pow": ast.Pow, "div": ast.Div, "divide": ast.Div, "true_divide": ast.Div, "mul": ast.Mult,
              "multiply": ast.Mult, "add": ast.Add, "sub": ast.Sub, "subtract": ast.Sub}[name]
        return _binary_values(op, args[0], args[1])
    return None


_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
            ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}


def unary(it, t: Tensor, node, frame) -> Any:
    return result(it, Tensor(t.shape, t.reason, t.origin, t.producer), [t])


def binary(it, op, left, right, node, frame, inplace: bool) -> Any:
    left, right = as_tensor(left), as_tensor(right)
    symbol = _SYMBOLS.get(op, "op")
    found = [v for v in (left, right) if isinstance(v, Tensor)]
    other = right if isinstance(left, Tensor) else left
    text = frame.code.text(node, 50) if node is not None else symbol
    if op is ast.MatMult:
        if len(found) < 2:
            return unknown_op(it, node, frame, found, "an operand of `@` is unknown")
        return from_op(it, node, frame, ops.matmul(left.shape, right.shape), found, "@")
    if len(found) == 1:
        if isinstance(other, (int, float, bool, Sym)):
            t = found[0]
            out = result(it, Tensor(t.shape, t.reason, t.origin, t.producer), found)
            return with_values(out, _binary_values(op, left, right))
        why = f"unknown: {other.reason}" if isinstance(other, Unknown) else "not something the analysis follows"
        return unknown_op(it, node, frame, found, f"the other operand of `{symbol}` ({text}) is {why}")
    res = ops.broadcast(left.shape, right.shape, text)
    if not res.error and inplace and res.shape is not None and left.shape is not None and \
            res.shape != left.shape and all(is_known(d) for d in res.shape.dims + left.shape.dims):
        res = ops.Op(None, error=f"`{text}`: the result {res.shape.text()} does not fit in place into "
                                 f"{left.shape.text()}", reason="in-place broadcast")
    return with_values(from_op(it, node, frame, res, found, text), _binary_values(op, left, right))


# ====================================================================== indexing

def index(it, t, keys, node, frame) -> Any:
    t = as_tensor(t)
    items = list(keys) if isinstance(keys, tuple) else [keys]
    if t.shape is None or t.shape.open_rank:
        return unknown_op(it, node, frame, [t], f"`{frame.code.text(node)}` indexes a tensor of unknown shape")
    items = [_index_tensor(x) for x in items]
    if any(not (x is None or x is Ellipsis or isinstance(x, (int, slice, Tensor, Param))) or isinstance(x, bool)
           for x in items):
        return unknown_op(it, node, frame, [t], f"the index of `{frame.code.text(node)}` is known only at run time")
    return indexed(it, t, [as_tensor(x) if isinstance(x, Param) else x for x in items], node, frame)


def _index_tensor(x):
    """`x[[0, 2]]`: a list of ints indexes as a 1-D integer tensor."""
    if isinstance(x, list) and x and all(isinstance(v, int) and not isinstance(v, bool) for v in x):
        out = Tensor(Shape.of([len(x)]))
        out.values = tuple(x)
        return out
    return x


def indexed(it, t: Tensor, items: list, node, frame) -> Any:
    """`t[items]` (ints, slices, None, Ellipsis, index tensors) as torch 2.13 does it
    (torch/csrc/autograd/python_variable_indexing.cpp): the ints, slices and None apply first (an int removes
    its dim); then the index tensors, broadcast together to B, take the dims they index: in place when those
    dims are adjacent, else B comes first. An index tensor of unknown dtype that could also be a boolean mask
    of the dims it covers leaves the result unknown."""
    text = frame.code.text(node)
    dims = list(t.shape.dims)
    used = sum(1 for x in items if x is not None and x is not Ellipsis)
    if items.count(Ellipsis) > 1:
        return Unknown("more than one ellipsis")
    if used > len(dims):
        return fail(it, node, frame, ops.Op(None, error=f"`{text}`: too many indices for the {len(dims)}-D tensor "
                                                          f"{t.shape.text()}"), [t])
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + [slice(None)] * (len(dims) - used) + items[at + 1:]
    view, positions, shapes, axis, inputs = [], [], [], 0, [t]
    for x in items:
        if x is None:
            view.append(1)
            continue
        d = dims[axis]
        axis += 1
        if isinstance(x, int) or (isinstance(x, Tensor) and x.values is not None and is_known(d) and len(x.values) and
                                  all(isinstance(v, int) for v in x.values)):
            bad = next((v for v in ([x] if isinstance(x, int) else x.values) if is_known(d) and not -d <= v < d),
                       None)
            if bad is not None:
                return fail(it, node, frame, ops.Op(None, error=f"`{text}`: index {bad} is out of range for "
                                                                  f"size {d}"), inputs)
        if isinstance(x, int):
            continue
        if isinstance(x, slice):
            view.append(len(range(*x.indices(d))) if is_known(d) else (d if x == slice(None) else UNKNOWN))
            continue
        inputs.append(x)
        s = x.shape
        if s is None or s.open_rank:
            return unknown_op(it, node, frame, inputs, f"the index of `{text}` has an unknown shape")
        if _could_be_mask(x, dims[axis - 1:axis - 1 + len(s)]):
            return unknown_op(it, node, frame, inputs, f"`{text}`: the index may be a boolean mask, whose number "
                                                       f"of True values is known only at run time")
        positions.append(len(view))
        view.append(d)
        shapes.append(s)
    view.extend(dims[axis:])
    if not shapes:
        return from_op(it, node, frame, ops.Op(Shape.of(view)), inputs, "indexing")
    b = shapes[0]
    for s in shapes[1:]:
        res = ops.broadcast(b, s, text)
        if res.error or res.shape is None:
            return fail(it, node, frame, ops.Op(None, error=f"`{text}`: shape mismatch: the index tensors "
                                                              f"{' and '.join(x.text() for x in shapes)} cannot be "
                                                              f"broadcast together"), inputs)
        b = res.shape
    if positions == list(range(positions[0], positions[0] + len(positions))):
        out = view[:positions[0]] + list(b.dims) + view[positions[-1] + 1:]
    else:
        out = list(b.dims) + [d for i, d in enumerate(view) if i not in positions]
    return from_op(it, node, frame, ops.Op(Shape.of(out)), inputs, "indexing")


def _could_be_mask(x: Tensor, covered: list) -> bool:
    """A boolean mask of the dims it would cover has exactly their sizes; an index whose numbers are known
    (arange, a list of ints) is an integer index."""
    if x.values is not None and all(isinstance(v, int) and not isinstance(v, bool) for v in x.values):
        return False
    s = x.shape
    if len(s) == 0 or len(covered) < len(s):
        return len(s) == 0
    return all(not (is_known(a) and is_known(b)) or a == b for a, b in zip(s.dims, covered))


# ====================================================================== parameters of layers

def leaf_params(it, mod) -> Optional[dict]:
    """Named parameters of a catalog layer (weight, bias, ...) with their shapes, for the layers whose
    tensors are known here; None for the others (their count still comes from the rule)."""
    rule = mod.rule
    if rule is None:
        return None
    bound = bind(rule.signature, [M.clean(v) for v in mod.args], {k: M.clean(v) for k, v in mod.kwargs.items()},
                 mod.star)
    a = bound.values
    name = rule.name
    shapes = _weight_shapes(name, a)
    if shapes is None:
        return None
    out = {k: Param(Shape.of(s), True, mod.span) for k, s in shapes.items() if s is not None}
    flag = mod.attrs.get("__requires_grad__")   # a requires_grad_() that ran before the tensors were made here
    if flag is not None:
        for param in out.values():
            param.requires_grad, param.frozen_at = flag[0], flag[1]
    return out


def _ints(v, n: int):
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,) * n
    if isinstance(v, (tuple, list)) and all(isinstance(x, int) for x in v):
        return tuple(v) * n if len(v) == 1 else tuple(v)
    return None


def _rnn_shapes(name: str, a: dict) -> Optional[dict]:
    """torch.nn.RNNBase's tensors in registration order (torch/nn/modules/rnn.py _flat_weights_names)."""
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[name]
    inp, hid, layers = a.get("input_size"), a.get("hidden_size"), a.get("num_layers")
    bias, bidir, proj = a.get("bias"), a.get("bidirectional"), a.get("proj_size", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (inp, hid, layers, proj)) or \
            not isinstance(bias, bool) or not isinstance(bidir, bool):
        return None
    dirs = 2 if bidir else 1
    real = proj if proj > 0 else hid
    out: dict = {}
    for layer in range(layers):
        layer_in = inp if layer == 0 else real * dirs
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            out["weight_ih" + sfx] = (gates * hid, layer_in)
            out["weight_hh" + sfx] = (gates * hid, real)
            if bias:
                out["bias_ih" + sfx] = (gates * hid,)
                out["bias_hh" + sfx] = (gates * hid,)
            if proj > 0:
                out["weight_hr" + sfx] = (proj, hid)
    return out


def _weight_shapes(name: str, a: dict) -> Optional[dict]:
    if name in ("LSTM", "GRU", "RNN"):
        return _rnn_shapes(name, a)
    bias = a.get("bias", True)
    if not isinstance(bias, bool):
        return None
    if name == "Linear":
        i, o = a.get("in_features"), a.get("out_features")
        if isinstance(i, int) and isinstance(o, int):
            return {"weight": (o, i), "bias": (o,) if bias else None}
        return None
    if name.startswith("Conv") and name[-2:] in ("1d", "2d", "3d") and not name.startswith("ConvTranspose"):
        nd = int(name[-2])
        i, o, g = a.get("in_channels"), a.get("out_channels"), a.get("groups", 1)
        k = _ints(a.get("kernel_size"), nd)
        if isinstance(i, int) and isinstance(o, int) and isinstance(g, int) and g > 0 and k:
            return {"weight": (o, i // g) + k, "bias": (o,) if bias else None}
        return None
    if name.startswith("ConvTranspose"):
        nd = int(name[-2])
        i, o, g = a.get("in_channels"), a.get("out_channels"), a.get("groups", 1)
        k = _ints(a.get("kernel_size"), nd)
        if isinstance(i, int) and isinstance(o, int) and isinstance(g, int) and g > 0 and k:
            return {"weight": (i, o // g) + k, "bias": (o,) if bias else None}
        return None
    if name == "Embedding":
        n, d = a.get("num_embeddings"), a.get("embedding_dim")
        if isinstance(n, int) and isinstance(d, int):
            return {"weight": (n, d)}
        return None
    if name.startswith("BatchNorm") or name.startswith("InstanceNorm"):
        c, affine = a.get("num_features"), a.get("affine")
        if isinstance(c, int) and isinstance(affine, bool):
            return {"weight": (c,), "bias": (c,)} if affine else {}
        return None
    if name == "LayerNorm":
        shape, affine = a.get("normalized_shape"), a.get("elementwise_affine")
        dims = _ints(shape, 1) if isinstance(shape, int) else (tuple(shape) if isinstance(shape, (tuple, list)) and
                                                                 all(isinstance(x, int) for x in shape) else None)
        if dims is not None and isinstance(affine, bool):
            return {"weight": dims, "bias": dims if bias else None} if affine else {}
        return None
    if name == "GroupNorm":
        c, affine = a.get("num_channels"), a.get("affine")
        if isinstance(c, int) and isinstance(affine, bool):
            return {"weight": (c,), "bias": (c,)} if affine else {}
        return None
    return None


def attr_of_layer(mod, name: str, value):
    """A constructor argument read back from the layer, as torch stores it (Conv's kernel_size, stride,
    padding and dilation become tuples)."""
    if mod.rule is not None and mod.framework == "torch" and name in ("kernel_size", "stride", "dilation",
                                                                      "output_padding") \
            and mod.rule.name[-2:] in ("1d", "2d", "3d") and mod.rule.name.startswith("Conv"):
        nd = int(mod.rule.name[-2])
        t = _ints(value, nd)
        return t if t is not None else value
    if mod.rule is not None and mod.framework == "torch" and name == "padding" and isinstance(value, int) and \
            mod.rule.name.startswith("Conv") and mod.rule.name[-2:] in ("1d", "2d", "3d"):
        return (value,) * int(mod.rule.name[-2])
    return value


__all__ = ["Sym", "call_torch", "call_function", "call_method", "attribute", "index", "binary", "unary",
           "factory", "unknown_op", "leaf_params", "Native"]
