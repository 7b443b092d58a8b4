"""Modulo hashing, ``server = hash(key) mod n``: the baseline that breaks on resize.

It balances well and costs one hash, but the owner of *every* key depends on
``n``. Going from ``n - 1`` to ``n`` servers, a key stays put only when
``h mod (n-1) == h mod n``. Because ``n - 1`` and ``n`` share no factor, the
pair ``(h mod (n-1), h mod n)`` takes each of its ``(n-1) * n`` possible values
equally often as ``h`` runs over ``n(n-1)`` consecutive numbers (the Chinese
remainder theorem). The two remainders are equal for only ``n - 1`` of those
pairs (both ``r``, for ``r < n - 1``): probability ``(n-1) / (n(n-1)) = 1/n``.
So a fraction ``(n-1)/n`` of all keys moves: three quarters going from 3 to 4
servers (a key keeps its server only when ``h mod 12`` is 0, 1 or 2), 99%
going from 99 to 100. A cache in front of a database loses nearly every
entry at once.

Removing a server from the middle of the list is worse still: every later
server's index shifts, so even the arithmetic above is optimistic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .base import check_distinct_nodes, check_new_node, check_present, empty_error
from .hashes import get_hash, key_bytes


class ModuloHash:
    """``nodes[hash(key) % len(nodes)]``, with nodes kept in the order given."""

    def __init__(self, nodes: Iterable[Any] = (), *, hash: Any = "md5") -> None:
        self.hash = get_hash(hash)
        self._hash_fn = self.hash.fn
        self._nodes = check_distinct_nodes(nodes)

    @property
    def nodes(self) -> tuple:
        """The servers, in list order (the order decides who gets which remainder)."""
        return tuple(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def add_node(self, node: Any) -> None:
        """Append a server: ``n`` grows, so almost every key's remainder changes."""
        check_new_node(node, self._nodes)
        self._nodes.append(node)

    def remove_node(self, node: Any) -> None:
        check_present(node, self._nodes)
        self._nodes.remove(node)

    def copy(self) -> ModuloHash:
        return ModuloHash(self._nodes, hash=self.hash)

    def key_position(self, key: Any) -> int:
        return self._hash_fn(key_bytes(key))

    def get_node(self, key: Any) -> Any:
        nodes = self._nodes
        if not nodes:
            raise empty_error("the modulo hash")
        return nodes[self.key_position(key) % len(nodes)]

    def assign(self, keys: Iterable[Any]) -> list:
        return [self.get_node(k) for k in keys]

    def assign_hashes(self, hashes: Iterable[int]) -> list:
        """The server of every key hash (keys hashed once with ``hash_keys``)."""
        nodes = self._nodes
        if not nodes:
            raise empty_error("the modulo hash")
        n = len(nodes)
        return [nodes[h % n] for h in hashes]

    def __repr__(self) -> str:
        return f"ModuloHash(nodes={self._nodes!r}, hash={self.hash.name!r})"
