"""The bully algorithm (Garcia-Molina, "Elections in a Distributed Computing System", 1982).

Every node has a distinct, comparable id, and the live node with the highest
id must become the coordinator (the leader):

* **Detection.** The coordinator sends ``Heartbeat`` to everyone every
  ``heartbeat_interval`` ms. A node that hears nothing from it for its
  detection timeout (drawn from ``detect_timeout``) starts an election; so
  does a node that boots or recovers.
* **Election.** The node sends ``Election`` to every node with a higher id.
  A higher node that is alive answers ``Answer`` ("I'm here, I'll take
  over") and starts its own election. If no answer comes within
  ``answer_timeout``, nobody above is alive: the node declares itself with
  ``Coordinator`` to everyone. If an answer came, it waits
  ``coordinator_timeout`` for the ``Coordinator`` message, and starts over
  if none arrives.
* **Bullying.** A node that sees a lower node claim to lead (a
  ``Coordinator`` or a heartbeat from it) starts an election, which it wins:
  the highest id always takes over, even from a working coordinator.

Message cost: if the node just below the crashed coordinator notices first,
an election takes ``n`` messages (one ``Election`` to the dead node, then
``n - 1`` ``Coordinator``). If the *lowest* node notices first, every node
above it answers and runs its own election: ``n(n-1)/2`` ``Election``,
``(n-1)(n-2)/2`` ``Answer`` and ``n - 1`` ``Coordinator`` messages,
``n(n-1)`` in all: O(n²).

Safety: none to speak of. The algorithm assumes a synchronous system (a
message delay bounded by the timeouts) and no partitions. Cut the network
and each side elects its own coordinator; delay an ``Answer`` beyond the
timeout and two nodes declare. It has no terms, so nothing tells a stale
coordinator's orders from a current one's (``term`` is recorded as ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..consensus.raft.cluster import server_ids
from ..sim import Simulator
from ..sim.rng import Seed
from ..sim.validate import check_int, check_node_id, check_number
from .roles import CANDIDATE, DEFAULT_LATENCY, FOLLOWER, LEADER, ElectionNode

# Message types (the paper's ARE-YOU-THERE / ANSWER / I-AM-COORDINATOR, by their common names).


@dataclass(frozen=True)
class Election:
    """"I am holding an election": sent to every higher id."""


@dataclass(frozen=True)
class Answer:
    """"I am alive and higher: leave it to me": the reply to ``Election``."""


@dataclass(frozen=True)
class Coordinator:
    """"I am the coordinator": sent to everyone by the winner."""


@dataclass(frozen=True)
class Heartbeat:
    """The coordinator's periodic "still here" (failure detection, not the election)."""


ELECTION_MESSAGES = frozenset({"Election", "Answer", "Coordinator"})


def check_comparable_ids(name: str, ids: Iterable[Any]) -> list:
    """Bully compares ids with ``<``: all must be of one type (all str or all int) and distinct."""
    ids = [check_node_id(name, i) for i in ids]
    kinds = sorted({type(i).__name__ for i in ids})
    if len(kinds) > 1:
        raise TypeError(f"{name} must all be comparable with each other (all str or all int) "
                        f"for the bully algorithm to find the highest; got a mix of "
                        f"{' and '.join(kinds)}: {ids!r}")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{name} must be distinct, got {ids!r}")
    return ids


