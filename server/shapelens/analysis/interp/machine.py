"""The interpreter: runs model-building code the way Python would, on abstract values.

Statements run in order; names live in frames with Python's own scoping (scopes.py); calls of the file's
functions and classes run their bodies with the arguments bound; framework names (torch, keras, ...)
are dispatched by natives.py; tensors are shapes. Nothing of the user's code is imported or executed.

Where Python's behaviour depends on a value known only at run time, the interpreter keeps to what is
certain. An `if` on an unknown condition runs both branches; names on which they disagree become Unknown.
A loop over an unknown iterable runs its body once; what it assigns is Unknown after it. Inside such an
uncertain region, a mutation of an object that existed before the region (a layer appended to a list, a
layer added to a model) taints the object: its contents are unknown from then on, so no total is ever
printed for it (interp.taint / Mod.taint).

Work is bounded: steps (statements, calls, loop iterations, literal elements), call depth, loop
iterations and container sizes. Spending the budget raises BudgetSpent, which the caller turns into
"?" with the reason.
"""
from __future__ import annotations

import ast
import operator
from typing import Any, Optional

from ..shapes import Shape
from . import natives, pybuiltins
from .code import Code
from .loader import LazyImport, ModuleValue
from .objects import (MISSING, BoundMethod, Break, BudgetSpent, ClassMethod, Continue, Function, Instance,
                      Native, NativeMethod, Opaque, Partial, Property, Raise, Return, StaticMethod, Super, Tensor,
                      Unknown, UserClass, _NAMES_A_LINE, incomplete)
from .objects import Param
from .scopes import comprehension_targets, scope_info

MAX_DEPTH = 32            # nested calls of the file's functions
MAX_LOOP = 10_000         # iterations of one loop (more: the loop is not followed)
MAX_ITEMS = 100_000       # elements of a container the analysis builds
STEP_LIMIT = 300_000      # statements, calls, iterations and literal elements of one run


class Frame:
    __slots__ = ("kind", "code", "vars", "globals", "outer", "fn", "info", "returns", "self_obj", "record",
                 "module")

    def __init__(self, kind: str, code: Code, vars_: dict, globals_: dict, outer=None, fn=None, info=None) -> None:
        self.kind = kind            # "module" | "function" | "class" | "comp"
        self.code = code
        self.vars = vars_
        self.globals = globals_
        self.outer = outer          # the enclosing function (or comprehension) frame, for closures
        self.fn = fn
        self.info = info            # scopes.ScopeInfo of a function
        self.returns: list = []     # values returned on paths that were not certain (merged at the end)
        self.self_obj = None
        self.record = False         # record the tensors its statements make (forward/call steps)
        self.module = None          # loader.ModuleValue of another file's module frame


class Region:
    """An uncertain region: code that may or may not run (a branch on an unknown condition, the body of a
    loop of unknown length). Objects made inside it are its own; mutating an older object taints it."""

    __slots__ = ("reason", "serial", "born")

    def __init__(self, reason: str, serial: int) -> None:
        self.reason = reason
        self.serial = serial
        self.born: dict = {}        # id -> object, for containers made inside the region


_TENSOR_COMPARISONS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


