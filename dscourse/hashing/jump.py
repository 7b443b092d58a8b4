"""Jump consistent hash (Lamping and Veach, 2014, "A Fast, Minimal Memory,
Consistent Hash Algorithm").

``jump_hash(key, n)`` maps a 64-bit key to a bucket in ``0 .. n-1`` with no
table at all, in ``O(ln n)`` steps. Think of the buckets being added one at a
time: when bucket ``j`` is added, each key jumps to it with probability
``1/(j+1)``, exactly the share a newcomer should take, and otherwise stays.
Instead of trying every ``j``, the algorithm draws (from a generator seeded
by the key) the next ``j`` at which this key jumps, so it skips straight
there. The result: perfect balance and the ideal ``1/(n+1)`` movement on a
join, with no memory and no virtual nodes.

What it cannot do: buckets are the numbers ``0 .. n-1``. You can add bucket
``n`` or remove bucket ``n-1``, nothing else. Removing an arbitrary node
(a server that crashed in the middle of the list) is impossible without
renumbering, and renumbering moves keys that had nothing to do with it. There
are no weights either. It suits data stores that grow and shrink at the end
(and replicate each bucket) better than caches whose members fail at random.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..sim.validate import check_int
from .base import check_distinct_nodes, check_new_node, check_present, empty_error
from .hashes import get_hash, key_bytes

_MASK64 = (1 << 64) - 1
_LCG = 2862933555777941757          # the 64-bit linear congruential generator of the paper


def jump_hash(key: int, num_buckets: int) -> int:
    """The bucket (``0 .. num_buckets-1``) of a 64-bit integer ``key``."""
    key = check_int("key", key, minimum=0, maximum=_MASK64)
    check_int("num_buckets", num_buckets, minimum=1)
    return jump_consistent_hash(key, num_buckets)


def jump_consistent_hash(key: int, num_buckets: int) -> int:
    """The paper's function, line for line (unchecked: ``jump_hash`` validates first)."""
    b, j = -1, 0
    while j < num_buckets:
        b = j
        key = (key * _LCG + 1) & _MASK64
        # The next bucket count at which this key jumps: (b + 1) / r with r uniform in (0, 1].
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


class JumpHash:
    """Jump hashing over a list of nodes: node ``i`` is bucket ``i``.

    Keys are hashed to 64 bits first (default ``"md5_64"``, the first eight
    bytes of MD5).
    """

    def __init__(self, nodes: Iterable[Any] = (), *, hash: Any = "md5_64") -> None:
        self.hash = get_hash(hash)
        self._hash_fn = self.hash.fn
        if self.hash.bits > 64:
            raise ValueError(f"hash={self.hash.name!r} gives {self.hash.bits} bits; jump hash "
                             f"needs at most 64")
        self._nodes = check_distinct_nodes(nodes)

    @property
    def nodes(self) -> tuple:
        """The nodes in bucket order."""
        return tuple(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def add_node(self, node: Any) -> None:
        """Add a node as the next bucket: about ``1/(n+1)`` of the keys jump to it."""
        check_new_node(node, self._nodes)
        self._nodes.append(node)

    def remove_node(self, node: Any) -> None:
        """Remove the *last* node. Any other node cannot be removed: see the module doc."""
        check_present(node, self._nodes)
        if node != self._nodes[-1]:
            raise ValueError(
                f"jump hash cannot remove node={node!r}: it is bucket "
                f"{self._nodes.index(node)} of {len(self._nodes)}, and only the last bucket "
                f"({self._nodes[-1]!r}) can go. Renumbering the others would move keys that "
                f"never lived on {node!r}; use a ring or rendezvous hashing if arbitrary "
                f"nodes can leave")
        self._nodes.pop()

    def copy(self) -> JumpHash:
        return JumpHash(self._nodes, hash=self.hash)

    def key_position(self, key: Any) -> int:
        return self._hash_fn(key_bytes(key))

    def get_node(self, key: Any) -> Any:
        nodes = self._nodes
        if not nodes:
            raise empty_error("the jump hash")
        return nodes[jump_consistent_hash(self.key_position(key), len(nodes))]

    def assign(self, keys: Iterable[Any]) -> list:
        return self.assign_hashes(self.key_position(k) for k in keys)

    def assign_hashes(self, hashes: Iterable[int]) -> list:
        nodes = self._nodes
        if not nodes:
            raise empty_error("the jump hash")
        n = len(nodes)
        return [nodes[jump_consistent_hash(h, n)] for h in hashes]

    def __repr__(self) -> str:
        return f"JumpHash(nodes={self._nodes!r}, hash={self.hash.name!r})"
