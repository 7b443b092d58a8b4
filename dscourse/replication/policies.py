"""What a replica stores for a key, and how two copies combine: state policies.

``dscourse.replication.quorum`` moves *states* between replicas and never
looks inside them; a ``Policy`` says what a state is. Every policy answers:

* ``merge(a, b)``: the state a replica keeps when it holds ``a`` and receives
  ``b`` (``None`` means "nothing yet"). Replicas only ever merge, so a stale
  message can never move a replica backwards.
* ``value(state)``: what a read returns to the client.
* ``update(base, f, value, node=, clock=, floor=, tag=)``: the new state a
  coordinator writes for operation ``f``; ``base`` is the state it starts from
  (its local copy, or what a read quorum returned when ``read_before_write(f)``
  is true), ``clock`` its local clock reading, ``floor`` a state the new
  one must supersede (a session token's), and ``tag`` a number unique to this
  operation at this coordinator (two concurrent writes coordinated by one
  node must still get different versions).
* ``covers(state, other)``: ``state`` already includes ``other``.

The policies of the course:

=====================  ==================================  =====================================
policy                 state                               merge
=====================  ==================================  =====================================
``VersionedPolicy``    ``Versioned(counter, writer, v)``   higher ``(counter, writer)`` wins (ABD)
``LWWPolicy``          ``Stamped(ts, writer, v)``          higher local-clock timestamp wins
``CounterCRDTPolicy``  ``GCounter`` / ``PNCounter``        entry-wise maximum (a CRDT)
``SiblingsPolicy``     ``Siblings((vector clock, v), …)``  keep every value no other supersedes
=====================  ==================================  =====================================

``VersionedPolicy`` reads the newest version from a quorum before writing
(``read_before_write``) so that its version is higher than every completed
write's: the first phase of a multi-writer ABD write.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any, Iterable

from ..clocks import VectorClock
from ..sim.validate import check_int
from .crdt import GCounter, PNCounter

__all__ = ["Policy", "Versioned", "VersionedPolicy", "Stamped", "LWWPolicy", "CounterCRDTPolicy",
           "Siblings", "SiblingsPolicy"]


def node_key(node: Any) -> tuple:
    """Sort key for node ids (ints before strs)."""
    return (isinstance(node, str), node)


def _amount(value: Any) -> int:
    return 1 if value is None else check_int("increment value", value)


class Policy:
    """Base class: see the module docstring for the contract."""

    initial: Any = None

    name = "policy"
    reads: tuple = ("read",)
    writes: tuple = ("write",)

    def read_before_write(self, f: str) -> bool:
        return False

    def merge(self, a: Any, b: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def fold(self, states: Iterable[Any]) -> Any:
        """Merge many states (``None`` when there are none)."""
        return reduce(self.merge, states, None)

    def value(self, state: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, base: Any, f: str, value: Any, *, node: Any, clock: float,
               floor: Any = None, tag: int = 0) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def covers(self, state: Any, other: Any) -> bool:
        """``state`` already includes everything in ``other``."""
        return other is None or self.merge(state, other) == state

    def describe(self, state: Any) -> str:
        """A short text for the trace (``record_state``) and for tables."""
        return "-" if state is None else repr(self.value(state))

    def _number(self, state: Any) -> int:
        """The current value as a number, for ``increment`` (unset counts as ``initial`` or 0)."""
        value = self.value(state)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"increment needs an integer value in the register, found {value!r}")
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_kind(policy: Policy, a: Any, b: Any, kind: type) -> None:
    for name, s in (("a", a), ("b", b)):
        if s is not None and type(s) is not kind:
            raise TypeError(f"{type(policy).__name__}.merge: {name} must be a {kind.__name__} "
                            f"or None, got {type(s).__name__}")


# --------------------------------------------------------------- ABD (versions)
@dataclass(frozen=True)
class Versioned:
    """A value tagged with the version ``(counter, writer, tag)`` that wrote it."""
    counter: int
    writer: Any
    value: Any
    tag: int = 0          # the writer's operation number: versions are unique per write

    @property
    def version(self) -> tuple:
        return (self.counter, node_key(self.writer), self.tag)


class VersionedPolicy(Policy):
    """Versioned register (ABD): the highest ``(counter, writer)`` wins.

    ``write(v)`` first reads a quorum (``read_before_write``), then writes
    ``v`` with version ``(highest counter + 1, coordinator)``. ``increment(k)``
    does the same with ``value + k``: a read-modify-write that is **not**
    atomic, so two concurrent increments can both read 5 and both write 6 (the
    lost update the notebooks show). The CP counter that cannot lose an update
    is ``dscourse.replication.cp.CPCounterNode``.
    """

    name = "versioned"
    writes = ("write", "increment")

    def __init__(self, initial: Any = None) -> None:
        self.initial = initial          # what a read of a never-written key returns

    def read_before_write(self, f: str) -> bool:
        return True

    def merge(self, a, b):
        _check_kind(self, a, b, Versioned)
        if a is None:
            return b
        if b is None:
            return a
        return b if b.version > a.version else a

    def value(self, state):
        return self.initial if state is None else state.value

    def update(self, base, f, value, *, node, clock, floor=None, tag=0):
        counter = 0 if base is None else base.counter
        if floor is not None:
            counter = max(counter, floor.counter)
        if f == "increment":
            value = self._number(base) + _amount(value)
        return Versioned(counter + 1, node, value, tag)

    def describe(self, state):
        return "-" if state is None else f"{state.value!r}@{state.counter}.{state.writer}"


# ------------------------------------------------------- last writer wins (LWW)
@dataclass(frozen=True)
class Stamped:
    """A value with the local-clock timestamp of the node that wrote it."""
    ts: float
    writer: Any
    value: Any
    tag: int = 0          # the writer's operation number: breaks ties at one node

    @property
    def stamp(self) -> tuple:
        return (self.ts, node_key(self.writer), self.tag)


class LWWPolicy(Policy):
    """Last writer wins by timestamp, read from the *coordinator's local clock*.

    Two nodes' clocks are not comparable (skew, drift), so "last" is a guess:
    a node whose clock is behind writes values that lose to *older* writes.
    ``increment`` writes ``local value + k``: two concurrent increments at
    different nodes both write ``v + 1`` and one of them is lost on merge.
    """

    name = "lww"
    writes = ("write", "increment")

    def __init__(self, initial: Any = None) -> None:
        self.initial = initial          # what a read of a never-written key returns

    def merge(self, a, b):
        _check_kind(self, a, b, Stamped)
        if a is None:
            return b
        if b is None:
            return a
        return b if b.stamp > a.stamp else a

    def value(self, state):
        return self.initial if state is None else state.value

    def update(self, base, f, value, *, node, clock, floor=None, tag=0):
        if f == "increment":
            value = self._number(base) + _amount(value)
        ts = round(float(clock), 6)
        if floor is not None and (ts, node_key(node), tag) <= floor.stamp:
            ts = round(floor.ts + 0.001, 6)   # a session's writes must supersede its earlier ones
        return Stamped(ts, node, value, tag)

    def describe(self, state):
        return "-" if state is None else f"{state.value!r}@{state.ts:g}.{state.writer}"


# ----------------------------------------------------------------- CRDT counters
class CounterCRDTPolicy(Policy):
    """A G-counter (``pn=False``) or PN-counter CRDT: no increment is ever lost.

    The coordinator adds to *its own* entry of its local copy, so it must hold
    a replica of the key (true for the AP stores of the course).
    """

    writes = ("increment",)

    def __init__(self, pn: bool = False) -> None:
        if not isinstance(pn, bool):
            raise TypeError(f"pn must be True or False, got {pn!r}")
        self.pn = pn
        self.kind = PNCounter if pn else GCounter
        self.name = "pn-counter" if pn else "g-counter"

    def merge(self, a, b):
        _check_kind(self, a, b, self.kind)
        if a is None:
            return b
        if b is None:
            return a
        return a.merge(b)

    def value(self, state):
        return 0 if state is None else state.value

    def update(self, base, f, value, *, node, clock, floor=None, tag=0):
        amount = _amount(value)
        if amount < 0 and not self.pn:
            raise ValueError(f"a G-counter only grows; increment value must be >= 0, got {amount} "
                             f"(use CounterCRDTPolicy(pn=True))")
        base = self.merge(base, floor) if floor is not None else base
        return (base if base is not None else self.kind()).increment(node, amount)

    def describe(self, state):
        if state is None:
            return "0"
        entries = state.entries if self.kind is GCounter else state.p.entries
        return f"{state.value} {{{' '.join(f'{n}:{c}' for n, c in entries)}}}"

    def __repr__(self) -> str:
        return f"CounterCRDTPolicy(pn={self.pn})"


# ------------------------------------------------- siblings with vector clocks
@dataclass(frozen=True)
class Siblings:
    """Concurrent values of one key, each with the vector clock that wrote it."""
    items: tuple    # ((VectorClock, value), ...), none superseded by another

    @property
    def context(self) -> VectorClock:
        """Merge of every sibling's clock: what a write that resolves them must dominate."""
        return reduce(lambda acc, item: acc.merge(item[0]), self.items, VectorClock())


