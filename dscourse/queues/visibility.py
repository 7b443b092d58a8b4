"""A queue with a visibility timeout: Amazon SQS's model.

Consumers **pull**: ``receive`` returns up to ``max_messages`` visible
messages, each with a fresh **receipt handle**, and makes them invisible for
``visibility_timeout`` ms. The consumer processes a message and then
**deletes** it with that handle. If it does not (it crashed, or it is simply
slower than the timeout) the message becomes visible again and someone
receives it a second time: at-least-once, with duplicates even when nothing
failed, just because a consumer was slow. The fix for a slow consumer is to
extend the timeout while working (``change_visibility``), the equivalent of a
heartbeat.

Only the *latest* receipt handle deletes a message: a slow consumer deleting
after the message was received again by someone else deletes nothing.

A standard queue gives best-effort ordering: ``receive`` picks among the
oldest visible messages at random (seeded), so a later message can come out
before an earlier one. With ``max_receives`` (a redrive policy) a message
received that many times without being deleted goes to a dead-letter queue.
There is no replay: a deleted message is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from ..sim.rng import Seed, make_rng
from ..sim.validate import check_delay, check_int
from .delivery import Sink
from .dlq import DeadLetter, DeadLetters
from .log import Record
from .messages import Produce, ProduceAck


class VisibilityQueue:
    """The queue itself, no network: send, receive, delete, change_visibility."""

    def __init__(self, visibility_timeout: float = 100.0, *, max_receives: int | None = None,
                 seed: Seed = None, name: str = "orders") -> None:
        self.visibility_timeout = check_delay("visibility_timeout", visibility_timeout)
        self.name = name
        self.rng = make_rng(seed)
        self.messages: dict[int, dict] = {}    # seq -> {record, visible_at, receives, handle}
        self.next_seq = 0
        self.deleted = 0
        self.dead_letters = None if max_receives is None else DeadLetters(
            check_int("max_receives", max_receives, minimum=1))

    @property
    def depth(self) -> int:
        """Messages not deleted (visible or in flight)."""
        return len(self.messages)

    def send(self, key: str | None, value: Any, msg_id: str | None = None, now: float = 0.0) -> Record:
        record = Record(self.name, 0, self.next_seq, key, value, now, msg_id)
        self.messages[self.next_seq] = {"record": record, "visible_at": now, "receives": 0,
                                        "handle": None}
        self.next_seq += 1
        return record

    def receive(self, now: float, max_messages: int = 1) -> list[tuple]:
        """Up to ``max_messages`` visible messages: ``(handle, record, receive_count)``."""
        check_int("max_messages", max_messages, minimum=1)
        visible = [s for s in sorted(self.messages) if self.messages[s]["visible_at"] <= now]
        # Best-effort order: a random pick among the oldest visible ones.
        pool = visible[:2 * max_messages]
        chosen = self.rng.sample(pool, min(max_messages, len(pool)))
        out = []
        for s in chosen:
            m = self.messages[s]
            if self.dead_letters is not None and m["receives"] >= self.dead_letters.max_attempts:
                # Received too often without a delete: off to the dead-letter queue.
                r = m["record"]
                self.dead_letters.letters.append(DeadLetter(r.msg_id, r.value, m["receives"],
                                                            "received too often, never deleted"))
                del self.messages[s]
                continue
            m["receives"] += 1
            m["handle"] = f"{s}#{m['receives']}"
            m["visible_at"] = now + self.visibility_timeout
            out.append((m["handle"], m["record"], m["receives"]))
        return out

    def _find(self, handle: Any) -> dict | None:
        if not isinstance(handle, str) or "#" not in handle:
            raise ValueError(f"handle must be a receipt handle like '3#1', got {handle!r}")
        m = self.messages.get(int(handle.split("#")[0]))
        return m if m is not None and m["handle"] == handle else None

    def delete(self, handle: str) -> bool:
        """Delete the message if ``handle`` is its latest receipt; True if deleted."""
        m = self._find(handle)
        if m is None:
            return False
        del self.messages[m["record"].offset]
        self.deleted += 1
        return True

    def change_visibility(self, handle: str, timeout: float, now: float) -> bool:
        """Keep a message invisible for ``timeout`` more ms (a slow consumer's heartbeat)."""
        m = self._find(handle)
        if m is None:
            return False
        m["visible_at"] = now + check_delay("timeout", timeout)
        return True


# -- on the simulator ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Receive:
    max_messages: int
    req: int


@dataclass(frozen=True)
class Received:
    messages: tuple          # (handle, record, receive_count)
    req: int


@dataclass(frozen=True)
class Delete:
    handle: str


@dataclass(frozen=True)
class ChangeVisibility:
    handle: str
    timeout: float


class VisibilityBroker(Node):
    """The queue service: a durable ``VisibilityQueue`` in storage."""

    def __init__(self, node_id: str, *, visibility_timeout: float = 100.0,
                 max_receives: int | None = None, queue: str = "orders") -> None:
        super().__init__(node_id)
        self.options = dict(visibility_timeout=visibility_timeout, max_receives=max_receives,
                            name=queue)
        VisibilityQueue(**self.options)       # check the options now

    @property
    def queue(self) -> VisibilityQueue:
        return self.ctx.storage["queue"]

    def on_start(self) -> None:
        if "queue" not in self.ctx.storage:
            self.ctx.storage["queue"] = VisibilityQueue(seed=self.ctx.rng, **self.options)

    def on_produce(self, src: Any, msg: Produce) -> None:
        results = []
        for seq, msg_id, key, value, _partition in msg.entries:
            r = self.queue.send(key, value, msg_id, self.ctx.clock())
            results.append((seq, 0, r.offset, False))
        self.ctx.send(src, ProduceAck(msg.entries[0][0], tuple(results)))

    def on_receive(self, src: Any, msg: Receive) -> None:
        got = self.queue.receive(self.ctx.clock(), msg.max_messages)
        self.ctx.send(src, Received(tuple(got), msg.req))

    def on_delete(self, src: Any, msg: Delete) -> None:
        self.queue.delete(msg.handle)

    def on_change_visibility(self, src: Any, msg: ChangeVisibility) -> None:
        self.queue.change_visibility(msg.handle, msg.timeout, self.ctx.clock())


class VisibilityConsumer(Node):
    """Receive, process each message (``process_time`` ms), delete it; poll again.

    With ``extend=True`` it extends each message's visibility before working on it
    (the fix for a consumer slower than the timeout).
    """

    def __init__(self, node_id: str, broker: Any, sink: Sink, *, max_messages: int = 5,
                 process_time: float = 5.0, poll_interval: float = 20.0,
                 request_timeout: float = 60.0, extend: bool = False,
                 poison: Callable[[Record], bool] | None = None) -> None:
        super().__init__(node_id)
        self.broker, self.sink, self.poison = broker, sink, poison
        self.max_messages = check_int("max_messages", max_messages, minimum=1)
        self.process_time = check_delay("process_time", process_time)
        self.poll_interval = check_delay("poll_interval", poll_interval)
        self.request_timeout = check_delay("request_timeout", request_timeout)
        self.extend = extend
        self.batch: list = []
        self.req = 0

    def on_start(self) -> None:
        self._receive()

    def _receive(self) -> None:
        self.req += 1
        self.ctx.send(self.broker, Receive(self.max_messages, self.req))
        self.ctx.set_timer(self.request_timeout, "timeout", self.req)

    def on_received(self, src: Any, msg: Received) -> None:
        if msg.req != self.req or self.batch:
            return
        if not msg.messages:
            self.ctx.set_timer(self.poll_interval, "poll", self.req)
            return
        self.batch = list(msg.messages)
        self._start_next()

    def _start_next(self) -> None:
        if self.extend:
            handle = self.batch[0][0]
            self.ctx.send(self.broker, ChangeVisibility(handle, self.process_time * 4))
        self.ctx.set_timer(self.process_time, "process", self.req)

    def on_timer(self, name: str, payload: Any) -> None:
        if payload != self.req:
            return
        if name in ("poll", "timeout") and not self.batch:
            self._receive()
        elif name == "process" and self.batch:
            handle, record, _count = self.batch.pop(0)
            self.sink.note_processed(record, self.node_id, self.ctx.clock())
            if self.poison is None or not self.poison(record):
                self.sink.write(record, self.node_id, self.ctx.clock())
                self.ctx.send(self.broker, Delete(handle))
            if self.batch:
                self._start_next()
            else:
                self._receive()
