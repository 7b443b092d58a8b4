"""Single-decree Paxos (Lamport, "Paxos Made Simple", 2001).

A set of nodes must choose one value. Three roles, which any node may combine
(``PaxosNode`` plays a role when its arguments say so):

* **proposers** (nodes given a ``value``) try to get a value chosen;
* **acceptors** (the ``acceptors`` list) vote; a value is *chosen* once a
  majority of acceptors has accepted it in the same ballot;
* **learners** (the ``learners`` list) find out which value was chosen.

Ballots (proposal numbers) are pairs ``(round, proposer id)``: ordered by
round first, and unique because no two proposers share an id and a proposer
never reuses a round (it writes its last round to storage before using it).

Phase 1 (prepare/promise). A proposer picks a ballot ``b`` higher than any it
has seen and sends ``Prepare(b)`` to the acceptors. An acceptor that has not
promised a higher ballot promises ``b`` (P1a: it will accept nothing below
``b``) and reports the highest-ballot proposal it has accepted, if any.

Phase 2 (accept/accepted). With promises from a majority, the proposer sends
``Accept(b, v)`` where ``v`` is the value of the highest-ballot proposal among
the promises, or its own value if none reported one (P2c: this is what makes a
chosen value stick). An acceptor accepts unless it has promised a higher
ballot, and tells the learners with ``Accepted(b, v)``.

Learning. A learner decides ``v`` once a majority of acceptors report
``Accepted`` for the same ballot; it decides at most once. A proposer learns
the outcome by being a learner too (it stops retrying once it has decided).

Crashes. An acceptor's promise and accepted proposal are written to
``ctx.storage`` *before* it answers, so a crash and recovery cannot make it
break a promise. A proposer whose attempt stalls (lost messages, a rival with
a higher ballot) retries after ``retry_timeout`` with a higher round; two
proposers that keep pre-empting each other can do so forever (the FLP result
says no deterministic protocol can rule that out). ``backoff`` adds a random
wait before each retry, which breaks the duel with probability one.

Invariants (``paxos_invariants``) read what this module stores: each
learner's ``storage["decided"]`` and each acceptor's ``storage["votes"]``, an
observer's record of every (ballot, value) it accepted that the protocol
itself never reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from ..sim.validate import check_delay, check_node_id, check_number


@dataclass(frozen=True, order=True)
class Ballot:
    """A proposal number: ``round`` first, then the proposer's id to break ties."""
    round: int
    proposer: Any

    def __str__(self) -> str:
        return f"{self.round}.{self.proposer}"


@dataclass(frozen=True)
class Prepare:          # phase 1a
    ballot: Ballot


@dataclass(frozen=True)
class Promise:          # phase 1b
    ballot: Ballot
    accepted_ballot: Ballot | None
    accepted_value: Any


@dataclass(frozen=True)
class Accept:           # phase 2a
    ballot: Ballot
    value: Any


@dataclass(frozen=True)
class Accepted:         # phase 2b, to the learners
    ballot: Ballot
    value: Any


@dataclass(frozen=True)
class Nack:             # "I promised a higher ballot" (an optimisation from the paper)
    ballot: Ballot
    promised: Ballot


