"""From the interpreter's objects to the records: which objects are models, their inputs, and a run of
each model on its input that records every layer call.

A unit of the file (units.py) runs in three phases:
1. build: its statements run in order, as Python would run the file (`if __name__ == "__main__"` included).
2. speculative: a top-level function nobody called runs with its defaults (the arguments it has no
   default for are unknown), and a top-level model class nobody made and no other code names is made
   with its defaults; what they build is shown too (`make_model()`, `Net`).
3. run: each model (a module, layer or Keras model bound to a name, returned by a speculative function,
   or made from a class; never a part of another model) runs on its input — a directive, an example
   call in the file, a torchinfo summary(), model.build(), keras.Input, or the editor's default — while
   a Recorder notes every layer call. Its records list its layers in named_modules() order (torch) or
   the order Keras applies them.
"""
from __future__ import annotations

import ast
import os
import re
from typing import Any, Optional

from .. import inference
from ..records import Diagnostic, LayerRecord, ModelRecord, Span, StepRecord
from ..shapes import Shape
from . import keras as K
from . import modules as M
from .code import code_of
from .loader import Loader
from .machine import Frame, Interp
from .objects import (MISSING, BudgetSpent, Break, Continue, Function, Opaque, Param, Raise, Return, Tensor,
                      Unknown, UserClass, incomplete)

from ..directives import ANY_DIRECTIVE_RE, DIRECTIVE_RE
BUILD_BUDGET = 300_000      # steps for the module-level statements of a unit
SPECULATIVE_BUDGET = 100_000   # steps for each speculative run
# steps for all of a unit's speculative runs: timm's vision_transformer.py registers ~250 builders of big
# models, each spending its budget (10M steps, over a minute); past this, the rest are not run
SPECULATIVE_TOTAL = 800_000
RUN_BUDGET = 200_000        # steps for each model's recorded run
MAX_ROOTS = 400             # models recorded per unit (a file of thousands of models: the first ones)


class Recorder:
    """The layer calls of one model's run, for its records."""

    def __init__(self, root: M.Mod, names: dict) -> None:
        self.root = root
        self.names = names            # id(mod) -> path ("layer1.0.conv1")
        self.first: dict = {}         # id(mod) -> (ctx, input shape, call span)
        self.macs: dict = {}          # id(mod) -> total MACs over the calls (None: unknown)
        self.merges: dict = {}        # id(mod) -> (input shape, output shape)
        self.steps: dict = {}         # Span -> StepRecord
        self.step_counts: dict = {}

    def records(self, mod) -> bool:
        return mod is self.root

    def name_of(self, mod) -> str:
        return self.names.get(id(mod), "")

    def leaf_call(self, mod, ctx, x: Tensor, span) -> None:
        key = id(mod)
        if key not in self.first:
            self.first[key] = (ctx, x.shape, span)
            self.macs[key] = ctx.macs
        else:
            total = self.macs.get(key)
            self.macs[key] = None if total is None or ctx.macs is None else total + ctx.macs

    def merge_call(self, mod, shape, out, span) -> None:
        self.merges.setdefault(id(mod), (shape, out))

    def module_call(self, mod, x, out) -> None:
        """A module of the file's classes called (its first call: input and output, for a module without
        children, which is a leaf of named_modules())."""
        if id(mod) not in self.merges:
            shape = x.shape if isinstance(x, Tensor) else None
            main = _main_tensor(out)   # a (outputs, state) pair: its first tensor, as an LSTM's row shows
            self.merges[id(mod)] = (shape, main.shape if main is not None else None)


def _main_tensor(out, depth: int = 0):
    """The first tensor of a module's output, depth first (d2l's RNNScratch returns (outputs, state), outputs a
    list of tensors)."""
    if isinstance(out, Tensor):
        return out
    if isinstance(out, (tuple, list)) and depth < 4:
        for v in out[:64]:
            found = _main_tensor(v, depth + 1)
            if found is not None:
                return found
    return None


