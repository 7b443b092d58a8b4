"""The log and its consumer groups in memory, without a simulation.

The first cells of the notebook use this small API: a ``MemoryBroker`` holds
topics (``log.py``) and consumer groups (``groups.py``); ``publish`` appends;
a ``Consumer`` joins a group and then ``poll``, ``commit`` and ``seek``. No
network, no failures, and a manual clock (``advance``) for retention and
heartbeats. Everything is synchronous, so a rebalance happens the moment a
consumer joins or closes; a consumer notices it at its next call.

A consumer keeps a **position** per owned partition (the next offset it will
read), separate from the group's **committed** offset. ``poll`` moves the
position; only ``commit`` moves the committed offset. After a rebalance a
consumer that gains a partition starts from the committed offset, so whatever
the previous owner read but did not commit is read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..sim.table import TextTable, format_table
from ..sim.validate import check_delay, check_int, check_known, check_node_id
from .groups import CommitFailed, GroupState
from .log import Log, Record, TopicPartition


class Batch(list):
    """The records one ``poll`` returned; shows as a table."""

    def table(self) -> TextTable:
        rows = [(str(r.tp), r.offset, r.key if r.key is not None else "-", r.value) for r in self]
        return format_table(["partition", "offset", "key", "value"], rows,
                            title=None if rows else "(no records)")

    def __repr__(self) -> str:
        return str(self.table())


class MemoryBroker:
    """Topics and consumer groups in one process: ``publish`` and make ``consumer``s."""

    def __init__(self, *, strategy: str = "range", session_timeout: float = 10_000.0) -> None:
        self.log = Log()
        self.groups: dict[str, GroupState] = {}
        self.strategy = strategy
        self.session_timeout = session_timeout
        self.now = 0.0
        self._consumers: dict[tuple, Consumer] = {}

    def create_topic(self, name: str, partitions: int = 1, **retention: Any):
        return self.log.create_topic(name, partitions, **retention)

    def publish(self, topic: str, key: str | None, value: Any, *, partition: int | None = None,
                msg_id: str | None = None) -> Record:
        """Append a record; returns it (with its partition and offset)."""
        return self.log.append(topic, key, value, self.now, partition, msg_id=msg_id)

    def consumer(self, group: str, member: Any = None, topics: Iterable[str] | str | None = None
                 ) -> Consumer:
        """A new member of ``group`` (created on first use, subscribed to ``topics``)."""
        if group not in self.groups:
            if topics is None:
                raise ValueError(f"group {group!r} does not exist yet: give topics=... to create it")
            names = [topics] if isinstance(topics, str) else list(topics)
            for name in names:
                self.log.topic(name)
            self.groups[group] = GroupState(group, names, strategy=self.strategy,
                                            session_timeout=self.session_timeout)
        state = self.groups[group]
        if member is None:
            member = f"c{sum(1 for g, _ in self._consumers if g == group) + 1}"
        check_node_id("member", member)
        if member in state.members:
            raise ValueError(f"member {member!r} is already in group {group!r}")
        consumer = Consumer(self, group, member)
        self._consumers[(group, member)] = consumer
        state.join(member, self.now, self.log)
        return consumer

    def group(self, name: Any) -> GroupState:
        if name not in self.groups:
            check_known("group", name, self.groups, what="consumer group")
        return self.groups[name]

    def advance(self, ms: float) -> None:
        """Move the clock on: apply retention, remove members that stopped heartbeating."""
        self.now += check_delay("ms", ms)
        self.log.apply_retention(self.now)
        for name in sorted(self.groups):
            self.groups[name].expire(self.now, self.log)

    def lag(self, group: str) -> TextTable:
        return self.group(group).table(self.log)

    def describe(self, topic: str | None = None) -> TextTable:
        return self.log.describe(topic)


class Consumer:
    """One member of a consumer group (made by ``MemoryBroker.consumer``)."""

    def __init__(self, broker: MemoryBroker, group: str, member: Any) -> None:
        self.broker = broker
        self.group_id = group
        self.member = member
        self.generation = 0
        self.positions: dict[TopicPartition, int] = {}
        self.skipped = 0           # records deleted by retention before this consumer read them
        self.closed = False

    @property
    def state(self) -> GroupState:
        return self.broker.group(self.group_id)

    # -- membership ---------------------------------------------------------------
    def _sync(self) -> None:
        """Catch up with the group: rejoin if removed, take the current assignment."""
        if self.closed:
            raise ValueError(f"consumer {self.member!r} is closed")
        state, log = self.state, self.broker.log
        if self.member not in state.members:     # removed for missing heartbeats: rejoin
            state.join(self.member, self.broker.now, log)
        state.heartbeat(self.member, self.broker.now)
        if state.generation != self.generation:
            # A partition held throughout keeps its position; any other starts at
            # the committed offset.
            kept = set(self.positions)
            for event in state.rebalances:
                if event.generation > self.generation:
                    kept &= set(event.after.get(self.member, ()))
            self.generation = state.generation
            self.positions = {tp: self.positions[tp] if tp in kept
                              else state.committed_offset(tp, log)
                              for tp in state.owned(self.member)}

    @property
    def assignment(self) -> list[TopicPartition]:
        self._sync()
        return sorted(self.positions)

    def heartbeat(self) -> None:
        self._sync()

    def close(self) -> None:
        """Leave the group (the others are rebalanced at once)."""
        if not self.closed:
            if self.member in self.state.members:
                self.state.leave(self.member, self.broker.log)
            self.closed = True

    # -- reading ----------------------------------------------------------------------
    def poll(self, max_records: int = 10) -> Batch:
        """Up to ``max_records`` records from the owned partitions, in partition order."""
        check_int("max_records", max_records, minimum=1)
        self._sync()
        log = self.broker.log
        out = Batch()
        for tp in sorted(self.positions):
            if len(out) >= max_records:
                break
            start = log.start_offset(tp)
            if self.positions[tp] < start:       # retention deleted what we had not read
                self.skipped += start - self.positions[tp]
                self.positions[tp] = start
            got = log.read(tp, self.positions[tp], max_records - len(out))
            if got:
                self.positions[tp] = got[-1].offset + 1
                out.extend(got)
        return out

    def _tp(self, partition: Any, topic: str | None) -> TopicPartition:
        if isinstance(partition, tuple):
            return TopicPartition(*partition)
        check_int("partition", partition)
        if topic is None:
            topics = self.state.topics
            if len(topics) != 1:
                raise ValueError(f"the group reads topics {list(topics)}: give topic=...")
            topic = topics[0]
        return TopicPartition(topic, partition)

    def position(self, partition: Any, topic: str | None = None) -> int:
        tp = self._owned(self._tp(partition, topic))
        return self.positions[tp]

    def _owned(self, tp: TopicPartition) -> TopicPartition:
        self._sync()
        self.broker.log.partition(tp)        # unknown topic or partition: a clear error
        if tp not in self.positions:
            owns = ", ".join(map(str, sorted(self.positions))) or "nothing"
            raise CommitFailed(f"consumer {self.member!r} does not own partition {tp}; "
                               f"it owns {owns}")
        return tp

    def seek(self, partition: Any, offset: int, topic: str | None = None) -> None:
        """Move the position of an owned partition (rewind to replay, or skip ahead)."""
        tp = self._owned(self._tp(partition, topic))
        self.broker.log.partition(tp).check_offset(offset)
        self.positions[tp] = offset

    def commit(self, offsets: dict | None = None) -> dict:
        """Commit the current positions (or the ``{partition: offset}`` given).

        Committed offset = the next record to process: commit ``r.offset + 1``
        once record ``r`` is done. Returns what was committed.
        """
        self._sync()
        if offsets is None:
            chosen = dict(self.positions)
        else:
            if not isinstance(offsets, dict):
                raise TypeError(f"offsets must be a dict {{partition: offset}}, got {offsets!r}")
            chosen = {self._tp(p, None): o for p, o in offsets.items()}
        self.state.commit(self.member, self.generation, chosen, self.broker.log)
        return {str(tp): o for tp, o in sorted(chosen.items())}

    def __repr__(self) -> str:
        return f"Consumer({self.member!r} in {self.group_id!r})"
