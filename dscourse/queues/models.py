"""Kafka, RabbitMQ and SQS side by side: three runnable configurations.

The course text compares the three in a table of claims. Here each is a
configuration on the simulator, run on the same workload (one producer,
messages with a few keys) and the same faults, and audited the same way:

* ``kafka``: the partitioned log (``sim.py``): consumers pull, each partition
  has one consumer of the group, offsets are committed after processing;
* ``rabbitmq``: the acked queue (``broker_queue.py``): the broker pushes up to
  ``prefetch`` messages per consumer, a message is deleted on ack;
* ``sqs``: the visibility-timeout queue (``visibility.py``): consumers pull,
  a message reappears unless deleted within ``visibility_timeout``.

The table then *measures* the rows the text asserts: can a new reader replay
what was consumed, is per-key order kept, what is lost or repeated, and what a
slow consumer does (Kafka: its partitions lag while the others idle;
RabbitMQ: the others take over its share; SQS: its messages time out and are
processed twice). The text's throughput row (millions, tens of thousands,
thousands of messages per second) is not reproduced: such figures depend on
hardware, message size, batching, replication and durability settings, and
are folklore rather than properties of the models.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..sim import FaultPlan, Simulator, Uniform
from ..sim.rng import Seed
from ..sim.table import format_table
from ..sim.validate import check_choice, check_int
from .audit import Audit, Produced, audit
from .broker_queue import AckQueueBroker, AckQueueConsumer
from .delivery import Sink
from .producer import ProducerNode
from .sim import BROKER, TOPIC, build_pipeline, workload
from .visibility import VisibilityBroker, VisibilityConsumer

MODELS = ("kafka", "rabbitmq", "sqs")
CONSUMER_MODEL = {"kafka": "pull, one consumer per partition", "rabbitmq": "push, prefetch-limited",
                  "sqs": "pull, visibility timeout"}


@dataclass
class ModelRun:
    model: str
    sim: Simulator
    sink: Sink
    audit: Audit
    finished_at: float | None        # when every message had taken effect at least once
    replayable: int                  # messages a brand-new reader can still get afterwards
    by_consumer: dict                # consumer -> effects it produced


def run_model(model: str, seed: Seed = 0, *, consumers: int = 2, messages: int = 40, keys: int = 4,
              process_time: float = 5.0, slow: dict | None = None, plan: FaultPlan | None = None,
              partitions: int = 2, prefetch: int = 5, visibility_timeout: float = 50.0,
              limit: float = 10_000.0) -> ModelRun:
    """Run one model on the standard workload; ``slow`` is ``{consumer: process_time}``."""
    check_choice("model", model, MODELS)
    check_int("consumers", consumers, minimum=1)
    slow = dict(slow or {})
    names = [f"c{i}" for i in range(1, consumers + 1)]
    if model == "kafka":
        pipe = build_pipeline(seed, partitions=partitions, consumers=consumers, messages=messages,
                              keys=keys, process_time=process_time, process_times=slow,
                              interval=2.0)
        sim, sink, produced = pipe.sim, pipe.sink, pipe.produced()
    else:
        sim, sink = Simulator(seed=seed, latency=Uniform(1.0, 10.0)), Sink()
        work = workload(1, messages, keys)
        if model == "rabbitmq":
            sim.add_node(AckQueueBroker(BROKER))
        else:
            sim.add_node(VisibilityBroker(BROKER, visibility_timeout=visibility_timeout))
        sim.add_node(ProducerNode("p1", BROKER, TOPIC, work["p1"], interval=2.0, idempotent=False))
        for name in names:
            pt = slow.get(name, process_time)
            if model == "rabbitmq":
                sim.add_node(AckQueueConsumer(name, BROKER, sink, prefetch=prefetch, process_time=pt))
            else:
                sim.add_node(VisibilityConsumer(name, BROKER, sink, process_time=pt))
        produced = [Produced(f"p1-{n}", k, "p1", n) for n, (k, _v) in enumerate(work["p1"])]
    if plan is not None:
        plan.apply(sim)
    wanted = {p.msg_id for p in produced}
    finished_at = None
    while sim.now < limit:
        sim.run(until=min(sim.now + 50.0, limit))
        done = {e[2] for e in sink.effects}
        if finished_at is None and wanted <= done:
            finished_at = _first_time_all(sink.effects, wanted)
        if finished_at is not None and _quiet(model, sim):
            break
    records = []
    if model == "kafka":
        log = sim.node(BROKER).log
        records = [r for tp in log.topic_partitions([TOPIC]) for r in log.partition(tp).records]
    result = audit(produced, sink.effects, sink.processed, records)
    return ModelRun(model, sim, sink, result, finished_at, _replayable(model, sim),
                    dict(sorted(Counter(e[1] for e in sink.effects).items())))


def _first_time_all(effects: list, wanted: set) -> float:
    seen: set = set()
    for t, _c, msg_id, _k in effects:
        if msg_id in wanted:
            seen.add(msg_id)
            if len(seen) == len(wanted):
                return t
    return float("nan")


def _quiet(model: str, sim: Simulator) -> bool:
    broker = sim.node(BROKER)
    if model == "kafka":
        gs = broker.group_state("workers")
        return all(gs.committed.get(tp, 0) == broker.log.end_offset(tp)
                   for tp in broker.log.topic_partitions([TOPIC]))
    if model == "rabbitmq":
        return broker.queue.depth == 0 and not broker.queue.unacked
    return broker.queue.depth == 0


def _replayable(model: str, sim: Simulator) -> int:
    """What a new consumer could read now: Kafka keeps the log; the queues deleted it."""
    broker = sim.node(BROKER)
    if model == "kafka":
        return sum(broker.log.end_offset(tp) - broker.log.start_offset(tp)
                   for tp in broker.log.topic_partitions([TOPIC]))
    return broker.queue.depth


def compare_models(seed: Seed = 0, *, slow_consumer: str | None = "c2", slow_time: float = 40.0,
                   crash: bool = True, **options: Any) -> tuple:
    """Run the three models on the same workload and faults: ``(table, {model: ModelRun})``.

    ``slow_consumer`` processes each message in ``slow_time`` ms instead of 5; with
    ``crash``, consumer c1 crashes at 60 ms and restarts 200 ms later.
    """
    slow = {slow_consumer: slow_time} if slow_consumer else {}
    runs = {}
    for model in MODELS:
        plan = FaultPlan().crash_for("c1", at=60.0, duration=200.0) if crash else None
        runs[model] = run_model(model, seed, slow=slow, plan=plan, **options)
    rows = []
    for model, run in runs.items():
        a = run.audit
        share = (f"{run.by_consumer.get(slow_consumer, 0)}/{sum(run.by_consumer.values())}"
                 if slow_consumer else "-")
        rows.append((model, CONSUMER_MODEL[model], run.replayable, a.lost, a.duplicated,
                     len(a.order_violations), share,
                     "-" if run.finished_at is None else round(run.finished_at)))
    table = format_table(["model", "consumers", "replayable after", "lost", "duplicated",
                          "order violations", "slow consumer's effects", "all done at (ms)"], rows)
    return table, runs
