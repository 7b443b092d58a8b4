"""Views for leader election: who believed it led, when; and the comparison harness's results.

* ``draw_leader_timeline(trace)``: one lane per node; a bar wherever the
  node believed it was leader (labelled with its term), pale while the node
  was paused (it still believed, but could not act), grey hatching while it
  was crashed, and red bands over every split-brain window. Its text twin is
  ``timeline_table``.
* ``draw_comparison(comparison)``: failover time, election messages and the
  longest split brain, per algorithm and fault. Text twin:
  ``Comparison.table()``.
* ``draw_bully_cost(rows)``: the bully's worst and best case against n.
* ``draw_writes(trace, storage)``: each write the storage received, its
  token over time, accepted or rejected.
"""

from __future__ import annotations

from typing import Any, Sequence

from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..election.fencing import storage_writes
from ..election.harness import Comparison, leader_spans, split_brain
from ..sim.table import TextTable, format_table
from ..sim.trace import Trace
from .plots import GREY, PALETTE, ROLE_COLOURS, figure

SPLIT = "#D55E00"


def _participants(trace: Trace, nodes: Sequence[Any] | None) -> list:
    if nodes is not None:
        return list(nodes)
    seen = set()
    for _t, kind, node, _p, _r, data in trace.raw():
        if kind == "state" and "role" in data:
            seen.add(node)
    return sorted(seen, key=str)


def _intervals(trace: Trace, begin: str, end: str, until: float) -> dict:
    open_: dict = {}
    out: dict = {}
    for t, kind, node, *_ in trace.raw():
        if t > until:
            break
        if kind == begin and node not in open_:
            open_[node] = t
        elif kind == end and node in open_:
            out.setdefault(node, []).append((open_.pop(node), t))
    for node, t in open_.items():
        out.setdefault(node, []).append((t, until))
    return out


def draw_leader_timeline(trace: Trace, *, nodes: Sequence[Any] | None = None,
                         since: float = 0.0, until: float | None = None, title: str = "",
                         marks: dict | None = None, width: float = 7.5):
    """Leader beliefs over time, one lane per node (see the module docstring)."""
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a dscourse.sim.Trace, got {type(trace).__name__}")
    end = until if until is not None else (trace[-1].time if len(trace) else 1.0)
    nodes = _participants(trace, nodes)
    lane = {n: i for i, n in enumerate(reversed(nodes))}
    fig, ax = figure(width, 0.45 * len(nodes) + 1.2)
    believed = leader_spans(trace, until=end, while_paused=True)
    for s in believed:
        if s.node in lane and s.end > since:
            ax.barh(lane[s.node], s.end - max(s.start, since), left=max(s.start, since),
                    height=0.55, color=ROLE_COLOURS["leader"], edgecolor="black", linewidth=0.5)
            if s.term is not None:
                ax.text(max(s.start, since) + 3, lane[s.node], f"term {s.term}", va="center",
                        fontsize=7, color="white")
    for kind, colour, hatch in (("pause", ROLE_COLOURS["paused"], None), ("crash", GREY, "///")):
        ends = {"pause": "resume", "crash": "recover"}[kind]
        for node, spans in _intervals(trace, kind, ends, end).items():
            for a, b in spans:
                if node in lane and b > since:
                    ax.barh(lane[node], b - max(a, since), left=max(a, since), height=0.55,
                            color=colour, alpha=0.75, hatch=hatch, edgecolor=GREY, linewidth=0.3)
    for w in split_brain(leader_spans(trace, until=end)):
        ax.axvspan(max(w.start, since), w.end, color=SPLIT, alpha=0.18, linewidth=0)
    for label, t in sorted((marks or {}).items(), key=lambda kv: kv[1]):
        ax.axvline(t, color="black", linestyle=":", linewidth=1)
        ax.text(t, len(nodes) - 0.4, f" {label}", fontsize=7, va="bottom")
    ax.set_yticks(range(len(nodes)), [str(n) for n in reversed(nodes)], fontsize=8)
    ax.set_xlim(since, end)
    ax.set_ylim(-0.6, len(nodes) - 0.2)
    ax.set_xlabel("time (ms)")
    handles = [Patch(facecolor=ROLE_COLOURS["leader"], edgecolor="black", label="believes it leads"),
               Patch(facecolor=ROLE_COLOURS["paused"], label="paused"),
               Patch(facecolor=GREY, hatch="///", label="crashed"),
               Patch(facecolor=SPLIT, alpha=0.18, label="split brain")]
    ax.legend(handles=handles, fontsize=7, frameon=False, ncol=4, loc="upper center",
              bbox_to_anchor=(0.5, -0.28))
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def timeline_table(trace: Trace, *, until: float | None = None) -> TextTable:
    """Every leader belief (active, i.e. not paused) and every split-brain window, as text."""
    spans = leader_spans(trace, until=until)
    rows = [(s.node, "-" if s.term is None else s.term, f"{s.start:.0f}", f"{s.end:.0f}",
             s.ended_by) for s in spans]
    windows = split_brain(spans)
    title = ("split brain: " + "; ".join(f"{'+'.join(map(str, w.nodes))} from {w.start:.0f} to "
                                         f"{w.end:.0f} ms" for w in windows)
             if windows else "split brain: never")
    return format_table(["leader", "term", "from ms", "to ms", "ended by"], rows, title=title)


