"""Dead-letter queues: where a message goes after failing too often.

Some messages can never be processed: malformed input, a bug the message
triggers, a reference to something deleted. Retried forever, such a **poison
message** blocks everything behind it (in a log, its whole partition stops:
the consumer cannot commit past it) or burns capacity forever (in a queue it
keeps coming back). The remedy is to count failed attempts per message and,
after ``max_attempts``, move the message aside to a **dead-letter queue**
with the reason, commit or acknowledge past it, and let a human (or a repair
job) look at the dead letters later.

``DeadLetters`` counts attempts and keeps the dead letters; the three models
use it: the log consumer below (``consume_with_dead_letters``, on the
in-memory API), the acked queue's ``nack`` (RabbitMQ's delivery limit) and the
visibility-timeout queue's ``max_receives`` (SQS's redrive policy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sim.table import TextTable, format_table
from ..sim.validate import check_int


@dataclass(frozen=True)
class DeadLetter:
    msg_id: Any
    value: Any
    attempts: int
    reason: str


class DeadLetters:
    """Failed attempts per message, and the messages given up on."""

    def __init__(self, max_attempts: int = 3) -> None:
        self.max_attempts = check_int("max_attempts", max_attempts, minimum=1)
        self.attempts: dict[Any, int] = {}
        self.letters: list[DeadLetter] = []

    def failed(self, msg_id: Any, value: Any = None, reason: str = "failed") -> bool:
        """Count one failed attempt; True (and the message is dead-lettered) if that was the last."""
        n = self.attempts.get(msg_id, 0) + 1
        self.attempts[msg_id] = n
        if n >= self.max_attempts:
            self.letters.append(DeadLetter(msg_id, value, n, reason))
            return True
        return False

    def __len__(self) -> int:
        return len(self.letters)

    def table(self) -> TextTable:
        rows = [(d.msg_id, d.value, d.attempts, d.reason) for d in self.letters]
        return format_table(["message", "value", "attempts", "reason"], rows,
                            title=None if rows else "(no dead letters)")


def consume_with_dead_letters(consumer: Any, handler: Callable[[Any], Any],
                              dead: DeadLetters | None, polls: int = 10, max_records: int = 10) -> dict:
    """A log consumer (in-memory API) that commits after each record it finishes.

    ``handler(record)`` raises to signal failure. With ``dead`` (a ``DeadLetters``)
    a record is retried up to ``dead.max_attempts`` times, then dead-lettered and
    passed. Without it, a failing record is retried at the next poll, for ever:
    the consumer rewinds to it and nothing behind it in its partition moves.
    Returns counts of what happened.
    """
    check_int("polls", polls, minimum=0)
    out = {"processed": 0, "failures": 0, "dead-lettered": 0}
    for _ in range(polls):
        batch = consumer.poll(max_records)
        for i, record in enumerate(batch):
            if not _attempt(record, handler, dead, out):
                # Stuck: rewind every partition to its first record not yet done.
                for r in reversed(batch[i:]):
                    consumer.seek(r.tp, r.offset)
                break
            consumer.commit({record.tp: record.offset + 1})
    return out


def _attempt(record: Any, handler: Callable, dead: DeadLetters | None, out: dict) -> bool:
    """Process ``record``; False if it failed and must be retried later."""
    while True:
        try:
            handler(record)
            out["processed"] += 1
            return True
        except Exception as exc:   # the handler's failure, whatever it is
            out["failures"] += 1
            if dead is None:
                return False
            if dead.failed(record.msg_id or f"{record.tp}@{record.offset}", record.value,
                           f"{type(exc).__name__}: {exc}"):
                out["dead-lettered"] += 1
                return True
