"""Sequential models: what a correct, one-at-a-time object would answer.

A linearizability checker asks: is there an order of the operations,
consistent with real time, in which a *sequential* object gives exactly the
results the clients saw? The sequential object is a ``Model``:

* ``init()`` returns the initial state (hashable: states are memoised);
* ``step(state, op)`` returns ``(ok, new_state)``: could the object, in
  ``state``, have answered ``op`` as recorded? ``op`` is an ``Op`` (the fields
  of :class:`dscourse.sim.Operation`): ``op.f``, ``op.value`` (the invocation's
  argument), ``op.result`` (the completion's value), ``op.type``; it must
  depend on nothing else (set ``uses_process = True`` if it reads
  ``op.process``, as a lock's owner check would). When ``op.type == "info"`` the result
  is unknown and ``step`` must accept any outcome (return ``ok=True``).

Models also validate and normalise operations (``normalize``: JSON lists
become tuples so they can be hashed; wrong ``f`` or value types raise
``ValueError`` naming the event), may split a history into independent parts
(``split``: a key-value map is checked key by key) and may drop
operations that cannot change the verdict (``prune``).

Adding your own model::

    class Stack(Model):
        name = "stack"
        fs = ("push", "pop")
        def init(self):
            return ()
        def step(self, state, op):
            if op.f == "push":
                return True, state + (op.value,)
            if op.type == "info":                        # outcome unknown
                return True, state[:-1]
            top = state[-1] if state else None
            return op.result == top, state[:-1]

Built in: ``Register`` (read/write), ``CASRegister`` (read/write/cas),
``Counter`` (add/increment/read) and ``KVMap`` (a map of independent
registers, or of any per-key model).
"""

from __future__ import annotations

from typing import Any, Hashable

from .ops import _SIMPLE, Op, freeze, history_ops  # noqa: F401  (re-exported)


def describe_value(value: Any) -> str:
    return "None" if value is None else repr(value)


class Model:
    """Base class of sequential models (see the module docstring)."""

    name = "model"
    fs: tuple = ()              # the operation names (``f``) this model understands
    read_only: tuple = ()       # fs that never change the state
    uses_process: bool = False  # does ``step`` look at ``op.process`` (e.g. a lock's owner)?

    # -- to implement ---------------------------------------------------------
    def init(self) -> Hashable:
        raise NotImplementedError

    def step(self, state: Hashable, op: Op) -> tuple[bool, Hashable]:
        raise NotImplementedError

    # -- optional hooks ----------------------------------------------------------
    def normalize(self, op: Op) -> Op:
        """Check ``op`` for this model and return it with hashable values.

        The checker hands each operation to ``normalize`` once, as its own
        copy, so it may be changed in place."""
        if op.f not in self.fs:
            self.invalid(op, f"f={op.f!r} is not an operation of the {self.name} model; "
                             f"allowed: {', '.join(map(repr, self.fs))}")
        op.value, op.result = freeze(op.value), freeze(op.result)
        return op

    def split(self, op: Op) -> tuple[Any, Op]:
        """``(part, normalised op)``: operations of different parts are independent
        and checked separately (P-compositionality). One part by default."""
        return None, self.normalize(op)

    def prune(self, ops: list[Op]) -> list[Op]:
        """Drop operations that cannot change the verdict.

        An ``info`` operation that never changes the state (a read whose
        outcome is unknown) constrains nothing: drop it.
        """
        return [op for op in ops if not (op.type == "info" and op.f in self.read_only)]

    def describe(self, op: Op) -> str:
        """A short text for an operation: ``write(3)``, ``read→3``, ``read→?``."""
        arg = "" if op.value is None else describe_value(op.value)
        if op.type == "info":
            return f"{op.f}({arg})→?"
        if op.type == "fail":
            return f"{op.f}({arg})✗"
        if op.f in self.read_only:
            return f"{op.f}→{describe_value(op.result)}"
        return f"{op.f}({arg})"

    def describe_state(self, state: Hashable) -> str:
        return describe_value(state)

    # -- helpers for subclasses ---------------------------------------------------
    @staticmethod
    def invalid(op: Op, message: str, *, completion: bool = False) -> None:
        """Raise the ``ValueError`` for a bad operation, naming its event index."""
        index = op.complete_index if completion and op.complete_index is not None else op.invoke_index
        raise ValueError(f"event {index}: {message}")

    @staticmethod
    def check_hashable(op: Op, what: str, value: Any, *, completion: bool = False) -> None:
        try:
            hash(value)
        except TypeError:
            Model.invalid(op, f"{what} must be hashable (a number, string, None or list of "
                              f"those), got {value!r}", completion=completion)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Register(Model):
    """A read/write register holding one value; ``initial`` is what reads see first.

    ``{"f": "write", "value": v}`` writes ``v``; ``{"f": "read"}`` completes
    with the value read.
    """

    name = "register"
    fs = ("read", "write")
    read_only = ("read",)

    def __init__(self, initial: Any = None) -> None:
        self.initial = freeze(initial)

    def init(self):
        return self.initial

    def step(self, state, op):
        if op.f == "write":
            return True, op.value
        # a read: its recorded result must be the current value
        return (op.type == "info" or op.result == state), state

    def normalize(self, op):
        op = super().normalize(op)
        if op.f == "write":
            if type(op.value) not in _SIMPLE:
                self.check_hashable(op, "a write's value", op.value)
        elif op.type == "ok" and type(op.result) not in _SIMPLE:
            self.check_hashable(op, "a read's result", op.result, completion=True)
        return op

    def prune(self, ops):
        """Also drop ``info`` writes of values no completed read returned.

        Leaving such a write out never hurts: had it taken effect, any read
        between it and the next write would have returned its value, and none
        did. (Sound for any values, unique or not.)
        """
        ops = super().prune(ops)
        seen = {op.result for op in ops if op.type == "ok" and op.f == "read"}
        seen.update(self._values_needed(ops))
        return [op for op in ops
                if not (op.type == "info" and op.f == "write" and op.value not in seen)]

    def _values_needed(self, ops):
        return ()

    def __repr__(self):
        return f"{type(self).__name__}(initial={self.initial!r})"


