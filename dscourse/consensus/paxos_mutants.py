"""Deliberately broken Paxos: each mutant changes one rule of ``PaxosNode``.

They exist to be caught: by the invariants in a seed sweep, and by the model
checker (``dscourse.sim.explore``) on its own, which returns the shortest
schedule that breaks them. Each docstring says which rule is broken and why
that rule matters.
"""

from __future__ import annotations

from typing import Any

from .paxos import PaxosNode, Prepare, Promise


class ForgetfulAcceptor(PaxosNode):
    """Keeps its promise and accepted proposal in memory only (not in storage).

    After a crash it has forgotten whom it promised: a proposer with a lower
    ballot can now get its value accepted, beside a value already chosen.
    """

    def load_acceptor_state(self) -> None:
        self.promised = self.accepted_ballot = self.accepted_value = None

    def save_acceptor_state(self) -> None:
        pass


class PromiseBreakingAcceptor(PaxosNode):
    """Accepts any ``Accept``, without checking the promise it made (P1a)."""

    def accept_ok(self, ballot) -> bool:
        return True


class StubbornProposer(PaxosNode):
    """Proposes its own value even when a promise reports an accepted one (breaks P2c)."""

    def choose_value(self, promises: list) -> Any:
        return self.value


class SilentAcceptor(PaxosNode):
    """Promises without reporting the proposal it accepted (phase 1b must carry it).

    The proposer then believes nothing was accepted and is free to propose its
    own value: P2c is broken from the acceptor's side.
    """

    def on_prepare(self, src: Any, msg: Prepare) -> None:
        if self.is_acceptor and self.promise_ok(msg.ballot):
            self.promised = msg.ballot
            self.save_acceptor_state()
            self.ctx.send(src, Promise(msg.ballot, None, None))
        else:
            super().on_prepare(src, msg)


class MinorityQuorum(PaxosNode):
    """Counts half the acceptors (rounded down) as a quorum: two quorums need not meet."""

    def quorum_size(self) -> int:
        return max(1, len(self.acceptors) // 2)


MUTANTS = {
    "forgetful_acceptor": ForgetfulAcceptor,
    "promise_breaking_acceptor": PromiseBreakingAcceptor,
    "stubborn_proposer": StubbornProposer,
    "silent_acceptor": SilentAcceptor,
    "minority_quorum": MinorityQuorum,
}
