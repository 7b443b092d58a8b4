"""A lock store that grants leases, with fencing tokens: the course text's ``DistributedLockStore``.

``LockTable`` is the store's logic, with time passed in (so it is tested
without a simulator). A **lease** is a lock granted to one holder for a
duration, measured on the *store's* clock:

* ``try_acquire(lock, holder, duration, now)`` grants the lock if it is free
  or its lease has expired, and returns a ``Grant``; otherwise ``None``.
  Every grant carries a **fencing token**: a number larger than any token
  this store issued before. A renewal keeps the token; a new grant (even to
  the same holder after its lease lapsed) gets a new, larger one.
* ``renew(lock, holder, duration, now, token)`` extends the holder's lease.
  Renewing a lease one does not hold (never acquired, expired, released, or
  taken over by someone else) raises ``LeaseError``: the caller must stop
  acting as the holder and acquire again.
* ``release(lock, holder, now, token)`` frees it; releasing twice raises.

``LockReplica`` is a simulator node serving one ``LockTable`` over messages.
One replica is the single-node store of the first cells. Several replicas
make a small replicated store, in which the *client* (``lease.LeaseElector``)
needs a majority:

1. ``Acquire`` to every replica; each grants independently (reserving the
   lock on its own clock) and answers ``Granted`` with its own token.
2. With a majority of grants the client takes the largest token ``t`` and
   sends ``Confirm(t)`` to the replicas that granted; each raises its token
   counter to at least ``t`` (``LockTable.confirm``), but only if the lock is
   still reserved for that client. The client holds the lease once a majority
   confirmed.

Why the second round: the next holder's grants come from a majority, which
shares a replica with the majority that confirmed ``t``, and that replica
can only issue tokens above ``t``. Majorities intersect, so tokens increase
from one holder to the next even though no replica sees every grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import Node
from ..sim.validate import check_int, check_node_id, check_number


class LeaseError(ValueError):
    """A lease operation by someone who does not hold the lease (or a bad duration)."""


@dataclass(frozen=True)
class Grant:
    """A lease: ``holder`` holds ``lock`` until ``expires`` (store clock), fenced by ``token``."""
    lock: str
    holder: Any
    token: int
    expires: float


def check_duration(duration: Any) -> float:
    """A lease must last some time: a number of ms greater than zero."""
    return check_number("duration", duration, minimum=0.0, strict_min=True)


def _check_lock(lock: Any) -> str:
    if not isinstance(lock, str) or not lock:
        raise TypeError(f"lock must be a non-empty string (the lock's name), got {lock!r}")
    return lock


class LockTable:
    """Leases on named locks, with fencing tokens; time is passed in as ``now`` (ms)."""

    def __init__(self) -> None:
        self.grants: dict[str, Grant] = {}
        self.last_token = 0                   # the largest token issued or confirmed

    def holder(self, lock: str, now: float) -> Grant | None:
        """The current, unexpired grant of ``lock``, or None."""
        grant = self.grants.get(_check_lock(lock))
        if grant is None or now >= grant.expires:
            return None
        return grant

    def try_acquire(self, lock: str, holder: Any, duration: float, now: float) -> Grant | None:
        """Grant ``lock`` to ``holder`` if nobody else holds it now; None if someone does.

        A holder that asks again while its lease runs gets a fresh grant (a new
        token): it evidently no longer counts on the old one.
        """
        check_node_id("holder", holder)
        duration = check_duration(duration)
        current = self.holder(lock, now)
        if current is not None and current.holder != holder:
            return None
        self.last_token += 1
        grant = Grant(lock, holder, self.last_token, now + duration)
        self.grants[lock] = grant
        return grant

    def _held(self, lock: str, holder: Any, now: float, token: int | None, verb: str) -> Grant:
        grant = self.grants.get(_check_lock(lock))
        if grant is None or grant.holder != holder or (token is not None and grant.token != token):
            if grant is None:
                why = "nobody holds it (released already, or never acquired)"
            elif grant.holder != holder:
                why = f"it was granted to {grant.holder!r} (token {grant.token})"
            else:
                why = f"the lease {holder!r} holds now has token {grant.token}, not {token}"
            raise LeaseError(f"{holder!r} cannot {verb} lock {lock!r}: {why}; acquire it first")
        if now >= grant.expires:
            raise LeaseError(f"{holder!r} cannot {verb} lock {lock!r}: its lease (token "
                             f"{grant.token}) expired at {grant.expires:g}, it is now {now:g}; "
                             f"acquire it again")
        return grant

    def renew(self, lock: str, holder: Any, duration: float, now: float,
              token: int | None = None) -> Grant:
        """Extend ``holder``'s lease to ``now + duration`` (same token); LeaseError if not held."""
        duration = check_duration(duration)
        grant = self._held(lock, holder, now, token, "renew")
        grant = Grant(lock, holder, grant.token, now + duration)
        self.grants[lock] = grant
        return grant

    def release(self, lock: str, holder: Any, now: float, token: int | None = None) -> None:
        """Free ``lock``; LeaseError if ``holder`` does not hold it (e.g. released twice)."""
        self._held(lock, holder, now, token, "release")
        del self.grants[lock]

    def confirm(self, lock: str, holder: Any, token: int, now: float) -> Grant:
        """Second round of the replicated store: adopt ``token`` (the largest of a majority)."""
        check_int("token", token, minimum=1)
        grant = self._held(lock, holder, now, None, "confirm")
        self.last_token = max(self.last_token, token)
        grant = Grant(lock, holder, token, grant.expires)
        self.grants[lock] = grant
        return grant


