"""Named, seeded Paxos runs shared by the notebook and the tests.

* ``paxos_sim``: acceptors and proposers on a simulator, invariants installed;
* ``lone_proposer``, ``crash_mid_round``, ``duel``: the notebook's scenarios;
* ``random_run``: one random fault schedule (crashes with recovery,
  partitions, loss, duplication, pauses), for seed sweeps;
* ``first_violation``: the first seed whose random run breaks an invariant.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..sim import Constant, FaultPlan, Simulator, Uniform, random_plan
from ..sim.rng import Seed, make_rng
from ..sim.validate import check_int, check_node_id
from . import paxos_invariants
from .paxos import PaxosNode, check_members


def paxos_sim(acceptors: Iterable[Any] = ("a1", "a2", "a3"),
              proposers: Mapping[Any, Any] | None = None, *, learners: Iterable[Any] | None = None,
              seed: Seed = None, node_class: type = PaxosNode, retry_timeout: float = 100.0,
              backoff: float | None = None, start_delays: Mapping[Any, float] | None = None,
              latency: Any = None, **network: Any) -> Simulator:
    """A Paxos system with the four invariants checked after every event.

    ``proposers`` maps proposer ids to their values (default ``{"p1": "x"}``);
    a proposer may also be an acceptor. Learners default to every node.
    """
    acceptors = check_members("acceptors", acceptors)
    proposers = _proposers({"p1": "x"} if proposers is None else proposers)
    if not (isinstance(node_class, type) and issubclass(node_class, PaxosNode)):
        raise TypeError(f"node_class must be PaxosNode or a subclass, got {node_class!r}")
    ids = sorted(set(acceptors) | set(proposers), key=str)
    learners = ids if learners is None else check_members("learners", learners)
    for lid in learners:
        if lid not in ids:
            raise ValueError(f"learner {lid!r} is neither an acceptor nor a proposer; nodes: {ids}")
    delays = dict(start_delays or {})
    for pid in delays:
        if pid not in proposers:
            raise ValueError(f"start_delays names {pid!r}, which is not a proposer {sorted(proposers)}")
    sim = Simulator(seed=seed, latency=Uniform(1.0, 10.0) if latency is None else latency, **network)
    for nid in ids:
        sim.add_node(node_class(nid, acceptors, learners, proposers.get(nid),
                                retry_timeout=retry_timeout, backoff=backoff,
                                start_delay=delays.get(nid, 0.0)))
    paxos_invariants.install(sim)
    return sim


def _proposers(proposers: Any) -> dict:
    """A dict proposer id -> value, from a dict or from (id, value) pairs without repeats."""
    if isinstance(proposers, Mapping):
        pairs = list(proposers.items())
    elif isinstance(proposers, Iterable) and not isinstance(proposers, (str, bytes)):
        pairs = list(proposers)
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError(f"proposers must map ids to values, or be (id, value) pairs; "
                                f"got {pair!r}")
    else:
        raise TypeError(f"proposers must map proposer ids to values, got {proposers!r}")
    if not pairs:
        raise ValueError("proposers must name at least one proposer and its value")
    out: dict = {}
    for pid, value in pairs:
        check_node_id("proposers", pid)
        if pid in out:
            raise ValueError(f"proposers names {pid!r} twice; proposer ids must be unique "
                             f"(they break ties between ballots)")
        if value is None:
            raise ValueError(f"proposer {pid!r} needs a value to propose, got None")
        out[pid] = value
    return out


def first_decision(sim: Simulator) -> tuple | None:
    """(time, learner, value) of the first decision in the trace, or None."""
    for r in sim.trace.select("state"):
        if "decided" in r.data:
            return r.time, r.node, r.data["decided"]
    return None


def lone_proposer(seed: Seed = 0) -> Simulator:
    """One proposer, three acceptors, a reliable network: Paxos message by message."""
    sim = paxos_sim(proposers={"p1": "x"}, learners=("p1",), seed=seed, latency=Constant(10.0))
    sim.run(until=200.0)
    return sim


def crash_mid_round(seed: Seed = 0) -> Simulator:
    """``p1`` crashes after its Accept reached one acceptor; ``p2`` takes over later.

    ``p2`` must propose ``x``, the value ``a1`` accepted, not its own ``y``:
    a majority may already have accepted ``x`` for all ``p2`` can tell.
    """
    sim = paxos_sim(proposers={"p1": "x", "p2": "y"}, learners=("p1", "p2"),
                    start_delays={"p2": 100.0}, seed=seed, latency=Constant(10.0))
    # p1's Accepts leave at t=20; cut p1 off from a2 and a3 first, then crash it.
    FaultPlan().partition_oneway(["p1"], ["a2", "a3"], at=15.0).crash("p1", at=25.0) \
        .heal(at=30.0).apply(sim)
    sim.run(until=400.0)
    return sim


def duel(backoff: float | None = None, seed: Seed = 0, until: float = 2000.0) -> Simulator:
    """Duelling proposers: each retries too soon and pre-empts the other.

    Links take 10 ms, the retry timeout is 25 ms (shorter than the 40 ms a
    round takes) and ``p2`` starts 10 ms after ``p1``: each new Prepare lands
    just before the rival's Accept. With ``backoff`` each retry first waits a
    random time, which breaks the symmetry.
    """
    sim = paxos_sim(proposers={"p1": "x", "p2": "y"}, learners=("p1", "p2"), seed=seed,
                    latency=Constant(10.0), retry_timeout=25.0, backoff=backoff,
                    start_delays={"p2": 10.0})
    sim.run(until=until)
    return sim


def random_run(seed: Seed = None, *, node_class: type = PaxosNode, duration: float = 800.0,
               settle: float = 3000.0) -> Simulator:
    """One random Paxos system under one random fault schedule, then a quiet period.

    3 or 5 acceptors; one to three proposers (some of them acceptors too); the
    nemesis crashes (a minority, with recovery from storage), partitions,
    pauses, loses, duplicates and reorders messages for ``duration`` ms, then
    everything heals and the run goes on for ``settle`` ms.
    """
    rng = make_rng(seed)
    n = rng.choice((3, 5))
    acceptors = [f"a{i}" for i in range(1, n + 1)]
    k = rng.randint(1, 3)
    pids = rng.sample(acceptors[:2] + ["p1", "p2", "p3"], k)
    proposers = {pid: f"v{i}" for i, pid in enumerate(sorted(pids))}
    sim = paxos_sim(acceptors, proposers, seed=rng.getrandbits(32), node_class=node_class,
                    retry_timeout=rng.choice((20.0, 40.0, 80.0)), backoff=20.0,
                    start_delays={pid: rng.uniform(0, 0.75 * duration) for pid in proposers})
    plan = random_plan(sim.node_ids, rng.getrandbits(32), duration=duration, mean_gap=40.0,
                       kinds=("crash", "partition", "pause", "loss", "duplicate"),
                       downtime=(20.0, 300.0), pause_time=(10.0, 150.0))
    plan.apply(sim)
    sim.run(until=duration + settle)
    return sim


def first_violation(node_class: type, seeds: Iterable[int]) -> tuple | None:
    """(seed, Violation) for the first seed whose ``random_run`` breaks an invariant."""
    for seed in seeds:
        check_int("seed", seed)
        sim = random_run(seed, node_class=node_class, settle=500.0)
        if sim.violations:
            return seed, sim.violations[0]
    return None
