"""Line oracle (issue #17): the shape a real run gives every line of a model's source that makes a tensor.

shapelens puts a shape on each statement of forward() / call() / a Keras functional builder that produces a
tensor (ModelRecord.steps).  This module runs the model for real (torch 2.13 CPU; Keras 3 with
KERAS_BACKEND=torch) and records, for the same statements, what the framework made there, so that every
hint can be compared with the truth (tests/test_line_shapes.py, tests/corpus/line_report.py).

Contract
--------
Which code.  Only code of ONE file, the model's source file (the corpus file): a frame is observed when its
code object's co_filename is that file.  Frames of comprehensions, generator expressions and lambdas are not
observed (their statements are the enclosing statement's).
  torch      the frames that run during ONE forward pass `model(*args)` (model.eval(), torch.no_grad(),
             torch.manual_seed(0)): forward() of every module class of the file that runs, and every method /
             function of the file they call (torchvision's `_forward_impl`, shufflenet's `channel_shuffle`).
             Module-level code and __init__ are never observed (they run before the pass).
  keras      (a) the build: every frame of the file, module level included, while the file is executed
             (keras.Input / layer calls in a builder function or at module level); only KerasTensor values
             count here (a custom layer's call() run symbolically by Keras sees backend tensors of made-up
             batch sizes: ignored).  A line belongs to a model when one of the KerasTensors it bound is a
             tensor of that model's graph (reached from model.outputs through each tensor's _keras_history).
             (b) the run: call() of the file's layers / models during `model(*args)` (as for torch), for a
             model with a `# shapelens: input=` directive or `# corpus: args=` (once, at those sizes), or for
             a functional model when the file defines a `call` (twice, the model's inputs with their None
             dims at 2 / 5 (axis 0 / others) and at 3 / 7; a dim that differs between the runs is None, as
             Keras' own symbolic call infers it; a line whose two runs differ in structure is left out).
             A subclassed model with no input given is not run.
Which lines.  The statements that produce a tensor, keyed by the line the statement starts on (ast lineno):
  x = expr / x: T = expr / x += expr       the value(s) the targets hold after the statement ran, read from
                                           the frame's locals (sys.settrace line events: the statement has
                                           completed when the next line event of the same frame arrives, or
                                           the frame returns).  Targets may be names, tuples / lists of them
                                           (unpacking, starred) and attribute chains (self.h = ...); a statement
                                           whose targets are all subscripts (out[:, i] = y) is not recorded.
  return expr                              the returned value (the 'return' event's value).
  obj.meth_(...)  (an expression statement calling an in-place tensor method: name ends in "_")
                                           obj after the statement (in-place methods return it).
  Other expression statements (a bare `self.layer(x)`, `outputs.append(self.conv(x))`) are not recorded:
  their value is not observable from the frame.  A statement that raised is not recorded, nor one on a line
  that also holds a compound statement's header (`if c: x = f(x)`: the line events cannot tell them apart).
The value of one execution is the list of its tensor leaves: a tensor (torch.Tensor, its subclasses such as
nn.Parameter, or a KerasTensor) is one leaf, its shape a list of ints (None for a Keras batch / dynamic axis);
tuples, lists (namedtuples too) and dict values are flattened in order (depth <= 4, at most 64 leaves).
A statement whose value has no tensor leaf (`b, c, h, w = x.size()`) is not a line of the oracle.
Several executions.  A line run several times (a block class instantiated N times, a module called in a
loop, a helper called from several places, a Keras stack helper) keeps its DISTINCT values in first-seen
order with how often each occurred ("values", "counts") and the number of runs.
Also recorded (torch): "op_lines", the lines where a torch function returned a tensor while that line was the
innermost frame of the file (a TorchFunctionMode walking the stack to the file's frame); op lines that are
not oracle lines are the tensor-making lines whose value the contract above cannot observe (reported, not
compared).

Comparison (compare_model)
--------------------------
For every oracle line of a model, the shapelens steps of that model whose statement starts on that line
(the last one by column when several): a step gives one Shape (or several, if a StepRecord ever carries an
`output_shapes` list).  A dim compares as: int == int; the Keras None (either side) matches anything; a
symbolic dim (str) is evaluated with the directive's symbols at the sizes the harness ran (N -> 2), "·" for
*, integer + - * // % ** only: equal or different; a "?" or an expression that cannot be evaluated is unknown; an
open-rank shape ("…") compares its trailing dims and is unknown at best; a different rank is wrong.
  exact   every distinct leaf shape of the line is matched exactly by a shape of the step and every shape
          of the step matches a leaf exactly (so one shape for a line of one tensor with one distinct shape);
  ?       no step on the line, the step's shape is None, or nothing concrete contradicts (a "?" dim, one
          shape shown for a tuple or for a line with several distinct shapes);
  wrong   some shape of the step contradicts every leaf shape of the line by a concrete dim or its rank.
A model shapelens does not find has all its lines "?" ("model not found").

Corpus files (tests/corpus/README.md) are run in worker processes (`python tests/lineoracle.py --worker
FILE...`, the truth harness' package layout and stand-ins) and cached as JSON in tests/corpus/.lines/,
keyed by truth.cache_key (file, package trees, stand-ins, harness) and this file.
Command line: `python tests/lineoracle.py FILE...` prints the oracle's lines ([--force] [--json]).
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Optional

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
if str(CORPUS) not in sys.path:
    sys.path.insert(0, str(CORPUS))

import truth  # noqa: E402

ORACLE_VERSION = 1
CACHE = CORPUS / ".lines"
MAX_LEAVES = 64
MAX_DEPTH = 4
SKIP_FRAMES = {"<genexpr>", "<listcomp>", "<dictcomp>", "<setcomp>", "<lambda>"}
EXACT, UNKNOWN, WRONG = "exact", "?", "wrong"


# ----------------------------------------------------------------------------------------------------------
# Statements of a source file, by line

class StatementMap:
    """Line -> the innermost statement covering it (a compound statement covers its header lines only).
    Lines shared by a compound header and its body (`if c: x = f(x)`) are ambiguous: nothing is recorded
    for them."""

    def __init__(self, text: str) -> None:
        self.tree = ast.parse(text)
        self.at: dict = {}
        self.ambiguous: set = set()
        todo = [self.tree]
        while todo:     # breadth first: outer statements before the inner ones that override them
            node = todo.pop(0)
            for child in ast.iter_child_nodes(node):
                todo.append(child)
                if not isinstance(child, ast.stmt):
                    continue
                body = [b for f in ("body", "orelse", "finalbody", "handlers", "cases")
                        for b in (getattr(child, f, None) or []) if isinstance(b, ast.AST)]
                if body:
                    first = min(getattr(b, "lineno", None) or b.pattern.lineno for b in body)
                    for line in range(child.lineno, first):
                        self.at[line] = child
                    if first == child.lineno:
                        self.ambiguous.add(child.lineno)
                else:
                    for line in range(child.lineno, (child.end_lineno or child.lineno) + 1):
                        self.at[line] = child

    def statement(self, line: int):
        return self.at.get(line)


_RECORDED = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Expr)


# ----------------------------------------------------------------------------------------------------------
# Values -> tensor leaves

def _is_keras_tensor(x) -> bool:
    t = type(x)
    return t.__name__ == "KerasTensor" and t.__module__.startswith("keras")


def leaves(value, keras_symbolic: bool = False) -> list:
    """The tensor leaves of a value, as shape lists, in order: tuples / lists / dict values flattened.
    keras_symbolic: only KerasTensors count (the Keras build); else only torch tensors."""
    out: list = []

    def walk(v, depth):
        if len(out) >= MAX_LEAVES:
            return
        if keras_symbolic:
            if _is_keras_tensor(v):
                out.append([None if d is None else int(d) for d in v.shape])
                return
        else:
            torch = sys.modules.get("torch")
            if torch is not None and isinstance(v, torch.Tensor):
                try:
                    out.append([int(d) for d in v.shape])
                except Exception:  # noqa: BLE001 - a lazy module's UninitializedParameter has no shape yet
                    pass
                return
        if depth >= MAX_DEPTH:
            return
        if isinstance(v, (tuple, list)):
            for x in v:
                walk(x, depth + 1)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x, depth + 1)

    walk(value, 0)
    return out


def _keras_ids(value) -> list:
    out = []

    def walk(v, depth):
        if _is_keras_tensor(v):
            out.append(id(v))
        elif depth < MAX_DEPTH and isinstance(v, (tuple, list)):
            for x in v:
                walk(x, depth + 1)
        elif depth < MAX_DEPTH and isinstance(v, dict):
            for x in v.values():
                walk(x, depth + 1)

    walk(value, 0)
    return out


class _NoValue(Exception):
    pass


def _chain(node, frame):
    """The value of a Name / attribute chain in a frame (no calls, no subscripts)."""
    if isinstance(node, ast.Name):
        loc = frame.f_locals
        if node.id in loc:
            return loc[node.id]
        if node.id in frame.f_globals:
            return frame.f_globals[node.id]
        raise _NoValue(node.id)
    if isinstance(node, ast.Attribute):
        base = _chain(node.value, frame)
        try:
            return getattr(base, node.attr)
        except Exception as e:  # noqa: BLE001 - a property that raises: no value
            raise _NoValue(node.attr) from e
    raise _NoValue(type(node).__name__)


def _target_value(t, frame):
    if isinstance(t, (ast.Tuple, ast.List)):
        return tuple(_target_value(e, frame) for e in t.elts)
    if isinstance(t, ast.Starred):
        return _target_value(t.value, frame)
    if isinstance(t, (ast.Name, ast.Attribute)):
        return _chain(t, frame)
    raise _NoValue("subscript target")


def _has_plain_target(t) -> bool:
    if isinstance(t, (ast.Tuple, ast.List)):
        return any(_has_plain_target(e) for e in t.elts)
    if isinstance(t, ast.Starred):
        return _has_plain_target(t.value)
    return isinstance(t, (ast.Name, ast.Attribute))


# ----------------------------------------------------------------------------------------------------------
# Recording

@dataclass
class LineRecord:
    line: int
    end_line: int
    kind: str                     # assign | return | augassign | inplace
    text: str                     # the statement's first line, stripped
    runs: int = 0
    values: list = field(default_factory=list)    # distinct values: each a list of leaf shapes
    counts: list = field(default_factory=list)    # how often each distinct value occurred
    container: bool = False       # some run's value was a tuple / list / dict (not one tensor)

    def add(self, shapes: list, container: bool = False) -> None:
        self.runs += 1
        self.container = self.container or container
        for i, v in enumerate(self.values):
            if v == shapes:
                self.counts[i] += 1
                return
        self.values.append(shapes)
        self.counts.append(1)

    def as_dict(self) -> dict:
        return {"line": self.line, "end_line": self.end_line, "kind": self.kind, "text": self.text,
                "runs": self.runs, "values": self.values, "counts": self.counts, "container": self.container}


class _Frame:
    """The statement a traced frame is running and what to read when it completes."""

    __slots__ = ("rec", "current", "pending_return")

    def __init__(self, rec) -> None:
        self.rec = rec
        self.current = None
        self.pending_return = None

    def trace(self, frame, event, arg):
        try:
            self._trace(frame, event, arg)
        except Exception as e:  # noqa: BLE001 - the oracle must never change what the program does
            self.rec.failures.append(f"line {frame.f_lineno}: {type(e).__name__}: {e}"[:300])
            self.current = self.pending_return = None
        return self.trace

    def _trace(self, frame, event, arg):
        rec = self.rec
        if event == "line":
            stmt = rec.smap.statement(frame.f_lineno)
            if stmt is self.current:
                return
            if self.current is not None:
                rec.finish(self.current, frame)
            if isinstance(stmt, ast.Return):
                self.pending_return = stmt
                self.current = None
            elif isinstance(stmt, _RECORDED) and frame.f_lineno not in rec.smap.ambiguous:
                self.current = stmt
            else:
                self.current = None
        elif event == "return":
            if self.current is not None:
                rec.finish(self.current, frame)
                self.current = None
            if self.pending_return is not None and frame.f_lineno >= self.pending_return.lineno:
                rec.store(self.pending_return, arg, frame)
            self.pending_return = None
        elif event == "exception":
            self.current = None       # the statement raised: its targets are not its value


class LineRecorder:
    """sys.settrace recorder of the statements of one source file (see the module docstring).

        with LineRecorder(path, text) as rec:
            model(x)
        rec.lines   # {line: LineRecord}

    keras_symbolic=True records KerasTensor values (a Keras build), else torch tensors (a run).
    module_level: observe the file's module-level frame too (a Keras build at module level).
    op_lines: count, with a TorchFunctionMode, the torch functions returning a tensor at each line."""

    def __init__(self, path, text: Optional[str] = None, keras_symbolic: bool = False, module_level: bool = False,
                 op_lines: bool = True) -> None:
        self.path = str(pathlib.Path(path).resolve())
        text = text if text is not None else pathlib.Path(path).read_text(encoding="utf-8")
        self.src = text.splitlines()
        self.smap = StatementMap(text)
        self.keras_symbolic = keras_symbolic
        self.module_level = module_level
        self.lines: dict = {}
        self.keras: dict = {}         # line -> list of (run index in LineRecord, [ids]) ; Keras build only
        self.keep: list = []          # the KerasTensors seen (their ids must stay valid)
        self.op_counts: dict = {}
        self.failures: list = []      # errors inside the recorder (never raised into the program)
        self._want_ops = op_lines and not keras_symbolic
        self._mode = None
        self._old = None

    # -- the trace function
    def _global(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename != self.path or code.co_name in SKIP_FRAMES:
            return None
        if code.co_name == "<module>" and not self.module_level:
            return None
        return _Frame(self).trace

    def finish(self, stmt, frame) -> None:
        try:
            if isinstance(stmt, ast.Assign):
                targets = [t for t in stmt.targets if _has_plain_target(t)]
                if not targets:
                    return
                value = _target_value(targets[0], frame)
                kind = "assign"
            elif isinstance(stmt, ast.AnnAssign):
                if stmt.value is None or not _has_plain_target(stmt.target):
                    return
                value, kind = _target_value(stmt.target, frame), "assign"
            elif isinstance(stmt, ast.AugAssign):
                if not _has_plain_target(stmt.target):
                    return
                value, kind = _target_value(stmt.target, frame), "augassign"
            elif isinstance(stmt, ast.Expr):
                call = stmt.value
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and call.func.attr.endswith("_") and not call.func.attr.startswith("_")):
                    return
                value, kind = _chain(call.func.value, frame), "inplace"
            else:
                return
        except _NoValue:
            return
        self._add(stmt, kind, value)

    def store(self, stmt, value, frame) -> None:
        self._add(stmt, "return", value)

    def _add(self, stmt, kind, value) -> None:
        shapes = leaves(value, self.keras_symbolic)
        if not shapes:
            return
        r = self.lines.get(stmt.lineno)
        if r is None:
            text = self.src[stmt.lineno - 1].strip() if stmt.lineno <= len(self.src) else ""
            r = self.lines[stmt.lineno] = LineRecord(stmt.lineno, stmt.end_lineno or stmt.lineno, kind, text[:120])
        container = isinstance(value, (tuple, list, dict))
        r.add(shapes, container)
        if self.keras_symbolic:
            self.keras.setdefault(stmt.lineno, []).append((shapes, container, _keras_ids(value)))
            self.keep.append(value)

    # -- TorchFunctionMode: ops per line
    def _op(self, result) -> None:
        if not leaves(result):
            return
        f = sys._getframe(2)
        while f is not None:
            if f.f_code.co_filename == self.path:
                stmt = self.smap.statement(f.f_lineno)
                line = stmt.lineno if stmt is not None else f.f_lineno
                self.op_counts[line] = self.op_counts.get(line, 0) + 1
                return
            f = f.f_back

    def __enter__(self):
        if self._want_ops:
            import torch
            from torch.overrides import TorchFunctionMode
            rec = self

            class _Ops(TorchFunctionMode):
                def __torch_function__(self, func, types, args=(), kwargs=None):
                    out = func(*args, **(kwargs or {}))
                    try:
                        rec._op(out)
                    except Exception as e:  # noqa: BLE001 - never disturb the program
                        rec.failures.append(f"op: {type(e).__name__}: {e}"[:300])
                    return out

            self._mode = _Ops()
            self._mode.__enter__()
            del torch
        self._old = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(self._old)
        if self._mode is not None:
            self._mode.__exit__(*exc)
            self._mode = None

    def result(self) -> dict:
        return {"lines": {str(k): v.as_dict() for k, v in sorted(self.lines.items())},
                "op_lines": {str(k): v for k, v in sorted(self.op_counts.items())},
                "recorder_failures": self.failures[:20]}


def keras_graph_ids(model) -> set:
    """ids of every KerasTensor of a functional model's graph: its inputs, and every tensor reached from its
    outputs backwards through _keras_history (node inputs)."""
    seen: set = set()
    todo = list(_flat_tensors(getattr(model, "outputs", None) or []))
    todo += list(_flat_tensors(getattr(model, "inputs", None) or []))
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        hist = getattr(t, "_keras_history", None)
        if not hist:
            continue
        op, node_index = hist[0], hist[1]
        nodes = getattr(op, "_inbound_nodes", None) or []
        if node_index is None or node_index >= len(nodes):
            continue
        todo += list(_flat_tensors(nodes[node_index].input_tensors))
    return seen


def _flat_tensors(v):
    if _is_keras_tensor(v):
        yield v
    elif isinstance(v, (tuple, list)):
        for x in v:
            yield from _flat_tensors(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _flat_tensors(x)


def keras_model_lines(rec: LineRecorder, model) -> dict:
    """The build-phase lines of rec that bound a tensor of this model's graph, with only those runs."""
    ids = keras_graph_ids(model)
    out = {}
    for line, runs in sorted(rec.keras.items()):
        base = rec.lines[line]
        r = LineRecord(base.line, base.end_line, base.kind, base.text)
        for shapes, container, tids in runs:
            if any(i in ids for i in tids):
                r.add(shapes, container)
        if r.runs:
            out[str(line)] = r.as_dict()
    return out


