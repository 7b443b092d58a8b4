"""Clients: simulator nodes that run operations against a store and record a History.

A ``Client`` sends one ``ClientRequest`` at a time to a store node and records
the operation in the simulator's ``History`` (Jepsen style), so the checkers
(``dscourse.checkers``) can judge what the store did:

* ``invoke`` when it sends the request;
* ``ok`` with the result when the store answers ``ok``;
* ``fail`` when the store answers that the operation certainly did not take
  effect (a CP store with no quorum for the first phase: "unavailable");
* ``info`` when the outcome is unknown: the store says so (a write that
  reached some replicas but not a quorum) or no answer came before the
  client's own ``timeout``. A read that times out is recorded as ``fail``:
  a read has no effect, so it certainly "did not happen".

Operations come from a script (a list of ``Op``) or from a random
``Workload``; each starts ``think`` ms after the previous one completes; none starts after ``stop``.
``route`` chooses the node for each operation: ``"sticky"`` (always the first
of ``targets``), ``"random"`` or ``"round_robin"``. With ``session=True`` the
client keeps the token each reply carries and sends it with the next
request (session guarantees, see ``session.py``).

History values: a single-key client records plain values (``write 3``); a
client with ``keyed=True`` records ``[key, value]`` pairs (a key-value
history, checked key by key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..sim import Node
from ..sim.validate import check_choice, check_delay, check_int, check_node_id, check_number


@dataclass(frozen=True)
class ClientRequest:
    req: int              # numbers this client's requests
    f: str                # "read", "write", "increment", ...
    key: Any
    value: Any = None
    token: Any = None     # a session token (``()`` when empty), or None: no session


@dataclass(frozen=True)
class ClientReply:
    req: int
    outcome: str          # "ok" | "fail" | "info"
    value: Any = None
    error: str = ""
    token: Any = None     # the session token after this operation


@dataclass(frozen=True)
class Op:
    """One scripted operation; ``at`` (optional) is the earliest time it may start
    (by the client's clock, which the course never skews)."""
    f: str
    key: Any = "x"
    value: Any = None
    at: float | None = None
    target: Any = None    # overrides the client's routing for this operation


@dataclass(frozen=True)
class Workload:
    """A random mix of operations: ``mix`` maps f -> weight; writes get unique values."""
    mix: tuple = (("read", 1.0), ("write", 1.0))
    keys: tuple = ("x",)
    count: int = 20
    increment: int = 1                    # the value sent with "increment"

    def __post_init__(self):
        mix = tuple(self.mix.items()) if isinstance(self.mix, dict) else tuple(self.mix)
        if not mix:
            raise ValueError("mix must name at least one operation")
        for f, weight in mix:
            if not isinstance(f, str):
                raise TypeError(f"mix operation names must be strings, got {f!r}")
            check_number(f"mix[{f!r}] weight", weight, minimum=0.0)
        object.__setattr__(self, "mix", mix)
        if isinstance(self.keys, (str, bytes)) or not self.keys:
            raise ValueError(f"keys must be a non-empty tuple of keys, got {self.keys!r}")
        object.__setattr__(self, "keys", tuple(self.keys))
        check_int("count", self.count, minimum=0)

    def draw(self, rng, client: Any, i: int) -> Op:
        total = sum(w for _, w in self.mix)
        x = rng.random() * total
        f = self.mix[-1][0]
        for name, w in self.mix:
            x -= w
            if x < 0:
                f = name
                break
        key = self.keys[0] if len(self.keys) == 1 else rng.choice(self.keys)
        value = None
        if f == "write":
            value = f"{client}:{i}"
        elif f == "increment":
            value = self.increment
        return Op(f, key, value)


READ_LIKE = ("read",)


def fresh_request(storage: dict, client: Any, msg: ClientRequest) -> bool:
    """False for a request this store node has already started (a duplicate).

    The network may deliver a message twice; running a write twice would
    apply it again, later, over newer writes. A client numbers its requests
    in increasing order and sends one at a time, so remembering the highest
    number seen per client (in durable storage) is enough.
    """
    seen = storage.setdefault("client_requests", {})
    if seen.get(client, 0) >= msg.req:
        return False
    seen[client] = msg.req
    return True


class Client(Node):
    """A closed-loop client process; see the module docstring."""

    def __init__(self, node_id: Any, targets: Iterable[Any], ops: Iterable[Op] | None = None, *,
                 workload: Workload | None = None, route: str = "sticky", timeout: float = 500.0,
                 think: float = 10.0, start: float = 0.0, stop: float | None = None,
                 keyed: bool = False,
                 session: bool = False, process: Any = None):
        super().__init__(node_id)
        if isinstance(targets, (str, bytes)) or not isinstance(targets, Iterable):
            raise TypeError(f"targets must be a list of node ids, got {targets!r}")
        self.targets = [check_node_id("targets", t) for t in targets]
        if not self.targets:
            raise ValueError("targets must name at least one store node")
        if (ops is None) == (workload is None):
            raise ValueError("give exactly one of ops=[Op(...), ...] or workload=Workload(...)")
        self.script = None if ops is None else list(ops)
        for i, op in enumerate(self.script or ()):
            if not isinstance(op, Op):
                raise TypeError(f"ops[{i}] must be an Op, got {op!r}")
        if workload is not None and not isinstance(workload, Workload):
            raise TypeError(f"workload must be a Workload, got {workload!r}")
        self.workload = workload
        self.route = check_choice("route", route, ("sticky", "random", "round_robin"))
        self.timeout = check_delay("timeout", timeout)
        self.think = check_delay("think", think)
        self.start = check_delay("start", start)
        self.stop = None if stop is None else check_delay("stop", stop)
        self.keyed = bool(keyed)
        self.session = bool(session)
        self.process = node_id if process is None else process
        self.done = 0
        self.current: tuple | None = None     # (req, op, target, timer)
        self.token: Any = None
        self.results: list = []               # (op, outcome, value, error, target)

    # -- driving ---------------------------------------------------------------
    def on_start(self) -> None:
        self.ctx.set_timer(self.start, "next")

    def _total(self) -> int:
        return len(self.script) if self.script is not None else self.workload.count

    def _next(self) -> None:
        if self.done >= self._total() or self.current is not None:
            return
        if self.stop is not None and self.ctx.clock() >= self.stop:
            return
        i = self.done
        op = self.script[i] if self.script is not None else \
            self.workload.draw(self.ctx.rng, self.process, i)
        if op.at is not None and op.at > self.ctx.clock() + 1e-9:
            self.ctx.set_timer(op.at - self.ctx.clock(), "next")
            return
        target = op.target if op.target is not None else self._route(i)
        req = i + 1
        self.ctx.history_invoke(op.f, self._hv(op, op.value if op.f not in READ_LIKE else None),
                                process=self.process)
        # a session client always sends a token, () before its first reply
        token = (() if self.token is None else self.token) if self.session else None
        self.ctx.send(target, ClientRequest(req, op.f, op.key, op.value, token))
        timer = self.ctx.set_timer(self.timeout, "timeout", req)
        self.current = (req, op, target, timer)

    def _route(self, i: int) -> Any:
        if self.route == "sticky":
            return self.targets[0]
        if self.route == "round_robin":
            return self.targets[i % len(self.targets)]
        return self.ctx.rng.choice(self.targets)

    def _hv(self, op: Op, value: Any) -> Any:
        return [op.key, value] if self.keyed else value

    def _finish(self, outcome: str, value: Any, error: str) -> None:
        req, op, target, timer = self.current
        self.ctx.cancel_timer(timer)
        self.current = None
        self.done += 1
        if outcome == "ok":
            recorded = value if op.f in READ_LIKE else op.value
        else:
            recorded = None if op.f in READ_LIKE else op.value
        self.ctx.history_complete(outcome, self._hv(op, recorded), process=self.process)
        self.results.append((op, outcome, value, error, target))
        self.ctx.set_timer(self.think, "next")

    # -- events ----------------------------------------------------------------
    def on_client_reply(self, src: Any, msg: ClientReply) -> None:
        if self.current is None or msg.req != self.current[0]:
            return          # a late answer to an operation we gave up on
        if self.session and msg.token is not None:
            self.token = msg.token
        self._finish(msg.outcome, msg.value, msg.error)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self._next()
        elif name == "timeout" and self.current is not None and self.current[0] == payload:
            op = self.current[1]
            outcome = "fail" if op.f in READ_LIKE else "info"
            self._finish(outcome, None, f"no answer within {self.timeout:g} ms")

    def on_recover(self) -> None:
        pass     # a crashed client stays idle: its pending operation stays "info"
