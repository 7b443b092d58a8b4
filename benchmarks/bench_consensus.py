"""Raft on the simulator: elections per second and committed commands per second (wall clock).

Two workloads on a 5-server ``RaftCluster`` (election timeouts 150-300 ms,
heartbeats every 50 ms, one-way latency uniform 1-10 ms), invariant checks
off (the protocol's own speed), then on (what the tests pay):

* **elections**: ``repeated_elections`` crashes the leader as soon as it is
  elected and restarts the one crashed before it; each new leader is one
  election. Target: 10,000 elections in at most 3 s.
* **commits**: one client command at a time, each submitted when the
  leader has committed the one before (no batching: every command gets its
  own AppendEntries round to the four followers). Target: at least 10,000
  committed commands per second.

Prints the rates with the seeds used, then one line per target ending in
``ratio R`` (measured / target; above 1 meets it). Run it with
``python benchmarks/bench_consensus.py`` (``--quick`` for a smaller run).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dscourse.consensus.raft import RaftCluster  # noqa: E402
from dscourse.consensus.raft.timing import repeated_elections  # noqa: E402

ELECTION_TARGET = 10_000 / 3.0      # elections per second
COMMIT_TARGET = 10_000.0            # committed commands per second


def timed(fn):
    """Run ``fn``; return (wall-clock seconds, CPU seconds of this process, its result).

    The cyclic garbage collector is off meanwhile, as the simulator itself turns it
    off while it runs (the trace's hundreds of thousands of records would otherwise
    be rescanned between the many short runs the workloads make).
    """
    gc.collect()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        return time.perf_counter() - wall, time.process_time() - cpu, result
    finally:
        gc.enable()


def bench_elections(count: int, seed: int, check: bool) -> tuple[float, float, float]:
    wall, cpu, downtimes = timed(lambda: repeated_elections(count, seed=seed, check=check))
    return wall, cpu, sorted(downtimes)[len(downtimes) // 2]


def bench_commits(count: int, seed: int, check: bool) -> tuple[float, float]:
    c = RaftCluster(5, seed, check=check)
    leader = c.wait_for_leader()
    c.run(100)
    node = c.node(leader)
    sim = c.sim

    def work():
        for i in range(count):
            index = node.start(i).index
            while node.commit_index < index:    # run until this command commits
                sim.run(max_events=8)
    wall, cpu, _ = timed(work)
    assert node.commit_index == count and c.n_committed(count - 1)[0] >= 3 and not c.violations
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    elections = 1_000 if args.quick else 10_000
    commands = 2_000 if args.quick else 20_000
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Raft, 5 servers, seed {args.seed} (elections) and {args.seed + 1} (commits); "
          f"load average {load:.1f} on {os.cpu_count()} cores (rates: wall clock, and CPU time "
          f"of this process, which is what an idle machine would show)")
    rates = {}
    for check in (False, True):
        label = "invariants checked" if check else "no invariant checks"
        wall, cpu, median = bench_elections(elections, args.seed, check)
        print(f"  elections ({label}): {elections:,} in {wall:.2f} s wall, {cpu:.2f} s CPU = "
              f"{elections / wall:,.0f}/s wall, {elections / cpu:,.0f}/s CPU "
              f"(median time to elect: {median:.0f} ms virtual)")
        rates["elections", check] = (elections / wall, elections / cpu)
        wall, cpu = bench_commits(commands, args.seed + 1, check)
        print(f"  commits   ({label}): {commands:,} in {wall:.2f} s wall, {cpu:.2f} s CPU = "
              f"{commands / wall:,.0f}/s wall, {commands / cpu:,.0f}/s CPU")
        rates["commits", check] = (commands / wall, commands / cpu)
    e_wall, e_cpu = rates["elections", False]
    c_wall, c_cpu = rates["commits", False]
    print(f"target 10,000 elections in <= 3 s: {10_000 / e_wall:.2f} s wall "
          f"({10_000 / e_cpu:.2f} s CPU), ratio {e_wall / ELECTION_TARGET:.2f} "
          f"(CPU {e_cpu / ELECTION_TARGET:.2f})")
    print(f"target >= 10,000 committed commands/s: {c_wall:,.0f}/s wall ({c_cpu:,.0f}/s CPU), "
          f"ratio {c_wall / COMMIT_TARGET:.2f} (CPU {c_cpu / COMMIT_TARGET:.2f})")


if __name__ == "__main__":
    main()
