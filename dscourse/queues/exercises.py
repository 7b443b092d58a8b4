"""Exercises with automatic feedback, and the crash harness that checks them.

The harness runs the learner's code on the in-memory API (``memory.py``) and
crashes it at **every** possible step in turn: before each ``poll``, each
processing call and each ``commit`` (and, in the idempotence exercise, before
each database operation). After a crash a fresh consumer takes over from the
committed offsets, as in a real group. Then it audits: which records took
effect 0, 1 or more times. Workloads vary with the seed, including seeds the
notebook never shows.

1. ``check_at_least_once(consume_once)``: write one round of a consumer loop
   that loses nothing whatever the crash (and makes progress).
2. ``check_idempotent(handle)``: write the processing of one record against a
   small database so that every message takes effect exactly once, although
   records are redelivered and the producer duplicated some.
3. ``check_range_assignment(assign)``: Kafka's range assignor.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Any, Callable

from ..feedback import Feedback
from ..sim.rng import make_rng
from .groups import assign_range
from .log import TopicPartition
from .memory import MemoryBroker

SEEDS = (1, 2, 3, 11, 12)          # 11 and 12 are never shown in the notebook


class Crash(Exception):
    """The consumer process dies at this step (raised by the harness)."""


class _Steps:
    """Counts steps; raises ``Crash`` on step number ``crash_at`` (1-based; 0: never)."""

    def __init__(self, crash_at: int) -> None:
        self.crash_at, self.count = crash_at, 0

    def tick(self, what: str) -> None:
        self.count += 1
        if self.count == self.crash_at:
            raise Crash(f"crash before step {self.count} ({what})")


class _CrashingConsumer:
    """The learner's view of a consumer: ``poll``, ``commit``; each call is a step."""

    def __init__(self, consumer: Any, steps: _Steps) -> None:
        self._c, self._steps = consumer, steps

    def poll(self, max_records: int = 10):
        self._steps.tick("poll")
        return self._c.poll(max_records)

    def commit(self, offsets: dict | None = None):
        self._steps.tick("commit")
        return self._c.commit(offsets)


def _workload(seed: int) -> tuple:
    rng = make_rng(seed)
    partitions = rng.randint(1, 3)
    n = rng.randint(5, 9)
    records = [(f"user-{rng.randrange(4)}", f"v{i}") for i in range(n)]
    return partitions, records


def _run_consumer(consume_once: Callable, seed: int, crash_at: int) -> tuple:
    """Run the learner's loop with one crash: ``(effects Counter, steps taken, error)``,
    ``error`` being None, the learner's exception, or ``"lag N"`` if it did not finish."""
    partitions, records = _workload(seed)
    broker = MemoryBroker()
    broker.create_topic("orders", partitions)
    for i, (key, value) in enumerate(records):
        broker.publish("orders", key, value, msg_id=f"m{i}")
    effects: Counter = Counter()
    steps = _Steps(crash_at)

    def process(record):
        steps.tick("process")
        effects[record.msg_id] += 1

    consumer = broker.consumer("g", "c0", topics="orders")
    incarnation = 0
    for _round in range(4 * len(records) + 8):
        if sum(broker.group("g").lag(broker.log).values()) == 0 and effects:
            break
        try:
            consume_once(_CrashingConsumer(consumer, steps), process)
        except Crash:
            consumer.close()                  # the process died; a new one takes over
            incarnation += 1
            consumer = broker.consumer("g", f"c{incarnation}")
        except Exception as exc:              # the learner's own bug: report it
            return effects, steps.count, f"{type(exc).__name__}: {exc}"
    lag = sum(broker.group("g").lag(broker.log).values())
    return effects, steps.count, (None if lag == 0 else f"lag {lag}")


