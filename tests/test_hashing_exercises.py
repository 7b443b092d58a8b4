"""The notebook's exercises: the reference passes, the usual mistakes get the right hint."""

from bisect import bisect_left, bisect_right

import pytest

from dscourse.hashing.exercises import (
    TooManySteps,
    check_find_owner,
    check_modulo_moved,
    check_preference_list,
    reference_find_owner,
    reference_modulo_moved,
    reference_preference_list,
    run_bounded,
)


def test_run_bounded_stops_a_loop_that_never_ends_and_restores_tracing():
    import sys

    def forever():
        while True:
            pass

    before = sys.gettrace()
    with pytest.raises(TooManySteps):
        run_bounded(forever, budget=10_000)
    assert sys.gettrace() is before
    assert run_bounded(lambda x: x * 2, 21) == 42


def test_exercise_1_modulo_moved():
    assert check_modulo_moved(reference_modulo_moved).passed
    assert check_modulo_moved(lambda n: n / (n + 1)).passed
    ring_like = check_modulo_moved(lambda n: 1 / (n + 1))
    assert not ring_like and "consistent-hash ring" in ring_like.hint
    assert "hashing 12,000 keys moves 0.7" in ring_like.problem      # measured, beside the claim
    off_by_one = check_modulo_moved(lambda n: (n - 1) / n)
    assert not off_by_one and "off by one" in off_by_one.hint
    crashes = check_modulo_moved(lambda n: 1 / 0)
    assert not crashes and "ZeroDivisionError" in crashes.problem
    assert "not yet" in str(crashes)
    with pytest.raises(TypeError, match="pass your function itself"):
        check_modulo_moved(0.75)


def test_exercise_2_find_owner():
    assert check_find_owner(reference_find_owner).passed
    right = check_find_owner(lambda p, o, h: o[bisect_right(p, h) % len(o)])
    assert not right and "bisect_left, not bisect_right" in right.hint
    no_wrap = check_find_owner(lambda p, o, h: o[bisect_left(p, h)])
    assert not no_wrap and "IndexError" in no_wrap.problem and "wraps around" in no_wrap.hint
    index = check_find_owner(lambda p, o, h: bisect_left(p, h) % len(o))
    assert not index and "not the index" in index.hint
    previous = check_find_owner(lambda p, o, h: o[(bisect_left(p, h) - 1) % len(o)])
    assert not previous and "clockwise" in previous.hint
    assert "✅" in str(check_find_owner(reference_find_owner))


def test_exercise_3_preference_list():
    assert check_preference_list(reference_preference_list).passed

    def course_text(points, h, count):          # the Java getNodes, literally: loops forever
        out, i = [], bisect_left([p for p, _ in points], h)
        while len(out) < count:
            node = points[i % len(points)][1]
            if node not in out:
                out.append(node)
            i += 1
        return out

    loops = check_preference_list(course_text)
    assert not loops and "never finished" in loops.problem and "raise" in loops.hint

    def duplicates(points, h, count):
        ref = reference_preference_list(points, h, count)
        start = bisect_left([p for p, _ in points], h)
        return [points[(start + k) % len(points)][1] for k in range(len(ref))]

    dup = check_preference_list(duplicates)
    assert not dup and "appear once" in dup.hint

    def silent(points, h, count):               # returns what it can instead of raising
        distinct = len({n for _, n in points})
        return reference_preference_list(points, h, min(count, distinct))

    quiet = check_preference_list(silent)
    assert not quiet and "should raise ValueError" in quiet.problem

    def no_wrap(points, h, count):
        if count > len({n for _, n in points}):
            raise ValueError("too many")
        out = []
        for _, node in points[bisect_left([p for p, _ in points], h):]:
            if node not in out and len(out) < count:
                out.append(node)
        return out

    short = check_preference_list(no_wrap)
    assert not short and "wrapping" in short.hint
