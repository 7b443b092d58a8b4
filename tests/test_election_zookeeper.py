"""The coordination service (sessions, ephemeral sequential znodes, watches) and the
ZooKeeper election recipe: the lowest sequence number leads, each candidate watches its
predecessor; the herd version wakes everyone."""

from dataclasses import dataclass

import pytest

from dscourse.election import leader_spans, leaders_at, split_brain
from dscourse.election.coordination import (
    CoordinationClient,
    CoordinationServer,
    Create,
    Delete,
    Exists,
    GetChildren,
    Ping,
    WatchEvent,
    sequence_of,
)
from dscourse.election.zookeeper import (
    ZkElector,
    is_election_message,
    leader_znode,
    predecessor,
    watch_notifications,
    zk_cluster,
)
from dscourse.sim import FaultPlan, Simulator
from tests.conftest import sweep


@dataclass(frozen=True)
class Go:
    step: int


class Scripted(CoordinationClient):
    """A client that runs a list of requests once its session is open."""

    def __init__(self, node_id, server, script=(), session_timeout=300.0):
        super().__init__(node_id, server, session_timeout=session_timeout)
        self.script = list(script)
        self.replies, self.events, self.expired = [], [], 0

    def on_session(self):
        for kind, args in self.script:
            self.request(kind, *args)

    def handle_reply(self, req, kind, reply):
        self.replies.append((kind, reply.value))

    def on_watch(self, event):
        self.events.append((event.path, event.event))

    def on_expired(self):
        self.expired += 1


def test_sequential_ephemeral_znodes_vanish_with_their_session():
    sim = Simulator(seed=1)
    sim.add_node(CoordinationServer("zk"))
    sim.add_node(Scripted("a", "zk", [(Create, ("/e/n_", True, True)), (Create, ("/e/n_", True, True)),
                                      (Create, ("/e/p", False, False))]))
    sim.run(until=100)
    sim.add_node(Scripted("b", "zk", [(Exists, ("/e/n_0000000000", True)),
                                      (GetChildren, ("/e", True))]))
    sim.run(until=200)
    a, b = sim.nodes["a"], sim.nodes["b"]
    assert [v for k, v in a.replies] == ["/e/n_0000000000", "/e/n_0000000001", "/e/p"]
    assert sequence_of("/e/n_0000000001") == 1
    kinds = dict(b.replies)
    assert kinds["Exists"] is True
    assert sorted(kinds["GetChildren"]) == ["n_0000000000", "n_0000000001", "p"]
    sim.crash("a")
    sim.run(until=600)                      # the session expires 300 ms after a's last ping
    assert sim.nodes["zk"].z.znodes == {"/e/p": None}      # only the persistent one is left
    # each watch fired once: the data watch on the first znode, the child watch on /e
    assert sorted(b.events) == [("/e", "children"), ("/e/n_0000000000", "deleted")]
    assert sum(1 for r in sim.trace.select("log", node="zk") if "expired" in r.data) == 1


def test_children_come_in_no_particular_order():
    sim = Simulator(seed=1)
    sim.add_node(CoordinationServer("zk"))
    sim.add_node(Scripted("a", "zk", [(Create, ("/e/n_", True, True))] * 6 + [(GetChildren, ("/e", False))]))
    sim.run(until=100)
    children = list(sim.nodes["a"].replies[-1][1])
    assert sorted(children) == [f"n_{i:010d}" for i in range(6)]
    assert children != sorted(children)          # a client must sort them itself


def test_a_client_that_falls_silent_loses_its_session_and_starts_a_new_one():
    sim = Simulator(seed=2)
    sim.add_node(CoordinationServer("zk"))
    sim.add_node(Scripted("a", "zk"))
    FaultPlan().pause("a", at=100, duration=600).apply(sim)
    sim.run(until=1000)
    a = sim.nodes["a"]
    assert a.expired == 1 and a.session == 2      # expired, then reconnected with a new session


def test_unknown_sessions_and_deletes():
    sim = Simulator(seed=3)
    sim.add_node(CoordinationServer("zk"))
    sim.add_node(Scripted("a", "zk", [(Create, ("/x", False, False)), (Delete, ("/x",)),
                                      (Delete, ("/x",))]))
    sim.run(until=100)
    assert [r for r in sim.nodes["a"].replies] == [("Create", "/x"), ("Delete", "/x"),
                                                   ("Delete", "/x")]
    assert sim.nodes["zk"].z.znodes == {}
    sim.nodes["a"].ctx.send("zk", Ping(99))   # a session the server never issued
    sim.run(until=200)
    assert any(type(r.data).__name__ == "SessionExpired" and r.data.session == 99
               for r in sim.trace.select("send", node="zk"))


