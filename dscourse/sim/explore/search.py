"""Breadth-first search over the worlds, and what it returns."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..node import Node
from ..simulator import Simulator
from ..table import TextTable, format_table
from ..validate import check_int
from .replay import replay
from .values import clear_caches
from .world import _MASK, _Engine, _World, clear_hashes, default_state_key


@dataclass(frozen=True)
class Counterexample:
    """A shortest schedule that breaks ``invariant``; ``replay()`` shows it."""
    invariant: str
    message: str
    schedule: tuple
    build: Callable = field(repr=False, compare=False)
    invariants: Mapping = field(repr=False, compare=False)
    seed: int = 0

    def __len__(self) -> int:
        return len(self.schedule)

    def replay(self) -> Simulator:
        """Run the schedule on a real Simulator (invariants registered); return it."""
        return replay(self.build, self.schedule, invariants=self.invariants, seed=self.seed)

    def table(self) -> TextTable:
        rows = [(i + 1, s.describe()) for i, s in enumerate(self.schedule)]
        return format_table(["step", "what happens"], rows,
                            title=f"{self.invariant} broken after {len(rows)} steps: {self.message}")


@dataclass(frozen=True)
class ExploreResult:
    """What a search found: counts, whether it covered the whole bound, and a counterexample."""
    ok: bool                 # no invariant broken in the states explored
    states: int              # distinct states seen
    transitions: int         # steps taken (including those reaching a seen state)
    depth: int               # the deepest level reached
    exhausted: bool          # every state within max_depth was explored
    counterexample: Counterexample | None = None

    def table(self) -> TextTable:
        verdict = ("counterexample found" if self.counterexample else
                   "no violation (all states within the bound)" if self.exhausted else
                   "no violation found (stopped at max_states)")
        rows = [("verdict", verdict), ("distinct states", self.states),
                ("transitions", self.transitions), ("deepest level", self.depth)]
        if self.counterexample:
            rows.append(("broken invariant", self.counterexample.invariant))
            rows.append(("counterexample length", len(self.counterexample)))
        return format_table(["", "explorer"], rows)


def explore(build: Callable[[], Iterable[Node]], invariants: Mapping[str, Callable], *,
            max_depth: int = 12, max_states: int = 200_000, crashes: int = 0, drops: int = 0,
            duplicates: int = 0, timer_fires: int | None = None,
            crashable: Iterable[Any] | None = None,
            state_key: Callable[[Node], Any] | None = None, seed: int = 0) -> ExploreResult:
    """Explore every schedule of ``build()``'s nodes breadth first, up to the bounds.

    Parameters
    ----------
    build : callable
        Returns a fresh list of nodes each time it is called.
    invariants : mapping
        ``name -> predicate({node_id: node})``, ``True``/``None`` if it holds.
    max_depth : int
        The longest schedule tried (steps after the nodes booted).
    max_states : int
        Stop after this many distinct states (the result says it was not exhausted).
    crashes, drops, duplicates : int
        How many of each fault a schedule may contain (a crash is a ``restart``).
    timer_fires : int or None
        How many timer firings a schedule may contain (``None``: any number).
    crashable : iterable of node ids, optional
        The nodes that may crash (default: all).
    state_key : callable, optional
        ``node -> hashable``: what of a node's state matters (default: all attributes).
    seed : int
        Seeds each node's ``ctx.rng`` as the simulator would.
    """
    if not callable(build):
        raise TypeError(f"build must be a function returning a list of nodes, got {build!r}")
    if not isinstance(invariants, Mapping) or not invariants:
        raise TypeError(f"invariants must be a non-empty dict name -> predicate, got {invariants!r}")
    for name, pred in invariants.items():
        if not isinstance(name, str) or not callable(pred):
            raise TypeError(f"invariants must map names (str) to callables; got {name!r}: {pred!r}")
    check_int("max_depth", max_depth, minimum=0, maximum=1000)
    check_int("max_states", max_states, minimum=1)
    for name, value in (("crashes", crashes), ("drops", drops), ("duplicates", duplicates)):
        check_int(name, value, minimum=0)
    if timer_fires is not None:
        check_int("timer_fires", timer_fires, minimum=0)
    check_int("seed", seed)
    if state_key is not None and not callable(state_key):
        raise TypeError(f"state_key must be a function node -> hashable, got {state_key!r}")
    crashable = None if crashable is None else frozenset(crashable)
    ex = _Engine(build, dict(invariants), state_key or default_state_key, seed, crashable)
    try:
        start = ex.initial((crashes, drops, duplicates, -1 if timer_fires is None else timer_fires))
        return _search(ex, start, max_depth, max_states)
    finally:
        clear_caches()
        clear_hashes()


def _search(ex: _Engine, start: _World, max_depth: int, max_states: int) -> ExploreResult:
    """Breadth first from ``start``; the first broken state has a shortest schedule.

    Two steps at different nodes commute (unless they draw on the same fault
    budget): from ``s·b`` a step ``t`` independent of ``b`` changes the state
    hash exactly as it did from ``s``. Each state hands its children the hash
    changes of such steps, so a step that can only lead back to a state
    already seen (the other side of a diamond) is recognised without being run.
    """
    seen = {start.digest()}
    parents: list = [(0, None, None)]      # state index -> (parent index, step, its subject)
    transitions = depth = 0
    shared = {2, 3, 4} if start.budget[3] < 0 else {1, 2, 3, 4}   # ranks drawing on a budget

    def found(index: int, broken: tuple) -> ExploreResult:
        schedule = []
        while index:
            index, step, subject = parents[index]
            schedule.append(_Engine.make_step(step, subject))
        cx = Counterexample(broken[0], broken[1], tuple(reversed(schedule)), ex.build,
                            dict(ex.invariants), ex.seed)
        return ExploreResult(False, len(seen), transitions, len(schedule), False, cx)

    broken = ex.violation(start)
    if broken:
        return found(0, broken)
    frontier = deque([(start, 0, 0, {})])
    while frontier:
        world, index, level, known = frontier.popleft()
        if level >= max_depth:
            continue
        deltas: dict = {}                  # step -> hash change (None: changes nothing)
        children = []
        for step in ex.steps(world):
            transitions += 1
            if step in known:
                delta = deltas[step] = known[step]
                if delta is None or (world.hash + delta) & _MASK in seen:
                    continue
            nxt = ex.apply(world, step)
            if nxt is None:
                deltas[step] = None
                continue
            deltas[step] = nxt.hash - world.hash
            digest = nxt.digest()
            if digest in seen:
                continue
            if len(seen) >= max_states:
                return ExploreResult(True, len(seen), transitions, depth, False)
            seen.add(digest)
            parents.append((index, step, ex.subject(world, step)))
            depth = level + 1
            broken = ex.violation(nxt)
            if broken:
                return found(len(parents) - 1, broken)
            children.append((nxt, len(parents) - 1, step))
        for nxt, child, by in children:
            inherit = {t: d for t, d in deltas.items()
                       if t[5] != by[5] and not (t[0] == by[0] and t[0] in shared)}
            frontier.append((nxt, child, level + 1, inherit))
    return ExploreResult(True, len(seen), transitions, depth, True)


