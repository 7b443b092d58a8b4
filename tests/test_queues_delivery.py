"""Delivery guarantees on the simulator, audited: scenarios, mutants and crash-schedule sweeps."""

import pytest

from dscourse.queues import build_pipeline, crash_schedule, run_audited
from dscourse.queues.sim import BROKER, SWEEP
from dscourse.sim import FaultPlan
from dscourse.sim.rng import make_rng

from .conftest import sweep

FAST = SWEEP


def mid_batch_crash_plan(guarantee):
    """Crash c1 right after its 2nd processed record of a batch (read from a fault-free run's
    trace), recover it 100 ms later: between processing and committing for at-least-once,
    between committing and the end of processing for at-most-once."""
    pipe = build_pipeline(0, consumers=1, partitions=1, messages=10, interval=0.0,
                          guarantee=guarantee)
    pipe.run()
    processed = [r.time for r in pipe.sim.trace.select("timer", node="c1") if r.data == "process"]
    at = round(processed[1] + 1.0, 3)
    return FaultPlan().crash("c1", at=at).recover("c1", at=at + 100.0)


@pytest.mark.parametrize("guarantee", ["at-least-once", "at-most-once"])
def test_a_crash_between_processing_and_committing(guarantee):
    plan = mid_batch_crash_plan(guarantee)
    pipe, audit, finished = run_audited(0, plan, consumers=1, partitions=1, messages=10,
                                        interval=0.0, guarantee=guarantee)
    assert finished
    if guarantee == "at-least-once":
        # The two records processed before the crash were not committed: done again.
        assert (audit.lost, audit.duplicated) == (0, 2)
        assert sorted(m for m, n in audit.effects.items() if n == 2) == ["p1-0", "p1-1"]
    else:
        # The batch was committed first: the 3 records the crash interrupted are never done.
        assert audit.duplicated == 0 and audit.lost == 3
        assert sorted(m for m, n in audit.effects.items() if n == 0) == []
        assert {p.msg_id for p in audit.produced} - set(audit.effects) == {"p1-2", "p1-3", "p1-4"}
        assert audit.holds("at-most-once") and not audit.holds("at-least-once")


@pytest.mark.parametrize("via", ["dedup", "transaction"])
def test_exactly_once_effects_under_the_same_crash(via):
    plan = mid_batch_crash_plan("at-least-once")
    _, audit, finished = run_audited(0, plan, consumers=1, partitions=1, messages=10, interval=0.0,
                                     guarantee="exactly-once", via=via)
    assert finished and audit.holds("exactly-once") and audit.once == 10
    # Delivery was not exactly once: records were processed again, their effects were not.
    assert audit.redelivered >= 2


def test_same_seed_and_plan_give_the_same_trace():
    digests = set()
    for _ in range(2):
        pipe, _, _ = run_audited(7, crash_schedule(7), **FAST)
        digests.add(pipe.sim.trace.digest())
    assert len(digests) == 1
    other, _, _ = run_audited(8, crash_schedule(7), **FAST)
    assert other.sim.trace.digest() not in digests


# -- sweeps over crash schedules: consumer crashes, message loss, producer retries, broker restarts --
def sweep_guarantee(guarantee, seeds, configure):
    """Run every schedule; return how many runs showed each symptom. Fails on the first broken run."""
    seen = {"lost": 0, "duplicated": 0, "redelivered": 0, "producer duplicates": 0, "retries": 0}
    for seed in range(seeds):
        plan = crash_schedule(seed)
        options = configure(seed)
        pipe, audit, finished = run_audited(seed, plan, guarantee=guarantee, **options, **FAST)
        if not (finished and audit.holds(guarantee) and audit.order_held):
            pytest.fail(f"{guarantee} broken (finished={finished}): {audit.summary()}, "
                        f"reorders {audit.order_violations}; replay with seed={seed}, "
                        f"options={options} and\n{plan.to_code()}")
        summary = audit.summary()
        for k in ("lost", "duplicated", "redelivered", "producer duplicates"):
            seen[k] += summary[k] > 0
        seen["retries"] += pipe.sim.node("p1").retries > 0
    return seen


