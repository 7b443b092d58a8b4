"""A heartbeat failure detector.

Every ``interval`` ms each node sends ``Heartbeat`` to every peer. A node
suspects a peer when it has heard nothing from it for ``timeout`` ms (by its
own clock), and trusts it again when a heartbeat arrives. It records its list
of suspects as state, so the cluster view can colour what each node believes.

The lesson: a timeout cannot tell a crashed node from a slow or cut-off one.
In a partition both sides suspect each other, and both are "right".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import Node
from ..sim.validate import check_delay


@dataclass(frozen=True)
class Heartbeat:
    sent_at: float     # the sender's clock, for information only


class HeartbeatNode(Node):
    def __init__(self, node_id: Any, interval: float = 50.0, timeout: float = 160.0):
        super().__init__(node_id)
        self.interval = check_delay("interval", interval)
        self.timeout = check_delay("timeout", timeout)
        if self.timeout <= self.interval:
            raise ValueError(f"timeout must exceed interval, got timeout={timeout}, "
                             f"interval={interval}")
        self.last_heard: dict[Any, float] = {}
        self.suspects: tuple = ()

    def on_start(self) -> None:
        now = self.ctx.clock()
        self.last_heard = {p: now for p in self.ctx.peers}
        self._beat()

    def _beat(self) -> None:
        self.ctx.broadcast(Heartbeat(self.ctx.clock()))
        self._review()
        self.ctx.set_timer(self.interval, "beat")

    def on_timer(self, name: str, payload: Any) -> None:
        self._beat()

    def on_heartbeat(self, src, msg: Heartbeat) -> None:
        self.last_heard[src] = self.ctx.clock()
        self._review()

    def _review(self) -> None:
        now = self.ctx.clock()
        suspects = tuple(sorted(p for p, t in self.last_heard.items() if now - t > self.timeout))
        if suspects != self.suspects:
            self.suspects = suspects
            self.ctx.record_state(suspects=list(suspects))
