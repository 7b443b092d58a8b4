"""Quorum replication, Dynamo style: one replica/coordinator every quorum store reuses.

Every ``QuorumNode`` is a **replica** (it stores a state per key in its
durable ``ctx.storage``) and a **coordinator** (a client may send it a
``ClientRequest``; it runs the quorum protocol and answers a ``ClientReply``).
What a state is and how two copies combine is the ``policy``'s business
(``policies.py``: ABD versions, last-writer-wins, CRDT counters, siblings);
this module only moves states and counts answers.

The protocol (Gifford 1979; DeCandia et al., "Dynamo", SOSP 2007)
    The replicas of key ``k`` are the first ``n`` nodes of
    ``preference_list(k)``. A **read** sends ``Get`` to them and waits for
    ``r`` answers, merges their states and returns the value. A **write**
    builds the new state (from its local copy, or from a read quorum first
    when ``policy.read_before_write(f)``), sends ``Put`` to the ``n`` replicas
    and waits for ``w`` acknowledgements. With ``r + w > n`` every read quorum
    meets every write quorum, so a read sees the latest *completed* write.

    That alone is not linearizable (course text, note 3): a read that meets a
    write still in progress may return it while a later read returns the old
    value. ``write_back=True`` fixes it the ABD way (Attiya, Bar-Noy, Dolev
    1995): before answering, a read writes the state it returns back to a
    write quorum (skipped when ``w`` of the answers already held it).

    When no quorum answers within ``timeout`` the coordinator does not guess:
    it answers ``fail`` with an "unavailable" error if nothing was written yet
    (a read, or the first phase of a write), and ``info`` if the ``Put`` went
    out (the replicas that took it keep it: the write may still take effect).

Options (all off by default)
    ``read_repair``: after a read, send the merged state to home replicas
    that answered with an older one (also to answers that come late).
    ``hinted_handoff``: replicas that did not acknowledge a write before the
    operation's timeout get a *hint* kept by the coordinator, re-sent every
    ``handoff_interval`` ms until acknowledged (the course text's "repair
    queue").
    ``sloppy``: after ``sloppy_after`` ms, a replica that has not answered is
    replaced by the next node of the preference list beyond the first ``n``;
    it stores the state as a hint for the intended replica, answers reads
    from it, and hands it off when that replica is reachable again (Dynamo's
    sloppy quorum). ``preference_list`` must then return more than ``n`` nodes.
    ``anti_entropy_interval``: every that many ms a node pushes its states to
    one random peer, which merges them and answers with what the sender lacks
    (push-pull gossip), so replicas converge after a partition heals even
    with no reads.
    Session tokens: a request may carry a token (``((key, state), ...)``); a
    read then waits until the merged answer ``covers`` the token's state, and
    a write supersedes it. Every reply carries the updated token.

API for other stores (the consistent-hashing store of ``dscourse.hashing``
reuses this module)::

    QuorumNode(node_id, replicas, policy, *, n=None, r=None, w=None, timeout=200.0,
               preference_list=None, read_repair=False, write_back=False,
               hinted_handoff=False, handoff_interval=100.0, sloppy=False,
               sloppy_after=None, anti_entropy_interval=None, record=True)

    replicas         every node id that may store data (sorted; validated)
    preference_list  callable key -> list of node ids; default: ``replicas``
    n, r, w          defaults: n = len(replicas), r = w = majority of n
    node.data        {key: state} (read it, never write it from outside)
    node.hints       {(intended replica, key): state}

Each change of a stored state is recorded in the trace as
``record_state(key=..., state=policy.describe(state))``; ``measure.py``
reads those records to time convergence. Subclasses may override
``replicas_for(key)`` (the ``n`` home replicas) and ``fallbacks_for(key)``.
Hinted handoff and anti-entropy live in ``repair.py`` (a mixin).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..sim import Node
from ..sim.validate import check_delay, check_int, check_node_id
from .client import ClientReply, ClientRequest, fresh_request
from .messages import Get, GetReply, Put, PutAck, Sync, SyncReply
from .policies import Policy
from .repair import Repair

__all__ = ["QuorumNode", "Get", "GetReply", "Put", "PutAck", "Sync", "SyncReply",
           "check_quorum_sizes", "token_get", "token_put"]


# ------------------------------------------------------------ session tokens
def token_get(token: Any, key: Any) -> Any:
    """The state a session token holds for ``key`` (or None)."""
    for k, state in token or ():
        if k == key:
            return state
    return None


def token_put(token: Any, key: Any, state: Any) -> tuple:
    """A new token with ``key``'s entry replaced by ``state``."""
    rest = [(k, s) for k, s in (token or ()) if k != key]
    return tuple(sorted(rest + [(key, state)], key=lambda kv: repr(kv[0])))


