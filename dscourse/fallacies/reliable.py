"""Fallacy 1: "the network is reliable".

A client makes deposits into an account on a server, one at a time, over a
lossy network. Three designs, each fixing the previous one's failure:

1. **naive**: send the ``Deposit`` once; if no ``DepositOk`` comes back within
   the timeout, give up. A lost request is a lost write. A lost *reply* is
   worse: the deposit happened, but the client was told nothing (in Jepsen's
   terms the operation is ``info``: its outcome is unknown).
2. **retry**: on a timeout, send the same deposit again (up to ``attempts``
   times). Nothing is lost any more, but when the *reply* was lost the server
   receives the deposit twice and applies it twice: retries turn lost writes
   into duplicated writes. (A network that duplicates packets does the same.)
3. **idempotent**: every deposit carries an idempotency key (``request_id``,
   unique per logical deposit and reused by its retries). The server
   remembers the reply it gave for each key; a repeat gets the same reply and
   changes nothing. Retries plus idempotency keys give an *exactly-once
   effect*. Exactly-once *delivery* is impossible on a lossy network; the
   effect is what we can have.

A real server must keep the table of answered keys as durably as the balance
(in the same transaction), or a crash between the two brings duplicates back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sim import FaultPlan, Node, Simulator, Uniform
from ..sim.rng import Seed, derive_rng
from ..sim.table import TextTable, format_table
from ..sim.validate import check_choice, check_delay, check_int, check_probability
from .common import build_sim, run_seed


@dataclass(frozen=True)
class Deposit:
    request_id: str    # "client:n": one per logical deposit; every retry reuses it
    amount: int


@dataclass(frozen=True)
class DepositOk:
    request_id: str
    balance: int


class AccountServer(Node):
    """Applies every ``Deposit`` it receives: right only on a perfect network."""

    def __init__(self, node_id: Any):
        super().__init__(node_id)
        self.balance = 0
        self.applied: list[str] = []     # request ids, in the order applied

    def on_deposit(self, src, msg: Deposit) -> None:
        self.balance += msg.amount
        self.applied.append(msg.request_id)
        self.ctx.send(src, DepositOk(msg.request_id, self.balance))


class IdempotentAccountServer(AccountServer):
    """Applies each ``request_id`` once; answers repeats with the reply it gave."""

    def __init__(self, node_id: Any):
        super().__init__(node_id)
        self.replies: dict[str, DepositOk] = {}

    def on_deposit(self, src, msg: Deposit) -> None:
        done = self.replies.get(msg.request_id)
        if done is not None:
            # A retry, or a copy the network duplicated: the deposit already
            # happened. Answer again (the first answer may be what got lost),
            # but do not apply it again.
            self.ctx.send(src, done)
            return
        self.balance += msg.amount
        self.applied.append(msg.request_id)
        reply = DepositOk(msg.request_id, self.balance)
        self.replies[msg.request_id] = reply
        self.ctx.send(src, reply)


class DepositClient(Node):
    """Makes ``amounts`` deposits one after another; retries up to ``attempts`` times."""

    def __init__(self, node_id: Any, server: Any, amounts: tuple, timeout: float = 50.0,
                 attempts: int = 1):
        super().__init__(node_id)
        self.server = server
        self.amounts = tuple(amounts)
        self.timeout = check_delay("timeout", timeout)
        self.attempts = check_int("attempts", attempts, minimum=1)
        self.next_index = 0
        self.current: Deposit | None = None
        self.attempt = 0
        self.acked: list[str] = []       # deposits the server confirmed
        self.unknown: list[str] = []     # deposits given up on: outcome unknown

    def on_start(self) -> None:
        self._next()

    def _next(self) -> None:
        if self.next_index >= len(self.amounts):
            return
        n = self.next_index
        self.next_index += 1
        self.current = Deposit(f"{self.node_id}:{n}", self.amounts[n])
        self.attempt = 0
        self.ctx.history_invoke("deposit", self.current.amount)
        self._send()

    def _send(self) -> None:
        self.attempt += 1
        self.ctx.send(self.server, self.current)      # a retry sends the SAME request
        self.ctx.set_timer(self.timeout, "timeout", (self.current.request_id, self.attempt))

    def on_deposit_ok(self, src, msg: DepositOk) -> None:
        if self.current is None or msg.request_id != self.current.request_id:
            return      # a late or duplicated answer to a deposit already settled
        self.acked.append(msg.request_id)
        self.ctx.history_complete("ok", msg.balance)
        self.current = None
        self._next()

    def on_timer(self, name: str, payload: Any) -> None:
        if self.current is None or payload != (self.current.request_id, self.attempt):
            return      # the answer came in time
        if self.attempt < self.attempts:
            self._send()
            return
        self.unknown.append(self.current.request_id)
        self.ctx.history_complete("info", None)     # maybe applied, maybe not
        self.current = None
        self._next()


MODES = ("naive", "retry", "idempotent")


@dataclass(frozen=True)
class DepositRun:
    """What one run did, counted from the server's and the client's state."""
    mode: str
    count: int               # deposits the client meant to make
    acknowledged: int        # ... and was told succeeded
    unknown: int             # ... and gave up on (outcome unknown to the client)
    applied: int             # distinct deposits the server applied
    lost: int                # deposits never applied
    duplicated: int          # extra applications of a deposit already applied
    expected_balance: int
    balance: int
    messages: int
    sim: Simulator = field(repr=False, compare=False)

    @property
    def exactly_once(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.balance == self.expected_balance


def deposit_amounts(seed: Seed, count: int) -> tuple:
    """The amounts (1..9) a run deposits: fixed by the seed."""
    rng = derive_rng(run_seed(seed), "deposits")
    return tuple(rng.randint(1, 9) for _ in range(count))


def run_deposits(server_class: type = AccountServer, attempts: int = 1, seed: Seed = None, *,
                 count: int = 100, loss: float = 0.2, duplicate: float = 0.0,
                 timeout: float = 50.0, plan: FaultPlan | None = None,
                 mode: str = "custom") -> DepositRun:
    """One client making ``count`` deposits to a ``server_class`` server.

    The network loses each message with probability ``loss`` (a fault plan
    entry at time 0) and duplicates it with probability ``duplicate``; its
    latency is uniform between 1 and 10 ms, so a round trip never exceeds the
    timeout: every timeout here is a loss, not slowness.
    """
    if not (isinstance(server_class, type) and issubclass(server_class, Node)):
        raise TypeError(f"server_class must be a Node subclass, got {server_class!r}")
    count = check_int("count", count, minimum=1)
    check_probability("loss", loss)
    check_probability("duplicate", duplicate)
    seed = run_seed(seed)
    amounts = deposit_amounts(seed, count)
    faults = FaultPlan().set_network(at=0, loss=loss, duplicate=duplicate)
    if plan is not None:
        faults = faults + plan
    server = server_class("server")
    client = DepositClient("client", "server", amounts, timeout=timeout, attempts=attempts)
    sim = build_sim(seed, [client, server], faults, latency=Uniform(1.0, 10.0))
    sim.run()
    server = sim.node("server")
    client = sim.node("client")
    applied = list(getattr(server, "applied", []))
    distinct = len(set(applied))
    return DepositRun(mode=mode, count=count, acknowledged=len(client.acked),
                      unknown=len(client.unknown), applied=distinct, lost=count - distinct,
                      duplicated=len(applied) - distinct, expected_balance=sum(amounts),
                      balance=getattr(server, "balance", 0), messages=sim.stats()["sent"],
                      sim=sim)


def run_mode(mode: str, seed: Seed = None, *, attempts: int = 10, **options: Any) -> DepositRun:
    """``run_deposits`` for one of ``MODES``: naive, retry or idempotent."""
    check_choice("mode", mode, MODES)
    if mode == "naive":
        return run_deposits(AccountServer, 1, seed, mode=mode, **options)
    server = AccountServer if mode == "retry" else IdempotentAccountServer
    return run_deposits(server, attempts, seed, mode=mode, **options)


@dataclass(frozen=True)
class ReliabilityResult:
    runs: tuple
    loss: float

    def __getitem__(self, mode: str) -> DepositRun:
        check_choice("mode", mode, [r.mode for r in self.runs])
        return next(r for r in self.runs if r.mode == mode)

    def table(self) -> TextTable:
        rows = [(r.mode, r.count, r.acknowledged, r.unknown, r.applied, r.lost, r.duplicated,
                 r.expected_balance, r.balance, r.messages) for r in self.runs]
        return format_table(["client", "deposits", "acked", "unknown", "applied", "lost",
                             "duplicated", "expected balance", "balance", "messages"], rows,
                            title=f"{self.runs[0].count} deposits, loss={self.loss:g} each way")


def reliability_experiment(seed: Seed = None, *, count: int = 100, loss: float = 0.2,
                           attempts: int = 10, **options: Any) -> ReliabilityResult:
    """The three designs on the same seed (same amounts, same network stream)."""
    seed = run_seed(seed)
    runs = tuple(run_mode(m, seed, attempts=attempts, count=count, loss=loss, **options)
                 for m in MODES)
    return ReliabilityResult(runs, loss)


def first_lost_reply(run: DepositRun) -> float:
    """When the first ``DepositOk`` was lost in ``run`` (where a retry goes wrong)."""
    for m in run.sim.trace.messages():
        if isinstance(m.msg, DepositOk) and m.dropped:
            return m.sent
    raise ValueError(f"no reply was lost in this {run.mode!r} run; try a lossier network")
