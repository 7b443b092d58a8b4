"""Paxos under random faults, its mutants caught, and the duelling-proposers livelock."""

import pytest

from dscourse.consensus.paxos_mutants import MUTANTS
from dscourse.consensus.paxos_runs import duel, first_decision, first_violation, paxos_sim, random_run
from dscourse.sim import Constant

from .conftest import sweep

SWEEP = sweep(1000)


@pytest.mark.sweep
def test_random_fault_schedules_keep_every_invariant_and_terminate():
    faults = 0
    for seed in range(SWEEP):
        sim = random_run(seed)
        assert not sim.violations, f"seed {seed}: {sim.violations[0]}"
        # After the faults heal, every proposer (each is a learner) decides.
        undecided = [n.node_id for n in sim.nodes.values() if n.is_proposer and n.decided is None]
        assert not undecided, f"seed {seed}: {undecided} never decided"
        faults += sim.trace.count("crash") + sim.trace.count("fault")
    assert faults > SWEEP                     # the schedules really were faulty


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_mutant_is_caught_by_the_invariants_within_50_seeds(name):
    found = first_violation(MUTANTS[name], range(50))
    assert found is not None, f"{name} survived 50 random fault schedules"
    seed, violation = found
    assert violation.name in ("agreement", "validity", "integrity", "one_value_chosen")
    # The same seed with the real protocol is clean: the mutation is what broke it.
    assert not random_run(seed, settle=500.0).violations


def test_duelling_proposers_livelock_without_backoff():
    sim = duel(backoff=None, until=2000.0)
    assert first_decision(sim) is None                    # no decision in 2 s ...
    assert not sim.violations                             # ... yet nothing unsafe
    assert sim.node("p1").highest_round >= 50             # they kept pre-empting each other
    assert sim.node("p2").highest_round >= 50


def test_randomised_backoff_breaks_the_duel():
    # Notebook 05 states: decided within 2 s for 200 of 200 seeds.
    for seed in range(200):
        sim = duel(backoff=20.0, seed=seed, until=2000.0)
        decided = first_decision(sim)
        assert decided is not None and decided[0] < 1000.0, f"seed {seed}"
        assert not sim.violations


def test_the_short_timeout_alone_does_not_stall_a_lone_proposer():
    sim = paxos_sim(proposers={"p1": "x"}, learners=("p1",), latency=Constant(10.0),
                    retry_timeout=25.0)
    sim.run(until=2000)
    assert first_decision(sim)[0] == pytest.approx(40.0)
