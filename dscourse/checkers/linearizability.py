"""Linearizability checking: is there a legal order consistent with real time?

A history is *linearizable* (Herlihy & Wing, 1990) when every operation can be
given a single instant, between its invocation and its completion, at which it
takes effect, so that the results the clients saw are exactly those of the
sequential model applied in that order. Operations that completed ``fail``
did not take effect and are ignored; ``info`` ones (outcome unknown) may have
taken effect at any time after they were invoked, or never.

``check_linearizable`` prepares the history (validates every operation for
the model, splits a key-value history into its keys, drops operations that
cannot matter), then runs the Wing–Gong–Lowe search (``wgl``) on each part.
The parts are searched in turns of ``quantum`` steps, in the order their keys
first appear, so a violation in any key is found about as soon as a search of
that key alone would find it. All work is counted in model steps, never in
seconds: the same history gets the same verdict on every machine, and when
``max_steps`` runs out the answer is ``"unknown"``, with the reason.

On ``False`` the result explains: the failing operation (no linearization
gets past its completion), the longest linearization found (every operation
that completed before it, in a legal order), and a small window of operations
whose recorded outcomes cannot all be true (``explain``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable, Union

from ..sim.history import History, Operation
from ..sim.table import TextTable, format_table
from ..sim.validate import check_int
from .explain import smallest_window
from .lanes import history_lanes
from .models import Model, Op, history_ops
from .wgl import Search

UNKNOWN = "unknown"
Verdict = Union[bool, str]


def as_history(history: Any, name: str = "history") -> History:
    """A ``History`` from a ``History`` or a list of event dicts (validated)."""
    if isinstance(history, History):
        return history
    if isinstance(history, (str, bytes)):
        raise TypeError(f"{name} must be a History or a list of event dicts, got a string; "
                        f"use History.from_json(text) or History.load(path)")
    if not isinstance(history, Iterable):
        raise TypeError(f"{name} must be a History or a list of event dicts, got "
                        f"{type(history).__name__}")
    return History.from_events(history)


def to_operation(op: Op, history: History) -> Operation:
    """The history's own ``Operation`` for a checker ``Op`` (with the event times)."""
    inv = history.events[op.invoke_index]
    end = op.complete_index
    done = end is not None and op.type != "info"
    return Operation(op.process, op.f, inv.get("value"),
                     history.events[end].get("value") if done else None,
                     op.type, inv.get("time", 0.0),
                     history.events[end].get("time", 0.0) if done else math.inf,
                     op.invoke_index, end)


