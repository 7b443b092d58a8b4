"""The generic N/R/W quorum node: sizes, placement, timeouts, repair, handoff, gossip."""

import pytest

from dscourse.checkers import Register, check_linearizable
from dscourse.replication.client import Client, ClientRequest, Op
from dscourse.replication.experiments import build, majority_is_not_enough, node_ids, run
from dscourse.replication.measure import convergence_time
from dscourse.replication.policies import LWWPolicy, SiblingsPolicy, VersionedPolicy
from dscourse.replication.quorum import QuorumNode, check_quorum_sizes, token_get, token_put
from dscourse.sim import Constant, FaultPlan, Node, Simulator, Uniform

from .conftest import sweep

IDS = ["n1", "n2", "n3"]


@pytest.mark.parametrize("args, match", [
    ((3, 4, None, None), "n must be between 1 and the number of replicas"),
    ((3, None, 0, None), "r must be at least 1"),
    ((3, None, None, 0), "w must be at least 1"),
    ((3, 3, 4, None), "r must be at most n=3"),
    ((5, 3, None, 5), "w must be at most n=3"),
])
def test_bad_quorum_sizes_are_clear_errors(args, match):
    with pytest.raises(ValueError, match=match):
        check_quorum_sizes(*args)
    with pytest.raises(TypeError, match="r must be an integer"):
        check_quorum_sizes(3, None, 1.5, None)


def test_defaults_are_majorities_and_bad_node_arguments():
    assert check_quorum_sizes(5, None, None, None) == (5, 3, 3)
    assert check_quorum_sizes(5, 3, None, None) == (3, 2, 2)
    with pytest.raises(ValueError, match="w must be at most n=3"):
        QuorumNode("n1", IDS, VersionedPolicy(), w=4)
    with pytest.raises(TypeError, match="policy must be"):
        QuorumNode("n1", IDS, "lww")
    with pytest.raises(TypeError, match="preference_list must be a callable"):
        QuorumNode("n1", IDS, VersionedPolicy(), preference_list=["n1"])
    with pytest.raises(ValueError, match="replicas must name at least one"):
        QuorumNode("n1", [], VersionedPolicy())


def test_tokens_replace_entries():
    t = token_put(None, "x", 1)
    t = token_put(t, "y", 2)
    t = token_put(t, "x", 3)
    assert t == (("x", 3), ("y", 2)) and token_get(t, "x") == 3 and token_get(t, "z") is None


class Probe(Node):
    """A client that sends raw requests and keeps the replies."""

    def __init__(self, node_id, target, requests):
        super().__init__(node_id)
        self.target, self.requests, self.replies = target, requests, []

    def on_start(self):
        for i, (delay, _f, _value) in enumerate(self.requests):
            self.ctx.set_timer(delay, "go", i)

    def on_timer(self, name, i):
        delay, f, value = self.requests[i]
        self.ctx.send(self.target, ClientRequest(i + 1, f, "x", value))

    def on_client_reply(self, src, msg):
        self.replies.append(msg)


def probe_sim(requests, plan=None, **options):
    sim = Simulator(seed=1, latency=Constant(2.0))
    for i in IDS:
        sim.add_node(QuorumNode(i, IDS, VersionedPolicy(), **options))
    probe = sim.add_node(Probe("p", "n1", requests))
    if plan is not None:
        plan.apply(sim)
    sim.run(until=2000)
    return sim, probe


def test_no_quorum_read_fails_and_unacknowledged_write_is_info():
    plan = FaultPlan().partition(["n1", "p"], ["n2", "n3"], at=1)
    sim, probe = probe_sim([(10, "read", None), (10, "write", "v"), (10, "cas", 1)], plan,
                           timeout=100.0)
    by_req = {m.req: m for m in probe.replies}
    assert by_req[1].outcome == "fail"
    assert by_req[1].error == "unavailable: 1 of 3 replicas answered within 100 ms; a read needs 2"
    # the write's first phase (read the newest version) cannot finish: nothing was written
    assert by_req[2].outcome == "fail" and "a write needs 2" in by_req[2].error
    assert by_req[3].outcome == "fail" and "unknown operation 'cas'" in by_req[3].error


def test_write_that_reached_a_minority_is_reported_info_and_kept():
    sim = Simulator(seed=1, latency=Constant(2.0))
    for i in IDS:
        sim.add_node(QuorumNode(i, IDS, LWWPolicy(), timeout=100.0))
    probe = sim.add_node(Probe("p", "n1", [(10, "write", "v")]))
    FaultPlan().partition(["n1", "p"], ["n2", "n3"], at=1).apply(sim)
    sim.run(until=500)
    (reply,) = probe.replies
    assert reply.outcome == "info" and "outcome is unknown" in reply.error
    assert sim.node("n1").data["x"].value == "v" and "x" not in sim.node("n2").data


def test_preference_list_decides_where_data_lives():
    sim = Simulator(seed=3)
    ids = node_ids(5)
    pref = lambda key: ["n4", "n2", "n5", "n1", "n3"]
    for i in ids:
        sim.add_node(QuorumNode(i, ids, LWWPolicy(), n=2, r=1, w=2, preference_list=pref))
    sim.add_node(Client("c", ["n1"], [Op("write", "x", "a"), Op("read", "x")]))
    sim.run(until=500)
    holders = sorted(i for i in ids if "x" in sim.node(i).data)
    assert holders == ["n2", "n4"]
    assert [e["value"] for e in sim.history.events][-1] == "a"


