"""Single-decree Paxos: scenarios, persistence, invariants, bad input."""

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from dscourse.consensus.paxos import Accept, Accepted, Ballot, Nack, PaxosNode, Prepare, Promise, majority
from dscourse.consensus.paxos_invariants import (
    agreement,
    chosen_values,
    decisions,
    integrity,
    one_value_chosen,
    validity,
)
from dscourse.consensus.paxos_mutants import ForgetfulAcceptor
from dscourse.consensus.paxos_runs import (
    crash_mid_round,
    first_decision,
    lone_proposer,
    paxos_sim,
    random_run,
)
from dscourse.sim import Constant, Node, Simulator


def sent(sim, kind):
    return [r.data for r in sim.trace.select("send") if type(r.data).__name__ == kind]


def test_lone_proposer_decides_after_two_round_trips():
    sim = lone_proposer()
    assert not sim.violations
    time, learner, value = first_decision(sim)
    assert (learner, value) == ("p1", "x")
    assert time == pytest.approx(4 * 10.0)          # Prepare, Promise, Accept, Accepted
    for kind in ("Prepare", "Promise", "Accept", "Accepted"):
        assert len(sent(sim, kind)) == 3            # one per acceptor
    assert not sent(sim, "Nack")


def test_ballots_order_by_round_then_proposer():
    assert Ballot(1, "p2") > Ballot(1, "p1")
    assert Ballot(2, "p1") > Ballot(1, "p2")
    assert str(Ballot(3, "p1")) == "3.p1"
    assert majority(3) == 2 and majority(4) == 3 and majority(5) == 3


def test_proposer_crash_mid_round_successor_adopts_the_accepted_value():
    sim = crash_mid_round()
    assert not sim.violations
    # p1's Accept reached only a1 before p1 crashed; p2 must re-propose x, not its own y.
    p2_accepts = [m for m in sent(sim, "Accept") if m.ballot.proposer == "p2"]
    assert p2_accepts and all(m.value == "x" for m in p2_accepts)
    assert set(decisions(sim.nodes).values()) == {"x"}
    assert decisions(sim.nodes).keys() >= {"p2"}


@pytest.mark.parametrize("seed", range(20))
def test_competing_proposers_agree(seed):
    sim = paxos_sim(proposers={"p1": "x", "p2": "y", "p3": "z"}, seed=seed, backoff=20.0,
                    retry_timeout=30.0)
    sim.run(until=3000)
    assert not sim.violations
    decided = decisions(sim.nodes)
    assert set(decided) == set(sim.node_ids)        # every node learned (termination)
    assert len(set(decided.values())) == 1          # agreement
    assert next(iter(decided.values())) in {"x", "y", "z"}   # validity


@dataclass(frozen=True)
class Go:
    msg: object


class Driver(Node):
    """Sends what the test tells it to and records the answers."""

    def __init__(self, node_id):
        super().__init__(node_id)
        self.got = []

    def on_message(self, src, msg):
        self.got.append(msg)


def acceptor_and_driver(node_class=PaxosNode):
    sim = Simulator(seed=0, latency=Constant(1.0))
    sim.add_node(node_class("a1", ["a1"], learners=[]))
    driver = sim.add_node(Driver("d"))
    return sim, driver


@pytest.mark.parametrize("node_class, keeps", [(PaxosNode, True), (ForgetfulAcceptor, False)])
def test_recovery_keeps_promises(node_class, keeps):
    sim, driver = acceptor_and_driver(node_class)
    sim.at(1, lambda: driver.ctx.send("a1", Prepare(Ballot(2, "d"))))
    sim.at(5, sim.crash, "a1")
    sim.at(10, sim.recover, "a1")
    sim.at(15, lambda: driver.ctx.send("a1", Accept(Ballot(1, "d"), "late")))
    sim.run()
    assert isinstance(driver.got[0], Promise)
    if keeps:
        assert driver.got[1:] == [Nack(Ballot(1, "d"), Ballot(2, "d"))]
        assert sim.storage("a1")["promised"] == Ballot(2, "d")
        assert sim.node("a1").accepted_value is None
    else:   # the mutant forgot its promise and accepts a lower ballot
        assert sim.node("a1").accepted_value == "late"


def test_promise_reports_the_accepted_proposal_after_recovery():
    sim, driver = acceptor_and_driver()
    sim.at(1, lambda: driver.ctx.send("a1", Accept(Ballot(1, "d"), "v")))
    sim.at(5, sim.crash, "a1")
    sim.at(6, sim.recover, "a1")
    sim.at(10, lambda: driver.ctx.send("a1", Prepare(Ballot(2, "d"))))
    sim.run()
    assert Accepted(Ballot(1, "d"), "v") not in driver.got      # the driver is no learner
    assert driver.got[-1] == Promise(Ballot(2, "d"), Ballot(1, "d"), "v")


