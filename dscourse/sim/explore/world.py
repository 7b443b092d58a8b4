"""The explorer's world: one global state of a tiny system, and its steps.

A ``_World`` holds every node (shared with the states it came from until the
node acts: copy on write), the multiset of in-flight messages, the pending
timers and what is left of the fault budgets, plus a hash kept up to date as
it changes. ``_Engine`` lists the steps enabled in a world and applies one,
running the node's own handler with a context (``_Ctx``) that has the
simulator's API but no clock and no network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..node import Node, find_handler
from ..rng import derive_rng
from ..validate import check_delay, check_known, check_node_id
from .values import _ATOMIC, copy_value, short_label, state_text

KINDS = ("deliver", "timer", "restart", "duplicate", "drop")
_RANK = {k: i for i, k in enumerate(KINDS)}


@dataclass(frozen=True)
class Step:
    """One choice of the explorer: what happens at ``node`` (from ``peer``)."""
    kind: str          # one of KINDS
    node: Any          # receiver of a message, owner of a timer, restarted node
    peer: Any = None   # sender of the message
    detail: str = ""   # canonical text of the message, or of the timer (name, payload)
    label: str = field(default="", compare=False)   # a short text for people

    def describe(self) -> str:
        what = self.label or self.detail
        if self.kind in ("deliver", "duplicate", "drop"):
            return f"{self.kind} {self.peer} -> {self.node}: {what}"
        if self.kind == "timer":
            return f"timer at {self.node}: {what}"
        return f"{self.kind} {self.node}"


def state_key_without(*names: str) -> Callable[[Node], str]:
    """A state key that ignores the attributes ``names`` (timer ids, deadlines, caches)."""
    skip = frozenset(names) | {"ctx", "_ctor"}

    def key(node: Node) -> str:
        return state_text({k: v for k, v in vars(node).items() if k not in skip})
    return key


def default_state_key(node: Node) -> str:
    """The canonical text of a node's attributes, without its context."""
    parts = []
    for k, v in vars(node).items():
        if k != "ctx" and k != "_ctor":
            t = type(v)
            parts.append(f"{k}={v!r}" if t is str or t is int or v is None or t is bool
                         else f"{k}={state_text(v)}")
    parts.sort()
    return ",".join(parts)


class _Ctx:
    """A node's context inside the explorer: the same API as ``sim.Context``."""

    def __init__(self, world: _World, node_id: Any, storage: dict, incarnation: int,
                 rng=None, rng_from: _Ctx | None = None) -> None:
        self.world, self.node_id, self.storage = world, node_id, storage
        self.incarnation = incarnation
        self._rng, self._rng_from = rng, rng_from

    @property
    def rng(self):
        # Copied from the previous incarnation of this context only when used:
        # copying a random.Random costs more than most handlers.
        if self._rng is None:
            parent = self._rng_from.rng
            self._rng = type(parent).__new__(type(parent))
            self._rng.setstate(parent.getstate())
            self._rng_from = None
        return self._rng

    @property
    def peers(self) -> tuple:
        return tuple(n for n in self.world.ids if n != self.node_id)

    def send(self, dst: Any, msg: Any) -> None:
        w = self.world
        if dst not in w.nodes:
            check_known("dst", dst, w.nodes)
        key = (self.node_id, dst, state_text(msg))
        old = w.inflight.get(key)
        if old:
            w.inflight[key] = (msg, old[1] + 1, old[2])
        else:
            w.inflight[key] = (msg, 1, _h(f"{key[0]!r}>{dst!r}:{key[2]}"))
        w.hash += w.inflight[key][2]
        w.effects += 1

    def broadcast(self, msg: Any, include_self: bool = False) -> None:
        for dst in self.world.ids:
            if dst != self.node_id or include_self:
                self.send(dst, msg)

    def set_timer(self, delay: float, name: str = "timeout", payload: Any = None) -> int:
        if not (type(delay) in (int, float) and delay >= 0):
            check_delay("delay", delay)
        w = self.world
        tid = w.timer_seq.get(self.node_id, 0) + 1
        w.timer_seq[self.node_id] = tid
        text = state_text((name, payload))
        h = _h(f"T{self.node_id!r}:{text}")
        w.timers[(self.node_id, tid)] = (name, payload, w.now + delay, text, h)
        w.hash += h
        w.effects += 1
        return tid

    def cancel_timer(self, timer_id: int) -> None:
        timer = self.world.timers.pop((self.node_id, timer_id), None)
        if timer is not None:
            self.world.hash -= timer[4]
            self.world.effects += 1

    def clock(self) -> float:
        return self.world.now

    def log(self, text: str) -> None:
        pass

    def record_state(self, **fields: Any) -> None:
        pass

    def history_invoke(self, f: str, value: Any = None, process: Any = None) -> int:
        return 0

    def history_complete(self, type: str, value: Any = None, process: Any = None) -> int:
        return 0


