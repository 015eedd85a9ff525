"""Which framework object a dotted name in the file refers to, through its imports and aliases.

`qualify(node)` turns `nn.Conv2d`, `tf.keras.layers.Dense`, `Dense` (after `from keras.layers import
Dense`) into a canonical name: "torch.nn.Conv2d" or "keras.layers.Dense". `tensorflow.keras` and
`tf.keras` are Keras 3 (what `tf.keras` is today), so they map to "keras".
"""
from __future__ import annotations

import functools
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
    t = type(node)
    if t is cst.Name:  # the most frequent case (libcst's node classes have no subclasses)
        return node.value
    parts = []
    while t is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
        t = type(node)
    if t is cst.Name:
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node) -> str:
    return dotted(node) or ""


@functools.lru_cache(maxsize=8192)
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


# The conventional names whose default alias can lead to a Keras name.
_DEFAULT_KERAS_HEADS = frozenset(h for h, m in DEFAULT_ALIASES.items() if m in ("keras", "keras.layers", "tensorflow"))


def _leads_to_keras(module: str) -> bool:
    """Can canonical(module + "." + rest) start with "keras."? Only when the module names Keras or is a
    package some of whose submodules canonical() maps to Keras (tensorflow.keras, tensorflow.python.keras)."""
    return "keras" in module or module in ("tensorflow", "tensorflow.python")


class Aliases:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self._heads: Optional[tuple] = None
        self._qualified: dict = {}   # dotted name -> qualify()'s answer, until the next import

    def keras_heads(self) -> Optional[frozenset]:
        """The first names of the dotted names that qualify() can turn into a "keras." name; None when
        any name can be one (a star import of a layers module)."""
        if self._heads is None:
            if any(k.startswith("*") for k in self.names):
                heads = None
            else:
                found = {h for h in _DEFAULT_KERAS_HEADS if h not in self.names}
                found.update(h for h, m in self.names.items() if _leads_to_keras(m))
                heads = frozenset(found)
            self._heads = (heads,)
        return self._heads[0]

    def add_import(self, node) -> None:
        self._heads = None
        self._qualified = {}
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
        hit = self._qualified.get(name)
        if hit is None:
            hit = self._qualified[name] = self._qualify(name)
        return hit

    def _qualify(self, name: str) -> str:
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
