"""Python's scoping rules, read statically from a function's syntax (what the compiler decides).

A name assigned anywhere in a function body is local to it unless declared `global` or `nonlocal`;
every other name is looked up in the enclosing functions, then the module, then the builtins. Class
bodies are skipped by the functions defined in them. The result is kept on the ast node.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class ScopeInfo:
    locals: frozenset
    globals: frozenset
    nonlocals: frozenset
    generator: bool        # the body has `yield`: calling it makes a generator


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# match statements exist from Python 3.10 on
_MATCH_NAMED = tuple(t for t in (getattr(ast, "MatchAs", None), getattr(ast, "MatchStar", None)) if t)
_MATCH_MAPPING = getattr(ast, "MatchMapping", None)


def scope_info(fn) -> ScopeInfo:
    info = getattr(fn, "_shapelens_scope", None)
    if info is None:
        info = _scope(fn)
        fn._shapelens_scope = info
    return info


def _params(args: ast.arguments) -> list:
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def _scope(fn) -> ScopeInfo:
    assigned = set(_params(fn.args))
    declared_global: set = set()
    declared_nonlocal: set = set()
    generator = False
    body = [fn.body] if isinstance(fn, ast.Lambda) else list(fn.body)
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        t = type(node)
        if t is ast.Name:
            if not isinstance(node.ctx, ast.Load):
                assigned.add(node.id)
            continue
        if t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            assigned.add(node.name)
            # decorators, defaults and bases are evaluated in this scope
            stack.extend(node.decorator_list)
            if t is ast.ClassDef:
                stack.extend(node.bases)
                stack.extend(k.value for k in node.keywords)
            else:
                stack.extend(d for d in node.args.defaults + node.args.kw_defaults if d is not None)
            continue
        if t is ast.Lambda:
            stack.extend(node.args.defaults)
            continue
        if t in _COMPREHENSIONS:
            # only the first iterable is evaluated here; walrus targets inside bind here too
            stack.append(node.generators[0].iter)
            for sub in ast.walk(node):
                if type(sub) is ast.NamedExpr and isinstance(sub.target, ast.Name):
                    assigned.add(sub.target.id)
            continue
        if t is ast.Global:
            declared_global.update(node.names)
            continue
        if t is ast.Nonlocal:
            declared_nonlocal.update(node.names)
            continue
        if t in (ast.Import, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    assigned.add((alias.asname or alias.name).split(".")[0])
            continue
        if t is ast.ExceptHandler and node.name:
            assigned.add(node.name)
        elif t in (ast.Yield, ast.YieldFrom):
            generator = True
        elif t in _MATCH_NAMED and node.name:
            assigned.add(node.name)
        elif t is _MATCH_MAPPING and node.rest:
            assigned.add(node.rest)
        stack.extend(ast.iter_child_nodes(node))
    local = frozenset(assigned - declared_global - declared_nonlocal)
    return ScopeInfo(local, frozenset(declared_global), frozenset(declared_nonlocal), generator)


def comprehension_targets(node) -> frozenset:
    names = set()
    for gen in node.generators:
        for sub in ast.walk(gen.target):
            if type(sub) is ast.Name:
                names.add(sub.id)
    return frozenset(names)
