"""A partitioned, replayable log: Kafka's model of a message queue.

A **topic** is split into **partitions**. Each partition is an append-only
list of records; a record's **offset** is its position in that list, counted
from 0 when the partition was created and never reused. A producer's record
goes to the partition chosen by its **key**:

    partition = md5(key) mod number_of_partitions

so all records with one key land in one partition, in the order they were
appended. The hash must be *stable*: Python's ``hash()`` of a string changes
from one process to the next, which would send a key to a different partition
after every restart. It must also *mix* well: CRC-32 is stable, but it is
linear, so keys that differ in one character (``k0``, ``k1``, ``k2``, ``k3``)
can all fall in the same partition of two; MD5 does not have that problem
(Kafka uses murmur2 for the same reason). Records without a key are spread
round-robin.
Ordering therefore holds *per partition*, and so per key, never across the
whole topic.

Reading never removes anything: a consumer asks for "records from offset N"
and keeps its own position, so any consumer can rewind and **replay**. What
does remove records is **retention**: keep at most ``retention_records`` per
partition, or only records younger than ``retention_ms``. Retention moves the
partition's ``start_offset`` forward; asking for an offset before it is an
error (the records are gone), as is asking for one past ``end_offset`` (the
offset the next record will get).

Time here is whatever the caller says it is (a virtual clock); nothing in the
log reads a wall clock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..sim.table import TextTable, format_table
from ..sim.validate import check_int, check_known, check_number


class OffsetOutOfRange(ValueError):
    """An offset before a partition's start (trimmed by retention) or past its end."""


class TopicPartition(NamedTuple):
    """One partition of one topic; prints as ``orders-2``."""
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"

    __repr__ = __str__


@dataclass(frozen=True)
class Record:
    """One record in a partition.

    ``msg_id`` is the producer's own name for the message (``"p1-7"``): a
    producer that retries may append the same message twice, at two offsets,
    and the audit counts per ``msg_id``. ``producer`` and ``seq`` are set by an
    idempotent producer (see ``producer.py``).
    """
    topic: str
    partition: int
    offset: int
    key: str | None
    value: Any
    timestamp: float = 0.0
    msg_id: str | None = None
    producer: str | None = None
    seq: int | None = None

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}@{self.offset} key={self.key!r} value={self.value!r}"


def stable_hash(key: str) -> int:
    """The first 8 bytes of the MD5 of the key's UTF-8 bytes, as an integer: the same
    number in every process and on every machine."""
    return int.from_bytes(hashlib.md5(key.encode("utf-8")).digest()[:8], "big")


def partition_for(key: str, partitions: int) -> int:
    """The partition a key goes to: ``stable_hash(key) mod partitions``."""
    check_int("partitions", partitions, minimum=1)
    return stable_hash(check_key(key)) % partitions


def check_key(key: Any) -> Any:
    if key is not None and not isinstance(key, str):
        raise TypeError(f"key must be a str or None, got {key!r} of type {type(key).__name__}")
    return key


class Partition:
    """The records of one partition; ``records[i].offset == start_offset + i``."""

    def __init__(self, topic: str, index: int) -> None:
        self.topic = topic
        self.index = index
        self.records: list[Record] = []
        self.start_offset = 0

    @property
    def end_offset(self) -> int:
        """The offset the next record will get (Kafka's "log end offset")."""
        return self.start_offset + len(self.records)

    def append(self, key: str | None, value: Any, timestamp: float = 0.0, **meta: Any) -> Record:
        record = Record(self.topic, self.index, self.end_offset, key, value, timestamp, **meta)
        self.records.append(record)
        return record

    def check_offset(self, offset: Any, name: str = "offset") -> int:
        """``offset`` must lie in ``[start_offset, end_offset]`` (the end itself is fine:
        it means "wait for the next record")."""
        check_int(name, offset)
        where = f"{self.topic}-{self.index}"
        if offset < 0:
            raise ValueError(f"{name} must be at least 0, got {offset}")
        if offset > self.end_offset:
            raise OffsetOutOfRange(f"{name}={offset} is past the end of {where}: its end offset "
                                   f"(the next record's offset) is {self.end_offset}")
        if offset < self.start_offset:
            raise OffsetOutOfRange(f"{name}={offset} of {where} was deleted by retention: the "
                                   f"oldest record left is at offset {self.start_offset}")
        return offset

    def read(self, offset: int, max_records: int = 10) -> list[Record]:
        """Up to ``max_records`` records from ``offset`` on (nothing is removed)."""
        self.check_offset(offset)
        check_int("max_records", max_records, minimum=1)
        i = offset - self.start_offset
        return self.records[i:i + max_records]

    def retain(self, max_records: int | None = None, max_age: float | None = None,
               now: float = 0.0) -> int:
        """Delete the oldest records beyond the limits; return how many went."""
        drop = 0
        if max_records is not None and len(self.records) > max_records:
            drop = len(self.records) - max_records
        if max_age is not None:
            while drop < len(self.records) and now - self.records[drop].timestamp > max_age:
                drop += 1
        if drop:
            del self.records[:drop]
            self.start_offset += drop
        return drop


