"""Raft-based election: Raft's own election from dscourse.consensus.raft, read by the harness."""

import pytest

from dscourse.consensus.raft import RaftCluster, RaftNode, RequestVote
from dscourse.election import leader_spans, leaders_at, split_brain
from dscourse.election.raft_based import is_election_message, raft_cluster, raft_election
from dscourse.sim import FaultPlan
from tests.conftest import sweep


def test_it_is_the_consensus_packages_raft_not_a_copy():
    c = raft_election(5, seed=1)
    assert isinstance(c, RaftCluster)
    assert all(type(c.sim.nodes[n]) is RaftNode for n in c.ids)
    sim = raft_cluster(3, seed=1)
    assert all(type(node) is RaftNode for node in sim.nodes.values())


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(5)))
def test_spans_from_the_trace_agree_with_the_live_cluster(seed):
    c = raft_election(5, seed)
    c.run(1000)
    assert leaders_at(c.sim.trace, c.now) == sorted(c.believed_leaders())
    old = c.leader()
    old_term = dict(c.believed_leaders())[old]
    c.crash(old)
    c.run(1000)
    (new, term), = leaders_at(c.sim.trace, c.now)
    assert new != old and term > old_term
    assert split_brain(leader_spans(c.sim.trace)) == []
    # election safety: no term has two leaders, read from the trace
    terms = [s.term for s in leader_spans(c.sim.trace)]
    assert len(terms) == len(set(terms))


def test_a_cut_off_leader_still_believes_but_in_an_older_term():
    c = raft_election(5, seed=3)
    c.run(1000)
    old = c.leader()
    FaultPlan().isolate(old, at=1000).heal(at=2000).apply(c.sim)
    c.run(900)
    beliefs = dict(leaders_at(c.sim.trace, c.now))
    assert old in beliefs and len(beliefs) == 2
    (other, newer), = [(n, t) for n, t in beliefs.items() if n != old]
    assert newer > beliefs[old]            # two believe, but never in the same term
    c.run(600)                             # healed: the old leader hears the newer term
    assert [n for n, _ in leaders_at(c.sim.trace, c.now)] == [other]


def test_votes_are_election_messages():
    assert is_election_message(RequestVote(1, "n1", 0, 0))
    assert not is_election_message("AppendEntries")


def test_bad_input():
    with pytest.raises(ValueError, match="n must be at least 1"):
        raft_election(0)
