"""One harness for every election algorithm: same faults, same measurements, from the trace.

Each algorithm is an ``Algorithm``: a ``build(seed)`` that returns a
simulator with its nodes, the ids of the nodes that run for leader, and
which messages count as election work. Each fault is a ``Scenario``: at
time ``at`` the harness finds, *in the trace*, who leads, and crashes it,
pauses it (freezing its clock) or cuts it off, with a ``FaultPlan`` that
``Trial.plan`` keeps so any run can be replayed.

Everything is measured from the trace, by functions written once here:

* ``leader_spans(trace)``: from the ``role``/``term`` records every
  algorithm writes, each interval in which a node believed it was leader.
  A crash ends a belief; a pause does not (the paused node still believes,
  and acts on it when it resumes);
* ``split_brain(spans)``: the windows in which two or more nodes believed
  at once;
* ``failover``: the time from the fault to the first belief of another node;
* election messages: messages the algorithm classes as election work
  (votes, ``Election``/``Answer``/``Coordinator``, acquisitions, znode
  traffic) sent from the fault until the new leader appeared;
* steady-state traffic: every message in the second before the fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from ..sim import FaultPlan, Simulator
from ..sim.table import TextTable, format_table
from ..sim.trace import Trace
from ..sim.validate import check_choice, check_int, check_number
from . import bully, lease, raft_based, zookeeper
from .roles import LEADER

# ----------------------------------------------------------- reading the trace


@dataclass(frozen=True)
class LeaderSpan:
    """``node`` believed it led (in ``term``) from ``start`` to ``end``."""
    node: Any
    term: Any
    start: float
    end: float
    ended_by: str        # "step down" | "crash" | "pause" | "end of run"

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class SplitBrain:
    """A window in which two or more nodes believed they were leader."""
    start: float
    end: float
    nodes: tuple

    @property
    def duration(self) -> float:
        return self.end - self.start


def _trace_of(trace: Any) -> Trace:
    if isinstance(trace, Simulator):
        return trace.trace
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a dscourse.sim.Trace (or a Simulator), "
                        f"got {type(trace).__name__}")
    return trace


def leader_spans(trace: Trace | Simulator, until: float | None = None, *,
                 while_paused: bool = False) -> list[LeaderSpan]:
    """Every interval in which some node believed it was leader, in order of start.

    A paused node keeps its belief but cannot act on it; by default its span
    stops at the pause and starts again when it resumes still believing
    (``ended_by="pause"``). With ``while_paused=True`` the pause is counted.
    """
    trace = _trace_of(trace)
    records = trace.raw()
    if until is None:
        until = records[-1][0] if records else 0.0
    believes: dict = {}     # node -> term it believes it leads in
    paused: set = set()
    open_: dict = {}        # node -> (term, start)
    spans = []

    def sync(node: Any, t: float, why: str) -> None:
        active = node in believes and (while_paused or node not in paused)
        if node in open_ and (not active or open_[node][0] != believes[node]):
            term, start = open_.pop(node)
            spans.append(LeaderSpan(node, term, start, t, why))
        if active and node not in open_:
            open_[node] = (believes[node], t)

    for t, kind, node, _peer, _ref, data in records:
        if t > until:
            break
        if kind == "state" and "role" in data:
            if data["role"] == LEADER:
                believes[node] = data.get("term")
            else:
                believes.pop(node, None)
            sync(node, t, "step down")
        elif kind == "crash" or (kind == "fault" and data.get("fault") == "remove"):
            believes.pop(node, None)
            paused.discard(node)
            sync(node, t, "crash")
        elif kind == "pause":
            paused.add(node)
            sync(node, t, "pause")
        elif kind == "resume":
            paused.discard(node)
            sync(node, t, "resume")
    for node in sorted(open_, key=str):
        term, start = open_.pop(node)
        spans.append(LeaderSpan(node, term, start, until, "end of run"))
    spans.sort(key=lambda s: (s.start, str(s.node)))
    return spans


def leaders_at(trace: Trace | Simulator, t: float) -> list[tuple]:
    """``(node, term)`` of every node that believed it led at time ``t``."""
    spans = leader_spans(trace, until=None)
    return sorted(((s.node, s.term) for s in spans
                   if s.start <= t and (t < s.end or s.ended_by == "end of run")),
                  key=lambda x: str(x[0]))


def split_brain(spans: Iterable[LeaderSpan]) -> list[SplitBrain]:
    """The windows (merged) during which at least two spans overlap."""
    events = []
    for s in spans:
        if s.end > s.start:
            events.append((s.start, 1, s.node))
            events.append((s.end, 0, s.node))     # at a tie, an end comes before a start
    events.sort(key=lambda e: (e[0], e[1], str(e[2])))
    active: dict = {}
    windows: list[SplitBrain] = []
    start, nodes = None, set()
    for i, (t, is_start, node) in enumerate(events):
        if is_start:
            active[node] = active.get(node, 0) + 1
        else:
            active[node] -= 1
            if not active[node]:
                del active[node]
        if i + 1 < len(events) and events[i + 1][0] == t:
            continue                              # judge only once every change at t is in
        if len(active) >= 2:
            if start is None:
                start, nodes = t, set()
            nodes.update(active)
        elif start is not None:
            if t > start:
                windows.append(SplitBrain(start, t, tuple(sorted(nodes, key=str))))
            start = None
    return windows

# ------------------------------------------------------------ the algorithms


@dataclass(frozen=True)
class Algorithm:
    name: str
    build: Callable[[int], Simulator]
    participants: tuple
    is_election_message: Callable[[Any], bool]
    note: str = ""


def algorithms(n: int = 5) -> list[Algorithm]:
    """The four families, with comparable timing: failure noticed after 150-350 ms."""
    check_int("n", n, minimum=2, maximum=9)
    ids = tuple(f"n{i}" for i in range(1, n + 1))
    return [
        Algorithm("bully", lambda seed: bully.bully_cluster(n, seed), ids,
                  lambda m: type(m).__name__ in bully.ELECTION_MESSAGES,
                  "heartbeat 50 ms, timeout 150-300 ms"),
        Algorithm("raft", lambda seed: raft_based.raft_cluster(n, seed, check=False), ids,
                  raft_based.is_election_message, "heartbeat 50 ms, timeout 150-300 ms"),
        Algorithm("lease", lambda seed: lease.lease_cluster(n, seed, storage=False), ids,
                  lease.is_election_message, "lease 300 ms, renew every 100 ms, one store"),
        Algorithm("zookeeper", lambda seed: zookeeper.zk_cluster(n, seed), ids,
                  zookeeper.is_election_message, "session 300 ms, one server"),
    ]


def algorithm(name: str, n: int = 5) -> Algorithm:
    by_name = {a.name: a for a in algorithms(n)}
    check_choice("name", name, list(by_name))
    return by_name[name]

# ---------------------------------------------------------------- the faults


FAULTS = ("crash", "pause", "isolate")


@dataclass(frozen=True)
class Scenario:
    """At ``at`` ms, ``fault`` the leader: crash it, pause it (clock frozen) or cut it off,
    for ``duration`` ms (pause and isolate); observe until ``at + horizon``."""
    fault: str
    at: float = 1500.0
    duration: float = 1000.0
    horizon: float = 2500.0

    def __post_init__(self) -> None:
        check_choice("fault", self.fault, FAULTS)
        check_number("at", self.at, minimum=0.0)
        check_number("duration", self.duration, minimum=0.0, strict_min=True)
        check_number("horizon", self.horizon, minimum=0.0, strict_min=True)

    @property
    def name(self) -> str:
        return {"crash": "crash leader", "pause": f"pause leader {self.duration:g} ms",
                "isolate": f"isolate leader {self.duration:g} ms"}[self.fault]

    def plan(self, leader: Any) -> FaultPlan:
        if self.fault == "crash":
            return FaultPlan().crash(leader, at=self.at)
        if self.fault == "pause":
            return FaultPlan().pause(leader, at=self.at, duration=self.duration)
        return FaultPlan().isolate(leader, at=self.at).heal(at=self.at + self.duration)


SCENARIOS = (Scenario("crash"), Scenario("pause"), Scenario("isolate"))

# ------------------------------------------------------------------ a trial


@dataclass(frozen=True)
class Trial:
    algorithm: str
    scenario: str
    seed: int
    leader: Any                     # who led when the fault struck (None: nobody did)
    plan: FaultPlan | None
    new_leader: Any                 # the first other node to believe it led afterwards
    failover: float | None          # ms from the fault to new_leader's belief
    election_messages: int
    steady_rate: float              # messages per second in the second before the fault
    windows: tuple = field(default=())         # SplitBrain windows, nodes up (not paused)
    belief_windows: tuple = field(default=())  # the same, counting paused nodes' beliefs

    @property
    def split_brain(self) -> float:
        return sum(w.duration for w in self.windows)


def run_trial(alg: Algorithm, scenario: Scenario, seed: int) -> Trial:
    """Build, run to the fault, fault the leader found in the trace, run on, measure."""
    if not isinstance(alg, Algorithm):
        raise TypeError(f"alg must be an Algorithm (see algorithms()), got {alg!r}")
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {scenario!r}")
    check_int("seed", seed)
    sim = alg.build(seed)
    sim.run(until=scenario.at)
    current = [n for n, _ in leaders_at(sim.trace, scenario.at) if sim.status(n) == "up"]
    end = scenario.at + scenario.horizon
    if not current:
        sim.run(until=end)
        return Trial(alg.name, scenario.name, seed, None, None, None, None, 0,
                     _rate(sim.trace, scenario.at), tuple(split_brain(leader_spans(sim.trace))),
                     tuple(split_brain(leader_spans(sim.trace, while_paused=True))))
    old = current[0]
    plan = scenario.plan(old).apply(sim)
    sim.run(until=end)
    spans = leader_spans(sim.trace, until=end)
    after = [s for s in spans if s.start >= scenario.at and s.node != old]
    new = after[0] if after else None
    stop = new.start if new else end
    count = sum(1 for t, kind, _n, _p, _r, msg in sim.trace.raw()
                if kind == "send" and scenario.at <= t <= stop and alg.is_election_message(msg))
    return Trial(alg.name, scenario.name, seed, old, plan, new.node if new else None,
                 (new.start - scenario.at) if new else None, count,
                 _rate(sim.trace, scenario.at), tuple(split_brain(spans)),
                 tuple(split_brain(leader_spans(sim.trace, until=end, while_paused=True))))


def _rate(trace: Trace, at: float) -> float:
    since = max(0.0, at - 1000.0)
    sent = sum(1 for t, kind, *_ in trace.raw() if kind == "send" and since <= t < at)
    return sent * 1000.0 / (at - since) if at > since else 0.0

# -------------------------------------------------------------- comparison


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (deterministic, no interpolation); None if empty."""
    xs = sorted(values)
    if not xs:
        return None
    k = max(1, min(len(xs), int(-(-q * len(xs) // 100))))
    return xs[k - 1]


@dataclass(frozen=True)
class Summary:
    algorithm: str
    scenario: str
    runs: int
    elected: int                    # runs in which another node took over
    failover_median: float | None
    failover_p90: float | None
    messages_mean: float
    split_runs: int                 # runs with at least one split-brain window
    split_longest: float            # ms, the longest window over all runs
    steady_rate: float


@dataclass(frozen=True)
class Comparison:
    trials: tuple

    def summaries(self) -> list[Summary]:
        groups: dict = {}
        for t in self.trials:
            groups.setdefault((t.algorithm, t.scenario), []).append(t)
        out = []
        for (a, s), ts in groups.items():
            fails = [t.failover for t in ts if t.failover is not None]
            out.append(Summary(
                a, s, len(ts), len(fails), percentile(fails, 50), percentile(fails, 90),
                sum(t.election_messages for t in ts) / len(ts),
                sum(1 for t in ts if t.windows),
                max((w.duration for t in ts for w in t.windows), default=0.0),
                sum(t.steady_rate for t in ts) / len(ts)))
        return out

    def summary(self, algorithm: str, scenario: str) -> Summary:
        for s in self.summaries():
            if s.algorithm == algorithm and s.scenario == scenario:
                return s
        raise ValueError(f"no trials for algorithm={algorithm!r}, scenario={scenario!r}")

    def table(self, scenario: str | None = None) -> TextTable:
        rows = []
        for s in self.summaries():
            if scenario is not None and s.scenario != scenario:
                continue
            rows.append([s.algorithm, s.scenario, f"{s.elected}/{s.runs}",
                         _ms(s.failover_median), _ms(s.failover_p90), round(s.messages_mean, 1),
                         f"{s.split_runs}/{s.runs}", _ms(s.split_longest),
                         round(s.steady_rate)])
        return format_table(["algorithm", "fault", "new leader", "failover p50 ms",
                             "failover p90 ms", "election msgs", "split-brain runs",
                             "longest split ms", "steady msgs/s"], rows)


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}"


def compare(algs: Sequence[Algorithm] | None = None, scenarios: Sequence[Scenario] = SCENARIOS,
            seeds: Iterable[int] = range(20), progress: Callable | None = None) -> Comparison:
    """Every algorithm under every scenario on every seed.

    ``progress`` wraps the list of runs (pass ``tqdm`` from a notebook).
    """
    algs = list(algs) if algs is not None else algorithms()
    runs = [(a, s, seed) for a in algs for s in scenarios for seed in seeds]
    if progress is not None:
        runs = progress(runs)
    return Comparison(tuple(run_trial(a, s, seed) for a, s, seed in runs))
