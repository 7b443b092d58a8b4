"""Views read the trace: snapshots, the cluster view and the space-time diagram."""

import pytest
from matplotlib.figure import Figure

from dscourse.scenarios import heartbeat_cluster
from dscourse.sim import FaultPlan, Simulator
from dscourse.viz.cluster import cluster_graph, cluster_table, draw_cluster
from dscourse.viz.plots import bars, cdf, lines
from dscourse.viz.snapshot import snapshot
from dscourse.viz.spacetime import draw_spacetime, select_messages, spacetime_table


@pytest.fixture(scope="module")
def faulty_run():
    sim = heartbeat_cluster(seed=1)
    (FaultPlan().crash("n1", at=120).recover("n1", at=400)
     .partition(["n2"], ["n1", "n3"], at=500).heal(at=700)
     .pause("n3", at=800, duration=100).isolate("n2", at=950)).apply(sim)
    sim.run(until=1000)
    return sim


def test_snapshot_follows_crashes_pauses_and_cuts(faulty_run):
    trace = faulty_run.trace
    assert snapshot(trace, 100).status == {"n1": "up", "n2": "up", "n3": "up"}
    assert snapshot(trace, 200).status["n1"] == "crashed"
    assert snapshot(trace, 450).status["n1"] == "up"
    assert snapshot(trace, 600).cut == {("n2", "n1"), ("n1", "n2"), ("n2", "n3"), ("n3", "n2")}
    assert snapshot(trace, 750).cut == frozenset()
    assert snapshot(trace, 850).status["n3"] == "paused"
    assert len(snapshot(trace, 960).cut) == 4
    assert snapshot(trace, 690).state["n2"]["suspects"] == ["n1", "n3"]


def test_in_flight_messages_are_sent_and_not_yet_arrived(faulty_run):
    trace = faulty_run.trace
    snap = snapshot(trace, 55)
    arrivals = {m.mid: m for m in trace.messages()}
    assert snap.in_flight
    for m in snap.in_flight:
        record = arrivals[m.mid]
        assert record.sent <= 55
        assert all(t > 55 for t in record.delivered) and all(t > 55 for t, _ in record.dropped)


def test_cluster_graph_and_table(faulty_run):
    snap = snapshot(faulty_run.trace, 600)
    g = cluster_graph(snap)
    assert g.edges["n2", "n1"]["cut"] and not g.edges["n1", "n3"]["cut"]
    table = cluster_table(faulty_run.trace, at=200)
    assert "n1    crashed" in table
    assert table.rows[0][:2] == ["n1", "crashed"]


def test_drawings_return_figures(faulty_run):
    fig = draw_cluster(faulty_run.trace, at=600, color_by="suspects", label_fields=["suspects"])
    assert isinstance(fig, Figure)
    fig = draw_spacetime(faulty_run.trace, until=1000, state_field="suspects", highlight=[5])
    assert isinstance(fig, Figure)
    assert "messages" in fig.axes[0].get_title() or fig.axes[0].get_title()


def test_spacetime_table_shows_fates(faulty_run):
    table = spacetime_table(faulty_run.trace, since=100, until=200, limit=None)
    fates = {row[-1] for row in table.rows}
    assert "delivered" in fates and "dropped (crashed)" in fates
    assert len(table.rows) == len(select_messages(faulty_run.trace, ["n1", "n2", "n3"], 100, 200))
    limited = spacetime_table(faulty_run.trace, since=100, until=200, limit=3)
    assert len(limited.rows) == 3 and limited.startswith("(first 3 of")


def test_spacetime_marks_drops_at_send(faulty_run):
    # during the partition, heartbeats across the cut are dropped as they are sent
    table = spacetime_table(faulty_run.trace, since=550, until=560, limit=None)
    assert any(row[-1] == "dropped (partition)" for row in table.rows)


def test_views_refuse_things_that_are_not_traces():
    with pytest.raises(TypeError, match="trace must be a dscourse.sim.Trace"):
        snapshot([1, 2, 3])
    with pytest.raises(TypeError, match="trace must be a dscourse.sim.Trace"):
        draw_spacetime("trace")


def test_empty_trace_draws():
    sim = Simulator()
    assert snapshot(sim.trace).status == {}
    assert isinstance(draw_spacetime(sim.trace), Figure)


def test_plot_helpers():
    assert isinstance(cdf({"a": [1, 2, 3], "b": []}, xlabel="ms", marks=[2], log_x=True), Figure)
    assert isinstance(lines([1, 2], {"x": [1, 2], "y": [2, 1]}, xlabel="n", ylabel="v"), Figure)
    assert isinstance(bars(["p", "q"], {"s": [1, 2]}, ylabel="count"), Figure)
