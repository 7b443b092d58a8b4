"""The four session guarantees (Terry et al., "Session guarantees for weakly
consistent replicated data", 1994), checked on a history.

A session is a process (see ``rw`` for the history conventions). Each
guarantee names writes that a read of the session *must reflect* (see that
write, or one newer in the causal order); a read that does not is reported,
with the operations that made the write required:

* **read your writes**: a read reflects the session's own earlier writes of
  that key;
* **monotonic reads**: a read reflects every write the session's earlier reads
  of that key saw (it never goes back in time);
* **monotonic writes**: once the session has seen a write ``w2`` of a process
  ``p``, its reads reflect ``p``'s writes that came before ``w2`` (``p``'s writes
  are seen in the order ``p`` made them);
* **writes follow reads**: once the session has seen a write ``w2`` of a
  process ``p``, its reads reflect the writes ``p`` had *read* before making
  ``w2`` (a reply is never seen without what it replied to).

A read of a value that no write wrote breaks every guarantee; each result
reports it as "value never written". "Newer" is the causal order; with one
value per read, a write concurrent with the required one is accepted (it may
have won a last-writer-wins race). Each guarantee is weaker than causal
consistency, which implies all four.
"""

from __future__ import annotations

from typing import Any

from .causal import latest_before, latest_writes
from .rw import ConsistencyResult, Prepared, _describe_write


def _prepare(history, kv, initial, siblings) -> Prepared:
    return Prepared(history, kv=kv, initial=initial, siblings=siblings)


def _add_maximal(p: Prepared, chain: list, w: int, because: tuple) -> None:
    """Keep ``chain`` an antichain of the newest required writes (with their reasons)."""
    if any(e == w or p.before(w, e) for e, _ in chain):
        return
    chain[:] = [(e, b) for e, b in chain if not p.before(e, w)]
    chain.append((w, because))


def check_read_your_writes(history, *, kv: bool = False, initial: Any = None,
                           siblings: bool = False) -> ConsistencyResult:
    """Each read reflects the session's own earlier writes of its key."""
    p = _prepare(history, kv, initial, siblings)
    table = latest_writes(p)
    anomalies = []
    for rw in p.checked_reads():
        w = latest_before(table, rw.session, rw.key, rw.sidx)
        if w is not None and not p.reflects(rw.saw, w):
            anomalies.append(p.anomaly("read your writes", rw, w, (),
                                       "the same session had already made"))
    return p.result("read your writes", anomalies, "reflects the session's own writes")


def check_monotonic_reads(history, *, kv: bool = False, initial: Any = None,
                          siblings: bool = False) -> ConsistencyResult:
    """A session's reads of a key never go back to an older write."""
    p = _prepare(history, kv, initial, siblings)
    seen: dict[tuple, list] = {}
    anomalies = []
    for rw in p.checked_reads():
        chain = seen.setdefault((rw.session, rw.key), [])
        for w, because in chain:
            if not p.reflects(rw.saw, w):
                anomalies.append(p.anomaly("monotonic reads", rw, w, because,
                                           "an earlier read of the same session saw"))
                break
        for w in rw.saw:
            _add_maximal(p, chain, w, (rw.index,))
    return p.result("monotonic reads", anomalies, "is at least as new as the session's earlier reads")


def check_monotonic_writes(history, *, kv: bool = False, initial: Any = None,
                           siblings: bool = False) -> ConsistencyResult:
    """Seeing a process's write means seeing its earlier writes too."""
    p = _prepare(history, kv, initial, siblings)
    table = latest_writes(p)
    anomalies = []
    for s in p.sessions:
        seen: dict[Any, tuple[int, int, int]] = {}      # writer -> (sidx, write, read)
        for i in p.by_session[s]:
            rw = p.ops[i]
            if rw.kind != "read" or rw.thin:
                continue
            for writer in p.sessions:
                if writer not in seen:
                    continue
                bound, w2, r2 = seen[writer]
                w1 = latest_before(table, writer, rw.key, bound)
                if w1 is not None and not p.reflects(rw.saw, w1):
                    anomalies.append(p.anomaly(
                        "monotonic writes", rw, w1, (r2, w2),
                        f"the session had seen {writer}'s later "
                        f"{_describe_write(p.ops[w2], p.kv)}, which came after"))
                    break
            for w in rw.saw:
                writer = p.ops[w].session
                if writer not in seen or p.ops[w].sidx > seen[writer][0]:
                    seen[writer] = (p.ops[w].sidx, w, rw.index)
    return p.result("monotonic writes", anomalies, "sees each process's writes in order")


def check_writes_follow_reads(history, *, kv: bool = False, initial: Any = None,
                              siblings: bool = False) -> ConsistencyResult:
    """Seeing a write means seeing what its writer had read before making it."""
    p = _prepare(history, kv, initial, siblings)
    # what each session had read, in order, and how much of it preceded each write
    log: dict[Any, list[tuple[int, int]]] = {s: [] for s in p.sessions}
    deps: dict[int, int] = {}
    for s in p.sessions:
        for i in p.by_session[s]:
            rw = p.ops[i]
            if rw.kind == "read":
                log[s].extend((w, i) for w in rw.saw)
            else:
                deps[i] = len(log[s])
    anomalies = []
    for s in p.sessions:
        merged: dict[Any, int] = {}
        required: dict[Any, list] = {}
        for i in p.by_session[s]:
            rw = p.ops[i]
            if rw.kind != "read" or rw.thin:
                continue
            for w1, because in required.get(rw.key, []):
                if not p.reflects(rw.saw, w1):
                    w2 = p.ops[because[1]]
                    anomalies.append(p.anomaly(
                        "writes follow reads", rw, w1, because,
                        f"the session had seen {w2.session}'s {_describe_write(w2, p.kv)}, "
                        f"which {w2.session} made after reading"))
                    break
            for w2 in rw.saw:
                writer = p.ops[w2].session
                upto = deps.get(w2, 0)
                for w1, r1 in log[writer][merged.get(writer, 0):upto]:
                    _add_maximal(p, required.setdefault(p.ops[w1].key, []), w1, (i, w2, r1))
                merged[writer] = max(merged.get(writer, 0), upto)
    return p.result("writes follow reads", anomalies,
                    "reflects what the writers it saw had read")


def check_session_guarantees(history, *, kv: bool = False, initial: Any = None,
                             siblings: bool = False) -> dict[str, ConsistencyResult]:
    """All four guarantees: ``{name: result}`` in Terry et al.'s order."""
    kwargs = dict(kv=kv, initial=initial, siblings=siblings)
    return {"read your writes": check_read_your_writes(history, **kwargs),
            "monotonic reads": check_monotonic_reads(history, **kwargs),
            "monotonic writes": check_monotonic_writes(history, **kwargs),
            "writes follow reads": check_writes_follow_reads(history, **kwargs)}
