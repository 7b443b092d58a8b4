"""A queue with acknowledgements: RabbitMQ's model.

The broker keeps one FIFO queue. It **pushes** messages to subscribed
consumers, at most ``prefetch`` unacknowledged ones per consumer. A consumer
processes a message and then **acks** it: only then is the message gone, for
good (there is no offset to rewind: no replay). A consumer that dies with
messages unacked (its connection's heartbeats stop for ``heartbeat_timeout``
ms, or it reconnects after a restart) gets them **requeued**, in their
original order, marked *redelivered*: at-least-once, like processing before
committing. A consumer may also **nack** a message it failed on; it is
requeued, and after ``max_attempts`` failures dead-lettered (``dlq.py``).

Ordering: the queue is FIFO, but with several consumers two messages of one
key can be processed at the same time by two consumers, and a requeued message
is processed after later ones that another consumer already took. A slow
consumer holds at most ``prefetch`` messages; the others take the rest, so work
flows to whoever is free.

The model assumes, like AMQP over TCP, that the links between broker and
consumers do not lose messages (a lost delivery would stay unacked until the
consumer's connection dies); the sweeps of the log model are where loss is tested.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from ..sim.validate import check_delay, check_int
from .delivery import Sink
from .dlq import DeadLetters
from .log import Record
from .messages import Produce, ProduceAck


class AckQueue:
    """The queue itself, no network: publish, deliver, ack, nack, requeue."""

    def __init__(self, name: str = "orders", dead_letters: DeadLetters | None = None) -> None:
        self.name = name
        self.ready: list[tuple] = []          # (seq, record), sorted by seq
        self.unacked: dict[int, tuple] = {}   # tag -> (consumer, record)
        self.delivered: set = set()           # seqs delivered at least once
        self.next_seq = 0
        self.next_tag = 1
        self.acked = 0
        self.dead_letters = dead_letters

    def publish(self, key: str | None, value: Any, msg_id: str | None = None,
                timestamp: float = 0.0) -> Record:
        record = Record(self.name, 0, self.next_seq, key, value, timestamp, msg_id)
        self.ready.append((self.next_seq, record))
        self.next_seq += 1
        return record

    @property
    def depth(self) -> int:
        return len(self.ready)

    def unacked_by(self, consumer: Any) -> int:
        return sum(1 for c, _ in self.unacked.values() if c == consumer)

    def deliver(self, consumer: Any) -> tuple | None:
        """Hand the oldest ready message to ``consumer``: ``(tag, record, redelivered)``."""
        if not self.ready:
            return None
        seq, record = self.ready.pop(0)
        tag = self.next_tag
        self.next_tag += 1
        self.unacked[tag] = (consumer, record)
        redelivered = seq in self.delivered
        self.delivered.add(seq)
        return tag, record, redelivered

    def _take(self, consumer: Any, tag: int) -> Record:
        check_int("tag", tag)
        if self.unacked.get(tag, (None,))[0] != consumer:
            raise ValueError(f"tag={tag} is not an unacknowledged delivery to {consumer!r}")
        return self.unacked.pop(tag)[1]

    def ack(self, consumer: Any, tag: int) -> None:
        """The message is done: delete it for good."""
        self._take(consumer, tag)
        self.acked += 1

    def nack(self, consumer: Any, tag: int, reason: str = "failed") -> bool:
        """Processing failed: requeue, or dead-letter after too many failures (True then)."""
        record = self._take(consumer, tag)
        if self.dead_letters is not None and self.dead_letters.failed(record.msg_id, record.value,
                                                                        reason):
            return True
        bisect.insort(self.ready, (record.offset, record))
        return False

    def requeue(self, consumer: Any) -> int:
        """``consumer`` is gone: put its unacknowledged messages back, in order."""
        tags = sorted(t for t, (c, _) in self.unacked.items() if c == consumer)
        for t in tags:
            record = self.unacked.pop(t)[1]
            bisect.insort(self.ready, (record.offset, record))
        return len(tags)


# -- on the simulator ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Subscribe:
    consumer: str
    prefetch: int


@dataclass(frozen=True)
class Subscribed:
    pass


@dataclass(frozen=True)
class Deliver:
    tag: int
    record: Record
    redelivered: bool


@dataclass(frozen=True)
class Ack:
    tag: int


@dataclass(frozen=True)
class Nack:
    tag: int
    reason: str


@dataclass(frozen=True)
class Ping:
    pass


class AckQueueBroker(Node):
    """The broker: a durable ``AckQueue`` in storage, pushing to subscribed consumers."""

    def __init__(self, node_id: str, queue: str = "orders", *, heartbeat_timeout: float = 300.0,
                 tick: float = 50.0, max_attempts: int | None = None) -> None:
        super().__init__(node_id)
        self.queue_name = queue
        self.heartbeat_timeout = check_delay("heartbeat_timeout", heartbeat_timeout)
        self.tick = check_delay("tick", tick)
        self.max_attempts = None if max_attempts is None else check_int("max_attempts", max_attempts,
                                                                         minimum=1)
        self.consumers: dict[Any, list] = {}     # consumer -> [prefetch, last heard]

    @property
    def queue(self) -> AckQueue:
        return self.ctx.storage["queue"]

    def on_start(self) -> None:
        if "queue" not in self.ctx.storage:
            dead = None if self.max_attempts is None else DeadLetters(self.max_attempts)
            self.ctx.storage["queue"] = AckQueue(self.queue_name, dead)
        for c in sorted({c for c, _ in self.queue.unacked.values()}, key=str):
            self.queue.requeue(c)      # every connection died with the broker
        self.ctx.set_timer(self.tick, "tick")

    def on_produce(self, src: Any, msg: Produce) -> None:
        results = []
        for seq, msg_id, key, value, _partition in msg.entries:
            r = self.queue.publish(key, value, msg_id, self.ctx.clock())
            results.append((seq, 0, r.offset, False))
        self.ctx.send(src, ProduceAck(msg.entries[0][0], tuple(results)))
        self._push_ready()

    def on_subscribe(self, src: Any, msg: Subscribe) -> None:
        if src in self.consumers:          # a new connection from a restarted consumer
            self.queue.requeue(src)
        self.consumers[src] = [msg.prefetch, self.ctx.clock()]
        self.ctx.send(src, Subscribed())
        self._push_ready()

    def on_ack(self, src: Any, msg: Ack) -> None:
        if src in self.consumers and self.queue.unacked.get(msg.tag, (None,))[0] == src:
            self.queue.ack(src, msg.tag)
            self._push_ready()

    def on_nack(self, src: Any, msg: Nack) -> None:
        if src in self.consumers and self.queue.unacked.get(msg.tag, (None,))[0] == src:
            self.queue.nack(src, msg.tag, msg.reason)
            self._push_ready()

    def on_ping(self, src: Any, msg: Ping) -> None:
        if src in self.consumers:
            self.consumers[src][1] = self.ctx.clock()

    def on_timer(self, name: str, payload: Any) -> None:
        now = self.ctx.clock()
        for c in sorted(self.consumers, key=str):
            if now - self.consumers[c][1] > self.heartbeat_timeout:
                del self.consumers[c]
                self.queue.requeue(c)
        self._push_ready()
        self.ctx.set_timer(self.tick, "tick")

    def _push_ready(self) -> None:
        """Round-robin over consumers with room under their prefetch limit."""
        progress = True
        while progress and self.queue.ready:
            progress = False
            for c in sorted(self.consumers, key=str):
                if self.queue.ready and self.queue.unacked_by(c) < self.consumers[c][0]:
                    tag, record, redelivered = self.queue.deliver(c)
                    self.ctx.send(c, Deliver(tag, record, redelivered))
                    progress = True


class AckQueueConsumer(Node):
    """Processes pushed messages one at a time, then acks (or nacks a failure)."""

    def __init__(self, node_id: str, broker: Any, sink: Sink, *, prefetch: int = 5,
                 process_time: float = 5.0, ping_interval: float = 50.0,
                 poison: Callable[[Record], bool] | None = None) -> None:
        super().__init__(node_id)
        self.broker, self.sink, self.poison = broker, sink, poison
        self.prefetch = check_int("prefetch", prefetch, minimum=1)
        self.process_time = check_delay("process_time", process_time)
        self.ping_interval = check_delay("ping_interval", ping_interval)
        self.inbox: list[Deliver] = []
        self.busy = False
        self.subscribed = False

    def on_start(self) -> None:
        self.ctx.send(self.broker, Subscribe(self.node_id, self.prefetch))
        self.ctx.set_timer(self.ping_interval, "ping")

    def on_subscribed(self, src: Any, msg: Subscribed) -> None:
        self.subscribed = True

    def on_deliver(self, src: Any, msg: Deliver) -> None:
        self.inbox.append(msg)
        if not self.busy:
            self.busy = True
            self.ctx.set_timer(self.process_time, "process")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "ping":
            # Not subscribed yet: the Subscribe was lost; ask again.
            self.ctx.send(self.broker, Ping() if self.subscribed else Subscribe(self.node_id,
                                                                                self.prefetch))
            self.ctx.set_timer(self.ping_interval, "ping")
            return
        d = self.inbox.pop(0)
        self.sink.note_processed(d.record, self.node_id, self.ctx.clock())
        if self.poison is not None and self.poison(d.record):
            self.ctx.send(self.broker, Nack(d.tag, "poison message"))
        else:
            self.sink.write(d.record, self.node_id, self.ctx.clock())
            self.ctx.send(self.broker, Ack(d.tag))
        if self.inbox:
            self.ctx.set_timer(self.process_time, "process")
        else:
            self.busy = False
