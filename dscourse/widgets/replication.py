"""The partition widget of notebook 02: the fault panel on a replicated store.

``replica_panel(store, n_nodes, seed, horizon)`` is a ``FaultPanel`` whose
scenario is ``replication.experiments.build``: ``n_nodes`` replicas of kind
``store`` with one client each. Its views show what each replica holds over
time (``viz.replication.draw_replica_values``) and, as text, how many
operations each client has had answered ``ok``, ``fail`` or ``info`` so far.
Everything the learner clicks is in ``panel.plan`` and ``panel.to_code()``.
"""

from __future__ import annotations

from ..replication.client import Workload
from ..replication.experiments import COUNTER_MIX, REGISTER_MIX, build, node_ids
from ..sim.table import format_table
from ..viz.replication import draw_replica_values
from .fault_panel import FaultPanel

__all__ = ["replica_panel", "outcomes_view", "replicas_view"]


def outcomes_view(sim):
    """Per client: operations ok / fail / info so far, and the last error it heard."""
    rows = []
    for cid in sorted(n for n in sim.node_ids if n.startswith("c")):
        results = sim.node(cid).results
        counts = {t: sum(1 for r in results if r[1] == t) for t in ("ok", "fail", "info")}
        last_error = next((r[3] for r in reversed(results) if r[3]), "-")
        rows.append((cid, counts["ok"], counts["fail"], counts["info"], last_error[:60]))
    return format_table(["client", "ok", "fail", "info", "last error"], rows,
                        title=f"t = {sim.now:.0f} ms")


def replicas_view(nodes, key="x"):
    return lambda sim: draw_replica_values(sim.trace, nodes, key, until=max(sim.now, 1.0), width=7.5)


def replica_panel(store: str = "cp-register", n_nodes: int = 3, *, seed: int = 1,
                  horizon: float = 1500.0, counter: bool = False, render: bool = True,
                  **options) -> FaultPanel:
    """A fault panel on ``n_nodes`` replicas of ``store`` with one client each."""
    mix = COUNTER_MIX if counter else REGISTER_MIX
    if store in ("cp-register", "lww") and counter:
        options.setdefault("initial", 0)
    ids = node_ids(n_nodes)

    def scenario(s):
        return build(store, n_nodes, seed=s, workload=Workload(mix=mix, count=10_000), stop=horizon,
                     **options)

    return FaultPanel(build=scenario, seed=seed, horizon=horizon, step=50.0,
                      views=[replicas_view(ids), outcomes_view],
                      title=f"{store} on {n_nodes} nodes", render=render)
