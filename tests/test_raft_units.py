"""Raft, unit by unit: the log, the voting rule, the AppendEntries receiver, bad input."""

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dscourse.consensus.raft import (
    AppendEntries,
    AppendEntriesReply,
    ClientReply,
    ClientRequest,
    Entry,
    KVOp,
    KVStore,
    NodeDown,
    NotLeader,
    RaftCluster,
    RaftLog,
    RaftNode,
    RequestVote,
    RequestVoteReply,
    server_ids,
)
from dscourse.consensus.raft.timing import election_trial, measure_messages_per_commit
from dscourse.sim import Constant, Node, Simulator


class Probe(Node):
    """Sends scripted messages to one Raft server and keeps every answer."""

    def __init__(self, node_id, target, script=()):
        super().__init__(node_id)
        self.target = target
        self.script = list(script)      # (delay, message)
        self.got = []

    def on_start(self):
        for i, (delay, _) in enumerate(self.script):
            self.ctx.set_timer(delay, "send", i)

    def on_timer(self, name, payload):
        self.ctx.send(self.target, self.script[payload][1])

    def on_message(self, src, msg):
        self.got.append(msg)


def probed(script, log=(), term=0, voted_for=None):
    """A lone follower 'a' (peers b, c that never answer) preloaded, probed by 'p'."""
    sim = Simulator(seed=1, latency=Constant(1.0))
    node = RaftNode("a", ["b", "c"], election_timeout=(10_000, 10_000))
    sim.add_node(node)
    sim.storage("a").update(current_term=term, voted_for=voted_for, log=RaftLog(log))
    probe = Probe("p", "a", script)
    sim.add_node(probe)
    sim.run(until=100)
    return sim.nodes["a"], probe.got


# --------------------------------------------------------------------------- the log
def test_log_is_indexed_from_one_with_a_term_zero_sentinel():
    log = RaftLog([Entry(1, "x"), Entry(1, "y"), Entry(3, "z")])
    assert (len(log), log.last_index, log.last_term) == (3, 3, 3)
    assert (log.term(0), log.term(2), log.term(9)) == (0, 1, -1)
    assert log.after(1) == (Entry(1, "y"), Entry(3, "z"))
    assert log.first_index_of_term(2) == 1 and log.last_index_of_term(1) == 2
    assert log.last_index_of_term(2) == 0
    log.truncate(2)
    assert log.terms() == [1] and log.take_dirty() == 1
    with pytest.raises(ValueError, match="at least 1"):
        log.truncate(0)
    with pytest.raises(TypeError, match="Entry"):
        RaftLog([(1, "x")])


# ------------------------------------------------------------------ RequestVote receiver
@pytest.mark.parametrize("cand_term,cand_index,granted", [
    (3, 1, True),     # a later last term wins, however short
    (2, 2, True),     # same last term, as long
    (2, 3, True),     # same last term, longer
    (2, 1, False),    # same last term, shorter
    (1, 9, False),    # an earlier last term loses, however long
])
def test_vote_needs_an_up_to_date_log(cand_term, cand_index, granted):
    node, got = probed([(1, RequestVote(5, "p", cand_index, cand_term))],
                       log=[Entry(1, "x"), Entry(2, "y")], term=4)
    assert got == [RequestVoteReply(5, granted)]
    assert node.current_term == 5 and node.voted_for == ("p" if granted else None)


def test_one_vote_per_term_and_it_is_persisted():
    node, got = probed([(1, RequestVote(2, "p", 0, 0)), (2, RequestVote(2, "q", 0, 0)),
                        (3, RequestVote(2, "p", 0, 0))])
    assert [r.vote_granted for r in got] == [True, False, True]   # the same candidate may ask again
    assert node.ctx.storage["voted_for"] == "p" and node.ctx.storage["current_term"] == 2