_HASHES: dict = {}     # text -> its 128-bit hash, during a search
_MASK = (1 << 128) - 1


def clear_hashes() -> None:
    _HASHES.clear()


def _h(text: str) -> int:
    h = _HASHES.get(text)
    if h is None:
        h = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "little")
        _HASHES[text] = h
    return h


class _World:
    """One global state. Copies share the nodes that did not act (copy on write).

    ``hash`` is kept up to date as the state changes: the sum of a 128-bit
    hash of each part (each node's key, each in-flight message copy, each
    pending timer, the budget), a multiset hash that no order can change.
    """

    __slots__ = ("ids", "nodes", "keys", "inflight", "timers", "now", "timer_seq", "budget",
                 "effects", "hash")

    def copy(self) -> _World:
        w = _World.__new__(_World)
        w.ids, w.now, w.budget, w.effects, w.hash = self.ids, self.now, self.budget, 0, self.hash
        w.nodes, w.keys, w.inflight = dict(self.nodes), dict(self.keys), dict(self.inflight)
        w.timers, w.timer_seq = dict(self.timers), dict(self.timer_seq)
        return w

    def set_key(self, nid: Any, key: str) -> None:
        old = self.keys.get(nid)
        if old is not None:
            self.hash -= _h(f"N{nid!r}:{old}")
        self.keys[nid] = key
        self.hash += _h(f"N{nid!r}:{key}")

    def set_budget(self, budget: tuple) -> None:
        self.hash += _h(f"B{budget!r}") - _h(f"B{self.budget!r}")
        self.budget = budget

    def digest(self) -> int:
        return self.hash & _MASK


