"""Every diagnostic code shapelens emits, with its documentation (`shapelens --explain CODE`).

Each entry: title, severity, what it flags, why the framework rejects it, a broken example and the fix.
Rules in frameworks/ report with these codes; a test checks that every code used is documented here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    title: str
    severity: str
    what: str
    why: str
    example: str
    fix: str

    def text(self) -> str:
        return (f"{self.code}: {self.title} ({self.severity})\n\n"
                f"What it flags\n  {self.what}\n\nWhy it is wrong\n  {self.why}\n\n"
                f"Example\n{_indent(self.example)}\n\nFix\n{_indent(self.fix)}\n")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip("\n").splitlines())


CODES: dict[str, Code] = {}


def _add(*args) -> None:
    c = Code(*args)
    CODES[c.code] = c


_add("SL001", "file cannot be analysed", "info",
     "A statement that does not parse (half-typed code), or a file nested too deeply to walk.",
     "shapelens reads source without running it; a statement it cannot parse is skipped and the rest of the file "
     "is still analysed.",
     "model = nn.Sequential(\n    nn.Conv2d(3, 16,", "Finish the statement; the hints come back by themselves.")
_add("SL002", "unknown layer or run-time value", "info",
     "A layer shapelens has no rule for (a custom class, another library) or an element only known at run time.",
     "shapelens never guesses: the layer's shape and parameters are shown as ? and everything after it is "
     "unknown until a later layer re-establishes the shape (e.g. a Conv2d's out_channels).",
     "model = nn.Sequential(MyBlock(64), nn.ReLU())", "Nothing to fix in your model. Unknown values show ? with the reason.")
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
     "columns are never read.",
     "Not an error, but the border of the input is silently dropped, usually by accident.",
     "# shapelens: input=(1, 3, 28, 28)\nnn.Conv2d(3, 8, kernel_size=3, stride=2)   # the last row/column is unread",
     "Pad the input (padding=1), use padding='same' (Keras) or ceil_mode=True (pooling), or choose sizes that fit.")
_add("SL202", "input_shape on a layer other than the first (Keras)", "warning",
     "A Keras layer with input_shape= / input_dim= that is not the first layer of its Sequential model.",
     "Keras only reads the input shape from the first layer; on a later layer it is ignored.",
     "keras.Sequential([layers.Dense(64, input_shape=(20,)), layers.Dense(10, input_shape=(64,))])",
     "Remove input_shape= from the later layer; prefer keras.Input(shape=...) as the first element.")


def explain(code: str) -> str | None:
    c = CODES.get(code.upper())
    return c.text() if c else None
