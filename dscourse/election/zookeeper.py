"""ZooKeeper-style leader election: the lowest sequence number leads.

The recipe from the ZooKeeper documentation ("Recipes and Solutions:
Leader Election"), on the coordination service of ``coordination.py``:

1. Each candidate creates an **ephemeral sequential** znode
   ``/election/n_`` and gets back its name, say ``n_0000000004``.
2. It lists the children of ``/election``. If its znode has the lowest
   sequence number, it is the leader (its sequence number is its term, and
   a fencing token: later leaders have larger ones).
3. Otherwise it **watches the znode just before its own** (``exists`` with a
   watch) and waits. When that znode goes (its owner crashed, so its session
   expired, or it resigned), the watch fires and the candidate goes back to
   step 2: the znode before it may have gone while one further ahead is still
   there, so it must look again rather than assume it leads.

Watching only the predecessor means a leader's failure wakes exactly one
candidate. The naive version, ``mode="herd"``, has everyone watch the
leader's znode: each change of leader wakes all ``n - 1`` candidates, who
all ask for the children at once and all but one go back to sleep (the
"herd effect"). Both are here, so the notebook can count the notifications.

A leader that hears nothing from the service for two thirds of its session
timeout stops acting as leader (its session may be about to expire), and
looks again when it hears back; a candidate whose session expired lost its
znode and starts over with a new one.
"""

from __future__ import annotations

from typing import Any

from ..consensus.raft.cluster import server_ids
from ..sim import Simulator
from ..sim.rng import Seed
from ..sim.validate import check_choice, check_int, check_number
from .coordination import (
    BACKGROUND_MESSAGES,
    CoordinationClient,
    CoordinationServer,
    Create,
    Exists,
    GetChildren,
    Reply,
    WatchEvent,
    sequence_of,
)
from .roles import CANDIDATE, DEFAULT_LATENCY, FOLLOWER, LEADER

ELECTION_PATH = "/election"
MODES = ("predecessor", "herd")


def predecessor(children: list[str], mine: str) -> str | None:
    """The znode to watch: the one just before ``mine`` in sequence order (None if mine is first)."""
    ordered = sorted(children, key=sequence_of)
    i = ordered.index(mine)
    return ordered[i - 1] if i > 0 else None


def leader_znode(children: list[str], mine: str) -> str | None:
    """The herd's choice: everyone watches the lowest znode, the leader's (None if that is mine)."""
    first = min(children, key=sequence_of)
    return None if first == mine else first


class ZkElector(CoordinationClient):
    """A candidate running the recipe; see the module docstring.

    ``choose(children, mine)`` picks the znode to watch (None: I lead); the
    default follows ``mode``, and an exercise passes its own.
    """

    def __init__(self, node_id: Any, server: Any, *, mode: str = "predecessor",
                 session_timeout: float = 300.0, choose=None) -> None:
        super().__init__(node_id, server, session_timeout=session_timeout)
        self.mode = check_choice("mode", mode, MODES)
        if choose is not None and not callable(choose):
            raise TypeError(f"choose must be a function (children, mine) -> znode or None, "
                            f"got {choose!r}")
        self.choose = choose or (predecessor if mode == "predecessor" else leader_znode)
        self.znode: str | None = None
        self.watching: str | None = None
        self.notifications = 0

    def on_start(self) -> None:
        self.set_role(FOLLOWER)
        super().on_start()

    # 1. create the ephemeral sequential znode
    def on_session(self) -> None:
        self.znode = None
        self.set_role(CANDIDATE)
        self.request(Create, f"{ELECTION_PATH}/n_", True, True)

    def handle_reply(self, req: int, kind: str, reply: Reply) -> None:
        if kind == "Create":
            self.znode = reply.value.rsplit("/", 1)[1]
            self.look()
        elif kind == "GetChildren":
            self.decide(list(reply.value))
        elif kind == "Exists" and not reply.value:
            self.look()                     # it vanished before the watch was set: look again

    # 2. list the children
    def look(self) -> None:
        if self.znode is not None and self.session is not None:
            self.request(GetChildren, ELECTION_PATH, False)

    def decide(self, children: list[str]) -> None:
        if self.znode not in children:
            return                          # our znode is gone (session expired): on_expired handles it
        target = self.choose(children, self.znode)
        if target is None:
            self.watching = None
            if self.connected:
                self.set_role(LEADER, sequence_of(self.znode))
            return
        # 3. watch the chosen znode (the predecessor, or the leader for the herd)
        self.set_role(FOLLOWER)
        self.watching = target
        self.request(Exists, f"{ELECTION_PATH}/{target}", True)

    def on_watch(self, event: WatchEvent) -> None:
        self.notifications += 1
        if event.event == "deleted":
            self.look()

    def on_disconnected(self) -> None:
        if self.role == LEADER:
            self.ctx.log("no news from the service: stop acting as leader")
            self.set_role(CANDIDATE)

    def on_reconnected(self) -> None:
        self.look()

    def on_expired(self) -> None:
        self.znode = None
        self.watching = None
        self.set_role(CANDIDATE)


def is_election_message(msg: Any) -> bool:
    """Everything but the session's pings is election work."""
    return type(msg).__name__ not in BACKGROUND_MESSAGES


def zk_cluster(n: int = 5, seed: Seed = None, *, mode: str = "predecessor",
               session_timeout: float = 300.0, tick: float = 50.0, choose=None,
               latency: Any = DEFAULT_LATENCY) -> Simulator:
    """A coordination server ``zk`` and ``n`` candidates ``n1..``, all started at time 0."""
    check_int("n", n, minimum=1, maximum=99)
    check_choice("mode", mode, MODES)
    check_number("session_timeout", session_timeout, minimum=0.0, strict_min=True)
    sim = Simulator(seed=seed, latency=latency)
    sim.add_node(CoordinationServer("zk", tick=tick))
    for nid in server_ids(n):
        sim.add_node(ZkElector(nid, "zk", mode=mode, session_timeout=session_timeout,
                               choose=choose))
    return sim


def watch_notifications(sim: Simulator) -> int:
    """How many watch notifications the service sent (from the trace)."""
    return sum(1 for r in sim.trace.select("send") if isinstance(r.data, WatchEvent))


__all__ = ["ELECTION_PATH", "MODES", "ZkElector", "is_election_message", "leader_znode",
           "predecessor", "watch_notifications", "zk_cluster"]
