"""Consensus on the simulator: Paxos and Raft.

* ``dscourse.consensus.raft``: Raft (Ongaro and Ousterhout, 2014): election,
  replication, commitment, a replicated key-value store with clients, the
  ``RaftCluster`` harness, invariants, mutants and the election-timing
  experiment.

Each topic's exports are imported below, one line per name group.
"""

from .multipaxos import MultiPaxosNode  # noqa: F401
from .paxos import Ballot, PaxosNode  # noqa: F401
from .paxos_explore import explore_paxos  # noqa: F401
from .paxos_mutants import MUTANTS as PAXOS_MUTANTS  # noqa: F401
from .raft import KVOp, KVStore, RaftClient, RaftCluster, RaftNode, measure_messages_per_commit  # noqa: F401
