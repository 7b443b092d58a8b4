"""Producers that retry, and why a retry duplicates unless the producer is idempotent.

A producer sends a batch of messages to the broker and waits for the
acknowledgement. If none comes within ``retry_timeout`` it cannot tell
whether the request was lost (nothing was appended) or the *ack* was lost (the
batch is already in the log), so it sends the batch again. To lose nothing it
must retry; when the ack was the thing lost, the retry appends every message a
second time. Retries alone give at-least-once *production*.

The fix (Kafka's idempotent producer): each producer numbers its messages
0, 1, 2, ... (a **sequence number**, kept across its own restarts), and the
broker remembers, per producer, the highest sequence number it appended
(``ProducerSequences``). A message whose number it has seen is acknowledged
again, with its original offset, and not appended twice.

The producer keeps one batch in flight at a time, so its messages reach the
log in the order it sent them (with several batches in flight a retried batch
could overtake a later one; Kafka's sequence numbers also catch that).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import Node
from ..sim.validate import check_delay, check_int
from .messages import Produce, ProduceAck


class ProducerSequences:
    """Broker side of idempotence: per producer, where each sequence number went."""

    def __init__(self) -> None:
        self.appended: dict[str, dict[int, tuple]] = {}   # producer -> seq -> (partition, offset)

    def seen(self, producer: str, seq: int) -> tuple | None:
        """The (partition, offset) this message was appended at, or None if new."""
        return self.appended.get(producer, {}).get(seq)

    def remember(self, producer: str, seq: int, partition: int, offset: int) -> None:
        self.appended.setdefault(producer, {})[seq] = (partition, offset)


class ProducerNode(Node):
    """Sends ``messages`` (``(key, value)`` pairs) to ``topic`` on ``broker``.

    Message ``n`` becomes due at ``send_times[n]`` (default: every ``interval``
    ms); up to ``max_batch`` due messages go in one ``Produce``. The message
    named ``"<producer>-<n>"`` keeps that name through retries: the audit counts
    by it. ``storage["next"]`` (durable) is the first message not yet acknowledged.
    """

    def __init__(self, node_id: str, broker: Any, topic: str, messages: Sequence[tuple], *,
                 idempotent: bool = True, interval: float = 5.0,
                 send_times: Sequence[float] | None = None, max_batch: int = 10,
                 retry_timeout: float = 40.0, partitions: int | None = None) -> None:
        super().__init__(node_id)
        self.broker = broker
        self.topic = topic
        self.messages = list(messages)
        if send_times is not None and len(send_times) != len(self.messages):
            raise ValueError(f"send_times has {len(send_times)} entries for "
                             f"{len(self.messages)} messages; give one per message")
        self.send_times = (list(send_times) if send_times is not None
                           else [i * check_delay("interval", interval) for i in range(len(messages))])
        if not isinstance(idempotent, bool):
            raise TypeError(f"idempotent must be True or False, got {idempotent!r}")
        self.idempotent = idempotent
        self.max_batch = check_int("max_batch", max_batch, minimum=1)
        self.retry_timeout = check_delay("retry_timeout", retry_timeout)
        # partitions=None: the broker places each message by its key (the right way).
        # partitions=n: the producer picks a random partition of n for each message,
        # ignoring the key (the way to lose per-key order, for the demonstration).
        self.partitions = None if partitions is None else check_int("partitions", partitions, minimum=1)
        self.in_flight: tuple = ()          # the entries of the batch awaiting its ack
        self.retries = 0
        self.retry_timer = 0
        self.acks: list[ProduceAck] = []

    def msg_id(self, n: int) -> str:
        return f"{self.node_id}-{n}"

    @property
    def done(self) -> bool:
        return self.ctx.storage.get("next", 0) >= len(self.messages)

    def on_start(self) -> None:
        self._next_batch()

    def _next_batch(self) -> None:
        # Send the messages that are due; if none is, wake up when the first one is.
        first = self.ctx.storage.get("next", 0)
        if first >= len(self.messages):
            return
        now = self._now()
        if self.send_times[first] > now:
            self.ctx.set_timer(self.send_times[first] - now, "due")
            return
        last = first
        while (last + 1 < len(self.messages) and last + 1 - first < self.max_batch
               and self.send_times[last + 1] <= now):
            last += 1
        self.in_flight = tuple((n, self.msg_id(n), *self.messages[n], self._partition(n))
                               for n in range(first, last + 1))
        self._transmit()

    def _partition(self, n: int) -> int | None:
        if self.partitions is None:
            return None
        return self.ctx.storage.setdefault(("partition", n), self.ctx.rng.randrange(self.partitions))

    def _now(self) -> float:
        # Due times are measured on the producer's own clock since it started.
        return self.ctx.clock() - self.ctx.storage.setdefault("epoch", self.ctx.clock())

    def _transmit(self) -> None:
        self.ctx.send(self.broker, Produce(self.node_id, self.in_flight, self.topic, self.idempotent))
        self.retry_timer = self.ctx.set_timer(self.retry_timeout, "retry", self.in_flight[0][0])

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "due":
            self._next_batch()
        elif name == "retry" and self.in_flight and self.in_flight[0][0] == payload:
            # No ack in time: the request or the ack was lost. Send the same batch again.
            self.retries += 1
            self.ctx.log(f"retry batch from {self.msg_id(payload)}")
            self._transmit()

    def on_produce_ack(self, src: Any, ack: ProduceAck) -> None:
        if not self.in_flight or ack.first != self.in_flight[0][0]:
            return              # the ack of a batch already acknowledged (a retry's twin)
        self.acks.append(ack)
        self.ctx.cancel_timer(self.retry_timer)
        self.ctx.storage["next"] = self.in_flight[-1][0] + 1
        self.in_flight = ()
        self._next_batch()