class Unit:
    """One unit of a file: its statements, what they bind, and the records found."""

    def __init__(self, lines: list, path: str, options, chunks: list) -> None:
        self.lines = lines
        self.directive_line: Optional[int] = None   # the line of the directive the last inputs() took
        self.path = path
        self.options = options
        self.chunks = chunks
        self.diagnostics: list = []
        self.bindings: list = []      # (name, value, name span, statement line)
        self.functions: list = []     # top-level functions, in order
        self.classes: list = []       # top-level classes, in order
        self.examples: dict = {}      # id(mod) -> (mod, [tensors], source)
        self.made: list = []          # Sequentials / functional models made (models not bound to a name)
        self.speculative: list = []   # (name, value, Function or UserClass)
        self.globals: dict = {}
        self.frameworks: set = set()
        self.budget_problem: Optional[str] = None
        self.loader: Optional[Loader] = None
        self.main = None              # main_module()
        self.reflective = False       # the file's module object was reached: see main_module()
        self.anchor_default = Span(1, 1, 1, 1)   # where another file's code lands with no call to anchor it

    # ------------------------------------------------------------------ hooks from the interpreter
    def report(self, span, code: str, severity: str, message: str, related=None) -> None:
        if span is None:
            return
        self.diagnostics.append(Diagnostic(span, code, severity, message, list(related or [])))

    def bound(self, it, stmt, frame, value) -> None:
        """An assignment ran: a model bound to a name is a model of the file (`model = nn.Sequential(...)`),
        at module level or in a top-level function (a builder), not in a method (a part of its object)."""
        if frame.code.external is None:   # a statement of another file has no line here
            for t in _tensors_in(value):
                if (t.node is not None or t.is_input) and len(t.step_spans) < 8:
                    span = frame.code.span(stmt)
                    if span not in t.step_spans:
                        t.step_spans = t.step_spans + (span,)
        if isinstance(value, Unknown) and frame.kind == "module" and frame.code.external is None and \
                it.recorder is None:
            self._directive_on_unknown(stmt, frame, value)
        if type(value) is not M.Mod or it.recorder is not None or frame.code.external is not None:
            return
        if frame.kind != "module" and (frame.kind != "function" or frame.fn.owner is not None or
                                       frame.fn.outer is not None):
            return
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            name = _dotted(t)
            if name and isinstance(t, ast.Attribute) and type(it.eval(t.value, frame)) is M.Mod:
                continue   # `self.features = ...` in a module's __init__: a part of that module
            if name:
                self.bindings.append((name, value, frame.code.span(t), frame.code.span(stmt).line, frame.kind,
                                      frame.code.span(stmt.value)))

    def _directive_on_unknown(self, stmt, frame, value: Unknown) -> None:
        """`# shapelens: input=` above `model = make(...)` whose value shapelens could not build: the directive
        can attach to nothing, and the cause is this value's (issue #18: the nearest miss, at its line)."""
        line = frame.code.span(stmt).line
        above = self.lines[line - 2] if 1 < line <= len(self.lines) + 1 else ""
        m = ANY_DIRECTIVE_RE.search(above) if "shapelens" in above else None
        if m is None:
            return
        span = Span(line - 1, m.start() + 1, line - 1, len(above.rstrip("\r\n")) + 1)
        self.report(span, "SL003", "warning", f"`# shapelens: input=` on line {line - 1} is attached to no model: "
                                              f"`{frame.code.text(stmt, 60)}` is not a model shapelens can follow: "
                                              f"{value.reason}")

    def defined(self, it, definition, frame, value) -> None:
        """A top-level def or class: `definition` as written, `value` what its decorators made of it."""
        if frame.kind != "module" or frame.code.external is not None:
            return
        if isinstance(definition, Function):
            self.functions.append((definition, value))
        elif isinstance(definition, UserClass):
            self.classes.append(definition)

    def step(self, it, stmt, frame, value) -> None:
        """A statement of the analysed file ran inside a model's run and made a tensor (or a tuple of them):
        its step gathers the distinct shapes over every run."""
        rec = it.recorder
        if rec is None or frame.code.external is not None:
            return
        tensors = _tensors_in(value)
        if not tensors:
            return
        span = frame.code.span(stmt)
        step = rec.steps.get(span)
        if step is None:
            step = rec.steps[span] = StepRecord(span, None, "", [], [], 0, len(tensors))
        step.runs += 1
        step.per_run = max(step.per_run, len(tensors))
        where = it.regions[-1].reason if it.regions else ""
        for t in tensors:
            _add_shape(step, t.shape, where)
            if incomplete(t.shape) and t.reason and t.reason not in step.unknown_reasons and \
                    len(step.unknown_reasons) < 3:   # a "?" size too, with where it began
                step.unknown_reasons.append(t.reason)
        shapes = step.output_shapes
        step.output_shape = shapes[0] if len(shapes) == 1 else None
        step.text = f"{len(shapes)} shapes over {step.runs} runs" if len(shapes) > 1 and step.per_run == 1 else ""

    def loop_unknown(self, it, stmt, frame, items: Unknown) -> None:
        if frame.record and it.recorder is not None:
            self.report(frame.code.span(stmt.iter), "SL002", "info",
                        f"the loop over `{frame.code.text(stmt.iter)}` cannot be unrolled ({items.reason}): what "
                        f"the loop assigns is unknown after it")

    def example(self, it, mod, tensors: list, source: str) -> None:
        if it.recorder is None and id(mod) not in self.examples:
            self.examples[id(mod)] = (mod, tensors, source)

    def summary_call(self, it, name: str, args: list, kwargs: dict, node, frame) -> None:
        """torchinfo's summary(model, input_size=(...)) (batch included) / torchsummary's (batch excluded)."""
        mod = args[0]
        if type(mod) is not M.Mod:
            return
        size = kwargs.get("input_size", args[1] if len(args) > 1 else None)
        if isinstance(size, list) and size and isinstance(size[0], (tuple, list)):
            size = size[0]
        if not isinstance(size, (tuple, list)) or not all(isinstance(d, int) and not isinstance(d, bool)
                                                         for d in size):
            return
        if name.startswith("torchsummary"):
            self.example(it, mod, [Tensor(Shape.of(["N"] + list(size)))], "torchsummary summary()")
        else:
            self.example(it, mod, [Tensor(Shape.of(list(size)))], "torchinfo summary()")

    def self_module(self, frame):
        """The analysed file as a module object (its own globals), for `sys.modules[__name__]`."""
        if frame.module is not None:
            return frame.module
        return self.main_module()

    def main_module(self):
        """The analysed file's module object (`sys.modules["__main__"]`, also reached from other files: timm's
        register_model reads `sys.modules[fn.__module__].default_cfgs`). Which of its names the code reads is
        then not in the text: a unit that reaches it is analysed again as the whole file (engine)."""
        from .loader import ModuleValue

        if self.main is None:
            self.main = ModuleValue("__main__", self.path, None)
            self.main.globals = self.globals
        self.reflective = True
        return self.main

    def guess_framework(self) -> str:
        return "keras" if "keras" in self.frameworks and "torch" not in self.frameworks else "torch"

    # ------------------------------------------------------------------ the phases
    def run(self) -> tuple:
        it = Interp(self)
        it.limit = BUILD_BUDGET
        self.loader = Loader(it, self.path)
        frame = None
        for chunk in self.chunks:
            code = code_of(chunk, self.lines)
            if frame is None:
                frame = Frame("module", code, self.globals, self.globals)
                it.frames.append(frame)
            frame.code = code
            self._note_frameworks(chunk.text)
            if self.budget_problem is None:
                self._statements(it, code.body, frame)
        if frame is None:
            return [], self.diagnostics, {}
        self._speculate(it, frame)
        models = self._records(it, frame)
        deps = dict(self.loader.deps)
        if self.reflective:
            deps[REFLECTIVE] = True
        return models, _dedupe(self.diagnostics), deps

    def _note_frameworks(self, text: str) -> None:
        if "torch" in text:
            self.frameworks.add("torch")
        if "keras" in text:
            self.frameworks.add("keras")

    def _statements(self, it: Interp, body: list, frame: Frame) -> None:
        for stmt in body:
            try:
                it.exec_stmt(stmt, frame)
            except (Return, Break, Continue, Raise):
                pass
            except BudgetSpent as b:
                self.budget_problem = b.reason
                self.report(frame.code.span(stmt), "SL001", "info",
                            f"{b.reason}: what this file builds from here on is not followed")
                return
            except RecursionError:
                self.report(frame.code.span(stmt), "SL001", "info",
                            "this statement is nested too deeply to analyse")

    def _speculate(self, it: Interp, frame: Frame) -> None:
        """Functions nobody called, with their defaults; model classes nobody made or named, likewise."""
        named = _names_used([fn for fn, _ in self.functions], self.classes)
        start = it.steps
        for fn, value in self.functions:
            if fn.invoked or self.budget_problem:
                continue
            if it.steps - start > SPECULATIVE_TOTAL:
                skipped = [f for f, _ in self.functions if not f.invoked and f is not fn]
                self.report(_def_span(fn), "SL001", "info",
                            f"`{fn.name}()` and {len(skipped)} more functions nobody calls in this file are not "
                            f"run with their defaults: the budget of {SPECULATIVE_TOTAL:,} steps for those runs is "
                            f"spent (call one, or give its model a name, to see it)")
                break
            it.limit = it.steps + SPECULATIVE_BUDGET
            result = self._speculative_call(it, fn, frame, value)
            if type(result) is M.Mod:
                self.speculative.append((f"{fn.name}()", result, fn))
        for cls in self.classes:
            if cls.invoked or cls.framework is None or cls.name in named or self.budget_problem:
                continue
            if not any(m in c.ns for c in cls.mro if isinstance(c, UserClass) for m in ("forward", "call")):
                continue
            it.limit = it.steps + SPECULATIVE_BUDGET
            obj = self._speculative_call(it, cls, frame)
            if type(obj) is M.Mod:
                self.speculative.append((cls.name, obj, cls))

    def _speculative_call(self, it: Interp, target, frame: Frame, value=None):
        """Run a def (through what its decorators made of it, `value`) or make a class, with its defaults."""
        fn = target
        if isinstance(target, UserClass):
            init, _ = target.lookup("__init__")
            fn = init if isinstance(init, Function) else None
        args, kwargs = _missing_arguments(fn, target) if fn is not None else ([], {})
        it.speculating = True
        try:
            return it.call(value if value is not None else target, args, kwargs, None, frame)
        except (Return, Break, Continue, Raise):
            return None
        except BudgetSpent as b:
            self.report(_def_span(target), "SL001", "info", f"{b.reason} while running `{target.name}` with its "
                                                            f"defaults: what it builds is not shown")
            return None
        except RecursionError:
            return None
        finally:
            it.speculating = False

    # ------------------------------------------------------------------ which objects are models
    def roots(self) -> list:
        """(name, model, name span, statement line, origin) for the file's models, in order, each once,
        never a part of another. origin: the span of the assigned value, or the speculative function or
        class that made the model."""
        candidates = []
        # names bound at module level first: `model = vgg11()` names the model, not the `model = VGG(...)`
        # inside the helper that built it; then what speculative runs return (`vgg13()`), then names bound
        # inside functions
        for name, value, span, line, kind, value_span in self.bindings:
            if kind == "module" and _is_model(value):
                candidates.append((name, value, span, line, value_span))
        for name, value, origin in self.speculative:
            if _is_model(value):
                candidates.append((name, value, None, None, origin))
        for name, value, span, line, kind, value_span in self.bindings:
            if kind != "module" and _is_model(value):
                candidates.append((name, value, span, line, value_span))
        for value in self.made:
            if _is_model(value):
                label = "Sequential" if value.kind == M.SEQUENTIAL else "Model"
                candidates.append((f"{label} at line {value.span.line}", value, None, None, None))
        inside: set = set()
        for c in candidates:
            inside |= _parts(c[1])
        seen: set = set()
        out = []
        for c in candidates:
            key = id(c[1])
            if key in inside or (key in seen and not self._directive_above(c[3])):
                continue   # (a second name for a model, `model = D` under a directive: its own record)
            seen.add(key)
            out.append(c)
        return out[:MAX_ROOTS]

    def _directive_above(self, line) -> bool:
        return line is not None and 1 < line <= len(self.lines) + 1 and \
            DIRECTIVE_RE.search(self.lines[line - 2]) is not None

    # ------------------------------------------------------------------ records
    def _records(self, it: Interp, frame: Frame) -> list:
        models = []
        for name, mod, name_span, line, origin in self.roots():
            it.limit = it.steps + RUN_BUDGET
            try:
                models.append(self._record(it, frame, name, mod, name_span, line, origin))
            except RecursionError:
                self.report(mod.span, "SL001", "info", f"`{name}` is nested too deeply to analyse")
        return models

    def _record(self, it: Interp, frame: Frame, name: str, mod: M.Mod, name_span, line, origin) -> ModelRecord:
        self.anchor_default = name_span or mod.span or self.anchor_default
        kind = {M.SEQUENTIAL: "sequential", M.FUNCTIONAL: "functional", M.LEAF: "layer"}.get(mod.kind, "module")
        if mod.cls is not None:
            kind = "module"
        span = mod.span if mod.span is not None else name_span
        if isinstance(origin, Span):   # bound to a name: the model is where the assignment's value is
            span, origin = origin, None
        if isinstance(origin, (Function, UserClass)):
            name_span = _def_name_span(origin, self.lines)
            span = span or name_span
        if mod.cls is not None and origin is None and span is None:
            span = name_span
        record = ModelRecord(name, mod.framework, span or Span(1, 1, 1, 1), name_span, kind=kind)
        record.class_name = mod.cls.name if mod.cls is not None else None
        names = named_modules(mod)
        rec = Recorder(mod, names)
        if mod.kind == M.FUNCTIONAL:
            ins, outs = mod.graph if mod.graph is not None else ([], [])
            record.input_shape = ins[0].shape if ins else None
            record.input_source = "Input"
            if ins and ins[0].shape is None and ins[0].reason:
                record.input_reason = ins[0].reason
            record.steps = _graph_steps(ins, outs)
        else:
            inputs, source = self.inputs(it, frame, mod, name_span, line, origin)
            if source == "directive":
                record.directive_line = self.directive_line
            record.input_shape = inputs[0].shape if inputs and inputs[0] is not None else None
            record.input_source = source
            if mod.problem is None:
                rec = self._run_and_infer(it, frame, mod, rec, inputs, names, record)
                if not inputs and record.input_shape is None and record.input_reason is None:
                    record.input_reason = _example_input(mod, rec)
            else:
                self.report(name_span or span, "SL002", "info",
                            f"{mod.problem.reason}, and no call in this file gives it: the layers and parameters "
                            f"that depend on it are unknown (shown as ?)")
            record.steps = sorted(rec.steps.values(), key=lambda s: (s.span.line, s.span.col))
        record.layers, record.blocks = layer_records(it, mod, rec, names, record.span)
        record.totals = model_totals(mod, record.layers)
        return record

    def _run_and_infer(self, it: Interp, frame: Frame, mod: M.Mod, rec: Recorder, inputs: list, names: dict,
                       record: ModelRecord) -> Recorder:
        """Run the model; with no input, on the input its first layer takes, unknown sizes symbolic (issue #17),
        then, where its layers' equations fix those sizes, again on the solved input."""
        placeholder = None if inputs else Tensor(None, "the input shape is unknown (give the model one, e.g. "
                                                       "`# shapelens: input=(1, 3, 224, 224)`)")
        first_diag = len(self.diagnostics)
        self._run(it, frame, mod, rec, inputs or [placeholder], placeholder)
        if placeholder is None:
            return rec
        by, before = it.placeholder_by, ""
        if placeholder.shape is None:
            # ops run on the input before its first layer (googlenet's _transform_input, a pad): try the input
            # that layer takes, kept only when the run on it reports no error
            guessed = self._guess_through_ops(it, frame, mod, names, rec, first_diag)
            if guessed is None:
                return rec
            rec, placeholder, by = guessed
            before = ", after the operations before it"
        record.input_shape = placeholder.shape
        path = rec.name_of(by)
        first = f"layer {path}" if path.isdigit() else (path or "the first layer")
        free = [d for d in placeholder.shape.dims[1:] if isinstance(d, str) and d.isidentifier()]
        record.input_source = f"what {first} ({by.rule.name}) takes{before}; " + (
            f"{', '.join(free)} symbolic" if free else "the batch N symbolic")
        equations = list(it.equations)
        for e in equations:   # "fc1 (Linear)'s in_features 9216"
            if e.mod is not None and getattr(e.mod, "rule", None) is not None:
                who = rec.name_of(e.mod)
                e.what = f"{who} ({e.mod.rule.name})'s {e.what}" if who else f"{e.mod.rule.name}'s {e.what}"
        found = inference.solve(equations, free, _symbolic_sizes(rec))
        if isinstance(found, inference.NoSolution):
            e = found.equation
            self.report(e.span, e.code, "error", found.message())
            return rec
        if found is None:
            return rec
        del self.diagnostics[first_diag:]   # the run on the solved input says it all again
        solved = Shape.of([found.env.get(d, d) if isinstance(d, str) else d for d in placeholder.shape.dims])
        rec = Recorder(mod, names)
        self._run(it, frame, mod, rec, [Tensor(solved)], None)
        record.input_shape = solved
        record.input_source = found.note()
        return rec

    def _guess_through_ops(self, it: Interp, frame: Frame, mod: M.Mod, names: dict, rec: Recorder,
                           first_diag: int):
        """(recorder, input, first layer) of a run on the input the model's first layer takes, when tensor
        operations came between (the unknown input never reached it); None when the layer implies no input
        or the run on the guess reports an error (the operations change the rank or the channels)."""
        layer, dims = _first_layer_input(mod, rec, "model_input")
        if dims is None:
            return None
        try:
            shape = Shape.of(dims)
        except Exception:  # noqa: BLE001 - dims from constructor arguments of any type
            return None
        mark = len(self.diagnostics)
        guess = Recorder(mod, names)
        self._run(it, frame, mod, guess, [Tensor(shape)], None)
        if any(d.severity == "error" for d in self.diagnostics[mark:]) or id(layer) not in guess.first:
            del self.diagnostics[mark:]
            return None
        del self.diagnostics[first_diag:mark]   # the unknown run's findings: the guess's run says them again
        return guess, Tensor(shape), layer

    def _run(self, it: Interp, frame: Frame, mod: M.Mod, rec: Recorder, inputs: list, placeholder=None) -> None:
        it.limit = it.steps + RUN_BUDGET   # each run of the model (unknown, guessed, solved input) its own budget
        it.recorder = rec
        it.placeholder, it.placeholder_by, it.equations = placeholder, None, []
        try:
            args = list(inputs)
            if mod.cls is not None:
                args = _forward_arguments(mod, args)
            it.call(mod, args, {}, None, frame)
        except (Return, Break, Continue, Raise):
            pass
        except BudgetSpent as b:
            self.report(mod.span, "SL001", "info", f"{b.reason} while running the model: the shapes after that "
                                                   f"point are not shown")
        finally:
            it.recorder = None
            it.placeholder = None

    # ------------------------------------------------------------------ inputs
    def inputs(self, it: Interp, frame: Frame, mod: M.Mod, name_span, line, origin) -> tuple:
        """([input tensors], where they come from)."""
        shapes = self.directive(it, frame, mod, name_span, line, origin)
        if shapes is not None:
            return [Tensor(s) if s is not None else None for s in shapes], "directive"
        if mod.framework == "keras" and mod.kind == M.SEQUENTIAL:
            shape, source = K.input_of(mod)
            if shape is not None:
                return [Tensor(shape)], source
        hit = self.examples.get(id(mod))
        if hit is not None:
            return [Tensor(t.shape) for t in hit[1]], hit[2]
        default = getattr(self.options, "default_torch_input", None)
        if default and (mod.framework == "torch" or mod.kind == M.SEQUENTIAL):
            # the CLI's --input / the editor's setting; for Keras a Sequential built without an input
            # (a functional model and a subclass have their own keras.Input / build)
            return [Tensor(Shape.of(default))], "setting"
        return [], None

    def directive(self, it: Interp, frame: Frame, mod: M.Mod, name_span, line, origin) -> Optional[list]:
        """The input shapes a `# shapelens: input=...` directive gives the model (several for a model
        whose forward takes several tensors: `input=((2, 5), (2, 7, 16))`; None passes None)."""
        candidates = []
        if name_span is not None:
            candidates += [name_span.line, name_span.line - 1]
        if line is not None:
            candidates += [line, line - 1]
        if mod.span is not None:   # above the statement that made it (`layers = nn.Sequential(` in a builder)
            candidates += [mod.span.line, mod.span.line - 1]
        if isinstance(origin, (Function, UserClass)):
            first, name_line = _def_lines(origin)
            candidates += [name_line] + list(range(first, name_line)) + [first - 1]
        for made_by in (mod.cls, mod.maker):   # above the class of the model, or the function that built it
            if made_by is not None:
                first, name_line = _def_lines(made_by)
                candidates += [name_line] + list(range(first, name_line)) + [first - 1]
        for ln in candidates:
            if 0 < ln <= len(self.lines):
                match = DIRECTIVE_RE.search(self.lines[ln - 1])
                shapes = parse_directive(it, frame, match.group(1)) if match else None
                if shapes is not None:
                    self.directive_line = ln
                    return shapes
        return None


