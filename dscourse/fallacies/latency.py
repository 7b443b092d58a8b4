"""Fallacy 2: "latency is zero" (and its cousin, "latency is a number").

Latency is a *distribution*, and the ones measured in real systems are long
tailed: most requests are fast, a few are very slow. Two experiments:

* **Timeouts against distributions.** A client pings a server (the basics
  ``EchoClient``/``EchoServer``) over links with each latency distribution of
  the simulator and records every round-trip time. We report p50, p99, p99.9
  and the share of requests a timeout set at the *mean* would cut off: zero
  for a constant delay, about a third for a log-normal one. A timeout must be
  chosen from the tail (a high percentile), not from the average.
* **Fan-out amplifies the tail.** A front end sends each request to ``n``
  backends and answers when ``k`` of them have replied. If one backend is
  slower than its p99 1% of the time, a request that waits for all ``n`` is
  slow with probability ``1 - 0.99**n`` (63% for n = 100): the rare case
  becomes the common case (Dean and Barroso, "The Tail at Scale", CACM 2013).
  Waiting for the first ``k < n`` answers cuts the tail off again; the exact
  probability is a binomial tail, computed beside the measurement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..basics import EchoClient, EchoServer, Reply, Request
from ..sim import Constant, Exponential, Latency, LogNormal, Node, Pareto, Uniform
from ..sim.rng import Seed, derive_rng
from ..sim.table import TextTable, format_table
from ..sim.validate import check_int
from .common import build_sim, fraction_over, mean, percentile, run_seed

#: The distributions the notebook compares: each has a median near 10 ms one way.
DISTRIBUTIONS = {
    "constant": Constant(10.0),
    "uniform": Uniform(5.0, 15.0),
    "exponential": Exponential(10.0),
    "lognormal": LogNormal(median=10.0, sigma=1.0),
    "pareto": Pareto(scale=6.0, alpha=1.5),
}

NEVER = 1e12   # a timeout so long that every reply counts (the ping client needs one)


def _latency(name: str, value: Any) -> Latency:
    if not isinstance(value, Latency):
        raise TypeError(f"{name} must be a Latency (Constant, Uniform, Exponential, LogNormal, "
                        f"Pareto), got {value!r} of type {type(value).__name__}")
    return value


@dataclass(frozen=True)
class RttSample:
    """Round-trip times (ms) measured over links with one latency distribution."""
    name: str
    latency: Latency
    rtts: tuple

    @property
    def mean(self) -> float:
        return mean(self.rtts)

    def percentile(self, p: float) -> float:
        return percentile(self.rtts, p)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def p999(self) -> float:
        return self.percentile(99.9)

    @property
    def max(self) -> float:
        return max(self.rtts)

    def timeout_rate(self, timeout: float) -> float:
        """The share of these requests a timeout of ``timeout`` ms would have cut off."""
        return fraction_over(self.rtts, timeout)


def measure_rtts(latency: Latency, seed: Seed = None, *, count: int = 2000,
                 name: str = "") -> RttSample:
    """Ping ``count`` times, one request after another, and keep every round trip."""
    latency = _latency("latency", latency)
    count = check_int("count", count, minimum=1)
    client = EchoClient("client", "server", count=count, interval=0.0, timeout=NEVER)
    sim = build_sim(seed, [client, EchoServer("server")], latency=latency)
    sim.run()
    rtts = tuple(op.complete_time - op.invoke_time for op in sim.history.operations()
                 if op.type == "ok")
    return RttSample(name or type(latency).__name__.lower(), latency, rtts)


@dataclass(frozen=True)
class TailLatencyResult:
    samples: tuple

    def __getitem__(self, name: str) -> RttSample:
        for s in self.samples:
            if s.name == name:
                return s
        raise ValueError(f"name must be one of {[s.name for s in self.samples]}, got {name!r}")

    def table(self) -> TextTable:
        rows = [(s.name, round(s.mean, 1), round(s.p50, 1), round(s.p99, 1), round(s.p999, 1),
                 round(s.max, 1), f"{100 * s.timeout_rate(s.mean):.1f}%")
                for s in self.samples]
        return format_table(["distribution", "mean", "p50", "p99", "p99.9", "max",
                             "cut off by timeout=mean"], rows,
                            title=f"round-trip times in ms, {len(self.samples[0].rtts)} "
                                  f"requests each")


def tail_latency_experiment(seed: Seed = None, *, count: int = 2000,
                            distributions: dict | None = None) -> TailLatencyResult:
    """``measure_rtts`` for each distribution (``DISTRIBUTIONS`` by default)."""
    distributions = DISTRIBUTIONS if distributions is None else distributions
    if not isinstance(distributions, dict) or not distributions:
        raise TypeError(f"distributions must be a non-empty dict of name -> Latency, "
                        f"got {distributions!r}")
    seed = run_seed(seed)
    return TailLatencyResult(tuple(measure_rtts(_latency(f"distributions[{name!r}]", lat), seed,
                                                count=count, name=name)
                                   for name, lat in distributions.items()))


# ---------------------------------------------------------------------- fan-out
class FanoutFrontend(Node):
    """Sends each request to every backend; done when ``wait_for`` have answered."""

    def __init__(self, node_id: Any, backends: Sequence, wait_for: int, count: int):
        super().__init__(node_id)
        self.backends = tuple(backends)
        self.wait_for = check_int("wait_for", wait_for, minimum=1, maximum=len(self.backends))
        self.count = check_int("count", count, minimum=1)
        self.n = -1
        self.answers = 0
        self.started = 0.0
        self.latencies: list[float] = []

    def on_start(self) -> None:
        self._next()

    def _next(self) -> None:
        if self.n + 1 >= self.count:
            return
        self.n += 1
        self.answers = 0
        self.started = self.ctx.clock()
        for backend in self.backends:
            self.ctx.send(backend, Request(self.n))

    def on_reply(self, src, msg: Reply) -> None:
        if msg.n != self.n:
            return          # a straggler answering a request already finished
        self.answers += 1
        if self.answers == self.wait_for:
            self.latencies.append(self.ctx.clock() - self.started)
            self._next()


def slow_probability(n: int, k: int, q: float = 0.99) -> float:
    """P(the k-th fastest of n answers is slower than a single answer's q-quantile).

    It is slow when fewer than ``k`` answers beat the quantile; each does so
    with probability ``q``, independently: a binomial tail.
    """
    return sum(math.comb(n, j) * q ** j * (1 - q) ** (n - j) for j in range(k))


@dataclass(frozen=True)
class FanoutRow:
    backends: int
    wait_for: int
    latencies: tuple
    slow_measured: float        # share of requests slower than one backend's p99
    slow_theory: float

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 99)


@dataclass(frozen=True)
class FanoutResult:
    rows: tuple
    single_p99: float           # p99 of one backend's round trip (the "slow" line)
    latency: Latency

    def row(self, backends: int, wait_for: int) -> FanoutRow:
        for r in self.rows:
            if (r.backends, r.wait_for) == (backends, wait_for):
                return r
        raise ValueError(f"(backends, wait_for) must be one of "
                         f"{[(r.backends, r.wait_for) for r in self.rows]}, "
                         f"got {(backends, wait_for)!r}")

    def table(self) -> TextTable:
        rows = [(r.backends, r.wait_for, round(r.p50, 1), round(r.p99, 1),
                 f"{100 * r.slow_measured:.1f}%", f"{100 * r.slow_theory:.1f}%")
                for r in self.rows]
        return format_table(["backends", "wait for", "p50", "p99", "slow (measured)",
                             "slow (theory)"], rows,
                            title=f"request latency in ms; slow = over one backend's p99 "
                                  f"({self.single_p99:.1f} ms)")


def fanout_experiment(seed: Seed = None, *, shapes: Sequence = ((1, 1), (10, 10), (100, 100),
                                                               (100, 95)),
                      count: int = 300, latency: Latency = DISTRIBUTIONS["lognormal"],
                      calibration: int = 5000) -> FanoutResult:
    """Requests fanned out to ``n`` backends, answered after ``k`` replies, per ``(n, k)``.

    "Slow" is measured against the p99 of a single backend's round trip,
    itself measured over ``calibration`` pings on the same latency.
    """
    latency = _latency("latency", latency)
    count = check_int("count", count, minimum=1)
    seed = run_seed(seed)
    checked = []
    for i, shape in enumerate(shapes):
        if not (isinstance(shape, tuple) and len(shape) == 2):
            raise TypeError(f"shapes[{i}] must be a (backends, wait_for) pair, got {shape!r}")
        n = check_int(f"shapes[{i}] backends", shape[0], minimum=1, maximum=1000)
        checked.append((n, check_int(f"shapes[{i}] wait_for", shape[1], minimum=1, maximum=n)))
    single = measure_rtts(latency, derive_rng(seed, "calibration").getrandbits(32),
                          count=check_int("calibration", calibration, minimum=100))
    rows = []
    for i, (n, k) in enumerate(checked):
        backends = [f"b{j:03d}" for j in range(n)]
        front = FanoutFrontend("front", backends, k, count)
        sim = build_sim(seed + i, [front] + [EchoServer(b) for b in backends], latency=latency)
        sim.run()
        lat = tuple(front.latencies)
        rows.append(FanoutRow(n, k, lat, fraction_over(lat, single.p99),
                              slow_probability(n, k, 0.99)))
    return FanoutResult(tuple(rows), single.p99, latency)
