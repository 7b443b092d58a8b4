"""Plots for the fallacies notebook: one per experiment, each reading a result object.

Every function takes the frozen result an experiment in ``dscourse.fallacies``
returned and returns a matplotlib ``Figure`` (the result's ``table()`` is the
text twin to print beside it). The shared style and chart shapes come from
``dscourse.viz.plots``.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from .plots import GREY, bars, colour, figure, lines

OK, BAD, WARN = colour(0), colour(3), colour(1)


def _tick(value: float, _pos=None) -> str:
    if value <= 0:
        return ""
    exponent = round(math.log10(value))
    if abs(math.log10(value) - exponent) < 1e-9 and not -3 <= exponent <= 4:
        return f"1e{exponent}"
    return f"{value:g}"


def _plain_log(ax, which: str = "both") -> None:
    """Plain-text tick labels on log axes (the default math-text labels are slow to draw)."""
    for axis in ((ax.xaxis, ax.yaxis) if which == "both" else
                 ((ax.xaxis,) if which == "x" else (ax.yaxis,))):
        axis.set_major_formatter(FuncFormatter(_tick))
        axis.set_minor_formatter(NullFormatter())


def _label_bars(fig: Figure) -> Figure:
    """Write each bar's value on it (so a zero is visibly a zero)."""
    for ax in fig.axes:
        for container in ax.containers:
            ax.bar_label(container, fontsize=7, fmt="%g")
    return fig


def plot_reliability(result) -> Figure:
    """Lost, duplicated and unknown-outcome deposits per client design."""
    modes = [r.mode for r in result.runs]
    return _label_bars(bars(modes, {"lost": [r.lost for r in result.runs],
                        "duplicated": [r.duplicated for r in result.runs],
                        "outcome unknown to client": [r.unknown for r in result.runs]},
                ylabel="deposits", title=f"{result.runs[0].count} deposits, "
                                         f"{100 * result.loss:.0f}% loss each way"))


