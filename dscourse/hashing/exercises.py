"""Exercises of the consistent-hashing notebook, with automatic feedback.

Each ``check_*`` runs the learner's function on many cases (some the notebook
never shows, drawn from seeds the learner does not see), compares it with
the reference, and returns a ``dscourse.feedback.Feedback`` that names the
first case that went wrong and gives a hint aimed at the usual mistake.
The learner's code runs under a step budget, so a loop that never ends is
reported as such instead of hanging the notebook (the course text's
``getNodes`` has exactly that bug).

1. ``check_modulo_moved(fn)``: ``fn(n)`` is the fraction of keys that move
   when modulo hashing grows from ``n`` to ``n + 1`` servers.
2. ``check_find_owner(fn)``: ``fn(positions, owners, h)`` is the owner of
   ring position ``h``: the first virtual node at or after it, wrapping.
3. ``check_preference_list(fn)``: ``fn(points, h, count)`` is ``count``
   distinct nodes clockwise from ``h``, raising ``ValueError`` when there
   are not that many.
"""

from __future__ import annotations

import sys
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from ..feedback import Feedback
from ..sim.rng import make_rng
from .hashes import hash_keys
from .modulo import ModuloHash
from .stats import join_movement

STEP_BUDGET = 200_000            # Python lines the learner's code may run per call
SHOWN_SEEDS = (1, 2)             # the seeds a notebook may show
HIDDEN_SEEDS = (101, 202, 303, 404)


class TooManySteps(Exception):
    """The learner's function ran past the step budget: almost surely a loop that never ends."""


def run_bounded(fn: Callable, *args: Any, budget: int = STEP_BUDGET) -> Any:
    """``fn(*args)``, stopped with ``TooManySteps`` after ``budget`` executed lines."""
    steps = 0

    def local(frame, event, arg):
        nonlocal steps
        if event == "line":
            steps += 1
            if steps > budget:
                raise TooManySteps(f"stopped after {budget:,} steps")
        return local

    previous = sys.gettrace()
    sys.settrace(lambda frame, event, arg: local)
    try:
        return fn(*args)
    finally:
        sys.settrace(previous)


def _call(fb: Feedback, fn: Callable, args: tuple, shown: str) -> tuple[bool, Any]:
    """Run the learner's function; on an exception fill in the feedback and return (False, None)."""
    try:
        return True, run_bounded(fn, *args)
    except TooManySteps:
        fb.problem = f"{shown} never finished: your loop does not stop."
        fb.hint = ("walk at most once around the ring (at most len(points) steps), and decide "
                   "before the loop whether enough distinct nodes exist")
    except Exception as exc:  # the learner's bug, reported rather than raised
        fb.problem = f"{shown} raised {type(exc).__name__}: {exc}"
    return False, None


