"""Operations as the checkers see them, and how they are read from a history.

``history_ops`` pairs each invocation with its completion, like
``History.operations()``, but builds light slotted ``Op`` objects instead of
frozen dataclasses: on a history of ten thousand operations that is a good
part of the checker's time. ``freeze`` turns JSON lists into tuples, so that
values (and model states made of them) can be hashed and memoised.
"""

from __future__ import annotations

from typing import Any

from ..sim.history import History

_SIMPLE = (int, str, float, type(None))


def freeze(value: Any) -> Any:
    """JSON lists become tuples (recursively) so that values can be hashed."""
    if type(value) in _SIMPLE:
        return value
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    return value


class Op:
    """One operation as the checkers see it: the fields of ``dscourse.sim.Operation``
    (without the times) in a light slotted object, cheap to build for a history of
    ten thousand operations. The checker owns its ``Op`` objects, so models may
    normalise them in place."""

    __slots__ = ("process", "f", "value", "result", "type", "invoke_index", "complete_index")

    def __init__(self, process, f, value, result, type, invoke_index, complete_index):
        self.process = process
        self.f = f
        self.value = value
        self.result = result
        self.type = type
        self.invoke_index = invoke_index
        self.complete_index = complete_index

    @classmethod
    def of(cls, op: Any) -> "Op":
        """An ``Op`` from anything with the same fields (a ``dscourse.sim.Operation``)."""
        if isinstance(op, Op):
            return op
        return cls(op.process, op.f, op.value, op.result, op.type, op.invoke_index, op.complete_index)

    def replace(self, **changes) -> "Op":
        op = Op(self.process, self.f, self.value, self.result, self.type, self.invoke_index,
                self.complete_index)
        for name, value in changes.items():
            setattr(op, name, value)
        return op

    def __repr__(self) -> str:
        return (f"Op(process={self.process!r}, f={self.f!r}, value={self.value!r}, "
                f"result={self.result!r}, type={self.type!r}, invoke_index={self.invoke_index}, "
                f"complete_index={self.complete_index})")


def history_ops(history: History) -> list[Op]:
    """Pair invocations with completions (like ``History.operations``, faster).

    ``fail`` and ``info`` completions keep their type; an operation still
    pending at the end is ``info``. ``result`` is None unless ``ok``.
    """
    ops: list[Op] = []
    open_: dict = {}
    for i, e in enumerate(history.events):
        kind = e["type"]
        if kind == "invoke":
            op = Op(e["process"], e["f"], e.get("value"), None, "info", i, None)
            open_[e["process"]] = op
            ops.append(op)
            continue
        op = open_.pop(e["process"])
        op.type = kind
        op.complete_index = i
        if kind == "ok":
            op.result = e.get("value")
    return ops