@dataclass(frozen=True)
class LinearizabilityResult:
    """The verdict of ``check_linearizable`` and its explanation.

    ``valid`` is True, False or ``"unknown"`` (the budget ran out; ``reason``
    says which). ``bool(result)`` is True only when ``valid is True``.
    Operations are the history's own (``History.operations()``).
    """

    valid: Verdict
    model: str
    reason: str
    ops_checked: int
    steps: int
    parts: int = 1
    key: Any = None                              # the failing key (a KVMap history)
    failed_op: Operation | None = None
    window: tuple = ()                           # operations that cannot all be true
    window_minimal: bool = True
    memo_full: bool = False
    prefix_ids: tuple = field(default=(), repr=False)        # invoke indices, in order
    linearization_ids: tuple | None = field(default=None, repr=False)
    describe: Any = field(default=None, repr=False, compare=False)
    history: History | None = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return self.valid is True

    def _operations(self, ids) -> tuple:
        by_index = {op.invoke_index: op for op in history_ops(self.history)}
        return tuple(to_operation(by_index[i], self.history) for i in ids)

    @cached_property
    def prefix(self) -> tuple:
        """On False: the longest linearization found (operations, in order)."""
        return self._operations(self.prefix_ids) if self.prefix_ids else ()

    @cached_property
    def linearization(self) -> tuple | None:
        """On True (one part): a linearization (operations, in order)."""
        if self.linearization_ids is None:
            return None
        return self._operations(self.linearization_ids)

    def _op_text(self, op: Operation) -> str:
        text = self.describe(op) if self.describe else f"{op.f}({op.value!r})"
        return f"{op.process}: {text}"

    @property
    def explanation(self) -> str:
        head = f"linearizable ({self.model}): {self.valid}"
        lines = [head, f"  {self.reason}"]
        if self.valid is False and self.failed_op is not None:
            op = self.failed_op
            where = f" on key {self.key!r}" if self.key is not None else ""
            lines.append(f"  fails{where} at {self._op_text(op)} (events {op.invoke_index}-"
                         f"{op.complete_index}): every operation that completed before event "
                         f"{op.complete_index} can be linearized ({len(self.prefix_ids)} in the longest "
                         f"order found), but none can get past that completion.")
            ops = ", ".join(self._op_text(o) for o in self.window)
            minimal = "" if self.window_minimal else " (not minimised: budget ran out)"
            lines.append(f"  smallest window{minimal}: {len(self.window)} operations whose "
                         f"outcomes cannot all be true: {ops}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explanation

    def table(self) -> TextTable:
        """The window (on False), else a one-row summary, as a text table."""
        if self.valid is False:
            failed = self.failed_op.invoke_index if self.failed_op is not None else None
            rows = [(op.invoke_index, "-" if op.complete_index is None else op.complete_index,
                     op.process, self.describe(op) if self.describe else op.f,
                     "failed op" if op.invoke_index == failed else "")
                    for op in self.window]
            where = f" (key {self.key!r})" if self.key is not None else ""
            return format_table(["invoke", "complete", "process", "operation", "note"], rows,
                                title=f"Not linearizable{where}: the smallest window")
        return format_table(["verdict", "model", "operations", "parts", "steps", "reason"],
                            [(str(self.valid), self.model, self.ops_checked, self.parts,
                              self.steps, self.reason)])

    def prefix_table(self, last: int = 10) -> TextTable:
        """The end of the longest linearization found (the order the search chose)."""
        ops = self.prefix[-last:] if last else self.prefix
        start = len(self.prefix) - len(ops)
        rows = [(start + i + 1, op.process, self.describe(op) if self.describe else op.f,
                 op.invoke_index) for i, op in enumerate(ops)]
        return format_table(["#", "process", "operation", "invoke"], rows,
                            title=f"Longest linearization found: {len(self.prefix)} operations"
                                  + (f" (last {len(ops)})" if len(ops) < len(self.prefix) else ""))

    def lanes(self, *, margin: int = 2, width: int = 100) -> TextTable:
        """The history as text lanes around the window (all of it on True)."""
        if self.history is None:
            raise ValueError("this result has no history attached")
        window = self.window if self.valid is False else ()
        return history_lanes(self.history, highlight=window, around=window or None,
                             margin=margin, width=width, describe=self.describe)


def _prepare(history: History, model: Model):
    """Validate and split: ``(parts, n_ops)``; parts in first-appearance order."""
    parts: dict[Any, list[Op]] = {}
    n = 0
    split = model.split
    for op in history_ops(history):
        if op.type == "fail":
            split(op)           # did not take effect, but validate it all the same
            continue
        label, inner = split(op)
        part = parts.get(label)
        if part is None:
            part = parts[label] = []
        part.append(inner)
        n += 1
    return list(parts.items()), n


def check_linearizable(history, model: Model, *, max_steps: int = 1_000_000,
                       quantum: int = 2_000, explain: bool = True, explain_steps: int = 300_000,
                       max_memo: int = 1_000_000,
                       stop_when: Callable[[], bool] | None = None) -> LinearizabilityResult:
    """Is ``history`` linearizable with respect to ``model``?

    Parameters
    ----------
    history : History or list of event dicts
    model : Model, e.g. ``Register()``, ``CASRegister()``, ``Counter()``, ``KVMap()``
    max_steps : the budget, in model steps, for the search; when it runs out the
        verdict is "unknown".
    quantum : steps each key gets per turn when the parts are searched in turns.
    explain : on False, also compute the smallest window (extra work, at most
        ``explain_steps`` steps; past that the window is valid but not minimal).
    max_memo : most configurations remembered per part (memory bound).
    stop_when : optional callable, asked between turns (every ``quantum``
        steps); when it returns True the search stops with "unknown". This is
        how a caller adds a wall-clock limit (``lambda: time.monotonic() >
        deadline``) without the checker itself reading a clock: by default
        verdicts depend on steps only, so they are the same on every machine.
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a dscourse.checkers Model (e.g. Register()), got {model!r}")
    check_int("max_steps", max_steps, minimum=1)
    check_int("quantum", quantum, minimum=1)
    check_int("max_memo", max_memo, minimum=1)
    check_int("explain_steps", explain_steps, minimum=1)
    if stop_when is not None and not callable(stop_when):
        raise TypeError(f"stop_when must be a callable returning a bool, got {stop_when!r}")
    history = as_history(history)
    parts, n_ops = _prepare(history, model)
    searches = [(label, Search(model.prune(ops), model, max_memo=max_memo)) for label, ops in parts]
    common = dict(model=model.name, ops_checked=n_ops, parts=len(searches),
                  describe=model.describe, history=history)
    pending = list(searches)
    steps = 0
    failed = None
    stopped = False
    while pending and failed is None and steps < max_steps:
        if stop_when is not None and stop_when():
            stopped = True
            break
        still = []
        for i, (label, s) in enumerate(pending):
            if steps >= max_steps or (i and stop_when is not None and stop_when()):
                stopped = stopped or steps < max_steps
                still.extend(pending[i:])
                break
            before = s.steps
            verdict = s.run(min(quantum, max_steps - steps))
            steps += s.steps - before
            if verdict is False:
                failed = (label, s)
                break
            if verdict is None:
                still.append((label, s))
        pending = still
    memo_full = any(s.memo_full for _, s in searches)

    if failed is not None:
        label, s = failed
        bad_inner = s.failed_op()
        prefix = tuple(op.invoke_index for op in s.witness())
        window, minimal = (), False
        if explain and bad_inner is not None:
            part_ops = dict(parts)[label]
            inner_window, minimal, _ = smallest_window(model.prune(part_ops), model, bad_inner,
                                                       budget=explain_steps, max_memo=max_memo)
            window = tuple(to_operation(op, history) for op in inner_window)
        bad = to_operation(bad_inner, history) if bad_inner is not None else None
        reason = (f"no linearization exists{f' for key {label!r}' if label is not None else ''} "
                  f"(searched {steps} steps)")
        return LinearizabilityResult(False, reason=reason, steps=steps, key=label, failed_op=bad,
                                     prefix_ids=prefix, window=window, window_minimal=minimal,
                                     memo_full=memo_full, **common)
    if pending:
        keyed = any(label is not None for label, _ in pending)
        left = ", ".join(repr(label) for label, _ in pending[:5]) if keyed else ""
        which = f"; unfinished keys: {left}{', ...' if len(pending) > 5 else ''}" if left else ""
        memo = " (the memo table was full, so configurations were re-explored)" if memo_full else ""
        if stopped:
            reason = f"stopped by stop_when after {steps} steps, before a verdict{which}{memo}"
        else:
            reason = f"step budget max_steps={max_steps} ran out before a verdict{which}{memo}"
        return LinearizabilityResult(UNKNOWN, reason=reason, steps=steps, memo_full=memo_full,
                                     **common)
    linearization = None
    if len(searches) <= 1:
        linearization = tuple(op.invoke_index for op in searches[0][1].witness()) if searches else ()
    reason = (f"a linearization exists for every key ({len(searches)})" if len(searches) > 1
              else "a linearization exists" if searches else "no operation took effect")
    return LinearizabilityResult(True, reason=reason, steps=steps, linearization_ids=linearization,
                                 memo_full=memo_full, **common)
