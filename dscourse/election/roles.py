"""What every election algorithm records: who believes it leads, and in which term.

The four algorithms of this package (bully, lease, ZooKeeper-style, Raft)
differ in how a node comes to believe it is the leader, but each records that
belief the same way, with ``ctx.record_state(role=..., term=...)``:

* ``role`` is ``"leader"``, ``"follower"`` or ``"candidate"``;
* ``term`` is what the algorithm has to tell one reign from the next: Raft's
  term, the lease's fencing token, the znode's sequence number, or ``None``
  for the bully algorithm, which has nothing of the kind.

The cluster view colours nodes by ``role``, and the comparison harness reads
the same records back from the trace to find split-brain windows, so a
belief is recorded exactly when it changes (``ElectionNode.set_role``).
"""

from __future__ import annotations

from typing import Any

from ..sim import Node, Uniform

LEADER, FOLLOWER, CANDIDATE = "leader", "follower", "candidate"
ROLES = (LEADER, FOLLOWER, CANDIDATE)
# One network for every algorithm's cluster, so that the comparison is fair.
DEFAULT_LATENCY = Uniform(1.0, 10.0)


class ElectionNode(Node):
    """A node that takes part in an election; ``set_role`` records each change of belief."""

    role: str = FOLLOWER
    term: Any = None
    _recorded: tuple | None = None

    def set_role(self, role: str, term: Any = None) -> None:
        """Believe ``role`` in ``term`` from now on (recorded in the trace if it changed)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(map(repr, ROLES))}; got {role!r}")
        self.role = role
        self.term = term
        if self._recorded != (role, term):
            self._recorded = (role, term)
            self.ctx.record_state(role=role, term=term)

    @property
    def is_leader(self) -> bool:
        return self.role == LEADER