def test_preference_list_errors():
    sim = Simulator(seed=3)
    for i in IDS:
        sim.add_node(QuorumNode(i, IDS, LWWPolicy(), preference_list=lambda k: ["n1", "n1", "n2"]))
    sim.add_node(Probe("p", "n1", [(1, "read", None)]))
    with pytest.raises(ValueError, match="must return distinct node ids"):
        sim.run(until=100)


def test_sloppy_quorum_and_hinted_handoff_deliver_after_heal():
    ids = node_ids(4)
    sim = Simulator(seed=2, latency=Constant(2.0))
    for i in ids:
        sim.add_node(QuorumNode(i, ids, LWWPolicy(), n=2, r=1, w=2, sloppy=True, sloppy_after=20,
                                timeout=200, handoff_interval=50))
    sim.add_node(Client("c", ["n1"], [Op("write", "x", "a", at=10)]))
    FaultPlan().isolate("n2", at=1).heal(at=300).apply(sim)
    sim.run(until=250)
    assert sim.history.events[-1]["type"] == "ok"            # n3 stood in for n2
    assert ("n2", "x") in sim.node("n3").hints and "x" not in sim.node("n2").data
    sim.run(until=600)
    assert sim.node("n2").data["x"].value == "a" and not sim.node("n3").hints


def test_hinted_handoff_and_read_repair_bring_a_replica_back():
    sim = Simulator(seed=2, latency=Constant(2.0))
    for i in IDS:
        sim.add_node(QuorumNode(i, IDS, LWWPolicy(), r=1, w=1, hinted_handoff=True,
                                read_repair=True, timeout=50, handoff_interval=40))
    sim.add_node(Client("c", ["n1"], [Op("write", "x", "a", at=10)]))
    FaultPlan().partition(["n3"], ["n1", "n2", "c"], at=1).heal(at=200).apply(sim)
    sim.run(until=150)
    assert ("n3", "x") in sim.node("n1").hints
    sim.run(until=400)
    assert sim.node("n3").data["x"].value == "a" and not sim.node("n1").hints
    # read repair: a stale replica answering a read late is sent the newer state
    sim2 = Simulator(seed=2, latency=Constant(2.0))
    for i in IDS:
        sim2.add_node(QuorumNode(i, IDS, LWWPolicy(), r=1, w=1, read_repair=True, timeout=50))
    sim2.add_node(Client("c", ["n1"], [Op("write", "x", "a", at=10), Op("read", "x", at=300)]))
    FaultPlan().partition(["n3"], ["n1", "n2", "c"], at=1).heal(at=200).apply(sim2)
    sim2.run(until=400)
    assert sim2.node("n3").data["x"].value == "a"


def test_anti_entropy_converges_after_heal_and_is_measured():
    r = run("lww", 3, seed=4, plan=FaultPlan().partition(["n1", "c1"], ["n2", "n3", "c2", "c3"], at=100)
            .heal(at=400), duration=900, stop=400, anti_entropy_interval=50, hinted_handoff=False,
            read_repair=False)
    t = r.convergence(400)
    assert t is not None and 0 < t < 300
    assert len({repr(r.value(n)) for n in r.nodes}) == 1
    never = run("lww", 3, seed=4, plan=FaultPlan().partition(["n1", "c1"], ["n2", "n3", "c2", "c3"],
                at=100).heal(at=400), duration=900, stop=400, hinted_handoff=False, read_repair=False)
    assert never.convergence(400) is None


@pytest.mark.sweep
def test_r_plus_w_greater_than_n_means_no_stale_reads_and_smaller_quorums_do_not():
    stale = {}
    for r_, w_ in ((1, 1), (2, 2)):
        count = 0
        for seed in range(sweep(3)):
            res = run("quorum", 3, seed=seed, policy=LWWPolicy(), r=r_, w=w_, route="random",
                      replica_latency=Uniform(10, 60), mix=(("read", 3), ("write", 1)),
                      duration=800, think=5)
            count += len(res.stale_reads())
        stale[(r_, w_)] = count
    assert stale[(2, 2)] == 0 and stale[(1, 1)] > 0


def test_majority_quorums_without_write_back_are_not_linearizable():
    bad = majority_is_not_enough(write_back=False)
    good = majority_is_not_enough(write_back=True)
    reads = lambda run: [e["value"] for e in run.history.events if e["f"] == "read" and e["type"] == "ok"]
    assert reads(bad) == ["new", "old"] and reads(good) == ["new", "new"]
    assert check_linearizable(bad.history, Register()).valid is False
    assert check_linearizable(good.history, Register()).valid is True


def test_siblings_policy_keeps_concurrent_writes():
    sim = build("quorum", 3, seed=1, policy=SiblingsPolicy(), r=1, w=1, latency=Constant(2.0),
                anti_entropy_interval=30, clients=["c1", "c2", "c3"],
                scripts={"c1": [Op("write", "x", "a", at=10)], "c2": [Op("write", "x", "b", at=10)],
                         "c3": [Op("read", "x", at=200), Op("write", "x", "c", at=210),
                                Op("read", "x", at=400)]})
    sim.run(until=500)
    reads = [e["value"] for e in sim.history.events if e["f"] == "read" and e["type"] == "ok"]
    assert reads == [["a", "b"], ["c"]]


def test_same_seed_same_trace():
    digests = {run("lww", 3, seed=9, duration=300).sim.trace.digest() for _ in range(2)}
    assert len(digests) == 1
    assert convergence_time(run("lww", 3, seed=9, duration=300).sim.trace, IDS, 0) is not None