def test_stale_terms_are_refused():
    node, got = probed([(1, RequestVote(2, "p", 0, 0)), (2, AppendEntries(2, "p", 0, 0, (), 0))],
                       term=3)
    assert got == [RequestVoteReply(3, False), AppendEntriesReply(3, False)]
    assert node.current_term == 3


# --------------------------------------------------------------- AppendEntries receiver
def test_consistency_check_and_fast_backtracking_hint():
    log = [Entry(1, "a"), Entry(2, "b"), Entry(2, "c"), Entry(2, "d")]
    node, got = probed([(1, AppendEntries(3, "p", 6, 3, (), 0)),       # too short
                        (2, AppendEntries(3, "p", 4, 3, (), 0)),       # term 2 there, not 3
                        (3, AppendEntries(3, "p", 1, 1, (), 0))], log=log, term=3)
    assert got[0] == AppendEntriesReply(3, False, 0, 5, 0)             # retry from index 5
    assert got[1] == AppendEntriesReply(3, False, 0, 2, 2)             # skip all of term 2
    assert got[2] == AppendEntriesReply(3, True, 1)
    assert node.log.terms() == [1, 2, 2, 2] and node.leader_id == "p"


def test_conflicting_suffix_is_replaced_but_matching_entries_stay():
    log = [Entry(1, "a"), Entry(1, "b"), Entry(2, "x"), Entry(2, "y")]
    new = (Entry(1, "b"), Entry(3, "c"))
    node, got = probed([(1, AppendEntries(3, "p", 1, 1, new, 0)),
                        (2, AppendEntries(3, "p", 1, 1, (Entry(1, "b"),), 0))], log=log, term=3)
    assert node.log.commands() == ["a", "b", "c"]     # the late, shorter message cut nothing
    assert [r.match_index for r in got] == [3, 2]


def test_follower_commit_index_is_capped_by_the_entries_it_matched():
    log = [Entry(1, "a"), Entry(1, "b"), Entry(1, "stale")]
    node, _ = probed([(1, AppendEntries(2, "p", 2, 1, (), 9))], log=log, term=2)
    assert node.commit_index == 2 and node.last_applied == 2
    assert node.state_machine.applied == ["a", "b"]


# ------------------------------------------------------------------- key-value store
def test_kv_store_applies_each_client_command_once():
    kv = KVStore()
    put = ClientRequest("c1", 1, KVOp("put", "x", "v1"))
    assert kv.apply(put) is None and kv.apply(put) is None
    assert kv.applied == 1 and kv.data == {"x": "v1"}
    assert kv.apply(ClientRequest("c1", 2, KVOp("append", "x", "+"))) is None
    assert kv.apply(ClientRequest("c1", 2, KVOp("append", "x", "+"))) is None
    assert kv.apply(ClientRequest("c1", 3, KVOp("get", "x"))) == "v1+"
    assert kv.cached("c1", 3) == (True, "v1+") and kv.cached("c1", 2) == (False, None)
    assert kv.apply(ClientRequest("c1", 1, KVOp("put", "x", "old"))) is None   # stale duplicate
    assert kv.data == {"x": "v1+"}


def test_leader_answers_a_duplicate_request_from_its_session_table():
    c = RaftCluster(3, seed=2, kv=True)
    leader = c.wait_for_leader()
    sim = c.sim
    probe = Probe("p", leader, [(1, ClientRequest("p", 1, KVOp("put", "k", "v"))),
                                (60, ClientRequest("p", 1, KVOp("put", "k", "v")))])
    sim.add_node(probe)
    c.run(200)
    assert probe.got == [ClientReply("p", 1, True, None), ClientReply("p", 1, True, None)]
    assert c.node(leader).state_machine.applied == 1 + 0     # applied once
    follower = next(n for n in c.ids if n != leader)
    probe2 = Probe("q", follower, [(1, ClientRequest("q", 1, KVOp("get", "k")))])
    sim.add_node(probe2)
    c.run(50)
    assert probe2.got == [ClientReply("q", 1, False, None, leader)]


