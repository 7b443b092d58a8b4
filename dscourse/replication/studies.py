"""The measurement studies of notebooks 02 and 03: each runs several seeded set-ups and tabulates.

* ``cap_comparison``: CP and AP registers and counters on 3 and 5 nodes under one
  partition: availability per window and per side, linearizability, anomalies;
* ``latency_comparison``: PACELC's "else": latency with no fault at all;
* ``quorum_sweep``: stale reads and latency for Dynamo-style N, R, W;
* ``convergence_sweep``: time for gossip alone to converge the replicas after a heal.

Everything is measured from the runs' histories and traces (``measure.py``)
and judged by the checkers; nothing is asserted.
"""

from __future__ import annotations

from typing import Iterable

from ..sim import FaultPlan, Uniform
from ..sim.rng import Seed
from .experiments import COUNTER_MIX, REGISTER_MIX, Run, client_ids, partition_plan, run
from .measure import latency_summary

__all__ = ["CAP_DESIGNS", "cap_comparison", "cap_table", "cap_fractions", "stale_by_window",
           "PACELC_STORES", "latency_comparison", "latency_table", "quorum_sweep", "quorum_table",
           "convergence_sweep"]


CAP_DESIGNS = (
    ("CP", "register", "cp-register", REGISTER_MIX),
    ("AP", "register", "lww", REGISTER_MIX),
    ("CP", "counter", "cp-counter", COUNTER_MIX),
    ("AP", "counter", "crdt-counter", COUNTER_MIX),
)


