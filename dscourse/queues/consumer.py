"""A consumer of a partitioned log on the simulator, with a delivery guarantee.

The consumer's life, following Kafka's group protocol (simplified):

1. **join**: send ``JoinGroup``; the broker answers once the whole group has
   (re)joined, with a generation and this member's partitions.
2. **sync**: ask for the committed offsets of its partitions (``OffsetFetch``),
   or, for exactly-once via transactions, read them from the output store.
3. **loop**: ``Fetch`` a batch (a long poll: with nothing to read, the broker
   holds the request up to ``max_wait`` ms for records to arrive); process
   each record (``process_time`` ms each, one timer per record, so a crash can
   land between any two); commit; repeat.
   Where the commit goes in this loop is the guarantee (``delivery.py``).
4. **heartbeat** every ``heartbeat_interval`` ms. The answer says "ok", or
   "rebalance" (finish the batch, commit, rejoin), or "unknown" (the broker
   removed us: someone else may own our partitions now; drop everything, rejoin).

**Lease.** The broker removes a member it has not heard from for
``session_timeout`` ms and hands its partitions to others, although the member
may only be slow or cut off. So a member processes only while it holds a
lease: ``session_timeout`` (minus a margin) from the moment it *sent* the last
heartbeat the broker answered "ok". The broker received that heartbeat later
than it was sent, so the member's lease ends before the broker can give its
partitions away, and two members never process one partition at once; per-key
order then holds. (This needs clocks that run at the right rate: a paused
process whose clock stands still outlives its lease, the lesson of the
leader-election notebook. Exactly-once via transactions is fenced anyway.)

Everything but ``storage["incarnation"]`` is lost in a crash; the consumer
restarts from the group's committed offsets.
"""

from __future__ import annotations

import math
from typing import Any

from ..sim import Node
from ..sim.validate import check_delay, check_int
from .delivery import Sink, check_guarantee
from .log import TopicPartition
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
)


