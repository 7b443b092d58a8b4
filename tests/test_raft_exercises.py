"""The Raft notebook's exercises: reference answers pass, typical wrong answers fail with advice."""

from dscourse.consensus.raft.exercises import (
    COMMIT_CASES,
    check_commit_index,
    check_figure8_prediction,
    check_up_to_date,
    reference_commit_index,
    reference_up_to_date,
)
from dscourse.consensus.raft.figure8 import figure8
from dscourse.feedback import Feedback


def test_up_to_date_reference_passes():
    fb = check_up_to_date(reference_up_to_date)
    assert isinstance(fb, Feedback) and fb.passed, str(fb)
    assert "keep Raft safe" in str(fb)


def test_up_to_date_typical_mistakes_are_explained():
    only_length = lambda mt, mi, ct, ci: ci >= mi
    only_term = lambda mt, mi, ct, ci: ct >= mt
    strict = lambda mt, mi, ct, ci: (ct, ci) > (mt, mi)
    either = lambda mt, mi, ct, ci: ct > mt or ci >= mi
    for wrong in (only_length, only_term, strict, either):
        fb = check_up_to_date(wrong)
        assert not fb.passed and fb.problem and fb.hint, str(fb)
    assert "identical logs must get the vote" in check_up_to_date(strict).hint
    assert "later term wins" in check_up_to_date(only_length).hint
    assert "raised ZeroDivisionError" in check_up_to_date(lambda *a: 1 / 0).problem
    assert not check_up_to_date("not a function").passed


def test_commit_index_reference_passes_and_matches_the_running_leader():
    assert check_commit_index(reference_commit_index).passed
    # the shown cases agree with what a real leader computes (the Figure 8 rule)
    assert [reference_commit_index(*case) for case in COMMIT_CASES] == [3, 4, 1, 3, 3, 0, 2]


def test_commit_index_typical_mistakes_are_explained():
    def counts_replicas(terms, matches, current, commit):       # Figure 8's mistake
        ranked = sorted(list(matches.values()) + [len(terms)], reverse=True)
        return max(commit, ranked[(len(matches) + 1) // 2])

    def highest_match(terms, matches, current, commit):
        return max(list(matches.values()) + [commit])

    def forgets_leader(terms, matches, current, commit):     # a majority of followers alone
        ranked = sorted(matches.values(), reverse=True)
        majority = (len(matches) + 1) // 2 + 1
        n = ranked[majority - 1] if len(ranked) >= majority else 0
        return n if n > commit and terms[n - 1] == current else commit

    fb = check_commit_index(counts_replicas)
    assert not fb.passed and "Figure 8" in fb.hint
    for wrong in (highest_match, forgets_leader):
        fb = check_commit_index(wrong)
        assert not fb.passed and fb.problem
    assert "raised" in check_commit_index(lambda *a: None.x).problem


def test_figure8_prediction_matches_the_replay():
    steps = {label: snap for label, _, snap in figure8(branch="e").steps}
    after_c = steps["c"].server("n1")
    assert after_c.log_terms == (1, 2) and after_c.commit_index < 2      # entry 2 not committed
    assert steps["e"].server("n1").commit_index == 3
    assert check_figure8_prediction(False, 3).passed
    wrong = check_figure8_prediction(True, 3)
    assert not wrong.passed and "in (d)" in wrong.problem
    assert "commits as well" in check_figure8_prediction(False, 2).problem
    assert not check_figure8_prediction("no", 3).passed
