"""Clients of the replicated key-value store: they retry, follow redirects, record a history.

A ``RaftClient`` is a node of the simulation (so the network can lose,
delay and duplicate its messages too) that runs a list of ``KVOp`` commands
one at a time, as one Jepsen *process*:

1. it records the invocation in the simulator's ``History``;
2. it sends ``ClientRequest(client_id, seq, op)`` to the server it believes
   leads (at first, one chosen at random);
3. ``ClientReply(ok=False, leader_hint=...)`` means "not the leader": it
   tries the hinted server, or the next one if there is no hint, after a
   short random back-off (so that a leaderless cluster is not flooded);
4. no answer within ``retry_timeout``: it resends *the same* request (same
   ``seq``) to the next server. The store's sessions make sure the command
   takes effect once however many copies get into the log;
5. ``ClientReply(ok=True)``: it records the result (``ok``) and, after a
   think time, starts the next command.

A command still waiting when the run ends stays pending, which the history
reads as ``info``: it may or may not have taken effect. That is the honest
answer; a client cannot know.

History values: ``put`` is recorded as ``f="write"`` with value
``(key, value)``; ``get`` as ``f="read"`` with value ``(key, None)`` at
invocation and ``(key, value read)`` on completion; ``append`` as
``f="append"`` with ``(key, suffix)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...sim import Node
from ...sim.validate import check_delay, check_node_id
from .kv import KVOp
from .messages import ClientReply, ClientRequest

HISTORY_F = {"put": "write", "get": "read", "append": "append"}


class RaftClient(Node):
    """One client process running ``ops`` in order against ``servers``.

    Clients must not be crashed: a restarted client would reuse sequence
    numbers (real clients register a session with the cluster first).
    """

    def __init__(self, node_id: Any, servers: Iterable[Any], ops: Iterable[KVOp],
                 retry_timeout: float = 200.0, think: tuple = (0.0, 20.0),
                 start: float = 0.0) -> None:
        super().__init__(check_node_id("node_id", node_id))
        servers = list(servers)
        if not servers:
            raise ValueError("servers must name at least one Raft server")
        self.servers = tuple(sorted(check_node_id("servers", s) for s in servers))
        self.ops = list(ops)
        for op in self.ops:
            if not isinstance(op, KVOp):
                raise TypeError(f"ops must be KVOp values, got {op!r}")
        self.retry_timeout = check_delay("retry_timeout", retry_timeout)
        if self.retry_timeout <= 0:
            raise ValueError("retry_timeout must be greater than 0")
        lo, hi = check_delay("think[0]", think[0]), check_delay("think[1]", think[1])
        if hi < lo:
            raise ValueError(f"think must be (low, high) with low <= high, got {think!r}")
        self.think = (lo, hi)
        self.start_at = check_delay("start", start)
        self.seq = 0
        self.done = 0                 # commands completed
        self.waiting: KVOp | None = None
        self.target: Any = None
        self.attempt = 0
        self.results: list = []       # (seq, op, result) for each completed command

    def on_start(self) -> None:
        self.target = self.ctx.rng.choice(self.servers)
        self.ctx.set_timer(self.start_at + self._think(), "next")

    def _think(self) -> float:
        lo, hi = self.think
        return lo + (hi - lo) * self.ctx.rng.random()

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self._invoke()
        elif name == "retry":
            if self.waiting is not None and payload == self.attempt:
                self._rotate()
                self._send()
        elif name == "resend":
            if self.waiting is not None and payload == self.attempt:
                self._send()

    def _invoke(self) -> None:
        if self.done >= len(self.ops):
            return
        op = self.ops[self.done]
        self.seq += 1
        self.waiting = op
        value = (op.key, None) if op.op == "get" else (op.key, op.value)
        self.ctx.history_invoke(HISTORY_F[op.op], value)
        self._send()

    def _send(self) -> None:
        self.attempt += 1
        self.ctx.send(self.target, ClientRequest(self.node_id, self.seq, self.waiting))
        self.ctx.set_timer(self.retry_timeout, "retry", self.attempt)

    def _rotate(self) -> None:
        servers = self.servers
        self.target = servers[(servers.index(self.target) + 1) % len(servers)]

    def on_client_reply(self, src: Any, msg: ClientReply) -> None:
        if self.waiting is None or msg.seq != self.seq:
            return                    # an answer to an earlier attempt, already handled
        if not msg.ok:
            # Redirect (section 8): try the hinted leader, else the next server,
            # after a short back-off.
            hint = msg.leader_hint
            if hint is not None and hint != src and hint in self.servers:
                self.target = hint
            else:
                self._rotate()
            self.attempt += 1
            self.ctx.set_timer(5.0 + 10.0 * self.ctx.rng.random(), "resend", self.attempt)
            return
        op = self.waiting
        self.waiting = None
        self.attempt += 1             # cancels the pending retry timer's effect
        self.done += 1
        self.results.append((self.seq, op, msg.result))
        value = (op.key, msg.result) if op.op == "get" else (op.key, op.value)
        self.ctx.history_complete("ok", value)
        if self.done < len(self.ops):
            self.ctx.set_timer(self._think(), "next")
