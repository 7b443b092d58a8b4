"""Invariants: named predicates checked after every event.

An invariant is a function of the simulator that returns ``True`` (or
``None``) when it holds, and ``False`` or a message when it does not. It is
checked after every event; a violation is *recorded*, with its time, in
``sim.violations`` and in the trace, and the run goes on, so that a notebook
can show a protocol breaking instead of stopping at the first exception.

A violation is recorded when an invariant goes from holding to not holding
(and counted while it keeps failing), so one broken state does not flood the
record. Name invariants after the paper: ``election_safety``,
``log_matching``, ``agreement``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .table import TextTable, format_table


@dataclass(frozen=True)
class Violation:
    name: str
    time: float
    event: int          # how many events had been processed
    message: str


class InvariantMonitor:
    def __init__(self) -> None:
        self.checks: dict[str, Callable[[Any], Any]] = {}
        self.violations: list[Violation] = []
        self.failing: dict[str, int] = {}   # name -> events for which it failed

    def add(self, name: str, predicate: Callable[[Any], Any]) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        if not callable(predicate):
            raise TypeError(f"predicate must be callable (sim -> bool | str), got {predicate!r}")
        if name in self.checks:
            raise ValueError(f"an invariant named {name!r} is already registered")
        self.checks[name] = predicate

    def check(self, sim) -> list[Violation]:
        new = []
        for name, predicate in self.checks.items():
            result = predicate(sim)
            if result is True or result is None:
                self.failing.pop(name, None)
                continue
            message = "violated" if result is False else str(result)
            if name not in self.failing:
                v = Violation(name, sim.now, sim.events_processed, message)
                self.violations.append(v)
                new.append(v)
                self.failing[name] = 0
            self.failing[name] += 1
        return new

    def table(self) -> TextTable:
        rows = [(v.name, f"{v.time:.3f}", v.event, v.message) for v in self.violations]
        return format_table(["invariant", "time", "event", "message"], rows,
                            title=None if rows else "no invariant violated")
