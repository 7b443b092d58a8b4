"""The Wing–Gong–Lowe search for a linearization, with memoisation.

Wing & Gong (1993) search for a linearization by depth-first search: at each
step, pick an operation that could take effect *now* (a "minimal" one: no
other unlinearized operation finished before it was invoked), apply it to the
sequential model, and recurse; undo and try the next candidate on failure.
Lowe (2017) made this practical, and Porcupine (Athalye, 2017) follows him:

* the history is a doubly linked list of call and return entries in event
  order. The candidates are exactly the call entries before the first return
  entry still in the list; linearizing an operation *lifts* its call and
  return entries out of the list (and backtracking puts them back, "dancing
  links"), so finding candidates never rescans the whole history;
* a configuration (which operations are linearized, the model's state) that
  was explored once and failed is remembered, so it is never explored again.
  Without this cache the search is exponential even on easy histories.

This module's specifics:

* the set of linearized completed operations is kept as ``(m, w)``: every
  operation numbered below ``m`` is linearized, and bit ``i`` of the small int
  ``w`` says whether operation ``m + i`` is. Only the few operations that are
  concurrent at the frontier have bits, so cache keys stay small on a history
  of ten thousand operations;
* ``info`` operations (outcome unknown) have no return entry: they may take
  effect at any time after their invocation, or never. They are kept apart,
  with their own bits, and tried only after the completed candidates, so a
  history with many of them is not slowed down where they do not matter. The
  search succeeds when every *completed* operation is linearized: an unknown
  operation left over may simply not have happened;
* unknown operations with the same ``f`` and value are interchangeable (the
  earlier-invoked one can stand in for the later one anywhere), so they are
  only used in invocation order: ten unknown increments give eleven
  configurations, not a thousand and twenty-four;
* with unknown operations, a configuration that used a *superset* of the
  unknown operations of one already explored (same completed set, same
  state) is skipped: using an unknown operation is optional, so the smaller
  set could do everything the larger one can. Without this, every unknown
  write that a later write overwrites doubles the work;
* the cache is bounded (``max_memo`` entries; beyond that the search still
  works, it just stops remembering), and the work is counted in model steps:
  ``run(budget)`` stops after ``budget`` steps and can be resumed. That is how
  a key-value history's keys are searched in turn, and why the checker
  answers "unknown" instead of hanging;
* the furthest return entry the search reached is remembered: every operation
  that completed before it can be linearized, and no linearization gets past
  it. That is the failing operation and the longest linearizable prefix.
"""

from __future__ import annotations

from .models import Model, Op

HEAD = 0


