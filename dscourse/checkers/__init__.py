"""Consistency checkers: they read a history and say whether a store kept its promise.

Histories
---------
A history is a ``dscourse.sim.History`` (or a list of Jepsen-style event dicts,
e.g. loaded from JSON with ``History.load(path)``)::

    {"process": p, "type": "invoke" | "ok" | "fail" | "info", "f": f, "value": v, "time": t}

Each process runs one operation at a time: ``invoke``, then ``ok`` (took
effect; ``value`` is the result), ``fail`` (certainly did not take effect) or
``info`` (unknown: it may take effect at any later time, or never). An
operation still pending at the end counts as ``info``. Real-time order is the
order of the events in the list (``time`` is only shown, never used to order).

Conventions by checker (what the clients must record):

=====================  ==========================================================
model / checker        operations (invocation value -> completion value)
=====================  ==========================================================
``Register()``         ``write`` v -> anything; ``read`` None -> the value read
                       (``None`` before any write, or ``Register(initial=...)``)
``CASRegister()``      as Register, plus ``cas`` [expected, new] -> ok if it
                       swapped, ``fail`` if it found another value
``Counter()``          ``add`` n -> anything; ``increment`` None or n; ``read``
                       None -> the count (an int)
``KVMap(per_key)``     every value is ``[key, value]``: ``write`` [k, v];
                       ``read`` [k, None] -> [k, v]; ``cas`` [k, [old, new]];
                       writes may complete with None. Default ``per_key`` is
                       ``Register()``; ``KVMap(Counter())`` is a map of counters.
causal and session     ``read`` and ``write`` only, as for Register (or KVMap
checkers               with ``kv=True``); **each write of a key writes a unique
                       value** (e.g. ``f"{process}-{n}"``) so that a read names
                       the write it saw; ``siblings=True``: reads return a list
                       of the concurrent values kept. Sessions = processes.
``check_convergence``  ``{replica: state}`` taken after quiescence
=====================  ==========================================================

Malformed histories raise ``ValueError`` naming the event index: completion
without invocation, two operations at once on one process, unknown ``type``
(``History`` checks those), unknown ``f`` or wrong value types for the model
(the checkers check those).

Linearizability
---------------
``check_linearizable(history, model, *, max_steps=1_000_000, quantum=2_000,
explain=True, explain_steps=300_000, max_memo=1_000_000, stop_when=None)
-> LinearizabilityResult``

* ``.valid``: ``True``, ``False`` or ``"unknown"`` (the step budget ran out;
  ``.reason`` says so). ``bool(result)`` is True only for ``True``.
* On False: ``.failed_op`` (no linearization gets past its completion),
  ``.prefix`` (the longest linearization found: every operation completed
  before it, in a legal order), ``.window`` (a minimal set of operations whose
  recorded outcomes cannot all be true), ``.key`` (for a ``KVMap``).
* ``.explanation`` (text), ``.table()``, ``.prefix_table()``, ``.lanes()``
  (text lanes of the window), ``.ops_checked``, ``.steps``, ``.parts``.

Budgets are counted in model steps, not seconds, so a verdict is the same on
every machine (a notebook that wants a wall-clock limit passes
``stop_when=lambda: time.monotonic() > deadline``; the checker never reads a
clock). Counters with many ``info`` adds are the hard case (which adds took
effect is a subset-sum question): expect "unknown" there on long histories.
The search is Wing–Gong–Lowe with memoisation (see ``wgl``); a key-value
history is checked key by key, keys in turns (see ``linearizability``).

Your own model: subclass ``Model`` with ``name``, ``fs``, ``read_only``,
``init()`` and ``step(state, op) -> (ok, new_state)`` (hashable states; accept
any outcome when ``op.type == "info"``). See ``dscourse.checkers.models``.

Causal consistency, session guarantees, convergence
---------------------------------------------------
All take ``(history, *, kv=False, initial=None, siblings=False)`` and return a
``ConsistencyResult`` (``.valid``, ``.anomalies`` (each an ``Anomaly`` naming
the read, the write it should have reflected and why), ``.ops`` (operations to
highlight), ``.explanation``, ``.table()``):

* ``check_causal``;
* ``check_read_your_writes``, ``check_monotonic_reads``,
  ``check_monotonic_writes``, ``check_writes_follow_reads``, and
  ``check_session_guarantees`` (all four, as a dict).

``check_convergence(replica_states) -> ConvergenceResult`` (``.valid``,
``.groups``, ``.differing_keys``, ``.table()``).

Views and generators
--------------------
``history_lanes(history, highlight=..., around=...)`` and ``operations_table``
draw a history as text (``dscourse.viz.history`` draws it with matplotlib).
``dscourse.checkers.generate`` makes seeded linearizable histories
(``register_history``, ``kv_history``, ``counter_history``) and corrupts them
(``corrupt_read``).
"""

from .causal import check_causal
from .convergence import ConvergenceResult, check_convergence
from .generate import corrupt_read, counter_history, kv_history, register_history
from .lanes import history_lanes, operations_table
from .linearizability import UNKNOWN, LinearizabilityResult, as_history, check_linearizable
from .models import CASRegister, Counter, KVMap, Model, Register
from .rw import Anomaly, ConsistencyResult
from .session import (
    check_monotonic_reads,
    check_monotonic_writes,
    check_read_your_writes,
    check_session_guarantees,
    check_writes_follow_reads,
)

__all__ = [
    "Anomaly", "CASRegister", "ConsistencyResult", "ConvergenceResult", "Counter", "KVMap",
    "LinearizabilityResult", "Model", "Register", "UNKNOWN", "as_history", "check_causal",
    "check_convergence", "check_linearizable", "check_monotonic_reads", "check_monotonic_writes",
    "check_read_your_writes", "check_session_guarantees", "check_writes_follow_reads",
    "corrupt_read", "counter_history", "history_lanes", "kv_history", "operations_table",
    "register_history",
]