def check_members(name: str, ids: Iterable[Any], *, allow_empty: bool = False) -> tuple:
    """A sorted tuple of distinct node ids, or a clear error."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise TypeError(f"{name} must be a list of node ids, got {ids!r}")
    ids = [check_node_id(name, n) for n in ids]
    if not ids and not allow_empty:
        raise ValueError(f"{name} must name at least one node (a cluster of size zero "
                         f"cannot decide anything)")
    if len(set(ids)) != len(ids):
        dup = sorted({n for n in ids if ids.count(n) > 1}, key=str)
        raise ValueError(f"{name} contains duplicate node ids {dup}; ids must be unique")
    return tuple(sorted(ids))


def majority(n: int) -> int:
    """The smallest quorum size such that any two quorums of ``n`` intersect."""
    return n // 2 + 1


class PaxosNode(Node):
    """A Paxos node: acceptor if in ``acceptors``, learner if in ``learners``,
    proposer if given a ``value``.

    Parameters
    ----------
    acceptors, learners : lists of node ids (learners default to the acceptors)
    value : the value this node proposes (``None``: not a proposer)
    retry_timeout : ms a proposer waits for its attempt before retrying
    backoff : None for an immediate retry; else a random wait of up to
        ``backoff * 2**k`` ms (k = failed attempts so far, at most 6) first
    start_delay : ms before a proposer's first attempt (0: at boot)
    nacks : send ``Nack`` on a refused prepare or accept (an optimisation the
        paper suggests: the proposer learns of the higher ballot at once)
    """

    def __init__(self, node_id: Any, acceptors: Iterable[Any], learners: Iterable[Any] | None = None,
                 value: Any = None, *, retry_timeout: float = 100.0, backoff: float | None = None,
                 start_delay: float = 0.0, nacks: bool = True):
        super().__init__(check_node_id("node_id", node_id))
        self.acceptors = check_members("acceptors", acceptors)
        self.learners = (self.acceptors if learners is None
                         else check_members("learners", learners, allow_empty=True))
        self.value = value
        self.retry_timeout = check_number("retry_timeout", retry_timeout, minimum=0, strict_min=True)
        self.backoff = None if backoff is None else check_number("backoff", backoff, minimum=0,
                                                                 strict_min=True)
        self.start_delay = check_delay("start_delay", start_delay)
        if not isinstance(nacks, bool):
            raise TypeError(f"nacks must be True or False, got {nacks!r}")
        self.nacks = nacks
        # Acceptor state (durable; loaded in on_start).
        self.promised: Ballot | None = None
        self.accepted_ballot: Ballot | None = None
        self.accepted_value: Any = None
        # Proposer state (volatile, except the last round used).
        self.ballot: Ballot | None = None
        self.phase = 0                   # 0 idle, 1 collecting promises, 2 accept requests sent
        self.promises: dict = {}         # acceptor -> (accepted_ballot, accepted_value)
        self.proposed: Any = None
        self.highest_round = 0           # the highest round seen in any ballot
        self.failures = 0
        # Learner state: ballot -> acceptors that accepted it.
        self.votes: dict = {}

    # ------------------------------------------------------------------ roles
    @property
    def is_acceptor(self) -> bool:
        return self.node_id in self.acceptors

    @property
    def is_learner(self) -> bool:
        return self.node_id in self.learners

    @property
    def is_proposer(self) -> bool:
        return self.value is not None

    @property
    def decided(self) -> Any:
        return self.ctx.storage.get("decided")

    def quorum_size(self) -> int:
        return majority(len(self.acceptors))

    # ---------------------------------------------------------------- booting
    def on_start(self) -> None:
        self.load_acceptor_state()
        self.highest_round = self.ctx.storage.get("round", 0)
        if self.is_proposer and self.decided is None:
            if self.start_delay > 0:
                self.ctx.set_timer(self.start_delay, "start")
            else:
                self.start_round()

    def load_acceptor_state(self) -> None:
        s = self.ctx.storage
        self.promised = s.get("promised")
        self.accepted_ballot = s.get("accepted_ballot")
        self.accepted_value = s.get("accepted_value")

    def save_acceptor_state(self) -> None:
        # Written before any reply leaves: a promise must survive a crash.
        s = self.ctx.storage
        s["promised"] = self.promised
        s["accepted_ballot"] = self.accepted_ballot
        s["accepted_value"] = self.accepted_value

    # --------------------------------------------------------------- proposer
    def start_round(self) -> None:
        """Phase 1a: a fresh ballot, above every round seen, never reused."""
        rnd = max(self.highest_round, self.ctx.storage.get("round", 0)) + 1
        self.ctx.storage["round"] = rnd
        self.highest_round = rnd
        self.ballot = Ballot(rnd, self.node_id)
        self.phase, self.promises = 1, {}
        self.ctx.record_state(ballot=str(self.ballot), phase="prepare")
        for a in self.acceptors:
            self.ctx.send(a, Prepare(self.ballot))
        self.ctx.set_timer(self.retry_timeout, "retry", rnd)

    def on_promise(self, src: Any, msg: Promise) -> None:
        if self.phase != 1 or msg.ballot != self.ballot or src not in self.acceptors:
            return
        self.promises[src] = (msg.accepted_ballot, msg.accepted_value)
        if len(self.promises) >= self.quorum_size():
            # Phase 2a with the value rule P2c.
            self.proposed = self.choose_value(list(self.promises.values()))
            self.phase = 2
            self.ctx.record_state(ballot=str(self.ballot), phase="accept")
            for a in self.acceptors:
                self.ctx.send(a, Accept(self.ballot, self.proposed))

    def choose_value(self, promises: list) -> Any:
        """P2c: the value of the highest-ballot accepted proposal reported, else our own."""
        reported = [(b, v) for b, v in promises if b is not None]
        if not reported:
            return self.value
        return max(reported, key=lambda bv: bv[0])[1]

    def on_nack(self, src: Any, msg: Nack) -> None:
        self.highest_round = max(self.highest_round, msg.promised.round)
        if msg.ballot == self.ballot and self.phase:
            self.phase = 0              # this attempt is lost; the retry timer starts the next

    def on_timer(self, name: str, payload: Any) -> None:
        if self.decided is not None:
            return                      # the outcome is known: nothing left to do
        if name == "start":
            self.start_round()
        elif name == "retry" and self.ballot is not None and payload == self.ballot.round:
            self.failures += 1
            self.phase = 0
            if self.backoff is None:
                self.start_round()
            else:               # randomised exponential backoff breaks duels
                limit = self.backoff * 2 ** min(self.failures - 1, 6)
                self.ctx.set_timer(self.ctx.rng.uniform(0, limit), "start")

    # --------------------------------------------------------------- acceptor
    def promise_ok(self, ballot: Ballot) -> bool:
        return self.promised is None or ballot >= self.promised

    def accept_ok(self, ballot: Ballot) -> bool:
        # P1a: accept unless a higher ballot has been promised.
        return self.promised is None or ballot >= self.promised

    def on_prepare(self, src: Any, msg: Prepare) -> None:
        if not self.is_acceptor:
            return
        if self.promise_ok(msg.ballot):
            self.promised = msg.ballot
            self.save_acceptor_state()
            self.ctx.send(src, Promise(msg.ballot, self.accepted_ballot, self.accepted_value))
        elif self.nacks:
            self.ctx.send(src, Nack(msg.ballot, self.promised))

    def on_accept(self, src: Any, msg: Accept) -> None:
        if not self.is_acceptor:
            return
        if not self.accept_ok(msg.ballot):
            if self.nacks:
                self.ctx.send(src, Nack(msg.ballot, self.promised))
            return
        self.promised = msg.ballot
        self.accepted_ballot, self.accepted_value = msg.ballot, msg.value
        self.save_acceptor_state()
        votes = self.ctx.storage.get("votes", frozenset())
        self.ctx.storage["votes"] = votes | {(msg.ballot, msg.value)}   # observer's record
        self.ctx.record_state(accepted=f"{msg.ballot}:{msg.value}")
        for dst in self.learners:
            self.ctx.send(dst, Accepted(msg.ballot, msg.value))

    # ---------------------------------------------------------------- learner
    def on_accepted(self, src: Any, msg: Accepted) -> None:
        if src not in self.acceptors or not self.is_learner or self.decided is not None:
            return                      # integrity: decide at most once
        voters = self.votes.setdefault(msg.ballot, set())
        voters.add(src)
        if len(voters) >= self.quorum_size():
            self.decide(msg.value)

    def decide(self, value: Any) -> None:
        s = self.ctx.storage
        s["decided"] = value
        s["decisions"] = s.get("decisions", 0) + 1
        self.phase = 0
        self.ctx.record_state(decided=value)
        self.ctx.log(f"decided {value!r}")
