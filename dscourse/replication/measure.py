"""Measurements read from a run's History and Trace: never asserted, always computed.

* ``availability(history, windows)``: the fraction of operations invoked in
  each time window that completed ``ok`` (CAP's A, measured);
* ``latencies(history)``: completion minus invocation for every ``ok``
  operation (PACELC's latency cost of consistency);
* ``stale_reads(history)``: reads that returned a value already overwritten
  before the read began: some write of another value was *invoked after*
  the write read from completed, and itself completed before the read was
  invoked (for key-value histories, per key);
* ``convergence_time(trace, nodes, since)``: how long after ``since`` the
  replicas' states (their ``record_state(key=..., state=...)`` records)
  were last seen to become identical for good; ``None`` if they never did;
* ``lost_increments(history, final)``: acknowledged increments minus the
  final value the replicas converged to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ..sim.history import History, Operation
from ..sim.table import TextTable, format_table
from ..sim.trace import Trace

__all__ = ["Window", "availability", "availability_table", "latencies", "latency_summary",
           "stale_reads", "convergence_time", "lost_increments", "replica_states", "percentile"]


@dataclass(frozen=True)
class Window:
    name: str
    start: float
    end: float

    def __contains__(self, t: float) -> bool:
        return self.start <= t < self.end


def _ops(history: History) -> list[Operation]:
    if not isinstance(history, History):
        raise TypeError(f"history must be a dscourse.sim.History, got {type(history).__name__}")
    return history.operations()


def availability(history: History, windows: Sequence[Window], fs: Iterable[str] | None = None) -> list:
    """Per window: ``(window, invoked, ok, fail, info, fraction ok)``."""
    fs = None if fs is None else set(fs)
    out = []
    ops = _ops(history)
    for w in windows:
        mine = [op for op in ops if op.invoke_time in w and (fs is None or op.f in fs)]
        counts = {t: sum(1 for op in mine if op.type == t) for t in ("ok", "fail", "info")}
        frac = counts["ok"] / len(mine) if mine else math.nan
        out.append((w, len(mine), counts["ok"], counts["fail"], counts["info"], frac))
    return out


def availability_table(rows: list, title: str | None = None) -> TextTable:
    return format_table(["window", "from", "to", "ops", "ok", "fail", "info", "available"],
                        [(w.name, w.start, w.end, n, ok, fail, info,
                          "-" if n == 0 else f"{frac:.0%}") for w, n, ok, fail, info, frac in rows],
                        title=title)


def latencies(history: History, fs: Iterable[str] | None = None) -> list[float]:
    """Latency (ms) of every ``ok`` operation, in invocation order."""
    fs = None if fs is None else set(fs)
    return [round(op.complete_time - op.invoke_time, 6) for op in _ops(history)
            if op.type == "ok" and (fs is None or op.f in fs)]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in [0, 100]); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(history: History, fs: Iterable[str] | None = None) -> dict:
    values = latencies(history, fs)
    return {"ops": len(values),
            "mean": round(sum(values) / len(values), 3) if values else math.nan,
            "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values) if values else math.nan}


def _split_key(op: Operation, keyed: bool) -> tuple:
    if not keyed:
        return None, op.value, op.result
    key = op.value[0]
    arg = op.value[1]
    result = op.result[1] if isinstance(op.result, (list, tuple)) and len(op.result) == 2 else None
    return key, arg, result


def stale_reads(history: History, keyed: bool | None = None) -> list[tuple]:
    """Reads that returned an overwritten value: ``(read op, value, newer write op)``.

    A read of ``v`` is stale when some write ``w2`` of another value was invoked
    after the write of ``v`` completed, and completed before the read was
    invoked: ``v`` was certainly old news. A read of ``None`` (the initial
    value) is stale when any write completed before it began. Sibling lists
    are stale when every value in them is.
    """
    ops = _ops(history)
    if keyed is None:
        keyed = any(isinstance(op.value, (list, tuple)) for op in ops if op.f == "write")
    writes: dict = {}
    for op in ops:
        if op.f == "write" and op.type != "fail":
            key, arg, _ = _split_key(op, keyed)
            writes.setdefault(key, []).append((arg, op))
    out = []
    for op in ops:
        if op.f != "read" or op.type != "ok":
            continue
        key, _, result = _split_key(op, keyed)
        values = list(result) if isinstance(result, (list, tuple)) else [result]
        newer = None
        for v in values:
            newer = _overwritten(v, writes.get(key, []), op)
            if newer is None:
                break
        if newer is not None:
            out.append((op, result, newer))
    return out


def _overwritten(value: Any, writes: list, read: Operation) -> Operation | None:
    done_before = [w for _, w in writes if w.complete_time < read.invoke_time and w.type == "ok"]
    if value is None:
        return done_before[0] if done_before else None
    mine = [w for v, w in writes if v == value]
    if not mine:
        return None
    written = min(w.complete_time for w in mine)
    for other in done_before:
        v_other = [v for v, w in writes if w is other][0]
        if v_other != value and other.invoke_time > written:
            return other
    return None


def replica_states(trace: Trace, nodes: Iterable[Any]) -> list[tuple]:
    """``(time, node, key, state)`` for every recorded state change of ``nodes``."""
    nodes = set(nodes)
    return [(r.time, r.node, r.data["key"], r.data["state"]) for r in trace.select("state")
            if r.node in nodes and "key" in r.data and "state" in r.data]


def convergence_time(trace: Trace, nodes: Iterable[Any], since: float = 0.0,
                     keys: Iterable[Any] | None = None) -> float | None:
    """Time after ``since`` until the replicas last became identical (see the module doc)."""
    nodes = sorted(nodes, key=repr)
    current: dict = {}
    agreed_from: float | None = since
    allowed = None if keys is None else set(keys)
    for t, node, key, state in replica_states(trace, nodes):
        if allowed is not None and key not in allowed:
            continue
        current[(node, key)] = state
        all_keys = {k for (_, k) in current}
        same = all(len({current.get((n, k), "-") for n in nodes}) == 1 for k in all_keys)
        if not same:
            agreed_from = None
        elif agreed_from is None:
            agreed_from = t
    if agreed_from is None:
        return None
    return max(0.0, round(agreed_from - since, 6))


def lost_increments(history: History, final: int) -> dict:
    """Acknowledged increments compared with the value the replicas ended with."""
    ops = _ops(history)
    acked = sum((op.value if isinstance(op.value, int) else 1) for op in ops
                if op.f == "increment" and op.type == "ok")
    unknown = sum(1 for op in ops if op.f == "increment" and op.type == "info")
    return {"acknowledged": acked, "unknown": unknown, "final": final,
            "lost": max(0, acked - final)}
