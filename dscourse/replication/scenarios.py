"""Named, seeded scenarios of the consistency notebooks (and of their tests).

* ``post_and_reply(store)``: Alice posts, Bob reads the post and replies,
  Carol reads the reply, then the post, at a replica whose link from Alice's
  replica is slow. On the course text's causal store Carol sees the reply
  without the post; on ``CausalNode`` the reply waits in a buffer.
* ``concurrent_edits(store)``: Alice and Bob edit one document at two
  replicas at the same time; Carol reads it later. Siblings keep both edits;
  every single-value rule keeps one and drops the other.
* ``session_run(store, session=...)``: three clients spread their reads and
  writes of two keys over three replicas (a load balancer), with replication
  lagging 20-80 ms, under ``comparison_plan()`` (``n3`` cut off from the other
  replicas from 300 to 800 ms; clients can still reach it).
* ``compare_models(seed)``: strong, eventual, read-your-writes and causal
  stores on that same workload and fault plan, measured with the checkers.
"""

from __future__ import annotations

from typing import Any

from ..checkers import KVMap, check_causal, check_linearizable, check_session_guarantees
from ..sim import Constant, FaultPlan, Simulator, Uniform
from ..sim.rng import Seed
from ..sim.table import TextTable, format_table
from .client import Op
from .experiments import Run, build, run
from .measure import Window

__all__ = ["post_and_reply", "concurrent_edits", "session_run", "comparison_plan", "MODELS",
           "compare_models", "comparison_table"]


def post_and_reply(store: str = "causal", seed: Seed = 1) -> Simulator:
    scripts = {
        "alice": [Op("write", "post", "alice: hello", at=0)],
        "bob": [Op("read", "post", at=30), Op("write", "reply", "bob: welcome!", at=40)],
        "carol": [Op("read", "reply", at=80), Op("read", "post", at=90),
                  Op("read", "reply", at=400), Op("read", "post", at=410)],
    }
    # no gossip here: the post must reach n3 only over the slow link from n1
    options = {"anti_entropy_interval": None} if store == "causal" else {}
    sim = build(store, 3, seed=seed, scripts=scripts, keyed=True, clients=["alice", "bob", "carol"],
                **options)
    FaultPlan().set_network(at=0, src="n1", dst="n3", latency=Constant(200.0)).apply(sim)
    sim.run(until=800)
    return sim


def concurrent_edits(store: str = "causal", seed: Seed = 1, **options: Any) -> Simulator:
    scripts = {
        "alice": [Op("write", "doc", "alice's edit", at=10)],
        "bob": [Op("write", "doc", "bob's edit", at=10)],
        "carol": [Op("read", "doc", at=300)],
    }
    sim = build(store, 3, seed=seed, scripts=scripts, keyed=True, clients=["alice", "bob", "carol"],
                **options)
    sim.run(until=600)
    return sim


def comparison_plan() -> FaultPlan:
    """``n3`` loses its links to the other replicas from 300 to 800 ms (clients keep theirs)."""
    return FaultPlan().partition(["n3"], ["n1", "n2"], at=300).heal(at=800)


# store kind, options and session tokens of each consistency model compared in notebook 03
MODELS = {
    "strong (ABD)": ("cp-register", {}, False),
    "eventual (LWW + gossip)": ("lww", {"anti_entropy_interval": 100.0}, False),
    "read-your-writes (tokens)": ("lww", {"anti_entropy_interval": 100.0}, True),
    "causal (vector clocks)": ("causal", {}, True),
}


def session_run(store: str, *, session: bool, seed: Seed = 1, plan: FaultPlan | None = None,
                duration: float = 1400.0, stop: float | None = 1100.0, **options: Any) -> Run:
    """The shared workload: 3 clients, keys x and y, reads:writes 2:1, random routing."""
    plan = comparison_plan() if plan is None else plan
    windows = (Window("before", 0.0, 300.0), Window("during", 300.0, 800.0),
               Window("after", 800.0, stop if stop is not None else duration))
    return run(store, 3, seed=seed, plan=plan, duration=duration, stop=stop,
               mix=(("read", 2.0), ("write", 1.0)), keys=("x", "y"), keyed=True, route="random",
               session=session, replica_latency=Uniform(20, 80), think=10.0, windows=windows,
               **options)


def compare_models(seed: Seed = 1, plan: FaultPlan | None = None) -> dict:
    """Run every model of ``MODELS`` on the same workload and plan; measure each run."""
    out = {}
    for name, (store, options, session) in MODELS.items():
        r = session_run(store, session=session, seed=seed, plan=plan, **options)
        siblings = store == "causal"
        ops = r.history.operations()
        reads_ok = sum(1 for op in ops if op.f == "read" and op.type == "ok")
        lat = r.latency()
        sessions = check_session_guarantees(r.history, kv=True, siblings=siblings)
        out[name] = {
            "run": r,
            "ops": len(ops),
            "available": sum(1 for op in ops if op.type == "ok") / len(ops),
            "mean latency": lat["mean"], "p95 latency": lat["p95"],
            "stale reads": len(r.stale_reads()), "reads": reads_ok,
            # a store that returns siblings is not a register: the question does not apply
            "linearizable": None if siblings else check_linearizable(r.history, KVMap()).valid,
            "causal": check_causal(r.history, kv=True, siblings=siblings),
            "sessions": sessions,
            "converged after heal (ms)": r.convergence(800.0),
        }
    return out


def comparison_table(results: dict) -> TextTable:
    rows = []
    for name, m in results.items():
        s = m["sessions"]
        rows.append((name, m["ops"], f"{m['available']:.0%}", m["mean latency"], m["p95 latency"],
                     f"{m['stale reads']}/{m['reads']}",
                     {True: "yes", False: "no", None: "n/a"}.get(m["linearizable"], "unknown"),
                     len(s["read your writes"].anomalies), len(s["monotonic reads"].anomalies),
                     len(m["causal"].anomalies)))
    return format_table(["model", "ops", "ok", "mean ms", "p95 ms", "stale reads", "linearizable",
                         "RYW anomalies", "MR anomalies", "causal anomalies"], rows,
                        title="Same workload, same fault plan (n3 cut off from 300 to 800 ms)")

