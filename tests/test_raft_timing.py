"""The election-timing experiment (Figure 16 of the paper), at small scale, and message counts."""

import math

from dscourse.consensus.raft import RaftCluster
from dscourse.consensus.raft.figure8 import figure8
from dscourse.consensus.raft.mutants import CommitOldTermByCounting
from dscourse.consensus.raft.state import leaders_over_time
from dscourse.consensus.raft.timing import (
    election_timing,
    election_trial,
    measure_messages_per_commit,
    repeated_elections,
    summarize,
)


def test_a_trial_follows_the_papers_set_up():
    trial = election_trial((150, 300), seed=3, check=True)      # with the invariants on
    assert trial.elected and trial.new_leader != "n1"
    # the leader crashed within one heartbeat interval (75 ms) of its election broadcast
    assert 0 < trial.crashed_at < 200
    # a follower cannot time out before 150 - 75 ms after the crash, nor take forever
    assert 75 - 1 <= trial.downtime < 2000
    assert trial.rounds >= 1 and trial.split_votes <= trial.rounds - 1


def test_trials_are_deterministic():
    assert election_trial((150, 155), seed=9) == election_trial((150, 155), seed=9)


def test_more_randomness_means_fewer_split_votes_and_faster_elections():
    results = election_timing([(150, 150), (150, 155), (150, 300)], trials=40, seed=1)
    rows = {row["range"]: row for row in summarize(results)}
    fixed, five, wide = rows["150-150 ms"], rows["150-155 ms"], rows["150-300 ms"]
    # no randomness: split votes again and again; most trials elect no one within the cap
    assert fixed["unelected"] > 30 and fixed["split_vote_rate"] > 0.9
    assert math.isinf(fixed["median"])
    # 5 ms of randomness already elects a leader every time, and 150 ms does it faster
    assert five["unelected"] == 0 and wide["unelected"] == 0
    assert wide["median"] < five["median"]
    assert wide["split_vote_rate"] < five["split_vote_rate"] < fixed["split_vote_rate"]
    assert 75 < wide["median"] < 400


def test_progress_wrapper_sees_every_trial():
    seen = []

    def progress(jobs):
        for job in jobs:
            seen.append(job)
            yield job
    results = election_timing([(150, 300)], trials=5, seed=2, progress=progress)
    assert len(seen) == 5 and len(results[(150.0, 300.0)]) == 5


def test_repeated_elections_after_leader_crashes():
    downtimes = repeated_elections(30, seed=4, check=True)
    assert len(downtimes) == 30
    assert all(75 < d < 3000 for d in downtimes)


def test_messages_per_commit_for_the_paxos_comparison():
    count = measure_messages_per_commit(5, commands=30, seed=1)
    assert count.n == 5 and count.commands == 30 and count.seed == 1
    assert 8 <= count.per_command <= 10              # 2(n-1): AppendEntries and a reply each
    assert count.per_command_total >= count.per_command
    assert measure_messages_per_commit(5, 30, seed=1) == count
    three = measure_messages_per_commit(3, commands=30, seed=1)
    assert 4 <= three.per_command <= 5


def test_figure8_replay_real_raft_is_safe_and_the_mutant_is_caught():
    real = figure8()
    assert real.cluster.violations == []
    final = real.snapshot("d2")
    assert all(s.log_terms == (1, 3, 5) for s in final.servers)    # S5's entry 2 won, harmlessly
    broken = figure8(CommitOldTermByCounting)
    assert broken.snapshot("c").server("n1").commit_index == 2        # it counted replicas
    names = [v.name for v in broken.cluster.violations]
    assert names[0] == "leader_completeness" and "state_machine_safety" in names


def test_election_only_harness_reports_who_leads_when():
    c = RaftCluster(5, seed=3)
    first = c.wait_for_leader()
    c.crash(first)
    second = c.wait_for_leader()
    leaders = leaders_over_time(c.sim.trace, c.ids)
    assert [node for _, node, _ in leaders] == [first, second]
    spans = c.timeline()
    assert any(s.node == first and s.role == "down" for s in spans)
    assert any(s.node == second and s.role == "leader" and s.end == c.now for s in spans)
    assert c.believed_leaders() == [(second, c.node(second).current_term)]


def test_the_fast_path_gives_the_same_trials_as_the_full_simulator():
    for timeout in ((150, 150), (150, 155), (150, 300)):
        for seed in range(4):
            fast = election_trial(timeout, seed)
            assert fast == election_trial(timeout, seed, fast=False), (timeout, seed)