# ====================================================================== helpers

def _first_layer_input(mod: M.Mod, rec, option: str) -> tuple:
    """(layer, dims): the layer the model's input reached first, and the input its catalog entry's `option`
    (model_input, example_input) makes of its constructor arguments; dims None when it has none."""
    first = next(iter(rec.first), None)
    layer = next((m for m, _, _ in walk_tree(mod) if id(m) == first), None) if first is not None else None
    make = getattr(getattr(layer, "rule", None), "options", {}).get(option) if layer is not None else None
    if make is None:
        return layer, None
    try:
        return layer, make(rec.first[first][0].args)
    except Exception:  # noqa: BLE001 - constructor arguments of any type
        return layer, None


def _example_input(mod: M.Mod, rec) -> Optional[str]:
    """"no input given: add `# shapelens: input=(1, 784)` above the model (what its first layer, Linear,
    takes)": an example from the layer the unknown input reached first, for the layers whose input rank is
    open (a convolution's model gets its input inferred instead); None when there is none to give."""
    layer, dims = _first_layer_input(mod, rec, "example_input")
    if not dims:
        return None
    return (f"no input given: add `# shapelens: input=({', '.join(map(str, dims))}{',' if len(dims) == 1 else ''})` "
            f"above the model (what its first layer, {layer.rule.name}, takes)")


