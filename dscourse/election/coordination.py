"""A small ZooKeeper-like coordination service on the simulator.

ZooKeeper (Hunt et al., "ZooKeeper: Wait-free coordination for
Internet-scale systems", USENIX ATC 2010) keeps a tree of small data nodes,
*znodes*, and gives clients three tools that leader election is built from:

* **Sessions.** A client connects and gets a session with a timeout; it
  keeps the session alive by sending requests or pings (here every third of
  the timeout). The server expires a session it has not heard from for the
  timeout, checked every ``tick`` ms.
* **Ephemeral, sequential znodes.** An *ephemeral* znode is deleted when
  the session that created it ends. A *sequential* create appends a
  counter, unique and increasing under the parent, to the name:
  ``/election/n_`` becomes ``/election/n_0000000007``.
* **Children, unordered.** ``get_children`` returns names in no particular
  order (as ZooKeeper's does): a client that needs the order sorts by the
  sequence number itself.
* **Watches.** ``exists(path, watch=True)`` and
  ``get_children(path, watch=True)`` leave a one-shot trigger: the server
  sends one ``WatchEvent`` to the client the next time the znode is
  created or deleted (or the children change), then forgets the watch.

This is one server; the real ZooKeeper replicates this state over an
ensemble with Zab, a Paxos-like atomic broadcast (the engine lab runs a
real three-server ensemble). A client notices that it has lost touch with
the server when it has heard nothing for two thirds of its session timeout
(``on_disconnected``), before the server can have expired the session: a
leader should stop acting as one at that point.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..sim import Node
from ..sim.validate import check_node_id, check_number
from .roles import ElectionNode

# ------------------------------------------------------------------ messages


@dataclass(frozen=True)
class Connect:
    timeout: float


@dataclass(frozen=True)
class Connected:
    session: int
    timeout: float


@dataclass(frozen=True)
class Ping:
    session: int
    acked: int = 0        # every watch event numbered up to this one has arrived


@dataclass(frozen=True)
class Pong:
    session: int
    events: tuple = ()    # watch events not acknowledged yet, sent again


@dataclass(frozen=True)
class Create:
    session: int
    path: str
    ephemeral: bool
    sequential: bool
    req: int


@dataclass(frozen=True)
class GetChildren:
    session: int
    path: str
    watch: bool
    req: int


@dataclass(frozen=True)
class Exists:
    session: int
    path: str
    watch: bool
    req: int


@dataclass(frozen=True)
class Delete:
    session: int
    path: str
    req: int


@dataclass(frozen=True)
class Reply:
    """The answer to a request: ``value`` is the created path, the children, or exists."""
    req: int
    ok: bool
    value: Any = None
    reason: str = ""


@dataclass(frozen=True)
class WatchEvent:
    path: str
    event: str            # "created" | "deleted" | "children"
    number: int = 0       # numbered per session, so a lost one is noticed and sent again
    session: int = 0


@dataclass(frozen=True)
class SessionExpired:
    session: int


BACKGROUND_MESSAGES = frozenset({"Ping", "Pong"})

# -------------------------------------------------------------------- server


@dataclass
class Session:
    client: Any
    timeout: float
    last_heard: float
    last_req: int = 0               # the last request answered, and the answer: a retried
    last_reply: Any = None          # request (its answer was lost) gets the same answer again
    events: list = field(default_factory=list)   # watch events sent, not acknowledged yet
    next_event: int = 1


@dataclass
class ZState:
    """The server's data, kept in durable storage: znodes, counters, sessions, watches."""
    znodes: dict = field(default_factory=dict)        # path -> owning session (None: persistent)
    counters: dict = field(default_factory=dict)      # parent -> next sequence number
    sessions: dict = field(default_factory=dict)      # session id -> Session
    next_session: int = 1
    data_watches: dict = field(default_factory=dict)  # path -> sorted list of session ids
    child_watches: dict = field(default_factory=dict)


def parent_of(path: str) -> str:
    head = path.rsplit("/", 1)[0]
    return head or "/"