def plot_latency_numbers(numbers) -> Figure:
    """The published latency figures on a log scale."""
    fig, ax = figure(7.0, 3.6)
    figs = list(numbers.figures)
    ys = range(len(figs))
    ax.barh(list(ys), [f.nanoseconds for f in figs],
            color=[colour(0) if f.source == "dean2009" else colour(1) for f in figs])
    ax.set_yticks(list(ys), [f.operation for f in figs], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    _plain_log(ax, "x")
    ax.set_xlabel("nanoseconds (log scale)")
    ax.set_title("Latency numbers (Dean 2009; orange: Norvig 2001)", fontsize=11)
    return fig


def _steps(samples, body: int = 150, tail: float = 0.02) -> tuple[list, list]:
    """Sorted samples and their CDF, thinned for drawing: every point of the top
    ``tail`` share (where a tail plot needs detail), ``body`` points below it."""
    xs = sorted(samples)
    n = len(xs)
    cut = int(n * (1 - tail))
    stride = max(1, cut // body)
    keep = list(range(0, cut, stride)) + list(range(cut, n))
    return [xs[k] for k in keep], [(k + 1) / n for k in keep]


def plot_tail_latency(result) -> Figure:
    """Round-trip CDFs (left) and tails on log-log axes (right), per distribution."""
    fig, (left, right) = figure(9.0, 3.4, ncols=2)
    floor = 0.5 / max(len(s.rtts) for s in result.samples)
    for i, s in enumerate(result.samples):
        xs, cdf = _steps(s.rtts)
        left.step(xs, cdf, where="post", label=s.name, color=colour(i), linewidth=1.5)
        # fraction of requests slower than x, kept above 0 for the log axis
        right.step(xs, [max(1.0 - c, floor) for c in cdf], where="post", color=colour(i),
                   linewidth=1.5)
    left.set_xscale("log")
    _plain_log(left, "x")
    left.set_xlabel("round trip (ms, log)")
    left.set_ylabel("fraction of requests ≤ x")
    left.legend(fontsize=8, frameon=False)
    right.set_xscale("log")
    right.set_yscale("log")
    _plain_log(right)
    for q, label in ((0.01, "1% (p99)"), (0.001, "0.1% (p99.9)")):
        right.axhline(q, color=GREY, linestyle=":", linewidth=1)
        right.annotate(label, (0.01, q), xycoords=("axes fraction", "data"), fontsize=7,
                       va="bottom", color=GREY)
    right.set_xlabel("round trip (ms, log)")
    right.set_ylabel("fraction slower than x")
    right.set_title("the tail", fontsize=10)
    return fig


def plot_fanout(result) -> Figure:
    """Share of requests slower than one backend's p99, measured and predicted."""
    labels = [f"{r.wait_for} of {r.backends}" for r in result.rows]
    fig = bars(labels, {"measured": [100 * r.slow_measured for r in result.rows],
                        "theory": [100 * r.slow_theory for r in result.rows]},
               ylabel="% of requests slow",
               title=f"waiting for k of n backends (slow: > {result.single_p99:.0f} ms)")
    for ax in fig.axes:
        for container in ax.containers:
            ax.bar_label(container, fontsize=7, fmt="%.1f")
    return fig


def plot_queueing(unbounded, bounded=None) -> Figure:
    """Mean queueing wait against offered load (log y); drops for a bounded queue."""
    ncols = 1 if bounded is None else 2
    fig, axes = figure(9.0 if bounded else 5.5, 3.4, ncols=ncols)
    ax = axes[0] if bounded is not None else axes
    loads = [100 * p.load for p in unbounded.points]
    series = {"measured, unbounded queue": [p.mean_wait for p in unbounded.points]}
    if bounded is not None:
        series[f"measured, queue_limit={bounded.queue_limit}"] = [p.mean_wait
                                                                 for p in bounded.points]
    lines(loads, series, xlabel="offered load (% of capacity)", ylabel="mean wait (ms, log)",
          log_y=True, ax=ax)
    below = [p for p in unbounded.points if p.load < 1]
    ax.plot([100 * p.load for p in below], [p.theory for p in below], "--", color=GREY,
            label="M/D/1 theory")
    _plain_log(ax, "y")
    ax.axvline(100, color=BAD, linestyle=":", linewidth=1)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"service time {unbounded.service:g} ms", fontsize=10)
    if bounded is not None:
        lines([100 * p.load for p in bounded.points],
              {"dropped": [100 * p.drop_rate for p in bounded.points],
               "1 - 1/load": [max(0.0, 100 * (1 - 1 / p.load)) for p in bounded.points]},
              xlabel="offered load (% of capacity)", ylabel="% dropped", ax=axes[1],
              styles={"1 - 1/load": "--"})
        axes[1].set_title(f"queue_limit={bounded.queue_limit}", fontsize=10)
    return fig


def plot_security(result) -> Figure:
    modes = [r.mode for r in result.runs]
    return _label_bars(bars(modes, {
        "tampered orders accepted": [r.tampered_accepted for r in result.runs],
        "replays accepted": [r.replays_accepted for r in result.runs],
        "genuine orders rejected": [r.genuine_rejected for r in result.runs]},
        ylabel="orders", title="a hostile router against three banks"))


def plot_topology(result) -> Figure:
    """Each request as a dot: which server it went to, over time; failures in red."""
    fig, axes = figure(9.0, 3.6, nrows=len(result.runs))
    servers = sorted({s for r in result.runs for _, s, _ in r.outcomes})
    for ax, run in zip(axes, result.runs):
        for ok, col, label in ((True, OK, "answered"), (False, BAD, "timed out")):
            pts = [(t, servers.index(s)) for t, s, o in run.outcomes if (o == "ok") == ok]
            if pts:
                ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=6, color=col, label=label)
        ax.axvline(run.join_at, color=GREY, linestyle=":")
        ax.axvline(run.leave_at, color=GREY, linestyle=":")
        ax.set_yticks(range(len(servers)), servers)
        ax.set_ylim(-0.5, len(servers) - 0.5)
        ax.set_title(f"{run.client} client ({run.joined} joins, {run.left} leaves)", fontsize=10)
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    axes[-1].set_xlabel("time (ms)")
    return fig


