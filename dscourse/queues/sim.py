"""A producer -> broker -> consumer-group pipeline on the simulator, audited.

``build_pipeline`` puts a ``BrokerNode`` (``"broker"``), producers
(``"p1"``, ...) and consumers (``"c1"``, ...) on one ``Simulator``; faults come
from a ``FaultPlan`` like everywhere else in the course. ``Pipeline.run()``
runs until every message is acknowledged and the group has finished every
partition (or a time limit), and ``Pipeline.audit()`` reads the output store
and the log (``audit.py``).

``crash_schedule(seed, ...)`` draws the fault plans of the sweeps: consumer
crashes (a crash between processing and committing is what tells the
guarantees apart), bursts of message loss on every link (requests, answers
and commits lost), acknowledgements to a producer lost (so it retries) and,
optionally, a broker restart. Every fault ends by ``horizon``, so a correct
pipeline can always finish afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import FaultPlan, Simulator, Uniform, gc_paused
from ..sim.rng import Seed, make_rng
from ..sim.table import TextTable, format_table
from ..sim.validate import check_delay, check_int
from .audit import Audit, Produced, audit
from .broker import BrokerNode
from .consumer import ConsumerNode
from .delivery import Sink, check_guarantee
from .producer import ProducerNode

TOPIC, GROUP, BROKER = "orders", "workers", "broker"
LATENCY = Uniform(1.0, 10.0)


def workload(producers: int, messages: int, keys: int) -> dict:
    """``{producer: [(key, value), ...]}``: message ``n`` of a producer has key ``user-{n % keys}``."""
    check_int("producers", producers, minimum=1)
    check_int("messages", messages, minimum=0)
    check_int("keys", keys, minimum=1)
    return {f"p{i}": [(f"user-{n % keys}", f"p{i}-{n}") for n in range(messages)]
            for i in range(1, producers + 1)}


class Pipeline:
    """A built pipeline: ``sim``, ``sink``, node ids, and helpers to run and audit it."""

    def __init__(self, sim: Simulator, sink: Sink, producers: dict, consumers: list,
                 consumer_options: dict, guarantee: str, process_times: dict | None = None) -> None:
        self.sim, self.sink = sim, sink
        self.messages = producers           # producer id -> [(key, value)]
        self.consumer_ids = list(consumers)
        self.consumer_options = consumer_options
        self.guarantee = guarantee
        self._next_consumer = len(consumers) + 1
        self.process_times = dict(process_times or {})

    @property
    def broker(self) -> BrokerNode:
        return self.sim.node(BROKER)

    def produced(self) -> list[Produced]:
        return [Produced(f"{p}-{n}", key, p, n) for p in sorted(self.messages)
                for n, (key, _value) in enumerate(self.messages[p])]

    def add_consumer(self, name: str | None = None) -> str:
        """Start a new consumer now (it joins the group: a rebalance)."""
        if name is None:
            while f"c{self._next_consumer}" in self.sim.nodes:
                self._next_consumer += 1
            name = f"c{self._next_consumer}"
        options = dict(self.consumer_options)
        if name in self.process_times:
            options["process_time"] = self.process_times[name]
        self.sim.add_node(ConsumerNode(name, BROKER, GROUP, self.sink, **options))
        self.consumer_ids.append(name)
        return name

    # -- progress ----------------------------------------------------------------------------------
    def group_offsets(self) -> dict:
        """Where the group got to per partition: the sink's offsets for transactions,
        else the broker's committed offsets."""
        log = self.broker.log
        tps = log.topic_partitions([TOPIC])
        if self.consumer_options.get("via") == "transaction" and self.guarantee == "exactly-once":
            return {tp: self.sink.offset(tp) for tp in tps}
        gs = self.broker.group_state(GROUP)
        return {tp: gs.committed.get(tp, 0) for tp in tps}

    def lag(self) -> dict:
        log = self.broker.log
        return {tp: log.end_offset(tp) - off for tp, off in self.group_offsets().items()}

    def finished(self) -> bool:
        """Every message acknowledged, every partition finished, no batch in progress."""
        nodes = self.sim.nodes
        if not all(nodes[p].done for p in self.messages):
            return False
        if any(n != 0 for n in self.lag().values()):
            return False
        return not any(nodes[c].batch for c in self.consumer_ids if self.sim.is_up(c))

    def run(self, until: float | None = None, step: float = 100.0, limit: float = 20_000.0) -> bool:
        """Run to ``until``, or (without it) until finished or ``limit`` ms; True if finished."""
        if until is not None:
            self.sim.run(until=until)
            return self.finished()
        # Keep the cyclic garbage collector off for the whole loop, not just each chunk:
        # it would otherwise wake at the end of every chunk (a third of the time).
        with gc_paused():
            while self.sim.now < limit:
                self.sim.run(until=min(self.sim.now + step, limit))
                if self.finished():
                    return True
            return self.finished()

    def audit(self) -> Audit:
        records = [r for tp in self.broker.log.topic_partitions([TOPIC])
                   for r in self.broker.log.partition(tp).records]
        return audit(self.produced(), self.sink.effects, self.sink.processed, records)

    def assignment(self) -> dict:
        """The group's current assignment as ``{member: [partition, ...]}`` (the broker's view)."""
        gs = self.broker.group_state(GROUP)
        return {m: [str(tp) for tp in tps] for m, tps in sorted(gs.assignment.items(), key=str)}

    def generation(self) -> int:
        return self.broker.group_state(GROUP).generation


