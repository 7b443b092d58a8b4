"""Paxos and Raft, measured side by side (the course text's table, corrected).

The course text compares the two with adjectives ("flexible but complex to
optimize", "good with stable leader") and lists ZooKeeper as a Paxos user.
This module measures instead, on the same simulator and network:

* ``measure_multipaxos``: messages per decided value with a stable leader
  (phase 2 only) and, as a baseline, with phase 1 run for every value;
  Raft's counterpart is ``raft.measure_messages_per_commit``;
* ``commit_round_trips``: how long a stable leader takes to commit one
  command, in round trips, on links of constant latency;
* ``comparison_table``: the measured table, every number computed by a run;
  ``qualitative_table`` the rest of the course text's table, corrected.

ZooKeeper runs Zab, a Paxos-like atomic broadcast protocol, not Paxos; and
practical Multi-Paxos, like Raft, keeps a stable leader. With one, both need
one round trip and ``2(n-1)`` messages per value; the difference is in how
they elect a leader and repair logs, not in the steady state.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sim import Constant, Simulator, Uniform
from ..sim.rng import Seed, seed_value
from ..sim.table import TextTable, format_table
from ..sim.validate import check_int, check_number
from .multipaxos import MultiPaxosNode, slot_agreement
from .raft import RaftCluster, measure_messages_per_commit

PHASE1 = ("Prepare", "Promise")
PHASE2 = ("Accept", "Accepted")


@dataclass(frozen=True)
class MultiPaxosCount:
    """Messages sent while a leader decided ``commands`` values one at a time."""
    n: int
    commands: int
    seed: int
    stable_leader: bool
    phase1: int          # Prepare + Promise
    phase2: int          # Accept + Accepted
    other: int           # heartbeats (Commit) and Nacks
    virtual_ms: float

    @property
    def per_command(self) -> float:
        """Prepare/Promise/Accept/Accepted messages per decided value."""
        return (self.phase1 + self.phase2) / self.commands

    @property
    def per_command_total(self) -> float:
        """Every server-to-server message per decided value, heartbeats included."""
        return (self.phase1 + self.phase2 + self.other) / self.commands


def multipaxos_cluster(n: int, seed: Seed = None, *, stable_leader: bool = True,
                       latency=None, heartbeat: float = 50.0) -> Simulator:
    """``n`` Multi-Paxos servers ``n1..n<n>`` with slot agreement checked after every event."""
    check_int("n", n, minimum=1)
    sim = Simulator(seed=seed, latency=Uniform(1.0, 10.0) if latency is None else latency)
    ids = [f"n{i}" for i in range(1, n + 1)]
    for nid in ids:
        sim.add_node(MultiPaxosNode(nid, ids, stable_leader=stable_leader, heartbeat=heartbeat))
    sim.add_invariant("slot_agreement", lambda s: slot_agreement(s.nodes))
    return sim


def _decide_one(sim: Simulator, leader: MultiPaxosNode, value, timeout: float = 5000.0) -> float:
    """Submit ``value`` at ``leader`` and run until it is decided; the time it took."""
    target = leader.first_undecided() + 1
    t0 = sim.now
    if not leader.submit(value):
        raise RuntimeError(f"{leader.node_id} is not leading; cannot submit {value!r}")
    while leader.first_undecided() < target:
        if sim.now - t0 > timeout:
            raise RuntimeError(f"{value!r} was not decided within {timeout:g} ms")
        sim.run(until=sim.now + 0.5)
    return sim.now - t0


def measure_multipaxos(n: int = 5, commands: int = 100, seed: Seed = None, *,
                       stable_leader: bool = True, heartbeat: float = 50.0) -> MultiPaxosCount:
    """Messages per decided value, the counterpart of ``measure_messages_per_commit``.

    The first leader is elected before counting starts; then ``commands``
    values are submitted one at a time, each once the one before is decided.
    """
    check_int("commands", commands, minimum=1)
    sim = multipaxos_cluster(n, seed, stable_leader=stable_leader, heartbeat=heartbeat)
    sim.run(until=100.0)
    leader = sim.node("n1")
    if not (leader.leading or not stable_leader):
        raise RuntimeError(f"n1 did not become leader (n={n}, seed={seed!r})")
    start, t0 = len(sim.trace), sim.now
    for i in range(commands):
        _decide_one(sim, leader, f"cmd{i + 1}")
    counts = {"phase1": 0, "phase2": 0, "other": 0}
    for r in sim.trace.raw()[start:]:
        if r[1] == "send":
            name = type(r[5]).__name__
            counts["phase1" if name in PHASE1 else "phase2" if name in PHASE2 else "other"] += 1
    if sim.violations:
        raise RuntimeError(f"invariant violated: {sim.violations[0]}")
    return MultiPaxosCount(n, commands, sim.seed, stable_leader, counts["phase1"],
                           counts["phase2"], counts["other"], sim.now - t0)


def commit_round_trips(protocol: str, n: int = 5, seed: Seed = None, *,
                       latency: float = 10.0, commands: int = 5) -> float:
    """Mean time for a stable leader to commit one command, in round trips (2 x latency).

    ``protocol`` is ``"multipaxos"``, ``"paxos-per-value"`` or ``"raft"``;
    links have constant ``latency``, so the answer counts message delays.
    """
    if protocol not in ("multipaxos", "paxos-per-value", "raft"):
        raise ValueError(f"protocol must be 'multipaxos', 'paxos-per-value' or 'raft', "
                         f"got {protocol!r}")
    latency = check_number("latency", latency, minimum=0, strict_min=True)
    check_int("commands", commands, minimum=1)
    times = []
    if protocol == "raft":
        c = RaftCluster(n, seed, latency=Constant(latency), check=False)
        leader = c.wait_for_leader(10_000.0)
        if leader is None:
            raise RuntimeError(f"no Raft leader elected (n={n}, seed={seed!r})")
        node = c.node(leader)
        for i in range(commands):
            t0 = c.now
            result = c.submit(f"cmd{i + 1}", leader)
            if not c.run_until(lambda c, k=result.index: node.commit_index >= k,
                               timeout=5000.0, step=0.5):
                raise RuntimeError("a command did not commit")
            times.append(c.now - t0)
    else:
        sim = multipaxos_cluster(n, seed, stable_leader=protocol == "multipaxos",
                                 latency=Constant(latency))
        sim.run(until=10 * latency)
        for i in range(commands):
            times.append(_decide_one(sim, sim.node("n1"), f"cmd{i + 1}"))
    return sum(times) / len(times) / (2 * latency)


def comparison_table(n: int = 5, commands: int = 50, seed: Seed = 0) -> TextTable:
    """Multi-Paxos, Paxos with phase 1 per value, and Raft, measured on the same network."""
    seed = seed_value(seed)
    mp = measure_multipaxos(n, commands, seed)
    basic = measure_multipaxos(n, commands, seed, stable_leader=False)
    raft = measure_messages_per_commit(n, commands, seed)
    rt = {p: commit_round_trips(p, n, seed) for p in ("multipaxos", "paxos-per-value", "raft")}
    rows = [
        ("messages per decided value", mp.per_command, basic.per_command, raft.per_command),
        ("... counting heartbeats too", mp.per_command_total, basic.per_command_total,
         raft.per_command_total),
        ("round trips to commit", rt["multipaxos"], rt["paxos-per-value"], rt["raft"]),
    ]
    return format_table(["measured (n=%d, %d values, seed %d)" % (n, commands, seed), "Multi-Paxos",
                         "Paxos, phase 1 per value", "Raft"],
                        [(a, round(b, 2), round(c, 2), round(d, 2)) for a, b, c, d in rows])


QUALITATIVE = [
    ("leader", "Paxos: no fixed leader (multi-proposer)",
     "practical Multi-Paxos keeps a stable leader, as Raft does; basic Paxos needs none"),
    ("electing a leader", "-",
     "Multi-Paxos: phase 1 with a higher ballot; Raft: randomised timeouts, votes only "
     "for an up-to-date log"),
    ("log", "not specified in basic Paxos",
     "Multi-Paxos: one instance per slot, gaps filled with no-ops; Raft: no gaps, the "
     "leader's log wins"),
    ("performance", "Raft: good with stable leader",
     "with a stable leader both need one round trip and 2(n-1) messages (measured above)"),
    ("real-world use", "Paxos: Google Chubby, Apache ZooKeeper",
     "Chubby, Spanner use Paxos; ZooKeeper runs Zab, a Paxos-like atomic broadcast"),
]


def qualitative_table() -> TextTable:
    """The rest of the course text's table, with what it gets wrong corrected."""
    return format_table(["aspect", "course text says", "corrected"], QUALITATIVE)
