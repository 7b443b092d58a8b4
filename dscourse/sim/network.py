"""The network: where every message's fate is decided.

A message handed to the network on ``send`` meets, in this order,

1. a **cut link** (a partition, symmetric or one-way): dropped, reason ``partition``;
2. the **bandwidth queue** of its directed link, if the link has a finite
   bandwidth: it waits for the messages ahead of it, then takes
   ``size / bandwidth`` to transmit; past ``queue_limit`` waiting messages it
   is dropped, reason ``queue full``;
3. **loss** with probability ``loss``: dropped, reason ``loss``;
4. **latency**, sampled from the link's distribution, plus, with probability
   ``reorder``, an extra uniform delay of up to ``reorder_delay`` (so later
   messages overtake it);
5. **duplication** with probability ``duplicate``: a second copy with its own
   latency.

At the delivery point, a message whose link has been cut meanwhile, or whose
receiver has crashed, is dropped. Links are directed: ``(a, b)`` is a to b.
Every setting has a default for all links and optional per-link overrides.

All randomness comes from the network's own seeded stream, in send order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, fields, replace
from typing import Any, Iterable

from .latency import Latency, Uniform, as_latency
from .trace import canonical
from .validate import check_delay, check_int, check_number, check_probability


@dataclass(frozen=True)
class LinkConfig:
    """The behaviour of a directed link (or the default for all links)."""
    latency: Latency = Uniform(1.0, 10.0)
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_delay: float = 50.0
    bandwidth: float | None = None     # bytes per ms; None = unlimited
    queue_limit: int | None = None     # messages waiting; None = unbounded

    def __post_init__(self):
        object.__setattr__(self, "latency", as_latency("latency", self.latency))
        check_probability("loss", self.loss)
        check_probability("duplicate", self.duplicate)
        check_probability("reorder", self.reorder)
        check_delay("reorder_delay", self.reorder_delay)
        if self.bandwidth is not None:
            check_number("bandwidth", self.bandwidth, minimum=0.0, strict_min=True)
        if self.queue_limit is not None:
            check_int("queue_limit", self.queue_limit, minimum=1)
        # True when only latency applies: the send path's fast lane.
        object.__setattr__(self, "simple", self.loss == 0 and self.duplicate == 0
                           and self.reorder == 0 and self.bandwidth is None)

    def changed(self, **changes: Any) -> "LinkConfig":
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise TypeError(f"unknown link setting(s) {sorted(unknown)}; allowed: {sorted(names)}")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["latency"] = self.latency.to_dict()
        return out


def message_size(msg: Any) -> int:
    """Bytes a message takes on the wire: ``msg.size_bytes`` if it has one,
    else the length of its canonical text (a stand-in for a serialisation)."""
    size = getattr(msg, "size_bytes", None)
    if size is not None:
        return int(size)
    return len(canonical(msg).encode())


class Network:
    def __init__(self, rng, **defaults: Any) -> None:
        self.rng = rng
        self.default = LinkConfig(**defaults)
        self.links: dict[tuple, LinkConfig] = {}
        self.cut: set[tuple] = set()
        self._busy: dict[tuple, float] = {}
        self._queues: dict[tuple, deque] = {}
        self._refresh()

    def _refresh(self) -> None:
        # The fast lane: no overrides, no cuts, latency only. Then a send is
        # one latency sample and nothing else can happen to the message.
        self.fast = not self.links and not self.cut and self.default.simple
        self.sample = self.default.latency.sampler(self.rng)

    # -- configuration ---------------------------------------------------------
    def config(self, src: Any, dst: Any) -> LinkConfig:
        return self.links.get((src, dst), self.default)

    def set_default(self, **changes: Any) -> None:
        self.default = self.default.changed(**changes)
        self._refresh()

    def set_link(self, src: Any, dst: Any, **changes: Any) -> None:
        self.links[(src, dst)] = self.config(src, dst).changed(**changes)
        self._refresh()

    def clear_link(self, src: Any, dst: Any) -> None:
        self.links.pop((src, dst), None)
        self._refresh()

    def cut_links(self, links: Iterable[tuple]) -> None:
        self.cut.update(links)
        self._refresh()

    def heal(self, links: Iterable[tuple] | None = None) -> None:
        if links is None:
            self.cut.clear()
        else:
            self.cut.difference_update(links)
        self._refresh()

    def is_cut(self, src: Any, dst: Any) -> bool:
        return (src, dst) in self.cut

    # -- the send path -----------------------------------------------------------
    def transmit(self, src: Any, dst: Any, msg: Any, now: float):
        """Decide a message's fate: a drop reason (str) or a list of arrival times."""
        link = self.links.get((src, dst), self.default) if self.links else self.default
        if self.cut and (src, dst) in self.cut:
            return "partition"
        rng = self.rng
        if link.simple:
            return [now + link.latency.sample(rng)]
        depart = now
        if link.bandwidth is not None:
            key = (src, dst)
            queue = self._queues.setdefault(key, deque())
            while queue and queue[0] <= now:
                queue.popleft()
            if link.queue_limit is not None and len(queue) >= link.queue_limit:
                return "queue full"
            depart = max(now, self._busy.get(key, now)) + message_size(msg) / link.bandwidth
            self._busy[key] = depart
            queue.append(depart)
        if link.loss and rng.random() < link.loss:
            return "loss"
        arrivals = [depart + self._delay(link)]
        if link.duplicate and rng.random() < link.duplicate:
            arrivals.append(depart + self._delay(link))
        return arrivals

    def _delay(self, link: LinkConfig) -> float:
        delay = link.latency.sample(self.rng)
        if link.reorder and self.rng.random() < link.reorder:
            delay += link.reorder_delay * self.rng.random()
        return delay

    def queue_length(self, src: Any, dst: Any, now: float) -> int:
        """Messages waiting for (or in) transmission on a bandwidth-limited link."""
        queue = self._queues.get((src, dst), ())
        return sum(1 for depart in queue if depart > now)