@pytest.mark.sweep
def test_sweep_at_least_once_loses_nothing():
    n = sweep(1000)
    seen = sweep_guarantee("at-least-once", n, lambda s: {"idempotent": s % 2 == 0})
    # The schedules bite: crashes made duplicates, and producers retried.
    assert seen["duplicated"] > n // 20 and seen["retries"] > n // 4
    assert seen["producer duplicates"] > 0


@pytest.mark.sweep
def test_sweep_at_most_once_duplicates_nothing():
    n = sweep(1000)
    seen = sweep_guarantee("at-most-once", n, lambda s: {"idempotent": True})
    assert seen["lost"] > n // 20 and seen["retries"] > n // 4


@pytest.mark.sweep
def test_sweep_exactly_once_neither_loses_nor_duplicates():
    n = sweep(1000)
    # Even seeds: dedup on the message id, with a producer that duplicates on retry.
    # Odd seeds: output and offsets in one transaction (needs the idempotent producer).
    seen = sweep_guarantee("exactly-once", n, lambda s: {"via": "dedup", "idempotent": False}
                           if s % 2 == 0 else {"via": "transaction", "idempotent": True})
    assert seen["redelivered"] > n // 20 and seen["producer duplicates"] > 0


# -- mutants: the audit catches each wrong design -----------------------------------------------------
def first_failure(seeds, guarantee, **options):
    for seed in range(seeds):
        _, audit, _ = run_audited(seed, crash_schedule(seed), guarantee=guarantee, **options, **FAST)
        if not audit.holds(guarantee) or not audit.order_held:
            return seed, audit
    return None, None


@pytest.mark.parametrize("guarantee, options, symptom", [
    # at-most-once consumers cannot undo a producer's retry duplicates
    ("at-most-once", {"idempotent": False}, "duplicated"),
    # a dedup key made of the offset misses duplicates appended at another offset
    ("exactly-once", {"via": "dedup", "dedup_key": "offset", "idempotent": False}, "duplicated"),
    # transactional offsets do not help against the producer's duplicates either
    ("exactly-once", {"via": "transaction", "idempotent": False}, "duplicated"),
])
def test_wrong_designs_are_caught_by_the_audit(guarantee, options, symptom):
    seed, audit = first_failure(200, guarantee, **options)
    assert seed is not None, f"no schedule broke {guarantee} with {options}"
    assert audit.summary()[symptom] > 0


def test_ignoring_keys_breaks_per_key_order_and_the_audit_sees_it():
    broken = 0
    for seed in range(10):
        _, audit, finished = run_audited(seed, None, ignore_keys=True, messages=30, interval=3.0)
        assert finished and audit.holds("at-least-once")
        broken += not audit.order_held
    assert broken >= 5
    _, keyed, _ = run_audited(0, None, messages=30, interval=3.0)
    assert keyed.order_held


def pause_plan(seed, freeze):
    rng = make_rng(seed)
    plan = FaultPlan()
    for _ in range(2):
        plan.pause(rng.choice(["c1", "c2"]), at=round(rng.uniform(0, 300), 1),
                   duration=round(rng.uniform(100, 600), 1), freeze_clock=freeze)
    return plan


def test_a_paused_consumer_with_a_frozen_clock_is_a_zombie():
    """The lease keeps a slow consumer from processing after it lost its partitions, as long
    as its clock runs. A pause that freezes the clock (a GC pause, a VM migration) defeats it:
    at-most-once processing then runs out of order; transactions stay fenced."""
    def order_breaks(freeze, guarantee, via="dedup"):
        return sum(not run_audited(s, pause_plan(s, freeze), guarantee=guarantee, via=via,
                                   **FAST)[1].order_held for s in range(60))
    assert order_breaks(False, "at-most-once") == 0
    assert order_breaks(True, "at-most-once") > 0
    assert order_breaks(True, "exactly-once", "transaction") == 0


