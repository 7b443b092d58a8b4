"""Mutants: Raft servers with exactly one rule broken.

Each mutant is a ``RaftNode`` subclass that overrides one small method, so
the difference from the real protocol is a few lines, shown with
``show_source``. Run a cluster of them (``RaftCluster(node_class=...)``)
under faults, and the invariants catch the bug; the tests assert that each
one is caught within a bounded number of seeds, and that the real
``RaftNode`` is never flagged on the same seeds.

=============================  ============================================  ==========================
mutant                         the broken rule                               caught by
=============================  ============================================  ==========================
``VoteTwice``                  grants a vote even if it already voted for    election_safety
                               another candidate this term
``SkipUpToDateCheck``          grants votes without the log up-to-date       leader_completeness,
                               check (section 5.4.1)                         state_machine_safety
``CommitOldTermByCounting``    commits an entry of an earlier term once it   leader_completeness,
                               is on a majority (what Figure 8 forbids)      state_machine_safety
``ForgetVoteOnRecovery``       keeps ``voted_for`` only in memory, so after  election_safety
                               a crash it can vote again in the same term
``TruncateOnEveryAppend``      deletes everything after ``prev_log_index``   leader_completeness,
                               even when the entries match (a delayed        state_machine_safety
                               AppendEntries then erases newer entries)
``SkipConsistencyCheck``       accepts entries without checking the term     log_matching
                               of the entry before them
``CommitWhatIsStored``         a follower commits (and applies) every entry  state_machine_safety
                               it stores, not only up to ``leader_commit``
=============================  ============================================  ==========================
"""

from __future__ import annotations

from typing import Any

from .node import RaftNode


class VoteTwice(RaftNode):
    """Forgets that it voted: any candidate of its term gets its vote."""

    def vote_available(self, candidate: Any) -> bool:
        return True


class SkipUpToDateCheck(RaftNode):
    """Votes for a candidate whatever its log (the course text's requestVote sketch)."""

    def candidate_up_to_date(self, last_log_term: int, last_log_index: int) -> bool:
        return True


class CommitOldTermByCounting(RaftNode):
    """Commits any entry stored on a majority, whatever its term (Figure 8's trap)."""

    def can_commit(self, index: int) -> bool:
        return True


class ForgetVoteOnRecovery(RaftNode):
    """Keeps voted_for in volatile memory only: a restart forgets the vote."""

    def save_vote(self, candidate: Any) -> None:
        self.voted_for = candidate            # not written to ctx.storage


class TruncateOnEveryAppend(RaftNode):
    """Deletes the log after prev_log_index on every AppendEntries, matching or not."""

    def append_new_entries(self, prev: int, entries: tuple) -> None:
        if entries:
            if prev < self.log.last_index:
                self.log.truncate(prev + 1)
            self.log.extend(entries)


class SkipConsistencyCheck(RaftNode):
    """Appends after prev_log_index without checking prev_log_term."""

    def log_matches(self, prev_index: int, prev_term: int) -> bool:
        return True


class CommitWhatIsStored(RaftNode):
    """A follower takes every entry the leader sent it as committed, ignoring leader_commit."""

    def follower_commit(self, leader_commit: int, last_new: int) -> int:
        return last_new


MUTANTS = (VoteTwice, SkipUpToDateCheck, CommitOldTermByCounting, ForgetVoteOnRecovery,
           TruncateOnEveryAppend, SkipConsistencyCheck, CommitWhatIsStored)