def cap_comparison(seed: Seed = 1, sizes: Iterable[int] = (3, 5), start: float = 400.0,
                   end: float = 900.0, stop: float = 1300.0) -> list[dict]:
    """CP and AP registers and counters on 3 and 5 nodes, the same partition for all.

    Returns one dict per run: availability per window and per side of the
    partition, the linearizability verdict, stale reads and lost increments.
    """
    from ..checkers import Counter, Register, check_linearizable
    from .measure import lost_increments
    out = []
    for n in sizes:
        minority = set(client_ids(n)[: (n - 1) // 2])
        for design, kind, store, mix in CAP_DESIGNS:
            r = run(store, n, seed=seed, plan=partition_plan(n, start, end), duration=stop + 600,
                    stop=stop, mix=mix)
            ops = r.history.operations()
            during = [op for op in ops if start <= op.invoke_time < end]

            def frac(sel):
                return sum(op.type == "ok" for op in sel) / len(sel) if sel else float("nan")
            verdict = check_linearizable(r.history, Register() if kind == "register" else Counter(),
                                         explain=False)
            row = {"design": design, "kind": kind, "store": store, "nodes": n, "run": r,
                   "windows": {w.name: frac_ for w, _, _, _, _, frac_ in r.availability()},
                   "minority during": frac([op for op in during if op.process in minority]),
                   "majority during": frac([op for op in during if op.process not in minority]),
                   "linearizable": verdict.valid, "verdict": verdict}
            if kind == "register":
                row["anomalies"] = f"{len(r.stale_reads())} stale reads"
            else:
                tally = lost_increments(r.history, r.value("n1"))
                row["anomalies"] = f"{tally['lost']} of {tally['acknowledged']} increments lost"
            out.append(row)
    return out


def stale_by_window(run_: Run) -> dict:
    """Stale reads counted in each of the run's windows (by the read's invocation time)."""
    stale = run_.stale_reads()
    return {w.name: sum(1 for op, _, _ in stale if w.start <= op.invoke_time < w.end)
            for w in run_.windows}


def cap_fractions(row: dict) -> dict:
    """One run of ``cap_comparison`` as ``{window: fraction ok}``, the partition split by side."""
    return {"before": row["windows"]["before"], "during: minority": row["minority during"],
            "during: majority": row["majority during"], "after": row["windows"]["after"]}


def cap_table(rows: list[dict]):
    from ..sim.table import format_table

    def pct(x):
        return "-" if x != x else f"{x:.0%}"
    return format_table(
        ["design", "object", "nodes", "before", "during: minority", "during: majority", "after",
         "linearizable", "anomalies"],
        [(r["design"], r["kind"], r["nodes"], pct(r["windows"]["before"]), pct(r["minority during"]),
          pct(r["majority during"]), pct(r["windows"]["after"]), str(r["linearizable"]), r["anomalies"])
         for r in rows],
        title="Operations that succeeded (ok), before / during / after the partition")


PACELC_STORES = (("CP register (ABD)", "cp-register", REGISTER_MIX),
                 ("AP register (LWW)", "lww", REGISTER_MIX),
                 ("CP counter (ballots)", "cp-counter", COUNTER_MIX),
                 ("AP counter (CRDT)", "crdt-counter", COUNTER_MIX))


def latency_comparison(seed: Seed = 1, n_nodes: int = 3, duration: float = 1500.0) -> dict:
    """No faults at all: the latency of each store's ok operations, by operation."""
    out = {}
    for label, store, mix in PACELC_STORES:
        r = run(store, n_nodes, seed=seed, mix=mix, duration=duration + 500, stop=duration)
        out[label] = {f: latency_summary(r.history, [f]) for f, _ in mix}
        out[label]["all"] = latency_summary(r.history)
        out[label]["samples"] = [op.complete_time - op.invoke_time for op in r.history.operations()
                                 if op.type == "ok"]
    return out


def latency_table(results: dict):
    from ..sim.table import format_table
    rows = []
    for label, by_f in results.items():
        for f, s in by_f.items():
            if f in ("samples",):
                continue
            rows.append((label, f, s["ops"], s["mean"], s["p50"], s["p95"]))
    return format_table(["store", "operation", "ok ops", "mean ms", "p50 ms", "p95 ms"], rows,
                        title="No partition: the latency cost of consistency (PACELC's 'else')")


def quorum_sweep(configs: Iterable[tuple] = ((3, 1, 1), (3, 1, 2), (3, 2, 1), (3, 2, 2), (3, 1, 3),
                                             (5, 1, 1), (5, 2, 2), (5, 2, 3), (5, 3, 3), (5, 1, 5)),
                 seeds: Iterable[int] = (1, 2, 3), duration: float = 800.0) -> list[tuple]:
    """Dynamo-style N/R/W on a last-writer-wins store with lagging replicas (10-60 ms).

    Clients send reads and writes (3:1) to random coordinators. Returns rows
    ``(n, r, w, r + w > n, stale reads, reads, stale fraction, mean latency)``.
    """
    from .policies import LWWPolicy
    rows = []
    for n, r, w in configs:
        stale = reads = 0
        lat = []
        for seed in seeds:
            res = run("quorum", n, seed=seed, policy=LWWPolicy(), r=r, w=w, route="random",
                      replica_latency=Uniform(10, 60), mix=(("read", 3.0), ("write", 1.0)),
                      duration=duration, think=5)
            stale += len(res.stale_reads())
            reads += sum(1 for op in res.history.operations() if op.f == "read" and op.type == "ok")
            lat.append(res.latency()["mean"])
        rows.append((n, r, w, r + w > n, stale, reads, stale / reads if reads else 0.0,
                     round(sum(lat) / len(lat), 1)))
    return rows


def quorum_table(rows: list[tuple]):
    from ..sim.table import format_table
    return format_table(["N", "R", "W", "R+W>N", "stale reads", "reads", "stale %", "mean latency ms"],
                        [(n, r, w, "yes" if ok else "no", s, rd, f"{frac:.1%}", lat)
                         for n, r, w, ok, s, rd, frac, lat in rows],
                        title="Stale reads and latency by quorum sizes (measured)")


def convergence_sweep(intervals: Iterable[float] = (25.0, 50.0, 100.0, 200.0, 400.0),
                      seeds: Iterable[int] = (1, 2, 3), heal: float = 800.0) -> list[tuple]:
    """Eventual consistency by gossip alone: how long after the heal until replicas agree.

    An LWW store on 3 nodes, no read repair, no hinted handoff: only
    anti-entropy (push-pull with one random peer every ``interval`` ms).
    ``n3`` is cut off from 300 ms to ``heal``; clients write on both sides
    and stop at the heal. Rows: ``(interval, [time per seed], mean)``.
    """
    rows = []
    for interval in intervals:
        times = []
        for seed in seeds:
            plan = FaultPlan().partition(["n3", "c3"], ["n1", "n2", "c1", "c2"], at=300).heal(at=heal)
            res = run("lww", 3, seed=seed, plan=plan, duration=heal + 3000, stop=heal,
                      mix=(("read", 1.0), ("write", 1.0)), keys=("x", "y"), keyed=True,
                      anti_entropy_interval=interval, read_repair=False, hinted_handoff=False)
            times.append(res.convergence(heal))
        known = [t for t in times if t is not None]
        rows.append((interval, times, round(sum(known) / len(known), 1) if known else None))
    return rows
