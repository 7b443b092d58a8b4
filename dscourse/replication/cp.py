"""CP stores: consistent under partition, unavailable on the minority side.

``CPRegisterNode``: a linearizable register (ABD)
    Majority quorums (``r = w = n // 2 + 1``) over versioned values
    (``VersionedPolicy``): a write first reads the highest version from a
    majority, then writes ``(counter + 1, writer)`` to a majority; a read
    takes the newest version from a majority *and writes it back* to a majority
    before answering (``write_back=True``). Without a majority within the
    timeout the operation fails with "unavailable" instead of guessing.

    It also offers ``increment``, done the naive way: read the value, write
    value + 1. Each half is atomic, the pair is not: two increments that read
    the same version both write the same value and one is lost, while both
    clients were told "ok" (the course text's ``CPCounter``, note 1).

``CPCounterNode``: a counter that cannot lose an increment
    Conditional writes, guarded by ballots, in the style of CASPaxos (Rystsov
    2018), itself single-decree Paxos run once per change:

    1. *Prepare*: the coordinator picks a ballot ``(round, node)`` higher
       than any it has seen and asks a majority to promise to ignore lower
       ballots; each promise carries the replica's last accepted
       ``(ballot, state)``.
    2. It takes the state with the highest ballot among a majority of
       promises, applies the operation (``value + k``) and asks a majority to
       *accept* the new state under its ballot. A replica accepts unless it
       has promised a higher ballot.

    Two concurrent increments cannot both succeed from the same state: the
    later ballot's prepare makes the earlier one's accept fail, and the loser
    retries from phase 1 after a random back-off. Duelling proposers can keep
    beating each other (a node's own concurrent operations too), so a node
    runs one proposal per key at a time (operations that arrive meanwhile
    are decided together by the next one: batching) and forwards them to a
    preferred proposer: the lowest-id replica it does not suspect. One that
    does not answer within ``forward_timeout`` is suspected for
    ``suspect_for`` ms (the leader idea of Multi-Paxos and Raft, notebooks 05
    and 06, without its guarantees: correctness never depends on it). A
    rejected accept may still
    have reached a minority and be adopted later, so the state remembers the
    last request applied for each client and a retry never applies twice
    (exactly-once *effect*). Reads run both phases too (they write back what
    they read, as ABD does). Out of time: ``fail`` if no accept was sent,
    ``info`` if one was, or if the operation was forwarded (it may still take
    effect).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..sim import Node
from ..sim.validate import check_delay, check_int, check_node_id
from .client import ClientReply, ClientRequest, fresh_request
from .policies import VersionedPolicy
from .quorum import QuorumNode, check_quorum_sizes

__all__ = ["CPRegisterNode", "CPCounterNode", "CounterState", "Prepare", "Promise", "Accept",
           "Accepted", "Nack", "Forward", "ForwardReply"]


class CPRegisterNode(QuorumNode):
    """A linearizable ABD register on majority quorums (see the module docstring)."""

    def __init__(self, node_id: Any, replicas: Iterable[Any], *, timeout: float = 200.0,
                 initial: Any = None, **options: Any):
        for fixed in ("policy", "write_back"):
            if fixed in options:
                raise TypeError(f"CPRegisterNode fixes {fixed}; use QuorumNode to choose it")
        super().__init__(node_id, replicas, VersionedPolicy(initial), timeout=timeout, write_back=True,
                         **options)


# ----------------------------------------------------------------- messages
@dataclass(frozen=True)
class Prepare:
    op: tuple
    key: Any
    ballot: tuple


@dataclass(frozen=True)
class Promise:
    op: tuple
    key: Any
    ballot: tuple
    accepted: Any          # (ballot, state) last accepted, or None


@dataclass(frozen=True)
class Accept:
    op: tuple
    key: Any
    ballot: tuple
    state: Any


@dataclass(frozen=True)
class Accepted:
    op: tuple
    key: Any
    ballot: tuple


@dataclass(frozen=True)
class Nack:
    op: tuple
    key: Any
    ballot: tuple          # the ballot that was refused
    promised: tuple        # the higher ballot this replica promised


@dataclass(frozen=True)
class CounterState:
    """The counter's value and, per client, the last request applied (for retries)."""
    value: int = 0
    applied: tuple = ()    # ((client, req), ...) sorted by client

    def apply(self, client: Any, req: int, amount: int) -> "CounterState":
        last = dict(self.applied)
        if last.get(client, 0) >= req:
            return self                     # a retry of an increment that already took effect
        last[client] = req
        return CounterState(self.value + amount,
                            tuple(sorted(last.items(), key=lambda kv: repr(kv[0]))))


