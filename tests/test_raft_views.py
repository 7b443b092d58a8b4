"""Raft views and the Raft explorer, driven without a browser."""

import matplotlib
import pytest

from dscourse.consensus.raft import RaftCluster
from dscourse.consensus.raft.figure8 import figure8
from dscourse.consensus.raft.timing import election_timing, summarize
from dscourse.viz.raft import (
    draw_election_cdf,
    draw_logs,
    draw_timeline,
    election_table,
    paper_comparison_table,
    timeline_table,
)
from dscourse.widgets.raft_explorer import RaftExplorer

matplotlib.use("Agg")


def test_log_and_timeline_views_have_text_twins():
    snap = figure8().snapshot("c")
    fig = draw_logs(snap)
    assert fig.axes and "logs at t =" in fig.axes[0].get_title()
    table = snap.table()
    assert "n1      leader" in table and "1 2" in table
    c = RaftCluster(3, seed=1)
    c.wait_for_leader()
    spans = c.timeline()
    assert draw_timeline(spans).axes
    text = timeline_table(spans)
    assert "leader" in text and text.rows[0][0] == "n1"


def test_election_views():
    results = election_timing([(150, 150), (150, 300)], trials=6, seed=1, cap=2000)
    rows = summarize(results)
    fig = draw_election_cdf(results)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["150-150 ms (no leader within the cap)", "150-300 ms"]
    table = election_table(rows, cap=2000)
    assert "never" in table and table.rows[0][6] == 6
    paper = paper_comparison_table(rows)
    assert "consistently longer than 10 s" in paper and "no leader within the cap" in paper


def test_explorer_buttons_drive_the_simulator_and_the_plan():
    ex = RaftExplorer(n=3, seed=2, render=False)
    panel = ex.panel
    panel.time_slider.value = 500.0                     # the slider seeks
    assert ex.time == 500.0
    leader = ex.leader()
    assert leader is not None
    panel.node_buttons[leader].click()                  # crash the leader
    assert ex.sim.status(leader) == "crashed"
    assert [f.kind for f in panel.plan] == ["crash"]
    panel.action_buttons["client request"].click()      # nobody leads yet: nothing happens
    other = next(n for n in ex.ids if n != leader)
    panel.action_buttons[f"time out {other}"].click()
    panel.step_button.click()
    assert ex.time == 550.0
    assert ex.leader() == other                         # it stood first and won
    ex.client_request()
    ex.seek(700)
    assert ex.cluster.n_committed(1) == (2, "cmd@550")
    assert "sim.at(500.0, actions['time out" in ex.to_code()
    ex.seek(100)                                        # backwards: a replay, same faults
    assert ex.sim.now == 100 and ex.sim.status(leader) == "up"
    ex.seek(700)
    assert ex.cluster.n_committed(1) == (2, "cmd@550")
    assert "commit" in ex.table()
    with pytest.raises(ValueError, match="not a known node"):
        ex.timeout("n9")


def test_explorer_renders_its_views():
    ex = RaftExplorer(n=3, seed=1, render=True, horizon=400)
    before = ex.panel.renders
    ex.seek(300)
    assert ex.panel.renders == before + 1
