"""Causal consistency: a key-value store on vector clocks, and the sketch it fixes.

Causal consistency: if write ``a`` happened before write ``b`` (the writer of
``b`` had seen ``a``, on any key), no one may see ``b`` without ``a``.
Concurrent writes may be seen in different orders at different replicas.

``CausalNode`` (one replica per node; every node holds every key)
    * A client's write is applied at once by the replica it talks to and
      stamped with a vector clock over *replicas*, ``V``: ``V[origin]`` is its
      sequence number at that replica, every other entry counts the writes it
      depends on (everything the replica had applied). The update is then
      sent to every other replica (and re-sent by anti-entropy if lost).
    * A replica **buffers** a remote update until it is deliverable (the rule
      of causal broadcast, Birman et al. 1991):
      ``V[origin] == applied[origin] + 1`` and ``V[k] <= applied[k]`` for
      every other ``k``: every write it depends on, *on any key*, is applied.
    * Concurrent writes to one key are kept side by side as **siblings**
      (``conflicts="siblings"``): a read returns the list of their values,
      sorted (``[]`` for a key never written). A write replaces only the
      siblings its *client* had seen: each write carries a second vector
      clock, over *client sessions* (``context[c]`` = the last request of
      session ``c`` in the write's causal past), so "seen" means what the
      clients saw, not what a replica happened to hold. ``conflicts="lww"``
      keeps one value instead, by a deterministic rule (highest clock sum,
      then origin): it converges, and silently drops the other writes.
    * Clients that switch replicas carry a session token: the pair of clocks
      ``(replica clock, session context)`` of what their session has seen. A
      replica answers only once its ``applied`` clock covers the token's (it
      waits up to ``wait_timeout`` ms, then fails), so causality holds
      across replicas too. A client that sends no token (sticky routing) has
      its session kept by its replica instead.

``TextbookCausalNode`` is the course text's ``CausalKVStore`` (note 4): it
applies a remote write at once, comparing only the clocks of that one key,
so a reply can become visible before the message it answers; and it resolves
concurrent writes by "higher value wins", dropping data without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..clocks import VectorClock
from ..sim import Node
from ..sim.validate import check_choice, check_delay, check_node_id
from .client import ClientReply, ClientRequest, fresh_request

__all__ = ["CausalNode", "TextbookCausalNode", "Update", "Replicate", "Digest", "RemoteWrite"]


@dataclass(frozen=True)
class Update:
    origin: Any
    clock: VectorClock       # over replicas: clock[origin] = sequence number, others = dependencies
    key: Any
    value: Any
    writer: tuple = ()       # (client, request number): the write's id in its session
    context: VectorClock = VectorClock()   # over sessions: the writes its client had seen

    def seen_by(self, context: VectorClock) -> bool:
        """Is this write in the causal past described by ``context``?"""
        return bool(self.writer) and context[self.writer[0]] >= self.writer[1]


@dataclass(frozen=True)
class Replicate:
    updates: tuple


@dataclass(frozen=True)
class Digest:
    applied: VectorClock     # anti-entropy: "this is what I have; send me the rest"


def _sort_key(node: Any) -> tuple:
    return (isinstance(node, str), node)


EMPTY = (VectorClock(), VectorClock())


class CausalNode(Node):
    """A causally consistent replica; see the module docstring."""

    def __init__(self, node_id: Any, replicas: Iterable[Any], *, conflicts: str = "siblings",
                 anti_entropy_interval: float | None = 100.0, wait_timeout: float = 200.0):
        super().__init__(node_id)
        self.replicas = sorted({check_node_id("replicas", x) for x in replicas}, key=_sort_key)
        if node_id not in self.replicas:
            raise ValueError(f"node_id {node_id!r} must be one of replicas {self.replicas}")
        self.conflicts = check_choice("conflicts", conflicts, ("siblings", "lww"))
        self.anti_entropy_interval = None if anti_entropy_interval is None else \
            check_delay("anti_entropy_interval", anti_entropy_interval)
        self.wait_timeout = check_delay("wait_timeout", wait_timeout)
        self.waiting: dict = {}         # request key -> (client, msg): held until caught up

    # -- durable state ---------------------------------------------------------------
    @property
    def applied(self) -> VectorClock:
        return self.ctx.storage.get("applied", VectorClock())

    @property
    def store(self) -> dict:
        return self.ctx.storage.setdefault("store", {})     # key -> [Update, ...] (the siblings)

    @property
    def buffer(self) -> list:
        return self.ctx.storage.setdefault("buffer", [])    # updates not yet deliverable

    @property
    def log(self) -> list:
        return self.ctx.storage.setdefault("log", [])       # applied updates, in order

    def value(self, key: Any) -> Any:
        """The sorted list of sibling values, or (``lww``) the one value (None when unset)."""
        items = self.store.get(key, [])
        if self.conflicts == "siblings":
            return sorted((u.value for u in items), key=repr)
        return items[0].value if items else None

    # -- applying -----------------------------------------------------------------------
    def deliverable(self, u: Update) -> bool:
        """Causal delivery: the next write of its origin, and all its dependencies applied."""
        applied = self.applied
        if u.clock[u.origin] != applied[u.origin] + 1:
            return False
        return all(c <= applied[n] for n, c in u.clock.items() if n != u.origin)

    def _apply(self, u: Update) -> None:
        items = [s for s in self.store.get(u.key, []) if not s.seen_by(u.context)]
        items.append(u)
        if self.conflicts == "lww" and len(items) > 1:
            items = [max(items, key=lambda s: (s.clock.total(),
                                               [(_sort_key(n), k) for n, k in s.clock.items()]))]
        items.sort(key=lambda s: (repr(s.value), str(s.clock)))
        self.store[u.key] = items
        self.ctx.storage["applied"] = self.applied.merge(VectorClock({u.origin: u.clock[u.origin]}))
        self.log.append(u)
        self.ctx.record_state(key=u.key, state=repr(self.value(u.key)), applied=str(self.applied),
                              buffered=len(self.buffer))

    def _receive(self, updates: Iterable[Update]) -> None:
        applied = self.applied
        known = {(u.origin, u.clock[u.origin]) for u in self.buffer}
        for u in updates:
            if u.clock[u.origin] <= applied[u.origin] or (u.origin, u.clock[u.origin]) in known:
                continue                                   # a duplicate
            self.buffer.append(u)
            known.add((u.origin, u.clock[u.origin]))
        progress = True
        while progress:                                    # deliver whatever has become ready
            progress = False
            for u in list(self.buffer):
                if self.deliverable(u):
                    self.buffer.remove(u)
                    self._apply(u)
                    progress = True
        if self.buffer:
            waiting = ", ".join(f"{u.key}={u.value!r}{u.clock}" for u in self.buffer)
            self.ctx.log(f"buffered (dependencies missing; applied {self.applied}): {waiting}")
            self.ctx.record_state(applied=str(self.applied), buffered=len(self.buffer))
        self._serve_waiting()

    def on_replicate(self, src: Any, msg: Replicate) -> None:
        self._receive(msg.updates)

    # -- clients ----------------------------------------------------------------------------
    def on_client_request(self, src: Any, msg: ClientRequest) -> None:
        if not fresh_request(self.ctx.storage, src, msg):
            return                                  # a duplicate delivery
        if msg.f not in ("read", "write"):
            self.ctx.send(src, ClientReply(msg.req, "fail", None,
                                           f"unknown operation {msg.f!r}; this store supports "
                                           f"'read', 'write'"))
            return
        token = EMPTY if msg.token == () else msg.token
        if token is not None and not (isinstance(token, tuple) and len(token) == 2 and
                                      all(isinstance(t, VectorClock) for t in token)):
            self.ctx.send(src, ClientReply(msg.req, "fail", None,
                                           f"token must be a pair of VectorClocks, got {token!r}"))
            return
        if token is not None and not self.applied.dominates(token[0]):
            self.waiting[(src, msg.req)] = (src, msg, token)   # not caught up with the session yet
            self.ctx.set_timer(self.wait_timeout, "wait", (src, msg.req))
            return
        self._serve(src, msg, token)

    def _serve(self, src: Any, msg: ClientRequest, token: Any) -> None:
        sticky = token is None          # no token: this replica keeps the session for its client
        sessions = self.ctx.storage.setdefault("sessions", {})
        deps, context = sessions.get(src, EMPTY) if sticky else token
        items = self.store.get(msg.key, [])
        if msg.f == "write":
            clock = self.applied.increment(self.node_id)
            context = context.merge(VectorClock({src: msg.req}))
            u = Update(self.node_id, clock, msg.key, msg.value, (src, msg.req), context)
            self._apply(u)
            for peer in self.replicas:
                if peer != self.node_id:
                    self.ctx.send(peer, Replicate((u,)))
            deps, value = deps.merge(clock), msg.value
        else:
            for s in items:
                deps, context = deps.merge(s.clock), context.merge(s.context)
            value = self.value(msg.key)
        if sticky:
            sessions[src] = (deps, context)
        self.ctx.send(src, ClientReply(msg.req, "ok", value, token=(deps, context)))

    def _serve_waiting(self) -> None:
        for k in sorted(self.waiting, key=repr):
            src, msg, token = self.waiting[k]
            if self.applied.dominates(token[0]):
                del self.waiting[k]
                self._serve(src, msg, token)

    # -- anti-entropy ---------------------------------------------------------------------------
    def on_start(self) -> None:
        if self.anti_entropy_interval is not None and len(self.replicas) > 1:
            self.ctx.set_timer(self.ctx.rng.uniform(0, self.anti_entropy_interval), "anti_entropy")

    def on_digest(self, src: Any, msg: Digest) -> None:
        missing = tuple(u for u in self.log if u.clock[u.origin] > msg.applied[u.origin])
        if missing:
            self.ctx.send(src, Replicate(missing))

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "anti_entropy":
            peer = self.ctx.rng.choice([p for p in self.replicas if p != self.node_id])
            self.ctx.send(peer, Digest(self.applied))
            self.ctx.set_timer(self.anti_entropy_interval, "anti_entropy")
        elif name == "wait" and payload in self.waiting:
            src, msg, token = self.waiting.pop(payload)
            self.ctx.send(src, ClientReply(msg.req, "fail", None,
                                           f"unavailable: this replica has not caught up with the "
                                           f"session (applied {self.applied}, session needs "
                                           f"{token[0]}) within {self.wait_timeout:g} ms"))


# ------------------------------------------------------------------ the sketch
@dataclass(frozen=True)
class RemoteWrite:
    key: Any
    value: Any
    clock: VectorClock


class TextbookCausalNode(Node):
    """The course text's ``CausalKVStore``, made runnable (see the module docstring)."""

    def __init__(self, node_id: Any, replicas: Iterable[Any]):
        super().__init__(node_id)
        self.replicas = sorted({check_node_id("replicas", x) for x in replicas}, key=_sort_key)
        self.local_clock = VectorClock()
        self.kv: dict = {}          # key -> (value, clock)

    def value(self, key: Any) -> Any:
        return self.kv[key][0] if key in self.kv else None

    def on_client_request(self, src: Any, msg: ClientRequest) -> None:
        if msg.f == "write":                      # put(key, value)
            self.local_clock = self.local_clock.increment(self.node_id)
            self.kv[msg.key] = (msg.value, self.local_clock)
            self.ctx.record_state(key=msg.key, state=repr(msg.value))
            for peer in self.replicas:
                if peer != self.node_id:
                    self.ctx.send(peer, RemoteWrite(msg.key, msg.value, self.local_clock))
            self.ctx.send(src, ClientReply(msg.req, "ok", msg.value))
        elif msg.f == "read":                     # get(key)
            self.ctx.send(src, ClientReply(msg.req, "ok", self.value(msg.key)))
        else:
            self.ctx.send(src, ClientReply(msg.req, "fail", None, f"unknown operation {msg.f!r}"))

    def on_remote_write(self, src: Any, msg: RemoteWrite) -> None:   # applyRemoteWrite
        existing = self.kv.get(msg.key)
        if existing is None or existing[1].happened_before(msg.clock):
            self.local_clock = self.local_clock.merge(msg.clock).increment(self.node_id)
            self.kv[msg.key] = (msg.value, self.local_clock)
        elif msg.clock.concurrent_with(existing[1]):
            # "conflict: resolve by deterministic rule (e.g., higher value wins)"
            resolved = max(str(msg.value), str(existing[0]))
            resolved = msg.value if resolved == str(msg.value) else existing[0]
            self.local_clock = self.local_clock.merge(msg.clock).increment(self.node_id)
            self.kv[msg.key] = (resolved, self.local_clock)
        else:
            return                                # remote happened-before existing: discard
        self.ctx.record_state(key=msg.key, state=repr(self.kv[msg.key][0]))
