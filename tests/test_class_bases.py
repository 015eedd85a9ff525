"""frameworks/class_bases.py (the MRO of every torch.nn / Keras layer class, used to answer isinstance() on
layers without importing a framework) is what the installed torch 2.13 and Keras 3 say."""
from __future__ import annotations

import importlib.util
import pathlib

from shapelens.frameworks.class_bases import BASES, MODULE_NAMES

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "gen_class_bases.py"


def test_table_is_the_installed_frameworks_mro():
    spec = importlib.util.spec_from_file_location("gen_class_bases", SCRIPT)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert BASES == gen.table(), "regenerate: KERAS_BACKEND=torch python scripts/gen_class_bases.py"


def test_module_names_are_the_installed_frameworks_dir():
    spec = importlib.util.spec_from_file_location("gen_class_bases", SCRIPT)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert {k: tuple(sorted(v)) for k, v in MODULE_NAMES.items()} == gen.module_names()
