"""Nodes and their context.

A protocol is a ``Node`` subclass: plain attributes hold its state (a view may
read them), and one handler per event does the work:

* ``on_start()``: the node boots (also the default ``on_recover``);
* ``on_<message_type>(src, msg)``: a message arrived; the method name is the
  message class name in snake case (``RequestVote`` -> ``on_request_vote``),
  falling back to ``on_message(src, msg)``;
* ``on_timer(name, payload)``: a timer it set has fired;
* ``on_recover()``: the node restarts after a crash.

Handlers run to completion and act on the world only through ``self.ctx``:
``send``, ``broadcast``, ``set_timer``, ``cancel_timer``, ``clock()`` (the
node's local clock; there is no global one), ``rng``, ``log``,
``record_state`` and ``storage``.

Crash semantics: ``storage`` (a dict) is durable and survives a crash;
everything else is lost. The simulator enforces this by building a *new*
instance of the node's class with the same constructor arguments when the node
recovers, then calling ``on_recover()``. Write what must survive to storage.
"""

from __future__ import annotations

import re
from heapq import heappush
from typing import Any

from .validate import check_delay, check_known

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def handler_name(message_type: type) -> str:
    """``RequestVote`` -> ``on_request_vote``."""
    return "on_" + _CAMEL.sub("_", message_type.__name__).lower()


class Node:
    """Base class for protocol nodes. Subclasses call ``super().__init__(node_id)``."""

    ctx: "Context"

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        # Remember how the node was built, so that a recovery can build a fresh one.
        self._ctor = (args, kwargs)
        return self

    def __init__(self, node_id: Any):
        self.node_id = node_id

    # -- handlers (override) -------------------------------------------------
    def on_start(self) -> None:
        pass

    def on_recover(self) -> None:
        self.on_start()

    def on_timer(self, name: str, payload: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} set timer {name!r} "
                                  f"but defines no on_timer(name, payload)")

    def on_message(self, src: Any, msg: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no handler "
                                  f"{handler_name(type(msg))}(src, msg) for {msg!r}")

    # -- plumbing ------------------------------------------------------------
    def _fresh_copy(self) -> "Node":
        args, kwargs = self._ctor
        return type(self)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.node_id!r})"


def find_handler(node: Node, message_type: type):
    """The unbound handler of ``node``'s class for ``message_type`` (the simulator caches it)."""
    cls = type(node)
    return getattr(cls, handler_name(message_type), None) or cls.on_message


class Context:
    """What a node may do. One per node incarnation, made by the simulator."""

    __slots__ = ("_sim", "node_id", "storage", "rng", "_clock", "_incarnation",
                 "_status", "_network", "_records", "_heap", "_counter")

    def __init__(self, sim, node_id, storage: dict, rng, clock, incarnation: int):
        self._sim = sim
        # The simulator's own containers, held here so the send path is short.
        self._status = sim._status
        self._network = sim.network
        self._records = sim.trace._records
        self._heap = sim._heap
        self._counter = sim._counter
        self.node_id = node_id
        self.storage = storage
        self.rng = rng
        self._clock = clock
        self._incarnation = incarnation

    @property
    def peers(self) -> tuple:
        """The other nodes' ids, sorted (departed nodes excluded)."""
        me = self.node_id
        return tuple(n for n in self._sim._sorted_ids if n != me)

    def send(self, dst: Any, msg: Any) -> None:
        """Send ``msg`` to ``dst``; the network decides its fate."""
        if dst not in self._status:
            check_known("dst", dst, self._status)
        network = self._network
        if not network.fast:
            self._sim._send(self.node_id, dst, msg)
            return
        # The fast lane (no loss, cuts, duplication or bandwidth limits):
        # the same record and event as Simulator._send, without the calls.
        mid = next(self._counter)
        now = self._sim.now
        me = self.node_id
        self._records.append((now, "send", me, dst, mid, msg))
        heappush(self._heap, (now + network.sample(), mid, 0, dst, me, msg, mid))

    def broadcast(self, msg: Any, include_self: bool = False) -> None:
        """Send ``msg`` to every other node (sorted by id), and to itself if asked."""
        me = self.node_id
        for dst in self._sim._sorted_ids:
            if dst != me or include_self:
                self.send(dst, msg)

    def set_timer(self, delay: float, name: str = "timeout", payload: Any = None) -> int:
        """Fire ``on_timer(name, payload)`` after ``delay`` ms of this node's clock."""
        if not (type(delay) in (int, float) and delay >= 0):
            check_delay("delay", delay)
        return self._sim._set_timer(self, delay, name, payload)

    def cancel_timer(self, timer_id: int) -> None:
        self._sim._timers.discard(timer_id)

    def clock(self) -> float:
        """This node's local clock reading (ms): true time skewed and drifted."""
        c = self._clock    # LocalClock.read, inlined: protocols read their clock on every message
        return c._base_mono + (self._sim.now - c._base_true) * c.rate + c.offset

    def history_invoke(self, f: str, value: Any = None, process: Any = None) -> int:
        """Record, as the observer sees it (true time), that a client operation starts.

        ``process`` defaults to this node's id; a node that runs several client
        processes names them.
        """
        sim = self._sim
        return sim.history.invoke(self.node_id if process is None else process, f, value, sim.now)

    def history_complete(self, type: str, value: Any = None, process: Any = None) -> int:
        """Record the outcome of this process's pending operation: ok, fail or info."""
        sim = self._sim
        return sim.history.complete(self.node_id if process is None else process, type,
                                    value, sim.now)

    def log(self, text: str) -> None:
        self._sim._record("log", self.node_id, None, None, str(text))

    def record_state(self, **fields: Any) -> None:
        """Record a state change (role, term, ...) in the trace, for views."""
        self._sim._record("state", self.node_id, None, None, fields)
