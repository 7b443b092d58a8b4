"""Fallacy 4: "the network is secure".

A payer sends ``Transfer`` orders to a bank. Every message passes through a
router, and the router is hostile: it rewrites some orders in flight (pay
``mallory`` a hundred times the amount), and later *replays* copies of
genuine orders it recorded. Three banks:

1. **plain**: believes whatever arrives. Tampered orders and replays all go
   through.
2. **hmac**: payer and bank share a secret key; the payer attaches a tag,
   ``HMAC-SHA256(key, payload)`` (Python's ``hmac``), and the bank recomputes
   it and compares in constant time (``hmac.compare_digest``). The router does
   not know the key, so it cannot make a valid tag for a changed order: every
   tampered order is rejected. But a replayed order is a genuine order, with
   a genuine tag: HMAC proves *who wrote it and that it is unchanged*, not
   that it is *new*. Every replay is accepted.
3. **hmac+seq**: the signed payload includes the payer's sequence number, and
   the bank remembers the numbers it has accepted from each sender. A replay
   repeats a number: rejected. (A real system bounds that memory with a window
   or with expiry times; TLS numbers every record for the same reason.)

HMAC gives integrity and authenticity, not secrecy: the router can still read
every order. Encryption (and key management) is a further step.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, fields, replace
from typing import Any

from ..sim import Node, Uniform
from ..sim.rng import Seed, derive_rng
from ..sim.table import TextTable, format_table
from ..sim.validate import check_choice, check_delay, check_int, check_probability
from .common import build_sim, run_seed

PAYEES = ("alice", "bob", "carol")
ATTACKER = "mallory"


@dataclass(frozen=True)
class Transfer:
    sender: str
    seq: int            # the sender's sequence number (signed: a replay cannot change it)
    to: str
    amount: int
    tag: str = ""       # hex HMAC over every other field; "" when unsigned


def payload_bytes(msg: Transfer) -> bytes:
    """The bytes the tag covers: every field but the tag, in one canonical encoding."""
    if not isinstance(msg, Transfer):
        raise TypeError(f"msg must be a Transfer, got {msg!r}")
    body = {f.name: getattr(msg, f.name) for f in fields(msg) if f.name != "tag"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _check_key(key: Any) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise TypeError(f"key must be non-empty bytes, got {key!r}")
    return bytes(key)


def sign(key: bytes, msg: Transfer) -> Transfer:
    """``msg`` with its tag: HMAC-SHA256 of its payload under ``key``."""
    tag = hmac.new(_check_key(key), payload_bytes(msg), hashlib.sha256).hexdigest()
    return replace(msg, tag=tag)


def verify(key: bytes, msg: Transfer) -> bool:
    """True when ``msg.tag`` is the HMAC of its payload under ``key``."""
    expected = sign(key, msg).tag
    # compare_digest takes the same time wherever the first difference is,
    # so the timing of a rejection does not leak how much of a guess was right.
    return hmac.compare_digest(expected, msg.tag)


class Payer(Node):
    """Sends ``count`` orders through ``via``, one every ``interval`` ms; signs them if it has a key."""

    def __init__(self, node_id: Any, via: Any, count: int, key: bytes | None = None,
                 interval: float = 10.0):
        super().__init__(node_id)
        self.via = via
        self.count = check_int("count", count, minimum=0)
        self.key = None if key is None else _check_key(key)
        self.interval = check_delay("interval", interval)
        self.sent: list[Transfer] = []

    def on_start(self) -> None:
        self.ctx.set_timer(self.interval, "pay")

    def on_timer(self, name: str, payload: Any) -> None:
        order = Transfer(self.node_id, len(self.sent), self.ctx.rng.choice(PAYEES),
                         self.ctx.rng.randint(1, 100))
        if self.key is not None:
            order = sign(self.key, order)
        self.sent.append(order)
        self.ctx.send(self.via, order)
        if len(self.sent) < self.count:
            self.ctx.set_timer(self.interval, "pay")


class TamperingRouter(Node):
    """Forwards orders to ``server``; rewrites a ``tamper_rate`` share; replays ``replays`` later.

    It does not know the key: a rewritten order keeps its old tag.
    """

    def __init__(self, node_id: Any, server: Any, tamper_rate: float = 0.2, replays: int = 10,
                 replay_at: float = 5000.0):
        super().__init__(node_id)
        self.server = server
        self.tamper_rate = check_probability("tamper_rate", tamper_rate)
        self.replays = check_int("replays", replays, minimum=0)
        self.replay_at = check_delay("replay_at", replay_at)
        self.intact: list[Transfer] = []     # genuine orders it passed on unchanged
        self.tampered: list[int] = []        # sequence numbers it rewrote
        self.replayed: list[int] = []

    def on_start(self) -> None:
        if self.replays:
            self.ctx.set_timer(self.replay_at, "replay")

    def on_transfer(self, src, msg: Transfer) -> None:
        if self.ctx.rng.random() < self.tamper_rate:
            self.tampered.append(msg.seq)
            msg = replace(msg, to=ATTACKER, amount=msg.amount * 100)
        else:
            self.intact.append(msg)
        self.ctx.send(self.server, msg)

    def on_timer(self, name: str, payload: Any) -> None:
        k = min(self.replays, len(self.intact))
        chosen = sorted(self.ctx.rng.sample(range(len(self.intact)), k))
        for i in chosen:
            self.replayed.append(self.intact[i].seq)
            self.ctx.send(self.server, self.intact[i])


class Bank(Node):
    """Applies orders; with a key, checks tags; with ``check_seq``, refuses repeated numbers."""

    def __init__(self, node_id: Any, key: bytes | None = None, check_seq: bool = False):
        super().__init__(node_id)
        self.key = None if key is None else _check_key(key)
        self.check_seq = bool(check_seq)
        self.balances: dict[str, int] = {}
        self.seen: set = set()               # (sender, seq) accepted so far
        self.log: list[tuple] = []           # (order, verdict) in arrival order

    def on_transfer(self, src, msg: Transfer) -> None:
        if self.key is not None and not verify(self.key, msg):
            self.log.append((msg, "rejected: bad tag"))
            return
        if self.check_seq and (msg.sender, msg.seq) in self.seen:
            self.log.append((msg, "rejected: replay"))
            return
        self.seen.add((msg.sender, msg.seq))
        self.balances[msg.to] = self.balances.get(msg.to, 0) + msg.amount
        self.log.append((msg, "accepted"))


MODES = ("plain", "hmac", "hmac+seq")


@dataclass(frozen=True)
class SecurityRun:
    mode: str
    sent: int
    tampered: int              # orders rewritten in flight
    replayed: int              # genuine orders sent again by the router
    genuine_accepted: int
    tampered_accepted: int
    tampered_rejected: int
    replays_accepted: int
    replays_rejected: int
    genuine_rejected: int      # must be 0 for every design
    stolen: int                # amount credited to the attacker


def run_security(mode: str, seed: Seed = None, *, count: int = 200, tamper_rate: float = 0.2,
                 replays: int = 20) -> SecurityRun:
    """One payer, one hostile router, one bank of kind ``mode`` (see ``MODES``)."""
    check_choice("mode", mode, MODES)
    count = check_int("count", count, minimum=1)
    seed = run_seed(seed)
    key = derive_rng(seed, "key").randbytes(32) if mode != "plain" else None
    payer = Payer("payer", "router", count, key=key)
    router = TamperingRouter("router", "bank", tamper_rate, replays,
                             replay_at=10.0 * count + 1000.0)
    bank = Bank("bank", key=key, check_seq=(mode == "hmac+seq"))
    sim = build_sim(seed, [payer, router, bank], latency=Uniform(1.0, 10.0))
    sim.run()
    original = {m.seq: m for m in payer.sent}
    counts = dict.fromkeys(("genuine_accepted", "tampered_accepted", "replays_accepted",
                            "tampered_rejected", "replays_rejected", "genuine_rejected"), 0)
    first_seen: set = set()
    # Replays all arrive after every genuine order (replay_at is past the
    # last one), so the first arrival of a sequence number is the genuine one.
    for msg, verdict in bank.log:
        outcome = verdict.split(":")[0]
        if msg != original[msg.seq]:
            kind = "tampered"
        elif msg.seq in first_seen:
            kind = "replays"
        else:
            kind = "genuine"
        first_seen.add(msg.seq)
        counts[f"{kind}_{outcome}"] += 1
    stolen = bank.balances.get(ATTACKER, 0)
    return SecurityRun(mode, len(payer.sent), len(router.tampered), len(router.replayed),
                       stolen=stolen, **counts)


@dataclass(frozen=True)
class SecurityResult:
    runs: tuple

    def __getitem__(self, mode: str) -> SecurityRun:
        check_choice("mode", mode, [r.mode for r in self.runs])
        return next(r for r in self.runs if r.mode == mode)

    def table(self) -> TextTable:
        rows = [(r.mode, r.sent, r.genuine_accepted, r.genuine_rejected,
                 f"{r.tampered_accepted}/{r.tampered}", f"{r.replays_accepted}/{r.replayed}",
                 r.stolen) for r in self.runs]
        return format_table(["bank", "orders", "genuine accepted", "genuine rejected",
                             "tampered accepted", "replays accepted", "paid to mallory"], rows)


def security_experiment(seed: Seed = None, **options: Any) -> SecurityResult:
    """The three banks against the same router (same seed)."""
    seed = run_seed(seed)
    return SecurityResult(tuple(run_security(m, seed, **options) for m in MODES))
