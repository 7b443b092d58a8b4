"""Consumer groups: who reads which partition, and where each one got to.

A **consumer group** is a set of consumers that share the work of reading a
topic. Each partition is given to exactly one member of the group (so records
of one key are processed by one consumer, in order); a member may hold
several partitions; members beyond the number of partitions sit idle.

The group keeps, per partition, a **committed offset**: the offset of the
next record the group still has to process. A consumer that takes over a
partition starts there. Committing is how a consumer says "everything before
this offset is done"; *when* it commits, before or after processing, decides
the delivery guarantee (``delivery.py``).

Membership changes trigger a **rebalance**: a new **generation** of the group
with a new assignment. A member joins, leaves, or stops heartbeating for longer
than ``session_timeout`` (then it is presumed dead and removed: it may only be
slow, which is why a commit must carry the member's generation, so that a
"zombie" from an old generation is refused).

Assignment strategies, as in Kafka's client:

* ``range``: per topic, the partitions in order are cut into contiguous ranges,
  one per member (sorted); the first ``partitions % members`` members get one more.
* ``round-robin``: all partitions of all topics, in order, dealt to the members
  one at a time like cards.

Lag of a partition: ``end_offset - committed``, the records the group has not
yet finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..sim.table import TextTable, format_table
from ..sim.validate import check_choice, check_int, check_node_id, check_number
from .log import Log, TopicPartition


class CommitFailed(ValueError):
    """A commit refused: stale generation, unknown member, or a partition not owned."""


def _members(members: Iterable[Any]) -> list:
    members = sorted(members, key=str)
    if len(set(members)) != len(members):
        raise ValueError(f"members must be distinct, got {members}")
    return members


def assign_range(members: Iterable[Any], partitions: Iterable[TopicPartition]) -> dict:
    """Kafka's range assignor: contiguous ranges per topic (see the module docstring)."""
    members = _members(members)
    out: dict = {m: [] for m in members}
    if not members:
        return out
    by_topic: dict[str, list] = {}
    for tp in partitions:
        by_topic.setdefault(tp[0], []).append(TopicPartition(*tp))
    for topic in sorted(by_topic):
        tps = sorted(by_topic[topic])
        share, extra = divmod(len(tps), len(members))
        start = 0
        for i, m in enumerate(members):
            n = share + (1 if i < extra else 0)
            out[m].extend(tps[start:start + n])
            start += n
    return out


def assign_round_robin(members: Iterable[Any], partitions: Iterable[TopicPartition]) -> dict:
    """Kafka's round-robin assignor: deal the sorted partitions one by one."""
    members = _members(members)
    out: dict = {m: [] for m in members}
    if not members:
        return out
    for i, tp in enumerate(sorted(TopicPartition(*tp) for tp in partitions)):
        out[members[i % len(members)]].append(tp)
    return out


STRATEGIES: dict[str, Callable] = {"range": assign_range, "round-robin": assign_round_robin}


@dataclass(frozen=True)
class Rebalance:
    """One change of generation: who held what before and after."""
    generation: int
    reason: str
    before: dict
    after: dict

    def moved(self) -> list[tuple]:
        """(partition, old owner, new owner) for every partition that changed hands."""
        old = {tp: m for m, tps in self.before.items() for tp in tps}
        new = {tp: m for m, tps in self.after.items() for tp in tps}
        return [(tp, old.get(tp), new.get(tp)) for tp in sorted(set(old) | set(new))
                if old.get(tp) != new.get(tp)]

    def table(self) -> TextTable:
        rows = [(str(tp), a if a is not None else "-", b if b is not None else "-")
                for tp, a, b in self.moved()]
        return format_table(["partition", "from", "to"], rows,
                            title=f"generation {self.generation} ({self.reason}): "
                                  f"{len(rows)} partition(s) moved")


