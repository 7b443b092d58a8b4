"""How to talk through a design: assumptions, choice, trade-off, and numbers you measured.

The course text's advice for interviews is to state assumptions, explain the
choice and discuss the trade-off. This module turns that into a template
whose every number is measured, never recalled:

* ``course_numbers(seed)`` re-runs the main measurement of each earlier
  notebook by calling the package (the CAP comparison of 02, the consistency
  models of 03, Raft's messages per commit and election downtime of 06, the
  delivery-guarantee sweep of 07, keys moved on a join in 08, failover times
  of 09) and returns each result as a ``Measured`` fact naming its notebook;
* ``problem_facts(name, results)`` turns a worked problem's own run (see
  ``problems``, ``inventory``, ``cache``) into facts the same way;
* ``talk(name, course, facts)`` assembles a ``Talk``: the assumptions (the
  problem's checklist answers, each with the reason from its story), the
  recommended design (``rules.recommend``), the trade-off with its measured
  numbers, and the supporting numbers of the earlier notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..consensus.raft import election_timing, measure_messages_per_commit
from ..election import compare as compare_elections
from ..election.harness import Scenario
from ..hashing import ConsistentHashRing, ModuloHash, hash_keys, join_movement
from ..queues.sim import sweep_guarantees
from ..replication.scenarios import compare_models
from ..replication.studies import cap_comparison
from ..sim.rng import Seed
from ..sim.validate import check_choice
from .rules import PROFILES, QUESTIONS, recommend

__all__ = ["Measured", "course_numbers", "problem_facts", "Talk", "talk", "STORIES",
           "PROBLEM_NUMBERS"]


@dataclass(frozen=True)
class Measured:
    key: str
    text: str                 # what was measured
    value: str                # the measured value, formatted
    notebook: str             # the notebook that measures it ("02", ...)

    def __str__(self) -> str:
        return f"{self.text}: {self.value} (notebook {self.notebook})"


def _pct(x: float) -> str:
    return f"{x:.0%}"


def course_numbers(seed: Seed = 1, progress: Callable[[Iterable], Iterable] | None = None
                   ) -> dict:
    """The headline measurement of notebooks 02-09, re-run now; ``{key: Measured}``.

    ``progress`` may wrap the list of steps (a notebook passes ``tqdm``).
    """
    out: dict = {}

    def cap():
        rows = {(r["design"], r["kind"]): r for r in cap_comparison(seed=seed, sizes=(3,))}
        cp, ap = rows[("CP", "counter")], rows[("AP", "register")]
        out["cap_minority"] = Measured("cap_minority", "CP counter, minority side, operations ok "
                                       "during a partition", _pct(cp["minority during"]), "02")
        out["cap_ap"] = Measured("cap_ap", "AP register during the same partition: ok, and "
                                 "stale reads", f"{_pct(ap['minority during'])} ok, "
                                 f"{ap['anomalies']}", "02")

    def models():
        m = compare_models(seed=seed)
        strong, eventual = m["strong (ABD)"], m["eventual (LWW + gossip)"]
        out["pacelc"] = Measured("pacelc", "mean latency, strong (ABD) vs eventual (LWW)",
                                 f"{strong['mean latency']:.0f} ms vs "
                                 f"{eventual['mean latency']:.0f} ms", "03")
        out["eventual_stale"] = Measured("eventual_stale", "stale reads, eventual consistency",
                                         f"{eventual['stale reads']} of {eventual['reads']}", "03")
        causal = m["causal (vector clocks)"]
        out["causal_anomalies"] = Measured(
            "causal_anomalies", "causal anomalies, eventual vs causal store",
            f"{len(eventual['causal'].anomalies)} vs {len(causal['causal'].anomalies)}", "03")

    def raft():
        count = measure_messages_per_commit(5, 20, seed=seed)
        out["raft_messages"] = Measured("raft_messages", "Raft, 5 servers, messages per committed "
                                        "command", f"{count.per_command:g}", "06")
        trials = election_timing([(150.0, 300.0)], trials=100, seed=seed)[(150.0, 300.0)]
        times = sorted(t.downtime for t in trials)
        out["raft_downtime"] = Measured(
            "raft_downtime", "Raft, leader crash to new leader (timeouts 150-300 ms), "
            "median / p99", f"{times[len(times) // 2]:.0f} / {times[int(0.99 * len(times))]:.0f} ms",
            "06")

    def queues():
        table = sweep_guarantees(range(5))
        rows = {r[0]: r for r in table.rows}
        out["queue_duplicates"] = Measured(
            "queue_duplicates", "crash schedules with a duplicate effect: at-least-once vs "
            "idempotent consumer", f"{rows['at-least-once'][3]} vs "
            f"{rows['exactly-once (dedup)'][3]} of {rows['at-least-once'][1]}", "07")

    def hashing():
        hashes = hash_keys([f"key-{i}" for i in range(20_000)])
        mod = join_movement(ModuloHash(["s1", "s2", "s3"]), None, "s4", hashes=hashes)
        ring = join_movement(ConsistentHashRing(["s1", "s2", "s3"], 160), None, "s4",
                             hashes=hashes)
        out["hash_join"] = Measured("hash_join", "keys moved when a 4th node joins: modulo vs "
                                    "ring", f"{mod.fraction:.0%} vs {ring.fraction:.0%}", "08")

    def election():
        c = compare_elections(scenarios=[Scenario("crash")], seeds=range(3))
        raft_, lease = c.summary("raft", "crash leader"), c.summary("lease", "crash leader")
        out["failover"] = Measured("failover", "failover after a leader crash, median: Raft vs "
                                   "lease", f"{raft_.failover_median:.0f} ms vs "
                                   f"{lease.failover_median:.0f} ms", "09")

    steps = [cap, models, raft, queues, hashing, election]
    for step in (progress(steps) if progress is not None else steps):
        step()
    return out


# Which earlier numbers support each worked problem's argument.
PROBLEM_NUMBERS = {
    "payment ledger": ("cap_minority", "pacelc", "raft_messages", "raft_downtime",
                       "queue_duplicates"),
    "social feed": ("cap_ap", "eventual_stale", "pacelc", "hash_join"),
    "chat": ("causal_anomalies", "eventual_stale"),
    "inventory": ("cap_minority", "cap_ap", "failover"),
    "cache": ("hash_join",),
}

# The reason behind each answer, per problem (the assumptions you state out loud).
STORIES = {
    "payment ledger": {
        "consistency": "a balance read must include every acknowledged deposit",
        "invariant": "a balance must never go below zero",
        "partition_key": "every operation names one account",
        "ordering": "an account's operations apply in order",
        "idempotent": "each payment carries an id, so a retry can be recognised"},
    "social feed": {
        "consistency": "a post that shows up a second late harms nobody",
        "hot_spots": "a celebrity's feed is read by millions",
        "membership": "the cluster grows and shrinks with the traffic"},
    "chat": {
        "consistency": "a message may arrive a moment late",
        "causal": "a reply must never appear before the message it answers",
        "ordering": "messages of one conversation are shown in order"},
    "inventory": {
        "consistency": "the stock count decides whether a sale goes through",
        "invariant": "units sold never exceed the stock",
        "hot_spots": "a flash sale sends everyone to one item"},
    "cache": {
        "consistency": "a cached value may be slightly stale",
        "hot_spots": "a few keys get most of the requests",
        "membership": "cache nodes restart and are added under load"},
}


def problem_facts(name: str, results: Any) -> list[Measured]:
    """A worked problem's own measurements as facts ("10": measured in this notebook)."""
    check_choice("name", name, list(PROFILES))
    if name == "payment ledger":
        by = {r.store: r for r in results}
        cp, lww = by["cp-counter"], by["lww"]
        return [Measured("ledger_refused", "CP ledger: operations ok on the cut-off side during "
                         "the partition", f"{cp.minority.ok} of {cp.minority.invoked}", "10"),
                Measured("ledger_lost", "acknowledged deposits lost: CP vs the text's LWW counter",
                         f"{cp.lost} vs {lww.lost} of {lww.acknowledged}", "10")]
    if name == "social feed":
        by = {r.store: r for r in results}
        ap, cp = by["lww"], by["cp-register"]
        return [Measured("feed_available", "ok on the cut-off side during the partition: AP vs CP",
                         f"{ap.minority.ok}/{ap.minority.invoked} vs "
                         f"{cp.minority.ok}/{cp.minority.invoked}", "10"),
                Measured("feed_stale", "stale reads during the partition: AP vs CP",
                         f"{ap.stale['during']} vs {cp.stale['during']}", "10")]
    if name == "chat":
        by = {r.store: r for r in results}
        return [Measured("chat_anomalies", "causal anomalies: the text's store vs vector clocks",
                         f"{by['textbook-causal'].anomalies} vs {by['causal'].anomalies}", "10")]
    if name == "inventory":
        by = {r.design: r for r in results}
        return [Measured("oversold", "units oversold: check-then-act AP vs CP tickets vs escrow",
                         f"{by['ap-check'].oversold} vs {by['cp-ticket'].oversold} vs "
                         f"{by['ap-escrow'].oversold}", "10"),
                Measured("escrow_unsold", "units escrow left unsold while a till was refused",
                         f"{by['ap-escrow'].unsold}", "10")]
    by = {r.strategy: r for r in results}
    return [Measured("hot_node", "busiest cache node, times the mean: ring vs replicated vs split "
                     "hot keys", f"{by['ring'].max_over_mean:.2f} vs "
                     f"{by['replicate'].max_over_mean:.2f} vs {by['split'].max_over_mean:.2f}", "10")]


