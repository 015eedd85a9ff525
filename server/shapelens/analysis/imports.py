"""Which framework object a dotted name in the file refers to, through its imports and aliases.

`qualify(node)` turns `nn.Conv2d`, `tf.keras.layers.Dense`, `Dense` (after `from keras.layers import
Dense`) into a canonical name: "torch.nn.Conv2d" or "keras.layers.Dense". `tensorflow.keras` and
`tf.keras` are Keras 3 (what `tf.keras` is today), so they map to "keras".
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

# Conventional names used in snippets that omit their imports.
DEFAULT_ALIASES = {
    "nn": "torch.nn",
    "torch": "torch",
    "tf": "tensorflow",
    "keras": "keras",
    "layers": "keras.layers",
}


def dotted(node: cst.BaseExpression) -> Optional[str]:
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node) -> str:
    return dotted(node) or ""


def canonical(name: str) -> str:
    for prefix, repl in (
        ("tensorflow.python.keras", "keras"),
        ("tensorflow.keras", "keras"),
        ("tf_keras", "keras"),
        ("keras.src.layers", "keras.layers"),
        ("keras.api.layers", "keras.layers"),
        ("keras.models", "keras"),
        ("keras.layers.core", "keras.layers"),
        ("keras.layers.convolutional", "keras.layers"),
        ("keras.layers.pooling", "keras.layers"),
        ("torch.nn.modules.container", "torch.nn"),
    ):
        if name == prefix or name.startswith(prefix + "."):
            name = repl + name[len(prefix):]
    return name


class Aliases:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def add_import(self, node) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _module_name(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.names[alias.asname.name.value] = full
                else:
                    top = full.split(".")[0]
                    self.names[top] = top
        elif isinstance(node, cst.ImportFrom):
            if node.relative or node.module is None:
                return
            mod = _module_name(node.module)
            if isinstance(node.names, cst.ImportStar):
                self.names[f"*{mod}"] = mod
                return
            for alias in node.names:
                name = _module_name(alias.name)
                local = name
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                self.names[local] = f"{mod}.{name}"

    def qualify(self, node: cst.BaseExpression) -> Optional[str]:
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        full = self.names.get(head)
        if full is None:
            full = DEFAULT_ALIASES.get(head)
            if full is None:
                for key, mod in self.names.items():  # `from torch.nn import *`
                    if key.startswith("*") and mod in ("torch.nn", "keras.layers", "tensorflow.keras.layers"):
                        return canonical(f"{mod}.{name}")
                return name
        return canonical(full + ("." + rest if rest else ""))
