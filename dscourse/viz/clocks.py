"""Clocks on a space-time diagram, and the tables beside it.

``draw_clocks(trace)`` draws the space-time diagram of ``viz.spacetime`` and
writes, at every send and delivery, the stamp a vector clock (or a Lamport
clock) gives it (``dscourse.clocks.stamp_trace``). ``compare=(i, j)`` rings
two events and says how their clocks relate: before, after or concurrent.
``clock_table`` is the same as text. ``receipts_table`` lists the messages
of ``replication.chat`` with the physical, Lamport and vector stamps of their
send and receipt, and flags those the physical clocks put in the wrong order.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..clocks import compare as compare_clocks
from ..clocks import stamp_trace
from ..sim.table import TextTable, format_table
from ..sim.trace import Trace
from .plots import PALETTE
from .spacetime import _nodes, draw_spacetime

__all__ = ["draw_clocks", "clock_table", "receipts", "receipts_table"]


def _stamp_text(e: Any, nodes: Sequence[Any], stamp: str) -> str:
    if stamp == "lamport":
        return str(e.lamport.time)
    if stamp == "both":
        return f"{e.lamport.time} {e.vector.fmt(nodes)}"
    return e.vector.fmt(nodes)


def draw_clocks(trace: Trace, *, nodes: Sequence[Any] | None = None, since: float = 0.0,
                until: float | None = None, stamp: str = "vector",
                compare: tuple[int, int] | None = None, title: str | None = None, width: float = 8.0):
    """The space-time diagram with every send and delivery stamped; returns the Figure.

    ``stamp`` is ``"vector"``, ``"lamport"`` or ``"both"``; events are numbered
    as in ``clock_table`` and ``compare=(i, j)`` highlights events ``i`` and ``j``.
    """
    if stamp not in ("vector", "lamport", "both"):
        raise ValueError(f"stamp must be 'vector', 'lamport' or 'both', got {stamp!r}")
    nodes = _nodes(trace, nodes)
    events = stamp_trace(trace, nodes)
    end = until if until is not None else (max((e.time for e in events), default=since) + 1)
    fig = draw_spacetime(trace, nodes=nodes, since=since, until=end, label=None,
                         title=title or f"space-time diagram, {stamp} clocks", width=width)
    ax = fig.axes[0]
    lane = {n: i for i, n in enumerate(nodes)}
    crowd: dict = {}            # labels close together on one side of a lane are stacked
    width_ms = max(end - since, 1e-9) * 0.04
    for i, e in enumerate(events):
        if not since <= e.time <= end:
            continue
        y = lane[e.node]
        ax.plot([e.time], [y], marker="o", markersize=3.5, color=PALETTE[0], zorder=6)
        above = e.kind == "send"
        placed = crowd.setdefault((e.node, above), [])     # (x, level) of labels so far
        near = {level for x, level in placed if abs(x - e.time) < width_ms}
        k = min(level for level in range(len(placed) + 1) if level not in near)
        placed.append((e.time, k))
        offset = (0.12 + 0.13 * k) * (-1 if above else 1)
        ax.text(e.time, y + offset, f"{i}:{_stamp_text(e, nodes, stamp)}",
                fontsize=6, ha="center", va="bottom" if above else "top", color="#333333", zorder=7)
    if compare is not None:
        i, j = compare
        for k in (i, j):
            if not 0 <= k < len(events):
                raise ValueError(f"compare indexes must be between 0 and {len(events) - 1}, got {k}")
            e = events[k]
            ax.plot([e.time], [lane[e.node]], marker="o", markersize=11, markerfacecolor="none",
                    markeredgecolor=PALETTE[3], markeredgewidth=1.8, zorder=8)
        relation = compare_clocks(events[i].vector, events[j].vector)
        ax.set_title(ax.get_title() + f"\nevent {i} vs event {j}: {relation}", fontsize=10)
    return fig


def clock_table(trace: Trace, *, nodes: Sequence[Any] | None = None, since: float = 0.0,
                until: float | None = None, limit: int | None = 40) -> TextTable:
    """Every send and delivery with its Lamport and vector stamps (numbered as in the figure)."""
    nodes = _nodes(trace, nodes)
    events = stamp_trace(trace, nodes)
    rows = []
    for i, e in enumerate(events):
        if e.time < since or (until is not None and e.time > until):
            continue
        what = f"send to {e.peer}" if e.kind == "send" else f"receive from {e.peer}"
        rows.append((i, f"{e.time:.1f}", e.node, what, f"#{e.mid}", e.lamport.time,
                     e.vector.fmt(nodes)))
    title = None
    if limit is not None and len(rows) > limit:
        title = f"(first {limit} of {len(rows)} events)"
        rows = rows[:limit]
    return format_table(["event", "time", "node", "what", "msg", "Lamport",
                         "vector " + "(" + ",".join(map(str, nodes)) + ")"], rows, title=title)


def receipts(trace: Trace) -> list[dict]:
    """The ``replication.chat`` receipts recorded in the trace, in time order."""
    return [dict(r.data, receiver=r.node, time=r.time) for r in trace.select("state")
            if r.data.get("event") == "receive"]


def receipts_table(trace: Trace, limit: int | None = 30) -> TextTable:
    rows = []
    for r in receipts(trace):
        physical_ok = r["received_at"] > r["sent_at"]
        rows.append((r["text"], r["sender"], r["receiver"], r["sent_at"], r["received_at"],
                     "yes" if physical_ok else "NO", f"{r['sent_lamport']} < {r['received_lamport']}",
                     f"{r['sent_vector']} < {r['received_vector']}"))
    title = None
    if limit is not None and len(rows) > limit:
        title = f"(first {limit} of {len(rows)} receipts)"
        rows = rows[:limit]
    return format_table(["message", "from", "to", "sent (phys)", "received (phys)",
                         "phys in order?", "Lamport", "vector"], rows, title=title)
