"""Log replication and commitment: the leader's and the followers' half of Raft.

``LogReplication`` holds the handlers of section 5.3 (and 5.4.2) of the
paper; ``RaftNode`` (``node.py``) mixes it with the election half. Each rule
of Figure 2 is cited where it is coded.

* **Replication.** The leader appends each command to its log and sends new
  entries in ``AppendEntries``, with the index and term of the entry just
  before them. A follower accepts only if its log holds that entry (the
  *consistency check*), deletes a conflicting suffix, appends what is new,
  and answers with the last index it now shares with the leader. The leader
  *pipelines*: it moves ``next_index`` on as soon as it sends, and back when
  a follower refuses, a whole term at a time using the follower's hint.
* **Commitment.** The leader commits the highest index stored on a majority,
  only if that entry is of its current term (Figure 8 shows why); followers
  learn the commit index from the leader's messages. Every server applies
  committed entries, in order, to its state machine.
* **Clients.** The leader appends a ``ClientRequest`` and answers the client
  once the entry is applied; a server that is not the leader, or loses
  leadership before the entry commits, redirects the client.
"""

from __future__ import annotations

from typing import Any

from .messages import AppendEntries, AppendEntriesReply, ClientReply, ClientRequest, Entry
from .results import Accepted, NotLeader

LEADER, FOLLOWER = "leader", "follower"


