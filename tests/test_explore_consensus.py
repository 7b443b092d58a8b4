"""The model checker on its own finds every Paxos and Raft-election mutant, and passes the real ones."""

import pytest

from dscourse.consensus.paxos import PaxosNode
from dscourse.consensus.paxos_explore import MAX_DEPTH, explore_paxos, tiny_paxos
from dscourse.consensus.paxos_mutants import MUTANTS
from dscourse.consensus.raft import RaftNode
from dscourse.consensus.raft import mutants as raft_mutants
from dscourse.consensus.raft_explore import explore_raft_election


def test_correct_paxos_has_no_counterexample_within_the_bound():
    result = explore_paxos(PaxosNode)
    assert result.ok and result.exhausted          # every schedule within the bound was tried
    assert result.depth == MAX_DEPTH


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_explorer_finds_each_paxos_mutant_and_the_trace_shows_it(name):
    result = explore_paxos(MUTANTS[name])
    cx = result.counterexample
    assert not result.ok and cx is not None, f"{name}: no counterexample within the bound"
    assert len(cx) <= MAX_DEPTH
    sim = cx.replay()                              # a normal simulator run, normal trace
    assert sim.violations and sim.violations[0].name == cx.invariant
    assert sim.trace.count("deliver") == sum(s.kind == "deliver" for s in cx.schedule)
    restarts = sum(s.kind == "restart" for s in cx.schedule)
    assert sim.trace.count("crash") == sim.trace.count("recover") == restarts
    assert restarts == (1 if name == "forgetful_acceptor" else 0)   # forgetting needs a crash


def test_a_paxos_counterexample_is_a_shortest_one():
    # (Without crashes, to keep it quick: the mutant needs none.) Each proposer needs a
    # Prepare, a Promise and Accepts at two acceptors; no schedule one step shorter exists.
    cx = explore_paxos(MUTANTS["minority_quorum"], crashes=0).counterexample
    assert cx is not None
    shorter = explore_paxos(MUTANTS["minority_quorum"], crashes=0, max_depth=len(cx) - 1)
    assert shorter.ok and shorter.exhausted


def test_tiny_paxos_refuses_a_non_paxos_class():
    with pytest.raises(TypeError, match="PaxosNode"):
        tiny_paxos(RaftNode)
    assert [n.node_id for n in tiny_paxos()] == ["a1", "a2", "a3", "p1", "p2"]


def test_correct_raft_election_passes_within_the_bound():
    result = explore_raft_election(RaftNode)
    assert result.ok and result.exhausted


@pytest.mark.parametrize("mutant", [raft_mutants.VoteTwice, raft_mutants.ForgetVoteOnRecovery])
def test_the_explorer_finds_two_leaders_in_one_term(mutant):
    cx = explore_raft_election(mutant).counterexample
    assert cx is not None and cx.invariant == "election_safety"
    assert "two leaders in term" in cx.message
    sim = cx.replay()
    assert [v.name for v in sim.violations] == ["election_safety"]
    if mutant is raft_mutants.ForgetVoteOnRecovery:
        assert any(s.kind == "restart" for s in cx.schedule)   # forgetting needs a crash
