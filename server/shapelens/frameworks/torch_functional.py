"""torch.nn.functional, function by function (torch 2.13): each function's real signature, and either the catalog
entry it runs — its layer twin (F.max_pool2d → MaxPool2d), with how the function's arguments become the layer's
constructor and call arguments — or a pure shape rule (tensor_ops) where there is no twin.

A twin's layer arguments that live in a weight tensor (F.conv2d's kernel size and channels, F.linear's features,
F.embedding's table) are read off that tensor's shape by the entry's `derive`. Everything here is framework-free
and takes Shapes and constants: `apply(name, positional, keywords)` binds a call like Python does and returns a
tensor_ops.Result (output shape or shapes, or the message of what torch raises).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..analysis.shapes import Shape, is_known
from ..analysis.values import Unknown
from . import tensor_ops as ops
from .base import Ctx, Signature, bind
from .tensor_ops import Result


@dataclass(frozen=True)
class Twin:
    signature: str                     # the function's signature as torch documents it
    layer: Any = ""                    # the catalog entry it runs, or a function of the bound values naming it
    args: tuple = ()                   # constructor arguments passed on when given: a shared name or (function, layer)
    call: tuple = ("input",)           # the tensors in the order of the layer's call (the first one is its input)
    derive: Optional[Callable] = None  # bound values → constructor arguments read off tensors, or an error message
    shape: Optional[Callable] = None   # a pure shape rule (bound values → Result) when there is no twin


def shape_of(v: Any) -> Optional[Shape]:
    return v if isinstance(v, Shape) and not v.open_rank else None


# ---------------------------------------------------------------- arguments read off weight tensors

def conv_weight(nd: int, transposed: bool) -> Callable:
    """F.conv*d weight (out, in/groups, *k); F.conv_transpose*d weight (in, out/groups, *k)."""
    def derive(v: dict) -> Any:
        w, groups = shape_of(v["weight"]), v["groups"]
        if w is None or not isinstance(groups, int) or not all(is_known(d) for d in w.dims):
            return None
        if len(w) != nd + 2:
            return f"the weight {w.text()} should be {nd + 2}-D (out_channels, in_channels / groups, *kernel_size)"
        cin, cout = (w[0], w[1] * groups) if transposed else (w[1] * groups, w[0])
        b = shape_of(v["bias"])
        if b is not None and (len(b) != 1 or not ops.same(b[0], cout)):
            return f"the bias {b.text()} should be 1-D with {cout} elements (the output channels)"
        return {"in_channels": cin, "out_channels": cout, "kernel_size": tuple(w.dims[2:]),
                "bias": v["bias"] is not None}
    return derive


def linear_weight(v: dict) -> Any:
    w = shape_of(v["weight"])
    if w is None:
        return None
    if len(w) != 2:
        return f"the weight {w.text()} should be 2-D (out_features, in_features)"
    if not all(is_known(d) for d in w.dims):
        return None
    return {"in_features": w[1], "out_features": w[0], "bias": v["bias"] is not None}


def table_weight(v: dict) -> Any:
    """F.embedding / F.embedding_bag: the table (num_embeddings, embedding_dim)."""
    w = shape_of(v["weight"])
    if w is None or not all(is_known(d) for d in w.dims):
        return None
    if len(w) != 2:
        return f"the weight {w.text()} should be 2-D (num_embeddings, embedding_dim)"
    return {"num_embeddings": w[0], "embedding_dim": w[1]}


def prelu_weight(v: dict) -> Any:
    w = shape_of(v["weight"])
    if w is None or not all(is_known(d) for d in w.dims):
        return None
    n = 1
    for d in w.dims:
        n *= d
    return {"num_parameters": n}


def group_norm_channels(v: dict) -> Any:
    x = shape_of(v["input"])
    if x is None or len(x) < 2 or not is_known(x[1]):
        return None
    return {"num_channels": x[1], "affine": v["weight"] is not None}


def fractional_ratio(v: dict) -> Any:
    """F.fractional_max_pool*d takes len() of output_ratio: a plain number raises TypeError (the module wraps it
    in a tuple first)."""
    r = v["output_ratio"]
    if isinstance(r, (int, float)) and not isinstance(r, bool):
        return f"output_ratio={r!r} must be a tuple (F.fractional_max_pool takes its len())"
    return {}


def mha_arguments(v: dict) -> Any:
    """F.multi_head_attention_forward: the MultiheadAttention it is the forward of (kdim/vdim from the separate
    projection weights, add_bias_kv from bias_k, bias from in_proj_bias)."""
    out = {"embed_dim": v["embed_dim_to_check"], "num_heads": v["num_heads"], "add_bias_kv": v["bias_k"] is not None,
           "add_zero_attn": v["add_zero_attn"], "bias": v["in_proj_bias"] is not None}
    if v["use_separate_proj_weight"] is True:
        k, val = shape_of(v["k_proj_weight"]), shape_of(v["v_proj_weight"])
        if k is None or val is None or len(k) != 2 or len(val) != 2:
            return None
        out.update(kdim=k[1], vdim=val[1])
    return out


def pad_layer(v: dict) -> str:
    """F.pad runs the padding layer of its mode (its padding tuple says how many trailing dims are padded)."""
    return {"constant": "ConstantPad1d", "reflect": "ReflectionPad1d", "replicate": "ReplicationPad1d",
            "circular": "CircularPad1d"}.get(v["mode"], "")


def pad_arguments(v: dict) -> Any:
    pads = v["pad"]
    if not isinstance(pads, (tuple, list)):
        return None
    out = {"padding": tuple(pads)}
    if v["mode"] == "constant":
        out["value"] = 0.0 if v["value"] is None else v["value"]
    return out


# ---------------------------------------------------------------- shape rules without a twin

def same_shape(v: dict) -> Result:
    x = v.get("input", v.get("logits"))
    return Result(x) if isinstance(x, Shape) else ops.unknown("the input's shape is unknown")


def normalize(v: dict) -> Result:
    x = shape_of(v["input"])
    return ops.softmax(x, v["dim"], "normalize") if x is not None else ops.unknown("the input's shape is unknown")


def gumbel_softmax(v: dict) -> Result:
    x = shape_of(v["logits"])
    return ops.softmax(x, v["dim"], "gumbel_softmax") if x is not None else ops.unknown("the input's shape is unknown")


def batch_norm(v: dict) -> Result:
    """F.batch_norm: (N, C, *) kept; running stats, weight and bias of C elements; in training more than one
    value per channel."""
    x = shape_of(v["input"])
    if x is None:
        return ops.unknown("the input's shape is unknown")
    if len(x) < 2:
        return ops.fail(f"batch_norm: expected at least 2-D input (N, C, *), got {x.text()}")
    for name in ("running_mean", "running_var", "weight", "bias"):
        s = shape_of(v[name])
        if s is not None and (len(s) != 1 or not ops.same(s[0], x[1])):
            return ops.fail(f"batch_norm: {name} {s.text()} should have the {x[1]} elements of the channels")
    values = [x[0]] + list(x.dims[2:])
    if v["training"] is True and all(is_known(d) for d in values) and _product(values) == 1:
        return ops.fail(f"batch_norm: expected more than 1 value per channel when training, got input {x.text()}")
    return Result(x)


def instance_norm(v: dict) -> Result:
    """F.instance_norm: (N, C, *spatial) kept; with use_input_stats more than one spatial element."""
    x = shape_of(v["input"])
    if x is None:
        return ops.unknown("the input's shape is unknown")
    if len(x) < 3:
        return ops.fail(f"instance_norm: expected an input (N, C, *spatial) of at least 3 dims, got {x.text()}")
    spatial = list(x.dims[2:])
    if v["use_input_stats"] is not False and all(is_known(d) for d in spatial) and _product(spatial) == 1:
        return ops.fail(f"instance_norm: expected more than 1 spatial element when training, got input {x.text()}")
    return Result(x)


def _product(values: list) -> int:
    n = 1
    for d in values:
        n *= d
    return n


def bilinear(v: dict) -> Result:
    """F.bilinear(x1, x2, weight (out, in1, in2)): (…, out); the leading dims of x1 and x2 must agree."""
    a, b, w = shape_of(v["input1"]), shape_of(v["input2"]), shape_of(v["weight"])
    if a is None or b is None or w is None:
        return ops.unknown("an operand's shape is unknown")
    if len(w) != 3:
        return ops.fail(f"bilinear: the weight {w.text()} should be 3-D (out, in1, in2)")
    if not ops.same(a[-1], w[1]) or not ops.same(b[-1], w[2]):
        return ops.fail(f"bilinear: the inputs {a.text()} and {b.text()} do not fit the weight {w.text()}")
    if len(a) != len(b) or any(not ops.same(x, y) for x, y in zip(a.dims[:-1], b.dims[:-1])):
        return ops.fail(f"bilinear: the leading dims of {a.text()} and {b.text()} must agree")
    return Result(Shape.of(list(a.dims[:-1]) + [w[0]]))


def sdpa(v: dict) -> Result:
    q, k, val = (shape_of(v[n]) for n in ("query", "key", "value"))
    if q is None or k is None or val is None:
        return ops.unknown("the shape of the query, key or value is unknown")
    return ops.scaled_dot_product_attention(q, k, val, shape_of(v["attn_mask"]) if v["attn_mask"] is not None
                                            else None, v["is_causal"], v["enable_gqa"], v["dropout_p"])


def one_hot(v: dict) -> Result:
    x = shape_of(v["tensor"])
    return ops.one_hot(x, v["num_classes"]) if x is not None else ops.unknown("the input's shape is unknown")


# ---------------------------------------------------------------- the table

POOL = "input, kernel_size, stride=None, padding=0"
MAX_POOL = f"{POOL}, dilation=1, ceil_mode=False, return_indices=False"
MAX_POOL_ARGS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
AVG_POOL_ARGS = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
FRACTIONAL = ("input, kernel_size, output_size=None, output_ratio=None, return_indices=False, "
              "_random_samples=None")
FRACTIONAL_ARGS = ("kernel_size", "output_size", "output_ratio", "return_indices", "_random_samples")
DROPOUT = "input, p=0.5, training=True, inplace=False"
CONV = "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1"
CONV_T = "input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1"
SOFTMAX = "input, dim=None, _stacklevel=3, dtype=None"
MHA_SIG = ("query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v, "
           "add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training=True, key_padding_mask=None, "
           "need_weights=True, attn_mask=None, use_separate_proj_weight=False, q_proj_weight=None, "
           "k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True, "
           "is_causal=False")


def _functions() -> dict:
    t: dict = {}
    for n in (1, 2, 3):
        t[f"conv{n}d"] = Twin(CONV, f"Conv{n}d", ("stride", "padding", "dilation", "groups"),
                              derive=conv_weight(n, False))
        t[f"conv_transpose{n}d"] = Twin(CONV_T, f"ConvTranspose{n}d", ("stride", "padding", "output_padding",
                                                                       "groups", "dilation"),
                                        derive=conv_weight(n, True))
        t[f"max_pool{n}d"] = Twin(MAX_POOL, f"MaxPool{n}d", MAX_POOL_ARGS)
        t[f"max_pool{n}d_with_indices"] = Twin(MAX_POOL, f"MaxPool{n}d", MAX_POOL_ARGS)
        t[f"adaptive_avg_pool{n}d"] = Twin("input, output_size", f"AdaptiveAvgPool{n}d", ("output_size",))
        t[f"adaptive_max_pool{n}d"] = Twin("input, output_size, return_indices=False", f"AdaptiveMaxPool{n}d",
                                           ("output_size", "return_indices"))
        t[f"adaptive_max_pool{n}d_with_indices"] = t[f"adaptive_max_pool{n}d"]
        t[f"lp_pool{n}d"] = Twin("input, norm_type, kernel_size, stride=None, ceil_mode=False", f"LPPool{n}d",
                                 ("norm_type", "kernel_size", "stride", "ceil_mode"))
        t[f"max_unpool{n}d"] = Twin("input, indices, kernel_size, stride=None, padding=0, output_size=None",
                                    f"MaxUnpool{n}d", ("kernel_size", "stride", "padding"),
                                    call=("input", "indices", "output_size"))
        t[f"dropout{n}d"] = Twin(DROPOUT, f"Dropout{n}d", ("p", "inplace"))
    t["avg_pool1d"] = Twin(f"{POOL}, ceil_mode=False, count_include_pad=True", "AvgPool1d", AVG_POOL_ARGS[:5])
    for n in (2, 3):
        t[f"avg_pool{n}d"] = Twin(f"{POOL}, ceil_mode=False, count_include_pad=True, divisor_override=None",
                                  f"AvgPool{n}d", AVG_POOL_ARGS)
        t[f"fractional_max_pool{n}d"] = Twin(FRACTIONAL, f"FractionalMaxPool{n}d", FRACTIONAL_ARGS,
                                             derive=fractional_ratio)
        t[f"fractional_max_pool{n}d_with_indices"] = t[f"fractional_max_pool{n}d"]
    t.update(_linear_and_norm())
    t.update(_activations())
    t.update(_resampling_and_attention())
    return t


def _linear_and_norm() -> dict:
    return {
        "linear": Twin("input, weight, bias=None", "Linear", derive=linear_weight),
        "bilinear": Twin("input1, input2, weight, bias=None", shape=bilinear),
        "embedding": Twin("input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, "
                          "sparse=False", "Embedding", ("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq",
                                                        "sparse"), derive=table_weight),
        "embedding_bag": Twin("input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, "
                              "mode='mean', sparse=False, per_sample_weights=None, include_last_offset=False, "
                              "padding_idx=None", "EmbeddingBag",
                              ("max_norm", "norm_type", "scale_grad_by_freq", "mode", "sparse", "include_last_offset",
                               "padding_idx"), call=("input", "offsets", "per_sample_weights"), derive=table_weight),
        "layer_norm": Twin("input, normalized_shape, weight=None, bias=None, eps=1e-05", "LayerNorm",
                           ("normalized_shape", "eps")),
        "rms_norm": Twin("input, normalized_shape, weight=None, eps=None", "RMSNorm", ("normalized_shape", "eps")),
        "group_norm": Twin("input, num_groups, weight=None, bias=None, eps=1e-05", "GroupNorm", ("num_groups", "eps"),
                           derive=group_norm_channels),
        "batch_norm": Twin("input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, "
                           "eps=1e-05", shape=batch_norm),
        "instance_norm": Twin("input, running_mean=None, running_var=None, weight=None, bias=None, "
                              "use_input_stats=True, momentum=0.1, eps=1e-05", shape=instance_norm),
        "local_response_norm": Twin("input, size, alpha=0.0001, beta=0.75, k=1.0", "LocalResponseNorm",
                                    ("size", "alpha", "beta", "k")),
        "normalize": Twin("input, p=2.0, dim=1, eps=1e-12, out=None", shape=normalize),
        "dropout": Twin(DROPOUT, "Dropout", ("p", "inplace")),
        "alpha_dropout": Twin("input, p=0.5, training=False, inplace=False", "AlphaDropout", ("p", "inplace")),
        "feature_alpha_dropout": Twin("input, p=0.5, training=False, inplace=False", "FeatureAlphaDropout",
                                      ("p", "inplace")),
    }


def _activations() -> dict:
    t = {name: Twin("input, inplace=False", layer, ("inplace",)) for name, layer in (
        ("relu", "ReLU"), ("relu6", "ReLU6"), ("selu", "SELU"), ("silu", "SiLU"), ("mish", "Mish"),
        ("hardsigmoid", "Hardsigmoid"), ("hardswish", "Hardswish"))}
    t.update({name: Twin("input", layer) for name, layer in (
        ("relu_", "ReLU"), ("logsigmoid", "LogSigmoid"), ("tanhshrink", "Tanhshrink"), ("softsign", "Softsign"),
        ("tanh", "Tanh"), ("sigmoid", "Sigmoid"))})
    t.update({name: Twin(SOFTMAX, layer, ("dim",)) for name, layer in (
        ("softmax", "Softmax"), ("softmin", "Softmin"), ("log_softmax", "LogSoftmax"))})
    t.update({
        "elu": Twin("input, alpha=1.0, inplace=False", "ELU", ("alpha", "inplace")),
        "celu": Twin("input, alpha=1.0, inplace=False", "CELU", ("alpha", "inplace")),
        "leaky_relu": Twin("input, negative_slope=0.01, inplace=False", "LeakyReLU", ("negative_slope", "inplace")),
        "prelu": Twin("input, weight", "PReLU", derive=prelu_weight),
        "rrelu": Twin("input, lower=0.125, upper=0.3333333333333333, training=False, inplace=False", "RReLU",
                      ("lower", "upper", "inplace")),
        "glu": Twin("input, dim=-1", "GLU", ("dim",)),
        "gelu": Twin("input, approximate='none'", "GELU", ("approximate",)),
        "hardshrink": Twin("input, lambd=0.5", "Hardshrink", ("lambd",)),
        "softshrink": Twin("input, lambd=0.5", "Softshrink", ("lambd",)),
        "softplus": Twin("input, beta=1, threshold=20", "Softplus", ("beta", "threshold")),
        "hardtanh": Twin("input, min_val=-1.0, max_val=1.0, inplace=False", "Hardtanh",
                         ("min_val", "max_val", "inplace")),
        "threshold": Twin("input, threshold, value, inplace=False", "Threshold", ("threshold", "value", "inplace")),
        "gumbel_softmax": Twin("logits, tau=1, hard=False, eps=1e-10, dim=-1", shape=gumbel_softmax),
    })
    return t


def _resampling_and_attention() -> dict:
    upsample_args = ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor")
    return {
        "interpolate": Twin("input, size=None, scale_factor=None, mode='nearest', align_corners=None, "
                            "recompute_scale_factor=None, antialias=False", "Upsample", upsample_args),
        "upsample": Twin("input, size=None, scale_factor=None, mode='nearest', align_corners=None", "Upsample",
                         upsample_args[:4]),
        "upsample_nearest": Twin("input, size=None, scale_factor=None", "UpsamplingNearest2d",
                                 ("size", "scale_factor")),
        "upsample_bilinear": Twin("input, size=None, scale_factor=None", "UpsamplingBilinear2d",
                                  ("size", "scale_factor")),
        "pad": Twin("input, pad, mode='constant', value=None", pad_layer, derive=pad_arguments),
        "pixel_shuffle": Twin("input, upscale_factor", "PixelShuffle", ("upscale_factor",)),
        "pixel_unshuffle": Twin("input, downscale_factor", "PixelUnshuffle", ("downscale_factor",)),
        "channel_shuffle": Twin("input, groups", "ChannelShuffle", ("groups",)),
        "native_channel_shuffle": Twin("input, groups", "ChannelShuffle", ("groups",)),
        "unfold": Twin("input, kernel_size, dilation=1, padding=0, stride=1", "Unfold",
                       ("kernel_size", "dilation", "padding", "stride")),
        "fold": Twin("input, output_size, kernel_size, dilation=1, padding=0, stride=1", "Fold",
                     ("output_size", "kernel_size", "dilation", "padding", "stride")),
        "cosine_similarity": Twin("x1, x2, dim=1, eps=1e-08", "CosineSimilarity", ("dim", "eps"), call=("x1", "x2")),
        "pairwise_distance": Twin("x1, x2, p=2.0, eps=1e-06, keepdim=False", "PairwiseDistance",
                                  ("p", "eps", "keepdim"), call=("x1", "x2")),
        "multi_head_attention_forward": Twin(MHA_SIG, "MultiheadAttention", call=(
            "query", "key", "value", "key_padding_mask", "need_weights", "attn_mask", "average_attn_weights",
            "is_causal"), derive=mha_arguments),
        "scaled_dot_product_attention": Twin("query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, "
                                             "scale=None, enable_gqa=False", shape=sdpa),
        "one_hot": Twin("tensor, num_classes=-1", shape=one_hot),
    }


FUNCTIONS: dict = _functions()


# ---------------------------------------------------------------- running a function

def apply(name: str, positional: list, keywords: dict) -> Result:
    """F.<name>(*positional, **keywords) on Shapes (tensors), constants and Unknowns."""
    twin = FUNCTIONS[name]
    bound = bind(Signature.parse(twin.signature), positional, keywords, None)
    if bound.errors:
        return ops.fail(f"{name}() {bound.errors[0]}")
    if twin.shape is not None:
        return twin.shape(bound.values)
    return run_twin(name, twin, bound.values, bound.given)


def constructor_arguments(twin: Twin, values: dict, given: set) -> Any:
    kwargs = {}
    for pair in twin.args:
        fn, lay = pair if isinstance(pair, tuple) else (pair, pair)
        if fn in given:
            kwargs[lay] = values[fn]
    if twin.derive is not None:
        derived = twin.derive(values)
        if derived is None or isinstance(derived, str):
            return derived
        kwargs.update(derived)
    return kwargs


def run_twin(name: str, twin: Twin, values: dict, given: set) -> Result:
    from . import catalogs  # the torch catalog is built on first use

    layer = twin.layer(values) if callable(twin.layer) else twin.layer
    rule = catalogs.get("torch").get(layer)
    if rule is None:
        return ops.unknown(f"{name}: mode {values.get('mode')!r} has no layer twin")
    kwargs = constructor_arguments(twin, values, given)
    if isinstance(kwargs, str):
        return ops.fail(f"{name}: {kwargs}")
    if kwargs is None:
        return ops.unknown(f"{name}: the weight's shape is unknown")
    bound = bind(rule.signature, [], kwargs, None)
    x = values[twin.call[0]]
    ctx = Ctx(rule, bound.values, bound.given, x if isinstance(x, Shape) else None, "torch")
    if rule.call_signature is not None:
        names = [p.name for p in rule.call_signature.params]
        ctx.call = {n: (values[f] if values[f] is not None or n != names[0] else Unknown("unknown"))
                    for n, f in zip(names, twin.call)}
    rule.infer(ctx)
    errors = [f.message for f in ctx.findings if f.severity == "error"]
    text = "; ".join(t for w, t in ctx.formulas if w not in ("params", "non-trainable", "buffers", "MACs"))
    outputs = tuple(ctx.outputs) if isinstance(ctx.outputs, (tuple, list)) else None
    return Result(None if errors else ctx.out, text, f"{name}: {errors[0]}" if errors else "",
                  "; ".join(ctx.unknown), ctx.out_origin, None if errors else outputs)


def signature_of(name: str) -> Signature:
    return Signature.parse(FUNCTIONS[name].signature)

