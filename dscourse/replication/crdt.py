"""Counter CRDTs: the grow-only counter and the PN-counter (Shapiro et al. 2011).

A CRDT (conflict-free replicated data type) is a value whose replicas can
each be updated without coordination and later merged, in any order, any
number of times, always reaching the same result. The trick is to make the
state a *join semilattice*: ``merge`` is commutative, associative and
idempotent, and every update moves the state up.

G-counter
    One entry per node: how many increments *that node* performed. A node
    increments only its own entry; ``merge`` takes the maximum of each entry;
    ``value`` is the sum. Concurrent increments at different nodes touch
    different entries, so none is lost (contrast last-writer-wins, where one of
    two concurrent "value + 1" writes overwrites the other).

PN-counter
    Two G-counters: increments ``P`` and decrements ``N``; ``value = P - N``.

Both are immutable values, like the clocks in ``dscourse.clocks``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..sim.validate import check_int, check_node_id

__all__ = ["GCounter", "PNCounter"]


def _key(node: Any) -> tuple:
    return (isinstance(node, str), node)


class GCounter:
    """Grow-only counter: ``{node: increments done at node}``."""

    __slots__ = ("entries",)

    def __init__(self, entries: Mapping[Any, int] | Iterable[tuple] = ()) -> None:
        items = entries.items() if isinstance(entries, Mapping) else entries
        clean = {}
        for node, count in items:
            check_node_id("node", node)
            check_int(f"entries[{node!r}]", count, minimum=0)
            if count:
                clean[node] = count
        object.__setattr__(self, "entries", tuple(sorted(clean.items(), key=lambda kv: _key(kv[0]))))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("CRDT states are immutable; increment() and merge() return new ones")

    def increment(self, node: Any, amount: int = 1) -> "GCounter":
        """Add ``amount`` (>= 0) to ``node``'s own entry."""
        check_int("amount", amount, minimum=0)
        entries = dict(self.entries)
        entries[node] = entries.get(node, 0) + amount
        return GCounter(entries)

    def merge(self, other: "GCounter") -> "GCounter":
        """Entry-wise maximum: the least upper bound of the two states."""
        if type(other) is not GCounter:
            raise TypeError(f"other must be a GCounter, got {type(other).__name__}")
        entries = dict(self.entries)
        for node, count in other.entries:
            entries[node] = max(entries.get(node, 0), count)
        return GCounter(entries)

    @property
    def value(self) -> int:
        return sum(c for _, c in self.entries)

    def __eq__(self, other: Any) -> bool:
        return type(other) is GCounter and self.entries == other.entries

    def __hash__(self) -> int:
        return hash(("g", self.entries))

    def __le__(self, other: "GCounter") -> bool:
        return self.merge(other) == other

    def __repr__(self) -> str:
        return f"GCounter({dict(self.entries)!r})"

    def to_dict(self) -> dict:
        return {"type": "gcounter", "entries": [[n, c] for n, c in self.entries]}


class PNCounter:
    """A counter that also decrements: a pair of G-counters, ``value = P - N``."""

    __slots__ = ("p", "n")

    def __init__(self, p: GCounter | None = None, n: GCounter | None = None) -> None:
        object.__setattr__(self, "p", p if p is not None else GCounter())
        object.__setattr__(self, "n", n if n is not None else GCounter())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("CRDT states are immutable; increment() and merge() return new ones")

    def increment(self, node: Any, amount: int = 1) -> "PNCounter":
        """Add ``amount`` (negative to decrement) at ``node``."""
        check_int("amount", amount)
        if amount >= 0:
            return PNCounter(self.p.increment(node, amount), self.n)
        return PNCounter(self.p, self.n.increment(node, -amount))

    def decrement(self, node: Any, amount: int = 1) -> "PNCounter":
        return self.increment(node, -check_int("amount", amount, minimum=0))

    def merge(self, other: "PNCounter") -> "PNCounter":
        if type(other) is not PNCounter:
            raise TypeError(f"other must be a PNCounter, got {type(other).__name__}")
        return PNCounter(self.p.merge(other.p), self.n.merge(other.n))

    @property
    def value(self) -> int:
        return self.p.value - self.n.value

    def __eq__(self, other: Any) -> bool:
        return type(other) is PNCounter and (self.p, self.n) == (other.p, other.n)

    def __hash__(self) -> int:
        return hash(("pn", self.p, self.n))

    def __repr__(self) -> str:
        return f"PNCounter(p={dict(self.p.entries)!r}, n={dict(self.n.entries)!r})"

    def to_dict(self) -> dict:
        return {"type": "pncounter", "p": self.p.to_dict(), "n": self.n.to_dict()}
