"""AP stores: always available, consistent only eventually.

Every node accepts every operation on its own copy (``r = w = 1``, and the
coordinator is a replica, so it never waits for a message), then replicates
in the background:

* the write is sent to the other replicas at once (asynchronous replication);
* a replica that did not acknowledge within ``timeout`` gets a *hint* the
  coordinator re-sends every ``handoff_interval`` ms (hinted handoff: the
  course text's "repair queue");
* answers that reach a read late repair stale replicas (read repair);
* with ``anti_entropy_interval`` every node also gossips its whole state to a
  random peer now and then, so replicas converge after a partition heals
  even for keys nobody touches.

``APRegisterNode`` resolves conflicts by last-writer-wins on the
coordinator's **local clock** (``LWWPolicy``), and its ``increment`` writes
``local value + 1``: this is the course text's ``APCounter`` made runnable
(``System.nanoTime()`` becomes ``ctx.clock()``). Both of its flaws show:
concurrent increments at two nodes write the same value and one is lost;
and a node whose clock runs behind writes values that lose to *older*
writes (course text, note 2).

``CRDTCounterNode`` stores a G-counter (or a PN-counter with ``pn=True``):
each node increments its own entry and merging takes entry-wise maxima, so
every increment survives any partition and any order of delivery.
"""

from __future__ import annotations

from typing import Any, Iterable

from .policies import CounterCRDTPolicy, LWWPolicy, Policy
from .quorum import QuorumNode

__all__ = ["APNode", "APRegisterNode", "CRDTCounterNode"]


class APNode(QuorumNode):
    """A quorum node with ``r = w = 1``, hinted handoff and read repair switched on."""

    def __init__(self, node_id: Any, replicas: Iterable[Any], policy: Policy, *,
                 timeout: float = 100.0, handoff_interval: float = 100.0,
                 anti_entropy_interval: float | None = None, **options: Any):
        for fixed in ("r", "w"):
            if fixed in options:
                raise TypeError(f"an AP node fixes {fixed}=1; use QuorumNode to choose it")
        options.setdefault("read_repair", True)
        options.setdefault("hinted_handoff", True)
        super().__init__(node_id, replicas, policy, r=1, w=1, timeout=timeout,
                         handoff_interval=handoff_interval,
                         anti_entropy_interval=anti_entropy_interval, **options)


class APRegisterNode(APNode):
    """Last-writer-wins register (and LWW "counter") on local-clock timestamps."""

    def __init__(self, node_id: Any, replicas: Iterable[Any], initial: Any = None, **options: Any):
        super().__init__(node_id, replicas, LWWPolicy(initial), **options)


class CRDTCounterNode(APNode):
    """A G-counter CRDT (PN-counter with ``pn=True``): no increment is ever lost."""

    def __init__(self, node_id: Any, replicas: Iterable[Any], pn: bool = False, **options: Any):
        super().__init__(node_id, replicas, CounterCRDTPolicy(pn=pn), **options)
