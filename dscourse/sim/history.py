"""Client histories in Jepsen's model.

A history is a list of events, each a dict

    {"process": p, "type": "invoke" | "ok" | "fail" | "info", "f": f, "value": v, "time": t}

A process invokes one operation at a time and then completes it with

* ``ok``: it took effect, and ``value`` is its result (for a read, what was read);
* ``fail``: it certainly did not take effect;
* ``info``: the outcome is unknown (a timeout): it may or may not have taken
  effect, now or at any later time.

An operation still pending when the history ends counts as ``info``.
Checkers (``dscourse.checkers``) read histories; the simulator's clients write
them. ``operations()`` pairs each invocation with its completion.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Iterable

from .table import TextTable, format_table

TYPES = ("invoke", "ok", "fail", "info")


@dataclass(frozen=True)
class Operation:
    """An invocation paired with its completion."""
    process: Any
    f: str
    value: Any            # the invocation's argument
    result: Any           # the completion's value (None if unknown)
    type: str             # "ok", "fail" or "info"
    invoke_time: float
    complete_time: float  # math.inf when the outcome is unknown
    invoke_index: int
    complete_index: int | None

    @property
    def pending(self) -> bool:
        return self.type == "info"


def _check_process(index: int, process: Any) -> None:
    if isinstance(process, bool) or not isinstance(process, (int, str)):
        raise ValueError(f"event {index}: process must be an int or a str, got {process!r}")


class History:
    """An append-only, validated list of Jepsen-style events."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self._pending: dict[Any, int] = {}

    # -- recording -----------------------------------------------------------
    def invoke(self, process: Any, f: str, value: Any = None, time: float = 0.0) -> int:
        return self._append({"process": process, "type": "invoke", "f": f,
                             "value": value, "time": time})

    def ok(self, process: Any, value: Any = None, time: float = 0.0) -> int:
        return self.complete(process, "ok", value, time)

    def fail(self, process: Any, value: Any = None, time: float = 0.0) -> int:
        return self.complete(process, "fail", value, time)

    def info(self, process: Any, value: Any = None, time: float = 0.0) -> int:
        return self.complete(process, "info", value, time)

    def complete(self, process: Any, type: str, value: Any = None, time: float = 0.0) -> int:
        index = len(self.events)
        if process not in self._pending:
            raise ValueError(f"event {index}: {type!r} for process {process!r}, "
                             f"which has no pending invocation")
        f = self.events[self._pending[process]]["f"]
        return self._append({"process": process, "type": type, "f": f,
                             "value": value, "time": time})

    def _append(self, event: dict) -> int:
        index = len(self.events)
        self._validate(index, event)
        self.events.append(event)
        return index

    def _validate(self, index: int, event: Any) -> None:
        if not isinstance(event, dict):
            raise ValueError(f"event {index}: must be a dict, got {type(event).__name__}")
        missing = {"process", "type", "f"} - event.keys()
        if missing:
            raise ValueError(f"event {index}: missing key(s) {sorted(missing)}")
        process, kind, f = event["process"], event["type"], event["f"]
        _check_process(index, process)
        if kind not in TYPES:
            raise ValueError(f"event {index}: type must be one of {TYPES}, got {kind!r}")
        if not isinstance(f, str) or not f:
            raise ValueError(f"event {index}: f must be a non-empty string, got {f!r}")
        t = event.get("time", 0.0)
        if isinstance(t, bool) or not isinstance(t, (int, float)) or math.isnan(t):
            raise ValueError(f"event {index}: time must be a number, got {t!r}")
        if kind == "invoke":
            if process in self._pending:
                raise ValueError(f"event {index}: process {process!r} invokes {f!r} while "
                                 f"its operation at event {self._pending[process]} is "
                                 f"still pending (a process runs one operation at a time)")
            self._pending[process] = index
        else:
            if process not in self._pending:
                raise ValueError(f"event {index}: {kind!r} completion for process "
                                 f"{process!r} without a pending invocation")
            inv = self.events[self._pending[process]]
            if inv["f"] != f:
                raise ValueError(f"event {index}: completion f={f!r} does not match the "
                                 f"invocation's f={inv['f']!r} (event {self._pending[process]})")
            del self._pending[process]

    # -- reading -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    @property
    def pending(self) -> dict:
        """Processes with an operation still in flight, and its invoke index."""
        return dict(self._pending)

    def operations(self) -> list[Operation]:
        """Pair invocations with completions; unfinished ones count as ``info``."""
        ops: list[Operation] = []
        open_: dict[Any, int] = {}
        for i, e in enumerate(self.events):
            if e["type"] == "invoke":
                open_[e["process"]] = i
                continue
            j = open_.pop(e["process"])
            inv = self.events[j]
            t = e.get("time", 0.0) if e["type"] != "info" else math.inf
            ops.append(Operation(e["process"], e["f"], inv.get("value"),
                                 e.get("value") if e["type"] != "info" else None,
                                 e["type"], inv.get("time", 0.0), t, j, i))
        for process, j in open_.items():
            inv = self.events[j]
            ops.append(Operation(process, inv["f"], inv.get("value"), None, "info",
                                 inv.get("time", 0.0), math.inf, j, None))
        ops.sort(key=lambda op: op.invoke_index)
        return ops

    def table(self, limit: int | None = 40) -> TextTable:
        rows = [(i, e["process"], e["type"], e["f"], repr(e.get("value")),
                 f"{e.get('time', 0.0):.3f}") for i, e in enumerate(self.events)]
        title = None
        if limit is not None and len(rows) > limit:
            title = f"(first {limit} of {len(rows)} events)"
            rows = rows[:limit]
        return format_table(["index", "process", "type", "f", "value", "time"], rows, title=title)

    # -- JSON ----------------------------------------------------------------
    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.events, indent=indent)

    @classmethod
    def from_events(cls, events: Iterable[dict]) -> "History":
        """Build and validate a history from event dicts (as loaded from JSON)."""
        if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
            raise TypeError(f"events must be a list of dicts, got {type(events).__name__}")
        history = cls()
        for event in events:
            history._append(dict(event) if isinstance(event, dict) else event)
        return history

    @classmethod
    def from_json(cls, text: str) -> "History":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"history JSON is malformed: {exc}") from None
        if not isinstance(data, list):
            raise ValueError(f"history JSON must be a list of events, got {type(data).__name__}")
        return cls.from_events(data)

    @classmethod
    def load(cls, path) -> "History":
        with open(path, encoding="utf-8") as fh:
            return cls.from_json(fh.read())