# ---------------------------------------------------------------- messages
@dataclass(frozen=True)
class Acquire:
    lock: str
    duration: float
    attempt: int          # the client's request number, echoed in the reply


@dataclass(frozen=True)
class Confirm:
    lock: str
    token: int
    attempt: int


@dataclass(frozen=True)
class Renew:
    lock: str
    duration: float
    token: int
    attempt: int


@dataclass(frozen=True)
class Release:
    lock: str
    token: int
    attempt: int


@dataclass(frozen=True)
class LeaseReply:
    """A replica's answer: ``ok`` with the grant's token, or a refusal and why."""
    kind: str             # "acquire" | "confirm" | "renew" | "release"
    attempt: int
    ok: bool
    token: int = 0
    reason: str = ""


class LockReplica(Node):
    """A lock-store server: one ``LockTable``, judged by this server's own clock.

    Its table lives in ``ctx.storage``: a replica that crashes and recovers
    remembers its grants and its token counter (forgetting the counter would
    let it issue an old token again).
    """

    def on_start(self) -> None:
        self.table: LockTable = self.ctx.storage.setdefault("locks", LockTable())

    def _reply(self, src: Any, kind: str, attempt: int, fn) -> None:
        try:
            grant = fn()
        except LeaseError as exc:
            self.ctx.log(str(exc))
            self.ctx.send(src, LeaseReply(kind, attempt, False, reason=str(exc)))
            return
        if grant is None and kind == "acquire":
            self.ctx.send(src, LeaseReply(kind, attempt, False, reason="held by someone else"))
            return
        token = grant.token if grant is not None else 0
        self.ctx.send(src, LeaseReply(kind, attempt, True, token=token))

    def on_acquire(self, src: Any, msg: Acquire) -> None:
        now = self.ctx.clock()
        self._reply(src, "acquire", msg.attempt,
                    lambda: self.table.try_acquire(msg.lock, src, msg.duration, now))

    def on_confirm(self, src: Any, msg: Confirm) -> None:
        now = self.ctx.clock()
        self._reply(src, "confirm", msg.attempt,
                    lambda: self.table.confirm(msg.lock, src, msg.token, now))

    def on_renew(self, src: Any, msg: Renew) -> None:
        now = self.ctx.clock()
        self._reply(src, "renew", msg.attempt,
                    lambda: self.table.renew(msg.lock, src, msg.duration, now, msg.token))

    def on_release(self, src: Any, msg: Release) -> None:
        now = self.ctx.clock()
        self._reply(src, "release", msg.attempt,
                    lambda: self.table.release(msg.lock, src, now, msg.token))
