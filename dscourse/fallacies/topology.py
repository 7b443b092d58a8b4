"""Fallacy 5: "topology doesn't change".

Servers come and go: a new one is added for capacity, an old one is
decommissioned. A client that spreads its requests over a *hard-coded* list
of servers keeps sending a share of them to the server that left (they all
time out) and never uses the one that joined.

The fix is to treat membership as data that changes: a **registry** learns
who is alive from the servers' heartbeats (``Alive`` every ``interval`` ms),
forgets a server it has not heard from for ``timeout`` ms, and pushes every
new view (``Membership(version, members)``) to the clients that subscribed.
The client always sends to the latest view. Requests still fail in the short
window before the registry notices a departure: membership is eventually
correct, never instantly (a client can also retry elsewhere; fallacy 1).

In the simulator, ``sim.add_node`` at any time is a server joining, and
``sim.remove_node`` a server decommissioned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Node, Uniform
from ..sim.rng import Seed
from ..sim.table import TextTable, format_table
from ..sim.validate import check_delay, check_int
from .common import build_sim, run_seed


@dataclass(frozen=True)
class Get:
    n: int


@dataclass(frozen=True)
class GetOk:
    n: int


@dataclass(frozen=True)
class Alive:
    """A server's heartbeat to the registry."""


@dataclass(frozen=True)
class Subscribe:
    """A client asks the registry for the membership, now and on every change."""


@dataclass(frozen=True)
class Membership:
    version: int
    members: tuple


class Server(Node):
    """Answers ``Get``; if it knows a registry, tells it every ``interval`` ms that it is alive."""

    def __init__(self, node_id: Any, registry: Any = None, interval: float = 50.0):
        super().__init__(node_id)
        self.registry = registry
        self.interval = check_delay("interval", interval)
        self.served = 0

    def on_start(self) -> None:
        if self.registry is not None:
            self.on_timer("alive", None)

    def on_timer(self, name: str, payload: Any) -> None:
        self.ctx.send(self.registry, Alive())
        self.ctx.set_timer(self.interval, "alive")

    def on_get(self, src, msg: Get) -> None:
        self.served += 1
        self.ctx.send(src, GetOk(msg.n))


class Registry(Node):
    """Tracks live servers by their heartbeats and pushes each new view to subscribers."""

    def __init__(self, node_id: Any, timeout: float = 150.0, check_every: float = 25.0):
        super().__init__(node_id)
        self.timeout = check_delay("timeout", timeout)
        self.check_every = check_delay("check_every", check_every)
        self.last_heard: dict[Any, float] = {}
        self.subscribers: list = []
        self.version = 0

    def on_start(self) -> None:
        self.ctx.set_timer(self.check_every, "expire")

    def members(self) -> tuple:
        return tuple(sorted(self.last_heard))

    def _publish(self) -> None:
        self.version += 1
        self.ctx.record_state(members=list(self.members()), version=self.version)
        for client in self.subscribers:
            self.ctx.send(client, Membership(self.version, self.members()))

    def on_alive(self, src, msg: Alive) -> None:
        joined = src not in self.last_heard
        self.last_heard[src] = self.ctx.clock()
        if joined:
            self._publish()

    def on_timer(self, name: str, payload: Any) -> None:
        now = self.ctx.clock()
        gone = [s for s in sorted(self.last_heard) if now - self.last_heard[s] > self.timeout]
        for s in gone:
            del self.last_heard[s]
        if gone:
            self._publish()
        self.ctx.set_timer(self.check_every, "expire")

    def on_subscribe(self, src, msg: Subscribe) -> None:
        if src not in self.subscribers:
            self.subscribers.append(src)
        self.ctx.send(src, Membership(self.version, self.members()))


class StaticClient(Node):
    """Sends a ``Get`` every ``interval`` ms to its servers in turn (a fixed list)."""

    def __init__(self, node_id: Any, servers: Sequence = (), count: int = 300,
                 interval: float = 10.0, timeout: float = 50.0):
        super().__init__(node_id)
        self.servers = tuple(servers)
        self.count = check_int("count", count, minimum=1)
        self.interval = check_delay("interval", interval)
        self.timeout = check_delay("timeout", timeout)
        self.sent = 0
        self.outcomes: dict[int, list] = {}     # n -> [time, server, "ok"|"timeout"|None]

    def on_start(self) -> None:
        self.ctx.set_timer(self.interval, "tick")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "timeout":
            if self.outcomes[payload][2] is None:
                self.outcomes[payload][2] = "timeout"
            return
        if self.servers:
            n = self.sent
            server = self.servers[n % len(self.servers)]
            self.outcomes[n] = [self.ctx.clock(), server, None]
            self.ctx.send(server, Get(n))
            self.ctx.set_timer(self.timeout, "timeout", n)
        self.sent += 1
        if self.sent < self.count:
            self.ctx.set_timer(self.interval, "tick")

    def on_get_ok(self, src, msg: GetOk) -> None:
        if self.outcomes[msg.n][2] is None:
            self.outcomes[msg.n][2] = "ok"


