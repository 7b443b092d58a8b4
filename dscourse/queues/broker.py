"""A log broker on the simulator: Kafka's model, one broker, many clients.

The broker keeps, in its durable storage (it survives a crash): the log
(``log.py``), each consumer group's committed offsets (``groups.py``) and the
idempotent producers' sequence numbers (``producer.py``). Group *membership*
is volatile: after a broker restart every consumer has to rejoin.

**Produce**: append each entry of the batch (or, for an idempotent producer,
skip an entry whose sequence number was appended before) and acknowledge
with the partitions and offsets.

**Group protocol** (Kafka's "eager" rebalance, simplified). A membership
change (a join, a restart, a leave, a member silent for ``session_timeout``)
starts a rebalance. While it lasts, every heartbeat is answered "rebalance",
and the broker waits until every current member has sent ``JoinGroup``
(members that do not within ``session_timeout`` are removed). Only then does it
compute the new assignment, bump the generation and answer all the joins at
once. Because each member stops processing before it rejoins (or has lost its
lease by the deadline), no partition is ever processed by two members at once.

**Commits** carry the member's generation and are refused if it is stale, if
the member was removed, or if the partition is not the member's: this is what
stops a zombie consumer from moving the group's offsets.

**Ticks** (every ``tick`` ms): expire silent members, end overdue rebalances,
apply retention, and (with ``sample_every``) record each group's lag in the
trace for the lag chart.
"""

from __future__ import annotations

from typing import Any

from ..sim import Node
from ..sim.validate import check_delay
from .groups import CommitFailed, GroupState
from .log import Log, TopicPartition
from .messages import (
    Fetch,
    FetchResponse,
    Heartbeat,
    HeartbeatResponse,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    OffsetCommit,
    OffsetCommitResponse,
    OffsetFetch,
    OffsetFetchResponse,
    Produce,
    ProduceAck,
)
from .producer import ProducerSequences


class _Rebalance:
    """Volatile coordinator state of one group: is a rebalance on, who has rejoined."""

    def __init__(self) -> None:
        self.active = False
        self.reason = ""
        self.deadline = 0.0
        self.joined: set = set()
        self.incarnation: dict = {}     # member -> incarnation of its last JoinGroup
        self.join_req: dict = {}        # member -> req of its last JoinGroup


