"""Plain-data views of a Raft cluster, for tables, drawings and widgets.

Views never hold live nodes: ``snapshot(sim, ids)`` copies what a picture of
the cluster needs at this moment (each server's status, role, term, vote,
log and commit index) into frozen values, and ``role_timeline(trace, ids)``
reads from the trace who believed what, when: every role and term change
that ``RaftNode`` records with ``ctx.record_state``, and every crash and
recovery. The leader-election notebook uses the timeline to show who
believed it was leader at each moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...sim.table import TextTable, format_table


@dataclass(frozen=True)
class ServerView:
    node: Any
    status: str              # up | crashed | paused
    role: str
    term: int
    voted_for: Any
    leader_hint: Any
    log_terms: tuple         # term of each entry, index 1 first
    log_commands: tuple      # a short text for each entry's command
    commit_index: int
    last_applied: int


@dataclass(frozen=True)
class ClusterSnapshot:
    time: float
    servers: tuple           # ServerView, sorted by node id

    def server(self, node: Any) -> ServerView:
        for s in self.servers:
            if s.node == node:
                return s
        raise ValueError(f"node={node!r} is not a server of this snapshot; known: "
                         f"{[s.node for s in self.servers]}")

    def leaders(self) -> list[tuple]:
        """``(node, term)`` for every server that is up and believes it leads."""
        return [(s.node, s.term) for s in self.servers if s.status == "up" and s.role == "leader"]

    def table(self) -> TextTable:
        rows = []
        for s in self.servers:
            role = s.role if s.status == "up" else f"{s.role} ({s.status})"
            rows.append((s.node, role, s.term, "-" if s.voted_for is None else s.voted_for,
                         " ".join(map(str, s.log_terms)) or "(empty)", s.commit_index))
        return format_table(["server", "role", "term", "voted for", "log (entry terms)", "commit"],
                            rows, title=f"t = {self.time:.1f} ms")


def short_command(command: Any) -> str:
    if command is None:
        return "no-op"
    inner = getattr(command, "command", None)       # a ClientRequest: show what it asks
    if inner is not None and hasattr(command, "client_id"):
        return f"{command.client_id}#{command.seq} {inner}"
    return str(command)


def snapshot(sim, ids: Iterable[Any]) -> ClusterSnapshot:
    """Copy the state of the servers ``ids`` of ``sim`` now."""
    views = []
    for nid in sorted(ids):
        node = sim.nodes[nid]
        entries = node.log.entries[1:]
        views.append(ServerView(nid, sim.status(nid), node.role, node.current_term, node.voted_for,
                                node.leader_id, tuple(e.term for e in entries),
                                tuple(short_command(e.command) for e in entries),
                                node.commit_index, node.last_applied))
    return ClusterSnapshot(sim.now, tuple(views))


@dataclass(frozen=True)
class RoleSpan:
    """``node`` was ``role`` in ``term`` from ``start`` to ``end`` (ms); ``down`` if crashed."""
    node: Any
    role: str
    term: int
    start: float
    end: float


def role_timeline(trace, ids: Iterable[Any], until: float | None = None) -> list[RoleSpan]:
    """Who was what, when: one span per (node, role, term), from the trace's records."""
    ids = set(ids)
    current: dict[Any, tuple] = {}
    spans: list[RoleSpan] = []
    end_time = 0.0
    for r in trace.raw():
        time, kind, node = r[0], r[1], r[2]
        end_time = time
        if node not in ids:
            continue
        if kind == "state":
            data = r[5]
            if "role" not in data:
                continue
            new = (data["role"], data.get("term", 0), time)
        elif kind == "crash":
            old = current.get(node)
            new = ("down", old[1] if old else 0, time)
        else:
            continue
        old = current.get(node)
        if old is not None and (old[0], old[1]) == new[:2]:
            continue
        if old is not None:
            spans.append(RoleSpan(node, old[0], old[1], old[2], time))
        current[node] = new
    stop = end_time if until is None else until
    for node in sorted(current, key=str):
        role, term, start = current[node]
        spans.append(RoleSpan(node, role, term, start, max(stop, start)))
    spans.sort(key=lambda s: (s.start, str(s.node)))
    return spans


def leaders_over_time(trace, ids: Iterable[Any]) -> list[tuple]:
    """``(time, node, term)`` each time a server became leader."""
    ids = set(ids)
    return [(r[0], r[2], r[5].get("term")) for r in trace.raw()
            if r[1] == "state" and r[2] in ids and r[5].get("role") == "leader"]
