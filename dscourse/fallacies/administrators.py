"""Fallacy 6: "there is one administrator".

Different teams configure different nodes. Here three nodes run the same
heartbeat failure detector (``dscourse.basics.HeartbeatNode``): every
``interval`` ms each node tells every peer it is alive, and suspects a peer it
has not heard from for ``timeout`` ms. Nodes ``a`` and ``b`` beat every 50 ms
and time out after 150 ms. Node ``c``'s administrator, to save bandwidth,
set ``c`` to beat every 200 ms (and, sensibly for itself, a 600 ms timeout).
Each setting is reasonable on its own; together they are wrong: ``a`` and
``b`` hear from ``c`` every 200 ms but give up after 150, so they suspect the
healthy ``c`` in every beat cycle, for ever (a "flapping" detector: in a real
system, a leader re-elected, a replica re-synced, an alert paged, each time).

Two fixes:

* **check configurations together** (``config_conflicts``): a timeout must
  exceed every peer's heartbeat interval with a margin for delay. This is why
  clusters keep settings in one shared, validated place.
* **make the dependency explicit in the protocol**: each heartbeat advertises
  its sender's interval, and the receiver derives its timeout for that peer
  from it (``AdvertisingHeartbeatNode``). A real crash of ``c`` is still
  detected, just on ``c``'s own, slower, time scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..basics import HeartbeatNode
from ..sim import FaultPlan, Simulator, Uniform
from ..sim.rng import Seed
from ..sim.table import TextTable, format_table
from ..sim.validate import check_delay, check_number
from .common import build_sim, run_seed

#: Node -> (heartbeat interval, failure-detection timeout), as each admin set them.
CONFIGS = {"a": (50.0, 150.0), "b": (50.0, 150.0), "c": (200.0, 600.0)}


def config_conflicts(configs: dict, margin: float = 2.0) -> list[str]:
    """Pairs whose settings clash: ``x`` times ``y`` out before ``y`` can beat ``margin`` times.

    ``configs`` maps node -> (interval, timeout). A timeout shorter than
    ``margin`` heartbeat intervals of the peer it watches suspects that peer
    while it is healthy (one late or lost heartbeat is enough).
    """
    if not isinstance(configs, dict) or not configs:
        raise TypeError(f"configs must be a non-empty dict of node -> (interval, timeout), "
                        f"got {configs!r}")
    margin = check_number("margin", margin, minimum=1.0)
    for node, pair in sorted(configs.items()):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"configs[{node!r}] must be an (interval, timeout) pair, got {pair!r}")
    problems = []
    for x in sorted(configs):
        for y in sorted(configs):
            if x == y:
                continue
            timeout = check_delay(f"configs[{x!r}] timeout", configs[x][1])
            interval = check_delay(f"configs[{y!r}] interval", configs[y][0])
            if timeout < margin * interval:
                problems.append(f"{x} suspects {y} after {timeout:g} ms of silence, but {y} "
                                f"beats only every {interval:g} ms (need >= {margin:g} x "
                                f"{interval:g} = {margin * interval:g} ms)")
    return problems


@dataclass(frozen=True)
class AdvertisedHeartbeat:
    sent_at: float
    interval: float     # "I beat every `interval` ms": the receiver sizes its timeout on it


class AdvertisingHeartbeatNode(HeartbeatNode):
    """A ``HeartbeatNode`` whose heartbeats carry the sender's interval.

    The timeout for a peer is ``multiplier`` of that peer's interval (never
    less than this node's own timeout), so no admin has to know what the
    other admins chose.
    """

    multiplier = 3.0

    def __init__(self, node_id: Any, interval: float = 50.0, timeout: float = 160.0):
        super().__init__(node_id, interval=interval, timeout=timeout)
        self.peer_timeout: dict[Any, float] = {}

    def _beat(self) -> None:
        self.ctx.broadcast(AdvertisedHeartbeat(self.ctx.clock(), self.interval))
        self._review()
        self.ctx.set_timer(self.interval, "beat")

    def on_advertised_heartbeat(self, src, msg: AdvertisedHeartbeat) -> None:
        self.peer_timeout[src] = max(self.timeout, self.multiplier * msg.interval)
        self.last_heard[src] = self.ctx.clock()
        self._review()

    def _review(self) -> None:
        now = self.ctx.clock()
        suspects = tuple(sorted(p for p, t in self.last_heard.items()
                                if now - t > self.peer_timeout.get(p, self.timeout)))
        if suspects != self.suspects:
            self.suspects = suspects
            self.ctx.record_state(suspects=list(suspects))


@dataclass(frozen=True)
class Suspicion:
    """One episode: ``observer`` suspected ``target`` from ``start`` to ``end`` (inf: still)."""
    observer: str
    target: str
    start: float
    end: float


def suspicions(sim: Simulator) -> list[Suspicion]:
    """Every suspicion episode, rebuilt from the detectors' recorded states."""
    open_: dict[tuple, float] = {}
    out = []
    for r in sim.trace.select("state"):
        if "suspects" not in r.data:
            continue
        now = set(r.data["suspects"])
        for (obs, tgt), start in sorted(open_.items()):
            if obs == r.node and tgt not in now:
                out.append(Suspicion(obs, tgt, start, r.time))
                del open_[(obs, tgt)]
        for tgt in sorted(now):
            open_.setdefault((r.node, tgt), r.time)
    out.extend(Suspicion(o, t, s, math.inf) for (o, t), s in sorted(open_.items()))
    return sorted(out, key=lambda s: (s.start, s.observer, s.target))


