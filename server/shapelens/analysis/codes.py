"""Every diagnostic code shapelens emits, with its documentation (`shapelens --explain CODE`).

Each entry: title, severity, what it flags, why the framework rejects it, a broken example and the fix.
Rules in frameworks/ report with these codes; a test checks that every code used is documented here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Code:
    code: str
    title: str
    severity: str
    what: str
    why: str
    example: str
    fix: str
    # Off by default where the framework itself is silent and the finding is a matter of taste (ruff's
    # way with opinionated rules): `--select` / `--extend-select` (or the editor's settings) turn it on.
    on_by_default: bool = True

    def text(self) -> str:
        default = "" if self.on_by_default else (f"\n\nOff by default: turn it on with `--extend-select {self.code}` "
                                                 f"(or the editor setting shapelens.extendSelect).")
        return (f"{self.code}: {self.title} ({self.severity}){default}\n\n"
                f"What it flags\n  {self.what}\n\nWhy it is wrong\n  {self.why}\n\n"
                f"Example\n{_indent(self.example)}\n\nFix\n{_indent(self.fix)}\n")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip("\n").splitlines())


CODES: dict[str, Code] = {}


def _add(*args, on_by_default: bool = True) -> None:
    c = Code(*args, on_by_default=on_by_default)
    CODES[c.code] = c


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in patterns)


def enabled(code: str, select: Iterable[str] = (), extend_select: Iterable[str] = (),
            ignore: Iterable[str] = ()) -> bool:
    """Whether a finding with this code is reported, by ruff's rules: `select` (codes or prefixes such
    as SL1; ALL) replaces the default set (every code but those off by default), `extend_select` adds
    to it, `ignore` removes from it."""
    code = code.upper()
    select = [c.strip().upper() for c in select if c.strip()]
    if _matches(code, [c.strip().upper() for c in ignore if c.strip()]):
        return False
    if select:
        on = _matches(code, select)
    else:
        known = CODES.get(code)
        on = known is None or known.on_by_default
    return on or _matches(code, [c.strip().upper() for c in extend_select if c.strip()])


_add("SL001", "not analysed", "warning",
     "A statement that does not parse (reported at Python's error, with its message), or one over a limit: larger "
     "than 100,000 characters, nested deeper than 300 levels (a bracket counts 2, each link of an operator chain "
     "such as `a + b + …` or `x.f().g()…` 1), a file over 4,000,000 characters; in the CLI also a file whose "
     "analysis took longer than --timeout or more memory than --memory-limit. As info: a part of the analysis "
     "that stopped (a work budget spent, an internal error); what it would have computed shows as ?.",
     "shapelens reads source without running it; a statement it cannot parse or that is over a limit is skipped "
     "and the rest of the file is still analysed. A warning, not an error: nothing in that statement was checked, "
     "but shapelens found nothing wrong either (the exit status is 0 unless other findings are errors; 2 when a "
     "whole file tripped a limit of the CLI). The limits keep the analysis of any file within bounded time and "
     "memory; no real model definition comes near them.",
     "model = nn.Sequential(\n    nn.Conv2d(3, 16,",
     "Finish the statement (the hints come back by themselves), or split a generated statement that is over a "
     "limit. `# shapelens: ignore[SL001]` on the line, or --ignore SL001, hides the finding.")
_add("SL002", "unknown layer or run-time value", "info",
     "A layer shapelens has no rule for (a custom class, another library) or an element only known at run time.",
     "shapelens never guesses: the layer's shape and parameters are shown as ? and everything after it is "
     "unknown until a later layer re-establishes the shape (e.g. a Conv2d's out_channels).",
     "model = nn.Sequential(MyBlock(64), nn.ReLU())", "Nothing to fix in your model. Unknown values show ? with the reason.")
_add("SL003", "input directive not used", "warning",
     "A `# shapelens: input=...` comment that no model takes: its text is not a shape, or it sits where no model "
     "looks for one (models look on the line above their assignment, their class, or the function that builds "
     "them), or the model has its own input (a keras.Input).",
     "The directive was meant to give the model its input; ignored without a word, every shape after it would "
     "show ? for a reason the user has already dealt with.",
     "# shapelens: input=(1, 3, 32, 32)\n\nx = 3\nmodel = nn.Sequential(nn.Conv2d(3, 8, 3))",
     "x = 3\n# shapelens: input=(1, 3, 32, 32)\nmodel = nn.Sequential(nn.Conv2d(3, 8, 3))")
_add("SL010", "invalid constructor arguments", "error",
     "A layer call the real constructor rejects with a TypeError: a missing required argument, an unexpected "
     "keyword, too many positional arguments.",
     "Python binds the arguments before the layer exists; the model cannot even be built.",
     "nn.Conv2d(3, 16)          # missing kernel_size", "nn.Conv2d(3, 16, kernel_size=3)")
_add("SL101", "output size would be smaller than 1", "error",
     "A kernel or pooling window larger than its (padded) input, so the output dimension would be zero or negative.",
     "PyTorch: out = ⌊(L + 2p − d·(k − 1) − 1) / s⌋ + 1 must be ≥ 1, else forward raises 'Kernel size can't be "
     "greater than actual input size'. Keras raises 'Computed output size would be zero or negative' when the "
     "model is built.",
     "# shapelens: input=(1, 1, 4, 4)\nnn.Sequential(nn.Conv2d(1, 8, kernel_size=5))",
     "Use a smaller kernel, add padding, or pool less before this layer.")
_add("SL102", "padding='same' with stride > 1 (PyTorch)", "error",
     "A PyTorch convolution with padding='same' and any stride above 1.",
     "torch raises at construction: \"padding='same' is not supported for strided convolutions\".",
     "nn.Conv2d(16, 32, 3, stride=2, padding='same')",
     "nn.Conv2d(16, 32, 3, stride=2, padding=1)   # or stride=1 with padding='same'")
_add("SL103", "pooling padding larger than half the kernel (PyTorch)", "error",
     "MaxPool/AvgPool padding greater than kernel_size // 2 (torch 2.13 checks the kernel size, not the dilated one).",
     "torch's pooling raises in forward: 'pad should be at most half of effective kernel size'.",
     "nn.MaxPool2d(kernel_size=2, padding=2)", "nn.MaxPool2d(kernel_size=2, padding=1)")
_add("SL104", "strides > 1 together with dilation_rate > 1 (Keras)", "error",
     "A Keras convolution with both a stride and a dilation rate above 1 (on any axes).",
     "Keras raises at construction: strides > 1 not supported in conjunction with dilation_rate > 1.",
     "layers.Conv2D(32, 3, strides=2, dilation_rate=2)", "layers.Conv2D(32, 3, strides=1, dilation_rate=2)")
_add("SL105", "channel / feature mismatch", "error",
     "A layer that declares in_channels / num_features / normalized_shape different from what arrives.",
     "The weight tensor is sized for the declared channels; torch raises in forward (e.g. 'expected input[1, 16, "
     "28, 28] to have 8 channels').",
     "nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(8))", "nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16))")
_add("SL106", "Linear in_features mismatch", "error",
     "A Linear (or Dense with a fixed input) whose in_features differ from the features that arrive, often after "
     "a Flatten.",
     "torch raises 'mat1 and mat2 shapes cannot be multiplied (Nx800 and 512x256)'.",
     "nn.Flatten(), nn.Linear(32 * 4 * 4, 256)   # (N, 32, 5, 5) arrives: 800 features",
     "nn.Flatten(), nn.Linear(32 * 5 * 5, 256)")
_add("SL107", "not divisible by groups", "error",
     "Channels not divisible by groups (Conv groups, GroupNorm num_groups, PixelShuffle r², ChannelShuffle).",
     "Each group must get the same number of channels; the frameworks raise at construction or in forward.",
     "nn.Conv2d(30, 64, 3, groups=4)", "nn.Conv2d(32, 64, 3, groups=4)")
_add("SL108", "invalid option", "error",
     "An invalid padding / padding_mode / data_format / mode string, or an argument of the wrong type.",
     "The constructor validates these and raises ValueError.",
     "nn.Conv2d(3, 16, 3, padding='full')", "nn.Conv2d(3, 16, 3, padding='same')")
_add("SL109", "non-positive size or out-of-range value", "error",
     "A zero or negative kernel, stride, channel or feature count; a dropout rate outside [0, 1]; an Embedding "
     "padding_idx out of range.",
     "The frameworks reject these when the layer is built.",
     "nn.Linear(128, 0)", "nn.Linear(128, 10)")
_add("SL110", "input rank the layer cannot take", "error",
     "A layer receiving a tensor of a rank it does not accept (Conv2d on a 2-D tensor; BatchNorm2d on 3-D).",
     "PyTorch layers accept batched and (mostly) unbatched inputs: Conv2d takes 3-D or 4-D; Keras layers need the "
     "exact rank with the batch axis.",
     "nn.Sequential(nn.Flatten(), nn.Conv2d(1, 8, 3))", "Move the Flatten after the convolutions.")
_add("SL111", "tensor operation shape mismatch", "error",
     "A tensor operation in forward()/call() or a Keras functional graph whose shapes do not fit: a view/reshape "
     "whose sizes do not divide the element count, cat/stack or broadcast mismatches (a residual add of different "
     "shapes), Keras merge layers on mismatched inputs, out-of-range permute/transpose/index.",
     "torch raises in forward (e.g. \"shape '[-1, 400]' is invalid for input of size 3136\", \"The size of tensor a "
     "(32) must match the size of tensor b (64)\"); Keras raises when the graph is built.",
     "out = self.conv2(self.conv1(x))   # (N, 128, 16, 16)\nreturn out + x                     # x is (N, 64, 32, 32)",
     "Project the identity to the same shape (a 1×1 conv with the same stride), or fix the view sizes.")
_add("SL201", "strided window does not fit evenly", "warning",
     "A strided convolution or pooling whose last window stops before the end of the input: trailing rows or "
     "columns are never read. One finding per layer, naming every axis concerned.",
     "Not an error (PyTorch and Keras accept it without a word, and many textbook models do it on purpose), but the "
     "border of the input is silently dropped, sometimes by accident. Off by default for that reason: "
     "`--extend-select SL201` (or `--select SL201`, or the editor setting shapelens.extendSelect) turns it on.",
     "# shapelens: input=(1, 3, 28, 28)\nnn.Conv2d(3, 8, kernel_size=3, stride=2)   # the last row/column is unread",
     "Pad the input (padding=1), use padding='same' (Keras) or ceil_mode=True (pooling), or choose sizes that fit.",
     on_by_default=False)
_add("SL202", "input_shape on a layer other than the first (Keras)", "warning",
     "A Keras layer with input_shape= / input_dim= that is not the first layer of its Sequential model.",
     "Keras only reads the input shape from the first layer; on a later layer it is ignored.",
     "keras.Sequential([layers.Dense(64, input_shape=(20,)), layers.Dense(10, input_shape=(64,))])",
     "Remove input_shape= from the later layer; prefer keras.Input(shape=...) as the first element.")

_add("SL203", "one value per channel for batch statistics in training mode (PyTorch)", "warning",
     "A BatchNorm whose input has one value per channel (batch × spatial = 1): a batch of one sample after "
     "the spatial size has shrunk to 1×1, or a batch of one for BatchNorm1d.",
     "torch raises 'Expected more than 1 value per channel when training' in training mode (every module is "
     "until .eval()); in eval mode the running statistics are used and the same call works. A warning: the batch "
     "of one is often only the example input's (`# shapelens: input=`), and inference is fine.",
     "# shapelens: input=(1, 64)\nnn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32))",
     "Train with batches of more than one sample, or call model.eval() before a one-sample forward.")


def explain(code: str) -> str | None:
    c = CODES.get(code.upper())
    return c.text() if c else None