# -- group protocol on the simulator ------------------------------------------------------------------
def test_adding_and_killing_consumers_rebalances():
    pipe = build_pipeline(3, consumers=1, partitions=4, messages=0)
    pipe.run(until=200)
    assert pipe.assignment() == {"c1": ["orders-0", "orders-1", "orders-2", "orders-3"]}
    pipe.add_consumer()
    pipe.run(until=500)
    assert pipe.assignment() == {"c1": ["orders-0", "orders-1"], "c2": ["orders-2", "orders-3"]}
    g = pipe.generation()
    pipe.sim.crash("c1")                       # never comes back: missed heartbeats
    pipe.run(until=1200)
    assert pipe.assignment() == {"c2": ["orders-0", "orders-1", "orders-2", "orders-3"]}
    assert pipe.generation() == g + 1
    reasons = [r.data.get("reason") for r in pipe.sim.trace.select("state", node=BROKER)
               if "reason" in r.data]
    assert reasons[-1] == "c1 missed heartbeats"


def test_broker_restart_keeps_the_log_and_committed_offsets():
    plan = FaultPlan().crash_for(BROKER, at=150.0, duration=50.0)
    pipe, audit, finished = run_audited(2, plan, **FAST)
    assert finished and audit.holds("at-least-once")
    gs = pipe.broker.group_state("workers")
    assert sum(gs.committed.values()) == sum(pipe.broker.log.end_offset(tp)
                                             for tp in pipe.broker.log.topic_partitions())
    assert pipe.sim.trace.count("recover", BROKER) == 1


def test_idempotent_producer_appends_each_message_once_despite_retries():
    plan = FaultPlan().set_network(at=0, src=BROKER, dst="p1", loss=1.0) \
        .set_network(at=200, src=BROKER, dst="p1", loss=0.0)
    for idempotent in (True, False):
        pipe, audit, _ = run_audited(0, plan, idempotent=idempotent, **FAST)
        assert pipe.sim.node("p1").retries > 0
        assert (audit.producer_duplicates == 0) == idempotent


def test_pipeline_bad_input():
    with pytest.raises(ValueError, match="partitions must be at least 1"):
        build_pipeline(partitions=0)
    with pytest.raises(ValueError, match="guarantee must be one of"):
        build_pipeline(guarantee="twice")
    with pytest.raises(ValueError, match="via must be one of"):
        build_pipeline(guarantee="exactly-once", via="magic")
    with pytest.raises(TypeError, match="topics must be a non-empty dict"):
        from dscourse.queues import BrokerNode
        BrokerNode("b", {}, {})
    with pytest.raises(ValueError, match="not a known topic"):
        from dscourse.queues import BrokerNode
        BrokerNode("b", {"orders": 1}, {"g": ["nope"]})


def test_a_consumer_of_an_unknown_group_gets_a_clear_log_line():
    from dscourse.queues import ConsumerNode, Sink
    pipe = build_pipeline(0, consumers=0, messages=0)
    pipe.sim.add_node(ConsumerNode("lost", BROKER, "no-such-group", Sink()))
    pipe.run(until=100)
    logs = [r.data for r in pipe.sim.trace.select("log", node=BROKER)]
    assert any("unknown group 'no-such-group'" in line for line in logs)


def test_the_notebooks_demo_schedule_shows_all_three_behaviours():
    from dscourse.queues.sim import DEMO, demo_schedule
    results = {}
    for name, options in {"amo": dict(guarantee="at-most-once"),
                          "alo": dict(guarantee="at-least-once"),
                          "dedup": dict(guarantee="exactly-once", via="dedup"),
                          "txn": dict(guarantee="exactly-once", via="transaction")}.items():
        _, audit, finished = run_audited(0, demo_schedule(), **options, **DEMO)
        assert finished
        results[name] = audit
    assert results["amo"].lost > 0 and results["amo"].duplicated == 0
    assert results["alo"].lost == 0 and results["alo"].duplicated > 0
    for name in ("dedup", "txn"):
        assert results[name].once == 40 and results[name].redelivered > 0
