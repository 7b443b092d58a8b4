"""Worked problem: a cache in front of a database, partitioned by key.

Two ways a partitioned cache hurts the database behind it, both measured on
a seeded stream of requests whose popularity follows a Zipf law (the
``r``-th most popular key is asked for in proportion to ``1 / r**s``: a few
keys get most of the traffic, as on real sites):

1. **A node joins: the miss storm.** Every request whose key changed owner
   misses in the cache and goes to the database. ``join_misses`` counts them,
   weighted by popularity, for modulo hashing (``(n-1)/n`` of the keys move
   from ``n-1`` to ``n`` nodes: almost all) and for the consistent-hash ring
   of ``dscourse.hashing`` (only the newcomer's share, about ``1/(n+1)``).

2. **A hot key: one node overloaded.** Virtual nodes even out how many
   *keys* each node owns; the hottest *key* still lands on one node, whatever
   the ring looks like. ``hot_key_load`` sends every request to a node and
   compares the busiest node's load with the mean, for three strategies:

   * ``ring``: every key on its owner (``ring.get_node``);
   * ``replicate``: each of the ``hot`` most requested keys is cached on
     ``copies`` nodes, its preference list (``ring.get_nodes``), and each
     request picks one copy at random. Reads spread; the price is that a
     write (an invalidation) must reach every copy;
   * ``split``: each hot key is split into ``copies`` sub-keys
     (``key`` itself, ``key#1``, ``key#2``, ...) placed independently by the ring, and each
     request goes to one sub-key at random. Writes spread too (for a counter,
     each part counts some of the increments); the price is that reading the
     whole value gathers every part, and two parts may land on one node.

   A node is *over capacity* when its load exceeds ``headroom`` times the
   mean (the spare capacity a cluster is provisioned with).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from typing import Sequence

from ..hashing import ConsistentHashRing, ModuloHash
from ..sim.rng import Seed, make_rng
from ..sim.table import TextTable, format_table
from ..sim.validate import check_choice, check_int, check_number

__all__ = ["zipf_requests", "key_name", "JoinMisses", "join_misses", "join_table", "CacheLoad",
           "hot_key_load", "hot_keys", "STRATEGIES", "load_table", "cache_nodes", "copies_sweep"]

STRATEGIES = ("ring", "replicate", "split")


def key_name(rank: int) -> str:
    return f"item-{rank}"


def cache_nodes(n: int) -> list[str]:
    return [f"cache-{i}" for i in range(1, check_int("n", n, minimum=1) + 1)]


def zipf_requests(keys: int = 10_000, count: int = 50_000, s: float = 1.1,
                  seed: Seed = 1) -> list[str]:
    """``count`` requests over ``keys`` keys; key of rank ``r`` (1 = hottest) weighs ``1/r**s``."""
    check_int("keys", keys, minimum=1)
    check_int("count", count, minimum=0)
    check_number("s", s, minimum=0.0)
    rng = make_rng(seed)
    cumulative = list(accumulate(1.0 / (r ** s) for r in range(1, keys + 1)))
    total = cumulative[-1]
    names = [key_name(r) for r in range(1, keys + 1)]
    return [names[min(keys - 1, bisect_left(cumulative, rng.random() * total))]
            for _ in range(count)]


def hot_keys(requests: Sequence[str], hot: int) -> list[str]:
    """The ``hot`` most requested keys (ties broken by name, so the answer is stable)."""
    counts = Counter(requests)
    return sorted(counts, key=lambda k: (-counts[k], k))[:check_int("hot", hot, minimum=0)]


# ------------------------------------------------------------------ the miss storm
@dataclass(frozen=True)
class JoinMisses:
    scheme: str
    nodes_before: int
    requests: int
    misses: int             # requests whose key changed owner: they go to the database
    keys_moved: int
    keys: int

    @property
    def miss_fraction(self) -> float:
        return self.misses / self.requests if self.requests else 0.0


def join_misses(requests: Sequence[str], nodes: int = 4, vnodes: int = 160) -> list[JoinMisses]:
    """One cache node joins ``nodes``: the requests that miss afterwards, modulo vs the ring."""
    check_int("nodes", nodes, minimum=1)
    before = cache_nodes(nodes)
    newcomer = f"cache-{nodes + 1}"
    counts = Counter(requests)
    keys = sorted(counts)
    out = []
    for scheme, old in (("modulo", ModuloHash(before)),
                        ("consistent hashing", ConsistentHashRing(before, vnodes))):
        new = old.copy()
        new.add_node(newcomer)
        moved = [k for k, a, b in zip(keys, old.assign(keys), new.assign(keys)) if a != b]
        out.append(JoinMisses(scheme, nodes, len(requests), sum(counts[k] for k in moved),
                              len(moved), len(keys)))
    return out


def join_table(rows: Sequence[JoinMisses]) -> TextTable:
    return format_table(
        ["scheme", "nodes", "keys moved", "newcomer's fair share", "requests that miss",
         "miss rate"],
        [(r.scheme, f"{r.nodes_before} -> {r.nodes_before + 1}",
          f"{r.keys_moved}/{r.keys} ({r.keys_moved / r.keys:.1%})",
          f"{1 / (r.nodes_before + 1):.1%}", f"{r.misses}/{r.requests}", f"{r.miss_fraction:.1%}")
         for r in rows], title="A cache node joins: requests that now miss and hit the database")


# ------------------------------------------------------------------ hot keys
def _part(key: str, i: int) -> str:
    """Part ``i`` of a split key: part 0 is the key itself (it stays on its owner)."""
    return key if i == 0 else f"{key}#{i}"


@dataclass(frozen=True)
class CacheLoad:
    strategy: str
    loads: dict              # node -> requests it served (every node listed, sorted)
    hot: tuple               # the keys treated as hot
    copies: int              # copies (replicate) or parts (split) per hot key
    headroom: float
    write_fanout: int        # nodes a write to a hot key must reach
    read_fanout: int         # nodes a read of a hot key's whole value must reach

    @property
    def mean(self) -> float:
        return sum(self.loads.values()) / len(self.loads)

    @property
    def hottest(self) -> tuple:
        """(node, load) of the busiest node (ties: the first by name)."""
        node = max(sorted(self.loads), key=lambda n: self.loads[n])
        return node, self.loads[node]

    @property
    def max_over_mean(self) -> float:
        return self.hottest[1] / self.mean if self.mean else 0.0

    @property
    def over_capacity(self) -> tuple:
        limit = self.headroom * self.mean
        return tuple(n for n in sorted(self.loads) if self.loads[n] > limit)


def hot_key_load(requests: Sequence[str], strategy: str = "ring", *, nodes: int = 8,
                 vnodes: int = 160, hot: int = 10, copies: int = 6, headroom: float = 1.5,
                 seed: Seed = 1) -> CacheLoad:
    """Route every request with ``strategy`` (see the module docstring) and count per node."""
    check_choice("strategy", strategy, STRATEGIES)
    check_int("copies", copies, minimum=1, maximum=nodes)
    check_number("headroom", headroom, minimum=1.0)
    ring = ConsistentHashRing(cache_nodes(nodes), vnodes)
    rng = make_rng(seed)
    chosen = tuple(hot_keys(requests, hot)) if strategy != "ring" else ()
    routes: dict = {}
    for key in chosen:
        if strategy == "replicate":
            routes[key] = ring.get_nodes(key, copies)
        else:
            routes[key] = [ring.get_node(_part(key, i)) for i in range(copies)]
    loads = dict.fromkeys(ring.nodes, 0)
    owner: dict = {}
    for key in requests:
        choices = routes.get(key)
        if choices is None:
            node = owner.get(key)
            if node is None:
                node = owner[key] = ring.get_node(key)
        else:
            node = choices[rng.randrange(len(choices))]
        loads[node] += 1
    n_copies = copies if chosen else 1
    return CacheLoad(strategy, loads, chosen, n_copies, headroom,
                     write_fanout=n_copies if strategy == "replicate" else 1,
                     read_fanout=n_copies if strategy == "split" else 1)


def copies_sweep(requests: Sequence[str], copies: Sequence[int] = (1, 2, 3, 4, 6, 8), *,
                 nodes: int = 8, hot: int = 10, seed: Seed = 1) -> list[tuple]:
    """``(copies, max/mean with replication, max/mean with splitting)`` for each count."""
    return [(c, hot_key_load(requests, "replicate", nodes=nodes, hot=hot, copies=c,
                             seed=seed).max_over_mean,
             hot_key_load(requests, "split", nodes=nodes, hot=hot, copies=c, seed=seed).max_over_mean)
            for c in copies]


def load_table(results: Sequence[CacheLoad]) -> TextTable:
    rows = []
    for r in results:
        node, load = r.hottest
        rows.append((r.strategy, len(r.hot), r.copies if r.hot else "-", node, load,
                     round(r.mean, 1), f"{r.max_over_mean:.2f}",
                     ", ".join(r.over_capacity) or "none", r.write_fanout, r.read_fanout))
    return format_table(["strategy", "hot keys", "copies", "busiest node", "its requests",
                         "mean", "max/mean", "over capacity", "nodes per write",
                         "nodes per full read"], rows,
                        title="Requests per cache node (Zipf popularity, 8 nodes, 160 vnodes each)")
