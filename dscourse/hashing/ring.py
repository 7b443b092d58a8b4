"""Consistent hashing: a ring of virtual nodes, searched by bisection.

The ring is the range of a hash function, ``0 .. 2**32 - 1`` for the default
MD5 scheme, bent into a circle. Each physical node is placed at several
points on it, its *virtual nodes*: node ``A``'s virtual node ``i`` sits at
``hash("A-vn-i")``. A key sits at ``hash(key)`` and belongs to the first
virtual node *at or after* its position, walking clockwise and wrapping past
the top back to 0. This is exactly the course text's ``ConsistentHashRing``
(``ceilingEntry`` with a wrap to ``firstEntry``), so by default both give the
same answer for every key.

Why it helps: when a node joins, only the keys on the arcs just before its
new virtual nodes change owner; every other key stays. With ``n`` equal nodes
the newcomer takes about ``1/(n+1)`` of the keys (the course text says ``K/N``;
it is ``K/(N+1)``: the new node's share of the *new* cluster). When a node
leaves, only its own keys move, each to the next virtual node clockwise.

Why virtual nodes: one point per node cuts the circle into ``n`` arcs of very
unequal length. With ``V`` points per node a node's share is a sum of ``V``
arc lengths, and its spread (standard deviation over mean) falls like
``1/sqrt(V)``. Weights scale a node's count: weight 2 means twice the points,
so about twice the keys.

The data structure: two parallel Python lists, ``_positions`` (sorted ints)
and ``_owners``; a lookup is one hash and one ``bisect_left``. Adding a node
hashes only that node's virtual-node names and inserts them in place; nothing
else is recomputed. Removing deletes exactly that node's points.

Where this differs from the course text, on purpose:

* ``get_nodes(key, count)`` with ``count`` above the number of distinct nodes
  raises ``ValueError``; the text's loop never ends.
* Two virtual nodes that hash to the same position (rare with 32 bits, but it
  happens) are both kept, ordered by node id, so the ring depends only on the
  set of nodes, not on the order they joined. In the text, ``ring.put`` lets
  the later node overwrite the earlier one, and ``removeNode`` then deletes the
  point even though it belongs to the other node.
* Adding a node twice, removing an unknown node, zero or negative virtual-node
  counts or weights and keys that are not ``str``/``bytes`` raise clear errors.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..sim.validate import _describe, check_int, check_number
from .base import check_distinct_nodes, check_new_node, check_present, empty_error
from .hashes import _U32, HASHES, _md5, get_hash, key_bytes

DEFAULT_VNODES = 160
REFERENCE_NAME = "{node}-vn-{i}"


@dataclass(frozen=True)
class VirtualNode:
    position: int
    node: Any
    index: int


@dataclass(frozen=True)
class Arc:
    """The keys in ``(start, end]`` (wrapping past the top) belong to ``node``."""
    start: int
    end: int
    node: Any
    length: int


class ConsistentHashRing:
    """A consistent-hash ring with virtual nodes and weights.

    Parameters
    ----------
    nodes : iterable of node ids, optional
        Nodes to add, each with weight 1.
    vnodes : int
        Virtual nodes per node of weight 1 (default 160).
    hash : str or HashFunction
        ``"md5"`` (default, the course text's scheme) or another name in
        ``dscourse.hashing.hashes.HASHES``.
    vnode_name : str
        How a virtual node's name is spelled before hashing; must contain
        ``{node}`` and ``{i}``. Default ``"{node}-vn-{i}"``, as in the text.
    weights : dict, optional
        Weight per node in ``nodes`` (default 1 each).
    """

    def __init__(self, nodes: Iterable[Any] = (), vnodes: int = DEFAULT_VNODES, *,
                 hash: Any = "md5", vnode_name: str = REFERENCE_NAME,
                 weights: dict | None = None) -> None:
        self._vnodes = check_int("vnodes", vnodes, minimum=1)
        self.hash = get_hash(hash)
        self.vnode_name = _check_template(vnode_name)
        self._hash_fn = self.hash.fn
        self._inline_md5 = self.hash is HASHES["md5"]
        self._positions: list[int] = []
        self._owners: list[Any] = []
        self._points: dict[Any, list[int]] = {}     # node -> positions, by vnode index
        self._weights: dict[Any, float] = {}
        nodes = check_distinct_nodes(nodes)
        weights = dict(weights or {})
        for extra in sorted(set(weights) - set(nodes), key=str):
            raise ValueError(f"weights names {extra!r}, which is not in nodes")
        for node in nodes:
            self.add_node(node, weights.get(node, 1.0))

    # ------------------------------------------------------------ membership
    @property
    def nodes(self) -> tuple:
        """The physical nodes, sorted."""
        return tuple(sorted(self._points))

    @property
    def vnodes(self) -> int:
        """Virtual nodes for a node of weight 1."""
        return self._vnodes

    @property
    def size(self) -> int:
        """Number of positions on the ring (``2**32`` for MD5)."""
        return self.hash.size

    def __len__(self) -> int:
        return len(self._points)

    def __contains__(self, node: Any) -> bool:
        return node in self._points

    def weight(self, node: Any) -> float:
        check_present(node, self._points)
        return self._weights[node]

    def vnode_count(self, node: Any) -> int:
        check_present(node, self._points)
        return len(self._points[node])

    def add_node(self, node: Any, weight: float = 1.0) -> None:
        """Place ``node``'s virtual nodes; only keys on their arcs change owner."""
        check_new_node(node, self._points)
        count = self._count_for("weight", weight)
        self._weights[node] = float(weight)
        self._points[node] = []
        self._grow(node, count)

    def remove_node(self, node: Any) -> None:
        """Take ``node``'s virtual nodes off; its keys go to their clockwise successors."""
        check_present(node, self._points)
        self._shrink(node, 0)
        del self._points[node]
        del self._weights[node]

    def set_weight(self, node: Any, weight: float) -> None:
        """Change a node's weight by adding or removing only the difference in points."""
        check_present(node, self._points)
        count = self._count_for("weight", weight)
        self._weights[node] = float(weight)
        self._resize(node, count)

    def set_vnodes(self, vnodes: int) -> None:
        """Change the virtual-node count; points ``0..c-1`` are kept, so few keys move."""
        vnodes = check_int("vnodes", vnodes, minimum=1)
        counts = {n: _rounded(vnodes * w) for n, w in self._weights.items()}
        for node in sorted(counts):
            if counts[node] < 1:
                raise ValueError(f"vnodes={vnodes} gives node {node!r} (weight "
                                 f"{self._weights[node]:g}) no virtual node")
        self._vnodes = vnodes
        for node in sorted(counts):
            self._resize(node, counts[node])

    def copy(self) -> ConsistentHashRing:
        twin = ConsistentHashRing.__new__(ConsistentHashRing)
        twin.__dict__.update(self.__dict__)
        twin._positions = list(self._positions)
        twin._owners = list(self._owners)
        twin._points = {n: list(p) for n, p in self._points.items()}
        twin._weights = dict(self._weights)
        return twin

    def _count_for(self, name: str, weight: Any) -> int:
        weight = check_number(name, weight, minimum=0.0, strict_min=True)
        count = _rounded(self._vnodes * weight)
        if count < 1:
            raise ValueError(f"{name}={weight:g} gives no virtual node at vnodes={self._vnodes}; "
                             f"use a weight of at least {0.5 / self._vnodes:g}")
        return count

    def _resize(self, node: Any, count: int) -> None:
        have = len(self._points[node])
        if count > have:
            self._grow(node, count)
        elif count < have:
            self._shrink(node, count)

    def _grow(self, node: Any, count: int) -> None:
        points = self._points[node]
        positions, owners = self._positions, self._owners
        # The course's own hash functions are trusted; a hand-made one is range-checked.
        fn = self._hash_fn if HASHES.get(self.hash.name) is self.hash else self.hash.checked
        template = self.vnode_name
        new = [fn(template.format(node=node, i=i).encode("utf-8"))
               for i in range(len(points), count)]
        points.extend(new)
        for pos in new:
            # Insert in place; equal positions are ordered by node id, so the
            # ring does not depend on the order in which nodes joined.
            j = bisect_left(positions, pos)
            while j < len(positions) and positions[j] == pos and owners[j] < node:
                j += 1
            positions.insert(j, pos)
            owners.insert(j, node)

    def _shrink(self, node: Any, count: int) -> None:
        points = self._points[node]
        positions, owners = self._positions, self._owners
        while len(points) > count:
            pos = points.pop()
            j = bisect_left(positions, pos)
            while owners[j] != node:       # skip other nodes' points at the same position
                j += 1
            del positions[j]
            del owners[j]

    # --------------------------------------------------------------- lookups
    def key_position(self, key: Any) -> int:
        """Where ``key`` sits on the ring."""
        return self._hash_fn(key_bytes(key))

    def lookup(self, position: int) -> Any:
        """The owner of a ring position: the first virtual node at or after it, wrapping."""
        owners = self._owners
        if not owners:
            raise empty_error("the ring")
        i = bisect_left(self._positions, position)
        return owners[i] if i < len(owners) else owners[0]

    def get_node(self, key: Any) -> Any:
        """The node that owns ``key`` (a ``str`` or ``bytes``)."""
        # The hot path: one hash, one bisection. Type checks only when needed.
        try:
            data = key.encode()
        except (AttributeError, UnicodeEncodeError):
            data = key_bytes(key)         # bytes, a lone surrogate, or a TypeError
        # The default scheme is md5_32, inlined here: one Python call less per lookup.
        h = _U32(_md5(data).digest())[0] if self._inline_md5 else self._hash_fn(data)
        owners = self._owners
        try:
            return owners[bisect_left(self._positions, h)]
        except IndexError:          # past the last point: wrap around to the first
            if not owners:
                raise empty_error("the ring") from None
            return owners[0]

    def assign(self, keys: Iterable[Any]) -> list:
        """The owner of every key, in order."""
        return [self.get_node(k) for k in keys]

    def assign_hashes(self, hashes: Iterable[int]) -> list:
        """The owner of every ring position (keys hashed once with ``hash_keys``)."""
        owners, positions = self._owners, self._positions
        if not owners:
            raise empty_error("the ring")
        last = len(owners)
        first = owners[0]
        out = []
        append = out.append
        for h in hashes:
            i = bisect_left(positions, h)
            append(owners[i] if i < last else first)
        return out

    def walk(self, key: Any) -> Iterator[Any]:
        """The distinct physical nodes met walking clockwise from ``key``: each once."""
        if not self._owners:
            raise empty_error("the ring")
        return self._walk(self.key_position(key))

    def _walk(self, h: int) -> Iterator[Any]:
        positions, owners = self._positions, self._owners
        n = len(owners)
        start = bisect_left(positions, h)
        seen: set = set()
        for step in range(n):                   # at most one lap: this always ends
            node = owners[(start + step) % n]
            if node not in seen:
                seen.add(node)
                yield node
                if len(seen) == len(self._points):
                    return

    def get_nodes(self, key: Any, count: int) -> list:
        """``count`` distinct physical nodes clockwise from ``key``: its preference list.

        Raises ``ValueError`` when ``count`` exceeds the number of distinct
        nodes (the course text's ``getNodes`` would loop forever).
        """
        count = check_int("count", count, minimum=0)
        h = self.key_position(key)
        distinct = len(self._points)
        if not distinct:
            raise empty_error("the ring")
        if count > distinct:
            raise ValueError(f"count={count} is more than the {distinct} distinct nodes on the "
                             f"ring ({', '.join(map(repr, self.nodes))}); a key cannot have "
                             f"{count} different replicas")
        out = []
        for node in self._walk(h):
            if len(out) == count:
                break
            out.append(node)
        return out

    # ------------------------------------------------------------- geometry
    def points(self) -> list[VirtualNode]:
        """Every virtual node in ring order (what a drawing shows)."""
        index = {}
        for node, positions in self._points.items():
            for i, pos in enumerate(positions):
                index.setdefault((pos, node), []).append(i)
        out = []
        for pos, node in zip(self._positions, self._owners):
            out.append(VirtualNode(pos, node, index[(pos, node)].pop(0)))
        return out

    def arcs(self) -> list[Arc]:
        """The arc each virtual node owns, in ring order (the first one wraps)."""
        positions, owners, size = self._positions, self._owners, self.size
        out = []
        for j, (pos, node) in enumerate(zip(positions, owners)):
            prev = positions[j - 1] if j else positions[-1] - size
            out.append(Arc(prev % size, pos, node, pos - prev))
        return out

    def ownership(self) -> dict:
        """Each node's exact share of the ring (fractions summing to 1)."""
        positions, owners = self._positions, self._owners
        if not owners:
            raise empty_error("the ring")
        share = dict.fromkeys(self.nodes, 0)
        prev = positions[-1] - self.size          # the first arc wraps past the top
        for pos, node in zip(positions, owners):
            share[node] += pos - prev
            prev = pos
        return {n: share[n] / self.size for n in self.nodes}

    def __repr__(self) -> str:
        return (f"ConsistentHashRing(nodes={list(self.nodes)!r}, vnodes={self._vnodes}, "
                f"hash={self.hash.name!r}, points={len(self._positions)})")


def _rounded(x: float) -> int:
    return int(math.floor(x + 0.5))


def _check_template(template: Any) -> str:
    if not isinstance(template, str):
        raise TypeError(f"vnode_name must be a str such as {REFERENCE_NAME!r}, got "
                        f"{_describe(template)}")
    try:
        a = template.format(node="a", i=0)
        b = template.format(node="a", i=1)
        c = template.format(node="b", i=0)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"vnode_name={template!r} must use only {{node}} and {{i}}: {exc}") from None
    if len({a, b, c}) < 3:
        raise ValueError(f"vnode_name={template!r} must contain both {{node}} and {{i}}, "
                         f"or every virtual node gets the same name")
    return template
