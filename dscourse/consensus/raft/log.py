"""The replicated log: entries indexed from 1, each tagged with its term.

Raft's log (section 5.3 of the paper) is a list of entries; entry ``i``
holds a command and the term in which a leader created it. Index 0 is a
sentinel with term 0, so "the entry before the first one" needs no special
case: ``term(0) == 0`` and every log matches every other at index 0.

The log lives in the node's durable storage (``ctx.storage["log"]``), so
every change is on "disk" before the node sends its reply, as Figure 2
requires ("Persistent state on all servers ... updated on stable storage
before responding to RPCs").

Only two mutations exist, as in the paper: ``append`` (new entries at the
end) and ``truncate`` (delete an entry and all that follow it, Figure 2,
AppendEntries step 3). Both lower ``dirty``, the lowest index changed since
an observer last called ``take_dirty()``; the invariant checker uses it to
re-examine only what changed after each event, instead of every log.
"""

from __future__ import annotations

from collections.abc import Iterable

from .messages import Entry

_SENTINEL = Entry(0, None)


class RaftLog:
    __slots__ = ("entries", "dirty")

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.entries: list[Entry] = [_SENTINEL]
        self.dirty = 1
        for e in entries:
            if not isinstance(e, Entry):
                raise TypeError(f"log entries must be Entry values, got {e!r}")
            self.entries.append(e)

    # -- reading ---------------------------------------------------------------
    def __len__(self) -> int:
        """The number of real entries (the index of the last one)."""
        return len(self.entries) - 1

    @property
    def last_index(self) -> int:
        return len(self.entries) - 1

    @property
    def last_term(self) -> int:
        return self.entries[-1].term

    def term(self, index: int) -> int:
        """The term of entry ``index`` (0 for index 0); -1 if the log is shorter."""
        if index < len(self.entries):
            return self.entries[index].term
        return -1

    def entry(self, index: int) -> Entry:
        if not 1 <= index < len(self.entries):
            raise IndexError(f"index must be between 1 and {len(self.entries) - 1}, got {index}")
        return self.entries[index]

    def after(self, index: int, limit: int | None = None) -> tuple:
        """The entries after ``index`` (at most ``limit`` of them)."""
        if limit is None:
            return tuple(self.entries[index + 1:])
        return tuple(self.entries[index + 1:index + 1 + limit])

    def first_index_of_term(self, index: int) -> int:
        """The first index of the run of entries with the same term as entry ``index``."""
        entries = self.entries
        term = entries[index].term
        while index > 1 and entries[index - 1].term == term:
            index -= 1
        return index

    def last_index_of_term(self, term: int) -> int:
        """The last index holding an entry of ``term``, or 0 if there is none."""
        entries = self.entries
        i = len(entries) - 1
        while i > 0 and entries[i].term > term:
            i -= 1
        return i if i > 0 and entries[i].term == term else 0

    def terms(self) -> list[int]:
        return [e.term for e in self.entries[1:]]

    def commands(self, upto: int | None = None) -> list:
        end = len(self.entries) if upto is None else upto + 1
        return [e.command for e in self.entries[1:end]]

    # -- changing ----------------------------------------------------------------
    def append(self, entry: Entry) -> int:
        """Add ``entry`` at the end and return its index."""
        self.entries.append(entry)
        index = len(self.entries) - 1
        if index < self.dirty:
            self.dirty = index
        return index

    def extend(self, entries: Iterable[Entry]) -> None:
        first = len(self.entries)
        self.entries.extend(entries)
        if first < self.dirty:
            self.dirty = first

    def truncate(self, index: int) -> None:
        """Delete entry ``index`` and every entry after it."""
        if index < 1:
            raise ValueError(f"index must be at least 1 (the sentinel stays), got {index}")
        del self.entries[index:]
        if index < self.dirty:
            self.dirty = index

    def take_dirty(self) -> int:
        """The lowest index changed since the last call (for observers); resets it."""
        low = self.dirty
        self.dirty = len(self.entries)
        return low

    def __repr__(self) -> str:
        return f"RaftLog({self.terms()})"