@dataclass(frozen=True)
class Talk:
    problem: str
    assumptions: tuple
    choice: tuple
    trade_off: tuple          # Measured facts of this problem
    support: tuple            # Measured facts of earlier notebooks

    def __str__(self) -> str:
        lines = [f"How to talk through it: {self.problem}", "", "1. Assumptions"]
        lines += [f"   - {a}" for a in self.assumptions]
        lines += ["2. Choice"] + [f"   - {c}" for c in self.choice]
        lines += ["3. Trade-off, measured"] + [f"   - {f}" for f in self.trade_off]
        lines += ["4. Numbers from the earlier notebooks"] + [f"   - {f}" for f in self.support]
        return "\n".join(lines)

    __repr__ = __str__


def talk(name: str, course: Mapping[str, Measured], facts: Sequence[Measured]) -> Talk:
    """Assemble the talk for worked problem ``name`` (see the module docstring)."""
    check_choice("name", name, list(PROFILES))
    answers = PROFILES[name]
    design = recommend(answers)
    assumptions = []
    for q in QUESTIONS:
        why = STORIES[name].get(q.key)
        if why is not None:
            assumptions.append(f"{q.text} {'Yes' if answers[q.key] else 'No'}: {why}.")
    # the parts of the design the story's assumptions decided (and always the CAP side)
    story = set(STORIES[name])
    choice = tuple(f"{r.area}: {r.choice}" for r in design.recommendations
                   if r.area == "consistency" or story & set(r.because))
    missing = [k for k in PROBLEM_NUMBERS[name] if k not in course]
    if missing:
        raise ValueError(f"course is missing {missing}; pass course_numbers()")
    return Talk(name, tuple(assumptions), choice, tuple(facts),
                tuple(course[k] for k in PROBLEM_NUMBERS[name]))
