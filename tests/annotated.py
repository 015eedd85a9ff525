"""Annotated-source tests, rust-analyzer style: the expectation sits in a comment on the line it is about.

    nn.Conv2d(1, 32, 5),        # => (N, 32, 24, 24) 832
    nn.Linear(512, 10),         # !! SL106

`# => SHAPE PARAMS` asserts the output shape (as printed) and the parameter count of the layer that
starts on that line; `# !! CODE` asserts a diagnostic with that code starting on that line; a
`# models: a, b` line asserts the names of the models found, in order. Expected values are worked
out by hand (or from the real framework), never copied from shapelens' output.
"""
from __future__ import annotations

import re

from shapelens.analysis import analyze_source

HINT = re.compile(r"#\s*=>\s*(\(.*?\)|\?)\s+([\d,?]+)(?:\s|$)")
DIAG = re.compile(r"!!\s*((?:SL\d+[ ,]*)+)")
MODELS = re.compile(r"#\s*models:\s*(.*)$")


def check(source: str, strict_diagnostics: bool = True):
    result = analyze_source(source, "<test>")
    lines = source.splitlines()
    layers_by_line = {}
    for m in result.models:
        for layer in m.layers:
            layers_by_line.setdefault(layer.span.line, layer)
    checked = 0
    for number, line in enumerate(lines, 1):
        hint = HINT.search(line)
        if hint:
            layer = layers_by_line.get(number)
            assert layer is not None, f"line {number}: no layer found for annotation: {line.strip()}"
            shape = layer.output_shape.text() if layer.output_shape else "?"
            params = "?" if layer.params is None else f"{layer.params:,}"
            assert (shape, params) == (hint.group(1), hint.group(2)), \
                f"line {number}: expected {hint.group(1)} {hint.group(2)}, got {shape} {params} ({line.strip()})"
            checked += 1
        models = MODELS.search(line)
        if models:
            expected = [n.strip() for n in models.group(1).split(",") if n.strip()]
            assert [m.name for m in result.models] == expected
            checked += 1
    expected_diags = set()
    for number, line in enumerate(lines, 1):
        d = DIAG.search(line)
        if d:
            for code in re.findall(r"SL\d+", d.group(1)):
                expected_diags.add((number, code))
    got = {(d.span.line, d.code) for d in result.diagnostics if d.severity != "info"}
    if strict_diagnostics:
        assert got == expected_diags, f"diagnostics: expected {sorted(expected_diags)}, got " \
                                      f"{sorted((d.span.line, d.code, d.message) for d in result.diagnostics)}"
    else:
        assert expected_diags <= got
    assert checked or expected_diags, "the annotated source asserts nothing"
    return result
