"""The claims notebooks 02-04 make about their measurements, and the views that draw them."""

import math

from dscourse.clocks import stamp_trace
from dscourse.replication import experiments as ex
from dscourse.replication import scenarios as sc
from dscourse.replication import studies as st
from dscourse.replication.chat import ChatNode
from dscourse.sim import FaultPlan, Simulator, Uniform
from dscourse.viz.clocks import clock_table, draw_clocks, receipts, receipts_table
from dscourse.viz.replication import (
    draw_availability,
    draw_comparison,
    draw_latency,
    draw_quorum_staleness,
    draw_replica_values,
    replica_values_table,
)
from dscourse.widgets.replication import outcomes_view, replica_panel


def test_cap_table_claims():
    rows = st.cap_comparison(seed=1)
    for r in rows:
        if r["design"] == "CP":
            assert r["minority during"] == 0.0 and r["majority during"] == 1.0
            assert r["linearizable"] is True and r["windows"]["after"] == 1.0
        else:
            assert all(v == 1.0 for v in st.cap_fractions(r).values())
            assert r["linearizable"] is False
            if r["kind"] == "register":        # stale reads: mostly during the partition
                by_window = st.stale_by_window(r["run"])
                assert by_window["during"] > by_window["before"] + by_window["after"]
        if r["kind"] == "counter":
            assert r["anomalies"].startswith("0 of ")
    table = st.cap_table(rows)
    assert len(table.rows) == 8
    assert draw_availability({"cp": st.cap_fractions(rows[0])}).axes


def test_pacelc_cp_is_slower_than_ap():
    lat = st.latency_comparison(seed=1)
    assert lat["CP register (ABD)"]["all"]["mean"] > lat["AP register (LWW)"]["all"]["mean"]
    assert lat["CP counter (ballots)"]["all"]["mean"] > lat["AP counter (CRDT)"]["all"]["mean"]
    assert len(st.latency_table(lat).rows) == 12
    assert draw_latency({k: v["samples"] for k, v in lat.items()}).axes


def test_textbook_no_rollback_claims():
    r = ex.textbook_no_rollback()
    heard = [res[3] for c in ("c1", "c2") for res in r.sim.node(c).results]
    assert heard[0].startswith("Cannot reach quorum (1/2)")
    assert all(h.startswith("No quorum for read (values: n1=1, n2=0)") for h in heard[1:])
    assert {n: r.sim.node(n).value for n in r.nodes} == {"n1": 1, "n2": 0, "n3": 0}


def test_quorum_sweep_and_convergence_claims():
    rows = st.quorum_sweep(configs=((3, 1, 1), (3, 2, 2), (5, 1, 5)), seeds=(1, 2))
    assert [r[4] > 0 for r in rows] == [True, False, False]
    assert rows[2][7] < st.quorum_sweep(configs=((5, 3, 3),), seeds=(1, 2))[0][7]
    assert draw_quorum_staleness([(f"{n}{r}{w}", f, lat) for n, r, w, _, _, _, f, lat in rows]).axes
    conv = st.convergence_sweep(intervals=(25.0, 400.0), seeds=(1, 2, 3, 4, 5))
    assert all(t is not None for _, times, _ in conv for t in times)
    assert conv[1][2] > conv[0][2]


def test_comparison_table_claims():
    results = sc.compare_models(seed=1)
    s, e, ryw, c = (results[k] for k in sc.MODELS)
    assert s["linearizable"] is True and e["linearizable"] is False and c["linearizable"] is None
    assert e["available"] == 1.0 and s["available"] < 1.0
    assert s["mean latency"] > c["mean latency"] > e["mean latency"]
    assert e["stale reads"] > 0 and s["stale reads"] == 0
    for m in (ryw, c):
        assert all(r.valid for r in m["sessions"].values())
    assert not e["sessions"]["read your writes"].valid and not e["sessions"]["monotonic reads"].valid
    assert c["causal"].valid and not e["causal"].valid
    assert len(sc.comparison_table(results).rows) == 4
    assert draw_comparison(results).axes


def test_replica_views_and_panel():
    r = ex.run("crdt-counter", 3, seed=1, plan=ex.partition_plan(3, 400, 900), duration=1400, stop=900,
               mix=ex.COUNTER_MIX, anti_entropy_interval=100.0)
    assert draw_replica_values(r.sim.trace, r.nodes, "x").axes
    table = replica_values_table(r.sim.trace, r.nodes, "x", since=850, limit=None)
    assert table.rows and all(float(t) >= 850 for t, _, _ in table.rows)
    panel = replica_panel("cp-register", 3, seed=1, horizon=600, render=False)
    panel.seek(100)
    panel.partition(["n1", "c1"])
    panel.seek(500)
    counts = {row[0]: row[2] for row in outcomes_view(panel.sim).rows}
    assert counts["c1"] > 0 and counts["c2"] == 0
    assert ".partition(['c1', 'n1']" in panel.to_code()


def test_clock_views_and_the_physical_clock_claim():
    sim = Simulator(seed=1, latency=Uniform(1, 10))
    for node in "abc":
        sim.add_node(ChatNode(node, "abc", interval=30, count=3))
    FaultPlan().clock("b", at=0, skew=-20).clock("c", at=0, drift=0.2).apply(sim)
    sim.run(until=300)
    rec = receipts(sim.trace)
    assert any(r["received_at"] <= r["sent_at"] for r in rec)
    assert all(r["sent_lamport"] < r["received_lamport"] for r in rec)
    assert len(receipts_table(sim.trace).rows) == len(rec)
    events = stamp_trace(sim.trace)
    assert len(clock_table(sim.trace, limit=None).rows) == len(events)
    fig = draw_clocks(sim.trace, compare=(0, 1), stamp="both")
    assert "event 0 vs event 1" in fig.axes[0].get_title()
    assert not math.isnan(events[-1].time)
