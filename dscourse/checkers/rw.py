"""Read/write histories for the causal and session checkers.

Those checkers need to know, for every read, *which write* it saw. So they
ask for histories in which that is visible:

* operations are ``read`` and ``write`` (any other ``f`` is an error);
* every write of a key writes a value no other write of that key writes
  (for example ``f"{process}-{n}"`` or a global counter), so a read's value
  names the write it saw; a read that returns ``initial`` (default ``None``)
  saw no write at all;
* a register history (``kv=False``) has one implicit key; a key-value history
  (``kv=True``) carries ``[key, value]`` in invocations and completions, as for
  ``KVMap`` (a write may complete with ``None``);
* with ``siblings=True`` a read returns a list of values: the concurrent
  versions a store kept for the client to resolve (empty: nothing written);
* sessions are processes: a process's operations, in order, form its session;
* ``fail`` operations did not happen; ``info`` writes may have happened (a read
  may see them), at any time after they were invoked, so nothing *requires*
  them except a read that depends on one that saw them; ``info`` reads are
  ignored.

From this, the *causal order* ``co`` (Lamport's happened-before for
operations): the transitive closure of session order (a process's earlier
operation precedes its later ones) and reads-from (a write precedes every read
that saw it). It is computed with a vector per operation, counting how many
operations of each session are in its causal past, in a topological order; a
cycle (a read that saw a write which itself depends on that read) is reported.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..sim.history import Operation
from ..sim.table import TextTable, format_table
from .lanes import history_lanes, process_order
from .linearizability import as_history
from .models import freeze


@dataclass(frozen=True)
class RW:
    """One read or write, normalised: ``key``, the written ``value``, or the set of
    writes a read ``saw`` (indices into ``Prepared.ops``; empty = the initial value)."""
    index: int
    op: Operation
    kind: str                   # "read" or "write"
    key: Any
    value: Any                  # written value, or the read's value(s)
    session: Any
    sidx: int                   # position in its session
    saw: tuple = ()
    thin: bool = False          # a read of a value no (successful) write wrote
    chain: Any = None           # its line in the causal order (see Prepared._causal_order)
    cidx: int = 0               # its position on that line


@dataclass(frozen=True)
class Anomaly:
    """One violation: a read that did not reflect a write it had to reflect."""
    guarantee: str
    kind: str                   # "stale read", "read of the initial value", "value never written", ...
    read: Operation | None
    required: Operation | None  # the write the read should have seen (or something newer)
    because: tuple = ()         # operations that made that write required
    message: str = ""

    @property
    def ops(self) -> tuple:
        return tuple(op for op in (self.read, self.required, *self.because) if op is not None)


@dataclass(frozen=True)
class ConsistencyResult:
    """The verdict of a causal or session-guarantee check, with every violation."""
    guarantee: str
    valid: bool
    anomalies: tuple
    ops_checked: int
    reason: str
    history: Any = field(default=None, repr=False, compare=False)
    describe: Any = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return self.valid

    @property
    def ops(self) -> tuple:
        """Every operation involved in some anomaly (for highlighting), in history order."""
        seen = {}
        for a in self.anomalies:
            for op in a.ops:
                seen[op.invoke_index] = op
        return tuple(seen[i] for i in sorted(seen))

    @property
    def explanation(self) -> str:
        lines = [f"{self.guarantee}: {'holds' if self.valid else 'VIOLATED'} ({self.reason})"]
        for a in self.anomalies[:10]:
            lines.append(f"  - {a.message}")
        if len(self.anomalies) > 10:
            lines.append(f"  ... and {len(self.anomalies) - 10} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explanation

    def lanes(self, *, margin: int = 2, width: int = 100) -> TextTable:
        """The history as text lanes around the anomalies' operations (all of it if none)."""
        ops = self.ops
        return history_lanes(self.history, highlight=ops, around=ops or None, margin=margin,
                             width=width, describe=self.describe)

    def table(self, limit: int | None = 20) -> TextTable:
        rows = []
        for a in self.anomalies[:limit] if limit else self.anomalies:
            r = a.read
            rows.append((a.kind, "-" if r is None else r.process,
                         "-" if r is None else r.invoke_index,
                         "-" if a.required is None else a.required.invoke_index, a.message))
        title = f"{self.guarantee}: {_count(len(self.anomalies), 'anomaly', 'anomalies')}"
        return format_table(["anomaly", "session", "read at", "should see write at", "detail"],
                            rows, title=title)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _describe_write(w: RW | None, kv: bool = False) -> str:
    if w is None:
        return "the initial value"
    where = f" to {w.key!r}" if kv else ""
    return f"write {w.value!r}{where} (event {w.op.invoke_index})"


