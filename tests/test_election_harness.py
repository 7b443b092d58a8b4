"""The comparison harness: leader spans and split-brain windows read from the trace, and the
same faults applied to every algorithm."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dscourse.election.harness import (
    SCENARIOS,
    LeaderSpan,
    Scenario,
    SplitBrain,
    algorithm,
    algorithms,
    compare,
    leader_spans,
    leaders_at,
    percentile,
    run_trial,
    split_brain,
)
from dscourse.election.roles import ElectionNode
from dscourse.sim import FaultPlan, Simulator
from tests.conftest import sweep


class Scripted(ElectionNode):
    """Believes what it is told, when it is told: (time, role, term) triples."""

    def __init__(self, node_id, script):
        super().__init__(node_id)
        self.script = list(script)

    def on_start(self):
        for i, (t, _role, _term) in enumerate(self.script):
            self.ctx.set_timer(t, "go", i)

    def on_timer(self, name, i):
        _, role, term = self.script[i]
        self.set_role(role, term)


def scripted_sim():
    sim = Simulator(seed=1)
    sim.add_node(Scripted("a", [(0, "leader", 1), (300, "follower", None)]))
    sim.add_node(Scripted("b", [(200, "leader", 2), (250, "leader", 3), (700, "follower", None)]))
    sim.add_node(Scripted("c", [(100, "leader", 7)]))
    FaultPlan().crash("c", at=150).pause("b", at=400, duration=100).apply(sim)
    sim.run(until=1000)
    return sim


def test_leader_spans_from_a_scripted_trace():
    spans = leader_spans(scripted_sim().trace, until=1000)
    assert spans == [
        LeaderSpan("a", 1, 0.0, 300.0, "step down"),
        LeaderSpan("c", 7, 100.0, 150.0, "crash"),
        LeaderSpan("b", 2, 200.0, 250.0, "step down"),   # a new term is a new span
        LeaderSpan("b", 3, 250.0, 400.0, "pause"),
        # resumed, still believing; its clock stood still for the 100 ms pause, so the
        # step-down it had planned for 700 comes at 800
        LeaderSpan("b", 3, 500.0, 800.0, "step down"),
    ]
    counted = leader_spans(scripted_sim(), until=1000, while_paused=True)
    assert LeaderSpan("b", 3, 250.0, 800.0, "step down") in counted


def test_split_brain_windows_are_merged_and_exact():
    spans = leader_spans(scripted_sim().trace, until=1000)
    assert split_brain(spans) == [SplitBrain(100.0, 150.0, ("a", "c")),
                                  SplitBrain(200.0, 300.0, ("a", "b"))]
    touching = [LeaderSpan("x", 1, 0, 10, "step down"), LeaderSpan("y", 2, 10, 20, "step down")]
    assert split_brain(touching) == []           # a clean hand-over is not a split brain
    assert split_brain([LeaderSpan("x", 1, 0, 10, "x"), LeaderSpan("y", 2, 5, 20, "x"),
                        LeaderSpan("z", 3, 8, 30, "x")]) == [SplitBrain(5, 20, ("x", "y", "z"))]


def test_leaders_at():
    sim = scripted_sim()
    assert leaders_at(sim.trace, 120) == [("a", 1), ("c", 7)]
    assert leaders_at(sim.trace, 450) == []           # b is paused
    assert leaders_at(sim.trace, 900) == []


def test_percentile_is_nearest_rank():
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile([5, 1, 3, 2, 4], 90) == 5
    assert percentile([], 50) is None


@pytest.mark.parametrize("alg", ["bully", "raft", "lease", "zookeeper"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.fault)
def test_every_algorithm_recovers_from_every_fault(alg, scenario):
    trial = run_trial(algorithm(alg), scenario, seed=2)
    assert trial.leader is not None and trial.new_leader not in (None, trial.leader)
    assert 0 < trial.failover < 500
    assert trial.election_messages > 0 and trial.steady_rate > 0
    assert trial.plan.faults[0].kind == scenario.fault
    assert trial.plan.faults[0].params["node_id"] == trial.leader


@pytest.mark.sweep
def test_the_lessons_hold_over_many_seeds():
    """What the notebook says, measured: which algorithm has a split brain under which fault."""
    c = compare(seeds=range(sweep(6)))
    split = {(s.algorithm, s.scenario.split()[0]): s.split_runs / s.runs for s in c.summaries()}
    for alg in ("bully", "raft", "lease", "zookeeper"):
        assert split[(alg, "crash")] == 0                   # a dead leader believes nothing
    assert split[("bully", "isolate")] == 1 and split[("raft", "isolate")] == 1
    assert split[("lease", "isolate")] == 0 and split[("zookeeper", "isolate")] == 0
    assert split[("lease", "pause")] == 1                   # wakes up and acts on an old lease
    assert split[("raft", "pause")] == 0 and split[("zookeeper", "pause")] == 0
    for t in c.trials:                       # the bully's paused leader takes over again
        if t.algorithm == "bully" and t.scenario.startswith("pause"):
            assert t.windows and t.windows[-1].nodes == tuple(sorted((t.leader, t.new_leader)))
    msgs = {s.algorithm: s.messages_mean for s in c.summaries() if s.scenario == "crash leader"}
    assert msgs["zookeeper"] < msgs["raft"] < msgs["bully"]
    fail = {s.algorithm: s.failover_median for s in c.summaries() if s.scenario == "crash leader"}
    assert fail["zookeeper"] > max(fail["raft"], fail["bully"], fail["lease"])


def test_compare_is_deterministic_and_tabulates():
    algs = algorithms(3)[:2]
    a = compare(algs, SCENARIOS[:1], seeds=[1, 2])
    b = compare(algs, SCENARIOS[:1], seeds=[1, 2])
    assert a.table() == b.table()
    assert [(t.algorithm, t.seed) for t in a.trials] == [("bully", 1), ("bully", 2), ("raft", 1),
                                                          ("raft", 2)]
    table = a.table()
    assert table.headers[0] == "algorithm" and len(table.rows) == 2
    assert a.summary("raft", "crash leader").runs == 2
    seen = []
    compare(algs, SCENARIOS[:1], seeds=[1], progress=lambda runs: seen.extend(runs) or runs)
    assert len(seen) == 2
    with pytest.raises(ValueError, match="no trials"):
        a.summary("lease", "crash leader")


def test_no_leader_before_the_fault_is_reported_not_hidden():
    trial = run_trial(algorithm("raft"), Scenario("crash", at=0.0, horizon=100.0), seed=1)
    assert trial.leader is None and trial.failover is None and trial.plan is None


def test_bad_input():
    with pytest.raises(ValueError, match="fault must be one of"):
        Scenario("explode")
    with pytest.raises(ValueError, match="duration must be greater than 0"):
        Scenario("pause", duration=0)
    with pytest.raises(ValueError, match="name must be one of"):
        algorithm("paxos")
    with pytest.raises(TypeError, match="alg must be an Algorithm"):
        run_trial("raft", SCENARIOS[0], 1)
    with pytest.raises(TypeError, match="trace must be"):
        leader_spans([])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 50), st.integers(1, 30)),
                max_size=8))
def test_split_brain_agrees_with_counting_at_every_instant(raw):
    """Brute force on integer times: at t + 0.5, how many nodes lead? >= 2 inside a window,
    < 2 outside every window."""
    spans = [LeaderSpan(n, None, float(s), float(s + d), "x") for n, s, d in raw]
    windows = split_brain(spans)
    for t in range(0, 85):
        x = t + 0.5
        leading = {s.node for s in spans if s.start <= x < s.end}
        inside = any(w.start <= x < w.end for w in windows)
        assert inside == (len(leading) >= 2), (x, leading, windows)
        if inside:
            w = next(w for w in windows if w.start <= x < w.end)
            assert leading <= set(w.nodes)
    for a, b in zip(windows, windows[1:]):
        assert a.end < b.start                     # merged: windows never touch


@pytest.mark.sweep
@pytest.mark.parametrize("alg", ["bully", "raft", "lease", "zookeeper"])
def test_after_random_faults_end_exactly_one_leader_remains(alg):
    """Liveness, after the storm: crashes, partitions, pauses and message loss anywhere (the
    lock store and the ZooKeeper server included) for 5 s, then 1.5 s of calm."""
    a = algorithm(alg)
    for seed in range(sweep(4)):
        sim = a.build(seed)
        FaultPlan.random(list(sim.node_ids), seed=seed, duration=5000,
                         kinds=("crash", "partition", "pause", "loss")).apply(sim)
        sim.run(until=6500)
        up = [n for n in a.participants if sim.is_up(n)]
        leaders = [n for n, _ in leaders_at(sim.trace, 6500) if n in up]
        assert len(leaders) == 1, (seed, leaders)
