"""Seeded generators of histories with a known verdict, for tests, benchmarks
and exercises.

``register_history``, ``kv_history`` and ``counter_history`` simulate a truly
atomic object used by several processes at once: each operation is invoked,
takes effect at one random instant (its *linearization point*) strictly
inside its interval, and completes; results are computed by applying the
operations in linearization-point order. So the history is linearizable by
construction, however much the operations overlap.

With ``info_rate > 0`` some operations time out (complete ``info``); such an
operation took effect at its point, or later (after the timeout, as a retried
request can), or never: all three happen. With ``cas_ratio > 0`` a register
also gets compare-and-set operations, some of which fail (and do not take
effect).

``corrupt_read`` then breaks a history on purpose. ``kind="stale"`` replaces
a read's result with a value that is certainly stale: that value's write
completed before another write started, which completed before the read
started. No linearization can explain that, so the corrupt history is
certainly not linearizable. ``kind="any"`` changes a read to another written
value (or count), which may or may not break linearizability (tests compare
such cases against a brute-force checker).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from typing import Any

from ..sim.history import History
from ..sim.rng import Seed, make_rng
from ..sim.validate import check_int, check_number, check_probability
from .models import CASRegister, Counter, KVMap, Model, Register, history_ops


def _schedule(n_ops, processes, rng, max_latency, max_gap):
    """``[(process, invoke, point, complete)]``: sequential per process, overlapping across."""
    heap = [(rng.uniform(0, max_gap), p) for p in range(processes)]
    heapq.heapify(heap)
    out = []
    for _ in range(n_ops):
        t, p = heapq.heappop(heap)
        d = rng.uniform(0.1 * max_latency, max_latency)
        point = t + rng.uniform(0.05, 0.95) * d
        out.append((p, t, point, t + d))
        heapq.heappush(heap, (t + d + rng.uniform(0.01, max_gap), p))
    return out


def _emit(ops, rng, info_rate):
    """Apply the operations at their points and write the history.

    ``ops``: dicts with process, invoke, point, complete, f, value and an
    ``apply(state) -> (type, result, state)`` closure over one key's state.
    """
    effects = []
    for k, op in enumerate(ops):
        op["type"] = "ok"
        if info_rate and rng.random() < info_rate:
            op["type"] = "info"
            fate = rng.random()
            if fate < 1 / 3:
                op["point"] = None                       # never took effect
            elif fate < 2 / 3:
                op["point"] = op["complete"] + rng.uniform(0, 50)   # took effect later
        if op["point"] is not None:
            effects.append((op["point"], k))
    effects.sort()
    states: dict[Any, Any] = {}
    for _, k in effects:
        op = ops[k]
        key = op["key"]
        kind, result, states[key] = op["apply"](states.get(key, op["initial"]))
        if op["type"] == "ok":
            op["type"], op["result"] = kind, result
    events = []
    for k, op in enumerate(ops):
        events.append((op["invoke"], 0, k))
        events.append((op["complete"], 1, k))
    events.sort()
    history = History()
    for t, phase, k in events:
        op = ops[k]
        if phase == 0:
            history.invoke(op["process"], op["f"], op["value"], time=round(t, 3))
        else:
            result = op.get("result") if op["type"] == "ok" else None
            history.complete(op["process"], op["type"], op["wrap"](result), time=round(t, 3))
    return history


def _register_op(f, value, key, wrap_key):
    def apply(state):
        if f == "write":
            return "ok", None, value
        if f == "read":
            return "ok", state, state
        expected, new = value
        return ("ok", None, new) if state == expected else ("fail", None, state)
    arg = value if not wrap_key else [key, list(value) if isinstance(value, tuple) else value]
    wrap = (lambda r: [key, r]) if wrap_key else (lambda r: r)
    return dict(f=f, value=arg if wrap_key else (list(value) if isinstance(value, tuple) else value),
                key=key, apply=apply, wrap=wrap, initial=None)


def _check_common(n_ops, processes, read_ratio, info_rate, max_latency, max_gap):
    check_int("n_ops", n_ops, minimum=0)
    check_int("processes", processes, minimum=1)
    check_probability("read_ratio", read_ratio)
    check_probability("info_rate", info_rate)
    check_number("max_latency", max_latency, minimum=0.0, strict_min=True)
    check_number("max_gap", max_gap, minimum=0.0, strict_min=True)


def register_history(n_ops: int = 100, processes: int = 5, *, seed: Seed = None,
                     read_ratio: float = 0.5, info_rate: float = 0.0, cas_ratio: float = 0.0,
                     max_latency: float = 10.0, max_gap: float = 5.0) -> History:
    """A linearizable register history (``CASRegister`` if ``cas_ratio > 0``).

    Writes write unique integers 1, 2, 3, ...; reads of the initial state
    return None. ``cas`` operations expect a recently written value.
    """
    return _rw_history(n_ops, processes, None, seed, read_ratio, info_rate, cas_ratio,
                       max_latency, max_gap)


def kv_history(n_ops: int = 100, processes: int = 5, keys: int = 3, *, seed: Seed = None,
               read_ratio: float = 0.5, info_rate: float = 0.0, cas_ratio: float = 0.0,
               max_latency: float = 10.0, max_gap: float = 5.0) -> History:
    """A linearizable key-value history over keys ``"k0"``, ``"k1"``, ... (for ``KVMap``).

    Operations carry ``[key, value]``; every key's values are unique.
    """
    check_int("keys", keys, minimum=1)
    return _rw_history(n_ops, processes, keys, seed, read_ratio, info_rate, cas_ratio,
                       max_latency, max_gap)


def _rw_history(n_ops, processes, keys, seed, read_ratio, info_rate, cas_ratio,
                max_latency, max_gap):
    _check_common(n_ops, processes, read_ratio, info_rate, max_latency, max_gap)
    check_probability("cas_ratio", cas_ratio)
    rng = make_rng(seed)
    ops = []
    counter = 0
    recent: dict[Any, list] = {}
    for p, t, point, end in _schedule(n_ops, processes, rng, max_latency, max_gap):
        key = None if keys is None else f"k{rng.randrange(keys)}"
        x = rng.random()
        if x < read_ratio:
            f, value = "read", None
        elif x < read_ratio + cas_ratio * (1 - read_ratio):
            counter += 1
            choices = recent.get(key, [None])
            f, value = "cas", (rng.choice(choices[-3:]), counter)
            recent.setdefault(key, []).append(counter)
        else:
            counter += 1
            f, value = "write", counter
            recent.setdefault(key, []).append(counter)
        op = _register_op(f, value, key, keys is not None)
        op.update(process=p, invoke=t, point=point, complete=end)
        ops.append(op)
    return _emit(ops, rng, info_rate)


def counter_history(n_ops: int = 100, processes: int = 5, *, seed: Seed = None,
                    read_ratio: float = 0.5, info_rate: float = 0.0, max_latency: float = 10.0,
                    max_gap: float = 5.0) -> History:
    """A linearizable counter history: ``add`` of 1 to 3, and ``read``."""
    _check_common(n_ops, processes, read_ratio, info_rate, max_latency, max_gap)
    rng = make_rng(seed)
    ops = []
    for p, t, point, end in _schedule(n_ops, processes, rng, max_latency, max_gap):
        if rng.random() < read_ratio:
            f, value = "read", None

            def apply(state):
                return "ok", state, state
        else:
            f, value = "add", rng.randint(1, 3)

            def apply(state, d=value):
                return "ok", None, state + d
        ops.append(dict(process=p, invoke=t, point=point, complete=end, f=f, value=value,
                        key=None, apply=apply, wrap=lambda r: r, initial=0))
    return _emit(ops, rng, info_rate)


# -- corruption --------------------------------------------------------------------
def corrupt_read(history: History, *, seed: Seed = None, model: Model | None = None,
                 kind: str = "stale", key: Any = None) -> tuple[History, int]:
    """A copy of ``history`` with one read's result changed: ``(history, event index)``.

    ``kind="stale"`` (registers and key-value maps): a certainly stale value,
    so the result is certainly not linearizable; ``key`` restricts the choice
    to one key. ``kind="any"``: another value (a register's written value, or
    a counter's count plus or minus one), which may or may not be linearizable.
    Raises ``ValueError`` if no read can be corrupted that way.
    """
    model = Register() if model is None else model
    if kind not in ("stale", "any"):
        raise ValueError(f"kind must be 'stale' or 'any', got {kind!r}")
    rng = make_rng(seed)
    events = [dict(e) for e in history.events]
    parts: dict[Any, list] = {}
    for op in history_ops(history):
        part, inner = model.split(op)
        if key is None or part == key:
            parts.setdefault(part, []).append((op, inner))
    choices = []
    for part, ops in parts.items():
        reads = [(op, inner) for op, inner in ops if inner.f == "read" and inner.type == "ok"]
        if isinstance(model, Counter) or (isinstance(model, KVMap) and isinstance(model.per_key, Counter)):
            if kind == "stale":
                raise ValueError("kind='stale' needs a register or key-value model")
            for op, inner in reads:
                choices.append((op, part, inner.result + rng.choice((-1, 1))))
            continue
        writes = sorted(((inner.value if inner.f == "write" else inner.value[1]), inner)
                        for _, inner in ops if inner.type == "ok" and inner.f in ("write", "cas"))
        if kind == "any":
            values = sorted({v for v, _ in writes})
            for op, inner in reads:
                others = [v for v in values if v != inner.result]
                if others:
                    choices.append((op, part, rng.choice(others)))
            continue
        # stale: value v whose write completed before some write w2 was invoked,
        # where w2 completed before the read was invoked
        by_end = sorted(writes, key=lambda vw: vw[1].complete_index)
        ends = [w.complete_index for _, w in by_end]
        latest_invoke, best = [], -1       # latest invocation among the first k to complete
        for _, w in by_end:
            best = max(best, w.invoke_index)
            latest_invoke.append(best)
        for op, inner in reads:
            k = bisect_left(ends, inner.invoke_index)     # writes completed before the read
            if not k:
                continue
            j = bisect_left(ends, latest_invoke[k - 1])   # ... and before that write began
            stale = [v for v, _ in by_end[max(0, j - 4):j] if v != inner.result]
            if stale:
                choices.append((op, part, rng.choice(stale[-3:])))
    if not choices:
        raise ValueError(f"no read in this history can be corrupted with kind={kind!r}")
    op, part, value = choices[rng.randrange(len(choices))]
    index = op.complete_index
    events[index]["value"] = [part, value] if isinstance(model, KVMap) else value
    return History.from_events(events), index


def models_for(cas: bool = False, kv: bool = False) -> Model:
    """The model matching a generator's output."""
    inner = CASRegister() if cas else Register()
    return KVMap(inner) if kv else inner
