"""Rendezvous hashing (highest random weight, Thaler and Ravishankar, 1996).

Every node scores every key: ``score(node, key) = hash(node || key)``; the key
goes to the node with the highest score. No ring, no virtual nodes:

* balance is as good as the hash, with one point per node;
* when a node joins it wins exactly the keys for which it now scores highest,
  about ``1/(n+1)`` of them, and takes them from everyone in proportion;
* when a node leaves, only its keys move, each to its second-best node;
* the top ``count`` scores give a preference list of distinct nodes for free.

The price: a lookup hashes the key once *per node*, ``O(n)`` work where the
ring needs ``O(log n)`` after one hash. Fine for tens of nodes, slow for
thousands (skeleton variants of HRW fix that).

Weights use the logarithmic method (Schindelhauer and Schomaker, 2005): with
``u`` the hash scaled into ``(0, 1)``, the score is ``-weight / ln(u)``, which
gives each node a share proportional to its weight and still moves only the
keys it must. With all weights equal this orders nodes exactly as the raw
hash does, so the fast integer comparison is used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..sim.validate import check_int, check_number
from .base import check_distinct_nodes, check_new_node, check_present, empty_error
from .hashes import get_hash, key_bytes


class RendezvousHash:
    """Highest-random-weight hashing over ``nodes`` (optionally weighted)."""

    def __init__(self, nodes: Iterable[Any] = (), *, hash: Any = "md5",
                 weights: dict | None = None) -> None:
        self.hash = get_hash(hash)
        self._hash_fn = self.hash.fn
        self._prefix: dict[Any, bytes] = {}
        self._weights: dict[Any, float] = {}
        self._order: list = []       # sorted node ids (ties broken by id, deterministically)
        weights = dict(weights or {})
        nodes = check_distinct_nodes(nodes)
        for extra in sorted(set(weights) - set(nodes), key=str):
            raise ValueError(f"weights names {extra!r}, which is not in nodes")
        for node in nodes:
            self.add_node(node, weights.get(node, 1.0))

    @property
    def nodes(self) -> tuple:
        return tuple(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def add_node(self, node: Any, weight: float = 1.0) -> None:
        check_new_node(node, self._order)
        weight = check_number("weight", weight, minimum=0.0, strict_min=True)
        name = str(node).encode("utf-8")
        # Length-prefixed, so node "a" + key "/b" never collides with node "a/" + key "b".
        self._prefix[node] = len(name).to_bytes(4, "big") + name
        self._weights[node] = weight
        self._order = sorted(self._prefix)

    def remove_node(self, node: Any) -> None:
        check_present(node, self._order)
        del self._prefix[node]
        del self._weights[node]
        self._order = sorted(self._prefix)

    def copy(self) -> RendezvousHash:
        return RendezvousHash(self._order, hash=self.hash, weights=dict(self._weights))

    def score(self, node: Any, key: Any) -> float:
        """The weight-adjusted score of ``node`` for ``key`` (higher wins)."""
        check_present(node, self._order)
        h = self._hash_fn(self._prefix[node] + key_bytes(key))
        return self._weighted(h, self._weights[node])

    def _weighted(self, h: int, weight: float) -> float:
        u = (h + 0.5) / self.hash.size             # strictly inside (0, 1)
        return -weight / math.log(u)

    def _uniform(self) -> bool:
        return len(set(self._weights.values())) <= 1

    def get_node(self, key: Any) -> Any:
        data = key_bytes(key)
        if not self._order:
            raise empty_error("the rendezvous hash")
        fn, prefix = self._hash_fn, self._prefix
        best, best_score = None, None
        if self._uniform():
            for node in self._order:
                s = fn(prefix[node] + data)
                if best_score is None or s > best_score:
                    best, best_score = node, s
            return best
        return self._ranked(data)[0]

    def _ranked(self, data: bytes) -> list:
        fn, prefix, weights = self._hash_fn, self._prefix, self._weights
        if self._uniform():
            scored = [(fn(prefix[n] + data), i, n) for i, n in enumerate(self._order)]
        else:
            scored = [(self._weighted(fn(prefix[n] + data), weights[n]), i, n)
                      for i, n in enumerate(self._order)]
        # Highest score first; equal scores (practically never) go to the smaller id.
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [n for _, _, n in scored]

    def get_nodes(self, key: Any, count: int) -> list:
        """The ``count`` highest-scoring distinct nodes: a preference list."""
        count = check_int("count", count, minimum=0)
        data = key_bytes(key)
        if not self._order:
            raise empty_error("the rendezvous hash")
        if count > len(self._order):
            raise ValueError(f"count={count} is more than the {len(self._order)} nodes "
                             f"({', '.join(map(repr, self._order))})")
        return self._ranked(data)[:count]

    def assign(self, keys: Iterable[Any]) -> list:
        return [self.get_node(k) for k in keys]

    def __repr__(self) -> str:
        return f"RendezvousHash(nodes={self._order!r}, hash={self.hash.name!r})"