def test_predecessor_and_leader_choice():
    kids = ["n_0000000007", "n_0000000002", "n_0000000011"]
    assert predecessor(kids, "n_0000000011") == "n_0000000007"
    assert predecessor(kids, "n_0000000002") is None
    assert leader_znode(kids, "n_0000000011") == "n_0000000002"
    assert leader_znode(kids, "n_0000000002") is None


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(5)))
def test_the_lowest_sequence_number_leads_and_its_successor_takes_over(seed):
    sim = zk_cluster(5, seed)
    sim.run(until=800)
    (leader, term), = leaders_at(sim.trace, 800)
    znodes = {n: sim.nodes[n].znode for n in sim.node_ids if n != "zk"}
    assert znodes[leader] == min(znodes.values()) and term == sequence_of(znodes[leader])
    nxt = sorted(znodes, key=znodes.get)[1]
    before = watch_notifications(sim)
    sim.crash(leader)
    sim.run(until=1600)
    (new, new_term), = leaders_at(sim.trace, 1600)
    assert new == nxt and new_term > term
    took = [s.start for s in leader_spans(sim.trace) if s.node == new][0] - 800
    assert 300 <= took <= 300 + 50 + 100 + 40     # timeout, tick, ping gap, round trips
    assert watch_notifications(sim) - before == 1  # only the successor was woken
    assert split_brain(leader_spans(sim.trace)) == []


@pytest.mark.parametrize("n", [3, 5, 7])
def test_the_herd_wakes_everyone(n):
    counts = {}
    for mode in ("predecessor", "herd"):
        sim = zk_cluster(n, seed=1, mode=mode)
        sim.run(until=800)
        (leader, _), = leaders_at(sim.trace, 800)
        before = watch_notifications(sim)
        sim.crash(leader)
        sim.run(until=1600)
        counts[mode] = watch_notifications(sim) - before
        assert len(leaders_at(sim.trace, 1600)) == 1
    assert counts == {"predecessor": 1, "herd": n - 1}


def test_a_middle_candidate_leaving_wakes_only_the_one_behind_it():
    sim = zk_cluster(5, seed=4)
    sim.run(until=800)
    order = sorted((n for n in sim.node_ids if n != "zk"), key=lambda n: sim.nodes[n].znode)
    sim.crash(order[2])
    sim.run(until=1600)
    assert sim.nodes[order[3]].watching == sim.nodes[order[1]].znode
    assert [n for n, _ in leaders_at(sim.trace, 1600)] == [order[0]]   # no change of leader


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(5)))
def test_a_leader_cut_off_stops_leading_before_its_session_expires(seed):
    sim = zk_cluster(5, seed)
    sim.run(until=800)
    (leader, _), = leaders_at(sim.trace, 800)
    FaultPlan().isolate(leader, at=800).heal(at=2000).apply(sim)
    sim.run(until=2500)
    assert split_brain(leader_spans(sim.trace)) == []
    assert any(n != leader for n, _ in leaders_at(sim.trace, 1500))
    # after the heal it learns its session is gone and queues up again, at the back
    assert sim.nodes[leader].role == "follower"


def test_messages_classified():
    assert is_election_message(WatchEvent("/election/n_0000000001", "deleted"))
    assert is_election_message(Create(1, "/election/n_", True, True, 1))
    assert not is_election_message(Ping(1))


def test_same_seed_same_trace():
    digests = set()
    for _ in range(2):
        sim = zk_cluster(4, seed=8, mode="herd")
        FaultPlan().crash("n1", at=700).apply(sim)
        sim.run(until=1500)
        digests.add(sim.trace.digest())
    assert len(digests) == 1


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="mode must be one of"):
        zk_cluster(3, mode="crowd")
    with pytest.raises(ValueError, match="session_timeout must be greater than 0"):
        zk_cluster(3, session_timeout=0)
    with pytest.raises(TypeError, match="choose must be a function"):
        ZkElector("n1", "zk", choose="lowest")
    with pytest.raises(ValueError, match="tick must be greater than 0"):
        CoordinationServer("zk", tick=-1)
    assert Go(1).step == 1
