"""The trace: an append-only record of everything observable in a run.

Every send, delivery, drop, duplicate, timer, crash, recovery, pause, resume,
partition, heal, state change, log line and invariant violation is one record:

    (time, kind, node, peer, ref, data)

``node`` is the node the event happened at (the sender for ``send``, ``drop``
and ``dup``; the receiver for ``deliver``), ``peer`` the other end, ``ref`` a
message id (or a timer id), and ``data`` the message, a reason or a detail.
Records are plain tuples while a run is hot; ``records`` and iteration give
them as ``TraceRecord`` named tuples.

Views, checkers and widgets read the trace, never live nodes. ``digest()``
hashes a canonical text of every record, so two runs with the same seed and
fault plan give the same digest on every machine: a test can pin behaviour
with one string.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Iterable, Iterator, NamedTuple

from .table import TextTable, format_table

KINDS = ("start", "send", "deliver", "drop", "dup", "timer", "crash", "recover",
         "pause", "resume", "fault", "state", "log", "violation")


class TraceRecord(NamedTuple):
    time: float
    kind: str
    node: Any
    peer: Any
    ref: Any
    data: Any


class MessageRecord(NamedTuple):
    """One message's life: sent, then delivered (maybe more than once) or dropped."""
    mid: int
    src: Any
    dst: Any
    msg: Any
    sent: float
    delivered: tuple
    dropped: tuple  # (time, reason) pairs


def canonical(obj: Any) -> str:
    """A text for ``obj`` that does not depend on set or dict order or hash seeds."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        inner = ",".join(f"{f.name}={canonical(getattr(obj, f.name))}"
                         for f in dataclasses.fields(obj))
        return f"{type(obj).__name__}({inner})"
    if isinstance(obj, dict):
        items = sorted((canonical(k), canonical(v)) for k, v in obj.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(obj, (set, frozenset)):
        return "{" + ",".join(sorted(canonical(x) for x in obj)) + "}"
    if isinstance(obj, (list, tuple)):
        inner = ",".join(canonical(x) for x in obj)
        return ("[" + inner + "]") if isinstance(obj, list) else ("(" + inner + ")")
    if isinstance(obj, float):
        return f"{obj:.6f}"
    if isinstance(obj, (str, int, bool, bytes)) or obj is None:
        return repr(obj)
    if hasattr(obj, "to_dict"):
        return canonical(obj.to_dict())
    fields = getattr(obj, "__dict__", None)
    if fields is None and hasattr(type(obj), "__slots__"):
        fields = {k: getattr(obj, k) for k in type(obj).__slots__ if hasattr(obj, k)}
    if fields is not None:
        # a plain object (say a log inside a message): its attributes, so the
        # digest sees its contents, not just its type
        return f"{type(obj).__name__}({canonical(dict(fields))})"
    return f"<{type(obj).__name__}>"


class Trace:
    def __init__(self) -> None:
        self._records: list[tuple] = []
        self._hasher = hashlib.sha256()
        self._hashed = 0

    # -- writing (the simulator calls this) ---------------------------------
    def append(self, record: tuple) -> None:
        self._records.append(record)

    # -- reading -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[TraceRecord]:
        make = TraceRecord._make
        for r in self._records:
            yield make(r)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [TraceRecord._make(r) for r in self._records[i]]
        return TraceRecord._make(self._records[i])

    @property
    def records(self) -> list[TraceRecord]:
        return [TraceRecord._make(r) for r in self._records]

    def raw(self) -> list[tuple]:
        """The records as plain tuples (no copy of the tuples themselves)."""
        return list(self._records)

    @property
    def live(self) -> list[tuple]:
        """The simulator's own list of records, growing as the run goes on.

        For readers that follow a run incrementally (an invariant that looks
        only at the records since it last looked): read it, never change it.
        """
        return self._records

    def select(self, kinds: Iterable[str] | str | None = None, node: Any = None,
               since: float | None = None, until: float | None = None) -> list[TraceRecord]:
        if isinstance(kinds, str):
            kinds = (kinds,)
        kinds = set(kinds) if kinds is not None else None
        if kinds is not None and not kinds <= set(KINDS):
            raise ValueError(f"kinds must be among {KINDS}, got {sorted(kinds - set(KINDS))}")
        out = []
        for r in self._records:
            if kinds is not None and r[1] not in kinds:
                continue
            if node is not None and r[2] != node:
                continue
            if since is not None and r[0] < since:
                continue
            if until is not None and r[0] > until:
                continue
            out.append(TraceRecord._make(r))
        return out

    def count(self, kind: str, node: Any = None) -> int:
        return sum(1 for r in self._records if r[1] == kind and (node is None or r[2] == node))

    def messages(self) -> list[MessageRecord]:
        """Every message with its send time, delivery times and drops, by id."""
        sends: dict[int, list] = {}
        order = []
        for t, kind, node, peer, ref, data in self._records:
            if kind == "send":
                sends[ref] = [ref, node, peer, data, t, [], []]
                order.append(ref)
            elif kind == "deliver" and ref in sends:
                sends[ref][5].append(t)
            elif kind == "drop" and ref in sends:
                sends[ref][6].append((t, data))
        return [MessageRecord(m[0], m[1], m[2], m[3], m[4], tuple(m[5]), tuple(m[6]))
                for m in (sends[i] for i in order)]

    def digest(self) -> str:
        """SHA-256 of the canonical text of every record so far."""
        records = self._records
        h = self._hasher
        for i in range(self._hashed, len(records)):
            t, kind, node, peer, ref, data = records[i]
            h.update(f"{t:.6f}|{kind}|{node!r}|{peer!r}|{ref!r}|{canonical(data)}\n".encode())
        self._hashed = len(records)
        return h.copy().hexdigest()

    def table(self, kinds: Iterable[str] | str | None = None, node: Any = None,
              since: float | None = None, until: float | None = None,
              limit: int | None = 40) -> TextTable:
        """The trace as a text table (the first ``limit`` matching records)."""
        rows = self.select(kinds, node, since, until)
        more = 0
        if limit is not None and len(rows) > limit:
            more = len(rows) - limit
            rows = rows[:limit]
        table_rows = [(f"{r.time:.3f}", r.kind, _fmt(r.node), _fmt(r.peer), describe(r))
                      for r in rows]
        title = None if not more else f"(first {limit} of {limit + more} records)"
        return format_table(["time", "kind", "node", "peer", "detail"], table_rows, title=title)


def _fmt(value: Any) -> str:
    return "-" if value is None else str(value)


def describe(record: TraceRecord) -> str:
    """A short human text for one record's detail column."""
    kind, data = record.kind, record.data
    if kind in ("send", "deliver"):
        return f"#{record.ref} {short(data)}"
    if kind == "drop":
        return f"#{record.ref} dropped: {data}"
    if kind == "dup":
        return f"#{record.ref} duplicated"
    if kind == "timer":
        return f"timer {data!r}"
    if kind == "state":
        return ", ".join(f"{k}={v!r}" for k, v in sorted(data.items()))
    if kind == "violation":
        name, message = data
        return f"{name}: {message}"
    if data is None:
        return ""
    return short(data)


def short(obj: Any, width: int = 60) -> str:
    text = repr(obj)
    return text if len(text) <= width else text[: width - 3] + "..."