def _require_callable(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TypeError(f"pass your function itself ({what}), got {fn!r}")


# ------------------------------------------------------------- exercise 1
def reference_modulo_moved(n: int) -> float:
    """Growing from n to n+1 servers, a key stays only if h mod n == h mod (n+1): 1 in n+1."""
    return n / (n + 1)


def check_modulo_moved(fn: Callable[[int], float]) -> Feedback:
    """Exercise 1: the fraction of keys modulo hashing moves going from ``n`` to ``n + 1``."""
    _require_callable(fn, "modulo_moved")
    fb = Feedback("Exercise 1: keys moved by modulo hashing", False)
    keys = [f"user-{i}" for i in range(12_000)]
    hashes = hash_keys(keys)
    cases = list(dict.fromkeys([3, 1, 2, 9, 99] + [make_rng(s).randint(4, 60) for s in HIDDEN_SEEDS]))
    for n in cases:
        ok, got = _call(fb, fn, (n,), f"modulo_moved({n})")
        if not ok:
            return _fail(fb)
        want = reference_modulo_moved(n)
        measured = join_movement(ModuloHash(range(n)), None, n, hashes=hashes).fraction if n <= 9 \
            else None
        if isinstance(got, bool) or not isinstance(got, (int, float)) or abs(got - want) > 1e-9:
            fb.add(f"n={n}: expected {want:.4f}, got {got!r}", False)
            fb.problem = (f"from {n} to {n + 1} servers your formula gives {got!r}; "
                          f"hashing 12,000 keys moves {measured:.4f} of them" if measured is not None
                          else f"from {n} to {n + 1} servers your formula gives {got!r}")
            fb.hint = _modulo_hint(n, got)
            return _fail(fb)
        fb.add(f"n={n} -> {n + 1}: {want:.4f}" + (f" (measured {measured:.4f})"
                                                   if measured is not None else ""), True)
    fb.passed = True
    return fb


def _modulo_hint(n: int, got: Any) -> str:
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return "return a number between 0 and 1: the fraction of keys that move"
    close = lambda x: abs(got - x) < 1e-9
    if close(1 / (n + 1)):
        return ("1/(n+1) is what a consistent-hash ring moves. With modulo hashing a key stays "
                "only when h mod n == h mod (n+1); how often does that happen?")
    if close((n - 1) / n) or close(1 / n):
        return ("off by one: the cluster grows from n to n+1 servers, so compare h mod n with "
                "h mod (n+1) (look at h = 0, 1, ..., n(n+1) - 1)")
    return ("count, for h = 0 .. n(n+1) - 1, how many h have h mod n == h mod (n+1); "
            "every other h moves")


# ------------------------------------------------------------- exercise 2
def reference_find_owner(positions: list, owners: list, h: int) -> Any:
    i = bisect_left(positions, h)            # first virtual node at or after h ...
    return owners[i] if i < len(owners) else owners[0]      # ... or wrap to the first


def _random_ring(seed: int, size: int = 1000) -> tuple[list, list]:
    rng = make_rng(seed)
    count = rng.randint(1, 12)
    positions = sorted(rng.sample(range(size), count))
    owners = [rng.choice("ABCD") for _ in positions]
    return positions, owners


def _owner_cases(seed: int) -> list:
    positions, owners = _random_ring(seed)
    hs = {0, 999, positions[0], positions[-1], positions[-1] + 1, positions[0] - 1}
    hs |= {p for p in positions} | {p + 1 for p in positions}
    hs |= set(make_rng(seed + 7).sample(range(1000), 8))
    return [(positions, owners, h) for h in sorted(x for x in hs if 0 <= x < 1000)]


def check_find_owner(fn: Callable[[list, list, int], Any]) -> Feedback:
    """Exercise 2: the owner of ring position ``h`` (first virtual node at or after, wrapping)."""
    _require_callable(fn, "find_owner")
    fb = Feedback("Exercise 2: find the owner of a position", False)
    for seed in SHOWN_SEEDS + HIDDEN_SEEDS:
        cases = _owner_cases(seed)
        for positions, owners, h in cases:
            shown = f"find_owner({positions}, {owners}, {h})"
            ok, got = _call(fb, fn, (list(positions), list(owners), h), shown)
            if not ok:
                if h > positions[-1] and "IndexError" in fb.problem:
                    fb.hint = "past the last virtual node the walk wraps around to the first one"
                return _fail(fb)
            want = reference_find_owner(positions, owners, h)
            if got != want:
                fb.add(f"seed {seed}: {shown}", False)
                fb.problem = f"{shown} returned {got!r}; the owner is {want!r}"
                fb.hint = _owner_hint(positions, owners, h, got)
                return _fail(fb)
        fb.add(f"seed {seed}: {len(cases)} positions on a ring of {len(cases[0][0])} "
               f"virtual node(s)", True)
    fb.passed = True
    return fb


def _owner_hint(positions: list, owners: list, h: int, got: Any) -> str:
    if h in positions:
        return ("a key exactly at a virtual node's position belongs to that virtual node "
                "(first at OR after: bisect_left, not bisect_right)")
    if h > positions[-1]:
        return "past the last virtual node the walk wraps around to the first one"
    if isinstance(got, int) and not isinstance(got, bool) and got not in owners:
        return "return the owner (owners[i]), not the index i"
    before = [o for p, o in zip(positions, owners) if p < h]
    if before and got == before[-1]:
        return "walk clockwise: the owner is the next virtual node after h, not the previous one"
    return "find the first position >= h (bisect.bisect_left does it), wrapping to index 0"


# ------------------------------------------------------------- exercise 3
def reference_preference_list(points: list, h: int, count: int) -> list:
    distinct = {node for _, node in points}
    if count > len(distinct):
        raise ValueError(f"count={count} is more than the {len(distinct)} distinct nodes")
    start = bisect_left([p for p, _ in points], h)
    out: list = []
    for step in range(len(points)):
        if len(out) == count:
            break
        node = points[(start + step) % len(points)][1]
        if node not in out:
            out.append(node)
    return out


def _pref_cases(seed: int) -> list:
    rng = make_rng(seed)
    nodes = rng.sample("ABCDEFG", rng.randint(1, 5))
    positions = sorted(rng.sample(range(1000), rng.randint(len(nodes), 3 * len(nodes) + 1)))
    owners = list(nodes) + [rng.choice(nodes) for _ in positions[len(nodes):]]
    rng.shuffle(owners)
    points = list(zip(positions, owners))
    cases = []
    for h in (rng.randrange(1000), positions[-1] + 1, positions[0]):
        for count in range(0, len(nodes) + 2):
            cases.append((points, min(h, 999), count))
    return cases


def check_preference_list(fn: Callable[[list, int, int], list]) -> Feedback:
    """Exercise 3: ``count`` distinct nodes clockwise from ``h``; ValueError when impossible."""
    _require_callable(fn, "preference_list")
    fb = Feedback("Exercise 3: the preference list", False)
    for seed in SHOWN_SEEDS + HIDDEN_SEEDS:
        cases = _pref_cases(seed)
        for points, h, count in cases:
            shown = f"preference_list({points}, {h}, {count})"
            distinct = len({n for _, n in points})
            if count > distinct:
                try:
                    got = run_bounded(fn, list(points), h, count)
                except ValueError:
                    continue
                except TooManySteps:
                    fb.add(f"seed {seed}: count={count} with {distinct} distinct node(s)", False)
                    fb.problem = (f"{shown} never finished: with only {distinct} distinct "
                                  f"node(s) the loop can never collect {count} (the course "
                                  f"text's bug)")
                    fb.hint = "check count against the number of distinct nodes first, and raise"
                    return _fail(fb)
                except Exception as exc:
                    fb.problem = (f"{shown} raised {type(exc).__name__}: {exc}; "
                                  f"expected a ValueError")
                    fb.hint = "raise ValueError (with a clear message) when count is too large"
                    return _fail(fb)
                fb.add(f"seed {seed}: count={count} with {distinct} distinct node(s)", False)
                fb.problem = f"{shown} returned {got!r}; it should raise ValueError"
                fb.hint = "a key cannot have more distinct replicas than there are nodes: raise"
                return _fail(fb)
            ok, got = _call(fb, fn, (list(points), h, count), shown)
            if not ok:
                return _fail(fb)
            want = reference_preference_list(points, h, count)
            if got != want:
                fb.add(f"seed {seed}: {shown}", False)
                fb.problem = f"{shown} returned {got!r}; expected {want!r}"
                fb.hint = _pref_hint(got, want)
                return _fail(fb)
        fb.add(f"seed {seed}: {len(cases)} lookups", True)
    fb.passed = True
    return fb


def _pref_hint(got: Any, want: list) -> str:
    if not isinstance(got, list):
        return "return a list of node ids"
    if len(set(got)) < len(got):
        return "a node with several virtual nodes must appear once: skip nodes already in the list"
    if len(got) < len(want):
        return "keep walking (wrapping past the end of the ring) until you have count nodes"
    if sorted(got) == sorted(want):
        return ("the order matters: start at the first virtual node at or after h (bisect_left) "
                "and walk clockwise")
    return "start at the first virtual node at or after h, walk clockwise, skip repeats"


def _fail(fb: Feedback) -> Feedback:
    fb.passed = False
    return fb
