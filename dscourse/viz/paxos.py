"""Views for Paxos: runs and counterexamples on the space-time diagram, duels as rounds over time.

Everything reads a ``Trace`` (or a counterexample, replayed on the
simulator into one); each figure has a text table beside it.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..sim.explore import Counterexample
from ..sim.table import TextTable, format_table
from ..sim.trace import Trace
from .plots import bars, colour, figure
from .spacetime import draw_spacetime, spacetime_table


def paxos_label(msg: Any) -> str:
    """``Prepare 1.p1``, ``Promise 1.p1 (had 1.p2:y)``, ``Accept 2.p1 x``, ...: short, for arrows."""
    name = type(msg).__name__
    ballot = getattr(msg, "ballot", None)
    if name == "Promise" and getattr(msg, "accepted_ballot", None) is not None:
        return f"Promise {ballot} (had {msg.accepted_ballot}:{msg.accepted_value})"
    if name in ("Accept", "Accepted") and hasattr(msg, "value"):
        slot = f"[{msg.slot}]" if hasattr(msg, "slot") else ""
        return f"{name}{slot} {ballot} {msg.value}"
    if name == "Nack":
        return f"Nack {ballot} < {msg.promised}"
    return f"{name} {ballot}" if ballot is not None else name


def _label_once():
    """``paxos_label`` for the first copy of each message only (a broadcast gets one label)."""
    seen: set = set()

    def label(msg: Any) -> str:
        key = (type(msg).__name__, repr(msg))
        if key in seen:
            return ""
        seen.add(key)
        return paxos_label(msg)
    return label


def draw_paxos(trace: Trace, *, title: str = "", nodes: Sequence[Any] | None = None,
               until: float | None = None, width: float = 8.0):
    """The space-time diagram of a Paxos run, arrows labelled with ballots and values.

    Copies of one broadcast message are labelled once, on the first arrow.
    """
    return draw_spacetime(trace, nodes=nodes, until=until, label=_label_once(),
                          title=title or None, state_field="decided", width=width)


def paxos_table(trace: Trace, *, nodes: Sequence[Any] | None = None, until: float | None = None,
                limit: int | None = 30) -> TextTable:
    """The messages of ``draw_paxos`` as text."""
    return spacetime_table(trace, nodes=nodes, until=until, label=paxos_label, limit=limit)


def draw_counterexample(cx: Counterexample, *, width: float = 8.0):
    """Replay a model checker's counterexample on the simulator and draw it."""
    if not isinstance(cx, Counterexample):
        raise TypeError(f"cx must be a Counterexample (result.counterexample), got {cx!r}")
    sim = cx.replay()
    return draw_spacetime(sim.trace, label=_label_once(), width=width,
                          title=f"{cx.invariant} broken after {len(cx)} steps")


def rounds(trace: Trace) -> dict:
    """proposer -> [(time, round)] for every ballot it started (from its state records)."""
    out: dict = {}
    for r in trace.select("state"):
        if r.data.get("phase") == "prepare":
            out.setdefault(r.node, []).append((r.time, int(str(r.data["ballot"]).split(".")[0])))
    return out


def draw_rounds(traces: Mapping[str, Trace], *, until: float | None = None, width: float = 8.0):
    """The round of each new ballot against time, one panel per run (a duel climbs forever)."""
    fig, axes = figure(width, 2.4 * len(traces), nrows=len(traces))
    axes = list(axes.flat) if hasattr(axes, "flat") else [axes]
    for ax, (label, trace) in zip(axes, traces.items()):
        decided = [r.time for r in trace.select("state") if "decided" in r.data]
        for i, (proposer, points) in enumerate(sorted(rounds(trace).items(), key=lambda kv: str(kv[0]))):
            points = [(t, k) for t, k in points if until is None or t <= until]
            ax.step([t for t, _ in points], [k for _, k in points], where="post", marker=".",
                    color=colour(i), label=str(proposer))
        if decided:
            ax.axvline(decided[0], color="black", linestyle="--", linewidth=1)
            ax.text(decided[0], 0.95, " decided", transform=ax.get_xaxis_transform(), fontsize=8,
                    va="top")
        ax.set_title(label, fontsize=10)
        ax.set_ylabel("ballot round")
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    axes[-1].set_xlabel("virtual time (ms)")
    return fig


def rounds_table(traces: Mapping[str, Trace]) -> TextTable:
    """Per run: ballots started by each proposer, the highest round, the first decision."""
    rows = []
    for label, trace in traces.items():
        started = rounds(trace)
        decided = [r.time for r in trace.select("state") if "decided" in r.data]
        for proposer in sorted(started, key=str):
            points = started[proposer]
            rows.append((label, proposer, len(points), points[-1][1],
                         f"{decided[0]:.1f}" if decided else "never"))
    return format_table(["run", "proposer", "ballots started", "highest round",
                         "first decision (ms)"], rows)


def draw_messages_per_value(table: TextTable):
    """Bars of ``paxos_compare.comparison_table``'s message rows."""
    rows = {r[0]: r[1:] for r in table.rows}
    names = list(table.headers[1:])
    series = {label: [float(v) for v in rows[label]]
              for label in ("messages per decided value", "... counting heartbeats too")}
    return bars(names, series, ylabel="messages per decided value",
                title="messages per decided value, stable leader, no batching")
