"""Fault plans as data, the trace, the nemesis and histories."""

import json

from dscourse.sim import Exponential, FaultPlan, History, LogNormal, Pareto, Uniform, random_plan
from dscourse.sim.latency import Latency

from .conftest import chatter_sim


def full_plan():
    return (FaultPlan()
            .crash("n0", at=10).recover("n0", at=60)
            .partition(["n0"], ["n1", "n2"], at=70).heal(at=90)
            .partition_oneway(["n1"], ["n2"], at=95).isolate("n2", at=99).heal(at=120)
            .pause("n1", at=130, duration=40, freeze_clock=False)
            .clock("n2", at=140, skew=-12.5, drift=0.02)
            .loss(0.25, at=150).latency(LogNormal(4, 0.5), at=160)
            .set_network(at=170, src="n0", dst="n1", duplicate=0.5, reorder=0.1))


def test_to_code_rebuilds_the_same_plan():
    plan = full_plan()
    namespace = {}
    exec(plan.to_code(), namespace)
    assert namespace["plan"] == plan
    assert "from dscourse.sim import FaultPlan, LogNormal" in plan.to_code()


def test_json_round_trip():
    plan = full_plan()
    again = FaultPlan.from_json(plan.to_json())
    assert again == plan and again.to_json() == plan.to_json()
    assert json.loads(plan.to_json())["faults"][0] == {"at": 10.0, "kind": "crash", "node_id": "n0"}


def test_plan_keeps_time_order_and_insertion_order_for_ties():
    plan = FaultPlan().heal(at=50).crash("a", at=10).recover("a", at=50)
    assert [(f.at, f.kind) for f in plan] == [(10, "crash"), (50, "heal"), (50, "recover")]


def test_applying_a_plan_gives_the_same_trace_as_calling_the_api():
    plan = full_plan()
    by_plan = chatter_sim(seed=4)
    plan.apply(by_plan)
    by_plan.run(until=300)

    by_hand = chatter_sim(seed=4)
    for fault in plan:
        by_hand.at(fault.at, fault.apply, by_hand)
    by_hand.run(until=300)
    assert by_plan.trace.digest() == by_hand.trace.digest()


def test_plan_table_lists_every_fault():
    table = full_plan().table()
    assert len(table.rows) == len(full_plan())
    assert "n0 | n1,n2" in table


def test_nemesis_is_seeded_and_respects_max_down():
    nodes = ["a", "b", "c", "d", "e"]
    p1 = random_plan(nodes, seed=7, duration=20_000, kinds=("crash",))
    p2 = random_plan(nodes, seed=7, duration=20_000, kinds=("crash",))
    p3 = random_plan(nodes, seed=8, duration=20_000, kinds=("crash",))
    assert p1 == p2 and p1 != p3
    down, worst = set(), 0
    for f in p1:          # replay the plan's crash/recover timeline
        if f.kind == "crash":
            down.add(f.params["node_id"])
        else:
            down.discard(f.params["node_id"])
        worst = max(worst, len(down))
    assert 1 <= worst <= 2
    assert not down           # everything recovered by the end


def test_nemesis_plans_run_on_the_simulator():
    kinds = ("crash", "partition", "pause", "loss", "duplicate", "clock")
    for seed in range(20):
        sim = chatter_sim(seed=seed, n=5)
        plan = FaultPlan.random(sim.node_ids, seed=seed, duration=2000, kinds=kinds)
        plan.apply(sim)
        sim.run(until=2500)
        assert all(sim.status(n) == "up" for n in sim.node_ids)
        assert not sim.network.cut


def test_latency_dicts_round_trip_and_quantiles():
    for lat in (Uniform(1, 3), Exponential(5, 1), LogNormal(10, 1, 2), Pareto(2, 1.5)):
        assert Latency.from_dict(lat.to_dict()) == lat
        assert lat.quantile(0.5) <= lat.quantile(0.99)
    assert LogNormal(10, 1).quantile(0.5) == 10


def test_trace_table_and_messages():
    sim = chatter_sim(seed=2)
    FaultPlan().crash("n1", at=25).apply(sim)
    sim.run(until=60)
    table = sim.trace.table(kinds=["crash", "drop"])
    assert table.splitlines()[0].split() == ["time", "kind", "node", "peer", "detail"]
    assert "crash" in table
    messages = sim.trace.messages()
    assert len(messages) == sim.stats()["sent"]
    assert all(m.delivered or m.dropped or m.sent > 40 for m in messages)


def test_history_json_round_trip_and_operations():
    h = History()
    h.invoke(1, "write", 3, time=0)
    h.invoke(2, "read", None, time=1)
    h.ok(1, 3, time=2)
    h.info(2, None, time=3)
    h.invoke(1, "read", time=4)
    again = History.from_json(h.to_json())
    assert again.events == h.events
    ops = again.operations()
    assert [(o.process, o.f, o.type) for o in ops] == [(1, "write", "ok"), (2, "read", "info"),
                                                     (1, "read", "info")]
    assert again.pending == {1: 4}


def test_a_fault_due_now_comes_before_the_boot_messages():
    sim = chatter_sim(seed=1)
    FaultPlan().isolate("n0", at=0).crash("n2", at=0).apply(sim)
    sim.run(until=100)
    assert not sim.trace.select("deliver", node="n0")
    assert not sim.trace.select("start", node="n2")     # crashed before it booted
    sim.recover("n2")
    sim.run(until=200)
    assert sim.trace.select("deliver", node="n2")


def test_remove_node_is_a_fault_too():
    plan = FaultPlan().remove_node("n1", at=50)
    assert FaultPlan.from_json(plan.to_json()) == plan
    namespace = {}
    exec(plan.to_code(), namespace)
    assert namespace["plan"] == plan
    sim = chatter_sim(seed=1)
    plan.apply(sim)
    sim.run(until=100)
    assert sim.status("n1") == "departed" and sim.node_ids == ("n0", "n2")


def test_bytes_payloads_count_in_the_digest():
    from dscourse.sim.trace import canonical
    assert canonical(b"\x00ab") != canonical(b"\x00ac")


def test_plain_objects_count_in_the_digest_by_their_attributes():
    from dscourse.sim.trace import canonical

    class Log:
        def __init__(self, entries):
            self.entries = entries

    class Slotted:
        __slots__ = ("x",)

        def __init__(self, x):
            self.x = x

    assert canonical(Log([1, 2])) != canonical(Log([1, 3]))
    assert canonical(Slotted(1)) == "Slotted({'x':1})"
