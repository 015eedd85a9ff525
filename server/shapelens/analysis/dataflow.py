"""Hooks from the statement walk into data-flow analysis (nn.Module forward(), Keras functional API,
subclassed Keras models). Stub: handles nothing yet."""
from __future__ import annotations


def class_def(an, stmt, chunk, scope) -> bool:
    """Called for every class definition; True when it was analysed as a model (then the walk skips it)."""
    return False


def small_statement(an, s, chunk, scope) -> bool:
    """Called before the engine handles a simple statement; True when consumed here."""
    return False


def finish(an) -> None:
    """Called once after the walk: append ModelRecords for the models found to an.extra_models."""
