"""Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014).

Modules, in reading order:

* ``messages``: RequestVote, AppendEntries and their replies (Figure 2), client messages;
* ``log``: the log, indexed from 1, with its terms;
* ``node`` and ``replication``: ``RaftNode``, one server (election in the first,
  replication and commitment in the second), each rule of Figure 2 cited where it is coded;
* ``kv`` and ``client``: a replicated key-value store with exactly-once
  effects, and clients that retry, follow redirects and record a history;
* ``cluster``: ``RaftCluster``, the test harness (start, submit, crash, partition, run);
* ``invariants``: the five safety properties of Figure 3, checked after every event;
* ``mutants``: deliberately broken servers, one rule each;
* ``timing`` and ``electionlab``: the election-timing experiment of the paper's
  Figure 16 (on a lean event loop), and ``measure_messages_per_commit``;
* ``chaos`` and ``figure8``: random fault schedules (the sweeps), the labs' Figure 8
  test, and the paper's Figure 8 replayed step by step;
* ``state``: plain-data snapshots and timelines for views;
* ``exercises``: check functions for the notebook's exercises.
"""

from .client import RaftClient
from .cluster import RaftCluster, server_ids
from .invariants import NAMES as INVARIANTS
from .invariants import RaftChecker, install_invariants
from .kv import KVOp, KVStore
from .log import RaftLog
from .messages import (
    AppendEntries,
    AppendEntriesReply,
    ClientReply,
    ClientRequest,
    Entry,
    RequestVote,
    RequestVoteReply,
)
from .node import CANDIDATE, FOLLOWER, LEADER, CommandLog, RaftNode
from .results import Accepted, NodeDown, NotLeader
from .state import ClusterSnapshot, RoleSpan, ServerView, leaders_over_time, role_timeline, snapshot
from .timing import (
    ElectionTrial,
    MessageCount,
    election_timing,
    election_trial,
    measure_messages_per_commit,
)

__all__ = [
    "Accepted", "AppendEntries", "AppendEntriesReply", "CANDIDATE", "ClientReply", "ClientRequest",
    "ClusterSnapshot", "CommandLog", "ElectionTrial", "Entry", "FOLLOWER", "INVARIANTS", "KVOp",
    "KVStore", "LEADER", "MessageCount", "NodeDown", "NotLeader", "RaftChecker", "RaftClient",
    "RaftCluster", "RaftLog", "RaftNode", "RequestVote", "RequestVoteReply", "RoleSpan",
    "ServerView", "election_timing", "election_trial", "install_invariants", "leaders_over_time",
    "measure_messages_per_commit", "role_timeline", "server_ids", "snapshot",
]
