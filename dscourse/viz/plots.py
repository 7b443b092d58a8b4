"""Small plotting helpers shared by every topic's views.

One style for the whole course (sizes, colours, fonts), and the handful of
chart shapes the notebooks need: empirical CDFs, lines with markers, grouped
bars. Each returns the matplotlib ``Figure`` and leaves showing it to the
notebook (a figure returned last in a cell is displayed once).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

# Colour-blind-safe palette (Okabe & Ito), used in this order everywhere.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GREY = "#9E9E9E"
ROLE_COLOURS = {"leader": "#D55E00", "candidate": "#E69F00", "follower": "#0072B2",
                "up": "#0072B2", "crashed": GREY, "paused": "#56B4E9", "departed": "#DDDDDD"}


def figure(width: float = 7.0, height: float = 3.5, ncols: int = 1, nrows: int = 1):
    """A new figure with the course style; returns ``(fig, axes)``.

    The figure is made through pyplot (which sets up the notebook's image
    display) and closed at once, so it is shown exactly once: when a cell
    returns it, not again when the cell ends.
    """
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), dpi=100,
                             layout="constrained", squeeze=True)
    plt.close(fig)
    for ax in (axes.flat if hasattr(axes, "flat") else [axes]):
        style(ax)
    return fig, axes


def style(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(True, alpha=0.25, linewidth=0.6)
    ax.tick_params(labelsize=9)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def cdf(samples_by_label: Mapping[str, Sequence[float]], *, xlabel: str, title: str = "",
        log_x: bool = False, ax=None, marks: Iterable[float] = ()) -> Figure:
    """Empirical CDFs, one line per label; ``marks`` draws vertical guides."""
    fig, ax = (ax.figure, ax) if ax is not None else figure()
    for i, (label, samples) in enumerate(samples_by_label.items()):
        xs = sorted(samples)
        if not xs:
            continue
        ys = [(k + 1) / len(xs) for k in range(len(xs))]
        ax.step(xs, ys, where="post", label=label, color=colour(i), linewidth=1.6)
    for x in marks:
        ax.axvline(x, color=GREY, linestyle=":", linewidth=1)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction ≤ x")
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    return fig


def lines(x: Sequence[float], series: Mapping[str, Sequence[float]], *, xlabel: str,
          ylabel: str, title: str = "", log_x: bool = False, log_y: bool = False,
          ax=None, styles: Mapping[str, str] | None = None) -> Figure:
    """Several series over the same x, with markers."""
    fig, ax = (ax.figure, ax) if ax is not None else figure()
    for i, (label, ys) in enumerate(series.items()):
        fmt = (styles or {}).get(label, "-o")
        ax.plot(x, ys, fmt, label=label, color=colour(i), markersize=4, linewidth=1.5)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=11)
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False)
    return fig


def bars(categories: Sequence[str], series: Mapping[str, Sequence[float]], *, ylabel: str,
         title: str = "", ax=None, log_y: bool = False) -> Figure:
    """Grouped bars: one group per category, one bar per series."""
    fig, ax = (ax.figure, ax) if ax is not None else figure()
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (label, values) in enumerate(series.items()):
        xs = [k + (i - (n - 1) / 2) * width for k in range(len(categories))]
        ax.bar(xs, values, width=width, label=label, color=colour(i))
    ax.set_xticks(range(len(categories)), categories, fontsize=9)
    ax.set_ylabel(ylabel)
    if log_y:
        ax.set_yscale("log")
    if title:
        ax.set_title(title, fontsize=11)
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False)
    return fig


