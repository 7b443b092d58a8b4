"""Exercise checks for notebook 09 (leader election).

Each check runs the learner's function inside the real protocol, on several
seeds (the notebook shows seed 1; the checks try others too), and answers
with a ``Feedback`` that says what went wrong and gives a hint.

1. ``check_fencing(accept)``: the storage's rule ``accept(highest, token)``.
2. ``check_watch_choice(choose)``: which znode a ZooKeeper candidate watches.
3. ``check_bully_formula(formula)``: the bully algorithm's worst-case message count.
"""

from __future__ import annotations

from typing import Any, Callable

from ..feedback import Feedback
from ..sim.validate import check_int
from .bully import worst_and_best_case
from .fencing import overwritten_by_stale, storage_writes
from .harness import leader_spans, leaders_at, split_brain
from .lease import lease_cluster, pause_after_renewal
from .zookeeper import watch_notifications, zk_cluster

SEEDS = (0, 1, 2, 7, 42)


def _safe(fn: Callable, *args: Any) -> tuple[bool, Any]:
    try:
        return True, fn(*args)
    except Exception as exc:     # the learner's code: report it, don't crash the notebook
        return False, f"{type(exc).__name__}: {exc}"


def _callable(fb: Feedback, fn: Any, what: str) -> bool:
    if not callable(fn):
        fb.problem = f"pass your function itself ({what}), not {type(fn).__name__} {fn!r}"
        return False
    return True

# ------------------------------------------------------------ 1. fencing


def fencing_run(accept: Callable[[int, int], bool], seed: int, pause: float = 800.0):
    """The lease cluster with a storage using ``accept``; its leader paused for ``pause`` ms."""
    sim = lease_cluster(3, seed, policy=accept)
    sim.run(until=1000.0)
    leaders = [n for n, _ in leaders_at(sim.trace, 1000.0)]
    if leaders:
        pause_after_renewal(sim, leaders[0], pause)
    sim.run(until=2500.0)
    return sim


def check_fencing(accept: Callable[[int, int], bool]) -> Feedback:
    """Exercise: ``accept(highest, token)`` lets the current leader write and fences off old ones."""
    fb = Feedback("Fence off the stale leader", passed=False,
                  hint="the current leader writes many times with the same token, and a newer "
                       "lease always has a larger token than any older one.")
    if not _callable(fb, accept, "accept(highest, token) -> bool"):
        return fb
    ok, value = _safe(accept, 3, 3)
    if not ok:
        fb.problem = f"accept(3, 3) raised {value}"
        return fb
    for seed in SEEDS:
        sim = fencing_run(accept, seed)
        writes = storage_writes(sim.trace, "disk")
        if not any(w.accepted for w in writes):
            fb.add(f"seed {seed}: the storage accepts the leader's writes", False)
            fb.problem = f"on seed {seed} the storage accepted none of {len(writes)} writes"
            return fb
        highest = 0
        for w in writes:
            if w.token >= highest and not w.accepted:
                fb.add(f"seed {seed}: every write of the current leader is accepted", False)
                fb.problem = (f"on seed {seed} at t={w.time:.0f} ms the storage rejected a write "
                              f"from {w.writer} with token {w.token} when the highest token it "
                              f"had seen was {highest}: that is the current lease, not a stale one")
                return fb
            if w.accepted:
                highest = max(highest, w.token)
        stale = overwritten_by_stale(writes)
        if stale:
            w = stale[0]
            fb.add(f"seed {seed}: no stale write is accepted", False)
            fb.problem = (f"on seed {seed} at t={w.time:.0f} ms the storage accepted {w.writer}'s "
                          f"write with token {w.token} after a newer leader had written with a "
                          f"larger one: the old leader overwrote the new leader's data")
            return fb
        if not any(not w.accepted for w in writes):
            fb.add(f"seed {seed}: the paused leader's write is rejected", False)
            fb.problem = f"on seed {seed} the paused leader never tried a stale write"  # pragma: no cover
            return fb
    fb.add("the current leader's writes are accepted on seeds " + ", ".join(map(str, SEEDS)), True)
    fb.add("the paused (stale) leader's writes are rejected on every seed", True)
    fb.passed = True
    return fb

# ------------------------------------------------------- 2. watch the predecessor


