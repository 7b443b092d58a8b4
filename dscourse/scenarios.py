"""Named, seeded set-ups shared by notebooks and tests.

A scenario is a function ``build(seed) -> Simulator`` that adds the nodes of a
small system and no faults: faults come from a ``FaultPlan``, so the same
scenario serves a notebook's demonstration, a fault panel and a test. Look
them up by name with ``scenario(name, seed)``; ``SCENARIOS`` lists them, one
or more per topic (each built by its topic's own builder; nothing is
duplicated here). ``tests/test_determinism.py`` runs every one of them twice
per seed and checks the digests.
"""

from __future__ import annotations

from typing import Callable

from .basics import EchoClient, EchoServer, HeartbeatNode
from .consensus.paxos_compare import multipaxos_cluster
from .consensus.paxos_runs import paxos_sim
from .election import bully_cluster, lease_cluster, raft_cluster, zk_cluster
from .hashing.dynamo import dynamo_cluster
from .queues.sim import build_pipeline
from .replication import experiments
from .replication.client import Op, Workload
from .sim import Simulator, Uniform
from .sim.validate import check_int

SCENARIOS: dict[str, Callable[..., Simulator]] = {}


def register(name: str):
    def wrap(fn):
        SCENARIOS[name] = fn
        return fn
    return wrap


@register("heartbeat")
def heartbeat_cluster(seed: int = 0, n: int = 3, interval: float = 50.0,
                      timeout: float = 160.0) -> Simulator:
    """``n`` nodes (n1, n2, ...) running the heartbeat failure detector; 5-15 ms links."""
    check_int("n", n, minimum=1, maximum=26)
    sim = Simulator(seed=seed, latency=Uniform(5.0, 15.0))
    for i in range(1, n + 1):
        sim.add_node(HeartbeatNode(f"n{i}", interval=interval, timeout=timeout))
    return sim


@register("echo")
def echo_pair(seed: int = 0, count: int = 20, loss: float = 0.0) -> Simulator:
    """A client sending ``count`` requests to a server over a link with ``loss``."""
    sim = Simulator(seed=seed, latency=Uniform(5.0, 15.0), loss=loss)
    sim.add_node(EchoServer("server"))
    sim.add_node(EchoClient("client", "server", count=count))
    return sim


def _replicated(store: str, mix: tuple):
    def build(seed: int = 0, n: int = 3, **options) -> Simulator:
        options.setdefault("workload", Workload(mix=mix, count=20))
        return experiments.build(store, n, seed=seed, **options)
    build.__doc__ = (f"{store!r} replicas (n1, n2, ...) and clients running a random "
                     f"workload (dscourse.replication).")
    return build


for _store, _mix in (("cp-register", (("read", 1.0), ("write", 1.0))),
                     ("cp-counter", experiments.COUNTER_MIX),
                     ("lww", (("read", 1.0), ("write", 1.0))),
                     ("crdt-counter", experiments.COUNTER_MIX),
                     ("causal", (("read", 1.0), ("write", 1.0)))):
    register(_store)(_replicated(_store, _mix))

register("multipaxos")(lambda seed=0, n=5, **o: multipaxos_cluster(n, seed, **o))
@register("paxos")
def paxos_proposers(seed: int = 0, backoff: float | None = 20.0) -> Simulator:
    """Two proposers (p1 wants x, p2 wants y) and three acceptors; ``backoff=None`` duels."""
    return paxos_sim(proposers={"p1": "x", "p2": "y"}, learners=("p1", "p2"), seed=seed,
                     retry_timeout=25.0, backoff=backoff, start_delays={"p2": 10.0})


register("raft")(lambda seed=0, n=5, **o: raft_cluster(n, seed, **o))
register("queue")(lambda seed=0, **o: build_pipeline(seed, **o).sim)
register("dynamo")(lambda seed=1, **o: dynamo_cluster(
    seed, ops=o.pop("ops", [Op("write", f"k{i % 3}", i) if i % 2 == 0 else Op("read", f"k{i % 3}")
                            for i in range(12)]), **o))
register("bully")(lambda seed=0, n=5, **o: bully_cluster(n, seed, **o))
register("lease")(lambda seed=0, n=3, **o: lease_cluster(n, seed, **o))
register("zookeeper")(lambda seed=0, n=5, **o: zk_cluster(n, seed, **o))


def scenario(name: str, seed: int = 0, **options) -> Simulator:
    if name not in SCENARIOS:
        raise ValueError(f"name must be one of {sorted(SCENARIOS)}, got {name!r}")
    return SCENARIOS[name](seed, **options)
