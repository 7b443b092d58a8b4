"""Logical clocks: Lamport clocks and vector clocks, as plain immutable values.

Physical clocks cannot order events across machines: every node's clock is
skewed and drifts (see ``dscourse.sim.clock``). Logical clocks order events by
*causality* instead (Lamport 1978, "Time, clocks, and the ordering of events").
Event ``a`` **happened before** ``b`` (``a -> b``) when ``a`` comes before
``b`` on one node, or ``a`` is the sending of a message that ``b`` receives,
or by transitivity. Events related neither way are **concurrent**.

Lamport clock (one integer per node)
    Rules: before each local event or send, ``c = c + 1``; a message carries
    ``c``; on receipt, ``c = max(c, received) + 1``. Then
    ``a -> b  implies  L(a) < L(b)``, but *not* the converse: ``L(a) < L(b)``
    may hold for concurrent events, so a Lamport clock cannot detect
    concurrency. Here ``happened_before`` on Lamport clocks compares the
    integers (it means "ordered before by the clock"), and ``concurrent_with``
    is true only for equal integers of different nodes. ``total_key()`` breaks
    such ties by node id, giving the total order Lamport used for mutual
    exclusion.

Vector clock (one counter per node)
    Rules: before each local event or send, ``V[i] = V[i] + 1``; a message
    carries ``V``; on receipt, ``V = max(V, received)`` entry by entry, then
    ``V[i] = V[i] + 1``. Now ``a -> b  iff  V(a) < V(b)``, where ``V < W``
    means every entry ``<=`` and at least one ``<`` (missing entries are 0).
    Two clocks are exactly one of: equal, before, after, concurrent.

``stamp_trace(trace)`` replays a simulator trace and stamps every send and
delivery with both clocks, as if every node ran the rules above: the
space-time diagram of ``dscourse.viz.clocks`` is drawn from it.

Both are values: ``increment`` and ``merge`` return new clocks and never
change the one they are called on, so a clock can go in a frozen message.
Mixing the two kinds (merging a Lamport clock into a vector clock, comparing
them) raises ``TypeError``. ``to_json`` / ``from_json`` round-trip both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .sim.trace import Trace
from .sim.validate import check_int, check_node_id

__all__ = ["LamportClock", "VectorClock", "clock_from_json", "compare", "StampedEvent", "stamp_trace"]


def _node_key(node: Any) -> tuple:
    # ints before strs; node ids are ints or strs (never both kinds in one run).
    return (isinstance(node, str), node)


def _same_kind(name: str, self: Any, other: Any) -> None:
    if type(other) is not type(self):
        raise TypeError(f"{name} must be a {type(self).__name__}, got {other!r} of type "
                        f"{type(other).__name__}; Lamport and vector clocks cannot be mixed")


def compare(a: "LamportClock | VectorClock", b: "LamportClock | VectorClock") -> str:
    """``"before"``, ``"after"``, ``"equal"`` or ``"concurrent"`` (exactly one holds)."""
    if not isinstance(a, (LamportClock, VectorClock)):
        raise TypeError(f"a must be a LamportClock or a VectorClock, got {a!r}")
    _same_kind("b", a, b)
    if a == b:
        return "equal"
    if a.happened_before(b):
        return "before"
    if b.happened_before(a):
        return "after"
    return "concurrent"


class LamportClock:
    """A Lamport timestamp: an integer ``time``, optionally tagged with its ``node``.

    >>> a = LamportClock(node="a").increment()          # a local event at a
    >>> b = LamportClock(node="b").merge(a).increment() # b receives a's message
    >>> a.happened_before(b), a, b
    (True, LamportClock(1, node='a'), LamportClock(2, node='b'))
    """

    __slots__ = ("time", "node")

    def __init__(self, time: int = 0, node: Any = None) -> None:
        object.__setattr__(self, "time", check_int("time", time, minimum=0))
        object.__setattr__(self, "node", None if node is None else check_node_id("node", node))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("clocks are immutable values; increment() and merge() return new ones")

    def increment(self, node: Any = None) -> "LamportClock":
        """The clock after one more event (at ``node``, default: this clock's node)."""
        return LamportClock(self.time + 1, self.node if node is None else node)

    def merge(self, other: "LamportClock") -> "LamportClock":
        """Receive rule, first half: ``max`` of the two times (then call ``increment``)."""
        _same_kind("other", self, other)
        return LamportClock(max(self.time, other.time), self.node)

    def happened_before(self, other: "LamportClock") -> bool:
        """True when this clock's time is smaller (not proof of causality: see module doc)."""
        _same_kind("other", self, other)
        return self.time < other.time

    def concurrent_with(self, other: "LamportClock") -> bool:
        """Only ties of different nodes: a Lamport clock cannot see real concurrency."""
        _same_kind("other", self, other)
        return self.time == other.time and self.node != other.node

    def total_key(self) -> tuple:
        """``(time, node)``: Lamport's total order, ties broken by node id."""
        return (self.time, () if self.node is None else _node_key(self.node))

    # -- the partial order and equality ---------------------------------------
    def __eq__(self, other: Any) -> bool:
        if type(other) is not LamportClock:
            return NotImplemented
        return self.time == other.time and self.node == other.node

    def __hash__(self) -> int:
        return hash(("lamport", self.time, self.node))

    def __lt__(self, other: Any) -> bool:
        if type(other) is not LamportClock:
            return NotImplemented
        return self.happened_before(other)

    def __le__(self, other: Any) -> bool:
        if type(other) is not LamportClock:
            return NotImplemented
        return self == other or self.happened_before(other)

    def __gt__(self, other: Any) -> bool:
        if type(other) is not LamportClock:
            return NotImplemented
        return other.happened_before(self)

    def __ge__(self, other: Any) -> bool:
        if type(other) is not LamportClock:
            return NotImplemented
        return self == other or other.happened_before(self)

    def __repr__(self) -> str:
        return f"LamportClock({self.time})" if self.node is None else \
            f"LamportClock({self.time}, node={self.node!r})"

    def __str__(self) -> str:
        return str(self.time)

    # -- JSON ------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"type": "lamport", "time": self.time, "node": self.node}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> "LamportClock":
        if not isinstance(data, dict) or data.get("type") != "lamport" or "time" not in data:
            raise ValueError(f"a Lamport clock must be a dict with type='lamport' and a time, "
                             f"got {data!r}")
        return cls(data["time"], data.get("node"))

    @classmethod
    def from_json(cls, text: str) -> "LamportClock":
        return cls.from_dict(_load(text))


class VectorClock:
    """A vector clock: a counter per node; entries that are 0 are left out.

    >>> a = VectorClock().increment("a")
    >>> b = VectorClock().increment("b")
    >>> a.concurrent_with(b), a.merge(b).increment("a")
    (True, VectorClock({'a': 2, 'b': 1}))
    """

    __slots__ = ("_entries", "_map")

    def __init__(self, entries: Mapping[Any, int] | Iterable[tuple] | None = None) -> None:
        if entries is None:
            items: list = []
        elif isinstance(entries, Mapping):
            items = list(entries.items())
        elif isinstance(entries, (str, bytes)):
            raise TypeError(f"entries must be a mapping node -> count, got {entries!r}")
        else:
            items = [tuple(pair) for pair in entries]
        clean: dict = {}
        for pair in items:
            if len(pair) != 2:
                raise ValueError(f"entries must be (node, count) pairs, got {pair!r}")
            node, count = pair
            check_node_id("entries node", node)
            check_int(f"entries[{node!r}]", count, minimum=0)
            if count:
                clean[node] = count
        kinds = {type(n) for n in clean}
        if len(kinds) > 1:
            raise TypeError(f"entries must use node ids of one type (all str or all int), got "
                            f"{sorted(clean, key=_node_key)!r}")
        ordered = tuple(sorted(clean.items(), key=lambda kv: _node_key(kv[0])))
        object.__setattr__(self, "_entries", ordered)
        object.__setattr__(self, "_map", dict(ordered))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("clocks are immutable values; increment() and merge() return new ones")

    # -- reading -----------------------------------------------------------------
    def __getitem__(self, node: Any) -> int:
        return self._map.get(node, 0)

    def get(self, node: Any, default: int = 0) -> int:
        return self._map.get(node, default)

    def nodes(self) -> tuple:
        return tuple(n for n, _ in self._entries)

    def items(self) -> tuple:
        """``(node, count)`` pairs with count > 0, sorted by node."""
        return self._entries

    def to_map(self) -> dict:
        return dict(self._entries)

    def total(self) -> int:
        """Sum of the entries: the number of events this clock has seen."""
        return sum(c for _, c in self._entries)

    # -- the rules -----------------------------------------------------------------
    def increment(self, node: Any) -> "VectorClock":
        """The clock after one more event at ``node``."""
        check_node_id("node", node)
        entries = dict(self._entries)
        entries[node] = entries.get(node, 0) + 1
        return VectorClock(entries)

    def merge(self, other: "VectorClock") -> "VectorClock":
        """Entry-wise maximum (the receive rule; then ``increment`` the receiver)."""
        _same_kind("other", self, other)
        entries = dict(self._entries)
        for node, count in other._entries:
            if count > entries.get(node, 0):
                entries[node] = count
        return VectorClock(entries)

    def dominates(self, other: "VectorClock") -> bool:
        """``other <= self``: this clock has seen every event ``other`` has."""
        _same_kind("other", self, other)
        mine = self._map
        return all(mine.get(n, 0) >= c for n, c in other._entries)

    def happened_before(self, other: "VectorClock") -> bool:
        """Every entry ``<=`` the other's and at least one ``<``."""
        _same_kind("other", self, other)
        return self._entries != other._entries and other.dominates(self)

    def concurrent_with(self, other: "VectorClock") -> bool:
        """Neither happened before the other, and they are not equal."""
        _same_kind("other", self, other)
        return not self.dominates(other) and not other.dominates(self)

    # -- the partial order and equality ---------------------------------------------
    def __eq__(self, other: Any) -> bool:
        if type(other) is not VectorClock:
            return NotImplemented
        return self._entries == other._entries

    def __hash__(self) -> int:
        return hash(("vector", self._entries))

    def __lt__(self, other: Any) -> bool:
        if type(other) is not VectorClock:
            return NotImplemented
        return self.happened_before(other)

    def __le__(self, other: Any) -> bool:
        if type(other) is not VectorClock:
            return NotImplemented
        return other.dominates(self)

    def __gt__(self, other: Any) -> bool:
        if type(other) is not VectorClock:
            return NotImplemented
        return other.happened_before(self)

    def __ge__(self, other: Any) -> bool:
        if type(other) is not VectorClock:
            return NotImplemented
        return self.dominates(other)

    def __repr__(self) -> str:
        return f"VectorClock({dict(self._entries)!r})"

    def __str__(self) -> str:
        """Compact form for diagrams: ``[a:2 b:1]``."""
        return "[" + " ".join(f"{n}:{c}" for n, c in self._entries) + "]"

    def to_dict(self) -> dict:
        return {"type": "vector", "entries": [[n, c] for n, c in self._entries]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> "VectorClock":
        if not isinstance(data, dict) or data.get("type") != "vector" \
                or not isinstance(data.get("entries"), list):
            raise ValueError(f"a vector clock must be a dict with type='vector' and a list of "
                             f"[node, count] entries, got {data!r}")
        return cls([tuple(e) if isinstance(e, list) else e for e in data["entries"]])

    @classmethod
    def from_json(cls, text: str) -> "VectorClock":
        return cls.from_dict(_load(text))

    def fmt(self, nodes: Iterable[Any]) -> str:
        """The counters for ``nodes`` in that order, zeros included: ``(2,0,1)``."""
        return "(" + ",".join(str(self[n]) for n in nodes) + ")"


def _load(text: str) -> Any:
    if not isinstance(text, str):
        raise TypeError(f"text must be a JSON string, got {type(text).__name__}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"clock JSON is malformed: {exc}") from None


def clock_from_json(text: str) -> LamportClock | VectorClock:
    """Rebuild either kind of clock from ``to_json`` output."""
    data = _load(text)
    if isinstance(data, dict) and data.get("type") == "lamport":
        return LamportClock.from_dict(data)
    return VectorClock.from_dict(data)


@dataclass(frozen=True)
class StampedEvent:
    """A send or delivery of a trace, with the clocks its node would have given it."""
    time: float
    node: Any
    kind: str            # "send" or "deliver"
    seq: int             # 1, 2, ... : the event's position on its node
    mid: int             # the message id
    peer: Any            # the other end
    msg: Any
    vector: VectorClock
    lamport: LamportClock


def stamp_trace(trace: Trace, nodes: Iterable[Any] | None = None) -> list[StampedEvent]:
    """Stamp every send and delivery between ``nodes`` (default: all) with both clocks.

    A send is a local event (increment) whose clock travels with the message;
    a delivery merges the message's clock, then increments. Messages from or
    to nodes outside ``nodes`` are ignored.
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a dscourse.sim.Trace, got {type(trace).__name__}")
    keep = None if nodes is None else set(nodes)
    vec: dict = {}
    lam: dict = {}
    count: dict = {}
    carried: dict = {}          # message id -> (VectorClock, LamportClock) at its send
    out: list[StampedEvent] = []
    for t, kind, node, peer, ref, data in trace.raw():
        if kind not in ("send", "deliver"):
            continue
        if keep is not None and (node not in keep or peer not in keep):
            continue
        v = vec.get(node, VectorClock())
        lc = lam.get(node, LamportClock(0, node))
        if kind == "deliver":
            if ref not in carried:
                continue
            cv, cl = carried[ref]
            v, lc = v.merge(cv), lc.merge(cl)
        v, lc = v.increment(node), lc.increment(node)
        vec[node], lam[node] = v, lc
        count[node] = count.get(node, 0) + 1
        if kind == "send":
            carried[ref] = (v, lc)
        out.append(StampedEvent(t, node, kind, count[node], ref, peer, data, v, lc))
    return out
