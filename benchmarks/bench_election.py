"""Leader election: the comparison harness over many seeds, and how fast it runs.

Runs every algorithm (bully, Raft, lease, ZooKeeper recipe; five nodes) under
every fault (crash, 1 s pause, 1 s isolation of the leader) on ``--seeds``
seeds, prints the comparison table the notebook shows (with more seeds), the
bully's worst/best-case message ratio for n = 5 and 10, the herd's
notifications per leader change against the predecessor recipe's, and the
harness's speed in trials per second. Run it with ``python benchmarks/bench_election.py``.
"""

from __future__ import annotations

import argparse
import time

from dscourse.election import compare, leaders_at, worst_and_best_case, zk_cluster
from dscourse.election.zookeeper import watch_notifications


def herd_ratio(n: int, seed: int) -> float:
    counts = {}
    for mode in ("predecessor", "herd"):
        sim = zk_cluster(n, seed, mode=mode)
        sim.run(until=800)
        (leader, _), = leaders_at(sim.trace, 800)
        before = watch_notifications(sim)
        sim.crash(leader)
        sim.run(until=1600)
        counts[mode] = watch_notifications(sim) - before
    return counts["herd"] / counts["predecessor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    args = parser.parse_args()
    t0 = time.perf_counter()
    comparison = compare(seeds=range(args.seeds))
    elapsed = time.perf_counter() - t0
    print(comparison.table())
    print(f"\nharness: {len(comparison.trials)} trials in {elapsed:.1f} s, "
          f"{len(comparison.trials) / elapsed:.0f} trials/s")
    small, big = worst_and_best_case(5), worst_and_best_case(10)
    print(f"bully worst/best messages: n=5 ratio {small['worst'] / small['best']:.1f}, "
          f"n=10 ratio {big['worst'] / big['best']:.1f}; worst case 10 vs 5 nodes: ratio "
          f"{big['worst'] / small['worst']:.2f}")
    for n in (5, 9):
        print(f"herd vs predecessor notifications per leader change, {n} candidates: ratio "
              f"{herd_ratio(n, 1):.0f}")


if __name__ == "__main__":
    main()
