"""A small interpreter for the bodies of __init__, forward()/call() and their helper methods.

It runs statements in order on abstract values (constants, Unknown, Tensor, module objects) and never
executes user code. Loops over known iterables are unrolled; `if` on a known condition takes one branch,
on an unknown one both, and what they disagree on becomes Unknown. Calls dispatch on the callee's value:
module objects (flow_calls.py), framework functions and tensor methods (flow_funcs.py), methods of the
file's model classes (run here, with the arguments bound).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst

from .flow_objects import (GraphNode, Builtin, BoundMethod, ClassInfo, ClassRef, Instance, ModDict,
                           ModList, SeqMod, Sym, Tensor, MODULES)
from .records import StepRecord
from .shapes import Shape
from .source import Chunk
from .values import Unknown, _MISSING, evaluate, short, Scope

MAX_UNROLL = 1000
MAX_DEPTH = 40
# Names Python provides that the interpreter evaluates itself (see flow_funcs.call_builtin).
BUILTINS = {"range", "len", "enumerate", "zip", "reversed", "int", "float", "min", "max", "sum", "abs", "round",
            "tuple", "list", "super", "isinstance", "setattr", "getattr", "hasattr", "print", "dict", "str", "bool",
            "sorted", "any", "all"}


_CONSTANTS = {"True": True, "False": False, "None": None}


class Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class Break(Exception):
    pass


class Continue(Exception):
    pass


@dataclass
class Frame:
    names: dict
    chunk: Chunk
    scope: Scope                       # the engine scope behind the code (module constants, imports)
    self_obj: Any = None
    cls: Optional[ClassInfo] = None    # class whose method runs (for super())
    record_steps: bool = False         # record StepRecords for this frame's statements
    where: str = ""                    # "layer1.0" for messages about a submodule's forward


@dataclass
class Super:
    obj: Any
    cls: Optional[ClassInfo]


@dataclass
class Run:
    """Per-model state: the framework, the recorded steps, what was reported already."""

    flow: Any                          # flow_state.Flow
    framework: str
    steps: dict = field(default_factory=dict)      # Span -> StepRecord
    step_counts: dict = field(default_factory=dict)
    depth: int = 0


def _flow_calls():
    """flow_calls imports this module's names lazily; imported here once, not on every call."""
    global _FLOW_CALLS
    if _FLOW_CALLS is None:
        from . import flow_calls

        _FLOW_CALLS = flow_calls
    return _FLOW_CALLS


_FLOW_CALLS = None
_EVAL_METHODS: dict = {}
_UNSET = object()
_NO_NAMES = Scope()


