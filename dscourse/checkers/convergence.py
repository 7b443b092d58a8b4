"""Eventual consistency's promise: once writes stop, replicas converge.

*Eventual consistency* promises only this: if no new updates are made, all
replicas eventually hold the same state. So the check runs after quiescence
(the workload stopped, partitions healed, anti-entropy had time to run) and
compares the replicas' states: ``check_convergence({"n1": s1, "n2": s2, ...})``.

States are compared with ``==`` (dicts, lists, numbers, CRDT values). When
they differ, the result groups the replicas that agree and, for dict states,
names the keys on which they differ: "n3 is missing key 'x'" is more useful
than "not equal".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..sim.table import TextTable, format_table
from .lanes import process_order

_MISSING = object()


@dataclass(frozen=True)
class ConvergenceResult:
    valid: bool
    groups: tuple              # ((state, (replica, ...)), ...), largest group first
    differing_keys: tuple      # for dict states: keys whose values differ
    reason: str
    states: Any = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return self.valid

    @property
    def explanation(self) -> str:
        return f"converged: {self.valid} ({self.reason})"

    def __str__(self) -> str:
        return self.explanation

    def table(self) -> TextTable:
        rows = [(", ".join(map(str, replicas)), len(replicas), _short(state))
                for state, replicas in self.groups]
        return format_table(["replicas", "count", "state"], rows,
                            title=f"Convergence: {'yes' if self.valid else 'NO'}")


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k!r}: {value[k]!r}" for k in process_order_keys(value)) + "}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def process_order_keys(mapping: Mapping) -> list:
    return sorted(mapping, key=lambda k: (type(k).__name__, str(k)))


def check_convergence(replica_states: Mapping[Any, Any]) -> ConvergenceResult:
    """Do all replicas hold the same state? ``replica_states``: ``{replica: state}``."""
    if not isinstance(replica_states, Mapping):
        raise TypeError(f"replica_states must be a mapping {{replica: state}}, got "
                        f"{type(replica_states).__name__}")
    if not replica_states:
        raise ValueError("replica_states is empty: give at least one replica's state")
    groups: list[list] = []
    for replica in process_order(replica_states):
        state = replica_states[replica]
        for group in groups:
            if group[0] == state:
                group[1].append(replica)
                break
        else:
            groups.append([state, [replica]])
    groups.sort(key=lambda g: -len(g[1]))       # stable: ties keep replica order
    keys: list = []
    states = [g[0] for g in groups]
    if len(groups) > 1 and all(isinstance(s, Mapping) for s in states):
        every = {k for s in states for k in s}
        keys = [k for k in process_order_keys(dict.fromkeys(every))
                if any(s.get(k, _MISSING) != states[0].get(k, _MISSING) for s in states[1:])]
    n = len(replica_states)
    if len(groups) == 1:
        reason = f"all {n} replicas hold the same state"
    else:
        parts = "; ".join(f"{', '.join(map(str, g[1]))} agree" for g in groups)
        diff = f"; they differ on keys {', '.join(map(repr, keys))}" if keys else ""
        reason = f"{len(groups)} different states among {n} replicas: {parts}{diff}"
    return ConvergenceResult(len(groups) == 1, tuple((g[0], tuple(g[1])) for g in groups),
                             tuple(keys), reason, dict(replica_states))
