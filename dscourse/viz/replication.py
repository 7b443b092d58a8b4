"""Views of replicated stores: availability, replica values over time, latency, comparisons.

Each figure has a text twin (a ``TextTable``) so nbval can compare it and a
screen reader can read it:

* ``draw_availability(fractions_by_label)`` and ``measure.availability_table``;
* ``draw_replica_values(trace, nodes, key)`` and ``replica_values_table``: what
  each replica held over time; a value that differs from what the replicas
  end with is drawn in orange (stale), partitions are shaded;
* ``draw_latency(samples_by_label)``: latency CDFs (PACELC's "else, latency");
* ``draw_quorum_staleness(rows)``: stale-read rate per (N, R, W);
* ``draw_comparison(results)``: the consistency models of notebook 03 side by side.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..replication.measure import replica_states
from ..sim.table import TextTable, format_table
from ..sim.trace import Trace
from .plots import PALETTE, bars, cdf, figure
from .spacetime import _partitions

__all__ = ["draw_availability", "draw_replica_values", "replica_values_table", "draw_latency",
           "draw_quorum_staleness", "draw_comparison"]

STALE = PALETTE[1]
FRESH = PALETTE[2]


def draw_availability(fractions_by_label: Mapping[str, Mapping[str, float]],
                      title: str = "availability"):
    """Grouped bars: ``{design label: {window name: fraction ok}}``, in percent."""
    labels = list(fractions_by_label)
    windows = list(fractions_by_label[labels[0]])
    series = {label: [100 * (f if f == f else 0.0) for f in fractions_by_label[label].values()]
              for label in labels}
    fig = bars(windows, series, ylabel="operations ok (%)", title=title)
    ax = fig.axes[0]
    ax.set_ylim(0, 135)
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    if len(labels) > 1:
        ax.legend(fontsize=8, frameon=False, loc="upper center", ncol=2)
    return fig


def _timeline(trace: Trace, nodes: Sequence[Any], key: Any) -> dict:
    out: dict = {n: [] for n in nodes}
    for t, node, k, state in replica_states(trace, nodes):
        if k == key:
            out[node].append((t, state))
    return out


def draw_replica_values(trace: Trace, nodes: Sequence[Any], key: Any = "x", *, since: float = 0.0,
                        until: float | None = None, title: str | None = None, width: float = 8.0):
    """One lane per replica: the state it held for ``key`` over time."""
    nodes = list(nodes)
    lines = _timeline(trace, nodes, key)
    end = until if until is not None else (trace[-1].time if len(trace) else 1.0)
    final = {lines[n][-1][1] for n in nodes if lines[n]}
    final_value = final.pop() if len(final) == 1 else None
    fig, ax = figure(width, 0.9 + 0.6 * len(nodes))
    ax.grid(False)
    for begin, stop, text in _partitions(trace, end):
        ax.axvspan(max(begin, since), min(stop, end), color=PALETTE[3], alpha=0.08, zorder=0)
        ax.text(max(begin, since), -0.55, f"partition {text}", fontsize=7, color=PALETTE[3], va="top")
    for y, n in enumerate(nodes):
        changes = [(t, s) for t, s in lines[n] if t <= end]
        for i, (t, state) in enumerate(changes):
            t_next = changes[i + 1][0] if i + 1 < len(changes) else end
            if t_next < since:
                continue
            colour = FRESH if state == final_value else STALE
            ax.plot([max(t, since), t_next], [y, y], color=colour, linewidth=6, solid_capstyle="butt")
            if t >= since and (t_next - t) >= 0.06 * (end - since):   # label lasting values only
                label = state.split(" ")[0]
                ax.text(t, y - 0.18, label if len(label) <= 14 else label[:13] + "…", fontsize=7,
                        va="bottom", ha="left")
    ax.set_yticks(range(len(nodes)), [str(n) for n in nodes])
    ax.set_ylim(len(nodes) - 0.4, -0.7)
    ax.set_xlim(since, end)
    ax.set_xlabel("virtual time (ms)")
    ax.set_title(title or f"what each replica holds for {key!r} (green: the value they end with)",
                 fontsize=10)
    return fig


def replica_values_table(trace: Trace, nodes: Sequence[Any], key: Any = "x", *,
                         since: float = 0.0, limit: int | None = 30) -> TextTable:
    rows = [(f"{t:.1f}", n, s) for t, n, k, s in replica_states(trace, nodes) if k == key and t >= since]
    title = None
    if limit is not None and len(rows) > limit:
        title = f"(first {limit} of {len(rows)} changes)"
        rows = rows[:limit]
    return format_table(["time", "replica", f"state of {key!r}"], rows, title=title)


def draw_latency(samples_by_label: Mapping[str, Sequence[float]], title: str = "latency of ok operations"):
    return cdf(samples_by_label, xlabel="latency (virtual ms)", title=title)


def draw_quorum_staleness(rows: Sequence[tuple], title: str = "stale reads by quorum sizes"):
    """``rows``: ``(label, stale fraction, mean latency)``; two panels."""
    fig, (left, right) = figure(8.0, 3.0, ncols=2)
    labels = [r[0] for r in rows]
    colours = [PALETTE[3] if r[1] > 0 else PALETTE[2] for r in rows]
    left.bar(labels, [100 * r[1] for r in rows], color=colours)
    left.set_ylabel("stale reads (%)")
    right.bar(labels, [r[2] for r in rows], color=PALETTE[0])
    right.set_ylabel("mean latency (ms)")
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.suptitle(title, fontsize=10)
    return fig


def draw_comparison(results: Mapping[str, dict], title: str = "same workload, same faults"):
    """Four panels: availability, mean latency, stale-read rate, anomalies found."""
    names = list(results)
    short = [n.split(" (")[0] for n in names]
    fig, axes = figure(9.0, 2.8, ncols=4)
    panels = [
        ("ok (%)", [100 * results[n]["available"] for n in names]),
        ("mean latency (ms)", [results[n]["mean latency"] for n in names]),
        ("stale reads (%)", [100 * results[n]["stale reads"] / max(1, results[n]["reads"]) for n in names]),
        ("anomalies", [len(results[n]["causal"].anomalies)
                       + sum(len(r.anomalies) for r in results[n]["sessions"].values()) for n in names]),
    ]
    for ax, (label, values) in zip(axes, panels):
        ax.bar(short, values, color=[PALETTE[i % len(PALETTE)] for i in range(len(names))])
        ax.set_title(label, fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.suptitle(title, fontsize=10)
    return fig
