"""Same seed and plan, same trace digest; different seeds, different runs."""

import subprocess
import sys

import pytest

from dscourse.sim import FaultPlan, LogNormal

from .conftest import chatter_sim


def run_digest(seed, plan_seed=None):
    sim = chatter_sim(seed=seed, n=5, latency=LogNormal(5, 0.7), duplicate=0.05)
    if plan_seed is not None:
        FaultPlan.random(sim.node_ids, seed=plan_seed, duration=1500,
                         kinds=("crash", "partition", "pause", "loss", "clock")).apply(sim)
    sim.run(until=2000)
    return sim.trace.digest()


@pytest.mark.parametrize("seed", range(5))
def test_same_seed_same_digest(seed):
    assert run_digest(seed, plan_seed=seed) == run_digest(seed, plan_seed=seed)


def test_different_seeds_differ():
    digests = {run_digest(seed) for seed in range(10)}
    assert len(digests) == 10


def test_different_fault_plans_differ():
    assert run_digest(1, plan_seed=1) != run_digest(1, plan_seed=2)


def test_digest_is_the_same_in_a_fresh_process_with_another_hash_seed():
    code = ("import sys; sys.path.insert(0, '.');"
            "from tests.test_determinism import run_digest; print(run_digest(3, plan_seed=3))")
    outs = set()
    for hash_seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={"PYTHONHASHSEED": hash_seed, "PATH": ""}, check=True)
        outs.add(out.stdout.strip())
    assert outs == {run_digest(3, plan_seed=3)}


def test_digest_is_incremental_and_stable():
    sim = chatter_sim(seed=9)
    sim.run(until=100)
    first = sim.trace.digest()
    assert sim.trace.digest() == first
    sim.run(until=200)
    assert sim.trace.digest() != first


def scenario_digests(seeds=(1, 2), until=400.0):
    from dscourse.scenarios import SCENARIOS, scenario
    out = {}
    for name in sorted(SCENARIOS):
        for seed in seeds:
            sim = scenario(name, seed)
            sim.run(until=until)
            out[f"{name}/{seed}"] = sim.trace.digest()
    return out


def test_every_scenario_same_seed_same_digest_different_seeds_differ():
    from dscourse.scenarios import SCENARIOS
    first, again = scenario_digests(), scenario_digests()
    assert first == again
    for name in SCENARIOS:
        assert first[f"{name}/1"] != first[f"{name}/2"], name


def test_every_scenario_digest_is_the_same_in_processes_with_other_hash_seeds():
    import json
    code = ("import sys, json; sys.path.insert(0, '.');"
            "from tests.test_determinism import scenario_digests;"
            "print(json.dumps(scenario_digests(seeds=(3,))))")
    here = scenario_digests(seeds=(3,))
    for hash_seed in ("11", "12"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={"PYTHONHASHSEED": hash_seed, "PATH": "", "MPLBACKEND": "Agg"},
                             check=True)
        assert json.loads(out.stdout) == here
