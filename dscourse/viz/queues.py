"""Views of message queues: the lag chart, who reads which partition, the audit.

They read what a run left behind: the broker's ``state`` records in the
trace (``lag`` samples when the broker was built with ``sample_every``, and an
``assignment`` at every rebalance), a group's assignment as a plain dict, or
``Audit`` results. Each figure has a text twin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..sim.table import TextTable, format_table
from .plots import GREY, colour, figure

BROKER = "broker"


# -- lag ---------------------------------------------------------------------------------------
def lag_series(trace: Any, group: str = "workers") -> dict:
    """``{partition: [(time, lag), ...]}`` from the broker's lag samples."""
    out: dict = {}
    for r in trace.select("state", node=BROKER):
        if r.data.get("group") == group and "lag" in r.data:
            for tp, lag in r.data["lag"].items():
                out.setdefault(tp, []).append((r.time, lag))
    if not out:
        raise ValueError(f"the trace has no lag samples for group {group!r}: build the pipeline "
                         f"with sample_every=... (ms)")
    return out


def lag_table(trace: Any, group: str = "workers", every: float = 100.0) -> TextTable:
    """The lag per partition (and in total) at one sample every ``every`` ms."""
    series = lag_series(trace, group)
    parts = sorted(series)
    times = [t for t, _ in series[parts[0]]]
    rows, next_t = [], 0.0
    for i, t in enumerate(times):
        if t + 1e-9 < next_t:
            continue
        next_t = t + every
        values = [series[p][i][1] for p in parts]
        rows.append([round(t)] + values + [sum(values)])
    return format_table(["time (ms)"] + parts + ["total"], rows,
                        title=f"lag of group {group!r} (records appended, not yet committed)")


def draw_lag(trace: Any, group: str = "workers", *, title: str = "", marks: Mapping = None,
             width: float = 7.0, height: float = 3.2):
    """Lag over time, one line per partition and the total; ``marks``: ``{time: label}``."""
    series = lag_series(trace, group)
    fig, ax = figure(width, height)
    total: dict = {}
    for i, tp in enumerate(sorted(series)):
        xs, ys = zip(*series[tp])
        ax.plot(xs, ys, color=colour(i), linewidth=1.3, label=tp)
        for x, y in series[tp]:
            total[x] = total.get(x, 0) + y
    xs = sorted(total)
    ax.plot(xs, [total[x] for x in xs], color="black", linewidth=2.0, label="total")
    for x, label in sorted((marks or {}).items()):
        ax.axvline(x, color=GREY, linestyle=":", linewidth=1)
        ax.text(x, ax.get_ylim()[1] * 0.95, f" {label}", fontsize=8, color="#555555", va="top")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("lag (records)")
    ax.set_title(title or f"consumer lag of group {group!r}", fontsize=11)
    ax.legend(fontsize=8, frameon=False, ncol=2)
    return fig


# -- assignment ----------------------------------------------------------------------------------
def rebalance_table(trace: Any, group: str = "workers") -> TextTable:
    """Every completed rebalance: time, generation, why, and who got what."""
    rows = []
    for r in trace.select("state", node=BROKER):
        d = r.data
        if d.get("group") == group and "assignment" in d:
            who = "; ".join(f"{m}: {', '.join(p.split('-')[-1] for p in ps) or '-'}"
                            for m, ps in sorted(d["assignment"].items()))
            rows.append((f"{r.time:.1f}", d["generation"], d["reason"], who or "(no members)"))
    return format_table(["time", "generation", "reason", "partitions per member"], rows,
                        title=None if rows else "(no rebalance yet)")


def assignment_table(assignment: Mapping[str, Sequence[str]], partitions: Sequence[str] = ()
                     ) -> TextTable:
    """One row per partition: its owner (``-`` if none)."""
    owner = {p: m for m, ps in assignment.items() for p in ps}
    parts = sorted(set(partitions) | set(owner), key=_partition_order)
    rows = [(p, owner.get(p, "-")) for p in parts]
    idle = sorted(m for m, ps in assignment.items() if not ps)
    title = f"idle members: {', '.join(idle)}" if idle else None
    return format_table(["partition", "owner"], rows, title=title)


def _partition_order(name: str):
    topic, _, index = name.rpartition("-")
    return (topic, int(index)) if index.isdigit() else (name, 0)


def draw_assignment(assignment: Mapping[str, Sequence[str]], partitions: Sequence[str] = (),
                    *, down: Sequence[str] = (), title: str = "", width: float = 6.0):
    """Partitions on the left, members on the right, a line from each partition to its owner."""
    owner = {p: m for m, ps in assignment.items() for p in ps}
    parts = sorted(set(partitions) | set(owner), key=_partition_order)
    members = sorted(set(assignment) | set(down))
    rows = max(len(parts), len(members), 1)
    fig, ax = figure(width, 0.45 * rows + 0.9)
    ax.axis("off")

    def y(i, n):
        return (rows - 1) / 2 - (i - (n - 1) / 2)

    where = {m: y(i, len(members)) for i, m in enumerate(members)}
    for i, p in enumerate(parts):
        py = y(i, len(parts))
        ax.text(0, py, p, ha="right", va="center", fontsize=9,
                bbox=dict(boxstyle="round", fc="#EEEEEE", ec=GREY))
        if p in owner:
            m = owner[p]
            ax.plot([0.05, 0.95], [py, where[m]], color=colour(members.index(m)), linewidth=1.5)
    for m in members:
        dead = m in down
        ax.text(1, where[m], f"{m} (down)" if dead else m, ha="left", va="center", fontsize=9,
                bbox=dict(boxstyle="round", fc="#FFFFFF" if not dead else "#DDDDDD",
                          ec=colour(members.index(m)) if not dead else GREY))
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylim(-0.8, rows - 0.2)
    if title:
        ax.set_title(title, fontsize=11)
    return fig


# -- audits ----------------------------------------------------------------------------------------
def audit_table(audits: Mapping[str, Any]) -> TextTable:
    """One row per run: produced, lost, once, duplicated, redelivered, reorders."""
    rows = []
    for name, a in audits.items():
        s = a.summary()
        rows.append([name] + [s[k] for k in ("produced", "lost", "once", "duplicated", "redelivered",
                                             "producer duplicates", "order violations")])
    return format_table(["run", "produced", "lost", "once", "duplicated", "processed twice+",
                         "producer dups", "reorders"], rows)


def draw_audit(audits: Mapping[str, Any], *, title: str = "", width: float = 7.0):
    """Stacked bars per run: messages lost, taking effect once, duplicated."""
    names = list(audits)
    fig, ax = figure(width, 0.5 * len(names) + 1.2)
    colours = {"lost": "#D55E00", "once": "#009E73", "duplicated": "#E69F00"}
    left = [0] * len(names)
    for verdict in ("lost", "once", "duplicated"):
        values = [audits[n].counts[verdict] for n in names]
        ax.barh(range(len(names)), values, left=left, color=colours[verdict], label=verdict)
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(range(len(names)), names, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("messages")
    ax.set_title(title or "what happened to every message", fontsize=11)
    ax.legend(fontsize=8, frameon=False, ncol=3, loc="lower right")
    return fig
