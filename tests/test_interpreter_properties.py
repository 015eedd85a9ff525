"""Generated programs that build one model through a mix of the idioms real code uses (helper functions
returning a layer, a list or a Sequential; loops appending to lists; add_module with f-string names;
ModuleList iterated in forward(); OrderedDict; a block class used several times; a builder function with
defaults) — each program is analysed by shapelens and run by real torch, and every layer and total must
agree (tests/realcheck.py)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from realcheck import check_against_frameworks

WIDTHS = st.sampled_from([2, 3, 4, 6, 8])
STAGE = st.tuples(st.sampled_from(["helper_layer", "helper_list", "helper_seq", "loop_append", "block_class",
                                   "add_module_loop", "ordered_dict"]),
                  WIDTHS, st.integers(min_value=1, max_value=3))
CONTAINER = st.sampled_from(["sequential", "modulelist_forward", "builder_function"])

PRELUDE = '''\
import torch
import torch.nn as nn
from collections import OrderedDict


def linear_relu(i, o):
    return nn.Linear(i, o)


def linear_list(i, o, n):
    layers = []
    for _ in range(n):
        layers.append(nn.Linear(i, o))
        layers.append(nn.ReLU())
        i = o
    return layers


def linear_seq(i, o, n=1):
    return nn.Sequential(*linear_list(i, o, n))


class Block(nn.Module):
    def __init__(self, i, o, depth=1):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.extra = nn.ModuleList([nn.Linear(o, o) for _ in range(depth - 1)])
        self.act = nn.Tanh()

    def forward(self, x):
        x = self.act(self.fc(x))
        for layer in self.extra:
            x = layer(x)
        return x


def add_module_seq(i, o, n):
    seq = nn.Sequential()
    for k in range(n):
        seq.add_module(f"fc{k}", nn.Linear(i, o))
        i = o
    return seq


def ordered(i, o):
    return nn.Sequential(OrderedDict([("fc", nn.Linear(i, o)), ("act", nn.ReLU())]))
'''


def stage_source(kind: str, i: int, o: int, n: int) -> tuple:
    """(expression or starred expression making the stage, the width after it)."""
    if kind == "helper_layer":
        return f"linear_relu({i}, {o})", o
    if kind == "helper_list":
        return f"*linear_list({i}, {o}, {n})", o
    if kind == "helper_seq":
        return f"linear_seq({i}, {o}, n={n})", o
    if kind == "loop_append":
        return f"*[nn.Linear({i} if k == 0 else {o}, {o}) for k in range({n})]", o
    if kind == "block_class":
        return f"Block({i}, {o}, depth={n})", o
    if kind == "add_module_loop":
        return f"add_module_seq({i}, {o}, {n})", o
    return f"ordered({i}, {o})", o


def program(stages: list, container: str, first: int) -> str:
    parts, width = [], first
    for kind, o, n in stages:
        expr, width = stage_source(kind, width, o, n)
        parts.append(expr)
    joined = ",\n        ".join(parts)
    if container == "sequential":
        body = f"model = nn.Sequential(\n        {joined},\n)\n"
    elif container == "modulelist_forward":
        body = (f"class Net(nn.Module):\n"
                f"    def __init__(self):\n"
                f"        super().__init__()\n"
                f"        self.stages = nn.ModuleList([\n        {joined},\n        ])\n"
                f"    def forward(self, x):\n"
                f"        for stage in self.stages:\n"
                f"            x = stage(x)\n"
                f"        return x\n\n\n"
                f"model = Net()\n")
    else:
        body = (f"def build(extra=None):\n"
                f"    layers = [\n        {joined},\n    ]\n"
                f"    if extra is not None:\n"
                f"        layers.append(extra)\n"
                f"    return nn.Sequential(*layers)\n\n\n"
                f"model = build()\n")
    return PRELUDE + f"\n# shapelens: input=(2, {first})\n" + body


@settings(max_examples=40, deadline=None)
@given(stages=st.lists(STAGE, min_size=1, max_size=4), container=CONTAINER, first=WIDTHS)
def test_generated_programs_match_torch(stages, container, first):
    source = program(stages, container, first)
    models = check_against_frameworks(source, only=("model",))
    assert any(m.name == "model" for m in models), [m.name for m in models]
    assert all(m.total_params is not None for m in models if m.name == "model")
