"""Lease-based leader election: the course text's ``LeaseBasedLeaderElection``, done right.

Every node tries, every ``lease / 3`` ms, to acquire the lock ``"leader"``
from a lock store (``lockstore.py``) for ``lease`` ms; the one that gets it
leads, and renews it at the same pace (a third of the lease, as in the
text, so two renewals can fail before the lease runs out). A leader that
cannot renew steps down; a node that resigns releases the lock.

Three details the text leaves out, each of which matters:

* **When the lease started.** The holder counts its lease from the moment
  it *sent* the request, not from when the answer came: the store started
  counting later than that, so the holder's lease ends first (as long as
  both clocks run at the same rate).
* **Which clock.** The expiry is a timer on the node's monotonic clock, so
  stepping the wall clock (skew) changes nothing. But a clock that runs
  slow (``drift``) or stands still (a paused process) stretches the lease
  as the holder sees it: the store hands the lock to someone else while the
  old holder still believes. Both hazards are shown in the notebook.
* **What the term is.** The text prints ``System.currentTimeMillis()`` as the
  "term", which is neither unique nor ordered across nodes. Here the term is
  the lease's **fencing token**, which increases with each grant; the
  leader sends it with every write, and a fenced ``StorageNode``
  (``fencing.py``) rejects writes from an older lease.

With one store replica the store is a single node; with three, the elector
needs a majority (two rounds to acquire, see ``lockstore.py``), and the
store survives the crash of one replica.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from ..consensus.raft.cluster import server_ids
from ..sim import FaultPlan, Simulator
from ..sim.rng import Seed
from ..sim.validate import check_int, check_node_id, check_number
from .fencing import StorageNode, Write, WriteReply
from .lockstore import Acquire, Confirm, LeaseError, LeaseReply, LockReplica, Release, Renew, check_duration
from .roles import DEFAULT_LATENCY, FOLLOWER, LEADER, ElectionNode

LOCK = "leader"


class LeaseElector(ElectionNode):
    """A node that leads while it holds the lease on ``lock``; see the module docstring.

    Parameters
    ----------
    stores : list of node ids
        The lock store's replicas (one for a single-node store).
    lease : float
        Lease duration (ms); renewals every ``lease / 3``.
    storage : node id, optional
        A ``StorageNode`` the leader writes to every ``write_interval`` ms,
        sending its fencing token with each write.
    """

    def __init__(self, node_id: Any, stores: Iterable[Any], *, lease: float = 300.0,
                 lock: str = LOCK, storage: Any = None, write_interval: float = 25.0) -> None:
        super().__init__(check_node_id("node_id", node_id))
        if isinstance(stores, (str, bytes)) or not isinstance(stores, Iterable):
            raise TypeError(f"stores must be a list of lock-store node ids, got {stores!r}")
        self.stores = tuple(sorted(check_node_id("stores", s) for s in stores))
        if not self.stores:
            raise ValueError("stores must name at least one lock-store replica")
        self.majority = len(self.stores) // 2 + 1
        self.lease = check_duration(lease)
        self.renew_interval = self.lease / 3          # the course text: renew at 1/3 of the lease
        if not isinstance(lock, str) or not lock:
            raise TypeError(f"lock must be a non-empty string, got {lock!r}")
        self.lock = lock
        self.storage = None if storage is None else check_node_id("storage", storage)
        self.write_interval = check_number("write_interval", write_interval, minimum=0.0,
                                           strict_min=True)
        self.attempt = 0          # numbers every request round (acquire or renew)
        self.phase: str | None = None   # "acquire" | "confirm" | "renew" | None
        self.replies: dict = {}
        self.confirm_token = 0    # the token a two-round acquisition is confirming
        self.valid_attempt = 0    # the round whose lease the leader now relies on
        self.lapsed = 0           # every round up to this one has run out of time
        self.reign = 0
        self.standing = True
        self.writes = 0

    # ------------------------------------------------------------- schedule
    def on_start(self) -> None:
        self.set_role(FOLLOWER)
        # Start at a random point of the first interval, so that nodes do not all ask at once.
        self.ctx.set_timer(self.renew_interval * self.ctx.rng.random(), "tick")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "tick":
            if self.standing:
                self.renew() if self.role == LEADER else self.try_acquire()
                self.ctx.set_timer(self.renew_interval, "tick")
        elif name == "expire":
            # The lease of round ``payload`` has run out, on this node's clock.
            self.lapsed = max(self.lapsed, payload)
            if self.role == LEADER and self.valid_attempt <= self.lapsed:
                self.step_down("its lease expired before a renewal came back")
        elif name == "write":
            if self.role == LEADER and payload == self.reign:
                self.writes += 1
                self.ctx.send(self.storage, Write("x", f"{self.node_id}:{self.writes}", self.term))
                self.ctx.set_timer(self.write_interval, "write", self.reign)

    def _round(self, phase: str) -> int:
        self.attempt += 1
        self.phase = phase
        self.replies = {}
        # The lease counts from now (the request leaves), on this node's monotonic clock.
        self.ctx.set_timer(self.lease, "expire", self.attempt)
        return self.attempt

    # -------------------------------------------------------------- acquire
    def try_acquire(self) -> None:
        a = self._round("acquire")
        for s in self.stores:
            self.ctx.send(s, Acquire(self.lock, self.lease, a))

    def renew(self) -> None:
        a = self._round("renew")
        for s in self.stores:
            self.ctx.send(s, Renew(self.lock, self.lease, self.term, a))

    def on_lease_reply(self, src: Any, msg: LeaseReply) -> None:
        if msg.attempt != self.attempt or msg.kind != self.phase:
            return                                    # an answer to an older round
        self.replies[src] = msg
        oks = [r for r in self.replies.values() if r.ok]
        refused = len(self.replies) - len(oks)
        enough_refusals = refused > len(self.stores) - self.majority
        if msg.kind == "acquire":
            if len(oks) >= self.majority:
                token = max(r.token for r in oks)
                if len(self.stores) == 1:
                    self.win(token)
                else:                                 # second round: make the token stick
                    granted = sorted(self._granted())
                    self.phase = "confirm"
                    self.replies = {}
                    self.confirm_token = token
                    for s in granted:
                        self.ctx.send(s, Confirm(self.lock, token, self.attempt))
            elif enough_refusals:                     # no majority: free what we got
                for s, r in sorted(self._granted().items()):
                    self.ctx.send(s, Release(self.lock, r.token, self.attempt))
                self.phase = None
        elif msg.kind == "confirm":
            if len(oks) >= self.majority:
                self.win(self.confirm_token)
            elif enough_refusals:
                self.phase = None
        elif msg.kind == "renew":
            if len(oks) >= self.majority:
                if self.attempt > self.lapsed and self.role == LEADER:
                    self.valid_attempt = self.attempt
                self.phase = None
            elif enough_refusals:
                self.phase = None
                if self.role == LEADER:
                    self.step_down("the store refused the renewal: " + msg.reason)

    def _granted(self) -> dict:
        return {s: r for s, r in self.replies.items() if r.ok}

    def win(self, token: int) -> None:
        self.phase = None
        if self.attempt <= self.lapsed:               # the answers came too late: lease over
            return
        self.valid_attempt = self.attempt
        self.reign += 1
        self.set_role(LEADER, token)
        if self.storage is not None:
            self.ctx.set_timer(0.0, "write", self.reign)

    def on_write_reply(self, src: Any, msg: WriteReply) -> None:
        if not msg.ok and self.role == LEADER and msg.token == self.term:
            # The storage has seen a newer token: someone else was granted the lease.
            self.step_down(f"the storage fenced it off (token {msg.token} < {msg.highest})")

    def step_down(self, why: str) -> None:
        self.ctx.log(f"steps down: {why}")
        self.reign += 1
        self.set_role(FOLLOWER)

    # -------------------------------------------------------------- release
    def resign(self, stand_again: bool = False) -> None:
        """Release the lease (the text's ``stop()``); LeaseError if this node does not hold it."""
        if self.role != LEADER:
            raise LeaseError(f"{self.node_id!r} cannot release the lease on {self.lock!r}: it "
                             f"does not hold it (released already, or never acquired)")
        self.attempt += 1
        for s in self.stores:
            self.ctx.send(s, Release(self.lock, self.term, self.attempt))
        self.phase = "release"
        self.standing = bool(stand_again)
        self.step_down("it resigned")


def resign_at(sim: Simulator, node: Any, at: float) -> None:
    """Make ``node`` resign (release its lease) at time ``at``, if it is up then."""
    def act() -> None:
        if sim.status(node) == "up":
            sim.nodes[node].resign()
    sim.at(check_number("at", at, minimum=0.0), act)


def pause_after_renewal(sim: Simulator, node: Any, duration: float,
                        within: float = 1000.0) -> FaultPlan:
    """Run until ``node`` next sends its renewal, then pause it (clock frozen) for ``duration``.

    The worst moment for a pause: the renewal succeeds while the node is
    stalled, so when it resumes it believes it holds a fresh lease, which
    the store has long since given to someone else. Returns the pause as a
    ``FaultPlan``, to replay the run: in the plan the pause is due a hair
    after the renewal (the next float after it), because a plan's fault due
    at the very instant of a node's timer would run before the timer.
    """
    duration = check_number("duration", duration, minimum=0.0, strict_min=True)
    end = sim.now + check_number("within", within, minimum=0.0, strict_min=True)
    seen = len(sim.trace)
    while sim.now <= end and sim.step():
        fresh = sim.trace.live[seen:]
        seen += len(fresh)
        if any(kind == "timer" and where == node and data == "tick"
               for _t, kind, where, _p, _r, data in fresh):
            sim.pause(node, duration)
            return FaultPlan().pause(node, at=math.nextafter(sim.now, math.inf), duration=duration)
    raise ValueError(f"node={node!r} sent no renewal within {within:g} ms; is it the leader?")


def is_election_message(msg: Any) -> bool:
    """Acquiring (not renewing) is what an election costs with leases."""
    if isinstance(msg, (Acquire, Confirm)):
        return True
    return isinstance(msg, LeaseReply) and msg.kind in ("acquire", "confirm")


def lease_cluster(n: int = 3, seed: Seed = None, *, stores: int = 1, lease: float = 300.0,
                  storage: bool = True, fencing: bool = True, policy=None,
                  latency: Any = DEFAULT_LATENCY, **options: Any) -> Simulator:
    """``n`` electors ``n1..``, a lock store of ``stores`` replicas, and (optionally) a storage.

    Node ids: electors ``n1``..., store replicas ``lock`` (one) or
    ``lock1``... (several), the storage ``disk``.
    """
    check_int("n", n, minimum=1, maximum=99)
    check_int("stores", stores, minimum=1, maximum=9)
    lease = check_duration(lease)
    store_ids = ["lock"] if stores == 1 else [f"lock{i}" for i in range(1, stores + 1)]
    sim = Simulator(seed=seed, latency=latency)
    for s in store_ids:
        sim.add_node(LockReplica(s))
    if storage:
        sim.add_node(StorageNode("disk", fencing=fencing, policy=policy))
    for nid in server_ids(n):
        sim.add_node(LeaseElector(nid, store_ids, lease=lease,
                                  storage="disk" if storage else None, **options))
    return sim


__all__ = ["LOCK", "LeaseElector", "is_election_message", "lease_cluster", "pause_after_renewal",
           "resign_at"]
