"""Fallacies 6-8: mismatched configurations, transport cost, heterogeneous nodes."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dscourse.fallacies import (
    FORMATS,
    HEADER_BYTES,
    DecodeError,
    batching_experiment,
    config_conflicts,
    config_experiment,
    decode_reading,
    encode_reading,
    encoding_experiment,
    heartbeat_cost_experiment,
    straggler_experiment,
)
from dscourse.fallacies.administrators import run_config
from dscourse.sim import message_size

# ------------------------------------------------------------ administrators


@pytest.fixture(scope="module")
def configs():
    return config_experiment(1)


def test_mismatched_heartbeat_settings_cause_false_suspicions(configs):
    run = configs["fixed"]
    false = run.false_suspicions()
    assert len(false) > 10
    assert {s.target for s in false} == {"c"}          # a and b agree with each other
    assert {s.observer for s in false} == {"a", "b"}
    assert run.wrongly_suspected_time("c") > 0.02


def test_advertised_intervals_remove_false_suspicions_yet_detect_the_crash(configs):
    run = configs["advertised"]
    assert run.false_suspicions() == []
    delay = run.detection_delay()
    # c beats every 200 ms; the derived timeout is 3 x 200 ms, counted from c's
    # last heartbeat (up to 200 ms + 10 ms of latency before the crash), noticed
    # at the observer's next beat (within 50 ms)
    assert 600 - 200 - 10 <= delay <= 600 + 50
    assert not run.already_suspected()


def test_consistent_settings_need_no_fix():
    same = {"a": (50.0, 150.0), "b": (50.0, 150.0), "c": (50.0, 150.0)}
    run = run_config("fixed", 1, configs=same)
    assert run.false_suspicions() == [] and run.detection_delay() <= 150 + 50 + 10
    assert config_conflicts(same) == []


def test_config_conflicts_names_the_clashing_pairs(configs):
    problems = config_conflicts({"a": (50.0, 150.0), "b": (50.0, 150.0), "c": (200.0, 600.0)})
    assert len(problems) == 2
    assert problems[0].startswith("a suspects c after 150 ms") and "every 200 ms" in problems[0]
    assert configs.conflicts == tuple(problems)
    with pytest.raises(TypeError, match="configs must be a non-empty dict"):
        config_conflicts([])
    with pytest.raises(ValueError, match="must be at least 0"):
        config_conflicts({"a": (-1, 10), "b": (1, 10)})
    with pytest.raises(TypeError, match=r"configs\['a'\] must be an \(interval, timeout\) pair"):
        config_conflicts({"a": 50, "b": (1, 10)})


def test_config_table_and_bad_input(configs):
    text = configs.table()
    assert text.rows[0][0] == "fixed" and text.rows[1][1] == 0
    with pytest.raises(ValueError, match="detector must be"):
        run_config("smart", 1)
    with pytest.raises(ValueError, match="duration must be at least 3000"):
        run_config("fixed", 1, duration=100)


# ---------------------------------------------------------------------- cost
def test_batching_cuts_messages_bytes_and_time():
    result = batching_experiment(1, updates=200, batches=(1, 10, 100))
    one, ten, hundred = (result.row(b) for b in (1, 10, 100))
    assert (one.messages, ten.messages, hundred.messages) == (400, 40, 4)
    assert one.bytes > ten.bytes > hundred.bytes
    assert one.bytes_per_update > 4 * hundred.bytes_per_update
    assert one.time > 50 * hundred.time
    assert one.bytes >= one.messages * HEADER_BYTES
    with pytest.raises(ValueError, match="must be one of"):
        result.row(7)


def test_all_to_all_heartbeats_are_quadratic():
    result = heartbeat_cost_experiment(1, sizes=(2, 4, 8, 16), interval=50.0, duration=500.0)
    for r in result.rows:
        assert r.messages == r.theory == r.nodes * (r.nodes - 1) * 10
    m = {r.nodes: r.messages for r in result.rows}
    assert m[16] / m[8] == pytest.approx(4, rel=0.1)
    assert "bytes/s" in result.table()
    with pytest.raises(ValueError, match="interval must be greater than 0"):
        heartbeat_cost_experiment(1, interval=0)


# --------------------------------------------------------------- stragglers
def test_a_straggler_sets_the_pace_of_a_static_split_and_pulling_fixes_it():
    result = straggler_experiment(1)
    static, pull = result["static split"], result["pull chunks"]
    # the slow worker's equal share at a tenth of the speed: 300 units / 0.1
    assert static.makespan == pytest.approx(300 / 0.1, abs=10)
    assert pull.makespan < static.makespan / 4
    assert pull.makespan >= result.ideal
    assert pull.done_units["w1"] > 5 * pull.done_units["w4"]
    assert sum(pull.done_units.values()) == result.units
    assert static.utilisation("w1") < 0.15 and pull.utilisation("w1") > 0.6


def test_equal_speeds_need_no_pulling():
    result = straggler_experiment(1, speeds={"w1": 1.0, "w2": 1.0})
    assert result["static split"].makespan <= result["pull chunks"].makespan
    with pytest.raises(TypeError, match="speeds must be a non-empty dict"):
        straggler_experiment(1, speeds=[1, 2])


# ---------------------------------------------------------------- encodings
@given(st.text(alphabet=st.characters(max_codepoint=255, exclude_categories=("Cs",)),
               max_size=20),
       st.integers(-2 ** 31, 2 ** 31 - 1), st.sampled_from(sorted(FORMATS)))
def test_a_version_byte_round_trips_every_reading(city, value, version):
    frame = encode_reading(city, value, version, header=True)
    assert decode_reading(frame, header=True, known=tuple(FORMATS)) == (city, value)


def test_unknown_versions_are_rejected_loudly_not_decoded():
    frame = encode_reading("Genève", 123, 3, header=True)
    with pytest.raises(DecodeError, match="unknown format version 3"):
        decode_reading(frame, header=True)
    with pytest.raises(DecodeError, match="too short"):
        decode_reading(b"\x01ab", header=True)
    with pytest.raises(TypeError, match="data must be bytes"):
        decode_reading("text", header=False)
    with pytest.raises(ValueError, match="version must be one of"):
        encode_reading("x", 1, 9, header=True)


def test_without_a_header_mixed_formats_corrupt_silently():
    frame = encode_reading("São Paulo", 1391, 2, header=False)
    city, value = decode_reading(frame, header=False, assume=1)
    assert city == "SÃ£o Paulo" and value != 1391


def test_encoding_experiment_counts_silent_corruption_and_explicit_rejection():
    result = encoding_experiment(1, count=10)
    naive, tagged = result.totals("no header"), result.totals("version byte")
    assert naive == {"sent": 50, "correct": 20, "silently wrong": 30, "rejected": 0}
    assert tagged == {"sent": 50, "correct": 40, "silently wrong": 0, "rejected": 10}
    assert "SÃ£o Paulo" in result.examples()
    assert "unknown format version 3" in result.examples()


def test_frames_are_charged_their_byte_length():
    from dscourse.fallacies import Frame
    assert message_size(Frame(b"\x01abcd")) == 5


def test_outcomes_are_deterministic():
    assert encoding_experiment(4, count=5) == encoding_experiment(4, count=5)
    a, b = config_experiment(2), config_experiment(2)
    assert a.runs[0].episodes == b.runs[0].episodes
    assert math.isfinite(a["advertised"].detection_delay())