def test_a_restarted_proposer_never_reuses_a_ballot():
    sim = paxos_sim(proposers={"p1": "x"}, learners=("a1",), seed=0, latency=Constant(10.0))
    sim.partition(["p1"], ["a1", "a2", "a3"])       # p1's attempts all fail
    sim.at(250, sim.crash, "p1")
    sim.at(260, sim.recover, "p1")
    sim.at(300, sim.heal)
    sim.run(until=600)
    rounds = [m.ballot.round for m in sent(sim, "Prepare")]
    assert len(rounds) > 3
    assert rounds == sorted(rounds) and len(set(rounds)) == len(rounds) // 3   # 3 per ballot
    assert decisions(sim.nodes) == {"a1": "x"}


def test_same_seed_same_trace():
    assert random_run(7).trace.digest() == random_run(7).trace.digest()
    assert random_run(7).trace.digest() != random_run(8).trace.digest()


# ----------------------------------------------------------------- invariants
def fake(nid, storage, **attrs):
    return SimpleNamespace(node_id=nid, ctx=SimpleNamespace(storage=storage), **attrs)


def test_invariants_hold_and_fail_when_they_should():
    ok = {"l1": fake("l1", {"decided": "x", "decisions": 1}, value="x", acceptors=("l1",)),
          "l2": fake("l2", {"decided": "x", "decisions": 1}, value=None, acceptors=("l1",))}
    assert agreement(ok) is True and validity(ok) is True and integrity(ok) is True
    split = dict(ok, l2=fake("l2", {"decided": "y", "decisions": 1}, value="y", acceptors=()))
    assert "different values" in agreement(split)
    invented = dict(ok, l2=fake("l2", {"decided": "z", "decisions": 1}, value=None, acceptors=()))
    assert "no proposer proposed" in validity(invented)
    twice = dict(ok, l2=fake("l2", {"decided": "x", "decisions": 2}, value=None, acceptors=()))
    assert "decided 2 times" in integrity(twice)
    assert decisions(ok) == {"l1": "x", "l2": "x"}


def test_one_value_chosen_counts_majorities_per_ballot():
    acc = ("a1", "a2", "a3")
    b1, b2 = Ballot(1, "p1"), Ballot(1, "p2")
    votes = {"a1": {(b1, "x")}, "a2": {(b1, "x"), (b2, "y")}, "a3": {(b2, "y")}}
    nodes = {a: fake(a, {"votes": frozenset(v)}, acceptors=acc) for a, v in votes.items()}
    assert chosen_values(nodes) == {b1: "x", b2: "y"}
    assert "two values chosen" in one_value_chosen(nodes)
    nodes["a3"] = fake("a3", {"votes": frozenset({(Ballot(2, "p2"), "y")})}, acceptors=acc)
    assert chosen_values(nodes) == {b1: "x"}
    assert one_value_chosen(nodes) is True


# ------------------------------------------------------------------ bad input
def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="size zero"):
        PaxosNode("a1", [])
    with pytest.raises(ValueError, match="size zero"):
        paxos_sim(acceptors=[])
    with pytest.raises(ValueError, match="duplicate"):
        PaxosNode("a1", ["a1", "a2", "a1"])
    with pytest.raises(ValueError, match="twice"):
        paxos_sim(proposers=[("p1", "x"), ("p1", "y")])
    with pytest.raises(ValueError, match="at least one proposer"):
        paxos_sim(proposers={})
    with pytest.raises(ValueError, match="neither an acceptor nor a proposer"):
        paxos_sim(learners=["nobody"])
    with pytest.raises(ValueError, match="not a proposer"):
        paxos_sim(start_delays={"a1": 5.0})
    with pytest.raises(ValueError, match="needs a value"):
        paxos_sim(proposers={"p1": None})
    with pytest.raises(TypeError, match="node id"):
        PaxosNode("a1", ["a1", 2.5])
    with pytest.raises(TypeError, match="node_id must be a node id"):
        PaxosNode(None, ["a1"])
    with pytest.raises(ValueError, match="retry_timeout must be greater than 0"):
        PaxosNode("p1", ["a1"], value="x", retry_timeout=0)
    with pytest.raises(ValueError, match="backoff"):
        PaxosNode("p1", ["a1"], value="x", backoff=-1)
    with pytest.raises(TypeError, match="nacks"):
        PaxosNode("p1", ["a1"], nacks="yes")
    with pytest.raises(TypeError, match="node_class"):
        paxos_sim(node_class=dict)
    sim = paxos_sim()
    with pytest.raises(ValueError, match="not a known node"):
        sim.node("a9")
