"""Exercise checks for the Raft notebook (06_raft).

Each check runs the learner's function on the cases the notebook shows and
on seeded cases it does not, compares with the reference rule, and returns a
``Feedback`` saying what went wrong and giving a hint.

1. ``check_up_to_date(fn)``: the voting rule of section 5.4.1,
   ``fn(my_last_term, my_last_index, cand_last_term, cand_last_index) -> bool``
   (grant the vote only if the candidate's log is at least as up-to-date).
   A correct rule is then plugged into real servers and run under the
   scenario that catches ``SkipUpToDateCheck``: no invariant may break.
2. ``check_commit_index(fn)``: the leader's commitment rule (Figure 2, and
   Figure 8's lesson), ``fn(log_terms, match_index, current_term,
   commit_index) -> int``: the new commit index of a leader whose log has
   the terms ``log_terms`` (index 1 first) when its followers' match
   indices are ``match_index``.
3. ``check_figure8_prediction(entry2_committed, commit_after_e)``: in
   Figure 8, is entry 2 committed after step (c)? And what is S1's commit
   index after step (e)?
"""

from __future__ import annotations

from typing import Any, Callable

from ...feedback import Feedback
from ...sim.rng import make_rng
from .chaos import HUNTS, hunt
from .node import RaftNode

UP_TO_DATE_CASES = [
    # (my last term, my last index, candidate's last term, candidate's last index, grant?)
    (2, 5, 2, 5, True),      # identical logs: grant (or no one could ever be elected)
    (2, 5, 2, 7, True),      # same last term, longer
    (2, 5, 2, 4, False),     # same last term, shorter
    (2, 5, 3, 1, True),      # later last term wins, however short
    (3, 2, 2, 9, False),     # earlier last term loses, however long
    (0, 0, 0, 0, True),      # two empty logs
    (0, 0, 1, 1, True),
    (1, 1, 0, 0, False),     # an empty log loses to any non-empty one
]


def reference_up_to_date(my_last_term: int, my_last_index: int, cand_last_term: int,
                         cand_last_index: int) -> bool:
    if cand_last_term != my_last_term:
        return cand_last_term > my_last_term
    return cand_last_index >= my_last_index


def check_up_to_date(fn: Callable[[int, int, int, int], bool], seed: int = 5) -> Feedback:
    """Exercise 1: the log up-to-date check (see the module docstring)."""
    fb = Feedback("The up-to-date check", passed=False,
                  hint="compare the last terms first; only if they are equal does the length "
                       "decide, and an equally long log is up-to-date enough (>=).")
    if not callable(fn):
        fb.problem = f"pass your function itself (no parentheses), got {fn!r}"
        return fb
    rng = make_rng(seed)
    hidden = []
    for _ in range(60):
        mt, ct = rng.randint(0, 4), rng.randint(0, 4)
        mi = rng.randint(mt, mt + 4) if mt else 0
        ci = rng.randint(ct, ct + 4) if ct else 0
        hidden.append((mt, mi, ct, ci, reference_up_to_date(mt, mi, ct, ci)))
    for label, cases in (("the cases in the notebook", UP_TO_DATE_CASES),
                         ("60 more cases not shown", hidden)):
        for mt, mi, ct, ci, want in cases:
            ok, got = fb.call(fn, mt, mi, ct, ci)
            if not ok:
                fb.add(label, False)
                return fb
            if bool(got) != want:
                fb.add(label, False)
                fb.problem = (f"a voter whose log ends with term {mt} at index {mi}, asked by a "
                              f"candidate whose log ends with term {ct} at index {ci}: you said "
                              f"{'grant' if got else 'refuse'}, the rule says "
                              f"{'grant' if want else 'refuse'}")
                if ct == mt and ci == mi:
                    fb.hint = ("identical logs must get the vote: with a strict comparison no "
                               "candidate could ever win against followers as up-to-date as it")
                elif ct != mt:
                    fb.hint = ("when the last terms differ, the later term wins whatever the "
                               "lengths: a long log of old entries may hold uncommitted junk")
                return fb
        fb.add(label, True)
    voter = type("LearnerVoter", (RaftNode,), {
        "candidate_up_to_date": lambda self, t, i: bool(fn(self.log.last_term, self.log.last_index,
                                                           t, i))})
    scenario, options = HUNTS["SkipUpToDateCheck"]
    run = hunt(voter, range(4), scenario, **options)
    if not fb.add("servers using your rule keep Raft safe under crashes (4 seeds)", run is None):
        fb.problem = f"seed {run.seed}: {run.violations[0].name}: {run.violations[0].message}"
        return fb
    fb.passed = True
    return fb


def reference_commit_index(log_terms: list, match_index: dict, current_term: int,
                           commit_index: int) -> int:
    """Figure 2: the highest N > commit_index on a majority with log[N].term == current_term."""
    n = len(match_index) + 1
    majority = n // 2 + 1
    matches = sorted(list(match_index.values()) + [len(log_terms)], reverse=True)
    candidate = matches[majority - 1]
    if candidate > commit_index and log_terms[candidate - 1] == current_term:
        return candidate
    return commit_index


