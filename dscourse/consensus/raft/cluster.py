"""``RaftCluster``: the test harness that notebooks and tests share.

Modelled on the configuration object of the MIT 6.824 Raft labs: it starts
``n`` servers on one simulator, checks the five safety properties after every
event, and offers what a test needs:

    c = RaftCluster(5, seed=1)
    leader = c.wait_for_leader()              # run until some server leads
    c.submit("x")                             # Accepted(index, term, leader) or NotLeader
    index = c.one("y")                        # submit and wait until all servers commit it
    c.crash("n2"); c.recover("n2")            # durable storage survives
    c.disconnect("n3"); c.connect("n3")       # cut one server off, and back
    c.partition(["n1", "n2"], ["n3", "n4", "n5"]); c.heal()
    c.run(500)                                # virtual milliseconds
    c.committed("n1"), c.snapshot().table(), c.violations

Election-only use (the leader-election notebook): build the cluster, run it,
and read ``c.believed_leaders()`` at any moment, or ``c.timeline()`` for
every role and term change with its time.

Key-value use: ``RaftCluster(3, kv=True)`` runs a ``KVStore`` on every
server; ``add_clients`` starts ``RaftClient`` processes that record a
``History`` in ``c.sim.history``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...sim import Simulator, Uniform
from ...sim.rng import Seed, derive_rng
from ...sim.table import TextTable, format_table
from ...sim.validate import check_delay, check_int, check_known
from .client import RaftClient
from .invariants import RaftChecker
from .kv import KVOp, KVStore
from .log import RaftLog
from .messages import ClientRequest, Entry
from .node import LEADER, RaftNode
from .results import NodeDown, NotLeader
from .state import ClusterSnapshot, RoleSpan, role_timeline, snapshot

DEFAULT_LATENCY = Uniform(1.0, 10.0)


def server_ids(n: int) -> list[str]:
    """``n1 ... nN`` (zero-padded from ten servers on, so they sort in order)."""
    width = len(str(n)) if n >= 10 else 1
    return [f"n{i:0{width}d}" for i in range(1, n + 1)]


class RaftCluster:
    """``n`` Raft servers on one simulator, with the labs' test helpers.

    Parameters
    ----------
    n : int
        Number of servers (at least 1).
    seed : int, random.Random or None
    node_class : RaftNode subclass
        A mutant from ``mutants.py`` to see the invariants catch it.
    election_timeout, heartbeat_interval, max_entries :
        Passed to every ``RaftNode``.
    kv : bool
        Run a ``KVStore`` (and accept ``add_clients``); otherwise each server
        applies commands to a ``CommandLog``.
    noop : bool, optional
        New leaders append a no-op entry (section 8). Default: on for the
        key-value store (so a new leader learns what is committed and answers
        clients whose commands an old leader left uncommitted), off otherwise
        (so that command indices are the ones a test expects).
    first_timeouts : dict, optional
        Node id -> the election timeout of its first boot.
    check : bool
        Check the five safety properties after every event (default True).
    latency and other keyword arguments
        Network defaults (``loss``, ``duplicate``, ``reorder``, ``reorder_delay``...).
    """

    def __init__(self, n: int = 5, seed: Seed = None, *, node_class: type = RaftNode,
                 election_timeout=(150.0, 300.0), heartbeat_interval: float = 50.0,
                 max_entries: int = 64, noop: bool | None = None, kv: bool = False,
                 first_timeouts: dict | None = None, check: bool = True,
                 latency: Any = DEFAULT_LATENCY, **network: Any) -> None:
        check_int("n", n, minimum=1)
        if not (isinstance(node_class, type) and issubclass(node_class, RaftNode)):
            raise TypeError(f"node_class must be RaftNode or a subclass, got {node_class!r}")
        self.sim = Simulator(seed=seed, latency=latency, **network)
        self.ids = server_ids(n)
        self.kv = bool(kv)
        noop = self.kv if noop is None else bool(noop)
        first_timeouts = dict(first_timeouts or {})
        for nid in first_timeouts:
            check_known("first_timeouts", nid, self.ids)
        for nid in self.ids:
            self.sim.add_node(node_class(
                nid, [p for p in self.ids if p != nid], election_timeout=election_timeout,
                heartbeat_interval=heartbeat_interval, max_entries=max_entries, noop=noop,
                state_machine=KVStore if kv else None, first_timeout=first_timeouts.get(nid)))
        self.checker = RaftChecker(self.ids).install(self.sim) if check else None
        self.clients: list[str] = []
        self._isolated: set = set()
        self._groups: list | None = None

    def preload(self, node: Any, term: int, log: Iterable[Any] = (), voted_for: Any = None) -> None:
        """Write ``node``'s durable state before the cluster starts (a disk image).

        ``log`` is a list of entries, each an ``Entry`` or a ``(term, command)``
        pair. Only before the first event: afterwards it would be cheating.
        """
        check_known("node", node, self.ids)
        check_int("term", term, minimum=0)
        if self.sim.events_processed or self.sim.now:
            raise ValueError("preload only before the cluster runs (at time 0, before any event)")
        entries = [e if isinstance(e, Entry) else Entry(*e) for e in log]
        last = 0
        for i, e in enumerate(entries, start=1):
            check_int(f"log[{i}].term", e.term, minimum=1, maximum=term)
            if e.term < last:
                raise ValueError(f"log terms must not decrease: entry {i} has term {e.term} "
                                 f"after term {last}")
            last = e.term
        if voted_for is not None:
            check_known("voted_for", voted_for, self.ids)
        storage = self.sim.storage(node)
        storage["current_term"] = term
        storage["voted_for"] = voted_for
        storage["log"] = RaftLog(entries)

    # ---------------------------------------------------------------- running
    @property
    def now(self) -> float:
        return self.sim.now

    def run(self, duration: float) -> RaftCluster:
        """Run for ``duration`` ms of virtual time."""
        self.sim.run_for(duration)
        return self

    def run_until(self, predicate: Callable[[RaftCluster], Any], timeout: float = 5000.0,
                  step: float = 10.0) -> bool:
        """Run in ``step`` ms slices until ``predicate(cluster)`` holds (True) or ``timeout`` passes."""
        timeout = check_delay("timeout", timeout)
        step = check_delay("step", step)
        if step <= 0:
            raise ValueError("step must be greater than 0")
        end = self.sim.now + timeout
        while not predicate(self):
            if self.sim.now >= end:
                return False
            self.sim.run(until=min(end, self.sim.now + step))
        return True

    # ----------------------------------------------------------------- servers
    def node(self, node: Any) -> RaftNode:
        """The current instance of server ``node`` (a new one after each recovery)."""
        check_known("node", node, self.ids)
        return self.sim.nodes[node]

    def is_up(self, node: Any) -> bool:
        check_known("node", node, self.ids)
        return self.sim.status(node) == "up"

    def connected(self, node: Any) -> bool:
        return self.is_up(node) and node not in self._isolated

    def believed_leaders(self) -> list[tuple]:
        """``(node, term)`` for every server that is up and believes it is the leader."""
        return [(nid, self.sim.nodes[nid].current_term) for nid in self.ids
                if self.sim.status(nid) == "up" and self.sim.nodes[nid].role == LEADER]

    def leader(self, connected_only: bool = True) -> Any:
        """The leader of the highest term among servers that are up (and connected), or None."""
        best = None
        for nid, term in self.believed_leaders():
            if connected_only and nid in self._isolated:
                continue
            if best is None or term > best[1]:
                best = (nid, term)
        return None if best is None else best[0]

    def check_one_leader(self) -> Any:
        """The labs' checkOneLeader: the leader, or RuntimeError if two lead one term."""
        by_term: dict[int, list] = {}
        for nid, term in self.believed_leaders():
            if nid not in self._isolated:
                by_term.setdefault(term, []).append(nid)
        for term, nodes in sorted(by_term.items()):
            if len(nodes) > 1:
                raise RuntimeError(f"term {term} has {len(nodes)} leaders: {nodes}")
        return by_term[max(by_term)][0] if by_term else None

    def wait_for_leader(self, timeout: float = 5000.0) -> Any:
        """Run until a connected server leads; return its id (None if none within ``timeout``)."""
        self.run_until(lambda c: c.leader() is not None, timeout)
        return self.leader()

    def terms(self) -> dict:
        return {nid: self.sim.nodes[nid].current_term for nid in self.ids}

    # ---------------------------------------------------------------- commands
    def submit(self, command: Any, node: Any = None):
        """Ask ``node`` (default: the current leader) to start ``command``.

        Returns ``Accepted``, ``NotLeader`` (with a hint) or ``NodeDown``;
        an unknown node id is a ``ValueError``.
        """
        if node is None:
            node = self.leader()
            if node is None:
                return NotLeader(None, None)
        check_known("node", node, self.ids)
        status = self.sim.status(node)
        if status != "up":
            return NodeDown(node, status)
        return self.sim.nodes[node].start(command)

    def committed(self, node: Any) -> list:
        """The commands server ``node`` knows are committed, in log order."""
        n = self.node(node)
        return n.log.commands(n.commit_index)

    def n_committed(self, index: int) -> tuple[int, Any]:
        """How many servers have committed ``index``, and the command there."""
        check_int("index", index, minimum=1)
        count, command = 0, None
        for nid in self.ids:
            n = self.sim.nodes[nid]
            if n.commit_index >= index:
                here = n.log.entries[index].command
                if count and here != command:
                    raise RuntimeError(f"servers committed different commands at index {index}: "
                                       f"{command!r} and {here!r} ({nid})")
                count, command = count + 1, here
        return count, command

    def one(self, command: Any, expected: int | None = None, timeout: float = 10_000.0,
            retry: bool = True) -> int:
        """The labs' ``one()``: submit ``command`` until ``expected`` servers commit it.

        Tries each connected server in turn until one accepts, waits up to 2 s
        of virtual time for the commit, and retries (if ``retry``) until
        ``timeout``. Returns the index; ``RuntimeError`` if agreement fails.
        """
        expected = len(self.ids) if expected is None else check_int(
            "expected", expected, minimum=1, maximum=len(self.ids))
        end = self.sim.now + check_delay("timeout", timeout)
        while self.sim.now < end:
            index = None
            for nid in self.ids:
                if self.connected(nid):
                    result = self.submit(command, nid)
                    if result.ok:
                        index = result.index
                        break
            if index is not None:
                def done(c, index=index):
                    count, cmd = c.n_committed(index)
                    return count >= expected and cmd == command
                if self.run_until(done, timeout=2000.0):
                    return index
                if not retry:
                    break
            else:
                self.run(50.0)
        raise RuntimeError(f"one({command!r}) failed to reach agreement on {expected} servers "
                           f"within {timeout:g} ms")

    # ------------------------------------------------------------------ faults
    def crash(self, node: Any) -> None:
        check_known("node", node, self.ids)
        self.sim.crash(node)

    def recover(self, node: Any) -> None:
        check_known("node", node, self.ids)
        self.sim.recover(node)

    def timeout(self, node: Any) -> None:
        """Make ``node`` time out now (start an election), as if its timer had fired."""
        check_known("node", node, self.ids)
        self.sim.schedule(0.0, self._force_timeout, node)

    def _force_timeout(self, node: Any) -> None:
        if self.sim.status(node) == "up":
            self.sim.nodes[node].force_timeout()

    def disconnect(self, node: Any) -> None:
        """Cut ``node`` off from every other node (it keeps running)."""
        check_known("node", node, self.ids)
        self._isolated.add(node)
        self._apply_links()

    def connect(self, node: Any) -> None:
        check_known("node", node, self.ids)
        self._isolated.discard(node)
        self._apply_links()

    def partition(self, *groups: Iterable[Any]) -> None:
        groups = [list(g) for g in groups]
        for g in groups:
            for nid in g:
                check_known("groups", nid, self.ids)
        self._groups = groups
        self._apply_links()

    def heal(self) -> None:
        """Reconnect everything (partitions and disconnected servers)."""
        self._groups = None
        self._isolated.clear()
        self.sim.heal()

    def _apply_links(self) -> None:
        self.sim.heal()
        if self._groups:
            self.sim.partition(*self._groups)
        for nid in sorted(self._isolated):
            self.sim.isolate(nid)

    # ------------------------------------------------------------------ clients
    def add_clients(self, count: int = 2, ops_per_client: int = 10, keys: Iterable[Any] = ("x", "y"),
                    read_fraction: float = 0.5, retry_timeout: float = 200.0,
                    think: tuple = (0.0, 20.0), start: float = 0.0) -> list[str]:
        """Start ``count`` clients, each running ``ops_per_client`` random puts and gets.

        Every put writes a unique value (``"c1:3"``: client c1, its third
        command), so a read tells which write it saw. Returns the client ids.
        """
        if not self.kv:
            raise ValueError("add_clients needs a key-value cluster: RaftCluster(..., kv=True)")
        check_int("count", count, minimum=1)
        check_int("ops_per_client", ops_per_client, minimum=0)
        keys = list(keys)
        if not keys:
            raise ValueError("keys must name at least one key")
        rng = derive_rng(self.sim.seed, "raft-clients")
        new = []
        for _ in range(count):
            cid = f"c{len(self.clients) + 1}"
            ops = []
            for i in range(1, ops_per_client + 1):
                key = rng.choice(keys)
                ops.append(KVOp("get", key) if rng.random() < read_fraction
                           else KVOp("put", key, f"{cid}:{i}"))
            self.sim.add_node(RaftClient(cid, self.ids, ops, retry_timeout=retry_timeout,
                                         think=think, start=start))
            self.clients.append(cid)
            new.append(cid)
        return new

    def acknowledged_lost(self) -> list[tuple]:
        """Commands acknowledged to a client that did not survive.

        An acknowledged command survives if it was committed and its entry
        is, now, in the logs of a majority of the servers (so every future
        leader has it). Committed entries are those the invariant checker saw
        committed (or, with ``check=False``, the longest committed prefix any
        server knows now). Returns ``(client, seq, op)`` for each one lost:
        it should be empty.
        """
        if self.checker is not None:
            committed = [e for e in self.checker.committed[1:]]
        else:
            best = max((self.sim.nodes[nid] for nid in self.ids), key=lambda n: n.commit_index)
            committed = best.log.entries[1:best.commit_index + 1]
        where = {}
        for index, entry in enumerate(committed, start=1):
            command = entry[0].command if isinstance(entry, tuple) else entry.command
            if isinstance(command, ClientRequest):
                where.setdefault((command.client_id, command.seq), (index, command))
        majority = len(self.ids) // 2 + 1
        lost = []
        for cid in self.clients:
            for seq, op, _ in self.sim.nodes[cid].results:
                found = where.get((cid, seq))
                held = 0
                if found is not None:
                    index, command = found
                    for nid in self.ids:
                        entries = self.sim.nodes[nid].log.entries
                        if index < len(entries) and entries[index].command == command:
                            held += 1
                if held < majority:
                    lost.append((cid, seq, op))
        return lost

    # ------------------------------------------------------------------ views
    @property
    def violations(self) -> list:
        return self.sim.violations

    @property
    def history(self):
        return self.sim.history

    def snapshot(self) -> ClusterSnapshot:
        return snapshot(self.sim, self.ids)

    def table(self) -> TextTable:
        return self.snapshot().table()

    def timeline(self, until: float | None = None) -> list[RoleSpan]:
        """Every (server, role, term) span so far, from the trace."""
        return role_timeline(self.sim.trace, self.ids, self.sim.now if until is None else until)

    def violation_table(self) -> TextTable:
        rows = [(v.name, f"{v.time:.1f}", v.message) for v in self.sim.violations]
        return format_table(["invariant", "time", "what happened"], rows,
                            title=None if rows else "no safety property violated")

    def __repr__(self) -> str:
        return f"RaftCluster(n={len(self.ids)}, seed={self.sim.seed}, now={self.sim.now:g})"
