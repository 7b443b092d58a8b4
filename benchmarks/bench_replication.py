"""Replication benchmark: prints measured ratios and rates (not a timed test).

    python benchmarks/bench_replication.py

* PACELC: mean latency of CP operations over AP ones, with no fault, 3 and 5 nodes;
* stale-read rate by quorum sizes (N, R, W);
* simulator throughput of the quorum store: events and client operations per
  wall-clock second.
"""

import time

from dscourse.replication import experiments as ex
from dscourse.replication import studies as st


def main() -> None:
    for n in (3, 5):
        lat = st.latency_comparison(seed=1, n_nodes=n)
        reg = lat["CP register (ABD)"]["all"]["mean"] / lat["AP register (LWW)"]["all"]["mean"]
        cnt = lat["CP counter (ballots)"]["all"]["mean"] / lat["AP counter (CRDT)"]["all"]["mean"]
        print(f"{n} nodes, no fault: CP/AP mean latency  register {reg:.2f}x  counter {cnt:.2f}x")
    print(st.quorum_table(st.quorum_sweep(seeds=(1, 2, 3, 4, 5))))
    start = time.perf_counter()
    run = ex.run("cp-register", 5, seed=1, duration=20_000.0)
    elapsed = time.perf_counter() - start
    ops = len(run.history.operations())
    print(f"ABD register, 5 nodes, 20 s of virtual time: {run.sim.events_processed / elapsed:,.0f} "
          f"events/s, {ops / elapsed:,.0f} client operations/s ({ops} operations)")


if __name__ == "__main__":
    main()
