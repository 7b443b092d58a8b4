"""Plain-text tables: the text form of every figure.

Notebooks show a table beside each plot, so that nbval can compare it and a
screen reader can read it. ``format_table`` returns a ``TextTable``: a ``str``
that displays as itself in a notebook (no quotes) and keeps its rows.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence


class TextTable(str):
    """A string that shows as a table in a notebook and keeps ``headers``/``rows``."""

    headers: tuple
    rows: list

    def __repr__(self) -> str:
        return str(self)


def format_cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value == int(value) and abs(value) < 1e15:
            return f"{value:.1f}"
        return f"{value:.4g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:.3f}".rstrip("0")
    if value is None:
        return "-"
    return str(value)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
                 title: str | None = None) -> TextTable:
    rows = [list(r) for r in rows]
    cells = [[format_cell(v) for v in row] for row in rows]
    for i, row in enumerate(cells):
        if len(row) != len(headers):
            raise ValueError(f"row {i} has {len(row)} cells, expected {len(headers)}")
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(values):
        out = []
        for v, w, raw in zip(values, widths, values):
            out.append(v.rjust(w) if _numeric(raw) else v.ljust(w))
        return "  ".join(out).rstrip()

    parts = []
    if title:
        parts.append(title)
    parts.append(line(list(headers)))
    parts.append("  ".join("-" * w for w in widths))
    parts.extend(line(row) for row in cells)
    table = TextTable("\n".join(parts))
    table.headers = tuple(headers)
    table.rows = rows
    return table


def _numeric(text: str) -> bool:
    try:
        float(text.replace("%", "").replace("x", ""))
        return True
    except ValueError:
        return False
