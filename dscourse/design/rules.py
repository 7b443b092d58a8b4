"""The course text's decision checklist, as a rule set you can run and test.

The text ends with six questions and, for each, a "yes" and a "no" design:

==============================================  ==============================  ======================
Question                                        If yes                          If no
==============================================  ==============================  ======================
Does data need to be immediately consistent?    strong consistency (CP)         eventual consistency (AP)
Is there a natural partition key?               shard by that key               replication only
Do operations need ordering?                    a log (Kafka) or consensus      a simple queue (SQS)
Is there a coordination bottleneck?             leader election                 peer-to-peer
Can consumers be idempotent?                    at-least-once delivery          exactly-once (complex)
Is hot-spot risk high?                          consistent hashing + vnodes     simple hash partitioning
==============================================  ==============================  ======================

Read row by row, the table hides the places where the answers interact, and
two of its cells teach the wrong lesson if copied (course text notes 7 and
8). The rule set below keeps the table's spine and fixes it:

* It asks three more questions the worked problems of notebook 10 need: must
  an **invariant** hold across concurrent updates (stock >= 0: this, not
  "freshness", is what forces CP for inventory), must readers see **causes
  before effects** (chat: AP can still be causal), and do nodes **join and
  leave** (this, more than hot spots, is what consistent hashing is for).
* "Exactly-once" is never recommended as *delivery*, which failures make
  impossible; the choices are exactly-once *effects*, by idempotent consumers
  or by transactions (notebook 07).
* Virtual nodes even out how many *keys* each node owns; they do nothing for
  one hot *key*, which lands on one node whatever the ring looks like. High
  hot-spot risk therefore gets hot-key replication or key splitting on top
  (measured in notebook 10's cache problem).
* Interactions become notes: an invariant without immediate consistency,
  ordering without a partition key (one partition: one consumer), a CP store
  with no key (one consensus group for everything), and so on.

An answer is ``True`` (yes), ``False`` (no) or ``None`` (not decided: the
recommendation then states both branches, which is what "state your
assumptions" means in an interview). ``recommend(answers)`` returns a
``Design``: one ``Recommendation`` per area, each with its reason and the
notebooks that demonstrate it, plus the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..course import COURSE
from ..sim.table import TextTable, format_table

__all__ = ["Question", "QUESTIONS", "QUESTION_KEYS", "AREAS", "Recommendation", "Design",
           "recommend", "check_answers", "PROFILES", "notebook_title"]

_FILES = {c.number: c.file for c in COURSE}


def _nb(*numbers: int) -> tuple:
    return tuple(_FILES[n] for n in numbers)


def notebook_title(file: str) -> str:
    """``"02_cap_theorem.ipynb"`` -> ``"02 · CAP"`` (for links and tables)."""
    for c in COURSE:
        if c.file == file:
            return f"{c.number:02d} · {c.title}"
    raise ValueError(f"file must be one of the course notebooks {[c.file for c in COURSE]}, "
                     f"got {file!r}")


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    detail: str
    from_text: bool          # one of the course text's six questions


QUESTIONS = (
    Question("consistency", "Does data need to be immediately consistent?",
             "Must every read see the latest acknowledged write, on every replica, even while "
             "the network is partitioned?", True),
    Question("invariant", "Must a rule hold across concurrent updates?",
             "For example: stock never below zero, a balance never negative, a seat sold once. "
             "Checking a local copy and then acting breaks such a rule.", False),
    Question("causal", "Must readers see causes before effects?",
             "A reply must never show before the post it answers, nor a comment before its "
             "article.", False),
    Question("partition_key", "Is there a natural partition key?",
             "A key most operations touch alone: a user id, an account, an order id.", True),
    Question("ordering", "Do operations need ordering?",
             "Must consumers process some messages in the order they were produced?", True),
    Question("coordination", "Is there a coordination bottleneck?",
             "Must one node decide for everyone: assign work, hold a lock, serialize writes?",
             True),
    Question("idempotent", "Can consumers be idempotent?",
             "Can processing the same message twice be made harmless (a dedup key, an upsert)?",
             True),
    Question("hot_spots", "Is hot-spot risk high?",
             "Are a few keys (a celebrity, a flash-sale item) far more popular than the rest?",
             True),
    Question("membership", "Do nodes join and leave often?",
             "Autoscaling, cache nodes restarting, spot instances.", False),
)
QUESTION_KEYS = tuple(q.key for q in QUESTIONS)
AREAS = ("consistency", "partitioning", "placement", "messaging", "coordination", "delivery")


@dataclass(frozen=True)
class Recommendation:
    area: str
    choice: str
    reason: str
    notebooks: tuple          # notebook files that demonstrate it, most relevant first
    because: tuple            # the question keys that decided it


@dataclass(frozen=True)
class Design:
    answers: tuple            # ((key, True | False | None), ...) in QUESTIONS order
    recommendations: tuple
    notes: tuple              # interactions between answers, as sentences

    def get(self, area: str) -> Recommendation:
        for r in self.recommendations:
            if r.area == area:
                return r
        raise ValueError(f"area must be one of {AREAS}, got {area!r}")

    @property
    def cap(self) -> str:
        """``"CP"``, ``"AP"`` or ``"undecided"``."""
        choice = self.get("consistency").choice
        return "CP" if choice.startswith("CP") else "AP" if choice.startswith("AP") else "undecided"

    def answer(self, key: str) -> Any:
        return dict(self.answers)[key]

    def table(self) -> TextTable:
        rows = [(r.area, r.choice, ", ".join(f[:2] for f in r.notebooks))
                for r in self.recommendations]
        return format_table(["area", "recommended design", "notebooks"], rows,
                            title="The recommended design")

    def answers_table(self) -> TextTable:
        word = {True: "yes", False: "no", None: "not decided"}
        return format_table(["question", "answer"],
                            [(q.text, word[dict(self.answers)[q.key]]) for q in QUESTIONS])

    def __str__(self) -> str:
        lines = [str(self.table()), ""]
        for r in self.recommendations:
            lines.append(f"* {r.area}: {r.choice}")
            lines.append(f"  why: {r.reason}")
            lines.append("  see: " + ", ".join(notebook_title(f) for f in r.notebooks))
        if self.notes:
            lines.append("")
            lines.append("Notes:")
            lines.extend(f"* {n}" for n in self.notes)
        return "\n".join(lines)

    __repr__ = __str__


def check_answers(answers: Mapping[str, Any]) -> dict:
    """Validate ``answers`` and return ``{key: True | False | None}`` for every question."""
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a dict {{question key: True/False/None}}, got "
                        f"{type(answers).__name__}")
    unknown = sorted(str(k) for k in answers if k not in QUESTION_KEYS)
    if unknown:
        raise ValueError(f"answers has unknown question key(s) {unknown}; the keys are "
                         f"{list(QUESTION_KEYS)}")
    out = {}
    for key in QUESTION_KEYS:
        value = answers.get(key)
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"answers[{key!r}] must be True, False or None (not decided), got "
                            f"{value!r}")
        out[key] = value
    return out


# ------------------------------------------------------------------------ the rules
def _consistency(a: dict) -> Recommendation:
    c, inv, causal = a["consistency"], a["invariant"], a["causal"]
    if c or (inv and c is None):
        why = ("reads must see the latest write" if c else
               "a rule must hold across concurrent updates, and consistency was not ruled out")
        return Recommendation(
            "consistency",
            "CP: linearizable majority quorums (reads write back, ABD) or a consensus log (Raft)",
            f"{why[0].upper() + why[1:]}. During a partition the minority side refuses "
            f"operations instead of answering wrongly: measured unavailability, zero anomalies. "
            f"Majority reads and writes alone are not enough; reads must write back.",
            _nb(2, 3, 6, 10), ("consistency", "invariant") if inv else ("consistency",))
    if c is False and inv:
        return Recommendation(
            "consistency",
            "AP with escrow: split the invariant into per-replica quotas (or make that one "
            "object CP)",
            "Reads may be stale, but a rule such as stock >= 0 cannot be checked on a stale "
            "copy: two sides of a partition both sell the last unit (the oversell is measured "
            "in notebook 10). Give each replica its own share of the stock to spend locally; "
            "it stays available and never oversells, but strands stock where demand is low.",
            _nb(10, 2), ("consistency", "invariant"))
    if c is False:
        if causal:
            return Recommendation(
                "consistency",
                "AP with causal consistency: vector clocks, a write buffered until the writes "
                "it depends on are applied",
                "Every replica stays available and may be stale, but no reader sees an effect "
                "before its cause. Comparing the clocks of one key is not enough: dependencies "
                "span keys. Concurrent writes are kept as siblings, not silently dropped.",
                _nb(4, 3, 10), ("consistency", "causal"))
        return Recommendation(
            "consistency",
            "AP: eventual consistency (accept writes anywhere, anti-entropy, CRDTs or siblings)",
            "Stale reads are acceptable, so every replica answers during a partition and the "
            "copies converge after it heals. Merge with CRDTs or keep siblings: last-writer-wins "
            "on machine clocks loses concurrent updates.",
            _nb(2, 3, 10), ("consistency",))
    return Recommendation(
        "consistency",
        "undecided: CP if a stale read or a broken rule costs money, else AP",
        "State the assumption out loud. CP refuses operations on the minority side of a "
        "partition; AP answers everywhere and may be stale. Notebook 02 measures both on the "
        "same partition.",
        _nb(2, 10), ("consistency",))


def _partitioning(a: dict) -> Recommendation:
    key = a["partition_key"]
    if key:
        return Recommendation(
            "partitioning", "shard by the partition key",
            "Operations on one key touch one shard, so adding shards adds capacity. Operations "
            "across keys (a transfer between two accounts) need a coordinator across shards.",
            _nb(8, 7), ("partition_key",))
    if key is False:
        return Recommendation(
            "partitioning", "replication only: every node holds all the data",
            "Without a key most operations touch, sharding would turn them into cross-shard "
            "operations. Replicas add read capacity and survive crashes; writes do not scale "
            "out.", _nb(2, 8), ("partition_key",))
    return Recommendation(
        "partitioning", "undecided: shard if a key exists, else replicate",
        "Look for the key most requests name (a user, an account). With one, shard by it; "
        "without, replicate everything and scale reads only.", _nb(8), ("partition_key",))


def _placement(a: dict) -> Recommendation:
    key, hot, moving = a["partition_key"], a["hot_spots"], a["membership"]
    if key is False:
        if hot:
            return Recommendation(
                "placement", "read replicas or a cache for the hot items",
                "Every node already has every item; spread reads of hot items over the "
                "replicas (stale by the replication lag) or cache them.", _nb(10, 3),
                ("partition_key", "hot_spots"))
        return Recommendation(
            "placement", "none needed: every node holds everything",
            "With replication only there is nothing to place.", _nb(2), ("partition_key",))
    if hot:
        return Recommendation(
            "placement",
            "consistent hashing with virtual nodes, plus replication or splitting of hot keys",
            "Virtual nodes even out how many keys each node owns, but one hot key still lands "
            "on one node: replicate it on a few nodes (reads spread, writes go to every copy) or "
            "split it into sub-keys (writes spread, reads gather). Notebook 10 measures the "
            "hottest node's load with and without.",
            _nb(8, 10), ("partition_key", "hot_spots"))
    if moving:
        return Recommendation(
            "placement", "consistent hashing with virtual nodes",
            "When a node joins, modulo hashing moves (n-1)/n of the keys (a storm of cache "
            "misses); the ring moves only the newcomer's share, 1/(n+1).",
            _nb(8, 10), ("membership",))
    if hot is False and moving is False:
        return Recommendation(
            "placement", "simple hash partitioning (hash(key) mod n)",
            "Balanced, one line of code, and fine while the set of nodes never changes. If it "
            "ever does, almost every key moves: switch to a ring then.", _nb(8),
            ("hot_spots", "membership"))
    return Recommendation(
        "placement", "consistent hashing with virtual nodes (the safe default)",
        "Hot spots or membership changes not ruled out: the ring costs one binary search per "
        "lookup and spares you a reshuffle later.", _nb(8), ("hot_spots", "membership"))


def _messaging(a: dict) -> Recommendation:
    order, key = a["ordering"], a["partition_key"]
    if order and key is not False:
        return Recommendation(
            "messaging", "a partitioned log (Kafka-style), partitioned by the key",
            "Order is kept per partition, so all messages of one key go to one partition and "
            "are consumed in order; different keys proceed in parallel. A consumer group "
            "gives each partition to one consumer.", _nb(7), ("ordering", "partition_key"))
    if order:
        return Recommendation(
            "messaging", "a single ordered log: one partition, or a consensus log",
            "A total order over everything needs one sequence: one partition (one consumer at "
            "a time) or a replicated log (Raft). Throughput is that of one partition.",
            _nb(7, 6), ("ordering", "partition_key"))
    if order is False:
        return Recommendation(
            "messaging", "a simple queue (SQS-style) with competing consumers",
            "No order needed, so any consumer may take any message: add consumers to go "
            "faster, and a slow one holds nobody up. Messages reappear after a visibility "
            "timeout if not deleted.", _nb(7), ("ordering",))
    return Recommendation(
        "messaging", "undecided: a log if order matters, else a queue",
        "A log keeps order per partition and can be replayed; a queue spreads work freely but "
        "promises no order.", _nb(7), ("ordering",))


def _coordination(a: dict) -> Recommendation:
    coord = a["coordination"]
    if coord:
        return Recommendation(
            "coordination",
            "leader election with terms or fencing tokens (Raft, or a lease plus fencing)",
            "One node decides; when it fails another takes over after a timeout. A paused or "
            "partitioned old leader may still act, so every write it makes must carry its term "
            "or fencing token and storage must refuse stale ones. A bare lease is unsafe.",
            _nb(9, 6), ("coordination",))
    if coord is False:
        return Recommendation(
            "coordination", "peer-to-peer: any node serves any request",
            "No single decider means no failover and no bottleneck: nodes coordinate through "
            "quorums, gossip and mergeable data (Dynamo's design).",
            _nb(8, 2), ("coordination",))
    return Recommendation(
        "coordination", "undecided: elect a leader only if one node must decide",
        "A leader simplifies ordering and locking, and costs a failover pause and fencing.",
        _nb(9), ("coordination",))


def _delivery(a: dict) -> Recommendation:
    idem = a["idempotent"]
    if idem:
        return Recommendation(
            "delivery", "at-least-once delivery with idempotent consumers (exactly-once effects)",
            "Commit offsets after processing, so a crash repeats work instead of losing it, and "
            "make the repeat harmless: record each message id with its effect in one atomic "
            "write. The id must name the message, not its offset.", _nb(7), ("idempotent",))
    if idem is False:
        return Recommendation(
            "delivery", "exactly-once effects by transactions: effects and offsets committed "
            "together",
            "Delivery exactly once is impossible when processes crash; if the effect cannot be "
            "made idempotent, write it and the consumer's offset in one transaction (and fence "
            "zombie consumers). Complex and slower: prefer making the consumer idempotent.",
            _nb(7), ("idempotent",))
    return Recommendation(
        "delivery", "undecided: at-least-once plus idempotency if you can, transactions if not",
        "Exactly-once delivery does not exist; exactly-once effects do, two ways.", _nb(7),
        ("idempotent",))


def _notes(a: dict) -> tuple:
    notes = []
    if a["invariant"] and a["consistency"] is False:
        notes.append("An invariant without immediate consistency: an AP store checked locally "
                     "oversells during a partition (notebook 10 counts it). Escrow keeps it; so "
                     "does making only that object CP.")
    if a["consistency"] and a["causal"]:
        notes.append("Linearizable reads are already causal: no vector clocks needed on top.")
    if a["consistency"] and a["partition_key"] is False:
        notes.append("CP with no partition key: one consensus group orders every write, so its "
                     "leader's throughput is the system's ceiling.")
    if a["consistency"] and a["partition_key"]:
        notes.append("CP per shard: one consensus group (one Raft leader) per shard; operations "
                     "across shards need a transaction on top.")
    if a["consistency"] and a["coordination"] is False:
        notes.append("No application leader, but a CP store still elects one inside (Raft's "
                     "leader per group): its failover pause is measured in notebooks 06 and 09.")
    if a["ordering"] and a["partition_key"] is False:
        notes.append("Ordering with no partition key: one partition, so one consumer at a "
                     "time; order per entity (a key) would let it scale.")
    if a["ordering"] and a["hot_spots"] and a["partition_key"]:
        notes.append("A hot key's messages all go to one partition to keep their order; "
                     "splitting that key spreads the load but gives up its order.")
    if a["hot_spots"] and a["consistency"]:
        notes.append("Replicating a hot key under CP makes every write update every copy; "
                     "split the key (counter shards) when the hot traffic is writes.")
    if a["ordering"] and a["idempotent"] is False:
        notes.append("Ordered and not idempotent: transactional consumers; a redelivered "
                     "message must neither repeat its effect nor overtake a later one.")
    return tuple(notes)


def recommend(answers: Mapping[str, Any]) -> Design:
    """The recommended design for ``answers`` (``{question key: True/False/None}``)."""
    a = check_answers(answers)
    recs = (_consistency(a), _partitioning(a), _placement(a), _messaging(a), _coordination(a),
            _delivery(a))
    return Design(tuple((k, a[k]) for k in QUESTION_KEYS), recs, _notes(a))


# The answers for notebook 10's worked problems (each justified in the notebook).
PROFILES = {
    "payment ledger": dict(consistency=True, invariant=True, causal=False, partition_key=True,
                           ordering=True, coordination=False, idempotent=True, hot_spots=False,
                           membership=False),
    "social feed": dict(consistency=False, invariant=False, causal=False, partition_key=True,
                        ordering=False, coordination=False, idempotent=True, hot_spots=True,
                        membership=True),
    "chat": dict(consistency=False, invariant=False, causal=True, partition_key=True,
                 ordering=True, coordination=False, idempotent=True, hot_spots=False,
                 membership=False),
    "inventory": dict(consistency=True, invariant=True, causal=False, partition_key=True,
                      ordering=False, coordination=False, idempotent=True, hot_spots=True,
                      membership=False),
    "cache": dict(consistency=False, invariant=False, causal=False, partition_key=True,
                  ordering=False, coordination=False, idempotent=True, hot_spots=True,
                  membership=True),
}
