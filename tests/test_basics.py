"""Notebook 00's protocols, scenarios, course map and exercise checks."""

import pytest

from dscourse.basics import HeartbeatNode
from dscourse.basics.exercises import check_fool_the_detector, check_pause_is_not_a_crash, replay_digest
from dscourse.course import COURSE, course_map
from dscourse.scenarios import SCENARIOS, heartbeat_cluster, scenario
from dscourse.sim import FaultPlan

from .test_project import ROOT


def test_heartbeats_detect_a_crash_and_wrongly_a_partition():
    sim = heartbeat_cluster(seed=1)
    FaultPlan().crash("n1", at=200).apply(sim)
    sim.run(until=500)
    assert sim.nodes["n2"].suspects == ("n1",) and sim.nodes["n3"].suspects == ("n1",)
    sim = heartbeat_cluster(seed=1)
    FaultPlan().isolate("n3", at=200).apply(sim)
    sim.run(until=500)
    assert sim.nodes["n3"].suspects == ("n1", "n2")
    assert all(sim.is_up(n) for n in sim.node_ids)


def test_heartbeat_validates_its_settings():
    with pytest.raises(ValueError, match="timeout must exceed interval"):
        HeartbeatNode("a", interval=100, timeout=50)


def test_scenarios_are_named_and_seeded():
    assert {"heartbeat", "echo"} <= set(SCENARIOS)
    a = scenario("heartbeat", seed=4)
    b = scenario("heartbeat", seed=4)
    a.run(until=300)
    b.run(until=300)
    assert a.trace.digest() == b.trace.digest()
    with pytest.raises(ValueError, match="name must be one of"):
        scenario("nope")
    lossy = scenario("echo", seed=1, loss=0.5)
    lossy.run(until=5000)
    outcomes = [op.type for op in lossy.history.operations()]
    assert "info" in outcomes and "ok" in outcomes


def test_course_map_lists_every_notebook_in_the_folder():
    files = {c.file for c in COURSE}
    on_disk = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert on_disk <= files
    assert [c.number for c in COURSE] == list(range(len(COURSE)))
    assert "about" in course_map().splitlines()[0]


def test_fool_the_detector_check_accepts_the_solution_and_explains_wrong_answers():
    assert check_fool_the_detector(lambda: FaultPlan().isolate("n1", at=300), heartbeat_cluster)
    crash = check_fool_the_detector(lambda: FaultPlan().crash("n1", at=300), heartbeat_cluster)
    assert not crash and "crashes or pauses n1" in crash.problem
    late = check_fool_the_detector(lambda: FaultPlan().isolate("n1", at=550), heartbeat_cluster)
    assert not late and "still trust" in late.problem and "seed 0" in late.problem
    wrong_type = check_fool_the_detector(lambda: "isolate n1", heartbeat_cluster)
    assert "must return a FaultPlan" in wrong_type.problem
    raising = check_fool_the_detector(lambda: 1 / 0, heartbeat_cluster)
    assert "ZeroDivisionError" in raising.problem
    assert "Hint" in str(late)


def test_pause_check_accepts_the_solution_and_explains_wrong_answers():
    assert check_pause_is_not_a_crash(lambda: FaultPlan().pause("n2", at=300, duration=400),
                                      heartbeat_cluster)
    short = check_pause_is_not_a_crash(lambda: FaultPlan().pause("n2", at=300, duration=60),
                                       heartbeat_cluster)
    assert not short and "shorter than the timeout" in short.problem
    endless = check_pause_is_not_a_crash(lambda: FaultPlan().pause("n2", at=300, duration=5000),
                                         heartbeat_cluster)
    assert not endless and "still suspected" in endless.problem
    crash = check_pause_is_not_a_crash(lambda: FaultPlan().crash("n2", at=300), heartbeat_cluster)
    assert not crash and "use only a pause" in crash.problem


def test_replay_digest_pins_a_run():
    plan = FaultPlan().isolate("n3", at=200)
    assert replay_digest(heartbeat_cluster, 1, plan, 500) == replay_digest(heartbeat_cluster, 1, plan, 500)
    assert replay_digest(heartbeat_cluster, 1, plan, 500) != replay_digest(heartbeat_cluster, 2, plan, 500)


def test_feedback_call_reports_the_learners_exceptions():
    from dscourse.feedback import Feedback
    fb = Feedback("x", passed=False)
    assert fb.call(lambda a, b: a + b, 1, 2) == (True, 3)
    assert fb.call(lambda a: 1 / a, 0) == (False, None)
    assert fb.problem == "your function raised ZeroDivisionError: division by zero (called with 0)"

    def stub():
        raise NotImplementedError("Exercise: replace this line with your solution")
    assert fb.call(stub) == (False, None) and "not solved yet" in fb.problem