class Interp:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.flow = run.flow
        self.an = run.flow.an

    # ------------------------------------------------------------------ statements
    def block(self, body, frame: Frame) -> None:
        if isinstance(body, cst.SimpleStatementSuite):
            for s in body.body:
                self.small(s, frame)
            return
        for stmt in getattr(body, "body", ()):
            self.statement(stmt, frame)

    def statement(self, stmt, frame: Frame) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for s in stmt.body:
                self.small(s, frame)
        elif isinstance(stmt, cst.If):
            self.if_statement(stmt, frame)
        elif isinstance(stmt, cst.For):
            self.for_statement(stmt, frame)
        elif isinstance(stmt, (cst.With, cst.Try)):
            self.block(stmt.body, frame)
        elif isinstance(stmt, cst.While):
            self.uncertain(stmt.body, frame, f"changed in a `while` loop", stmt.test)
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            frame.names[stmt.name.value] = Unknown(f"`{stmt.name.value}` is a local definition")

    def small(self, s, frame: Frame) -> None:
        if isinstance(s, cst.Assign):
            value = self.eval(s.value, frame)
            for t in s.targets:
                self.assign(t.target, value, frame)
            self.step(s, value, frame)
        elif isinstance(s, cst.AnnAssign) and s.value is not None:
            value = self.eval(s.value, frame)
            self.assign(s.target, value, frame)
            self.step(s, value, frame)
        elif isinstance(s, cst.AugAssign):
            self.aug_assign(s, frame)
        elif isinstance(s, cst.Expr):
            value = self.eval(s.value, frame)
            if isinstance(s.value, cst.Call) and isinstance(value, Tensor) and frame.record_steps:
                self.step(s, value, frame)
        elif isinstance(s, cst.Return):
            value = self.eval(s.value, frame) if s.value is not None else None
            self.step(s, value, frame)
            raise Return(value)
        elif isinstance(s, cst.Raise):
            raise Return(Unknown("the code raises an exception here"))
        elif isinstance(s, cst.Break):
            raise Break()
        elif isinstance(s, cst.Continue):
            raise Continue()
        elif isinstance(s, (cst.Import, cst.ImportFrom)):
            self.an.aliases.add_import(s)

    def step(self, s, value, frame: Frame) -> None:
        if not frame.record_steps or not isinstance(value, Tensor):
            return
        span = frame.chunk.span(s)
        count = self.run.step_counts.get(span, 0) + 1
        self.run.step_counts[span] = count
        previous = self.run.steps.get(span)
        text = "" if count == 1 else f"the last of {count} runs of this statement"
        if previous is not None and previous.output_shape != value.shape:
            text = f"changes across the {count} runs of this statement; shown: the last"
        reasons = [value.reason] if value.shape is None and value.reason else []
        self.run.steps[span] = StepRecord(span, value.shape, text, reasons)

    def aug_assign(self, s: cst.AugAssign, frame: Frame) -> None:
        current = self.eval(s.target, frame)
        rhs = self.eval(s.value, frame)
        op = type(s.operator).__name__.replace("Assign", "")
        if isinstance(current, list) and op == "Add" and isinstance(rhs, (list, tuple)):
            current.extend(rhs)  # in place, as Python does for lists
            return
        value = self.binary(op, current, rhs, s, frame, inplace=True)
        self.assign(s.target, value, frame)
        self.step(s, value, frame)

    def assign(self, target, value: Any, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            frame.names[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            self.unpack(target, value, frame)
        elif isinstance(target, cst.Attribute):
            owner = self.eval(target.value, frame)
            if isinstance(owner, Instance):
                self.flow.set_attr(owner, target.attr.value, value)
        elif isinstance(target, cst.Subscript):
            self.assign_item(target, value, frame)

    def unpack(self, target, value, frame: Frame) -> None:
        names = [el.value for el in target.elements]
        if isinstance(value, Tensor) and value.shape is not None and not value.shape.open_rank \
                and len(value.shape) and value.shape[0] == len(names):
            value = [Tensor(Shape.of(value.shape.dims[1:])) for _ in names]  # iterates over the first dim
        if isinstance(value, (tuple, list)) and len(value) == len(names):
            for t, v in zip(names, value):
                self.assign(t, v, frame)
            return
        why = value.reason if isinstance(value, Unknown) else f"unpacked from `{short(target)}`, known only at run time"
        for t in names:
            self.assign(t, Unknown(why) if not isinstance(value, Tensor) else Tensor(None, why), frame)

    def assign_item(self, target: cst.Subscript, value, frame: Frame) -> None:
        base = self.eval(target.value, frame)
        if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
            return
        key = self.eval(target.slice[0].slice.value, frame)
        if isinstance(base, dict) and not isinstance(key, Unknown):
            base[key] = value
        elif isinstance(base, ModDict) and isinstance(key, str):
            base.children[key] = value
        elif isinstance(base, list) and isinstance(key, int) and -len(base) <= key < len(base):
            base[key] = value

    # ------------------------------------------------------------------ control flow
    def if_statement(self, stmt: cst.If, frame: Frame) -> None:
        test = self.truth(self.eval(stmt.test, frame))
        if test is None:
            orelse = stmt.orelse
            self.both_branches(stmt.body, orelse, frame, stmt.test)
            return
        if test:
            self.block(stmt.body, frame)
        elif isinstance(stmt.orelse, cst.If):
            self.if_statement(stmt.orelse, frame)
        elif stmt.orelse is not None:
            self.block(stmt.orelse.body, frame)

    def truth(self, v) -> Optional[bool]:
        if isinstance(v, (Unknown, Tensor, Sym)):
            return None
        if isinstance(v, MODULES) or isinstance(v, (Instance, ClassRef, BoundMethod)):
            return True
        try:
            return bool(v)
        except Exception:
            return None

    def both_branches(self, body, orelse, frame: Frame, test) -> None:
        """An `if` whose condition is known only at run time: run both, keep what they agree on."""
        a = Frame(dict(frame.names), frame.chunk, frame.scope, frame.self_obj, frame.cls, frame.record_steps,
                  frame.where)
        b = Frame(dict(frame.names), frame.chunk, frame.scope, frame.self_obj, frame.cls, frame.record_steps,
                  frame.where)
        ra = self.guarded(lambda: self.block(body, a))
        if isinstance(orelse, cst.If):
            rb = self.guarded(lambda: self.if_statement(orelse, b))
        else:
            rb = self.guarded(lambda: self.block(orelse.body, b) if orelse is not None else None)
        why = f"the condition `{short(test)}` is known only at run time"
        if ra is not None or rb is not None:
            value = ra.value if ra is not None and rb is not None and _same(ra.value, rb.value) else \
                Tensor(None, why) if _is_tensorish(ra, rb) else Unknown(why)
            if ra is not None and rb is not None:
                self.report_unknown_merge(test, frame, ["the return value"], ra.value, rb.value)
                raise Return(value)
            # one branch returns: after the if, the other branch's names hold
            frame.names.update((b if ra is not None else a).names)
            return
        changed = []
        for name in set(a.names) | set(b.names):
            va, vb = a.names.get(name, _MISSING), b.names.get(name, _MISSING)
            if va is vb or (va is not _MISSING and vb is not _MISSING and _same(va, vb)):
                frame.names[name] = va
                continue
            tensorish = isinstance(va, Tensor) or isinstance(vb, Tensor)
            frame.names[name] = Tensor(None, f"`{name}` depends on {why}") if tensorish else \
                Unknown(f"`{name}` depends on {why}")
            if tensorish:
                changed.append(name)
        if changed:
            self.report_unknown_merge(test, frame, changed, None, None)

    def report_unknown_merge(self, test, frame: Frame, names: list, va, vb) -> None:
        if va is not None and not (isinstance(va, Tensor) or isinstance(vb, Tensor)):
            return
        self.flow.info(frame.chunk.span(test), f"the condition `{short(test)}` is known only at run time and the "
                                               f"branches give different shapes: {', '.join(names)} is unknown "
                                               f"after it (shown as ?)")

    def guarded(self, fn) -> Optional[Return]:
        try:
            fn()
        except Return as r:
            return r
        return None

    def uncertain(self, body, frame: Frame, why: str, node) -> None:
        """A body that runs an unknown number of times: what it assigns is unknown after it."""
        inner = Frame(dict(frame.names), frame.chunk, frame.scope, frame.self_obj, frame.cls, False, frame.where)
        try:
            self.block(body, inner)
        except (Return, Break, Continue):
            pass
        reason = f"{why} (`{short(node)}`)"
        for name, v in inner.names.items():
            if frame.names.get(name, _MISSING) is not v:
                frame.names[name] = Tensor(None, f"`{name}` is {reason}") if isinstance(v, Tensor) else \
                    Unknown(f"`{name}` is {reason}")

    def for_statement(self, stmt: cst.For, frame: Frame) -> None:
        values = self.iterate(self.eval(stmt.iter, frame))
        if isinstance(values, Unknown):
            self.flow.info_if_tensor(self, stmt, frame, f"the loop over `{short(stmt.iter)}` cannot be unrolled "
                                                        f"({values.reason})")
            self.uncertain(stmt.body, frame, f"changed in a loop over a run-time value", stmt.iter)
            return
        for v in values:
            self.assign(stmt.target, v, frame)
            try:
                self.block(stmt.body, frame)
            except Break:
                return
            except Continue:
                continue
        else:
            if stmt.orelse is not None:
                self.block(stmt.orelse.body, frame)

    def iterate(self, v) -> Any:
        if isinstance(v, (list, tuple)):
            return list(v) if len(v) <= MAX_UNROLL else Unknown("the loop is too long to unroll")
        if isinstance(v, (range, str)):
            return list(v) if len(v) <= MAX_UNROLL else Unknown("the loop is too long to unroll")
        if isinstance(v, dict):
            return list(v)
        if isinstance(v, (ModList,)):
            return list(v.children)
        if isinstance(v, SeqMod):
            return [m for _, m in v.children]
        if isinstance(v, ModDict):
            return list(v.children)
        if isinstance(v, Unknown):
            return v
        if isinstance(v, Tensor):
            return Unknown("iterating over a tensor")
        return Unknown(f"it is not a list the analysis can follow")

    # ------------------------------------------------------------------ expressions
    def eval(self, node, frame: Frame) -> Any:
        t = type(node)
        method = _EVAL_METHODS.get(t, _UNSET)
        if method is _UNSET:  # the eval_<NodeType> method, looked up once per node type
            method = _EVAL_METHODS[t] = getattr(Interp, "eval_" + t.__name__, None)
        if method is None:
            return Unknown(f"`{short(node)}` is only known at run time")
        return method(self, node, frame)

    def eval_Integer(self, node, frame):
        return evaluate(node, _NO_NAMES)  # a literal: no name is looked up

    eval_Float = eval_SimpleString = eval_ConcatenatedString = eval_Integer

    def eval_FormattedString(self, node: cst.FormattedString, frame):
        out = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
                continue
            v = self.eval(part.expression, frame)
            if part.format_spec or part.conversion or not isinstance(v, (int, str, float)) or isinstance(v, bool):
                return Unknown(f"`{short(node)}` is formatted at run time")
            out.append(str(v))
        return "".join(out)

    def eval_Name(self, node: cst.Name, frame: Frame):
        name = node.value
        if name in frame.names:
            return frame.names[name]
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        return self.flow.global_value(name, node, frame, self)

    def eval_Attribute(self, node: cst.Attribute, frame: Frame):
        head = node
        while isinstance(head, cst.Attribute):
            head = head.value
        if isinstance(head, cst.Name) and head.value not in frame.names and \
                self.flow.global_value(head.value, head, frame, self, probe=True) is _MISSING:
            qual = self.an.aliases.qualify(node)
            return Builtin(qual) if qual else Unknown(f"`{short(node)}` is not defined in this file")
        base = self.eval(node.value, frame)
        return self.flow.attribute(self, base, node.attr.value, node, frame)

    def eval_Subscript(self, node: cst.Subscript, frame: Frame):
        from .flow_funcs import index_tensor

        base = self.eval(node.value, frame)
        if len(node.slice) != 1:
            keys = tuple(self.slice_value(el.slice, frame) for el in node.slice)
        else:
            keys = self.slice_value(node.slice[0].slice, frame)
        if isinstance(base, Tensor):
            return index_tensor(self, base, keys, node, frame)
        if isinstance(base, Unknown):
            return base
        if isinstance(keys, Unknown):
            return keys
        try:
            if isinstance(base, (SeqMod,)):
                picked = base.children[keys]
                return SeqMod(picked, base.framework) if isinstance(keys, slice) else picked[1]
            if isinstance(base, ModList):
                picked = base.children[keys]
                return ModList(picked, base.framework) if isinstance(keys, slice) else picked
            if isinstance(base, ModDict):
                return base.children[keys]
            if isinstance(base, (tuple, list, dict, str, range)):
                return base[keys]
        except (IndexError, KeyError, TypeError, ValueError):
            return Unknown(f"`{short(node)}` is out of range")
        return Unknown(f"`{short(node)}` is only known at run time")

    def slice_value(self, s, frame: Frame):
        if isinstance(s, cst.Index):
            return self.eval(s.value, frame)
        parts = [self.eval(p, frame) if p is not None else None for p in (s.lower, s.upper, s.step)]
        if any(isinstance(p, (Unknown, Tensor, Sym)) for p in parts):
            return Unknown(f"the slice bounds are known only at run time")
        return slice(*parts)

    def eval_Tuple(self, node, frame: Frame):
        items = self.elements(node.elements, frame)
        return items if isinstance(items, Unknown) else tuple(items)

    def eval_List(self, node, frame: Frame):
        items = self.elements(node.elements, frame)
        return items if isinstance(items, Unknown) else list(items)

    def elements(self, elements, frame: Frame):
        out = []
        for el in elements:
            v = self.eval(el.value, frame)
            if isinstance(el, cst.StarredElement):
                it = self.iterate(v)
                if isinstance(it, Unknown):
                    return it
                out.extend(it)
            else:
                out.append(v)
        return out

    def eval_Dict(self, node: cst.Dict, frame: Frame):
        out = {}
        for el in node.elements:
            if not isinstance(el, cst.DictElement):
                return Unknown(f"`{short(node)}` is only known at run time")
            key = self.eval(el.key, frame)
            if isinstance(key, (Unknown, Tensor)) or not _hashable(key):
                return Unknown(f"a key of `{short(node)}` is only known at run time")
            out[key] = self.eval(el.value, frame)
        return out

    def eval_ListComp(self, node, frame: Frame):
        return self.comprehension(node, frame)

    eval_GeneratorExp = eval_ListComp

    def comprehension(self, node, frame: Frame):
        comp = node.for_in
        if comp.inner_for_in is not None:
            return Unknown(f"the comprehension `{short(node)}` is too complex to follow")
        values = self.iterate(self.eval(comp.iter, frame))
        if isinstance(values, Unknown):
            return Unknown(f"the comprehension iterates over `{short(comp.iter)}`: {values.reason}")
        out = []
        for v in values:
            inner = Frame(dict(frame.names), frame.chunk, frame.scope, frame.self_obj, frame.cls, False, frame.where)
            self.assign(comp.target, v, inner)
            keep = True
            for cond in comp.ifs:
                t = self.truth(self.eval(cond.test, inner))
                if t is None:
                    return Unknown(f"the condition `{short(cond.test)}` is known only at run time")
                keep = keep and t
            if keep:
                out.append(self.eval(node.elt, inner))
        return out

    def eval_IfExp(self, node: cst.IfExp, frame: Frame):
        test = self.truth(self.eval(node.test, frame))
        if test is None:
            a, b = self.eval(node.body, frame), self.eval(node.orelse, frame)
            if _same(a, b):
                return a
            why = f"the condition `{short(node.test)}` is known only at run time"
            return Tensor(None, why) if isinstance(a, Tensor) or isinstance(b, Tensor) else Unknown(why)
        return self.eval(node.body if test else node.orelse, frame)

    def eval_UnaryOperation(self, node: cst.UnaryOperation, frame: Frame):
        v = self.eval(node.expression, frame)
        if isinstance(node.operator, cst.Not):
            t = self.truth(v)
            return Unknown(f"`{short(node)}` is known only at run time") if t is None else not t
        if isinstance(v, Tensor):
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v if isinstance(node.operator, cst.Minus) else (+v if isinstance(node.operator, cst.Plus) else ~v)
        return v if isinstance(v, Unknown) else Unknown(f"`{short(node)}` is only known at run time")

    def eval_BinaryOperation(self, node: cst.BinaryOperation, frame: Frame):
        left, right = self.eval(node.left, frame), self.eval(node.right, frame)
        return self.binary(type(node.operator).__name__, left, right, node, frame)

    def binary(self, op: str, left, right, node, frame: Frame, inplace: bool = False):
        from .flow_funcs import tensor_binary

        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return tensor_binary(self, op, left, right, node, frame, inplace)
        return const_binary(op, left, right, node)

    def eval_BooleanOperation(self, node: cst.BooleanOperation, frame: Frame):
        left = self.eval(node.left, frame)
        t = self.truth(left)
        if t is None:
            return Unknown(f"`{short(node)}` is known only at run time")
        is_and = isinstance(node.operator, cst.And)
        if (is_and and not t) or (not is_and and t):
            return left
        return self.eval(node.right, frame)

    def eval_Comparison(self, node: cst.Comparison, frame: Frame):
        left = self.eval(node.left, frame)
        result = True
        for target in node.comparisons:
            right = self.eval(target.comparator, frame)
            r = compare(type(target.operator).__name__, left, right)
            if r is None:
                return Unknown(f"`{short(node)}` is known only at run time")
            result = result and r
            left = right
        return result

    def eval_Call(self, node: cst.Call, frame: Frame):
        fn = self.eval(node.func, frame)
        if isinstance(fn, Unknown):
            return fn
        return _flow_calls().call(self, fn, node, frame)

    def eval_Lambda(self, node, frame):
        return Unknown("a lambda")

    def eval_Ellipsis(self, node, frame):
        return Ellipsis

    def args(self, call: cst.Call, frame: Frame) -> tuple:
        """(positional, keywords, star): star is an Unknown when *args / **kwargs could not be expanded."""
        positional, keywords, star = [], {}, None
        for a in call.args:
            v = self.eval(a.value, frame)
            if a.star == "*":
                items = self.iterate(v)
                if isinstance(items, Unknown):
                    star = Unknown(f"`*{short(a.value)}` is unpacked at run time")
                else:
                    positional.extend(items)
            elif a.star == "**":
                if isinstance(v, dict) and all(isinstance(k, str) for k in v):
                    keywords.update(v)
                else:
                    star = Unknown(f"`**{short(a.value)}` is unpacked at run time")
            elif a.keyword is not None:
                keywords[a.keyword.value] = v
            else:
                positional.append(v)
        return positional, keywords, star

    def result(self, t: Tensor, inputs: list, leaf=None) -> Tensor:
        """Link a new tensor to the tensors it came from (the Keras functional graph follows these links)."""
        if leaf is not None or any(isinstance(x, Tensor) and (x.node is not None or x.is_input) for x in inputs):
            t.node = GraphNode(leaf, [x for x in inputs if isinstance(x, Tensor)], self.flow.next_seq())
        return t

    # ------------------------------------------------------------------ methods
    def run_function(self, fn: cst.FunctionDef, owner: Optional[ClassInfo], obj, positional: list, keywords: dict,
                     star, chunk: Chunk, scope: Scope, record_steps: bool = False, where: str = "") -> Any:
        if self.run.depth > MAX_DEPTH:
            return Unknown("the calls are nested too deeply to follow")
        frame = Frame({}, chunk, scope, obj, owner, record_steps, where)
        if obj is not None:
            positional = [obj] + list(positional)
        problem = self.bind_params(fn, positional, keywords, star, frame)
        if problem:
            return Unknown(problem)
        self.run.depth += 1
        try:
            self.block(fn.body, frame)
        except Return as r:
            return r.value
        except (Break, Continue):
            return None
        finally:
            self.run.depth -= 1
        return None

    def bind_params(self, fn: cst.FunctionDef, positional: list, keywords: dict, star, frame: Frame) -> str:
        p = fn.params
        plain = list(p.posonly_params) + list(p.params)
        given = dict(keywords)
        for i, param in enumerate(plain):
            name = param.name.value
            if i < len(positional):
                frame.names[name] = positional[i]
            elif name in given:
                frame.names[name] = given.pop(name)
            elif star is not None:
                frame.names[name] = star
            elif param.default is not None:
                frame.names[name] = self.default(param.default, frame)
            else:
                return f"`{fn.name.value}()` is called without its argument `{name}`"
        for param in p.kwonly_params:
            name = param.name.value
            if name in given:
                frame.names[name] = given.pop(name)
            elif param.default is not None:
                frame.names[name] = self.default(param.default, frame)
            else:
                frame.names[name] = star or Unknown(f"`{name}` is not given")
        if isinstance(p.star_arg, cst.Param):
            frame.names[p.star_arg.name.value] = tuple(positional[len(plain):])
        if isinstance(p.star_kwarg, cst.Param):
            frame.names[p.star_kwarg.name.value] = given
        return ""

    def default(self, node, frame: Frame):
        # Defaults are evaluated where the function is defined: only module-level names are visible.
        outer = Frame({}, frame.chunk, frame.scope)
        return self.eval(node, outer)


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _is_tensorish(ra, rb) -> bool:
    return any(r is not None and isinstance(r.value, Tensor) for r in (ra, rb))


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape is not None and a.shape == b.shape
    if type(a) in (int, float, str, bool, tuple, type(None)) and type(a) is type(b):
        try:
            return a == b
        except Exception:
            return False
    return False


_CONST_OPS = {"Add": operator.add, "Subtract": operator.sub, "Multiply": operator.mul, "Divide": operator.truediv,
              "FloorDivide": operator.floordiv, "Modulo": operator.mod, "Power": operator.pow}


def const_binary(op: str, left, right, node):
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    if isinstance(left, Sym) or isinstance(right, Sym):
        return Unknown(f"`{short(node)}` involves a symbolic size")
    if op == "Power" and isinstance(left, (int, float)) and isinstance(right, (int, float)) and \
            (abs(right) > 64 or abs(left) > 2 ** 64):
        return Unknown(f"`{short(node)}` is an absurdly large number")
    if op == "Multiply" and (isinstance(left, (list, tuple, str)) or isinstance(right, (list, tuple, str))):
        n = right if isinstance(left, (list, tuple, str)) else left
        if not isinstance(n, int) or n > 10_000:
            return Unknown(f"`{short(node)}` repeats a sequence too often")
    fn = _CONST_OPS.get(op)
    ok = (int, float, str, tuple, list, bool)
    if fn is None or not isinstance(left, ok) or not isinstance(right, ok):
        return Unknown(f"`{short(node)}` is only known at run time")
    try:
        result = fn(left, right)
    except Exception:
        return Unknown(f"`{short(node)}` cannot be evaluated")
    if isinstance(result, int) and result.bit_length() > 4096:
        return Unknown(f"`{short(node)}` is an absurdly large number")
    return result


_CMP = {"Equal": operator.eq, "NotEqual": operator.ne, "LessThan": operator.lt, "LessThanEqual": operator.le,
        "GreaterThan": operator.gt, "GreaterThanEqual": operator.ge}


def compare(op: str, left, right) -> Optional[bool]:
    if op in ("Is", "IsNot"):
        if left is None or right is None:
            if isinstance(left, Unknown) or isinstance(right, Unknown):
                return None
            same = left is right
            return same if op == "Is" else not same
        return None
    consts = (int, float, str, tuple, list, bool, type(None))
    if not isinstance(left, consts) or not isinstance(right, consts):
        return None
    try:
        if op in ("In", "NotIn"):
            r = left in right
            return r if op == "In" else not r
        fn = _CMP.get(op)
        return None if fn is None else bool(fn(left, right))
    except Exception:
        return None
