"""Generate the benchmark inputs (deterministic: same seed, same text).

    python benchmarks/generate.py            # writes benchmarks/generated/{large.py,small.py,tree/}
    python benchmarks/generate.py --lines 3000 --files 1000

- `large_file(seed)`: a ~3,000-line module with ~300 models, a realistic mix: PyTorch Sequentials of
  convs / norms / pools / linears (sized by module constants, with `# shapelens: input=` directives or
  an example call), Keras Sequentials (list form with keras.Input, `.add` form with `model.build`),
  models built inside functions, OrderedDicts, constants, helper functions, comments and docstrings.
  A few models carry a deliberate shape error (as in a real file being worked on).
- `small_file(seed)`: the one-file `--check` input (two models, ~40 lines).
- `write_tree(root, n)`: n small model files in nested packages, for the parallel `--check` run.

Every layer call line carries a marker-free, plain-looking source line; `edit_targets(text)` finds the
lines whose last `nn.Linear(..., N)` / `Dense(N)` number can be changed by one character (the edit
benchmark changes those).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATED = os.path.join(HERE, "generated")

ACTS_TORCH = ["nn.ReLU()", "nn.GELU()", "nn.SiLU()", "nn.Tanh()", "nn.LeakyReLU(0.1)", "nn.ReLU(inplace=True)"]
ACTS_KERAS = ["relu", "gelu", "tanh", "swish", "elu"]
WORDS = ["encoder", "decoder", "stem", "head", "tower", "block", "probe", "student", "teacher", "critic",
         "actor", "backbone", "classifier", "regressor", "tiny", "wide", "deep", "baseline", "ablation"]
COMMENTS = [
    "# TODO: try a wider stem once the data loader is faster",
    "# NOTE: kept small on purpose, this runs on the CI box",
    "# ablation: no batch norm (see the notebook, run 14)",
    "# the paper uses 5x5 kernels here; 3x3 works as well and is cheaper",
    "# FIXME: the flatten size is hard-coded, keep it in sync with the input size",
    "# ---------------------------------------------------------------------------",
    "# baseline from last week's sweep",
]


class Writer:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.lines: list[str] = []
        self.models = 0
        # Names carry a counter that starts at seed * 100000: files generated with different seeds share
        # (almost) no statement text, so opening one after another is a cold parse each time.
        self.n = seed * 100_000

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)

    def name(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}_{self.r.choice(WORDS)}_{self.n}"

    # ------------------------------------------------------------------ pieces
    def constants(self) -> dict:
        r = self.r
        k = self.n + 1
        self.n += 1
        c = {"C": f"WIDTH_{k}", "H": f"HIDDEN_{k}", "K": f"NUM_CLASSES_{k}"}
        self.emit(f"{c['C']} = {r.choice([8, 16, 24, 32, 48, 64])}",
                  f"{c['H']} = {r.choice([64, 128, 256])}  # hidden units",
                  f"{c['K']} = {r.choice([2, 10, 37, 100])}")
        return c

    def torch_cnn(self, consts: dict | None) -> None:
        r = self.r
        name = self.name("net")
        in_ch = r.choice([1, 3])
        size = r.choice([28, 32, 64])
        width = consts["C"] if consts else str(r.choice([16, 32]))
        classes = consts["K"] if consts else str(r.choice([10, 100]))
        n_blocks = r.choice([1, 2, 2, 3])
        body = []
        ch_in, ch_expr = str(in_ch), width
        s = size
        for b in range(n_blocks):
            out = ch_expr if b == 0 else f"{width} * {2 ** b}"
            kernel = r.choice([3, 3, 5])
            pad = kernel // 2 if r.random() < 0.8 else 0
            body.append(f"    nn.Conv2d({ch_in}, {out}, kernel_size={kernel}, padding={pad}),")
            if pad == 0:
                s = s - kernel + 1
            if r.random() < 0.6:
                body.append(f"    nn.BatchNorm2d({out}),")
            body.append(f"    {r.choice(ACTS_TORCH)},")
            pool = r.choice(["nn.MaxPool2d(2)", "nn.AvgPool2d(2)", "nn.MaxPool2d(kernel_size=2, stride=2)"])
            body.append(f"    {pool},")
            s //= 2
            ch_in = out
        if r.random() < 0.3:
            body.append("    nn.AdaptiveAvgPool2d(1),")
            feat = f"{ch_in}"
        else:
            feat = f"{ch_in} * {s} * {s}"
        body.append("    nn.Flatten(),")
        if r.random() < 0.04:  # a deliberate mistake, as in a file being worked on
            feat = f"{feat} + 1"
        if r.random() < 0.3:
            body.append(f"    nn.Dropout(0.{r.randint(1, 5)}),")
        body.append(f"    nn.Linear({feat}, {classes}),")
        if r.random() < 0.5:
            self.emit(f"# shapelens: input=(N, {in_ch}, {size}, {size})", f"{name} = nn.Sequential(", *body, ")")
        else:
            self.emit(f"{name} = nn.Sequential(", *body, ")",
                      f"_ = {name}(torch.randn(1, {in_ch}, {size}, {size}))")
        self.models += 1

    def torch_mlp_function(self) -> None:
        r = self.r
        fn = self.name("make_mlp")
        d_in = r.choice([32, 64, 784])
        hidden = r.choice([64, 128, 512])
        self.emit(f"def {fn}(num_classes=10):",
                  f'    """An MLP head ({d_in} -> {hidden} -> classes)."""',
                  f"    # shapelens: input=(N, {d_in})",
                  "    layers = nn.Sequential(",
                  f"        nn.Linear({d_in}, {hidden}),",
                  f"        {r.choice(ACTS_TORCH)},",
                  f"        nn.LayerNorm({hidden}),",
                  f"        nn.Linear({hidden}, {hidden // 2}),",
                  f"        {r.choice(ACTS_TORCH)},",
                  f"        nn.Linear({hidden // 2}, 10),",
                  "    )",
                  "    return layers")
        self.models += 1

    def torch_ordered(self) -> None:
        r = self.r
        name = self.name("seq")
        d = r.choice([16, 32, 64])
        self.emit(f"# shapelens: input=(N, {d})",
                  f"{name} = nn.Sequential(OrderedDict([",
                  f'    ("fc1", nn.Linear({d}, {2 * d})),',
                  f'    ("act", {r.choice(ACTS_TORCH)}),',
                  f'    ("drop", nn.Dropout(0.2)),',
                  f'    ("fc2", nn.Linear({2 * d}, 10)),',
                  "]))")
        self.models += 1

    def keras_list(self, consts: dict | None) -> None:
        r = self.r
        name = self.name("kmodel")
        size = r.choice([28, 32])
        ch = r.choice([1, 3])
        width = consts["C"] if consts else str(r.choice([16, 32]))
        body = [f"    keras.Input(shape=({size}, {size}, {ch})),"]
        for b in range(r.choice([1, 2])):
            body.append(f'    layers.Conv2D({width} * {b + 1}, 3, padding="same", activation="{r.choice(ACTS_KERAS)}"),')
            body.append(f"    layers.{r.choice(['MaxPooling2D', 'AveragePooling2D'])}(2),")
        if r.random() < 0.4:
            body.append("    layers.BatchNormalization(),")
        body.append(f"    layers.{r.choice(['Flatten', 'GlobalAveragePooling2D'])}(),")
        body.append(f"    layers.Dense({r.choice([10, 100])}, activation=\"softmax\"),")
        self.emit(f"{name} = keras.Sequential([", *body, f'], name="{name}")')
        self.models += 1

    def keras_add(self) -> None:
        r = self.r
        name = self.name("kseq")
        d = r.choice([20, 64, 100])
        self.emit(f"{name} = keras.Sequential()",
                  f"{name}.add(layers.Dense({r.choice([32, 64, 128])}, activation=\"relu\"))",
                  f"{name}.add(layers.Dropout(0.3))",
                  f"{name}.add(layers.Dense(10))",
                  f"{name}.build((None, {d}))")
        self.models += 1

    def helper(self) -> None:
        r = self.r
        fn = self.name("count")
        self.emit(f"def {fn}(model):",
                  '    """Number of trainable parameters."""',
                  "    total = 0",
                  "    for p in model.parameters():",
                  "        if p.requires_grad:",
                  f"            total += p.numel() * {r.randint(1, 3)}",
                  "    return total")

    def comment(self) -> None:
        self.emit(self.r.choice(COMMENTS))


HEADER = [
    '"""Model zoo for the sweep: many small torch and keras models side by side (generated)."""',
    "from collections import OrderedDict",
    "",
    "import keras",
    "import torch",
    "import torch.nn as nn",
    "from keras import layers",
    "",
]


def large_file(seed: int = 0, lines: int = 3000) -> str:
    w = Writer(seed)
    w.emit(*HEADER)
    consts = None
    while len(w.lines) < lines:
        r = w.r.random()
        if r < 0.06:
            consts = w.constants()
        elif r < 0.08:
            w.helper()
        elif r < 0.12:
            w.comment()
        elif r < 0.44:
            w.torch_cnn(consts)
        elif r < 0.51:
            w.torch_mlp_function()
        elif r < 0.62:
            w.torch_ordered()
        elif r < 0.80:
            w.keras_list(consts)
        else:
            w.keras_add()
        w.emit("")
    return "\n".join(w.lines) + "\n"


def small_file(seed: int = 0) -> str:
    w = Writer(seed)
    w.emit(*HEADER)
    consts = w.constants()
    w.emit("")
    w.torch_cnn(consts)
    w.emit("")
    w.keras_list(consts)
    w.emit("")
    w.helper()
    return "\n".join(w.lines) + "\n"


def tree_file(seed: int) -> str:
    w = Writer(seed)
    w.emit(*HEADER)
    consts = None
    for _ in range(w.r.randint(2, 5)):
        pick = w.r.random()
        if pick < 0.2:
            consts = w.constants()
        elif pick < 0.6:
            w.torch_cnn(consts)
        elif pick < 0.7:
            w.torch_mlp_function()
        elif pick < 0.9:
            w.keras_list(consts)
        else:
            w.keras_add()
        w.emit("")
    w.helper()
    return "\n".join(w.lines) + "\n"


def write_tree(root: str, n: int = 1000, per_dir: int = 50) -> int:
    """n files in root/pkg_XX/ (per_dir each). Rewrites only if the count differs."""
    existing = sum(len([f for f in fs if f.endswith(".py")]) for _, _, fs in os.walk(root)) if os.path.isdir(root) else 0
    if existing == n:
        return n
    if os.path.isdir(root):
        import shutil

        shutil.rmtree(root)
    for i in range(n):
        d = os.path.join(root, f"pkg_{i // per_dir:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"models_{i:04d}.py"), "w") as f:
            f.write(tree_file(10_000 + i))
    return n


_LINEAR_RE = re.compile(r"(nn\.Linear\([^()]*,\s*)(\d+)(\),?\s*$)|(layers\.Dense\()(\d+)")


def edit_targets(text: str) -> list[tuple[int, int]]:
    """(0-based line, 0-based column) of the last digit of a layer's size argument (Linear out_features
    given as a number, Dense units), one per layer line: a one-character change there changes the
    layer's parameter count and output shape."""
    out = []
    for i, line in enumerate(text.splitlines()):
        m = _LINEAR_RE.search(line)
        if not m:
            continue
        if m.group(2):
            out.append((i, m.end(2) - 1))
        else:
            out.append((i, m.end(5) - 1))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--out", default=GENERATED)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    text = large_file(0, args.lines)
    with open(os.path.join(args.out, "large.py"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "small.py"), "w") as f:
        f.write(small_file(1))
    write_tree(os.path.join(args.out, "tree"), args.files)
    print(f"large.py: {text.count(chr(10))} lines; tree: {args.files} files in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
