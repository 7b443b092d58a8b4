"""Fallacy 7: "transport cost is zero".

Every message costs: bytes on the wire (paid for, in the cloud, per byte that
leaves a zone), CPU to encode and decode it, and, if the sender waits for an
answer, a round trip. Two measurements, both counted from the trace:

* **Chatty vs batched.** A writer stores ``updates`` key/value pairs on a
  store, waiting for an acknowledgement before sending the next message
  (as an RPC client does). One pair per message costs a message, a header
  and a round trip per pair; a batch of ``b`` pairs shares them. Bytes are
  ``dscourse.sim.message_size`` (the message's encoded text) plus
  ``HEADER_BYTES`` per message for the IPv4 and TCP headers.
* **All-to-all heartbeats.** With ``n`` nodes each telling every other node
  "I am alive" each interval (``dscourse.basics.HeartbeatNode``), the cluster
  sends ``n * (n - 1)`` messages per interval: quadratic. Doubling the
  cluster quadruples the traffic. (Gossip and SWIM-style protocols keep it
  linear, at the price of slower detection.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..basics import HeartbeatNode
from ..sim import Node, Simulator, Uniform, message_size
from ..sim.rng import Seed
from ..sim.table import TextTable, format_table
from ..sim.validate import check_delay, check_int
from .common import build_sim, run_seed

#: Minimum IPv4 header (20 bytes, RFC 791) plus minimum TCP header (20 bytes, RFC 793).
HEADER_BYTES = 40


@dataclass(frozen=True)
class Put:
    key: str
    value: int


@dataclass(frozen=True)
class PutBatch:
    items: tuple        # ((key, value), ...)


@dataclass(frozen=True)
class Ack:
    count: int


class Store(Node):
    def __init__(self, node_id: Any):
        super().__init__(node_id)
        self.data: dict[str, int] = {}

    def on_put(self, src, msg: Put) -> None:
        self.data[msg.key] = msg.value
        self.ctx.send(src, Ack(1))

    def on_put_batch(self, src, msg: PutBatch) -> None:
        self.data.update(msg.items)
        self.ctx.send(src, Ack(len(msg.items)))


class Writer(Node):
    """Writes ``updates`` pairs in messages of ``batch`` pairs, one message in flight at a time."""

    def __init__(self, node_id: Any, store: Any, updates: int, batch: int = 1):
        super().__init__(node_id)
        self.store = store
        self.updates = check_int("updates", updates, minimum=1)
        self.batch = check_int("batch", batch, minimum=1)
        self.written = 0
        self.finished_at: float | None = None

    def on_start(self) -> None:
        self._send()

    def _send(self) -> None:
        items = tuple((f"key{i:04d}", i * 7 % 1000)
                      for i in range(self.written, min(self.written + self.batch, self.updates)))
        if self.batch == 1:
            self.ctx.send(self.store, Put(*items[0]))
        else:
            self.ctx.send(self.store, PutBatch(items))

    def on_ack(self, src, msg: Ack) -> None:
        self.written += msg.count
        if self.written < self.updates:
            self._send()
        else:
            self.finished_at = self.ctx.clock()


def traffic(sim: Simulator, until: float | None = None) -> tuple[int, int]:
    """(messages, bytes incl. headers) sent in ``sim`` (up to time ``until``)."""
    messages = nbytes = 0
    for r in sim.trace.select("send", until=until):
        if until is not None and r.time >= until:
            continue
        messages += 1
        nbytes += message_size(r.data) + HEADER_BYTES
    return messages, nbytes


@dataclass(frozen=True)
class BatchRow:
    batch: int
    updates: int
    messages: int
    bytes: int
    time: float          # ms until the last update was acknowledged

    @property
    def bytes_per_update(self) -> float:
        return self.bytes / self.updates


@dataclass(frozen=True)
class BatchingResult:
    rows: tuple

    def row(self, batch: int) -> BatchRow:
        for r in self.rows:
            if r.batch == batch:
                return r
        raise ValueError(f"batch must be one of {[r.batch for r in self.rows]}, got {batch!r}")

    def table(self) -> TextTable:
        rows = [(r.batch, r.messages, r.bytes, round(r.bytes_per_update, 1), round(r.time, 1))
                for r in self.rows]
        return format_table(["pairs per message", "messages", "bytes", "bytes per pair",
                             "time (ms)"], rows,
                            title=f"{self.rows[0].updates} key/value writes; bytes include "
                                  f"{HEADER_BYTES} header bytes per message")


def batching_experiment(seed: Seed = None, *, updates: int = 200,
                        batches: Sequence[int] = (1, 10, 100)) -> BatchingResult:
    seed = run_seed(seed)
    rows = []
    for i, b in enumerate(batches):
        b = check_int(f"batches[{i}]", b, minimum=1)
        writer = Writer("writer", "store", updates, b)
        sim = build_sim(seed, [writer, Store("store")], latency=Uniform(1.0, 10.0))
        sim.run()
        messages, nbytes = traffic(sim)
        rows.append(BatchRow(b, updates, messages, nbytes, writer.finished_at))
    return BatchingResult(tuple(rows))


@dataclass(frozen=True)
class HeartbeatRow:
    nodes: int
    messages: int
    bytes: int
    theory: int           # n (n - 1) messages per interval


@dataclass(frozen=True)
class HeartbeatCostResult:
    rows: tuple
    interval: float
    duration: float

    def table(self) -> TextTable:
        per_s = 1000.0 / self.duration
        rows = [(r.nodes, round(r.messages * per_s), round(r.theory * per_s),
                 round(r.bytes * per_s)) for r in self.rows]
        return format_table(["nodes", "messages/s (measured)", "n(n-1) x beats/s", "bytes/s"],
                            rows, title=f"all-to-all heartbeats every {self.interval:g} ms")


def heartbeat_cost_experiment(seed: Seed = None, *, sizes: Sequence[int] = (2, 4, 8, 16, 32),
                              interval: float = 50.0,
                              duration: float = 1000.0) -> HeartbeatCostResult:
    """Messages and bytes all-to-all heartbeating sends in ``duration`` ms, per cluster size."""
    seed = run_seed(seed)
    interval = check_delay("interval", interval)
    duration = check_delay("duration", duration)
    if interval <= 0:
        raise ValueError(f"interval must be greater than 0, got {interval:g}")
    rows = []
    for i, n in enumerate(sizes):
        n = check_int(f"sizes[{i}]", n, minimum=1, maximum=200)
        nodes = [HeartbeatNode(f"n{j:03d}", interval=interval, timeout=3 * interval)
                 for j in range(n)]
        sim = build_sim(seed, nodes, latency=Uniform(1.0, 10.0))
        sim.run(until=duration)
        messages, nbytes = traffic(sim, until=duration)
        beats = -(-duration // interval)           # beats at 0, interval, ... before duration
        rows.append(HeartbeatRow(n, messages, nbytes, int(n * (n - 1) * beats)))
    return HeartbeatCostResult(tuple(rows), interval, duration)