def _timeout_range(name: str, value: Any) -> tuple[float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = check_number(name, value, minimum=0.0, strict_min=True)
        return v, v
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a number or a pair (low, high) of ms, got {value!r}")
    low = check_number(f"{name}[0]", value[0], minimum=0.0, strict_min=True)
    high = check_number(f"{name}[1]", value[1], minimum=0.0, strict_min=True)
    if low > high:
        raise ValueError(f"{name} must have low <= high, got {value!r}")
    return low, high


class BullyNode(ElectionNode):
    """One participant of the bully algorithm; see the module docstring."""

    def __init__(self, node_id: Any, peers: Iterable[Any], *, heartbeat_interval: float = 50.0,
                 detect_timeout: Any = (150.0, 300.0), answer_timeout: float = 30.0,
                 coordinator_timeout: float = 100.0) -> None:
        if isinstance(peers, (str, bytes)) or not isinstance(peers, Iterable):
            raise TypeError(f"peers must be a list of node ids, got {peers!r}")
        peers = list(peers)
        check_comparable_ids("node ids (node_id and peers)", [node_id] + peers)
        super().__init__(node_id)
        self.peers = tuple(sorted(peers))
        self.higher = tuple(p for p in self.peers if p > node_id)
        self.heartbeat_interval = check_number("heartbeat_interval", heartbeat_interval,
                                               minimum=0.0, strict_min=True)
        self.detect_timeout = _timeout_range("detect_timeout", detect_timeout)
        self.answer_timeout = check_number("answer_timeout", answer_timeout, minimum=0.0,
                                           strict_min=True)
        self.coordinator_timeout = check_number("coordinator_timeout", coordinator_timeout,
                                                minimum=0.0, strict_min=True)
        self.coordinator: Any = None
        self.elections_started = 0
        self.reign = 0                        # numbers this node's spells as coordinator
        self._timer: int | None = None

    # --------------------------------------------------------------- timers
    def _set(self, delay: float, name: str) -> None:
        """One pending timer at a time: setting one cancels the previous."""
        if self._timer is not None:
            self.ctx.cancel_timer(self._timer)
        self._timer = self.ctx.set_timer(delay, name)

    def _watch_coordinator(self) -> None:
        low, high = self.detect_timeout
        self._set(low + (high - low) * self.ctx.rng.random(), "detect")

    def on_start(self) -> None:
        # A node that boots (or recovers) holds an election: it may be the highest.
        self.set_role(FOLLOWER)
        self.start_election()

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "heartbeat":
            if self.role == LEADER and payload == self.reign:
                self.ctx.broadcast(Heartbeat())
                self.ctx.set_timer(self.heartbeat_interval, "heartbeat", self.reign)
            return
        self._timer = None
        if name == "detect":                  # the coordinator went quiet
            self.start_election()
        elif name == "answer":                # nobody higher answered: I win
            self.become_coordinator()
        elif name == "coordinator":           # someone higher answered, then vanished
            self.start_election()

    # ------------------------------------------------------------- election
    def start_election(self) -> None:
        self.elections_started += 1
        self.coordinator = None
        if not self.higher:                   # the highest id needs nobody's permission
            self.become_coordinator()
            return
        self.set_role(CANDIDATE)
        for p in self.higher:
            self.ctx.send(p, Election())
        self._set(self.answer_timeout, "answer")

    def on_election(self, src: Any, msg: Election) -> None:
        # A lower node is holding an election: tell it to stand down, and make sure
        # that an election which this node (or one above) will win is running.
        self.ctx.send(src, Answer())
        if self.role == LEADER:
            self.ctx.send(src, Coordinator())
        elif self.role != CANDIDATE:
            self.start_election()

    def on_answer(self, src: Any, msg: Answer) -> None:
        if self.role == CANDIDATE:
            self._set(self.coordinator_timeout, "coordinator")

    def become_coordinator(self) -> None:
        was_leader = self.role == LEADER
        self.coordinator = self.node_id
        self.set_role(LEADER)
        self.ctx.broadcast(Coordinator())
        if self._timer is not None:
            self.ctx.cancel_timer(self._timer)
            self._timer = None
        if not was_leader:
            self.reign += 1
            self.ctx.set_timer(self.heartbeat_interval, "heartbeat", self.reign)

    def on_coordinator(self, src: Any, msg: Coordinator) -> None:
        if src < self.node_id:
            # A lower node claims to lead: bully it (this election ends with us winning).
            if self.role != CANDIDATE:
                self.start_election()
            return
        self.follow(src)

    def on_heartbeat(self, src: Any, msg: Heartbeat) -> None:
        if src == self.coordinator and self.role == FOLLOWER:
            self._watch_coordinator()
        elif src > self.node_id:
            self.follow(src)                  # a higher coordinator we had not heard of
        elif self.role != CANDIDATE:
            self.start_election()             # a lower one leads: take over

    def follow(self, leader: Any) -> None:
        self.coordinator = leader
        self.set_role(FOLLOWER)
        self._watch_coordinator()


def bully_cluster(n: int | Iterable[Any] = 5, seed: Seed = None, *,
                  latency: Any = DEFAULT_LATENCY, detect_timeouts: dict | None = None,
                  **options: Any) -> Simulator:
    """A simulator with bully nodes ``n1..nN`` (or the ids given), started at time 0.

    ``detect_timeouts`` maps a node id to its own detection timeout (to choose
    who notices a failure first); ``options`` go to every ``BullyNode``.
    """
    if isinstance(n, int) and not isinstance(n, bool):
        ids = server_ids(check_int("n", n, minimum=1, maximum=99))
    else:
        if isinstance(n, (str, bytes)) or not isinstance(n, Iterable):
            raise TypeError(f"n must be a number of nodes or a list of node ids, got {n!r}")
        ids = check_comparable_ids("n (node ids)", n)
    detect_timeouts = dict(detect_timeouts or {})
    for nid in detect_timeouts:
        if nid not in ids:
            raise ValueError(f"detect_timeouts names {nid!r}, which is not a node; nodes: {ids}")
    sim = Simulator(seed=seed, latency=latency)
    for nid in sorted(ids):
        opts = dict(options)
        if nid in detect_timeouts:
            opts["detect_timeout"] = detect_timeouts[nid]
        sim.add_node(BullyNode(nid, [p for p in ids if p != nid], **opts))
    return sim


def worst_and_best_case(n: int, seed: Seed = None) -> dict:
    """Messages of one election after the top node crashes, when the lowest (worst case)
    or the second highest (best case) node notices first. Returns ``{"worst": .., "best": ..}``.

    Counted from the trace: every ``Election``, ``Answer`` and ``Coordinator``
    sent from the crash until the run ends (1.5 s later, long after the
    election is over), including those sent to the dead node.
    """
    ids = server_ids(check_int("n", n, minimum=2, maximum=99))
    out = {}
    for case, first in (("worst", ids[0]), ("best", ids[-2])):
        slow = {nid: 5000.0 for nid in ids if nid != first}
        slow[first] = 150.0
        sim = bully_cluster(ids, seed, detect_timeouts=slow)
        sim.run(until=100.0)                  # boot-time elections settle; the top node leads
        crash_at = sim.now
        sim.crash(ids[-1])
        sim.run(until=crash_at + 1500.0)
        out[case] = sum(1 for r in sim.trace.select("send", since=crash_at)
                        if type(r.data).__name__ in ELECTION_MESSAGES)
    return out


__all__ = ["Answer", "BullyNode", "Coordinator", "ELECTION_MESSAGES", "Election", "Heartbeat",
           "bully_cluster", "check_comparable_ids", "worst_and_best_case"]