class _Engine:
    def __init__(self, build, invariants, state_key, seed, crashable) -> None:
        self.build, self.invariants, self.state_key = build, invariants, state_key
        self.seed, self.crashable = seed, crashable

    def initial(self, budget: tuple) -> _World:
        nodes = _build_nodes(self.build)
        w = _World()
        w.ids = tuple(sorted(n.node_id for n in nodes))
        if self.crashable is not None:
            for n in sorted(self.crashable, key=repr):
                check_known("crashable", n, w.ids)
        w.nodes = {n.node_id: n for n in nodes}
        w.inflight, w.timers, w.timer_seq, w.keys = {}, {}, {}, {}
        w.now, w.budget, w.effects, w.hash = 0.0, budget, 0, _h(f"B{budget!r}")
        for node in nodes:               # boot in the order build() gave, as add_node does
            nid = node.node_id
            node.ctx = _Ctx(w, nid, {}, 0, derive_rng(self.seed, f"node:{nid}:0"))
            node.on_start()
        for nid in w.ids:
            w.set_key(nid, self.key(w.nodes[nid]))
        return w

    def key(self, node: Node) -> str:
        return f"{self.state_key(node)} {state_text(node.ctx.storage)}"

    def steps(self, w: _World) -> list[tuple]:
        """The enabled steps, sorted: ``(rank, node text, peer text, detail, kind, node, peer)``."""
        restarts, drops, dups, fires = w.budget
        out = []
        for (src, dst, key) in w.inflight:
            d, p = repr(dst), repr(src)
            out.append((0, d, p, key, "deliver", dst, src))
            if dups:
                out.append((3, d, p, key, "duplicate", dst, src))
            if drops:
                out.append((4, d, p, key, "drop", dst, src))
        if fires != 0:
            for key in {(nid, t[3]) for (nid, _), t in w.timers.items()}:
                out.append((1, repr(key[0]), "None", key[1], "timer", key[0], None))
        if restarts:
            for nid in w.ids:
                if self.crashable is None or nid in self.crashable:
                    out.append((2, repr(nid), "None", "", "restart", nid, None))
        out.sort(key=lambda s: s[:4])
        return out

    def subject(self, w: _World, step: tuple) -> Any:
        """What ``step`` acts on in world ``w``: the message, or the timer's (name, payload)."""
        _, _, _, detail, kind, nid, peer = step
        if kind in ("deliver", "duplicate", "drop"):
            return w.inflight[(peer, nid, detail)][0]
        if kind == "timer":
            return next(v[:2] for (n, _), v in w.timers.items() if n == nid and v[3] == detail)
        return None

    @staticmethod
    def make_step(step: tuple, subject: Any) -> Step:
        """The public ``Step`` for an internal step tuple (built only for a counterexample)."""
        _, _, _, detail, kind, nid, peer = step
        label = ""
        if kind == "timer":
            name, payload = subject
            label = repr(name) if payload is None else f"{name!r} ({payload!r})"
        elif kind != "restart":
            label = short_label(subject)
        return Step(kind, nid, peer, detail, label)

    def _acting(self, w: _World, nid: Any) -> Node:
        """Give ``nid`` its own copy of its node and storage in world ``w``."""
        old = w.nodes[nid]
        node = object.__new__(type(old))
        atomic = _ATOMIC
        node.__dict__.update({k: v if type(v) in atomic or k == "_ctor" else copy_value(v)
                              for k, v in vars(old).items() if k != "ctx"})
        node.ctx = _Ctx(w, nid, copy_value(old.ctx.storage), old.ctx.incarnation, rng_from=old.ctx)
        w.nodes[nid] = node
        return node

    def apply(self, w0: _World, step: tuple) -> _World | None:
        """The world after ``step``; None if the step changed nothing but consumed its event."""
        w = w0.copy()
        restarts, drops, dups, fires = w.budget
        _, _, _, detail, kind, nid, peer = step
        w.now += 1.0
        if kind == "deliver" or kind == "duplicate" or kind == "drop":
            key = (peer, nid, detail)
            msg, count, h = w.inflight[key]
            if kind != "duplicate":
                w.hash -= h
                if count > 1:
                    w.inflight[key] = (msg, count - 1, h)
                else:
                    del w.inflight[key]
            if kind == "drop":
                w.set_budget((restarts, drops - 1, dups, fires))
                return w
            if kind == "duplicate":
                w.set_budget((restarts, drops, dups - 1, fires))
            node = self._acting(w, nid)
            find_handler(node, type(msg))(node, peer, msg)
        elif kind == "timer":
            tid = min(t for (n, t), v in w.timers.items() if n == nid and v[3] == detail)
            name, payload, due, _, h = w.timers.pop((nid, tid))
            w.hash -= h
            w.now = max(w.now, due)
            if fires > 0:
                w.set_budget((restarts, drops, dups, fires - 1))
            node = self._acting(w, nid)
            node.on_timer(name, payload)
        else:   # restart: crash (timers and memory lost), recover with only its storage
            w.set_budget((restarts - 1, drops, dups, fires))
            for k in [k for k in w.timers if k[0] == nid]:
                w.hash -= w.timers.pop(k)[4]
            old = w.nodes[nid]
            inc = old.ctx.incarnation + 1
            node = old._fresh_copy()
            node.ctx = _Ctx(w, nid, copy_value(old.ctx.storage), inc,
                            derive_rng(self.seed, f"node:{nid}:{inc}"))
            w.nodes[nid] = node
            node.on_recover()
            new_key = self.key(node)
            if new_key == w0.keys[nid] and not w.effects:
                return None        # restarting changed nothing: no new behaviour
            w.set_key(nid, new_key)
            return w
        new_key = self.key(node)
        if kind != "duplicate" and not w.effects and new_key == w0.keys[nid]:
            # Consumed, changed nothing: leaving the event pending covers every behaviour.
            return None
        w.set_key(nid, new_key)
        return w

    def violation(self, w: _World) -> tuple[str, str] | None:
        view = dict(w.nodes)
        for name in sorted(self.invariants):
            result = self.invariants[name](view)
            if result is not True and result is not None:
                return name, "violated" if result is False else str(result)
        return None


def _build_nodes(build: Callable[[], Iterable[Node]]) -> list[Node]:
    nodes = list(build())
    if not nodes:
        raise ValueError("build() returned no nodes; a system needs at least one node")
    seen = set()
    for n in nodes:
        if not isinstance(n, Node):
            raise TypeError(f"build() must return dscourse.sim.Node instances, got {n!r}")
        check_node_id("node.node_id", n.node_id)
        if n.node_id in seen:
            raise ValueError(f"build() returned two nodes with id {n.node_id!r}; ids must be unique")
        seen.add(n.node_id)
    return nodes


