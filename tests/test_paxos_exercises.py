"""The notebook's Paxos exercises: reference solutions pass, typical wrong answers get specific help."""

import math

import pytest

from dscourse.consensus.paxos_exercises import (
    check_choose_value,
    check_quorum_size,
    reference_choose_value,
    reference_quorum_size,
)


def test_reference_quorum_size_passes():
    fb = check_quorum_size(reference_quorum_size)
    assert fb.passed and all(ok for _, ok in fb.checks)
    assert "well done" in str(fb)


@pytest.mark.parametrize("answer, says", [
    (lambda n: n // 2, "model checker shows it with 3 acceptors"),    # minority: n=3 -> 1
    (lambda n: (n + 1) // 2, "n=2 acceptors and quorums of 1"),        # wrong for even n
    (lambda n: math.ceil(n / 2), "share no acceptor"),
    (lambda n: n, "could never decide again"),                         # safe, not live
    (lambda n: n / 2 + 1, "integer division"),
    (lambda n: n + 1, "at most all n"),
    (lambda n: 0, "without any acceptor"),
    (lambda n: 1 // 0, "raised ZeroDivisionError"),
    ("n // 2 + 1", "expected a function"),
])
def test_wrong_quorum_sizes_are_explained(answer, says):
    fb = check_quorum_size(answer)
    assert not fb.passed
    assert says in fb.problem + fb.hint
    assert "not yet" in str(fb) and "Hint:" in str(fb)


def test_reference_choose_value_passes():
    fb = check_choose_value(reference_choose_value)
    assert fb.passed
    assert any("model checker" in what and ok for what, ok in fb.checks)


@pytest.mark.parametrize("answer, failed_check", [
    (lambda p, mine: mine, "one acceptor accepted x"),                     # stubborn
    (lambda p, mine: next((v for b, v in p if b is not None), mine),     # first reported
     "the highest ballot comes last"),
    (lambda p, mine: max((v for b, v in p if b is not None), default=mine),  # by value
     "the highest ballot comes first"),
    (lambda p, mine: max(p, key=lambda bv: bv[0])[1],                     # forgets None
     "no acceptor accepted anything"),
    (lambda p, mine: max(((b.round, v) for b, v in p if b is not None),  # round only
                         default=(0, mine))[1], "the proposer id breaks the tie"),
    (lambda p, mine: max((b for b, v in p if b is not None), default=mine),  # the ballot
     "one acceptor accepted x"),
])
def test_wrong_value_rules_are_explained(answer, failed_check):
    fb = check_choose_value(answer)
    assert not fb.passed
    what, ok = fb.checks[-1]
    assert failed_check in what and not ok
    assert fb.problem and fb.hint


def test_a_rule_that_passes_the_cases_but_is_unsafe_is_caught_by_the_runs():
    """Right on every hand-picked case, wrong when an acceptor reports its value first."""
    seen = []

    def sneaky(promises, mine):
        seen.append(len(promises))
        if len(seen) > 6:                      # after the six hand-picked cases
            return mine
        return reference_choose_value(promises, mine)

    fb = check_choose_value(sneaky)
    assert not fb.passed
    assert fb.checks[-1] == ("30 random fault schedules keep every invariant", False)
