"""Partitioning data across nodes: modulo, consistent, rendezvous and jump hashing.

* ``ModuloHash``: ``hash(key) mod n``, the baseline that moves almost every
  key when ``n`` changes;
* ``ConsistentHashRing``: the course text's ring with virtual nodes and
  weights; ``get_nodes`` gives a key's preference list;
* ``RendezvousHash`` (highest random weight) and ``JumpHash`` (Lamping and
  Veach), for comparison;
* ``stats``: load, balance and keys moved on a join or leave;
* ``hashes``: the stable hash functions (MD5 by default) and the key rule.
"""

from .base import EmptyRingError
from .hashes import HASHES, HashFunction, get_hash, hash_keys, key_bytes
from .jump import JumpHash, jump_hash
from .modulo import ModuloHash
from .rendezvous import RendezvousHash
from .ring import Arc, ConsistentHashRing, VirtualNode
from .stats import (
    Balance,
    BalancePoint,
    Comparison,
    Movement,
    balance,
    balance_vs_vnodes,
    compare,
    join_movement,
    leave_movement,
    load,
    moved,
)

__all__ = [
    "Arc", "Balance", "BalancePoint", "Comparison", "ConsistentHashRing", "EmptyRingError",
    "HASHES", "HashFunction", "JumpHash", "ModuloHash", "Movement", "RendezvousHash",
    "VirtualNode", "balance", "balance_vs_vnodes", "compare", "get_hash", "hash_keys",
    "join_movement", "jump_hash", "key_bytes", "leave_movement", "load", "moved",
]
