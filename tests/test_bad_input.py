"""Bad input: a clear ValueError/TypeError naming the argument, never a hang."""

import pytest

from dscourse.sim import Constant, FaultPlan, History, LogNormal, Simulator, Uniform, random_plan

from .conftest import Recorder, chatter_sim


def test_unknown_node_ids():
    sim = chatter_sim()
    with pytest.raises(ValueError, match="node_id='zz' is not a known node; known: 'n0', 'n1', 'n2'"):
        sim.crash("zz")
    with pytest.raises(ValueError, match="groups\\[1\\]='zz' is not a known node"):
        sim.partition(["n0"], ["zz"])


def test_sending_to_an_unknown_node():
    sim = Simulator()
    sim.add_node(Recorder("a", plan=[(1, "ghost", 1)]))
    with pytest.raises(ValueError, match="dst='ghost' is not a known node"):
        sim.run()


def test_duplicate_and_mistyped_node_ids():
    sim = Simulator()
    sim.add_node(Recorder("a"))
    with pytest.raises(ValueError, match="'a' is already in use"):
        sim.add_node(Recorder("a"))
    with pytest.raises(TypeError, match="all be of one type"):
        sim.add_node(Recorder(3))
    with pytest.raises(TypeError, match="node id \\(a str or an int\\)"):
        sim.add_node(Recorder(1.5))
    with pytest.raises(TypeError, match="dscourse.sim.Node"):
        sim.add_node("a")


@pytest.mark.parametrize("kwargs, match", [
    ({"loss": 1.5}, "loss must be at most 1, got 1.5"),
    ({"duplicate": -0.1}, "duplicate must be at least 0, got -0.1"),
    ({"latency": -3}, "delay must be at least 0, got -3"),
    ({"latency": "fast"}, "latency must be a Latency"),
    ({"bandwidth": 0}, "bandwidth must be greater than 0"),
    ({"queue_limit": 0}, "queue_limit must be at least 1"),
    ({"jitter": 3}, "jitter"),
])
def test_bad_network_settings(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Simulator(**kwargs)


@pytest.mark.parametrize("make, match", [
    (lambda: Uniform(5, 1), "high must be at least low"),
    (lambda: LogNormal(0, 1), "median must be greater than 0"),
    (lambda: Constant(float("nan")), "delay must be a finite number"),
])
def test_bad_latencies(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_negative_times_and_the_past():
    sim = chatter_sim()
    sim.run(until=10)
    with pytest.raises(ValueError, match="time=5 is in the past"):
        sim.at(5, print)
    with pytest.raises(ValueError, match="delay must be at least 0, got -1"):
        sim.schedule(-1, print)
    with pytest.raises(ValueError, match="duration must be at least 0"):
        sim.pause("n0", -5)
    with pytest.raises(ValueError, match="at must be at least 0, got -1"):
        FaultPlan().crash("n0", at=-1)
    with pytest.raises(ValueError, match="is at 2, in the past"):
        FaultPlan().crash("n0", at=2).apply(sim)
    with pytest.raises(TypeError, match="max_events must be an integer"):
        sim.run(max_events=2.5)


def test_empty_cluster_runs_nothing_and_nemesis_needs_nodes():
    sim = Simulator()
    assert sim.run() == 0
    with pytest.raises(ValueError, match="nodes must name at least one node"):
        random_plan([], seed=1)
    with pytest.raises(TypeError, match="nodes must be a list of node ids"):
        random_plan("abc", seed=1)


def test_fault_plan_naming_an_unknown_node_is_refused_before_anything_runs():
    sim = chatter_sim()
    plan = FaultPlan().crash("n0", at=5).crash("n9", at=6)
    with pytest.raises(ValueError, match="fault 1 \\(crash at 6\\) names node 'n9'"):
        plan.apply(sim)
    assert sim.pending_events == 3      # only the three boots; nothing was scheduled


@pytest.mark.parametrize("text, match", [
    ("{not json", "malformed"),
    ('{"format": "other"}', "format='dscourse.faultplan'"),
    ('{"format": "dscourse.faultplan", "version": 2, "faults": []}', "version must be 1"),
    ('{"format": "dscourse.faultplan", "version": 1, "faults": {}}', "'faults' must be a list"),
    ('{"format": "dscourse.faultplan", "version": 1, "faults": [{"at": 1}]}', "fault 0 must be a dict"),
    ('{"format": "dscourse.faultplan", "version": 1, "faults": [{"at": 1, "kind": "meteor"}]}',
     "kind must be one of"),
    ('{"format": "dscourse.faultplan", "version": 1, "faults": [{"at": 1, "kind": "crash"}]}',
     "fault 0 \\(crash\\): bad parameters"),
    ('{"format": "dscourse.faultplan", "version": 1, "faults": [{"at": -1, "kind": "heal"}]}',
     "at must be at least 0"),
    ('{"format": "dscourse.faultplan", "version": 1, "faults": '
     '[{"at": 1, "kind": "network", "loss": 3}]}', "loss must be at most 1"),
])
def test_malformed_fault_plan_json(text, match):
    with pytest.raises(ValueError, match=match):
        FaultPlan.from_json(text)


def test_bad_seed():
    with pytest.raises(TypeError, match="seed must be an int"):
        Simulator(seed="one")


def test_malformed_histories():
    with pytest.raises(ValueError, match="event 0: 'ok' completion for process 1 without a pending"):
        History.from_events([{"process": 1, "type": "ok", "f": "read"}])
    with pytest.raises(ValueError, match="event 1: process 1 invokes 'read' while"):
        History.from_events([{"process": 1, "type": "invoke", "f": "write", "value": 1},
                             {"process": 1, "type": "invoke", "f": "read"}])
    with pytest.raises(ValueError, match="event 0: type must be one of"):
        History.from_events([{"process": 1, "type": "begin", "f": "read"}])
    with pytest.raises(ValueError, match="does not match the invocation"):
        History.from_events([{"process": 1, "type": "invoke", "f": "write"},
                             {"process": 1, "type": "ok", "f": "read"}])
    with pytest.raises(ValueError, match="missing key"):
        History.from_events([{"type": "invoke", "f": "read"}])
    with pytest.raises(ValueError, match="malformed"):
        History.from_json("[{")