class DiscoveryClient(StaticClient):
    """The same client, but its server list is whatever the registry last said."""

    def __init__(self, node_id: Any, registry: Any, count: int = 300, interval: float = 10.0,
                 timeout: float = 50.0):
        super().__init__(node_id, (), count=count, interval=interval, timeout=timeout)
        self.registry = registry
        self.version = -1

    def on_start(self) -> None:
        self.ctx.send(self.registry, Subscribe())
        super().on_start()

    def on_membership(self, src, msg: Membership) -> None:
        if msg.version > self.version:      # views can arrive out of order: keep the newest
            self.version = msg.version
            self.servers = msg.members


@dataclass(frozen=True)
class TopologyRun:
    client: str
    outcomes: tuple            # (time, server, outcome) per request
    join_at: float
    leave_at: float
    joined: str
    left: str

    @property
    def requests(self) -> int:
        return len(self.outcomes)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o[2] != "ok")

    def failed_after_leave(self) -> int:
        return sum(1 for t, _, o in self.outcomes if t >= self.leave_at and o != "ok")

    def sent_to(self, server: str, since: float = 0.0) -> int:
        return sum(1 for t, s, _ in self.outcomes if s == server and t >= since)

    def share_new_server(self) -> float:
        """The share of requests sent after the join that went to the new server."""
        after = [s for t, s, _ in self.outcomes if t >= self.join_at]
        return sum(1 for s in after if s == self.joined) / len(after) if after else 0.0


@dataclass(frozen=True)
class TopologyResult:
    runs: tuple

    def __getitem__(self, client: str) -> TopologyRun:
        for r in self.runs:
            if r.client == client:
                return r
        raise ValueError(f"client must be one of {[r.client for r in self.runs]}, got {client!r}")

    def table(self) -> TextTable:
        rows = []
        for r in self.runs:
            rows.append((r.client, r.requests, r.failed, r.failed_after_leave(),
                         r.sent_to(r.left, r.leave_at), f"{100 * r.share_new_server():.0f}%"))
        first = self.runs[0]
        return format_table(["client", "requests", "failed", "failed after leave",
                             f"sent to {first.left} after it left",
                             f"share to {first.joined} after it joined"], rows,
                            title=f"{first.joined} joins at {first.join_at:g} ms, "
                                  f"{first.left} leaves at {first.leave_at:g} ms")


def run_topology(client: str, seed: Seed = None, *, count: int = 300, join_at: float = 1000.0,
                 leave_at: float = 2000.0) -> TopologyRun:
    """Servers s1..s3 to start with; s4 joins at ``join_at``; s2 leaves at ``leave_at``."""
    if client not in ("static", "discovery"):
        raise ValueError(f"client must be 'static' or 'discovery', got {client!r}")
    join_at = check_delay("join_at", join_at)
    leave_at = check_delay("leave_at", leave_at)
    first = ["s1", "s2", "s3"]
    if client == "static":
        nodes = [StaticClient("client", first, count=count)]
    else:
        nodes = [DiscoveryClient("client", "registry", count=count), Registry("registry")]
    registry = None if client == "static" else "registry"
    sim = build_sim(run_seed(seed), nodes + [Server(s, registry) for s in first],
                    latency=Uniform(1.0, 10.0))
    sim.at(join_at, sim.add_node, Server("s4", registry))      # topology changes
    sim.at(leave_at, sim.remove_node, "s2")
    sim.run(until=count * 10.0 + 200.0)     # heartbeats never stop: run for a fixed time
    me = sim.node("client")
    outcomes = tuple((t, s, o) for _, (t, s, o) in sorted(me.outcomes.items()))
    return TopologyRun(client, outcomes, join_at, leave_at, "s4", "s2")


def topology_experiment(seed: Seed = None, **options: Any) -> TopologyResult:
    seed = run_seed(seed)
    return TopologyResult(tuple(run_topology(c, seed, **options) for c in ("static", "discovery")))
