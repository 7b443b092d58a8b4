"""Multi-Paxos: a stable leader skips phase 1; messages and round trips measured; fail-over."""

import pytest

from dscourse.consensus.multipaxos import MultiPaxosNode, slot_agreement
from dscourse.consensus.paxos_compare import (
    commit_round_trips,
    comparison_table,
    measure_multipaxos,
    multipaxos_cluster,
    qualitative_table,
)
from dscourse.sim import random_plan

from .conftest import sweep


@pytest.mark.parametrize("n", [3, 5])
def test_a_stable_leader_needs_phase_2_only(n):
    stable = measure_multipaxos(n, 40, seed=1)
    assert stable.phase1 == 0
    # Accept to n-1 followers, Accepted back (the leader accepts locally).
    assert stable.per_command == pytest.approx(2 * (n - 1), abs=0.1)
    basic = measure_multipaxos(n, 40, seed=1, stable_leader=False)
    assert basic.phase1 > 0
    assert basic.per_command == pytest.approx(4 * (n - 1), abs=0.1)
    assert basic.per_command / stable.per_command > 1.9


def test_round_trips_to_commit_with_a_stable_leader():
    assert commit_round_trips("multipaxos", 5, seed=0) == pytest.approx(1.0)
    assert commit_round_trips("paxos-per-value", 5, seed=0) == pytest.approx(2.0)
    assert commit_round_trips("raft", 5, seed=0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="protocol must be"):
        commit_round_trips("zab")


def test_the_comparison_tables_are_computed():
    table = comparison_table(n=3, commands=10, seed=2)
    rows = {r[0]: r[1:] for r in table.rows}
    multi, per_value, raft = rows["messages per decided value"]
    assert multi == pytest.approx(4.0, abs=0.1) and per_value == pytest.approx(8.0, abs=0.2)
    assert raft >= 4.0                      # Raft: AppendEntries + reply per follower, at least
    assert list(rows["round trips to commit"]) == [1.0, 2.0, 1.0]
    assert "Zab" in qualitative_table()


def test_followers_learn_the_log_without_extra_messages():
    sim = multipaxos_cluster(3, seed=4)
    sim.run(until=100)
    leader = sim.node("n1")
    for v in "abc":
        assert leader.submit(v)
    sim.run(until=400)
    assert [sim.node(n).log() for n in sim.node_ids] == [["a", "b", "c"]] * 3
    assert not sim.node("n2").submit("x")           # followers do not accept commands


def test_a_new_leader_takes_over_and_keeps_decided_values():
    sim = multipaxos_cluster(5, seed=3)
    sim.run(until=100)
    for v in ("a", "b"):
        sim.node("n1").submit(v)
    sim.run(until=150)
    sim.crash("n1")
    sim.run(until=1500)
    leaders = [n for n in sim.node_ids if sim.is_up(n) and sim.node(n).leading]
    assert len(leaders) == 1 and leaders[0] != "n1"
    new = sim.node(leaders[0])
    assert new.submit("c")
    sim.run(until=1700)
    assert new.log() == ["a", "b", "c"]
    sim.recover("n1")
    sim.run(until=2500)
    assert sim.node("n1").log() == ["a", "b", "c"]  # it learns from the new leader
    assert not sim.violations


def submit_if_up(sim, nid, value):
    if sim.is_up(nid):
        sim.node(nid).submit(value)


@pytest.mark.sweep
def test_slot_agreement_under_random_faults():
    decided = 0
    for seed in range(sweep(100)):
        sim = multipaxos_cluster(5, seed=seed)
        random_plan(sim.node_ids, seed, duration=1500.0, mean_gap=80.0,
                    kinds=("crash", "partition", "pause", "loss", "duplicate")).apply(sim)
        for k in range(30):
            for nid in sim.node_ids:     # every server tries; only a leader accepts
                sim.at(20.0 + 50.0 * k, submit_if_up, sim, nid, f"v{k}")
        sim.run(until=3000.0)
        assert not sim.violations, f"seed {seed}: {sim.violations[0]}"
        assert slot_agreement(sim.nodes) is True
        decided += max(len(sim.node(n).decided) for n in sim.node_ids)
    assert decided > 5 * sweep(100)          # the faulty runs still made progress


def test_bad_input():
    with pytest.raises(ValueError, match="size zero"):
        MultiPaxosNode("n1", [])
    with pytest.raises(ValueError, match="must be one of members"):
        MultiPaxosNode("n9", ["n1", "n2"])
    with pytest.raises(ValueError, match="low <= high"):
        MultiPaxosNode("n1", ["n1"], leader_timeout=(300, 150))
    with pytest.raises(ValueError, match="heartbeat"):
        MultiPaxosNode("n1", ["n1"], heartbeat=0)
    with pytest.raises(ValueError, match="n must be at least 1"):
        multipaxos_cluster(0)
