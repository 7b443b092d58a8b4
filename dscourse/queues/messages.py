"""The messages producers, consumers and brokers exchange on the simulator.

Named after Kafka's protocol requests (Produce, JoinGroup, Heartbeat, Fetch,
OffsetFetch, OffsetCommit, LeaveGroup). Every request carries a request id
``req`` that its response echoes, so a late or duplicated response to an old
request is recognised and ignored. Partitions travel as ``(topic, index)``
tuples, offsets as ``((topic, index), offset)`` pairs: plain, hashable data.
"""

from __future__ import annotations

from dataclasses import dataclass


# -- producing -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Produce:
    producer: str
    entries: tuple           # (seq, msg_id, key, value, partition): seq numbers the producer's
                             # messages 0, 1, ...; partition None: the broker places it by key
    topic: str
    idempotent: bool         # ask the broker to drop a retry it has already appended


@dataclass(frozen=True)
class ProduceAck:
    first: int               # seq of the batch's first entry (names the batch)
    results: tuple           # (seq, partition, offset, duplicate) per entry; duplicate: seen before


# -- group membership ------------------------------------------------------------------------
@dataclass(frozen=True)
class JoinGroup:
    group: str
    member: str
    incarnation: int         # changes when the consumer restarts after a crash
    req: int


@dataclass(frozen=True)
class JoinResponse:
    group: str
    generation: int
    assignment: tuple        # partitions of this member
    incarnation: int
    req: int


@dataclass(frozen=True)
class Heartbeat:
    group: str
    member: str
    generation: int
    req: int


@dataclass(frozen=True)
class HeartbeatResponse:
    req: int
    status: str              # "ok" | "rebalance" (rejoin) | "unknown" (you were removed: rejoin)
    generation: int


@dataclass(frozen=True)
class LeaveGroup:
    group: str
    member: str


# -- reading and committing --------------------------------------------------------------
@dataclass(frozen=True)
class OffsetFetch:
    group: str
    partitions: tuple
    req: int


@dataclass(frozen=True)
class OffsetFetchResponse:
    offsets: tuple           # ((topic, index), offset) pairs
    req: int


@dataclass(frozen=True)
class Fetch:
    positions: tuple         # ((topic, index), offset) pairs: read from there on
    max_records: int
    max_wait: float          # nothing to read: the broker may hold the answer this long (long poll)
    req: int


@dataclass(frozen=True)
class FetchResponse:
    records: tuple
    reset: tuple             # ((topic, index), start_offset) for positions trimmed by retention
    req: int


@dataclass(frozen=True)
class OffsetCommit:
    group: str
    member: str
    generation: int
    offsets: tuple           # ((topic, index), offset) pairs
    req: int


@dataclass(frozen=True)
class OffsetCommitResponse:
    req: int
    ok: bool
    error: str
