"""The fault panel's logic, driven without a browser: set values, click, check the plan."""

import pytest

from dscourse.scenarios import heartbeat_cluster
from dscourse.sim import FaultPlan
from dscourse.widgets.fault_panel import FaultPanel, spacetime_view


@pytest.fixture
def panel():
    return FaultPanel(heartbeat_cluster, seed=1, horizon=1000, step=50, render=False)


def test_clicks_become_a_plan_and_the_simulator_follows(panel):
    panel.step_button.click()
    panel.step_button.click()
    assert panel.time == 100
    panel.node_buttons["n1"].click()
    assert panel.sim.status("n1") == "crashed"
    assert panel.node_buttons["n1"].description == "recover n1"
    panel.time_slider.value = 300
    panel.side.value = ("n2",)
    panel.partition_button.click()
    panel.loss_slider.value = 0.2
    panel.delay_slider.value = 30
    panel.clock_node.value = "n3"
    panel.skew_amount.value = -40
    panel.skew_button.click()
    panel.pause_amount.value = 120
    panel.pause_button.click()
    assert panel.sim.status("n3") == "paused"
    panel.time_slider.value = 500
    panel.node_buttons["n1"].click()
    panel.heal_button.click()
    kinds = [(f.at, f.kind) for f in panel.plan]
    assert kinds == [(100, "crash"), (300, "partition"), (300, "network"), (300, "network"),
                     (300, "clock"), (300, "pause"), (500, "recover"), (500, "heal")]
    assert panel.sim.status("n1") == "up"
    assert not panel.sim.network.cut


def test_what_is_on_screen_is_what_the_code_rebuilds(panel):
    panel.seek(120)
    panel.crash("n2")
    panel.seek(260)
    panel.partition(["n3"])
    panel.seek(420)
    namespace = {"build": heartbeat_cluster}
    exec(panel.to_code(), namespace)
    assert namespace["sim"].trace.digest() == panel.sim.trace.digest()


def test_seeking_back_replays_and_forward_continues(panel):
    panel.seek(300)
    panel.crash("n1")
    panel.seek(600)
    later = panel.sim.trace.digest()
    panel.time_slider.value = 200
    assert panel.time == 200 and panel.sim.status("n1") == "up"
    panel.time_slider.value = 600
    assert panel.sim.trace.digest() == later


def test_reset_forgets_everything(panel):
    panel.seek(100)
    panel.crash("n1")
    panel.reset_button.click()
    assert len(panel.plan) == 0 and panel.time == 0
    assert panel.sim.status("n1") == "up"


def test_actions_are_recorded_and_replayed():
    log = []
    panel = FaultPanel(heartbeat_cluster, seed=1, render=False,
                       actions={"note": lambda sim: log.append(sim.now)})
    panel.seek(250)
    panel.action_buttons["note"].click()
    panel.seek(100)          # replay from the start re-runs nothing after 100
    panel.seek(300)          # ... and the action again on the way forward
    assert log[0] == 250 and log[-1] == 250
    assert "sim.at(250.0, actions['note'], sim)" in panel.to_code()


def test_rendering_views_into_widgets():
    import ipywidgets as w

    from dscourse.widgets.fault_panel import table_view
    rendering = FaultPanel(heartbeat_cluster, seed=1, horizon=500,
                           views=[spacetime_view(window=200), table_view()])
    before = rendering.renders
    rendering.crash("n1")
    rendering.step()
    assert rendering.renders == before + 2
    image, table = rendering.output.children
    assert isinstance(image, w.Image) and bytes(image.value).startswith(b"\x89PNG")
    assert "n1    crashed" in rendering.output.texts()[0]


def test_bad_input_is_reported(panel):
    with pytest.raises(ValueError, match="node='n9' is not in this panel"):
        panel.crash("n9")
    with pytest.raises(ValueError, match="some but not all nodes"):
        panel.partition(["n1", "n2", "n3"])
    with pytest.raises(ValueError, match="probability must be at most 1"):
        panel.set_loss(2)
    panel.side.value = ()
    panel.partition_button.click()          # shown as a message, not an exception
    assert "some but not all" in panel.message.value
    with pytest.raises(TypeError, match="plan must be a FaultPlan"):
        FaultPanel(heartbeat_cluster, plan="crash n1")
    with pytest.raises(TypeError, match="build must be a function"):
        FaultPanel("heartbeat")


def test_panel_starts_from_a_given_plan():
    plan = FaultPlan().crash("n2", at=50)
    panel = FaultPanel(heartbeat_cluster, seed=3, plan=plan, render=False)
    panel.seek(100)
    assert panel.sim.status("n2") == "crashed"
