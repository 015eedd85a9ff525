"""Imports of other Python files: the project's own modules and installed libraries, read (never imported).

`from .blocks import ConvBlock`, `from models.common import Conv`, `from torchvision.ops import
Conv2dNormActivation`, `keras.applications.ResNet50(...)`: the module's file is found on disk the way
Python's import system would find it (relative to the analysed file, in the project's package roots,
then on sys.path), parsed with `ast`, and its top-level statements are run by the interpreter in a
namespace of their own. Its functions and classes then run like the file's own, with the analysed
file's arguments. The frameworks themselves (torch, keras' layers, numpy, ...) are never read: their
objects are the catalogs' (natives.py).

Positions in another file mean nothing in the analysed one: whatever a library builds is placed on the
line of the analysed file that called into it (Code.external / Interp.anchor). Loading is bounded: a
file size, a number of modules and a step budget per module; past them the name is unknown (Opaque).
"""
from __future__ import annotations

import ast
import os
import sys
import warnings
from collections import OrderedDict
from typing import Optional

from ..source import Chunk
from .code import Code
from .objects import MISSING, Opaque, Unknown

MAX_FILE_BYTES = 2_000_000      # a module larger than this is not read
MAX_MODULES = 40                # modules read for one unit
MODULE_BUDGET = 40_000          # steps for one module's top-level statements
LOADER_BUDGET = 150_000         # steps for all the modules one unit reads

# Packages whose objects are the frameworks' own (catalog layers, tensor functions) or Python's standard
# library: never read from disk. keras.applications / keras.src.applications are model code written with
# keras' layers, so they are read.
NATIVE_TOPS = frozenset({
    "torch", "tensorflow", "tf_keras", "numpy", "jax", "jaxlib", "scipy", "pandas", "PIL", "cv2", "sklearn",
    "matplotlib", "math", "builtins", "typing", "typing_extensions", "dataclasses", "functools", "copy",
    "collections", "itertools", "operator", "os", "sys", "re", "json", "warnings", "logging", "abc", "enum",
    "pathlib", "inspect", "time", "random", "string", "types", "contextlib", "argparse", "pickle", "io", "gc",
    "threading", "multiprocessing", "subprocess", "shutil", "glob", "tqdm", "wandb", "tensorboard", "hashlib",
    "urllib", "requests", "importlib", "traceback", "weakref", "numbers", "decimal", "fractions", "datetime",
    "pytest", "unittest", "einops", "transformers", "lightning", "pytorch_lightning", "optree", "ml_dtypes",
    "h5py", "onnx", "torchaudio_native", "__shapelens__", "torchinfo", "torchsummary", "thop", "fvcore",
    "ptflops"})
KERAS_SOURCE = ("keras.applications", "keras.src.applications")


class LazyImport:
    """A name imported from another file, read only when the code uses it (a plotting helper imported
    beside the model costs nothing unless it runs)."""

    __slots__ = ("module", "level", "attr", "package", "value")

    def __init__(self, module: str, level: int, attr: Optional[str], package: Optional[str]) -> None:
        self.module = module
        self.level = level
        self.attr = attr              # `from module import attr`; None for `import module`
        self.package = package        # the importing module's package directory (relative imports)
        self.value = MISSING


class ModuleValue:
    """A module read from disk: its namespace, its name and file."""

    __slots__ = ("name", "path", "globals", "package")

    def __init__(self, name: str, path: Optional[str], package: Optional[str]) -> None:
        self.name = name
        self.path = path
        self.globals: dict = {"__name__": name}
        self.package = package          # directory of the package (for its submodules), or None

    def __repr__(self) -> str:  # pragma: no cover
        return f"<module {self.name}>"


_TREES: "OrderedDict[tuple, tuple]" = OrderedDict()
_TREES_SIZE = 256


