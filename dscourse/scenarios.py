"""Named, seeded set-ups shared by notebooks and tests.

A scenario is a function ``build(seed) -> Simulator`` that adds the nodes of a
small system and no faults: faults come from a ``FaultPlan``, so the same
scenario serves a notebook's demonstration, a fault panel and a test. Look
them up by name with ``scenario(name, seed)``; ``SCENARIOS`` lists them.
"""

from __future__ import annotations

from typing import Callable

from .basics import EchoClient, EchoServer, HeartbeatNode
from .sim import Simulator, Uniform
from .sim.validate import check_int

SCENARIOS: dict[str, Callable[..., Simulator]] = {}


def register(name: str):
    def wrap(fn):
        SCENARIOS[name] = fn
        return fn
    return wrap


@register("heartbeat")
def heartbeat_cluster(seed: int = 0, n: int = 3, interval: float = 50.0,
                      timeout: float = 160.0) -> Simulator:
    """``n`` nodes (n1, n2, ...) running the heartbeat failure detector; 5-15 ms links."""
    check_int("n", n, minimum=1, maximum=26)
    sim = Simulator(seed=seed, latency=Uniform(5.0, 15.0))
    for i in range(1, n + 1):
        sim.add_node(HeartbeatNode(f"n{i}", interval=interval, timeout=timeout))
    return sim


@register("echo")
def echo_pair(seed: int = 0, count: int = 20, loss: float = 0.0) -> Simulator:
    """A client sending ``count`` requests to a server over a link with ``loss``."""
    sim = Simulator(seed=seed, latency=Uniform(5.0, 15.0), loss=loss)
    sim.add_node(EchoServer("server"))
    sim.add_node(EchoClient("client", "server", count=count))
    return sim


def scenario(name: str, seed: int = 0, **options) -> Simulator:
    if name not in SCENARIOS:
        raise ValueError(f"name must be one of {sorted(SCENARIOS)}, got {name!r}")
    return SCENARIOS[name](seed, **options)
