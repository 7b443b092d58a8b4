"""A replicated key-value store on Raft, with exactly-once effects.

The state machine every server runs (section 8 of the paper, "Client
interaction"): each committed command is applied in log order, so every
server computes the same store.

**Exactly-once effects.** A client that times out cannot know whether its
command committed, so it retries; the retry may be appended again, by the
same leader or a new one. Each command therefore carries the client's id and
a sequence number, and the store keeps a *session* per client: the last
sequence number it applied and that command's result. A command whose
sequence number was already applied is not run again; the stored result is
returned instead. (The paper: "The state machine tracks the latest serial
number processed for each client, along with the associated response. If it
receives a command whose serial number has already been executed, it
responds immediately without re-executing the request.") A client runs one
command at a time, so one entry per client is enough. The session table is
part of the state machine, so it is rebuilt with it when a server replays
its log after a crash, and every server agrees on it.

**Linearizable reads.** A ``get`` goes through the log like a ``put``: it
is answered only after the entry that carries it commits, at its place in
the log order. A leader that was deposed without knowing it cannot commit,
so it cannot answer a read with stale data. (The cheaper alternatives,
ReadIndex, where the leader confirms it still leads with a round of
heartbeats before reading its applied state, and leases, which trust
bounded clock drift, are in section 8 of the paper; through the log is the
simplest one that is obviously correct, and costs one log entry per read.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...sim.validate import check_choice
from .messages import ClientRequest

OPS = ("put", "get", "append")


@dataclass(frozen=True, slots=True)
class KVOp:
    """``put`` (key := value), ``get`` (read key) or ``append`` (key += value)."""
    op: str
    key: Any
    value: Any = None

    def __post_init__(self):
        check_choice("op", self.op, OPS)

    def __str__(self) -> str:
        if self.op == "get":
            return f"get({self.key})"
        return f"{self.op}({self.key}, {self.value!r})"


class KVStore:
    """The state machine: a dict of keys, plus one session per client."""

    def __init__(self) -> None:
        self.data: dict = {}
        self.sessions: dict = {}        # client id -> (last seq applied, its result)
        self.applied = 0                # commands that took effect (duplicates excluded)

    def apply(self, command: Any) -> Any:
        if command.__class__ is ClientRequest:
            session = self.sessions.get(command.client_id)
            if session is not None and command.seq <= session[0]:
                # A duplicate: already applied once. Same seq: the saved answer;
                # an older seq: the client has moved on and no one is waiting.
                return session[1] if command.seq == session[0] else None
            result = self.execute(command.command)
            self.sessions[command.client_id] = (command.seq, result)
            return result
        return self.execute(command)

    def cached(self, client_id: Any, seq: int) -> tuple[bool, Any]:
        """``(True, result)`` if ``(client_id, seq)`` was already applied, else ``(False, None)``."""
        session = self.sessions.get(client_id)
        if session is not None and session[0] == seq:
            return True, session[1]
        return False, None

    def execute(self, op: Any) -> Any:
        if not isinstance(op, KVOp):
            raise TypeError(f"the key-value store runs KVOp commands, got {op!r}")
        self.applied += 1
        data = self.data
        if op.op == "get":
            return data.get(op.key)
        if op.op == "put":
            data[op.key] = op.value
            return None
        data[op.key] = data.get(op.key, "") + op.value
        return None