def build_pipeline(seed: Seed = 0, *, guarantee: str = "at-least-once", via: str = "dedup",
                   dedup_key: str = "msg_id", partitions: int = 2, consumers: int = 2,
                   producers: int = 1, messages: int = 20, keys: int = 4, idempotent: bool = True,
                   interval: float = 5.0, send_times: Sequence[float] | None = None,
                   strategy: str = "range", session_timeout: float = 300.0,
                   latency: Any = LATENCY, loss: float = 0.0,
                   sample_every: float | None = None, retention: dict | None = None,
                   ignore_keys: bool = False, process_times: dict | None = None,
                   **consumer_options: Any) -> Pipeline:
    """Build (not run) an audited pipeline; ``consumer_options`` go to every ``ConsumerNode``
    (``process_time``, ``max_records``, ``heartbeat_interval``, ...). ``ignore_keys``: producers
    scatter messages over random partitions instead of placing them by key. ``process_times``:
    ``{consumer: ms}`` overrides ``process_time`` for some consumers (a slow one)."""
    check_guarantee(guarantee, via, dedup_key)
    check_int("consumers", consumers, minimum=0)
    check_int("partitions", partitions, minimum=1)
    sim = Simulator(seed=seed, latency=latency, loss=loss)
    topic_spec: Any = partitions if not retention else {"partitions": partitions, **retention}
    sim.add_node(BrokerNode(BROKER, {TOPIC: topic_spec}, {GROUP: [TOPIC]}, strategy=strategy,
                            session_timeout=session_timeout, sample_every=sample_every))
    work = workload(producers, messages, keys)
    for pid in sorted(work):
        sim.add_node(ProducerNode(pid, BROKER, TOPIC, work[pid], idempotent=idempotent,
                                  interval=interval, send_times=send_times,
                                  partitions=partitions if ignore_keys else None))
    options = dict(guarantee=guarantee, via=via, dedup_key=dedup_key,
                   session_timeout=session_timeout, **consumer_options)
    sink = Sink()
    pipe = Pipeline(sim, sink, work, [], options, guarantee, process_times)
    for _ in range(consumers):
        pipe.add_consumer()
    return pipe


def crash_schedule(seed: Seed, consumers: Sequence[str] = ("c1", "c2"),
                   producers: Sequence[str] = ("p1",), *, horizon: float = 400.0,
                   crashes: tuple = (1, 3), downtime: tuple = (20.0, 300.0),
                   loss_bursts: tuple = (0, 2), ack_loss: bool = True,
                   broker_crash: float = 0.2) -> FaultPlan:
    """A random fault plan for the sweeps (see the module docstring); ends by ``horizon``."""
    rng = make_rng(seed)
    horizon = check_delay("horizon", horizon)
    consumers, producers = sorted(consumers), sorted(producers)
    plan = FaultPlan()
    down_until: dict = {}
    for _ in range(rng.randint(*crashes) if consumers else 0):
        c = rng.choice(consumers)
        at = round(rng.uniform(0.0, horizon * 0.75), 3)
        if at < down_until.get(c, -1.0):
            continue
        back = round(min(at + rng.uniform(*downtime), horizon), 3)
        plan.crash(c, at=at).recover(c, at=back)
        down_until[c] = back
    for _ in range(rng.randint(*loss_bursts)):
        at = round(rng.uniform(0.0, horizon * 0.75), 3)
        end = round(min(at + rng.uniform(20.0, 120.0), horizon), 3)
        plan.loss(round(rng.uniform(0.1, 0.5), 3), at=at).loss(0.0, at=end)
    if ack_loss and producers:
        # Acknowledgements to one producer vanish for a while: it must retry.
        p = rng.choice(producers)
        at = round(rng.uniform(0.0, horizon * 0.5), 3)
        plan.set_network(at=at, src=BROKER, dst=p, loss=1.0)
        plan.set_network(at=round(at + rng.uniform(30.0, 120.0), 3), src=BROKER, dst=p, loss=0.0)
    if rng.random() < broker_crash:
        at = round(rng.uniform(0.0, horizon * 0.75), 3)
        plan.crash_for(BROKER, at=at, duration=round(rng.uniform(10.0, 100.0), 3))
    return plan


