"""Replaying a schedule of the explorer on the real simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..events import DELIVER, TIMER
from ..latency import Constant
from ..node import Node
from ..simulator import Simulator
from ..validate import check_known
from .values import state_text
from .world import Step, _build_nodes


def replay(build: Callable[[], Iterable[Node]], schedule: Iterable[Step], *,
           invariants: Mapping[str, Callable] | None = None, seed: int = 0) -> Simulator:
    """Run ``schedule`` on a real ``Simulator`` and return it (its trace, violations).

    The explorer's choices become the simulator's events: each step takes one
    millisecond of virtual time (a timer fires no earlier than it was due).
    """
    sim = Simulator(seed=seed, latency=Constant(1.0))
    nodes = _build_nodes(build)
    for node in nodes:
        sim.add_node(node)
    for name, pred in sorted((invariants or {}).items()):
        sim.add_invariant(name, lambda s, p=pred: p(dict(s.nodes)))
    sim.run(max_events=len(nodes))          # the boots, all at time 0
    pool: list = []
    _drain(sim, pool)
    for i, step in enumerate(schedule):
        if not isinstance(step, Step):
            raise TypeError(f"schedule[{i}] must be a Step, got {step!r}")
        check_known(f"schedule[{i}].node", step.node, sim.node_ids)
        if step.kind == "restart":
            sim.now += 1.0
            sim.crash(step.node)
            sim.recover(step.node)
            for v in sim.monitor.check(sim):
                sim._record("violation", None, None, None, (v.name, v.message))
            _drain(sim, pool)
            continue
        event = _find(sim, pool, step)
        if event is None:
            raise RuntimeError(f"replay diverged at schedule[{i}] ({step.describe()}): no such "
                               f"pending event; is the protocol deterministic?")
        if step.kind == "drop":
            pool.remove(event)
            sim.now += 1.0
            sim._record("drop", event[4], event[3], event[6], "loss")
            continue
        if step.kind == "duplicate":
            sim._record("dup", event[4], event[3], event[6], None)
            event = event[:1] + (next(sim._counter),) + event[2:]
        else:
            pool.remove(event)
        when = max(sim.now + 1.0, event[0]) if step.kind == "timer" else sim.now + 1.0
        sim._heap.append((when,) + event[1:])
        sim.run(max_events=1)
        _drain(sim, pool)
    return sim


def _drain(sim: Simulator, pool: list) -> None:
    """Move the simulator's pending events into ``pool`` (the explorer decides their order)."""
    pool.extend(sim._heap)
    del sim._heap[:]          # in place: contexts hold this very list
    pool.sort(key=lambda e: e[1])


def _find(sim: Simulator, pool: list, step: Step):
    for event in pool:
        kind, a = event[2], event[3]
        if a != step.node:
            continue
        if step.kind == "timer":
            if (kind == TIMER and event[4] in sim._timers
                    and event[6] == sim._incarnation[a]
                    and state_text(event[5][:2]) == step.detail):
                return event
        elif kind == DELIVER and event[4] == step.peer and state_text(event[5]) == step.detail:
            return event
    return None