def check_at_least_once(consume_once: Callable) -> Feedback:
    """Exercise 1: ``consume_once(consumer, process)`` must lose nothing under any crash."""
    fb = Feedback("at-least-once consumer", passed=False)
    for seed in SEEDS:
        effects, total_steps, error = _run_consumer(consume_once, seed, crash_at=0)
        n = _workload(seed)[1]
        if error and not error.startswith("lag"):
            fb.add(f"workload {seed}: runs without error", False)
            fb.problem = f"your function raised {error}"
            fb.hint = "call consumer.poll(n), then process(record) for each record, then commit"
            return fb
        twice = sorted(m for m, k in effects.items() if k > 1)
        if twice:
            fb.add(f"workload {seed}: without crashes, each record processed once", False)
            fb.problem = (f"with no crash at all, records {twice} were processed more than once: "
                          f"a committed offset names the NEXT record to read (record.offset + 1)")
            fb.hint = "consumer.commit() with no argument commits the positions after the poll"
            return fb
        if error:
            fb.add(f"workload {seed}: without crashes, every record is committed", False)
            fb.problem = (f"with no crash at all, the group still has {error.split()[1]} "
                          f"record(s) not committed: your loop never commits (or commits too little)")
            fb.hint = ("after processing, call consumer.commit() (it commits what you polled); "
                       "committing by hand, commit record.offset + 1: the NEXT record to read")
            return fb
        for crash_at in range(1, total_steps + 1):
            effects, *_ = _run_consumer(consume_once, seed, crash_at)
            lost = sorted(f"m{i}" for i in range(len(n)) if effects[f"m{i}"] == 0)
            if lost:
                fb.add(f"workload {seed}: a crash at any step loses nothing", False)
                fb.problem = (f"a crash before step {crash_at} lost {lost}: they were committed "
                              f"before they were processed, and nobody processes them again")
                fb.hint = "process every record of the batch first, commit afterwards"
                return fb
        fb.add(f"workload {seed}: crashes at each of {total_steps} steps lose nothing", True)
    fb.passed = True
    return fb


# -- exercise 2: the idempotent consumer ---------------------------------------------------------------
class Database:
    """A tiny database for exercise 2: effects and a dedup table, with transactions.

    ``seen(key)``, ``mark(key)`` and ``apply(record)`` are single atomic writes
    (or reads); a crash can fall between any two of them, unless they run inside
    ``with db.transaction():``, whose writes all happen at its end or not at all.
    """

    def __init__(self, steps: _Steps) -> None:
        self._steps = steps
        self.applied: Counter = Counter()
        self.keys: set = set()
        self._pending: list | None = None

    def seen(self, key: Any) -> bool:
        self._steps.tick("seen")
        pending_marks = {k for op, k in (self._pending or []) if op == "mark"}
        return key in self.keys or key in pending_marks

    def mark(self, key: Any) -> None:
        self._steps.tick("mark")
        self._write(("mark", key))

    def apply(self, record: Any) -> None:
        """The effect: the record's msg_id is counted once more."""
        self._steps.tick("apply")
        self._write(("apply", record.msg_id))

    def _write(self, op: tuple) -> None:
        if self._pending is not None:
            self._pending.append(op)
        else:
            self._commit([op])

    def _commit(self, ops: list) -> None:
        for kind, value in ops:
            if kind == "mark":
                self.keys.add(value)
            else:
                self.applied[value] += 1

    @contextmanager
    def transaction(self):
        if self._pending is not None:
            raise RuntimeError("transactions do not nest")
        self._pending = []
        try:
            yield self
            ops, self._pending = self._pending, None
            self._commit(ops)
        finally:
            self._pending = None


def _deliveries(seed: int) -> list:
    """Records as an at-least-once consumer sees them: producer duplicates (same msg_id,
    another offset) and a batch delivered twice (a consumer crash before its commit)."""
    broker = MemoryBroker()
    broker.create_topic("orders", 1)
    rng = make_rng(seed)
    n = rng.randint(4, 7)
    for i in range(n):
        broker.publish("orders", f"user-{i % 3}", f"v{i}", msg_id=f"m{i}")
        if rng.random() < 0.4:        # the producer's retry appended it again
            broker.publish("orders", f"user-{i % 3}", f"v{i}", msg_id=f"m{i}")
    records = broker.consumer("g", topics="orders").poll(100)
    cut = rng.randint(1, len(records) - 1)
    return records[:cut] + records[:cut] + records[cut:], n


