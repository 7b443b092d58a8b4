"""Chat: nodes that message each other and stamp every event three ways.

Each ``ChatNode`` sends ``count`` messages, one every ``interval`` ms (by its
own clock), each to a random peer. Every send and every receipt is stamped
with

* the node's **physical** clock, ``ctx.clock()``: skewed and drifting (set
  with ``FaultPlan.clock``), so a message can arrive "before" it was sent;
* a **Lamport clock** (Lamport 1978): ``L = L + 1`` before a send, and
  ``L = max(L, L_msg) + 1`` on receipt;
* a **vector clock**: ``V[me] += 1`` before a send, and
  ``V = max(V, V_msg)``, ``V[me] += 1`` on receipt.

Each receipt is recorded in the trace (``record_state(event="receive", ...)``)
with the three stamps of the send and of the receipt, so that
``dscourse.viz.clocks`` can show which clocks respect causality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..clocks import LamportClock, VectorClock
from ..sim import Node
from ..sim.validate import check_delay, check_int, check_node_id

__all__ = ["Chat", "ChatNode"]


@dataclass(frozen=True)
class Chat:
    text: str
    sent_at: float             # the sender's physical clock
    lamport: LamportClock
    vector: VectorClock


class ChatNode(Node):
    def __init__(self, node_id: Any, peers: Iterable[Any], interval: float = 40.0, count: int = 4):
        super().__init__(node_id)
        self.peers = sorted(check_node_id("peers", p) for p in peers if p != node_id)
        if not self.peers:
            raise ValueError("peers must name at least one other node")
        self.interval = check_delay("interval", interval)
        self.count = check_int("count", count, minimum=0)
        self.sent = 0
        self.lamport = LamportClock(0, node_id)
        self.vector = VectorClock()

    def on_start(self) -> None:
        if self.count:
            self.ctx.set_timer(self.interval * (1 + self.ctx.rng.random()), "send")

    def on_timer(self, name: str, payload: Any) -> None:
        # a send is an event: tick both logical clocks, then stamp the message
        self.lamport = self.lamport.increment()
        self.vector = self.vector.increment(self.node_id)
        self.sent += 1
        text = f"{self.node_id}#{self.sent}"
        self.ctx.send(self.ctx.rng.choice(self.peers),
                      Chat(text, round(self.ctx.clock(), 3), self.lamport, self.vector))
        if self.sent < self.count:
            self.ctx.set_timer(self.interval, "send")

    def on_chat(self, src: Any, msg: Chat) -> None:
        # receive rule: merge what the message carries, then tick
        self.lamport = self.lamport.merge(msg.lamport).increment()
        self.vector = self.vector.merge(msg.vector).increment(self.node_id)
        self.ctx.record_state(event="receive", text=msg.text, sender=src,
                              sent_at=msg.sent_at, received_at=round(self.ctx.clock(), 3),
                              sent_lamport=msg.lamport.time, received_lamport=self.lamport.time,
                              sent_vector=str(msg.vector), received_vector=str(self.vector))
