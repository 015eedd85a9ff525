"""parse → find models → resolve values → propagate shapes. The entry point is analyze_source().

The walk is statement by statement through each scope (module, function, class body), keeping the
names bound so far (constants, layer calls, lists of layers, models). A model is a Sequential call;
its layers are expanded from positional arguments, OrderedDicts, `*lists`, names and nested
Sequentials, or from later `model.add(...)` statements (Keras). Then each layer's catalog rule runs on
the shape arriving from the previous layer.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst

from ..frameworks import catalogs
from . import dataflow, units
from ..frameworks.base import BoundArgs, BoundLayer, Ctx, bind
from .imports import Aliases, dotted
from .records import Diagnostic, FileResult, LayerRecord, ModelRecord, Span
from .shapes import Shape
from .source import Chunk, drop_ast, split
from .values import Scope, Unknown, child_nodes, evaluate, first_unknown, short

TORCH_SEQUENTIAL = {"torch.nn.Sequential"}
KERAS_SEQUENTIAL = {"keras.Sequential", "keras.models.Sequential"}
KERAS_INPUTS = {"keras.Input", "keras.layers.Input", "keras.layers.InputLayer"}
TENSOR_FACTORIES = {"torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty", "torch.randint",
                    "torch.full", "torch.normal"}
MAX_UNROLL = 1000


@dataclass
class Options:
    default_torch_input: Optional[tuple] = None   # LSP setting: used when a torch model has no input
    # Analyse a large cold file in two processes (os.fork): the language server's analysis child sets
    # it, so that opening a 3,000-line file uses both cores. Results are identical either way.
    parallel: bool = False


@dataclass(frozen=True)
class NodeRef:
    """A libcst node together with the statement (chunk) it was parsed in, for its position."""

    node: cst.CSTNode
    chunk: Chunk


@dataclass
class LayerItem:
    ref: NodeRef
    qualified: Optional[str]
    name: Optional[str] = None
    depth: int = 0


@dataclass
class ModelBuilder:
    name: str
    framework: str
    ref: NodeRef
    name_ref: Optional[NodeRef] = None
    items: list = field(default_factory=list)
    input_items: list = field(default_factory=list)   # keras.Input / InputLayer refs
    consumed: bool = False       # nested in another model: not reported on its own
    build_shape: Any = None      # Keras model.build((None, ...))
    scope: Optional[Scope] = None


class Analyzer:
    """The walk over one unit of a file (units.py): its statements in file order. `lines` are the whole
    file's lines (directives are read from them)."""

    def __init__(self, lines: list[str], path: str, options: Options, chunks: list[Chunk]) -> None:
        self.path = path
        self.options = options
        self.lines = lines
        self.aliases = Aliases()
        self.models: list[ModelBuilder] = []
        self.diagnostics: list[Diagnostic] = []
        self.chunks: list[Chunk] = chunks
        self.extra_models: list[ModelRecord] = []   # modules and functional models (dataflow.py)
        self.loop_depth = 0
        self.tensor_assignments: Optional[dict] = None   # inputs.py: `x = torch.randn(...)` by name

    # ------------------------------------------------------------------ driver
    def run(self) -> tuple[list[ModelRecord], list[Diagnostic]]:
        module_scope = Scope(kind="module")
        for chunk in self.chunks:
            if chunk.module is None:
                continue
            for stmt in chunk.module.body:
                self.statement(stmt, chunk, module_scope)
        dataflow.finish(self)
        models = [self.build_record(m) for m in self.models if not m.consumed]
        return models + self.extra_models, _dedupe(self.diagnostics)

    # ------------------------------------------------------------------ statements
    def block(self, body, chunk: Chunk, scope: Scope) -> None:
        if isinstance(body, cst.SimpleStatementSuite):
            for s in body.body:
                self.small(s, chunk, scope)
            return
        for stmt in getattr(body, "body", ()):
            self.statement(stmt, chunk, scope)

    def statement(self, stmt, chunk: Chunk, scope: Scope) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for s in stmt.body:
                self.small(s, chunk, scope)
        elif isinstance(stmt, cst.FunctionDef):
            self.function(stmt, chunk, scope)
        elif isinstance(stmt, cst.ClassDef) and dataflow.class_def(self, stmt, chunk, scope):
            pass
        elif isinstance(stmt, cst.ClassDef):
            inner = Scope(parent=scope, kind="class")
            self.block(stmt.body, chunk, inner)
            scope.bind(stmt.name.value, Unknown(f"`{stmt.name.value}` is a class"))
        elif isinstance(stmt, cst.If):
            self.if_statement(stmt, chunk, scope)
        elif isinstance(stmt, cst.For):
            self.for_statement(stmt, chunk, scope)
        elif isinstance(stmt, (cst.With,)):
            self.block(stmt.body, chunk, scope)
        elif isinstance(stmt, cst.Try):
            self.block(stmt.body, chunk, scope)
        elif isinstance(stmt, cst.While):
            self.branch(stmt.body, chunk, scope, f"in a `while` loop")
        else:
            self.find_loose_models(stmt, chunk, scope)

    def function(self, fn: cst.FunctionDef, chunk: Chunk, scope: Scope) -> None:
        inner = Scope(parent=scope, kind="function")
        inner.names["<function>"] = fn.name.value
        params = fn.params
        for p in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
            inner.bind(p.name.value, Unknown(f"`{p.name.value}` is an argument of `{fn.name.value}()`, known only at run time"))
        for p in (params.star_arg, params.star_kwarg):
            if isinstance(p, cst.Param):
                inner.bind(p.name.value, Unknown(f"`{p.name.value}` is an argument of `{fn.name.value}()`"))
        self.block(fn.body, chunk, inner)
        scope.bind(fn.name.value, Unknown(f"`{fn.name.value}` is a function"))

    def if_statement(self, stmt: cst.If, chunk: Chunk, scope: Scope) -> None:
        test = evaluate(stmt.test, scope)
        if isinstance(test, Unknown) or isinstance(test, (cst.CSTNode, NodeRef)):
            why = f"assigned under the condition `{short(stmt.test)}`, known only at run time"
            self.branch(stmt.body, chunk, scope, why)
            if stmt.orelse is not None:
                orelse = stmt.orelse
                if isinstance(orelse, cst.If):
                    self.if_statement(orelse, chunk, scope)  # elif: its names get their own reason
                else:
                    self.branch(orelse.body, chunk, scope, why)
            return
        if test:
            self.block(stmt.body, chunk, scope)
        elif isinstance(stmt.orelse, cst.If):
            self.if_statement(stmt.orelse, chunk, scope)
        elif stmt.orelse is not None:
            self.block(stmt.orelse.body, chunk, scope)

    def branch(self, body, chunk: Chunk, scope: Scope, why: str) -> None:
        """A body that may or may not run: analyse it, then every name it bound is unknown after it."""
        inner = Scope(parent=scope, kind="branch")
        self.block(body, chunk, inner)
        for name in inner.names:
            scope.bind(name, Unknown(f"`{name}` is {why}"))

    def for_statement(self, stmt: cst.For, chunk: Chunk, scope: Scope) -> None:
        values = self.iteration_values(stmt.iter, scope)
        if isinstance(values, Unknown) or not isinstance(stmt.target, (cst.Name, cst.Tuple)):
            reason = values.reason if isinstance(values, Unknown) else "the loop target is not a plain name"
            self.branch(stmt.body, chunk, scope, f"built in a loop over `{short(stmt.iter)}` ({reason})")
            return
        self.loop_depth += 1
        try:
            for v in values:
                self.assign_target(stmt.target, v, chunk, scope)
                self.block(stmt.body, chunk, scope)
        finally:
            self.loop_depth -= 1

    def iteration_values(self, node, scope: Scope):
        v = evaluate(node, scope)
        if isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value in ("range", "enumerate", "zip"):
            return self.builtin_iteration(v, scope)
        if isinstance(v, (list, tuple)):
            return list(v) if len(v) <= MAX_UNROLL else Unknown("the loop is too long to unroll")
        if isinstance(v, Unknown):
            return v
        return Unknown(f"`{short(node)}` is only known at run time")

    def builtin_iteration(self, call: cst.Call, scope: Scope):
        name = call.func.value  # type: ignore[union-attr]
        args = [evaluate(a.value, scope) for a in call.args]
        if any(a.keyword is not None or a.star for a in call.args):
            return Unknown(f"`{short(call)}` is only known at run time")
        if name == "range":
            u = first_unknown(*args)
            if u:
                return u
            if not all(isinstance(a, int) for a in args) or not 1 <= len(args) <= 3:
                return Unknown(f"`{short(call)}` is not a range of integers")
            r = range(*args)
            return list(r) if len(r) <= MAX_UNROLL else Unknown("the loop is too long to unroll")
        seqs = []
        for a in args:
            if isinstance(a, cst.Call) and isinstance(a.func, cst.Name) and a.func.value == "range":
                a = self.builtin_iteration(a, scope)
            if not isinstance(a, (list, tuple)):
                return Unknown(f"`{short(call)}` is only known at run time")
            seqs.append(list(a))
        if name == "enumerate":
            return [tuple(p) for p in enumerate(seqs[0])] if len(seqs) == 1 else Unknown("enumerate with a start")
        return [tuple(p) for p in zip(*seqs)]

    def small(self, s, chunk: Chunk, scope: Scope) -> None:
        if dataflow.small_statement(self, s, chunk, scope):
            return
        if isinstance(s, (cst.Import, cst.ImportFrom)):
            self.aliases.add_import(s)
            return
        if isinstance(s, cst.Assign):
            value = self.value_of(s.value, chunk, scope, target=s.targets[0].target)
            for t in s.targets:
                self.assign_target(t.target, value, chunk, scope)
            return
        if isinstance(s, cst.AnnAssign) and s.value is not None:
            value = self.value_of(s.value, chunk, scope, target=s.target)
            self.assign_target(s.target, value, chunk, scope)
            return
        if isinstance(s, cst.AugAssign):
            self.aug_assign(s, chunk, scope)
            return
        if isinstance(s, cst.Expr) and isinstance(s.value, cst.Call):
            if self.method_call(s.value, chunk, scope):
                return
        if isinstance(s, cst.Return) and s.value is not None:
            fn = scope.lookup("<function>")
            name = f"{fn}()" if isinstance(fn, str) else "return value"
            value = self.value_of(s.value, chunk, scope, target=None, name_hint=name)
            return
        self.find_loose_models(s, chunk, scope)

    def assign_target(self, target, value: Any, chunk: Chunk, scope: Scope) -> None:
        if isinstance(target, cst.Name):
            scope.bind(target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            names = [el.value for el in target.elements]
            if isinstance(value, (tuple, list)) and len(value) == len(names):
                for t, v in zip(names, value):
                    self.assign_target(t, v, chunk, scope)
            else:
                for t in names:
                    self.assign_target(t, Unknown(f"`{short(t)}` is unpacked from a run-time value"), chunk, scope)
        elif isinstance(target, cst.Attribute):
            name = dotted(target)
            if name:
                scope.bind(name, value)

    # ------------------------------------------------------------------ values
    def value_of(self, node, chunk: Chunk, scope: Scope, target=None, name_hint: Optional[str] = None) -> Any:
        """Evaluate an assigned expression. Model constructors become ModelBuilders (named after
        their target); layer calls and lists of them become NodeRefs for later expansion."""
        if isinstance(node, cst.Call):
            qual = self.aliases.qualify(node.func)
            if qual in TORCH_SEQUENTIAL or qual in KERAS_SEQUENTIAL:
                name = dotted(target) if target is not None else None
                return self.new_model(node, qual, chunk, scope, name or name_hint, target)
        if isinstance(node, cst.ListComp):
            return self.list_comprehension(node, chunk, scope)
        v = evaluate(node, scope)
        self.find_loose_models(node, chunk, scope)
        if self.loop_depth:
            # Layers built in an unrolled loop: freeze the loop variables as they are now.
            return _freeze(v, chunk, Scope(parent=scope.parent, names=dict(scope.names), kind=scope.kind))
        return _wrap(v, chunk)

    def list_comprehension(self, node: cst.ListComp, chunk: Chunk, scope: Scope) -> Any:
        comp = node.for_in
        if comp.inner_for_in is not None or comp.ifs or comp.asynchronous is not None:
            return Unknown(f"the comprehension `{short(node)}` is too complex to unroll")
        values = self.iteration_values(comp.iter, scope)
        if isinstance(values, Unknown):
            return Unknown(f"the comprehension iterates over `{short(comp.iter)}`: {values.reason}")
        out = []
        for v in values:
            inner = Scope(parent=scope, kind="comprehension")
            self.assign_target(comp.target, v, chunk, inner)
            item = evaluate(node.elt, inner)
            if isinstance(item, cst.CSTNode):
                item = BoundNode(item, chunk, inner)
            out.append(item)
        return out

    def aug_assign(self, s: cst.AugAssign, chunk: Chunk, scope: Scope) -> None:
        if not isinstance(s.target, cst.Name):
            return
        name = s.target.value
        current = scope.lookup(name)
        rhs = self.value_of(s.value, chunk, scope)
        op = {cst.AddAssign: "+", cst.SubtractAssign: "-", cst.MultiplyAssign: "*", cst.FloorDivideAssign: "//",
              cst.DivideAssign: "/", cst.PowerAssign: "**"}.get(type(s.operator))
        if isinstance(current, list) and op == "+" and isinstance(rhs, (list, tuple)):
            scope.bind(name, current + list(rhs))
            return
        try:
            if op is None or isinstance(current, Unknown) or isinstance(rhs, Unknown):
                raise TypeError
            result = eval(f"a {op} b", {"__builtins__": {}}, {"a": current, "b": rhs})  # constants only
            if isinstance(result, int) and result.bit_length() > 4096:
                raise OverflowError
            scope.bind(name, result)
        except Exception:
            reason = rhs.reason if isinstance(rhs, Unknown) else current.reason if isinstance(current, Unknown) else \
                f"`{name} {op}= {short(s.value)}` cannot be evaluated statically"
            scope.bind(name, Unknown(reason))

    def method_call(self, call: cst.Call, chunk: Chunk, scope: Scope) -> bool:
        """model.add(layer), layers.append(layer), layers.extend([...]), model.build(shape)."""
        if not isinstance(call.func, cst.Attribute):
            return False
        owner = dotted(call.func.value)
        method = call.func.attr.value
        if owner is None:
            return False
        target = scope.lookup(owner)
        if isinstance(target, ModelBuilder):
            if method == "add" and call.args:
                self.add_items(target, call.args[0].value, chunk, scope, depth=0)
                return True
            if method == "build" and call.args:
                target.build_shape = evaluate(call.args[0].value, scope)
                return True
            return False
        if isinstance(target, list) and method in ("append", "extend", "insert") and call.args:
            arg = call.args[-1].value
            value = self.value_of(arg, chunk, scope)
            if method == "extend":
                if isinstance(value, (list, tuple)):
                    target.extend(value)
                else:
                    scope.bind(owner, Unknown(f"`{owner}` is extended with a run-time value"))
            elif method == "append":
                target.append(value)
            else:
                index = evaluate(call.args[0].value, scope)
                if isinstance(index, int):
                    target.insert(index, value)
                else:
                    scope.bind(owner, Unknown(f"`{owner}` has an insert at a run-time position"))
            return True
        return False

    def find_loose_models(self, node, chunk: Chunk, scope: Scope) -> None:
        """Models that are not assigned to a name: `return nn.Sequential(...)`, `f(nn.Sequential(...))`."""
        for call, qual in self.model_calls(node):
            line = chunk.span(call).line
            fn = scope.lookup("<function>")
            name = f"{fn}()" if isinstance(fn, str) else f"Sequential at line {line}"
            self.new_model(call, qual, chunk, scope, name, None)

    def model_calls(self, node) -> list:
        """Sequential(...) calls in `node`, outside nested functions and lambdas and outside each other, in
        source order (a direct walk: a libcst visitor costs ~20% of a Keras-heavy file's analysis)."""
        found = []
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, (cst.FunctionDef, cst.Lambda)):
                continue
            if isinstance(n, cst.Call):
                qual = self.aliases.qualify(n.func)
                if qual in TORCH_SEQUENTIAL or qual in KERAS_SEQUENTIAL:
                    found.append((n, qual))
                    continue
            stack.extend(reversed(child_nodes(n)))
        return found

    # ------------------------------------------------------------------ models
    def new_model(self, call: cst.Call, qual: str, chunk: Chunk, scope: Scope, name: Optional[str], target) -> ModelBuilder:
        framework = "torch" if qual in TORCH_SEQUENTIAL else "keras"
        ref = NodeRef(call, chunk)
        m = ModelBuilder(name or f"Sequential at line {chunk.span(call).line}", framework, ref,
                         NodeRef(target, chunk) if target is not None else None, scope=scope)
        self.models.append(m)
        self.expand_model_args(m, call, chunk, scope, depth=0)
        return m

    def expand_model_args(self, m: ModelBuilder, call: cst.Call, chunk: Chunk, scope: Scope, depth: int) -> None:
        if m.framework == "keras":
            layers_arg = None
            for i, a in enumerate(call.args):
                if (a.keyword is None and i == 0 and not a.star) or (a.keyword and a.keyword.value == "layers"):
                    layers_arg = a.value
            if layers_arg is not None:
                self.add_items(m, layers_arg, chunk, scope, depth)
            return
        for a in call.args:
            if a.keyword is not None:
                continue
            if a.star == "*":
                self.add_items(m, a.value, chunk, scope, depth, star=True)
            elif not a.star:
                self.add_items(m, a.value, chunk, scope, depth)

    def add_items(self, m: ModelBuilder, node, chunk: Chunk, scope: Scope, depth: int, star: bool = False,
                  name: Optional[str] = None) -> None:
        """Expand one argument of a model into layer items (recursively through names and lists)."""
        if isinstance(node, NodeRef):
            node, chunk = node.node, node.chunk
        if isinstance(node, BoundNode):
            node, chunk, scope = node.node, node.chunk, node.scope
        if isinstance(node, (cst.List, cst.Tuple)):
            for el in node.elements:
                self.add_items(m, el.value, chunk, scope, depth, star=isinstance(el, cst.StarredElement))
            return
        if isinstance(node, cst.ListComp):
            value = self.list_comprehension(node, chunk, scope)
            self.add_value_items(m, value, node, chunk, scope, depth)
            return
        if isinstance(node, cst.Name) or isinstance(node, cst.Attribute):
            value = scope.lookup(dotted(node) or "")
            if value is not _missing():
                self.add_value_items(m, value, node, chunk, scope, depth, name=name)
                return
        if isinstance(node, cst.Call):
            qual = self.aliases.qualify(node.func)
            if qual in TORCH_SEQUENTIAL or qual in KERAS_SEQUENTIAL:
                nested = ModelBuilder(name or "Sequential", m.framework, NodeRef(node, chunk))
                self.expand_model_args(nested, node, chunk, scope, depth + 1)
                m.items.extend(nested.items)
                return
            if qual in ("collections.OrderedDict", "OrderedDict") and node.args:
                self.add_ordered_dict(m, node.args[0].value, chunk, scope, depth)
                return
            if qual in KERAS_INPUTS:
                m.input_items.append(BoundNode(node, chunk, scope))
                return
            m.items.append(LayerItem(NodeRef(node, chunk), qual, name, depth))
            m.items[-1].scope = scope  # type: ignore[attr-defined]
            return
        m.items.append(_opaque_item(node, chunk, scope, depth, name))

    def add_value_items(self, m, value, node, chunk, scope, depth, name=None) -> None:
        if isinstance(value, ModelBuilder):
            value.consumed = True
            m.items.extend(value.items)
            if not m.items and value.input_items:
                m.input_items.extend(value.input_items)
            return
        if isinstance(value, (NodeRef, BoundNode)):
            self.add_items(m, value, chunk, scope, depth, name=name)
            return
        if isinstance(value, (list, tuple)):
            for v in value:
                if isinstance(v, (NodeRef, BoundNode, ModelBuilder)):
                    self.add_value_items(m, v, node, chunk, scope, depth)
                else:
                    m.items.append(_opaque_item(node, chunk, scope, depth, None, v))
            return
        m.items.append(_opaque_item(node, chunk, scope, depth, name, value))

    def add_ordered_dict(self, m, node, chunk, scope, depth) -> None:
        if isinstance(node, cst.Name):
            value = scope.lookup(node.value)
            if isinstance(value, NodeRef):
                node, chunk = value.node, value.chunk
        if not isinstance(node, (cst.List, cst.Tuple)):
            m.items.append(_opaque_item(node, chunk, scope, depth, None))
            return
        for el in node.elements:
            pair = el.value
            if isinstance(pair, cst.Tuple) and len(pair.elements) == 2:
                key = evaluate(pair.elements[0].value, scope)
                self.add_items(m, pair.elements[1].value, chunk, scope, depth,
                               name=key if isinstance(key, str) else None)
            else:
                m.items.append(_opaque_item(pair, chunk, scope, depth, None))

    # ------------------------------------------------------------------ records
    def build_record(self, m: ModelBuilder) -> ModelRecord:
        span = m.ref.chunk.span(m.ref.node)
        name_span = m.name_ref.chunk.span(m.name_ref.node) if m.name_ref else None
        record = ModelRecord(m.name, m.framework, span, name_span)
        from .inputs import model_input  # local: inputs imports engine types

        shape, source = model_input(self, m)
        record.input_shape, record.input_source = shape, source
        propagate(self, m, record)
        return record

    def report(self, span: Span, code: str, severity: str, message: str, related=None) -> None:
        self.diagnostics.append(Diagnostic(span, code, severity, message, related or []))


