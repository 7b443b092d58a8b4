"""RabbitMQ's and SQS's models, dead letters, and the three models side by side."""

import pytest

from dscourse.queues import (
    AckQueue,
    DeadLetters,
    MemoryBroker,
    VisibilityQueue,
    compare_models,
    consume_with_dead_letters,
    run_model,
)
from dscourse.queues.broker_queue import AckQueueBroker, AckQueueConsumer
from dscourse.queues.delivery import Sink
from dscourse.queues.producer import ProducerNode
from dscourse.sim import FaultPlan, Simulator


# -- the acked queue ----------------------------------------------------------------------------
def test_acked_messages_are_gone_and_unacked_ones_come_back_in_order():
    q = AckQueue()
    for i in range(5):
        q.publish("k", i, msg_id=f"m{i}")
    d = [q.deliver("a") for _ in range(3)]
    q.ack("a", d[0][0])
    assert q.depth == 2 and q.acked == 1
    assert q.requeue("a") == 2
    again = [q.deliver("b") for _ in range(4)]
    assert [(r.value, redelivered) for _, r, redelivered in again] == \
        [(1, True), (2, True), (3, False), (4, False)]
    assert q.deliver("b") is None


def test_nack_requeues_then_dead_letters_after_max_attempts():
    q = AckQueue(dead_letters=DeadLetters(max_attempts=2))
    q.publish("k", "poison", msg_id="m0")
    tag, _, _ = q.deliver("a")
    assert q.nack("a", tag, "boom") is False and q.depth == 1
    tag, _, redelivered = q.deliver("a")
    assert redelivered and q.nack("a", tag, "boom") is True
    assert q.depth == 0 and [d.msg_id for d in q.dead_letters.letters] == ["m0"]


def test_ack_queue_bad_input():
    q = AckQueue()
    q.publish("k", 1)
    tag, _, _ = q.deliver("a")
    with pytest.raises(ValueError, match="not an unacknowledged delivery to 'b'"):
        q.ack("b", tag)
    with pytest.raises(TypeError, match="tag must be an integer"):
        q.ack("a", "1")


def test_a_consumer_that_dies_unacked_gets_its_messages_redelivered_to_another():
    sim = Simulator(seed=4)
    sink = Sink()
    sim.add_node(AckQueueBroker("broker", heartbeat_timeout=120.0))
    sim.add_node(ProducerNode("p1", "broker", "orders", [("k", i) for i in range(20)],
                              interval=1.0, idempotent=False))
    sim.add_node(AckQueueConsumer("c1", "broker", sink, prefetch=5, process_time=10.0))
    sim.add_node(AckQueueConsumer("c2", "broker", sink, prefetch=5, process_time=10.0))
    FaultPlan().crash("c1", at=40.0).apply(sim)
    sim.run(until=1500)
    done = {e[2] for e in sink.effects}
    assert done == {f"p1-{i}" for i in range(20)}        # nothing lost: c2 took c1's unacked
    assert sim.node("broker").queue.depth == 0 and not sim.node("broker").queue.unacked
    c1_processed_not_acked = [e for e in sink.processed if e[1] == "c1"]
    assert c1_processed_not_acked                          # c1 did work before it died


# -- the visibility-timeout queue -------------------------------------------------------------------
def test_a_message_reappears_after_the_visibility_timeout_unless_deleted():
    q = VisibilityQueue(visibility_timeout=100.0)
    q.send("k", "a", "m0", now=0.0)
    (h1, r, n), = q.receive(now=0.0)
    assert q.receive(now=50.0) == []                     # invisible meanwhile
    (h2, r2, n2), = q.receive(now=101.0)                   # it came back
    assert r2 == r and n2 == 2 and h2 != h1
    assert q.delete(h1) is False                           # a stale receipt deletes nothing
    assert q.delete(h2) is True and q.depth == 0