def draw_comparison(comparison: Comparison, *, width: float = 9.0):
    """Three panels: failover p50, election messages, longest split brain (per fault)."""
    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    summaries = comparison.summaries()
    algs = list(dict.fromkeys(s.algorithm for s in summaries))
    faults = list(dict.fromkeys(s.scenario for s in summaries))
    fig, axes = figure(width, 3.0, ncols=3)
    metrics = [("failover p50 (ms)", lambda s: s.failover_median or 0.0),
               ("election messages (mean)", lambda s: s.messages_mean),
               ("longest split brain (ms)", lambda s: s.split_longest)]
    n = len(faults)
    for ax, (label, value) in zip(axes, metrics):
        for i, fault in enumerate(faults):
            xs = [k + (i - (n - 1) / 2) * 0.8 / n for k in range(len(algs))]
            ys = [value(comparison.summary(a, fault)) for a in algs]
            ax.bar(xs, ys, width=0.8 / n, color=PALETTE[i % len(PALETTE)], label=fault)
        ax.set_xticks(range(len(algs)), algs, fontsize=8, rotation=20)
        ax.set_title(label, fontsize=9)
    axes[0].legend(fontsize=7, frameon=False)
    return fig


def draw_bully_cost(sizes: Sequence[int], worst: Sequence[int], best: Sequence[int]):
    """Messages of one bully election against the number of nodes."""
    fig, ax = figure(5.5, 3.0)
    ax.plot(sizes, worst, "-o", color=PALETTE[3], label="worst case (lowest node notices)",
            markersize=4)
    ax.plot(sizes, best, "-s", color=PALETTE[0], label="best case (next highest notices)",
            markersize=4)
    ax.set_xlabel("nodes n")
    ax.set_ylabel("messages per election")
    ax.legend(fontsize=8, frameon=False)
    return fig


def draw_writes(trace: Trace, storage: Any = "disk", *, since: float = 0.0,
                until: float | None = None, title: str = ""):
    """The storage's writes: token against time; rejected ones as red crosses."""
    writes = [w for w in storage_writes(trace, storage)
              if w.time >= since and (until is None or w.time <= until)]
    fig, ax = figure(6.5, 2.6)
    writers = sorted({w.writer for w in writes}, key=str)
    for i, who in enumerate(writers):
        ok = [w for w in writes if w.writer == who and w.accepted]
        ax.plot([w.time for w in ok], [w.token for w in ok], "o", markersize=3,
                color=PALETTE[i % len(PALETTE)], label=f"{who}: accepted")
    bad = [w for w in writes if not w.accepted]
    if bad:
        ax.plot([w.time for w in bad], [w.token for w in bad], "x", markersize=7, color=SPLIT,
                label="rejected (stale token)")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("fencing token")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def writes_table(trace: Trace, storage: Any = "disk", *, since: float = 0.0,
                 until: float | None = None) -> TextTable:
    """The storage's writes in a window, as text (who, token, accepted)."""
    rows = [(f"{w.time:.0f}", w.writer, w.token, w.value, "yes" if w.accepted else "REJECTED")
            for w in storage_writes(trace, storage)
            if w.time >= since and (until is None or w.time <= until)]
    return format_table(["time ms", "writer", "token", "value", "accepted"], rows)
