"""The deterministic discrete-event simulator.

Time is virtual (milliseconds, as floats) and only moves when the simulator
takes the next event from its heap. Events are ordered by ``(time, sequence)``:
the sequence number makes ties first-in first-out and means the heap never
compares the objects inside an event. Three kinds of event exist:

* a **delivery** of a message to a node,
* a **timer** a node set on its own clock,
* a **call**: a fault being applied, a client starting an operation, a node
  booting.

``run`` and ``step`` are the only places that call node code. After every
event the registered invariants are checked. A node that is crashed gets
nothing; a paused node has its deliveries and timers held until it resumes.

One seed determines everything: the network, every node and the nemesis each
draw from their own stream derived from it (``derive_rng``). With the same
seed, the same nodes and the same fault plan, a run gives the same trace and
the same ``trace.digest()``, on every machine.
"""

from __future__ import annotations

import gc
import heapq
import itertools
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from .clock import LocalClock
from .events import CALL, DELIVER, TIMER
from .fault_api import FaultAPI
from .history import History
from .invariants import InvariantMonitor
from .network import Network
from .node import Context, Node, find_handler
from .rng import Seed, derive_rng, seed_value
from .trace import Trace
from .validate import check_delay, check_int, check_known, check_node_id, check_number

_INF = float("inf")
QUIET_LIMIT = 1_000_000   # events run() takes without until/max_events before giving up


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block; restore it after.

    ``Simulator.run`` does this for every call: a trace holds hundreds of
    thousands of small tuples that the collector would otherwise rescan again
    and again (halving throughput). Code that runs a simulation in many short
    chunks wraps its loop in ``with gc_paused():`` too, so the collector does
    not wake at the end of every chunk. Reference counting still frees
    everything that is not in a reference cycle. Nesting is safe.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class SimulationNotQuiet(RuntimeError):
    """``run()`` was asked to run until quiet, and the system never went quiet."""


