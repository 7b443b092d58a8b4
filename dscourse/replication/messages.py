"""The messages of quorum replication (``quorum.py``) and of its repair (``repair.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Get", "GetReply", "Put", "PutAck", "Sync", "SyncReply"]


@dataclass(frozen=True)
class Get:
    op: tuple
    key: Any


@dataclass(frozen=True)
class GetReply:
    op: tuple
    key: Any
    state: Any


@dataclass(frozen=True)
class Put:
    op: tuple
    key: Any
    state: Any
    hint: Any = None      # set when sent to a stand-in: the replica it stands in for


@dataclass(frozen=True)
class PutAck:
    op: tuple
    key: Any


@dataclass(frozen=True)
class Sync:
    states: tuple         # ((key, state), ...) the sender holds


@dataclass(frozen=True)
class SyncReply:
    states: tuple
