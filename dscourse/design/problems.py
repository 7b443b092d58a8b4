"""Worked design problems, each measured on the simulator with the course's own stores.

Nothing here is a new protocol: every store is ``dscourse.replication``'s,
built and run by ``replication.experiments`` and measured by
``replication.measure`` and ``dscourse.checkers``. What this module adds is
the *question* each problem asks and the numbers that answer it. Inventory
(``inventory.py``) and the cache (``cache.py``) have modules of their own.

* ``payment_ledger``: deposits to one account (a counter) on three replicas,
  the replica ``n1`` and its client cut off for a while. The CP counter
  (ballots, ``cp-counter``) refuses on the minority side and loses nothing;
  the course text's AP counter (last-writer-wins on local clocks, ``lww``)
  answers everywhere and loses acknowledged deposits; the CRDT counter
  (``crdt-counter``) answers everywhere and loses nothing, but it cannot
  refuse a withdrawal that would overdraw: that is the inventory problem.
  An auditor reads the balance through every replica after the heal.
* ``social_feed``: a feed (a register) read and written on both sides of the
  same partition. The AP store (``lww`` with gossip) stays available and
  serves stale reads; the CP store (``cp-register``, ABD) refuses on the
  minority side and serves none.
* ``chat``: the post-and-reply scenario of notebook 03/04
  (``replication.scenarios.post_and_reply``): on the course text's causal
  store Carol sees Bob's reply before Alice's post; on ``CausalNode`` the
  reply waits in a buffer until the post has arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..checkers import Counter, Register, check_causal, check_linearizable
from ..replication.client import Client, Op, Workload
from ..replication.experiments import (
    COUNTER_MIX,
    REGISTER_MIX,
    Run,
    build,
    client_ids,
    default_windows,
    node_ids,
    partition_plan,
    run,
)
from ..replication.measure import lost_increments
from ..replication.scenarios import post_and_reply
from ..sim import FaultPlan, Simulator
from ..sim.rng import Seed
from ..sim.table import TextTable, format_table

__all__ = ["PARTITION", "SideCounts", "LedgerResult", "payment_ledger", "ledger_table",
           "FeedResult", "social_feed", "feed_table", "ChatResult", "chat", "chat_table",
           "LEDGER_DESIGNS", "FEED_DESIGNS", "CHAT_DESIGNS", "feed_linearizable"]

PARTITION = (400.0, 900.0)      # n1 and c1 cut off from the others (ms)
STOP = 1300.0                   # clients stop here; the auditor reads after it
LEDGER_DESIGNS = (("CP counter (ballots)", "cp-counter"),
                  ("AP counter, last-writer-wins (the text's)", "lww"),
                  ("AP counter, CRDT", "crdt-counter"))
FEED_DESIGNS = (("AP feed (LWW + gossip)", "lww"), ("CP feed (ABD)", "cp-register"))
CHAT_DESIGNS = (("the course text's causal store", "textbook-causal"),
                ("causal store (vector clocks, buffering)", "causal"))


@dataclass(frozen=True)
class SideCounts:
    """Operations invoked during the partition on one side: how many, how many ``ok``."""
    invoked: int
    ok: int

    @property
    def refused(self) -> int:
        return self.invoked - self.ok

    @property
    def available(self) -> float:
        return self.ok / self.invoked if self.invoked else float("nan")


def _sides(r: Run, start: float, end: float, fs: tuple | None = None) -> tuple:
    minority = set(client_ids(len(r.nodes))[: (len(r.nodes) - 1) // 2])
    out = []
    for mine in (True, False):
        ops = [op for op in r.history.operations()
               if start <= op.invoke_time < end and (op.process in minority) == mine
               and (fs is None or op.f in fs)]
        out.append(SideCounts(len(ops), sum(op.type == "ok" for op in ops)))
    return tuple(out)


def _options(store: str) -> dict:
    """AP stores gossip (so they converge after the heal); CP stores give up sooner than by default."""
    if store in ("lww", "crdt-counter"):
        return {"anti_entropy_interval": 100.0}
    if store == "cp-counter":
        return {"timeout": 200.0, "forward_timeout": 50.0}
    return {"timeout": 100.0} if store == "cp-register" else {}


def _audited_run(store: str, seed: Seed, mix: tuple, n: int, partition: tuple | None,
                 **options: Any) -> Run:
    """Clients c1..cn run ``mix`` until ``STOP``; then an auditor reads through every replica."""
    audit_at = STOP + 300.0
    sim = build(store, n, seed=seed, stop=STOP, workload=Workload(mix=mix, count=1000),
                **({"initial": 0} if store == "lww" else {}), **options)
    sim.add_node(Client("auditor", node_ids(n), [Op("read", "x", at=audit_at + 20.0 * i, target=nid)
                                                 for i, nid in enumerate(node_ids(n))]))
    plan = partition_plan(n, *partition) if partition else FaultPlan()
    plan.apply(sim)
    sim.run(until=audit_at + 600.0)
    return Run(sim, store, node_ids(n), plan, default_windows(plan, STOP))


def _audit(r: Run) -> dict:
    """What the auditor read through each replica (``None``: that read did not succeed)."""
    client = r.sim.node("auditor")
    return {target: value if outcome == "ok" else None
            for _op, outcome, value, _e, target in client.results}


# ------------------------------------------------------------------ payment ledger
@dataclass(frozen=True)
class LedgerResult:
    design: str
    store: str
    run: Run
    minority: SideCounts       # deposits (and reads) invoked on n1's side during the partition
    majority: SideCounts
    acknowledged: int          # deposits the clients were told succeeded
    unknown: int               # deposits with an unknown outcome
    balances: dict             # replica -> balance the auditor read through it after the heal
    lost: int                  # acknowledged deposits missing from the final balance
    linearizable: Any          # True / False / "unknown"

    @property
    def agree(self) -> bool:
        values = set(self.balances.values())
        return len(values) == 1 and None not in values


def payment_ledger(seed: Seed = 1, *, n: int = 3, partition: tuple | None = PARTITION,
                   designs: tuple = LEDGER_DESIGNS) -> list[LedgerResult]:
    """Deposits (increments) and balance reads on every design of ``designs``; see the module doc."""
    out = []
    for label, store in designs:
        r = _audited_run(store, seed, COUNTER_MIX, n, partition, **_options(store))
        minority, majority = _sides(r, *partition) if partition else (SideCounts(0, 0),) * 2
        balances = _audit(r)
        final = max((v for v in balances.values() if v is not None), default=0)
        tally = lost_increments(r.history, final)
        verdict = check_linearizable(r.history, Counter(), explain=False, max_steps=200_000)
        out.append(LedgerResult(label, store, r, minority, majority, tally["acknowledged"],
                                tally["unknown"], balances, tally["lost"], verdict.valid))
    return out


def _pct(x: float) -> str:
    return "-" if x != x else f"{x:.0%}"


def ledger_table(results: list[LedgerResult]) -> TextTable:
    return format_table(
        ["design", "n1's side: ok", "others: ok", "deposits acked", "final balance",
         "replicas agree", "acked deposits lost", "linearizable"],
        [(r.design, f"{r.minority.ok}/{r.minority.invoked}", f"{r.majority.ok}/{r.majority.invoked}",
          r.acknowledged, "/".join("-" if v is None else str(v) for v in r.balances.values()),
          "yes" if r.agree else "no", r.lost, str(r.linearizable)) for r in results],
        title=f"Payment ledger: operations during the partition ({PARTITION[0]:g}-{PARTITION[1]:g} ms)"
              f" and the balance read through each replica afterwards")


# ------------------------------------------------------------------ social feed
@dataclass(frozen=True)
class FeedResult:
    design: str
    store: str
    run: Run
    minority: SideCounts
    majority: SideCounts
    stale: dict                # window name -> stale reads whose read began in it
    reads: int                 # ok reads in the whole run


def social_feed(seed: Seed = 1, *, n: int = 3, partition: tuple = PARTITION,
                designs: tuple = FEED_DESIGNS) -> list[FeedResult]:
    """Reads and posts on both sides of the partition; stale reads counted per window."""
    out = []
    for label, store in designs:
        r = run(store, n, seed=seed, plan=partition_plan(n, *partition), duration=STOP + 700.0,
                stop=STOP, mix=REGISTER_MIX, **_options(store))
        stale = {w.name: 0 for w in r.windows}
        for op, _value, _newer in r.stale_reads():
            for w in r.windows:
                if op.invoke_time in w:
                    stale[w.name] += 1
        minority, majority = _sides(r, *partition)
        reads = sum(1 for op in r.history.operations() if op.f == "read" and op.type == "ok")
        out.append(FeedResult(label, store, r, minority, majority, stale, reads))
    return out


def feed_table(results: list[FeedResult]) -> TextTable:
    return format_table(
        ["design", "n1's side: ok", "others: ok", "stale before", "stale during", "stale after",
         "ok reads"],
        [(r.design, f"{r.minority.ok}/{r.minority.invoked}", f"{r.majority.ok}/{r.majority.invoked}",
          r.stale.get("before", 0), r.stale.get("during", 0), r.stale.get("after", 0), r.reads)
         for r in results],
        title="Social feed: availability and stale reads around the partition")


def feed_linearizable(result: FeedResult) -> Any:
    """The checker's verdict on a feed run's history (a register)."""
    return check_linearizable(result.run.history, Register(), explain=False,
                              max_steps=200_000).valid


# ------------------------------------------------------------------ chat
@dataclass(frozen=True)
class ChatResult:
    design: str
    store: str
    sim: Simulator
    carol: tuple               # what Carol read, in order: ((time, key, value), ...)
    anomalies: int             # reads that miss something in their causal past (the checker)

    @property
    def reply_without_post(self) -> bool:
        """Did Carol, having seen the reply, then read the post and find nothing?"""
        seen_reply = False
        for _t, key, value in self.carol:
            if key == "reply" and _seen(value):
                seen_reply = True
            if key == "post" and seen_reply and not _seen(value):
                return True
        return False


def _seen(value: Any) -> bool:
    return bool(value) if isinstance(value, (list, tuple)) else value is not None


def chat(seed: Seed = 1, designs: tuple = CHAT_DESIGNS) -> list[ChatResult]:
    """Alice posts, Bob replies, Carol reads (the slow link is n1 -> n3)."""
    out = []
    for label, store in designs:
        sim = post_and_reply(store, seed)
        siblings = store == "causal"
        verdict = check_causal(sim.history, kv=True, siblings=siblings)
        carol = tuple((op.complete_time, op.result[0], op.result[1])
                      for op in sim.history.operations()
                      if op.process == "carol" and op.type == "ok")
        out.append(ChatResult(label, store, sim, carol, len(verdict.anomalies)))
    return out


def chat_table(results: list[ChatResult]) -> TextTable:
    rows = []
    for r in results:
        shown = "; ".join(f"{t:.0f} ms {key}={value!r}" for t, key, value in r.carol)
        rows.append((r.design, shown, "yes" if r.reply_without_post else "no", r.anomalies))
    return format_table(["design", "what Carol read (completion time, key=value)",
                         "reply without its post", "causal anomalies"],
                        rows, title="Chat: does anyone see a reply before the post it answers?")
