"""Model checking Paxos: three acceptors, two proposers, every schedule.

``explore_paxos(PaxosNode)`` hands the tiny system below to the small-scope
model checker (``dscourse.sim.explore``), which tries every order of message
deliveries and one acceptor restart (crash and recovery with its storage),
breadth first, and returns the shortest schedule that breaks a safety
invariant, if any exists within the bound.

The model is kept as small as the question allows:

* acceptors ``a1``, ``a2``, ``a3``; proposers ``p1`` (value ``"x"``) and
  ``p2`` (value ``"y"``), each starting one ballot at boot (no retries);
* no learners: the invariant checked is Lamport's own, *one value chosen*
  (accepted by a majority in some ballot), which learners can only report
  later, so leaving them out loses no bug and saves many states;
* no ``Nack``: it only hurries a proposer along and never changes an acceptor;
* only ``a2`` may crash: the acceptors play identical parts, so a schedule
  crashing ``a1`` or ``a3`` has a mirror image crashing ``a2``.

Within the default bound (13 steps, one restart) correct Paxos has no
counterexample; every mutant in ``paxos_mutants`` has one.
"""

from __future__ import annotations

from ..sim.explore import ExploreResult, explore, state_text
from .paxos import PaxosNode
from .paxos_invariants import INVARIANTS

ACCEPTORS = ("a1", "a2", "a3")
PROPOSERS = {"p1": "x", "p2": "y"}
MAX_DEPTH = 13
CRASHES = 1
CRASHABLE = ("a2",)


# Everything a PaxosNode changes as it runs; the rest are its constructor's arguments.
STATE = ("promised", "accepted_ballot", "accepted_value", "ballot", "phase", "promises",
         "proposed", "highest_round", "failures", "votes")


def paxos_state_key(node: PaxosNode) -> str:
    """What of a Paxos node's state matters to its future (its durable storage is added)."""
    return state_text(tuple(getattr(node, name) for name in STATE))


def tiny_paxos(node_class: type = PaxosNode) -> list:
    """The model's nodes, freshly built: three acceptors, two proposers."""
    if not (isinstance(node_class, type) and issubclass(node_class, PaxosNode)):
        raise TypeError(f"node_class must be PaxosNode or a subclass of it, got {node_class!r}")
    nodes = [node_class(a, ACCEPTORS, learners=(), nacks=False) for a in ACCEPTORS]
    nodes += [node_class(p, ACCEPTORS, learners=(), value=v, nacks=False)
              for p, v in PROPOSERS.items()]
    return nodes


def explore_paxos(node_class: type = PaxosNode, *, max_depth: int = MAX_DEPTH,
                  crashes: int = CRASHES, max_states: int = 200_000) -> ExploreResult:
    """Every schedule of ``tiny_paxos(node_class)`` up to the bound, breadth first."""
    tiny_paxos(node_class)          # check the class before searching
    return explore(lambda: tiny_paxos(node_class), INVARIANTS, max_depth=max_depth,
                   crashes=crashes, crashable=CRASHABLE, timer_fires=0, max_states=max_states,
                   state_key=paxos_state_key)
