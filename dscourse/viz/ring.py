"""Views of a consistent-hash ring, and of how well a partitioner balances.

* ``draw_ring(ring, keys)``: the ring as a circle, position 0 at the top and
  positions growing clockwise. Each coloured band is an arc of the ring, in
  the colour of the node that owns it (the arc *ends* at that node's virtual
  node, because a key belongs to the first virtual node at or after it). The
  virtual nodes are a networkx cycle graph drawn on the circle; keys are dots
  just inside it, in their owner's colour; keys that just moved are ringed.
* ``ring_table(ring, keys)``: the same as text, one row per node.
* ``moves_table(before, after, keys)``: which keys went from which node to which.
* ``draw_balance(points)`` / ``balance_table(points)``: measured spread of the
  load against the number of virtual nodes, beside the ``1/sqrt(V)`` trend.
* ``comparison_table(rows)``: partitioners side by side; ``lookup_rates`` times them.

Views read a ring (or measured results); they never change it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import networkx as nx
from matplotlib.patches import Wedge

from ..hashing.ring import ConsistentHashRing
from ..hashing.stats import BalancePoint, Comparison, Movement
from ..sim.table import TextTable, format_table
from .plots import GREY, PALETTE, figure


def node_colours(nodes: Sequence[Any]) -> dict:
    """A fixed colour per node, by sorted id (the same node keeps its colour)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(sorted(nodes))}


def _angle(position: int, size: int) -> float:
    """Radians, counter-clockwise from +x, for a ring position (0 at the top, clockwise)."""
    return math.pi / 2 - 2 * math.pi * position / size


def ring_graph(ring: ConsistentHashRing) -> nx.DiGraph:
    """The virtual nodes as a directed cycle in ring order (edge = clockwise successor)."""
    g = nx.DiGraph()
    points = ring.points()
    for p in points:
        g.add_node((p.node, p.index), node=p.node, index=p.index, position=p.position)
    for a, b in zip(points, points[1:] + points[:1]):
        if len(points) > 1:
            g.add_edge((a.node, a.index), (b.node, b.index))
    return g


def draw_ring(ring: ConsistentHashRing, keys: Sequence[Any] = (), *, moved: Sequence[Any] = (),
              title: str | None = None, ax=None, label_vnodes: bool | None = None,
              colours: dict | None = None):
    """Draw ``ring`` with its owned arcs, virtual nodes and ``keys``; returns the Figure.

    ``moved`` lists keys to ring in black (those that just changed owner).
    ``label_vnodes`` writes ``node/i`` beside each virtual node (default: when
    there are at most 24 of them).
    """
    if not isinstance(ring, ConsistentHashRing):
        raise TypeError(f"ring must be a ConsistentHashRing, got {type(ring).__name__}")
    fig, ax = (ax.figure, ax) if ax is not None else figure(5.2, 4.8)
    ax.set_axis_off()
    ax.set_aspect("equal")
    colours = colours or node_colours(ring.nodes)
    size = ring.size
    ax.add_patch(Wedge((0, 0), 1.0, 0, 360, width=0.12, facecolor="#EEEEEE", edgecolor="none"))
    if len(ring):
        for arc in ring.arcs():
            if arc.length == 0:
                continue
            end = math.degrees(_angle(arc.end, size))
            start = end + 360 * arc.length / size
            ax.add_patch(Wedge((0, 0), 1.0, end, start, width=0.12,
                               facecolor=colours[arc.node], edgecolor="white", linewidth=0.3))
        g = ring_graph(ring)
        pos = {v: (math.cos(_angle(d["position"], size)), math.sin(_angle(d["position"], size)))
               for v, d in g.nodes(data=True)}
        order = sorted(g.nodes, key=lambda v: (g.nodes[v]["position"], str(v)))
        few = len(order) <= 24 if label_vnodes is None else label_vnodes
        nx.draw_networkx_nodes(g, pos, nodelist=order, ax=ax, node_size=50 if few else 14,
                               node_color=[colours[g.nodes[v]["node"]] for v in order],
                               edgecolors="black", linewidths=0.6)
        if few:
            for v in order:
                x, y = pos[v]
                ax.text(1.16 * x, 1.16 * y, f"{v[0]}/{v[1]}", ha="center", va="center",
                        fontsize=7)
    moved = set(moved)
    if keys and len(ring):
        xs, ys, cs, mx, my = [], [], [], [], []
        for key in keys:
            a = _angle(ring.key_position(key), size)
            x, y = 0.8 * math.cos(a), 0.8 * math.sin(a)
            xs.append(x)
            ys.append(y)
            cs.append(colours[ring.get_node(key)])
            if key in moved:
                mx.append(x)
                my.append(y)
        dot = 16 if len(keys) <= 200 else 5
        ax.scatter(xs, ys, s=dot, c=cs, linewidths=0, zorder=3)
        if mx:
            ax.scatter(mx, my, s=dot * 3.5, facecolors="none", edgecolors="black",
                       linewidths=0.8, zorder=4)
    ax.text(0, 1.07, "0", ha="center", va="bottom", fontsize=7, color=GREY)
    handles = [ax.scatter([], [], s=40, c=colours[n], label=str(n)) for n in ring.nodes]
    if moved:
        handles.append(ax.scatter([], [], s=40, facecolors="none", edgecolors="black",
                                  label="moved"))
    if handles:
        ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=False,
                  bbox_to_anchor=(1.0, 1.0))
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    if title is None:
        title = (f"{len(ring)} nodes x {ring.vnodes} virtual nodes, {len(keys)} keys"
                 if len(ring) else "empty ring")
    ax.set_title(title, fontsize=10)
    return fig


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def ring_table(ring: ConsistentHashRing, keys: Sequence[Any] = (), *,
               title: str | None = None) -> TextTable:
    """One row per node: virtual nodes, weight, share of the ring, and keys owned (if given)."""
    counts = dict.fromkeys(ring.nodes, 0)
    if keys and len(ring):
        for node in ring.assign(keys):
            counts[node] += 1
    share = ring.ownership() if len(ring) else {}
    headers = ["node", "vnodes", "weight", "ring share"]
    rows = [[n, ring.vnode_count(n), f"{ring.weight(n):g}", _pct(share[n])] for n in ring.nodes]
    if keys:
        headers += ["keys", "key share"]
        for row in rows:
            row += [counts[row[0]], _pct(counts[row[0]] / len(keys))]
    return format_table(headers, rows, title=title)


