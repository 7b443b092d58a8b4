"""What every partitioner shares: the node-id rules and the lookup interface.

A *partitioner* decides which node a key lives on. All of them here
(``ModuloHash``, ``ConsistentHashRing``, ``RendezvousHash``, ``JumpHash``)
offer the same small interface, so ``dscourse.hashing.stats`` can measure any
of them:

* ``nodes``: the node ids, a tuple;
* ``get_node(key)``: the node that owns ``key`` (a ``str`` or ``bytes``);
* ``assign(keys)``: ``[get_node(k) for k in keys]``, faster;
* ``add_node(node)`` / ``remove_node(node)``: change the membership;
* ``copy()``: an independent copy, so a "before" and an "after" can be compared.

Node ids follow the simulator's rule: a ``str`` (non-empty) or an ``int``, all
of one type in one partitioner (``1`` and ``"1"`` would hash to the same
virtual-node names and sort badly together).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..sim.validate import check_known, check_node_id


class EmptyRingError(LookupError, ValueError):
    """A lookup on a partitioner that has no node (the course text's IllegalStateException)."""


def check_new_node(node: Any, existing: Iterable[Any], name: str = "node") -> Any:
    """``node`` is a valid id, of the same type as the others, and not yet present."""
    check_node_id(name, node)
    existing = list(existing)
    if node in existing:
        raise ValueError(f"{name}={node!r} is already present; each node can be added once "
                         f"(present: {', '.join(map(repr, existing))})")
    if existing and type(existing[0]) is not type(node):
        raise TypeError(f"{name}={node!r} is a {type(node).__name__}, but this partitioner's "
                        f"node ids are of type {type(existing[0]).__name__}; use one type")
    return node


def check_present(node: Any, existing: Iterable[Any], name: str = "node") -> Any:
    """``node`` is one of ``existing`` (the error lists the known nodes)."""
    return check_known(name, node, existing)


def check_distinct_nodes(nodes: Any, name: str = "nodes") -> list:
    """A list of distinct node ids of one type (order kept)."""
    if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
        raise TypeError(f"{name} must be a list of node ids, got {nodes!r}")
    out: list = []
    for i, node in enumerate(nodes):
        check_new_node(node, out, f"{name}[{i}]")
        out.append(node)
    return out


def empty_error(what: str) -> EmptyRingError:
    return EmptyRingError(f"{what} has no nodes: add a node before looking up keys")
