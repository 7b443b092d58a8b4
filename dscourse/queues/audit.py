"""The audit: what happened to every message a producer meant to send.

For each produced message (named by the producer: ``"p1-7"``) the audit counts

* ``appended``: copies of it in the log (more than one: a producer retry
  duplicated it; 0: it never got in);
* ``processed``: times a consumer ran its processing on it (a delivery);
* ``effects``: times its effect actually landed in the output store.

and classifies it by ``effects``: **lost** (0), **once** (1) or **duplicated**
(more than 1). The guarantees are claims about these counts: at-most-once
means no message has ``effects > 1``; at-least-once, none has ``effects == 0``;
exactly-once effects, every message has ``effects == 1``. ``processed`` can
still be 2 under exactly-once effects: delivery exactly once is impossible,
effect exactly once is not.

**Per-key order.** Messages with one key, from one producer, must take effect
(first time) in the order the producer sent them. Duplicates re-applied later
do not count as reordering (a replay of 3, 4 after 5 is a duplicate problem),
but 5 taking effect before 4 ever did is a reorder. The log's own order is
checked too: per key, a producer's messages appear in the partition in the
order it sent them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..sim.table import TextTable, format_table

VERDICTS = ("lost", "once", "duplicated")


@dataclass(frozen=True)
class Produced:
    """A message a producer meant to send: its id, key, producer and position (0, 1, ...)."""
    msg_id: str
    key: str | None
    producer: str
    n: int


@dataclass
class Audit:
    produced: list
    appended: Counter
    processed: Counter
    effects: Counter
    order_violations: list = field(default_factory=list)   # (key, earlier msg_id, later msg_id)
    log_order_violations: list = field(default_factory=list)

    def verdict(self, msg_id: str) -> str:
        n = self.effects.get(msg_id, 0)
        return "lost" if n == 0 else "once" if n == 1 else "duplicated"

    @property
    def counts(self) -> dict:
        out = {v: 0 for v in VERDICTS}
        for p in self.produced:
            out[self.verdict(p.msg_id)] += 1
        return out

    @property
    def lost(self) -> int:
        return self.counts["lost"]

    @property
    def duplicated(self) -> int:
        return self.counts["duplicated"]

    @property
    def once(self) -> int:
        return self.counts["once"]

    @property
    def redelivered(self) -> int:
        """Messages processed more than once (whether or not the effect repeated)."""
        return sum(1 for p in self.produced if self.processed.get(p.msg_id, 0) > 1)

    @property
    def producer_duplicates(self) -> int:
        """Messages the log holds more than once (a producer retry appended them again)."""
        return sum(1 for p in self.produced if self.appended.get(p.msg_id, 0) > 1)

    @property
    def order_held(self) -> bool:
        return not self.order_violations and not self.log_order_violations

    def holds(self, guarantee: str) -> bool:
        """Does this run meet ``guarantee``'s promise about the counts?"""
        c = self.counts
        if guarantee == "at-most-once":
            return c["duplicated"] == 0
        if guarantee == "at-least-once":
            return c["lost"] == 0
        if guarantee == "exactly-once":
            return c["lost"] == 0 and c["duplicated"] == 0
        raise ValueError(f"guarantee must be 'at-most-once', 'at-least-once' or 'exactly-once'; "
                         f"got {guarantee!r}")

    def summary(self) -> dict:
        c = self.counts
        return {"produced": len(self.produced), "lost": c["lost"], "once": c["once"],
                "duplicated": c["duplicated"], "redelivered": self.redelivered,
                "producer duplicates": self.producer_duplicates,
                "order violations": len(self.order_violations) + len(self.log_order_violations)}

    def table(self, title: str | None = None) -> TextTable:
        s = self.summary()
        return format_table(list(s), [list(s.values())], title=title)

    def details(self, only_problems: bool = True, limit: int = 20) -> TextTable:
        """One row per message (by default only those lost or duplicated)."""
        rows = []
        for p in self.produced:
            v = self.verdict(p.msg_id)
            if only_problems and v == "once" and self.processed.get(p.msg_id, 0) <= 1:
                continue
            rows.append((p.msg_id, p.key if p.key is not None else "-",
                         self.appended.get(p.msg_id, 0), self.processed.get(p.msg_id, 0),
                         self.effects.get(p.msg_id, 0), v))
        more = max(0, len(rows) - limit)
        title = f"(first {limit} of {len(rows)} messages)" if more else None
        if not rows:
            title = "(every message took effect exactly once, processed once)"
        return format_table(["message", "key", "appended", "processed", "effects", "verdict"],
                            rows[:limit], title=title)


def audit(produced: Iterable[Produced], effects: Iterable[tuple], processed: Iterable[tuple] = (),
          log_records: Iterable[Any] = ()) -> Audit:
    """Audit a run. ``effects`` and ``processed`` are ``(time, consumer, msg_id, key)`` in the
    order they happened (a ``Sink``'s lists); ``log_records`` every record in the log."""
    produced = list(produced)
    index = {p.msg_id: p for p in produced}
    effects = list(effects)
    appended: Counter = Counter()
    records = list(log_records)
    for r in records:
        appended[r.msg_id] += 1
    result = Audit(produced, appended, Counter(e[2] for e in processed), Counter(e[2] for e in effects))
    result.order_violations = _reorders((e[2] for e in effects), index)
    by_partition: dict = {}
    for r in records:
        by_partition.setdefault((r.topic, r.partition), []).append(r)
    for tp in sorted(by_partition):
        ordered = sorted(by_partition[tp], key=lambda r: r.offset)
        result.log_order_violations.extend(_reorders((r.msg_id for r in ordered), index))
    return result


def _reorders(sequence: Iterable[str], index: dict) -> list:
    """Pairs that took effect (first time) out of their producer's order, per key."""
    last: dict = {}          # (key, producer) -> (n, msg_id) of the latest first occurrence
    seen: set = set()
    out = []
    for msg_id in sequence:
        if msg_id in seen or msg_id not in index:
            continue
        seen.add(msg_id)
        p = index[msg_id]
        k = (p.key, p.producer)
        prev = last.get(k)
        if prev is not None and prev[0] > p.n:
            out.append((p.key, prev[1], msg_id))
        if prev is None or prev[0] < p.n:
            last[k] = (p.n, msg_id)
    return out