def _siblings(items: Iterable[tuple]) -> Siblings:
    items = list(dict.fromkeys(items))   # drop exact duplicates, keep first order
    keep = [(vc, v) for vc, v in items
            if not any(vc.happened_before(other) for other, _ in items)]
    keep.sort(key=lambda item: (tuple((node_key(n), c) for n, c in item[0].items()), repr(item[1])))
    return Siblings(tuple(keep))


class SiblingsPolicy(Policy):
    """Dynamo / Riak style: keep concurrent writes as siblings for the client.

    A write's clock is the merge of the clocks of every sibling the coordinator
    holds, incremented at the coordinator: it supersedes what the coordinator
    has seen and nothing else. Writes at two nodes that have not seen each
    other stay side by side; a read returns all of their values, sorted.
    """

    name = "siblings"

    def merge(self, a, b):
        _check_kind(self, a, b, Siblings)
        if a is None:
            return b
        if b is None:
            return a
        return _siblings(a.items + b.items)

    def value(self, state):
        if state is None:
            return []
        return sorted((v for _, v in state.items), key=repr)

    def update(self, base, f, value, *, node, clock, floor=None, tag=0):
        base = self.merge(base, floor)
        context = base.context if base is not None else VectorClock()
        mine = (context.increment(node), value)
        return _siblings((base.items if base is not None else ()) + (mine,))

    def covers(self, state, other):
        if other is None:
            return True
        return state is not None and state.context.dominates(other.context)

    def describe(self, state):
        if state is None:
            return "-"
        return " | ".join(f"{v!r}{vc}" for vc, v in state.items)
