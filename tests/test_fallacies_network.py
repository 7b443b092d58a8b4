"""Fallacies 3-5: queueing past capacity, tampering and replay, changing membership."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dscourse.fallacies import (
    Transfer,
    md1_wait,
    queueing_experiment,
    security_experiment,
    sign,
    topology_experiment,
    verify,
)
from dscourse.fallacies.security import payload_bytes, run_security
from dscourse.fallacies.topology import run_topology

# ----------------------------------------------------------------- bandwidth


@pytest.fixture(scope="module")
def unbounded():
    return queueing_experiment(1, loads=(0.3, 0.6, 0.8, 0.95, 1.2, 1.5), count=1500)


@pytest.fixture(scope="module")
def bounded():
    return queueing_experiment(1, loads=(0.5, 1.2, 1.5), count=1500, queue_limit=10)


def test_queueing_delay_grows_with_load_and_explodes_past_capacity(unbounded):
    waits = [p.mean_wait for p in unbounded.points]
    assert waits == sorted(waits)
    service = unbounded.service
    assert unbounded.point(0.3).mean_wait < service
    assert unbounded.point(1.5).mean_wait > 50 * unbounded.point(0.6).mean_wait
    assert all(p.dropped == 0 for p in unbounded.points)


def test_below_capacity_the_wait_matches_md1(unbounded):
    for load in (0.3, 0.6, 0.8):
        p = unbounded.point(load)
        assert p.mean_wait == pytest.approx(p.theory, rel=0.3), load


def test_past_capacity_the_wait_keeps_growing_during_the_run(unbounded):
    p = unbounded.point(1.2)
    quarter = len(p.waits) // 4
    early, late = p.waits[:quarter], p.waits[-quarter:]
    assert sum(late) / quarter > 3 * sum(early) / quarter


def test_a_bounded_queue_trades_delay_for_drops(bounded, unbounded):
    assert bounded.point(0.5).dropped == 0
    for load in (1.2, 1.5):
        p = bounded.point(load)
        assert p.drop_rate == pytest.approx(1 - 1 / load, abs=0.06)
        assert p.p99_wait <= (bounded.queue_limit + 1) * bounded.service
        assert p.mean_wait < unbounded.point(load).mean_wait


def test_md1_formula_and_table(unbounded):
    assert md1_wait(0.5, 10) == 5.0 and md1_wait(0.9, 10) == pytest.approx(45.0)
    assert md1_wait(1.0, 10) == float("inf")
    text = unbounded.table()
    assert "unbounded" in text and text.rows[0][0] == "30%"
    assert unbounded.plan.to_dict()["faults"][0]["bandwidth"] == 100.0


@pytest.mark.parametrize("kwargs, error, match", [
    ({"loads": ()}, TypeError, "loads must be a non-empty list"),
    ({"loads": (0.5, -1)}, ValueError, r"loads\[1\] must be greater than 0"),
    ({"bandwidth": 0}, ValueError, "bandwidth must be greater than 0"),
    ({"queue_limit": 0}, ValueError, "queue_limit must be at least 1"),
    ({"size": 1.5}, TypeError, "size must be an integer"),
])
def test_queueing_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        queueing_experiment(1, **kwargs)


# ------------------------------------------------------------------ security
KEY = b"k" * 32
transfers = st.builds(Transfer, sender=st.text(min_size=1, max_size=8),
                      seq=st.integers(0, 10 ** 6), to=st.text(max_size=8),
                      amount=st.integers(-10 ** 9, 10 ** 9))


@given(transfers, st.binary(min_size=1, max_size=64))
def test_hmac_accepts_every_genuine_message(msg, key):
    assert verify(key, sign(key, msg))


@given(transfers, st.data())
def test_hmac_rejects_every_tampered_message(msg, data):
    signed = sign(KEY, msg)
    field = data.draw(st.sampled_from(["sender", "seq", "to", "amount"]))
    value = data.draw({"sender": st.text(min_size=1, max_size=8), "to": st.text(max_size=8),
                       "seq": st.integers(0, 10 ** 6),
                       "amount": st.integers(-10 ** 9, 10 ** 9)}[field])
    tampered = dataclasses.replace(signed, **{field: value})
    if getattr(tampered, field) != getattr(signed, field):
        assert not verify(KEY, tampered)


@given(transfers, st.binary(min_size=1, max_size=64), st.text(alphabet="0123456789abcdef",
                                                              min_size=64, max_size=64))
def test_hmac_rejects_wrong_keys_and_forged_tags(msg, other_key, forged):
    signed = sign(KEY, msg)
    if other_key != KEY:
        assert not verify(other_key, signed)
    if forged != signed.tag:
        assert not verify(KEY, dataclasses.replace(msg, tag=forged))


def test_the_payload_is_canonical_and_excludes_the_tag():
    a = Transfer("p", 1, "bob", 5)
    assert payload_bytes(a) == payload_bytes(sign(KEY, a))
    assert payload_bytes(a) == b'{"amount":5,"sender":"p","seq":1,"to":"bob"}'
    with pytest.raises(TypeError, match="key must be non-empty bytes"):
        sign("secret", a)
    with pytest.raises(TypeError, match="msg must be a Transfer"):
        payload_bytes({"amount": 5})


@pytest.fixture(scope="module")
def security():
    return security_experiment(2, count=150, tamper_rate=0.25, replays=15)


def test_plain_bank_accepts_tampering_and_replays(security):
    run = security["plain"]
    assert run.tampered > 0 and run.tampered_accepted == run.tampered
    assert run.replays_accepted == run.replayed == 15
    assert run.stolen > 0


def test_hmac_stops_tampering_but_not_replays(security):
    run = security["hmac"]
    assert run.tampered > 0 and run.tampered_accepted == 0
    assert run.tampered_rejected == run.tampered
    assert run.replays_accepted == run.replayed and run.stolen == 0


def test_sequence_numbers_stop_replays(security):
    run = security["hmac+seq"]
    assert run.tampered_accepted == 0 and run.replays_accepted == 0
    assert run.replays_rejected == run.replayed


def test_no_design_rejects_a_genuine_order(security):
    for run in security.runs:
        assert run.genuine_rejected == 0
        assert run.genuine_accepted == run.sent - run.tampered
    assert "hmac+seq" in security.table()


def test_security_bad_input():
    with pytest.raises(ValueError, match="mode must be one of"):
        run_security("tls", 1)
    with pytest.raises(ValueError, match="tamper_rate must be at most 1"):
        run_security("plain", 1, tamper_rate=2)


# ------------------------------------------------------------------ topology
@pytest.fixture(scope="module")
def topology():
    return topology_experiment(3)


def test_static_list_keeps_using_the_departed_node_and_ignores_the_new_one(topology):
    run = topology["static"]
    assert run.sent_to("s4") == 0 and run.share_new_server() == 0
    after = run.sent_to("s2", run.leave_at)
    assert after > 20 and run.failed_after_leave() == after
    assert run.failed == after      # nothing else fails


def test_membership_updates_use_the_new_node_and_stop_using_the_old(topology):
    run = topology["discovery"]
    assert 0.2 < run.share_new_server() < 0.4        # one of three or four servers
    # a few requests fail before the registry notices (timeout 150 ms + a beat)
    assert 0 < run.failed_after_leave() <= 10
    last_to_s2 = max(t for t, s, _ in run.outcomes if s == "s2")
    assert last_to_s2 < run.leave_at + 250
    assert run.failed < topology["static"].failed


def test_topology_table_and_bad_input(topology):
    text = topology.table()
    assert text.rows[0][0] == "static" and text.rows[1][0] == "discovery"
    with pytest.raises(ValueError, match="client must be 'static' or 'discovery'"):
        run_topology("dns", 1)
    with pytest.raises(ValueError, match="join_at must be at least 0"):
        run_topology("static", 1, join_at=-5)
