"""The fault API: what a FaultPlan, a fault panel or a test does to a running system.

Every fault of the course is one method here, applied at the current virtual
time and recorded in the trace: crash, recover, remove a node, pause (with or
without freezing its clock), set a clock's skew and drift, symmetric and
one-way partitions, isolating a node, healing, and changing link settings.
``FaultPlan`` calls these same methods at the times it lists, so a plan, a
click and a test all go through one door. ``Simulator`` inherits them.
"""

from __future__ import annotations

from typing import Any, Iterable

from .events import CALL, DELIVER
from .validate import check_delay, check_known


class FaultAPI:
    """Mixed into ``Simulator``; uses its node table, clocks, network and trace."""

    def crash(self, node_id: Any) -> None:
        """Crash a node: it stops, loses all but its storage, misses its messages."""
        check_known("node_id", node_id, self._status)
        if self._status[node_id] in ("crashed", "departed"):
            return
        self._status[node_id] = "crashed"
        self._down.add(node_id)
        self._incarnation[node_id] += 1       # its pending timers die with it
        clock = self._clocks[node_id]
        if clock.frozen:
            clock.unfreeze(self.now)
        for event in self._held.pop(node_id, []):
            if event[2] == DELIVER:
                self._record("drop", event[4], node_id, event[6], "crashed")
        self._record("crash", node_id, None, None, None)

    def recover(self, node_id: Any) -> None:
        """Restart a crashed node: a fresh instance with its durable storage."""
        check_known("node_id", node_id, self._status)
        if self._status[node_id] != "crashed":
            return
        self._status[node_id] = "up"
        self._down.discard(node_id)
        fresh = self.nodes[node_id]._fresh_copy()
        self._install(fresh)
        self._record("recover", node_id, None, None, None)
        fresh.on_recover()

    def remove_node(self, node_id: Any) -> None:
        """The node leaves for good (decommissioned): it no longer counts as a peer."""
        check_known("node_id", node_id, self._status)
        self.crash(node_id)
        self._status[node_id] = "departed"
        self._sorted_ids = tuple(n for n in self._sorted_ids if n != node_id)
        self._record("fault", node_id, None, None, {"fault": "remove"})

    def pause(self, node_id: Any, duration: float, freeze_clock: bool = True) -> None:
        """Stall a node for ``duration`` ms (a GC pause, a VM migration).

        Messages and timers for it wait until it resumes. With
        ``freeze_clock`` its clock stands still meanwhile, so on resume it
        believes no time passed.
        """
        check_known("node_id", node_id, self._status)
        duration = check_delay("duration", duration)
        if self._status[node_id] != "up":
            return
        self._status[node_id] = "paused"
        self._down.add(node_id)
        self._held[node_id] = []
        if freeze_clock:
            self._clocks[node_id].freeze(self.now)
        self._record("pause", node_id, None, None, {"duration": duration,
                                                    "freeze_clock": freeze_clock})
        self._push(self.now + duration, CALL, self._resume, (node_id, self._incarnation[node_id]),
                   None, None)

    def _resume(self, node_id: Any, incarnation: int) -> None:
        if self._status[node_id] != "paused" or self._incarnation[node_id] != incarnation:
            return
        self._status[node_id] = "up"
        self._down.discard(node_id)
        self._clocks[node_id].unfreeze(self.now)
        self._record("resume", node_id, None, None, None)
        for event in self._held.pop(node_id, []):   # in the order they were due
            self._push(self.now, *event[2:])

    def set_clock(self, node_id: Any, skew: float | None = None,
                  drift: float | None = None) -> None:
        """Step a node's clock to ``skew`` ms off true time and/or set its drift rate."""
        check_known("node_id", node_id, self._status)
        clock = self._clocks[node_id]
        detail: dict = {"fault": "clock"}
        if skew is not None:
            clock.set_skew(self.now, skew)
            detail["skew"] = float(skew)
        if drift is not None:
            clock.set_drift(self.now, drift)
            detail["drift"] = float(drift)
        self._record("fault", node_id, None, None, detail)

    def partition(self, *groups: Iterable[Any]) -> None:
        """Cut every link between nodes of different groups, both ways.

        ``sim.partition(["a", "b"], ["c"])``. Nodes in no group keep their links.
        """
        groups = [self._check_group(f"groups[{i}]", g) for i, g in enumerate(groups)]
        if len(groups) < 2:
            raise ValueError(f"partition needs at least two groups, got {len(groups)}")
        seen: dict = {}
        for i, g in enumerate(groups):
            for n in g:
                if n in seen:
                    raise ValueError(f"node {n!r} is in groups[{seen[n]}] and groups[{i}]; "
                                     f"groups must be disjoint")
                seen[n] = i
        links = [(a, b) for i, g in enumerate(groups) for j, h in enumerate(groups)
                 if i != j for a in g for b in h]
        self.network.cut_links(links)
        self._record("fault", None, None, None,
                     {"fault": "partition", "groups": [sorted(g) for g in groups]})

    def partition_oneway(self, sources: Iterable[Any], targets: Iterable[Any]) -> None:
        """Cut the links from every node in ``sources`` to every node in ``targets`` only."""
        sources = self._check_group("sources", sources)
        targets = self._check_group("targets", targets)
        self.network.cut_links([(a, b) for a in sources for b in targets if a != b])
        self._record("fault", None, None, None, {"fault": "partition_oneway",
                                                 "sources": sorted(sources),
                                                 "targets": sorted(targets)})

    def isolate(self, node_id: Any) -> None:
        """Cut a node off from every other node, both ways."""
        check_known("node_id", node_id, self._status)
        others = [n for n in self._status if n != node_id]
        self.network.cut_links([(node_id, o) for o in others] + [(o, node_id) for o in others])
        self._record("fault", node_id, None, None, {"fault": "isolate"})

    def heal(self) -> None:
        """Restore every cut link."""
        self.network.heal()
        self._record("fault", None, None, None, {"fault": "heal"})

    def set_network(self, src: Any = None, dst: Any = None, **settings: Any) -> None:
        """Change link settings: the default for all links, or one directed link."""
        if (src is None) != (dst is None):
            raise ValueError("give both src and dst for one link, or neither for all links")
        if src is None:
            self.network.set_default(**settings)
        else:
            check_known("src", src, self._status)
            check_known("dst", dst, self._status)
            self.network.set_link(src, dst, **settings)
        detail = {"fault": "network", **{k: (v.to_dict() if hasattr(v, "to_dict") else v)
                                         for k, v in sorted(settings.items())}}
        if src is not None:
            detail["link"] = [src, dst]
        self._record("fault", None, None, None, detail)

    def _check_group(self, name: str, group: Iterable[Any]) -> list:
        if isinstance(group, (str, bytes)) or not isinstance(group, Iterable):
            raise TypeError(f"{name} must be a list of node ids, got {group!r}")
        group = list(group)
        for n in group:
            check_known(name, n, self._status)
        return group