def _run_handler(handle: Callable, seed: int, crash_at: int) -> tuple:
    deliveries, n = _deliveries(seed)
    steps = _Steps(crash_at)
    db = Database(steps)
    i = 0
    while i < len(deliveries):
        try:
            handle(deliveries[i], db)
            i += 1
        except Crash:
            continue                   # not acknowledged: the same record comes again
        except Exception as exc:
            return db, n, steps.count, f"{type(exc).__name__}: {exc}"
    return db, n, steps.count, None


def check_idempotent(handle: Callable) -> Feedback:
    """Exercise 2: ``handle(record, db)`` must make each message take effect exactly once."""
    fb = Feedback("idempotent consumer", passed=False)
    for seed in SEEDS:
        db, n, total, error = _run_handler(handle, seed, crash_at=0)
        if error:
            fb.add(f"workload {seed}: runs without error", False)
            fb.problem = f"your function raised {error}"
            fb.hint = "use db.seen(key), db.apply(record), db.mark(key) and `with db.transaction():`"
            return fb
        for crash_at in range(0, total + 1):
            db, n, _, _ = _run_handler(handle, seed, crash_at)
            twice = sorted(m for m, k in db.applied.items() if k > 1)
            never = sorted(f"m{i}" for i in range(n) if db.applied[f"m{i}"] == 0)
            where = "with no crash" if crash_at == 0 else f"with a crash before step {crash_at}"
            if twice or never:
                fb.add(f"workload {seed}: every message takes effect exactly once", False)
                if twice and crash_at == 0:
                    fb.problem = (f"{where}, {twice} took effect twice: redelivered records (and "
                                  f"the producer's duplicates, same msg_id at another offset) "
                                  f"must be recognised")
                    fb.hint = ("deduplicate on record.msg_id, the message's own name (an offset "
                               "differs between a message and its duplicate)")
                elif twice:
                    fb.problem = (f"{where}, {twice} took effect twice: the effect was written "
                                  f"but the crash came before the dedup key was")
                    fb.hint = "do the check, the effect and the mark in one db.transaction()"
                else:
                    fb.problem = (f"{where}, {never} never took effect: the dedup key was "
                                  f"written, the effect was not, and the retry skipped it")
                    fb.hint = "do the check, the effect and the mark in one db.transaction()"
                return fb
        fb.add(f"workload {seed}: exactly once under a crash at each of {total + 1} points", True)
    fb.passed = True
    return fb


# -- exercise 3: range assignment ----------------------------------------------------------------------
def check_range_assignment(assign: Callable) -> Feedback:
    """Exercise 3: ``assign(members, partitions)`` -> ``{member: [partitions]}`` like Kafka's
    range assignor (one topic: ``partitions`` is a count)."""
    fb = Feedback("range assignment", passed=False)
    cases = [(["c1", "c2"], 4), (["c1", "c2", "c3"], 7), (["b", "a"], 3), (["c1"], 0),
             (["c1", "c2", "c3", "c4"], 2), (["x", "y", "z"], 11)]
    for members, n in cases:
        tps = [TopicPartition("t", i) for i in range(n)]
        want = {m: [tp.partition for tp in v] for m, v in assign_range(members, tps).items()}
        try:
            got = assign(list(members), n)
            got = {m: sorted(int(p) for p in ps) for m, ps in dict(got).items()}
        except Exception as exc:
            fb.add(f"{len(members)} member(s), {n} partitions: runs", False)
            fb.problem = f"your function raised {type(exc).__name__}: {exc}"
            fb.hint = "return a dict {member: [partition numbers]} with every member as a key"
            return fb
        ok = fb.add(f"{len(members)} member(s), {n} partitions", got == want)
        if not ok:
            fb.problem = f"for members {members} and {n} partitions you gave {got}; expected {want}"
            owned = sorted(p for ps in got.values() for p in ps)
            if owned != list(range(n)):
                fb.hint = "every partition must have exactly one owner"
            elif sorted(got) != sorted(members):
                fb.hint = "every member must be a key, even one that gets no partition"
            else:
                fb.hint = ("sort the members; each gets n // m contiguous partitions and the "
                           "FIRST n % m members get one more")
            return fb
    fb.passed = True
    return fb
