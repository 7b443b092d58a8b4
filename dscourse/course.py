"""The course map: every notebook, what it teaches, and roughly how long it takes."""

from __future__ import annotations

from dataclasses import dataclass

from .sim.table import TextTable, format_table


@dataclass(frozen=True)
class Chapter:
    number: int
    file: str
    title: str
    teaches: str
    minutes: int


COURSE = (
    Chapter(0, "00_start_here.ipynb", "Start here",
            "how the course works; the simulator; crash, partition, replay", 30),
    Chapter(1, "01_fallacies.ipynb", "The eight fallacies",
            "one experiment per fallacy: loss, latency tails, bandwidth, tampering, ...", 75),
    Chapter(2, "02_cap_theorem.ipynb", "CAP",
            "CP vs AP registers and counters under partition; PACELC", 75),
    Chapter(3, "03_consistency_models.ipynb", "Consistency models",
            "linearizable, causal, eventual, read-your-writes; checkers", 90),
    Chapter(4, "04_clocks_and_causality.ipynb", "Clocks and causality",
            "skew and drift; Lamport and vector clocks; a causal store", 60),
    Chapter(5, "05_paxos.ipynb", "Paxos",
            "single-decree Paxos, duelling proposers, Multi-Paxos, model checking", 90),
    Chapter(6, "06_raft.ipynb", "Raft",
            "election, log replication, safety, the Figure 8 case, election timing", 120),
    Chapter(7, "07_message_queues.ipynb", "Message queues",
            "partitioned logs, consumer groups, delivery guarantees, Redis Streams", 90),
    Chapter(8, "08_consistent_hashing.ipynb", "Consistent hashing",
            "the ring, virtual nodes, replication, rendezvous and jump hashing", 60),
    Chapter(9, "09_leader_election.ipynb", "Leader election",
            "bully, Raft, leases with fencing tokens, ZooKeeper-style; etcd", 90),
    Chapter(10, "10_design_checklist.ipynb", "Design checklist",
            "putting it together: choosing and defending a design", 60),
)


def course_map() -> TextTable:
    rows = [(f"{c.number:02d}", c.title, c.teaches, c.minutes) for c in COURSE]
    total = sum(c.minutes for c in COURSE)
    return format_table(["#", "notebook", "what it teaches", "minutes"], rows,
                        title=f"The course: {len(COURSE)} notebooks, about {total / 60:.0f} hours")