def test_extending_visibility_keeps_a_slow_consumers_message():
    q = VisibilityQueue(visibility_timeout=100.0)
    q.send("k", "a", "m0", now=0.0)
    (h, _, _), = q.receive(now=0.0)
    assert q.change_visibility(h, 200.0, now=90.0)
    assert q.receive(now=150.0) == [] and q.delete(h)


def test_redrive_to_dead_letters_after_max_receives():
    q = VisibilityQueue(visibility_timeout=10.0, max_receives=3)
    q.send("k", "poison", "m0", now=0.0)
    for t in (0.0, 11.0, 22.0):
        assert len(q.receive(now=t)) == 1
    assert q.receive(now=33.0) == [] and q.depth == 0
    assert q.dead_letters.letters[0].attempts == 3


def test_visibility_receive_order_is_best_effort_but_seeded():
    def order(seed):
        q = VisibilityQueue(seed=seed)
        for i in range(10):
            q.send("k", i, f"m{i}")
        out = []
        while q.depth:
            for h, r, _ in q.receive(now=0.0, max_messages=2):
                out.append(r.value)
                q.delete(h)
        return out
    assert order(1) == order(1)
    assert sorted(order(1)) == list(range(10)) and order(1) != list(range(10))


def test_visibility_bad_input():
    q = VisibilityQueue()
    with pytest.raises(ValueError, match="receipt handle"):
        q.delete("nonsense")
    with pytest.raises(ValueError, match="max_messages must be at least 1"):
        q.receive(0.0, 0)
    with pytest.raises(ValueError, match="visibility_timeout must be at least 0"):
        VisibilityQueue(-1)


# -- dead letters on the log --------------------------------------------------------------------------
def test_a_poison_message_blocks_its_partition_without_a_dead_letter_queue():
    def handler(record):
        if record.value == "poison":
            raise ValueError("cannot parse")

    for dead in (None, DeadLetters(max_attempts=3)):
        b = MemoryBroker()
        b.create_topic("t", 1)
        for v in ["a", "poison", "b", "c"]:
            b.publish("t", "k", v, msg_id=v)
        c = b.consumer("g", topics="t")
        out = consume_with_dead_letters(c, handler, dead, polls=5)
        lag = sum(b.group("g").lag(b.log).values())
        if dead is None:
            assert out["processed"] == 1 and lag == 3 and out["failures"] == 5
        else:
            assert out == {"processed": 3, "failures": 3, "dead-lettered": 1} and lag == 0
            assert "poison" in dead.table()


# -- the three models side by side ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def comparison():
    return compare_models(0)


def test_only_the_log_can_replay(comparison):
    _, runs = comparison
    assert runs["kafka"].replayable == 40
    assert runs["rabbitmq"].replayable == 0 and runs["sqs"].replayable == 0


def test_only_the_log_keeps_per_key_order(comparison):
    _, runs = comparison
    assert runs["kafka"].audit.order_held
    assert not runs["rabbitmq"].audit.order_held and not runs["sqs"].audit.order_held


def test_what_a_slow_consumer_causes(comparison):
    _, runs = comparison
    kafka, rabbit, sqs = runs["kafka"], runs["rabbitmq"], runs["sqs"]
    for run in runs.values():
        assert run.audit.lost == 0                     # all three are at-least-once here
    # Kafka: the slow consumer keeps its partition, so the whole run waits for it.
    assert kafka.finished_at > 1.5 * max(rabbit.finished_at, sqs.finished_at)
    # RabbitMQ: prefetch bounds what the slow one holds; the fast one does most of the work.
    assert rabbit.by_consumer["c2"] < rabbit.by_consumer["c1"]
    # SQS: the slow consumer's messages time out and are processed twice.
    assert sqs.audit.duplicated > 0 and kafka.audit.duplicated == 0


def test_the_comparison_table_names_every_model(comparison):
    table, _ = comparison
    assert [row[0] for row in table.rows] == ["kafka", "rabbitmq", "sqs"]


def test_run_model_bad_input():
    with pytest.raises(ValueError, match="model must be one of"):
        run_model("kinesis")
