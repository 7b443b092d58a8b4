"""Exercise checks for the first notebook (00_start_here)."""

from __future__ import annotations

from typing import Any, Callable

from ..feedback import Feedback
from ..sim import FaultPlan, Simulator
from ..sim.validate import check_int

SEEDS = (0, 1, 2, 7, 42)     # the notebook shows seed 1; the check tries others too


def _suspected_by_all(sim: Simulator, target: Any) -> bool:
    others = [n for n in sim.node_ids if n != target]
    return all(target in sim.nodes[n].suspects for n in others if sim.is_up(n))


def _plan(make_plan: Callable[[], FaultPlan], fb: Feedback) -> FaultPlan | None:
    ok, plan = fb.call(make_plan)
    if not ok:
        return None
    if not isinstance(plan, FaultPlan):
        fb.problem = f"your function must return a FaultPlan, it returned {type(plan).__name__}"
        return None
    return plan


def check_fool_the_detector(make_plan: Callable[[], FaultPlan], build: Callable[[int], Simulator],
                            at: float = 600.0) -> Feedback:
    """Exercise: make every other node suspect n1 at time ``at`` without crashing n1."""
    fb = Feedback("Fool the failure detector", passed=False,
                  hint="a node that cannot be heard looks dead: cut it off instead of crashing it "
                       "(sim.isolate or a partition), early enough for the timeout to expire.")
    plan = _plan(make_plan, fb)
    if plan is None:
        return fb
    crashes = [f for f in plan if f.kind in ("crash", "pause")]
    if not fb.add("n1 is never crashed or paused", not any("n1" in f.nodes() for f in crashes)):
        fb.problem = "the plan crashes or pauses n1; the point is to fool the detector without that"
        return fb
    for seed in SEEDS:
        sim = build(seed)
        try:
            plan.apply(sim)
        except ValueError as exc:
            fb.problem = f"the plan does not fit the cluster: {exc}"
            return fb
        sim.run(until=at)
        if not _suspected_by_all(sim, "n1"):
            fb.add(f"seed {seed}: every other node suspects n1 at t={at:g}", False)
            believers = [n for n in sim.node_ids if n != "n1" and "n1" not in sim.nodes[n].suspects]
            fb.problem = (f"on seed {seed}, {', '.join(believers)} still trust(s) n1 at t={at:g}; "
                          f"the detector needs {sim.nodes['n2'].timeout:g} ms of silence")
            return fb
    fb.add(f"every other node suspects n1 at t={at:g} on seeds {', '.join(map(str, SEEDS))}", True)
    fb.passed = True
    return fb


def check_pause_is_not_a_crash(make_plan: Callable[[], FaultPlan], build: Callable[[int], Simulator],
                               until: float = 1500.0) -> Feedback:
    """Exercise: pause n2 so that it is suspected, and trusted again by ``until``."""
    fb = Feedback("A pause is not a crash", passed=False,
                  hint="plan.pause('n2', at=..., duration=...) with a duration longer than the "
                       "detector's timeout, ending well before the run does.")
    plan = _plan(make_plan, fb)
    if plan is None:
        return fb
    kinds = {f.kind for f in plan}
    if not fb.add("the plan pauses a node and crashes nothing", "pause" in kinds and "crash" not in kinds):
        fb.problem = f"the plan's faults are {sorted(kinds) or 'none'}; use only a pause"
        return fb
    for seed in SEEDS:
        sim = build(seed)
        plan.apply(sim)
        suspected = False
        step = 10.0
        t = 0.0
        while t < until:
            t = min(t + step, until)
            sim.run(until=t)
            suspected = suspected or _suspected_by_all(sim, "n2")
        trusted_at_end = all("n2" not in sim.nodes[n].suspects for n in sim.node_ids if n != "n2")
        if not suspected:
            fb.add(f"seed {seed}: n2 was suspected by everyone at some point", False)
            fb.problem = f"on seed {seed} nobody suspected n2: the pause is shorter than the timeout"
            return fb
        if not trusted_at_end:
            fb.add(f"seed {seed}: n2 is trusted again at t={until:g}", False)
            fb.problem = (f"on seed {seed} n2 is still suspected at t={until:g}: the pause must end "
                          f"early enough for heartbeats to flow again")
            return fb
    fb.add(f"n2 suspected, then trusted again, on seeds {', '.join(map(str, SEEDS))}", True)
    fb.passed = True
    return fb


def replay_digest(build: Callable[[int], Simulator], seed: int, plan: FaultPlan,
                  until: float) -> str:
    """The trace digest of one run: the fingerprint that pins a run's behaviour."""
    check_int("seed", seed)
    sim = build(seed)
    plan.apply(sim)
    sim.run(until=until)
    return sim.trace.digest()
