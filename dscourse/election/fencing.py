"""Fencing tokens: the protected resource refuses the stale leader.

A lease tells its holder "you are the leader until time T", but the holder
reads T on its own clock, and between checking the clock and acting it may
stall (a GC pause, a VM migration) for longer than the lease. Then it acts
after another node has been granted the lease: two leaders write, and the
old one's write lands after the new one's. No amount of care on the
leader's side prevents this, because the pause can happen *after* the last
check (Kleppmann, "How to do distributed locking", 2016).

The fix is on the other side. Every grant carries a **fencing token** that
increases with each grant; the leader sends its token with every request;
and the resource (here a ``StorageNode``) remembers the largest token it
has seen and rejects any request with a smaller one. A stale leader's
token is smaller than its successor's, so once the successor has written,
the stale leader cannot.

``StorageNode(fencing=False)`` is the unprotected resource of the course
text's sketch (which has no token at all, and prints a timestamp as a
"term"). ``policy`` lets an exercise plug in its own acceptance rule.
``storage_writes(trace, node)`` reads back, from the trace, every write the
storage saw and what it did with it; ``overwritten_by_stale`` finds the
harm: writes accepted from an older leader after a newer one had written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..sim import Node
from ..sim.trace import Trace


@dataclass(frozen=True)
class Write:
    key: str
    value: Any
    token: int            # the writer's fencing token (its lease's)


@dataclass(frozen=True)
class WriteReply:
    ok: bool
    token: int
    highest: int          # the largest token the storage had seen when it answered


def fenced(highest: int, token: int) -> bool:
    """The fencing rule: accept a token at least as large as any seen before.

    Equal is fine (the current leader writes many times with one token);
    smaller means an older lease, whose holder has been replaced.
    """
    return token >= highest


def unfenced(highest: int, token: int) -> bool:
    """No protection: accept everything (the course text's sketch)."""
    return True


@dataclass(frozen=True)
class StoredWrite:
    time: float
    writer: Any
    token: int
    value: Any
    accepted: bool


class StorageNode(Node):
    """A one-register store that the leader writes to, with or without fencing."""

    def __init__(self, node_id: Any, fencing: bool = True,
                 policy: Callable[[int, int], bool] | None = None) -> None:
        super().__init__(node_id)
        if not isinstance(fencing, bool):
            raise TypeError(f"fencing must be True or False, got {fencing!r}")
        if policy is not None and not callable(policy):
            raise TypeError(f"policy must be a function (highest, token) -> bool, got {policy!r}")
        self.fencing = fencing
        self.policy = policy or (fenced if fencing else unfenced)

    def on_start(self) -> None:
        self.ctx.storage.setdefault("highest", 0)
        self.ctx.storage.setdefault("data", {})

    def on_write(self, src: Any, msg: Write) -> None:
        storage = self.ctx.storage
        highest = storage["highest"]
        ok = bool(self.policy(highest, msg.token))
        if ok:
            storage["data"][msg.key] = msg.value
            storage["highest"] = max(highest, msg.token)
        self.ctx.record_state(write={"from": src, "token": msg.token, "value": msg.value,
                                     "accepted": ok})
        self.ctx.send(src, WriteReply(ok, msg.token, storage["highest"]))

    @property
    def data(self) -> dict:
        return dict(self.ctx.storage.get("data", {}))


def storage_writes(trace: Trace, node: Any) -> list[StoredWrite]:
    """Every write ``node`` (a ``StorageNode``) received, in order, read from the trace."""
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a dscourse.sim.Trace, got {type(trace).__name__}")
    out = []
    for t, kind, where, _peer, _ref, data in trace.raw():
        if kind == "state" and where == node and "write" in data:
            w = data["write"]
            out.append(StoredWrite(t, w["from"], w["token"], w["value"], w["accepted"]))
    return out


def overwritten_by_stale(writes: list[StoredWrite]) -> list[StoredWrite]:
    """Accepted writes carrying a smaller token than an earlier accepted write.

    Each is a stale leader's write landing on top of its successor's: the
    lost update that fencing exists to prevent.
    """
    out, highest = [], 0
    for w in writes:
        if not w.accepted:
            continue
        if w.token < highest:
            out.append(w)
        highest = max(highest, w.token)
    return out