def _parse_file(path: str) -> Optional[tuple]:
    """(statements, lines) of a file, cached by path, modification time and size."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size > MAX_FILE_BYTES:
        return None
    key = (path, st.st_mtime_ns, st.st_size)
    hit = _TREES.get(key)
    if hit is not None:
        _TREES.move_to_end(key)
        return hit
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            body = ast.parse(text).body
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = text.splitlines(keepends=True)
    hit = (body, lines, text, key)
    _TREES[key] = hit
    if len(_TREES) > _TREES_SIZE:
        _TREES.popitem(last=False)
    return hit


def _dotted(name: str, file: Optional[str], package: Optional[str]) -> str:
    """The module's `__name__` as Python gives it: a relatively imported module gets its dotted name from
    the package directories above it (timm's register_model reads `sys.modules[fn.__module__]`)."""
    if not name.startswith("<relative>"):
        return name
    path = package or (file[:-3] if file and file.endswith(".py") else file)
    if not path:
        return name
    parts = [os.path.basename(path)]
    here = os.path.dirname(path)
    while os.path.isfile(os.path.join(here, "__init__.py")) and len(parts) < 32:
        parts.insert(0, os.path.basename(here))
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    return ".".join(parts)


def clear_cache() -> None:
    _TREES.clear()


def _file_of(base: str) -> tuple:
    """(file, package directory or None) for a module at `base` (a path without extension)."""
    init = os.path.join(base, "__init__.py")
    if os.path.isfile(init):
        return init, base
    if os.path.isfile(base + ".py"):
        return base + ".py", None
    if os.path.isdir(base):   # a namespace package
        return None, base
    return None, None


class Loader:
    """The modules one unit imports, each read once."""

    def __init__(self, it, importer: str) -> None:
        self.it = it
        self.importer = importer if importer and os.path.isfile(importer) else None
        self.modules: dict = {}        # module name -> ModuleValue
        self.deps: dict = {}           # file -> (mtime_ns, size): what the unit's result depends on
        self.roots = self._roots()
        self.spent = 0                 # steps the modules' top-level statements took

    def resolve(self, lazy: LazyImport):
        """The value of a lazily imported name (read now, once)."""
        if lazy.value is MISSING:
            lazy.value = self._resolve(lazy)
        return lazy.value

    def _resolve(self, lazy: LazyImport):
        from . import natives

        if lazy.level:
            mod = self.relative(lazy.module, lazy.level, lazy.package)
            if mod is None:
                where = "." * lazy.level + lazy.module
                return Opaque(f"`{lazy.attr or lazy.module}` is imported from `{where}`, another file, not found")
        else:
            mod = self.absolute(lazy.module)
            if mod is None:
                return natives.imported(f"{lazy.module}.{lazy.attr}" if lazy.attr else lazy.module)
        if isinstance(mod, Unknown) or lazy.attr is None:
            return mod
        return self.attribute(mod, lazy.attr)

    def _roots(self) -> list:
        """Directories absolute imports are looked for in: the analysed file's directory, the directory
        above its outermost package, then sys.path."""
        if self.importer is None:
            return []
        here = os.path.dirname(os.path.abspath(self.importer))
        top = here
        while os.path.isfile(os.path.join(top, "__init__.py")):
            parent = os.path.dirname(top)
            if parent == top:
                break
            top = parent
        roots = [here] if top == here else [here, top]
        return roots

    # ------------------------------------------------------------------ resolution
    def package_of_importer(self) -> Optional[str]:
        return os.path.dirname(os.path.abspath(self.importer)) if self.importer else None

    def relative(self, module: str, level: int, package_dir: Optional[str]):
        """`from ..pkg.mod import x`: the module relative to the importing file's package directory."""
        base = package_dir or self.package_of_importer()
        if base is None:
            return None
        for _ in range(level - 1):
            base = os.path.dirname(base)
        name = f"<relative>{base}/{module}"
        target = os.path.join(base, *module.split(".")) if module else base
        return self._load_path(name, target)

    def might_read(self, module: str) -> bool:
        """Could `module` be another file the analysis reads (rather than a framework or library)?"""
        top = module.split(".")[0]
        if self.importer is None or top in NATIVE_TOPS:
            return False
        return top != "keras" or module.startswith(KERAS_SOURCE)

    def absolute(self, module: str):
        """An absolute module: found in the project's roots, then on sys.path; None when it is not found
        (the caller then treats the name as a library the analysis does not read)."""
        top = module.split(".")[0]
        if top in NATIVE_TOPS or self.importer is None:
            return None
        if top == "keras" and not module.startswith(KERAS_SOURCE):
            return None
        if module in self.modules:
            return self.modules[module]
        for root in self.roots + [p for p in sys.path if p and os.path.isdir(p)]:
            target = os.path.join(root, *module.split("."))
            found = self._load_path(module, target)
            if found is not None:
                return found
        return None

    def source_module(self, name: str, text: str) -> "ModuleValue":
        """A module from source text shipped with shapelens (frameworks/prelude.py), read once per unit."""
        mod = self.modules.get(name)
        if mod is None:
            mod = self.modules[name] = ModuleValue(name, None, None)
            self._run_text(mod, name, text)
        return mod

    def loaded(self, name: str):
        """`sys.modules[name]`: a module this unit has read, by its `__name__`; None if not read."""
        if name == "__main__":
            return self.it.unit.main_module()
        for m in self.modules.values():
            if m.name == name:
                return m
        return None

    def submodule(self, mod: ModuleValue, name: str):
        if mod.package is None:
            return None
        return self._load_path(f"{mod.name}.{name}", os.path.join(mod.package, name))

    def _load_path(self, name: str, target: str):
        file, package = _file_of(target)
        if file is None and package is None:
            return None
        key = file or package
        for m in self.modules.values():
            if (m.path or m.package) == key:
                return m
        if len(self.modules) >= MAX_MODULES or self.spent >= LOADER_BUDGET:
            return Opaque(f"`{name}` is another file, beyond what the analysis reads for one file "
                          f"({MAX_MODULES} modules, {LOADER_BUDGET:,} steps)")
        mod = ModuleValue(_dotted(name, file, package), file, package)
        self.modules[name] = mod
        if file is not None:
            self._run(mod, file)
        return mod

    # ------------------------------------------------------------------ running a module
    def _run(self, mod: ModuleValue, file: str) -> None:
        parsed = _parse_file(file)
        if parsed is None:
            mod.globals["__unreadable__"] = Opaque(f"`{mod.name}` ({file}) cannot be read")
            return
        body, lines, text, key = parsed
        self.deps[key[0]] = key[1:]
        mod.globals["__file__"] = file
        self._exec(mod, body, lines, text)

    def _run_text(self, mod: ModuleValue, name: str, text: str) -> None:
        key = ("<shapelens>", name)
        hit = _TREES.get(key)
        if hit is None:
            hit = _TREES[key] = (ast.parse(text).body, text.splitlines(keepends=True), text, key)
        body, lines, text, _ = hit
        self._exec(mod, body, lines, text, budget=None)

    def _exec(self, mod: ModuleValue, body: list, lines: list, text: str, budget: Optional[int] = MODULE_BUDGET) -> None:
        from .machine import Frame
        from .objects import BudgetSpent, Break, Continue, Raise, Return

        code = Code(Chunk(0, text), body, 0, lines, None)
        code.external = self.it
        frame = Frame("module", code, mod.globals, mod.globals)
        frame.module = mod
        it = self.it
        it.frames.append(frame)
        saved = (it.limit, it.quiet)
        start = it.steps
        it.limit = it.steps + (min(budget, LOADER_BUDGET - self.spent) if budget else MODULE_BUDGET)
        it.quiet += 1
        try:
            for stmt in body:
                try:
                    it.exec_stmt(stmt, frame)
                except (Return, Break, Continue, Raise):
                    pass
        except (BudgetSpent, RecursionError):
            mod.globals["__incomplete__"] = Unknown(f"`{mod.name}` is too large to read whole")
        finally:
            it.limit, it.quiet = saved
            it.frames.pop()
            if budget:
                self.spent += it.steps - start

    # ------------------------------------------------------------------ attributes
    def attribute(self, mod: ModuleValue, name: str):
        if name == "__dict__":
            # torchvision's backbone_utils: resnet.__dict__[backbone_name](...). Its own definitions (names it
            # imports stay out: resolving them all would load their modules); a module read only in part: unknown
            if "__incomplete__" in mod.globals:
                return Opaque(f"`{mod.name}.__dict__`: {mod.globals['__incomplete__'].reason}")
            return {k: v for k, v in mod.globals.items()
                    if type(v) is not LazyImport and k not in ("__star_imports__",)}
        v = mod.globals.get(name, MISSING)
        if type(v) is LazyImport:
            v = mod.globals[name] = self.resolve(v)
        if v is not MISSING:
            return v
        sub = self.submodule(mod, name)
        if sub is not None:
            mod.globals[name] = sub
            return sub
        if "__incomplete__" in mod.globals:
            return Opaque(f"`{mod.name}.{name}`: {mod.globals['__incomplete__'].reason}")
        return Opaque(f"`{mod.name}.{name}` is not defined in {mod.path or mod.name}")


__all__ = ["Loader", "ModuleValue", "LazyImport", "clear_cache"]