class Simulator(FaultAPI):
    """A deterministic simulation of nodes exchanging messages.

    Parameters
    ----------
    seed : int, random.Random or None
        Names the run; ``None`` means the default seed 0.
    network : dict, optional
        Default link settings (``latency``, ``loss``, ``duplicate``, ``reorder``,
        ``reorder_delay``, ``bandwidth``, ``queue_limit``); see ``Network``.
    """

    def __init__(self, seed: Seed = None, **network: Any) -> None:
        self.seed = seed_value(seed)
        self.now = 0.0
        self.events_processed = 0
        self.network = Network(derive_rng(self.seed, "network"), **network)
        self.trace = Trace()
        self.history = History()
        self.monitor = InvariantMonitor()
        self.nodes: dict[Any, Node] = {}
        self._heap: list[tuple] = []
        # One counter numbers every event (the heap's tie-breaker) and every
        # message: a message's id is the sequence number of its first delivery.
        self._counter = itertools.count(1)
        self._timer_id = 0
        self._timers: set[int] = set()
        self._status: dict[Any, str] = {}       # up | crashed | paused | departed
        self._down: set = set()                  # not up: crashed, paused or departed
        self._storage: dict[Any, dict] = {}
        self._clocks: dict[Any, LocalClock] = {}
        self._incarnation: dict[Any, int] = {}
        self._held: dict[Any, list] = {}
        self._bound: dict[Any, dict] = {}         # node id -> {message class: bound handler}
        self._sorted_ids: tuple = ()
        self._id_type: type | None = None

    # ------------------------------------------------------------------ nodes
    def add_node(self, node: Node) -> Node:
        """Add ``node`` and boot it (``on_start``) at the current time."""
        if not isinstance(node, Node):
            raise TypeError(f"node must be a dscourse.sim.Node, got {type(node).__name__}")
        nid = check_node_id("node.node_id", node.node_id)
        if self._id_type is not None and type(nid) is not self._id_type:
            raise TypeError(f"node ids must all be of one type; this simulator uses "
                            f"{self._id_type.__name__} ids, got {nid!r}")
        if nid in self._status:
            raise ValueError(f"node id {nid!r} is already in use; ids must be unique")
        self._id_type = type(nid)
        self._status[nid] = "up"
        self._storage[nid] = {}
        self._clocks[nid] = LocalClock(self.now)
        self._incarnation[nid] = 0
        self._install(node)
        self._sorted_ids = tuple(sorted(n for n, s in self._status.items() if s != "departed"))
        self._push(self.now, CALL, self._boot, (nid, 0), None, None)
        return node

    def add_nodes(self, nodes: Iterable[Node]) -> list[Node]:
        return [self.add_node(n) for n in nodes]

    def _install(self, node: Node) -> None:
        nid = node.node_id
        inc = self._incarnation[nid]
        rng = derive_rng(self.seed, f"node:{nid}:{inc}")
        node.ctx = Context(self, nid, self._storage[nid], rng, self._clocks[nid], inc)
        self.nodes[nid] = node
        self._bound[nid] = {}          # a new incarnation: handlers are bound afresh

    def _boot(self, nid: Any, incarnation: int) -> None:
        if self._incarnation[nid] != incarnation or self._status[nid] != "up":
            return
        self._record("start", nid, None, None, None)
        self.nodes[nid].on_start()

    def node(self, node_id: Any) -> Node:
        check_known("node_id", node_id, self._status)
        return self.nodes[node_id]

    @property
    def node_ids(self) -> tuple:
        """Ids of the nodes that have not departed, sorted."""
        return self._sorted_ids

    def status(self, node_id: Any) -> str:
        check_known("node_id", node_id, self._status)
        return self._status[node_id]

    def is_up(self, node_id: Any) -> bool:
        return self.status(node_id) == "up"

    def storage(self, node_id: Any) -> dict:
        """A node's durable storage (read it; writing from outside is cheating)."""
        check_known("node_id", node_id, self._status)
        return self._storage[node_id]

    def clock(self, node_id: Any) -> LocalClock:
        check_known("node_id", node_id, self._status)
        return self._clocks[node_id]

    # --------------------------------------------------------------- scheduling
    def _push(self, time: float, kind: int, a: Any, b: Any, c: Any, d: Any) -> None:
        heapq.heappush(self._heap, (time, next(self._counter), kind, a, b, c, d))

    def schedule(self, delay: float, fn: Callable, *args: Any) -> None:
        """Call ``fn(*args)`` after ``delay`` ms of virtual time."""
        delay = check_delay("delay", delay)
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {fn!r}")
        self._push(self.now + delay, CALL, fn, args, None, None)

    def at(self, time: float, fn: Callable, *args: Any) -> None:
        """Call ``fn(*args)`` at virtual time ``time`` (not in the past)."""
        time = check_number("time", time, minimum=0.0)
        if time < self.now:
            raise ValueError(f"time={time:g} is in the past; the simulator is at {self.now:g}")
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {fn!r}")
        self._push(time, CALL, fn, args, None, None)

    def _record(self, kind: str, node: Any, peer: Any, ref: Any, data: Any) -> None:
        self.trace._records.append((self.now, kind, node, peer, ref, data))

    # --------------------------------------------------------- node actions
    def _send(self, src: Any, dst: Any, msg: Any) -> None:
        """Hand a message to the network (``Context.send`` inlines the fast lane)."""
        mid = next(self._counter)
        self.trace._records.append((self.now, "send", src, dst, mid, msg))
        self._transmit(src, dst, msg, mid)

    def _transmit(self, src: Any, dst: Any, msg: Any, mid: int) -> None:
        now = self.now
        fate = self.network.transmit(src, dst, msg, now)
        if fate.__class__ is str:
            self._record("drop", src, dst, mid, fate)
            return
        heap = self._heap
        for i, arrival in enumerate(fate):
            if i:
                self._record("dup", src, dst, mid, None)
            seq = next(self._counter) if i else mid
            heapq.heappush(heap, (arrival, seq, DELIVER, dst, src, msg, mid))

    def _set_timer(self, ctx: Context, delay: float, name: str, payload: Any) -> int:
        nid = ctx.node_id
        clock = self._clocks[nid]
        self._timer_id += 1
        tid = self._timer_id
        self._timers.add(tid)
        deadline = clock.monotonic(self.now) + delay
        self._push(self.now + clock.true_delay(self.now, delay), TIMER, nid, tid,
                   (name, payload, deadline), ctx._incarnation)
        return tid

    # -------------------------------------------------------------- running
    def run(self, until: float | None = None, max_events: int | None = None) -> int:
        """Process events up to time ``until`` and/or at most ``max_events`` of them.

        With neither, run until no event is left; a system that never goes
        quiet raises ``SimulationNotQuiet`` after ``QUIET_LIMIT`` events
        instead of hanging. Returns the number of events processed.
        """
        if until is not None:
            if type(until) is not float or until != until:
                until = check_number("until", until, minimum=0.0)
            if until < self.now:
                raise ValueError(f"until={until:g} is in the past; the simulator is at {self.now:g}")
        if max_events is not None and (type(max_events) is not int or max_events < 0):
            check_int("max_events", max_events, minimum=0)
        # gc_paused, written out: run() is called often in small steps by harnesses
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(until, max_events)
        finally:
            if was_enabled:
                gc.enable()

    def _run(self, until: float | None, max_events: int | None) -> int:
        quiet_mode = until is None and max_events is None
        limit = QUIET_LIMIT if quiet_mode else (max_events if max_events is not None else -1)
        horizon = until if until is not None else _INF
        heap = self._heap
        pop = heapq.heappop
        down = self._down
        bound = self._bound
        records = self.trace._records
        cut = self.network.cut
        monitor = self.monitor
        checks = monitor.checks
        base = self.events_processed
        count = 0
        stopped_early = False
        while heap:
            if heap[0][0] > horizon:
                break
            if count == limit:
                if quiet_mode:
                    raise SimulationNotQuiet(
                        f"the system did not go quiet within {QUIET_LIMIT:,} events "
                        f"(virtual time {self.now:g} ms); pass until=... or max_events=... "
                        f"to run() a system that keeps itself busy (timers, heartbeats)")
                stopped_early = True
                break
            now, _, kind, dst, src, msg, mid = event = pop(heap)
            self.now = now
            count += 1
            if kind == 0:   # DELIVER, the hot path, inlined
                if dst in down or (cut and (src, dst) in cut):
                    self._deliver_blocked(event)
                else:
                    records.append((now, "deliver", dst, src, mid, msg))
                    handlers = bound[dst]          # this incarnation's bound handlers
                    handler = handlers.get(msg.__class__)
                    if handler is None:
                        handler = handlers[msg.__class__] = self._bind(dst, msg.__class__)
                    handler(src, msg)
            else:
                self._dispatch(event)
            if checks:
                self.events_processed = base + count
                for v in monitor.check(self):
                    self._record("violation", None, None, None, (v.name, v.message))
        self.events_processed = base + count
        if until is not None and not stopped_early and self.now < until:
            self.now = until
        return count

    def _bind(self, nid: Any, message_type: type):
        """The handler of node ``nid``'s current incarnation for ``message_type``, bound."""
        node = self.nodes[nid]
        return find_handler(node, message_type).__get__(node)

    def step(self) -> bool:
        """Process one event; return False when there is none left."""
        if not self._heap:
            return False
        self.run(max_events=1)
        return True

    def run_for(self, duration: float, max_events: int | None = None) -> int:
        """Run for ``duration`` ms of virtual time from now."""
        return self.run(until=self.now + check_delay("duration", duration),
                        max_events=max_events)

    def stats(self) -> dict:
        """Message counts, computed from the trace: sent, delivered, duplicated, dropped by reason."""
        out = {"sent": 0, "delivered": 0, "duplicated": 0, "dropped": {}}
        for r in self.trace._records:
            kind = r[1]
            if kind == "send":
                out["sent"] += 1
            elif kind == "deliver":
                out["delivered"] += 1
            elif kind == "dup":
                out["duplicated"] += 1
            elif kind == "drop":
                out["dropped"][r[5]] = out["dropped"].get(r[5], 0) + 1
        return out

    @property
    def pending_events(self) -> int:
        return len(self._heap)

    def _deliver_blocked(self, event: tuple) -> None:
        _, _, _, dst, src, msg, mid = event
        status = self._status[dst]
        if status == "paused":
            self._held[dst].append(event)
            return
        reason = "partition" if status == "up" else status
        self._record("drop", src, dst, mid, reason)

    def _dispatch(self, event: tuple) -> None:
        _, _, kind, a, b, c, d = event
        if kind == TIMER:
            nid, tid, (name, payload, deadline), incarnation = a, b, c, d
            if tid not in self._timers or self._incarnation[nid] != incarnation:
                return
            status = self._status[nid]
            if status == "paused":
                self._held[nid].append(event)
                return
            if status != "up":
                return
            clock = self._clocks[nid]
            left = deadline - clock.monotonic(self.now)
            if left > 1e-9:   # the node's clock ran slow or stood still: not yet
                self._push(self.now + clock.true_delay(self.now, left), kind, a, b, c, d)
                return
            self._timers.discard(tid)
            self._record("timer", nid, None, tid, name)
            self.nodes[nid].on_timer(name, payload)
        else:
            a(*b)

    # ------------------------------------------------------------ invariants
    def add_invariant(self, name: str, predicate: Callable[["Simulator"], Any]) -> None:
        """Check ``predicate(sim)`` after every event (see ``dscourse.sim.invariants``)."""
        self.monitor.add(name, predicate)

    @property
    def violations(self) -> list:
        return list(self.monitor.violations)

    def __repr__(self) -> str:
        return (f"Simulator(seed={self.seed}, now={self.now:g}, nodes={len(self.nodes)}, "
                f"events={self.events_processed}, pending={len(self._heap)})")
