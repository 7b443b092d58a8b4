"""Causal consistency: every read reflects every write in its causal past.

A store is *causally consistent* when each client sees writes in an order
that respects happened-before: if a write ``w`` precedes a read ``r`` in the
causal order (through the reader's own session, or through writes it saw and
what *their* writers had seen), then ``r`` must not return something older than
``w``. Writes that are concurrent may be seen in different orders by
different clients; that is allowed.

Following Bouajjani, Enea, Guerraoui & Hamza ("On verifying causal
consistency", POPL 2017), the checker looks for *bad patterns* in a history
whose reads can be traced to writes (see ``rw`` for the conventions):

* **value never written** (ThinAirRead): a read returned a value no write wrote
  (or one whose write failed);
* **causality cycle** (CyclicCO): a write depends on a read that saw it;
* **stale read** (WriteCORead): a read saw ``w`` although a write ``w2`` of the
  same key with ``w`` before ``w2`` is in the read's causal past;
* **read of the initial value** (WriteCOInitRead): a read saw no write at all
  although a write of its key is in its causal past.

For each read and each session, only the *latest* write of the key from that
session inside the read's causal past needs checking: the session's earlier
writes precede it, so a read that reflects it reflects them too. (A write
with an unknown outcome is a session of its own, see ``rw``.)
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from .rw import Anomaly, ConsistencyResult, Prepared


def latest_writes(p: Prepared, *, by_chain: bool = False) -> dict:
    """Writes in order, for ``latest_before``.

    ``by_chain=False``: ``{(session, key): ([sidx, ...], [op index, ...])}`` of the
    *completed* writes (what a session itself can be held to); ``by_chain=True``:
    ``{(chain, key): ([cidx, ...], [op index, ...])}`` of every write, for the
    causal order.
    """
    table: dict = {}
    for rw in p.ops:
        if rw.kind != "write" or (not by_chain and rw.op.type != "ok"):
            continue
        where, pos = (rw.chain, rw.cidx) if by_chain else (rw.session, rw.sidx)
        positions, idxs = table.setdefault((where, rw.key), ([], []))
        positions.append(pos)
        idxs.append(rw.index)
    return table


def latest_before(table: dict, session: Any, key: Any, bound: int) -> int | None:
    """The last write of ``key`` by ``session`` whose position is below ``bound``."""
    entry = table.get((session, key))
    if entry is None:
        return None
    k = bisect_left(entry[0], bound)
    return entry[1][k - 1] if k else None


def check_causal(history, *, kv: bool = False, initial: Any = None,
                 siblings: bool = False) -> ConsistencyResult:
    """Is ``history`` causally consistent? Reports every read that breaks it.

    ``kv``: operations carry ``[key, value]``; ``initial``: what a read of a
    never-written key returns; ``siblings``: reads return lists of concurrent
    values. See ``dscourse.checkers.rw`` for the history conventions.
    """
    p = Prepared(history, kv=kv, initial=initial, siblings=siblings)
    anomalies = []
    if p.cycle:
        ops = tuple(p.ops[i].op for i in p.cycle)
        text = " -> ".join(f"{rw.session}:{rw.kind}({rw.value!r})@{rw.op.invoke_index}"
                           for rw in (p.ops[i] for i in p.cycle))
        anomalies.append(Anomaly("causal", "causality cycle", ops[0], None, ops[1:],
                                 f"the causal order has a cycle: {text} -> back to the start"))
    table = latest_writes(p, by_chain=True)
    for rw in p.checked_reads():
        past = p.vc[rw.index]
        for chain in p.chains:
            w = latest_before(table, chain, rw.key, past[p.slot[chain]])
            if w is None or w in rw.saw or p.reflects(rw.saw, w):
                continue
            anomalies.append(p.anomaly("causal", rw, w, (),
                                       "its causal past already contains"))
            break
    return p.result("causal consistency", anomalies, "reflects its causal past")
