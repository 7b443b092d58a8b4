"""Consistent hashing: dscourse's ring against uhashring (PyPI), on MD5-based hashing.

The workload (issue 6): 10 nodes, 160 virtual nodes each, 100,000 keys
``key-0 .. key-99999``. Measured in one run:

* lookups per second (best of ``--repeat`` passes over all keys, the two
  libraries interleaved so that machine noise hits both alike);
* balance: standard deviation over mean of the keys per node;
* keys moved when an 11th node joins, against the ideal 1/11;
* the time to add a node.

uhashring is compared three ways, because "the same MD5-based hashing" can
mean three things:

1. ``default``: uhashring as shipped, its own MD5 hashing (the full 128-bit
   digest as an int; virtual node ``i`` of ``n`` is hashed as ``"n-i"``). Its
   top 32 bits are dscourse's 4-byte value, so the ring order is the same;
2. ``hashlib``: uhashring given ``hash_fn`` = the first four bytes of
   ``hashlib.md5`` big-endian, the dscourse scheme written the usual way; the
   dscourse ring is then built with ``vnode_name="{node}-{i}"`` so that both
   place every virtual node and key at the same position (checked: they
   assign every key identically);
3. ``same-fn``: uhashring given dscourse's own ``md5_32`` function, so only
   the ring structure and the lookup path differ.

Each comparison line ends in ``ratio R`` (dscourse / uhashring; above 1 means
dscourse is faster). The balance of the reference placement (``"<node>-vn-<i>"``,
the course text's) is also swept over 20 different sets of node names, because
one layout is one draw of a random variable. Run it with ``make bench``.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dscourse.hashing import ConsistentHashRing, balance, hash_keys, join_movement, load  # noqa: E402
from dscourse.hashing.hashes import md5_32  # noqa: E402

NODES = [f"node-{i}" for i in range(10)]
VNODES = 160
KEYS = [f"key-{i}" for i in range(100_000)]
_U32 = struct.Struct(">I").unpack_from


def hashlib_md5_32(key: str) -> int:
    return _U32(hashlib.md5(key.encode()).digest())[0]


def dscourse_md5_32(key: str) -> int:
    return md5_32(key.encode())


def lookups_per_second(get, keys, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for key in keys:
            get(key)
        best = min(best, time.perf_counter() - start)
    return len(keys) / best


def interleaved_rates(a, b, keys, repeat):
    """Best rate of each, measured alternately (a, b, a, b, ...)."""
    ra, rb = [], []
    for _ in range(repeat):
        ra.append(lookups_per_second(a, keys, 1))
        rb.append(lookups_per_second(b, keys, 1))
    return max(ra), max(rb)


def add_node_ms(make, node, runs=30):
    """Median time (ms) of adding ``node`` to a fresh copy of the 10-node ring."""
    times = []
    for _ in range(runs):
        ring = make()
        start = time.perf_counter()
        ring.add_node(node)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def uhashring_balance_and_move(ring_factory, keys):
    ring = ring_factory(NODES)
    before = [ring.get_node(k) for k in keys]
    counts = dict.fromkeys(NODES, 0)
    for n in before:
        counts[n] += 1
    bigger = ring_factory(NODES + ["node-10"])
    after = [bigger.get_node(k) for k in keys]
    moved = sum(1 for x, y in zip(before, after) if x != y)
    return balance(counts), moved / len(keys)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keys", type=int, default=len(KEYS))
    args = parser.parse_args(argv)
    keys = KEYS[: args.keys]
    try:
        import uhashring
        from uhashring import HashRing
    except ImportError:
        print("uhashring is not installed: pip install -e '.[bench]'")
        return 1
    print(f"{len(NODES)} nodes x {VNODES} virtual nodes, {len(keys):,} keys; "
          f"uhashring {getattr(uhashring, '__version__', '?')}; best of {args.repeat} passes\n")

    ideal = 1 / (len(NODES) + 1)
    ours = ConsistentHashRing(NODES, VNODES)                     # the course text's placement
    hashes = hash_keys(keys)
    ours_balance = balance(load(ours, hashes=hashes))
    ours_move = join_movement(ours, None, "node-10", hashes=hashes)
    print("dscourse, reference placement ('<node>-vn-<i>'):")
    print(f"  balance std/mean {100 * ours_balance.std_over_mean:.2f}%  "
          f"max/mean {ours_balance.max_over_mean:.3f}")
    print(f"  keys moved on a join {100 * ours_move.fraction:.2f}% (ideal {100 * ideal:.2f}%): "
          f"{ours_move.ratio:.3f}x ideal; moved needlessly {ours_move.unnecessary}")
    ms = add_node_ms(lambda: ConsistentHashRing(NODES, VNODES), "node-10")
    print(f"  add a node: {ms:.3f} ms (median of 30)\n")

    variants = {
        "default": (lambda nodes: HashRing(nodes=nodes, vnodes=VNODES), "{node}-{i}"),
        "hashlib": (lambda nodes: HashRing(nodes=nodes, vnodes=VNODES, hash_fn=hashlib_md5_32),
                    "{node}-{i}"),
        "same-fn": (lambda nodes: HashRing(nodes=nodes, vnodes=VNODES, hash_fn=dscourse_md5_32),
                    "{node}-{i}"),
    }
    for label, (factory, vnode_name) in variants.items():
        theirs = factory(NODES)
        mine = ConsistentHashRing(NODES, VNODES, vnode_name=vnode_name)
        same = sum(1 for k in keys if theirs.get_node(k) == mine.get_node(k))
        agreement = (f"dscourse with vnode_name={vnode_name!r} gives the same owner for "
                     f"{same:,} of {len(keys):,} keys")
        rate_ours, rate_theirs = interleaved_rates(mine.get_node, theirs.get_node, keys,
                                                   args.repeat)
        b, moved = uhashring_balance_and_move(factory, keys)
        print(f"uhashring [{label}]: {agreement}")
        print(f"  uhashring balance std/mean {100 * b.std_over_mean:.2f}%, keys moved on a join "
              f"{100 * moved:.2f}% ({moved / ideal:.3f}x ideal)")
        add_theirs = add_node_ms(lambda f=factory: f(NODES), "node-10", runs=10)
        print(f"  uhashring add a node: {add_theirs:.3f} ms")
        print(f"  lookups/s dscourse {rate_ours:,.0f} vs uhashring {rate_theirs:,.0f}: "
              f"ratio {rate_ours / rate_theirs:.2f}")
        print()

    print("balance of the reference placement over 20 sets of node names (std/mean):")
    for v in (160, 320, 640):
        spreads, moves = [], []
        for t in range(20):
            names = [f"s{t}-node-{i}" for i in range(10)]
            ring = ConsistentHashRing(names, v)
            spreads.append(balance(load(ring, hashes=hashes[:20_000])).std_over_mean)
            moves.append(join_movement(ring, None, f"s{t}-node-10", hashes=hashes[:20_000]).ratio)
        within = sum(1 for s in spreads if s <= 0.08)
        print(f"  V={v:4d}: mean {100 * statistics.mean(spreads):.2f}%, "
              f"max {100 * max(spreads):.2f}%, {within}/20 layouts <= 8%; keys moved on a join "
              f"mean {statistics.mean(moves):.3f}x ideal, max {max(moves):.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
