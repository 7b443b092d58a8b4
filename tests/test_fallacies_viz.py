"""The fallacies plots draw from result objects (no display needed)."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dscourse import fallacies as f  # noqa: E402
from dscourse.viz import fallacies as v  # noqa: E402

CASES = [
    (v.plot_reliability, lambda: f.reliability_experiment(1, count=30)),
    (v.plot_latency_numbers, f.load_latency_numbers),
    (v.plot_tail_latency, lambda: f.tail_latency_experiment(1, count=200)),
    (v.plot_fanout, lambda: f.fanout_experiment(1, shapes=((1, 1), (5, 4)), count=20,
                                                calibration=200)),
    (v.plot_queueing, lambda: f.queueing_experiment(1, loads=(0.5, 1.2), count=100)),
    (v.plot_security, lambda: f.security_experiment(1, count=30, replays=3)),
    (v.plot_topology, lambda: f.topology_experiment(1)),
    (v.plot_config, lambda: f.config_experiment(1)),
    (v.plot_batching, lambda: f.batching_experiment(1, updates=20, batches=(1, 10))),
    (v.plot_heartbeat_cost, lambda: f.heartbeat_cost_experiment(1, sizes=(2, 4),
                                                                duration=200)),
    (v.plot_stragglers, lambda: f.straggler_experiment(1, units=100)),
    (v.plot_encoding, lambda: f.encoding_experiment(1, count=3)),
]


@pytest.mark.parametrize("plot, make", CASES, ids=[c[0].__name__ for c in CASES])
def test_every_plot_returns_a_figure_with_content(plot, make):
    fig = plot(make())
    assert isinstance(fig, Figure)
    assert fig.axes and any(ax.has_data() for ax in fig.axes)


def test_queueing_plot_with_a_bounded_queue_has_two_panels():
    a = f.queueing_experiment(1, loads=(0.5, 1.2), count=100)
    b = f.queueing_experiment(1, loads=(0.5, 1.2), count=100, queue_limit=5)
    assert len(v.plot_queueing(a, b).axes) == 2
