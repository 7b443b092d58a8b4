"""Exercise checks of notebooks 02-04: reference solutions pass, typical wrong answers fail."""

import pytest

from dscourse.replication import exercises as ex


def majority(n):
    return n // 2 + 1, n // 2 + 1


@pytest.mark.parametrize("fn, passed, problem", [
    (majority, True, ""),
    (lambda n: (1, n), False, "writes (which wait for 3) become unavailable"),
    (lambda n: majority(n) if n != 4 else (2, 2), False, "r + w = 4 is not more than n = 4"),
    (lambda n: majority(n) if n != 3 else (1, 1), False, "reads were stale"),
    (lambda n: [n, n], False, "must return a pair of ints"),
    (lambda n: 1 / 0, False, "raised ZeroDivisionError"),
])
def test_quorum_sizes(fn, passed, problem):
    fb = ex.check_quorum_sizes(fn)
    assert fb.passed is passed and problem in fb.problem


@pytest.mark.parametrize("fn, passed, problem", [
    (lambda a, b: {k: max(a.get(k, 0), b.get(k, 0)) for k in set(a) | set(b)}, True, ""),
    (lambda a, b: {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}, False,
     "counted its increments twice"),
    (lambda a, b: dict(b), False, "increments were lost"),
    (lambda a, b: a if sum(a.values()) >= sum(b.values()) else b, False, "increments were lost"),
    (lambda a, b: a.update(b) or a, False, "changed its arguments"),
])
def test_gcounter_merge(fn, passed, problem):
    fb = ex.check_gcounter_merge(fn)
    assert fb.passed is passed and problem in fb.problem


def test_anomaly_labels():
    right = {"A": "read your writes", "B": "monotonic reads", "C": "writes follow reads", "D": "none"}
    assert ex.check_anomaly_labels(right).passed
    wrong = dict(right, D="monotonic reads")
    fb = ex.check_anomaly_labels(wrong)
    assert not fb.passed and "the checkers say: none" in fb.problem
    assert "must be one of" in ex.check_anomaly_labels(dict(right, A="stale")).problem
    assert "keys" in ex.check_anomaly_labels({"A": "none"}).problem


@pytest.mark.parametrize("pick, passed, problem", [
    (lambda: (1, 5), True, ""),
    (lambda: (2, 4), True, ""),
    (lambda: (3, 3), False, "no faster than majority quorums"),
    (lambda: (1, 1), False, "reads were stale"),
    (lambda: (2, 3), False, "nothing prevents one"),
    (lambda: (0, 5), False, "1 <= r, w <= 5"),
])
def test_read_heavy_quorum(pick, passed, problem):
    fb = ex.check_read_heavy_quorum(pick)
    assert fb.passed is passed and problem in fb.problem


def hb(a, b):
    keys = set(a) | set(b)
    return all(a.get(k, 0) <= b.get(k, 0) for k in keys) and any(a.get(k, 0) < b.get(k, 0) for k in keys)


@pytest.mark.parametrize("fn, passed, problem", [
    (hb, True, ""),
    (lambda a, b: all(a.get(k, 0) <= b.get(k, 0) for k in set(a) | set(b)), False, "equal clocks"),
    (lambda a, b: all(v <= b[k] for k, v in a.items() if k in b) and a != b, False, "missing"),
    (lambda a, b: sum(a.values()) < sum(b.values()), False, "expected False"),
])
def test_happened_before(fn, passed, problem):
    fb = ex.check_happened_before(fn)
    assert fb.passed is passed and problem in fb.problem


def deliverable(clock, origin, applied):
    return clock.get(origin, 0) == applied.get(origin, 0) + 1 and \
        all(c <= applied.get(k, 0) for k, c in clock.items() if k != origin)


@pytest.mark.parametrize("fn, passed", [
    (deliverable, True),
    (lambda c, o, ap: c.get(o, 0) == ap.get(o, 0) + 1, False),                       # FIFO only
    (lambda c, o, ap: all(v <= ap.get(k, 0) for k, v in c.items() if k != o), False),  # gaps allowed
    (lambda c, o, ap: True, False),
])
def test_deliverable(fn, passed):
    fb = ex.check_deliverable(fn)
    assert fb.passed is passed
    if not passed:
        assert "expected" in fb.problem