def check_quorum_sizes(replicas: int, n: int | None, r: int | None, w: int | None) -> tuple:
    """Validate ``(n, r, w)`` for a cluster of ``replicas`` nodes; fill in defaults."""
    n = replicas if n is None else check_int("n", n)
    if not 1 <= n <= replicas:
        raise ValueError(f"n must be between 1 and the number of replicas ({replicas}), got {n}: "
                         f"a key cannot have more copies than there are nodes")
    majority = n // 2 + 1
    r = majority if r is None else check_int("r", r)
    w = majority if w is None else check_int("w", w)
    for name, value, what in (("r", r, "read"), ("w", w, "write")):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}: a {what} must hear "
                             f"from at least one replica")
        if value > n:
            raise ValueError(f"{name} must be at most n={n}, got {value}: a {what} cannot wait "
                             f"for more replicas than hold the key")
    return n, r, w


class _Op:
    """A client operation in progress at its coordinator."""
    __slots__ = ("id", "client", "msg", "phase", "targets", "spare", "stand_in", "replies",
                 "acks", "state", "floor", "done", "result")

    def __init__(self, op_id, client, msg, targets, spare):
        self.id, self.client, self.msg = op_id, client, msg
        self.phase = "read"
        self.targets, self.spare = targets, spare
        self.stand_in: dict = {}        # stand-in node -> replica it replaces
        self.replies: dict = {}         # node -> state (read phase)
        self.acks: set = set()          # nodes that acknowledged the Put
        self.state = None               # the state being written
        self.floor = None               # the session token's state for the key
        self.done = False
        self.result = None