@dataclass(frozen=True)
class Forward:
    op: tuple              # the forwarding node's operation
    client: Any            # the client that asked
    request: ClientRequest


@dataclass(frozen=True)
class ForwardReply:
    op: tuple
    reply: ClientReply


class _Attempt:
    __slots__ = ("id", "client", "origin", "relay", "msg", "ballot", "phase", "promises",
                 "accepted", "state", "sent_accept", "attempts", "done", "batch")

    def __init__(self, op_id, client, msg, origin=None, relay=None):
        self.id, self.client, self.msg = op_id, client, msg
        self.origin = client if origin is None else origin   # the client, for exactly-once
        self.relay = relay                                   # the forwarder's op id, if forwarded
        self.ballot, self.phase = None, "prepare"
        self.promises: dict = {}
        self.accepted: set = set()
        self.state = None
        self.sent_accept = False
        self.attempts = 0
        self.done = False
        self.batch: list = []           # other operations decided by this one's proposal


class CPCounterNode(Node):
    """A linearizable counter by ballot-guarded conditional writes (CASPaxos)."""

    reads = ("read",)
    writes = ("increment",)

    def __init__(self, node_id: Any, replicas: Iterable[Any], *, timeout: float = 300.0,
                 backoff: float = 5.0, max_attempts: int = 50, forward_timeout: float = 100.0,
                 suspect_for: float = 500.0):
        super().__init__(node_id)
        self.replicas = sorted({check_node_id("replicas", x) for x in replicas},
                               key=lambda x: (isinstance(x, str), x))
        if not self.replicas:
            raise ValueError("replicas must name at least one node")
        _, self.majority, _ = check_quorum_sizes(len(self.replicas), None, None, None)
        self.timeout = check_delay("timeout", timeout)
        self.backoff = check_delay("backoff", backoff)
        self.max_attempts = check_int("max_attempts", max_attempts, minimum=1)
        self.forward_timeout = check_delay("forward_timeout", forward_timeout)
        self.suspect_for = check_delay("suspect_for", suspect_for)
        self.ops: dict = {}
        self.max_round = 0
        self.suspected: dict = {}       # node -> until when (local clock) we think it unreachable
        self.active: dict = {}          # key -> the op now proposing (one at a time per key:
        self.queue: dict = {}           #   our own concurrent ballots would duel each other)

    # -------------------------------------------------------------- acceptor
    def _acceptor(self, key: Any) -> dict:
        return self.ctx.storage.setdefault("acceptor", {}).setdefault(
            key, {"promised": (0, ""), "accepted": None})

    def on_prepare(self, src: Any, msg: Prepare) -> None:
        self._reply(src, self._on_prepare(msg))

    def _on_prepare(self, msg: Prepare) -> Any:
        acc = self._acceptor(msg.key)
        if msg.ballot > acc["promised"]:          # Paxos 1b: promise only a higher ballot
            acc["promised"] = msg.ballot
            return Promise(msg.op, msg.key, msg.ballot, acc["accepted"])
        return Nack(msg.op, msg.key, msg.ballot, acc["promised"])

    def on_accept(self, src: Any, msg: Accept) -> None:
        self._reply(src, self._on_accept(msg))

    def _on_accept(self, msg: Accept) -> Any:
        acc = self._acceptor(msg.key)
        if msg.ballot >= acc["promised"]:         # Paxos 2b: accept unless promised higher
            acc["promised"] = msg.ballot
            acc["accepted"] = (msg.ballot, msg.state)
            self.ctx.record_state(key=msg.key, state=f"{msg.state.value}@{msg.ballot[0]}")
            return Accepted(msg.op, msg.key, msg.ballot)
        return Nack(msg.op, msg.key, msg.ballot, acc["promised"])

    def _reply(self, dst: Any, reply: Any) -> None:
        if dst == self.node_id:
            self._handle(dst, reply)
        else:
            self.ctx.send(dst, reply)

    # -------------------------------------------------------------- proposer
    def on_client_request(self, src: Any, msg: ClientRequest) -> None:
        if not fresh_request(self.ctx.storage, src, msg):
            return                                  # a duplicate delivery
        if msg.f not in self.reads + self.writes:
            self.ctx.send(src, ClientReply(msg.req, "fail", None,
                                           f"unknown operation {msg.f!r}; this store supports "
                                           f"'read', 'increment'"))
            return
        self._route(self._new_op(src, msg))

    def leader(self) -> Any:
        """The preferred proposer: the lowest-id replica not suspected (maybe this node)."""
        now = self.ctx.clock()
        return next(n for n in self.replicas
                    if n == self.node_id or self.suspected.get(n, -1.0) <= now)

    def _route(self, op: _Attempt) -> None:
        leader = self.leader()
        if leader == self.node_id:
            self._propose(op)
        else:       # one proposer for everyone, so that ballots do not duel
            op.phase = "forwarded"
            op.sent_accept = True       # the other node may apply it: from now on, unknown
            self.ctx.send(leader, Forward(op.id, op.origin, op.msg))
            self.ctx.set_timer(self.forward_timeout, "forward_timeout", (op.id, leader))

    def _propose(self, op: _Attempt) -> None:
        key = op.msg.key
        if key in self.active and self.active[key] != op.id:
            self.queue.setdefault(key, []).append(op.id)
            op.phase = "queued"
            return
        self.active[key] = op.id
        # batching: everything waiting for this key rides on the same proposal
        waiting = [self.ops.get(i) for i in self.queue.pop(key, [])]
        op.batch = [o for o in waiting if o is not None and not o.done]
        self._prepare(op)

    def _next(self, key: Any) -> None:
        self.active.pop(key, None)
        waiting = self.queue.get(key, [])
        while waiting:
            op = self.ops.get(waiting.pop(0))
            if op is not None and not op.done:
                self._propose(op)
                return

    def _new_op(self, client: Any, msg: ClientRequest, origin: Any = None,
                relay: Any = None) -> _Attempt:
        seq = self.ctx.storage.get("seq", 0) + 1
        self.ctx.storage["seq"] = seq
        op = _Attempt((self.node_id, seq), client, msg, origin, relay)
        self.ops[op.id] = op
        self.ctx.set_timer(self.timeout, "op_timeout", op.id)
        return op

    def on_forward(self, src: Any, msg: Forward) -> None:
        if fresh_request(self.ctx.storage, msg.client, msg.request):
            self._propose(self._new_op(src, msg.request, origin=msg.client, relay=msg.op))

    def on_forward_reply(self, src: Any, msg: ForwardReply) -> None:
        op = self.ops.get(msg.op)
        if op is None or op.done or msg.reply.outcome != "ok":
            return                # not done there: our own attempt (or timeout) decides
        self._finish(op, msg.reply)

    def _finish(self, op: _Attempt, reply: ClientReply) -> None:
        op.done = True
        if self.active.get(op.msg.key) == op.id:
            self._next(op.msg.key)
        if op.relay is not None:
            self.ctx.send(op.client, ForwardReply(op.relay, reply))
        else:
            self.ctx.send(op.client, reply)

    def _prepare(self, op: _Attempt) -> None:
        self.max_round += 1
        op.attempts += 1
        op.ballot = (self.max_round, self.node_id)
        op.phase, op.promises, op.accepted = "prepare", {}, set()
        for node in self.replicas:
            msg = Prepare(op.id, op.msg.key, op.ballot)
            if node == self.node_id:
                self._reply(node, self._on_prepare(msg))
            else:
                self.ctx.send(node, msg)

    def _handle(self, src: Any, reply: Any) -> None:
        getattr(self, "on_" + {Promise: "promise", Accepted: "accepted", Nack: "nack"}[type(reply)])(
            src, reply)

    def on_promise(self, src: Any, msg: Promise) -> None:
        op = self.ops.get(msg.op)
        if op is None or op.done or op.phase != "prepare" or msg.ballot != op.ballot:
            return
        op.promises[src] = msg.accepted
        if len(op.promises) < self.majority:
            return
        # Paxos 2a: adopt the state accepted under the highest ballot.
        best = max((a for a in op.promises.values() if a is not None), default=None,
                   key=lambda a: a[0])
        state = best[1] if best is not None else CounterState()
        for member in [op] + [o for o in op.batch if not o.done]:
            if member.msg.f == "increment":
                amount = 1 if member.msg.value is None else member.msg.value
                state = state.apply(member.origin, member.msg.req, amount)
            member.sent_accept = True
        op.state, op.phase = state, "accept"
        for node in self.replicas:
            msg = Accept(op.id, op.msg.key, op.ballot, state)
            if node == self.node_id:
                self._reply(node, self._on_accept(msg))
            else:
                self.ctx.send(node, msg)

    def on_accepted(self, src: Any, msg: Accepted) -> None:
        op = self.ops.get(msg.op)
        if op is None or op.done or op.phase != "accept" or msg.ballot != op.ballot:
            return
        op.accepted.add(src)
        if len(op.accepted) >= self.majority:
            for member in op.batch:
                if not member.done and member.sent_accept:
                    self._finish(member, ClientReply(member.msg.req, "ok", op.state.value))
            self._finish(op, ClientReply(op.msg.req, "ok", op.state.value))

    def on_nack(self, src: Any, msg: Nack) -> None:
        self.max_round = max(self.max_round, msg.promised[0])
        op = self.ops.get(msg.op)
        if op is None or op.done or op.phase == "backoff" or msg.ballot != op.ballot:
            return
        if op.attempts >= self.max_attempts:
            return                                  # the op timer will answer
        op.phase = "backoff"                        # a higher ballot is about: retry later
        # randomised exponential back-off, so that duelling proposers stop colliding
        cap = self.backoff * 2 ** min(op.attempts, 3)
        self.ctx.set_timer(self.ctx.rng.uniform(0, cap), "retry", op.id)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "forward_timeout":
            op_id, leader = payload
            op = self.ops.get(op_id)
            if op is not None and not op.done and op.phase == "forwarded":
                # no answer: suspect it for a while and try the next one (perhaps ourselves)
                self.suspected[leader] = self.ctx.clock() + self.suspect_for
                self._route(op)
            return
        op = self.ops.get(payload)
        if op is None:
            return
        if name == "retry" and not op.done:
            self._prepare(op)
        elif name == "op_timeout":
            del self.ops[payload]
            if self.active.get(op.msg.key) == op.id:    # its batch goes on without it
                self.queue[op.msg.key] = [o.id for o in op.batch if not o.done] + \
                    self.queue.get(op.msg.key, [])
            if not op.done:
                outcome = "info" if op.sent_accept and op.msg.f in self.writes else "fail"
                error = (f"unavailable: no majority ({self.majority} of {len(self.replicas)}) "
                         f"completed both phases within {self.timeout:g} ms"
                         + (" (an accept went out: the outcome is unknown)"
                            if outcome == "info" else ""))
                self._finish(op, ClientReply(op.msg.req, outcome, None, error))

    def value(self, key: Any = "x") -> int:
        """The value this replica last accepted (for tables; not a linearizable read)."""
        acc = self.ctx.storage.get("acceptor", {}).get(key)
        return 0 if acc is None or acc["accepted"] is None else acc["accepted"][1].value
