"""Exercise checks for notebook 09: reference solutions pass, typical wrong answers fail with
a message that says what went wrong."""

import pytest

from dscourse.election.exercises import check_bully_formula, check_fencing, check_watch_choice
from dscourse.election.zookeeper import leader_znode, predecessor
from dscourse.feedback import Feedback


def reference_accept(highest, token):
    return token >= highest


def reference_choose(children, mine):
    ordered = sorted(children, key=lambda name: int(name[-10:]))
    i = ordered.index(mine)
    return ordered[i - 1] if i > 0 else None


def test_reference_solutions_pass():
    for fb in (check_fencing(reference_accept), check_watch_choice(reference_choose),
               check_watch_choice(predecessor), check_bully_formula(lambda n: n * (n - 1))):
        assert isinstance(fb, Feedback) and fb.passed, str(fb)
        assert "well done" in str(fb)


@pytest.mark.parametrize("wrong, says", [
    (lambda h, t: t > h, "rejected a write from"),            # equal tokens are the same lease
    (lambda h, t: True, "overwrote the new leader's data"),     # no fencing at all
    (lambda h, t: False, "accepted none"),
    (lambda h, t: t >= h - 1, "overwrote the new leader's data"),
    (lambda h: True, "raised TypeError"),
    ("t >= h", "pass your function itself"),
])
def test_fencing_wrong_answers(wrong, says):
    fb = check_fencing(wrong)
    assert not fb.passed and says in fb.problem, str(fb)
    assert "Hint" in str(fb)


def unsorted_predecessor(children, mine):
    i = children.index(mine)
    return children[i - 1] if i > 0 else None


def successor(children, mine):
    ordered = sorted(children)
    i = ordered.index(mine)
    return ordered[i + 1] if i + 1 < len(ordered) else None


@pytest.mark.parametrize("wrong, says", [
    (leader_znode, "herd effect"),
    (unsorted_predecessor, "no order"),
    (successor, "None means"),
    (lambda c, m: 1 / 0, "ZeroDivisionError"),
])
def test_watch_choice_wrong_answers(wrong, says):
    fb = check_watch_choice(wrong)
    assert not fb.passed and says in fb.problem, str(fb)


def test_a_herd_that_passes_the_small_cases_is_caught_in_the_simulation():
    """Right on the small cases (they use sequence numbers from 1 to 12), the herd in the run
    (five candidates get 0 to 4): the notification count gives it away."""
    def sneaky(children, mine):
        if any(int(c[-10:]) >= 9 for c in children):
            return reference_choose(children, mine)
        return leader_znode(children, mine)
    fb = check_watch_choice(sneaky)
    assert fb.checks[0][1]                     # it did pass the small cases
    assert not fb.passed and "herd" in fb.problem, str(fb)


@pytest.mark.parametrize("wrong", [lambda n: n * n, lambda n: n * (n - 1) // 2, lambda n: 2 * n])
def test_bully_formula_wrong_answers(wrong):
    fb = check_bully_formula(wrong)
    assert not fb.passed and "the simulation sent" in fb.problem
