"""Published latency figures ("numbers everyone should know"), for scale.

``data/latency_numbers.csv`` holds figures entered by hand from two sources
(the ``source`` column):

* ``dean2009``: Jeff Dean (Google), "Designs, Lessons and Advice from Building
  Large Distributed Systems", keynote at LADIS 2009 (the 3rd ACM SIGOPS
  International Workshop on Large Scale Distributed Systems and Middleware,
  Big Sky, Montana, 10-11 October 2009), slide "Numbers Everyone Should Know";
  http://www.cs.cornell.edu/projects/ladis2009/talks/dean-keynote-ladis2009.pdf
* ``norvig2001``: Peter Norvig, "Teach Yourself Programming in Ten Years"
  (essay dated 2001), table "Approximate timing for various operations on a
  typical PC"; https://norvig.com/21-days.html

Copies of Dean's slide that circulate differ in a few rows (mutex lock,
compression, reading 1 MB from disk); those rows are left out. Only the rows
every version agrees on are kept. The figures are circa-2009 hardware: orders
of magnitude, not measurements of today's machines.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..sim.table import TextTable, format_table

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "latency_numbers.csv"
SOURCES = {
    "dean2009": "J. Dean, LADIS 2009 keynote, slide 'Numbers Everyone Should Know'",
    "norvig2001": "P. Norvig, 'Teach Yourself Programming in Ten Years' (2001)",
}


@dataclass(frozen=True)
class LatencyFigure:
    operation: str
    nanoseconds: float
    source: str

    @property
    def milliseconds(self) -> float:
        return self.nanoseconds / 1e6


@dataclass(frozen=True)
class LatencyNumbers:
    figures: tuple

    def __getitem__(self, operation: str) -> LatencyFigure:
        for f in self.figures:
            if f.operation == operation:
                return f
        raise ValueError(f"operation must be one of {[f.operation for f in self.figures]}, "
                         f"got {operation!r}")

    def table(self) -> TextTable:
        base = self["Main memory reference"].nanoseconds
        rows = [(f.operation, _human(f.nanoseconds), _times(f.nanoseconds / base), f.source)
                for f in self.figures]
        return format_table(["operation", "latency", "vs memory reference", "source"], rows)


def _times(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 1 else f"{ratio:g}x"


def _human(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:g} µs"
    return f"{ns:g} ns"


def load_latency_numbers(path: str | Path | None = None) -> LatencyNumbers:
    """Read the CSV (``DATA_FILE`` by default); checks every row."""
    path = DATA_FILE if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"path={str(path)!r} is not a file; the course's copy is {DATA_FILE}")
    figures = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != ["operation", "latency_ns", "source"]:
            raise ValueError(f"{path.name}: columns must be operation, latency_ns, source; "
                             f"got {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            try:
                ns = float(row["latency_ns"])
            except (TypeError, ValueError):
                raise ValueError(f"{path.name}:{line}: latency_ns must be a number, "
                                 f"got {row['latency_ns']!r}") from None
            if not ns > 0:
                raise ValueError(f"{path.name}:{line}: latency_ns must be positive, got {ns:g}")
            if row["source"] not in SOURCES:
                raise ValueError(f"{path.name}:{line}: source must be one of {sorted(SOURCES)}, "
                                 f"got {row['source']!r}")
            figures.append(LatencyFigure(row["operation"], ns, row["source"]))
    if not figures:
        raise ValueError(f"{path.name} has no rows")
    return LatencyNumbers(tuple(figures))
