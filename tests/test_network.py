"""The network's faults, with hypothesis properties over random settings."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dscourse.sim import Constant, FaultPlan, Simulator, message_size

from .conftest import Chatter, Msg, Recorder


def blast(seed, count, **network):
    """Node a sends `count` messages to b, 1 ms apart."""
    sim = Simulator(seed=seed, **network)
    sim.add_node(Recorder("a", plan=[(i + 1.0, "b", i) for i in range(count)]))
    sim.add_node(Recorder("b"))
    return sim


def binomial_bounds(n, p, z=5.0):
    sd = math.sqrt(n * p * (1 - p))
    return n * p - z * sd - 1, n * p + z * sd + 1


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), loss=st.floats(0.0, 1.0))
def test_loss_rate_matches_its_setting(seed, loss):
    sim = blast(seed, 2000, loss=loss)
    sim.run()
    lost = sim.stats()["dropped"].get("loss", 0)
    lo, hi = binomial_bounds(2000, loss)
    assert lo <= lost <= hi
    assert len(sim.nodes["b"].got) == 2000 - lost


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), dup=st.floats(0.0, 1.0))
def test_duplication_rate_matches_its_setting(seed, dup):
    sim = blast(seed, 2000, duplicate=dup)
    sim.run()
    dups = sim.stats()["duplicated"]
    lo, hi = binomial_bounds(2000, dup)
    assert lo <= dups <= hi
    assert len(sim.nodes["b"].got) == 2000 + dups


groups_strategy = st.lists(st.integers(0, 1), min_size=4, max_size=4).filter(lambda g: 0 < sum(g) < 4)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), side=groups_strategy,
       start=st.floats(0, 200), length=st.floats(10, 300), loss=st.floats(0, 0.5))
def test_nothing_crosses_a_partition_and_healing_restores_delivery(seed, side, start, length, loss):
    ids = [f"n{i}" for i in range(4)]
    left = [n for n, s in zip(ids, side) if s == 0]
    right = [n for n, s in zip(ids, side) if s == 1]
    sim = Simulator(seed=seed, loss=loss)
    for n in ids:
        sim.add_node(Chatter(n, interval=5))
    FaultPlan().partition(left, right, at=start).heal(at=start + length).apply(sim)
    sim.run(until=start + length + 400)
    for r in sim.trace.select("deliver"):
        crossing = (r.node in left) != (r.peer in left)
        if crossing:
            assert not (start <= r.time < start + length), r
    after = [r for r in sim.trace.select("deliver", since=start + length + 50)
             if (r.node in left) != (r.peer in left)]
    assert after, "a healed partition delivers again"


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), crash_at=st.floats(0, 300), down=st.floats(1, 300))
def test_nothing_is_delivered_to_a_crashed_node(seed, crash_at, down):
    sim = Simulator(seed=seed)
    for n in ("a", "b", "c"):
        sim.add_node(Chatter(n, interval=3))
    FaultPlan().crash_for("b", at=crash_at, duration=down).apply(sim)
    sim.run(until=crash_at + down + 100)
    for r in sim.trace.select("deliver", node="b"):
        assert not (crash_at <= r.time < crash_at + down)
    assert sim.trace.select("deliver", node="b", since=crash_at + down)


def test_one_way_partition_cuts_one_direction_only():
    sim = Simulator(seed=1, latency=Constant(1))
    sim.add_node(Recorder("a", plan=[(1, "b", 1)]))
    sim.add_node(Recorder("b", plan=[(1, "a", 2)]))
    sim.partition_oneway(["a"], ["b"])
    sim.run()
    assert sim.nodes["b"].got == [] and sim.nodes["a"].got == [("b", 2)]


def test_message_in_flight_when_the_link_is_cut_is_lost():
    sim = Simulator(seed=1, latency=Constant(10))
    sim.add_node(Recorder("a", plan=[(1, "b", 1)]))
    b = sim.add_node(Recorder("b"))
    FaultPlan().partition(["a"], ["b"], at=5).apply(sim)
    sim.run()
    assert b.got == []
    assert sim.trace.select("drop")[0].time == 11


def test_reordering_lets_later_messages_overtake():
    sim = blast(3, 500, latency=Constant(1), reorder=0.5, reorder_delay=20)
    sim.run()
    got = [n for _, n in sim.nodes["b"].got]
    assert sorted(got) == list(range(500)) and got != sorted(got)


def test_constant_latency_without_reordering_keeps_order():
    sim = blast(3, 200, latency=Constant(4))
    sim.run()
    assert [n for _, n in sim.nodes["b"].got] == list(range(200))


def test_bandwidth_queues_messages_and_queue_limit_drops():
    size = message_size(Msg(1))
    # one message per ms, but the link carries only half a message per ms
    sim = blast(1, 100, latency=Constant(0), bandwidth=size / 2)
    sim.run()
    delivered = sim.trace.select("deliver")
    assert len(delivered) == 100
    delays = [d.time - s.time for s, d in zip(sim.trace.select("send"), delivered)]
    assert delays[-1] > 90 and delays[0] == pytest.approx(2.0)   # queueing delay keeps growing
    sim = blast(1, 100, latency=Constant(0), bandwidth=size / 2, queue_limit=5)
    sim.run()
    assert sim.stats()["dropped"]["queue full"] > 40


def test_per_link_override():
    sim = Simulator(seed=1, latency=Constant(1))
    sim.add_node(Recorder("a", plan=[(1, "b", 1), (1, "c", 2)]))
    sim.add_node(Recorder("b"))
    sim.add_node(Recorder("c"))
    sim.set_network("a", "b", latency=Constant(50))
    sim.run()
    times = {r.node: r.time for r in sim.trace.select("deliver")}
    assert times == {"b": 51, "c": 2}
