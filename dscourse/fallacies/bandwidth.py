"""Fallacy 3: "bandwidth is infinite".

A link carries ``bandwidth`` bytes per ms, so a packet of ``size`` bytes takes
``size / bandwidth`` ms to put on the wire (its *service time*). A sender
offers packets at random (Poisson) times at an average rate chosen so that
the *offered load* ``rho = rate * size / bandwidth`` runs from well under
1 to well over 1. Packets that find the link busy wait in its queue.

* Below capacity the queueing delay is finite but grows without bound as
  ``rho`` approaches 1. For Poisson arrivals and a fixed service time (the
  M/D/1 queue) the mean wait is ``rho * service / (2 * (1 - rho))``: 50% load
  waits half a service time, 90% waits 4.5, 99% waits 49.5. The knee of the
  curve is the reason links are run well below 100%.
* Past capacity there is no steady state: the queue, and the delay, grow for
  as long as the overload lasts. A bounded queue (``queue_limit``) keeps the
  delay bounded by dropping what does not fit: about ``1 - 1/rho`` of the
  traffic. Either way, more load does not get more through.

The simulator's network applies the queue: ``FaultPlan().set_network(...,
bandwidth=..., queue_limit=...)``. Packets say their own size (``size_bytes``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Constant, FaultPlan, Node
from ..sim.rng import Seed, derive_rng
from ..sim.table import TextTable, format_table
from ..sim.validate import check_delay, check_int, check_number
from .common import build_sim, mean, percentile, run_seed


@dataclass(frozen=True)
class Packet:
    n: int
    size_bytes: int     # what dscourse.sim.message_size charges the link


class PoissonSender(Node):
    """Sends ``count`` packets to ``dst`` at exponential gaps (mean ``1/rate`` ms)."""

    def __init__(self, node_id: Any, dst: Any, rate: float, size: int, count: int):
        super().__init__(node_id)
        self.dst = dst
        self.rate = check_number("rate", rate, minimum=0.0, strict_min=True)
        self.size = check_int("size", size, minimum=1)
        self.count = check_int("count", count, minimum=1)
        self.sent = 0

    def on_start(self) -> None:
        self.ctx.set_timer(self.ctx.rng.expovariate(self.rate), "send")

    def on_timer(self, name: str, payload: Any) -> None:
        self.ctx.send(self.dst, Packet(self.sent, self.size))
        self.sent += 1
        if self.sent < self.count:
            self.ctx.set_timer(self.ctx.rng.expovariate(self.rate), "send")


class Sink(Node):
    def __init__(self, node_id: Any):
        super().__init__(node_id)
        self.received = 0

    def on_packet(self, src, msg: Packet) -> None:
        self.received += 1


def md1_wait(load: float, service: float) -> float:
    """Mean queueing wait of an M/D/1 queue (Pollaczek-Khinchine); infinite at load >= 1."""
    if load >= 1.0:
        return math.inf
    return load * service / (2.0 * (1.0 - load))


@dataclass(frozen=True)
class LoadPoint:
    load: float
    sent: int
    delivered: int
    dropped: int
    send_times: tuple          # of the delivered packets, in send order
    waits: tuple               # their queueing delays (ms): total - service - latency
    theory: float              # M/D/1 mean wait (inf past capacity)

    @property
    def mean_wait(self) -> float:
        return mean(self.waits) if self.waits else math.nan

    @property
    def p99_wait(self) -> float:
        return percentile(self.waits, 99) if self.waits else math.nan

    @property
    def drop_rate(self) -> float:
        return self.dropped / self.sent

    @property
    def throughput(self) -> float:
        """Delivered packets as a share of what the link can carry in the same time."""
        return self.delivered / self.sent * self.load


@dataclass(frozen=True)
class QueueingResult:
    points: tuple
    bandwidth: float
    size: int
    queue_limit: int | None
    plan: FaultPlan

    @property
    def service(self) -> float:
        return self.size / self.bandwidth

    def point(self, load: float) -> LoadPoint:
        for p in self.points:
            if p.load == load:
                return p
        raise ValueError(f"load must be one of {[p.load for p in self.points]}, got {load!r}")

    def table(self) -> TextTable:
        rows = []
        for p in self.points:
            theory = "unbounded" if math.isinf(p.theory) else round(p.theory, 1)
            rows.append((f"{100 * p.load:.0f}%", p.sent, p.delivered,
                         f"{100 * p.drop_rate:.1f}%", round(p.mean_wait, 1),
                         round(p.p99_wait, 1), theory))
        limit = "unbounded queue" if self.queue_limit is None else f"queue_limit={self.queue_limit}"
        return format_table(["offered load", "sent", "delivered", "dropped", "mean wait",
                             "p99 wait", "M/D/1 mean"], rows,
                            title=f"queueing delay in ms; service time {self.service:g} ms, "
                                  f"{limit}")


LOADS = (0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5)


def queueing_experiment(seed: Seed = None, *, loads: Sequence[float] = LOADS,
                        bandwidth: float = 100.0, size: int = 1000, count: int = 2000,
                        latency: float = 5.0, queue_limit: int | None = None) -> QueueingResult:
    """Offer ``count`` packets at each load to a ``bandwidth``-limited link; measure waits."""
    bandwidth = check_number("bandwidth", bandwidth, minimum=0.0, strict_min=True)
    size = check_int("size", size, minimum=1)
    count = check_int("count", count, minimum=1)
    latency = check_delay("latency", latency)
    if queue_limit is not None:
        check_int("queue_limit", queue_limit, minimum=1)
    if isinstance(loads, (str, bytes)) or not isinstance(loads, Sequence) or not loads:
        raise TypeError(f"loads must be a non-empty list of numbers, got {loads!r}")
    seed = run_seed(seed)
    service = size / bandwidth
    plan = FaultPlan().set_network(at=0, src="sender", dst="sink", bandwidth=bandwidth,
                                   queue_limit=queue_limit)
    points = []
    for i, load in enumerate(loads):
        load = check_number(f"loads[{i}]", load, minimum=0.0, strict_min=True, maximum=10.0)
        rate = load * bandwidth / size
        sender = PoissonSender("sender", "sink", rate, size, count)
        sim = build_sim(derive_rng(seed, f"load:{i}").getrandbits(32), [sender, Sink("sink")],
                        plan, latency=Constant(latency))
        sim.run()
        sends, waits = [], []
        for m in sim.trace.messages():
            if m.delivered:
                sends.append(m.sent)
                waits.append(max(0.0, m.delivered[0] - m.sent - service - latency))
        points.append(LoadPoint(load, sender.sent, len(waits), sender.sent - len(waits),
                                tuple(sends), tuple(waits), md1_wait(load, service)))
    return QueueingResult(tuple(points), bandwidth, size, queue_limit, plan)
