"""Exercise checks for notebook 10 (the design checklist).

Each check runs the learner's answer on cases the notebook does not show,
measures the consequence on the simulator or on a request stream, and
returns a ``Feedback`` naming what went wrong, where, and a hint. The
learner's code may raise: that is reported, never propagated.

1. ``check_seat_booking(answers)``: the checklist answered for a concert
   seat-booking service; the design the answers lead to is then *run* (the
   inventory problem, seats for units) under partitions at several seeds.
2. ``check_split_stock(split_stock)``: escrow quotas, ``split_stock(stock,
   replicas) -> {replica: units}``, run as the ``ap-escrow`` inventory design.
3. ``check_hot_key_router(choose_node)``: ``choose_node(key, ring, hot, rng)``
   picks the cache node for each request; the busiest node's load, the
   copies of each hot key and the locality of cold keys are measured.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from ..feedback import Feedback
from ..hashing import ConsistentHashRing
from ..replication.experiments import node_ids
from .cache import cache_nodes, hot_keys, zipf_requests
from .inventory import run_inventory
from .rules import QUESTION_KEYS, QUESTIONS, check_answers, recommend

__all__ = ["SEAT_BOOKING", "check_seat_booking", "check_split_stock", "check_hot_key_router",
           "reference_split_stock", "reference_choose_node", "MAX_COPIES", "HEADROOM"]


# ---------------------------------------------------------------- 1. seat booking
SEAT_BOOKING = (
    "A concert seat-booking service. Each seat may be sold once. Tickets for a big concert go on "
    "sale at 10:00 and most fans want that one concert. Every booking is stored under its "
    "concert id. After a booking, a worker reads a queue and e-mails the ticket; it records the "
    "booking id of every e-mail it sends and skips ids it has seen. Fans do not mind in which "
    "order the e-mails go out.")

# What the story determines: (value, why). Questions not listed may be answered either way.
_SEAT_ANSWERS = {
    "invariant": (True, "each seat may be sold once: a rule across concurrent bookings"),
    "partition_key": (True, "every booking is stored under its concert id"),
    "ordering": (False, "fans do not mind in which order the e-mails go out"),
    "idempotent": (True, "the worker records booking ids and skips those it has seen"),
    "hot_spots": (True, "most fans want one concert at 10:00: one hot key"),
}
_SEAT_SEEDS = (2, 5, 9)               # the notebook shows seed 1
_SEAT_PARTITIONS = ((50.0, 500.0), (150.0, 900.0), (300.0, 700.0))


def _seat_design(answers: dict) -> str:
    design = recommend(answers)
    if design.cap == "CP":
        return "cp-ticket"
    return "ap-escrow" if answers["invariant"] else "ap-check"


def check_seat_booking(answers: dict) -> Feedback:
    """``answers``: ``{question key: True / False / None}`` for ``SEAT_BOOKING``."""
    fb = Feedback("Seat booking: the checklist", passed=False,
                  hint="read the story sentence by sentence; each determined answer is stated "
                       "in it. A rule about seats holds across concurrent bookings.")
    try:
        answers = check_answers(answers)
    except (TypeError, ValueError) as exc:
        fb.problem = str(exc)
        return fb
    undecided = [k for k in _SEAT_ANSWERS if answers[k] is None]
    if undecided:
        fb.add("every question the story settles has an answer", False)
        fb.problem = (f"still None (not decided): {undecided}. The story settles them; the others "
                      f"({[k for k in QUESTION_KEYS if k not in _SEAT_ANSWERS]}) are yours to "
                      f"choose.")
        return fb
    text = {q.key: q.text for q in QUESTIONS}
    for key, (want, why) in _SEAT_ANSWERS.items():
        ok = answers[key] == want
        fb.add(f"{text[key]} {'yes' if want else 'no'}", ok)
        if not ok:
            fb.problem = (f"you answered {'yes' if answers[key] else 'no'} to \"{text[key]}\", but "
                          f"the story says: {why}.")
            if key != "invariant":
                return fb
    # Run the design these answers lead to, on seeds and partitions the notebook does not show.
    design = _seat_design(answers)
    oversold = []
    for seed, part in zip(_SEAT_SEEDS, _SEAT_PARTITIONS):
        run = run_inventory(design, seed, stock=12, wants=(9, 5, 4), partition=part)
        if run.oversold:
            oversold.append((seed, part, run.oversold))
    fb.add(f"the design your answers lead to ({design}) never sells a seat twice "
           f"(run on seeds {list(_SEAT_SEEDS)}, under partitions)", not oversold)
    if oversold:
        seed, part, n = oversold[0]
        fb.problem = (f"your answers lead to {design!r}: on seed {seed}, with n1 cut off from "
                      f"{part[0]:g} to {part[1]:g} ms, it sold {n} seat(s) twice. Each side of "
                      f"the partition checked its own copy of the count.")
        fb.hint = ("selling a seat once is a rule across concurrent updates: answer yes to the "
                   "invariant question, then the rule set keeps it (CP, or AP with escrow).")
        return fb
    fb.passed = all(ok for _, ok in fb.checks)
    return fb


# ---------------------------------------------------------------- 2. escrow quotas
def reference_split_stock(stock: int, replicas: list) -> dict:
    base, extra = divmod(stock, len(replicas))
    return {r: base + (1 if i < extra else 0) for i, r in enumerate(replicas)}


# (stock, tills' demand, partition); the notebook shows stock 20 with three replicas
_SPLIT_CASES = ((20, (14, 6, 6), (100.0, 700.0)), (7, (5, 5, 5), (50.0, 600.0)),
                (10, (9, 2, 2, 2), (200.0, 800.0)), (2, (3, 3, 3), (0.0, 500.0)),
                (11, (4, 4, 4, 4, 4), None))


def check_split_stock(split_stock: Callable[[int, list], dict]) -> Feedback:
    """``split_stock(stock, replicas) -> {replica: units}``: quotas that never oversell and
    leave no unit unsellable."""
    fb = Feedback("Split the stock (escrow)", passed=False,
                  hint="the quotas are the stock, cut into one piece per replica: they must add "
                       "up to exactly the stock. Share the remainder of stock // n out one unit "
                       "at a time.")
    for i, (stock, wants, part) in enumerate(_SPLIT_CASES):
        replicas = node_ids(len(wants))
        ok, quotas = fb.call(split_stock, stock, list(replicas))
        if not ok:
            return fb
        shown = f"split_stock({stock}, {replicas})"
        if not isinstance(quotas, dict) or sorted(quotas, key=str) != replicas:
            fb.problem = f"{shown} must return a dict with one quota per replica, got {quotas!r}"
            return fb
        bad = {r: q for r, q in quotas.items()
               if isinstance(q, bool) or not isinstance(q, int) or q < 0}
        if bad:
            fb.problem = (f"{shown} gave {bad}: a quota is a whole number of units, at least 0 "
                          f"(use // for division, not /)")
            return fb
        run = run_inventory("ap-escrow", i + 3, stock=stock, wants=wants, quotas=quotas,
                            partition=part)
        total = sum(quotas.values())
        where = "with no partition" if part is None else \
            f"with n1 cut off from {part[0]:g} to {part[1]:g} ms"
        if not fb.add(f"stock {stock} on {len(replicas)} replicas: never oversold", run.oversold == 0):
            fb.problem = (f"{shown} = {quotas} adds up to {total}, more than the {stock} units: "
                          f"{where}, the tills sold {run.sold} units, {run.oversold} that do not "
                          f"exist.")
            return fb
        if not fb.add(f"stock {stock} on {len(replicas)} replicas: every unit sellable",
                      total == stock):
            fb.problem = (f"{shown} = {quotas} adds up to {total}: {stock - total} unit(s) belong "
                          f"to no replica, so they can never be sold, whatever the demand "
                          f"(measured {where}: {run.sold} sold of {stock}).")
            return fb
    fb.passed = True
    return fb


# ---------------------------------------------------------------- 3. hot keys
MAX_COPIES = 6        # a write (an invalidation) to a hot key must reach every copy
HEADROOM = 1.5        # a node may serve at most 1.5 times the mean load
# (nodes, Zipf exponent, seed); the notebook shows 8 nodes, s = 1.1, seed 1
_ROUTER_CASES = ((8, 1.1, 3), (6, 1.2, 4), (10, 1.0, 8), (5, 1.3, 11))
_HOT = 10


def reference_choose_node(key: str, ring: ConsistentHashRing, hot: frozenset,
                          rng: random.Random) -> Any:
    if key in hot:
        return rng.choice(ring.get_nodes(key, 4))
    return ring.get_node(key)


def check_hot_key_router(choose_node: Callable) -> Feedback:
    """``choose_node(key, ring, hot, rng) -> node`` for every request of a Zipf stream."""
    fb = Feedback("Spread the hot keys", passed=False,
                  hint="leave a cold key on its owner, ring.get_node(key); send a hot key to one "
                       "of a few nodes, e.g. rng.choice(ring.get_nodes(key, 4)).")
    for nodes, s, seed in _ROUTER_CASES:
        requests = zipf_requests(keys=5_000, count=20_000, s=s, seed=seed)
        hot = frozenset(hot_keys(requests, _HOT))
        ring = ConsistentHashRing(cache_nodes(nodes), 160)
        rng = random.Random(seed)
        loads = dict.fromkeys(ring.nodes, 0)
        served: dict = {}
        for key in requests:
            ok, node = fb.call(choose_node, key, ring, hot, rng)
            if not ok:
                return fb
            if node not in loads:
                fb.problem = (f"choose_node({key!r}, ...) returned {node!r}, which is not a node "
                              f"of the ring {list(ring.nodes)}")
                return fb
            loads[node] += 1
            served.setdefault(key, set()).add(node)
        case = f"{nodes} nodes, Zipf s={s}, seed {seed}"
        moved = sorted(k for k, ns in served.items()
                       if k not in hot and ns != {ring.get_node(k)})
        if not fb.add(f"{case}: cold keys stay on their owner", not moved):
            fb.problem = (f"{case}: {len(moved)} cold key(s) were served by a node other than "
                          f"their owner, e.g. {moved[0]!r} by {sorted(served[moved[0]])}: every "
                          f"such request misses in the cache and goes to the database.")
            return fb
        copies = max((len(served.get(k, ())) for k in hot), default=0)
        if not fb.add(f"{case}: at most {MAX_COPIES} copies of a hot key", copies <= MAX_COPIES):
            fb.problem = (f"{case}: a hot key was served by {copies} nodes; a write to it would "
                          f"have to invalidate {copies} copies (at most {MAX_COPIES} allowed)")
            return fb
        mean = sum(loads.values()) / len(loads)
        busiest = max(sorted(loads), key=lambda n: loads[n])
        ratio = loads[busiest] / mean
        if not fb.add(f"{case}: busiest node under {HEADROOM} x the mean", ratio <= HEADROOM):
            fb.problem = (f"{case}: {busiest} served {loads[busiest]} requests, {ratio:.2f} times "
                          f"the mean of {mean:.0f}. The hottest keys all went to one node.")
            return fb
    fb.passed = True
    return fb
