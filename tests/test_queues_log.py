"""The partitioned log, consumer groups and the in-memory text API."""

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dscourse.queues import (
    CommitFailed,
    GroupState,
    Log,
    MemoryBroker,
    OffsetOutOfRange,
    TopicPartition,
    assign_range,
    assign_round_robin,
    partition_for,
)


# -- placement ------------------------------------------------------------------------------------
def test_same_key_same_partition_and_order_kept_within_it():
    log = Log()
    log.create_topic("orders", 4)
    recs = [log.append("orders", f"user-{i % 3}", i) for i in range(30)]
    for key in ("user-0", "user-1", "user-2"):
        mine = [r for r in recs if r.key == key]
        assert len({r.partition for r in mine}) == 1
        assert [r.value for r in mine] == sorted(r.value for r in mine)
        offsets = [r.offset for r in mine]
        assert offsets == sorted(offsets)


def test_placement_is_stable_across_processes():
    """Python's hash() of a str changes per process; the partitioner must not."""
    code = ("from dscourse.queues import partition_for;"
            "print([partition_for(f'user-{i}', 8) for i in range(20)])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={"PYTHONHASHSEED": str(s)}, check=True).stdout for s in (1, 2)}
    assert len(outs) == 1
    assert outs.pop().strip() == str([partition_for(f"user-{i}", 8) for i in range(20)])


def test_keys_spread_over_partitions():
    counts = [0] * 8
    for i in range(4000):
        counts[partition_for(f"user-{i}", 8)] += 1
    assert min(counts) > 400 and max(counts) < 600


def test_unkeyed_records_go_round_robin():
    log = Log()
    log.create_topic("t", 3)
    assert [log.append("t", None, i).partition for i in range(6)] == [0, 1, 2, 0, 1, 2]


# -- offsets and retention --------------------------------------------------------------------------
def test_offsets_count_from_zero_and_reading_does_not_remove():
    log = Log()
    log.create_topic("t", 1)
    for i in range(5):
        assert log.append("t", "k", i).offset == i
    tp = TopicPartition("t", 0)
    assert [r.value for r in log.read(tp, 2, 2)] == [2, 3]
    assert [r.value for r in log.read(tp, 0, 10)] == [0, 1, 2, 3, 4]
    assert log.read(tp, 5) == []            # at the end: nothing yet, not an error


def test_retention_by_count_and_by_age_moves_start_offset():
    log = Log()
    log.create_topic("count", 1, retention_records=3)
    log.create_topic("age", 1, retention_ms=100.0)
    for i in range(5):
        log.append("count", "k", i, timestamp=i * 60.0)
        log.append("age", "k", i, timestamp=i * 60.0)
    assert log.apply_retention(now=240.0) == 2 + 3
    count, age = TopicPartition("count", 0), TopicPartition("age", 0)
    assert log.start_offset(count) == 2 and log.end_offset(count) == 5
    assert [r.value for r in log.read(age, log.start_offset(age))] == [3, 4]
    with pytest.raises(OffsetOutOfRange, match="deleted by retention"):
        log.read(count, 1)


@pytest.mark.parametrize("call, error, match", [
    (lambda log: log.create_topic("zero", 0), ValueError, "partitions must be at least 1"),
    (lambda log: log.create_topic("t", 2), ValueError, "already exists"),
    (lambda log: log.append("nope", "k", 1), ValueError, "not a known topic"),
    (lambda log: log.append("t", 42, 1), TypeError, "key must be a str"),
    (lambda log: log.read(TopicPartition("t", 0), -1), ValueError, "at least 0"),
    (lambda log: log.read(TopicPartition("t", 0), 9), OffsetOutOfRange, "past the end"),
    (lambda log: log.read(TopicPartition("t", 5), 0), ValueError, "does not exist"),
    (lambda log: log.create_topic("r", 1, retention_records=0), ValueError, "retention_records"),
])
def test_log_bad_input(call, error, match):
    log = Log()
    log.create_topic("t", 2)
    with pytest.raises(error, match=match):
        call(log)


# -- assignment ------------------------------------------------------------------------------------------
def tps(n, topic="t"):
    return [TopicPartition(topic, i) for i in range(n)]


def test_range_assignment_gives_contiguous_ranges_extras_first():
    got = assign_range(["c2", "c1", "c3"], tps(7))
    assert got == {"c1": tps(7)[0:3], "c2": tps(7)[3:5], "c3": tps(7)[5:7]}


def test_round_robin_deals_like_cards_across_topics():
    parts = tps(2, "a") + tps(2, "b")
    got = assign_round_robin(["x", "y", "z"], parts)
    assert got == {"x": [parts[0], parts[3]], "y": [parts[1]], "z": [parts[2]]}


def test_range_per_topic_can_be_uneven_where_round_robin_is_not():
    parts = tps(3, "a") + tps(3, "b")
    ranged = {m: len(v) for m, v in assign_range(["c1", "c2"], parts).items()}
    dealt = {m: len(v) for m, v in assign_round_robin(["c1", "c2"], parts).items()}
    assert ranged == {"c1": 4, "c2": 2} and dealt == {"c1": 3, "c2": 3}


@settings(max_examples=150, deadline=None)
@given(members=st.sets(st.sampled_from([f"c{i}" for i in range(9)]), max_size=9),
       counts=st.lists(st.integers(0, 7), min_size=1, max_size=3))
def test_every_partition_has_exactly_one_owner(members, counts):
    parts = [TopicPartition(f"t{j}", i) for j, n in enumerate(counts) for i in range(n)]
    for strategy in (assign_range, assign_round_robin):
        got = strategy(members, parts)
        owned = [tp for v in got.values() for tp in v]
        if members:
            assert sorted(owned) == sorted(parts)
        else:
            assert owned == []
        if strategy is assign_round_robin and members:
            sizes = [len(v) for v in got.values()]
            assert max(sizes) - min(sizes) <= 1
        assert strategy(sorted(members, reverse=True), parts) == got   # order of members irrelevant


# -- group state ------------------------------------------------------------------------------------------
def group_and_log():
    log = Log()
    log.create_topic("t", 4)
    for i in range(8):
        log.append("t", f"user-{i}", i)
    gs = GroupState("g", ["t"], session_timeout=100.0)
    return gs, log


def test_join_leave_and_missed_heartbeats_rebalance():
    gs, log = group_and_log()
    gs.join("a", 0.0, log)
    assert gs.owned("a") == tps(4)
    event = gs.join("b", 10.0, log)
    assert event.generation == 2 and [m for _, _, m in event.moved()] == ["b", "b"]
    gs.heartbeat("a", 150.0)
    assert gs.expire(150.0, log).reason == "b missed heartbeats"
    assert gs.owned("a") == tps(4) and gs.generation == 3
    gs.leave("a", log)
    assert gs.assignment == {} and gs.generation == 4


def test_commit_is_fenced_by_generation_membership_and_ownership():
    gs, log = group_and_log()
    gs.join("a", 0.0, log)
    gs.join("b", 0.0, log)
    a_part, b_part = gs.owned("a")[0], gs.owned("b")[0]
    gs.commit("a", 2, {a_part: 1}, log)
    assert gs.committed[a_part] == 1
    with pytest.raises(CommitFailed, match="generation 1.*generation 2"):
        gs.commit("a", 1, {a_part: 2}, log)
    with pytest.raises(CommitFailed, match="does not own partition"):
        gs.commit("a", 2, {b_part: 1}, log)
    with pytest.raises(CommitFailed, match="not in group"):
        gs.commit("zombie", 2, {a_part: 1}, log)
    with pytest.raises(ValueError, match="at least 0"):
        gs.commit("a", 2, {a_part: -1}, log)
    with pytest.raises(ValueError, match="past the end"):
        gs.commit("a", 2, {a_part: 99}, log)
    assert gs.committed[a_part] == 1


def test_lag_is_end_minus_committed():
    gs, log = group_and_log()
    gs.join("a", 0.0, log)
    tp = gs.owned("a")[0]
    end = log.end_offset(tp)
    gs.commit("a", 1, {tp: end - 1}, log)
    assert gs.lag(log)[tp] == 1
    assert sum(gs.lag(log).values()) == 8 - (end - 1)
    assert "lag" in gs.table(log)


def test_group_bad_input():
    with pytest.raises(ValueError, match="strategy must be one of"):
        GroupState("g", ["t"], strategy="sticky")
    with pytest.raises(ValueError, match="at least one topic"):
        GroupState("g", [])


# -- the in-memory text API ---------------------------------------------------------------------------------
def broker_with_orders(n=12, partitions=4):
    b = MemoryBroker()
    b.create_topic("orders", partitions)
    for i in range(n):
        b.publish("orders", f"user-{i % 4}", f"ORD-{i}")
    return b


def test_publish_poll_commit_seek_replay():
    b = broker_with_orders()
    c = b.consumer("billing", topics="orders")
    first = c.poll(100)
    assert sorted(r.value for r in first) == sorted(f"ORD-{i}" for i in range(12))
    assert c.poll() == []                    # position moved: nothing new
    committed = c.commit()
    assert sum(committed.values()) == 12 and sum(b.group("billing").lag(b.log).values()) == 0
    p = first[0].partition
    c.seek(p, 0)                             # rewind: replay the partition
    again = c.poll(100)
    assert [r.value for r in again] == [r.value for r in first if r.partition == p]
    other = b.consumer("audit", topics="orders")   # another group reads everything too
    assert len(other.poll(100)) == 12


def test_rebalance_rereads_what_was_not_committed():
    b = broker_with_orders()
    c1 = b.consumer("g", topics="orders")
    got = c1.poll(100)
    c2 = b.consumer("g")                       # joins: half the partitions move to c2
    assert set(c1.assignment).isdisjoint(c2.assignment)
    reread = c2.poll(100)
    assert reread and {r.value for r in reread} <= {r.value for r in got}
    with pytest.raises(CommitFailed, match="does not own"):
        c1.commit({reread[0].partition: reread[0].offset + 1})


def test_expired_member_is_removed_and_its_commit_refused_then_it_rejoins():
    b = broker_with_orders()
    c1 = b.consumer("g", topics="orders")
    c2 = b.consumer("g")
    c1.poll(5)
    b.advance(b.session_timeout / 2)
    c2.heartbeat()
    b.advance(b.session_timeout / 2 + 1)       # c1 silent for longer than the session timeout
    assert b.group("g").members.keys() == {"c2"}
    assert len(b.group("g").owned("c2")) == 4
    c1.poll(1)                                 # a poll rejoins, like Kafka's consumer
    assert set(b.group("g").members) == {"c1", "c2"}


def test_memory_bad_input():
    b = broker_with_orders()
    c = b.consumer("g", topics="orders")
    mine = c.assignment[0].partition
    with pytest.raises(ValueError, match="at least 0"):
        c.seek(mine, -1)
    with pytest.raises(OffsetOutOfRange, match="past the end"):
        c.seek(mine, 10_000)
    with pytest.raises(ValueError, match="not a known consumer group"):
        b.group("nobody")
    with pytest.raises(ValueError, match="not a known topic"):
        b.consumer("new", topics="nope")
    with pytest.raises(ValueError, match="give topics"):
        b.consumer("other")
    with pytest.raises(ValueError, match="does not exist"):
        c.seek(9, 0)
    with pytest.raises(TypeError, match="offsets must be a dict"):
        c.commit([1, 2])
    with pytest.raises(ValueError, match="max_records must be at least 1"):
        c.poll(0)
    with pytest.raises(ValueError, match="already in group"):
        b.consumer("g", "c1")
    c2 = b.consumer("g")
    theirs = c2.assignment[0].partition
    with pytest.raises(CommitFailed, match="does not own partition"):
        c.commit({theirs: 1})
    with pytest.raises(CommitFailed, match="does not own"):
        c.seek(theirs, 0)
    c.close()
    with pytest.raises(ValueError, match="closed"):
        c.poll()


def test_retention_under_a_slow_consumer_skips_records():
    b = MemoryBroker()
    b.create_topic("t", 1, retention_records=5)
    c = b.consumer("g", topics="t")
    assert c.poll() == []                      # its position: offset 0
    for i in range(12):
        b.publish("t", "k", i)
    b.advance(1)
    got = c.poll(100)
    assert [r.value for r in got] == list(range(7, 12)) and c.skipped == 7


def test_batch_shows_as_a_table():
    b = broker_with_orders(3, partitions=1)
    text = repr(b.consumer("g", topics="orders").poll())
    assert text.splitlines()[0].split() == ["partition", "offset", "key", "value"]
    assert "ORD-2" in text


@settings(max_examples=100, deadline=None)
@given(ops=st.lists(st.one_of(st.tuples(st.just("append"), st.integers(0, 5)),
                              st.tuples(st.just("retain"), st.integers(1, 6))), max_size=40))
def test_offsets_stay_contiguous_under_appends_and_retention(ops):
    log = Log()
    log.create_topic("t", 1)
    p = log.partition(TopicPartition("t", 0))
    appended, start = 0, 0
    for op, n in ops:
        if op == "append":
            for _ in range(n):
                assert p.append("k", appended).offset == appended
                appended += 1
        else:
            p.retain(max_records=n)
            assert p.start_offset >= start          # retention only ever moves forward
            start = p.start_offset
        assert p.end_offset == appended
        assert [r.offset for r in p.records] == list(range(p.start_offset, p.end_offset))
        assert [r.value for r in p.read(p.start_offset, 100)] == list(range(start, appended))