class Search:
    """A resumable search over ``ops`` (normalised, of one independent part)."""

    def __init__(self, ops: list[Op], model: Model, *, max_memo: int = 1_000_000) -> None:
        self.model = model
        self.max_memo = max_memo
        done = [op for op in ops if op.type == "ok"]
        info = [op for op in ops if op.type == "info"]
        if any(a.invoke_index > b.invoke_index for a, b in zip(done, done[1:])):
            done.sort(key=lambda op: op.invoke_index)
        info.sort(key=lambda op: op.invoke_index)
        self.done_ops = done
        self.info_ops = info
        self.info_inv = [op.invoke_index for op in info]
        # symmetry: unknown operations with the same f and value have the same
        # effect, and the earlier-invoked one is available whenever the later
        # one is, so only ever use them in invocation order
        last: dict = {}
        self.info_prev = []
        for j, op in enumerate(info):
            cls = (op.f, op.value, op.process) if model.uses_process else (op.f, op.value)
            self.info_prev.append(last.get(cls, -1))
            last[cls] = j
        # entries in event order; ent[pos] = op id (call) or ~op id (return)
        slot = {}
        for i, op in enumerate(done):
            slot[op.invoke_index] = i
            slot[op.complete_index] = ~i
        order = sorted(slot)                # event indices are distinct
        ent = [None] + [slot[t] for t in order] + [None]
        ret_event = [0] + order + [0]
        n = len(order)
        self.ent, self.ret_event = ent, ret_event
        self.nxt = list(range(1, n + 2)) + [n + 1]
        self.prv = [0] + list(range(0, n + 1))
        call_pos = self.call_pos = [0] * len(done)
        ret_pos = self.ret_pos = [0] * len(done)
        for pos in range(1, n + 1):
            v = ent[pos]
            if v >= 0:
                call_pos[v] = pos
            else:
                ret_pos[~v] = pos
        # search variables (saved between calls to run)
        self.state = model.init()
        self.m = 0
        self.w = 0
        self.ib = 0
        self.remaining = len(done)
        self.frame = None           # cons list: (ident, stop, state, m, w, ib, parent)
        self.cur = self.nxt[HEAD]
        self.in_main = True
        self.j = 0
        self.stop = 0
        # without unknown operations, a set of (m, w, state); with them, a dict
        # (m, w, state) -> minimal sets of unknown operations used (subsumption)
        self.memo = {} if info else set()
        self.memo_size = 0
        self.memo_full = False
        self.steps = 0
        self.verdict: bool | None = None
        self.best_stop = -1         # furthest return entry reached (an event index)
        self.best_frame = None
        self.depth = 0
        self.best_depth = 0

    # -- the loop -------------------------------------------------------------
    def run(self, budget: int) -> bool | None:
        """Search for at most ``budget`` more steps: True, False, or None (not done)."""
        if self.verdict is not None:
            return self.verdict
        ent, nxt, prv, ret_event = self.ent, self.nxt, self.prv, self.ret_event
        call_pos, ret_pos = self.call_pos, self.ret_pos
        done_ops, info_ops, info_inv, info_prev = self.done_ops, self.info_ops, self.info_inv, self.info_prev
        n_info = len(info_ops)
        step = self.model.step
        memo, max_memo = self.memo, self.max_memo
        state, m, w, ib = self.state, self.m, self.w, self.ib
        remaining, frame, cur, in_main = self.remaining, self.frame, self.cur, self.in_main
        j, stop, steps, depth = self.j, self.stop, self.steps, self.depth
        limit = steps + budget
        verdict = None
        while True:
            if remaining == 0:
                verdict = True
                self.best_frame, self.best_depth = frame, depth
                break
            if in_main:
                v = ent[cur]
                if v >= 0:                              # a call entry: a candidate
                    if steps >= limit:
                        break
                    steps += 1
                    ok, s2 = step(state, done_ops[v])
                    if ok:
                        d = v - m
                        w2 = w | (1 << d)
                        m2 = m
                        if d == 0:                      # slide the frontier past the run of ones
                            t = (w2 ^ (w2 + 1)).bit_length() - 1
                            w2 >>= t
                            m2 = m + t
                        if n_info:
                            fresh = self._fresh((m2, w2, s2), ib)
                        else:
                            key = (m2, w2, s2)
                            fresh = key not in memo
                            if fresh:
                                if len(memo) < max_memo:
                                    memo.add(key)
                                else:
                                    self.memo_full = True
                        if fresh:
                            frame = (cur, 0, state, m, w, ib, frame)
                            c = cur                     # lift the call and return entries
                            nxt[prv[c]] = nxt[c]
                            prv[nxt[c]] = prv[c]
                            r = ret_pos[v]
                            nxt[prv[r]] = nxt[r]
                            prv[nxt[r]] = prv[r]
                            state, m, w = s2, m2, w2
                            remaining -= 1
                            depth += 1
                            cur = nxt[HEAD]
                            continue
                    cur = nxt[cur]
                    continue
                # the first return entry: no candidate lies beyond it
                stop = ret_event[cur]
                if stop > self.best_stop:
                    self.best_stop, self.best_frame, self.best_depth = stop, frame, depth
                in_main = False
                j = 0
            # unknown-outcome operations invoked before that return entry
            moved = False
            while j < n_info and info_inv[j] < stop:
                prev = info_prev[j]
                if not (ib >> j) & 1 and (prev < 0 or (ib >> prev) & 1):
                    if steps >= limit:
                        break
                    steps += 1
                    ok, s2 = step(state, info_ops[j])
                    if ok:
                        ib2 = ib | (1 << j)
                        if self._fresh((m, w, s2), ib2):
                            frame = (~j, stop, state, m, w, ib, frame)
                            state, ib = s2, ib2
                            depth += 1
                            cur = nxt[HEAD]
                            in_main = True
                            moved = True
                            break
                j += 1
            if moved:
                continue
            if j < n_info and info_inv[j] < stop:       # paused by the budget
                break
            # every candidate failed: backtrack
            if frame is None:
                verdict = False
                break
            ident, fstop, state, m, w, ib, frame = frame
            depth -= 1
            if ident >= 0:                              # put the entries back (reverse order)
                v = ent[ident]
                r = ret_pos[v]
                nxt[prv[r]] = r
                prv[nxt[r]] = r
                c = call_pos[v]
                nxt[prv[c]] = c
                prv[nxt[c]] = c
                remaining += 1
                cur = nxt[ident]
                in_main = True
            else:
                j = ~ident + 1
                stop = fstop
                in_main = False
        self.state, self.m, self.w, self.ib = state, m, w, ib
        self.remaining, self.frame, self.cur, self.in_main = remaining, frame, cur, in_main
        self.j, self.stop, self.steps, self.depth = j, stop, steps, depth
        self.verdict = verdict
        return verdict

    def _fresh(self, key: tuple, ib: int) -> bool:
        """Record a configuration with unknown-outcome operations ``ib`` linearized;
        False if it is *subsumed*: the same (completed set, state) was reached
        with a subset of ``ib``. Using an unknown operation is optional, so that
        configuration could do everything this one can, and it has been (or is
        being) explored already."""
        masks = self.memo.get(key)
        if masks is None:
            if self.memo_size < self.max_memo:
                self.memo[key] = [ib]
                self.memo_size += 1
            else:
                self.memo_full = True
            return True
        for mask in masks:
            if mask & ~ib == 0:
                return False
        if self.memo_size < self.max_memo:
            masks[:] = [mask for mask in masks if ib & ~mask]     # drop supersets of ib
            masks.append(ib)
            self.memo_size += 1
        else:
            self.memo_full = True
        return True

    # -- reading the outcome ----------------------------------------------------
    def path(self, frame=None) -> list[Op]:
        """The operations linearized along a frame chain, in linearization order."""
        out = []
        while frame is not None:
            ident = frame[0]
            out.append(self.done_ops[self.ent[ident]] if ident >= 0 else self.info_ops[~ident])
            frame = frame[6]
        out.reverse()
        return out

    def witness(self) -> list[Op]:
        """On success, a linearization; otherwise the longest prefix found."""
        return self.path(self.best_frame)

    def failed_op(self) -> Op | None:
        """The completed operation whose return no linearization gets past."""
        if self.verdict is not False or self.best_stop < 0:
            return None
        for op in self.done_ops:
            if op.complete_index == self.best_stop:
                return op
        return None


def search(ops: list[Op], model: Model, max_steps: int, max_memo: int = 1_000_000):
    """Run a search to the end or the budget; returns the ``Search``."""
    s = Search(ops, model, max_memo=max_memo)
    s.run(max_steps)
    return s
