"""The cluster view: nodes as a graph, drawn from a trace.

Nodes sit on a circle in id order (so the picture is the same every run),
coloured by a state field they recorded (``color_by``, e.g. ``"role"``), or by
status when there is none. Crashed nodes are grey, paused ones pale blue, cut
links are drawn red and dashed (one-way cuts with an arrow on the cut side),
and messages in flight are arrows with a count. ``cluster_table`` is the same
picture as text.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import networkx as nx

from ..sim.table import TextTable, format_table
from ..sim.trace import Trace
from .plots import GREY, PALETTE, ROLE_COLOURS, figure
from .snapshot import Snapshot, snapshot


def cluster_graph(snap: Snapshot) -> nx.DiGraph:
    """A directed graph of the snapshot: node attributes status/state, edge attributes cut/in_flight."""
    g = nx.DiGraph()
    for n in snap.nodes:
        g.add_node(n, status=snap.status[n], **snap.state.get(n, {}))
    for a in snap.nodes:
        for b in snap.nodes:
            if a != b:
                g.add_edge(a, b, cut=(a, b) in snap.cut, in_flight=0)
    for m in snap.in_flight:
        if g.has_edge(m.src, m.dst):
            g.edges[m.src, m.dst]["in_flight"] += 1
    return g


def _positions(nodes: Sequence[Any]) -> dict:
    n = len(nodes)
    return {node: (math.cos(math.pi / 2 - 2 * math.pi * i / n),
                   math.sin(math.pi / 2 - 2 * math.pi * i / n)) for i, node in enumerate(nodes)}


def _node_colour(status: str, state: dict, color_by: str | None, legend: dict) -> str:
    if status != "up":
        return ROLE_COLOURS[status]
    value = state.get(color_by) if color_by else None
    if value is None:
        return ROLE_COLOURS["up"]
    value = str(value)
    if value in ROLE_COLOURS:
        legend[value] = ROLE_COLOURS[value]
        return ROLE_COLOURS[value]
    if value not in legend:
        legend[value] = PALETTE[(len(legend) + 2) % len(PALETTE)]
    return legend[value]


def draw_cluster(trace: Trace, at: float | None = None, *, color_by: str | None = "role",
                 label_fields: Sequence[str] = (), title: str | None = None, ax=None,
                 show_messages: bool = True):
    """Draw the cluster as it was at time ``at``; returns the matplotlib Figure."""
    snap = snapshot(trace, at)
    g = cluster_graph(snap)
    fig, ax = (ax.figure, ax) if ax is not None else figure(4.6, 4.2)
    ax.set_axis_off()
    ax.set_aspect("equal")
    pos = _positions(snap.nodes)
    legend: dict = {}
    colours = [_node_colour(snap.status[n], snap.state.get(n, {}), color_by, legend)
               for n in snap.nodes]
    # links: healthy pairs thin grey, cut ones red dashed
    drawn = set()
    for a, b, data in sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        pair = tuple(sorted((a, b), key=str))
        if pair in drawn:
            continue
        drawn.add(pair)
        back = g.edges[b, a]["cut"]
        (x1, y1), (x2, y2) = pos[a], pos[b]
        if data["cut"] or back:
            ax.plot([x1, x2], [y1, y2], color="#D55E00", linestyle="--", linewidth=1.4, zorder=1)
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            ax.text(mx, my, "✂" if data["cut"] and back else "⇸", color="#D55E00",
                    ha="center", va="center", fontsize=11, zorder=3)
        else:
            ax.plot([x1, x2], [y1, y2], color="#CCCCCC", linewidth=1.0, zorder=1)
    if show_messages:
        for a, b, data in g.edges(data=True):
            k = data["in_flight"]
            if not k:
                continue
            (x1, y1), (x2, y2) = pos[a], pos[b]
            # an arrow a third of the way from sender to receiver, offset to its side
            dx, dy = x2 - x1, y2 - y1
            ox, oy = -dy * 0.06, dx * 0.06
            sx, sy = x1 + dx * 0.25 + ox, y1 + dy * 0.25 + oy
            ex, ey = x1 + dx * 0.55 + ox, y1 + dy * 0.55 + oy
            ax.annotate("", xy=(ex, ey), xytext=(sx, sy),
                        arrowprops={"arrowstyle": "->", "color": PALETTE[0], "lw": 1.2}, zorder=2)
            if k > 1:
                ax.text(ex, ey, f"×{k}", fontsize=7, color=PALETTE[0], zorder=3)
    xs = [pos[n][0] for n in snap.nodes]
    ys = [pos[n][1] for n in snap.nodes]
    ax.scatter(xs, ys, s=900, c=colours, edgecolors="black", linewidths=0.8, zorder=4)
    for n in snap.nodes:
        x, y = pos[n]
        status = snap.status[n]
        text = str(n) if status == "up" else f"{n}\n{status}"
        ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=5,
                color="white" if status == "up" else "black")
        extra = [f"{f}={snap.state.get(n, {}).get(f)}" for f in label_fields
                 if f in snap.state.get(n, {})]
        if extra:
            ax.text(x * 1.38, y * 1.3, "\n".join(extra), ha="center", va="center", fontsize=7)
    ax.set_xlim(-1.7, 1.7)
    ax.set_ylim(-1.6, 1.6)
    handles = [ax.scatter([], [], s=60, c=c, edgecolors="black", label=str(v))
               for v, c in sorted(legend.items(), key=lambda kv: str(kv[0]))]
    if any(s != "up" for s in snap.status.values()):
        handles.append(ax.scatter([], [], s=60, c=GREY, edgecolors="black", label="crashed"))
    if handles:
        ax.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7,
                  frameon=False, bbox_to_anchor=(0.5, -0.05))
    ax.set_title(title if title is not None else f"t = {snap.time:.0f} ms", fontsize=10)
    return fig


def cluster_table(trace: Trace, at: float | None = None, *,
                  fields: Sequence[str] | None = None) -> TextTable:
    """The cluster at time ``at`` as text: one row per node, then the cut links."""
    snap = snapshot(trace, at)
    if fields is None:
        fields = sorted({f for st in snap.state.values() for f in st})
    flying: dict = {}
    for m in snap.in_flight:
        flying[m.src] = flying.get(m.src, 0) + 1
    rows = []
    for n in snap.nodes:
        st = snap.state.get(n, {})
        rows.append([n, snap.status[n], flying.get(n, 0)] + [_short(st.get(f)) for f in fields])
    cut = sorted(snap.cut, key=lambda p: (str(p[0]), str(p[1])))
    title = f"t = {snap.time:.1f} ms; cut links: " + (", ".join(f"{a}->{b}" for a, b in cut)
                                                   if cut else "none")
    return format_table(["node", "status", "sending"] + list(fields), rows, title=title)


def _short(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