# --------------------------------------------------------------------------- bad input
def test_bad_cluster_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="n must be at least 1"):
        RaftCluster(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        RaftCluster(2.5)
    with pytest.raises(ValueError, match="low <= high.*low=300 above high=150"):
        RaftCluster(3, election_timeout=(300, 150))
    with pytest.raises(TypeError, match="election_timeout must be a pair"):
        RaftCluster(3, election_timeout=200)
    with pytest.raises(ValueError, match="heartbeat_interval must be greater than 0"):
        RaftCluster(3, heartbeat_interval=0)
    with pytest.raises(TypeError, match="node_class must be RaftNode"):
        RaftCluster(3, node_class=Node)
    with pytest.raises(ValueError, match="first_timeouts=.*not a known node"):
        RaftCluster(3, first_timeouts={"n9": 1.0})
    with pytest.raises(ValueError, match="not .* itself"):
        RaftNode("a", ["a", "b"])
    with pytest.raises(ValueError, match="op must be one of"):
        KVOp("delete", "x")
    with pytest.raises(ValueError, match="low <= high"):
        election_trial((200, 100))
    with pytest.raises(ValueError, match="n must be at least 1"):
        measure_messages_per_commit(0)
    with pytest.raises(ValueError, match="kv=True"):
        RaftCluster(3).add_clients(1)


def test_submitting_to_the_wrong_server_is_a_value_not_an_exception():
    c = RaftCluster(3, seed=4)
    assert c.submit("x") == NotLeader(None, None)               # nobody leads yet
    assert "no server believes it is the leader" in str(c.submit("x"))
    leader = c.wait_for_leader()
    c.run(60)                                   # a heartbeat tells the followers who leads
    follower = next(n for n in c.ids if n != leader)
    result = c.submit("x", follower)
    assert result == NotLeader(follower, leader) and not result.ok
    assert str(result) == f"{follower} is not the leader: try {leader}"
    c.crash(follower)
    assert c.submit("x", follower) == NodeDown(follower, "crashed")
    assert "crashed" in str(c.submit("x", follower))
    with pytest.raises(ValueError, match="node='n7' is not a known node"):
        c.submit("x", "n7")
    with pytest.raises(ValueError, match="not a known node"):
        c.crash("zz")
    accepted = c.submit("x", leader)
    assert accepted.ok and accepted.leader == leader and accepted.index == 1


def test_preload_only_before_the_cluster_runs():
    c = RaftCluster(3, seed=1)
    c.preload("n1", 2, [(1, "a"), (2, "b")])
    with pytest.raises(ValueError, match="must not decrease"):
        c.preload("n2", 2, [(2, "a"), (1, "b")])
    with pytest.raises(ValueError, match="at most 2"):
        c.preload("n2", 2, [(3, "a")])
    c.run(1)
    assert c.node("n1").log.terms() == [1, 2] and c.node("n1").current_term == 2
    with pytest.raises(ValueError, match="only before the cluster runs"):
        c.preload("n1", 3)


def test_server_ids_sort_in_order():
    assert server_ids(3) == ["n1", "n2", "n3"]
    ids = server_ids(12)
    assert ids[0] == "n01" and ids == sorted(ids)


# ------------------------------------------------------------------ a property test
@dataclass(frozen=True)
class _Case:
    mine: tuple
    theirs: tuple


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 4), max_size=6).map(sorted),
       st.lists(st.integers(1, 4), max_size=6).map(sorted))
def test_up_to_date_is_a_total_preorder_on_last_term_then_length(mine, theirs):
    node = RaftNode("a", ["b"])
    node.log = RaftLog([Entry(t, None) for t in mine])
    other_last_term = theirs[-1] if theirs else 0
    ok = node.candidate_up_to_date(other_last_term, len(theirs))
    mine_key = (mine[-1] if mine else 0, len(mine))
    assert ok == ((other_last_term, len(theirs)) >= mine_key)
