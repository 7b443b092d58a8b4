"""Seed sweeps: the key-value store on Raft under random fault plans, and the mutants.

Each run: a ``RaftCluster`` with the key-value store and clients, under
``FaultPlan.random`` (crash and recover with storage, partitions, pauses,
loss bursts, duplication with long reordering), then healed. Every run must
keep the five safety properties after every event, lose no acknowledged
command, and give a linearizable client history.
"""

import pytest

from dscourse.checkers import KVMap, check_linearizable
from dscourse.consensus.raft import RaftNode
from dscourse.consensus.raft.chaos import HUNTS, chaos_run, hunt, hunt_mutant
from dscourse.consensus.raft.invariants import NAMES
from dscourse.consensus.raft.mutants import MUTANTS

from .conftest import sweep

SEEDS = sweep(1000)


def sweep_options(seed):
    """Vary the set-up with the seed: three or five servers, with and without a no-op."""
    return dict(n=3 if seed % 3 == 0 else 5, noop=seed % 2 == 0)


@pytest.mark.sweep
def test_random_fault_schedules_keep_raft_safe_and_the_store_linearizable():
    totals = {"ok": 0, "ops": 0, "faults": 0, "terms": 0}
    for seed in range(SEEDS):
        run = chaos_run(seed, **sweep_options(seed))
        assert run.violations == [], f"seed {seed}:\n{run.cluster.violation_table()}"
        assert run.lost == [], f"seed {seed}: acknowledged commands lost: {run.lost}"
        result = check_linearizable(run.history, KVMap())
        assert result.valid is True, f"seed {seed}: {result.explanation}"
        ops = run.history.operations()
        totals["ops"] += len(ops)
        totals["ok"] += sum(op.type == "ok" for op in ops)
        totals["faults"] += len(run.plan)
        totals["terms"] += max(run.cluster.terms().values())
    # the sweep exercised something: faults happened, leaders changed, clients got answers
    assert totals["faults"] > 5 * SEEDS and totals["terms"] > 2 * SEEDS
    assert totals["ok"] > 0.8 * totals["ops"]


def test_a_run_is_determined_by_its_seed():
    a, b, c = chaos_run(7), chaos_run(7), chaos_run(8)
    assert a.cluster.sim.trace.digest() == b.cluster.sim.trace.digest()
    assert a.cluster.sim.trace.digest() != c.cluster.sim.trace.digest()
    assert a.history.events == b.history.events


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.__name__)
def test_each_mutant_is_caught_within_a_bounded_number_of_seeds(mutant):
    run = hunt_mutant(mutant, range(100))
    assert run is not None, f"{mutant.__name__} survived 100 seeds"
    names = {v.name for v in run.violations}
    assert names and names <= set(NAMES), run.cluster.violation_table()
    # the same seeds, with the same scenario, never flag the real protocol
    scenario, options = HUNTS[mutant.__name__]
    assert hunt(RaftNode, range(run.seed + 1), scenario, **options) is None


def test_mutants_break_the_property_they_are_about():
    expect = {"VoteTwice": "election_safety", "ForgetVoteOnRecovery": "election_safety",
              "SkipConsistencyCheck": "log_matching",
              "CommitOldTermByCounting": "leader_completeness"}
    for mutant in MUTANTS:
        if mutant.__name__ in expect:
            run = hunt_mutant(mutant, range(100))
            assert expect[mutant.__name__] in {v.name for v in run.violations}
