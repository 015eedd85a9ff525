"""SL203: BatchNorm on one value per channel raises in training mode only (torch 2.13,
F._verify_batch_size / _verify_spatial_size): a warning, never an error, and only when the real module raises."""
from __future__ import annotations

import textwrap

import pytest
import torch

from shapelens.analysis.engine import analyze_source

CASES = {
    "bn1d_batch_one": ("# shapelens: input=(1, 64)\nmodel = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32))",
                       (1, 64)),
    "bn2d_one_by_one": ("# shapelens: input=(1, 8, 4, 4)\nmodel = nn.Sequential(nn.Conv2d(8, 8, 4), nn.BatchNorm2d(8))",
                        (1, 8, 4, 4)),
    "bn2d_batch_two": ("# shapelens: input=(2, 8, 4, 4)\nmodel = nn.Sequential(nn.Conv2d(8, 8, 4), nn.BatchNorm2d(8))",
                       (2, 8, 4, 4)),
    "bn2d_spatial_two": ("# shapelens: input=(1, 8, 5, 5)\nmodel = nn.Sequential(nn.Conv2d(8, 8, 4), nn.BatchNorm2d(8))",
                         (1, 8, 5, 5)),
}


def _raises_in_training(model, shape) -> bool:
    model.train()
    try:
        model(torch.zeros(shape))
    except ValueError as e:
        assert "Expected more than 1 value per channel" in str(e)
        return True
    return False


@pytest.mark.parametrize("name", sorted(CASES))
def test_sl203_exactly_when_training_mode_raises(name):
    body, shape = CASES[name]
    source = "import torch.nn as nn\n" + textwrap.dedent(body) + "\n"
    ns: dict = {}
    exec(source, ns)
    raises = _raises_in_training(ns["model"], shape)
    ns["model"].eval()
    ns["model"](torch.zeros(shape))   # eval mode: always fine
    result = analyze_source(source, "<bn>")
    found = [d for d in result.diagnostics if d.code == "SL203"]
    assert bool(found) == raises, (name, [(d.code, d.message) for d in result.diagnostics])
    assert all(d.severity == "warning" for d in found)
    assert not [d for d in result.diagnostics if d.severity == "error"]
    if found:
        assert found[0].span.line == 3   # the BatchNorm's line, where the fix goes
