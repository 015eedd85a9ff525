"""Truth harness: what the real framework says about each model of a corpus file.

A corpus file is published source (verbatim) followed by a marked block (MARK) that binds each model to a
module-level name (`model = resnet18()`, `model_b = ...`: `model`, `model_*`, or any name with a directive;
other statements there are setup such as `config = GPT.get_default_config()`), with the input as a `# shapelens: input=(...)`
directive on the line above (symbolic dims such as N become 2), and, for models that take several inputs or
integer tokens, a harness-only `# corpus: args=(torch.randint(0, 28, (2, 5)), ...)` line above that.
A corpus file that sits in a package layout (torch/pkgs/torchvision/models/resnet.py: directories with
__init__.py) is executed as a module of that package (torchvision.models), so its relative and absolute
imports resolve to the verbatim modules beside it: the torch workers put the tree's root (torch/pkgs) first
on sys.path, and a finder on sys.meta_path gives the harness-only stand-ins of tests/corpus/_stubs/
precedence over the tree's modules of the same name (modules that cannot run here: they need PIL, or import
whole subsystems the corpus does not carry; see _stubs/README.md).  A model file imported by another module
(torchvision.models.resnet by quantization/resnet.py) runs up to its MARK line, i.e. exactly as published.
An optional header line `# corpus: package=X` names the package of a file outside such a layout.

For each model name this records, in real PyTorch 2.13 / Keras 3 (KERAS_BACKEND=torch):

torch  every module of named_modules(): path, class, its own parameters (recurse=False) and its whole
       subtree's, each split trainable / non-trainable by requires_grad, own buffers, whether it is a leaf,
       and the output of its FIRST call during one forward pass (model.eval(), torch.no_grad(); forward
       hooks), both as the structure and as the main shape (a tensor's shape; for a tuple / list / dict
       the first element's).  Parameters are counted after the forward pass, so lazy modules are
       materialised.  Model totals from model.parameters() (deduplicated by torch), buffers apart.
keras  every layer, flattened through nested models as summary(expand_nested=True) does, plus the nested
       model rows themselves: class, name, output shape, trainable / non-trainable weight counts; totals
       from model.trainable_weights / non_trainable_weights / count_params().

Results are cached as JSON in tests/corpus/.truth/ (gitignored), keyed by a hash of the corpus file, of the
package tree it imports from (every module of torch/pkgs up to a model file's MARK line), of the stand-ins and
of this harness, so repeated runs are fast; a missing cache is rebuilt.  Truth is computed in worker
processes (`python truth.py --worker FILE...`), one file and one model at a time, never in the caller's
process.  Command line: `python tests/corpus/truth.py [--force] [--jobs N] [FILES...]` fills the cache.
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
STUBS = HERE / "_stubs"
CACHE = HERE / ".truth"
MARK = "# ---- shapelens corpus: added below (not in the source) ----"
DIRECTIVE_RE = re.compile(r"#\s*shapelens:\s*input\s*=\s*(\(.*\)|\[.*\])")
ARGS_RE = re.compile(r"#\s*corpus:\s*args\s*=\s*(.*)$")
PACKAGE_RE = re.compile(r"^#\s*corpus:\s*package\s*=\s*([\w.]+)\s*$", re.M)
SYMBOLIC = 2          # a symbolic dimension (N, B, ...) becomes this size
TRUTH_VERSION = 3     # bump when the recorded data changes


@dataclass
class Added:
    name: str                  # module-level variable the model is bound to
    line: int                  # 1-based line of the assignment
    input: Optional[list] = None   # the directive's dims (str for symbolic)
    args: Optional[str] = None     # harness-only expression for the forward arguments


@dataclass
class CorpusFile:
    path: pathlib.Path
    framework: str             # "torch" | "keras"
    package: Optional[str]
    models: list = field(default_factory=list)   # list[Added]
    text: str = ""


def _framework_dir(path: pathlib.Path) -> Optional[pathlib.Path]:
    """The nearest directory above the file named torch or keras (a corpus root's framework directory)."""
    for d in pathlib.Path(path).resolve().parents:
        if d.name in ("torch", "keras"):
            return d
    return None


def framework_of(path: pathlib.Path) -> str:
    d = _framework_dir(path)
    return "keras" if d is not None and d.name == "keras" else "torch"


def corpus_root(path: pathlib.Path) -> pathlib.Path:
    """The corpus directory a file belongs to (the one holding torch/ and keras/)."""
    d = _framework_dir(path)
    return d.parent if d is not None else pathlib.Path(path).resolve().parent


def rel_name(path: pathlib.Path) -> str:
    """The file's path inside its corpus: torch/pkgs/torchvision/models/resnet.py, keras/ka_vgg16.py."""
    path = pathlib.Path(path).resolve()
    try:
        return path.relative_to(corpus_root(path)).as_posix()
    except ValueError:
        return path.name


def package_of(path: pathlib.Path) -> tuple:
    """(dotted package, directory above the outermost package) for a file inside package directories (each
    with __init__.py), else (None, None)."""
    d = pathlib.Path(path).resolve().parent
    parts = []
    while (d / "__init__.py").is_file() and d.parent != d:
        parts.insert(0, d.name)
        d = d.parent
    return (".".join(parts), d) if parts else (None, None)


def tree_roots(path: pathlib.Path) -> list:
    """The package trees a torch corpus file is executed against: the directory above its outermost package,
    its corpus' torch/pkgs, and this corpus' torch/pkgs (d2l's torch.py imports torchvision, also in another
    corpus root)."""
    out = []
    _, top = package_of(path)
    if top is not None:
        out.append(top)
    if framework_of(path) == "torch":
        for pk in (corpus_root(path) / "torch" / "pkgs", HERE / "torch" / "pkgs"):
            if pk.is_dir() and pk not in out:
                out.append(pk)
    return out


def parse_dims(text: str) -> list:
    """'(N, 3, 224, 224)' -> ['N', 3, 224, 224]"""
    inner = text.strip()[1:-1]
    out = []
    for p in inner.split(","):
        p = p.strip()
        if not p:
            continue
        out.append(int(p) if re.fullmatch(r"-?\d+", p) else p)
    return out


def read_corpus_file(path) -> CorpusFile:
    path = pathlib.Path(path).resolve()
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if MARK not in lines:
        raise ValueError(f"{path}: no '{MARK}' line")
    start = lines.index(MARK)
    m = PACKAGE_RE.search("\n".join(lines[:start]).split("# ---- verbatim source below ----")[0])
    cf = CorpusFile(path, framework_of(path), m.group(1) if m else package_of(path)[0], text=text)
    # `# corpus: models=a, b` in the added block: names the verbatim code itself binds (a Keras notebook's `model`)
    for line in lines[start + 1:]:
        mm = re.match(r"#\s*corpus:\s*models\s*=\s*(.*)$", line.strip())
        if mm:
            whole = ast.parse(text)
            for name in [n.strip() for n in mm.group(1).split(",") if n.strip()]:
                first = [n.lineno for n in whole.body if isinstance(n, ast.Assign)
                         and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
                cf.models.append(Added(name, first[0] if first else 0))
    tree = ast.parse("\n".join(lines[start + 1:]))
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            lineno = start + 1 + node.lineno   # 1-based in the whole file
            added = Added(node.targets[0].id, lineno)
            j = lineno - 2                     # 0-based index of the line above
            while j > start and lines[j].lstrip().startswith("#"):
                d = DIRECTIVE_RE.search(lines[j])
                a = ARGS_RE.search(lines[j])
                if d and added.input is None:
                    added.input = parse_dims(d.group(1))
                if a and added.args is None:
                    added.args = a.group(1).strip()
                j -= 1
            # a model: bound to `model` / `model_*`, or with an input directive; other assignments are setup
            if added.name == "model" or added.name.startswith("model_") or added.input is not None:
                cf.models.append(added)
    return cf


_STUBS_DIGEST: list = []


def stubs_digest() -> bytes:
    """A hash of every stand-in file: the truth of a file depends on them too."""
    if not _STUBS_DIGEST:
        h = hashlib.sha256()
        for f in sorted(STUBS.rglob("*.py")):
            h.update(str(f.relative_to(STUBS)).encode())
            h.update(f.read_bytes())
        _STUBS_DIGEST.append(h.digest())
    return _STUBS_DIGEST[0]


def up_to_mark(text: str) -> str:
    """A module's text as the harness imports it: a model file's up to its MARK line (what was published)."""
    k = text.find("\n" + MARK + "\n")
    if k < 0 and text.endswith("\n" + MARK):
        k = len(text) - len(MARK) - 1
    return text if k < 0 else text[:k + 1]


_TREE_DIGESTS: dict = {}


def tree_digest(root: pathlib.Path) -> bytes:
    """A hash of every module of a package tree as the harness imports it (model files up to MARK): the
    sibling modules a corpus file's truth depends on."""
    if root not in _TREE_DIGESTS:
        h = hashlib.sha256()
        for f in sorted(root.rglob("*.py")):
            if "__pycache__" in f.parts:
                continue
            h.update(f.relative_to(root).as_posix().encode() + b"\0")
            h.update(up_to_mark(f.read_text(encoding="utf-8")).encode() + b"\0")
        _TREE_DIGESTS[root] = h.digest()
    return _TREE_DIGESTS[root]


def cache_key(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    h.update(stubs_digest())
    for root in tree_roots(path):
        h.update(tree_digest(root))
    h.update(pathlib.Path(path).read_bytes())
    h.update(pathlib.Path(__file__).read_bytes())
    h.update(str(TRUTH_VERSION).encode())
    return h.hexdigest()[:24]


def cache_path(path: pathlib.Path) -> pathlib.Path:
    path = pathlib.Path(path).resolve()
    return CACHE / f"{rel_name(path)[:-3].replace('/', '__')}__{cache_key(path)}.json"


def cached(path) -> Optional[dict]:
    p = cache_path(path)
    if p.exists():
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            return None
    return None


def load_truth(paths, jobs: int = 2, force: bool = False, timeout: float = 1800) -> dict:
    """{path: truth dict} for every path, computing the missing ones in worker processes."""
    paths = [pathlib.Path(p).resolve() for p in paths]
    out, todo = {}, []
    for p in paths:
        t = None if force else cached(p)
        if t is None:
            todo.append(p)
        else:
            out[p] = t
    if todo:
        run_workers(todo, jobs, timeout)
        for p in todo:
            t = cached(p)
            if t is None:
                t = {"file": str(p), "error": "the truth worker wrote nothing for this file (crashed?)", "models": {}}
            out[p] = t
    return out


def run_workers(paths, jobs: int, timeout: float, chunk: int = 20) -> None:
    """Compute truth for `paths` in worker processes, at most `jobs` at once, each taking up to `chunk` files
    of one framework (the torch workers put the stand-in packages on sys.path), largest files first."""
    CACHE.mkdir(exist_ok=True)
    tasks = []
    for fw in ("torch", "keras"):
        fs = sorted([p for p in paths if framework_of(p) == fw], key=lambda p: -p.stat().st_size)
        n = max(1, -(-len(fs) // chunk))
        tasks += [[str(f) for f in fs[i::n]] for i in range(n) if fs[i::n]]
    env = dict(os.environ, KERAS_BACKEND="torch")
    deadline = time.time() + timeout
    running: list = []
    while tasks or running:
        while tasks and len(running) < max(1, jobs):
            fs = tasks.pop(0)
            running.append(subprocess.Popen([sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", *fs],
                                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        time.sleep(0.1)
        for p in list(running):
            if p.poll() is not None or time.time() > deadline:
                if p.poll() is None:
                    p.kill()
                _, err = p.communicate()
                if p.returncode != 0 and err:
                    sys.stderr.write(err.decode("utf-8", "replace")[-4000:])
                running.remove(p)


# ----------------------------------------------------------------------------------------------------------
# Worker side (runs the corpus file; never imported by shapelens or the tests' own process).

def _exec_corpus_file(cf: CorpusFile) -> dict:
    import types
    stem = cf.path.stem
    if cf.package:   # executed as a module of the package, beside the package's own module of that name
        import importlib
        importlib.import_module(cf.package)
        modname = f"{cf.package}._corpus_{stem}"
    else:
        modname = f"_corpus_{stem}"
    if "torchvision.models._api" in sys.modules:
        sys.modules["torchvision.models._api"].BUILTIN_MODELS.clear()   # each file registers its builders anew
    mod = types.ModuleType(modname)
    mod.__file__ = str(cf.path)
    mod.__package__ = cf.package or ""
    sys.modules[modname] = mod
    code = compile(cf.text, str(cf.path), "exec")
    exec(code, mod.__dict__)
    return mod.__dict__


def _structure(x):
    """JSON structure of a module output: shape lists for tensors."""
    import torch
    if isinstance(x, torch.Tensor):
        return list(x.shape)
    if isinstance(x, (tuple, list)):
        return [_structure(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _structure(v) for k, v in x.items()}
    if x is None:
        return None
    return f"<{type(x).__name__}>"


def _main_shape(s):
    """The main shape inside a structure: a tensor's shape, else the first element's."""
    if isinstance(s, list) and all(isinstance(d, int) for d in s):
        return s
    if isinstance(s, list):
        for v in s:
            m = _main_shape(v)
            if m is not None:
                return m
        return None
    if isinstance(s, dict):
        for v in s.values():
            m = _main_shape(v)
            if m is not None:
                return m
    return None


def _count(params) -> tuple:
    t = sum(p.numel() for p in params if p.requires_grad)
    n = sum(p.numel() for p in params if not p.requires_grad)
    return t, n


def torch_truth(model, added: Added, ns: dict) -> dict:
    import torch
    rec: dict = {"name": added.name, "line": added.line, "class": type(model).__name__,
                 "module": type(model).__module__}
    if not isinstance(model, torch.nn.Module):
        rec["error"] = f"`{added.name}` is a {type(model).__name__}, not an nn.Module"
        return rec
    model.eval()
    outputs: dict = {}
    order: list = []
    hooks = []
    names = {id(m): n for n, m in model.named_modules()}

    def hook(mod, inp, out):
        key = id(mod)
        if key in outputs:
            return
        outputs[key] = _structure(out)
        order.append(key)

    for _, m in model.named_modules():
        hooks.append(m.register_forward_hook(hook))
    rec["input"] = None
    try:
        if added.args:
            args = eval(added.args, {**ns, "torch": torch})   # may use the file's names (model.init_hidden(2))
            args = args if isinstance(args, tuple) else (args,)
        elif added.input is not None:
            dims = [d if isinstance(d, int) else SYMBOLIC for d in added.input]
            rec["input"] = dims
            args = (torch.randn(*dims),)
        else:
            raise ValueError("no input directive")
        torch.manual_seed(0)
        with torch.no_grad():
            out = model(*args)
        rec["output"] = _structure(out)
        rec["output_shape"] = _main_shape(rec["output"])
        rec["forward_error"] = None
    except Exception as e:  # noqa: BLE001 - the truth records why
        rec["forward_error"] = f"{type(e).__name__}: {e}"[:500]
    finally:
        for h in hooks:
            h.remove()
    call_index = {k: i for i, k in enumerate(order)}
    mods = []
    for path, m in model.named_modules():
        own = list(m.parameters(recurse=False))
        sub = list(m.parameters())
        ot, on = _count(own)
        st, sn = _count(sub)
        children = len(list(m.children()))
        out = outputs.get(id(m), "not called")
        mods.append({
            "path": path, "class": type(m).__name__, "leaf": children == 0, "children": children,
            "own_trainable": ot, "own_non_trainable": on, "trainable": st, "non_trainable": sn,
            "own_buffers": sum(b.numel() for b in m.buffers(recurse=False)),
            "call": call_index.get(id(m)),
            "output": None if out == "not called" else out,
            "shape": None if out == "not called" else _main_shape(out),
        })
    rec["modules"] = mods
    t, n = _count(list(model.parameters()))
    rec["trainable"], rec["non_trainable"], rec["total"] = t, n, t + n
    rec["buffers"] = sum(b.numel() for b in model.buffers())
    return rec


def _keras_shape(layer):
    try:
        out = layer.output
    except Exception:  # noqa: BLE001 - a layer never called, or called several times with different shapes
        return None
    import keras
    if isinstance(out, (list, tuple)):
        return [list(o.shape) for o in out]
    if isinstance(out, dict):
        return {k: list(o.shape) for k, o in out.items()}
    if hasattr(out, "shape"):
        return list(out.shape)
    del keras
    return None


def _wcount(ws) -> int:
    n = 0
    for w in ws:
        k = 1
        for d in w.shape:
            k *= int(d)
        n += k
    return n


def keras_truth(model, added: Added, ns: dict) -> dict:
    import keras
    rec: dict = {"name": added.name, "line": added.line, "class": type(model).__name__}
    if not isinstance(model, keras.Model):
        rec["error"] = f"`{added.name}` is a {type(model).__name__}, not a keras.Model"
        return rec
    rows = []

    def walk(m, depth):
        for layer in m.layers:
            s = _keras_shape(layer)
            rows.append({"name": layer.name, "class": type(layer).__name__, "depth": depth,
                         "nested_model": isinstance(layer, keras.Model),
                         "output": s, "shape": _main_shape(s) if s is not None else None,
                         "trainable": _wcount(layer.trainable_weights),
                         "non_trainable": _wcount(layer.non_trainable_weights)})
            if isinstance(layer, keras.Model):
                walk(layer, depth + 1)

    walk(model, 0)
    rec["layers"] = rows
    rec["trainable"] = _wcount(model.trainable_weights)
    rec["non_trainable"] = _wcount(model.non_trainable_weights)
    rec["total"] = int(model.count_params())
    try:
        rec["input"] = [list(i.shape) for i in model.inputs]
        rec["output"] = _structure_keras(model.outputs)
    except Exception:  # noqa: BLE001
        rec["input"] = rec["output"] = None
    rec["forward_error"] = None
    return rec


def _structure_keras(outs):
    return [list(o.shape) for o in outs]


ABSENT = ["pandas", "matplotlib", "matplotlib.pyplot", "matplotlib_inline", "matplotlib_inline.backend_inline",
          "PIL", "PIL.Image"]


def _install_absent() -> None:
    """Empty stand-ins (_stubs/_absent) for plotting / data modules d2l imports, where the real one is not
    importable here."""
    import importlib
    import importlib.util
    for name in ABSENT:
        try:
            importlib.import_module(name)
            continue
        except Exception:  # noqa: BLE001 - missing, or present but needing a missing one
            pass
        rel = name.split(".")
        f = STUBS / "_absent" / pathlib.Path(*rel)
        f = f / "__init__.py" if f.is_dir() else f.with_suffix(".py")
        spec = importlib.util.spec_from_file_location(name, f, submodule_search_locations=[] if f.name == "__init__.py" else None)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        if len(rel) > 1:
            setattr(sys.modules[".".join(rel[:-1])], rel[-1], mod)


class _UpToMark:
    """Loader of a corpus model file imported as a module by another (torchvision.models.resnet by
    quantization/resnet.py): its text up to MARK, i.e. the published module without the added block."""

    def __init__(self, path: str) -> None:
        self.path = path

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        text = up_to_mark(pathlib.Path(self.path).read_text(encoding="utf-8"))
        exec(compile(text, self.path, "exec"), module.__dict__)


class StandIns:
    """sys.meta_path finder of the torch workers, for the packages of the corpus trees: a harness-only
    stand-in in _stubs/ (<dotted/path>.py or <dotted/path>/__init__.py) wins over the tree's module of that
    name; the tree's model files are imported up to MARK (_UpToMark); everything else is the tree's, found
    by the ordinary path finder."""

    def __init__(self, stubs: pathlib.Path, trees: list) -> None:
        import importlib.machinery
        import importlib.util
        self.util, self.path_finder = importlib.util, importlib.machinery.PathFinder
        self.stubs = stubs
        self.trees = [pathlib.Path(t) for t in trees]
        self.tops = {d.name for t in self.trees for d in t.iterdir() if (d / "__init__.py").is_file()}
        self.tops |= {d.name for d in stubs.iterdir() if d.is_dir() and not d.name.startswith("_")}

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if parts[0] not in self.tops:
            return None
        base = self.stubs.joinpath(*parts)
        if (base / "__init__.py").is_file():
            locs = [str(base)] + [str(t.joinpath(*parts)) for t in self.trees if t.joinpath(*parts).is_dir()]
            return self.util.spec_from_file_location(fullname, str(base / "__init__.py"),
                                                     submodule_search_locations=locs)
        if base.with_suffix(".py").is_file():
            return self.util.spec_from_file_location(fullname, str(base.with_suffix(".py")))
        spec = self.path_finder.find_spec(fullname, path)
        origin = getattr(spec, "origin", None)
        if spec is not None and origin and origin.endswith(".py") and spec.submodule_search_locations is None:
            o = pathlib.Path(origin)
            if any(t in o.parents for t in self.trees) and ("\n" + MARK + "\n") in o.read_text(encoding="utf-8") + "\n":
                spec = self.util.spec_from_loader(fullname, _UpToMark(origin), origin=origin)
                spec.has_location = True
        return spec


def worker(files) -> None:
    fws = {framework_of(pathlib.Path(f)) for f in files}
    sys.dont_write_bytecode = True      # nothing written into the corpus trees (__pycache__)
    if "torch" in fws:
        trees = []
        for f in files:
            for t in tree_roots(pathlib.Path(f)):
                if t not in trees:
                    trees.append(t)
        for t in reversed(trees):
            sys.path.insert(0, str(t))
        sys.meta_path.insert(0, StandIns(STUBS, trees))
        _install_absent()
    # a corpus root other than tests/corpus may bring stand-ins of its own in <root>/_stubs
    for root in {corpus_root(pathlib.Path(f)) for f in files}:
        if root != HERE and (root / "_stubs").is_dir():
            sys.path.insert(0, str(root / "_stubs"))
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import warnings
    warnings.filterwarnings("ignore")
    import torch
    torch.set_num_threads(1)
    CACHE.mkdir(exist_ok=True)
    for f in files:
        path = pathlib.Path(f).resolve()
        t0 = time.time()
        cf = read_corpus_file(path)
        result: dict = {"file": str(path), "framework": cf.framework, "error": None, "models": {}}
        try:
            torch.manual_seed(0)
            ns = _exec_corpus_file(cf)
        except Exception:  # noqa: BLE001
            result["error"] = "executing the file: " + traceback.format_exc(limit=3)[-1500:]
            ns = None
        if ns is not None:
            for added in cf.models:
                try:
                    model = ns[added.name]
                    if cf.framework == "torch":
                        result["models"][added.name] = torch_truth(model, added, ns)
                    else:
                        result["models"][added.name] = keras_truth(model, added, ns)
                except Exception:  # noqa: BLE001
                    result["models"][added.name] = {"name": added.name, "line": added.line,
                                                    "error": traceback.format_exc(limit=3)[-1500:]}
                ns.pop(added.name, None)
                del model
                if cf.framework == "keras":
                    import keras
                    keras.utils.clear_session()
        result["seconds"] = round(time.time() - t0, 2)
        tmp = cache_path(path).with_suffix(".tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        tmp.replace(cache_path(path))
        print(f"{path.name}: {result['seconds']}s", flush=True)
        ns = None
        import gc
        gc.collect()


def is_model_file(path: pathlib.Path) -> bool:
    """A corpus model file: one with the marked added block (sibling modules of a package tree have none)."""
    try:
        return MARK in pathlib.Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False


def corpus_files(root=None) -> list:
    """Every model file of a corpus: flat torch/*.py and keras/*.py, and the model files of the package trees
    below them (torch/pkgs/torchvision/models/resnet.py, ...)."""
    root = pathlib.Path(root).resolve() if root else HERE
    out = []
    for fw in ("torch", "keras"):
        d = root / fw
        if d.is_dir():
            out += [f for f in d.rglob("*.py") if "__pycache__" not in f.parts and is_model_file(f)]
    return sorted(out, key=lambda f: f.relative_to(root).as_posix())


def main(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--force", action="store_true", help="recompute even when cached")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--root", help="a corpus directory with torch/ and keras/ (default: tests/corpus)")
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.files)
        return 0
    files = [pathlib.Path(f) for f in a.files] or corpus_files(a.root)
    t0 = time.time()
    truth = load_truth(files, jobs=a.jobs, force=a.force)
    for p, t in truth.items():
        errs = [f"{n}: {(m.get('error') or m.get('forward_error'))}" for n, m in t.get("models", {}).items()
                if m.get("error") or m.get("forward_error")]
        status = "ok" if not t.get("error") and not errs else (t.get("error") or "; ".join(errs))
        print(f"{rel_name(p)}: {len(t.get('models', {}))} models, {t.get('seconds')}s  {status[-600:]}")
    print(f"{time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