def moves_table(before: ConsistentHashRing, after: ConsistentHashRing,
                keys: Sequence[Any]) -> TextTable:
    """How many keys went from which node to which (only keys that moved)."""
    pairs: dict = {}
    old = before.assign(keys) if len(before) else [None] * len(keys)
    new = after.assign(keys) if len(after) else [None] * len(keys)
    for a, b in zip(old, new):
        if a != b:
            pairs[(a, b)] = pairs.get((a, b), 0) + 1
    moved = sum(pairs.values())
    rows = [[a, b, k] for (a, b), k in sorted(pairs.items(), key=lambda kv: (str(kv[0][0]),
                                                                             str(kv[0][1])))]
    title = f"{moved} of {len(keys)} keys moved ({_pct(moved / max(len(keys), 1))})"
    return format_table(["from", "to", "keys"], rows, title=title)


def movement_table(movements: Sequence[tuple[str, Movement]], *,
                   title: str | None = None) -> TextTable:
    """Rows of (label, Movement): keys moved against the ideal."""
    rows = [[label, m.kind, f"{m.nodes_before} -> {m.nodes_before + (1 if m.kind == 'join' else -1)}",
             m.moved, _pct(m.fraction), _pct(m.ideal), f"{m.ratio:.2f}x", m.unnecessary]
            for label, m in movements]
    return format_table(["scheme", "change", "nodes", "moved", "fraction", "ideal", "vs ideal",
                         "needless"], rows, title=title)


def draw_balance(points: Sequence[BalancePoint], *, ax=None, title: str | None = None):
    """Measured spread (std/mean) against virtual nodes, log-log, beside 1/sqrt(V)."""
    fig, ax = (ax.figure, ax) if ax is not None else figure(6.0, 3.6)
    vs = [p.vnodes for p in points]
    ax.fill_between(vs, [p.lowest for p in points], [p.highest for p in points],
                    color=PALETTE[0], alpha=0.15, linewidth=0, label="range over layouts")
    ax.plot(vs, [p.std_over_mean for p in points], "-o", color=PALETTE[0], markersize=4,
            label="measured std/mean (mean)")
    ax.plot(vs, [p.trend for p in points], "--", color=PALETTE[3], label="1/sqrt(V)")
    ax.plot(vs, [p.expected for p in points], ":", color=GREY, label="sqrt((n-1)/(nV+1))")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("virtual nodes per node (V)")
    ax.set_ylabel("std / mean of the load")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(title or "Load balance against virtual nodes", fontsize=11)
    return fig


def balance_table(points: Sequence[BalancePoint]) -> TextTable:
    rows = [[p.vnodes, _pct(p.std_over_mean), _pct(p.lowest), _pct(p.highest), _pct(p.trend),
             _pct(p.expected)] for p in points]
    return format_table(["V", "std/mean", "lowest", "highest", "1/sqrt(V)", "expected"], rows)