_IGNORE_RE = re.compile(r"#\s*shapelens:\s*ignore(?:\[([A-Za-z0-9_, ]+)\])?")


def filter_ignored(diags: list[Diagnostic], lines: list[str]) -> list[Diagnostic]:
    """Drop findings silenced by a `# shapelens: ignore[CODE]` comment on one of their lines."""
    kept = []
    for d in diags:
        ignored = set()
        for ln in range(d.span.line, d.span.end_line + 1):
            if 0 < ln <= len(lines) and "shapelens" in lines[ln - 1]:
                for m in _IGNORE_RE.finditer(lines[ln - 1]):
                    ignored.update(c.strip().upper() for c in (m.group(1) or "*").split(","))
        if "*" in ignored or d.code in ignored:
            continue
        kept.append(d)
    return kept


@dataclass(frozen=True)
class BoundNode:
    """A node whose names must be looked up in a particular scope (a comprehension's element)."""

    node: cst.CSTNode
    chunk: Chunk
    scope: Scope


def _missing():
    from .values import _MISSING

    return _MISSING


def _wrap(v: Any, chunk: Chunk) -> Any:
    if isinstance(v, cst.CSTNode):
        return NodeRef(v, chunk)
    if isinstance(v, list):
        return [_wrap(x, chunk) for x in v]
    if isinstance(v, tuple):
        return tuple(_wrap(x, chunk) for x in v)
    return v


