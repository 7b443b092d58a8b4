"""Fallacy 2: tail latency, timeouts, fan-out; exercise 2; the percentile helper."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dscourse.fallacies import (
    DISTRIBUTIONS,
    check_timeout_rule,
    fanout_experiment,
    fraction_over,
    measure_rtts,
    percentile,
    slow_probability,
    tail_latency_experiment,
)
from dscourse.sim import Constant, LogNormal, Uniform


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_lies_between_min_and_max_and_is_monotone(values, p):
    x = percentile(values, p)
    assert min(values) <= x <= max(values)
    assert percentile(values, 0) == min(values) and percentile(values, 100) == max(values)
    assert percentile(values, min(100.0, p + 1)) >= x


def test_percentile_interpolates_and_rejects_bad_input():
    assert percentile([10, 20], 50) == 15
    with pytest.raises(ValueError, match="must not be empty"):
        percentile([], 50)
    with pytest.raises(ValueError, match="p must be at most 100"):
        percentile([1], 101)
    with pytest.raises(ValueError, match="must not be empty"):
        fraction_over([], 1)


def test_constant_latency_round_trip_is_exactly_twice_the_delay():
    sample = measure_rtts(Constant(7.0), 1, count=50)
    assert set(sample.rtts) == {14.0} and sample.timeout_rate(sample.mean) == 0


def test_uniform_round_trips_stay_in_their_range():
    sample = measure_rtts(Uniform(1, 10), 1, count=500)
    assert 2 <= min(sample.rtts) and max(sample.rtts) <= 20
    assert len(sample.rtts) == 500


@pytest.fixture(scope="module")
def tails():
    return tail_latency_experiment(3, count=2000)


def test_long_tails_make_a_timeout_at_the_mean_cut_off_many_requests(tails):
    assert tails["constant"].timeout_rate(tails["constant"].mean) == 0
    for name in ("exponential", "lognormal", "pareto"):
        s = tails[name]
        assert s.timeout_rate(s.mean) > 0.15, name
        assert s.p999 > s.p99 > s.p50
    # the heavier the tail, the further p99 is from the median
    ratio = {n: tails[n].p99 / tails[n].p50 for n in DISTRIBUTIONS}
    assert ratio["uniform"] < ratio["exponential"] < ratio["lognormal"] < ratio["pareto"]


def test_tail_latency_table_lists_every_distribution(tails):
    text = tails.table()
    assert [row[0] for row in text.rows] == list(DISTRIBUTIONS)
    assert "p99.9" in text
    with pytest.raises(ValueError, match="name must be one of"):
        tails["gamma"]


def test_slow_probability_matches_the_closed_form_and_the_binomial_tail():
    for n in (1, 10, 100):
        assert slow_probability(n, n) == pytest.approx(1 - 0.99 ** n)
    assert slow_probability(5, 1) == pytest.approx(0.01 ** 5)
    assert slow_probability(100, 95) < slow_probability(100, 100)


@pytest.fixture(scope="module")
def fanout():
    return fanout_experiment(2, shapes=((1, 1), (20, 20), (60, 60), (60, 54)), count=400)


def test_fanout_amplifies_the_tail_and_measurement_tracks_theory(fanout):
    slow = {(r.backends, r.wait_for): r.slow_measured for r in fanout.rows}
    assert slow[(1, 1)] < slow[(20, 20)] < slow[(60, 60)]
    assert slow[(60, 60)] > 0.35
    for r in fanout.rows:       # 400 requests: binomial noise, about 2.5 sd
        sd = math.sqrt(r.slow_theory * (1 - r.slow_theory) / 400)
        assert abs(r.slow_measured - r.slow_theory) <= 2.5 * sd + 0.01, (r.backends, r.wait_for)


def test_waiting_for_fewer_answers_cuts_the_tail(fanout):
    assert fanout.row(60, 54).p99 < fanout.row(60, 60).p99 / 2
    assert fanout.row(60, 60).p50 > fanout.row(1, 1).p50
    with pytest.raises(ValueError, match="must be one of"):
        fanout.row(3, 3)


def test_fanout_bad_input():
    with pytest.raises(ValueError, match="wait_for must be at most 3"):
        fanout_experiment(1, shapes=((3, 4),), count=5)
    with pytest.raises(TypeError, match="must be a \\(backends, wait_for\\) pair"):
        fanout_experiment(1, shapes=(3,), count=5)
    with pytest.raises(TypeError, match="latency must be a Latency"):
        fanout_experiment(1, latency=5)
    with pytest.raises(TypeError, match="distributions must be a non-empty dict"):
        tail_latency_experiment(1, distributions={})


def test_same_seed_same_numbers():
    a = measure_rtts(LogNormal(10, 1), 5, count=300)
    b = measure_rtts(LogNormal(10, 1), 5, count=300)
    c = measure_rtts(LogNormal(10, 1), 6, count=300)
    assert a == b and a != c


# ------------------------------------------------------------------ exercise 2
def test_exercise_2_accepts_the_reference_solution():
    fb = check_timeout_rule(lambda samples: percentile(samples, 99.5))
    assert fb.passed, str(fb)
    assert len(fb.checks) == len(DISTRIBUTIONS)


@pytest.mark.parametrize("rule, problem", [
    (lambda s: sum(s) / len(s), "cut off"),                     # the mean
    (lambda s: 2 * sum(s) / len(s), "cut off"),                 # a small multiple of it
    (lambda s: percentile(s, 50), "cut off"),                   # the median
    (lambda s: max(s), "twice the p99.9"),                      # the largest sample
    (lambda s: 10 * sum(s) / len(s), "twice the p99.9"),        # a big multiple
    (lambda s: 1000.0, "twice the p99.9"),                      # a fixed number
])
def test_exercise_2_explains_typical_mistakes(rule, problem):
    fb = check_timeout_rule(rule)
    assert not fb.passed and problem in fb.problem and fb.hint


@pytest.mark.parametrize("rule, problem", [
    (lambda s: None, "returned None"),
    (lambda s: -1, "returned -1"),
    (lambda s: s.mean(), "AttributeError"),
])
def test_exercise_2_reports_broken_functions(rule, problem):
    fb = check_timeout_rule(rule)
    assert not fb.passed and problem in fb.problem


def test_exercise_2_rejects_a_non_function():
    with pytest.raises(TypeError, match="choose_timeout must be a function"):
        check_timeout_rule(99.0)
