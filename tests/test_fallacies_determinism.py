"""Every fallacy experiment: the same seed gives the same numbers; another seed, other numbers."""

import random

import pytest

from dscourse import fallacies as f

EXPERIMENTS = {
    "reliability": lambda s: f.reliability_experiment(s, count=40),
    "tail latency": lambda s: f.tail_latency_experiment(s, count=200),
    "fan-out": lambda s: f.fanout_experiment(s, shapes=((4, 4),), count=50, calibration=200),
    "queueing": lambda s: f.queueing_experiment(s, loads=(0.5, 1.2), count=200),
    "security": lambda s: f.security_experiment(s, count=40, replays=5),
    "topology": lambda s: f.topology_experiment(s, count=150, join_at=500, leave_at=1000),
    "configuration": lambda s: f.config_experiment(s),
    "encoding": lambda s: f.encoding_experiment(s, count=4),
}
# The batching, heartbeat-cost and straggler experiments count messages and
# work that no random draw changes (latency only shifts when things happen,
# and the straggler links have a constant delay); they are left out.


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_same_seed_same_result_other_seed_other_result(name):
    run = EXPERIMENTS[name]
    assert run(11) == run(11)
    assert run(11) != run(12)


def test_a_random_generator_is_accepted_as_a_seed():
    a = f.reliability_experiment(random.Random(5), count=20)
    b = f.reliability_experiment(random.Random(5), count=20)
    assert a == b


@pytest.mark.parametrize("seed", ["1", 1.5, True])
def test_bad_seeds_are_rejected(seed):
    with pytest.raises(TypeError, match="seed must be an int"):
        f.security_experiment(seed, count=5)