def _freeze(v: Any, chunk: Chunk, snapshot: Scope) -> Any:
    if isinstance(v, cst.CSTNode):
        return BoundNode(v, chunk, snapshot)
    if isinstance(v, list):
        return [_freeze(x, chunk, snapshot) for x in v]
    if isinstance(v, tuple):
        return tuple(_freeze(x, chunk, snapshot) for x in v)
    return v


def _opaque_item(node, chunk, scope, depth, name, value=None) -> LayerItem:
    item = LayerItem(NodeRef(node, chunk), None, name, depth)
    item.scope = scope  # type: ignore[attr-defined]
    item.opaque_value = value  # type: ignore[attr-defined]
    return item


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    out = []
    for d in diags:
        key = (d.span, d.code, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# ---------------------------------------------------------------------- propagation

def propagate(an: Analyzer, m: ModelBuilder, record: ModelRecord) -> None:
    shape = record.input_shape
    origin = ""
    producer: Optional[LayerRecord] = None
    for index, item in enumerate(m.items):
        layer, origin = run_layer(an, item, m.framework, shape, index == 0, origin, producer)
        record.layers.append(layer)
        shape, producer = layer.output_shape, layer


def run_layer(an: Analyzer, item: LayerItem, framework: str, shape: Optional[Shape], is_first: bool = False,
              origin: str = "", producer: Optional[LayerRecord] = None) -> tuple:
    """Run one layer's catalog rule on the arriving shape. Returns (LayerRecord, origin of its output's
    last dim, for later messages). Findings are reported on the layer's call; a finding about the input
    points its related information at `producer`, the layer that made that input."""
    span = item.ref.chunk.span(item.ref.node)
    layer = LayerRecord(span, "?", item.name, input_shape=shape, depth=item.depth)
    rule = catalogs.get(framework).lookup(item.qualified) if item.qualified else None
    if rule is None:
        _unknown_layer(an, item, layer, framework)
        return layer, ""
    layer.type = rule.name
    ctx = _run_rule(an, rule, item, shape, is_first, origin, framework)
    layer.output_shape = ctx.out
    layer.trainable, layer.non_trainable, layer.macs = ctx.trainable, ctx.non_trainable, ctx.macs
    layer.formulas = ctx.formulas
    layer.unknown_reasons = ctx.unknown
    if ctx.layer_name:
        layer.name = ctx.layer_name
    for f in ctx.findings:
        related = []
        if f.related_to_input and producer is not None:
            made = producer.output_shape.text() if producer.output_shape else "?"
            related = [(producer.span, f"{producer.type} produces {made}")]
        an.report(span, f.code, f.severity, f.message, related)
    return layer, ctx.out_origin


def _unknown_layer(an: Analyzer, item: LayerItem, layer: LayerRecord, framework: str) -> None:
    node = item.ref.node
    if item.qualified:
        layer.type = item.qualified.rsplit(".", 1)[-1]
        what = f"`{item.qualified}` is not a layer shapelens knows"
    else:
        value = getattr(item, "opaque_value", None)
        reason = value.reason if isinstance(value, Unknown) else f"`{short(node)}` is only known at run time"
        layer.type = "?"
        what = reason
    layer.unknown_reasons = [what]
    layer.trainable = layer.non_trainable = layer.macs = None
    an.report(layer.span, "SL002", "info", f"{what}: its shape and parameters are unknown (shown as ?)")


def _bind_call(an: Analyzer, rule, call: cst.Call, scope: Scope, framework: str, depth: int = 0) -> BoundArgs:
    positional, keywords, star = [], {}, None
    for a in call.args:
        if a.star:
            star = Unknown(f"`{short(a.value)}` is unpacked at run time")
            continue
        v = evaluate(a.value, scope)
        if isinstance(v, (cst.CSTNode, NodeRef, BoundNode, list)) and _has_node(v):
            v = _layer_argument(an, v, scope, framework, depth) or \
                Unknown(f"`{short(a.value)}` is only known at run time")
        if a.keyword is None:
            positional.append(v)
        else:
            keywords[a.keyword.value] = v
    return bind(rule.signature, positional, keywords, star)


def _layer_argument(an: Analyzer, v, scope: Scope, framework: str, depth: int) -> Optional[BoundLayer]:
    """A layer call given as an argument (Bidirectional(LSTM(64))): its rule and bound arguments."""
    if isinstance(v, NodeRef):
        v = v.node
    elif isinstance(v, BoundNode):
        v, scope = v.node, v.scope
    if not isinstance(v, cst.Call) or depth > 8:
        return None
    qual = an.aliases.qualify(v.func)
    rule = catalogs.get(framework).lookup(qual) if qual else None
    if rule is None:
        return None
    bound = _bind_call(an, rule, v, scope, framework, depth + 1)
    layer = BoundLayer(rule, bound.values, frozenset(bound.given), bound.extra_kwargs)
    layer.errors = [f"{rule.name}() {e}" for e in bound.errors]  # type: ignore[attr-defined]
    if framework == "keras":
        probe = Ctx(rule, bound.values, bound.given, None, framework)
        keras_kwargs_checks(probe, rule, bound, True)
        layer.errors += [f.message for f in probe.findings if f.severity == "error"]  # type: ignore[attr-defined]
    return layer


def _run_rule(an: Analyzer, rule, item: LayerItem, shape, is_first: bool, origin: str, framework: str) -> Ctx:
    call: cst.Call = item.ref.node  # type: ignore[assignment]
    scope: Scope = getattr(item, "scope", None) or Scope()
    bound: BoundArgs = _bind_call(an, rule, call, scope, framework)
    ctx = Ctx(rule, bound.values, bound.given, shape, framework, is_first, origin)
    ctx.extra = bound.extra_kwargs  # type: ignore[attr-defined]
    ctx.layer_name = bound.extra_kwargs.get("name") if isinstance(bound.extra_kwargs.get("name"), str) else (
        bound.values.get("name") if isinstance(bound.values.get("name"), str) else None)
    for e in bound.errors:
        ctx.error("SL010", f"{rule.name}() {e}")
    for v in bound.values.values():  # errors of a layer passed as an argument: Bidirectional(LSTM())
        for e in getattr(v, "errors", ()):
            ctx.error("SL010", e)
    if framework == "keras":
        keras_kwargs_checks(ctx, rule, bound, is_first)
    try:
        rule.infer(ctx)
    except Exception as e:  # a rule bug must never take the analysis down; say so instead
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        ctx.out = None
        ctx.trainable = ctx.non_trainable = ctx.macs = None
        ctx.why_unknown(f"internal error in the {rule.name} rule: {type(e).__name__}: {e}")
    return ctx


# What keras.layers.Layer.__init__ accepts through **kwargs (keras/src/layers/layer.py, Keras 3): anything
# else raises "Unrecognized keyword arguments". A catalog entry lists what its own base classes add in
# options["accepts"] (None: the class takes arbitrary kwargs, so nothing is checked).
KERAS_BASE_KWARGS = {"activity_regularizer", "trainable", "dtype", "autocast", "name", "input_shape", "input_dim"}


def keras_kwargs_checks(ctx: Ctx, rule, bound: BoundArgs, is_first: bool) -> None:
    accepts = rule.options.get("accepts", frozenset())
    unknown = sorted(k for k in bound.extra_kwargs if k not in KERAS_BASE_KWARGS | set(accepts or ()))
    if unknown and rule.signature.var_kwargs and accepts is not None:
        ctx.error("SL010", f"{rule.name}() does not accept {', '.join(unknown)}: Keras 3 raises "
                           f"'Unrecognized keyword arguments'" +
                  (" (batch_input_shape is gone: use keras.Input(batch_shape=...))" if "batch_input_shape" in unknown
                   else ""))
    if not is_first and ("input_shape" in bound.extra_kwargs or "input_dim" in bound.extra_kwargs):
        ctx.warning("SL202", f"{rule.name}: input_shape/input_dim is only read on the first layer of a Sequential "
                             f"model; here it is ignored")


def _has_node(v) -> bool:
    if isinstance(v, (cst.CSTNode, NodeRef, BoundNode)):
        return True
    if isinstance(v, (list, tuple)):
        return any(_has_node(x) for x in v)
    return False


def analyze_source(text: str, path: str = "<string>", options: Optional[Options] = None) -> FileResult:
    """Analyse one file's text. Never raises for any input text: an internal error becomes an info
    diagnostic (with SHAPELENS_STRICT=1, as in our tests, it is raised instead so that tests catch it).

    The file is split into units (units.py), each analysed on its own and cached by its statements'
    text: after an edit only the edited unit is analysed again. Passing the same `path` on every call
    for one document also lets the split itself be incremental (source.split)."""
    options = options or Options()
    try:
        lines, chunks = split(text, path)
        result = FileResult(path)
        pending = []
        for unit in units.group(chunks, lines):
            unit_chunks = [chunks[i] for i in unit]
            key, base = units.unit_key(unit_chunks, lines, options.default_torch_input)
            hit = units.cache_get(key, base)
            if hit is None:
                pending.append((unit_chunks, key, base))
            else:
                result.models.extend(hit[0])
                result.diagnostics.extend(hit[1])
        try:
            found_all = _analyze_units(pending, lines, path, options)
        finally:
            drop_ast(chunks)
        for (unit_chunks, key, base), found in zip(pending, found_all):
            units.cache_put(key, base, found, unit_chunks)
            result.models.extend(found[0])
            result.diagnostics.extend(found[1])
    except RecursionError:
        return _failed(path, "the file is nested too deeply to analyse")
    except Exception as e:  # pragma: no cover - only reached through a bug
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        return _failed(path, f"internal error while analysing this file ({type(e).__name__}: {e}); "
                             f"please report it")
    result.models.sort(key=lambda r: (r.span.line, r.span.col))
    result.diagnostics.sort(key=lambda d: (d.span.line, d.span.col))
    result.diagnostics = filter_ignored(result.diagnostics, lines)
    return result


PARALLEL_MIN_CHARS = 40_000   # below this much text to analyse, a fork costs more than it saves
PARALLEL_BATCHES = 64         # pieces the work is cut into, taken in turn by whichever process is free


def _analyze_units(pending: list, lines: list[str], path: str, options: Options) -> list:
    """(models, diagnostics) of each pending unit, in order. With options.parallel and enough work, a
    forked child works beside this process (both cores on a cold open): the units are cut into batches
    of about equal text, and each process takes the next batch whenever it is free (a fixed half each
    left one process idle for up to 100 ms on a 3,000-line file). Whatever the child does not bring
    back (it failed in any way), this process analyses itself."""
    def one(k: int) -> tuple:
        return _analyze_unit(pending[k][0], lines, path, options)

    every = range(len(pending))
    if not (options.parallel and hasattr(os, "fork") and len(pending) > 1):
        return [one(k) for k in every]
    sizes = [sum(len(c.text) for c in u[0]) for u in pending]
    if sum(sizes) < PARALLEL_MIN_CHARS:
        return [one(k) for k in every]
    batches = _batches(sizes, PARALLEL_BATCHES)
    queue = _claims(len(batches))
    if queue is None:
        return [one(k) for k in every]

    def work() -> dict:
        return {k: one(k) for b in _claimed(queue) for k in batches[b]}

    theirs = _fork(work)
    try:
        mine = work()
    finally:   # whatever happens here, the child is waited for (no zombie) and the queue closed
        found = theirs()
        os.close(queue)
    if isinstance(found, dict):
        mine.update((k, v) for k, v in found.items() if k not in mine and 0 <= k < len(pending))
    return [mine[k] if k in mine else one(k) for k in every]


def _batches(sizes: list, n: int) -> list:
    """Consecutive index ranges of about sum(sizes)/n each (a unit is never cut)."""
    target = max(1, sum(sizes) // n)
    batches, start, acc = [], 0, 0
    for k, size in enumerate(sizes):
        acc += size
        if acc >= target:
            batches.append(range(start, k + 1))
            start, acc = k + 1, 0
    if start < len(sizes):
        batches.append(range(start, len(sizes)))
    return batches


def _claims(n: int):
    """A pipe holding the numbers 0..n-1 (2 bytes each, n < 32,768), its write end closed: a work queue
    shared by forked processes, no lock needed (a 2-byte read from a pipe takes the next number
    whole, and no two readers get the same one). Returns its read end, or None."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        os.write(write_end, b"".join(b.to_bytes(2, "big") for b in range(n)))
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return read_end


def _claimed(queue: int):
    """The batch numbers this process takes from the queue, until it is empty."""
    while True:
        try:
            data = os.read(queue, 2)
        except OSError:
            return
        if len(data) < 2:
            return
        yield int.from_bytes(data, "big")


def _fork(work):
    """Run work() in a forked child; returns a function that waits for its pickled result (None when
    the child failed)."""
    import pickle

    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError:
        return lambda: None
    if pid == 0:  # the child: compute, send, leave without running any cleanup of the parent's
        status = 1
        try:
            os.close(read_end)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def wait():
        try:
            with os.fdopen(read_end, "rb") as inp:
                data = inp.read()
            _, status = os.waitpid(pid, 0)
            return pickle.loads(data) if status == 0 else None
        except Exception:
            return None
    return wait


def _analyze_unit(chunks: list[Chunk], lines: list[str], path: str, options: Options) -> tuple:
    from .interp.models import analyze_unit

    try:
        return analyze_unit(chunks, lines, path, options)
    except RecursionError:
        return [], [_unit_failed(chunks, "these statements are nested too deeply to analyse")]
    except Exception as e:  # pragma: no cover - only reached through a bug
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        return [], [_unit_failed(chunks, f"internal error while analysing these statements "
                                         f"({type(e).__name__}: {e}); please report it")]


def _unit_failed(chunks: list[Chunk], message: str) -> Diagnostic:
    line = chunks[-1].start_line + 1
    return Diagnostic(Span(line, 1, line, 1), "SL001", "info", message)


def _failed(path: str, message: str) -> FileResult:
    result = FileResult(path)
    result.diagnostics.append(Diagnostic(Span(1, 1, 1, 1), "SL001", "info", message))
    return result


def clear_caches() -> None:
    """Forget parsed statements, remembered splits and unit results: the next analysis is cold."""
    from . import source

    source.clear_caches()
    units.clear_cache()