def _dotted(node) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _is_model(v) -> bool:
    if type(v) is not M.Mod:
        return False
    if v.kind in (M.MODULELIST, M.MODULEDICT, M.PARAMLIST, M.PARAMDICT, M.UNKNOWN, M.OPAQUE, K.MERGE):
        return False
    if v.kind == M.LEAF and v.framework == "keras" and v.built is None:
        return False
    return True


def _parts(mod) -> set:
    """ids of every module inside `mod` (not mod itself)."""
    out: set = set()
    stack = [mod]
    while stack:
        m = stack.pop()
        for child in _children(m):
            if id(child) not in out:
                out.add(id(child))
                stack.append(child)
    return out


def _children(m) -> list:
    if type(m) is not M.Mod:
        return []
    out = []
    for c in m.children.values():
        if type(c) is M.Mod:
            out.append(c)
        elif isinstance(c, (list, tuple)):
            out.extend(x for x in c if type(x) is M.Mod)
        elif isinstance(c, dict):
            out.extend(x for x in c.values() if type(x) is M.Mod)
    return out


def named_modules(root: M.Mod) -> dict:
    """id -> dotted path, in torch's named_modules() order (each module once, the first path wins)."""
    names: dict = {id(root): ""}
    order = [(root, "")]
    i = 0
    while i < len(order):
        mod, prefix = order[i]
        i += 1
        for key, child in mod.children.items():
            entries = [(key, child)]
            if isinstance(child, (list, tuple)):
                entries = [(f"{key}.{j}", c) for j, c in enumerate(child)]
            elif isinstance(child, dict):
                entries = [(f"{key}.{k}", c) for k, c in child.items()]
            for k, c in entries:
                if type(c) is not M.Mod or id(c) in names:
                    continue
                path = f"{prefix}.{k}" if prefix else str(k)
                names[id(c)] = path
                order.append((c, path))
    return names


