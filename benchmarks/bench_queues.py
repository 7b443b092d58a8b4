"""Message-queue throughput: records per second through publish -> poll -> commit.

Two set-ups, both printed with their workload sizes:

* **in memory** (``MemoryBroker``, no simulation): a producer publishes a
  batch of ``BATCH`` keyed records, one consumer polls until nothing is left
  and commits after each poll; repeated until ``RECORDS`` records went
  through. For a topic of 1 partition and of 8 partitions.
* **simulated cluster** (``build_pipeline``): a producer, a broker and two
  consumers on the simulator, at-least-once, no faults. Reported as wall-clock
  records per second (how fast the simulator runs the pipeline) and, for
  reference, the virtual throughput the simulated consumers reached.

These are the course code's own speeds on this machine, not claims about
Kafka, RabbitMQ or SQS: real brokers' figures depend on hardware, batching,
replication and durability settings. Run with ``make bench`` or
``python benchmarks/bench_queues.py``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dscourse.queues import MemoryBroker, build_pipeline  # noqa: E402

RECORDS = 200_000
BATCH = 500


def in_memory(partitions: int, records: int, batch: int) -> float:
    broker = MemoryBroker()
    broker.create_topic("orders", partitions)
    consumer = broker.consumer("bench", topics="orders")
    keys = [f"user-{i}" for i in range(1000)]
    done = 0
    start = time.perf_counter()
    while done < records:
        for i in range(batch):
            broker.publish("orders", keys[(done + i) % 1000], done + i)
        got = consumer.poll(batch)
        while got:
            done += len(got)
            consumer.commit()
            got = consumer.poll(batch)
    elapsed = time.perf_counter() - start
    lag = sum(broker.group("bench").lag(broker.log).values())
    assert done == records and lag == 0, (done, lag)
    return records / elapsed


def simulated(messages: int, partitions: int = 4, consumers: int = 2) -> tuple:
    pipe = build_pipeline(1, messages=messages, partitions=partitions, consumers=consumers,
                          interval=0.5, keys=64, process_time=1.0, max_records=20)
    start = time.perf_counter()
    finished = pipe.run(limit=10 * messages)
    elapsed = time.perf_counter() - start
    audit = pipe.audit()
    assert finished and audit.once == messages, audit.summary()
    return messages / elapsed, messages / (pipe.sim.now / 1000.0), pipe.sim.events_processed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--sim-messages", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    gc.collect()
    print(f"in memory: publish -> poll -> commit, {args.records:,} records, "
          f"batches of {BATCH}, 1 consumer (best of {args.rounds})")
    rates = {}
    for partitions in (1, 8):
        rates[partitions] = max(in_memory(partitions, args.records, BATCH) for _ in range(args.rounds))
        print(f"  {partitions} partition(s): {rates[partitions]:>12,.0f} records/s")
    print(f"  8 vs 1 partitions: ratio {rates[8] / rates[1]:.2f}")
    print(f"simulated cluster: 1 producer -> broker -> 2 consumers, 4 partitions, at-least-once, "
          f"{args.sim_messages:,} messages (best of {args.rounds})")
    best = max((simulated(args.sim_messages) for _ in range(args.rounds)), key=lambda r: r[0])
    wall, virtual, events = best
    print(f"  wall clock: {wall:>12,.0f} records/s ({events:,} simulator events)")
    print(f"  virtual   : {virtual:>12,.0f} records/s of simulated time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
