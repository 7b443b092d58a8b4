"""Measuring partitioners: load per node, balance, and keys moved on a change.

* ``load(p, keys)``: how many keys each node owns (nodes with none count as 0).
* ``balance(loads)``: mean, min, max, ``max/mean`` and the spread
  ``std/mean`` (population standard deviation over the mean; 0 is perfect).
* ``join_movement(p, keys, node)`` / ``leave_movement(p, keys, node)``: copy
  the partitioner, change it, and count the keys whose owner changed, beside
  the ideal. A joining node should take its fair share of the new cluster,
  ``1/(n+1)`` of the keys (not ``1/n`` as the course text says); a leaving
  node's keys must move, ``1/n`` of them, and nothing else should.
  ``unnecessary`` counts keys that moved although they did not involve the
  node that joined or left: 0 for the ring, rendezvous and jump hashing, most
  of the keys for modulo hashing.
* ``balance_vs_vnodes``: the ring's spread for several virtual-node counts,
  measured exactly from the arcs each node owns, beside the ``1/sqrt(V)``
  trend and the exact expectation ``sqrt((n-1)/(n*V+1))`` for ``n`` nodes.

Pass ``hashes=hash_keys(keys)`` to reuse key hashes across several layouts
(the ring and modulo hashing both accept them); a million keys then cost one
round of hashing instead of one per layout.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..sim.validate import check_int
from .ring import ConsistentHashRing


@dataclass(frozen=True)
class Balance:
    nodes: int
    keys: float           # total load (keys, or 1.0 for ring shares)
    mean: float
    min: float
    max: float
    max_over_mean: float
    std_over_mean: float


@dataclass(frozen=True)
class Movement:
    kind: str             # "join" or "leave"
    node: Any
    nodes_before: int
    keys: int
    moved: int
    fraction: float       # moved / keys
    ideal: float          # 1/(n+1) on a join, 1/n on a leave
    ratio: float          # fraction / ideal (1.0 is ideal)
    unnecessary: int      # moved keys that neither came to nor left ``node``


@dataclass(frozen=True)
class Comparison:
    label: str
    balance: Balance
    join: Movement
    leave: Movement | None   # None when the scheme cannot remove that node (jump hashing)
    leave_error: str = ""


@dataclass(frozen=True)
class BalancePoint:
    vnodes: int
    std_over_mean: float  # mean over trials
    lowest: float
    highest: float
    trend: float          # 1/sqrt(V)
    expected: float       # sqrt((n-1)/(n*V+1))


def assign(partitioner: Any, keys: Sequence[Any] | None = None, *,
           hashes: Sequence[int] | None = None) -> list:
    """The owner of every key, from keys or from precomputed key hashes."""
    if (keys is None) == (hashes is None):
        raise ValueError("give exactly one of keys=... or hashes=...")
    if hashes is not None:
        if not hasattr(partitioner, "assign_hashes"):
            raise TypeError(f"{type(partitioner).__name__} cannot reuse key hashes (its hash "
                            f"depends on the node too); pass keys=... instead")
        return partitioner.assign_hashes(hashes)
    return partitioner.assign(keys)


def load(partitioner: Any, keys: Sequence[Any] | None = None, *,
         hashes: Sequence[int] | None = None) -> dict:
    """Keys per node, every node listed (sorted by id), zero if it owns none."""
    counts = dict.fromkeys(sorted(partitioner.nodes), 0)
    for node in assign(partitioner, keys, hashes=hashes):
        counts[node] += 1
    return counts


def balance(loads: Mapping[Any, float]) -> Balance:
    """Spread of a load map (keys per node, or ring shares)."""
    values = [float(v) for v in loads.values()]
    if not values:
        raise ValueError("loads is empty: there is no node to measure")
    total = sum(values)
    mean = total / len(values)
    if mean <= 0:
        raise ValueError(f"loads sum to {total:g}; there is nothing to balance")
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return Balance(len(values), total, mean, min(values), max(values), max(values) / mean,
                   std / mean)


def moved(before: Sequence[Any], after: Sequence[Any]) -> int:
    """How many positions differ between two assignments of the same keys."""
    if len(before) != len(after):
        raise ValueError(f"before has {len(before)} keys and after has {len(after)}; "
                         f"compare assignments of the same keys")
    return sum(1 for a, b in zip(before, after) if a != b)


def join_movement(partitioner: Any, keys: Sequence[Any] | None, node: Any, *,
                  hashes: Sequence[int] | None = None, before: Sequence[Any] | None = None,
                  **add_kwargs: Any) -> Movement:
    """Keys that change owner when ``node`` joins (``partitioner`` is not changed).

    ``before`` may pass ``assign(partitioner, ...)`` if it is already known.
    """
    after_p = partitioner.copy()
    after_p.add_node(node, **add_kwargs)
    if before is None:
        before = assign(partitioner, keys, hashes=hashes)
    after = assign(after_p, keys, hashes=hashes)
    n = len(partitioner.nodes)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    return _movement("join", node, n, len(before), changed, 1.0 / (n + 1),
                     sum(1 for _, b in changed if b != node))


def leave_movement(partitioner: Any, keys: Sequence[Any] | None, node: Any, *,
                   hashes: Sequence[int] | None = None,
                   before: Sequence[Any] | None = None) -> Movement:
    """Keys that change owner when ``node`` leaves (``partitioner`` is not changed)."""
    after_p = partitioner.copy()
    after_p.remove_node(node)
    if before is None:
        before = assign(partitioner, keys, hashes=hashes)
    after = assign(after_p, keys, hashes=hashes)
    n = len(partitioner.nodes)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    return _movement("leave", node, n, len(before), changed, 1.0 / n,
                     sum(1 for a, _ in changed if a != node))


def _movement(kind, node, n, total, changed, ideal, unnecessary) -> Movement:
    if total == 0:
        raise ValueError("keys is empty: there is nothing to move")
    fraction = len(changed) / total
    return Movement(kind, node, n, total, len(changed), fraction, ideal, fraction / ideal,
                    unnecessary)


def balance_vs_vnodes(vnode_counts: Iterable[int], nodes: int = 10, trials: int = 5, *,
                      hash: Any = "md5") -> list[BalancePoint]:
    """The ring's spread (std/mean of exact ring shares) for each virtual-node count.

    Each trial uses a different set of node names (``"server-<t>-<j>"``), so the
    mean over trials shows the trend rather than one lucky or unlucky layout.
    """
    nodes = check_int("nodes", nodes, minimum=2)
    trials = check_int("trials", trials, minimum=1)
    out = []
    for v in vnode_counts:
        v = check_int("vnode_counts[]", v, minimum=1)
        spreads = []
        for t in range(trials):
            ring = ConsistentHashRing([f"server-{t}-{j}" for j in range(nodes)], v, hash=hash)
            spreads.append(balance(ring.ownership()).std_over_mean)
        out.append(BalancePoint(v, sum(spreads) / trials, min(spreads), max(spreads),
                                1 / math.sqrt(v), math.sqrt((nodes - 1) / (nodes * v + 1))))
    return out


def compare(partitioners: Mapping[str, Any], keys: Sequence[Any], *, join: Any,
            leave: Any) -> list[Comparison]:
    """Balance, and keys moved when ``join`` joins and when ``leave`` leaves, for each scheme.

    A scheme that cannot remove ``leave`` (jump hashing, unless it is the last
    bucket) gets ``leave=None`` and the reason in ``leave_error``.
    """
    out = []
    for label, p in partitioners.items():
        before = assign(p, keys)                    # computed once, used three times
        counts = dict.fromkeys(sorted(p.nodes), 0)
        for node in before:
            counts[node] += 1
        try:
            gone, error = leave_movement(p, keys, leave, before=before), ""
        except ValueError as exc:
            gone, error = None, str(exc)
        out.append(Comparison(label, balance(counts), join_movement(p, keys, join, before=before),
                              gone, error))
    return out
