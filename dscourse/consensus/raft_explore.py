"""Model checking Raft's election: three servers, every schedule.

``explore_raft_election(RaftNode)`` hands three Raft servers (no clients, so
no log entries) to the small-scope model checker (``dscourse.sim.explore``):
every order of message deliveries, up to two election timeouts firing at any
moment, and one server restart (crash and recovery with its storage). The
invariant is election safety, read from the servers' current state: no two
servers lead in the same term.

A server's state, for the explorer, is its Figure 2 state (term, vote, log,
commit index, role, votes, leader's indexes): its timing attributes (drawn
timeout, deadline, timer id, when it last sent) are left out, since the
explorer has no clock and any timeout may fire at any moment.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..sim.explore import ExploreResult, explore, state_text
from .raft import LEADER, RaftNode

SERVERS = ("n1", "n2", "n3")
MAX_DEPTH = 8
CRASHES = 1
TIMER_FIRES = 2
FIGURE2 = ("role", "current_term", "voted_for", "log", "commit_index", "last_applied", "votes",
           "leader_id", "next_index", "match_index")


def raft_state_key(node: RaftNode) -> str:
    """The server's Figure 2 state (plus role, votes and leader), as canonical text."""
    return state_text(tuple(getattr(node, name, None) for name in FIGURE2))


def election_safety(nodes: Mapping[Any, Any]) -> bool | str:
    """At most one leader per term (Figure 3), among the servers' current states."""
    leaders: dict = {}
    for nid in sorted(nodes, key=str):
        node = nodes[nid]
        if node.role == LEADER:
            if node.current_term in leaders:
                return (f"two leaders in term {node.current_term}: "
                        f"{leaders[node.current_term]} and {nid}")
            leaders[node.current_term] = nid
    return True


def three_servers(node_class: type = RaftNode) -> list:
    if not (isinstance(node_class, type) and issubclass(node_class, RaftNode)):
        raise TypeError(f"node_class must be RaftNode or a subclass of it, got {node_class!r}")
    return [node_class(n, [p for p in SERVERS if p != n]) for n in SERVERS]


def explore_raft_election(node_class: type = RaftNode, *, max_depth: int = MAX_DEPTH,
                          crashes: int = CRASHES, timer_fires: int = TIMER_FIRES,
                          max_states: int = 200_000) -> ExploreResult:
    """Every schedule of three ``node_class`` servers up to the bound, breadth first."""
    three_servers(node_class)
    return explore(lambda: three_servers(node_class), {"election_safety": election_safety},
                   max_depth=max_depth, crashes=crashes, timer_fires=timer_fires,
                   max_states=max_states, state_key=raft_state_key)