class Topic:
    """A named list of partitions with a retention policy."""

    def __init__(self, name: str, partitions: int, retention_records: int | None = None,
                 retention_ms: float | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"topic name must be a non-empty str, got {name!r}")
        check_int("partitions", partitions, minimum=1)
        if retention_records is not None:
            check_int("retention_records", retention_records, minimum=1)
        if retention_ms is not None:
            check_number("retention_ms", retention_ms, minimum=0.0, strict_min=True)
        self.name = name
        self.partitions = [Partition(name, i) for i in range(partitions)]
        self.retention_records = retention_records
        self.retention_ms = retention_ms
        self._next_unkeyed = 0

    def choose_partition(self, key: str | None) -> int:
        if key is None:       # no key: spread records round-robin
            p = self._next_unkeyed % len(self.partitions)
            self._next_unkeyed += 1
            return p
        return partition_for(key, len(self.partitions))

    def partition(self, index: Any) -> Partition:
        check_int("partition", index)
        if not 0 <= index < len(self.partitions):
            raise ValueError(f"partition={index} does not exist: topic {self.name!r} has "
                             f"partitions 0..{len(self.partitions) - 1}")
        return self.partitions[index]


class Log:
    """Every topic of one broker: append, read, offsets, retention."""

    def __init__(self) -> None:
        self.topics: dict[str, Topic] = {}

    def create_topic(self, name: str, partitions: int = 1, *, retention_records: int | None = None,
                     retention_ms: float | None = None) -> Topic:
        if name in self.topics:
            raise ValueError(f"topic {name!r} already exists")
        topic = Topic(name, partitions, retention_records, retention_ms)
        self.topics[name] = topic
        return topic

    def topic(self, name: Any) -> Topic:
        if name not in self.topics:
            check_known("topic", name, self.topics, what="topic")
        return self.topics[name]

    def partition(self, tp: TopicPartition) -> Partition:
        return self.topic(tp[0]).partition(tp[1])

    def topic_partitions(self, topics: Any = None) -> list[TopicPartition]:
        names = sorted(self.topics) if topics is None else list(topics)
        return [TopicPartition(t, p.index) for t in names for p in self.topic(t).partitions]

    def append(self, topic: str, key: str | None, value: Any, timestamp: float = 0.0,
               partition: int | None = None, **meta: Any) -> Record:
        t = self.topic(topic)
        check_key(key)
        index = t.choose_partition(key) if partition is None else partition
        return t.partition(index).append(key, value, timestamp, **meta)

    def read(self, tp: TopicPartition, offset: int, max_records: int = 10) -> list[Record]:
        return self.partition(tp).read(offset, max_records)

    def end_offset(self, tp: TopicPartition) -> int:
        return self.partition(tp).end_offset

    def start_offset(self, tp: TopicPartition) -> int:
        return self.partition(tp).start_offset

    def apply_retention(self, now: float) -> int:
        """Apply every topic's retention at time ``now``; return records deleted."""
        gone = 0
        for name in sorted(self.topics):
            t = self.topics[name]
            if t.retention_records is None and t.retention_ms is None:
                continue
            for p in t.partitions:
                gone += p.retain(t.retention_records, t.retention_ms, now)
        return gone

    def describe(self, topic: str | None = None) -> TextTable:
        """One row per partition: offsets, records kept, and the keys in it."""
        rows = []
        for tp in self.topic_partitions(None if topic is None else [topic]):
            p = self.partition(tp)
            keys = sorted({r.key for r in p.records if r.key is not None})
            shown = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
            rows.append((str(tp), p.start_offset, p.end_offset, len(p.records), shown or "-"))
        return format_table(["partition", "start offset", "end offset", "records", "keys"], rows)
