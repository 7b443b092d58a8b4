"""A seeded random nemesis: random fault plans, in the spirit of Jepsen.

``random_plan(nodes, seed, duration=...)`` draws faults at exponentially
distributed gaps (mean ``mean_gap`` ms) from the allowed ``kinds``:

* ``crash``: a node crashes and recovers (with its storage) after a random
  downtime; at most ``max_down`` nodes are down at once (by default a
  minority, so a majority-based protocol can still make progress);
* ``partition``: the nodes are split in two at random, healed later; one
  partition at a time;
* ``pause``: a node stalls (a GC pause) with its clock frozen;
* ``loss``: a burst of message loss, then back to ``base_loss``;
* ``duplicate``: a burst of duplication and reordering, then back to none;
* ``clock``: a node's clock is stepped by up to ``max_skew`` ms.

At ``duration`` everything is healed: crashed nodes recover, partitions heal
and loss returns to ``base_loss``, so a test can then check that the system
recovers. The plan is plain data: print it with ``plan.table()``.
"""

from __future__ import annotations

from typing import Any, Iterable

from .faults import FaultPlan
from .rng import Seed, make_rng
from .validate import check_delay, check_int, check_node_id, check_number, check_probability

KINDS = ("crash", "partition", "pause", "loss", "duplicate", "clock")


def random_plan(nodes: Iterable[Any], seed: Seed = None, *, duration: float = 5000.0,
                start: float = 0.0, mean_gap: float = 300.0,
                kinds: Iterable[str] = ("crash", "partition", "pause", "loss"),
                max_down: int | None = None, downtime: tuple = (100.0, 1000.0),
                pause_time: tuple = (50.0, 500.0), loss: tuple = (0.1, 0.5),
                base_loss: float = 0.0, max_skew: float = 200.0) -> FaultPlan:
    """A random fault plan over ``nodes`` from ``start`` to ``start + duration``."""
    if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
        raise TypeError(f"nodes must be a list of node ids, got {nodes!r}")
    nodes = sorted(check_node_id("nodes", n) for n in nodes)
    if not nodes:
        raise ValueError("nodes must name at least one node")
    duration = check_number("duration", duration, minimum=0.0, strict_min=True)
    start = check_delay("start", start)
    mean_gap = check_number("mean_gap", mean_gap, minimum=0.0, strict_min=True)
    kinds = list(kinds)
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"kinds may only contain {KINDS}, got {k!r}")
    if not kinds:
        raise ValueError(f"kinds must name at least one of {KINDS}")
    if max_down is None:
        max_down = (len(nodes) - 1) // 2
    check_int("max_down", max_down, minimum=0, maximum=len(nodes))
    for name, (lo, hi) in (("downtime", downtime), ("pause_time", pause_time)):
        check_delay(f"{name}[0]", lo)
        check_delay(f"{name}[1]", hi)
        if hi < lo:
            raise ValueError(f"{name} must be (low, high) with low <= high, got {(lo, hi)}")
    check_probability("loss[0]", loss[0])
    check_probability("loss[1]", loss[1])
    check_probability("base_loss", base_loss)
    check_delay("max_skew", max_skew)

    rng = make_rng(seed)
    plan = FaultPlan()
    end = start + duration
    down: dict[Any, float] = {}          # node -> time it comes back
    partition_until = 0.0
    disturbance_until = 0.0
    t = start
    while True:
        t += rng.expovariate(1.0 / mean_gap)
        if t >= end:
            break
        down = {n: back for n, back in down.items() if back > t}
        kind = rng.choice(kinds)
        if kind == "crash":
            up = [n for n in nodes if n not in down]
            if len(down) >= max_down or not up:
                continue
            node = rng.choice(up)
            back = min(t + rng.uniform(*downtime), end)
            plan.crash(node, at=t).recover(node, at=back)
            down[node] = back
        elif kind == "partition":
            if t < partition_until or len(nodes) < 2:
                continue
            shuffled = nodes[:]
            rng.shuffle(shuffled)
            cut = rng.randint(1, len(nodes) - 1)
            partition_until = min(t + rng.uniform(*downtime), end)
            plan.partition(sorted(shuffled[:cut]), sorted(shuffled[cut:]), at=t)
            plan.heal(at=partition_until)
        elif kind == "pause":
            node = rng.choice(nodes)
            plan.pause(node, at=t, duration=rng.uniform(*pause_time))
        elif kind in ("loss", "duplicate"):
            if t < disturbance_until:
                continue
            disturbance_until = min(t + rng.uniform(*downtime), end)
            if kind == "loss":
                plan.set_network(at=t, loss=round(rng.uniform(*loss), 3))
                plan.set_network(at=disturbance_until, loss=base_loss)
            else:
                plan.set_network(at=t, duplicate=0.2, reorder=0.3)
                plan.set_network(at=disturbance_until, duplicate=0.0, reorder=0.0)
        elif kind == "clock":
            node = rng.choice(nodes)
            plan.clock(node, at=t, skew=round(rng.uniform(-max_skew, max_skew), 3))
    return plan
