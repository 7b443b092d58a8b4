"""The Raft explorer: a ``FaultPanel`` on a Raft cluster, with Raft's own views and buttons.

It shows, at the panel's current time,

* the cluster graph, servers coloured by role and labelled with their term;
* every server's log, entries coloured by term, committed ones solid;
* a timeline of who was leader, candidate, follower or down, in which term;
* the state as a text table (what nbval compares and a screen reader reads).

Besides the panel's crash / recover / partition / heal / loss / delay /
pause controls and its player, it adds a button per server to *time it
out* (it starts an election at once, as if its timer had fired) and one to
send a *client request* to the current leader. Like every panel action they
are recorded with their time and replayed, so ``explorer.to_code()`` still
rebuilds exactly what is on screen, and tests drive the same methods
without a browser::

    ex = RaftExplorer(n=5, seed=1, render=False)
    ex.seek(400); ex.crash(ex.leader()); ex.seek(800)
    ex.timeout("n2"); ex.client_request()
"""

from __future__ import annotations

from typing import Any

from ..consensus.raft.cluster import RaftCluster, server_ids
from ..consensus.raft.node import LEADER, check_timeout_range
from ..consensus.raft.state import role_timeline, snapshot
from ..sim.validate import check_int, check_known, check_number
from ..viz.raft import draw_logs, draw_timeline
from .fault_panel import FaultPanel, cluster_view


def _leader(sim, ids) -> Any:
    best = None
    for nid in ids:
        node = sim.nodes[nid]
        if sim.status(nid) == "up" and node.role == LEADER:
            if best is None or node.current_term > sim.nodes[best].current_term:
                best = nid
    return best


class RaftExplorer:
    """Crash, restart, partition, time out servers and send requests; watch Raft respond."""

    def __init__(self, n: int = 5, *, seed: int = 1, horizon: float = 3000.0, step: float = 50.0,
                 election_timeout=(150.0, 300.0), heartbeat_interval: float = 50.0,
                 render: bool = True) -> None:
        self.ids = server_ids(check_int("n", n, minimum=1))
        self.election_timeout = check_timeout_range("election_timeout", election_timeout)
        self.heartbeat_interval = check_number("heartbeat_interval", heartbeat_interval,
                                               minimum=0.0, strict_min=True)
        actions = {f"time out {nid}": self._timeout_action(nid) for nid in self.ids}
        actions["client request"] = self._request
        self.panel = FaultPanel(build=self._build, seed=seed, horizon=horizon, step=step,
                                views=[cluster_view(color_by="role", label_fields=("term",)),
                                       self._log_view, self._timeline_view, self._table_view],
                                actions=actions, title="Raft explorer", render=render)

    # -------------------------------------------------------------- scenario
    def _build(self, seed: int):
        self.cluster = RaftCluster(len(self.ids), seed, election_timeout=self.election_timeout,
                                   heartbeat_interval=self.heartbeat_interval)
        return self.cluster.sim

    def _timeout_action(self, nid: Any):
        def act(sim):
            if sim.status(nid) == "up":
                sim.nodes[nid].force_timeout()
        act.__name__ = f"time_out_{nid}"
        return act

    def _request(self, sim) -> None:
        leader = _leader(sim, self.ids)
        if leader is not None:
            sim.nodes[leader].start(f"cmd@{sim.now:.0f}")

    # ----------------------------------------------------------------- views
    def _log_view(self, sim):
        return draw_logs(snapshot(sim, self.ids))

    def _timeline_view(self, sim):
        return draw_timeline(role_timeline(sim.trace, self.ids, sim.now), nodes=self.ids)

    def _table_view(self, sim):
        return snapshot(sim, self.ids).table()

    # ---------------------------------------------------------------- actions
    @property
    def sim(self):
        return self.panel.sim

    @property
    def time(self) -> float:
        return self.panel.time

    def leader(self) -> Any:
        """The server that leads now (highest term among those up), or None."""
        return _leader(self.panel.sim, self.ids)

    def timeout(self, node: Any) -> None:
        """Make ``node`` time out now: it becomes a candidate (if it is up and not leading)."""
        check_known("node", node, self.ids)
        self.panel.act(f"time out {node}")

    def client_request(self) -> None:
        """Send a command to the current leader now (nothing happens if no one leads)."""
        self.panel.act("client request")

    def crash(self, node: Any) -> None:
        self.panel.crash(node)

    def recover(self, node: Any) -> None:
        self.panel.recover(node)

    def partition(self, side) -> None:
        self.panel.partition(side)

    def heal(self) -> None:
        self.panel.heal()

    def seek(self, t: float) -> None:
        self.panel.seek(t)

    def step(self) -> None:
        self.panel.step()

    def reset(self) -> None:
        self.panel.reset()

    def table(self):
        return snapshot(self.panel.sim, self.ids).table()

    def to_code(self) -> str:
        return self.panel.to_code()

    def _ipython_display_(self) -> None:
        self.panel._ipython_display_()