# ----------------------------------------------------------------------------------------------------------
# Corpus files: worker and cache

def cache_key(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    h.update(truth.cache_key(path).encode())
    h.update(pathlib.Path(__file__).read_bytes())
    h.update(str(ORACLE_VERSION).encode())
    return h.hexdigest()[:24]


def cache_path(path: pathlib.Path) -> pathlib.Path:
    path = pathlib.Path(path).resolve()
    return CACHE / f"{truth.rel_name(path)[:-3].replace('/', '__')}__{cache_key(path)}.json"


def cached(path) -> Optional[dict]:
    p = cache_path(path)
    if p.exists():
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            return None
    return None


def load_lines(paths, jobs: int = 2, force: bool = False, timeout: float = 1800) -> dict:
    """{path: oracle dict} for every corpus file, computing the missing ones in worker processes."""
    paths = [pathlib.Path(p).resolve() for p in paths]
    out, todo = {}, []
    for p in paths:
        t = None if force else cached(p)
        if t is None:
            todo.append(p)
        else:
            out[p] = t
    if todo:
        _run_workers(todo, jobs, timeout)
        for p in todo:
            t = cached(p)
            if t is None:
                t = {"file": str(p), "error": "the line oracle's worker wrote nothing for this file (crashed?)",
                     "models": {}}
            out[p] = t
    return out


def _run_workers(paths, jobs: int, timeout: float, chunk: int = 20) -> None:
    CACHE.mkdir(exist_ok=True)
    tasks = []
    for fw in ("torch", "keras"):
        fs = sorted([p for p in paths if truth.framework_of(p) == fw], key=lambda p: -p.stat().st_size)
        n = max(1, -(-len(fs) // chunk))
        tasks += [[str(f) for f in fs[i::n]] for i in range(n) if fs[i::n]]
    env = dict(os.environ, KERAS_BACKEND="torch")
    deadline = time.time() + timeout
    running: list = []
    while tasks or running:
        while tasks and len(running) < max(1, jobs):
            running.append(subprocess.Popen([sys.executable, str(pathlib.Path(__file__).resolve()), "--worker",
                                             *tasks.pop(0)], env=env, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE))
        time.sleep(0.1)
        for p in list(running):
            if p.poll() is not None or time.time() > deadline:
                if p.poll() is None:
                    p.kill()
                _, err = p.communicate()
                if p.returncode != 0 and err:
                    sys.stderr.write(err.decode("utf-8", "replace")[-4000:])
                running.remove(p)


def _args_for(added, ns: dict, framework: str):
    """The forward arguments, as the truth harness makes them (symbolic dims -> truth.SYMBOLIC)."""
    import torch
    if added.args:
        args = eval(added.args, {**ns, "torch": torch})   # noqa: S307 - the corpus file's own harness line
        return args if isinstance(args, tuple) else (args,)
    if added.input is not None:
        dims = [d if isinstance(d, int) else truth.SYMBOLIC for d in added.input]
        return (torch.randn(*dims),)
    return None


def _torch_model_lines(cf, added, ns: dict) -> dict:
    import torch
    model = ns[added.name]
    rec_out: dict = {"name": added.name, "line": added.line, "class": type(model).__name__}
    if not isinstance(model, torch.nn.Module):
        rec_out["error"] = f"`{added.name}` is a {type(model).__name__}, not an nn.Module"
        return rec_out
    model.eval()
    args = _args_for(added, ns, "torch")
    if args is None:
        rec_out["error"] = "no input directive"
        return rec_out
    torch.manual_seed(0)
    rec = LineRecorder(cf.path, cf.text)
    try:
        with torch.no_grad(), rec:
            model(*args)
        rec_out["forward_error"] = None
    except Exception as e:  # noqa: BLE001 - recorded
        rec_out["forward_error"] = f"{type(e).__name__}: {e}"[:500]
    rec_out.update(rec.result())
    return rec_out


def defines_call(text: str) -> bool:
    """Whether a source defines a method named call (a Keras layer or model of its own)."""
    return any(isinstance(n, ast.ClassDef) and any(isinstance(b, ast.FunctionDef) and b.name == "call"
                                                   for b in n.body) for n in ast.walk(ast.parse(text)))


def _keras_input(t, batch: int, other: int):
    """A concrete tensor for a Keras model input: None dims become `batch` (axis 0) or `other`."""
    import torch
    shape = [d if d is not None else (batch if i == 0 else other) for i, d in enumerate(t.shape)]
    dtype = str(getattr(t, "dtype", "float32"))
    if "int" in dtype:
        return torch.ones(shape, dtype=torch.int64 if "64" in dtype else torch.int32)
    if "bool" in dtype:
        return torch.ones(shape, dtype=torch.bool)
    return torch.randn(shape)


def merge_runs(a: dict, b: dict) -> dict:
    """The lines of two runs at different input sizes, as Keras infers a symbolic call: a dim that differs
    between the runs is None.  A line whose runs differ in structure (values, leaves, ranks) is left out."""
    out = {}
    for k, ra in a.items():
        rb = b.get(k)
        if rb is None or len(ra["values"]) != len(rb["values"]):
            continue
        merged, ok = [], True
        for va, vb in zip(ra["values"], rb["values"]):
            if len(va) != len(vb) or any(len(x) != len(y) for x, y in zip(va, vb)):
                ok = False
                break
            merged.append([[d if d == e else None for d, e in zip(x, y)] for x, y in zip(va, vb)])
        if not ok:
            continue
        r = LineRecord(ra["line"], ra["end_line"], ra["kind"], ra["text"])
        for v, n in zip(merged, ra["counts"]):
            for _ in range(n):
                r.add(v, ra.get("container", False))
        out[k] = r.as_dict()
    return out


def _keras_model_lines(cf, added, ns: dict, build: LineRecorder) -> dict:
    import keras
    model = ns[added.name]
    out: dict = {"name": added.name, "line": added.line, "class": type(model).__name__}
    if not isinstance(model, keras.Model):
        out["error"] = f"`{added.name}` is a {type(model).__name__}, not a keras.Model"
        return out
    lines = keras_model_lines(build, model)
    out["forward_error"] = None
    out["op_lines"] = {}
    run: dict = {}
    try:
        if added.args or added.input is not None:
            # a model given its input: one run; the call() lines have the harness' sizes
            rec = LineRecorder(cf.path, cf.text, op_lines=False)
            with rec:
                model(*_args_for(added, ns, "keras"))
            run = rec.result()["lines"]
        elif defines_call(cf.text) and getattr(model, "inputs", None):
            # a functional model using layers of the file: two runs, the dims that differ are None
            results = []
            for batch, other in ((2, 5), (3, 7)):
                xs = [_keras_input(t, batch, other) for t in model.inputs]
                rec = LineRecorder(cf.path, cf.text, op_lines=False)
                with rec:
                    model(xs if len(xs) > 1 else xs[0])
                results.append(rec.result()["lines"])
            run = merge_runs(*results)
    except Exception as e:  # noqa: BLE001 - recorded
        out["forward_error"] = f"{type(e).__name__}: {e}"[:500]
    for k, v in run.items():
        lines.setdefault(k, v)
    out["lines"] = dict(sorted(lines.items(), key=lambda kv: int(kv[0])))
    return out


def record_file(path) -> dict:
    """The oracle for every model of one corpus file (run in a worker process: executes the file)."""
    path = pathlib.Path(path).resolve()
    t0 = time.time()
    cf = truth.read_corpus_file(path)
    result: dict = {"file": str(path), "framework": cf.framework, "error": None, "models": {}}
    build = LineRecorder(cf.path, cf.text, keras_symbolic=True, module_level=True, op_lines=False)
    try:
        import torch
        torch.manual_seed(0)
        if cf.framework == "keras":
            with build:
                ns = truth._exec_corpus_file(cf)
        else:
            ns = truth._exec_corpus_file(cf)
    except Exception:  # noqa: BLE001
        result["error"] = "executing the file: " + traceback.format_exc(limit=3)[-1500:]
        ns = None
    if ns is not None:
        for added in cf.models:
            try:
                if cf.framework == "torch":
                    result["models"][added.name] = _torch_model_lines(cf, added, ns)
                else:
                    result["models"][added.name] = _keras_model_lines(cf, added, ns, build)
            except Exception:  # noqa: BLE001
                result["models"][added.name] = {"name": added.name, "line": added.line,
                                                "error": traceback.format_exc(limit=3)[-1500:]}
    result["seconds"] = round(time.time() - t0, 2)
    return result


def worker(files) -> None:
    fws = {truth.framework_of(pathlib.Path(f)) for f in files}
    sys.dont_write_bytecode = True
    if "torch" in fws:
        trees = []
        for f in files:
            for t in truth.tree_roots(pathlib.Path(f)):
                if t not in trees:
                    trees.append(t)
        for t in reversed(trees):
            sys.path.insert(0, str(t))
        sys.meta_path.insert(0, truth.StandIns(truth.STUBS, trees))
        truth._install_absent()
    for root in {truth.corpus_root(pathlib.Path(f)) for f in files}:
        if root != truth.HERE and (root / "_stubs").is_dir():
            sys.path.insert(0, str(root / "_stubs"))
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import warnings
    warnings.filterwarnings("ignore")
    import torch
    torch.set_num_threads(1)
    CACHE.mkdir(exist_ok=True)
    for f in files:
        path = pathlib.Path(f).resolve()
        result = record_file(path)
        tmp = cache_path(path).with_suffix(".tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        tmp.replace(cache_path(path))
        print(f"{path.name}: {result['seconds']}s", flush=True)
        if result["framework"] == "keras":
            import keras
            keras.utils.clear_session()
        import gc
        gc.collect()


# ----------------------------------------------------------------------------------------------------------
# Comparison with shapelens' steps

_SYM_OK = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult,
           ast.FloorDiv, ast.USub, ast.UAdd, ast.Pow, ast.Mod)


def eval_dim(text: str, env: dict) -> Optional[int]:
    """A symbolic dim's value with the directive's symbols at the harness' sizes; None when not evaluable."""
    try:
        tree = ast.parse(text.replace("·", "*").replace("⌊", "(").replace("⌋", ")"), mode="eval")
    except SyntaxError:
        return None
    for n in ast.walk(tree):
        if not isinstance(n, _SYM_OK):
            return None
        if isinstance(n, ast.Name) and n.id not in env:
            return None
        if isinstance(n, ast.Constant) and not (isinstance(n.value, int) and not isinstance(n.value, bool)):
            return None
    try:
        v = eval(compile(tree, "<dim>", "eval"), {"__builtins__": {}}, dict(env))   # noqa: S307 - checked above
    except Exception:  # noqa: BLE001
        return None
    return v if isinstance(v, int) else None


def compare_shape(sl, t: list, env: dict) -> tuple:
    """(status, why) for one shapelens Shape against one real shape."""
    if sl is None:
        return UNKNOWN, "shape unknown"
    dims = list(sl.dims)
    t = list(t)
    status = EXACT
    if getattr(sl, "open_rank", False):
        if len(dims) > len(t):
            return WRONG, f"{sl.text()} has more dims than {tuple(t)}"
        t = t[len(t) - len(dims):]
        status = UNKNOWN
    elif len(dims) != len(t):
        return WRONG, f"rank {len(dims)} vs {len(t)}"
    for d, td in zip(dims, t):
        if d is None or td is None:
            continue
        if isinstance(d, bool):
            return UNKNOWN, "bool dim"
        if isinstance(d, int):
            if d != td:
                return WRONG, f"{d} vs {td}"
            continue
        if isinstance(d, str):
            v = None if d == "?" else eval_dim(d, env)
            if v is None:
                status = UNKNOWN
            elif v != td:
                return WRONG, f"{d} = {v} vs {td}"
            continue
        status = UNKNOWN
    return status, ""


def _fmt(shape: list) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _step_shapes(step) -> list:
    many = getattr(step, "output_shapes", None)
    return list(many) if many else [step.output_shape]


@dataclass
class LineRow:
    line: int
    status: str
    text: str
    truth: str                 # the oracle's distinct values, e.g. "(2, 32, 26, 26)" or "(2, 4) | (2, 8) ×3"
    shapelens: Optional[str]   # the step's shape(s), or None when there is no step
    why: str = ""


def truth_text(rec: dict) -> str:
    parts = []
    for v, n in zip(rec["values"], rec["counts"]):
        s = _fmt(v[0]) if len(v) == 1 else "[" + ", ".join(_fmt(x) for x in v) + "]"
        parts.append(s + (f" ×{n}" if n > 1 else ""))
    return " | ".join(parts)


def compare_line(rec: dict, steps: list, env: dict) -> LineRow:
    """One oracle line against the shapelens steps that start on it."""
    text, tt = rec["text"], truth_text(rec)
    if not steps:
        return LineRow(rec["line"], UNKNOWN, text, tt, None, "no step on this line")
    step = max(steps, key=lambda s: s.span.col)
    shapes = _step_shapes(step)
    sl_text = " | ".join("None" if s is None else s.text() for s in shapes)
    if all(s is None for s in shapes):
        why = "; ".join(getattr(step, "unknown_reasons", None) or []) or "shape unknown"
        return LineRow(rec["line"], UNKNOWN, text, tt, sl_text, why[:300])
    distinct = []
    for v in rec["values"]:
        for shp in v:
            if shp not in distinct:
                distinct.append(shp)
    table = [[compare_shape(s, t, env) for t in distinct] for s in shapes]
    # a shape made only where a run-time condition holds (`if self.training:`) is on a path the harness'
    # eval-mode run may not take: matching none of the real shapes is not wrong, only unchecked
    where = list(getattr(step, "only_where", None) or []) + [""] * len(shapes)
    keep = [i for i, row in enumerate(table) if not (where[i] and all(st == WRONG for st, _ in row))]
    shapes, table = [shapes[i] for i in keep], [table[i] for i in keep]
    for s, row in zip(shapes, table):
        if s is not None and all(st == WRONG for st, _ in row):
            return LineRow(rec["line"], WRONG, text, tt, sl_text, row[0][1] if len(row) == 1 else
                           f"{s.text()} is none of the {len(distinct)} shapes this line makes")
    every_leaf = all(any(table[i][j][0] == EXACT for i in range(len(shapes))) for j in range(len(distinct)))
    every_step = all(any(st == EXACT for st, _ in row) for row in table)
    if every_leaf and every_step:
        return LineRow(rec["line"], EXACT, text, tt, sl_text)
    if every_step and len(distinct) > 1:
        runs = len(rec["values"])
        why = (f"one of the {runs} distinct values of this line" if runs > 1
               else f"one shape for a value of {len(rec['values'][0])} tensors")
    else:
        why = "; ".join(sorted({w for row in table for st, w in row if st == UNKNOWN and w})) or "a dim is ?"
    return LineRow(rec["line"], UNKNOWN, text, tt, sl_text, why)


def symbols(added) -> dict:
    """The directive's symbolic dims at the sizes the harness ran them with."""
    return {d: truth.SYMBOLIC for d in (added.input or []) if isinstance(d, str)}


def functions_of(text: str) -> list:
    """(first line, last line, qualified name) of every function / method of a source, outer ones first."""
    out = []

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    out.append((child.lineno, child.end_lineno or child.lineno, name))
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(ast.parse(text), "")
    return out


def _no_step_why(rec: dict, steps_at: set, functions: list) -> str:
    """Why a line has no step, more precisely: its whole function has none (a block's forward, a helper
    shapelens does not record), or only this line (and what its value is)."""
    line = rec["line"]
    inner = None
    for a, b, name in functions:
        if a <= line <= b and (inner is None or a >= inner[0]):
            inner = (a, b, name)
    if inner is not None and not any(inner[0] <= s <= inner[1] for s in steps_at):
        return f"no step in `{inner[2]}` (no line of it has one)"
    what = ("its value is a tuple / list / dict" if rec.get("container")
            else "a return" if rec.get("kind") == "return"
            else "an alias of a name" if re.fullmatch(r"[\w.]+\s*=\s*[\w.]+", rec.get("text", ""))
            else rec.get("kind", ""))
    return f"no step on this line ({what}; other lines of `{inner[2] if inner else '<module>'}` have one)"


def compare_model(oracle_model: dict, record, added, functions: Optional[list] = None) -> list:
    """LineRows for every oracle line of one model; record: the shapelens ModelRecord (None: not found);
    functions: functions_of(the file's text), to say why a line has no step."""
    by_line: dict = {}
    for s in (record.steps if record is not None else []):
        by_line.setdefault(s.span.line, []).append(s)
    env = symbols(added)
    rows = []
    for _, rec in sorted(oracle_model.get("lines", {}).items(), key=lambda kv: int(kv[0])):
        if record is None:
            rows.append(LineRow(rec["line"], UNKNOWN, rec["text"], truth_text(rec), None, "model not found"))
            continue
        row = compare_line(rec, by_line.get(rec["line"], []), env)
        if row.shapelens is None and functions is not None:
            row.why = _no_step_why(rec, set(by_line), functions)
        rows.append(row)
    return rows


@dataclass
class ModelLines:
    """One model of a corpus file: its oracle lines compared with shapelens' steps."""
    file: str
    framework: str
    name: str
    cls: str = ""
    record: Optional[str] = None        # the shapelens ModelRecord's name; None: not found
    error: Optional[str] = None         # the oracle's or shapelens' failure
    rows: list = field(default_factory=list)      # LineRow
    unobserved: list = field(default_factory=list)   # op lines with no observable value (torch)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def wrong(self) -> list:
        return [f"line {r.line}: `{r.text}` shapelens {r.shapelens} vs {r.truth} ({r.why})"
                for r in self.rows if r.status == WRONG]


def analyze(path: pathlib.Path):
    server = os.environ.get("SHAPELENS_SERVER", str(HERE.parent / "server"))
    if server not in sys.path:
        sys.path.insert(0, server)
    from shapelens.analysis import analyze_source
    return analyze_source(path.read_text(encoding="utf-8"), str(path))


def compare_file(path, oracle: dict) -> list:
    """ModelLines for every model of one corpus file (shapelens analyses the file at its place on disk)."""
    import report   # tests/corpus/report.py: the record of each added model, as the corpus report finds it
    path = pathlib.Path(path).resolve()
    cf = truth.read_corpus_file(path)
    try:
        result, crash = analyze(path), None
    except Exception as e:  # noqa: BLE001 - SHAPELENS_STRICT=1 turns internal errors into exceptions
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {pathlib.Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        result, crash = None, f"shapelens raised {type(e).__name__}: {str(e)[:200]}{where}"
    mark_line = cf.text.splitlines().index(truth.MARK) + 1
    functions = functions_of(cf.text)
    taken: set = set()
    out = []
    for added in cf.models:
        om = oracle.get("models", {}).get(added.name)
        ml = ModelLines(str(path), cf.framework, added.name)
        out.append(ml)
        if oracle.get("error") or om is None or om.get("error"):
            ml.error = "oracle: " + str(oracle.get("error") or (om or {}).get("error") or "no oracle")[-300:]
            continue
        ml.cls = om.get("class", "")
        if om.get("forward_error"):
            ml.error = "oracle: the forward pass failed: " + om["forward_error"][:200]
        ml.unobserved = sorted(int(k) for k in om.get("op_lines", {}) if k not in om.get("lines", {}))
        if crash:
            ml.error = crash
            ml.rows = compare_model(om, None, added)
            continue
        rec, _ = report.find_record(result, added, ml.cls, taken, mark_line)
        if rec is not None:
            taken.add(id(rec))
            ml.record = rec.name
        ml.rows = compare_model(om, rec, added, functions)
    return out


def compare_files(files, oracles: dict, jobs: int = 2) -> dict:
    """{path: [ModelLines]}, analysed in `jobs` spawned processes, largest files first."""
    files = [pathlib.Path(f).resolve() for f in files]
    if jobs <= 1 or len(files) <= 1:
        return {f: compare_file(f, oracles[f]) for f in files}
    import concurrent.futures
    import multiprocessing
    order = sorted(files, key=lambda f: -f.stat().st_size)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as ex:
        futures = {f: ex.submit(compare_file, f, oracles[f]) for f in order}
        return {f: futures[f].result() for f in files}


# ----------------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--force", action="store_true", help="recompute even when cached")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.files)
        return 0
    files = [pathlib.Path(f).resolve() for f in a.files] or truth.corpus_files()
    res = load_lines(files, jobs=a.jobs, force=a.force)
    if a.json:
        json.dump({str(k): v for k, v in res.items()}, sys.stdout, indent=1)
        print()
        return 0
    for p, r in res.items():
        print(f"\n{truth.rel_name(p)}  ({r.get('seconds')}s){'  ' + r['error'] if r.get('error') else ''}")
        for name, m in r.get("models", {}).items():
            err = m.get("error") or m.get("forward_error")
            lines = m.get("lines", {})
            print(f"  {name} ({m.get('class')}): {len(lines)} lines" + (f"  ERROR {err}" if err else ""))
            for _, rec in lines.items():
                print(f"    {rec['line']:>5}  {truth_text(rec):<40} {rec['text'][:70]}")
            unobserved = sorted(int(k) for k in m.get("op_lines", {}) if k not in lines)
            if unobserved:
                print(f"    tensor ops on lines with no observable value: {unobserved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
