"""Multi-Paxos: a replicated log, one Paxos instance per slot, with a stable leader.

Deciding every log slot with single-decree Paxos costs two round trips per
value (prepare/promise, then accept/accepted). Lamport's remedy ("Paxos Made
Simple", section 3): run phase 1 once, with one ballot, for *every* slot from
some index on. The proposer whose ``Prepare`` a majority promised is the
leader for that ballot; until a higher ballot appears, each new value needs
phase 2 only: one round trip, ``Accept`` out and ``Accepted`` back.

* **Electing a leader.** The node with the lowest id starts phase 1 at boot
  (a distinguished proposer). Any node that hears nothing from a leader for a
  randomised ``leader_timeout`` runs phase 1 with a higher ballot.
* **Taking over.** Promises report every proposal accepted at or after the
  leader's first undecided slot; the new leader re-proposes, slot by slot, the
  value with the highest ballot (rule P2c of single-decree Paxos, per slot),
  and a no-op in gaps, before its own commands.
* **Steady state.** ``submit(value)`` at the leader puts ``value`` in the next
  slot and sends ``Accept``; the leader is an acceptor too (locally, no
  message). A majority of ``Accepted`` decides the slot. The decisions a
  follower has not heard of yet (it reports how far it got in each
  ``Accepted``) ride on the leader's next ``Accept``, or on its idle
  heartbeat (``Commit``): no message is spent on learning.
* ``stable_leader=False`` gives up the leadership after every decision, so
  each value pays for its own phase 1: the "basic Paxos per slot" baseline
  (with one distinguished proposer, the lowest id, and no fail-over).

Acceptor state (the promised ballot and every accepted proposal) is in
``ctx.storage``, written before replying; so is each node's decided log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..sim import Node
from ..sim.validate import check_node_id, check_number
from .paxos import Ballot, check_members, majority

NOOP = "no-op"


@dataclass(frozen=True)
class Prepare:            # phase 1a for every slot >= first_slot
    ballot: Ballot
    first_slot: int


@dataclass(frozen=True)
class Promise:            # phase 1b: what this acceptor accepted from first_slot on
    ballot: Ballot
    accepted: tuple       # ((slot, ballot, value), ...)


@dataclass(frozen=True)
class Accept:             # phase 2a for one slot, with decisions the follower lacks
    ballot: Ballot
    slot: int
    value: Any
    decided: tuple = ()   # ((slot, value), ...)


@dataclass(frozen=True)
class Accepted:           # phase 2b, to the leader; `have`: the follower's first undecided slot
    ballot: Ballot
    slot: int
    have: int = 0


@dataclass(frozen=True)
class Commit:             # the idle leader's heartbeat, with decisions the follower lacks
    ballot: Ballot
    decided: tuple = ()


@dataclass(frozen=True)
class Nack:
    ballot: Ballot
    promised: Ballot


class MultiPaxosNode(Node):
    """One server of a Multi-Paxos cluster (acceptor, learner, and leader when elected)."""

    def __init__(self, node_id: Any, members: Iterable[Any], *, stable_leader: bool = True,
                 heartbeat: float = 50.0, leader_timeout: tuple = (150.0, 300.0)):
        super().__init__(check_node_id("node_id", node_id))
        self.members = check_members("members", members)
        if node_id not in self.members:
            raise ValueError(f"node_id={node_id!r} must be one of members {list(self.members)}")
        self.stable_leader = bool(stable_leader)
        self.heartbeat = check_number("heartbeat", heartbeat, minimum=0, strict_min=True)
        low, high = (check_number("leader_timeout[0]", leader_timeout[0], minimum=0, strict_min=True),
                     check_number("leader_timeout[1]", leader_timeout[1], minimum=0, strict_min=True))
        if low > high:
            raise ValueError(f"leader_timeout must be (low, high) with low <= high, got {leader_timeout}")
        self.leader_timeout = (low, high)
        self.quorum = majority(len(self.members))
        self.peers = tuple(m for m in self.members if m != node_id)

    # --------------------------------------------------------------- state
    def on_start(self) -> None:
        s = self.ctx.storage
        s.setdefault("promised", None)
        s.setdefault("accepted", {})      # slot -> (ballot, value)
        s.setdefault("decided", {})       # slot -> value
        s.setdefault("round", 0)
        self.ballot: Ballot | None = None  # the ballot this node leads (or tries to)
        self.leading = False
        self.promises: dict = {}
        self.proposals: dict = {}          # slot -> value this leader proposed
        self.votes: dict = {}              # slot -> acceptors that accepted it
        self.known: dict = {}              # follower -> its first undecided slot, as reported
        self.queue: list = []              # values waiting for a slot (while electing)
        self.next_slot = self.first_undecided()
        self.heard = 0                     # bumped whenever a leader is heard from
        self.ctx.record_state(role="follower")
        if self.node_id == self.members[0]:
            self.start_phase1()            # the distinguished proposer
        self.arm_timeout()

    @property
    def decided(self) -> dict:
        return self.ctx.storage["decided"]

    @property
    def promised(self) -> Ballot | None:
        return self.ctx.storage["promised"]

    def first_undecided(self) -> int:
        slot = 0
        while slot in self.decided:
            slot += 1
        return slot

    def log(self) -> list:
        """The decided prefix of the log (values of slots 0, 1, ... until the first gap)."""
        return [self.decided[s] for s in range(self.first_undecided())]

    def arm_timeout(self) -> None:
        if not self.stable_leader:
            return                         # the baseline: one distinguished proposer, no fail-over
        low, high = self.leader_timeout
        self.ctx.set_timer(low + (high - low) * self.ctx.rng.random(), "leader?", self.heard)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "heartbeat":
            if self.leading and payload == self.ballot:
                for p in self.peers:
                    self.ctx.send(p, Commit(self.ballot, self.news_for(p)))
                self.ctx.set_timer(self.heartbeat, "heartbeat", self.ballot)
        elif name == "leader?":
            if not self.leading and payload == self.heard:
                self.start_phase1()        # no sign of a leader: try to become one
            self.arm_timeout()

    # --------------------------------------------------------------- phase 1
    def start_phase1(self) -> None:
        s = self.ctx.storage
        seen = self.promised.round if self.promised else 0
        s["round"] = max(s["round"], seen) + 1
        self.ballot = Ballot(s["round"], self.node_id)
        self.leading, self.promises = False, {}
        first = self.first_undecided()
        self.receive_prepare(self.node_id, Prepare(self.ballot, first))      # local acceptor
        for p in self.peers:
            self.ctx.send(p, Prepare(self.ballot, first))

    def on_prepare(self, src: Any, msg: Prepare) -> None:
        self.receive_prepare(src, msg)

    def receive_prepare(self, src: Any, msg: Prepare) -> None:
        s = self.ctx.storage
        if s["promised"] is not None and msg.ballot < s["promised"]:
            self.ctx.send(src, Nack(msg.ballot, s["promised"]))
            return
        s["promised"] = msg.ballot          # durable before the reply
        if msg.ballot.proposer != self.node_id:
            self.heard += 1
            self.leading = False
        accepted = tuple((slot, b, v) for slot, (b, v) in sorted(s["accepted"].items())
                         if slot >= msg.first_slot)
        if src == self.node_id:
            self.receive_promise(src, Promise(msg.ballot, accepted))
        else:
            self.ctx.send(src, Promise(msg.ballot, accepted))

    def on_promise(self, src: Any, msg: Promise) -> None:
        self.receive_promise(src, msg)

    def receive_promise(self, src: Any, msg: Promise) -> None:
        if msg.ballot != self.ballot or self.leading:
            return
        self.promises[src] = msg.accepted
        if len(self.promises) < self.quorum:
            return
        # Elected. Per slot, P2c: re-propose the highest-ballot accepted value.
        self.leading = True
        self.ctx.record_state(role="leader", ballot=str(self.ballot))
        best: dict = {}
        for entries in self.promises.values():
            for slot, b, v in entries:
                if slot not in best or b > best[slot][0]:
                    best[slot] = (b, v)
        start = self.first_undecided()
        top = max([start - 1, *best])
        self.proposals, self.votes, self.known = {}, {}, {}
        self.next_slot = start
        for slot in range(start, top + 1):
            if slot not in self.decided:
                self.propose(slot, best[slot][1] if slot in best else NOOP)
        self.next_slot = max(self.next_slot, top + 1)
        self.ctx.set_timer(self.heartbeat, "heartbeat", self.ballot)
        queued, self.queue = self.queue, []
        for value in queued:
            self.submit(value)
        if not self.stable_leader and not self.votes_pending():
            self.leading = False           # the baseline keeps no leader between values

    def on_nack(self, src: Any, msg: Nack) -> None:
        if msg.ballot == self.ballot:
            self.leading = False           # a higher ballot exists; the timeout may retry
            self.ctx.storage["round"] = max(self.ctx.storage["round"], msg.promised.round)

    # --------------------------------------------------------------- phase 2
    def submit(self, value: Any) -> bool:
        """Ask this node to get ``value`` into the log. False if it is not (yet) leading."""
        if not self.leading:
            if not self.stable_leader and self.ballot is not None:
                self.queue.append(value)   # basic Paxos per slot: phase 1 for this value
                if len(self.queue) == 1:
                    self.start_phase1()
                return True
            return False
        slot = self.next_slot
        self.next_slot += 1
        self.propose(slot, value)
        return True

    def propose(self, slot: int, value: Any) -> None:
        self.proposals[slot] = value
        self.votes[slot] = set()
        self.receive_accept(self.node_id, Accept(self.ballot, slot, value))
        for p in self.peers:
            self.ctx.send(p, Accept(self.ballot, slot, value, self.news_for(p)))

    def news_for(self, peer: Any, limit: int = 32) -> tuple:
        """Decisions ``peer`` has not reported having (at most ``limit``)."""
        start = self.known.get(peer, 0)
        end = min(self.first_undecided(), start + limit)
        return tuple((slot, self.decided[slot]) for slot in range(start, end))

    def on_accept(self, src: Any, msg: Accept) -> None:
        self.receive_accept(src, msg)

    def receive_accept(self, src: Any, msg: Accept) -> None:
        s = self.ctx.storage
        if s["promised"] is not None and msg.ballot < s["promised"]:
            self.ctx.send(src, Nack(msg.ballot, s["promised"]))
            return
        s["promised"] = msg.ballot
        s["accepted"][msg.slot] = (msg.ballot, msg.value)     # durable before the reply
        if src == self.node_id:
            self.receive_accepted(src, Accepted(msg.ballot, msg.slot))
            return
        self.heard += 1
        if msg.ballot != self.ballot:
            self.leading = False
        self.learn(msg.decided)
        self.ctx.send(src, Accepted(msg.ballot, msg.slot, self.first_undecided()))

    def on_accepted(self, src: Any, msg: Accepted) -> None:
        self.receive_accepted(src, msg)

    def receive_accepted(self, src: Any, msg: Accepted) -> None:
        if msg.ballot != self.ballot or not self.leading or msg.slot not in self.votes:
            return
        if src != self.node_id:
            self.known[src] = max(self.known.get(src, 0), msg.have)
        self.votes[msg.slot].add(src)
        if len(self.votes[msg.slot]) >= self.quorum and msg.slot not in self.decided:
            self.decide(msg.slot, self.proposals[msg.slot])
            if not self.stable_leader and not self.queue and not self.votes_pending():
                self.leading = False       # the baseline: next value runs phase 1 again

    def votes_pending(self) -> bool:
        return any(slot not in self.decided for slot in self.votes)

    def on_commit(self, src: Any, msg: Commit) -> None:
        if self.promised is not None and msg.ballot < self.promised:
            return
        self.heard += 1
        self.learn(msg.decided)

    def learn(self, decided: tuple) -> None:
        """The leader's decisions: each was decided by a majority in some ballot."""
        for slot, value in decided:
            if slot not in self.decided:
                self.decide(slot, value)

    def decide(self, slot: int, value: Any) -> None:
        self.decided[slot] = value
        self.ctx.record_state(decided=f"{slot}:{value}")


def slot_agreement(nodes) -> bool | str:
    """No two nodes decide different values for the same slot."""
    seen: dict = {}
    for nid in sorted(nodes, key=str):
        for slot, value in nodes[nid].ctx.storage.get("decided", {}).items():
            if slot in seen and seen[slot][1] != value:
                return f"slot {slot}: {seen[slot][0]} decided {seen[slot][1]!r}, {nid} decided {value!r}"
            seen.setdefault(slot, (nid, value))
    return True
