"""The paper's Figure 8, replayed step by step on five servers.

Figure 8 of the paper shows why a leader may not conclude that an entry of
an *earlier* term is committed just because it is stored on a majority:

(a) S1 leads (term 2) and replicates the entry at index 2 to S2 only.
(b) S1 crashes; S5 is elected for term 3 with votes from S3, S4 and itself,
    and accepts a different entry at index 2.
(c) S5 crashes; S1 restarts, is elected (term 4) and continues replicating:
    the term-2 entry at index 2 is now on S1, S2 and S3, a majority, but it
    is *not* committed.
(d) S1 crashes; S5 can be elected (term 5) with votes from S2, S3 and S4,
    because its last entry (term 3) is newer than theirs (term 2); it then
    overwrites index 2 on every server with its term-3 entry.

If S1 had counted replicas in (c) and committed the term-2 entry, step (d)
would erase a committed entry: the mutant ``CommitOldTermByCounting`` does
exactly that and the invariants report it. Real Raft commits an earlier
term's entry only indirectly, once an entry of the current term above it is
on a majority (e): then S5 can no longer win (``branch="e"``).

Terms here are those of the figure. Elections are started by hand
(``RaftCluster.timeout``) with long election timeouts, so that no server
starts one on its own; links are cut one way to decide who receives what.
``figure8(node_class)`` returns the cluster and a snapshot after each step.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...sim.rng import Seed
from .cluster import RaftCluster
from .node import RaftNode
from .state import ClusterSnapshot

S1, S2, S3, S4, S5 = "n1", "n2", "n3", "n4", "n5"
STEPS = {
    "start": "S1 leads term 1; entry 1 (term 1) is on every server",
    "a": "S1 leads term 2 and sends entry 2 (term 2); only S2 gets it; S1 crashes",
    "b": "S5 is elected for term 3 (votes: S3, S4, S5), appends entry 2 (term 3) alone; S5 crashes",
    "c": "S1 restarts, is elected for term 4 and replicates entry 2 (term 2) to S3: a majority",
    "d": "S1 crashes; S5 restarts and is elected for term 5 (votes: S2, S3, S4)",
    "d2": "S5 commits a new entry; every server now holds S5's entry 2 (term 3)",
    "e": "instead, S1 first replicates an entry of its own term 4 (index 3) to a majority",
    "e2": "S1 crashes; S5 restarts but cannot win: its log (last term 3) is behind a majority's",
}


@dataclass(frozen=True)
class Figure8:
    cluster: RaftCluster
    steps: tuple            # (label, description, ClusterSnapshot)

    def snapshot(self, label: str) -> ClusterSnapshot:
        for name, _, snap in self.steps:
            if name == label:
                return snap
        raise ValueError(f"label must be one of {[s[0] for s in self.steps]}, got {label!r}")


def _elect(c: RaftCluster, node: str) -> None:
    """Make ``node`` stand (again, in a higher term, if it loses) until it leads."""
    for _ in range(5):
        c.timeout(node)
        if c.run_until(lambda c: c.node(node).role == "leader", timeout=60.0, step=2.0):
            return
    raise RuntimeError(f"{node} was not elected:\n{c.table()}")


def figure8(node_class: type = RaftNode, seed: Seed = 1, branch: str = "d") -> Figure8:
    """Replay Figure 8 with ``node_class`` servers; see the module docstring.

    ``branch="d"``: after (c), S1 crashes at once and S5 takes over (steps d, d2).
    ``branch="e"``: S1 first commits an entry of its own term (steps e, e2).
    """
    if branch not in ("d", "e"):
        raise ValueError(f"branch must be 'd' or 'e', got {branch!r}")
    c = RaftCluster(5, seed, node_class=node_class, election_timeout=(5000.0, 6000.0),
                    heartbeat_interval=50.0, noop=False)
    steps = []

    def record(label):
        steps.append((label, STEPS[label], c.snapshot()))

    c.run(1.0)
    _elect(c, S1)                                        # term 1
    c.submit("x", S1)
    c.run_until(lambda c: c.n_committed(1)[0] == 5, timeout=500.0)
    record("start")
    # (a) term 2: S1 restarts and leads again; only S2 hears of entry 2.
    c.crash(S1)
    c.recover(S1)
    _elect(c, S1)
    c.sim.partition_oneway([S1], [S3, S4, S5])
    c.submit("y", S1)
    c.run(20.0)
    c.crash(S1)
    c.sim.heal()
    record("a")
    # (b) term 3: S5 wins with S3 and S4, takes a different entry 2, tells no one.
    _elect(c, S5)
    c.sim.partition_oneway([S5], [S1, S2, S3, S4])
    c.submit("z", S5)
    c.run(20.0)
    c.crash(S5)
    c.sim.heal()
    record("b")
    # (c) term 4: S1 restarts and wins; its entry 2 (term 2) reaches S3: a majority.
    c.recover(S1)
    c.sim.partition_oneway([S1], [S4])
    _elect(c, S1)
    c.run(40.0)
    record("c")
    if branch == "e":
        # (e) S1 replicates an entry of term 4 to a majority: that commits index 2 too.
        c.sim.heal()
        c.partition([S1, S2, S3], [S4, S5])
        c.submit("t4", S1)
        c.run_until(lambda c: c.node(S1).commit_index >= 3, timeout=500.0)
        record("e")
        c.crash(S1)
        c.heal()
        c.recover(S5)
        for _ in range(3):                               # S5 stands, and loses, again and again
            c.timeout(S5)
            c.run(40.0)
        record("e2")
        return Figure8(c, tuple(steps))
    # (d) S1 crashes; S5 restarts and wins term 5 with S2, S3, S4.
    c.crash(S1)
    c.sim.heal()
    c.recover(S5)
    _elect(c, S5)
    record("d")
    # S5 commits an entry of its own term, which commits its entry 2 too.
    c.submit("w", S5)
    c.run_until(lambda c: c.n_committed(3)[0] >= 3, timeout=500.0)
    c.recover(S1)
    c.run(200.0)
    record("d2")
    return Figure8(c, tuple(steps))
