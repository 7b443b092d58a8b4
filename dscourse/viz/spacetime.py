"""The space-time diagram (Lamport, 1978): one lane per node, time to the right.

Each message is an arrow from the moment it was sent on the sender's lane to
the moment it was delivered on the receiver's. A dropped message ends in a
cross (at the time it was dropped; a message dropped as it was sent gets a
short stub). A duplicated message has one arrow per copy, the extra ones
dashed. A crashed node's lane is dotted grey until it recovers; a paused
node's lane is drawn thick and pale; a partition shades the time it lasted.
Optionally, a state field (``state_field="role"``) is written on the lanes
where it changes, and chosen messages can be highlighted.

``spacetime_table`` lists the same messages as text.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from ..sim.table import TextTable, format_table
from ..sim.trace import MessageRecord, Trace
from .plots import GREY, PALETTE, figure

DROP_COLOUR = "#D55E00"


def message_label(msg: Any) -> str:
    return type(msg).__name__


def _nodes(trace: Trace, nodes: Sequence[Any] | None) -> list:
    if nodes is not None:
        return list(nodes)
    seen = []
    for r in trace.raw():
        if r[1] == "start" and r[2] not in seen:
            seen.append(r[2])
    return sorted(seen, key=str)


def _window(trace: Trace, since: float, until: float | None) -> tuple[float, float]:
    end = until if until is not None else (trace[-1].time if len(trace) else 1.0)
    return since, max(end, since + 1e-9)


def select_messages(trace: Trace, nodes: Sequence[Any], since: float, until: float,
                    limit: int | None = None) -> list[MessageRecord]:
    """The messages between ``nodes`` sent within ``[since, until]``."""
    keep = set(nodes)
    out = [m for m in trace.messages()
           if m.src in keep and m.dst in keep and since <= m.sent <= until]
    return out[:limit] if limit is not None else out


def _intervals(trace: Trace, start_kind: str, end_kind: str, until: float) -> dict:
    """node -> [(begin, end)] for crash/recover or pause/resume pairs."""
    open_: dict = {}
    out: dict = {}
    for t, kind, node, *_ in trace.raw():
        if kind == start_kind:
            open_.setdefault(node, t)
        elif kind == end_kind and node in open_:
            out.setdefault(node, []).append((open_.pop(node), t))
    for node, t in open_.items():
        out.setdefault(node, []).append((t, until))
    return out


def _partitions(trace: Trace, until: float) -> list[tuple[float, float, str]]:
    out, begin, label = [], None, ""
    for t, kind, node, _peer, _ref, data in trace.raw():
        if kind != "fault" or not isinstance(data, dict):
            continue
        fault = data.get("fault")
        if fault in ("partition", "partition_oneway", "isolate") and begin is None:
            begin = t
            if fault == "partition":
                label = " | ".join(",".join(map(str, g)) for g in data["groups"])
            elif fault == "isolate":
                label = f"{node} isolated"
            else:
                label = f"{','.join(map(str, data['sources']))} -/-> {','.join(map(str, data['targets']))}"
        elif fault == "heal" and begin is not None:
            out.append((begin, t, label))
            begin = None
    if begin is not None:
        out.append((begin, until, label))
    return out


def draw_spacetime(trace: Trace, *, nodes: Sequence[Any] | None = None, since: float = 0.0,
                   until: float | None = None, label: Callable[[Any], str] | None = message_label,
                   max_messages: int = 300, state_field: str | None = None,
                   highlight: Iterable[int] = (), title: str | None = None, ax=None,
                   width: float = 8.0):
    """Draw the space-time diagram of ``trace``; returns the matplotlib Figure."""
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a dscourse.sim.Trace, got {type(trace).__name__}")
    nodes = _nodes(trace, nodes)
    since, until = _window(trace, since, until)
    lane = {n: i for i, n in enumerate(nodes)}
    height = 0.9 + 0.55 * max(len(nodes), 1)
    fig, ax = (ax.figure, ax) if ax is not None else figure(width, height)
    ax.grid(False)
    span = until - since
    ax.set_xlim(since - 0.02 * span, until + 0.02 * span)
    ax.set_ylim(len(nodes) - 0.4, -0.6)
    ax.set_yticks(range(len(nodes)), [str(n) for n in nodes])
    ax.set_xlabel("virtual time (ms)")
    ax.spines["left"].set_visible(False)

    for begin, end, text in _partitions(trace, until):
        if end >= since and begin <= until:
            ax.axvspan(max(begin, since), min(end, until), color=DROP_COLOUR, alpha=0.08, zorder=0)
            ax.text(max(begin, since), -0.55, f"partition {text}", fontsize=7, color=DROP_COLOUR,
                    va="top")
    crashed = _intervals(trace, "crash", "recover", until)
    paused = _intervals(trace, "pause", "resume", until)
    for n in nodes:
        y = lane[n]
        ax.plot([since, until], [y, y], color="black", linewidth=0.8, zorder=1)
        for begin, end in crashed.get(n, []):
            ax.plot([begin, end], [y, y], color="white", linewidth=2.5, zorder=1.5)
            ax.plot([begin, end], [y, y], color=GREY, linewidth=1.0, linestyle=":", zorder=1.6)
            ax.plot([begin], [y], marker="X", color=DROP_COLOUR, markersize=9, zorder=4)
            if end < until:
                ax.plot([end], [y], marker="^", color=PALETTE[2], markersize=7, zorder=4)
        for begin, end in paused.get(n, []):
            ax.plot([begin, end], [y, y], color=PALETTE[5], linewidth=5, alpha=0.6, zorder=1.4)

    hl = set(highlight)
    messages = select_messages(trace, nodes, since, until, limit=max_messages)
    stub = 0.025 * span
    for m in messages:
        y1, y2 = lane[m.src], lane[m.dst]
        colour = PALETTE[3] if m.mid in hl else PALETTE[0]
        lw = 1.8 if m.mid in hl else 0.9
        for k, t in enumerate(m.delivered):
            ax.annotate("", xy=(t, y2), xytext=(m.sent, y1), zorder=3,
                        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": lw,
                                    "linestyle": "--" if k else "-", "shrinkA": 0, "shrinkB": 0,
                                    "mutation_scale": 8})
        if label is not None and m.delivered:
            t = m.delivered[0]
            ax.text((m.sent + t) / 2, (y1 + y2) / 2, label(m.msg), fontsize=6, color=colour,
                    ha="center", va="bottom", rotation=0, zorder=5,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.7})
        for t, _reason in m.dropped:
            end_t = t if t - m.sent > stub else m.sent + stub
            frac = 1.0 if t - m.sent > stub else 0.35
            y_end = y1 + (y2 - y1) * frac
            ax.plot([m.sent, end_t], [y1, y_end], color=DROP_COLOUR, linewidth=0.9, zorder=3)
            ax.plot([end_t], [y_end], marker="x", color=DROP_COLOUR, markersize=6, zorder=4)

    if state_field:
        last: dict = {}
        for t, kind, node, _, _, data in trace.raw():
            if kind == "state" and node in lane and state_field in data and since <= t <= until:
                value = data[state_field]
                if last.get(node) != value:
                    last[node] = value
                    ax.text(t, lane[node] - 0.12, str(value), fontsize=6.5, color=PALETTE[3],
                            va="bottom", ha="left", zorder=5)
    shown = len(messages)
    total = len(select_messages(trace, nodes, since, until))
    suffix = f" (first {shown} of {total} messages)" if total > shown else ""
    ax.set_title((title or "space-time diagram") + suffix, fontsize=10)
    return fig


def spacetime_table(trace: Trace, *, nodes: Sequence[Any] | None = None, since: float = 0.0,
                    until: float | None = None, label: Callable[[Any], str] | None = None,
                    limit: int | None = 30) -> TextTable:
    """The messages of the diagram as text: id, type, from, to, sent, fate, latency."""
    nodes = _nodes(trace, nodes)
    since, until = _window(trace, since, until)
    all_messages = select_messages(trace, nodes, since, until)
    shown = all_messages[:limit] if limit is not None else all_messages
    describe = label or (lambda msg: repr(msg) if len(repr(msg)) <= 48 else repr(msg)[:45] + "...")
    rows = []
    for m in shown:
        if m.delivered:
            fate = "delivered" + (f" x{len(m.delivered)}" if len(m.delivered) > 1 else "")
            arrived, latency = f"{m.delivered[0]:.1f}", f"{m.delivered[0] - m.sent:.1f}"
        elif m.dropped:
            fate, arrived, latency = f"dropped ({m.dropped[0][1]})", "-", "-"
        else:
            fate, arrived, latency = "in flight", "-", "-"
        rows.append((f"#{m.mid}", describe(m.msg), m.src, m.dst, f"{m.sent:.1f}", arrived,
                     latency, fate))
    title = None
    if len(shown) < len(all_messages):
        title = f"(first {len(shown)} of {len(all_messages)} messages)"
    return format_table(["msg", "message", "from", "to", "sent", "arrived", "latency", "fate"],
                        rows, title=title)