def walk_tree(root: M.Mod, shared: Optional[dict] = None) -> list:
    """(module, path, depth) in named_modules() order: depth first, registration order, each once.
    `shared`: filled with id(module) -> the other paths of a module held in several places."""
    out = []
    seen: set = set()

    def visit(mod, path: str, depth: int) -> None:
        if id(mod) in seen:
            if shared is not None:
                shared.setdefault(id(mod), []).append(path)
            return
        seen.add(id(mod))
        out.append((mod, path, depth))
        for key, child in mod.children.items():
            entries = [(key, child)]
            if isinstance(child, (list, tuple)):
                entries = [(f"{key}.{j}", c) for j, c in enumerate(child)]
            elif isinstance(child, dict):
                entries = [(f"{key}.{k}", c) for k, c in child.items()]
            for k, c in entries:
                if type(c) is M.Mod:
                    visit(c, f"{path}.{k}" if path else str(k), depth + 1)

    visit(root, "", 0)
    return out


def layer_records(it: Interp, root: M.Mod, rec: Recorder, names: dict, where: Span) -> tuple:
    """(layers, blocks) of a model in named_modules() order: the leaves (and the parameters a module holds
    itself), and the modules of modules with their sums. `where`: the model's span, for a row of a module
    no statement made (the object of a class that speculation built: pytorch-cifar's SENet BasicBlock, whose
    own row had no span and failed the whole file's analysis when its reason was printed)."""
    out, blocks = [], []
    block_mods, rows_of, shared = [], {}, {}
    for mod, path, depth in walk_tree(root, shared):
        leaf_depth = max(depth - 1, 0)
        shown = _shown_name(path, mod, root.kind)
        start = len(out)
        if mod.kind in (M.LEAF, M.UNKNOWN, M.OPAQUE, K.MERGE) and mod.cls is None or \
                (mod.cls is not None and mod.rule is not None):
            out.append(leaf_record(it, mod, rec, shown, leaf_depth))
        elif mod.taint is not None:
            r = LayerRecord(mod.span or root.span, "?", path or None, depth=leaf_depth,
                            unknown_reasons=[mod.taint.reason])
            r.trainable = r.non_trainable = r.macs = None
            if mod.cls is not None or mod.kind != M.OPAQUE:
                r.type = mod.type_name
            out.append(r)
        elif mod.cls is not None and mod is not root and not _children(mod):
            out.append(custom_leaf_record(mod, rec, shown, leaf_depth))
            out[-1].path = path
            rows_of[id(mod)] = out[start:]
            continue   # its own parameters are in its row
        elif mod is not root and mod.kind in (M.SEQUENTIAL, M.MODULELIST, M.MODULEDICT) and not _children(mod) \
                and not mod.params and mod.framework == "torch":
            # an empty container is a leaf of named_modules() (ShuffleNetV2's `branch1 = nn.Sequential()` where
            # stride 1 needs none): its own row, no parameters; a Sequential passes its input through
            r = block_record(mod, rec, shown, path, leaf_depth)
            r.kind, r.trainable, r.non_trainable, r.macs = "layer", 0, 0, 0
            if r.output_shape is None:
                r.unknown_reasons = ["never called while the model ran on its input"]
            out.append(r)
        elif mod is not root:
            blocks.append(block_record(mod, rec, shown, path, leaf_depth))
            block_mods.append(mod)
        if mod.problem is not None and mod is not root:
            r = LayerRecord(mod.span or root.span, mod.type_name, path or None, depth=leaf_depth,
                            unknown_reasons=[mod.problem.reason])
            r.trainable = r.non_trainable = r.macs = None
            out.append(r)
        if mod.params and mod.rule is None:   # a leaf's tensors are in its own row
            out.append(own_params_record(mod, rec, shown if path else None, leaf_depth if path else 0))
        for r in out[start:]:
            r.path = path
        rows_of[id(mod)] = out[start:]
    if root.problem is not None:
        r = LayerRecord(root.span, "?", None, unknown_reasons=[root.problem.reason])
        r.trainable = r.non_trainable = r.macs = None
        out.append(r)
    for b, mod in zip(blocks, block_mods):
        _sum_block(b, mod, rows_of)
    for r in out + blocks:
        if r.span is None:
            r.span = where
    for key, paths in shared.items():   # one module in several places: parameters() counts it once
        note = ("shared", f"the same module is also `{'`, `'.join(paths[:3])}`: its parameters are counted once")
        for r in rows_of.get(key, ()):
            if r.trainable or r.non_trainable:
                r.formulas = r.formulas + [note]
    return out, blocks


def model_totals(root: M.Mod, rows: list) -> tuple:
    """(trainable, non-trainable) as model.parameters() counts them: the rows' counts, less the tensors
    counted in an earlier row too (a weight tied to another layer's, a Parameter held twice)."""
    if any(r.trainable is None or r.non_trainable is None for r in rows):
        # each part on its own: known only when every row's part is, and no tensor is in two rows (the
        # dedupe below needs both parts)
        if _held_twice(root):
            return None, None
        return (None if any(r.trainable is None for r in rows) else sum(r.trainable for r in rows),
                None if any(r.non_trainable is None for r in rows) else sum(r.non_trainable for r in rows))
    trainable, frozen = 0, 0
    for r in rows:
        trainable += r.trainable
        frozen += r.non_trainable
    seen: set = set()
    for m, _, _ in walk_tree(root):
        # one module's row counts a tensor it holds under two names once (Keras: add_weight, then self.gamma =)
        own = {id(p): p for p in m.params.values() if isinstance(p, Param)}
        for key, p in own.items():
            if key in seen:   # counted in another module's row already: once in the model
                n = p.numel() or 0
                if p.requires_grad is False:
                    frozen -= n
                else:
                    trainable -= n
        seen.update(own)
    return trainable, frozen


