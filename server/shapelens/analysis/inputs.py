"""Where a model's input shape comes from.

PyTorch: a `# shapelens: input=(1, 3, 224, 224)` directive on the model's line or the line above; an
example input passed to the model in the file (`model(torch.randn(1, 3, 32, 32))`, also
zeros/ones/rand/empty, sizes as a tuple or as varargs); a torchinfo `summary(model, input_size=...)`
(batch included) or torchsummary `summary(model, (3, 32, 32))` (batch excluded); else the editor's
default setting. Keras: `keras.Input(shape=)` / `InputLayer(shape=|input_shape=|batch_shape=)` as the
first layer, `input_shape=` / `input_dim=` on the first layer, or a later `model.build(...)`.
"""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, Optional

import libcst as cst

from .imports import dotted
from .shapes import Shape
from .values import Scope, child_nodes, evaluate

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Analyzer, ModelBuilder

DIRECTIVE_RE = re.compile(r"#\s*shapelens:\s*input\s*=\s*(\(.*\)|\[.*\])")


def model_input(an: "Analyzer", m: "ModelBuilder") -> tuple[Optional[Shape], Optional[str]]:
    shape = directive_input(an, m)
    if shape is not None:
        return shape, "directive"
    if m.framework == "keras":
        return keras_input(an, m)
    found = example_input(an, m)
    if found is not None:
        return found
    if an.options.default_torch_input:
        return Shape.of(an.options.default_torch_input), "setting"
    return None, None


def directive_input(an: "Analyzer", m: "ModelBuilder") -> Optional[Shape]:
    line = m.ref.chunk.span(m.ref.node).line
    first = line
    if m.name_ref is not None:
        first = min(first, m.name_ref.chunk.span(m.name_ref.node).line)
    for ln in (first, first - 1, line):
        if 0 < ln <= len(an.lines):
            match = DIRECTIVE_RE.search(an.lines[ln - 1])
            if match:
                return _parse_dims(match.group(1), getattr(m, "scope", None))
    return None


@functools.lru_cache(maxsize=1024)
def _parse_directive(text: str) -> Optional[cst.BaseExpression]:
    try:
        return cst.parse_expression(text)
    except Exception:
        return None


def _parse_dims(text: str, scope: Optional[Scope]) -> Optional[Shape]:
    node = _parse_directive(text)  # nodes are immutable: one parse per directive text
    if node is None:
        return None
    if not isinstance(node, (cst.Tuple, cst.List)):
        return None
    dims: list = []
    for el in node.elements:
        v = el.value
        if isinstance(v, cst.Name) and v.value != "None":
            known = evaluate(v, scope) if scope is not None else None
            dims.append(known if isinstance(known, int) and not isinstance(known, bool) else v.value)
        elif isinstance(v, cst.Name):
            dims.append(None)
        else:
            value = evaluate(v, scope or Scope())
            dims.append(value if isinstance(value, int) and not isinstance(value, bool) else "?")
    return Shape.of(dims)


def _sizes(values: list) -> Optional[list]:
    if len(values) == 1 and isinstance(values[0], (tuple, list)):
        values = list(values[0])
    if values and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        return values
    return None


def example_input(an: "Analyzer", m: "ModelBuilder") -> Optional[tuple]:
    target = dotted(m.name_ref.node) if m.name_ref is not None else None
    if not target:
        return None
    scope = getattr(m, "scope", None) or Scope()
    finder = _ExampleFinder(an, target, scope)
    if an.tensor_assignments is None:  # once per analysis, not once per model
        an.tensor_assignments = _tensor_assignments(an)
    finder.tensors = an.tensor_assignments
    last = target.split(".")[-1]
    for chunk in an.chunks:
        if chunk.module is None or last not in chunk.text:
            continue
        # Every call of the chunk in source order (what a CSTVisitor would visit), the first hit wins.
        stack = [chunk.module]
        while stack:
            node = stack.pop()
            if type(node) is cst.Call:
                finder.visit_call(node)
                if finder.found:
                    return finder.found
            children = child_nodes(node)
            if children:
                children.reverse()
                stack.extend(children)
    return None


