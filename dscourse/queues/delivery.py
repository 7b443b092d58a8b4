"""Delivery guarantees are decided by the consumer: when it commits, and how it writes.

A consumer reads a batch, processes each record (its **effect**: a row written,
an e-mail sent, a balance changed) and commits the offset after the batch. A
crash can strike between any two of these steps, and the order of the steps
decides what the crash costs:

* **at-most-once**: commit, *then* process. A crash after the commit and
  before the processing finished skips the rest of the batch: records lost,
  never repeated.
* **at-least-once**: process, *then* commit. A crash after processing and
  before the commit makes the next owner process those records again:
  nothing lost, some repeated.
* **exactly-once effects**. Exactly-once *delivery* is impossible when
  processes crash: a consumer that dies after acting and before recording that
  it acted cannot be told apart from one that died before acting, so the
  record must be handed out again. What a system can give is exactly-once
  *effects*, two ways:

  - ``dedup``: at-least-once delivery with an **idempotent consumer**: the
    effect and a deduplication key are written in one atomic write, and a
    record whose key is already there is skipped. The key must name the
    *message* (the producer's ``msg_id``); a key made of the offset misses the
    duplicates a retrying producer appended at another offset.
  - ``transaction``: the effects of a batch and the offsets it reached are
    committed **together, atomically**, in the output store (Kafka's
    transactions, or a database table of offsets). The consumer reads its
    starting offsets from that store, not from the broker, and the write is a
    compare-and-set on those offsets, which also fences off a "zombie"
    consumer that lost its partition without knowing it.

``Sink`` is that output store: the downstream database the consumers write to.
It stands outside the failure model of these runs (it does not crash), so the
audit sees exactly which effects landed: ``processed`` lists every time a
consumer ran its processing on a record, ``effects`` every effect that took hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..sim.validate import check_choice
from .log import Record, TopicPartition

GUARANTEES = ("at-most-once", "at-least-once", "exactly-once")
EXACTLY_ONCE_VIA = ("dedup", "transaction")
DEDUP_KEYS = ("msg_id", "offset")


def check_guarantee(guarantee: Any, via: Any = "dedup", dedup_key: Any = "msg_id") -> tuple:
    return (check_choice("guarantee", guarantee, GUARANTEES),
            check_choice("via", via, EXACTLY_ONCE_VIA),
            check_choice("dedup_key", dedup_key, DEDUP_KEYS))


def dedup_key_of(record: Record, dedup_key: str) -> tuple:
    """The deduplication key: the message's own id, or (wrongly) its position in the log."""
    if dedup_key == "msg_id":
        return ("msg", record.msg_id)
    return ("offset", record.topic, record.partition, record.offset)


class Sink:
    """The output store consumers write their effects to (see the module docstring)."""

    def __init__(self) -> None:
        self.processed: list[tuple] = []     # (time, consumer, msg_id, key) each processing run
        self.effects: list[tuple] = []       # (time, consumer, msg_id, key) each effect that landed
        self.dedup: set = set()
        self.offsets: dict[TopicPartition, int] = {}
        self.refused = 0                     # transactions refused by the compare-and-set

    def note_processed(self, record: Record, consumer: Any, now: float) -> None:
        self.processed.append((now, consumer, record.msg_id, record.key))

    def write(self, record: Record, consumer: Any, now: float) -> None:
        """A plain effect: it lands every time."""
        self.effects.append((now, consumer, record.msg_id, record.key))

    def write_once(self, record: Record, consumer: Any, now: float, dedup_key: str = "msg_id") -> bool:
        """Effect and dedup key in one atomic write; skipped if the key is there. True if applied."""
        k = dedup_key_of(record, dedup_key)
        if k in self.dedup:
            return False
        self.dedup.add(k)
        self.effects.append((now, consumer, record.msg_id, record.key))
        return True

    def offset(self, tp: TopicPartition) -> int:
        """The offset stored with the output for ``tp`` (0 if nothing committed yet)."""
        return self.offsets.get(TopicPartition(*tp), 0)

    def commit_transaction(self, records: Iterable[Record], consumer: Any, now: float,
                           start: dict, end: dict) -> bool:
        """Write the effects of ``records`` and move the stored offsets from ``start`` to ``end``,
        all or nothing; refused (False) if any stored offset is not at ``start`` any more."""
        for tp, offset in start.items():
            if self.offset(tp) != offset:
                self.refused += 1
                return False
        for r in records:
            self.effects.append((now, consumer, r.msg_id, r.key))
        for tp, offset in end.items():
            self.offsets[TopicPartition(*tp)] = offset
        return True
