"""Measurements: the paper's election-timing experiment, and messages per commit.

**Election timing** (section 9.3 and Figure 16 of the paper). The authors
"repeatedly crashed the leader of a cluster of five servers and timed how
long it took to detect the crash and elect a new leader". Their set-up,
reproduced by ``election_trial``:

* five servers; the heartbeat interval is half the minimum election timeout;
* "the servers in each trial had different log lengths, so some candidates
  were not eligible to become leader": here, of the four servers that
  survive, one holds two extra entries from an older term, one holds one,
  and two hold none (which server gets which is random per trial), so two of
  the four can never win;
* "our test script triggered a synchronized broadcast of heartbeat RPCs from
  the leader before terminating its process", and "the leader was crashed
  uniformly randomly within its heartbeat interval": here the leader's first
  broadcast after its election is the synchronised one, and it crashes a
  uniform random time (0 to one heartbeat interval) after it;
* the network: the paper gives "a broadcast time of roughly 15ms" (the time
  to send RPCs to all servers in parallel and get every answer back). The
  one-way latency here is uniform on ``latency`` (default 4-8 ms), whose
  broadcast time (the slowest of four round trips) averages about 14.6 ms.

A trial measures the time from the crash until a server becomes leader, and
counts the election rounds (terms) it took and the split votes among them (a
term in which two or more servers stood as candidates and none won).

**Messages per commit** (``measure_messages_per_commit``): how many messages
the servers exchange per command when a stable leader replicates commands
one at a time, for the Paxos vs Raft comparison.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...sim import Uniform
from ...sim.rng import Seed, make_rng
from ...sim.validate import check_int, check_number
from .cluster import RaftCluster
from .electionlab import ElectionLab
from .log import RaftLog
from .messages import AppendEntries, Entry
from .node import RaftNode, check_timeout_range

PAPER_RANGES = ((150, 150), (150, 151), (150, 155), (150, 175), (150, 200), (150, 300))
# What the paper states in words (section 9.3; Figure 16 shows every range as a curve;
# its caption: 1000 trials per line, 100 for 150-150, five servers, broadcast time ~15 ms).
PAPER_REPORTS = {
    "150-150 ms": "consistently longer than 10 s (many split votes)",
    "150-155 ms": "median 287 ms ('adding just 5ms of randomness helps significantly')",
    "150-200 ms": "worst case over 1000 trials 513 ms",
}
OLD_TERM, LEADER_TERM = 2, 3
SERVERS = ("n1", "n2", "n3", "n4", "n5")
FOLLOWERS = SERVERS[1:]
PAPER_LATENCY = Uniform(4.0, 8.0)      # one way; the slowest of four round trips averages ~14.6 ms


@dataclass(frozen=True)
class ElectionTrial:
    """One trial: the leader crashed at ``crashed_at``; ``downtime`` ms later a new one led."""
    timeout: tuple
    seed: int
    crashed_at: float
    downtime: float          # math.inf if no leader within the cap
    rounds: int              # election terms started after the crash
    split_votes: int         # terms with two or more candidates and no leader
    new_leader: Any

    @property
    def elected(self) -> bool:
        return self.new_leader is not None


def election_trial(timeout=(150.0, 300.0), seed: Seed = None, *, latency: Any = PAPER_LATENCY,
                   cap: float = 10_000.0, fast: bool = True, check: bool = False) -> ElectionTrial:
    """One run of the paper's experiment (see the module docstring) on five servers.

    ``fast`` runs it on ``ElectionLab``, the lean event loop; ``fast=False``
    on a ``RaftCluster`` (with the invariants if ``check``). Both give the
    same result for the same seed.
    """
    low, high = check_timeout_range("timeout", timeout)
    cap = check_number("cap", cap, minimum=0.0, strict_min=True)
    rng = make_rng(seed)
    run_seed = rng.getrandbits(63)
    heartbeat = low / 2
    extras = [2, 1, 0, 0]
    rng.shuffle(extras)
    prefix = [Entry(1, f"v{i}") for i in range(1, 4)]
    logs = {"n1": prefix}
    for nid, extra in zip(FOLLOWERS, extras):
        logs[nid] = prefix + [Entry(OLD_TERM, f"old{k}") for k in range(extra)]
    # n1 stands first and wins; the others wait for its heartbeats.
    first = {"n1": 0.0, **{nid: 10 * high for nid in FOLLOWERS}}
    run = _lab_trial if fast else _cluster_trial
    crash_at, found, by_term = run(run_seed, logs, first, (low, high), heartbeat, latency, cap,
                                   rng, check)
    if found is None:
        return ElectionTrial((low, high), run_seed, crash_at, float("inf"), len(by_term),
                             sum(1 for k in by_term.values() if k >= 2), None)
    time, node, term = found
    splits = sum(1 for t, k in by_term.items() if k >= 2 and t != term)
    return ElectionTrial((low, high), run_seed, crash_at, time - crash_at, term - LEADER_TERM,
                         splits, node)


def _cluster_trial(run_seed, logs, first, timeout, heartbeat, latency, cap, rng, check):
    high = timeout[1]
    c = RaftCluster(5, run_seed, election_timeout=timeout, heartbeat_interval=heartbeat,
                    latency=latency, check=check, first_timeouts=first)
    for nid, log in logs.items():
        c.preload(nid, OLD_TERM, log)
    sim = c.sim
    records = sim.trace.live
    elected = None
    while elected is None and sim.now < 10 * high:
        mark = len(records)
        sim.run(until=sim.now + 1.0)                  # 1 ms at a time, until n1 leads
        elected = _first_leader(records, mark, LEADER_TERM - 1)
    if elected is None:                               # cannot happen with a reliable network
        raise RuntimeError(f"the first leader was not elected (seed {run_seed})")
    crash_at = max(sim.now, elected[1] + heartbeat * rng.random())
    sim.run(until=crash_at)
    c.crash("n1")
    mark = len(records)
    found = None
    horizon = crash_at
    while found is None and horizon < crash_at + cap:
        horizon = min(crash_at + cap, horizon + 2 * high + 50)
        start = len(records)
        sim.run(until=horizon)
        found = _first_leader(records, start, LEADER_TERM)
    end = len(records) if found is None else found[0] + 1
    states = [(r[0], r[2], r[5]) for r in records[mark:end] if r[1] == "state"]
    return crash_at, None if found is None else found[1:], _candidates_by_term(states)


def _lab_trial(run_seed, logs, first, timeout, heartbeat, latency, cap, rng, check):
    lab = ElectionLab(run_seed, latency)
    for nid in SERVERS:
        node = RaftNode(nid, [p for p in SERVERS if p != nid], election_timeout=timeout,
                        heartbeat_interval=heartbeat, first_timeout=first[nid])
        lab.add(node, {"current_term": OLD_TERM, "voted_for": None, "log": RaftLog(logs[nid])})
    lab.watch(LEADER_TERM - 1)
    if not lab.run(10 * timeout[1]):
        raise RuntimeError(f"the first leader was not elected (seed {run_seed})")
    elected_at = lab.found[0]
    chunk_end = float(math.ceil(elected_at))          # where the cluster path notices it
    crash_at = max(chunk_end, elected_at + heartbeat * rng.random())
    lab.run(crash_at, stop=False)
    lab.crash("n1")
    mark = len(lab.states)
    lab.watch(LEADER_TERM)
    lab.run(crash_at + cap)
    return crash_at, lab.found, _candidates_by_term(lab.states[mark:])


def _first_leader(records: list, start: int, above: int):
    """``(record index, time, node, term)`` of the first leader of a term above ``above``."""
    for i in range(start, len(records)):
        r = records[i]
        if r[1] == "state" and r[5].get("role") == "leader" and r[5]["term"] > above:
            return i, r[0], r[2], r[5]["term"]
    return None


def _candidates_by_term(states: list) -> dict:
    """How many servers stood as candidate in each term, from ``(time, node, fields)`` records."""
    by_term: dict[int, int] = {}
    for _, _, fields in states:
        if fields.get("role") == "candidate":
            by_term[fields["term"]] = by_term.get(fields["term"], 0) + 1
    return by_term


def election_timing(ranges: Iterable = PAPER_RANGES, trials: int = 1000, seed: Seed = None, *,
                    latency: Any = PAPER_LATENCY, cap: float = 10_000.0,
                    progress: Callable[[Iterable], Iterable] | None = None) -> dict:
    """Run ``trials`` trials for each timeout range; returns ``{(low, high): [ElectionTrial]}``.

    ``progress`` wraps the iterable of (range, trial) pairs, e.g. ``tqdm``
    (protocol code does not import it; the notebook passes it in).
    """
    ranges = [check_timeout_range("ranges[i]", r) for r in ranges]
    check_int("trials", trials, minimum=1)
    rng = make_rng(seed)
    seeds = {r: [rng.getrandbits(63) for _ in range(trials)] for r in ranges}
    jobs = [(r, s) for r in ranges for s in seeds[r]]
    if progress is not None:
        jobs = progress(jobs)
    out: dict = {r: [] for r in ranges}
    was_enabled = gc.isenabled()
    for r, s in jobs:
        # A trial's simulator and servers refer to each other (reference cycles), so
        # only the cyclic collector frees them. Collecting them young, right after
        # each trial, keeps memory flat and halves the time of short trials.
        gc.disable()
        try:
            out[r].append(election_trial(r, s, latency=latency, cap=cap))
        finally:
            if was_enabled:
                gc.enable()
            gc.collect(0)
    return out


def summarize(results: dict) -> list[dict]:
    """Per range: trials, median / 90th / 99th percentile / max downtime, rounds, split votes."""
    rows = []
    for r, trials in results.items():
        times = sorted(t.downtime for t in trials)
        k = len(times)

        def pct(q, times=times, k=k):
            return times[min(k - 1, int(q * k))]
        rounds = sum(t.rounds for t in trials)
        splits = sum(t.split_votes for t in trials)
        rows.append({
            "range": f"{r[0]:g}-{r[1]:g} ms", "trials": k,
            "median": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": times[-1],
            "unelected": sum(1 for t in trials if not t.elected),
            "mean_rounds": rounds / k,
            "split_vote_rate": splits / rounds if rounds else 0.0,
            "trials_with_split": sum(1 for t in trials if t.split_votes) / k,
        })
    return rows


@dataclass(frozen=True)
class MessageCount:
    """Messages between servers while a stable leader commits ``commands`` commands one by one.

    ``replication`` counts AppendEntries that carried entries plus their
    replies; ``heartbeats`` the empty AppendEntries sent meanwhile plus their
    replies (the network is reliable, so every request gets one reply).
    """
    n: int
    commands: int
    seed: int
    replication: int
    heartbeats: int
    virtual_ms: float

    @property
    def per_command(self) -> float:
        """Replication messages per committed command (2(n-1) when unbatched)."""
        return self.replication / self.commands

    @property
    def per_command_total(self) -> float:
        """All server-to-server messages per committed command, heartbeats included."""
        return (self.replication + self.heartbeats) / self.commands


def measure_messages_per_commit(n: int = 5, commands: int = 100, seed: Seed = None, *,
                                heartbeat_interval: float = 50.0) -> MessageCount:
    """Count messages per decided value on a stable ``n``-server Raft cluster.

    A leader is elected first (not counted); then ``commands`` commands are
    submitted one at a time, each after the leader has committed the one
    before (no batching, no pipelining). Every message sent between the
    first submission and the last commit is counted. For the Paxos vs Raft
    table: compare ``per_command`` with Multi-Paxos's accept round.
    """
    check_int("n", n, minimum=1)
    check_int("commands", commands, minimum=1)
    c = RaftCluster(n, seed, heartbeat_interval=heartbeat_interval)
    leader = c.wait_for_leader(10_000.0)
    if leader is None:
        raise RuntimeError(f"no leader elected (n={n}, seed={seed!r})")
    c.run(heartbeat_interval)                         # let the first heartbeats settle
    records = c.sim.trace.live
    start, t0 = len(records), c.now
    node = c.node(leader)
    for i in range(commands):
        result = c.submit(f"cmd{i + 1}", leader)
        if not result.ok or not c.run_until(lambda c, k=result.index: node.commit_index >= k,
                                            timeout=5000.0, step=1.0):
            raise RuntimeError(f"command {i + 1} did not commit (n={n}, seed={seed!r})")
    with_entries = empty = 0
    for i in range(start, len(records)):
        r = records[i]
        if r[1] == "send" and r[5].__class__ is AppendEntries:
            if r[5].entries:
                with_entries += 1
            else:
                empty += 1
    # The network is reliable: each AppendEntries gets exactly one reply.
    return MessageCount(n, commands, c.sim.seed, 2 * with_entries, 2 * empty, c.now - t0)


def repeated_elections(count: int, seed: Seed = None, *, n: int = 5,
                       election_timeout=(150.0, 300.0), heartbeat_interval: float = 50.0,
                       check: bool = False) -> list[float]:
    """Crash the leader ``count`` times in one long run; the time to elect each successor.

    When a leader is elected, it is crashed at once and the server crashed
    before it restarts (so ``n - 1`` servers are up during each election).
    Returns the downtimes in ms. The benchmark times this.
    """
    check_int("count", count, minimum=1)
    c = RaftCluster(n, seed, election_timeout=election_timeout,
                    heartbeat_interval=heartbeat_interval, check=check)
    sim = c.sim
    records = sim.trace.live
    downtimes: list[float] = []
    crashed = None
    crash_at = 0.0
    scanned = 0
    step = election_timeout[0] / 4
    while len(downtimes) < count:
        sim.run(until=sim.now + step)
        found = _first_leader(records, scanned, c.node(crashed).current_term if crashed else 0)
        scanned = len(records)
        if found is None:
            continue
        _, time, leader, _ = found
        if crashed is not None:
            downtimes.append(time - crash_at)
            c.recover(crashed)
        c.crash(leader)
        crashed, crash_at = leader, sim.now
        scanned = len(records)
    return downtimes
