"""Small helpers shared by the fallacy experiments.

* ``build_sim``: a simulator with the experiment's nodes and fault plan
  (faults due at time 0 are in force before the nodes boot, so even the
  first message meets them: ``FaultPlan.apply`` applies faults due now at once).
* ``percentile`` and ``fraction_over``: the statistics the notebook quotes
  (p50, p99, p99.9; the share of requests a timeout would cut off).
* ``run_seed``: the integer that names a run, from a ``seed`` argument.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from ..sim import FaultPlan, Node, Simulator
from ..sim.rng import Seed, seed_value
from ..sim.validate import check_number


def run_seed(seed: Seed) -> int:
    """The integer naming a run (``None`` is the course default, 0)."""
    return seed_value(seed)


def check_plan(plan: Any) -> FaultPlan:
    if plan is None:
        return FaultPlan()
    if not isinstance(plan, FaultPlan):
        raise TypeError(f"plan must be a dscourse.sim.FaultPlan or None, got {plan!r} "
                        f"of type {type(plan).__name__}")
    return plan


def build_sim(seed: Seed, nodes: Iterable[Node], plan: FaultPlan | None = None,
              **network: Any) -> Simulator:
    """A simulator running ``nodes`` under ``plan``, with default link settings ``network``."""
    plan = check_plan(plan)
    sim = Simulator(seed=seed, **network)
    sim.add_nodes(nodes)
    plan.apply(sim)
    return sim


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100), interpolating linearly between ranks."""
    p = check_number("p", p, minimum=0.0, maximum=100.0)
    xs = sorted(values)
    if not xs:
        raise ValueError("values must not be empty: a percentile of nothing is undefined")
    pos = (len(xs) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def fraction_over(values: Sequence[float], limit: float) -> float:
    """The share of ``values`` strictly above ``limit`` (what a timeout of ``limit`` cuts off)."""
    if not values:
        raise ValueError("values must not be empty")
    return sum(1 for v in values if v > limit) / len(values)


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("values must not be empty")
    return math.fsum(values) / len(values)