def _held_twice(root: M.Mod) -> bool:
    seen: set = set()
    for m, _, _ in walk_tree(root):
        own = {id(p) for p in m.params.values() if isinstance(p, Param)}
        if own & seen:
            return True
        seen |= own
    return False


def block_record(mod: M.Mod, rec: Recorder, name: Optional[str], path: str, depth: int) -> LayerRecord:
    """A module of modules: where it is made, its input and output at its first call (when it is called as
    a whole), its sums (filled by _sum_block)."""
    r = LayerRecord(mod.span, mod.type_name, name, depth=depth, kind="block", path=path)
    hit = rec.first.get(id(mod))
    first = rec.merges.get(id(mod))
    if hit is not None:
        r.input_shape, r.output_shape = hit[1], hit[0].out
    elif first is not None:
        r.input_shape, r.output_shape = first
    return r


def _sum_block(block: LayerRecord, mod: M.Mod, rows_of: dict) -> None:
    """A block's parameters and MACs: the sums over the rows of every module inside it, each module and
    tensor once, as its parameters() counts them (a module it shares with an earlier block counts here
    too, though its row sits under its first path); unknown when a row is."""
    inside = [r for m, _, _ in walk_tree(mod) for r in rows_of.get(id(m), ())]
    values = {"trainable": 0, "non_trainable": 0, "macs": 0}
    for key in values:
        for r in inside:
            v = getattr(r, key)
            if v is None:
                values[key] = None
                break
            values[key] += v
    if values["trainable"] is not None and values["non_trainable"] is not None:
        values["trainable"], values["non_trainable"] = model_totals(mod, inside)
    block.trainable, block.non_trainable, block.macs = values["trainable"], values["non_trainable"], values["macs"]
    block.unknown_reasons = list(dict.fromkeys(x for r in inside for x in r.unknown_reasons))[:3] \
        if None in values.values() else []


def _shown_name(path: str, mod: M.Mod, root_kind: str) -> Optional[str]:
    """The layer's name in the records: its path in the model, except the bare positions of a Sequential
    ("0", "3.1"), which say nothing the order does not; Keras layers keep their name= ."""
    if mod.framework == "keras" and (mod.layer_name or not path or root_kind != M.USER):
        return mod.layer_name   # Keras names its unnamed layers at run time (conv2d_3): left out
    if not path or all(part.isdigit() for part in path.split(".")):
        return mod.layer_name
    return path


def custom_leaf_record(mod: M.Mod, rec: Recorder, name: Optional[str], depth: int) -> LayerRecord:
    """A module of the file's own class with no modules inside (`class Swish(nn.Module)`, a Keras custom
    layer): a leaf of the model, with the parameters it holds itself."""
    r = LayerRecord(mod.span, mod.type_name, name, depth=depth)
    first = rec.merges.get(id(mod)) or mod.attrs.get("__first__")
    if first is not None:
        r.input_shape, r.output_shape = first
    params = list({id(p): p for p in mod.params.values() if isinstance(p, Param)}.values())
    counts = [p.numel() for p in params]
    build = mod.cls.lookup("build")[0] if mod.framework == "keras" else MISSING
    if build is not MISSING and "__built__" not in mod.attrs:
        r.unknown_reasons = ["never called: Keras makes a layer's weights (its build()) on its first call"]
        r.trainable = r.non_trainable = 0
    elif any(c is None for c in counts):
        r.unknown_reasons = [next(p.reason for p in params if p.numel() is None) or "a parameter's shape is unknown"]
        r.trainable = r.non_trainable = None
    else:
        r.trainable = sum(c for p, c in zip(params, counts) if p.requires_grad is not False)
        r.non_trainable = sum(c for p, c in zip(params, counts) if p.requires_grad is False)
    r.macs = 0 if not params else None
    return r


def own_params_record(mod: M.Mod, rec: Recorder, name: Optional[str], depth: int) -> LayerRecord:
    """A module that holds parameters of its own besides its children (a ViT's class_token and
    pos_embedding, MultiheadAttention's in_proj_weight): one row with their sum, as torch counts a module's
    parameters(recurse=False)."""
    params = list({id(p): (k, p) for k, p in mod.params.items() if isinstance(p, Param)}.values())
    span = params[0][1].span if params and params[0][1].span is not None else mod.span
    r = LayerRecord(span or mod.span, mod.type_name, name, depth=depth)
    hit = rec.first.get(id(mod))
    first = rec.merges.get(id(mod))
    if hit is not None:
        r.input_shape, r.output_shape = hit[1], hit[0].out
        r.macs = rec.macs.get(id(mod))
    elif first is not None:
        r.input_shape, r.output_shape = first
        r.macs = 0
    else:
        r.macs = 0
    trainable = frozen = 0
    for key, p in params:
        n = p.numel()
        if n is None or isinstance(p.requires_grad, Unknown):
            r.trainable = r.non_trainable = None
            r.unknown_reasons = [p.requires_grad.reason if isinstance(p.requires_grad, Unknown) else
                                 p.reason or f"the shape of `{key}` is unknown"]
            return r
        if p.requires_grad is False:
            frozen += n
        else:
            trainable += n
        r.formulas.append(("params", f"{key}: {'·'.join(str(d) for d in p.shape.dims) or '1'} = {n:,}"))
    r.trainable, r.non_trainable = trainable, frozen
    return r


def param_record(p: Param, name: str, owner: M.Mod, depth: int) -> LayerRecord:
    span = p.span or owner.span
    r = LayerRecord(span, "Parameter", name, depth=depth)
    n = p.numel() if isinstance(p, Param) else None
    r.output_shape = p.shape
    if n is None or isinstance(p.requires_grad, Unknown):
        r.trainable = r.non_trainable = None
        r.unknown_reasons = [p.requires_grad.reason if isinstance(p.requires_grad, Unknown) else
                             p.reason or "the Parameter's shape is unknown"]
    else:
        frozen = p.requires_grad is False
        r.trainable, r.non_trainable = (0, n) if frozen else (n, 0)
        r.formulas = [("params", f"{'·'.join(str(d) for d in p.shape.dims)} = {n:,}")]
    r.macs = 0
    return r


