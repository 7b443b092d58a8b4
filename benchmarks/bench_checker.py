"""Benchmark: how fast does the linearizability checker decide?

Generated register histories of 1,000 and 10,000 operations over 5 processes
(linearizable, and with one certainly-stale read; without and with 5% of
operations of unknown outcome), and a 50-process key-value history with one
bad key. Each history is generated first (not timed), then checked; the best
of ``--repeat`` runs is reported, as wall-clock seconds and as CPU seconds of
this process (the machine may be shared: CPU time is the steadier figure).

"find" is the search alone (``explain=False``); "explain" adds finding the
smallest window. Targets (from the issue): the 10,000-operation register
history in under 0.5 s; the bad key of the 50-process history in well under
a second.

    python benchmarks/bench_checker.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from dscourse.checkers import KVMap, Register, check_linearizable, corrupt_read, kv_history, register_history
from dscourse.sim.table import format_table


def measure(history, model, repeat, **kwargs):
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = check_linearizable(history, model, **kwargs)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return result, best_wall, best_cpu


def cases():
    for n in (1_000, 10_000):
        for info in (0.0, 0.05):
            h = register_history(n, 5, seed=11, info_rate=info)
            label = f"register {n:,} ops, 5 procs, info {info:.0%}"
            yield label + ", linearizable", h, Register(), None
            bad, index = corrupt_read(h, seed=5)
            yield label + f", stale read at event {index}", bad, Register(), None
    kv = kv_history(10_000, 50, keys=20, seed=7)
    yield "kv 10,000 ops, 50 procs, 20 keys, linearizable", kv, KVMap(), None
    bad, index = corrupt_read(kv, seed=3, model=KVMap(), key="k13")
    yield f"kv 10,000 ops, 50 procs, 20 keys, bad key k13 (event {index})", bad, KVMap(), "k13"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    targets = []
    for label, history, model, bad_key in cases():
        n_ops = len(history.operations())
        found, wall, cpu = measure(history, model, args.repeat, explain=False)
        row = [label, str(found.valid), found.steps, f"{wall:.3f}", f"{cpu:.3f}",
               f"{n_ops / max(cpu, 1e-9):,.0f}"]
        if found.valid is False:
            explained, wall_e, cpu_e = measure(history, model, args.repeat)
            row += [f"{wall_e:.3f}", f"{cpu_e:.3f}", len(explained.window)]
            if bad_key is not None:
                assert explained.key == bad_key, explained.key
        else:
            row += ["-", "-", "-"]
        rows.append(row)
        if label.startswith("register 10,000") and "info 0%, linearizable" in label:
            targets.append(("10,000-op register history (linearizable) < 0.5 s", cpu, wall, 0.5))
        if bad_key is not None:
            targets.append(("50-process kv history, bad key found < 1 s", cpu, wall, 1.0))
    print(format_table(["history", "verdict", "steps", "find s", "find cpu s", "ops/s (cpu)",
                        "explain s", "explain cpu s", "window"], rows,
                       title=f"Linearizability checker (best of {args.repeat})"))
    print()
    print(format_table(["target", "cpu s", "wall s", "limit s", "met"],
                       [(name, f"{cpu:.3f}", f"{wall:.3f}", limit, "yes" if cpu < limit else "NO")
                        for name, cpu, wall, limit in targets], title="Targets"))


if __name__ == "__main__":
    main()
