"""The text form of a history: one lane per process, operations as bars.

Time runs to the right in *event order* (column ``i`` is the history's event
``i``), which is the order the checker uses for "completed before invoked".
Each operation is a bar from its invocation to its completion::

    event  0    5    10
    p0     [w(1)-]   [r→1]
    p1       [r→0-------]

* ``[label---]`` an operation that completed ``ok``;
* ``[label...x]`` one that completed ``fail`` (it did not take effect);
* ``[label~~~~>`` one whose outcome is unknown (``info``): it may take effect
  at any later time, so its bar runs off the right edge;
* ``[label###]`` an operation of the highlighted window (a violation);
* ``<`` where a bar starts before the shown range.

``operations_table`` lists the same operations as rows.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..sim.history import History, Operation
from ..sim.table import TextTable, format_table

LEGEND = ("[..-] ok   [..x] fail   [..~> unknown outcome (info)   [..#] in the window   "
          "columns: event index")


def process_order(processes: Iterable[Any]) -> list:
    """Processes sorted: ints numerically first, then strings."""
    return sorted(set(processes), key=lambda p: (isinstance(p, str), p))


def default_describe(op: Operation) -> str:
    if op.f in ("read", "get") and op.type == "ok":
        return f"{op.f[0]}→{op.result!r}"
    arg = "" if op.value is None else repr(op.value)
    return f"{op.f}({arg})"


def _ops_of(history) -> tuple[list[Operation], int]:
    if isinstance(history, History):
        return history.operations(), len(history)
    history = History.from_events(history)
    return history.operations(), len(history)


def history_lanes(history, *, highlight: Iterable[Operation] = (), around: Iterable[Operation] | None = None,
                  start: int | None = None, stop: int | None = None, margin: int = 2,
                  width: int = 100, describe: Callable[[Operation], str] | None = None) -> TextTable:
    """Draw ``history`` as text lanes.

    ``highlight``: operations to mark (e.g. a checker's window). ``around``:
    show only the events spanned by these operations (plus ``margin`` events
    each side); or give ``start``/``stop`` event indices. ``width`` bounds the
    line length: when the range does not fit, it is cut and the title says so.
    """
    ops, n_events = _ops_of(history)
    describe = describe or default_describe
    marked = {op.invoke_index for op in highlight}
    if around:
        around = list(around)
        lo = min(op.invoke_index for op in around) - margin
        hi = max(op.complete_index if op.complete_index is not None else op.invoke_index
                 for op in around) + margin
        start = max(0, lo) if start is None else start
        stop = min(n_events - 1, hi) if stop is None else stop
    start = 0 if start is None else max(0, start)
    stop = n_events - 1 if stop is None else min(n_events - 1, stop)
    procs = process_order(op.process for op in ops)
    name_w = max([len("event")] + [len(str(p)) for p in procs])
    room = max(10, width - name_w - 2)
    span = stop - start + 1 if n_events else 0
    scale = max(1, min(8, room // max(1, span)))
    note = ""
    if span * scale > room:
        if around:          # keep the end, where a checker's failure is
            start = stop - room // scale + 1
        else:
            stop = start + room // scale - 1
        note = f" (events {start}-{stop} of {n_events}; the rest is cut)"
        span = stop - start + 1
    cols = span * scale
    lanes = {p: [" "] * cols for p in procs}
    for op in ops:
        end_index = op.complete_index
        if op.invoke_index > stop or (end_index is not None and end_index < start):
            continue
        a = max(op.invoke_index, start) - start
        open_end = op.type == "info" or end_index is None or end_index > stop
        b = (span - 1 if open_end else end_index - start)
        c0, c1 = a * scale, b * scale + scale - 1
        hot = op.invoke_index in marked
        fill = "#" if hot else {"ok": "-", "fail": ".", "info": "~"}[op.type]
        bar = [fill] * (c1 - c0 + 1)
        bar[0] = "<" if op.invoke_index < start else "["
        if op.type == "info" or end_index is None:
            bar[-1] = ">"
        elif end_index > stop:
            bar[-1] = ">"
        else:
            bar[-1] = "x" if op.type == "fail" else "]"
        label = describe(op)
        room_in = len(bar) - 2 - (1 if hot else 0)    # a marked bar keeps one '#' visible
        if len(label) > room_in:
            label = label[:room_in - 1] + "…" if room_in > 1 else ""
        for k, ch in enumerate(label):
            bar[1 + k] = ch
        lane = lanes[op.process]
        lane[c0:c1 + 1] = bar
    ticks = [" "] * cols
    for e in range(start, stop + 1):
        if e % 5 == 0:
            text = str(e)
            pos = (e - start) * scale
            if all(ch == " " for ch in ticks[pos:pos + len(text)]) and pos + len(text) <= cols:
                ticks[pos:pos + len(text)] = list(text)
    lines = [f"{'event'.ljust(name_w)}  {''.join(ticks).rstrip()}"]
    rows = []
    for p in procs:
        text = "".join(lanes[p]).rstrip()
        rows.append((p, text))
        lines.append(f"{str(p).ljust(name_w)}  {text}")
    title = f"History lanes{note}"
    out = TextTable("\n".join([title] + lines + [LEGEND]))
    out.headers = ("process", "lane")
    out.rows = rows
    out.start, out.stop = start, stop      # the event range shown
    return out


def operations_table(history, ops: Iterable[Operation] | None = None, *,
                     highlight: Iterable[Operation] = (),
                     describe: Callable[[Operation], str] | None = None,
                     limit: int | None = 40) -> TextTable:
    """The operations (all, or ``ops``) as rows: process, operation, events, outcome."""
    if ops is None:
        ops, _ = _ops_of(history)
    ops = list(ops)
    describe = describe or default_describe
    marked = {op.invoke_index for op in highlight}
    rows = [(op.process, describe(op), op.invoke_index,
             "-" if op.complete_index is None else op.complete_index, op.type,
             "*" if op.invoke_index in marked else "") for op in ops]
    title = None
    if limit is not None and len(rows) > limit:
        title = f"(first {limit} of {len(rows)} operations)"
        rows = rows[:limit]
    return format_table(["process", "operation", "invoke", "complete", "outcome", "window"],
                        rows, title=title)
