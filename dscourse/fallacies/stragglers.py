"""Fallacy 8a: "the network is homogeneous": nodes are not all equally fast.

A coordinator splits a job of ``units`` units of work over workers whose
speeds differ (one old machine works at a tenth of the others' speed). A
worker that receives ``Task(units)`` is busy for ``units / speed`` ms, then
reports ``Done``.

* **static split**: every worker gets an equal share up front. The job ends
  when the slowest worker ends: the straggler sets the pace, and the fast
  workers sit idle for most of the run.
* **pull (work queue)**: work goes out in small chunks; a worker that reports
  ``Done`` gets the next chunk. Fast workers take more chunks; the job ends
  close to ``units / sum(speeds)``. The cost is one extra round trip per chunk
  (fallacies 2 and 7): chunks should be large enough to amortise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Constant, Node
from ..sim.rng import Seed
from ..sim.table import TextTable, format_table
from ..sim.validate import check_int, check_number
from .common import build_sim, run_seed


@dataclass(frozen=True)
class Task:
    units: int


@dataclass(frozen=True)
class Done:
    units: int


class Worker(Node):
    """Does ``units`` of work in ``units / speed`` ms, one task at a time."""

    def __init__(self, node_id: Any, speed: float = 1.0):
        super().__init__(node_id)
        self.speed = check_number("speed", speed, minimum=0.0, strict_min=True)
        self.busy: list[tuple] = []       # (start, end) of each task
        self.done_units = 0

    def on_task(self, src, msg: Task) -> None:
        took = msg.units / self.speed
        now = self.ctx.clock()
        self.busy.append((now, now + took))
        self.ctx.set_timer(took, "done", (src, msg.units))

    def on_timer(self, name: str, payload: Any) -> None:
        src, units = payload
        self.done_units += units
        self.ctx.send(src, Done(units))


class Coordinator(Node):
    """Hands out ``units`` of work: all at once in equal shares, or in ``chunk``-sized pieces."""

    def __init__(self, node_id: Any, workers: Sequence, units: int, chunk: int | None = None):
        super().__init__(node_id)
        self.workers = tuple(workers)
        self.units = check_int("units", units, minimum=1)
        self.chunk = None if chunk is None else check_int("chunk", chunk, minimum=1)
        self.handed_out = 0
        self.finished = 0
        self.finished_at: float | None = None

    def on_start(self) -> None:
        if self.chunk is None:          # static: equal shares, the remainder to the first ones
            share, extra = divmod(self.units, len(self.workers))
            for i, w in enumerate(self.workers):
                self._give(w, share + (1 if i < extra else 0))
        else:
            for w in self.workers:
                self._give(w, self.chunk)

    def _give(self, worker: Any, units: int) -> None:
        units = min(units, self.units - self.handed_out)
        if units > 0:
            self.handed_out += units
            self.ctx.send(worker, Task(units))

    def on_done(self, src, msg: Done) -> None:
        self.finished += msg.units
        if self.finished == self.units:
            self.finished_at = self.ctx.clock()
        elif self.chunk is not None:
            self._give(src, self.chunk)     # pull: whoever is free gets the next piece


@dataclass(frozen=True)
class StragglerRun:
    strategy: str
    makespan: float
    speeds: dict
    busy: dict              # worker -> ((start, end), ...)
    done_units: dict

    def utilisation(self, worker: str) -> float:
        return sum(e - s for s, e in self.busy[worker]) / self.makespan


@dataclass(frozen=True)
class StragglerResult:
    runs: tuple
    units: int
    ideal: float            # units / sum(speeds): no idle time at all

    def __getitem__(self, strategy: str) -> StragglerRun:
        for r in self.runs:
            if r.strategy == strategy:
                return r
        raise ValueError(f"strategy must be one of {[r.strategy for r in self.runs]}, "
                         f"got {strategy!r}")

    def table(self) -> TextTable:
        workers = sorted(self.runs[0].speeds)
        rows = []
        for r in self.runs:
            rows.append([r.strategy, round(r.makespan, 1)]
                        + [f"{r.done_units[w]} ({100 * r.utilisation(w):.0f}%)" for w in workers])
        return format_table(["strategy", "job time (ms)"]
                            + [f"{w} x{self.runs[0].speeds[w]:g}" for w in workers], rows,
                            title=f"{self.units} units of work; cells: units done (busy %); "
                                  f"ideal {self.ideal:.1f} ms")


SPEEDS = {"w1": 1.0, "w2": 1.0, "w3": 1.0, "w4": 0.1}


def straggler_experiment(seed: Seed = None, *, units: int = 1200, chunk: int = 10,
                         speeds: dict | None = None, latency: float = 1.0) -> StragglerResult:
    """The same job split statically and pulled in ``chunk``s, on workers of ``speeds``."""
    speeds = SPEEDS if speeds is None else speeds
    if not isinstance(speeds, dict) or not speeds:
        raise TypeError(f"speeds must be a non-empty dict of worker -> speed, got {speeds!r}")
    seed = run_seed(seed)
    runs = []
    for strategy, c in (("static split", None), ("pull chunks", chunk)):
        workers = [Worker(w, speeds[w]) for w in sorted(speeds)]
        coord = Coordinator("coord", sorted(speeds), units, c)
        sim = build_sim(seed, [coord] + workers, latency=Constant(latency))
        sim.run()
        runs.append(StragglerRun(strategy, coord.finished_at, dict(speeds),
                                 {w.node_id: tuple(w.busy) for w in workers},
                                 {w.node_id: w.done_units for w in workers}))
    return StragglerResult(tuple(runs), units, units / sum(speeds.values()))
