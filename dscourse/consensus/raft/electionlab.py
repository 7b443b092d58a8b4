"""A lean event loop for election-only trials: the fast path of the timing experiment.

The election-timing experiment runs thousands of short trials, some of them
ten seconds of split votes each. ``ElectionLab`` runs the *same* ``RaftNode``
code as the ``Simulator`` does, through a minimal context (send, timers, the
clock, the node's random stream, storage, state records), but without what an
election-only trial does not need: the trace, the fault machinery, the
invariant hooks. It reproduces the simulator exactly for this case (a
reliable network, no clock skew, crashes without recovery): events are
ordered by ``(time, sequence)`` with one counter shared by timers and
messages, every random stream is derived from the seed under the same name,
so a trial gives the same result on both (the tests check that it does).
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any

from ...sim.node import find_handler
from ...sim.rng import derive_rng

_DELIVER, _TIMER, _BOOT = 0, 1, 2


class _LabContext:
    """What a node may do, in the lab: the subset of ``dscourse.sim.Context`` Raft uses."""

    __slots__ = ("_lab", "node_id", "storage", "rng")

    def __init__(self, lab: "ElectionLab", node_id: Any, storage: dict, rng) -> None:
        self._lab = lab
        self.node_id = node_id
        self.storage = storage
        self.rng = rng

    def send(self, dst: Any, msg: Any) -> None:
        lab = self._lab
        seq = next(lab.counter)
        heapq.heappush(lab.heap, (lab.now + lab.sample(), seq, _DELIVER, dst, self.node_id, msg))

    def set_timer(self, delay: float, name: str = "timeout", payload: Any = None) -> int:
        lab = self._lab
        lab.timer_id += 1
        tid = lab.timer_id
        lab.timers.add(tid)
        heapq.heappush(lab.heap, (lab.now + delay, next(lab.counter), _TIMER, self.node_id, tid,
                                  (name, payload)))
        return tid

    def cancel_timer(self, timer_id: int) -> None:
        self._lab.timers.discard(timer_id)

    def clock(self) -> float:
        return self._lab.now

    def record_state(self, **fields: Any) -> None:
        lab = self._lab
        lab.states.append((lab.now, self.node_id, fields))
        if fields.get("role") == "leader" and fields["term"] > lab.watch_term and lab.found is None:
            lab.found = (lab.now, self.node_id, fields["term"])

    def log(self, text: str) -> None:
        pass


class ElectionLab:
    """Nodes on a reliable network with latency ``latency``; crashes without recovery."""

    def __init__(self, seed: int, latency: Any) -> None:
        self.seed = seed
        self.now = 0.0
        self.counter = itertools.count(1)
        self.heap: list = []
        self.sample = latency.sampler(derive_rng(seed, "network"))
        self.nodes: dict = {}
        self.down: set = set()
        self.timers: set = set()
        self.timer_id = 0
        self.states: list = []            # (time, node, fields): what record_state recorded
        self.watch_term = 0               # run() stops once a server leads a later term than this
        self.found: tuple | None = None   # (time, node, term) of that server
        self.handlers: dict = {}          # (node class, message class) -> handler
    def add(self, node: Any, storage: dict) -> None:
        """Boot ``node`` at time 0 with ``storage`` as its disk."""
        nid = node.node_id
        node.ctx = _LabContext(self, nid, storage, derive_rng(self.seed, f"node:{nid}:0"))
        self.nodes[nid] = node
        heapq.heappush(self.heap, (self.now, next(self.counter), _BOOT, nid, None, None))

    def crash(self, nid: Any) -> None:
        self.down.add(nid)

    def watch(self, term: int) -> None:
        """Make ``run`` stop as soon as a server becomes leader of a term above ``term``."""
        self.watch_term = term
        self.found = None

    def run(self, until: float, stop: bool = True) -> bool:
        """Process events up to time ``until``; with ``stop``, stop early (True) at a new leader."""
        heap, nodes, down, timers = self.heap, self.nodes, self.down, self.timers
        handlers = self.handlers
        pop = heapq.heappop
        while heap and heap[0][0] <= until:
            time, _, kind, nid, a, b = pop(heap)
            self.now = time
            if nid in down:
                continue
            node = nodes[nid]
            if kind == _DELIVER:
                key = (node.__class__, b.__class__)
                handler = handlers.get(key)
                if handler is None:
                    handler = handlers[key] = find_handler(node, b.__class__)
                handler(node, a, b)
            elif kind == _TIMER:
                if a not in timers:
                    continue
                timers.discard(a)
                node.on_timer(b[0], b[1])
            else:
                node.on_start()
            if stop and self.found is not None:
                return True
        self.now = until
        return False
