"""Where a model class's input shape comes from, and the instantiations (sites) of the file's classes.

A site is a call of a model class outside the classes (`model = Net(num_classes=5)`); its arguments
build the instance the record describes. The input shape, first found wins: a `# shapelens: input=(...)`
directive on the class line or the line above it (or on the site's line), an example call of the
instance (`model(torch.randn(1, 3, 32, 32))`, `Net()(x)`), a torchinfo/torchsummary `summary(...)`, a
Keras `model.build(shape)`, else the editor's default setting (PyTorch).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

from .flow_calls import MODULE_SELF_METHODS
from .flow_interp import Frame
from .flow_objects import ClassInfo, Tensor
from .imports import dotted
from .inputs import DIRECTIVE_RE, _parse_dims
from .shapes import Shape
from .source import Chunk
from .values import Scope, _MISSING, child_nodes, identifiers


@dataclass
class Site:
    cls: ClassInfo
    call: cst.Call
    chunk: Chunk
    scope: Scope
    line: int                          # the statement's first line (for a directive)
    examples: list = field(default_factory=list)    # (args, chunk, scope) of calls of the instance
    summary: Optional[tuple] = None    # (size node, chunk, scope, qualified summary function)
    build: Optional[tuple] = None      # (shape node, chunk, scope) of model.build(...)

    def arguments(self, it) -> tuple:
        return it.args(self.call, Frame({}, self.chunk, self.scope))


def first_site(flow, info: ClassInfo) -> Optional[Site]:
    for site in flow.sites:
        if site.cls is info:
            return site
    return None


# ---------------------------------------------------------------- observing module-level statements

def observe(flow, s, chunk: Chunk, scope: Scope) -> None:
    """Record instantiations of the file's model classes and example calls / summary() / build() of them."""
    if not flow.classes:
        return
    finder = _SiteFinder(flow, chunk, scope)
    # The calls of the statement in source order (what a CSTVisitor would visit), not inside lambdas.
    # A call matters only when it names a model class or a name bound to an instance (a Site): a statement
    # whose text has neither is not walked.
    idents = identifiers(chunk.text)
    walk = idents is None or not idents.isdisjoint(flow.classes) or not idents.isdisjoint(flow.env_names)
    stack = [s] if walk else []
    while stack:
        node = stack.pop()
        t = type(node)
        if t is cst.Call:
            finder.visit_Call(node)
        elif t is cst.Lambda or t is cst.FunctionDef:
            continue
        children = child_nodes(node)
        if children:
            children.reverse()
            stack.extend(children)
    if isinstance(s, cst.Assign) and isinstance(s.value, cst.Call):
        site = finder.site_of(_unwrap(s.value))
        env = flow.env(scope)
        for t in s.targets:
            name = dotted(t.target)
            if name and site is not None:
                env[name] = site
            elif name and isinstance(env.get(name), Site):
                del env[name]


def _unwrap(call: cst.Call) -> cst.BaseExpression:
    """`Net().to(device).eval()` is the Net() instance."""
    node: cst.BaseExpression = call
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
            node.func.attr.value in MODULE_SELF_METHODS:
        node = node.func.value
    return node


class _SiteFinder:
    def __init__(self, flow, chunk: Chunk, scope: Scope) -> None:
        self.flow, self.chunk, self.scope = flow, chunk, scope
        self.made: dict = {}

    def site_of(self, node) -> Optional[Site]:
        if isinstance(node, cst.Call):
            node = _unwrap(node)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            info = self.flow.classes.get(node.func.value)
            if info is not None and self.scope.lookup(node.func.value) is _MISSING:
                return self.new_site(info, node)
        if isinstance(node, (cst.Name, cst.Attribute)):
            name = dotted(node)
            v = self.flow.env_lookup(self.scope, name) if name else None
            return v if isinstance(v, Site) else None
        return None

    def new_site(self, info: ClassInfo, call: cst.Call) -> Site:
        for site in self.flow.sites:
            if site.call is call:
                return site
        site = Site(info, call, self.chunk, self.scope, self.chunk.span(call).line)
        self.flow.sites.append(site)
        return site

    def visit_Call(self, node: cst.Call) -> Optional[bool]:
        func = node.func
        if isinstance(func, cst.Name) and func.value in self.flow.classes:
            self.site_of(node)
        target = self.site_of(func) if isinstance(func, (cst.Call, cst.Name, cst.Attribute)) else None
        if target is not None and node.args:
            target.examples.append(([a for a in node.args], self.chunk, self.scope))
            return True
        if isinstance(func, cst.Attribute) and func.attr.value == "build" and node.args:
            site = self.site_of(func.value)
            if site is not None:
                site.build = (node.args[0].value, self.chunk, self.scope)
        name = dotted(func)
        if name and name.split(".")[-1] == "summary" and node.args:
            site = self.site_of(node.args[0].value)
            size = next((a.value for a in node.args if a.keyword and a.keyword.value == "input_size"),
                        node.args[1].value if len(node.args) > 1 and node.args[1].keyword is None else None)
            if site is not None and size is not None:
                site.summary = (size, self.chunk, self.scope, self.flow.an.aliases.qualify(func) or name)
        return True


# ---------------------------------------------------------------- input shapes

def class_input(flow, it, info: ClassInfo, site: Optional[Site]) -> tuple:
    """(list of input Tensors, source) for one model class."""
    shape = _directive(flow, info, site)
    if shape is not None:
        return [Tensor(shape)], "directive"
    if site is not None:
        found = _example(it, site)
        if found:
            return found, "example input"
        found = _summary(it, site)
        if found:
            return found
        if site.build is not None:
            dims = it.eval(site.build[0], Frame({}, site.build[1], site.build[2]))
            if isinstance(dims, (tuple, list)) and all(d is None or (isinstance(d, int) and not isinstance(d, bool))
                                                       for d in dims):
                return [Tensor(Shape.of(list(dims)))], "model.build()"
    default = flow.an.options.default_torch_input
    if default and info.framework == "torch":
        return [Tensor(Shape.of(default))], "setting"
    return [], None


def _directive(flow, info: ClassInfo, site: Optional[Site]) -> Optional[Shape]:
    lines = flow.an.lines
    name_line = info.chunk.span(info.node.name).line
    first = info.chunk.span(info.node).line  # decorators included
    candidates = [name_line, first - 1] + list(range(first, name_line))
    scope = info.scope
    if site is not None:
        candidates += [site.line, site.line - 1]
    for ln in candidates:
        if 0 < ln <= len(lines):
            match = DIRECTIVE_RE.search(lines[ln - 1])
            if match:
                return _parse_dims(match.group(1), scope)
    return None


def _example(it, site: Site) -> list:
    for args, chunk, scope in site.examples:
        frame = Frame({}, chunk, scope)
        values = [it.eval(a.value, frame) for a in args if a.keyword is None and not a.star]
        tensors = [v for v in values if isinstance(v, Tensor)]
        if tensors and len(tensors) == len(values) and any(t.shape is not None for t in tensors):
            return [Tensor(t.shape) for t in tensors]
    return []


def _summary(it, site: Site) -> Optional[tuple]:
    node, chunk, scope, qual = site.summary or (None, None, None, "")
    if node is None:
        return None
    dims = it.eval(node, Frame({}, chunk, scope))
    if isinstance(dims, list) and dims and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    if not isinstance(dims, (tuple, list)) or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        return None
    if qual.startswith("torchsummary"):  # torchsummary's input_size excludes the batch dimension
        return [Tensor(Shape.of(["N"] + list(dims)))], "torchsummary summary()"
    return [Tensor(Shape.of(list(dims)))], "torchinfo summary()"
