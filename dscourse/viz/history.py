"""The history view: one lane per process, each operation a bar.

A bar runs from an operation's invocation to its completion: blue when it
completed ``ok``, grey and hatched when it ``fail``-ed (it did not take
effect), and pale, ending in a dotted arrow, when its outcome is unknown
(``info``: the client gave up there, but the operation may take effect at
any later time; one still pending at the end runs off the right edge). Operations a checker
blames (a linearizability result's window, or the reads and writes of a
causal or session anomaly) are drawn in vermilion, and the failing operation
gets a thick outline.

The x axis is virtual time when the history has times, event order when it
does not (hand-written histories); ``axis=`` chooses. A long history is
zoomed on the highlighted operations. ``history_table`` is the text twin (and
``dscourse.checkers.history_lanes`` draws the same lanes as text).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from ..checkers.lanes import default_describe, operations_table, process_order
from ..checkers.linearizability import LinearizabilityResult, as_history
from ..checkers.rw import ConsistencyResult
from ..sim.history import Operation
from ..sim.table import TextTable
from .plots import GREY, PALETTE, figure

OK_COLOUR = PALETTE[0]
HOT_COLOUR = PALETTE[3]
INFO_COLOUR = PALETTE[5]


def _blamed(result: Any) -> tuple[list, Operation | None, Callable | None]:
    if result is None:
        return [], None, None
    if isinstance(result, LinearizabilityResult):
        ops = list(result.window) if result.valid is False else []
        return ops, result.failed_op, result.describe
    if isinstance(result, ConsistencyResult):
        reads = [a.read for a in result.anomalies if a.read is not None]
        return list(result.ops), (reads[0] if reads else None), None
    raise TypeError(f"result must be a LinearizabilityResult or ConsistencyResult, got "
                    f"{type(result).__name__}")


def _x(op_time: float, index: int | None, use_time: bool) -> float:
    return op_time if use_time else float(index)


def plot_history(history, result: Any = None, *, highlight: Iterable[Operation] = (),
                 axis: str = "auto", start: float | None = None, stop: float | None = None,
                 max_ops: int = 80, labels: bool | None = None,
                 describe: Callable[[Operation], str] | None = None, title: str | None = None,
                 ax=None, width: float = 8.0):
    """Draw ``history`` (a History or list of events); returns the Figure.

    ``result``: a checker result whose blamed operations are highlighted (and
    whose ``describe`` labels the bars); ``highlight``: more operations to mark.
    ``axis``: "time", "index" (event order) or "auto". ``start``/``stop``
    bound the x range; by default a history of more than ``max_ops``
    operations is zoomed on the highlighted ones.
    """
    if axis not in ("auto", "time", "index"):
        raise ValueError(f"axis must be 'auto', 'time' or 'index', got {axis!r}")
    history = as_history(history)
    ops = history.operations()
    blamed, failed, result_describe = _blamed(result)
    hot = {op.invoke_index for op in blamed} | {op.invoke_index for op in highlight}
    describe = describe or result_describe or default_describe
    use_time = axis == "time" or (axis == "auto" and any(e.get("time", 0.0) for e in history.events))

    def span(op):
        """(invoke, completion) in x units; an info op's bar ends where its client
        gave up (math.inf if it never did), its effect may come later."""
        a = _x(op.invoke_time, op.invoke_index, use_time)
        if op.complete_index is None:
            return a, math.inf
        t = history.events[op.complete_index].get("time", 0.0)
        return a, _x(t, op.complete_index, use_time)

    finite = [x for op in ops for x in span(op) if x != math.inf]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if start is None and stop is None and len(ops) > max_ops and hot:
        marked = [span(op) for op in ops if op.invoke_index in hot]
        a = min(s for s, _ in marked)
        b = max(e if e != math.inf else s for s, e in marked)
        pad = max((b - a) * 0.5, (hi - lo) * 0.01)
        start, stop = a - pad, b + pad
    start = lo if start is None else start
    stop = hi if stop is None else stop
    if stop <= start:
        stop = start + 1.0
    shown = [op for op in ops if span(op)[0] <= stop and span(op)[1] >= start]
    procs = process_order(op.process for op in ops)
    lane = {p: i for i, p in enumerate(procs)}
    height = 0.9 + 0.45 * max(len(procs), 1)
    fig, ax = (ax.figure, ax) if ax is not None else figure(width, height)
    ax.grid(False)
    width_x = stop - start
    ax.set_xlim(start - 0.01 * width_x, stop + 0.03 * width_x)
    ax.set_ylim(len(procs) - 0.4, -0.6)
    ax.set_yticks(range(len(procs)), [str(p) for p in procs])
    ax.set_ylabel("process")
    ax.set_xlabel("virtual time (ms)" if use_time else "event index")
    ax.spines["left"].set_visible(False)
    show_labels = labels if labels is not None else len(shown) <= 40
    for op in shown:
        a, b = span(op)
        open_end = b == math.inf
        b_draw = stop + 0.02 * width_x if open_end else b
        y = lane[op.process]
        is_hot = op.invoke_index in hot
        if op.type == "fail":
            face, hatch, alpha = GREY, "//", 0.5
        elif op.type == "info":
            face, hatch, alpha = INFO_COLOUR, None, 0.45
        else:
            face, hatch, alpha = OK_COLOUR, None, 0.75
        if is_hot:
            face, alpha = HOT_COLOUR, 0.85
        edge = "black" if failed is not None and op.invoke_index == failed.invoke_index else face
        lw = 2.2 if edge == "black" else 0.8
        ax.barh(y, max(b_draw - a, width_x * 0.004), left=a, height=0.5, color=face, alpha=alpha,
                hatch=hatch, edgecolor=edge, linewidth=lw, zorder=2)
        if op.type == "info":       # it may still take effect: an arrow onwards
            ax.annotate("", xy=(b_draw + 0.015 * width_x, y + 0.18), xytext=(b_draw, y + 0.18),
                        arrowprops={"arrowstyle": "-|>", "color": face, "lw": 1.2,
                                    "linestyle": ":"}, zorder=3)
        if show_labels or is_hot:
            text_x = max(a, start) + 0.003 * width_x
            ax.text(text_x, y, describe(op), fontsize=7, va="center", ha="left", zorder=4,
                    color="black", clip_on=True)
    if title is None:
        if isinstance(result, LinearizabilityResult):
            title = f"linearizable: {result.valid}" + (
                f" (key {result.key!r})" if result.valid is False and result.key is not None else "")
        elif isinstance(result, ConsistencyResult):
            title = f"{result.guarantee}: {'holds' if result.valid else 'violated'}"
        else:
            title = f"history: {len(ops)} operations"
    ax.set_title(title, fontsize=10)
    return fig


def history_table(history, result: Any = None, *, highlight: Iterable[Operation] = (),
                  limit: int | None = 40) -> TextTable:
    """The text twin of ``plot_history``: the operations, the blamed ones marked.

    With a result that blames operations and a long history, only the blamed
    operations are listed.
    """
    history = as_history(history)
    blamed, _, result_describe = _blamed(result)
    marks = list(blamed) + list(highlight)
    ops = None
    if marks and limit is not None and len(history) > 2 * limit:
        keep = {op.invoke_index for op in marks}
        ops = [op for op in history.operations() if op.invoke_index in keep]
    return operations_table(history, ops, highlight=marks, describe=result_describe, limit=limit)