class ConsumerNode(Node):
    """One member of consumer group ``group`` on ``broker``, writing effects to ``sink``."""

    def __init__(self, node_id: str, broker: Any, group: str, sink: Sink, *,
                 guarantee: str = "at-least-once", via: str = "dedup", dedup_key: str = "msg_id",
                 process_time: float = 5.0, max_records: int = 5, max_wait: float = 100.0,
                 heartbeat_interval: float = 50.0, session_timeout: float = 300.0,
                 request_timeout: float = 60.0, lease_margin: float = 10.0) -> None:
        super().__init__(node_id)
        self.broker, self.group, self.sink = broker, group, sink
        self.guarantee, self.via, self.dedup_key = check_guarantee(guarantee, via, dedup_key)
        self.process_time = check_delay("process_time", process_time)
        self.max_records = check_int("max_records", max_records, minimum=1)
        self.max_wait = check_delay("max_wait", max_wait)
        self.heartbeat_interval = check_delay("heartbeat_interval", heartbeat_interval)
        self.session_timeout = check_delay("session_timeout", session_timeout)
        self.request_timeout = check_delay("request_timeout", request_timeout)
        self.lease_margin = check_delay("lease_margin", lease_margin)
        self.phase = "joining"        # joining | syncing | fetching | processing | committing | idle
        self.generation: int | None = None
        self.assignment: tuple = ()
        self.positions: dict[TopicPartition, int] = {}
        self.batch: list = []
        self.done = 0                 # records of the batch processed so far
        self.batch_no = 0
        self.batch_start: dict = {}   # positions when the batch was fetched (for transactions)
        self.lease_until = -math.inf
        self.stalled = False          # lease ran out mid-batch: wait for a heartbeat
        self.rejoin = False           # a rebalance was announced: rejoin after this batch
        self.req = 0
        self.sent_at: dict[int, float] = {}
        self.waiting: int | None = None    # the request the current phase waits for
        self.timer: int | None = None      # its timeout
        self.member_since = 0              # req of the JoinGroup our generation came from
        self.join_started = 0              # req of this join phase's first JoinGroup
        self.incarnation = 0

    @property
    def txn(self) -> bool:
        return self.guarantee == "exactly-once" and self.via == "transaction"

    # -- plumbing ----------------------------------------------------------------------------
    def _request(self, make) -> int:
        self.req += 1
        self.sent_at[self.req] = self.ctx.clock()
        self.ctx.send(self.broker, make(self.req))
        return self.req

    def _wait(self, make, extra: float = 0.0) -> None:
        """Send a request the current phase waits for; resend it if no answer comes."""
        if self.timer is not None:
            self.ctx.cancel_timer(self.timer)
        self.waiting = self._request(make)
        self.timer = self.ctx.set_timer(self.request_timeout + extra, "timeout", self.waiting)

    def _lease_ok(self) -> bool:
        return self.ctx.clock() < self.lease_until

    def _renew_lease(self, req: int) -> None:
        sent = self.sent_at.get(req)
        if sent is not None:
            self.lease_until = max(self.lease_until, sent + self.session_timeout - self.lease_margin)

    # -- life cycle ---------------------------------------------------------------------------
    def on_start(self) -> None:
        self.incarnation = self.ctx.storage["incarnation"] = self.ctx.storage.get("incarnation", 0) + 1
        self._join()
        self.ctx.set_timer(self.heartbeat_interval, "heartbeat")

    def leave(self) -> None:
        """Leave the group for good (call through ``sim.at``; then crash or remove the node)."""
        self.ctx.send(self.broker, LeaveGroup(self.group, self.node_id))

    def _join(self) -> None:
        self.phase, self.batch, self.rejoin, self.stalled = "joining", [], False, False
        self.lease_until = -math.inf
        self._send_join()
        self.join_started = self.waiting

    def _send_join(self) -> None:
        me, group, inc = self.node_id, self.group, self.incarnation
        self._wait(lambda req: JoinGroup(group, me, inc, req))

    def on_join_response(self, src: Any, msg: JoinResponse) -> None:
        if self.phase != "joining" or msg.incarnation != self.incarnation or msg.req < self.join_started:
            return
        self.generation, self.assignment = msg.generation, tuple(TopicPartition(*tp) for tp in msg.assignment)
        self.member_since = msg.req
        self._renew_lease(msg.req)
        self.ctx.record_state(generation=msg.generation, assignment=[str(tp) for tp in self.assignment])
        if not self.assignment:
            self.phase, self.waiting = "idle", None
        elif self.txn:      # the offsets live with the output, in the sink
            self.positions = {tp: self.sink.offset(tp) for tp in self.assignment}
            self._fetch()
        else:
            self.phase = "syncing"
            group, tps = self.group, tuple(tuple(tp) for tp in self.assignment)
            self._wait(lambda req: OffsetFetch(group, tps, req))

    def on_offset_fetch_response(self, src: Any, msg: OffsetFetchResponse) -> None:
        if self.phase == "syncing" and msg.req == self.waiting:
            self.positions = {TopicPartition(*tp): off for tp, off in msg.offsets}
            self._fetch()

    # -- heartbeats ---------------------------------------------------------------------------
    def on_timer(self, name: str, payload: Any) -> None:
        if name == "heartbeat":
            if self.generation is not None:
                me, group, gen = self.node_id, self.group, self.generation
                self._request(lambda req: Heartbeat(group, me, gen, req))
                for old in [r for r in self.sent_at if r < self.req - 50]:
                    del self.sent_at[old]     # answers that old are ignored anyway
            self.ctx.set_timer(self.heartbeat_interval, "heartbeat")
        elif name == "poll":
            if self.phase == "fetching" and self.waiting is None:
                self._fetch()
        elif name == "process":
            if self.phase == "processing" and payload == (self.batch_no, self.done):
                self._process_one()
        elif name == "timeout" and payload == self.waiting:
            self._resend()

    def _resend(self) -> None:
        if self.phase == "joining":
            self._send_join()
        elif self.phase == "syncing":
            group, tps = self.group, tuple(tuple(tp) for tp in self.assignment)
            self._wait(lambda req: OffsetFetch(group, tps, req))
        elif self.phase == "fetching":
            self.waiting = None
            self._fetch()
        elif self.phase == "committing":
            self._commit()

    def on_heartbeat_response(self, src: Any, msg: HeartbeatResponse) -> None:
        if msg.req < self.member_since or self.phase == "joining":
            return              # an answer about an older generation of ours
        if msg.status == "ok" and msg.generation == self.generation:
            self._renew_lease(msg.req)
            if self.stalled:
                self.stalled = False
                self._schedule_process()
        elif msg.status == "unknown":
            # Removed from the group: our partitions may be someone else's already. Stop now.
            self._join()
        else:
            self.rejoin = True
            if self.phase in ("idle", "syncing", "fetching"):
                self._join()

    # -- the loop: fetch, process, commit ----------------------------------------------------------
    def _fetch(self) -> None:
        if self.rejoin:
            self._join()
            return
        self.phase = "fetching"
        if not self._lease_ok():
            self.waiting = None
            self.ctx.set_timer(self.heartbeat_interval, "poll")
            return
        positions = tuple((tuple(tp), off) for tp, off in sorted(self.positions.items()))
        n, wait = self.max_records, self.max_wait
        self._wait(lambda req: Fetch(positions, n, wait, req), extra=wait)

    def on_fetch_response(self, src: Any, msg: FetchResponse) -> None:
        if self.phase != "fetching" or msg.req != self.waiting:
            return
        self.waiting = None
        for tp, start in msg.reset:       # retention deleted records we had not read
            self.positions[TopicPartition(*tp)] = start
        if not msg.records:              # the broker already waited max_wait: ask again
            self._fetch()
            return
        self.batch, self.done = list(msg.records), 0
        self.batch_no += 1
        self.batch_start = {r.tp: self.positions[r.tp] for r in reversed(self.batch)}
        if self.guarantee == "at-most-once":
            for r in self.batch:          # commit first: everything fetched counts as done
                self.positions[r.tp] = r.offset + 1
            self.phase = "committing"
            self._commit()
        else:
            self.phase = "processing"
            self._schedule_process()

    def _schedule_process(self) -> None:
        self.ctx.set_timer(self.process_time, "process", (self.batch_no, self.done))

    def _process_one(self) -> None:
        if not self._lease_ok():
            self.stalled = True         # resumes when a heartbeat renews the lease
            return
        r = self.batch[self.done]
        now, me, sink = self.ctx.clock(), self.node_id, self.sink
        sink.note_processed(r, me, now)
        if self.guarantee == "exactly-once" and self.via == "dedup":
            sink.write_once(r, me, now, self.dedup_key)
        elif not self.txn:               # transactions write the whole batch at its end
            sink.write(r, me, now)
        self.done += 1
        if self.guarantee != "at-most-once":
            self.positions[r.tp] = r.offset + 1
        if self.done < len(self.batch):
            self._schedule_process()
        else:
            self._batch_done()

    def _batch_done(self) -> None:
        if self.guarantee == "at-most-once":
            self.batch = []
            self._fetch()
        elif self.txn:
            end = {tp: self.positions[tp] for tp in self.batch_start}
            ok = self.sink.commit_transaction(self.batch, self.node_id, self.ctx.clock(),
                                              self.batch_start, end)
            self.batch = []
            if not ok:                  # fenced: another member moved these offsets on
                self._join()
                return
            self._commit(wait=False)    # tell the broker too, for the lag chart only
            self._fetch()
        else:
            self.phase = "committing"
            self._commit()

    def _commit(self, wait: bool = True) -> None:
        offsets = tuple((tuple(tp), off) for tp, off in sorted(self.positions.items()))
        group, me, gen = self.group, self.node_id, self.generation
        make = lambda req: OffsetCommit(group, me, gen, offsets, req)
        if wait:
            self._wait(make)
        else:
            self._request(make)

    def on_offset_commit_response(self, src: Any, msg: OffsetCommitResponse) -> None:
        if self.phase != "committing" or msg.req != self.waiting:
            return
        self.waiting = None
        if not msg.ok:                  # stale generation or no longer a member
            self._join()
        elif self.guarantee == "at-most-once":
            self.phase = "processing"
            self._schedule_process()
        else:
            self.batch = []
            self._fetch()

    def __repr__(self) -> str:
        return f"ConsumerNode({self.node_id!r}, {self.guarantee}, phase={self.phase})"