def comparison_table(rows: Sequence[Comparison], *, title: str | None = None) -> TextTable:
    """Partitioners side by side: balance, keys moved on a join and a leave."""
    out = []
    for c in rows:
        leave = (f"{_pct(c.leave.fraction)} ({c.leave.ratio:.2f}x)" if c.leave is not None
                 else "cannot")
        out.append([c.label, _pct(c.balance.std_over_mean), f"{c.balance.max_over_mean:.3f}",
                    f"{_pct(c.join.fraction)} ({c.join.ratio:.2f}x)", c.join.unnecessary, leave])
    return format_table(["scheme", "std/mean", "max/mean", "join moves (vs ideal)",
                         "needless", "leave moves (vs ideal)"], out, title=title)


def lookup_rates(partitioners: dict, keys: Sequence[Any], *, repeat: int = 3) -> dict:
    """Wall-clock lookups per second of each partitioner (best of ``repeat``).

    Timings vary from run to run and machine to machine: a notebook cell that
    prints them is tagged ``nbval-ignore-output``.
    """
    rates = {}
    for label, p in partitioners.items():
        get = p.get_node
        best = math.inf
        for _ in range(repeat):
            start = time.perf_counter()
            for key in keys:
                get(key)
            best = min(best, time.perf_counter() - start)
        rates[label] = len(keys) / best
    return rates


def rates_table(rates: dict, *, title: str | None = None) -> TextTable:
    fastest = max(rates.values())
    rows = [[label, int(r), f"{fastest / r:.1f}x slower" if r < fastest else "fastest"]
            for label, r in rates.items()]
    return format_table(["scheme", "lookups/s", ""], rows, title=title)


# ------------------------------------------------------- replication on the ring
def preference_table(ring: ConsistentHashRing, keys: Sequence[Any], n: int) -> TextTable:
    """Each key's position, its ``n`` home replicas and the stand-ins after them."""
    rows = []
    for key in keys:
        order = ring.get_nodes(key, len(ring))
        rows.append([key, ring.key_position(key), ", ".join(map(str, order[:n])),
                     ", ".join(map(str, order[n:])) or "-"])
    return format_table(["key", "position", f"home replicas (n={n})", "stand-ins, in order"],
                        rows)


def replica_table(sim: Any, key: Any) -> TextTable:
    """What every storage node holds for ``key``: its own copy and hints for others.

    Reads each node's durable storage (so a crashed node shows what it will
    come back with) and its place in the key's preference list.
    """
    rows = []
    order: list = []
    for node_id in sim.node_ids:
        node = sim.node(node_id)
        if not hasattr(node, "ring_order"):
            continue
        order = order or node.ring_order(key)
        storage = sim.storage(node_id)
        state = storage.get("data", {}).get(key)
        hints = [f"for {target}: {node.policy.describe(s)}"
                 for (target, k), s in sorted(storage.get("hints", {}).items(), key=repr)
                 if k == key]
        place = order.index(node_id)
        role = f"home {place + 1}" if place < node.n else f"stand-in {place + 1 - node.n}"
        rows.append([node_id, sim.status(node_id), role, node.policy.describe(state),
                     "; ".join(hints) or "-"])
    rows.sort(key=lambda r: (not r[2].startswith("home"), r[2]))
    return format_table(["node", "status", "role", "stored", "hints held"], rows,
                        title=f"key {key!r} at t = {sim.now:.0f} ms")


def client_table(sim: Any, client: Any = "client") -> TextTable:
    """The client's operations so far: what it asked, and what the store answered."""
    rows = []
    for op, outcome, value, error, target in sim.node(client).results:
        shown = value if op.f == "read" else op.value
        rows.append([op.f, op.key, "-" if shown is None else shown, target, outcome,
                     (error[:60] + "...") if len(error) > 63 else (error or "-")])
    return format_table(["op", "key", "value", "via", "outcome", "error"], rows)


def availability_table(results: Sequence[Any]) -> TextTable:
    """Rows of ``dscourse.hashing.dynamo.Availability``: outcomes and where the value ended up."""
    rows = [[len(a.down), ", ".join(map(str, a.down)) or "-",
             "sloppy" if a.sloppy else "strict", a.write, a.read,
             "-" if a.read_value is None else a.read_value,
             ", ".join(map(str, a.holders)) or "-",
             ", ".join(f"{s} for {t}" for s, t in a.hinted) or "-"] for a in results]
    return format_table(["down", "crashed", "quorum", "write", "read", "read value",
                         "replicas holding it", "hints held"], rows)
