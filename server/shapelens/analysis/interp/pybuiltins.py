"""Python's own builtins and the operations on plain values: attribute and item access, arithmetic and
comparisons on constants, the methods of list, dict, tuple, str and set, and the builtin functions the
model-building code uses (range, len, zip, enumerate, isinstance, getattr, ...).

Everything is computed on the interpreter's values, with guards: no absurdly large numbers (more than
MAX_BITS bits), no huge sequences, nothing of the user's code executed.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Any

from . import natives
from ...frameworks.class_bases import MODULE_NAMES
from .loader import ModuleValue
from .objects import (MISSING, BoundMethod, ClassMethod, Function, Instance, Native, NativeMethod, Opaque, Param,
                      Partial, Property, StaticMethod, Super, Tensor, Unknown, UserClass)

MAX_BITS = 4096           # larger ints are "absurd sizes": refused rather than computed
MAX_REPEAT = 100_000      # `[x] * n`, `"ab" * n`: longer results are refused


# ====================================================================== names

_CONSTANTS = {"True": True, "False": False, "None": None, "Ellipsis": Ellipsis, "NotImplemented": Unknown("NotImplemented"),
              "__name__": "__main__"}
_FUNCTIONS = frozenset({
    "range", "len", "enumerate", "zip", "reversed", "sorted", "min", "max", "sum", "abs", "round", "int", "float",
    "str", "bool", "list", "tuple", "dict", "set", "frozenset", "isinstance", "issubclass", "getattr", "setattr",
    "hasattr", "print", "super", "map", "filter", "any", "all", "divmod", "pow", "iter", "next", "repr", "format",
    "type", "id", "hash", "callable", "object", "staticmethod", "classmethod", "property", "vars", "slice",
    "ValueError", "TypeError", "NotImplementedError", "RuntimeError", "KeyError", "IndexError", "AssertionError",
    "Exception", "AttributeError", "ImportError", "ModuleNotFoundError", "StopIteration", "chr", "ord", "bin", "hex",
    "open", "exec", "eval", "compile", "__import__", "input", "globals", "locals", "delattr", "memoryview",
    "bytearray", "bytes", "complex", "ascii", "breakpoint", "exit", "quit", "oct", "dir", "help", "aiter", "anext"})


def builtin(name: str):
    if name in _CONSTANTS:
        return _CONSTANTS[name]
    if name in _FUNCTIONS:
        return Native(f"builtins.{name}")
    return natives.default_name(name)


# ====================================================================== attributes

def get_attr(it, obj, name: str, node, frame):
    t = type(obj)
    if t is Native:
        return natives.native_attr(it, obj, name, node, frame)
    if t is Tensor or t is Param:
        return natives.tensors().attribute(it, obj, name, node, frame)
    if t is Instance:
        return instance_attr(it, obj, name, node, frame)
    if t is UserClass:
        return class_attr(it, obj, name, node, frame)
    if t is Super:
        return super_attr(it, obj, name, node, frame)
    if isinstance(obj, Unknown):
        return unknown_part(obj, frame.code.text(node, 60))
    if t in (list, dict, tuple, str, set, frozenset, int, float, bool):
        if name in _METHODS.get(t, ()):
            return NativeMethod(obj, name)
        if t in (int, float) and name in ("real", "imag"):
            return getattr(obj, name)
        return Unknown(f"`{type(obj).__name__}.{name}` is not followed")
    if t is ModuleValue:
        return it.unit.loader.attribute(obj, name)
    if t is Function:
        if name == "__name__":
            return obj.name
        if name == "__qualname__":
            return obj.qualname
        if name == "__module__":   # the analysed file's own globals have no __name__ entry: "__main__"
            found = obj.globals.get("__name__", "__main__")
            return found if isinstance(found, str) else Unknown("the function's module is known only at run time")
        return obj.attrs.get(name, Unknown(f"the function attribute `{name}` is not followed"))
    if t is Property and name in ("setter", "getter", "deleter"):
        return NativeMethod(obj, name)
    return natives.object_attr(it, obj, name, node, frame)


def unknown_part(obj: Unknown, text: str) -> Unknown:
    """`cfg.classes` of an unknown `cfg`: unknown, and the reason names the expression (once: the reason of
    `cfg.model` is not repeated inside that of `cfg.model.dim`)."""
    reason = obj.reason
    if reason.startswith("`") and "` is known only at run time: " in reason[:200]:
        reason = reason.split("` is known only at run time: ", 1)[1]
    return type(obj)(f"`{text}` is known only at run time: {reason}")


def bind_class_value(value, obj, cls):
    """What a class attribute gives when looked up through an instance (obj) or the class (obj None)."""
    t = type(value)
    if t is Function:
        return BoundMethod(value, obj) if obj is not None else value
    if t is StaticMethod:
        return value.fn
    if t is ClassMethod:
        return BoundMethod(value.fn, cls)
    return value


def instance_attr(it, obj: Instance, name: str, node, frame):
    if name in obj.attrs:
        return obj.attrs[name]
    if name == "__class__":
        return obj.cls
    value, owner = obj.cls.lookup(name)
    if value is not MISSING:
        if isinstance(value, Property):
            return it.call(value.fget, [obj], {}, node, frame)
        return bind_class_value(value, obj, obj.cls)
    if name == "__dict__":
        return obj.attrs
    return Unknown(it.located(f"`{name}` is not set on this `{obj.cls.name}` object"))


def class_attr(it, cls: UserClass, name: str, node, frame):
    value, owner = cls.lookup(name)
    if value is not MISSING:
        return bind_class_value(value, None, cls)
    if name == "__name__":
        return cls.name
    if name == "__qualname__":
        return cls.qualname
    if isinstance(owner, Native):
        return Native(f"{owner.name}.{name}")
    return Unknown(f"`{cls.name}.{name}` is not defined")


def super_attr(it, sup: Super, name: str, node, frame):
    obj = sup.obj
    cls = obj.cls if hasattr(obj, "cls") and isinstance(getattr(obj, "cls"), UserClass) else \
        (obj if isinstance(obj, UserClass) else None)
    if cls is None:
        return Unknown("super() outside a method of a class")
    mro = cls.mro
    try:
        start = next(i for i, c in enumerate(mro) if c is sup.cls) + 1
    except StopIteration:
        return Unknown(f"super() in a class that is not a base of `{cls.name}`")
    value, owner = cls.lookup(name, start)
    if value is not MISSING:
        if isinstance(value, Property):
            return it.call(value.fget, [obj], {}, node, frame)
        return bind_class_value(value, obj if not isinstance(obj, UserClass) else None, cls)
    if isinstance(owner, Native):
        return NativeMethod(obj, f"{owner.name}:{name}")   # the framework base's method, bound to obj
    if name == "__init__" and not isinstance(obj, UserClass):
        # the __init__ @dataclass wrote for a base (torchvision's MBConvConfig calls _MBConvConfig's)
        for k in range(start, len(mro)):
            if isinstance(mro[k], UserClass) and mro[k].dataclass:
                return NativeMethod(obj, f"dataclass@{k}:__init__")
    return NativeMethod(obj, f"object:{name}")


def set_attr(it, obj, name: str, value, node, frame) -> None:
    t = type(obj)
    if t is Instance:
        obj.attrs[name] = it.settled(obj, obj.attrs.get(name, MISSING), value, f"`{frame.code.text(node)}`")
    elif t is UserClass:
        obj.ns[name] = value
    elif t is Function:
        obj.attrs[name] = value
    elif t is ModuleValue:
        obj.globals[name] = value
    elif t is Tensor or t is Param:
        natives.tensors().set_attribute(it, obj, name, value, node, frame)
    elif isinstance(obj, Unknown):
        pass
    else:
        natives.set_object_attr(it, obj, name, value, node, frame)


def del_attr(it, obj, name: str) -> None:
    if isinstance(obj, Instance):
        it.mutated(obj)
        obj.attrs.pop(name, None)
    else:
        natives.del_object_attr(it, obj, name)


# ====================================================================== items

def get_item(it, base, key, node, frame):
    t = type(base)
    if t is Tensor or t is Param:
        return natives.tensors().index(it, base, key, node, frame)
    if isinstance(base, Unknown):
        return base
    if isinstance(key, Unknown):
        if t in (list, tuple, dict, str, range):
            return Unknown(f"`{frame.code.text(node)}` uses an index known only at run time")
        return natives.object_item(it, base, key, node, frame)
    if t in (list, tuple, str, range, dict):
        if t in (list, dict):
            why = it.taint_of(base)
            if why is not None:
                return Unknown(f"`{frame.code.text(node)}`: {why.reason}")
        try:
            v = base[key]
        except KeyError:
            made = it.default_factories.get(id(base)) if t is dict else None
            if made is None or made[0] is not base:
                return Unknown(f"`{frame.code.text(node)}` is out of range")
            v = it.call(made[1], [], {}, made[2], made[3])   # collections.defaultdict: the factory's value,
            set_item(it, base, key, v, node, frame)           # stored under the key
            return base.get(key, v)
        except (IndexError, TypeError, ValueError):
            return Unknown(f"`{frame.code.text(node)}` is out of range")
        if t is list and type(key) is slice:
            return it.born(v)
        return v
    return natives.object_item(it, base, key, node, frame)


def set_item(it, base, key, value, node, frame) -> None:
    if isinstance(base, (list, dict)):
        if isinstance(key, Unknown):
            it.set_taint(base, Unknown(f"an item is set at a position known only at run time "
                                       f"(`{frame.code.text(node)}`)"))
            return
        if isinstance(base, dict) and it.regions:
            try:
                old = base.get(key, MISSING)
            except TypeError:
                old = MISSING
            value = it.settled(base, old, value, f"`{frame.code.text(node)}`")
        elif it.regions:
            it.mutated(base)
        try:
            base[key] = value
        except (IndexError, TypeError, ValueError):
            it.set_taint(base, Unknown(f"`{frame.code.text(node)}` does not fit"))
        return
    natives.set_object_item(it, base, key, value, node, frame)


def del_item(it, base, key) -> None:
    if isinstance(base, (list, dict)) and not isinstance(key, Unknown):
        it.mutated(base)
        try:
            del base[key]
        except (IndexError, KeyError, TypeError):
            pass
    elif isinstance(base, (list, dict)):
        it.set_taint(base, Unknown("an item is deleted at a position known only at run time"))
    else:
        natives.del_object_item(it, base, key)


# ====================================================================== operators on constants

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.LShift: operator.lshift,
        ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitAnd: operator.and_, ast.BitXor: operator.xor}
_PLAIN = (int, float, str, tuple, list, bool, type(None), set, frozenset, dict)


def const_binary(it, op, left, right, node, frame):
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    fn = _OPS.get(op)
    if fn is None or not isinstance(left, _PLAIN) or not isinstance(right, _PLAIN):
        return natives.object_binary(it, op, left, right, node, frame)
    if isinstance(left, (list, dict)) and it.taint_of(left) is not None:
        return it.taint_of(left)
    if isinstance(right, (list, dict)) and it.taint_of(right) is not None:
        return it.taint_of(right)
    if op is ast.Pow and isinstance(left, (int, float)) and isinstance(right, (int, float)):
        if abs(left) > 1 and right > 0 and right * math.log2(abs(left)) > MAX_BITS:
            return Unknown(f"`{frame.code.text(node)}` is an absurdly large number")
    if op is ast.LShift and isinstance(right, int) and right > MAX_BITS:
        return Unknown(f"`{frame.code.text(node)}` is an absurdly large number")
    if op is ast.Mult:
        seq, n = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
        if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * max(n, 0) > MAX_REPEAT:
            return Unknown(f"`{frame.code.text(node)}` repeats a sequence {n:,} times")
    if op is ast.Mod and isinstance(left, str):
        try:
            result = left % right
        except (TypeError, ValueError):
            return Unknown(f"`{frame.code.text(node)}` cannot be formatted")
        return result
    try:
        result = fn(left, right)
    except (TypeError, ZeroDivisionError, OverflowError, ValueError, MemoryError):
        return Unknown(f"`{frame.code.text(node)}` cannot be evaluated")
    if isinstance(result, int) and not isinstance(result, bool) and result.bit_length() > MAX_BITS:
        return Unknown(f"`{frame.code.text(node)}` is an absurdly large number")
    if isinstance(result, list):
        it.born(result)
    return result


_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge}
_COMPARABLE = (int, float, str, tuple, list, bool, type(None), dict, set, frozenset, range)


def compare(op, left, right):
    """True / False, or None when it is known only at run time."""
    if op is ast.Is or op is ast.IsNot:
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return None
        if left is None or right is None or isinstance(left, bool) or isinstance(right, bool):
            same = left is right
        elif type(left) in (int, float, str) or type(right) in (int, float, str):
            return None   # identity of numbers and strings is an implementation detail
        else:
            same = left is right or (isinstance(left, Native) and left == right)
        return same if op is ast.Is else not same
    if op is ast.In or op is ast.NotIn:
        if isinstance(right, (list, tuple, dict, set, frozenset, str, range)) and _all_plain(left) \
                and _all_plain(right):
            try:
                r = left in right
            except TypeError:
                return None
            return r if op is ast.In else not r
        found = _identity_in(left, right)
        if found is not None:
            return found if op is ast.In else not found
        return natives.contains(left, right, op)
    if not isinstance(left, _COMPARABLE) or not isinstance(right, _COMPARABLE):
        if op in (ast.Eq, ast.NotEq) and not isinstance(left, (Unknown, Tensor)) and \
                not isinstance(right, (Unknown, Tensor)):
            same = left is right or (isinstance(left, Native) and left == right)
            if not same and (type(left) in _COMPARABLE or type(right) in _COMPARABLE):
                return op is ast.NotEq     # a constant and an object: never equal
            if same:
                return op is ast.Eq
            if _by_identity(left) and _by_identity(right):
                return op is ast.NotEq     # two different classes / functions / modules
        return None
    if not (_all_plain(left) and _all_plain(right)):
        return None
    try:
        return bool(_CMP[op](left, right))
    except (TypeError, KeyError):
        return None


def _by_identity(v) -> bool:
    """Objects Python compares by identity (no __eq__ of their own): classes, functions, modules."""
    from .modules import Mod

    return isinstance(v, (UserClass, Function, Native, BoundMethod, Partial)) or type(v) is Mod


def _identity_in(left, right):
    """`norm_layer in _NORM_ACT_TYPES` (a set of classes): membership by identity, when the left side and
    every element compare by identity or are constants; None when that is not the case."""
    plain = isinstance(left, (int, float, str, bool, type(None)))
    if not (plain or _by_identity(left)) or not isinstance(right, (list, tuple, set, frozenset, dict)):
        return None
    unsure = False
    for x in right:
        if _by_identity(x):
            if not plain and (x is left or (isinstance(x, Native) and x == left)):
                return True   # (a class or function never equals a constant)
        elif plain and isinstance(x, (int, float, str, bool, type(None))):
            if x == left:
                return True
        elif not isinstance(x, (int, float, str, bool, type(None))):
            unsure = True   # an unknown element: it may be `left`
    return None if unsure else False


def _all_plain(v, depth: int = 0) -> bool:
    if isinstance(v, (int, float, str, bool, type(None), range)):
        return True
    if isinstance(v, (list, tuple, set, frozenset)) and depth < 4:
        return all(_all_plain(x, depth + 1) for x in v)
    if isinstance(v, dict) and depth < 4:
        return all(_all_plain(k, depth + 1) for k in v)
    return isinstance(v, Native)


# ====================================================================== methods of builtin types

_METHODS = {
    list: frozenset({"append", "extend", "insert", "pop", "remove", "index", "count", "reverse", "sort", "copy",
                     "clear", "appendleft", "popleft", "extendleft", "tolist"}),   # deque as a list; tolist: numpy
    dict: frozenset({"items", "keys", "values", "get", "update", "pop", "setdefault", "copy", "clear"}),
    tuple: frozenset({"index", "count"}),
    set: frozenset({"add", "update", "discard", "remove", "union", "intersection", "difference", "copy"}),
    frozenset: frozenset({"union", "intersection", "difference"}),
    str: frozenset({"format", "join", "split", "lower", "upper", "startswith", "endswith", "replace", "strip",
                    "lstrip", "rstrip", "capitalize", "title", "rsplit", "isdigit", "isalpha", "find", "zfill",
                    "count", "partition", "rpartition"}),
    int: frozenset({"bit_length"}),
    float: frozenset({"is_integer"}),
}


def call_plain_method(it, obj, name: str, args: list, kwargs: dict, node, frame):
    t = type(obj)
    if t is list:
        return _list_method(it, obj, name, args, kwargs, node, frame)
    if t is dict:
        return _dict_method(it, obj, name, args, kwargs, node, frame)
    if t is set:
        if name in ("add", "update", "discard", "remove"):
            it.mutated(obj)
    if any(isinstance(a, (Unknown, Tensor)) for a in list(args) + list(kwargs.values())):
        return Unknown(f"`{frame.code.text(node)}` uses a value known only at run time")
    if not all(_all_plain(a) for a in list(args) + list(kwargs.values())):
        return Unknown(f"`{frame.code.text(node)}` is not followed")
    if t is str and name == "join":
        items = it.iterate(args[0], node, frame) if args else []
        if isinstance(items, Unknown) or not all(isinstance(x, str) for x in items):
            return Unknown(f"`{frame.code.text(node)}` joins values known only at run time")
        return obj.join(items)
    try:
        result = getattr(obj, name)(*args, **kwargs)
    except Exception:
        return Unknown(f"`{frame.code.text(node)}` cannot be evaluated")
    if isinstance(result, str) and len(result) > MAX_REPEAT * 10:
        return Unknown("a string too long to follow")
    if isinstance(result, list):
        it.born(result)
    return result


_DEQUE_METHODS = {"appendleft": "insert", "popleft": "pop", "extendleft": "extendleft"}


def _list_method(it, lst: list, name: str, args: list, kwargs: dict, node, frame):
    why = it.taint_of(lst)
    if name == "tolist" and not args and not kwargs:
        # a NumPy array of numbers is followed as a list (tensors.numpy_constant: np.linspace(0, p, n) for
        # drop-path rates, torchvision's MaxViT): .tolist() gives its values
        return why if why is not None else it.born(list(lst))
    if name in _DEQUE_METHODS:   # collections.deque is followed as a list (natives._deque)
        if name == "appendleft":
            return _list_method(it, lst, "insert", [0] + list(args[:1]), {}, node, frame)
        if name == "popleft":
            return _list_method(it, lst, "pop", [0], {}, node, frame)
        items = it.iterate(args[0], node, frame) if args else []
        if isinstance(items, Unknown):
            it.set_taint(lst, Unknown(f"it is extended with a value known only at run time ({items.reason})"))
            return None
        for x in items:
            _list_method(it, lst, "insert", [0, x], {}, node, frame)
        return None
    if name in ("append", "extend", "insert", "remove", "reverse", "sort", "clear", "pop"):
        if name == "extend" and args:
            items = it.iterate(args[0], node, frame)
            if isinstance(items, Unknown):
                it.set_taint(lst, Unknown(f"it is extended with a value known only at run time ({items.reason})"))
                return None
            it.mutated(lst)
            lst.extend(items)
            return None
        if name == "insert" and len(args) == 2 and not isinstance(args[0], int):
            it.set_taint(lst, Unknown("an item is inserted at a position known only at run time"))
            return None
        if name == "pop":
            if why is not None:
                return why
            index = args[0] if args else -1
            if not isinstance(index, int) or not lst or not -len(lst) <= index < len(lst):
                it.set_taint(lst, Unknown("pop() at a position known only at run time"))
                return Unknown("pop() at a position known only at run time")
            it.mutated(lst)
            return lst.pop(index)
        if name == "sort" and (kwargs or not all(_all_plain(x) for x in lst)):
            it.set_taint(lst, Unknown("the list is sorted by a key the analysis does not follow"))
            return None
        if name == "remove" and not (args and _all_plain(args[0])):
            it.set_taint(lst, Unknown("an item is removed by a value known only at run time"))
            return None
        it.mutated(lst)
        if len(lst) >= 10 * 100_000:
            it.set_taint(lst, Unknown("the list grows beyond what the analysis follows"))
            return None
        try:
            getattr(lst, name)(*args, **kwargs)
        except (TypeError, ValueError, IndexError):
            it.set_taint(lst, Unknown(f"`{frame.code.text(node)}` fails"))
        return None
    if why is not None:
        return why
    if name == "copy":
        return it.born(list(lst))
    if name in ("index", "count"):
        if not args or not _all_plain(args[0]):
            return Unknown(f"`{frame.code.text(node)}` uses a value known only at run time")
        try:
            return getattr(lst, name)(*args)
        except (ValueError, TypeError):
            return Unknown(f"`{frame.code.text(node)}`: the value is not in the list")
    return Unknown(f"list.{name}() is not followed")


def _dict_method(it, d: dict, name: str, args: list, kwargs: dict, node, frame):
    why = it.taint_of(d)
    if name in ("update", "pop", "setdefault", "clear"):
        if name == "update":
            other = args[0] if args else {}
            if isinstance(other, list):
                other = dict(p for p in other if isinstance(p, tuple) and len(p) == 2)
            if not isinstance(other, dict) or it.taint_of(other) is not None:
                it.set_taint(d, Unknown("it is updated with values known only at run time"))
                return None
            it.mutated(d)
            d.update(other)
            d.update(kwargs)
            return None
        key = args[0] if args else None
        if isinstance(key, Unknown) or not _hashable(key):
            it.set_taint(d, Unknown(f"`{frame.code.text(node)}` uses a key known only at run time"))
            return Unknown(f"`{frame.code.text(node)}` uses a key known only at run time")
        if name == "clear":
            it.mutated(d)
            d.clear()
            return None
        if why is not None:
            return why
        if it.regions and not it.born_here(d):
            return _uncertain_dict_change(it, d, name, key, args, node, frame)
        try:
            return getattr(d, name)(*args)
        except (KeyError, TypeError):
            return Unknown(f"`{frame.code.text(node)}`: no such key")
    if why is not None:
        return why
    if name == "items":
        return it.born(list(d.items()))
    if name == "keys":
        return it.born(list(d.keys()))
    if name == "values":
        return it.born(list(d.values()))
    if name == "copy":
        return it.born(dict(d))
    if name == "get":
        key = args[0] if args else None
        if isinstance(key, Unknown) or not _hashable(key):
            return Unknown(f"`{frame.code.text(node)}` uses a key known only at run time")
        return d.get(key, args[1] if len(args) > 1 else None)
    return Unknown(f"dict.{name}() is not followed")


def _uncertain_dict_change(it, d: dict, name: str, key, args: list, node, frame):
    """pop / setdefault on a path known only at run time: the key's value becomes unknown (it may be gone, or
    set), the rest of the dict stays known. A key that is not there cannot be popped: nothing changes."""
    reason = it.regions[-1].reason
    what = f"`{frame.code.text(node)}`"
    if name == "pop":
        if key not in d:
            return args[1] if len(args) > 1 else Unknown(f"{what}: no such key")
        value = d[key]
        d[key] = Unknown(f"{what} removes it where {reason}")
        return value
    if key in d:   # setdefault of a key that is there: no change
        return d[key]
    value = args[1] if len(args) > 1 else None
    d[key] = it.settled(d, MISSING, value, what)
    return value


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


# ====================================================================== builtin functions

def call_builtin(it, name: str, args: list, kwargs: dict, node, frame, star):
    fn = _BUILTIN_CALLS.get(name)
    if fn is not None:
        if star is not None and name not in ("print", "super"):
            return _unknown(args, star.reason)
        return fn(it, args, kwargs, node, frame)
    if name in ("ValueError", "TypeError", "NotImplementedError", "RuntimeError", "KeyError", "IndexError",
                "AssertionError", "Exception", "AttributeError", "ImportError", "ModuleNotFoundError", "StopIteration"):
        return Unknown(f"an exception object ({name})")
    if name in ("staticmethod", "classmethod", "property"):
        fn = args[0] if args else None
        return {"staticmethod": StaticMethod, "classmethod": ClassMethod, "property": Property}[name](fn)
    if name == "dir" and len(args) == 1 and isinstance(args[0], Native) and args[0].name in MODULE_NAMES:
        return it.born(sorted(MODULE_NAMES[args[0].name]))   # `'hardsigmoid' in dir(torch.nn.functional)`
    if name in ("open", "exec", "eval", "compile", "__import__", "input", "globals", "locals", "breakpoint", "exit",
                "quit", "help", "dir", "memoryview"):
        return Unknown(f"`{name}()` is never run by shapelens")
    if name == "object":
        return Unknown("an object()")
    return _constant_call(it, name, args, kwargs, node, frame)


def _unknown(args: list, reason: str):
    return Tensor(None, reason) if any(isinstance(a, Tensor) for a in args) else Unknown(reason)


def _b_super(it, args, kwargs, node, frame):
    f = frame
    while f is not None and f.kind != "function":
        f = f.outer
    if args and len(args) >= 2 and isinstance(args[0], UserClass):
        return Super(args[0], args[1])
    if f is None or f.fn is None or f.fn.owner is None:
        return Unknown("super() outside a method of a class")
    fn_args = f.fn.node.args
    first = (fn_args.posonlyargs + fn_args.args)[0].arg if (fn_args.posonlyargs + fn_args.args) else None
    obj = f.vars.get(first) if first else None
    if obj is None:
        return Unknown("super() without its object")
    return Super(f.fn.owner, obj)


def _b_len(it, args, kwargs, node, frame):
    if len(args) != 1:
        return Unknown("len() takes one argument")
    v = args[0]
    if isinstance(v, (list, tuple, str, dict, range, set, frozenset)):
        if isinstance(v, (list, dict, set)) and it.taint_of(v) is not None:
            return it.taint_of(v)
        return len(v)
    return natives.length(it, v, node, frame)


def _b_range(it, args, kwargs, node, frame):
    for a in args:
        if isinstance(a, Unknown):
            return a
    if not args or len(args) > 3 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return Unknown(f"`{frame.code.text(node)}` is not a range of integers")
    try:
        return range(*args)
    except ValueError:
        return Unknown(f"`{frame.code.text(node)}` is not a valid range")


def _iterables(it, args, node, frame):
    out = []
    for a in args:
        items = it.iterate(a, node, frame)
        if isinstance(items, Unknown):
            return items
        out.append(items)
    return out


def _b_enumerate(it, args, kwargs, node, frame):
    seqs = _iterables(it, args[:1], node, frame)
    if isinstance(seqs, Unknown):
        return seqs
    start = args[1] if len(args) > 1 else kwargs.get("start", 0)
    if not isinstance(start, int):
        return Unknown("enumerate() with a start known only at run time")
    return it.born([(i + start, v) for i, v in enumerate(seqs[0])])


def _b_zip(it, args, kwargs, node, frame):
    seqs = _iterables(it, args, node, frame)
    if isinstance(seqs, Unknown):
        return seqs
    return it.born([tuple(v) for v in zip(*seqs)])


def _b_reversed(it, args, kwargs, node, frame):
    seqs = _iterables(it, args[:1], node, frame)
    return seqs if isinstance(seqs, Unknown) else it.born(list(reversed(seqs[0])))


def _b_sorted(it, args, kwargs, node, frame):
    seqs = _iterables(it, args[:1], node, frame)
    if isinstance(seqs, Unknown):
        return seqs
    if "key" in kwargs or not all(_all_plain(x) for x in seqs[0]):
        return Unknown("sorted() by a key the analysis does not follow")
    try:
        return it.born(sorted(seqs[0], reverse=bool(kwargs.get("reverse", False))))
    except TypeError:
        return Unknown("sorted() of values that cannot be compared")


def _b_list(it, args, kwargs, node, frame):
    if not args:
        return it.born([])
    seqs = _iterables(it, args[:1], node, frame)
    return seqs if isinstance(seqs, Unknown) else it.born(list(seqs[0]))


def _b_tuple(it, args, kwargs, node, frame):
    if not args:
        return ()
    seqs = _iterables(it, args[:1], node, frame)
    return seqs if isinstance(seqs, Unknown) else tuple(seqs[0])


def _b_set(it, args, kwargs, node, frame):
    seqs = _iterables(it, args[:1], node, frame) if args else [[]]
    if isinstance(seqs, Unknown):
        return seqs
    try:
        return it.born(set(seqs[0]))
    except TypeError:
        return Unknown("a set of values that cannot be in a set")


def _b_dict(it, args, kwargs, node, frame):
    out = it.born({})
    if args:
        src = args[0]
        if isinstance(src, dict):
            if it.taint_of(src) is not None:
                return it.taint_of(src)
            out.update(src)
        else:
            items = it.iterate(src, node, frame)
            if isinstance(items, Unknown):
                return items
            for p in items:
                if not (isinstance(p, tuple) and len(p) == 2) or not _hashable(p[0]):
                    return Unknown("dict() of items known only at run time")
                out[p[0]] = p[1]
    out.update(kwargs)
    return out


def _b_isinstance(it, args, kwargs, node, frame):
    if len(args) != 2:
        return Unknown("isinstance() takes two arguments")
    return natives.isinstance_of(it, args[0], args[1])


def _b_issubclass(it, args, kwargs, node, frame):
    if len(args) != 2:
        return Unknown("issubclass() takes two arguments")
    return natives.issubclass_of(it, args[0], args[1])


def _b_getattr(it, args, kwargs, node, frame):
    if len(args) < 2 or not isinstance(args[1], str):
        return Unknown(f"`{frame.code.text(node)}` uses an attribute name known only at run time")
    value = get_attr(it, args[0], args[1], node, frame)
    if len(args) == 3 and isinstance(value, Unknown) and not isinstance(value, Opaque) and \
            not isinstance(args[0], Unknown):
        return args[2]
    return value


def _b_setattr(it, args, kwargs, node, frame):
    if len(args) != 3 or not isinstance(args[1], str):
        if args:
            it.set_taint(args[0], Unknown("an attribute with a name known only at run time is set on it"))
        return None
    set_attr(it, args[0], args[1], args[2], node, frame)
    return None


def _b_hasattr(it, args, kwargs, node, frame):
    if len(args) != 2 or not isinstance(args[1], str):
        return Unknown("hasattr() with a name known only at run time")
    if isinstance(args[0], Native) and args[0].name in MODULE_NAMES:   # nanoGPT: hasattr(F, 'scaled_dot_...')
        return args[1] in MODULE_NAMES[args[0].name]
    if type(args[0]) is ModuleValue and "__incomplete__" not in args[0].globals:
        if args[1] in args[0].globals:
            return True
        if args[0].package is None:
            return False
    known = _module_has(args[0], args[1])
    if known is not None:
        return known
    v = get_attr(it, args[0], args[1], node, frame)
    if isinstance(v, Unknown):
        if isinstance(args[0], Instance) and args[1] not in args[0].attrs:
            value, _ = args[0].cls.lookup(args[1])
            return value is not MISSING
        return Unknown("hasattr() is known only at run time")
    return True


# what nn.Module.__init__ sets on every module (torch 2.13: vars(nn.Module()))
_MODULE_INSTANCE_ATTRS = frozenset({
    "_backward_hooks", "_backward_pre_hooks", "_buffers", "_forward_hooks", "_forward_hooks_always_called",
    "_forward_hooks_with_kwargs", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_is_full_backward_hook",
    "_load_state_dict_post_hooks", "_load_state_dict_pre_hooks", "_modules", "_non_persistent_buffers_set",
    "_parameters", "_state_dict_hooks", "_state_dict_pre_hooks", "training"})


def _module_has(obj, name: str):
    """hasattr() on a torch module of a class of the file whose every attribute shapelens followed (no
    taint): True when it holds the name as a child, parameter, buffer or attribute, or a class of its MRO
    (nn.Module included) defines it; False otherwise (cifar's `shortcut = self.shortcut(out) if
    hasattr(self, 'shortcut') else x`). None when that is not known."""
    if type(obj) is not natives.M.Mod or obj.framework != "torch" or obj.cls is None or obj.taint is not None:
        return None
    if name in obj.attrs or name in obj.children or name in obj.params or name in obj.buffers or \
            name in _MODULE_INSTANCE_ATTRS:
        return True
    value, owner = obj.cls.lookup(name)
    return value is not MISSING or owner is not None


def _b_print(it, args, kwargs, node, frame):
    return None


def _b_map(it, args, kwargs, node, frame):
    if len(args) < 2:
        return Unknown("map() needs a function and an iterable")
    seqs = _iterables(it, args[1:], node, frame)
    if isinstance(seqs, Unknown):
        return seqs
    return it.born([it.call(args[0], list(items), {}, node, frame) for items in zip(*seqs)])


def _b_filter(it, args, kwargs, node, frame):
    if len(args) != 2:
        return Unknown("filter() needs a function and an iterable")
    seqs = _iterables(it, args[1:], node, frame)
    if isinstance(seqs, Unknown):
        return seqs
    out = []
    for x in seqs[0]:
        keep = it.truth(x if args[0] is None else it.call(args[0], [x], {}, node, frame))
        if keep is None:
            return Unknown("filter() by a test known only at run time")
        if keep:
            out.append(x)
    return it.born(out)


def _b_iter(it, args, kwargs, node, frame):
    seqs = _iterables(it, args[:1], node, frame)
    return seqs if isinstance(seqs, Unknown) else it.born(list(seqs[0]))


def _b_next(it, args, kwargs, node, frame):
    if args and isinstance(args[0], list) and args[0] and it.taint_of(args[0]) is None:
        it.mutated(args[0])
        return args[0].pop(0)
    return Unknown("next() of an iterator the analysis does not follow")


def _b_type(it, args, kwargs, node, frame):
    if len(args) != 1:
        return Unknown("type() with three arguments makes a class at run time")
    v = args[0]
    if isinstance(v, Instance):
        return v.cls
    if isinstance(v, (int, float, str, bool, list, tuple, dict, set, frozenset, type(None))):
        return Native(f"builtins.{type(v).__name__}")
    return natives.type_of(it, v)


def _b_callable(it, args, kwargs, node, frame):
    v = args[0] if args else None
    if isinstance(v, Unknown):
        return Unknown("callable() of a value known only at run time")
    return isinstance(v, (Function, BoundMethod, UserClass, Native, NativeMethod, Partial)) or natives.is_module(v)


def _b_slice(it, args, kwargs, node, frame):
    if not all(a is None or isinstance(a, int) for a in args) or not 1 <= len(args) <= 3:
        return Unknown("slice() of values known only at run time")
    return slice(*args)


def _b_vars(it, args, kwargs, node, frame):
    if args and isinstance(args[0], Instance):
        return args[0].attrs
    why = Unknown("vars() is not followed")
    if args and type(args[0]) is natives.M.Mod:   # what is written through it is not followed either
        it.set_taint(args[0], why)
    return why


_BUILTIN_CALLS = {
    "super": _b_super, "len": _b_len, "range": _b_range, "enumerate": _b_enumerate, "zip": _b_zip,
    "reversed": _b_reversed, "sorted": _b_sorted, "list": _b_list, "tuple": _b_tuple, "set": _b_set,
    "frozenset": _b_set, "dict": _b_dict, "isinstance": _b_isinstance, "issubclass": _b_issubclass,
    "getattr": _b_getattr, "setattr": _b_setattr, "hasattr": _b_hasattr, "print": _b_print, "map": _b_map,
    "filter": _b_filter, "iter": _b_iter, "next": _b_next, "type": _b_type, "callable": _b_callable,
    "slice": _b_slice, "vars": _b_vars,
}

_PURE = {"min": min, "max": max, "sum": sum, "abs": abs, "round": round, "int": int, "float": float, "str": str,
         "bool": bool, "any": any, "all": all, "divmod": divmod, "pow": pow, "repr": repr, "format": format,
         "chr": chr, "ord": ord, "bin": bin, "hex": hex, "oct": oct, "hash": hash, "id": id, "bytes": bytes,
         "bytearray": bytearray, "complex": complex, "ascii": ascii}


def _constant_call(it, name: str, args: list, kwargs: dict, node, frame):
    fn = _PURE.get(name)
    if fn is None:
        return Unknown(f"`{name}()` is not followed")
    if name in ("id", "hash"):
        return Unknown(f"`{name}()` is known only at run time")
    values = list(args)
    if name in ("min", "max", "sum", "any", "all") and len(args) == 1:
        items = it.iterate(args[0], node, frame)
        if isinstance(items, Unknown):
            return items
        values = [items]
        if not all(_all_plain(x) for x in items):
            return _reduce_objects(it, name, items, node, frame)
    for v in values + list(kwargs.values()):
        if isinstance(v, Unknown):
            return v
        if isinstance(v, Tensor):
            return natives.tensors().builtin_on_tensor(it, name, args, kwargs, node, frame)
    if not all(_all_plain(v) for v in values + list(kwargs.values())):
        return Unknown(f"`{frame.code.text(node)}` is only known at run time")
    if name in ("str", "repr", "format") and any(isinstance(v, (list, dict, set)) and len(v) > 1000 for v in values):
        return Unknown("a string of a large container")
    try:
        result = fn(*values, **kwargs)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return Unknown(f"`{frame.code.text(node)}` cannot be evaluated")
    if isinstance(result, int) and not isinstance(result, bool) and result.bit_length() > MAX_BITS:
        return Unknown(f"`{frame.code.text(node)}` is an absurdly large number")
    return result


def _reduce_objects(it, name: str, items: list, node, frame):
    """sum() of tensors (x + y + ...), any()/all() of run-time values."""
    if name == "sum" and items and all(isinstance(x, Tensor) for x in items):
        total = items[0]
        for x in items[1:]:
            total = it.binary(ast.Add, total, x, node, frame)
        return total
    return Unknown(f"`{frame.code.text(node)}` is known only at run time")