class CASRegister(Register):
    """A register with compare-and-set: ``{"f": "cas", "value": [expected, new]}``.

    A ``cas`` that completes ``ok`` swapped (the register held ``expected``);
    one that completes ``fail`` did not take effect, so it is not checked.
    """

    name = "cas-register"
    fs = ("read", "write", "cas")

    def step(self, state, op):
        if op.f == "cas":
            expected, new = op.value
            if state == expected:
                return True, new
            # a recorded success needs the expected value; an unknown outcome
            # may be a cas that found another value and changed nothing
            return op.type == "info", state
        return super().step(state, op)

    def normalize(self, op):
        op = super().normalize(op)
        if op.f == "cas":
            if not (isinstance(op.value, tuple) and len(op.value) == 2):
                self.invalid(op, f"a cas needs value [expected, new], got {op.value!r}")
            self.check_hashable(op, "a cas's values", op.value)
        return op

    def _values_needed(self, ops):
        return [op.value[0] for op in ops if op.f == "cas"]

    def describe(self, op):
        if op.f == "cas" and op.type != "fail":
            suffix = "→?" if op.type == "info" else ""
            return f"cas({describe_value(op.value[0])}→{describe_value(op.value[1])}){suffix}"
        return super().describe(op)


class Counter(Model):
    """A counter: ``add`` (value: an int, may be negative), ``increment`` (value
    None or an int, default 1) and ``read`` (completes with the count)."""

    name = "counter"
    fs = ("add", "increment", "read")
    read_only = ("read",)

    def __init__(self, initial: int = 0) -> None:
        if isinstance(initial, bool) or not isinstance(initial, int):
            raise TypeError(f"initial must be an int, got {initial!r}")
        self.initial = initial

    def init(self):
        return self.initial

    def step(self, state, op):
        if op.f == "read":
            return (op.type == "info" or op.result == state), state
        return True, state + op.value

    def normalize(self, op):
        op = super().normalize(op)
        if op.f == "increment" and op.value is None:
            op.value = 1
        if op.f in ("add", "increment"):
            if isinstance(op.value, bool) or not isinstance(op.value, int):
                self.invalid(op, f"{op.f} needs an integer value, got {op.value!r}")
        elif op.type == "ok" and (isinstance(op.result, bool) or not isinstance(op.result, int)):
            self.invalid(op, f"a counter read must return an integer, got {op.result!r}",
                         completion=True)
        return op

    def __repr__(self):
        return f"Counter(initial={self.initial!r})"


class KVMap(Model):
    """A map of independent keys, each behaving like ``per_key`` (a ``Register``
    by default). Ops carry ``[key, argument]`` and complete with
    ``[key, result]`` (a write may complete with ``None``). The history is
    checked key by key: linearizability is *local* (Herlihy & Wing 1990), so
    the whole map is linearizable exactly when every key is.
    """

    name = "kv"

    def __init__(self, per_key: Model | None = None) -> None:
        per_key = Register() if per_key is None else per_key
        if not isinstance(per_key, Model) or isinstance(per_key, KVMap):
            raise TypeError(f"per_key must be a Model for one key (e.g. Register()), got {per_key!r}")
        self.per_key = per_key
        self.fs = per_key.fs
        self.read_only = per_key.read_only
        self.uses_process = per_key.uses_process

    def init(self):
        return self.per_key.init()

    def step(self, state, op):
        return self.per_key.step(state, op)

    def normalize(self, op):
        if op.f not in self.fs:
            self.invalid(op, f"f={op.f!r} is not an operation of the kv model; allowed: "
                             f"{', '.join(map(repr, self.fs))}")
        value = op.value
        if not (type(value) in (list, tuple) and len(value) == 2):
            self.invalid(op, f"a kv operation's value must be [key, argument], got {op.value!r}")
        key, arg = value
        if type(key) not in _SIMPLE:
            key = freeze(key)
            self.check_hashable(op, "a key", key)
        result = op.result
        if type(result) is list:
            result = tuple(result)
        if op.type == "ok" and not (result is None and op.f not in self.read_only):
            if not (isinstance(result, tuple) and len(result) == 2):
                self.invalid(op, f"a kv completion's value must be [key, result], got {op.result!r}",
                             completion=True)
            if freeze(result[0]) != key:
                self.invalid(op, f"completion is for key {result[0]!r} but the invocation "
                                 f"(event {op.invoke_index}) was for key {key!r}", completion=True)
            result = result[1]
        elif op.type != "ok":
            result = None
        return self.per_key.normalize(op.replace(value=arg, result=result))

    def split(self, op):
        inner = self.normalize(op)
        key = op.value[0]
        return (key if type(key) in _SIMPLE else freeze(key)), inner

    def prune(self, ops):
        return self.per_key.prune(ops)

    def describe(self, op):
        """``key:operation``, for an operation of the whole history (with its key)."""
        try:
            key, inner = self.split(Op.of(op))
        except ValueError:
            return super().describe(op)
        return f"{key}:{self.per_key.describe(inner)}"

    def __repr__(self):
        return f"KVMap({self.per_key!r})"
