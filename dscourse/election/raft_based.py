"""Raft-based leader election: Raft's own election, taken from the consensus package.

This module does not implement Raft again: it runs ``RaftCluster`` from
``dscourse.consensus.raft`` (written for the consensus notebook) with no
commands, so what is left is Raft's election (section 5.2 of the paper):

* a follower that hears no heartbeat (empty ``AppendEntries``) for a
  randomised election timeout becomes a candidate, increments its **term**
  and asks for votes with ``RequestVote``;
* each server votes at most once per term (and only for a candidate whose
  log is at least as up-to-date as its own), so at most one candidate can
  collect a majority in a term: **election safety**;
* the winner sends heartbeats; any server that sees a higher term steps down.

``RaftNode`` records ``role`` and ``term`` with ``ctx.record_state``, so
the harness reads its beliefs from the trace like every other algorithm's.
What Raft guarantees is one leader *per term*, not one node believing it
leads at any instant: a leader cut off from the rest keeps believing until
it hears of a newer term. It cannot do harm, though, because nothing it
does takes effect without a majority (and the majority has moved on).
"""

from __future__ import annotations

from typing import Any

from ..consensus.raft import RaftCluster, RequestVote, RequestVoteReply
from ..sim import Simulator
from ..sim.rng import Seed
from ..sim.validate import check_int
from .roles import DEFAULT_LATENCY

ELECTION_MESSAGES = (RequestVote, RequestVoteReply)


def raft_election(n: int = 5, seed: Seed = None, *, election_timeout=(150.0, 300.0),
                  heartbeat_interval: float = 50.0, check: bool = True,
                  latency: Any = DEFAULT_LATENCY) -> RaftCluster:
    """A ``RaftCluster`` of ``n`` servers used for its election only (no commands)."""
    check_int("n", n, minimum=1, maximum=99)
    return RaftCluster(n, seed, election_timeout=election_timeout,
                       heartbeat_interval=heartbeat_interval, check=check, latency=latency)


def raft_cluster(n: int = 5, seed: Seed = None, **options: Any) -> Simulator:
    """The simulator of ``raft_election(...)``: what the harness and the fault panel take."""
    return raft_election(n, seed, **options).sim


def is_election_message(msg: Any) -> bool:
    """Votes are what a Raft election costs; heartbeats are steady-state traffic."""
    return isinstance(msg, ELECTION_MESSAGES)


__all__ = ["ELECTION_MESSAGES", "is_election_message", "raft_cluster", "raft_election"]
