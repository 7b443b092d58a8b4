"""Figures of notebook 10's worked design problems. Each has a text table in ``dscourse.design``.

They read finished results (``LedgerResult``, ``FeedResult``, ``InventoryRun``,
``CacheLoad``), never live nodes:

* ``ledger_figure``: per design, operations refused on the cut-off side and
  acknowledged deposits lost (``problems.ledger_table`` is its text);
* ``feed_figure``: stale reads before, during and after the partition
  (``problems.feed_table``);
* ``inventory_figure``: units sold over time, one panel per design, with the
  stock and the partition marked (``inventory.inventory_table``);
* ``cache_figure``: requests per cache node for each strategy, with the
  capacity line (``cache.load_table``), and ``copies_figure``: the busiest
  node's load against the number of copies or parts.
"""

from __future__ import annotations

from typing import Sequence

from .plots import GREY, bars, colour, figure, lines


def ledger_figure(results: Sequence) -> object:
    names = [r.store for r in results]
    return bars(names, {"refused on n1's side (during the partition)":
                        [r.minority.refused for r in results],
                        "acknowledged deposits lost": [r.lost for r in results]},
                ylabel="operations", title="Payment ledger: refuse, or lose money")


def feed_figure(results: Sequence) -> object:
    windows = ["before", "during", "after"]
    return bars(windows, {r.design: [r.stale.get(w, 0) for w in windows] for r in results},
                ylabel="stale reads", title="Social feed: stale reads around the partition")


def inventory_figure(runs: Sequence, partition: tuple | None = (100.0, 700.0)) -> object:
    fig, axes = figure(9.0, 2.8, ncols=len(runs))
    axes = list(axes) if len(runs) > 1 else [axes]
    for ax, run in zip(axes, runs):
        sales = sorted((t, till.node_id) for till in run.tills
                       for t, outcome, _ in till.sales if outcome == "sold")
        for i, till in enumerate(run.tills):
            xs = [0.0] + [t for t, who in sales if who == till.node_id]
            ax.step(xs, range(len(xs)), where="post", color=colour(i), linewidth=1.3,
                    label=f"{till.node_id} (at {till.home})")
        total = [0.0] + [t for t, _ in sales]
        ax.step(total, range(len(total)), where="post", color="black", linewidth=1.8,
                label="all tills")
        ax.axhline(run.stock, color=colour(3), linestyle="--", linewidth=1.2, label="stock")
        if partition is not None:
            ax.axvspan(*partition, color=GREY, alpha=0.2, linewidth=0, label="partition")
        ax.set_title(f"{run.design}: {run.sold} sold, {run.oversold} oversold", fontsize=10)
        ax.set_xlabel("time (ms)")
    axes[0].set_ylabel("units sold")
    axes[-1].legend(fontsize=7, frameon=False, loc="lower right")
    return fig


def cache_figure(results: Sequence) -> object:
    nodes = sorted(results[0].loads)
    fig = bars([n.replace("cache-", "") for n in nodes],
               {r.strategy: [r.loads[n] for n in nodes] for r in results},
               ylabel="requests", title="Requests per cache node")
    ax = fig.axes[0]
    ax.axhline(results[0].headroom * results[0].mean, color=colour(3), linestyle="--",
               linewidth=1.2, label=f"capacity ({results[0].headroom:g} x mean)")
    ax.set_xlabel("cache node")
    ax.legend(fontsize=8, frameon=False)
    return fig


def copies_figure(rows: Sequence[tuple], headroom: float = 1.5) -> object:
    fig = lines([c for c, _, _ in rows], {"replicate hot keys": [r for _, r, _ in rows],
                                          "split hot keys": [s for _, _, s in rows]},
                xlabel="copies (or parts) per hot key", ylabel="busiest node / mean",
                title="How many copies are enough?")
    ax = fig.axes[0]
    ax.axhline(headroom, color=colour(3), linestyle="--", linewidth=1.2, label="capacity")
    ax.legend(fontsize=8, frameon=False)
    return fig
