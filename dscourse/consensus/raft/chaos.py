"""One seeded run of the key-value store under a random fault plan (a nemesis).

``chaos_run(seed)`` builds a ``RaftCluster`` with the key-value store, starts
clients that put and get, applies ``FaultPlan.random`` (crashes with
recovery from storage, partitions, pauses, bursts of loss, duplication with
long reordering) for ``duration`` ms, then lets the healed cluster settle.
What it returns is what the sweeps check:

* ``violations``: the five safety properties, checked after every event;
* ``lost``: commands acknowledged to a client but missing from the
  committed log (should be none);
* ``history``: the clients' operations, to check for linearizability
  (``dscourse.checkers.check_linearizable(run.history, KVMap())``).

``hunt(node_class, seeds)`` runs seeds until an invariant is violated: how
the tests prove that each mutant is caught within a bounded number of seeds
(``hunt_mutant`` uses each mutant's scenario from ``HUNTS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...sim import FaultPlan
from ...sim.rng import derive_rng
from .cluster import RaftCluster
from .node import RaftNode

KINDS = ("crash", "partition", "pause", "loss", "duplicate")


@dataclass
class ChaosRun:
    seed: int
    cluster: RaftCluster
    plan: FaultPlan
    violations: list = field(default_factory=list)
    lost: list = field(default_factory=list)

    @property
    def history(self):
        return self.cluster.sim.history

    @property
    def ok(self) -> bool:
        return not self.violations and not self.lost


def chaos_run(seed: int, node_class: type = RaftNode, *, n: int = 5, duration: float = 1500.0,
              settle: float = 500.0, clients: int = 2, ops_per_client: int = 8,
              election_timeout=(150.0, 300.0), heartbeat_interval: float = 50.0,
              kinds: Iterable[str] = KINDS, mean_gap: float = 200.0,
              downtime: tuple = (50.0, 600.0), reorder_delay: float = 150.0,
              think: tuple = (0.0, 150.0), leader_crash_gap: float | None = None,
              leader_downtime: tuple = (10.0, 300.0), restart_after_vote: float = 0.0,
              max_entries: int = 64, noop: bool = True, check: bool = True) -> ChaosRun:
    """Run the store under ``FaultPlan.random`` for ``duration`` ms, then ``settle`` ms healed.

    ``leader_crash_gap`` (ms, optional) adds a nemesis that, at exponentially
    distributed gaps of that mean, crashes whichever server leads and brings
    it back ``leader_downtime`` later: short tenures leave uncommitted entries
    behind, which is what Figure 8 needs. ``restart_after_vote`` (a
    probability) adds crash-point injection: a server that has just granted a
    vote is restarted (down for 0.5 ms) with that probability, the moment
    when forgetting the vote would let it vote twice.
    """
    c = RaftCluster(n, seed, node_class=node_class, kv=True, election_timeout=election_timeout,
                    heartbeat_interval=heartbeat_interval, check=check, max_entries=max_entries,
                    noop=noop, reorder_delay=reorder_delay)
    if clients:
        c.add_clients(clients, ops_per_client, keys=("x", "y"), think=think)
    plan = FaultPlan.random(c.ids, seed=derive_rng(c.sim.seed, "chaos-plan"), duration=duration,
                            mean_gap=mean_gap, kinds=kinds, downtime=downtime)
    plan.apply(c.sim)
    if leader_crash_gap is not None:
        _LeaderChurn(c, leader_crash_gap, leader_downtime, duration).start()
    if restart_after_vote:
        _restart_after_votes(c, restart_after_vote, duration)
    c.run(duration + settle)
    return ChaosRun(c.sim.seed, c, plan, c.sim.violations, c.acknowledged_lost())


class _LeaderChurn:
    """Crash the leader now and then; recover it a little later (a targeted nemesis)."""

    def __init__(self, cluster: RaftCluster, gap: float, downtime: tuple, until: float) -> None:
        self.c = cluster
        self.gap = gap
        self.downtime = downtime
        self.until = until
        self.rng = derive_rng(cluster.sim.seed, "chaos-churn")

    def start(self) -> None:
        self.c.sim.schedule(self.rng.expovariate(1.0 / self.gap), self.strike)

    def strike(self) -> None:
        c = self.c
        if c.now >= self.until:
            return
        leader = c.leader(connected_only=False)
        down = sum(1 for nid in c.ids if c.sim.status(nid) == "crashed")
        if leader is not None and down < (len(c.ids) - 1) // 2:
            c.crash(leader)
            back = min(self.until, c.now + self.rng.uniform(*self.downtime))
            c.sim.at(back, c.recover, leader)
        c.sim.schedule(self.rng.expovariate(1.0 / self.gap), self.strike)


def _restart_after_votes(c: RaftCluster, probability: float, until: float) -> None:
    """Run to ``until`` in 1 ms steps; restart a server that has just voted, sometimes."""
    rng = derive_rng(c.sim.seed, "chaos-votes")
    seen = {nid: (0, None) for nid in c.ids}
    while c.now < until:
        c.run(1.0)
        for nid in c.ids:
            node = c.node(nid)
            vote = (node.current_term, node.voted_for)
            if vote != seen[nid] and node.voted_for not in (None, nid) and c.is_up(nid) \
                    and rng.random() < probability:
                c.crash(nid)
                c.sim.schedule(0.5, c.recover, nid)
            seen[nid] = vote


def figure8_run(seed: int, node_class: type = RaftNode, *, iterations: int = 60, n: int = 5,
                unreliable: bool = False, noop: bool = False, max_entries: int = 64,
                check: bool = True) -> ChaosRun:
    """The labs' Figure 8 test: leaders crash soon after appending, again and again.

    Each iteration waits (up to 1 s) for a leader, half the time lets it
    replicate older entries for up to 30 ms, then submits a command to it.
    Half the time the leader is first cut off (one way) from a random
    subset of the others, as if it crashed before its AppendEntries reached
    them. After a short wait (0-13 ms, or 9 times in 10; otherwise up to
    500 ms) the leader crashes and the cut heals; whenever fewer than a
    majority are up, one crashed server restarts, and otherwise, half the
    time, too. Short tenures leave entries of many terms on different
    minorities: the situation of the paper's Figure 8. ``unreliable`` adds
    10% loss, duplication and long reordering. At the end every server
    restarts and the network heals; a final command must then commit on all
    servers (``run.lost`` says so if it does not).
    """
    network = dict(loss=0.1, duplicate=0.1, reorder=0.1, reorder_delay=200.0) if unreliable else {}
    c = RaftCluster(n, seed, node_class=node_class, noop=noop, check=check,
                    max_entries=max_entries, **network)
    rng = derive_rng(c.sim.seed, "figure8")
    majority = n // 2 + 1
    for _ in range(iterations):
        leader = c.wait_for_leader(1000.0)
        if leader is None:
            continue
        if rng.random() < 0.5:                    # it replicates older entries first
            c.run(rng.uniform(0, 30))
        if rng.random() < 0.5:
            others = [nid for nid in c.ids if nid != leader]
            c.sim.partition_oneway([leader], rng.sample(others, rng.randint(1, len(others))))
        if c.is_up(leader):
            c.submit(rng.randrange(1_000_000), leader)
        c.run(rng.uniform(0, 13) if rng.random() < 0.9 else rng.uniform(0, 500))
        if c.is_up(leader):
            c.crash(leader)
        c.sim.heal()
        down = [nid for nid in c.ids if not c.is_up(nid)]
        if down and (n - len(down) < majority or rng.random() < 0.5):
            c.recover(rng.choice(down))
    for nid in c.ids:
        c.recover(nid)
    c.sim.set_network(loss=0.0, duplicate=0.0, reorder=0.0)
    lost = []
    try:
        c.one(rng.randrange(1_000_000), expected=n, timeout=10_000.0)
    except RuntimeError as exc:
        lost.append(str(exc))
    return ChaosRun(c.sim.seed, c, FaultPlan(), c.sim.violations, lost)


def hunt(node_class: type, seeds: Iterable[int], scenario: str = "chaos",
         **options: Any) -> ChaosRun | None:
    """The first run among ``seeds`` in which an invariant was violated, or None.

    ``scenario`` is ``"chaos"`` (``chaos_run``) or ``"figure8"`` (``figure8_run``).
    """
    run_one = {"chaos": chaos_run, "figure8": figure8_run}[scenario]
    for seed in seeds:
        run = run_one(seed, node_class, **options)
        if run.violations:
            return run
    return None


# How the tests (and the notebook) hunt each mutant: a scenario and its options.
# Busy clients and frequent leader crashes expose most bugs; the vote bugs need
# contested elections on three servers, restarts right after votes for the
# forgotten vote, and Figure 8's pattern for the commitment rule.
CHURN = dict(leader_crash_gap=100.0, leader_downtime=(5.0, 100.0), clients=3, think=(0.0, 20.0),
             ops_per_client=20)
HUNTS = {
    "VoteTwice": ("chaos", CHURN),
    "SkipUpToDateCheck": ("chaos", CHURN),
    "CommitOldTermByCounting": ("figure8", dict(n=3, iterations=60)),
    "ForgetVoteOnRecovery": ("chaos", dict(n=3, election_timeout=(150.0, 155.0), kinds=("crash",),
                                           restart_after_vote=0.5, leader_crash_gap=150.0,
                                           leader_downtime=(1.0, 20.0), clients=1)),
    "TruncateOnEveryAppend": ("chaos", CHURN),
    "SkipConsistencyCheck": ("chaos", CHURN),
    "CommitWhatIsStored": ("chaos", dict(kinds=("partition", "crash"), mean_gap=100.0, clients=3,
                                         think=(0.0, 20.0), ops_per_client=20)),
}


def hunt_mutant(mutant: type, seeds: Iterable[int] = range(100)) -> ChaosRun | None:
    """Hunt ``mutant`` with its scenario from ``HUNTS``; the first failing run, or None."""
    scenario, options = HUNTS[mutant.__name__]
    return hunt(mutant, seeds, scenario, **options)
