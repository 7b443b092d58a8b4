"""The safety requirements of consensus, as invariants over Paxos nodes.

Each is a predicate over ``{node_id: node}`` (what the model checker passes),
returning ``True`` or a message saying what broke; ``install(sim)`` registers
them on a simulator, where they are checked after every event. They read
durable storage, so a crashed node's decision still counts.

* **agreement**: no two learners decide different values;
* **validity**: a decided value is one some proposer proposed;
* **integrity**: a learner decides at most once;
* **one_value_chosen**: Lamport's own safety property, one level down: at most
  one value is ever *chosen*, i.e. accepted by a majority of acceptors in one
  ballot (it breaks as soon as acceptors do the wrong thing, before any
  learner hears of it, so counterexamples are shorter).

Termination, the fourth requirement, is a liveness property: no finite check
can refute it, and FLP shows no deterministic protocol guarantees it in an
asynchronous network with one crash. Tests measure it instead (decisions
within a time bound when the network behaves).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .paxos import majority


def decisions(nodes: Mapping[Any, Any]) -> dict:
    """learner id -> decided value, for the learners that decided (sorted by id)."""
    out = {}
    for nid in sorted(nodes, key=str):
        value = nodes[nid].ctx.storage.get("decided")
        if value is not None:
            out[nid] = value
    return out


def agreement(nodes: Mapping[Any, Any]) -> bool | str:
    values = {repr(n.ctx.storage["decided"]) for n in nodes.values()
              if n.ctx.storage.get("decided") is not None}
    if len(values) > 1:
        who = ", ".join(f"{n}={v!r}" for n, v in decisions(nodes).items())
        return f"learners decided different values: {who}"
    return True


def validity(nodes: Mapping[Any, Any]) -> bool | str:
    proposed = None
    for nid, value in decisions(nodes).items():
        if proposed is None:
            proposed = {repr(n.value) for n in nodes.values() if getattr(n, "value", None) is not None}
        if repr(value) not in proposed:
            return f"{nid} decided {value!r}, which no proposer proposed"
    return True


def integrity(nodes: Mapping[Any, Any]) -> bool | str:
    for nid in sorted(nodes, key=str):
        count = nodes[nid].ctx.storage.get("decisions", 0)
        if count > 1:
            return f"{nid} decided {count} times"
    return True


def chosen_values(nodes: Mapping[Any, Any]) -> dict:
    """ballot -> value for every ballot a majority of acceptors accepted (sorted by ballot)."""
    count: dict = {}
    quorum = None
    for node in nodes.values():
        votes = node.ctx.storage.get("votes")
        if votes:
            quorum = majority(len(node.acceptors))
            for vote in votes:
                count[vote] = count.get(vote, 0) + 1
    if quorum is None:
        return {}
    return {b: v for (b, v), c in sorted(count.items(), key=lambda bv: bv[0][0]) if c >= quorum}


def one_value_chosen(nodes: Mapping[Any, Any]) -> bool | str:
    values = set()
    count: dict = {}
    for node in nodes.values():
        for vote in node.ctx.storage.get("votes", ()):
            count[vote] = count.get(vote, 0) + 1
    if len(count) > 1:
        quorum = majority(len(next(iter(nodes.values())).acceptors))
        values = {repr(v) for (_, v), c in count.items() if c >= quorum}
    if len(values) > 1:
        shown = ", ".join(f"{v!r} in ballot {b}" for b, v in chosen_values(nodes).items())
        return f"two values chosen: {shown}"
    return True


INVARIANTS: dict[str, Callable] = {
    "agreement": agreement,
    "validity": validity,
    "integrity": integrity,
    "one_value_chosen": one_value_chosen,
}


def install(sim, names=None) -> None:
    """Check the Paxos invariants (all, or ``names``) on ``sim`` after every event."""
    for name in (sorted(INVARIANTS) if names is None else names):
        predicate = INVARIANTS[name]
        sim.add_invariant(name, lambda s, p=predicate: p(s.nodes))
