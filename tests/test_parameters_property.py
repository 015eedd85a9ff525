"""Issue #16's property: for generated torch models that mix shared modules, tied weights and freezing
(in every spelling: requires_grad_(False) on a module, `p.requires_grad = False` in a loop over
parameters(), on one tensor), shapelens' rows and its three totals equal what torch counts
(tests/realcheck.py: parameters(recurse=False) per module, model.parameters() for the totals, which count
a shared or tied tensor once)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realcheck import check_against_frameworks

WIDTH = 6


@st.composite
def programs(draw):
    n = draw(st.integers(2, 5))
    lines = ["import torch.nn as nn", "", "", "class Net(nn.Module):", "    def __init__(self):",
             "        super().__init__()"]
    names = []
    for i in range(n):
        kind = draw(st.sampled_from(["lin", "lin", "seq", "shared", "norm"]))
        name = f"m{i}"
        if kind == "shared" and names:
            lines.append(f"        self.{name} = self.{draw(st.sampled_from(names))}")   # one object, two places
        elif kind == "seq":
            lines.append(f"        self.{name} = nn.Sequential(nn.Linear({WIDTH}, {WIDTH}), nn.ReLU(), "
                         f"nn.LayerNorm({WIDTH}))")
        elif kind == "norm":
            lines.append(f"        self.{name} = nn.LayerNorm({WIDTH})")
        else:
            bias = draw(st.booleans())
            lines.append(f"        self.{name} = nn.Linear({WIDTH}, {WIDTH}, bias={bias})")
        names.append(name)
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(names))
        how = draw(st.sampled_from(["module", "loop", "weight", "tie"]))
        if how == "module":
            flag = draw(st.booleans())
            lines.append(f"        self.{target}.requires_grad_({flag})")
        elif how == "loop":
            lines += [f"        for p in self.{target}.parameters():", "            p.requires_grad = False"]
        elif how == "weight":
            lines.append(f"        for p in list(self.{target}.parameters())[:1]:")
            lines.append("            p.requires_grad_(False)")
        else:
            other = draw(st.sampled_from(names))
            lines.append(f"        if isinstance(self.{target}, nn.Linear) and isinstance(self.{other}, nn.Linear):")
            lines.append(f"            self.{target}.weight = self.{other}.weight   # tied")
    lines += ["", "    def forward(self, x):"]
    for name in names:
        lines.append(f"        x = self.{name}(x)")
    lines += ["        return x", "", "", f"# shapelens: input=(2, {WIDTH})", "model = Net()", ""]
    return "\n".join(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_shared_tied_and_frozen_parameters_count_as_torch_counts(source):
    models = check_against_frameworks(source)   # rows and the three totals, or it raises
    assert models and all(m.total_params is not None for m in models), source
