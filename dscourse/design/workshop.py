"""Instructor mode: shared scenarios the whole room replays, and notes on which seeds fail how.

**Shared scenarios.** ``(seed, FaultPlan)`` determines a run, so a room
replays the same run if everyone builds the same scenario with the same seed
and the same plan. The plans are data, in ``data/workshop/<name>.json``
(``FaultPlan.to_json`` format); ``shared_scenario(name)`` loads one and
returns ``(build, seed, plan)``::

    build, seed, plan = shared_scenario("raft-leader-crash")
    sim = build(seed); plan.apply(sim); sim.run(until=3000)
    # or: FaultPanel(build=build, seed=seed, plan=plan, horizon=3000)

Some plans depend on the run (crash *the leader*: which node leads depends on
the seed), so each scenario also has the code that makes its plan
(``make_plan``); ``python -m dscourse.design.workshop plans`` rewrites the
files and ``tests/test_design_workshop.py`` checks that the stored files
equal what the code makes, and that each scenario shows what it claims.

**Seed notes.** ``seed_notes(seeds)`` runs each notebook's main demonstration
on every seed and lists which seeds show the failure (split votes, duplicated
effects, lost messages, oversells, ...). ``docs/workshop.md`` includes the
rendered table between two markers; the test recomputes it and compares, so
the guide cannot go stale (``python -m dscourse.design.workshop notes``
prints the current table).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..consensus.paxos_runs import duel, first_decision
from ..consensus.raft import election_trial
from ..election import algorithm, compare, leaders_at, lease_cluster, pause_after_renewal
from ..election.harness import Scenario
from ..election.raft_based import raft_cluster
from ..queues.sim import DEMO, SWEEP, build_pipeline, crash_schedule, demo_schedule, run_audited
from ..replication.client import Workload
from ..replication.experiments import REGISTER_MIX, build, partition_plan
from ..sim import FaultPlan, Simulator
from ..sim.table import TextTable, format_table
from ..sim.validate import check_choice
from .inventory import inventory_sim, run_inventory

__all__ = ["SharedScenario", "SCENARIOS", "shared_scenario", "scenario_info", "plan_path",
           "PLAN_DIR", "write_plans", "SeedNote", "seed_notes", "notes_table", "notes_markdown",
           "NOTES_BEGIN", "NOTES_END", "NOTE_SEEDS"]

PLAN_DIR = Path(__file__).resolve().parents[2] / "data" / "workshop"


def _cap_build(seed: int) -> Simulator:
    return build("lww", 3, seed=seed, workload=Workload(mix=REGISTER_MIX, count=1000), stop=1300.0,
                 anti_entropy_interval=100.0)


def _raft_plan(seed: int) -> FaultPlan:
    sim = raft_cluster(5, seed)
    sim.run(until=1000.0)
    (leader, _term), = leaders_at(sim.trace, 1000.0)
    return FaultPlan().crash(leader, at=1000.0).recover(leader, at=2000.0)


def _lease_build(seed: int) -> Simulator:
    return lease_cluster(3, seed, fencing=False)


def _lease_plan(seed: int) -> FaultPlan:
    sim = _lease_build(seed)
    sim.run(until=1000.0)
    (leader, _term), = leaders_at(sim.trace, 1000.0)
    # the plan is due a hair after the renewal, so that replayed it pauses the node
    # after its renewal, as the live run did (see pause_after_renewal)
    return pause_after_renewal(sim, leader, 800.0)


@dataclass(frozen=True)
class SharedScenario:
    name: str
    notebook: str              # where it is taught ("06")
    build: Callable[[int], Simulator]
    seed: int
    horizon: float             # run (or set the fault panel's horizon) to here, ms
    make_plan: Callable[[int], FaultPlan]
    look_for: str              # what the room should see


SCENARIOS = {s.name: s for s in (
    SharedScenario("cap-partition", "02", _cap_build, 1, 2000.0,
                   lambda seed: partition_plan(3, 400.0, 900.0),
                   "n1 and its client cut off from 400 to 900 ms: every operation still "
                   "succeeds on both sides, and c1 reads stale values (last-writer-wins, AP)"),
    SharedScenario("raft-leader-crash", "06", lambda seed: raft_cluster(5, seed), 1, 3000.0,
                   _raft_plan,
                   "the leader crashes at 1000 ms; a new leader within a few hundred ms, in a "
                   "higher term; the old one rejoins as a follower at 2000 ms"),
    SharedScenario("queue-crashes", "07",
                   lambda seed: build_pipeline(seed, guarantee="at-least-once", **DEMO).sim, 1,
                   3000.0, lambda seed: demo_schedule(),
                   "both consumers crash mid-batch, messages are lost for a while, the "
                   "producer retries: at-least-once repeats some effects, loses none"),
    SharedScenario("lease-pause", "09", _lease_build, 1, 2500.0, _lease_plan,
                   "the lease holder pauses right after renewing, for longer than the lease; "
                   "another node takes over; the old one wakes up still believing, and "
                   "(without fencing) its writes land after the new leader's"),
    SharedScenario("inventory-partition", "10", lambda seed: inventory_sim("ap-check", seed), 1,
                   2000.0, lambda seed: partition_plan(3, 100.0, 700.0),
                   "AP tills check their own replica's count: both sides of the partition "
                   "sell the last units, and the store ends above the stock"),
)}


def scenario_info(name: str) -> SharedScenario:
    check_choice("name", name, sorted(SCENARIOS))
    return SCENARIOS[name]


def plan_path(name: str, directory: Path | None = None) -> Path:
    scenario_info(name)
    return (PLAN_DIR if directory is None else Path(directory)) / f"{name}.json"


def shared_scenario(name: str, directory: Path | None = None) -> tuple:
    """``(build, seed, plan)`` of the shared scenario ``name``, its plan loaded from data."""
    s = scenario_info(name)
    path = plan_path(name, directory)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; regenerate it with "
                                f"python -m dscourse.design.workshop plans")
    return s.build, s.seed, FaultPlan.load(path)


def write_plans(directory: Path | None = None) -> list[Path]:
    """(Re)make every scenario's plan file from its code."""
    out = []
    for name in sorted(SCENARIOS):
        s = SCENARIOS[name]
        path = plan_path(name, directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(s.make_plan(s.seed).to_json() + "\n")
        out.append(path)
    return out


# ----------------------------------------------------------------- seed notes
NOTE_SEEDS = range(1, 21)
NOTES_BEGIN = "<!-- seed-notes:begin (generated: python -m dscourse.design.workshop notes) -->"
NOTES_END = "<!-- seed-notes:end -->"


@dataclass(frozen=True)
class SeedNote:
    notebook: str
    demo: str                  # the call to make, with {seed}
    failure: str               # what "shows" means
    shows: tuple               # seeds that show it
    others: tuple              # seeds that do not
    detail: str = ""           # e.g. the worst seed


def seed_notes(seeds: Iterable[int] = NOTE_SEEDS,
               progress: Callable[[Iterable], Iterable] | None = None) -> list[SeedNote]:
    """Each demonstration on each seed: which seeds show the failure (see the module doc)."""
    seeds = list(seeds)
    notes = []

    def paxos():
        def decided_at(s):
            decided = first_decision(duel(backoff=20.0, seed=s))
            return float("inf") if decided is None else decided[0]
        times = {s: decided_at(s) for s in seeds}
        hit = tuple(s for s in seeds if times[s] > 50.0)
        worst = max(seeds, key=lambda s: (times[s], -s))
        notes.append(SeedNote("05", "duel(backoff=20.0, seed={seed})",
                              "duelling proposers need more than one round (first decision "
                              "after 50 ms)", hit, tuple(s for s in seeds if s not in hit),
                              f"slowest: seed {worst}, decided at {times[worst]:.0f} ms"))

    def raft():
        for low, high in ((150.0, 300.0), (150.0, 155.0)):
            runs = {s: election_trial((low, high), s) for s in seeds}
            hit = tuple(s for s in seeds if runs[s].split_votes)
            worst = max(seeds, key=lambda s: (runs[s].split_votes, -s))
            notes.append(SeedNote("06", f"election_trial(({low:g}, {high:g}), seed={{seed}})",
                                  "a split vote after the leader crash", hit,
                                  tuple(s for s in seeds if s not in hit),
                                  f"most: seed {worst}, {runs[worst].split_votes} split vote(s), "
                                  f"{runs[worst].downtime:.0f} ms without a leader"))

    def queues():
        audits = {}
        for s in seeds:
            plan = crash_schedule(s)
            audits[s] = (run_audited(s, plan, guarantee="at-least-once", **SWEEP)[1],
                         run_audited(s, plan, guarantee="at-most-once", **SWEEP)[1])
        dup = tuple(s for s in seeds if audits[s][0].duplicated)
        lost = tuple(s for s in seeds if audits[s][1].lost)
        call = "run_audited({seed}, crash_schedule({seed}), guarantee=G, **SWEEP)"
        notes.append(SeedNote("07", call.replace("G", '"at-least-once"'),
                              "a duplicated effect", dup, tuple(s for s in seeds if s not in dup)))
        notes.append(SeedNote("07", call.replace("G", '"at-most-once"'), "a lost message", lost,
                              tuple(s for s in seeds if s not in lost)))

    def election():
        c = compare([algorithm("lease"), algorithm("raft")], [Scenario("pause")], seeds=seeds)
        for name in ("lease", "raft"):
            trials = [t for t in c.trials if t.algorithm == name]
            hit = tuple(t.seed for t in trials if t.windows)
            longest = max(trials, key=lambda t: (t.split_brain, -t.seed))
            notes.append(SeedNote("09", f'run_trial(algorithm("{name}"), Scenario("pause"), {{seed}})',
                                  "two leaders at once (split brain) after the leader's pause",
                                  hit, tuple(t.seed for t in trials if t.seed not in hit),
                                  f"longest: seed {longest.seed}, {longest.split_brain:.0f} ms"
                                  if hit else ""))

    def inventory():
        runs = {s: run_inventory("ap-check", s, wants=(12, 12, 12), partition=None, think=2.0)
                for s in seeds}
        hit = tuple(s for s in seeds if runs[s].oversold)
        worst = max(seeds, key=lambda s: (runs[s].oversold, -s))
        notes.append(SeedNote("10", 'run_inventory("ap-check", {seed}, wants=(12, 12, 12), '
                              'partition=None, think=2.0)',
                              "an oversell with no fault at all (two tills read the same count)",
                              hit, tuple(s for s in seeds if s not in hit),
                              f"most: seed {worst}, {runs[worst].oversold} units"))

    steps = [paxos, raft, queues, election, inventory]
    for step in (progress(steps) if progress is not None else steps):
        step()
    return notes


def _seeds(seeds: tuple) -> str:
    return ", ".join(map(str, seeds)) if seeds else "none"


def notes_table(notes: list[SeedNote]) -> TextTable:
    return format_table(["nb", "demo", "failure", "seeds that show it", "seeds that do not"],
                        [(n.notebook, n.demo, n.failure, _seeds(n.shows), _seeds(n.others))
                         for n in notes])


def notes_markdown(notes: list[SeedNote]) -> str:
    """The notes as the Markdown table docs/workshop.md includes (between the markers)."""
    lines = [NOTES_BEGIN, "",
             "| notebook | demo (replace `{seed}`) | failure | seeds that show it | seeds that do not "
             "| worst |",
             "|---|---|---|---|---|---|"]
    for n in notes:
        lines.append(f"| {n.notebook} | `{n.demo}` | {n.failure} | {_seeds(n.shows)} | "
                     f"{_seeds(n.others)} | {n.detail or '-'} |")
    lines += ["", NOTES_END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["plans"]:
        for path in write_plans():
            print(f"wrote {path}")
        return 0
    if args == ["notes"]:
        print(notes_markdown(seed_notes()))
        return 0
    print("usage: python -m dscourse.design.workshop plans | notes", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