class QuorumNode(Repair, Node):
    """A replica and coordinator of a quorum-replicated store; see the module docstring."""

    def __init__(self, node_id: Any, replicas: Iterable[Any], policy: Policy, *,
                 n: int | None = None, r: int | None = None, w: int | None = None,
                 timeout: float = 200.0, preference_list: Callable[[Any], list] | None = None,
                 read_repair: bool = False, write_back: bool = False,
                 hinted_handoff: bool = False, handoff_interval: float = 100.0,
                 sloppy: bool = False, sloppy_after: float | None = None,
                 anti_entropy_interval: float | None = None, record: bool = True):
        super().__init__(node_id)
        if isinstance(replicas, (str, bytes)) or not isinstance(replicas, Iterable):
            raise TypeError(f"replicas must be a list of node ids, got {replicas!r}")
        self.replicas = sorted({check_node_id("replicas", x) for x in replicas},
                               key=lambda x: (isinstance(x, str), x))
        if not self.replicas:
            raise ValueError("replicas must name at least one node")
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a dscourse.replication.policies.Policy, got {policy!r}")
        self.policy = policy
        self.n, self.r, self.w = check_quorum_sizes(len(self.replicas), n, r, w)
        self.timeout = check_delay("timeout", timeout)
        if self.timeout <= 0:
            raise ValueError("timeout must be greater than 0")
        if preference_list is not None and not callable(preference_list):
            raise TypeError(f"preference_list must be a callable key -> list of node ids, "
                            f"got {preference_list!r}")
        self.preference_list = preference_list
        self.read_repair = bool(read_repair)
        self.write_back = bool(write_back)
        self.hinted_handoff = bool(hinted_handoff)
        self.handoff_interval = check_delay("handoff_interval", handoff_interval)
        self.sloppy = bool(sloppy)
        self.sloppy_after = check_delay("sloppy_after", self.timeout / 2 if sloppy_after is None
                                        else sloppy_after)
        self.anti_entropy_interval = None if anti_entropy_interval is None else \
            check_delay("anti_entropy_interval", anti_entropy_interval)
        self.record = bool(record)
        self.ops: dict = {}
        self.handoffs: dict = {}        # handoff op id -> (target, key, state)

    # ----------------------------------------------------------- storage views
    @property
    def data(self) -> dict:
        return self.ctx.storage.setdefault("data", {})

    @property
    def hints(self) -> dict:
        return self.ctx.storage.setdefault("hints", {})

    def _next_id(self, tag: str) -> tuple:
        seq = self.ctx.storage.get("seq", 0) + 1   # durable: ids stay unique across crashes
        self.ctx.storage["seq"] = seq
        return (self.node_id, tag, seq)

    # -------------------------------------------------------------- placement
    def _preference(self, key: Any) -> list:
        if self.preference_list is None:
            return list(self.replicas)
        pref = list(self.preference_list(key))
        if len(set(pref)) != len(pref) or any(p not in self.replicas for p in pref):
            raise ValueError(f"preference_list({key!r}) must return distinct node ids among "
                             f"{self.replicas}, got {pref!r}")
        if len(pref) < self.n:
            raise ValueError(f"preference_list({key!r}) returned {len(pref)} nodes; "
                             f"n={self.n} replicas are needed")
        return pref

    def replicas_for(self, key: Any) -> list:
        """The ``n`` home replicas of ``key``."""
        return self._preference(key)[: self.n]

    def fallbacks_for(self, key: Any) -> list:
        """Stand-ins for a sloppy quorum: the preference list beyond the first ``n``."""
        return self._preference(key)[self.n:] if self.sloppy else []

    # ---------------------------------------------------------- replica side
    def store(self, key: Any, state: Any, hint: Any = None) -> Any:
        """Merge ``state`` into the local copy (or into a hint for ``hint``)."""
        if hint is not None and hint != self.node_id:
            old = self.hints.get((hint, key))
            self.hints[(hint, key)] = self.policy.merge(old, state)
            self._arm_handoff()
            return self.hints[(hint, key)]
        old = self.data.get(key)
        new = self.policy.merge(old, state)
        if new != old:
            self.data[key] = new
            if self.record:
                self.ctx.record_state(key=key, state=self.policy.describe(new))
        return new

    def local(self, key: Any) -> Any:
        """The local copy merged with any hints held for others (what a Get returns)."""
        state = self.data.get(key)
        for (_target, k), hinted in sorted(self.hints.items(), key=repr):
            if k == key:
                state = self.policy.merge(state, hinted)
        return state

    def on_get(self, src: Any, msg: Get) -> None:
        self.ctx.send(src, GetReply(msg.op, msg.key, self.local(msg.key)))

    def on_put(self, src: Any, msg: Put) -> None:
        self.store(msg.key, msg.state, msg.hint)
        self.ctx.send(src, PutAck(msg.op, msg.key))

    # ---------------------------------------------------------- coordinator
    def on_client_request(self, src: Any, msg: ClientRequest) -> None:
        if not fresh_request(self.ctx.storage, src, msg):
            return                                  # a duplicate delivery
        policy = self.policy
        if msg.f not in policy.reads and msg.f not in policy.writes:
            allowed = ", ".join(repr(f) for f in (*policy.reads, *policy.writes))
            self.ctx.send(src, ClientReply(msg.req, "fail", None,
                                           f"unknown operation {msg.f!r}; this store supports {allowed}"))
            return
        op = _Op(self._next_id("op"), src, msg, self.replicas_for(msg.key),
                 list(self.fallbacks_for(msg.key)))
        op.floor = token_get(msg.token, msg.key)
        self.ops[op.id] = op
        self.ctx.set_timer(self.timeout, "op_timeout", op.id)
        if msg.f in policy.reads or policy.read_before_write(msg.f):
            self._send_all(op, "read")
        else:
            self._begin_write(op, self.local(msg.key))

    def _send_all(self, op: _Op, phase: str) -> None:
        """Start a phase: a Get ("read") or a Put of ``op.state`` to every target."""
        op.phase = phase
        if self.sloppy and op.spare:
            self.ctx.set_timer(self.sloppy_after, "sloppy", (op.id, phase))
        for target in op.targets:
            self._send_one(op, target, None)
        self._progress(op)

    def _send_one(self, op: _Op, node: Any, hint: Any) -> None:
        key = op.msg.key
        if op.phase == "read":
            if node == self.node_id:
                op.replies[node] = self.local(key)
            else:
                self.ctx.send(node, Get(op.id, key))
        else:
            if node == self.node_id:
                self.store(key, op.state, hint)
                op.acks.add(node)
            else:
                self.ctx.send(node, Put(op.id, key, op.state, hint))

    def _begin_write(self, op: _Op, base: Any) -> None:
        op.state = self.policy.update(base, op.msg.f, op.msg.value, node=self.node_id,
                              clock=self.ctx.clock(), floor=op.floor, tag=op.id[2])
        op.acks = set()
        self._send_all(op, "write")

    def on_get_reply(self, src: Any, msg: GetReply) -> None:
        op = self.ops.get(msg.op)
        if op is None:
            return
        if op.done or op.phase != "read":
            if self.read_repair and op.result is not None:     # a late answer: repair both ways
                if src in op.targets and not self.policy.covers(msg.state, op.result):
                    self.ctx.send(src, Put(self._next_id("repair"), op.msg.key, op.result))
                if self.node_id in op.targets:
                    self.store(op.msg.key, msg.state)
            return
        op.replies[src] = msg.state
        self._progress(op)

    def on_put_ack(self, src: Any, msg: PutAck) -> None:
        if msg.op in self.handoffs:
            target, key, state = self.handoffs.pop(msg.op)
            if self.hints.get((target, key)) == state:
                del self.hints[(target, key)]
            return
        op = self.ops.get(msg.op)
        if op is None or op.phase == "read":
            return
        op.acks.add(src)
        if not op.done:
            self._progress(op)

    def _progress(self, op: _Op) -> None:
        if op.done:
            return
        key, policy = op.msg.key, self.policy
        if op.phase == "read":
            if len(op.replies) < self.r:
                return
            merged = policy.fold(op.replies[n] for n in sorted(op.replies, key=repr))
            if not policy.covers(merged, op.floor):
                return      # the session has seen newer: wait for a replica that has it
            if op.msg.f not in policy.reads:                       # first phase of a write
                self._begin_write(op, policy.merge(merged, op.floor))
                return
            op.result = merged
            if self.read_repair:        # home replicas only: a stand-in holds hints, not data
                for node in sorted(op.replies, key=repr):
                    if node in op.targets and not policy.covers(op.replies[node], merged):
                        self.ctx.send(node, Put(self._next_id("repair"), key, merged))
            if self.write_back:
                holders = {n for n, s in op.replies.items() if s == merged}
                if len(holders) < self.w:      # ABD phase 2: make the value we return durable
                    op.state, op.acks = merged, set(holders)
                    stale = [t for t in op.targets if t not in holders]
                    op.phase = "write_back"
                    for target in stale:
                        self._send_one(op, target, None)
                    self._progress(op)
                    return
            self._answer(op, "ok", policy.value(merged), op.result)
        elif len(op.acks) >= self.w:
            if op.phase == "write_back":
                self._answer(op, "ok", policy.value(op.result), op.result)
            else:
                op.result = op.state
                self._answer(op, "ok", policy.value(op.state), op.state)

    def _answer(self, op: _Op, outcome: str, value: Any, state: Any, error: str = "") -> None:
        op.done = True
        token = op.msg.token
        if state is not None:
            token = token_put(token, op.msg.key, self.policy.merge(op.floor, state))
        self.ctx.send(op.client, ClientReply(op.msg.req, outcome, value, error, token))

    def _on_op_timeout(self, op_id: tuple) -> None:
        op = self.ops.pop(op_id, None)
        if op is None:
            return
        if not op.done:
            if op.phase == "read":
                need = f"a {'read' if op.msg.f in self.policy.reads else 'write'} needs {self.r}"
                if len(op.replies) >= self.r:
                    error = (f"unavailable: no replica that answered within {self.timeout:g} ms "
                             f"has caught up with this session")
                else:
                    error = (f"unavailable: {len(op.replies)} of {self.n} replicas answered "
                             f"within {self.timeout:g} ms; {need}")
                self._answer(op, "fail", None, None, error)
            else:
                self._answer(op, "info" if op.phase == "write" else "fail", None, None,
                             f"unavailable: {len(op.acks)} of {self.n} replicas acknowledged "
                             f"within {self.timeout:g} ms; a write needs {self.w}"
                             + (" (the replicas that took it keep it: the outcome is unknown)"
                                if op.phase == "write" else ""))
        if self.hinted_handoff and op.phase == "write":
            covered = set(op.acks) | {op.stand_in[s] for s in op.acks if s in op.stand_in}
            for target in op.targets:
                if target not in covered:
                    self.store(op.msg.key, op.state, hint=target)

    def _on_sloppy(self, op_id: tuple, phase: str) -> None:
        op = self.ops.get(op_id)
        if op is None or op.done or op.phase != phase:
            return
        answered = set(op.replies) if phase == "read" else set(op.acks)
        answered |= {op.stand_in[s] for s in answered if s in op.stand_in}
        for target in op.targets:
            if target in answered or target in op.stand_in.values() or not op.spare:
                continue
            stand_in = op.spare.pop(0)
            op.stand_in[stand_in] = target
            self._send_one(op, stand_in, target)
        self._progress(op)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "op_timeout":
            self._on_op_timeout(payload)
        elif name == "sloppy":
            self._on_sloppy(*payload)
        elif name == "handoff":
            self._handoff()
        elif name == "anti_entropy":
            self._anti_entropy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.node_id!r}, n={self.n}, r={self.r}, w={self.w})"
