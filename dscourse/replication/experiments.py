"""Seeded set-ups shared by the notebooks and the tests: build a cluster, run it, measure.

``build(store, n_nodes, ...)`` puts ``n_nodes`` replicas (``n1``, ``n2``, ...)
and one client per replica (``c1`` talks to ``n1``, ...) on a simulator.
``run(...)`` builds, applies a fault plan, runs to ``duration`` and returns a
``Run``: the simulator plus the measurements of ``measure.py``, all computed
from the run's History and Trace. ``partition_plan(n_nodes, start, end)``
cuts a minority (``n1`` with its client; ``n1, n2`` with theirs for 5
nodes) from the majority.

Store kinds (``STORES``):

=========================  ============================================  ======
kind                       node class                                    CAP
=========================  ============================================  ======
``cp-register``            ``cp.CPRegisterNode`` (ABD; naive increment)  CP
``cp-counter``             ``cp.CPCounterNode`` (ballots, CASPaxos)      CP
``textbook-cp-counter``    ``sketches.TextbookCPCounterNode``            "CP"
``lww``                    ``ap.APRegisterNode`` (LWW register/counter)  AP
``crdt-counter``           ``ap.CRDTCounterNode`` (G-counter)            AP
``quorum``                 ``quorum.QuorumNode`` (give ``policy=``)      N/R/W
``causal``                 ``causal.CausalNode``                         AP
``textbook-causal``        ``causal.TextbookCausalNode``                 AP
=========================  ============================================  ======
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..sim import FaultPlan, Simulator, Uniform
from ..sim.rng import Seed
from ..sim.validate import check_choice, check_delay, check_int
from .ap import APRegisterNode, CRDTCounterNode
from .causal import CausalNode, TextbookCausalNode
from .client import Client, Op, Workload
from .cp import CPCounterNode, CPRegisterNode
from .measure import Window, availability, convergence_time, latency_summary, stale_reads
from .quorum import QuorumNode
from .sketches import TextbookCPCounterNode

__all__ = ["STORES", "build", "run", "Run", "partition_plan", "node_ids", "client_ids",
           "REGISTER_MIX", "COUNTER_MIX"]

STORES = {
    "cp-register": CPRegisterNode,
    "cp-counter": CPCounterNode,
    "textbook-cp-counter": TextbookCPCounterNode,
    "lww": APRegisterNode,
    "crdt-counter": CRDTCounterNode,
    "quorum": QuorumNode,
    "causal": CausalNode,
    "textbook-causal": TextbookCausalNode,
}
REGISTER_MIX = (("read", 1.0), ("write", 1.0))
COUNTER_MIX = (("read", 1.0), ("increment", 1.0))


def node_ids(n_nodes: int) -> list[str]:
    return [f"n{i}" for i in range(1, check_int("n_nodes", n_nodes, minimum=1) + 1)]


def client_ids(n_nodes: int) -> list[str]:
    return [f"c{i}" for i in range(1, n_nodes + 1)]


def partition_plan(n_nodes: int, start: float, end: float | None = None,
                   minority: int | None = None) -> FaultPlan:
    """Cut the first ``minority`` replicas (default: the largest minority) and
    their clients off from the rest at ``start``; heal at ``end``."""
    ids, clients = node_ids(n_nodes), client_ids(n_nodes)
    k = (n_nodes - 1) // 2 if minority is None else check_int("minority", minority, minimum=1,
                                                              maximum=n_nodes - 1)
    if k < 1:
        raise ValueError(f"n_nodes={n_nodes}: a partition needs at least 2 replicas")
    plan = FaultPlan().partition(ids[:k] + clients[:k], ids[k:] + clients[k:], at=start)
    if end is not None:
        plan = plan.heal(at=end)
    return plan


def build(store: str, n_nodes: int = 3, *, seed: Seed = None, workload: Workload | None = None,
          scripts: dict | None = None, latency: Any = None, think: float = 10.0,
          client_timeout: float = 500.0, stop: float | None = None, route: str = "sticky",
          session: bool = False, keyed: bool = False, clients: Iterable[str] | None = None,
          replica_latency: Any = None, client_targets: dict | None = None,
          **store_options: Any) -> Simulator:
    """A simulator with ``n_nodes`` replicas of kind ``store`` and their clients.

    Clients run ``workload`` (each its own random stream) or, for client ``c``,
    the script ``scripts[c]`` (a list of ``Op``). With ``route="random"`` or
    ``"round_robin"`` a client spreads its operations over every replica
    (or over ``client_targets[c]``). ``replica_latency`` sets the latency of
    every link between two replicas (replication lag), leaving client links
    at ``latency``.
    """
    check_choice("store", store, sorted(STORES))
    ids = node_ids(n_nodes)
    sim = Simulator(seed=seed, latency=Uniform(1, 10) if latency is None else latency)
    cls = STORES[store]
    for nid in ids:
        sim.add_node(cls(nid, ids, **store_options))
    if replica_latency is not None:
        for a in ids:
            for b in ids:
                if a != b:
                    sim.set_network(a, b, latency=replica_latency)
    names = client_ids(n_nodes) if clients is None else list(clients)
    for i, cid in enumerate(names):
        home = ids[i % n_nodes]
        targets = [home] + [x for x in ids if x != home]
        if client_targets and cid in client_targets:
            targets = list(client_targets[cid])
        script = (scripts or {}).get(cid)
        if script is None and workload is None:
            continue
        sim.add_node(Client(cid, targets, script, workload=None if script is not None else workload,
                            route=route, timeout=client_timeout, think=think, stop=stop,
                            keyed=keyed, session=session))
    return sim


@dataclass
class Run:
    """A finished run and its measurements."""
    sim: Simulator
    store: str
    nodes: list
    plan: FaultPlan
    windows: tuple

    @property
    def history(self):
        return self.sim.history

    def availability(self, fs: Iterable[str] | None = None) -> list:
        return availability(self.history, self.windows, fs)

    def latency(self, fs: Iterable[str] | None = None) -> dict:
        return latency_summary(self.history, fs)

    def stale_reads(self) -> list:
        return stale_reads(self.history)

    def convergence(self, since: float) -> float | None:
        return convergence_time(self.sim.trace, self.nodes, since)

    def outcomes(self) -> dict:
        ops = self.history.operations()
        return {t: sum(1 for op in ops if op.type == t) for t in ("ok", "fail", "info")}

    def value(self, node: Any, key: Any = "x") -> Any:
        """What replica ``node`` holds for ``key`` now (for tables; not a client read)."""
        n = self.sim.node(node)
        if hasattr(n, "policy"):
            return n.policy.value(n.data.get(key))
        return n.value(key) if callable(getattr(n, "value", None)) else n.value

    def values(self, key: Any = "x") -> dict:
        return {n: self.value(n, key) for n in self.nodes}


def run(store: str, n_nodes: int = 3, *, seed: Seed = None, plan: FaultPlan | None = None,
        duration: float = 1500.0, stop: float | None = None, windows: Iterable[Window] | None = None,
        mix: tuple = REGISTER_MIX, count: int = 1000, keys: tuple = ("x",),
        **options: Any) -> Run:
    """Build, apply ``plan``, run until ``duration`` ms; clients stop at ``stop``.

    ``windows`` default to before / during / after the plan's first partition
    (or one window for the whole run).
    """
    duration = check_delay("duration", duration)
    stop = duration if stop is None else check_delay("stop", stop)
    plan = FaultPlan() if plan is None else plan
    if store in ("cp-register", "lww") and any(f == "increment" for f, _ in mix):
        options.setdefault("initial", 0)       # used as a counter: unset reads as 0
    if "workload" not in options and "scripts" not in options:
        options["workload"] = Workload(mix=mix, keys=keys, count=count)
    sim = build(store, n_nodes, seed=seed, stop=stop, **options)
    plan.apply(sim)
    sim.run(until=duration)
    if windows is None:
        windows = default_windows(plan, stop)
    return Run(sim, store, node_ids(n_nodes), plan, tuple(windows))


def default_windows(plan: FaultPlan, stop: float) -> tuple:
    cut = next((f.at for f in plan if f.kind in ("partition", "isolate")), None)
    heal = next((f.at for f in plan if f.kind == "heal" and cut is not None and f.at > cut), None)
    if cut is None:
        return (Window("whole run", 0.0, stop),)
    out = [Window("before", 0.0, cut), Window("during", cut, heal if heal is not None else stop)]
    if heal is not None:
        out.append(Window("after", heal, stop))
    return tuple(out)


def scripted(ops: Iterable[tuple]) -> list[Op]:
    """``[(f, key, value, at), ...]`` -> a list of ``Op`` (a short way to write scripts)."""
    return [Op(*t) for t in ops]


def majority_is_not_enough(write_back: bool, seed: Seed = 1) -> Run:
    """Course text, note 3: majority writes + majority reads, yet a new-old inversion.

    Three replicas, ``r = w = 2``, last-writer-wins versions, constant 2 ms
    links. Client ``w`` writes ``"old"``, then ``"new"`` through ``n1`` while
    ``n1``'s links are congested (500 ms): ``n1`` holds ``"new"``, the other
    replicas do not yet. Reader ``a`` (through ``n2``) hears from ``n2`` and
    ``n1`` and returns ``"new"``; reader ``b``, who starts *after* ``a``
    finished, hears from ``n3`` and ``n2`` and returns ``"old"``. With
    ``write_back=True`` reader ``a`` first writes ``"new"`` back to a majority,
    so ``b`` cannot miss it.
    """
    from ..sim import Constant
    from .policies import LWWPolicy
    scripts = {
        "w": [Op("write", "x", "old", at=0.0), Op("write", "x", "new", at=100.0)],
        "a": [Op("read", "x", at=120.0)],
        "b": [Op("read", "x", at=140.0)],
    }
    sim = build("quorum", 3, seed=seed, policy=LWWPolicy(), r=2, w=2, write_back=write_back,
                latency=Constant(2.0), scripts=scripts, clients=["w", "a", "b"],
                client_targets={"w": ["n1"], "a": ["n2"], "b": ["n3"]}, client_timeout=1000.0)
    slow, fast = Constant(500.0), Constant(2.0)
    plan = (FaultPlan()
            .set_network(at=50, src="n1", dst="n2", latency=slow)
            .set_network(at=50, src="n1", dst="n3", latency=slow)
            .set_network(at=110, src="n1", dst="n2", latency=fast)
            .set_network(at=110, src="n3", dst="n2", latency=Constant(40.0)))
    plan.apply(sim)
    sim.run(until=1500)
    return Run(sim, "quorum", node_ids(3), plan, (Window("whole run", 0.0, 1500.0),))


def textbook_no_rollback(seed: Seed = 1) -> Run:
    """The text's ``CPCounter``: a "failed" increment that stays, and a majority that cannot read.

    Constant 2 ms links. ``c1`` increments through ``n1``; just after its read,
    ``n1`` is cut off, so only ``n1`` takes the write of 1 and ``c1`` hears
    "Cannot reach quorum". The partition heals, then ``n3`` crashes: ``n1``
    (1) and ``n2`` (0) are a majority, yet every read fails, because the
    sketch wants a majority of *identical* values.
    """
    from ..sim import Constant
    scripts = {"c1": [Op("increment", "x", 1, at=100.0), Op("read", "x", at=400.0)],
               "c2": [Op("read", "x", at=300.0)]}
    sim = build("textbook-cp-counter", 3, seed=seed, latency=Constant(2.0), scripts=scripts,
                clients=["c1", "c2"])
    plan = (FaultPlan().partition(["n1", "c1"], ["n2", "n3", "c2"], at=107.0).heal(at=200.0)
            .crash("n3", at=250.0))
    plan.apply(sim)
    sim.run(until=600)
    return Run(sim, "textbook-cp-counter", node_ids(3), plan, (Window("whole run", 0.0, 600.0),))