def watch_run(choose: Callable, seed: int):
    """Five candidates choosing with ``choose``; the leader, a middle one and the next leader crash."""
    sim = zk_cluster(5, seed, choose=choose)
    sim.run(until=1000.0)
    for at in (1000.0, 2000.0, 3000.0):
        sim.run(until=at)
        alive = [n for n in sim.node_ids if n != "zk" and sim.status(n) == "up"]
        leaders = [n for n, _ in leaders_at(sim.trace, at) if n in alive]
        if at == 2000.0:                      # a candidate in the middle of the queue
            queue = sorted((n for n in alive if sim.nodes[n].znode),
                           key=lambda n: sim.nodes[n].znode)
            victim = queue[len(queue) // 2] if queue else None
        else:
            victim = leaders[0] if leaders else None
        if victim is not None:
            sim.crash(victim)
    sim.run(until=4000.0)
    return sim


def _why(children: list, mine: str, got: Any) -> str:
    ordered = sorted(children)
    i = ordered.index(mine)
    if got is None and i > 0:
        return ": None means 'mine is the lowest, I lead', but a lower znode exists"
    if got == ordered[0] and i > 1:
        return (": that is the leader's znode; if every candidate watches it, all of them wake "
                "up when it goes (the herd effect)")
    if i + 1 < len(ordered) and got == ordered[i + 1]:
        return ": that znode comes after yours, and its owner waits for you, not you for it"
    j = children.index(mine)
    if j > 0 and got == children[j - 1]:
        return ": that is the one before yours in the list, but the list comes in no order"
    return ""


def check_watch_choice(choose: Callable[[list, str], Any]) -> Feedback:
    """Exercise: ``choose(children, mine)`` returns the znode to watch, or None if mine leads."""
    fb = Feedback("Watch your predecessor", passed=False,
                  hint="sort the children by their sequence number (ZooKeeper returns them in no "
                       "order), then watch the one just before yours; return None if yours is "
                       "the lowest.")
    if not _callable(fb, choose, "choose(children, mine)"):
        return fb
    cases = [(["n_0000000001", "n_0000000009", "n_0000000004", "n_0000000012", "n_0000000006"],
              "n_0000000012", "n_0000000009"),
             (["n_0000000004", "n_0000000001", "n_0000000009"], "n_0000000004", "n_0000000001"),
             (["n_0000000004", "n_0000000001", "n_0000000009"], "n_0000000001", None),
             (["n_0000000012", "n_0000000003", "n_0000000010", "n_0000000007"], "n_0000000010",
              "n_0000000007")]
    for children, mine, want in cases:
        ok, got = _safe(choose, list(children), mine)
        if not ok or got != want:
            fb.add(f"choose({children}, {mine!r}) is {want!r}", False)
            fb.problem = (f"your function raised {got}" if not ok else
                          f"choose({children}, {mine!r}) returned {got!r}, expected {want!r}"
                          + _why(children, mine, got))
            return fb
    fb.add(f"picks the right znode in {len(cases)} small cases (children in no order)", True)
    for seed in SEEDS:
        sim = watch_run(choose, seed)
        spans = leader_spans(sim.trace)
        both = split_brain(spans)
        if both:
            fb.add(f"seed {seed}: never two leaders at once", False)
            fb.problem = f"on seed {seed}, {' and '.join(both[0].nodes)} led at once"
            return fb
        alive = [n for n in sim.node_ids if n != "zk" and sim.status(n) == "up"]
        if not [n for n, _ in leaders_at(sim.trace, sim.now) if n in alive]:
            fb.add(f"seed {seed}: a new leader after every crash", False)
            fb.problem = (f"on seed {seed} no surviving candidate leads at the end: someone "
                          f"watched a znode that never goes away, or nobody saw its own turn")
            return fb
        sent = watch_notifications(sim)
        deleted = sum(1 for r in sim.trace.select("log", node="zk") if "expired" in r.data)
        if sent > deleted:
            fb.add(f"seed {seed}: at most one notification per znode that goes away", False)
            fb.problem = (f"on seed {seed} the service sent {sent} watch notifications for "
                          f"{deleted} znodes that went away: several candidates watch the same "
                          f"znode (the herd effect)")
            return fb
    fb.add("one leader at a time, a new leader after each crash, and one notification per "
           "departure, on seeds " + ", ".join(map(str, SEEDS)), True)
    fb.passed = True
    return fb

# ------------------------------------------------------------ 3. bully's cost


def check_bully_formula(formula: Callable[[int], Any], sizes=(3, 4, 6, 9)) -> Feedback:
    """Exercise: ``formula(n)`` predicts the messages of the bully's worst-case election."""
    fb = Feedback("Count the bully's messages", passed=False,
                  hint="count each kind: the lowest node's Election goes to every higher node "
                       "(the dead one too), every live higher node answers each lower one and runs "
                       "its own election, and the winner tells everyone.")
    if not _callable(fb, formula, "formula(n) -> int"):
        return fb
    for n in sizes:
        check_int("n", n, minimum=2)
        measured = worst_and_best_case(n, seed=1)["worst"]
        ok, got = _safe(formula, n)
        if not ok or got != measured:
            fb.add(f"n = {n}: {measured} messages", False)
            fb.problem = (f"formula({n}) raised {got}" if not ok else
                          f"formula({n}) = {got!r}, but the simulation sent {measured}")
            return fb
    fb.add("matches the simulation for n = " + ", ".join(map(str, sizes)), True)
    fb.passed = True
    return fb
