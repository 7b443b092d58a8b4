"""What submitting a command returns: accepted, or a clear redirect or error.

``RaftNode.start(command)`` (the labs' ``Start()``) and
``RaftCluster.submit(command, node)`` return one of these values instead of
raising, because being asked on the wrong server is normal in Raft, not a bug:

* ``Accepted(index, term, leader)``: the leader appended the command at
  ``index`` in ``term``. It is *not yet committed*: it may still be lost if
  the leader fails before replicating it to a majority.
* ``NotLeader(node, leader_hint)``: ``node`` is not the leader; it believes
  ``leader_hint`` leads (``None``: it does not know, e.g. during an election).
* ``NodeDown(node)``: ``node`` is crashed (or paused) and cannot answer.

Each has ``ok`` (True only for ``Accepted``) and reads well when printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Accepted:
    index: int
    term: int
    leader: Any
    ok = True

    def __str__(self) -> str:
        return f"accepted by leader {self.leader} at index {self.index} in term {self.term}"


@dataclass(frozen=True)
class NotLeader:
    node: Any
    leader_hint: Any = None
    ok = False

    def __str__(self) -> str:
        if self.node is None:
            return "no server believes it is the leader right now (an election may be under way)"
        hint = (f"try {self.leader_hint}" if self.leader_hint is not None
                else "it does not know who leads")
        return f"{self.node} is not the leader: {hint}"


@dataclass(frozen=True)
class NodeDown:
    node: Any
    status: str = "crashed"
    leader_hint: Any = None
    ok = False

    def __str__(self) -> str:
        return f"{self.node} is {self.status}: it cannot take commands"
