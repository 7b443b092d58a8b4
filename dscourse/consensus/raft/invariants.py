"""Raft's five safety properties (Figure 3 of the paper), checked after every event.

* **election_safety**: at most one leader can be elected in a given term.
* **leader_append_only**: a leader never overwrites or deletes entries in
  its log; it only appends new entries.
* **log_matching**: if two logs contain an entry with the same index and
  term, then the logs are identical in all entries up through that index.
* **leader_completeness**: if a log entry is committed in a given term, then
  that entry will be present in the logs of the leaders of all higher terms.
* **state_machine_safety**: if a server has applied a log entry at a given
  index to its state machine, no other server will ever apply a different
  log entry for the same index.

``install_invariants(sim, ids)`` registers the five under these names (see
``dscourse.sim.invariants``): a violation is recorded with its time and the
run goes on, so a notebook can show a mutant breaking.

Checking all logs after every event would cost O(nodes x log length) per
event. The checker is incremental instead, and keeps what it has seen:

* leaders by term (election safety);
* a registry ``(index, term) -> (entry, term of the entry before it)``. Log
  Matching holds exactly when no two logs disagree on a registered pair: by
  induction on the index, the same ``(index, term)`` then always has the
  same entry *and* the same history before it. Each log reports the lowest
  index it changed since the last look (``RaftLog.take_dirty``), so only new
  entries are registered;
* the committed entries, each with the term in which it was first seen
  committed, and how far each current leader has been compared with them;
* the applied entries, by index.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

NAMES = ("election_safety", "leader_append_only", "log_matching", "leader_completeness",
         "state_machine_safety")


class RaftChecker:
    """Incremental checker of the five properties over the servers ``ids``."""

    def __init__(self, ids: Iterable[Any]) -> None:
        self.ids = tuple(sorted(ids))
        self._event = -1
        self.results: dict[str, Any] = dict.fromkeys(NAMES, True)
        self.leader_of_term: dict[int, Any] = {}
        self.leader_seen: dict[tuple, int] = {}        # (node, term) -> log length seen
        self.registry: dict[tuple, tuple] = {}         # (index, term) -> (entry, previous term)
        self.committed: list = [None]                  # index -> (entry, commit term)
        self.commit_seen: dict[Any, int] = {}
        self.leader_checked: dict[tuple, int] = {}     # (node, term) -> committed prefix verified
        self.applied: list = [None]                    # index -> entry
        self.applied_seen: dict[Any, int] = {}
        self.leaders: dict[Any, int] = {}              # servers seen leading, and their term
        self._mark = 0                                 # trace length at the last look

    def install(self, sim) -> RaftChecker:
        for name in NAMES:
            sim.add_invariant(name, partial(self._result, name))
        return self

    def _result(self, name: str, sim) -> Any:
        if sim.events_processed != self._event:
            self._event = sim.events_processed
            self.scan(sim.nodes, self._touched(sim))
        return self.results[name]

    def _touched(self, sim) -> tuple:
        """The servers that the last event can have changed, in id order.

        A server's state changes only in its own handlers, and every handler
        run leaves trace records naming it (the delivery, timer, start or
        recovery that called it, and the sends and state changes it made), so
        the records since the last look name every server that may have
        changed. Every 64th event all servers are looked at anyway (a harness
        may call a server directly, e.g. ``submit`` to a cluster of one).
        """
        records = sim.trace.live                   # the simulator's list, read only
        start, end = self._mark, len(records)
        self._mark = end
        if self._event % 64 == 0 or end - start > 16:
            return self.ids
        names = {records[i][2] for i in range(start, end)}
        return tuple(nid for nid in self.ids if nid in names)

    def _fail(self, name: str, message: str) -> None:
        if self.results[name] is True:
            self.results[name] = message

    def scan(self, nodes: dict, ids: Any = None) -> None:
        """Look at the servers ``ids`` (default: all) and update ``results``."""
        results = self.results
        for name in NAMES:
            results[name] = True
        commit_seen = self.commit_seen
        applied_seen = self.applied_seen
        leaders = self.leaders
        committed = len(self.committed)
        for nid in self.ids if ids is None else ids:
            node = nodes[nid]
            log = node.log
            entries = log.entries
            last = len(entries) - 1
            low = log.dirty
            if low <= last:
                self._register(nid, entries, low, last)
            log.dirty = last + 1
            if node.role == "leader":
                leaders[nid] = node.current_term
                self._check_leader(nid, node.current_term, entries, low, last)
            else:
                leaders.pop(nid, None)
            if node.commit_index != commit_seen.get(nid, 0):
                self._commit(nid, node, entries)
            if node.last_applied != applied_seen.get(nid, 0):
                self._apply(nid, node, entries)
        if len(self.committed) > 1 and leaders:
            grew = len(self.committed) > committed
            for nid, term in leaders.items():
                if grew or self.leader_checked.get((nid, term)) is None:
                    self._complete(nid, term, nodes[nid].log.entries)

    # ---------------------------------------------------------------- checks
    def _register(self, nid: Any, entries: list, low: int, last: int) -> None:
        registry = self.registry
        for j in range(max(low, 1), last + 1):
            entry = entries[j]
            key = (j, entry.term)
            value = (entry, entries[j - 1].term)
            known = registry.get(key)
            if known is None:
                registry[key] = value
            elif known[1] != value[1] or (known[0] is not entry and known[0] != entry):
                self._fail("log_matching",
                           f"{nid} holds {_show(entry)} at index {j} (after an entry of term "
                           f"{value[1]}), but another log holds {_show(known[0])} there (after "
                           f"term {known[1]}): same index and term, different logs")

    def _check_leader(self, nid: Any, term: int, entries: list, low: int, last: int) -> None:
        other = self.leader_of_term.get(term)
        if other is None:
            self.leader_of_term[term] = nid
        elif other != nid:
            self._fail("election_safety", f"{other} and {nid} are both leaders of term {term}")
        key = (nid, term)
        seen = self.leader_seen.get(key)
        if seen is not None and low <= seen:
            self._fail("leader_append_only",
                       f"leader {nid} of term {term} changed its log at index {low} "
                       f"(it held {seen} entries); a leader only appends")
        self.leader_seen[key] = last

    def _commit(self, nid: Any, node: Any, entries: list) -> None:
        seen = self.commit_seen.get(nid, 0)
        commit = node.commit_index
        self.commit_seen[nid] = commit
        if commit < seen:
            return                                 # restarted: volatile commit_index is 0 again
        committed = self.committed
        term = node.current_term
        for j in range(seen + 1, min(commit, len(entries) - 1) + 1):
            if j >= len(committed):
                committed.append((entries[j], term))

    def _complete(self, nid: Any, term: int, entries: list) -> None:
        key = (nid, term)
        start = self.leader_checked.get(key, 0) + 1
        committed = self.committed
        last = len(entries) - 1
        for j in range(start, len(committed)):
            entry, commit_term = committed[j]
            if commit_term < term and (j > last or (entries[j] is not entry
                                                    and entries[j] != entry)):
                have = _show(entries[j]) if j <= last else "nothing"
                self._fail("leader_completeness",
                           f"leader {nid} of term {term} has {have} at index {j}, but "
                           f"{_show(entry)} was committed there in term {commit_term}")
                break
        self.leader_checked[key] = len(committed) - 1

    def _apply(self, nid: Any, node: Any, entries: list) -> None:
        seen = self.applied_seen.get(nid, 0)
        upto = node.last_applied
        self.applied_seen[nid] = upto
        if upto < seen:
            seen = 0                               # restarted: it replays its log from index 1
        applied = self.applied
        for j in range(seen + 1, min(upto, len(entries) - 1) + 1):
            entry = entries[j]
            if j >= len(applied):
                applied.append(entry)
            elif applied[j] is not entry and applied[j] != entry:
                self._fail("state_machine_safety",
                           f"{nid} applied {_show(entry)} at index {j}, but another server "
                           f"applied {_show(applied[j])} there")


def _show(entry: Any) -> str:
    command = entry.command
    text = "no-op" if command is None else repr(command)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"[term {entry.term}: {text}]"


def install_invariants(sim, ids: Iterable[Any]) -> RaftChecker:
    """Check Raft's five safety properties on the servers ``ids`` after every event of ``sim``."""
    return RaftChecker(ids).install(sim)