def plot_config(result) -> Figure:
    """Suspicion episodes as bars per observer → target, for each detector."""
    fig, axes = figure(9.0, 3.4, nrows=len(result.runs))
    for ax, run in zip(axes, result.runs):
        pairs = sorted({(s.observer, s.target) for s in run.episodes})
        for i, (obs, tgt) in enumerate(pairs):
            spans = [(s.start, min(s.end, run.duration) - s.start) for s in run.episodes
                     if (s.observer, s.target) == (obs, tgt)]
            ax.broken_barh(spans, (i - 0.35, 0.7),
                           color=[BAD if st < run.crash_at else GREY for st, _ in spans])
        ax.set_yticks(range(len(pairs)), [f"{o} suspects {t}" for o, t in pairs], fontsize=8)
        ax.set_ylim(-0.7, max(len(pairs), 1) - 0.3)
        ax.set_xlim(0, run.duration)
        ax.axvline(run.crash_at, color="black", linestyle=":", linewidth=1)
        ax.set_title(f"{run.detector} timeouts: red = false suspicion, grey = after the real "
                     f"crash", fontsize=10)
    axes[-1].set_xlabel("time (ms)")
    return fig


def plot_batching(result) -> Figure:
    fig, (left, right) = figure(9.0, 3.2, ncols=2)
    labels = [str(r.batch) for r in result.rows]
    bars(labels, {"messages": [r.messages for r in result.rows],
                  "bytes": [r.bytes for r in result.rows]}, ylabel="count (log)", log_y=True,
         ax=left, title="traffic")
    _plain_log(left, "y")
    left.set_xlabel("pairs per message")
    bars(labels, {"time": [r.time for r in result.rows]}, ylabel="ms until all acked",
         ax=right, title="time (one message in flight)")
    right.set_xlabel("pairs per message")
    return fig


def plot_heartbeat_cost(result) -> Figure:
    per_s = 1000.0 / result.duration
    ns = [r.nodes for r in result.rows]
    fig = lines(ns, {"measured": [r.messages * per_s for r in result.rows],
                     "n(n-1) x beats/s": [r.theory * per_s for r in result.rows]},
                xlabel="nodes (log)", ylabel="messages per second (log)", log_x=True,
                log_y=True, title="all-to-all heartbeats", styles={"n(n-1) x beats/s": "--"})
    ax = fig.axes[0]
    _plain_log(ax)
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.minorticks_off()
    return fig


def plot_stragglers(result) -> Figure:
    """Busy time per worker (a Gantt chart), for each strategy."""
    fig, axes = figure(9.0, 3.4, nrows=len(result.runs))
    end = max(r.makespan for r in result.runs)
    for ax, run in zip(axes, result.runs):
        workers = sorted(run.busy)
        for i, w in enumerate(workers):
            ax.broken_barh([(s, e - s) for s, e in run.busy[w]], (i - 0.35, 0.7),
                           color=BAD if run.speeds[w] < 1 else OK, edgecolor="white",
                           linewidth=0.3)
        ax.set_yticks(range(len(workers)), [f"{w} x{run.speeds[w]:g}" for w in workers],
                      fontsize=8)
        ax.set_xlim(0, end * 1.02)
        ax.axvline(run.makespan, color="black", linestyle=":", linewidth=1)
        ax.set_title(f"{run.strategy}: done at {run.makespan:.0f} ms", fontsize=10)
    axes[-1].set_xlabel("time (ms)")
    return fig


def plot_encoding(result) -> Figure:
    """Readings decoded correctly, silently wrong, or rejected, per collector and version."""
    fig, axes = figure(9.0, 3.0, ncols=len(result.runs))
    for ax, run in zip(axes, result.runs):
        labels = [f"{r[0]} v{r[1]}" for r in run.rows]
        bottom = [0] * len(run.rows)
        for col, (idx, label) in zip((OK, BAD, WARN), ((3, "correct"), (4, "silently wrong"),
                                                        (5, "rejected"))):
            vals = [r[idx] for r in run.rows]
            ax.bar(labels, vals, bottom=bottom, color=col, label=label)
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_title(f"collector: {run.collector}", fontsize=10)
        ax.set_ylabel("readings")
        ax.tick_params(axis="x", labelsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return fig


__all__ = ["plot_batching", "plot_config", "plot_encoding", "plot_fanout",
           "plot_heartbeat_cost", "plot_latency_numbers", "plot_queueing", "plot_reliability",
           "plot_security", "plot_stragglers", "plot_tail_latency", "plot_topology"]