class Interp:
    def __init__(self, unit) -> None:
        self.unit = unit            # the unit being analysed (models.Unit): lines, reporting, bindings...
        self.steps = 0
        self.limit = STEP_LIMIT
        self.depth = 0
        self.regions: list = []
        # collections.defaultdict objects (plain dicts here): id -> (the dict, factory, node, frame)
        self.default_factories: dict = {}
        self.taint: dict = {}       # id(container) -> (container, Unknown)
        self.serial = 0
        self.calls: list = []       # call-site spans of the running user functions, outermost first
        self.stmt = None            # (frame, statement) running: where a "?" that begins here is said to begin
        self.recorder = None        # models.Recorder while a model's forward runs for its records
        self.quiet = 0              # > 0: findings are not reported (a torch module called while building)
        self.open_regions: list = []   # (frame, depth) of regions opened by an uncertain return/break/continue
        self.frames: list = []      # the running frames, outermost first (inspect.currentframe())
        self.speculating = False    # a function runs with unknown arguments nobody passed (models.py)
        # issue #17: a model's input not given: the tensor its first layer gives a symbolic shape, that layer,
        # and the equations the run puts on the symbolic sizes (inference.Equation)
        self.placeholder = None
        self.placeholder_by = None
        self.equations: list = []

    def add_equations(self, found, mod=None, span=None) -> None:
        """(size, value, what, code) equations of a layer (Ctx.constraints) or an op (Op.constraints)."""
        from ..inference import Equation
        for size, value, what, code in found:
            if len(self.equations) < 64:
                self.equations.append(Equation(size, value, what, span if span is not None else
                                               getattr(mod, "span", None), code, mod))

    # ================================================================== budget
    def tick(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > self.limit:
            raise BudgetSpent(f"the analysis budget of {self.limit:,} steps is spent")

    def anchor(self):
        """Where, in the analysed file, the code of another file runs from: the innermost call made from
        the analysed file (every position in another file maps to it)."""
        for span in reversed(self.calls):
            if span is not None:
                return span
        return self.unit.anchor_default

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    # ================================================================== statements
    def exec_body(self, body: list, frame: Frame) -> None:
        for stmt in body:
            self.exec_stmt(stmt, frame)

    def exec_stmt(self, stmt, frame: Frame) -> None:
        self.steps += 1
        if self.steps > self.limit:
            raise BudgetSpent(f"the analysis budget of {self.limit:,} steps is spent at line "
                              f"{frame.code.span(stmt).line}")
        handler = _STMT.get(type(stmt))
        if handler is not None:
            self.stmt = (frame, stmt)
            handler(self, stmt, frame)

    def located(self, reason: str) -> str:
        """`reason` with the line it arises at, unless it names one already."""
        if _NAMES_A_LINE.search(reason):
            return reason
        where = self.where()
        return f"{reason} ({where})" if where else reason

    def unknown_here(self) -> str:
        """The reason of a size that becomes "?" here with no more specific cause."""
        if self.stmt is None:
            return "a size is known only at run time"
        frame, stmt = self.stmt
        return f"`{frame.code.text(stmt)}` gives a size known only at run time"

    def where(self) -> str:
        """The line of the running statement, for a reason that says where a "?" began: "line 44" in the
        analysed file, "line 44 of `timm.models.levit`" in a module it reads; in shapelens's own model of
        a library (the prelude), the analysed file's line that called into it."""
        if self.stmt is None:
            return ""
        frame, stmt = self.stmt
        if frame.code.external is None:
            return f"line {frame.code.span(stmt).line}"
        name = frame.globals.get("__name__")
        if isinstance(name, str) and frame.globals.get("__file__"):   # a real file (the prelude has none)
            return f"line {stmt.lineno} of `{name}`"
        return f"line {self.anchor().line}"

    def s_Expr(self, s: ast.Expr, frame: Frame) -> None:
        value = self.eval(s.value, frame)
        if frame.record and isinstance(value, Tensor) and isinstance(s.value, ast.Call):
            self.unit.step(self, s, frame, value)

    def s_Assign(self, s: ast.Assign, frame: Frame) -> None:
        value = self.eval(s.value, frame)
        for t in s.targets:
            self.assign(t, value, frame)
        if frame.record:
            self.unit.step(self, s, frame, value)
        self.unit.bound(self, s, frame, value)

    def s_AnnAssign(self, s: ast.AnnAssign, frame: Frame) -> None:
        if s.value is None:
            if frame.kind == "class" and isinstance(s.target, ast.Name):   # a dataclass field without default
                frame.vars.setdefault("__annotations__", {})[s.target.id] = MISSING
            return
        value = self.eval(s.value, frame)
        if frame.kind == "class" and isinstance(s.target, ast.Name):
            frame.vars.setdefault("__annotations__", {})[s.target.id] = s.value
        self.assign(s.target, value, frame)
        if frame.record:
            self.unit.step(self, s, frame, value)
        self.unit.bound(self, s, frame, value)

    def s_AugAssign(self, s: ast.AugAssign, frame: Frame) -> None:
        current = self.eval(_load(s.target), frame)
        rhs = self.eval(s.value, frame)
        op = type(s.op)
        if isinstance(current, list) and op is ast.Add:
            items = self.iterate(rhs, s.value, frame)
            if isinstance(items, Unknown):
                self.set_taint(current, items)
            else:
                self.mutated(current)
                current.extend(items)   # in place, as Python does for lists
            value = current
        elif natives.is_module_list(current) and op is ast.Add:
            # ModuleList.__iadd__ is extend (torchvision's MaxVitBlock: self.layers += [MaxVitLayer(...)])
            natives.call_method(self, current, "extend", [rhs], {}, s, frame, None)
            value = current
        else:
            value = self.binary(op, current, rhs, s, frame, inplace=True)
        self.assign(s.target, value, frame)
        if frame.record:
            self.unit.step(self, s, frame, value)

    def s_Return(self, s: ast.Return, frame: Frame) -> None:
        value = self.eval(s.value, frame) if s.value is not None else None
        if frame.record:
            self.unit.step(self, s, frame, value)
        raise Return(value)

    def s_Raise(self, s: ast.Raise, frame: Frame) -> None:
        what = frame.code.text(s.exc, 60) if s.exc is not None else "an exception"
        raise Raise(f"`raise {what}` at line {frame.code.span(s).line}")

    def s_Pass(self, s, frame) -> None:
        pass

    def s_Break(self, s, frame) -> None:
        raise Break()

    def s_Continue(self, s, frame) -> None:
        raise Continue()

    def s_Global(self, s, frame) -> None:
        pass

    def s_Assert(self, s, frame) -> None:
        pass

    def s_Delete(self, s: ast.Delete, frame: Frame) -> None:
        for t in s.targets:
            if isinstance(t, ast.Name):
                frame.vars.pop(t.id, None)
            elif isinstance(t, ast.Attribute):
                pybuiltins.del_attr(self, self.eval(t.value, frame), t.attr)
            elif isinstance(t, ast.Subscript):
                base = self.eval(t.value, frame)
                key = self.eval(t.slice, frame)
                pybuiltins.del_item(self, base, key)

    def s_Import(self, s: ast.Import, frame: Frame) -> None:
        for alias in s.names:
            if alias.asname:
                self.store(alias.asname, self.import_module(alias.name, 0, frame), frame)
            else:
                top = alias.name.split(".")[0]
                self.store(top, self.import_module(top, 0, frame), frame)

    def s_ImportFrom(self, s: ast.ImportFrom, frame: Frame) -> None:
        module = s.module or ""
        for alias in s.names:
            if alias.name == "*":
                self.star_import(module, s.level, frame)
                continue
            self.store(alias.asname or alias.name, self.import_name(module, s.level, alias.name, frame), frame)

    def import_module(self, name: str, level: int, frame: Frame):
        """`import name`: a library's Native, or another file read when first used (loader.LazyImport)."""
        if not level and not self.unit.loader.might_read(name):
            return natives.imported(name)
        return LazyImport(name, level, None, self._package(frame))

    def import_name(self, module: str, level: int, name: str, frame: Frame):
        if not level and not self.unit.loader.might_read(module):
            return natives.imported(f"{module}.{name}")
        return LazyImport(module, level, name, self._package(frame))

    def star_import(self, module: str, level: int, frame: Frame) -> None:
        loader = self.unit.loader
        source = None
        if level or loader.might_read(module):
            source = loader.resolve(LazyImport(module, level, None, self._package(frame)))
        if isinstance(source, ModuleValue):
            names = source.globals.get("__all__")
            names = names if isinstance(names, (list, tuple)) else [n for n in source.globals if not n.startswith("_")]
            for n in names:
                if isinstance(n, str) and n in source.globals:
                    self.store(n, source.globals[n], frame)
        elif not level:
            natives.star_import(self, module, level, frame)

    def _package(self, frame: Frame):
        mod = frame.module
        if mod is None:
            return None
        return mod.package or _dir_of(mod.path)

    def s_FunctionDef(self, s, frame: Frame) -> None:
        defaults = [self.eval(d, frame) for d in s.args.defaults]
        kwdefaults = {a.arg: self.eval(d, frame) for a, d in zip(s.args.kwonlyargs, s.args.kw_defaults)
                      if d is not None}
        outer = frame if frame.kind in ("function", "comp") else (frame.outer if frame.kind == "class" else None)
        qual = s.name if frame.kind == "module" else f"{_qualname(frame)}.{s.name}"
        fn = Function(s, frame.code, s.name, qual, frame.globals, outer, defaults, kwdefaults)
        value = self.decorate(fn, s.decorator_list, frame)
        self.store(s.name, value, frame)
        self.unit.defined(self, fn, frame, value)

    s_AsyncFunctionDef = s_FunctionDef

    def s_ClassDef(self, s: ast.ClassDef, frame: Frame) -> None:
        bases = []
        for b in s.bases:
            v = self.eval(b, frame)
            if isinstance(b, ast.Starred):
                v = Unknown("the base classes are unpacked at run time")
            bases.append(v)
        ns: dict = {}
        outer = frame if frame.kind in ("function", "comp") else (frame.outer if frame.kind == "class" else None)
        body = Frame("class", frame.code, ns, frame.globals, outer)
        qual = s.name if frame.kind == "module" else f"{_qualname(frame)}.{s.name}"
        ns["__qualname__"] = qual
        ns["__name__"] = s.name
        body.fn = qual
        self.exec_body(s.body, body)
        cls = UserClass(s.name, qual, s, frame.code, bases, ns)
        natives.init_class(self, cls)
        for v in ns.values():
            fn = v.fn if isinstance(v, (StaticMethod, ClassMethod)) else v.fget if isinstance(v, Property) else v
            if isinstance(fn, Function):
                fn.owner = cls
        value = self.decorate(cls, s.decorator_list, frame)
        self.store(s.name, value, frame)
        self.unit.defined(self, cls, frame, value)

    def decorate(self, value, decorators: list, frame: Frame):
        for d in reversed(decorators):
            dec = self.eval(d, frame)
            value = natives.apply_decorator(self, dec, value, d, frame)
        return value

    def s_With(self, s, frame: Frame) -> None:
        for item in s.items:
            ctx = self.eval(item.context_expr, frame)
            if item.optional_vars is not None:
                value = ctx if isinstance(ctx, (Tensor, list, tuple)) else \
                    Unknown(f"what `with {frame.code.text(item.context_expr)}` gives is known only at run time")
                self.assign(item.optional_vars, value, frame)
        self.exec_body(s.body, frame)

    s_AsyncWith = s_With

    def s_Try(self, s, frame: Frame) -> None:
        try:
            self.exec_body(s.body, frame)
        except Raise as r:
            if not s.handlers:
                raise
            handler = s.handlers[0]
            if handler.name:
                frame.vars[handler.name] = Unknown(f"the exception of {r.reason}")
            self.exec_body(handler.body, frame)
        else:
            self.exec_body(s.orelse, frame)
        finally:
            pass
        self.exec_body(s.finalbody, frame)

    s_TryStar = s_Try

    def s_If(self, s: ast.If, frame: Frame) -> None:
        test = self.test_truth(s.test, frame)
        if test is True:
            self.exec_body(s.body, frame)
        elif test is False:
            self.exec_body(s.orelse, frame)
        else:
            reason = f"the condition `{frame.code.text(s.test)}` (line {frame.code.span(s.test).line}) is known " \
                     f"only at run time"
            self.both(s.body, s.orelse, frame, reason)

    def s_For(self, s: ast.For, frame: Frame) -> None:
        items = self.iterate(self.eval(s.iter, frame), s.iter, frame)
        if isinstance(items, Unknown):
            reason = f"the loop over `{frame.code.text(s.iter)}` (line {frame.code.span(s).line}) has a length " \
                     f"known only at run time ({items.reason})"
            self.unit.loop_unknown(self, s, frame, items)
            if isinstance(items, natives.ParamsUnknown):
                natives.loop_over_params(self, items, f"a loop over `{frame.code.text(s.iter)}` (line "
                                                      f"{frame.code.span(s).line}) that shapelens cannot follow "
                                                      f"may change requires_grad")
            self.uncertain_loop(s, frame, reason, target=s.target)
            return
        before, opened = dict(frame.vars), len(self.open_regions)
        broke = False
        for item in items:
            self.tick()
            self.assign(s.target, item, frame)
            try:
                self.exec_body(s.body, frame)
            except Break:
                broke = True
                break
            except Continue:
                continue
        if not broke:
            self.exec_body(s.orelse, frame)
        self.end_loop(frame, before, opened)

    def end_loop(self, frame: Frame, before: dict, opened: int) -> None:
        """A break or continue on a path known only at run time: how often the body ran is unknown, and
        so is what it assigned."""
        reason = self.close_regions(frame, opened)
        if reason is not None:
            self.forget_changes(before, frame, reason)

    s_AsyncFor = s_For

    def s_While(self, s: ast.While, frame: Frame) -> None:
        before, opened = dict(frame.vars), len(self.open_regions)
        try:
            self._while(s, frame)
        finally:
            self.end_loop(frame, before, opened)

    def _while(self, s: ast.While, frame: Frame) -> None:
        for _ in range(MAX_LOOP):
            self.tick()
            test = self.test_truth(s.test, frame)
            if test is False:
                self.exec_body(s.orelse, frame)
                return
            if test is None:
                reason = f"the `while {frame.code.text(s.test)}` loop (line {frame.code.span(s).line}) runs a " \
                         f"number of times known only at run time"
                self.uncertain_loop(s, frame, reason)
                return
            try:
                self.exec_body(s.body, frame)
            except Break:
                return
            except Continue:
                continue
        self.uncertain_loop(s, frame, f"the `while` loop at line {frame.code.span(s).line} runs more than "
                                      f"{MAX_LOOP:,} times")

    def s_Match(self, s, frame: Frame) -> None:
        reason = f"the `match` at line {frame.code.span(s).line} is not followed"
        before = dict(frame.vars)
        region = self.enter(reason)
        try:
            for case in s.cases:
                self.run_branch(case.body, frame)
        finally:
            self.leave(region)
        self.forget_changes(before, frame, reason)

    # ------------------------------------------------------------------ uncertain regions
    def run_branch(self, body: list, frame: Frame):
        """Run a body that may or may not run; returns the signal that ended it (Return, Raise, Break,
        Continue) or None."""
        try:
            self.exec_body(body, frame)
        except (Return, Break, Continue, Raise) as signal:
            return signal
        return None

    def both(self, body: list, orelse: list, frame: Frame, reason: str) -> None:
        """An `if` whose condition is known only at run time: both branches run, each from the same names;
        afterwards a name keeps its value where both agree, else it is Unknown."""
        before = dict(frame.vars)
        region = self.enter(reason)
        try:
            a = self.run_branch(body, frame)
            after_a = dict(frame.vars)
            _restore(frame.vars, before)
            b = self.run_branch(orelse, frame)
            after_b = dict(frame.vars)
        finally:
            self.leave(region)
        ends_a, ends_b = a is not None, b is not None
        if ends_a and ends_b:
            _restore(frame.vars, self.merge(after_a, after_b, reason))
            if isinstance(a, Return) and isinstance(b, Return):
                raise Return(self.merge_values(a.value, b.value, reason))
            returns = [sig for sig in (a, b) if isinstance(sig, Return)]
            if returns and all(isinstance(sig, (Return, Raise)) for sig in (a, b)):
                raise returns[0]          # the other path raises: a working program returns here
            if type(a) is type(b):
                raise a
            loops = [sig for sig in (a, b) if isinstance(sig, (Break, Continue))]
            if not loops:                 # one raises, the other returns: handled above
                raise a
            for sig in returns:           # a return on one path, a break/continue on the other
                frame.returns.append(sig.value)
            self.open_region(frame, reason)
            raise loops[0]
        if ends_a or ends_b:
            signal, other = (a, after_b) if ends_a else (b, after_a)
            _restore(frame.vars, other)
            if isinstance(signal, Return):
                # a return on one path: the function's result is one of several values, and what
                # follows runs on the other path only
                frame.returns.append(signal.value)
                self.open_region(frame, reason)
            elif isinstance(signal, (Break, Continue)):
                self.open_region(frame, reason)
            return
        _restore(frame.vars, self.merge(after_a, after_b, reason))

    def open_region(self, frame: Frame, reason: str) -> None:
        """What follows in this function (or loop) runs on some paths only: an uncertain region that
        lasts until the function returns or the loop ends."""
        self.open_regions.append((frame, self.enter(reason)))

    def enter(self, reason: str) -> Region:
        region = Region(reason, self.serial)
        self.regions.append(region)
        return region

    def leave(self, region: Region) -> None:
        """End a region (regions opened inside it by an uncertain return stay: what follows still runs
        on some paths only)."""
        for i in range(len(self.regions) - 1, -1, -1):
            if self.regions[i] is region:
                del self.regions[i]
                return

    def uncertain_loop(self, s, frame: Frame, reason: str, target=None) -> None:
        """The body of a loop that runs an unknown number of times: run once, in an uncertain region."""
        opened = len(self.open_regions)
        before = dict(frame.vars)
        region = self.enter(reason)
        try:
            if target is not None:
                self.assign(target, Unknown(reason), frame)
            self.run_branch(s.body, frame)
            self.run_branch(s.orelse, frame)
        finally:
            self.leave(region)
            self.close_regions(frame, opened)
        self.forget_changes(before, frame, reason)

    def forget_changes(self, before: dict, frame: Frame, reason: str) -> None:
        after = dict(frame.vars)
        _restore(frame.vars, before)
        for name, value in after.items():
            old = before.get(name, MISSING)
            if old is value:
                continue
            frame.vars[name] = self.merge_values(old, value, reason) if old is not MISSING else \
                _unknown_like(value, f"`{name}` is set where {reason}")

    def merge(self, a: dict, b: dict, reason: str) -> dict:
        out = {}
        for name in a.keys() | b.keys():
            va, vb = a.get(name, MISSING), b.get(name, MISSING)
            if va is vb:
                out[name] = va
            elif va is MISSING or vb is MISSING:
                out[name] = _unknown_like(va if vb is MISSING else vb, f"`{name}` is set only when {reason}")
            else:
                out[name] = self.merge_values(va, vb, reason, name)
        return out

    def merge_values(self, a, b, reason: str, name: str = ""):
        if a is b or _same_constant(a, b):
            return a
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            if a.shape is not None and a.shape == b.shape:
                return Tensor(a.shape, a.reason, a.origin if a.origin == b.origin else "")
            what = f"`{name}`" if name else "the value"
            return Tensor(None, f"{what} depends on {reason}: its shape differs between the branches")
        what = f"`{name}`" if name else "the value"
        return _unknown_like(a, f"{what} depends on {reason}", b)

    def close_regions(self, frame: Frame, since: int = 0) -> Optional[str]:
        """End the regions opened (open_region) in this frame, those after the first `since` entries of
        open_regions; returns the reason of the first one closed."""
        reason = None
        opened = self.open_regions
        while len(opened) > since and opened[-1][0] is frame:
            _, region = opened.pop()
            self.leave(region)
            reason = region.reason
        return reason

    # ------------------------------------------------------------------ mutation and taint
    def mutated(self, obj) -> None:
        """Called before an object is changed in place: inside an uncertain region, an object older than
        the region becomes tainted."""
        if not self.regions or self.born_here(obj):
            return
        self.set_taint(obj, Unknown(f"it is changed where {self.regions[-1].reason}"))

    def born_here(self, obj) -> bool:
        """Was the object made inside the innermost uncertain region (so changing it is certain there)?"""
        region = self.regions[-1]
        serial = getattr(obj, "serial", None)
        if serial is not None:
            return serial > region.serial
        return id(obj) in region.born

    def settled(self, obj, old, new, what: str):
        """The value to store when an attribute or a dict item is set: the new value, or, inside an
        uncertain region on an older object, a value that depends on the region (the item keeps or gets
        it on some paths only). Items are values: the rest of the object stays known."""
        if not self.regions or self.born_here(obj):
            return new
        reason = self.regions[-1].reason
        if old is MISSING:
            return _unknown_like(new, f"{what} is set only when {reason}")
        return self.merge_values(old, new, reason, what)

    def set_taint(self, obj, why: Unknown) -> None:
        if hasattr(obj, "taint") and not isinstance(obj, (list, dict, set)):
            if obj.taint is None:
                obj.taint = why
            return
        if id(obj) not in self.taint:
            self.taint[id(obj)] = (obj, why)

    def taint_of(self, obj) -> Optional[Unknown]:
        hit = self.taint.get(id(obj))
        return hit[1] if hit is not None and hit[0] is obj else None

    def born(self, obj):
        """Register a container made now (inside an uncertain region it belongs to the region)."""
        if self.regions:
            self.regions[-1].born[id(obj)] = obj
        return obj

    # ------------------------------------------------------------------ assignment
    def assign(self, target, value, frame: Frame) -> None:
        t = type(target)
        if t is ast.Name:
            self.store(target.id, value, frame)
        elif t is ast.Attribute:
            obj = self.eval(target.value, frame)
            pybuiltins.set_attr(self, obj, target.attr, value, target, frame)
        elif t is ast.Subscript:
            obj = self.eval(target.value, frame)
            key = self.eval(target.slice, frame)
            pybuiltins.set_item(self, obj, key, value, target, frame)
        elif t in (ast.Tuple, ast.List):
            self.unpack(target, value, frame)
        elif t is ast.Starred:
            self.assign(target.value, value, frame)

    def unpack(self, target, value, frame: Frame) -> None:
        elts = target.elts
        star = next((i for i, e in enumerate(elts) if isinstance(e, ast.Starred)), None)
        items = self.iterate(value, target, frame, unpack=len(elts) if star is None else None)
        if not isinstance(items, Unknown):
            if star is None and len(items) == len(elts):
                for e, v in zip(elts, items):
                    self.assign(e, v, frame)
                return
            if star is not None and len(items) >= len(elts) - 1:
                after = len(elts) - star - 1
                for e, v in zip(elts[:star], items[:star]):
                    self.assign(e, v, frame)
                self.assign(elts[star], self.born(list(items[star:len(items) - after])), frame)
                for e, v in zip(elts[star + 1:], items[len(items) - after:]):
                    self.assign(e, v, frame)
                return
            why = Unknown(f"`{frame.code.text(target)}` unpacks {len(items)} values, not {len(elts)}")
        else:
            why = items
        for e in elts:
            self.assign(e, _unknown_like(value, why.reason), frame)

    def store(self, name: str, value, frame: Frame) -> None:
        if frame.kind == "function":
            info = frame.info
            if name in info.globals:
                frame.globals[name] = value
                return
            if name in info.nonlocals:
                f = frame.outer
                while f is not None and name not in f.vars:
                    f = f.outer
                (f.vars if f is not None else frame.vars)[name] = value
                return
        frame.vars[name] = value

    def load(self, name: str, frame: Frame):
        v = self._load(name, frame)
        if type(v) is LazyImport:
            v = self.unit.loader.resolve(v)
        return v

    def _load(self, name: str, frame: Frame):
        kind = frame.kind
        if kind == "function":
            if name in frame.info.locals:
                v = frame.vars.get(name, MISSING)
                if v is MISSING:
                    return Unknown(f"`{name}` is used before it is assigned")
                return v
            if name not in frame.info.globals:
                f = frame.outer
                while f is not None:
                    v = f.vars.get(name, MISSING)
                    if v is not MISSING:
                        return v
                    f = f.outer
        elif kind == "comp":
            v = frame.vars.get(name, MISSING)
            if v is not MISSING:
                return v
            return self._load(name, frame.outer)
        elif kind == "class":
            v = frame.vars.get(name, MISSING)
            if v is not MISSING:
                return v
            f = frame.outer
            while f is not None:
                v = f.vars.get(name, MISSING)
                if v is not MISSING:
                    return v
                f = f.outer
        v = frame.globals.get(name, MISSING)
        if v is not MISSING:
            return v
        if "__star_imports__" in frame.globals:
            v = natives.star_lookup(frame.globals, name)
            if v is not MISSING:
                return v
        return pybuiltins.builtin(name)

    # ================================================================== expressions
    def eval(self, node, frame: Frame):
        handler = _EXPR.get(type(node))
        if handler is None:
            return Unknown(f"`{frame.code.text(node)}` is only known at run time")
        return handler(self, node, frame)

    def e_Constant(self, node, frame):
        v = node.value
        if isinstance(v, complex):
            return Unknown("a complex number")
        return v

    def e_Name(self, node, frame):
        return self.load(node.id, frame)

    def e_Attribute(self, node, frame):
        return pybuiltins.get_attr(self, self.eval(node.value, frame), node.attr, node, frame)

    def e_Subscript(self, node, frame):
        base = self.eval(node.value, frame)
        key = self.eval(node.slice, frame)
        return pybuiltins.get_item(self, base, key, node, frame)

    def e_Slice(self, node, frame):
        parts = [self.eval(p, frame) if p is not None else None for p in (node.lower, node.upper, node.step)]
        for p in parts:
            if not (p is None or isinstance(p, int)):
                if isinstance(p, Unknown):
                    return Unknown(f"the slice `{frame.code.text(node)}` is known only at run time")
                return Unknown(f"the slice `{frame.code.text(node)}` has bounds the analysis does not follow")
        return slice(*parts)

    def e_Index(self, node, frame):   # Python 3.8's wrapper of a subscript's key
        return self.eval(node.value, frame)

    def e_Tuple(self, node, frame):
        items = self.elements(node.elts, frame)
        return items if isinstance(items, Unknown) else tuple(items)

    def e_List(self, node, frame):
        items = self.elements(node.elts, frame)
        return items if isinstance(items, Unknown) else self.born(items)

    def e_Set(self, node, frame):
        items = self.elements(node.elts, frame)
        if isinstance(items, Unknown):
            return items
        try:
            return self.born(set(items))
        except TypeError:
            return Unknown(f"`{frame.code.text(node)}` holds values that cannot be in a set")

    def elements(self, elts: list, frame: Frame):
        out = []
        self.tick(len(elts) // 8)
        for el in elts:
            if type(el) is ast.Starred:
                items = self.iterate(self.eval(el.value, frame), el.value, frame)
                if isinstance(items, Unknown):
                    return items
                out.extend(items)
            else:
                out.append(self.eval(el, frame))
        if len(out) > MAX_ITEMS:
            return Unknown(f"a container of {len(out):,} elements (more than {MAX_ITEMS:,})")
        return out

    def e_Dict(self, node, frame):
        out = self.born({})
        self.tick(len(node.keys) // 8)
        for k, v in zip(node.keys, node.values):
            if k is None:   # **other
                other = self.eval(v, frame)
                if isinstance(other, dict) and self.taint_of(other) is None:
                    out.update(other)
                    continue
                return Unknown(f"`**{frame.code.text(v)}` is known only at run time")
            key = self.eval(k, frame)
            if not _hashable(key) or isinstance(key, Unknown):
                return Unknown(f"a key of `{frame.code.text(node)}` is known only at run time")
            out[key] = self.eval(v, frame)
        return out

    def e_JoinedStr(self, node, frame):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
                continue
            value = self.eval(v.value, frame)
            if not isinstance(value, (int, float, str, bool, type(None))):
                return Unknown(f"`{frame.code.text(node)}` is formatted at run time")
            spec = ""
            if v.format_spec is not None:
                spec = self.eval(v.format_spec, frame)
                if not isinstance(spec, str):
                    return Unknown(f"`{frame.code.text(node)}` is formatted at run time")
            try:
                if v.conversion == ord("r"):
                    value = repr(value)
                elif v.conversion == ord("s"):
                    value = str(value)
                parts.append(format(value, spec))
            except (ValueError, TypeError):
                return Unknown(f"`{frame.code.text(node)}` cannot be formatted")
        return "".join(parts)

    def e_FormattedValue(self, node, frame):
        return Unknown("a formatted value")

    def e_UnaryOp(self, node, frame):
        v = self.eval(node.operand, frame)
        op = type(node.op)
        if op is ast.Not:
            t = self.truth(v)
            return Unknown(f"`{frame.code.text(node)}` is known only at run time") if t is None else not t
        if isinstance(v, Tensor):
            return natives.tensors().unary(self, v, node, frame)
        if isinstance(v, (int, float)) and not isinstance(v, bool) or isinstance(v, bool):
            try:
                return -v if op is ast.USub else (+v if op is ast.UAdd else ~v)
            except TypeError:
                pass
        if isinstance(v, Unknown):
            return v
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")

    def e_BinOp(self, node, frame):
        left = self.eval(node.left, frame)
        right = self.eval(node.right, frame)
        return self.binary(type(node.op), left, right, node, frame)

    def binary(self, op, left, right, node, frame, inplace: bool = False):
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return natives.tensors().binary(self, op, left, right, node, frame, inplace)
        return pybuiltins.const_binary(self, op, left, right, node, frame)

    def e_BoolOp(self, node, frame):
        is_and = isinstance(node.op, ast.And)
        value = None
        for i, part in enumerate(node.values):
            value = self.eval(part, frame)
            if i == len(node.values) - 1:
                return value
            t = self.truth(value)
            if t is None:   # either operand may be the result: a module among them may be it
                rest = [self.eval(p, frame) for p in node.values[i + 1:]]
                return self.merge_values(value, rest[-1], f"`{frame.code.text(node)}` is known only at run time")
            if is_and and not t:
                return value
            if not is_and and t:
                return value
        return value

    def e_Compare(self, node, frame):
        left = self.eval(node.left, frame)
        result = True
        for op, comp in zip(node.ops, node.comparators):
            right = self.eval(comp, frame)
            if len(node.ops) == 1 and isinstance(op, _TENSOR_COMPARISONS) and \
                    (isinstance(left, (Tensor, Param)) or isinstance(right, (Tensor, Param))):
                # `relative_positions > 0`: a tensor of booleans, the operands broadcast (as for `+`)
                return self.binary(ast.Add, left, right, node, frame)
            r = pybuiltins.compare(type(op), left, right)
            if r is None:
                return Unknown(f"`{frame.code.text(node)}` is known only at run time")
            if not r:
                return False
            left = right
        return result

    def e_IfExp(self, node, frame):
        test = self.test_truth(node.test, frame)
        if test is None:
            a, b = self.eval(node.body, frame), self.eval(node.orelse, frame)
            reason = f"the condition `{frame.code.text(node.test)}` is known only at run time"
            return self.merge_values(a, b, reason)
        return self.eval(node.body if test else node.orelse, frame)

    def e_NamedExpr(self, node, frame):
        value = self.eval(node.value, frame)
        f = frame
        while f.kind == "comp":
            f = f.outer
        self.assign(node.target, value, f)
        return value

    def e_Lambda(self, node, frame):
        defaults = [self.eval(d, frame) for d in node.args.defaults]
        kwdefaults = {a.arg: self.eval(d, frame) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults)
                      if d is not None}
        outer = frame if frame.kind in ("function", "comp") else (frame.outer if frame.kind == "class" else None)
        return Function(node, frame.code, "<lambda>", "<lambda>", frame.globals, outer, defaults, kwdefaults)

    def e_Starred(self, node, frame):
        return Unknown("a starred expression")

    def e_Await(self, node, frame):
        return Unknown("an awaited value is known only at run time")

    def e_Yield(self, node, frame):
        return Unknown("a yielded value")

    e_YieldFrom = e_Yield

    # ------------------------------------------------------------------ comprehensions
    def e_ListComp(self, node, frame):
        out = self.comprehension(node, frame, lambda f: self.eval(node.elt, f))
        return out if isinstance(out, Unknown) else self.born(out)

    e_GeneratorExp = e_ListComp

    def e_SetComp(self, node, frame):
        out = self.comprehension(node, frame, lambda f: self.eval(node.elt, f))
        if isinstance(out, Unknown):
            return out
        try:
            return self.born(set(out))
        except TypeError:
            return Unknown("a set of values that cannot be in a set")

    def e_DictComp(self, node, frame):
        out = self.comprehension(node, frame, lambda f: (self.eval(node.key, f), self.eval(node.value, f)))
        if isinstance(out, Unknown):
            return out
        if not all(_hashable(k) and not isinstance(k, Unknown) for k, _ in out):
            return Unknown(f"a key of `{frame.code.text(node)}` is known only at run time")
        return self.born(dict(out))

    def comprehension(self, node, frame: Frame, element):
        inner = Frame("comp", frame.code, {}, frame.globals, frame)
        out: list = []
        first = self.iterate(self.eval(node.generators[0].iter, frame), node.generators[0].iter, frame)
        if isinstance(first, Unknown):
            return Unknown(f"`{frame.code.text(node)}` iterates over a value known only at run time: {first.reason}")
        problem = self._generate(node.generators, 0, first, inner, element, out)
        return problem if problem is not None else out

    def _generate(self, generators: list, index: int, items, frame: Frame, element, out: list):
        gen = generators[index]
        for item in items:
            self.tick()
            self.assign(gen.target, item, frame)
            keep = True
            for cond in gen.ifs:
                t = self.test_truth(cond, frame)
                if t is None:
                    return Unknown(f"the condition `{frame.code.text(cond)}` is known only at run time")
                if not t:
                    keep = False
                    break
            if not keep:
                continue
            if index + 1 < len(generators):
                nxt = generators[index + 1]
                inner = self.iterate(self.eval(nxt.iter, frame), nxt.iter, frame)
                if isinstance(inner, Unknown):
                    return inner
                problem = self._generate(generators, index + 1, inner, frame, element, out)
                if problem is not None:
                    return problem
            else:
                out.append(element(frame))
                if len(out) > MAX_ITEMS:
                    return Unknown(f"more than {MAX_ITEMS:,} elements")
        return None

    # ------------------------------------------------------------------ calls
    def e_Call(self, node: ast.Call, frame: Frame):
        fn = self.eval(node.func, frame)
        args, kwargs, star = self.arguments(node, frame)
        value = self.call(fn, args, kwargs, node, frame, star)
        if type(value) is Tensor and value.reason and incomplete(value.shape) and \
                not any(value is a for a in args) and not _NAMES_A_LINE.search(value.reason):
            value.reason = self.located(value.reason)   # a "?" that begins at this call (a factory, a stub's op)
        return value

    def arguments(self, node: ast.Call, frame: Frame) -> tuple:
        """(positional, keywords, star): star is an Unknown when *args / **kwargs could not be expanded."""
        args: list = []
        kwargs: dict = {}
        star = None
        for a in node.args:
            if type(a) is ast.Starred:
                items = self.iterate(self.eval(a.value, frame), a.value, frame)
                if isinstance(items, Unknown):
                    star = Unknown(f"`*{frame.code.text(a.value)}` is unpacked at run time: {items.reason}")
                else:
                    args.extend(items)
            else:
                args.append(self.eval(a, frame))
        for k in node.keywords:
            v = self.eval(k.value, frame)
            if k.arg is None:
                if isinstance(v, dict) and all(isinstance(x, str) for x in v) and self.taint_of(v) is None:
                    kwargs.update(v)
                else:
                    star = Unknown(f"`**{frame.code.text(k.value)}` is unpacked at run time")
            else:
                kwargs[k.arg] = v
        return args, kwargs, star

    def call(self, fn, args: list, kwargs: dict, node, frame: Frame, star=None):
        self.steps += 1
        t = type(fn)
        if t is Function:
            return self.call_function(fn, args, kwargs, node, frame, star)
        if t is BoundMethod:
            if isinstance(fn.fn, Function):
                record = frame.record and fn.obj is frame.self_obj   # a helper method of the recorded forward
                return self.call_function(fn.fn, [fn.obj] + args, kwargs, node, frame, star, record=record)
            return self.call(fn.fn, [fn.obj] + args, kwargs, node, frame, star)
        if t is UserClass:
            return self.instantiate(fn, args, kwargs, node, frame, star)
        if t is Native:
            return natives.call_native(self, fn.name, args, kwargs, node, frame, star)
        if t is NativeMethod:
            return natives.call_method(self, fn.obj, fn.name, args, kwargs, node, frame, star)
        if t is Partial:
            merged = dict(fn.kwargs)
            merged.update(kwargs)
            return self.call(fn.fn, list(fn.args) + args, merged, node, frame, star)
        if t in (StaticMethod, ClassMethod):
            return self.call(fn.fn, args, kwargs, node, frame, star)
        return natives.call_object(self, fn, args, kwargs, node, frame, star)

    def call_function(self, fn: Function, args: list, kwargs: dict, node, frame: Frame, star=None,
                      record: bool = False, self_obj=None):
        fn.invoked = True
        if self.depth >= MAX_DEPTH:
            return _result_unknown(args, f"the calls are nested more than {MAX_DEPTH} deep (at `{fn.qualname}()`)")
        info = scope_info(fn.node)
        if info.generator:
            return Unknown(f"`{fn.qualname}()` is a generator")
        new = Frame("function", fn.code, {}, fn.globals, fn.outer, fn, info)
        # steps: every function of the analysed file that runs inside a model's run (a block's forward, a
        # helper), not only the model's own forward
        new.record = record or (self.recorder is not None and fn.code.external is None)
        new.self_obj = self_obj if self_obj is not None else (args[0] if args else None)
        problem = self.bind(fn, args, kwargs, star, new)
        if problem:
            if not self.speculating:   # Python raises TypeError here
                self.unit.report(frame.code.span(node) if node is not None else self.anchor(), "SL010",
                                 "error" if not self.regions and not self.quiet else "warning",
                                 f"{problem}: Python raises TypeError")
            return _result_unknown(args, problem)
        self.depth += 1
        self.calls.append(frame.code.span(node) if node is not None else None)
        self.frames.append(new)
        caller_stmt = self.stmt
        try:
            if isinstance(fn.node, ast.Lambda):
                result = self.eval(fn.node.body, new)
            else:
                try:
                    self.exec_body(fn.node.body, new)
                    result = None
                except Return as r:
                    result = r.value
                except (Break, Continue):
                    result = None
        except Raise as r:
            result = _result_unknown(args, f"`{fn.qualname}()` stops at {r.reason}")
            if fn.name == "__init__":   # also through super().__init__(): the object is never made
                natives.init_failed(self, new.self_obj, result)
        finally:
            self.depth -= 1
            self.calls.pop()
            self.frames.pop()
            self.stmt = caller_stmt
            self.close_regions(new)
        if new.returns:
            reason = self.located(f"`{fn.qualname}()` returns on a path known only at run time")
            for other in new.returns:
                result = self.merge_values(other, result, reason)
        return result

    def bind(self, fn: Function, args: list, kwargs: dict, star, frame: Frame) -> str:
        a = fn.node.args
        positional = a.posonlyargs + a.args
        names = frame.vars
        given = dict(kwargs)
        n_pos = len(positional)
        first_default = n_pos - len(fn.defaults)
        for i, p in enumerate(positional):
            if i < len(args):
                names[p.arg] = args[i]
                if p.arg in given and i >= len(a.posonlyargs):
                    return f"`{fn.qualname}()` got multiple values for `{p.arg}`"
            elif p.arg in given and i >= len(a.posonlyargs):
                names[p.arg] = given.pop(p.arg)
            elif star is not None:
                names[p.arg] = star
            elif i >= first_default:
                names[p.arg] = fn.defaults[i - first_default]
            else:
                return f"`{fn.qualname}()` is called without its argument `{p.arg}`"
        extra = args[n_pos:]
        if a.vararg is not None:
            names[a.vararg.arg] = tuple(extra) if star is None else star
        elif extra:
            return f"`{fn.qualname}()` takes {n_pos} positional arguments but {len(args)} were given"
        for p in a.kwonlyargs:
            if p.arg in given:
                names[p.arg] = given.pop(p.arg)
            elif star is not None:
                names[p.arg] = star
            elif p.arg in fn.kwdefaults:
                names[p.arg] = fn.kwdefaults[p.arg]
            else:
                return f"`{fn.qualname}()` is called without its keyword argument `{p.arg}`"
        if a.kwarg is not None:
            names[a.kwarg.arg] = self.born(given) if star is None else star
        elif given:
            return f"`{fn.qualname}()` got an unexpected keyword argument `{next(iter(given))}`"
        return ""

    def instantiate(self, cls: UserClass, args: list, kwargs: dict, node, frame: Frame, star=None):
        cls.invoked = True
        obj = natives.new_object(self, cls, node, frame)
        init, owner = cls.lookup("__init__")
        if init is MISSING:
            if isinstance(owner, Native):
                natives.native_init(self, owner.name, obj, args, kwargs, node, frame, star)
            elif cls.dataclass:
                natives.dataclass_init(self, cls, obj, args, kwargs, node, frame, star)
            return obj
        if isinstance(init, Function):
            result = self.call_function(init, [obj] + args, kwargs, node, frame, star)
            if isinstance(result, Unknown) and not isinstance(result, Tensor):
                natives.init_failed(self, obj, result)
        return obj

    # ================================================================== helpers
    def test_truth(self, test, frame: Frame) -> Optional[bool]:
        """The truth of an `if` / `while` / comprehension test. `a and b` is false once a part is known false,
        `a or b` true once a part is known true, whatever the parts not known are: linformer's
        `if self.training and self.layer_dropout > 0:` with layer_dropout 0 is false in training and in eval."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            t = self.test_truth(test.operand, frame)
            return None if t is None else not t
        if not isinstance(test, ast.BoolOp):
            return self.truth(self.eval(test, frame))
        decides = not isinstance(test.op, ast.And)   # the truth that ends the chain: False for and, True for or
        known = True
        for part in test.values:   # in order, stopping where Python stops: a part after is never evaluated
            t = self.test_truth(part, frame)
            if t is decides:
                return decides
            known = known and t is not None
        return (not decides) if known else None

    def truth(self, v) -> Optional[bool]:
        if v is None or v is False or v is True:
            return bool(v)
        if isinstance(v, (Unknown, Tensor)):
            return None
        if isinstance(v, (int, float, str, tuple)):
            return bool(v)
        if isinstance(v, (list, dict, set)):
            if self.taint_of(v) is not None:
                return None
            return bool(v)
        return natives.truth(self, v)

    def iterate(self, v, node, frame: Frame, unpack: Optional[int] = None):
        """The items of an iterable as a list, or an Unknown saying why they are not known."""
        if isinstance(v, (list, tuple, dict, set, str, range)):
            if isinstance(v, (list, dict, set)):
                why = self.taint_of(v)
                if why is not None:
                    return why
            if len(v) > MAX_LOOP * 10 and not isinstance(v, str):
                return Unknown(f"`{frame.code.text(node)}` has {len(v):,} items (more than {MAX_LOOP * 10:,})")
            if isinstance(v, range) and len(v) > MAX_LOOP:
                return Unknown(f"`{frame.code.text(node)}` has {len(v):,} items (more than {MAX_LOOP:,})")
            return list(v)
        if isinstance(v, Unknown):
            return v
        return natives.iterate(self, v, node, frame, unpack)


# ====================================================================== module-level helpers

def _load(target):
    """The expression that reads what an assignment target writes (for `x += 1`)."""
    if isinstance(target, ast.Name):
        return ast.Name(target.id, ast.Load(), lineno=target.lineno, col_offset=target.col_offset,
                        end_lineno=target.end_lineno, end_col_offset=target.end_col_offset)
    if isinstance(target, ast.Attribute):
        return ast.Attribute(target.value, target.attr, ast.Load(), lineno=target.lineno,
                             col_offset=target.col_offset, end_lineno=target.end_lineno,
                             end_col_offset=target.end_col_offset)
    if isinstance(target, ast.Subscript):
        return ast.Subscript(target.value, target.slice, ast.Load(), lineno=target.lineno,
                             col_offset=target.col_offset, end_lineno=target.end_lineno,
                             end_col_offset=target.end_col_offset)
    return target


def _restore(vars_: dict, values: dict) -> None:
    """Replace a frame's names in place (a module frame's dict is the functions' globals)."""
    vars_.clear()
    vars_.update(values)


def _qualname(frame: Frame) -> str:
    if frame.kind == "class":
        return frame.fn or "<class>"
    if frame.fn is not None and hasattr(frame.fn, "qualname"):
        return f"{frame.fn.qualname}.<locals>"
    return "<locals>"


def _dir_of(path):
    import os

    return os.path.dirname(path) if path else None


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _same_constant(a, b) -> bool:
    if type(a) is not type(b) or type(a) not in (int, float, str, bool, tuple, type(None)):
        return False
    try:
        return bool(a == b)
    except Exception:
        return False


def _unknown_like(value, reason: str, other=None):
    """An unknown in place of `value` (and `other`): a tensor of unknown shape for a tensor; Opaque (it may
    be a module, with parameters) for a module or an Opaque; Unknown otherwise."""
    if isinstance(value, Tensor) or isinstance(other, Tensor):
        return Tensor(None, reason)
    if natives.is_module(value) or natives.is_module(other) or isinstance(value, Opaque) or \
            isinstance(other, Opaque):
        return Opaque(reason)
    return Unknown(reason)


def _result_unknown(args: list, reason: str):
    if any(isinstance(a, Tensor) for a in args):
        return Tensor(None, reason)
    return Unknown(reason)


_STMT = {getattr(ast, name[2:]): fn for name, fn in vars(Interp).items()
         if name.startswith("s_") and hasattr(ast, name[2:])}
_EXPR = {getattr(ast, name[2:]): fn for name, fn in vars(Interp).items()
         if name.startswith("e_") and hasattr(ast, name[2:])}

__all__ = ["Interp", "Frame", "Region", "MAX_DEPTH", "MAX_LOOP", "MAX_ITEMS", "STEP_LIMIT", "operator", "Shape",
           "Instance"]
