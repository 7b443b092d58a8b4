"""The election views and panel: drawings with text twins, read from traces."""

import pytest
from matplotlib.figure import Figure

from dscourse.election import compare, leaders_at, lease_cluster, pause_after_renewal, zk_cluster
from dscourse.election.harness import SCENARIOS, algorithms
from dscourse.viz.election import (
    draw_bully_cost,
    draw_comparison,
    draw_leader_timeline,
    draw_writes,
    timeline_table,
    writes_table,
)
from dscourse.widgets.election import election_panel


@pytest.fixture(scope="module")
def paused_run():
    sim = lease_cluster(3, seed=1, fencing=True)
    sim.run(until=1000)
    (old, _), = leaders_at(sim.trace, 1000)
    pause_after_renewal(sim, old, 800)
    sim.run(until=2200)
    return sim, old


def test_timeline_figure_and_table(paused_run):
    sim, old = paused_run
    fig = draw_leader_timeline(sim.trace, marks={"pause": 1000})
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["n3", "n2", "n1"]                  # only the nodes that run for leader
    table = timeline_table(sim.trace)
    assert table.startswith("split brain: ") and "never" not in table.splitlines()[0]
    assert old in table.splitlines()[0]
    assert [r[4] for r in table.rows if r[0] == old][:2] == ["pause", "step down"]


def test_writes_views(paused_run):
    sim, old = paused_run
    table = writes_table(sim.trace, since=1700)
    assert any(r[1] == old and r[4] == "REJECTED" for r in table.rows)
    assert isinstance(draw_writes(sim.trace, since=1700), Figure)


def test_comparison_and_bully_figures():
    c = compare(algorithms(3)[:2], SCENARIOS[:2], seeds=[1])
    fig = draw_comparison(c)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert isinstance(draw_bully_cost([3, 4], [6, 12], [3, 4]), Figure)
    with pytest.raises(TypeError, match="comparison must be"):
        draw_comparison([])
    with pytest.raises(TypeError, match="trace must be"):
        draw_leader_timeline(None)


def test_the_panel_drives_the_same_api_and_replays_as_code():
    panel = election_panel(lambda seed: zk_cluster(3, seed), seed=1, horizon=2000, render=False)
    panel.seek(800)
    (leader, _), = leaders_at(panel.sim.trace, 800)
    panel.crash(leader)
    panel.seek(1500)
    assert leaders_at(panel.sim.trace, 1500)[0][0] != leader
    assert f".crash({leader!r}, at=800.0)" in panel.to_code()
    views = [view(panel.sim) for view in panel.views]
    assert isinstance(views[0], Figure) and isinstance(views[1], Figure)
    assert "split brain: never" in views[2]