class Prepared:
    """A history normalised for the read/write checkers, with its causal order."""

    def __init__(self, history, *, kv: bool = False, initial: Any = None, siblings: bool = False):
        self.history = as_history(history)
        self.kv, self.initial, self.siblings = kv, freeze(initial), siblings
        self.ops: list[RW] = []
        self.anomalies: list[Anomaly] = []      # found while preparing (values never written)
        self._build()
        self._causal_order()

    # -- normalising -------------------------------------------------------------
    def _split(self, op: Operation, raw: Any, completion: bool) -> tuple[Any, Any]:
        index = op.complete_index if completion else op.invoke_index
        if not self.kv:
            return None, freeze(raw)
        raw = freeze(raw)
        if not (isinstance(raw, tuple) and len(raw) == 2):
            raise ValueError(f"event {index}: with kv=True a value must be [key, value], got {raw!r}")
        return raw

    def _build(self) -> None:
        writes: dict[tuple, RW] = {}
        failed: dict[tuple, Operation] = {}
        sessions: dict[Any, int] = {}
        reads: list[tuple[Operation, Any, Any]] = []
        for op in self.history.operations():
            if op.f not in ("read", "write"):
                raise ValueError(f"event {op.invoke_index}: f={op.f!r}; the causal and session "
                                 f"checkers understand 'read' and 'write' only")
            if op.f == "write":
                key, value = self._split(op, op.value, False)
                if op.type == "ok" and self.kv and op.result is not None:
                    rkey, _ = self._split(op, op.result, True)
                    if rkey != key:
                        raise ValueError(f"event {op.complete_index}: completion is for key {rkey!r} "
                                         f"but the write was for key {key!r}")
                try:
                    hash(value)
                except TypeError:
                    raise ValueError(f"event {op.invoke_index}: written values must be hashable, "
                                     f"got {value!r}") from None
                if value == self.initial:
                    raise ValueError(f"event {op.invoke_index}: a write of {value!r}, which is the "
                                     f"initial value: reads of it would be ambiguous")
                if (key, value) in writes or (key, value) in failed:
                    other = (writes[(key, value)].op if (key, value) in writes
                             else failed[(key, value)])
                    raise ValueError(f"event {op.invoke_index}: value {value!r} was already written "
                                     f"to key {key!r} at event {other.invoke_index}; these checkers "
                                     f"need unique values per key to tell which write a read saw")
                if op.type == "fail":
                    failed[(key, value)] = op
                    continue
                rw = self._add(op, "write", key, value, sessions)
                writes[(key, value)] = rw
            else:
                if op.type != "ok":
                    continue
                if self.kv:
                    ikey, _ = self._split(op, op.value, False)
                    key, value = self._split(op, op.result, True)
                    if ikey != key:
                        raise ValueError(f"event {op.complete_index}: read completion is for key "
                                         f"{key!r} but the invocation was for key {ikey!r}")
                else:
                    key, value = None, freeze(op.result)
                if self.siblings and not isinstance(value, tuple):
                    raise ValueError(f"event {op.complete_index}: with siblings=True a read returns "
                                     f"a list of values, got {value!r}")
                rw = self._add(op, "read", key, value, sessions)
                reads.append(rw)
        self.writes = writes
        self.failed = failed
        # which write(s) each read saw
        for rw in reads:
            values = rw.value if self.siblings else (rw.value,)
            saw, thin = [], False
            for v in values:
                if not self.siblings and v == self.initial:
                    continue
                w = writes.get((rw.key, v))
                if w is None:
                    where = f" to key {rw.key!r}" if self.kv else ""
                    what = ("a write that failed" if (rw.key, v) in failed
                            else "a value no operation wrote")
                    self.anomalies.append(Anomaly(
                        "causal", "value never written", rw.op, failed.get((rw.key, v)), (),
                        f"{rw.session} read {v!r}{where} at event {rw.op.invoke_index}: {what}"))
                    thin = True
                    continue
                saw.append(w.index)
            self.ops[rw.index] = dataclasses.replace(rw, saw=tuple(sorted(saw)), thin=thin)
        self.observed = {i for rw in self.ops for i in rw.saw}

    def _add(self, op, kind, key, value, sessions) -> RW:
        sidx = sessions.get(op.process, 0)
        sessions[op.process] = sidx + 1
        rw = RW(len(self.ops), op, kind, key, value, op.process, sidx)
        self.ops.append(rw)
        return rw

    # -- causal order ---------------------------------------------------------------
    def _causal_order(self) -> None:
        """A vector per operation: how much of each *chain* is in its causal past.

        A session's completed operations form one chain, in order. A write
        whose outcome is unknown (``info``) may take effect at any later time,
        so the session's later operations do not depend on it: it gets a chain
        of its own, after the session's earlier operations; it enters the
        causal order only through reads that saw it.
        """
        ops = self.ops
        self.sessions = process_order(rw.session for rw in ops)
        by_session: dict[Any, list[int]] = {s: [] for s in self.sessions}
        for rw in ops:
            by_session[rw.session].append(rw.index)
        self.by_session = by_session
        succ: list[list[int]] = [[] for _ in ops]
        indeg = [0] * len(ops)
        chains: list = []
        for s in self.sessions:
            chains.append(s)
            last, pos = None, 0
            for i in by_session[s]:
                rw = ops[i]
                ghost = rw.op.type != "ok"
                chain = ("info", i) if ghost else s
                if ghost:
                    chains.append(chain)
                ops[i] = rw = dataclasses.replace(rw, chain=chain, cidx=0 if ghost else pos)
                if last is not None:
                    succ[last].append(i)
                    indeg[i] += 1
                if not ghost:
                    last, pos = i, pos + 1
        self.chains = chains
        slot = self.slot = {c: k for k, c in enumerate(chains)}
        for rw in ops:
            for w in rw.saw:
                succ[w].append(rw.index)
                indeg[rw.index] += 1
        vc: list = [None] * len(ops)
        pending_vc = [[0] * len(chains)] * len(ops)
        queue = deque(i for i in range(len(ops)) if indeg[i] == 0)
        while queue:
            i = queue.popleft()
            v = list(pending_vc[i])
            v[slot[ops[i].chain]] = ops[i].cidx + 1
            vc[i] = v
            for j in succ[i]:
                pending_vc[j] = [a if a >= b else b for a, b in zip(pending_vc[j], v)]
                indeg[j] -= 1
                if indeg[j] == 0:
                    queue.append(j)
        self.cycle: list[int] = []
        left = [i for i in range(len(ops)) if vc[i] is None]
        if left:
            self.cycle = self._find_cycle(succ, left)
            for i in left:      # no causal order there: keep the past known so far
                v = list(pending_vc[i])
                v[slot[ops[i].chain]] = ops[i].cidx + 1
                vc[i] = v
        self.vc = vc

    @staticmethod
    def _find_cycle(succ, left) -> list[int]:
        """A cycle among the operations Kahn's algorithm could not order.

        Each of them still has a predecessor among them, so walking back along
        predecessors must come round to an operation already on the path.
        """
        inside = set(left)
        pred: dict[int, list[int]] = {i: [] for i in left}
        for i in left:
            for j in succ[i]:
                if j in inside:
                    pred[j].append(i)
        i, seen, path = min(left), {}, []
        while i not in seen:
            seen[i] = len(path)
            path.append(i)
            i = min(pred[i])
        cycle = path[seen[i]:]
        cycle.reverse()
        return cycle

    def before(self, a: int, b: int) -> bool:
        """Is operation ``a`` strictly before ``b`` in the causal order?"""
        if a == b:
            return False
        ra = self.ops[a]
        return self.vc[b][self.slot[ra.chain]] > ra.cidx

    def reflects(self, saw: tuple, w: int) -> bool:
        """Does a read that saw ``saw`` reflect the write ``w`` (``w`` or something newer)?

        One value: it must not be a write strictly older than ``w`` (a concurrent
        one may legitimately have won). Siblings: ``w`` or a write after it must
        be among them (a store that keeps siblings must not lose a write).
        """
        if not saw:
            return False
        if self.siblings:
            return any(s == w or self.before(w, s) for s in saw)
        return not any(self.before(s, w) for s in saw)

    def anomaly(self, guarantee: str, rw: RW, required: int, because: tuple, why: str) -> Anomaly:
        req = self.ops[required]
        seen = [self.ops[s] for s in rw.saw]
        saw_text = (" and ".join(_describe_write(s, self.kv) for s in seen) if seen
                    else _describe_write(None))
        kind = "stale read" if seen else "read of the initial value"
        where = f" of key {rw.key!r}" if self.kv else ""
        msg = (f"{rw.session}'s read{where} at event {rw.op.invoke_index} saw {saw_text}, "
               f"but {why} {_describe_write(req, self.kv)}")
        return Anomaly(guarantee, kind, rw.op, req.op, tuple(self.ops[b].op for b in because), msg)

    def checked_reads(self):
        """The reads to hold to a guarantee: those that returned written values
        (one that returned a value nobody wrote is reported as such instead)."""
        return [rw for rw in self.ops if rw.kind == "read" and not rw.thin]

    def result(self, guarantee: str, anomalies: list[Anomaly], what: str) -> ConsistencyResult:
        """The verdict; every guarantee also reports reads of values never written."""
        anomalies = [dataclasses.replace(a, guarantee=guarantee) for a in self.anomalies] + anomalies
        n = len(self.ops)
        reason = (f"{n} operations checked; " + (_count(len(anomalies), "anomaly", "anomalies")
                                                 if anomalies else f"every read {what}"))
        return ConsistencyResult(guarantee, not anomalies, tuple(anomalies), n, reason, self.history,
                                 self.describe)

    def describe(self, op) -> str:
        """``x:write(1)``, ``x:read→1`` (the key only for a key-value history)."""
        value = freeze(op.value if op.f == "write" else op.result)
        key = None
        if self.kv and isinstance(value, tuple) and len(value) == 2:
            key, value = value
        text = (f"write({value!r})" if op.f == "write" else
                f"read→{value!r}" if op.type == "ok" else "read→?")
        return text if key is None else f"{key}:{text}"