COMMIT_CASES = [
    # (leader's log terms, followers' match indices, current term, commit index)
    ([1, 1, 2, 2], {"b": 4, "c": 3, "d": 1, "e": 0}, 2, 1),      # 3 of 5 hold index 3: commit 3
    ([1, 1, 2, 2], {"b": 4, "c": 4, "d": 1, "e": 0}, 2, 1),      # 3 of 5 hold index 4
    ([1, 2, 4], {"b": 2, "c": 2, "d": 1, "e": 1}, 4, 1),         # Figure 8 (c): index 2 is term 2
    ([1, 2, 4], {"b": 3, "c": 3, "d": 1, "e": 1}, 4, 1),         # (e): the term-4 entry commits both
    ([1, 1, 1], {"b": 3, "c": 3}, 1, 3),                         # nothing new
    ([3, 3, 3], {"b": 0, "c": 0}, 3, 0),                         # alone: no majority yet
    ([1, 1], {}, 1, 0),                                          # a cluster of one
]


def check_commit_index(fn: Callable[[list, dict, int, int], int], seed: int = 6) -> Feedback:
    """Exercise 2: the leader's commitment rule (see the module docstring)."""
    fb = Feedback("The commitment rule", passed=False,
                  hint="sort the match indices (with the leader's own last index), take the one "
                       "a majority reaches, and commit it only if its entry is of the current term.")
    if not callable(fn):
        fb.problem = f"pass your function itself (no parentheses), got {fn!r}"
        return fb
    rng = make_rng(seed)
    hidden = []
    for _ in range(60):
        n = rng.choice((1, 3, 5, 7))
        terms, t = [], 1
        for _ in range(rng.randint(1, 8)):
            t += rng.random() < 0.4
            terms.append(t)
        current = terms[-1] + rng.choice((0, 0, 1))
        if rng.random() < 0.5:
            terms.append(current)
        matches = {f"p{k}": rng.randint(0, len(terms)) for k in range(n - 1)}
        hidden.append((terms, matches, current, rng.randint(0, len(terms) // 2)))
    for label, cases in (("the cases in the notebook", COMMIT_CASES),
                         ("60 more cases not shown", hidden)):
        for terms, matches, current, commit in cases:
            want = reference_commit_index(terms, matches, current, commit)
            ok, got = fb.call(fn, list(terms), dict(matches), current, commit)
            if not ok:
                fb.add(label, False)
                return fb
            if got != want:
                fb.add(label, False)
                fb.problem = (f"log terms {terms}, match indices {matches}, current term "
                              f"{current}, commit index {commit}: you said {got!r}, the rule "
                              f"gives {want}")
                majority_n = sorted(list(matches.values()) + [len(terms)],
                                    reverse=True)[(len(matches) + 1) // 2]
                if isinstance(got, int) and got == majority_n and got > want:
                    fb.hint = ("entry {0} is on a majority but is of term {1}, not the current "
                               "term {2}: counting replicas commits only entries of the current "
                               "term (Figure 8)".format(got, terms[got - 1], current))
                elif isinstance(got, int) and got < commit:
                    fb.hint = "the commit index never moves backwards"
                return fb
        fb.add(label, True)
    fb.passed = True
    return fb


def check_figure8_prediction(entry2_committed: Any, commit_after_e: Any) -> Feedback:
    """Exercise 3: after Figure 8's step (c), is entry 2 committed? And after step (e)?

    ``entry2_committed``: True or False, for the end of step (c).
    ``commit_after_e``: S1's commit index once its term-4 entry (index 3) is on a majority.
    """
    fb = Feedback("Figure 8: what is committed?", passed=False,
                  hint="entry 2 is on S1, S2 and S3, a majority, but it is of term 2 while S1 "
                       "leads term 4: counting replicas commits only entries of the current "
                       "term; once one is on a majority, everything before it is committed too.")
    if not isinstance(entry2_committed, bool):
        fb.problem = f"answer the first question with True or False, got {entry2_committed!r}"
        return fb
    if isinstance(commit_after_e, bool) or not isinstance(commit_after_e, int):
        fb.problem = f"answer the second question with an index (an int), got {commit_after_e!r}"
        return fb
    first = fb.add("after (c), entry 2 is not committed", entry2_committed is False)
    second = fb.add("after (e), S1's commit index is 3", commit_after_e == 3)
    if first and second:
        fb.passed = True
        return fb
    if not first:
        fb.problem = ("being on a majority is not enough for an entry of an older term: in (d) "
                      "S5 can still be elected and overwrite it")
    elif commit_after_e == 2:
        fb.problem = "the term-4 entry at index 3 is on a majority too, so it commits as well"
    else:
        fb.problem = (f"index {commit_after_e}: S1's log has 3 entries, and a majority holds the "
                      f"third, of the current term")
    return fb