def _scramble(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def sequence_of(path: str) -> int:
    """The sequence number a sequential create appended (the last ten digits)."""
    return int(path[-10:])


class CoordinationServer(Node):
    """One coordination server; see the module docstring."""

    def __init__(self, node_id: Any, tick: float = 50.0) -> None:
        super().__init__(node_id)
        self.tick = check_number("tick", tick, minimum=0.0, strict_min=True)

    def on_start(self) -> None:
        self.z: ZState = self.ctx.storage.setdefault("z", ZState())
        now = self.ctx.clock()
        for s in self.z.sessions.values():   # after a restart every session gets a full timeout
            s.last_heard = now
        self.ctx.set_timer(self.tick, "tick")

    def on_timer(self, name: str, payload: Any) -> None:
        now = self.ctx.clock()
        for sid in sorted(self.z.sessions):
            s = self.z.sessions[sid]
            if now - s.last_heard > s.timeout:
                self.expire(sid)
        self.ctx.set_timer(self.tick, "tick")

    def expire(self, sid: int) -> None:
        s = self.z.sessions.pop(sid)
        self.ctx.log(f"session {sid} of {s.client} expired")
        for path in sorted(p for p, owner in self.z.znodes.items() if owner == sid):
            self._delete(path)
        for watches in (self.z.data_watches, self.z.child_watches):
            for path in list(watches):
                watches[path] = [w for w in watches[path] if w != sid]
        self.ctx.send(s.client, SessionExpired(sid))

    def _session(self, src: Any, sid: int, req: int | None = None) -> Session | None:
        """The live session ``sid`` of ``src`` (refreshed), or None after telling it it expired.

        None too when ``req`` was already answered: the answer is sent again instead.
        """
        s = self.z.sessions.get(sid)
        if s is None or s.client != src:
            self.ctx.send(src, SessionExpired(sid))
            return None
        s.last_heard = self.ctx.clock()
        if req is not None and req == s.last_req:
            self.ctx.send(src, s.last_reply)
            return None
        return s

    def _answer(self, src: Any, sid: int, reply: Reply) -> None:
        s = self.z.sessions.get(sid)
        if s is not None:
            s.last_req, s.last_reply = reply.req, reply
        self.ctx.send(src, reply)

    def _fire(self, watches: dict, path: str, event: str) -> None:
        for sid in watches.pop(path, []):         # one-shot: the watch is gone once it fires
            s = self.z.sessions.get(sid)
            if s is not None:
                e = WatchEvent(path, event, s.next_event, sid)
                s.next_event += 1
                s.events.append(e)
                self.ctx.send(s.client, e)

    def _delete(self, path: str) -> None:
        del self.z.znodes[path]
        self._fire(self.z.data_watches, path, "deleted")
        self._fire(self.z.child_watches, parent_of(path), "children")

    def _watch(self, watches: dict, path: str, sid: int) -> None:
        ids = watches.setdefault(path, [])
        if sid not in ids:
            ids.append(sid)

    # --------------------------------------------------------------- requests
    def on_connect(self, src: Any, msg: Connect) -> None:
        sid = self.z.next_session
        self.z.next_session += 1
        self.z.sessions[sid] = Session(src, msg.timeout, self.ctx.clock())
        self.ctx.send(src, Connected(sid, msg.timeout))

    def on_ping(self, src: Any, msg: Ping) -> None:
        s = self._session(src, msg.session)
        if s is not None:
            # ZooKeeper's connection is TCP and loses nothing; here the network may, so
            # watch events are numbered and repeated until the client acknowledges them.
            s.events = [e for e in s.events if e.number > msg.acked]
            self.ctx.send(src, Pong(msg.session, tuple(s.events)))

    def on_create(self, src: Any, msg: Create) -> None:
        if self._session(src, msg.session, msg.req) is None:
            return
        path = msg.path
        if msg.sequential:
            parent = parent_of(path)
            n = self.z.counters.get(parent, 0)
            self.z.counters[parent] = n + 1
            path = f"{path}{n:010d}"
        if path in self.z.znodes:
            self._answer(src, msg.session, Reply(msg.req, False, path, "node exists"))
            return
        self.z.znodes[path] = msg.session if msg.ephemeral else None
        self._fire(self.z.data_watches, path, "created")
        self._fire(self.z.child_watches, parent_of(path), "children")
        self._answer(src, msg.session, Reply(msg.req, True, path))

    def on_delete(self, src: Any, msg: Delete) -> None:
        if self._session(src, msg.session, msg.req) is None:
            return
        if msg.path not in self.z.znodes:
            self._answer(src, msg.session, Reply(msg.req, False, msg.path, "no node"))
            return
        self._delete(msg.path)
        self._answer(src, msg.session, Reply(msg.req, True, msg.path))

    def on_get_children(self, src: Any, msg: GetChildren) -> None:
        if self._session(src, msg.session, msg.req) is None:
            return
        prefix = msg.path.rstrip("/") + "/"
        names = [p[len(prefix):] for p in self.z.znodes
                 if p.startswith(prefix) and "/" not in p[len(prefix):]]
        # Like ZooKeeper, promise no order: the list comes in a fixed but scrambled order.
        children = tuple(sorted(names, key=_scramble))
        if msg.watch:
            self._watch(self.z.child_watches, msg.path, msg.session)
        self._answer(src, msg.session, Reply(msg.req, True, children))

    def on_exists(self, src: Any, msg: Exists) -> None:
        if self._session(src, msg.session, msg.req) is None:
            return
        if msg.watch:
            self._watch(self.z.data_watches, msg.path, msg.session)
        self._answer(src, msg.session, Reply(msg.req, True, msg.path in self.z.znodes))

# -------------------------------------------------------------------- client


class CoordinationClient(ElectionNode):
    """A client with a session: connects, pings, notices silence, reconnects after expiry.

    Subclasses override ``on_session`` (a new session is open),
    ``on_reply(req, kind, reply)``, ``on_watch(event)``, ``on_disconnected``
    and ``on_reconnected``.
    """

    def __init__(self, node_id: Any, server: Any, *, session_timeout: float = 300.0) -> None:
        super().__init__(check_node_id("node_id", node_id))
        self.server = check_node_id("server", server)
        self.session_timeout = check_number("session_timeout", session_timeout, minimum=0.0,
                                            strict_min=True)
        self.session: int | None = None
        self.connected = False
        self.req = 0
        self.pending: dict[int, str] = {}
        self.queue: list = []                # requests not answered yet, oldest first
        self.acked = 0                       # watch events handled, all up to this number
        self.seen: set = set()               # and these beyond it
        self._head_sent: int | None = None
        self._silence: int | None = None

    def on_start(self) -> None:
        self.connect()
        self.ctx.set_timer(self.session_timeout / 3, "ping")

    def connect(self) -> None:
        self.session = None
        self.connected = False
        self.ctx.send(self.server, Connect(self.session_timeout))
        self._heard()

    def _heard(self) -> None:
        """Restart the silence timer: 2/3 of the session timeout without news = disconnected."""
        if self._silence is not None:
            self.ctx.cancel_timer(self._silence)
        self._silence = self.ctx.set_timer(self.session_timeout * 2 / 3, "silence")

    def request(self, kind: type, *args: Any) -> int:
        """Send a request; one at a time, so the server sees them in order (ZooKeeper
        promises a session's requests FIFO order, as its TCP connection gives it)."""
        self.req += 1
        self.queue.append((self.req, kind, args))
        if len(self.queue) == 1:
            self._send_next()
        return self.req

    def _send_next(self) -> None:
        if self.queue and self.session is not None:
            req, kind, args = self.queue[0]
            self.pending[req] = kind.__name__
            self.ctx.send(self.server, kind(self.session, *args, req))

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "ping":
            if self.session is not None:
                self.ctx.send(self.server, Ping(self.session, self.acked))
                if self.queue and self.queue[0][0] == self._head_sent:
                    self._send_next()           # unanswered for a whole ping interval: again
                self._head_sent = self.queue[0][0] if self.queue else None
            else:
                self.ctx.send(self.server, Connect(self.session_timeout))
            self.ctx.set_timer(self.session_timeout / 3, "ping")
        elif name == "silence":
            self._silence = None
            if self.connected:
                self.connected = False
                self.on_disconnected()

    def _news(self) -> None:
        self._heard()
        if not self.connected and self.session is not None:
            self.connected = True
            self.on_reconnected()

    def on_connected(self, src: Any, msg: Connected) -> None:
        if self.session is not None:
            return                      # a duplicate answer to a retried Connect
        self.session = msg.session
        self.connected = True
        self.acked, self.seen = 0, set()
        self._heard()
        self.on_session()

    def on_pong(self, src: Any, msg: Pong) -> None:
        if msg.session == self.session:
            self._news()
            for e in msg.events:
                self.on_watch_event(src, e)

    def on_reply(self, src: Any, msg: Reply) -> None:
        kind = self.pending.pop(msg.req, None)
        if kind is None:
            return
        self.queue = [q for q in self.queue if q[0] != msg.req]
        self._send_next()
        self._news()
        self.handle_reply(msg.req, kind, msg)

    def on_watch_event(self, src: Any, msg: WatchEvent) -> None:
        if msg.session != self.session:
            return                              # for a session that is over
        self._news()
        if msg.number in self.seen or msg.number <= self.acked:
            return                              # a repeat of one already handled
        self.seen.add(msg.number)
        while self.acked + 1 in self.seen:
            self.acked += 1
            self.seen.discard(self.acked)
        self.on_watch(msg)

    def on_session_expired(self, src: Any, msg: SessionExpired) -> None:
        if msg.session != self.session:
            return
        self.ctx.log(f"session {msg.session} expired")
        self.pending.clear()
        self.queue.clear()
        self.on_expired()
        self.connect()

    # ------------------------------------------------------------------ hooks
    def on_session(self) -> None:
        pass

    def handle_reply(self, req: int, kind: str, reply: Reply) -> None:
        pass

    def on_watch(self, event: WatchEvent) -> None:
        pass

    def on_disconnected(self) -> None:
        pass

    def on_reconnected(self) -> None:
        pass

    def on_expired(self) -> None:
        pass
