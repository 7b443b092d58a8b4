"""Raft's messages, named and shaped as in Figure 2 of the paper.

Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm",
USENIX ATC 2014, Figure 2 ("Raft consensus algorithm, condensed summary"):

* ``RequestVote`` (invoked by candidates to gather votes) and its result
  ``RequestVoteReply``;
* ``AppendEntries`` (invoked by the leader to replicate log entries; also the
  heartbeat) and its result ``AppendEntriesReply``.

Two fields beyond Figure 2, both standard:

* ``AppendEntriesReply.conflict_index`` / ``conflict_term``: the "fast
  backtracking" hint of section 5.3 (the paragraph that starts "If desired,
  the protocol can be optimized to reduce the number of rejected
  AppendEntries RPCs"): a follower that rejects tells the leader where its
  log diverges, so the leader skips a whole term per round trip instead of
  one entry.
* ``AppendEntriesReply.match_index``: on success, the last index the
  follower now knows matches the leader. The leader uses it instead of
  recomputing from its own state, so a duplicated or reordered reply can
  never move ``match_index`` to an index the follower did not confirm.

Clients talk to the cluster with ``ClientRequest`` and get a ``ClientReply``;
a server that is not the leader answers with ``ok=False`` and its best guess
of who leads (section 8 of the paper: "If the client contacts a follower,
the follower rejects the request and supplies information about the most
recent leader it has heard from").

Messages are RPCs in the paper; here they are one-way messages, so a reply
names the term it answers and the receiver ignores replies from old terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry: the term in which a leader created it, and the command."""
    term: int
    command: Any


@dataclass(frozen=True, slots=True)
class RequestVote:
    term: int                 # candidate's term
    candidate_id: Any         # candidate requesting vote
    last_log_index: int       # index of candidate's last log entry (section 5.4)
    last_log_term: int        # term of candidate's last log entry (section 5.4)


@dataclass(frozen=True, slots=True)
class RequestVoteReply:
    term: int                 # current_term, for the candidate to update itself
    vote_granted: bool        # true means the candidate received the vote


@dataclass(frozen=True, slots=True)
class AppendEntries:
    term: int                 # leader's term
    leader_id: Any            # so a follower can redirect clients
    prev_log_index: int       # index of the log entry immediately preceding new ones
    prev_log_term: int        # term of the prev_log_index entry
    entries: tuple            # log entries to store (empty for a heartbeat)
    leader_commit: int        # leader's commit_index


@dataclass(frozen=True, slots=True)
class AppendEntriesReply:
    term: int                 # current_term, for the leader to update itself
    success: bool             # true if the follower had an entry matching prev_log_*
    match_index: int = 0      # on success: prev_log_index + len(entries)
    conflict_index: int = 0   # on failure: where the leader should retry from
    conflict_term: int = 0    # on failure: the term of the conflicting entry (0: log too short)


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """A client asks the cluster to run ``command`` (client id and seq deduplicate it)."""
    client_id: Any
    seq: int
    command: Any


@dataclass(frozen=True, slots=True)
class ClientReply:
    """The answer to ``ClientRequest(client_id, seq)``.

    ``ok=True``: the command ran exactly once and ``result`` is what the state
    machine returned. ``ok=False``: this server is not the leader (or lost
    leadership before the command committed); try ``leader_hint`` (``None``:
    it does not know who leads).
    """
    client_id: Any
    seq: int
    ok: bool
    result: Any = None
    leader_hint: Any = None
