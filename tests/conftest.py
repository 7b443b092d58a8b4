"""Shared test helpers: tiny protocols for exercising the simulator."""

from __future__ import annotations

import os
from dataclasses import dataclass

os.environ.setdefault("MPLBACKEND", "Agg")   # tests draw figures without a screen

import pytest

from dscourse.sim import Node, Simulator

SOAK = bool(os.environ.get("DSCOURSE_SOAK"))


def sweep(n: int) -> int:
    """Seeds for a sweep: ``n`` in make test, ten times as many in make soak."""
    return n * 10 if SOAK else n


@dataclass(frozen=True)
class Msg:
    n: int


class Recorder(Node):
    """Records every message it gets; sends on a schedule the test gives it."""

    def __init__(self, node_id, plan=()):
        super().__init__(node_id)
        self.plan = list(plan)          # (delay, dst, n)
        self.got = []

    def on_start(self):
        for i, (delay, _dst, _n) in enumerate(self.plan):
            self.ctx.set_timer(delay, "send", i)

    def on_timer(self, name, payload):
        _, dst, n = self.plan[payload]
        self.ctx.send(dst, Msg(n))

    def on_msg(self, src, msg):
        self.got.append((src, msg.n))


class Chatter(Node):
    """Sends a message to a random peer every `interval` ms, forever."""

    def __init__(self, node_id, interval=10.0):
        super().__init__(node_id)
        self.interval = interval
        self.got = []
        self.sent = 0

    def on_start(self):
        self.ctx.set_timer(self.interval, "tick")

    def on_timer(self, name, payload):
        peers = self.ctx.peers
        if peers:
            self.sent += 1
            self.ctx.send(self.ctx.rng.choice(peers), Msg(self.sent))
        self.ctx.set_timer(self.interval, "tick")

    def on_msg(self, src, msg):
        self.got.append((src, msg.n))


def chatter_sim(seed=1, n=3, **network):
    sim = Simulator(seed=seed, **network)
    for i in range(n):
        sim.add_node(Chatter(f"n{i}"))
    return sim


@pytest.fixture
def sim3():
    return chatter_sim()
