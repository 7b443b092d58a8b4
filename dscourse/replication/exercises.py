"""Exercise checks for notebooks 02 (CAP), 03 (consistency models) and 04 (clocks).

Each check runs the learner's function on cases and seeds the notebook does
not show, measures what it can on the simulator, and returns a ``Feedback``
that says what went wrong and gives a hint. The learner's code may raise:
that is reported, never propagated.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from ..checkers import check_causal, check_session_guarantees
from ..clocks import VectorClock
from ..feedback import Feedback
from ..sim import History, Simulator, Uniform
from .causal import CausalNode
from .client import Client, Workload
from .experiments import run
from .policies import LWWPolicy

SEEDS = (1, 2, 5, 11)          # the notebooks show seed 1; the checks try others too


def measured_stale_reads(n: int, r: int, w: int, seeds=SEEDS[:2]) -> tuple[int, int, float]:
    """Stale reads, reads and mean latency of a LWW quorum store with lagging replicas."""
    stale = reads = 0
    latency = []
    for seed in seeds:
        res = run("quorum", n, seed=seed, policy=LWWPolicy(), r=r, w=w, route="random",
                  replica_latency=Uniform(10, 60), mix=(("read", 3.0), ("write", 1.0)),
                  duration=800, think=5)
        stale += len(res.stale_reads())
        reads += sum(1 for op in res.history.operations() if op.f == "read" and op.type == "ok")
        latency.append(res.latency()["mean"])
    return stale, reads, round(sum(latency) / len(latency), 1)


# ------------------------------------------------------------------ notebook 02
def check_quorum_sizes(quorum: Callable[[int], tuple]) -> Feedback:
    """``quorum(n) -> (r, w)``: reads see the latest completed write, and both
    reads and writes survive as many crashed replicas as possible."""
    fb = Feedback("Quorum sizes", passed=False,
                  hint="a read quorum and a write quorum must share a replica (r + w > n); to "
                       "survive f crashes each quorum may need at most n - f replicas, and the "
                       "most you can survive is f = (n - 1) // 2.")
    for n in (1, 2, 3, 4, 5, 6, 7, 9):
        ok, answer = fb.call(quorum, n)
        if not ok:
            return fb
        if not (isinstance(answer, tuple) and len(answer) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in answer)):
            fb.problem = f"quorum({n}) must return a pair of ints (r, w), got {answer!r}"
            return fb
        r, w = answer
        f = (n - 1) // 2
        if not 1 <= r <= n or not 1 <= w <= n:
            fb.add(f"n={n}: 1 <= r, w <= n", False)
            fb.problem = f"quorum({n}) = {answer}: r and w must be between 1 and n={n}"
            return fb
        if r + w <= n:
            stale, reads, _ = measured_stale_reads(n, r, w) if n in (3, 5) else (None, None, None)
            fb.add(f"n={n}: every read quorum meets every write quorum", False)
            measured = (f" Measured on the simulator: {stale} of {reads} reads were stale."
                        if stale is not None else "")
            fb.problem = (f"quorum({n}) = {answer}: r + w = {r + w} is not more than n = {n}, so a "
                          f"read can ask only replicas the last write never reached.{measured}")
            return fb
        if max(r, w) > n - f:
            fb.add(f"n={n}: reads and writes survive {f} crashed replica(s)", False)
            which = "reads" if r > n - f else "writes"
            fb.problem = (f"quorum({n}) = {answer}: with {f} replica(s) down only {n - f} answer, "
                          f"so {which} (which wait for {max(r, w)}) become unavailable")
            return fb
    fb.add("n = 1..9: r + w > n and both quorums survive (n - 1) // 2 crashes", True)
    fb.passed = True
    return fb


def _random_counter(rng: random.Random) -> dict:
    return {n: rng.randint(1, 5) for n in rng.sample(["n1", "n2", "n3", "n4"], rng.randint(0, 4))}


def check_gcounter_merge(merge: Callable[[dict, dict], dict]) -> Feedback:
    """``merge(a, b)`` of two G-counter states ``{node: count}``."""
    fb = Feedback("Merge two G-counters", passed=False,
                  hint="each entry counts the increments of ONE node; two copies of the same "
                       "entry are the same increments seen twice, so keep the larger, never add.")
    rng = random.Random(7)
    for _ in range(60):
        a, b = _random_counter(rng), _random_counter(rng)
        a_copy, b_copy = dict(a), dict(b)
        ok, got = fb.call(merge, a, b)
        if not ok:
            return fb
        if a != a_copy or b != b_copy:
            fb.add("merge leaves its arguments unchanged", False)
            fb.problem = f"merge({a_copy}, {b_copy}) changed its arguments; return a new dict"
            return fb
        if not isinstance(got, dict):
            fb.problem = f"merge must return a dict, got {type(got).__name__}"
            return fb
        expected = {k: max(a.get(k, 0), b.get(k, 0)) for k in set(a) | set(b)}
        clean = {k: v for k, v in got.items() if v}
        if clean != expected:
            again = fb.call(merge, a, a)[1]
            if isinstance(again, dict) and {k: v for k, v in again.items() if v} != a:
                fb.add("merging a state with itself changes nothing (idempotent)", False)
                fb.problem = (f"merge({a}, {a}) = {again}: merging the same state twice counted "
                              f"its increments twice. Gossip delivers states again and again.")
            elif sum(clean.values()) < sum(expected.values()):
                fb.add("no increment is lost", False)
                fb.problem = (f"merge({a}, {b}) = {got}, total {sum(clean.values())}; the right "
                              f"merge keeps {expected}, total {sum(expected.values())}: increments "
                              f"were lost")
            else:
                fb.add("merge is the entry-wise maximum", False)
                fb.problem = f"merge({a}, {b}) = {got}, expected {expected}"
            return fb
    fb.add("60 random pairs: entry-wise maximum, idempotent, nothing lost", True)
    # gossip: three replicas merge in random orders, again and again, and must agree on the total
    for seed in SEEDS:
        g = random.Random(seed)
        states = {n: {} for n in ("n1", "n2", "n3")}
        total = 0
        for _ in range(40):
            node = g.choice(sorted(states))
            if g.random() < 0.5:
                states[node] = dict(states[node], **{node: states[node].get(node, 0) + 1})
                total += 1
            else:
                other = g.choice(sorted(states))
                states[node] = merge(states[node], states[other])
        for node in sorted(states):
            for other in sorted(states):
                states[node] = merge(states[node], states[other])
        values = {sum(s.values()) for s in states.values()}
        if values != {total}:
            fb.add(f"seed {seed}: after gossip every replica counts all {total} increments", False)
            fb.problem = f"after gossip on seed {seed} the replicas count {sorted(values)}, not {total}"
            return fb
    fb.add(f"gossip on seeds {', '.join(map(str, SEEDS))}: replicas converge to the true total", True)
    fb.passed = True
    return fb


# ------------------------------------------------------------------ notebook 03
def _h(*events: tuple) -> History:
    return History.from_events([{"process": p, "type": t, "f": f, "value": v}
                                for p, t, f, v in events])


ANOMALY_HISTORIES = {
    "A": _h(("alice", "invoke", "write", ["x", "a1"]), ("alice", "ok", "write", ["x", "a1"]),
            ("alice", "invoke", "read", ["x", None]), ("alice", "ok", "read", ["x", None])),
    "B": _h(("bob", "invoke", "write", ["x", "b1"]), ("bob", "ok", "write", ["x", "b1"]),
            ("carol", "invoke", "read", ["x", None]), ("carol", "ok", "read", ["x", "b1"]),
            ("carol", "invoke", "read", ["x", None]), ("carol", "ok", "read", ["x", None])),
    "C": _h(("alice", "invoke", "write", ["post", "hi"]), ("alice", "ok", "write", ["post", "hi"]),
            ("bob", "invoke", "read", ["post", None]), ("bob", "ok", "read", ["post", "hi"]),
            ("bob", "invoke", "write", ["reply", "welcome"]), ("bob", "ok", "write", ["reply", "welcome"]),
            ("carol", "invoke", "read", ["reply", None]), ("carol", "ok", "read", ["reply", "welcome"]),
            ("carol", "invoke", "read", ["post", None]), ("carol", "ok", "read", ["post", None])),
    "D": _h(("alice", "invoke", "write", ["x", "a1"]), ("alice", "ok", "write", ["x", "a1"]),
            ("bob", "invoke", "read", ["x", None]), ("bob", "ok", "read", ["x", None]),
            ("bob", "invoke", "read", ["x", None]), ("bob", "ok", "read", ["x", "a1"])),
}
LABELS = ("read your writes", "monotonic reads", "writes follow reads", "causal only", "none")


def violated(history: History) -> list[str]:
    """The labels of ``LABELS`` that fit ``history``, by the checkers' verdicts."""
    sessions = check_session_guarantees(history, kv=True)
    broken = [name for name, result in sessions.items() if not result.valid]
    if not check_causal(history, kv=True).valid and not broken:
        return ["causal only"]
    return broken or ["none"]


