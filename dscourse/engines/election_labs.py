"""The notebook's two engine labs, and the simulator's prediction for each.

``etcd_lab()`` and ``zookeeper_lab()`` start the real cluster, run the
measurements of ``etcd.py`` and ``zookeeper.py``, stop everything, and
return an ``EngineLab``: the measured times (which vary from run to run:
the notebook shows them in cells whose output is not compared) and the
facts that do not vary (a new leader was elected, tokens grew, ...). When
the engine is not installed, the lab is ``skipped`` with the reason and the
install command instead.

``simulated_counterparts(seeds)`` runs the same failures on the simulator
with the same timings (etcd's election timeout, the lock's TTL, the
ZooKeeper session timeout), so that ``side_by_side`` can put prediction and
measurement in one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..election import harness
from ..election.lease import is_election_message as lease_messages
from ..election.lease import lease_cluster
from ..election.raft_based import is_election_message as raft_messages
from ..election.raft_based import raft_cluster
from ..election.zookeeper import is_election_message as zk_messages
from ..election.zookeeper import zk_cluster
from ..sim.table import TextTable, format_table
from .etcd import EtcdCluster, etcd_available
from .zookeeper import ZooKeeperEnsemble, zookeeper_available

ETCD_ELECTION_MS = 500       # etcd --election-timeout (it waits 1 to 2 times this)
ETCD_HEARTBEAT_MS = 50
LOCK_TTL_S = 1
ZK_SESSION_S = 1.0
ZK_TICK_MS = 100


@dataclass(frozen=True)
class EngineLab:
    name: str
    skipped: str | None = None
    measured: dict = field(default_factory=dict)    # seconds; vary from run to run
    facts: dict = field(default_factory=dict)       # booleans and counts; do not

    def facts_text(self) -> str:
        if self.skipped:
            return f"{self.name} lab skipped: {self.skipped}"
        return "\n".join(f"{k}: {v}" for k, v in self.facts.items())

    def measured_table(self) -> TextTable:
        rows = [(k, f"{v:.2f}" if v is not None else "-") for k, v in self.measured.items()]
        return format_table(["measured on the real " + self.name, "seconds"], rows,
                            title=self.skipped and f"skipped: {self.skipped}")


def etcd_lab() -> EngineLab:
    """Three etcd members: who leads; a lease lock handed over; the leader killed."""
    reason = etcd_available()
    if reason:
        return EngineLab("etcd", skipped=reason)
    with EtcdCluster(heartbeat_ms=ETCD_HEARTBEAT_MS, election_ms=ETCD_ELECTION_MS) as c:
        roles = sorted(r[2] for r in c.members_table().rows)
        first, second, lock_took = c.lock_failover(ttl=LOCK_TTL_S)
        f = c.kill_leader_and_measure()
    return EngineLab("etcd", measured={
        "lock holder silent -> next candidate holds the lock": lock_took,
        "leader killed -> a survivor reports a new leader": f.elected_after,
        "leader killed -> a write succeeds again": f.writable_after,
    }, facts={
        "members": len(roles),
        "exactly one leader at the start": roles.count("leader") == 1,
        "the lock passed to another candidate": second.holder != first.holder,
        "its fencing token (create revision) is larger": second.token > first.token,
        "a new leader was elected after the kill": f.new_leader not in (None, f.old_leader),
        "in a higher Raft term": (f.term_after or 0) > f.term_before,
        "writes succeeded again": f.writable_after is not None,
    })


def zookeeper_lab() -> EngineLab:
    """Three ZooKeeper servers: kazoo's election with the leading client killed; then the
    leading server killed."""
    reason = zookeeper_available()
    if reason:
        return EngineLab("ZooKeeper", skipped=reason)
    with ZooKeeperEnsemble(tick_ms=ZK_TICK_MS) as z:
        modes = sorted(z.modes().values())
        client = z.election_failover(candidates=3, session_timeout=ZK_SESSION_S)
        server = z.kill_leader_and_measure()
    return EngineLab("ZooKeeper", measured={
        "leading client killed -> next candidate leads": client.took_over_after,
        "leading server killed -> a survivor leads": server.elected_after,
        "leading server killed -> the client writes again": server.writable_after,
    }, facts={
        "servers": len(modes),
        "exactly one leading server at the start": modes.count("leader") == 1,
        "another candidate took over from the killed client":
            client.new_leader not in (None, client.old_leader),
        "not before the session could expire (half the timeout)":
            (client.took_over_after or 0) > ZK_SESSION_S / 2,
        "another server leads after the kill": server.new_leader not in (None, server.old_leader),
        "the client wrote again (its session moved)": server.writable_after is not None,
    })


def counterparts() -> list[harness.Algorithm]:
    """The simulator's algorithms with the labs' timings (three nodes each)."""
    ids = ("n1", "n2", "n3")
    e = ETCD_ELECTION_MS
    return [
        harness.Algorithm("raft, etcd's timing", lambda seed: raft_cluster(
            3, seed, election_timeout=(e, 2 * e), heartbeat_interval=ETCD_HEARTBEAT_MS,
            check=False), ids, raft_messages, f"election timeout {e}-{2 * e} ms"),
        harness.Algorithm("lease, the lock's TTL", lambda seed: lease_cluster(
            3, seed, lease=LOCK_TTL_S * 1000.0, storage=False), ids, lease_messages,
            f"lease {LOCK_TTL_S * 1000} ms"),
        harness.Algorithm("zookeeper, the session timeout", lambda seed: zk_cluster(
            3, seed, session_timeout=ZK_SESSION_S * 1000, tick=ZK_TICK_MS), ids, zk_messages,
            f"session {ZK_SESSION_S * 1000:.0f} ms"),
    ]


def simulated_counterparts(seeds=range(20), progress=None) -> harness.Comparison:
    """Crash the leader of each counterpart at 3 s, on every seed."""
    return harness.compare(counterparts(), [harness.Scenario("crash", at=3000.0, horizon=5000.0)],
                           seeds=seeds, progress=progress)


def side_by_side(sim: harness.Comparison, etcd: EngineLab, zk: EngineLab) -> TextTable:
    """Prediction (simulated failover, median and 90th percentile) next to measurement."""
    pairs = [("raft, etcd's timing", etcd, "leader killed -> a survivor reports a new leader"),
             ("lease, the lock's TTL", etcd, "lock holder silent -> next candidate holds the lock"),
             ("zookeeper, the session timeout", zk, "leading client killed -> next candidate leads")]
    rows = []
    for alg, lab, key in pairs:
        s = sim.summary(alg, "crash leader")
        got = lab.measured.get(key)
        rows.append((alg, _s(s.failover_median), _s(s.failover_p90),
                     "skipped" if lab.skipped else (f"{got:.2f}" if got is not None else "-")))
    return format_table(["failover", "simulated p50 s", "simulated p90 s", "measured s"], rows)


def _s(ms: float | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.2f}"
