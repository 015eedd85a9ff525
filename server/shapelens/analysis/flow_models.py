"""Model classes of the file (nn.Module, keras.Model, keras.layers.Layer subclasses) and their records.

For each top-level model class with a forward()/call(): build one instance (with the arguments of its
instantiation in the file, else the defaults), name its submodules as named_modules() would, run
forward()/call() on the input shape, and make a ModelRecord(kind="module") of its leaf layers and the
statements of forward().
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from .flow_calls import construct, finish_leaf
from .flow_interp import Interp, Run
from .flow_objects import ClassInfo, Instance, Leaf, ModDict, ModList, SeqMod, Tensor, MODULES
from .records import LayerRecord, ModelRecord
from .values import Unknown, names_in

TORCH_BASES = {"torch.nn.Module", "torch.nn.modules.module.Module"}
KERAS_BASES = {"keras.Model", "keras.layers.Layer", "keras.Layer", "keras.models.Model"}


def register_class(flow, stmt: cst.ClassDef, chunk, scope) -> Optional[ClassInfo]:
    framework, base = None, None
    for arg in stmt.bases:
        qual = flow.an.aliases.qualify(arg.value)
        if qual in TORCH_BASES:
            framework = "torch"
        elif qual in KERAS_BASES:
            framework = "keras"
        elif isinstance(arg.value, cst.Name) and arg.value.value in flow.classes:
            base = flow.classes[arg.value.value]
            framework = base.framework
    if framework is None:
        return None
    info = ClassInfo(stmt.name.value, stmt, chunk, scope, framework, base, top_level=scope.kind == "module")
    for item in getattr(stmt.body, "body", ()):
        if isinstance(item, cst.FunctionDef):
            info.methods[item.name.value] = item
        elif isinstance(item, cst.SimpleStatementLine):
            for s in item.body:
                if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(s.targets[0].target, cst.Name):
                    info.class_attrs[s.targets[0].target.value] = s.value
                elif isinstance(s, cst.AnnAssign) and s.value is not None and isinstance(s.target, cst.Name):
                    info.class_attrs[s.target.value] = s.value
    flow.classes[info.name] = info
    return info


def used_inside_others(flow) -> set:
    """Classes referenced in another model class's body (a Block of a ResNet): parts, not models."""
    used = set()
    for info in flow.classes.values():
        # Only a class whose name is in the text of the statement holding this one can be referenced.
        others = {n for n in flow.classes if n != info.name and n in info.chunk.text}
        if others:
            used |= names_in(info.node.body) & others
    for site in flow.sites:
        candidates = {n for n in flow.classes if n in site.chunk.text}
        if not candidates:
            continue
        for a in site.call.args:
            used |= names_in(a.value) & candidates
    return used


def module_records(flow) -> list:
    from .flow_inputs import class_input, first_site

    used = used_inside_others(flow)
    records = []
    for info in flow.classes.values():
        method = "forward" if info.framework == "torch" else "call"
        if not info.top_level or info.method(method)[0] is None:
            continue
        site = first_site(flow, info)
        if info.name in used and site is None:
            continue
        records.append(module_record(flow, info, site, class_input))
    return records


def module_record(flow, info: ClassInfo, site, class_input) -> ModelRecord:
    run = Run(flow, info.framework)
    it = Interp(run)
    positional, keywords, star = site.arguments(it) if site is not None else ([], {}, None)
    obj = construct(it, info, positional, keywords, star)
    leaves = name_modules(obj, info.framework)
    name_span = info.chunk.span(info.node.name)
    record = ModelRecord(info.name, info.framework, name_span, name_span, kind="module")
    shapes, source = class_input(flow, it, info, site)
    record.input_shape = shapes[0].shape if shapes else None
    record.input_source = source
    problem = obj.attrs.get("<init-problem>")
    if isinstance(problem, Unknown):
        flow.info(name_span, f"{problem.reason}, and no instantiation in this file gives it: the layers and "
                             f"parameters that depend on it are unknown (shown as ?)")
    else:
        run_forward(it, info, obj, shapes)
    for leaf in leaves:
        finish_leaf(it, leaf)
    record.layers = [leaf.record for leaf in leaves] + hidden_records(obj, name_span)
    record.steps = sorted(run.steps.values(), key=lambda s: (s.span.line, s.span.col))
    return record


def run_forward(it, info: ClassInfo, obj: Instance, inputs: list) -> None:
    method = "forward" if info.framework == "torch" else "call"
    fn, owner = info.method(method)
    params = list(fn.params.params)[1:]
    args = list(inputs[: len(params)])
    for p in params[len(args):]:
        if p.default is not None:
            break  # keep the default (e.g. training=False)
        args.append(Tensor(None, f"the shape of `{p.name.value}` is unknown: give an example input or a "
                                 f"`# shapelens: input=(...)` directive"))
    it.run_function(fn, owner, obj, args, {}, None, owner.chunk, owner.scope, record_steps=True)


def hidden_records(obj: Instance, span) -> list:
    """Parameters the analysis cannot see (a required constructor argument, a Keras build()): one ? row, so
    that the model's total is unknown rather than too small."""
    out = []
    for key in ("<init-problem>", "<build>"):
        v = obj.attrs.get(key)
        if isinstance(v, Unknown):
            r = LayerRecord(span, "?", unknown_reasons=[v.reason])
            r.trainable = r.non_trainable = r.macs = None
            out.append(r)
    return out


def name_modules(top: Instance, framework: str) -> list:
    """Leaves in named_modules() order (registration order, each object once), with their names set."""
    leaves: list = []
    seen: set = set()
    for key, value in top.attrs.items():
        _walk(value, key, 0, seen, leaves, framework)
    return leaves


def _walk(mod, name: str, depth: int, seen: set, out: list, framework: str) -> None:
    if isinstance(mod, (list, tuple)) and framework == "keras":  # Keras tracks lists of layers; torch does not
        for i, m in enumerate(mod):
            _walk(m, f"{name}.{i}", depth, seen, out, framework)
        return
    if isinstance(mod, dict) and framework == "keras":
        for k, m in mod.items():
            _walk(m, f"{name}.{k}", depth, seen, out, framework)
        return
    if not isinstance(mod, MODULES) or id(mod) in seen:
        return
    seen.add(id(mod))
    if isinstance(mod, Leaf):
        mod.record.name = mod.record.name or name
        mod.record.depth = depth
        out.append(mod)
    elif isinstance(mod, Instance):
        mod.name = name
        for key, value in mod.attrs.items():
            _walk(value, f"{name}.{key}", depth + 1, seen, out, framework)
    elif isinstance(mod, SeqMod):
        for key, child in mod.children:
            _walk(child, f"{name}.{key}", depth + 1, seen, out, framework)
    elif isinstance(mod, ModList):
        for i, child in enumerate(mod.children):
            _walk(child, f"{name}.{i}", depth + 1, seen, out, framework)
    elif isinstance(mod, ModDict):
        for key, child in mod.children.items():
            _walk(child, f"{name}.{key}", depth + 1, seen, out, framework)
