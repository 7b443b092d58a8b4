"""Repair for quorum replicas: hinted handoff and anti-entropy (a mixin of ``QuorumNode``).

* **Hinted handoff.** A state held for a replica that did not acknowledge it
  (a *hint*, in durable storage) is re-sent to that replica every
  ``handoff_interval`` ms until it acknowledges; then the hint is dropped,
  unless it changed meanwhile.
* **Anti-entropy** (push-pull gossip, as in Dynamo and Cassandra). Every
  ``anti_entropy_interval`` ms a node sends the states of the keys it shares
  with one random peer; the peer merges them and answers with the states it
  holds that the sender's differ from. Merges only move states up, so
  exchanges can repeat, cross or arrive late: replicas still converge once
  the network lets them talk.

The mixin uses ``QuorumNode``'s attributes (``replicas``, ``hints``,
``data``, ``store``, ``replicas_for``, ``_next_id``, ``handoffs``).
"""

from __future__ import annotations

from typing import Any

from .messages import Put, Sync, SyncReply

__all__ = ["Repair"]


class Repair:
    """Hinted handoff and anti-entropy for ``QuorumNode`` (see the module docstring)."""

    def on_start(self) -> None:
        self._handoff_armed = False
        if self.hints:
            self._arm_handoff()
        if self.anti_entropy_interval is not None and len(self.replicas) > 1:
            # a random phase: nodes that gossip in lockstep would all miss (or hit) the same moment
            self.ctx.set_timer(self.ctx.rng.uniform(0, self.anti_entropy_interval), "anti_entropy")

    def _arm_handoff(self) -> None:
        if not getattr(self, "_handoff_armed", False):
            self._handoff_armed = True
            self.ctx.set_timer(self.handoff_interval, "handoff")

    def _handoff(self) -> None:
        self._handoff_armed = False
        self.handoffs.clear()
        for (target, key), state in sorted(self.hints.items(), key=repr):
            op_id = self._next_id("handoff")
            self.handoffs[op_id] = (target, key, state)
            self.ctx.send(target, Put(op_id, key, state))
        if self.hints:
            self._arm_handoff()

    def _shared_states(self, peer: Any) -> tuple:
        return tuple((k, s) for k, s in sorted(self.data.items(), key=lambda kv: repr(kv[0]))
                     if peer in self.replicas_for(k))

    def _anti_entropy(self) -> None:
        peers = [p for p in self.replicas if p != self.node_id]
        peer = self.ctx.rng.choice(peers)
        self.ctx.send(peer, Sync(self._shared_states(peer)))
        self.ctx.set_timer(self.anti_entropy_interval, "anti_entropy")

    def on_sync(self, src: Any, msg: Sync) -> None:
        theirs = dict(msg.states)
        for key, state in msg.states:
            if self.node_id in self.replicas_for(key):
                self.store(key, state)
        back = tuple((k, s) for k, s in self._shared_states(src) if theirs.get(k) != s)
        if back:
            self.ctx.send(src, SyncReply(back))

    def on_sync_reply(self, src: Any, msg: SyncReply) -> None:
        for key, state in msg.states:
            self.store(key, state)
