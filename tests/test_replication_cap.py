"""CP and AP registers and counters under partitions, clock skew and random faults."""

import pytest

from dscourse.checkers import Counter, Register, check_linearizable
from dscourse.replication.client import Op
from dscourse.replication.cp import CounterState, CPCounterNode, CPRegisterNode
from dscourse.replication.experiments import (
    COUNTER_MIX,
    build,
    client_ids,
    node_ids,
    partition_plan,
    run,
)
from dscourse.replication.measure import lost_increments
from dscourse.sim import Constant, FaultPlan

from .conftest import sweep


def windows(r):
    return {w.name: (n, ok) for w, n, ok, *_ in r.availability()}


@pytest.mark.parametrize("n", [3, 5])
def test_cp_register_is_linearizable_and_unavailable_only_on_the_minority_side(n):
    r = run("cp-register", n, seed=1, plan=partition_plan(n, 400, 900), duration=1500, stop=1300)
    assert check_linearizable(r.history, Register()).valid is True
    minority = client_ids(n)[: (n - 1) // 2]
    during = [op for op in r.history.operations() if 400 <= op.invoke_time < 900]
    assert {op.type for op in during if op.process in minority} == {"fail"}
    assert {op.type for op in during if op.process not in minority} == {"ok"}
    assert {op.type for op in r.history.operations() if op.complete_time < 400} == {"ok"}
    w = windows(r)
    assert w["after"][0] == w["after"][1]


@pytest.mark.parametrize("n", [3, 5])
def test_ap_register_stays_available_and_is_caught_by_the_checker(n):
    r = run("lww", n, seed=1, plan=partition_plan(n, 400, 900), duration=1500, stop=1300)
    assert r.outcomes()["fail"] == r.outcomes()["info"] == 0
    assert check_linearizable(r.history, Register()).valid is False
    assert len(r.stale_reads()) > 0


def test_naive_quorum_increment_loses_updates_but_the_ballot_counter_does_not():
    naive = run("cp-register", 3, seed=1, mix=COUNTER_MIX, duration=1200, stop=800)
    lost = lost_increments(naive.history, naive.value("n1"))
    assert lost["lost"] > 0 and lost["unknown"] == 0
    assert check_linearizable(naive.history, Counter()).valid is False
    good = run("cp-counter", 3, seed=1, mix=COUNTER_MIX, duration=1200, stop=800)
    tally = lost_increments(good.history, good.value("n1"))
    assert tally["lost"] == 0
    assert tally["acknowledged"] <= tally["final"] <= tally["acknowledged"] + tally["unknown"]
    assert check_linearizable(good.history, Counter()).valid is True


@pytest.mark.sweep
def test_cp_stores_are_linearizable_under_random_fault_plans():
    for seed in range(sweep(4)):
        plan = FaultPlan.random(node_ids(3), seed=seed, duration=800, kinds=("crash", "partition",
                                                                               "pause", "loss"))
        reg = run("cp-register", 3, seed=seed, plan=plan, duration=1200, stop=900)
        assert check_linearizable(reg.history, Register()).valid is True, seed
        cnt = run("cp-counter", 3, seed=seed, plan=plan, duration=1200, stop=900, mix=COUNTER_MIX)
        assert check_linearizable(cnt.history, Counter()).valid is True, seed


def test_lww_loses_concurrent_increments_and_the_crdt_does_not():
    plan = partition_plan(3, 300, 700)
    lww = run("lww", 3, seed=2, plan=plan, mix=COUNTER_MIX, duration=1500, stop=700)
    crdt = run("crdt-counter", 3, seed=2, plan=plan, mix=COUNTER_MIX, duration=1500, stop=700)
    assert len({lww.value(n) for n in lww.nodes}) == 1 and len({crdt.value(n) for n in crdt.nodes}) == 1
    assert lost_increments(lww.history, lww.value("n1"))["lost"] > 0
    tally = lost_increments(crdt.history, crdt.value("n1"))
    assert tally["lost"] == 0 and tally["final"] == tally["acknowledged"]
    assert crdt.convergence(700) is not None


def test_clock_skew_makes_lww_drop_the_newer_write():
    scripts = {"c1": [Op("write", "x", "older", at=100)], "c2": [Op("write", "x", "newer", at=200)],
               "c3": [Op("read", "x", at=600)]}
    for skew, expected in ((0.0, "newer"), (-500.0, "older")):
        sim = build("lww", 3, seed=1, latency=Constant(2.0), scripts=scripts)
        FaultPlan().clock("n2", at=0, skew=skew).apply(sim)
        sim.run(until=800)
        assert [e["value"] for e in sim.history.events][-1] == expected
        assert {sim.node(n).data["x"].value for n in node_ids(3)} == {expected}


def test_textbook_cp_counter_reports_fail_for_writes_that_happened():
    r = run("textbook-cp-counter", 3, seed=1, plan=partition_plan(3, 300, 700), mix=COUNTER_MIX,
            duration=1200, stop=1000)
    errors = [res[3] for c in client_ids(3) for res in r.sim.node(c).results if res[1] == "fail"]
    assert any(e.startswith("No quorum for read") for e in errors)
    assert check_linearizable(r.history, Counter()).valid is False


def test_counter_state_dedupes_retries_and_nodes_validate():
    s = CounterState().apply("c1", 1, 1).apply("c2", 1, 1)
    assert s.apply("c1", 1, 1) is s and s.value == 2
    with pytest.raises(TypeError, match="fixes policy"):
        CPRegisterNode("n1", ["n1"], policy=None)
    with pytest.raises(ValueError, match="at least one node"):
        CPCounterNode("n1", [])
