"""Hooks from the statement walk into data-flow analysis (nn.Module forward(), Keras functional API,
subclassed Keras models). The work is in the flow_*.py modules:

  flow_models.py   model classes and their records (kind="module")
  flow_interp.py   the interpreter of __init__ / forward() / call() bodies
  flow_calls.py    calls: layer constructors, module calls (catalog rules), methods, builtins
  flow_funcs.py    tensor functions and methods (F.*, torch.*, x.view(...), indexing, operators)
  flow_ops.py      the shape rules of tensor operations
  flow_keras.py    Keras functional graphs and merge layers (kind="functional")
  flow_inputs.py   instantiations of the model classes and their input shapes

They are imported on first use (about 4,000 lines, a large part of the CLI's start-up without cached
bytecode): nothing for a file of constants, functions and imports; flow_models and flow_inputs only for
a file with a class that has base classes.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import libcst as cst

from .records import Diagnostic

if TYPE_CHECKING:
    from .flow_state import Flow


def _flow(an) -> Flow:
    flow = getattr(an, "_flow", None)
    if flow is None:
        from .flow_state import Flow

        flow = Flow(an)
        an._flow = flow
    return flow


def _guard(an, fn, *args, default=False):
    """A bug here must not take the file's other models down: say so instead (raise in tests)."""
    try:
        return fn(*args)
    except RecursionError:
        return default
    except Exception as e:  # pragma: no cover - only reached through a bug
        if os.environ.get("SHAPELENS_STRICT"):
            raise
        span = args[2].span(args[1]) if len(args) > 2 and hasattr(args[2], "span") else None
        if span is not None:
            an.diagnostics.append(Diagnostic(span, "SL001", "info", f"internal error in the data-flow analysis "
                                                                   f"({type(e).__name__}: {e}); please report it"))
        return default


def class_def(an, stmt, chunk, scope) -> bool:
    """Called for every class definition; True when it was analysed as a model (then the walk skips it)."""
    return _guard(an, _class_def, an, stmt, chunk, scope)


def _class_def(an, stmt, chunk, scope) -> bool:
    if not stmt.bases:  # register_class() needs an nn.Module / keras.Model base (or a model class's)
        return False
    from .flow_models import register_class

    return register_class(_flow(an), stmt, chunk, scope) is not None


def small_statement(an, s, chunk, scope) -> bool:
    """Called before the engine handles a simple statement; observes it, never consumes it."""
    if isinstance(s, (cst.Import, cst.ImportFrom, cst.Pass)):
        return False
    _guard(an, _observe, an, s, chunk, scope)
    return False


def _observe(an, s, chunk, scope) -> None:
    from . import flow_keras

    flow = _flow(an)
    if flow.classes:  # flow_inputs.observe() records instantiations of the model classes: none yet
        from . import flow_inputs

        flow_inputs.observe(flow, s, chunk, scope)
    flow_keras.observe(flow, s, chunk, scope)


def finish(an) -> None:
    """Called once after the walk: append ModelRecords for the models found to an.extra_models."""
    flow = getattr(an, "_flow", None)
    if flow is None or not (flow.functional or flow.classes):  # no functional model, no model class
        return
    from .flow_calls import finish_leaf
    from .flow_interp import Interp, Run
    from .flow_models import module_records

    it = Interp(flow.module_run or Run(flow, "keras"))
    for fm in flow.functional:
        for leaf in fm.leaves:
            finish_leaf(it, leaf)
        an.extra_models.append(fm.record)
    an.extra_models.extend(module_records(flow))
