"""Why a file has no model: what the analysis looked for, and the nearest miss (issue #18: "no models
found" with no reason left the user guessing). Read from the text by line patterns, not a parse, so that a
half-typed file gets an answer too."""
from __future__ import annotations

import os
import re
from typing import Optional

LOOKED_FOR = ("looked for nn.Module / keras.Model / keras Layer subclasses, nn.Sequential, keras.Sequential, "
              "keras functional models (keras.Model(inputs, outputs)) and functions that build one")

# the libraries a model is built from: importing one of them is what makes a file a candidate
FRAMEWORK_TOPS = ("torch", "keras", "tensorflow", "tf_keras", "torchvision", "timm", "einops")

_FROM = re.compile(r"^\s*from\s+(?P<module>\.*[\w.]*)\s+import\s+\(?(?P<names>[^)#]*)")
_IMPORT = re.compile(r"^\s*import\s+(?P<names>[^#]*)")
_CLASS = re.compile(r"^\s*class\s+(?P<name>\w+)\s*\((?P<bases>[^)]*)\)?")


def no_models_reason(lines: list[str], path: str, diagnostics: list) -> str:
    """One sentence: what was looked for, and the nearest miss."""
    imported: dict = {}   # local name -> module it comes from
    frameworks = False
    classes = []
    for ln, text in enumerate(lines, 1):
        for module, local in _imports(text):
            imported[local] = module
            frameworks = frameworks or module.lstrip(".").split(".")[0] in FRAMEWORK_TOPS
        m = _CLASS.match(text)
        if m:
            classes.append((ln, m["name"], [b.strip() for b in m["bases"].split(",") if b.strip()]))
    miss = _unknown_base(classes, imported, path)
    if miss is None and not frameworks:
        miss = "the file imports neither torch nor keras"
    skipped = [d for d in diagnostics if d.code == "SL001" and d.severity != "info"]
    if miss is None and skipped:
        d = skipped[0]
        miss = f"line {d.span.line}: {d.message}"
    return f"no models found ({LOOKED_FOR})" + (f": {miss}" if miss else "")


def _imports(text: str) -> list:
    """[(module, local name)] of an import line."""
    m = _FROM.match(text)
    if m:
        out = []
        for part in m["names"].split(","):
            words = part.split()
            if words and words[0] != "*":
                out.append((m["module"], words[-1]))
        return out
    m = _IMPORT.match(text)
    if m:
        out = []
        for part in m["names"].split(","):
            words = part.split()
            if words:
                out.append((words[0], words[-1] if len(words) == 3 else words[0].split(".")[0]))
        return out
    return []


def _unknown_base(classes: list, imported: dict, path: str) -> Optional[str]:
    """The first class whose base comes from a module that is neither a framework nor a file the analysis
    reads: it may well be a model, but nothing says so."""
    for ln, name, bases in classes:
        for base in bases:
            root = base.split(".")[0].split("[")[0]
            module = imported.get(root)
            if module is None or module.lstrip(".").split(".")[0] in FRAMEWORK_TOPS:
                continue
            if _readable(module, path):
                continue
            return (f"class `{name}` (line {ln}) derives from `{base}`, imported from `{module}`, which is neither "
                    f"torch nor keras nor a file next to this one: `{name}` is not known to be a model")
    return None


def _readable(module: str, path: str) -> bool:
    """A file next to the analysed one (or in its package) that the analysis reads."""
    if not path or path.startswith("<"):
        return False
    here = os.path.dirname(os.path.abspath(path))
    parts = module.lstrip(".").split(".") if module.strip(".") else []
    base = os.path.join(here, *parts)
    return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))