class _ExampleFinder:
    def __init__(self, an: "Analyzer", target: str, scope: Scope) -> None:
        self.an, self.target, self.scope = an, target, scope
        self.found: Optional[tuple] = None
        self.tensors: dict = {}

    def visit_call(self, node: cst.Call) -> None:
        func = dotted(node.func)
        if func == self.target and node.args:
            shape = self.tensor_shape(node.args[0].value)
            if shape:
                self.found = (Shape.of(shape), "example input")
        elif func is not None and func.split(".")[-1] == "summary" and node.args and dotted(node.args[0].value) == self.target:
            self.summary_call(node, func)

    def tensor_shape(self, node) -> Optional[list]:
        if isinstance(node, cst.Name) and node.value in self.tensors:  # x = torch.randn(...); model(x)
            node = self.tensors[node.value]
        if not isinstance(node, cst.Call):
            return None
        qual = self.an.aliases.qualify(node.func)
        from .engine import TENSOR_FACTORIES

        if qual not in TENSOR_FACTORIES:
            return None
        args = [a for a in node.args if a.keyword is None and not a.star]
        size_kw = [a for a in node.args if a.keyword is not None and a.keyword.value == "size"]
        if qual == "torch.randint":  # randint(low, high, size) / randint(high, size)
            values = [evaluate(a.value, self.scope) for a in (size_kw or args[-1:])]
        elif qual in ("torch.full", "torch.normal"):
            values = [evaluate(a.value, self.scope) for a in (size_kw or args[:1])]
        else:
            values = [evaluate(a.value, self.scope) for a in (size_kw or args)]
        return _sizes(values)

    def summary_call(self, node: cst.Call, func: str) -> None:
        qual = self.an.aliases.qualify(node.func) or func
        size_arg = None
        for i, a in enumerate(node.args):
            if (a.keyword is None and i == 1) or (a.keyword is not None and a.keyword.value == "input_size"):
                size_arg = a.value
        if size_arg is None:
            return
        sizes = _sizes([evaluate(size_arg, self.scope)])
        if not sizes:
            return
        if qual.startswith("torchsummary"):  # torchsummary's input_size excludes the batch dimension
            self.found = (Shape.of(["N"] + sizes), "torchsummary summary()")
        else:
            self.found = (Shape.of(sizes), "torchinfo summary()")


def _tensor_assignments(an: "Analyzer") -> dict:
    """`name = torch.randn(...)`-style assignments anywhere in the file (the first one of a name wins).
    Assignments are statements: the walk goes through statements and blocks, never into expressions."""
    found: dict = {}
    for chunk in an.chunks:
        if chunk.module is None or "torch." not in chunk.text:
            continue
        stack = [chunk.module]
        while stack:
            node = stack.pop()
            if type(node) is cst.Assign:
                if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and \
                        isinstance(node.value, cst.Call):
                    found.setdefault(node.targets[0].target.value, node.value)
                continue
            children = [c for c in child_nodes(node) if not isinstance(c, cst.BaseExpression)]
            if children:
                children.reverse()
                stack.extend(children)
    return found

def keras_input(an: "Analyzer", m: "ModelBuilder") -> tuple[Optional[Shape], Optional[str]]:
    for bn in m.input_items:
        shape = _keras_input_call(bn.node, bn.scope)
        if shape is not None:
            return shape, "Input"
    if m.items:
        first = m.items[0]
        call = first.ref.node
        if isinstance(call, cst.Call):
            scope = getattr(first, "scope", None) or Scope()
            for a in call.args:
                if a.keyword is None:
                    continue
                kw = a.keyword.value
                v = evaluate(a.value, scope)
                if kw == "input_shape" and _shape_tuple(v) is not None:
                    return Shape.of([None] + _shape_tuple(v)), "input_shape="
                if kw == "input_dim" and isinstance(v, int):
                    return Shape.of([None, v]), "input_dim="
    if m.build_shape is not None:
        dims = _shape_tuple(m.build_shape)
        if dims is not None:
            return Shape.of(dims), "model.build()"
    return None, None


def _shape_tuple(v: Any) -> Optional[list]:
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v,)
    if not isinstance(v, (tuple, list)):
        return None
    if all(x is None or (isinstance(x, int) and not isinstance(x, bool)) for x in v):
        return list(v)
    return None


def _keras_input_call(call: cst.Call, scope: Scope) -> Optional[Shape]:
    kws = {a.keyword.value: evaluate(a.value, scope) for a in call.args if a.keyword is not None}
    positional = [evaluate(a.value, scope) for a in call.args if a.keyword is None and not a.star]
    batch = kws.get("batch_size")
    batch = batch if isinstance(batch, int) else None
    if "batch_shape" in kws and _shape_tuple(kws["batch_shape"]) is not None:
        return Shape.of(_shape_tuple(kws["batch_shape"]))
    shape = kws.get("shape", kws.get("input_shape", positional[0] if positional else None))
    dims = _shape_tuple(shape)
    if dims is None:
        return None
    return Shape.of([batch] + dims)
