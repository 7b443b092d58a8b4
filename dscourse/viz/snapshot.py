"""The state of a cluster at one moment, rebuilt from a trace.

``snapshot(trace, at)`` replays the trace's records up to time ``at`` and
returns which nodes exist, whether each is up, crashed, paused or gone, the
latest state each node recorded (``ctx.record_state``), which directed links
are cut, and which messages are in flight. Pure: no plotting here, so tests
and text tables use it as much as drawings do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sim.trace import Trace


@dataclass(frozen=True)
class InFlight:
    mid: int
    src: Any
    dst: Any
    msg: Any
    sent: float


@dataclass(frozen=True)
class Snapshot:
    time: float
    status: dict                     # node -> up | crashed | paused | departed
    state: dict                      # node -> {field: value} (latest recorded)
    cut: frozenset                   # directed (src, dst) pairs
    in_flight: tuple = field(default=())

    @property
    def nodes(self) -> list:
        return sorted(self.status, key=str)


def snapshot(trace: Trace, at: float | None = None) -> Snapshot:
    """The cluster as it was at time ``at`` (default: the end of the trace)."""
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a dscourse.sim.Trace, got {type(trace).__name__}")
    status: dict = {}
    state: dict = {}
    cut: set = set()
    flying: dict = {}
    for t, kind, node, peer, ref, data in trace.raw():
        if at is not None and t > at:
            break
        if kind == "start":
            status.setdefault(node, "up")
        elif kind in ("crash", "recover", "pause", "resume"):
            status[node] = {"crash": "crashed", "recover": "up", "pause": "paused",
                            "resume": "up"}[kind]
        elif kind == "state":
            state.setdefault(node, {}).update(data)
        elif kind == "send":
            flying[ref] = InFlight(ref, node, peer, data, t)
        elif kind in ("deliver", "drop"):
            flying.pop(ref, None)
        elif kind == "fault":
            _apply_fault(data, node, status, cut)
    return Snapshot(at if at is not None else (trace[-1].time if len(trace) else 0.0),
                    status, state, frozenset(cut),
                    tuple(sorted(flying.values(), key=lambda m: m.mid)))


def _apply_fault(data: dict, node: Any, status: dict, cut: set) -> None:
    fault = data.get("fault")
    if fault == "partition":
        groups = data["groups"]
        for i, g in enumerate(groups):
            for j, h in enumerate(groups):
                if i != j:
                    cut.update((a, b) for a in g for b in h)
    elif fault == "partition_oneway":
        cut.update((a, b) for a in data["sources"] for b in data["targets"] if a != b)
    elif fault == "isolate":
        others = [n for n in status if n != node]
        cut.update((node, o) for o in others)
        cut.update((o, node) for o in others)
    elif fault == "heal":
        cut.clear()
    elif fault == "remove":
        status[node] = "departed"
