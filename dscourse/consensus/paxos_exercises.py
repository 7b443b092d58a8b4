"""Check functions for the exercises of notebook 05 (Paxos).

Each runs the learner's function on hand-picked cases, on random fault
schedules the notebook does not show and, where it fits, through the model
checker, and returns a ``Feedback`` that says what went wrong and gives a hint.

1. ``check_quorum_size(quorum_size)``: ``quorum_size(n)`` for ``n`` acceptors.
2. ``check_choose_value(choose_value)``: ``choose_value(promises, my_value)``,
   the proposer's rule P2c, where ``promises`` is a list of
   ``(accepted_ballot, accepted_value)`` pairs (``(None, None)`` when that
   acceptor accepted nothing).
"""

from __future__ import annotations

from typing import Any, Callable

from ..feedback import Feedback
from .paxos import Ballot, PaxosNode, majority
from .paxos_explore import explore_paxos
from .paxos_runs import random_run

HIDDEN_SEEDS = range(1000, 1030)


def _call(fn: Callable, *args) -> tuple[Any, str]:
    try:
        return fn(*args), ""
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
        return None, f"{type(exc).__name__}: {exc}"


def _not_callable(exercise: str, fn: Any) -> Feedback | None:
    if callable(fn):
        return None
    fb = Feedback(exercise, False, problem=f"expected a function, got {fn!r}",
                  hint="pass the function itself, without calling it")
    fb.add("is a function", False)
    return fb


# --------------------------------------------------------------- exercise 1
def check_quorum_size(quorum_size: Callable[[int], int]) -> Feedback:
    """Any two quorums must share an acceptor, and the survivors of a minority crash must form one."""
    exercise = "Exercise 1 (quorum size)"
    bad = _not_callable(exercise, quorum_size)
    if bad is not None:
        return bad
    fb = Feedback(exercise, False)
    sizes = {}
    for n in range(1, 10):
        q, error = _call(quorum_size, n)
        if error:
            fb.add(f"quorum_size({n}) runs", False)
            fb.problem, fb.hint = f"quorum_size({n}) raised {error}", "return an int for every n >= 1"
            return fb
        if isinstance(q, bool) or not isinstance(q, int) or q > n:
            fb.add(f"quorum_size({n}) is a whole number of acceptors, at most {n}", False)
            fb.problem = f"quorum_size({n}) returned {q!r}"
            fb.hint = ("use integer division (//), not /" if isinstance(q, float)
                       else "a quorum is a number of acceptors, at most all n of them")
            return fb
        sizes[n] = q
    fb.add("returns a number of acceptors for n = 1..9", True)
    overlap = [n for n, q in sizes.items() if 2 * q <= n]
    if not fb.add("any two quorums share an acceptor (safety)", not overlap):
        n = 3 if 3 in overlap else overlap[0]
        q = sizes[n]
        ids = [f"a{i}" for i in range(1, n + 1)]
        if q < 1:
            fb.problem = f"quorum_size({n}) is {q}: a proposer would go ahead without any acceptor"
        else:
            fb.problem = (f"with n={n} acceptors and quorums of {q}, {ids[:q]} and {ids[-q:]} "
                          f"share no acceptor: each can choose a different value")
        if n == 3 and q >= 1:
            node_class = type("LearnerQuorum", (PaxosNode,), {"quorum_size": lambda self: q})
            cx = explore_paxos(node_class).counterexample
            if cx is not None:
                fb.problem += (f". The model checker shows it with 3 acceptors: "
                               f"{cx.message}, after {len(cx)} steps")
        fb.hint = "two sets of q out of n must overlap: that needs 2q > n"
        return fb
    stuck = [n for n, q in sizes.items() if q > n - (n - 1) // 2]
    if not fb.add("a quorum survives any minority of crashes (liveness)", not stuck):
        n, q = stuck[0], sizes[stuck[0]]
        f = (n - 1) // 2
        fb.problem = (f"with n={n}, {f} crashed acceptor(s) leave {n - f}, fewer than your "
                      f"quorum of {q}: the system could never decide again")
        fb.hint = "take the smallest q with 2q > n"
        return fb
    fb.passed = True
    return fb


# --------------------------------------------------------------- exercise 2
B = Ballot
CASES = [
    ([(None, None), (None, None)], "mine", "no acceptor accepted anything: propose your own value"),
    ([(None, None), (B(1, "p1"), "x")], "x", "one acceptor accepted x"),
    ([(B(2, "p1"), "x"), (B(1, "p2"), "y")], "x", "the highest ballot comes first"),
    ([(B(1, "p2"), "y"), (B(2, "p1"), "x"), (None, None)], "x", "the highest ballot comes last"),
    ([(B(1, "p1"), "z"), (B(1, "p2"), "a")], "a", "same round: the proposer id breaks the tie"),
    ([(B(1, "p1"), "b"), (B(3, "p1"), "a"), (B(2, "p2"), "c")], "a",
     "the highest ballot, not the highest value"),
]


def check_choose_value(choose_value: Callable[[list, Any], Any]) -> Feedback:
    """The rule P2c: adopt the value of the highest-ballot proposal any promise reports."""
    exercise = "Exercise 2 (which value to propose)"
    bad = _not_callable(exercise, choose_value)
    if bad is not None:
        return bad
    fb = Feedback(exercise, False)
    for promises, expected, what in CASES:
        got, error = _call(choose_value, list(promises), "mine")
        ok = not error and got == expected
        fb.add(f"{what}", ok)
        if not ok:
            shown = ", ".join("nothing" if b is None else f"({b}, {v!r})" for b, v in promises)
            fb.problem = (f"promises [{shown}]: expected {expected!r}, got "
                          f"{error or repr(got)}")
            fb.hint = ("compare ballots (Ballot objects compare by round, then proposer); "
                       "ignore (None, None) promises; return the *value* of the highest one")
            return fb

    def rule(self, promises):
        return choose_value(promises, self.value)

    node_class = type("LearnerProposer", (PaxosNode,), {"choose_value": rule})
    for seed in HIDDEN_SEEDS:
        sim = random_run(seed, node_class=node_class, settle=500.0)
        if sim.violations:
            fb.add(f"{len(HIDDEN_SEEDS)} random fault schedules keep every invariant", False)
            fb.problem = f"random schedule (seed {seed}): {sim.violations[0].message}"
            fb.hint = "a value a majority may have accepted must be proposed again"
            return fb
    fb.add(f"{len(HIDDEN_SEEDS)} random fault schedules keep every invariant", True)
    result = explore_paxos(node_class)
    if not fb.add("the model checker finds no counterexample within its bound", result.ok):
        fb.problem = f"the model checker: {result.counterexample.message}"
        fb.hint = "a value a majority may have accepted must be proposed again"
        return fb
    fb.passed = True
    return fb


def reference_quorum_size(n: int) -> int:
    return majority(n)


def reference_choose_value(promises: list, my_value: Any) -> Any:
    reported = [(b, v) for b, v in promises if b is not None]
    return max(reported, key=lambda bv: bv[0])[1] if reported else my_value
