"""The numbers inside small tensors (analysis/interp/tensor_values.py), judged by torch 2.13 itself: float32
rounding reproduced exactly for + - * /, intervals that contain torch's log and pow, and torchvision's RegNet
width rule (arange, log, round, pow, divide, int, tolist, diff) giving torch's widths for generated settings."""
from __future__ import annotations

import math
import struct
import textwrap
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.analysis.interp import tensor_values as TV
from shapelens.guard import analyse_text

torch = pytest.importorskip("torch")

FLOATS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, width=32)


@given(st.floats(allow_nan=False, allow_infinity=False))
@settings(max_examples=300, deadline=None)
def test_rounding_to_float32_is_the_hardware_s(x):
    try:
        expected = struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        assert TV.round_f32(Fraction(x)) is None
        return
    if math.isinf(expected):
        return
    assert TV.round_f32(Fraction(x)) == expected


@given(FLOATS, FLOATS, st.sampled_from(["+", "-", "*", "/"]))
@settings(max_examples=300, deadline=None)
def test_float32_arithmetic_is_torch_s_bit_for_bit(a, b, op):
    if op == "/" and b == 0:
        return
    real = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}[op](
        torch.tensor([a], dtype=torch.float32), torch.tensor([b], dtype=torch.float32)).item()
    mine = TV.arith(op, a, b)
    if math.isinf(real):
        assert mine is None
        return
    assert isinstance(mine, float) and mine == real


@given(st.floats(min_value=0.0625, max_value=1e4, width=32), st.floats(min_value=-3, max_value=3, width=32))
@settings(max_examples=300, deadline=None)
def test_log_and_pow_intervals_hold_torch_s_result(x, e):
    log = TV.monotone(math.log, x)
    real_log = torch.log(torch.tensor([x], dtype=torch.float32)).item()
    assert log.lo <= real_log <= log.hi
    p = TV.power(TV.to_f32(x), e)
    real_pow = torch.pow(torch.tensor([x], dtype=torch.float32), torch.tensor([e], dtype=torch.float32)).item()
    if math.isfinite(real_pow) and p is not None:
        assert p.lo <= real_pow <= p.hi


REGNET = textwrap.dedent("""\
    import math
    import torch
    import torch.nn as nn

    def widths(depth, w_0, w_a, w_m, QUANT=8):
        # torchvision.models.regnet.BlockParams.from_init_params, torchvision 0.28
        widths_cont = torch.arange(depth) * w_a + w_0
        block_capacity = torch.round(torch.log(widths_cont / w_0) / math.log(w_m))
        block_widths = (torch.round(torch.divide(w_0 * torch.pow(w_m, block_capacity), QUANT)) * QUANT).int().tolist()
        splits = [w != wp for w, wp in zip(block_widths + [0], [0] + block_widths)]
        stage_depths = torch.diff(torch.tensor([d for d, t in enumerate(splits) if t])).int().tolist()
        return block_widths + stage_depths

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(w, 1) for w in widths(DEPTH, W0, WA, WM)])

        def forward(self, x):
            return x

    # shapelens: input=(1, 4)
    model = Net()
""")


@given(st.integers(1, 28), st.integers(1, 24).map(lambda k: 8 * k), st.floats(8.0, 120.0), st.floats(1.5, 3.2))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_regnet_widths_are_torch_s_or_unknown(depth, w_0, w_a, w_m):
    """Every width shapelens gives is torch's; an interval on a rounding boundary gives ? (never a near miss)."""
    w_a, w_m = round(w_a, 2), round(w_m, 2)
    source = REGNET.replace("DEPTH", str(depth)).replace("W0", str(w_0)).replace("WA", repr(w_a)) \
        .replace("WM", repr(w_m))
    ns: dict = {}
    exec(compile(source, "<regnet>", "exec"), ns)  # noqa: S102 - our own snippet
    real = [layer.in_features for layer in ns["model"].layers]
    [m] = analyse_text(source, "<regnet-values>").models
    mine = [None if l.params is None else l.params - 1 for l in m.layers if l.type == "Linear"]
    assert all(a is None or a == b for a, b in zip(mine, real)), (mine, real)
    assert len(mine) == len(real) or not mine


# torchvision's RegNet settings (depth, w_0, w_a, w_m) of regnet_y_400mf ... regnet_x_800mf
TORCHVISION_SETTINGS = [(16, 48, 27.89, 2.09), (14, 56, 38.84, 2.4), (27, 48, 20.71, 2.65), (21, 80, 42.63, 2.66),
                        (17, 192, 76.82, 2.19), (18, 200, 106.23, 2.48), (20, 232, 115.89, 2.53),
                        (22, 24, 24.48, 2.54), (16, 56, 35.73, 2.28), (13, 24, 36.44, 2.49)]


@pytest.mark.parametrize("depth,w_0,w_a,w_m", TORCHVISION_SETTINGS)
def test_torchvision_regnet_widths_are_all_known_and_torch_s(depth, w_0, w_a, w_m):
    source = REGNET.replace("DEPTH", str(depth)).replace("W0", str(w_0)).replace("WA", repr(w_a)) \
        .replace("WM", repr(w_m))
    ns: dict = {}
    exec(compile(source, "<regnet>", "exec"), ns)  # noqa: S102 - our own snippet
    [m] = analyse_text(source, "<regnet-values>").models
    assert [l.params - 1 for l in m.layers if l.type == "Linear"] == [l.in_features for l in ns["model"].layers]
