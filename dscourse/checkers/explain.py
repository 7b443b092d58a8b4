"""Explaining a failed linearizability check: the smallest window.

The search (``wgl``) finds the failing operation X: every operation that
completed before X did can be linearized, but no linearization gets past X's
completion. That names a point, not a cause. The cause is a small set of
operations whose recorded outcomes cannot all be true together, like "write 1
finished, then a read started and returned the old value 0".

To find it, *relax* operations one group at a time: treat an operation as if
its outcome were unknown (``info``: it may or may not have taken effect, at
any time after it was invoked). Relaxing only adds possibilities, so if the
history still cannot be linearized, that operation's recorded outcome was not
needed for the contradiction. What is left when nothing more can be relaxed is
the *window*: operations whose recorded outcomes, together, admit no
linearization, whatever the other operations did. Every operation in it is
needed (relaxing any one of them alone makes the rest linearizable), so it is
minimal, though not necessarily the smallest possible such set.

The search starts from the *prefix* of the history up to the failing
completion. The relaxing is done in two passes, both deterministic: first whole runs of
the oldest operations (doubling, then bisecting, the number of recent
operations kept), which is cheap even when the violation happens after ten
thousand operations; then the survivors one by one, oldest first. Each check
is a search with a slice (at most a quarter) of the step budget; a check that
runs out counts as "still linearizable" (the operation is kept), so the window
can only be too large, never wrong, and ``minimal`` then says so.
"""

from __future__ import annotations

from .models import Model, Op
from .wgl import Search


def relaxed(op: Op) -> Op:
    """``op`` with its outcome forgotten (it may or may not have taken effect)."""
    return op.replace(type="info", result=None)


class _Explainer:
    def __init__(self, ops, model: Model, failed: Op, budget: int, max_memo: int):
        self.model = model
        self.failed = failed
        self.budget = budget
        self.max_memo = max_memo
        self.steps = 0
        self.exhausted = False
        self.ops_checked = False
        self.relaxed: dict = {}
        # The prefix up to the failing completion k: operations invoked after k
        # come after the failing one in any linearization, and those still
        # running at k are, in the prefix, of unknown outcome. The prefix fails
        # just as the whole history does (for the built-in models); if a
        # custom model disagrees, fall back to the whole history.
        k = failed.complete_index
        self.all_ops = ops
        self.ops = [op if op.type != "ok" or op.complete_index <= k else relaxed(op)
                    for op in ops if op.invoke_index < k]

    def still_fails(self, relax: set) -> bool:
        """Does the history with the operations in ``relax`` relaxed (surely) still fail?"""
        return self.verdict(relax) is False

    def verdict(self, relax: set) -> bool | None:
        """The search's verdict with ``relax`` relaxed; None if its budget ran out."""
        left = self.budget - self.steps
        if left <= 0:
            self.exhausted = True
            return None
        left = max(1, min(left, self.budget // 4))   # no single check may eat the whole budget
        cache = self.relaxed
        ops = []
        for op in self.ops:
            if op.invoke_index in relax:
                r = cache.get(op.invoke_index)
                if r is None:
                    r = cache[op.invoke_index] = relaxed(op)
                op = r
            ops.append(op)
        s = Search(self.model.prune(ops), self.model, max_memo=self.max_memo)
        verdict = s.run(left)
        self.steps += s.steps
        if verdict is None:
            self.exhausted = True
        return verdict

    def window(self) -> list[Op]:
        candidates = sorted((op for op in self.ops if op.type == "ok"
                             and op.invoke_index != self.failed.invoke_index),
                            key=lambda op: op.complete_index)
        ids = [op.invoke_index for op in candidates]
        n = len(ids)

        def fails_keeping(g):          # relax all but the g most recent candidates
            return self.still_fails(set(ids[:n - g]))

        # pass 1: the fewest recent operations g that must keep their outcomes
        lo, hi = -1, None               # fails_keeping(lo) is False (lo=-1: vacuous)
        g = 0
        while g < n:
            if fails_keeping(g):
                hi = g
                break
            lo = g
            g = 1 if g == 0 else 2 * g
        if hi is None:
            if not self.ops_checked and self.verdict(set()) is True:
                self.ops_checked = True     # a custom model: the prefix does not fail
                self.ops = list(self.all_ops)
                return self.window()
            hi = n
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if fails_keeping(mid):
                hi = mid
            else:
                lo = mid
        relax = set(ids[:n - hi])
        # pass 2: relax the survivors one at a time, oldest first
        for i in ids[n - hi:]:
            if self.still_fails(relax | {i}):
                relax.add(i)
        return sorted((op for op in self.ops if op.type == "ok" and op.invoke_index not in relax),
                      key=lambda op: op.invoke_index)


def smallest_window(ops: list[Op], model: Model, failed: Op, *,
                    budget: int, max_memo: int = 1_000_000) -> tuple[list[Op], bool, int]:
    """``(window, minimal, steps)`` for a part whose search failed at ``failed``."""
    ex = _Explainer(ops, model, failed, budget, max_memo)
    window = ex.window()
    return window, not ex.exhausted, ex.steps