def leaf_record(it: Interp, mod: M.Mod, rec: Recorder, name: Optional[str], depth: int) -> LayerRecord:
    r = LayerRecord(mod.span, mod.type_name, name or mod.layer_name, depth=depth)
    if mod.kind in (M.UNKNOWN, M.OPAQUE) or (mod.taint is not None and mod.rule is None):
        r.type = mod.type_name if mod.kind == M.UNKNOWN else "?"
        r.unknown_reasons = [mod.taint.reason if mod.taint else "unknown"]
        r.trainable = r.non_trainable = r.macs = None
        return r
    if mod.kind == K.MERGE:
        first = rec.merges.get(id(mod)) or mod.attrs.get("__first__")
        if first is not None:
            r.input_shape, r.output_shape = first
        r.trainable = r.non_trainable = r.macs = 0
        return r
    hit = rec.first.get(id(mod))
    if mod.framework == "keras":
        # a Keras layer's weights are made by its first call ever (built), whichever model made it
        ctx, shape = mod.built if mod.built is not None and mod.built[0] is not None else \
            ((hit[0], hit[1]) if hit is not None else (None, None))
        if ctx is None:
            r.trainable = r.non_trainable = r.macs = 0
            r.unknown_reasons = ["never called: Keras creates a layer's weights on its first call"]
            return r
        _fill(r, mod, ctx, shape)
        r.macs = rec.macs.get(id(mod), ctx.macs) if hit is not None else ctx.macs
        if mod.trainable is False and r.trainable is not None and r.non_trainable is not None:
            r.non_trainable, r.trainable = r.trainable + r.non_trainable, 0
            at = mod.attrs.get("__trainable_at__") or mod.span
            if r.non_trainable:
                r.formulas = r.formulas + [("frozen", f"trainable=False (line {at.line})")]
        elif getattr(ctx, "extra", {}).get("trainable") is False and r.non_trainable and not r.trainable:
            r.formulas = r.formulas + [("frozen", f"trainable=False (line {mod.span.line})")]
        elif isinstance(mod.trainable, Unknown) and r.trainable:
            r.trainable = r.non_trainable = None
            r.unknown_reasons = [mod.trainable.reason]
        return r
    own = rec.merges.get(id(mod)) if mod.cls is not None else None
    if hit is None and own is not None and own[0] is not None:
        # a subclass of a catalog layer with a forward() of its own (timm's BatchNormAct2d): its row is the
        # layer's parameters, with the input and output of its own forward; MACs: the base layer's rule on
        # that input (the forward's other calls are rows of their own)
        ctx = M.run_rule(it, mod, Tensor(own[0]), {})
        r.trainable, r.non_trainable, r.macs = ctx.trainable, ctx.non_trainable, ctx.macs
        r.input_shape, r.output_shape = own
        r.formulas = [f for f in ctx.formulas if f[0] in ("params", "non-trainable", "buffers")]
        r.unknown_reasons = list(ctx.unknown) if ctx.trainable is None or own[1] is None else []
    elif hit is not None:
        ctx, shape, _ = hit
        _fill(r, mod, ctx, shape)
        r.macs = rec.macs.get(id(mod))
    else:
        ctx = mod.leaf_ctx
        if ctx is None:
            r.trainable = r.non_trainable = r.macs = None
            r.unknown_reasons = ["the layer's arguments are unknown"]
            return r
        r.trainable, r.non_trainable, r.macs = ctx.trainable, ctx.non_trainable, 0
        r.formulas = [f for f in ctx.formulas if f[0] in ("params", "non-trainable", "buffers")]
        # a layer the run never reached (MaskLM's head when forward() gets no pred_positions): so are its
        # sizes that only a call fixes (a LazyLinear's in_features)
        never = "never called while the model ran on its input"
        r.unknown_reasons = [f"{u} ({never})" for u in ctx.unknown] if ctx.trainable is None else [never]
    _frozen_or_tied(mod, r)
    return r


def _frozen_or_tied(mod: M.Mod, r: LayerRecord) -> None:
    """A torch layer whose tensors the code changed: frozen (requires_grad False) or replaced by another
    layer's (tied weights). Its counts then come from its tensors, with the line that made it so."""
    params = [p for p in mod.params.values() if isinstance(p, Param)]
    flag = mod.attrs.get("__requires_grad__")
    if params:
        counts = [(p, p.numel()) for p in params]
        if any(n is None for _, n in counts) or r.trainable is None:
            r.trainable = r.non_trainable = None
            r.unknown_reasons = r.unknown_reasons or ["the shape of one of its tensors is unknown"]
            return
        unsure = next((p.requires_grad for p, _ in counts if isinstance(p.requires_grad, Unknown)), None)
        if unsure is not None:   # a loop shapelens could not follow may have frozen them
            r.trainable = r.non_trainable = None
            r.unknown_reasons = [unsure.reason]
            return
        own = r.trainable + r.non_trainable
        added = mod.attrs.get("__added_params__", ())   # made by a function of torch (weight_norm's g)
        listed = sum(n for k, p in mod.params.items() if isinstance(p, Param) and k not in added
                     for n in [p.numel()])
        if listed != own and not any(p.span != mod.span for p in params):
            return   # the tensors do not add up to the rule's count (a layer the table does not know): keep it
        r.trainable = sum(n for p, n in counts if p.requires_grad is not False)
        r.non_trainable = sum(n for p, n in counts if p.requires_grad is False)
        for key, p in mod.params.items():
            if p.frozen_at is not None and p.requires_grad is False:
                r.formulas = r.formulas + [("frozen", f"{key}: requires_grad=False (line {p.frozen_at.line})")]
            if p.span is not None and p.span != mod.span and key not in added:
                r.formulas = r.formulas + [("tied", f"{key} is the tensor made at line {p.span.line}")]
            elif key in added:
                r.formulas = r.formulas + [("params", f"+ {key} {p.shape.text()} = {p.numel():,}, from {added[key]}")]
    elif flag is not None and flag[0] is False and r.trainable is not None and r.non_trainable is not None:
        r.non_trainable, r.trainable = r.trainable + r.non_trainable, 0
        r.formulas = r.formulas + [("frozen", f"requires_grad_(False) at line {flag[1].line}")]


def _fill(r: LayerRecord, mod: M.Mod, ctx, shape) -> None:
    r.type = mod.rule.name if mod.rule is not None else r.type
    if mod.framework == "torch" and r.type.startswith("Lazy") and ctx.trainable is not None:
        r.type = r.type[4:]   # torch's lazy modules become their cls_to_become at the first forward
    r.input_shape, r.output_shape = shape, ctx.out
    r.trainable, r.non_trainable = ctx.trainable, ctx.non_trainable
    r.formulas, r.unknown_reasons = ctx.formulas, ctx.unknown
    if ctx.layer_name:
        r.name = ctx.layer_name if mod.framework == "keras" else r.name


def _graph_steps(ins: list, outs: list) -> list:
    _, found = K.graph_layers(ins, outs)
    steps = {}
    for t in found:
        for span in t.step_spans:
            step = steps.get(span)
            if step is None:
                step = steps[span] = StepRecord(span, None, "", [], [], 0, 1)
            step.runs += 1
            _add_shape(step, t.shape, "")
            if incomplete(t.shape) and t.reason and t.reason not in step.unknown_reasons:
                step.unknown_reasons.append(t.reason)
    for step in steps.values():
        step.output_shape = step.output_shapes[0] if len(step.output_shapes) == 1 else None
    return sorted(steps.values(), key=lambda s: (s.span.line, s.span.col))