class GroupState:
    """One consumer group's membership, assignment and committed offsets.

    Pure bookkeeping, no messages: the in-memory API (``memory.py``) calls it
    directly and the simulated broker (``broker.py``) calls it from its handlers.
    """

    def __init__(self, group_id: str, topics: Iterable[str], *, strategy: str = "range",
                 session_timeout: float = 300.0) -> None:
        if not isinstance(group_id, str) or not group_id:
            raise TypeError(f"group_id must be a non-empty str, got {group_id!r}")
        self.group_id = group_id
        self.topics = tuple(topics)
        if not self.topics:
            raise ValueError("a group must subscribe to at least one topic")
        self.strategy = check_choice("strategy", strategy, STRATEGIES)
        self.session_timeout = check_number("session_timeout", session_timeout,
                                            minimum=0.0, strict_min=True)
        self.members: dict[Any, float] = {}      # member -> time last heard from
        self.generation = 0
        self.assignment: dict[Any, list] = {}
        self.committed: dict[TopicPartition, int] = {}
        self.rebalances: list[Rebalance] = []

    # -- membership ------------------------------------------------------------
    def join(self, member: Any, now: float, log: Log) -> Rebalance:
        check_node_id("member", member)
        self.members[member] = now
        return self.rebalance(log, f"{member} joined")

    def leave(self, member: Any, log: Log) -> Rebalance:
        self.check_member(member)
        del self.members[member]
        return self.rebalance(log, f"{member} left")

    def heartbeat(self, member: Any, now: float) -> None:
        self.check_member(member)
        self.members[member] = now

    def expired(self, now: float) -> list:
        """Members not heard from for longer than ``session_timeout``."""
        return sorted((m for m, t in self.members.items() if now - t > self.session_timeout),
                      key=str)

    def expire(self, now: float, log: Log) -> Rebalance | None:
        gone = self.expired(now)
        if not gone:
            return None
        for m in gone:
            del self.members[m]
        return self.rebalance(log, f"{', '.join(map(str, gone))} missed heartbeats")

    def rebalance(self, log: Log, reason: str, members: Iterable[Any] | None = None) -> Rebalance:
        """A new generation: assign every subscribed partition among ``members``."""
        members = sorted(self.members if members is None else members, key=str)
        before = {m: list(tps) for m, tps in self.assignment.items()}
        self.generation += 1
        self.assignment = STRATEGIES[self.strategy](members, log.topic_partitions(self.topics))
        event = Rebalance(self.generation, reason, before,
                          {m: list(tps) for m, tps in self.assignment.items()})
        self.rebalances.append(event)
        return event

    def check_member(self, member: Any) -> Any:
        if member not in self.members:
            known = ", ".join(map(str, sorted(self.members, key=str))) or "none"
            raise CommitFailed(f"member {member!r} is not in group {self.group_id!r} (it left or "
                               f"missed heartbeats and was removed); members: {known}")
        return member

    def owner(self, tp: TopicPartition) -> Any:
        for m, tps in self.assignment.items():
            if tp in tps:
                return m
        return None

    def owned(self, member: Any) -> list:
        return list(self.assignment.get(member, []))

    # -- offsets -----------------------------------------------------------------
    def check_commit(self, member: Any, generation: int, offsets: dict, log: Log) -> None:
        """Refuse a commit from a stale generation, a non-member, or for an unowned
        partition, or with an offset outside the partition (raises ``CommitFailed``
        or ``ValueError``)."""
        self.check_member(member)
        if generation != self.generation:
            raise CommitFailed(f"member {member!r} commits with generation {generation}, but the "
                               f"group {self.group_id!r} is at generation {self.generation}: it "
                               f"was rebalanced, so this commit could overwrite the new owner's")
        mine = self.owned(member)
        for tp, offset in offsets.items():
            tp = TopicPartition(*tp)
            if tp not in mine:
                owns = ", ".join(map(str, mine)) or "nothing"
                raise CommitFailed(f"member {member!r} does not own partition {tp} and may not "
                                   f"commit an offset for it; it owns {owns}")
            check_int(f"offset for {tp}", offset)
            if offset < 0:
                raise ValueError(f"offset for {tp} must be at least 0, got {offset}")
            end = log.end_offset(tp)
            if offset > end:
                raise ValueError(f"offset for {tp} is {offset}, past the end of the partition "
                                 f"(end offset {end})")

    def commit(self, member: Any, generation: int, offsets: dict, log: Log) -> None:
        self.check_commit(member, generation, offsets, log)
        for tp, offset in offsets.items():
            self.committed[TopicPartition(*tp)] = offset

    def committed_offset(self, tp: TopicPartition, log: Log) -> int:
        """Where a new owner starts: the committed offset, else the earliest kept record."""
        tp = TopicPartition(*tp)
        start = log.start_offset(tp)
        return max(self.committed.get(tp, start), start)

    def lag(self, log: Log) -> dict:
        """Per partition: records appended but not yet committed by this group."""
        return {tp: log.end_offset(tp) - self.committed.get(tp, log.start_offset(tp))
                for tp in log.topic_partitions(self.topics)}

    def table(self, log: Log) -> TextTable:
        """Partition, owner, committed offset, end offset and lag."""
        lag = self.lag(log)
        rows = [(str(tp), self.owner(tp) or "-", self.committed.get(tp, "-"),
                 log.end_offset(tp), lag[tp]) for tp in log.topic_partitions(self.topics)]
        return format_table(["partition", "owner", "committed", "end offset", "lag"], rows,
                            title=f"group {self.group_id!r}, generation {self.generation}")
