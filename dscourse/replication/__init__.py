"""Replicated data under partition: notebooks 02 (CAP), 03 (consistency models), 04 (clocks).

Modules, each one concept:

* ``client``: client processes that record a Jepsen-style History;
* ``quorum``: N/R/W quorum replication (read repair, write-back, hinted handoff,
  sloppy quorums, anti-entropy), reused by every quorum store of the course;
* ``policies``: what a replica stores and how copies merge (ABD versions,
  last-writer-wins, CRDT counters, siblings); ``crdt``: G- and PN-counters;
* ``cp``: the CP register (ABD) and a counter with ballot-guarded conditional
  writes; ``ap``: the AP register (LWW) and the CRDT counter;
* ``sketches``: the course text's ``CPCounter``, runnable, to watch it fail;
* ``causal``: a causal key-value store (and the text's sketch of one);
* ``chat``: nodes that stamp events with physical, Lamport and vector clocks;
* ``measure``: availability, latency, stale reads, convergence, lost increments;
* ``experiments`` and ``scenarios``: the seeded set-ups of the notebooks;
* ``exercises``: the exercise checks.
"""

from .ap import APNode, APRegisterNode, CRDTCounterNode
from .causal import CausalNode, TextbookCausalNode
from .chat import ChatNode
from .client import Client, ClientReply, ClientRequest, Op, Workload
from .cp import CPCounterNode, CPRegisterNode
from .crdt import GCounter, PNCounter
from .policies import CounterCRDTPolicy, LWWPolicy, Policy, SiblingsPolicy, VersionedPolicy
from .quorum import QuorumNode, check_quorum_sizes
from .sketches import TextbookCPCounterNode

__all__ = [
    "APNode", "APRegisterNode", "CPCounterNode", "CPRegisterNode", "CRDTCounterNode", "CausalNode",
    "ChatNode", "Client", "ClientReply", "ClientRequest", "CounterCRDTPolicy", "GCounter",
    "LWWPolicy", "Op", "PNCounter", "Policy", "QuorumNode", "SiblingsPolicy",
    "TextbookCPCounterNode", "TextbookCausalNode", "VersionedPolicy", "Workload",
    "check_quorum_sizes",
]
