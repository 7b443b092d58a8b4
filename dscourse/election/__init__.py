"""Leader election, four ways, on one simulator and one harness.

The course text's approaches table, each family runnable and measured:

* ``bully``: the highest live id wins (Garcia-Molina 1982); O(n²) messages
  in the worst case, and no protection against partitions or slow links;
* ``raft_based``: Raft's election, taken from ``dscourse.consensus.raft``
  (not a second Raft);
* ``lease`` with ``lockstore`` and ``fencing``: a lock store grants a
  lease, the holder renews it at a third of its duration; a paused process
  or a drifting clock makes two leaders, and fencing tokens checked by the
  storage make that harmless;
* ``zookeeper`` with ``coordination``: sessions, ephemeral sequential znodes
  and watches on a small coordination service; the lowest sequence number
  leads and each candidate watches only its predecessor;
* ``harness``: the same faults for every algorithm, and measurements read
  from the trace (messages per election, failover time, split-brain windows);
* ``exercises``: the notebook's checks.

Every algorithm records ``role`` and ``term`` with ``ctx.record_state``
(``roles.ElectionNode``), which is what the cluster view and the harness read.
"""

from .bully import BullyNode, bully_cluster, worst_and_best_case
from .coordination import CoordinationClient, CoordinationServer
from .fencing import StorageNode, fenced, overwritten_by_stale, storage_writes, unfenced
from .harness import (
    FAULTS,
    SCENARIOS,
    Algorithm,
    Comparison,
    LeaderSpan,
    Scenario,
    SplitBrain,
    Summary,
    Trial,
    algorithm,
    algorithms,
    compare,
    leader_spans,
    leaders_at,
    run_trial,
    split_brain,
)
from .lease import LeaseElector, lease_cluster, pause_after_renewal, resign_at
from .lockstore import Grant, LeaseError, LockReplica, LockTable
from .raft_based import raft_cluster, raft_election
from .roles import CANDIDATE, FOLLOWER, LEADER, ElectionNode
from .zookeeper import ZkElector, leader_znode, predecessor, watch_notifications, zk_cluster

__all__ = [
    "Algorithm", "BullyNode", "CANDIDATE", "Comparison", "CoordinationClient",
    "CoordinationServer", "ElectionNode", "FAULTS", "FOLLOWER", "Grant", "LEADER", "LeaderSpan",
    "LeaseElector", "LeaseError", "LockReplica", "LockTable", "SCENARIOS", "Scenario",
    "SplitBrain", "StorageNode", "Summary", "Trial", "ZkElector", "algorithm", "algorithms",
    "bully_cluster", "compare", "fenced", "lease_cluster", "leader_spans", "leader_znode",
    "leaders_at", "overwritten_by_stale", "pause_after_renewal", "predecessor", "raft_cluster",
    "raft_election", "resign_at", "run_trial", "split_brain", "storage_writes", "unfenced",
    "watch_notifications", "worst_and_best_case", "zk_cluster",
]
