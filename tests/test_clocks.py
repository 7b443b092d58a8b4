"""Lamport and vector clocks: the rules, the partial order, JSON, bad input, properties."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dscourse.clocks import LamportClock, VectorClock, clock_from_json, compare, stamp_trace
from dscourse.sim import Simulator, Uniform

from .conftest import chatter_sim

NODES = ["a", "b", "c", "d"]
vclocks = st.dictionaries(st.sampled_from(NODES), st.integers(min_value=0, max_value=3)).map(VectorClock)
lclocks = st.builds(LamportClock, st.integers(min_value=0, max_value=5),
                    st.sampled_from([None, "a", "b"]))


def test_lamport_rules_and_repr():
    a = LamportClock(node="a").increment()
    b = LamportClock(node="b").merge(a).increment()
    assert (a.time, b.time) == (1, 2)
    assert a.happened_before(b) and a < b and a <= b and b > a and not b < a
    assert repr(b) == "LamportClock(2, node='b')" and str(b) == "2"
    assert LamportClock(3, "a").concurrent_with(LamportClock(3, "b"))
    assert LamportClock(3, "a").total_key() < LamportClock(3, "b").total_key()


def test_vector_clock_rules_detect_concurrency():
    a = VectorClock().increment("a")
    b = VectorClock().increment("b")
    assert a.concurrent_with(b) and compare(a, b) == "concurrent"
    c = a.merge(b).increment("a")
    assert c == VectorClock({"a": 2, "b": 1})
    assert a.happened_before(c) and b < c and c > a and c >= c and not c < c
    assert compare(c, a) == "after" and compare(a, a) == "equal"
    assert repr(c) == "VectorClock({'a': 2, 'b': 1})" and str(c) == "[a:2 b:1]"
    assert c.fmt(["a", "b", "c"]) == "(2,1,0)"
    assert VectorClock({"a": 0}) == VectorClock() and c["zzz"] == 0


def test_clocks_are_immutable_values():
    c = VectorClock({"a": 1})
    c2 = c.increment("a")
    assert c == VectorClock({"a": 1}) and c2["a"] == 2
    with pytest.raises(AttributeError, match="immutable"):
        c.x = 1
    with pytest.raises(AttributeError, match="immutable"):
        LamportClock().time = 3
    assert len({VectorClock({"a": 1}), VectorClock({"a": 1})}) == 1


def test_json_round_trip_keeps_int_node_ids():
    v = VectorClock({1: 2, 3: 1})
    assert VectorClock.from_json(v.to_json()) == v
    assert clock_from_json(v.to_json()) == v
    lam = LamportClock(4, "x")
    assert clock_from_json(lam.to_json()) == lam
    assert json.loads(lam.to_json()) == {"type": "lamport", "time": 4, "node": "x"}


def test_mismatched_types_raise_type_error():
    v, lam = VectorClock({"a": 1}), LamportClock(1)
    for call in (lambda: v.merge(lam), lambda: v.happened_before(lam), lambda: lam.merge(v),
                 lambda: lam.concurrent_with(v), lambda: v < lam, lambda: lam <= v,
                 lambda: compare(v, lam), lambda: v.merge({"a": 1})):
        with pytest.raises(TypeError):
            call()
    assert v != lam and v != {"a": 1}


@pytest.mark.parametrize("bad, error, match", [
    ({"a": -1}, ValueError, "at least 0"),
    ({"a": 1.5}, TypeError, "integer"),
    ({None: 1}, TypeError, "node id"),
    ({"a": 1, 2: 1}, TypeError, "one type"),
    ("ab", TypeError, "mapping"),
])
def test_bad_vector_clock_entries(bad, error, match):
    with pytest.raises(error, match=match):
        VectorClock(bad)


def test_bad_json_and_lamport_input():
    with pytest.raises(ValueError, match="malformed"):
        VectorClock.from_json("{nope")
    with pytest.raises(ValueError, match="type='vector'"):
        VectorClock.from_json('{"type": "lamport", "time": 1}')
    with pytest.raises(ValueError, match="at least 0"):
        LamportClock(-1)
    with pytest.raises(TypeError, match="JSON string"):
        LamportClock.from_json(3)


# ----------------------------------------------------------------- properties
@given(vclocks, vclocks, vclocks)
def test_happened_before_is_a_strict_partial_order(a, b, c):
    assert not a.happened_before(a)                                   # irreflexive
    if a.happened_before(b):
        assert not b.happened_before(a)                               # asymmetric
    if a.happened_before(b) and b.happened_before(c):
        assert a.happened_before(c)                                   # transitive


@given(vclocks, vclocks, vclocks)
def test_merge_is_commutative_associative_idempotent(a, b, c):
    assert a.merge(b) == b.merge(a)
    assert a.merge(b).merge(c) == a.merge(b.merge(c))
    assert a.merge(a) == a
    assert a <= a.merge(b) and b <= a.merge(b)                         # an upper bound


@given(vclocks, vclocks)
def test_exactly_one_relation_holds(a, b):
    relations = [a == b, a.happened_before(b), b.happened_before(a), a.concurrent_with(b)]
    assert sum(relations) == 1
    assert compare(a, b) == ["equal", "before", "after", "concurrent"][relations.index(True)]


@given(lclocks, lclocks, lclocks)
def test_lamport_order_properties(a, b, c):
    assert not a.happened_before(a)
    if a < b and b < c:
        assert a < c
    assert sum([a == b, a < b, b < a, a.concurrent_with(b)]) == 1
    assert a.merge(b).time == b.merge(a).time == max(a.time, b.time)


@given(vclocks)
def test_json_round_trip_property(a):
    assert VectorClock.from_json(a.to_json()) == a
    assert hash(VectorClock.from_json(a.to_json())) == hash(a)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_vector_clocks_characterise_happened_before_on_real_runs(seed):
    """On a simulated run, V(e) < V(f) exactly when e happened before f (and then L(e) < L(f))."""
    sim = chatter_sim(seed=seed, n=3, latency=Uniform(1, 30))
    sim.run(until=60)
    events = stamp_trace(sim.trace)
    # ground truth: program order plus send -> deliver, closed transitively
    index = {(e.node, e.seq): i for i, e in enumerate(events)}
    succ = {i: set() for i in range(len(events))}
    send_of = {e.mid: i for i, e in enumerate(events) if e.kind == "send"}
    for i, e in enumerate(events):
        if (e.node, e.seq + 1) in index:
            succ[i].add(index[(e.node, e.seq + 1)])
        if e.kind == "deliver":
            succ[send_of[e.mid]].add(i)
    reach = {}
    for i in sorted(succ, reverse=True):       # events are in time order: successors come later
        r = set()
        for j in succ[i]:
            r |= {j} | reach[j]
        reach[i] = r
    rng = random.Random(seed)
    pairs = [(rng.randrange(len(events)), rng.randrange(len(events))) for _ in range(200)]
    for i, j in pairs:
        hb = j in reach[i]
        assert events[i].vector.happened_before(events[j].vector) == hb
        if hb:
            assert events[i].lamport.time < events[j].lamport.time


def test_stamp_trace_rules():
    sim = Simulator(seed=1)
    events = stamp_trace(sim.trace)
    assert events == []
    sim = chatter_sim(seed=2, n=2)
    sim.run(until=40)
    events = stamp_trace(sim.trace)
    first = [e for e in events if e.node == "n0"][0]
    assert first.vector == VectorClock({"n0": 1}) and first.lamport.time == 1
    for e in events:
        if e.kind == "deliver":
            send = next(s for s in events if s.kind == "send" and s.mid == e.mid)
            assert send.vector < e.vector and send.lamport < e.lamport