@dataclass(frozen=True)
class ConfigRun:
    detector: str
    nodes: tuple
    episodes: tuple            # every Suspicion
    crash: str
    crash_at: float
    duration: float
    plan: FaultPlan = field(repr=False)

    def false_suspicions(self) -> list[Suspicion]:
        """Episodes that began while the suspected node was alive (before the crash)."""
        return [s for s in self.episodes if s.target != self.crash or s.start < self.crash_at]

    def wrongly_suspected_time(self, target: str) -> float:
        """Share of (observer, time) before the crash during which ``target`` was falsely suspected."""
        observers = [n for n in self.nodes if n != target]
        total = 0.0
        for s in self.false_suspicions():
            if s.target == target:
                total += min(s.end, self.crash_at) - s.start
        return total / (self.crash_at * len(observers))

    def already_suspected(self) -> bool:
        """Was the crashed node already (falsely) suspected when it crashed?"""
        return any(s.target == self.crash and s.start < self.crash_at <= s.end
                   for s in self.episodes)

    def detection_delay(self) -> float:
        """Time from the crash until every other node suspects the crashed one (inf: never)."""
        times = {}
        for s in self.episodes:
            if s.target == self.crash and s.end == math.inf:
                times[s.observer] = max(s.start, self.crash_at)
        observers = [n for n in self.nodes if n != self.crash]
        if any(o not in times for o in observers):
            return math.inf
        return max(times[o] for o in observers) - self.crash_at


def run_config(detector: str, seed: Seed = None, *, configs: dict | None = None,
               crash: str = "c", crash_at: float = 3000.0, duration: float = 4000.0) -> ConfigRun:
    """Three detectors configured per ``configs``; ``crash`` really crashes at ``crash_at``."""
    if detector not in ("fixed", "advertised"):
        raise ValueError(f"detector must be 'fixed' or 'advertised', got {detector!r}")
    configs = CONFIGS if configs is None else configs
    config_conflicts(configs)       # validates the shape and the numbers
    crash_at = check_delay("crash_at", crash_at)
    duration = check_number("duration", duration, minimum=crash_at)
    cls = HeartbeatNode if detector == "fixed" else AdvertisingHeartbeatNode
    nodes = [cls(n, interval=configs[n][0], timeout=configs[n][1]) for n in sorted(configs)]
    plan = FaultPlan().crash(crash, at=crash_at)
    sim = build_sim(run_seed(seed), nodes, plan, latency=Uniform(1.0, 10.0))
    sim.run(until=duration)
    return ConfigRun(detector, tuple(sorted(configs)), tuple(suspicions(sim)), crash, crash_at,
                     duration, plan)


@dataclass(frozen=True)
class ConfigResult:
    runs: tuple
    conflicts: tuple

    def __getitem__(self, detector: str) -> ConfigRun:
        for r in self.runs:
            if r.detector == detector:
                return r
        raise ValueError(f"detector must be one of {[r.detector for r in self.runs]}, "
                         f"got {detector!r}")

    def table(self) -> TextTable:
        rows = []
        for r in self.runs:
            delay = r.detection_delay()
            if math.isinf(delay):
                shown: Any = "never"
            elif r.already_suspected():
                shown = f"{delay:.1f} (already suspected)"
            else:
                shown = round(delay, 1)
            rows.append((r.detector, len(r.false_suspicions()),
                         f"{100 * r.wrongly_suspected_time(r.crash):.0f}%", shown))
        first = self.runs[0]
        return format_table(["heartbeat timeouts", "false suspicions",
                             f"time {first.crash} wrongly suspected",
                             f"{first.crash}'s real crash detected after (ms)"], rows,
                            title=f"{first.crash} is healthy until it crashes at "
                                  f"{first.crash_at:g} ms")


def config_experiment(seed: Seed = None, **options: Any) -> ConfigResult:
    seed = run_seed(seed)
    configs = options.get("configs") or CONFIGS
    return ConfigResult(tuple(run_config(d, seed, **options) for d in ("fixed", "advertised")),
                        tuple(config_conflicts(configs)))