def check_anomaly_labels(answers: dict) -> Feedback:
    """``answers``: history name -> one of ``LABELS``: which guarantee it breaks."""
    fb = Feedback("Name the anomaly", passed=False,
                  hint="ask, for each read: which writes must it reflect? its own session's writes "
                       "(read your writes), what its session read before (monotonic reads), what "
                       "the writes it saw depended on (writes follow reads).")
    if not isinstance(answers, dict) or set(answers) != set(ANOMALY_HISTORIES):
        fb.problem = f"answers must be a dict with keys {sorted(ANOMALY_HISTORIES)}, got {answers!r}"
        return fb
    for name in sorted(ANOMALY_HISTORIES):
        label = answers[name]
        if label not in LABELS:
            fb.problem = f"answers[{name!r}] must be one of {LABELS}, got {label!r}"
            return fb
        truth = violated(ANOMALY_HISTORIES[name])
        if not fb.add(f"history {name}: {label}", label in truth):
            fb.problem = (f"history {name} is not best described as {label!r}; the checkers say: "
                          f"{' / '.join(truth)}")
            return fb
    fb.passed = True
    return fb


def check_read_heavy_quorum(pick: Callable[[], tuple], n: int = 5) -> Feedback:
    """``pick() -> (r, w)`` for N=5 and a read-heavy workload: no stale reads, faster than majorities."""
    fb = Feedback("Quorums for a read-heavy workload", passed=False,
                  hint="reads are three times as frequent as writes: make reads cheap and writes "
                       "pay, keeping r + w > n.")
    ok, answer = fb.call(pick)
    if not ok:
        return fb
    if not (isinstance(answer, tuple) and len(answer) == 2 and all(isinstance(x, int) for x in answer)
            and all(1 <= x <= n for x in answer)):
        fb.problem = f"pick() must return (r, w) with 1 <= r, w <= {n}, got {answer!r}"
        return fb
    r, w = answer
    stale, reads, latency = measured_stale_reads(n, r, w, seeds=SEEDS[1:3])
    if not fb.add(f"(r, w) = {answer}: no stale reads measured (seeds {SEEDS[1]}, {SEEDS[2]})",
                  stale == 0 and r + w > n):
        fb.problem = (f"{stale} of {reads} reads were stale" if stale else
                      f"r + w = {r + w} is not more than n = {n}: no stale read showed up in these "
                      f"runs, but nothing prevents one") + "."
        return fb
    _, _, majority = measured_stale_reads(n, n // 2 + 1, n // 2 + 1, seeds=SEEDS[1:3])
    if not fb.add(f"mean latency {latency} ms, below majority quorums' {majority} ms", latency < majority):
        fb.problem = (f"correct, but no faster than majority quorums ({latency} ms vs {majority} "
                      f"ms): which kind of operation should wait for fewer replicas?")
        return fb
    fb.passed = True
    return fb


# ------------------------------------------------------------------ notebook 04
def _random_vc(rng: random.Random) -> dict:
    return {n: rng.randint(0, 2) for n in rng.sample(["a", "b", "c"], rng.randint(0, 3))}


def check_happened_before(happened_before: Callable[[dict, dict], bool]) -> Feedback:
    """``happened_before(a, b)`` on vector clocks given as dicts (missing entries are 0)."""
    fb = Feedback("Vector clock happened-before", passed=False,
                  hint="a -> b when every entry of a is <= the same entry of b (a missing entry "
                       "is 0) AND the clocks are not equal.")
    rng = random.Random(3)
    cases = [({}, {}), ({"a": 1}, {"a": 1}), ({"a": 1}, {"a": 1, "b": 1}), ({"a": 1, "b": 1}, {"b": 2}),
             ({"a": 0}, {}), ({"b": 1}, {"a": 1})]
    cases += [(_random_vc(rng), _random_vc(rng)) for _ in range(200)]
    for a, b in cases:
        ok, got = fb.call(happened_before, dict(a), dict(b))
        if not ok:
            return fb
        expected = VectorClock(a).happened_before(VectorClock(b))
        if got is not expected:
            fb.add("agrees with the definition on 206 pairs", False)
            fb.problem = f"happened_before({a}, {b}) returned {got!r}; expected {expected}"
            if a == b or VectorClock(a) == VectorClock(b):
                fb.problem += " (equal clocks: an event does not happen before itself)"
            elif set(b) - set(a) or set(a) - set(b):
                fb.problem += " (an entry missing from one clock counts as 0)"
            return fb
    fb.add("agrees with the definition on 206 pairs (equal clocks, missing entries included)", True)
    fb.passed = True
    return fb


class _LearnerCausalNode(CausalNode):
    rule: Callable = None

    def deliverable(self, u):
        return bool(type(self).rule(u.clock.to_map(), u.origin, self.applied.to_map()))


def check_deliverable(deliverable: Callable[[dict, Any, dict], bool]) -> Feedback:
    """``deliverable(clock, origin, applied)``: may a replica apply this remote write now?"""
    fb = Feedback("Causal delivery", passed=False,
                  hint="the write must be the NEXT one from its origin (clock[origin] == "
                       "applied[origin] + 1) and everything else it depends on must be applied "
                       "(clock[k] <= applied[k] for every other k).")
    rng = random.Random(5)
    for _ in range(300):
        clock, applied = _random_vc(rng), _random_vc(rng)
        origin = rng.choice(["a", "b", "c"])
        clock[origin] = applied.get(origin, 0) + rng.choice([0, 1, 1, 2])
        ok, got = fb.call(deliverable, dict(clock), origin, dict(applied))
        if not ok:
            return fb
        u_clock = VectorClock(clock)
        expected = (u_clock[origin] == applied.get(origin, 0) + 1 and
                    all(c <= applied.get(n, 0) for n, c in clock.items() if n != origin))
        if bool(got) != expected:
            fb.add("agrees with the causal delivery rule on 300 cases", False)
            fb.problem = (f"deliverable({clock}, {origin!r}, {applied}) returned {got!r}; "
                          f"expected {expected}")
            return fb
    fb.add("agrees with the causal delivery rule on 300 cases", True)
    # and in a store: replicas using the rule, under random delays, must stay causal
    _LearnerCausalNode.rule = staticmethod(deliverable)
    ids = ["n1", "n2", "n3"]
    for seed in SEEDS:
        sim = Simulator(seed=seed, latency=Uniform(1, 60))
        for i in ids:
            sim.add_node(_LearnerCausalNode(i, ids))
        for k, c in enumerate(("c1", "c2", "c3")):
            sim.add_node(Client(c, [ids[k]], workload=Workload(keys=("x", "y"), count=15), keyed=True))
        sim.run(until=1500)
        verdict = check_causal(sim.history, kv=True, siblings=True)
        if not fb.add(f"a causal store using your rule, seed {seed}: causally consistent", verdict.valid):
            fb.problem = verdict.explanation
            return fb
    fb.passed = True
    return fb