class LogReplication:
    """The replication, commitment and client handlers of a Raft server (a mixin of ``RaftNode``)."""

    # ------------------------------------------------------------ replication
    def start(self, command: Any):
        """The labs' ``Start(command)``: append ``command`` if this server leads.

        Returns ``Accepted(index, term, leader)`` or ``NotLeader(node, hint)``;
        acceptance is not commitment (the entry may still be lost).
        """
        if self.role != LEADER:
            return NotLeader(self.node_id, self.leader_id)
        index = self.log.append(Entry(self.current_term, command))
        self.broadcast_append_entries()
        self.advance_commit_index()
        return Accepted(index, self.current_term, self.node_id)

    def broadcast_append_entries(self) -> None:
        for peer in self.peers:
            self.send_append_entries(peer)

    def heartbeat(self) -> None:
        """Leaders, "repeat during idle periods": an empty (or catch-up) AppendEntries to
        every follower that has not been sent one for half a heartbeat interval."""
        quiet = self.ctx.clock() - self.heartbeat_interval / 2
        last_sent = self.last_sent
        for peer in self.peers:
            if last_sent.get(peer, quiet) <= quiet:
                self.send_append_entries(peer)

    def send_append_entries(self, peer: Any) -> None:
        self.last_sent[peer] = self.ctx.clock()
        entries = self.log.entries
        prev = self.next_index[peer] - 1
        batch = tuple(entries[prev + 1:prev + 1 + self.max_entries])
        self.ctx.send(peer, AppendEntries(self.current_term, self.node_id, prev, entries[prev].term,
                                          batch, self.commit_index))
        # Pipelining: assume the entries will arrive; a rejection moves next_index back.
        self.next_index[peer] = prev + 1 + len(batch)

    def on_append_entries(self, src: Any, msg: AppendEntries) -> None:
        if msg.term != self.current_term or self.role != FOLLOWER:
            # AppendEntries receiver, step 1: "Reply false if term < currentTerm".
            if msg.term < self.current_term and not self.accept_old_term(msg):
                self.ctx.send(src, AppendEntriesReply(self.current_term, False))
                return
            # All servers: a newer term means follower; Candidates: "If AppendEntries
            # RPC received from new leader: convert to follower".
            self.step_down(msg.term)
        self.leader_id = src
        self.reset_election_timer()                  # heard from the current leader
        prev = msg.prev_log_index
        # Step 2: "Reply false if log doesn't contain an entry at prevLogIndex
        # whose term matches prevLogTerm", with the fast-backtracking hint.
        if prev >= len(self.log.entries):
            self.ctx.send(src, AppendEntriesReply(self.current_term, False, 0,
                                                  len(self.log.entries), 0))
            return
        if not self.log_matches(prev, msg.prev_log_term):
            log = self.log
            self.ctx.send(src, AppendEntriesReply(self.current_term, False, 0,
                                                  log.first_index_of_term(prev), log.term(prev)))
            return
        entries = msg.entries
        if entries:
            self.append_new_entries(prev, entries)
        last_new = prev + len(entries)
        # Step 5: "If leaderCommit > commitIndex, set commitIndex =
        # min(leaderCommit, index of last new entry)" (never moving it back).
        if msg.leader_commit > self.commit_index:
            new_commit = self.follower_commit(msg.leader_commit, last_new)
            if new_commit > self.commit_index:
                self.commit_index = new_commit
                self.apply_committed()
        self.ctx.send(src, AppendEntriesReply(self.current_term, True, last_new))

    def accept_old_term(self, msg: AppendEntries) -> bool:
        """Step 1: an AppendEntries from an older term comes from a deposed leader: refuse it."""
        return False

    def log_matches(self, prev_index: int, prev_term: int) -> bool:
        """Step 2, the consistency check: the entry at ``prev_index`` has term ``prev_term``."""
        return self.log.entries[prev_index].term == prev_term

    def append_new_entries(self, prev: int, entries: tuple) -> None:
        """Steps 3 and 4: delete a conflicting suffix, append what is new.

        Step 3: "If an existing entry conflicts with a new one (same index but
        different terms), delete the existing entry and all that follow it".
        Entries that already match stay: a delayed, shorter AppendEntries must
        not cut off entries a newer one added.
        """
        log = self.log
        mine = log.entries
        index = prev
        for k, entry in enumerate(entries):
            index += 1
            if index < len(mine):
                if mine[index].term == entry.term:
                    continue
                log.truncate(index)
            log.extend(entries[k:])                  # Step 4: append new entries
            return

    def follower_commit(self, leader_commit: int, last_new: int) -> int:
        """Step 5: commit up to the leader's commit index, but only through the entries
        this AppendEntries just confirmed (anything after them may not match the leader)."""
        return min(leader_commit, last_new)

    def on_append_entries_reply(self, src: Any, msg: AppendEntriesReply) -> None:
        if msg.term > self.current_term:
            self.step_down(msg.term)
            return
        if self.role != LEADER or msg.term != self.current_term:
            return                                   # an answer to an old term
        if msg.success:
            # Leaders: "If successful: update nextIndex and matchIndex for follower".
            if msg.match_index > self.match_index[src]:
                self.match_index[src] = msg.match_index
                if msg.match_index >= self.next_index[src]:
                    self.next_index[src] = msg.match_index + 1
                self.advance_commit_index()
            if self.next_index[src] < len(self.log.entries):
                self.send_append_entries(src)        # more to send (a follower catching up)
            return
        # "If AppendEntries fails because of log inconsistency: decrement
        # nextIndex and retry", a whole term at a time (section 5.3's optimisation):
        # skip past the leader's entries of the conflicting term, or to the
        # follower's conflict index if the leader has none of that term.
        index = msg.conflict_index
        if msg.conflict_term:
            last_of_term = self.log.last_index_of_term(msg.conflict_term)
            if last_of_term:
                index = last_of_term + 1
        index = max(index, self.match_index[src] + 1, 1)
        self.next_index[src] = min(index, self.log.last_index + 1)
        self.send_append_entries(src)

    # --------------------------------------------------------------- commitment
    def can_commit(self, index: int) -> bool:
        """Section 5.4.2: only entries of the leader's current term commit by counting replicas."""
        return self.log.term(index) == self.current_term

    def advance_commit_index(self) -> None:
        # Leaders: "If there exists an N such that N > commitIndex, a majority
        # of matchIndex[i] >= N, and log[N].term == currentTerm: set commitIndex = N".
        matches = sorted(self.match_index.values(), reverse=True)
        matches.insert(0, self.log.last_index)       # the leader holds its whole log
        n = matches[self.majority - 1]               # the highest index on a majority
        if n > self.commit_index and self.can_commit(n):
            self.commit_index = n
            self.apply_committed()

    def apply_committed(self) -> None:
        # All servers: "If commitIndex > lastApplied: increment lastApplied,
        # apply log[lastApplied] to state machine".
        entries = self.log.entries
        machine = self.state_machine
        while self.last_applied < self.commit_index:
            self.last_applied += 1
            entry = entries[self.last_applied]
            result = machine.apply(entry.command) if entry.command is not None else None
            if self.pending:
                self._answer(self.last_applied, entry, result)

    # ------------------------------------------------------------------ clients
    def on_client_request(self, src: Any, msg: ClientRequest) -> None:
        if self.role != LEADER:
            self.ctx.send(src, ClientReply(msg.client_id, msg.seq, False, None, self.leader_id))
            return
        cached = getattr(self.state_machine, "cached", None)
        if cached is not None:
            found, result = cached(msg.client_id, msg.seq)
            if found:                                # already applied: answer from the table
                self.ctx.send(src, ClientReply(msg.client_id, msg.seq, True, result))
                return
        index = self.log.append(Entry(self.current_term, msg))
        self.pending[index] = (src, msg)
        self.broadcast_append_entries()
        self.advance_commit_index()

    def _answer(self, index: int, entry: Entry, result: Any) -> None:
        waiting = self.pending.pop(index, None)
        if waiting is None:
            return
        src, request = waiting
        if entry.command is request:
            self.ctx.send(src, ClientReply(request.client_id, request.seq, True, result))
        else:                                        # another leader's entry took the slot
            self.ctx.send(src, ClientReply(request.client_id, request.seq, False, None,
                                           self.leader_id))

    def _fail_pending(self) -> None:
        """Lost leadership: tell waiting clients to look elsewhere (they will retry)."""
        if self.pending:
            pending, self.pending = self.pending, {}
            for index in sorted(pending):
                src, request = pending[index]
                self.ctx.send(src, ClientReply(request.client_id, request.seq, False, None,
                                               self.leader_id))
