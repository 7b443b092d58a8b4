"""A Dynamo-style key-value store: the ring places the data, quorums replicate it.

DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store" (SOSP
2007), section 4. Every node builds the same ``ConsistentHashRing`` of the
cluster. A key's **preference list** is the ring walked clockwise from the
key, one entry per distinct physical node (``ring.get_nodes``): its first
``n`` nodes are the key's *home* replicas, the rest are stand-ins.

The replication protocol is not written here: ``DynamoNode`` is a
``dscourse.replication.quorum.QuorumNode`` (the consistency chapter's quorum
code, written once) whose ``preference_list`` hook is the ring. So a read
asks the ``n`` home replicas and waits for ``r`` answers, a write waits for
``w`` acknowledgements, and the Dynamo mechanisms are that module's options,
switched on here:

* **sloppy quorum** (Dynamo 4.6): a home replica that has not answered after
  ``sloppy_after`` ms is replaced by the next healthy node of the preference
  list beyond the first ``n``. The stand-in keeps the value *as a hint* for
  the replica it stands in for, so ``w`` acknowledgements arrive even with
  home replicas down: the store stays writable.
* **hinted handoff**: a stand-in re-sends its hints to the intended replica
  every ``handoff_interval`` ms until one is acknowledged, then drops them;
  once the replica is back, the data is where it belongs.
* **read repair** (Dynamo 5): after a read, replicas that answered with an
  older state are sent the merged one.

A sloppy quorum is not a quorum: ``r + w > n`` no longer guarantees that a
read meets the latest write, because the write may sit on stand-ins the read
does not ask. Dynamo accepts that and resolves conflicts with vector clocks:
the default ``SiblingsPolicy`` keeps concurrent writes side by side (any
``dscourse.replication.policies.Policy`` can be passed instead).

``dynamo_cluster`` builds a simulator with ``n`` and the mechanisms chosen,
plus a client; ``availability`` runs one write and one read with home
replicas down and reports what happened (the notebook's table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..replication.client import Client, Op
from ..replication.policies import Policy, SiblingsPolicy
from ..replication.quorum import QuorumNode
from ..sim import Simulator, Uniform
from ..sim.rng import Seed
from ..sim.validate import check_int
from .ring import ConsistentHashRing

DEFAULT_NODES = ("A", "B", "C", "D", "E")
CART = "cart:alice"


class DynamoNode(QuorumNode):
    """A storage node of a Dynamo-style store: quorum replication placed by a ring.

    Parameters
    ----------
    node_id : node id
    nodes : list of node ids
        Every storage node (all nodes build the same ring from it).
    vnodes : int
        Virtual nodes per storage node on the ring.
    n, r, w : int
        Replicas per key, read quorum, write quorum.
    sloppy, hinted_handoff, read_repair : bool
        Dynamo's mechanisms (all on by default); see the module docstring.
    **options
        Passed on to ``QuorumNode`` (``timeout``, ``sloppy_after``,
        ``handoff_interval``, ``anti_entropy_interval``, ``record``).
    """

    def __init__(self, node_id: Any, nodes: Iterable[Any], *, vnodes: int = 8, n: int = 3,
                 r: int = 2, w: int = 2, policy: Policy | None = None, sloppy: bool = True,
                 hinted_handoff: bool = True, read_repair: bool = True, hash: Any = "md5",
                 **options: Any) -> None:
        nodes = list(nodes)
        self.ring = ConsistentHashRing(nodes, vnodes, hash=hash)
        super().__init__(node_id, nodes, policy if policy is not None else SiblingsPolicy(),
                         n=n, r=r, w=w, preference_list=self.ring_order, sloppy=sloppy,
                         hinted_handoff=hinted_handoff, read_repair=read_repair, **options)
        if node_id not in self.ring:
            raise ValueError(f"node_id={node_id!r} is not one of nodes "
                             f"({', '.join(map(repr, self.ring.nodes))})")

    def ring_order(self, key: Any) -> list:
        """The preference list: every node, clockwise from ``key`` (home replicas first)."""
        return self.ring.get_nodes(key, len(self.ring))


def preference_list(nodes: Iterable[Any], key: Any, n: int, *, vnodes: int = 8,
                    hash: Any = "md5") -> list:
    """The ``n`` home replicas of ``key`` in a cluster of ``nodes`` (as every node computes it)."""
    return ConsistentHashRing(list(nodes), vnodes, hash=hash).get_nodes(key, n)


def dynamo_cluster(seed: Seed = 1, *, nodes: Sequence[Any] = DEFAULT_NODES,
                   ops: Sequence[Op] = (), coordinator: Any = None, client_timeout: float = 600.0,
                   latency: Any = None, **node_options: Any) -> Simulator:
    """A simulator with one ``DynamoNode`` per id in ``nodes`` and a client ``"client"``.

    The client runs ``ops`` (``dscourse.replication.client.Op``, keyed
    history) against ``coordinator`` (default: the first node); an op's
    ``target`` overrides it.
    """
    sim = Simulator(seed=seed, latency=latency if latency is not None else Uniform(1, 10))
    for node in nodes:
        sim.add_node(DynamoNode(node, nodes, **node_options))
    target = nodes[0] if coordinator is None else coordinator
    if target not in nodes:
        raise ValueError(f"coordinator={target!r} is not one of nodes "
                         f"({', '.join(map(repr, nodes))})")
    sim.add_node(Client("client", [target], list(ops), keyed=True, timeout=client_timeout,
                        think=1.0))
    return sim


def shopping_cart(seed: Seed = 1, **node_options: Any) -> Simulator:
    """The notebook's fault-panel scenario: five nodes, one shopping cart, a client.

    The client talks to the cart's first home replica and, every 200 ms from
    t = 100, alternately writes (``book``, ``pen``, ``lamp``) and reads
    ``cart:alice``; from t = 1100 it only reads. Crash home replicas in the
    panel and watch stand-ins take hints, then recover them and watch the
    hints go home.
    """
    home = preference_list(DEFAULT_NODES, CART, 3)
    ops = [Op("write", CART, "book", at=100.0), Op("read", CART, at=300.0),
           Op("write", CART, "pen", at=500.0), Op("read", CART, at=700.0),
           Op("write", CART, "lamp", at=900.0), Op("read", CART, at=1100.0),
           Op("read", CART, at=1500.0), Op("read", CART, at=1900.0)]
    return dynamo_cluster(seed, ops=ops, coordinator=home[0], **node_options)


def sloppy_stale_read(seed: Seed = 1, *, sloppy: bool = True,
                      handoff_interval: float = 10_000.0) -> Simulator:
    """A sloppy quorum is not a quorum: an acknowledged write that a later read misses.

    At t = 0 the cart's home replicas 2 and 3 crash; at t = 10 a write goes to
    home replica 1 and, sloppily, to two stand-ins (w = 2 is met). At t = 200
    replicas 2 and 3 come back (hints not yet handed off) and replica 1
    crashes; at t = 400 a read through replica 2 asks the three home
    replicas, hears r = 2 answers, both empty, and returns nothing. With
    ``sloppy=False`` the write is not acknowledged in the first place.
    """
    home = preference_list(DEFAULT_NODES, CART, 3)
    ops = [Op("write", CART, "book", at=10.0), Op("read", CART, at=400.0, target=home[1])]
    sim = dynamo_cluster(seed, ops=ops, coordinator=home[0], sloppy=sloppy,
                         handoff_interval=handoff_interval)
    for node in home[1:]:
        sim.at(0.0, sim.crash, node)
        sim.at(200.0, sim.recover, node)
    sim.at(200.0, sim.crash, home[0])
    sim.run(until=800.0)
    return sim


@dataclass(frozen=True)
class Availability:
    """One write then one read of ``key`` while ``down`` home replicas are crashed."""
    down: tuple
    sloppy: bool
    write: str               # client outcome: ok / fail / info
    read: str
    read_value: Any
    holders: tuple           # nodes whose own data holds the written value at the end
    hinted: tuple            # (stand-in, intended replica) hints still held at the end


def availability(down: int, *, sloppy: bool, key: str = "cart:alice", value: str = "book",
                 seed: Seed = 1, nodes: Sequence[Any] = DEFAULT_NODES, n: int = 3, r: int = 2,
                 w: int = 2, vnodes: int = 8, recover_at: float | None = None,
                 until: float = 1500.0, **node_options: Any) -> Availability:
    """Crash the last ``down`` home replicas of ``key``, write it, read it, look at the replicas.

    The client talks to the key's first home replica (Dynamo's coordinator),
    which stays up. With ``recover_at`` the crashed replicas come back then,
    and hinted handoff has ``until`` to deliver.
    """
    home = preference_list(nodes, key, n, vnodes=vnodes)
    down = check_int("down", down, minimum=0, maximum=n - 1)
    crashed = tuple(home[n - down:]) if down else ()
    ops = [Op("write", key, value, at=10.0), Op("read", key, at=400.0)]
    sim = dynamo_cluster(seed, nodes=nodes, ops=ops, coordinator=home[0], n=n, r=r, w=w,
                         vnodes=vnodes, sloppy=sloppy, **node_options)
    for node in crashed:
        sim.at(0.0, sim.crash, node)
        if recover_at is not None:
            sim.at(recover_at, sim.recover, node)
    sim.run(until=until)
    client = sim.node("client")
    outcomes = {op.f: (outcome, value) for op, outcome, value, _error, _t in client.results}
    read_outcome, read_value = outcomes.get("read", ("info", None))
    holders, hinted = replicas_holding(sim, key, value)
    return Availability(crashed, sloppy, outcomes.get("write", ("info", None))[0], read_outcome,
                        read_value, holders, hinted)


def replicas_holding(sim: Simulator, key: Any, value: Any) -> tuple[tuple, tuple]:
    """Which storage nodes hold ``value`` for ``key``: in their own data, and as hints."""
    holders, hinted = [], []
    for node_id in sim.node_ids:
        node = sim.node(node_id)
        if not isinstance(node, DynamoNode):
            continue
        storage = sim.storage(node_id)        # durable: readable even while the node is down
        state = storage.get("data", {}).get(key)
        if state is not None and value in _values(node.policy.value(state)):
            holders.append(node_id)
        for (target, k), hint in sorted(storage.get("hints", {}).items(), key=repr):
            if k == key and value in _values(node.policy.value(hint)):
                hinted.append((node_id, target))
    return tuple(holders), tuple(hinted)


def _values(value: Any) -> list:
    return list(value) if isinstance(value, list) else [value]
