"""A Raft server, rule by rule from Figure 2 of the paper.

Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm"
(USENIX ATC 2014). Every server is a follower, a candidate or the leader:

* **Election** (section 5.2). A follower that hears nothing from a leader
  for a randomised election timeout becomes a candidate: it increments
  ``current_term``, votes for itself and asks every peer for a vote. A server
  grants at most one vote per term, and only to a candidate whose log is at
  least as up-to-date as its own (section 5.4.1). A candidate with votes
  from a majority becomes leader and sends heartbeats (empty AppendEntries).
* **Replication** (section 5.3). The leader appends each command to its log
  and sends the new entries with the index and term of the entry before them;
  a follower accepts only if its log holds that entry (the consistency
  check), deleting any conflicting suffix first. On a rejection the leader
  moves ``next_index`` back, a whole term at a time thanks to the follower's
  conflict hint.
* **Commitment** (sections 5.3-5.4.2). The leader commits the highest index
  stored on a majority *if that entry is from its own term* (Figure 8 shows
  what goes wrong otherwise); followers learn the commit index from the
  leader and apply committed entries in order to their state machine.

``current_term``, ``voted_for`` and ``log`` live in ``ctx.storage`` and are
written before any reply is sent; everything else is volatile and rebuilt
after a crash (the state machine by replaying the log once the leader tells
the restarted server the commit index).

The election half is coded here; replication, commitment and client
requests are in ``replication.py`` (``LogReplication``, mixed in).

Each safety rule is a small method (``vote_available``,
``candidate_up_to_date``, ``can_commit``, ``save_vote``, ...), so a *mutant*
(``mutants.py``) is a subclass that breaks exactly one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...sim import Node
from ...sim.validate import check_int, check_node_id, check_number
from .log import RaftLog
from .messages import Entry, RequestVote, RequestVoteReply
from .replication import FOLLOWER, LEADER, LogReplication

CANDIDATE = "candidate"


class CommandLog:
    """The default state machine: remembers the commands applied, in order (the labs' applyCh)."""

    def __init__(self) -> None:
        self.applied: list = []

    def apply(self, command: Any) -> Any:
        self.applied.append(command)
        return len(self.applied)


def check_timeout_range(name: str, value: Any) -> tuple[float, float]:
    """An election timeout range ``(low, high)`` in ms, with 0 < low <= high."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (low, high) of milliseconds, got {value!r}")
    low = check_number(f"{name}[0]", value[0], minimum=0.0, strict_min=True)
    high = check_number(f"{name}[1]", value[1], minimum=0.0, strict_min=True)
    if low > high:
        raise ValueError(f"{name} must have low <= high (the timeout is drawn uniformly from "
                         f"[low, high]); got low={low:g} above high={high:g}")
    return low, high


class RaftNode(LogReplication, Node):
    """One Raft server.

    Parameters
    ----------
    node_id : str or int
    peers : list of node ids
        The *other* servers of the cluster (clients are not peers).
    election_timeout : (low, high)
        Each election timeout is drawn uniformly from this range (ms).
    heartbeat_interval : float
        How often an idle leader sends empty AppendEntries (ms).
    state_machine : callable, optional
        A factory for the state machine (an object with ``apply(command)``);
        called at boot and after every crash. Default: ``CommandLog``.
    first_timeout : float, optional
        The election timeout of the very first boot (not of recoveries); a
        harness uses it to decide who is likely to lead first.
    max_entries : int
        At most this many entries per AppendEntries.
    noop : bool
        A new leader appends a no-op entry of its term, so that entries of
        earlier terms commit without waiting for a client (section 8).
    """

    def __init__(self, node_id: Any, peers: Iterable[Any], election_timeout=(150.0, 300.0),
                 heartbeat_interval: float = 50.0, state_machine: Callable[[], Any] | None = None,
                 first_timeout: float | None = None, max_entries: int = 64,
                 noop: bool = False) -> None:
        super().__init__(check_node_id("node_id", node_id))
        if isinstance(peers, (str, bytes)) or not isinstance(peers, Iterable):
            raise TypeError(f"peers must be a list of node ids, got {peers!r}")
        peers = [check_node_id("peers", p) for p in peers]
        if node_id in peers:
            raise ValueError(f"peers must list the other servers, not {node_id!r} itself")
        if len(set(peers)) != len(peers):
            raise ValueError(f"peers must not repeat a node id, got {peers!r}")
        self.peers = tuple(sorted(peers))
        self.majority = (len(self.peers) + 1) // 2 + 1
        self.election_timeout = check_timeout_range("election_timeout", election_timeout)
        self.heartbeat_interval = check_number("heartbeat_interval", heartbeat_interval,
                                               minimum=0.0, strict_min=True)
        if first_timeout is not None:
            first_timeout = check_number("first_timeout", first_timeout, minimum=0.0)
        self.first_timeout = first_timeout
        self.max_entries = check_int("max_entries", max_entries, minimum=1)
        if state_machine is not None and not callable(state_machine):
            raise TypeError(f"state_machine must be a factory (a callable returning an object "
                            f"with apply(command)), got {state_machine!r}")
        self.state_machine_factory = state_machine or CommandLog
        self.noop = bool(noop)
        # Until on_start reads storage: an empty server (views may look before boot).
        self.role = FOLLOWER
        self.current_term = 0
        self.voted_for: Any = None
        self.log = RaftLog()
        self.commit_index = 0
        self.last_applied = 0
        self.leader_id: Any = None
        self.votes: set = set()

    # ------------------------------------------------------------------ boot
    def on_start(self) -> None:
        self._boot(self.first_timeout)

    def on_recover(self) -> None:
        self._boot(None)

    def _boot(self, first_timeout: float | None) -> None:
        storage = self.ctx.storage
        if "log" not in storage:                    # first boot: empty persistent state
            storage["current_term"] = 0
            storage["voted_for"] = None
            storage["log"] = RaftLog()
        # Persistent state on all servers (Figure 2), read back from stable storage.
        self.current_term = storage["current_term"]
        self.voted_for = storage["voted_for"]
        self.log: RaftLog = storage["log"]
        # Volatile state on all servers (Figure 2): reinitialised after a crash.
        self.role = FOLLOWER
        self.leader_id: Any = None
        self.commit_index = 0
        self.last_applied = 0
        self.state_machine = self.state_machine_factory()
        self.votes: set = set()
        # Volatile state on leaders (Figure 2): reinitialised after each election.
        self.next_index: dict = {}
        self.last_sent: dict = {}
        self.match_index: dict = {}
        self.pending: dict = {}                     # log index -> (client node, request)
        self._deadline = 0.0
        self._timeout: float | None = None          # the current randomised election timeout
        self._timer: int | None = None              # the pending election timer, if any
        self._timer_at = 0.0
        self.ctx.record_state(role=FOLLOWER, term=self.current_term)
        self.reset_election_timer(first_timeout)

    # ---------------------------------------------------------------- timers
    def reset_election_timer(self, timeout: float | None = None, redraw: bool = False) -> None:
        """Restart the election timeout (section 5.2).

        The timeout is drawn uniformly from ``election_timeout`` when the
        server boots, starts an election, changes term or role, or grants a
        vote (``redraw``); a heartbeat restarts the same timeout. One timer is
        pending at a time: when it fires before the deadline (heartbeats moved
        the deadline on), it is set again for the rest.
        """
        if timeout is None:
            if redraw or self._timeout is None:
                low, high = self.election_timeout
                self._timeout = low + (high - low) * self.ctx.rng.random()
            timeout = self._timeout
        deadline = self.ctx.clock() + timeout
        self._deadline = deadline
        if self._timer is None or deadline < self._timer_at:
            if self._timer is not None:
                self.ctx.cancel_timer(self._timer)
            self._timer = self.ctx.set_timer(timeout, "election")
            self._timer_at = deadline

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "heartbeat":
            if self.role == LEADER and payload == self.current_term:
                self.heartbeat()
                self.ctx.set_timer(self.heartbeat_interval, "heartbeat", self.current_term)
            return
        # name == "election"
        self._timer = None
        if self.role == LEADER:
            return                                  # leaders do not time out
        left = self._deadline - self.ctx.clock()
        if left > 1e-9:
            self._timer = self.ctx.set_timer(left, "election")
            self._timer_at = self._deadline
            return
        # Followers (Figure 2): "If election timeout elapses without receiving
        # AppendEntries RPC from current leader or granting vote to candidate:
        # convert to candidate". Candidates: "If election timeout elapses:
        # start new election".
        self.start_election()

    def force_timeout(self) -> None:
        """Act as if the election timeout had just elapsed (the explorer's button)."""
        if self.role != LEADER:
            self.start_election()

    # ------------------------------------------------------------ persistence
    def set_term(self, term: int) -> None:
        """A new term: forget the vote of the old one; both on stable storage first."""
        self.current_term = term
        self.voted_for = None
        storage = self.ctx.storage
        storage["current_term"] = term
        storage["voted_for"] = None

    def save_vote(self, candidate: Any) -> None:
        """Record the vote on stable storage before answering (Figure 2: persistent voted_for)."""
        self.voted_for = candidate
        self.ctx.storage["voted_for"] = candidate

    # --------------------------------------------------------------- election
    def start_election(self) -> None:
        # Candidates (Figure 2), on conversion to candidate: increment current_term,
        # vote for self, reset election timer, send RequestVote RPCs to all other servers.
        term = self.current_term + 1
        self.set_term(term)
        self.save_vote(self.node_id)
        self.role = CANDIDATE
        self.leader_id = None
        self.votes = {self.node_id}
        if self.pending:
            self._fail_pending()
        self.ctx.record_state(role=CANDIDATE, term=term)
        self.reset_election_timer(redraw=True)
        if len(self.votes) >= self.majority:       # a cluster of one
            self.become_leader()
            return
        entries = self.log.entries
        request = RequestVote(term, self.node_id, len(entries) - 1, entries[-1].term)
        send = self.ctx.send
        for peer in self.peers:
            send(peer, request)

    def vote_available(self, candidate: Any) -> bool:
        """RequestVote receiver, step 2: "votedFor is null or candidateId" (one vote per term)."""
        return self.voted_for is None or self.voted_for == candidate

    def candidate_up_to_date(self, last_log_term: int, last_log_index: int) -> bool:
        """Section 5.4.1: the candidate's log is at least as up-to-date as the receiver's.

        "If the logs have last entries with different terms, then the log with
        the later term is more up-to-date. If the logs end with the same term,
        then whichever log is longer is more up-to-date."
        """
        entries = self.log.entries
        my_term = entries[-1].term
        if last_log_term != my_term:
            return last_log_term > my_term
        return last_log_index >= len(entries) - 1

    def on_request_vote(self, src: Any, msg: RequestVote) -> None:
        # All servers: "If RPC request or response contains term T > currentTerm:
        # set currentTerm = T, convert to follower (section 5.1)".
        if msg.term > self.current_term:
            self.step_down(msg.term)
        granted = False
        # RequestVote receiver, step 1: "Reply false if term < currentTerm";
        # step 2: grant if voted_for is null or the candidate, and the
        # candidate's log is at least as up-to-date as the receiver's.
        if (msg.term == self.current_term and self.vote_available(msg.candidate_id)
                and self.candidate_up_to_date(msg.last_log_term, msg.last_log_index)):
            self.save_vote(msg.candidate_id)
            granted = True
            self.reset_election_timer(redraw=True)   # Followers: granting a vote resets the timer
        self.ctx.send(src, RequestVoteReply(self.current_term, granted))

    def on_request_vote_reply(self, src: Any, msg: RequestVoteReply) -> None:
        if msg.term > self.current_term:
            self.step_down(msg.term)
            return
        if self.role != CANDIDATE or msg.term != self.current_term or not msg.vote_granted:
            return                                   # a stale answer, or a refusal
        self.votes.add(src)
        # Candidates: "If votes received from majority of servers: become leader".
        if len(self.votes) >= self.majority:
            self.become_leader()

    def become_leader(self) -> None:
        self.role = LEADER
        self.leader_id = self.node_id
        # Volatile state on leaders, "reinitialized after election": next_index
        # to leader's last log index + 1, match_index to 0.
        after = self.log.last_index + 1
        self.next_index = {p: after for p in self.peers}
        self.match_index = {p: 0 for p in self.peers}
        self.last_sent = {}                          # peer -> when it was last sent AppendEntries
        self.ctx.record_state(role=LEADER, term=self.current_term)
        if self.noop:
            self.log.append(Entry(self.current_term, None))
        # Leaders: "Upon election: send initial empty AppendEntries RPCs
        # (heartbeat) to each server; repeat during idle periods to prevent
        # election timeouts (section 5.2)".
        self.broadcast_append_entries()
        self.ctx.set_timer(self.heartbeat_interval, "heartbeat", self.current_term)
        self.advance_commit_index()                  # a cluster of one commits alone

    def step_down(self, term: int) -> None:
        """Adopt a newer term (or a leader of this term) and become a follower."""
        was_leader = self.role == LEADER
        if term > self.current_term:
            self.set_term(term)
            self.leader_id = None                    # a new term: its leader is not known yet
        self.role = FOLLOWER
        self.votes = set()
        if self.pending:
            self._fail_pending()
        self.ctx.record_state(role=FOLLOWER, term=self.current_term)
        # A deposed leader starts its election timer again. A follower or candidate
        # keeps its running timer: only a leader's AppendEntries or a granted vote
        # restart it (Figure 2), so a candidate that cannot win delays no one.
        if was_leader or self._timer is None:
            self.reset_election_timer(redraw=True)

    # ------------------------------------------------------------------ views
    def state_key(self) -> tuple:
        """A hashable summary of the protocol state (for a model checker's seen-set)."""
        return (self.role, self.current_term, self.voted_for, tuple(self.log.terms()),
                self.commit_index, tuple(sorted(self.votes, key=str)))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.node_id!r}, {self.role}, term={self.current_term}, "
                f"log={self.log.terms()}, commit={getattr(self, 'commit_index', 0)})")