def run_audited(seed: Seed = 0, plan: FaultPlan | None = None, **options: Any) -> tuple:
    """Build a pipeline, apply ``plan``, run it to the end: ``(pipeline, audit, finished)``."""
    pipe = build_pipeline(seed, **options)
    if plan is not None:
        plan.apply(pipe.sim)
    finished = pipe.run()
    return pipe, pipe.audit(), finished


# -- a traffic spike: why a queue helps ------------------------------------------------------------
def spike_send_times(base: int = 40, base_interval: float = 20.0, spike: int = 100,
                     spike_at: float = 200.0, spike_interval: float = 1.0) -> list[float]:
    """Send times: ``base`` messages every ``base_interval`` ms, plus a burst of ``spike``
    messages, one every ``spike_interval`` ms from ``spike_at``."""
    check_int("base", base, minimum=0)
    check_int("spike", spike, minimum=0)
    steady = [i * check_delay("base_interval", base_interval) for i in range(base)]
    burst = [check_delay("spike_at", spike_at) + i * check_delay("spike_interval", spike_interval)
             for i in range(spike)]
    return sorted(steady + burst)


def spike_pipeline(seed: Seed = 0, consumers: int = 1, *, partitions: int = 4,
                   process_time: float = 10.0, sample_every: float = 20.0, **options: Any) -> Pipeline:
    """A pipeline fed by ``spike_send_times()``; consumers take ``process_time`` ms a record."""
    times = spike_send_times()
    return build_pipeline(seed, consumers=consumers, partitions=partitions, messages=len(times),
                          send_times=times, keys=16, process_time=process_time,
                          sample_every=sample_every, max_records=10, **options)


def spike_summary(pipe: Pipeline) -> dict:
    """Peak lag and when, when the lag was back to 0, when the producer had its last ack."""
    totals: dict = {}
    for r in pipe.sim.trace.select("state", node=BROKER):
        if "lag" in r.data:
            totals[r.time] = sum(r.data["lag"].values())
    times = sorted(totals)
    peak_at = max(times, key=lambda t: (totals[t], -t))
    drained = next((t for t in times if t > peak_at and totals[t] == 0), None)
    acks = [r.time for p in pipe.messages for r in pipe.sim.trace.select("deliver", node=p)]
    return {"consumers": len(pipe.consumer_ids), "peak lag": totals[peak_at],
            "peak at (ms)": round(peak_at), "lag back to 0 at (ms)":
            None if drained is None else round(drained), "producer done at (ms)": round(max(acks))}


# -- one schedule for the notebook: the same faults for every guarantee -----------------------------
DEMO = dict(messages=40, interval=5.0, process_time=8.0, max_records=8)


def demo_schedule() -> FaultPlan:
    """Both consumers crash once (each mid-batch) and come back 200 ms later; a burst of
    30% message loss; the producer's acknowledgements lost for 60 ms (it retries)."""
    return (FaultPlan()
            .set_network(at=50.0, src=BROKER, dst="p1", loss=1.0)
            .loss(0.3, at=100.0)
            .set_network(at=110.0, src=BROKER, dst="p1", loss=0.0)
            .loss(0.0, at=160.0)
            .crash("c1", at=180.0).recover("c1", at=380.0)
            .crash("c2", at=330.0).recover("c2", at=530.0))


# -- sweeps: many schedules, every guarantee ----------------------------------------------------------
SWEEP = dict(messages=20, interval=15.0)      # 300 ms of producing: the sweeps' workload

CONFIGS = {
    "at-most-once": dict(guarantee="at-most-once"),
    "at-least-once": dict(guarantee="at-least-once"),
    "exactly-once (dedup)": dict(guarantee="exactly-once", via="dedup"),
    "exactly-once (transaction)": dict(guarantee="exactly-once", via="transaction"),
}


def sweep_guarantees(seeds: Any, configs: dict | None = None, progress: Any = None) -> TextTable:
    """Run every configuration under ``crash_schedule(seed)`` for each seed; count in how
    many schedules something was lost, duplicated, processed twice, or reordered.
    ``progress`` may wrap the seeds (a progress bar given by the notebook)."""
    configs = CONFIGS if configs is None else configs
    seeds = list(seeds)
    counts = {name: [0, 0, 0, 0, 0] for name in configs}
    for seed in (progress(seeds) if progress is not None else seeds):
        plan = crash_schedule(seed)
        for name, options in configs.items():
            _, a, finished = run_audited(seed, plan, **options, **SWEEP)
            c = counts[name]
            c[0] += a.lost > 0
            c[1] += a.duplicated > 0
            c[2] += a.redelivered > 0
            c[3] += not a.order_held
            c[4] += finished
    rows = [[name, len(seeds)] + c for name, c in counts.items()]
    return format_table(["configuration", "schedules", "with a loss", "with a duplicate effect",
                         "processed twice", "order broken", "finished"], rows,
                        title="schedules in which ... happened at least once")