class BrokerNode(Node):
    """``topics``: ``{name: partitions}`` or ``{name: {"partitions": n, "retention_records": ...}}``;
    ``groups``: ``{group_id: [topic, ...]}``."""

    def __init__(self, node_id: str, topics: dict, groups: dict, *, strategy: str = "range",
                 session_timeout: float = 300.0, tick: float = 50.0,
                 sample_every: float | None = None) -> None:
        super().__init__(node_id)
        if not isinstance(topics, dict) or not topics:
            raise TypeError(f"topics must be a non-empty dict {{name: partitions}}, got {topics!r}")
        if not isinstance(groups, dict):
            raise TypeError(f"groups must be a dict {{group_id: [topics]}}, got {groups!r}")
        self.topics, self.groups = topics, groups
        self.strategy = strategy
        self.session_timeout = check_delay("session_timeout", session_timeout)
        self.tick = check_delay("tick", tick)
        self.sample_every = None if sample_every is None else check_delay("sample_every", sample_every)
        self._next_sample = 0.0
        self.coordinator: dict[str, _Rebalance] = {}
        self.parked: list = []        # (deadline, src, Fetch): long polls waiting for records
        self._initial = self._build_state()    # validates the configuration now, not at boot

    def _build_state(self) -> dict:
        log = Log()
        for name in sorted(self.topics):
            spec = self.topics[name]
            if isinstance(spec, dict):
                log.create_topic(name, **spec)
            else:
                log.create_topic(name, spec)
        groups = {gid: GroupState(gid, [log.topic(t).name for t in self.groups[gid]],
                                  strategy=self.strategy, session_timeout=self.session_timeout)
                  for gid in sorted(self.groups)}
        return {"log": log, "groups": groups, "sequences": ProducerSequences()}

    # -- state -----------------------------------------------------------------------------------
    def _state(self) -> dict:
        storage = self.ctx.storage
        if "log" not in storage:      # first boot (or a view looking before it)
            storage.update(self._initial)
        return storage

    @property
    def log(self) -> Log:
        return self._state()["log"]

    def group_state(self, gid: str) -> GroupState | None:
        return self._state()["groups"].get(gid)

    def on_start(self) -> None:
        self._state()
        for gid, gs in sorted(self.ctx.storage["groups"].items()):
            # After a restart nobody is a member: everyone rejoins (committed offsets stay).
            gs.members.clear()
            gs.assignment = {}
            self.coordinator[gid] = _Rebalance()
        self.ctx.set_timer(self.tick, "tick")

    def _group(self, gid: str) -> GroupState | None:
        gs = self.group_state(gid)
        if gs is None:
            self.ctx.log(f"unknown group {gid!r}; known: {sorted(self.ctx.storage['groups'])}")
        return gs

    # -- producing ----------------------------------------------------------------------------------
    def on_produce(self, src: Any, msg: Produce) -> None:
        if msg.topic not in self.log.topics:
            self.ctx.log(f"produce to unknown topic {msg.topic!r}")
            return
        seqs: ProducerSequences = self.ctx.storage["sequences"]
        results = []
        for seq, msg_id, key, value, partition in msg.entries:
            seen = seqs.seen(msg.producer, seq) if msg.idempotent else None
            if seen is not None:        # a retry of something already appended: do not append again
                results.append((seq, seen[0], seen[1], True))
                continue
            r = self.log.append(msg.topic, key, value, self.ctx.clock(), partition, msg_id=msg_id,
                                producer=msg.producer, seq=seq)
            if msg.idempotent:
                seqs.remember(msg.producer, seq, r.partition, r.offset)
            results.append((seq, r.partition, r.offset, False))
        self.ctx.send(src, ProduceAck(msg.entries[0][0], tuple(results)))
        if self.parked:
            self._wake_parked()

    # -- membership --------------------------------------------------------------------------------
    def on_join_group(self, src: Any, msg: JoinGroup) -> None:
        gs = self._group(msg.group)
        if gs is None:
            return
        c, m = self.coordinator[msg.group], msg.member
        known = m in gs.members and c.incarnation.get(m) == msg.incarnation
        gs.members[m] = self.ctx.clock()
        c.join_req[m] = msg.req
        if known and not c.active:      # a retry whose answer was lost: answer again
            self._answer_join(msg.group, gs, m)
            return
        c.incarnation[m] = msg.incarnation
        if not c.active:
            self._start(msg.group, f"{m} joined")
        c.joined.add(m)
        self._maybe_complete(msg.group)

    def on_leave_group(self, src: Any, msg: LeaveGroup) -> None:
        gs = self._group(msg.group)
        if gs is None or msg.member not in gs.members:
            return
        del gs.members[msg.member]
        self._start(msg.group, f"{msg.member} left")
        self._maybe_complete(msg.group)

    def on_heartbeat(self, src: Any, msg: Heartbeat) -> None:
        gs = self._group(msg.group)
        if gs is None:
            return
        if msg.member not in gs.members:
            status = "unknown"
        else:
            gs.members[msg.member] = self.ctx.clock()
            stale = self.coordinator[msg.group].active or msg.generation != gs.generation
            status = "rebalance" if stale else "ok"
        self.ctx.send(src, HeartbeatResponse(msg.req, status, gs.generation))

    def _start(self, gid: str, reason: str) -> None:
        c = self.coordinator[gid]
        if not c.active:
            c.active, c.reason, c.joined = True, reason, set()
            c.deadline = self.ctx.clock() + self.session_timeout
        else:
            c.reason += f"; {reason}"

    def _maybe_complete(self, gid: str, force: bool = False) -> None:
        gs, c = self.ctx.storage["groups"][gid], self.coordinator[gid]
        if not c.active or not (force or set(gs.members) <= c.joined):
            return
        for m in sorted(set(gs.members) - c.joined, key=str):     # missed the deadline
            del gs.members[m]
        event = gs.rebalance(self.log, c.reason, sorted(c.joined & set(gs.members), key=str))
        c.active, c.joined = False, set()
        self.ctx.record_state(group=gid, generation=gs.generation, reason=event.reason,
                              assignment={str(m): [str(tp) for tp in tps]
                                          for m, tps in sorted(gs.assignment.items())})
        for m in sorted(gs.members, key=str):
            self._answer_join(gid, gs, m)

    def _answer_join(self, gid: str, gs: GroupState, m: Any) -> None:
        c = self.coordinator[gid]
        tps = tuple(tuple(tp) for tp in gs.assignment.get(m, []))
        self.ctx.send(m, JoinResponse(gid, gs.generation, tps, c.incarnation[m], c.join_req[m]))

    # -- reading and committing --------------------------------------------------------------------------
    def on_offset_fetch(self, src: Any, msg: OffsetFetch) -> None:
        gs = self._group(msg.group)
        if gs is None:
            return
        offsets = tuple((tuple(tp), gs.committed_offset(TopicPartition(*tp), self.log))
                        for tp in msg.partitions)
        self.ctx.send(src, OffsetFetchResponse(offsets, msg.req))

    def on_fetch(self, src: Any, msg: Fetch) -> None:
        if not self._answer_fetch(src, msg, last_chance=msg.max_wait <= 0):
            self.parked.append((self.ctx.clock() + msg.max_wait, src, msg))

    def _answer_fetch(self, src: Any, msg: Fetch, last_chance: bool) -> bool:
        """Answer with what there is to read; with nothing, answer only if ``last_chance``."""
        records, reset = [], []
        n = len(msg.positions)
        for i in range(n):              # start at a different partition each time: fairness
            tp, offset = msg.positions[(i + msg.req) % n]
            p = self.log.partition(TopicPartition(*tp))
            if offset < p.start_offset:
                reset.append((tp, p.start_offset))
                offset = p.start_offset
            if len(records) < msg.max_records and offset < p.end_offset:
                records.extend(p.read(offset, msg.max_records - len(records)))
        if not (records or reset or last_chance):
            return False
        self.ctx.send(src, FetchResponse(tuple(records), tuple(reset), msg.req))
        return True

    def _wake_parked(self, expire: bool = False) -> None:
        now = self.ctx.clock()
        self.parked = [(deadline, src, msg) for deadline, src, msg in self.parked
                       if not self._answer_fetch(src, msg, last_chance=expire and now >= deadline)]

    def on_offset_commit(self, src: Any, msg: OffsetCommit) -> None:
        gs = self._group(msg.group)
        if gs is None:
            return
        try:
            gs.commit(msg.member, msg.generation, {TopicPartition(*tp): o for tp, o in msg.offsets},
                      self.log)
            reply = OffsetCommitResponse(msg.req, True, "")
        except (CommitFailed, ValueError) as exc:
            reply = OffsetCommitResponse(msg.req, False, str(exc))
        self.ctx.send(src, reply)

    # -- housekeeping --------------------------------------------------------------------------------------
    def on_timer(self, name: str, payload: Any) -> None:
        now = self.ctx.clock()
        for gid, gs in sorted(self.ctx.storage["groups"].items()):
            c = self.coordinator[gid]
            gone = gs.expired(now)
            for m in gone:
                del gs.members[m]
            if gone:
                self._start(gid, f"{', '.join(map(str, gone))} missed heartbeats")
            if c.active:
                self._maybe_complete(gid, force=now >= c.deadline)
        self.log.apply_retention(now)
        if self.parked:
            self._wake_parked(expire=True)
        if self.sample_every is not None and now >= self._next_sample:
            self._next_sample = now + self.sample_every
            for gid, gs in sorted(self.ctx.storage["groups"].items()):
                lag = gs.lag(self.log)
                self.ctx.record_state(group=gid, lag={str(tp): n for tp, n in sorted(lag.items())})
        self.ctx.set_timer(self.tick, "tick")
