"""CRDT counters and the state policies: merge is a join (commutative, associative, idempotent)."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dscourse.clocks import VectorClock
from dscourse.replication.crdt import GCounter, PNCounter
from dscourse.replication.policies import (
    CounterCRDTPolicy,
    LWWPolicy,
    Siblings,
    SiblingsPolicy,
    Stamped,
    Versioned,
    VersionedPolicy,
)

NODES = ["a", "b", "c"]
gcounters = st.dictionaries(st.sampled_from(NODES), st.integers(0, 5)).map(GCounter)
pncounters = st.builds(PNCounter, gcounters, gcounters)
# a version names one write, so the value is a function of it (as in every real run)
stamped = st.tuples(st.floats(0, 10, allow_nan=False), st.sampled_from(NODES), st.integers(0, 3)).map(
    lambda t: Stamped(t[0], t[1], f"{t[1]}{t[2]}@{t[0]}", t[2]))
versioned = st.tuples(st.integers(0, 3), st.sampled_from(NODES), st.integers(0, 3)).map(
    lambda t: Versioned(t[0], t[1], f"{t[1]}{t[2]}@{t[0]}", t[2]))
vclocks = st.dictionaries(st.sampled_from(NODES), st.integers(0, 2)).map(VectorClock)
siblings = st.lists(vclocks, min_size=1, max_size=3).map(
    lambda clocks: SiblingsPolicy().fold(Siblings(((vc, str(vc)),)) for vc in clocks))

CASES = [(CounterCRDTPolicy(), gcounters), (CounterCRDTPolicy(pn=True), pncounters),
         (LWWPolicy(), stamped), (VersionedPolicy(), versioned), (SiblingsPolicy(), siblings)]


@pytest.mark.parametrize("policy, states", CASES, ids=lambda x: getattr(x, "name", ""))
def test_merge_is_a_join(policy, states):
    @settings(max_examples=60, deadline=None)
    @given(states, states, states)
    def check(a, b, c):
        m = policy.merge
        assert m(a, b) == m(b, a)
        assert m(m(a, b), c) == m(a, m(b, c))
        assert m(a, a) == a and m(a, None) == a and m(None, a) == a
        assert policy.covers(m(a, b), a) and policy.covers(m(a, b), b)
    check()


@given(st.lists(st.tuples(st.sampled_from(NODES), st.integers(0, 3)), max_size=30), st.integers(0, 10**6))
def test_g_counter_counts_every_increment_whatever_the_gossip_order(increments, seed):
    rng = random.Random(seed)
    replicas = {n: GCounter() for n in NODES}
    for node, amount in increments:
        replicas[node] = replicas[node].increment(node, amount)
        other = rng.choice(NODES)
        replicas[other] = replicas[other].merge(replicas[rng.choice(NODES)])
    final = GCounter()
    for n in rng.sample(NODES, len(NODES)):
        final = final.merge(replicas[n])
    assert final.value == sum(a for _, a in increments)


def test_pn_counter_and_bad_input():
    c = PNCounter().increment("a", 3).decrement("b", 1)
    assert c.value == 2 and c.merge(PNCounter().increment("b", -1)).value == 2
    with pytest.raises(ValueError, match="at least 0"):
        GCounter().increment("a", -1)
    with pytest.raises(TypeError, match="must be a GCounter"):
        GCounter().merge(PNCounter())
    with pytest.raises(TypeError, match="must be a Stamped"):
        LWWPolicy().merge(Stamped(1.0, "a", 1), Versioned(1, "a", 1))
    with pytest.raises(ValueError, match="only grows"):
        CounterCRDTPolicy().update(None, "increment", -2, node="a", clock=0.0)
    with pytest.raises(AttributeError, match="immutable"):
        GCounter().entries = ()
    assert CounterCRDTPolicy(pn=True).update(None, "increment", -2, node="a", clock=0.0).value == -2


def test_lww_floor_and_siblings_update():
    policy = LWWPolicy()
    old = Stamped(100.0, "n2", "mine")
    new = policy.update(None, "write", "later", node="n1", clock=50.0, floor=old)
    assert policy.merge(old, new) == new                   # a session's write supersedes its last
    s = SiblingsPolicy()
    two = s.merge(s.update(None, "write", "a", node="n1", clock=0),
                  s.update(None, "write", "b", node="n2", clock=0))
    assert s.value(two) == ["a", "b"]
    assert s.value(s.update(two, "write", "c", node="n3", clock=0)) == ["c"]
