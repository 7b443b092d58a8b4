"""Local clocks: there is no global clock.

The simulator keeps true virtual time (``sim.now``) to order events, but a node
never sees it. A node reads its own clock, which differs from true time by

* an **offset** (skew): the clock reads ``offset`` ms ahead (or behind, if
  negative). Setting a new skew makes the clock jump, as NTP stepping it does.
* a **drift rate**: the clock advances ``1 + drift`` ms per true ms. Quartz
  crystals drift by tens of parts per million; the course exaggerates so the
  effect shows within a short run.
* a **freeze**: while a node is paused with a frozen clock (a VM suspended,
  a long GC pause as the process perceives it), its clock stands still, so on
  resume the node believes no time has passed.

Two readings come from one clock:

* ``monotonic(now)`` drives the node's timers; it obeys drift and freezes but
  not skew steps (operating systems run timers off a monotonic clock).
* ``read(now)`` (what ``ctx.clock()`` returns) is ``monotonic`` plus the skew.
"""

from __future__ import annotations

from .validate import check_number


class LocalClock:
    __slots__ = ("_base_true", "_base_mono", "rate", "offset", "_frozen_rate")

    def __init__(self, now: float = 0.0):
        self._base_true = now
        self._base_mono = now
        self.rate = 1.0
        self.offset = 0.0
        self._frozen_rate = None

    def monotonic(self, now: float) -> float:
        return self._base_mono + (now - self._base_true) * self.rate

    def read(self, now: float) -> float:
        return self._base_mono + (now - self._base_true) * self.rate + self.offset

    @property
    def drift(self) -> float:
        rate = self.rate if self._frozen_rate is None else self._frozen_rate
        return rate - 1.0

    @property
    def frozen(self) -> bool:
        return self._frozen_rate is not None

    def _rebase(self, now: float) -> None:
        self._base_mono = self.monotonic(now)
        self._base_true = now

    def set_skew(self, now: float, offset: float) -> None:
        """Make the clock read ``offset`` ms away from its drift-only reading."""
        self.offset = check_number("offset", offset)

    def set_drift(self, now: float, drift: float) -> None:
        """From ``now`` on, advance ``1 + drift`` ms per true ms (drift > -1)."""
        drift = check_number("drift", drift, minimum=-1.0, strict_min=True)
        self._rebase(now)
        if self._frozen_rate is not None:
            self._frozen_rate = 1.0 + drift
        else:
            self.rate = 1.0 + drift

    def freeze(self, now: float) -> None:
        if self._frozen_rate is None:
            self._rebase(now)
            self._frozen_rate = self.rate
            self.rate = 0.0

    def unfreeze(self, now: float) -> None:
        if self._frozen_rate is not None:
            self._rebase(now)
            self.rate = self._frozen_rate
            self._frozen_rate = None

    def true_delay(self, now: float, local_delay: float) -> float:
        """True time until the monotonic clock has advanced by ``local_delay``."""
        rate = self.rate if self.rate > 0 else (self._frozen_rate or 1.0)
        return local_delay / rate

    def __repr__(self) -> str:
        return (f"LocalClock(offset={self.offset:g}, drift={self.drift:g}, "
                f"frozen={self.frozen})")