def _forward_arguments(mod: M.Mod, inputs: list) -> list:
    """The tensors for forward(self, x, ...): the inputs for the first parameters; a required parameter
    beyond them gets a tensor of unknown shape."""
    method = "forward" if mod.framework == "torch" else "call"
    fn, _ = mod.cls.lookup(method)
    if not isinstance(fn, Function):
        return inputs
    a = fn.node.args
    params = (a.posonlyargs + a.args)[1:]
    required = len(params) - len(a.defaults)
    out = list(inputs[: len(params)]) if params else list(inputs[:1])
    given = len([t for t in out if isinstance(t, Tensor) and t.shape is not None])
    line = fn.node.lineno + fn.code.offset
    for k, p in enumerate(params[len(out):required], len(out) + 1):
        # the model's own input (issue #18): say which argument, and how many shapes the input gave
        which = f"`{p.arg}`, argument {k} of `{mod.cls.name}.{method}()` (line {line}),"
        example = ", ".join([t.shape.text() for t in out if isinstance(t, Tensor) and t.shape is not None] + ["(…)"])
        out.append(Tensor(None, f"{which} has no shape: the input gives {given} of its tensors; give one shape "
                                f"each, e.g. `# shapelens: input=({example})`" if given else
                                f"{which} has no shape: give one with `# shapelens: input=(...)`, one shape each"))
    return out


def _missing_arguments(fn: Function, target) -> tuple:
    """Unknown values for the parameters a speculative call has no default for."""
    a = fn.node.args
    positional = a.posonlyargs + a.args
    skip = 1 if isinstance(target, UserClass) or (fn.owner is not None and positional and
                                                   positional[0].arg in ("self", "cls")) else 0
    required = len(positional) - len(fn.defaults)
    args = []
    where = f"`{fn.qualname}()`" if not isinstance(target, UserClass) else f"`{target.name}(...)`"
    for p in positional[skip:required]:
        args.append(Unknown(f"`{p.arg}` is an argument of {where}, which nothing in this file calls with it"))
    kwargs = {p.arg: Unknown(f"`{p.arg}` is an argument of {where}, which nothing in this file calls with it")
              for p in a.kwonlyargs if p.arg not in fn.kwdefaults}
    return args, kwargs


def _names_used(functions: list, classes: list) -> set:
    """Names mentioned inside the top-level functions and classes (a class named there is a part)."""
    used: set = set()
    for obj in list(functions) + list(classes):
        for sub in ast.walk(obj.node):
            if type(sub) is ast.Name and sub is not obj.node:
                used.add(sub.id)
        if isinstance(obj, UserClass):
            used.discard(obj.name)
    names = set()
    for obj in classes:
        if obj.name in used:
            names.add(obj.name)
    return names


def _def_lines(obj) -> tuple:
    """(first line incl. decorators, line of the name) of a def or class, in the file."""
    node = obj.node
    offset = obj.code.offset
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) + offset
    return first, node.lineno + offset


def _def_span(obj) -> Span:
    first, line = _def_lines(obj)
    return Span(line, 1, line, 1)


def _def_name_span(obj, lines: list) -> Span:
    """The span of the name in `def name(` / `class Name(`."""
    _, line = _def_lines(obj)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    m = re.search(r"\b(?:def|class)\s+(" + re.escape(obj.name) + r")\b", text)
    if m:
        return Span(line, m.start(1) + 1, line, m.end(1) + 1)
    return Span(line, 1, line, 1)


def parse_directive(it: Interp, frame: Frame, text: str) -> Optional[list]:
    """[Shape or None] from a directive's text: one shape `(N, 3, H, W)`, or several in a tuple
    `((N, 5), (N, 7, 16), None)`."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(node, (ast.Tuple, ast.List)):
        return None
    if node.elts and all(isinstance(e, (ast.Tuple, ast.List)) or (isinstance(e, ast.Constant) and e.value is None)
                         for e in node.elts) and any(isinstance(e, (ast.Tuple, ast.List)) for e in node.elts):
        return [_directive_shape(it, frame, e) if isinstance(e, (ast.Tuple, ast.List)) else None for e in node.elts]
    return [_directive_shape(it, frame, node)]


def _directive_shape(it: Interp, frame: Frame, node) -> Shape:
    dims: list = []
    for el in node.elts:
        if isinstance(el, ast.Name) and el.id != "None":
            known = frame.globals.get(el.id)
            dims.append(known if isinstance(known, int) and not isinstance(known, bool) else el.id)
        elif isinstance(el, ast.Constant) and el.value is None:
            dims.append(None)
        elif isinstance(el, ast.Constant) and isinstance(el.value, int) and not isinstance(el.value, bool):
            dims.append(el.value)
        else:
            value = _directive_value(it, frame, el)
            dims.append(value if isinstance(value, int) and not isinstance(value, bool) else "?")
    return Shape.of(dims)


_ARITHMETIC = (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.Load)


def _directive_value(it: Interp, frame: Frame, node) -> Any:
    """A directive's dimension written as arithmetic on module constants (`IMG // 2`), evaluated by the
    interpreter (never anything else of the file)."""
    if not all(isinstance(n, _ARITHMETIC) for n in ast.walk(node)):
        return None
    try:
        return it.eval(node, frame)
    except (BudgetSpent, RecursionError):
        return None


def _dedupe(diags: list) -> list:
    seen = set()
    out = []
    for d in diags:
        key = (d.span, d.code, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


REFLECTIVE = "<reflective>"   # in a unit's deps: it reached the file's own module object


def _symbolic_sizes(rec: Recorder) -> list:
    """Every symbolic size the run made (layers' outputs and steps): a solved input keeps each ≥ 1."""
    out = []
    shapes = [ctx.out for ctx, _, _ in rec.first.values()]
    for step in rec.steps.values():
        shapes += step.output_shapes
    for s in shapes:
        if isinstance(s, Shape):
            out += [d for d in s.dims if isinstance(d, str) and len(out) < 4000]
    return out


def _tensors_in(value, depth: int = 0) -> list:
    """The tensors a statement's value holds: itself, or the items of a tuple / list (two levels)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)) and depth < 2 and len(value) <= 64:
        out = []
        for v in value:
            out.extend(_tensors_in(v, depth + 1))
        return out
    return []


def _add_shape(step, shape, where: str) -> None:
    """One more shape the step made; `where`: the run-time condition it was made under ("" for none)."""
    for i, s in enumerate(step.output_shapes):
        if shape == s:   # Shape is a frozen dataclass: dims (a Sym compares by its text) and open_rank
            if not where:
                step.only_where[i] = ""
            return
    if len(step.output_shapes) < 16:
        step.output_shapes.append(shape)
        step.only_where.append(where)


def analyze_unit(chunks: list, lines: list, path: str, options) -> tuple:
    """(models, diagnostics, other files read) of one unit."""
    return Unit(lines, path, options, chunks).run()


__all__ = ["Unit", "Recorder", "analyze_unit", "named_modules", "parse_directive", "DIRECTIVE_RE", "Opaque", "os"]
