"""Values as the model checker sees them: canonical texts and cheap deep copies.

A state is hashed through ``state_text``: the same text for equal values,
whatever the order of their dicts and sets (like ``trace.canonical``, but
faster, and reading the attributes of plain objects such as a log). Each
step copies the node that acts with ``copy_value``, which shares what cannot
change (strings, numbers, hashable tuples, frozen dataclasses: the messages)
and copies the rest.
"""

from __future__ import annotations

import copy
from dataclasses import fields, is_dataclass
from typing import Any

from ..trace import canonical

_ATOMIC = frozenset({str, int, float, bool, type(None), bytes, frozenset, range})
_FIELDS: dict = {}     # class -> its dataclass field names (() if not a dataclass)
_FROZEN: dict = {}     # class -> is a frozen dataclass


def _fields(cls: type) -> tuple:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in fields(cls)) if is_dataclass(cls) else ()
        _FIELDS[cls] = names
        _FROZEN[cls] = bool(names) and cls.__dataclass_params__.frozen
    return names


_SHARED: dict = {}     # id -> (object, text): immutable values met during a search
_PLAIN: dict = {}      # class -> its attribute names if it is a plain object, else None
_CUSTOM = ("__deepcopy__", "__copy__", "__reduce__", "__reduce_ex__", "__getstate__",
           "__setstate__", "to_dict")


def _plain(cls: type) -> tuple | None:
    """The slot names of a plain class (state in attributes, no custom copying), else None."""
    if cls in _PLAIN:
        return _PLAIN[cls]
    mro = cls.__mro__[:-1]
    names = None
    if cls.__module__ != "builtins" and not any(n in vars(k) for k in mro for n in _CUSTOM):
        names = []
        for k in mro:
            slots = vars(k).get("__slots__", ())
            for n in ([slots] if isinstance(slots, str) else slots):
                if n not in ("__dict__", "__weakref__") and n not in names:
                    names.append(n)
        names = tuple(names)
    _PLAIN[cls] = names
    return names


def _attrs(obj: Any, slots: tuple) -> dict:
    out = dict(getattr(obj, "__dict__", {}))
    for n in slots:
        if hasattr(obj, n):
            out[n] = getattr(obj, n)
    return out


def _immutable(obj: Any) -> bool:
    """Hashable tuples and frozen dataclasses cannot change: share and cache them."""
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def state_text(obj: Any) -> str:
    """A canonical text of a value (as ``trace.canonical``, tuned for speed and
    reading plain objects' attributes): equal states give equal texts whatever
    the order of their dicts and sets."""
    t = type(obj)
    if t is str or t is int or t is bool or obj is None:
        return repr(obj)
    if t is float:
        return f"{obj:.6f}"
    if t is dict:
        return "{" + ",".join(sorted([state_text(k) + ":" + state_text(v)
                                      for k, v in obj.items()])) + "}"
    if t is set:
        return "{" + ",".join(sorted([state_text(x) for x in obj])) + "}"
    if t is list:
        return "[" + ",".join([state_text(x) for x in obj]) + "]"
    hit = _SHARED.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    if t is tuple:
        text = "(" + ",".join([state_text(x) for x in obj]) + ")"
    elif t is frozenset:
        text = "{" + ",".join(sorted([state_text(x) for x in obj])) + "}"
    elif _fields(t):
        text = t.__name__ + "(" + ",".join([n + "=" + state_text(getattr(obj, n))
                                            for n in _FIELDS[t]]) + ")"
    elif isinstance(obj, type) or callable(obj):
        return f"<{getattr(obj, '__qualname__', t.__name__)}>"
    elif _plain(t) is not None:
        return t.__name__ + state_text(_attrs(obj, _PLAIN[t]))
    else:
        return canonical(obj)
    if _immutable(obj):
        _SHARED[id(obj)] = (obj, text)
    return text


def copy_value(obj: Any) -> Any:
    """A deep copy that shares what cannot change (atoms, frozen dataclasses, classes)."""
    t = type(obj)
    if t in _ATOMIC:
        return obj
    if t is dict:
        return {k: copy_value(v) for k, v in obj.items()}
    if t is list:
        return [copy_value(x) for x in obj]
    if t is set:
        return set(obj)               # elements are hashable, so (normally) immutable
    if id(obj) in _SHARED or (_fields(t) and _FROZEN[t]) or isinstance(obj, type):
        return obj
    if t is tuple:
        if _immutable(obj):
            _SHARED[id(obj)] = (obj, state_text(obj))
            return obj
        return tuple([copy_value(x) for x in obj])
    if not callable(obj) and _plain(t) is not None:
        new = object.__new__(t)
        for n, v in _attrs(obj, _PLAIN[t]).items():
            object.__setattr__(new, n, copy_value(v))
        return new
    return copy.deepcopy(obj)


def clear_caches() -> None:
    """Forget the values met during a search (called when it ends)."""
    _SHARED.clear()


def short_label(obj: Any) -> str:
    """``Accept(1.p1, 'x')``: a message with its fields shown by ``str`` (strings quoted)."""
    names = _fields(type(obj))
    if not names:
        return repr(obj)
    shown = [repr(v) if isinstance(v, str) else str(v) for v in (getattr(obj, n) for n in names)]
    return f"{type(obj).__name__}({', '.join(shown)})"
