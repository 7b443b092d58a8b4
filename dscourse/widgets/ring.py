"""The ring explorer: add and remove nodes, change the virtual-node count, watch keys move.

Every control calls a plain method (``add_node``, ``remove_node``,
``set_vnodes``, ``reset``), so a test drives the same logic without a browser:
set ``panel.name.value`` and ``panel.add_button.click()``, or call the method,
then read ``panel.ring``, ``panel.last`` (what the latest change moved) and
``panel.log``. After each change the panel redraws the ring (moved keys are
ringed in black, into an ``Image`` widget) with its text tables (into an
``HTML`` widget): keys per node, and which keys went from which node to which.

    panel = RingExplorer(["A", "B", "C"], vnodes=3, keys=60)
    panel            # shows the widget
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
from IPython.display import display

from ..hashing.ring import ConsistentHashRing
from ..sim.table import TextTable, format_table
from ..sim.validate import check_int
from ..viz.ring import draw_ring, moves_table, node_colours, ring_table
from .render import figure_png, text_html


@dataclass(frozen=True)
class Change:
    """One change made in the explorer and what it moved."""
    action: str
    nodes_after: int
    moved: int
    keys: int
    ideal: float | None      # the fraction that had to move (None: no such ideal)

    @property
    def fraction(self) -> float:
        return self.moved / self.keys if self.keys else 0.0


class RingExplorer:
    """A consistent-hash ring to play with; see the module docstring.

    Parameters
    ----------
    nodes : list of node ids
        The nodes the ring starts (and resets) with.
    vnodes : int
        Virtual nodes per node at the start (the slider goes up to ``max_vnodes``).
    keys : int or list of str
        How many keys (``"key-0"``, ``"key-1"``, ...) or the keys themselves.
    """

    def __init__(self, nodes: Sequence[Any] = ("A", "B", "C"), *, vnodes: int = 3,
                 keys: int | Sequence[Any] = 60, hash: Any = "md5", max_vnodes: int = 64,
                 render: bool = True, title: str = "Consistent-hash ring explorer") -> None:
        self.initial_nodes = list(nodes)
        self.initial_vnodes = check_int("vnodes", vnodes, minimum=1)
        self.max_vnodes = check_int("max_vnodes", max_vnodes, minimum=self.initial_vnodes)
        if isinstance(keys, int) and not isinstance(keys, bool):
            keys = [f"key-{i}" for i in range(check_int("keys", keys, minimum=0))]
        self.keys = list(keys)
        self.hash = hash
        self.title = title
        self.render_enabled = render
        self.renders = 0
        self.ring = ConsistentHashRing(self.initial_nodes, self.initial_vnodes, hash=hash)
        for key in self.keys:                 # a bad key fails here, clearly, not mid-click
            self.ring.key_position(key)
        self.colours: dict = {}
        self._remember_colours()
        self.log: list[Change] = []
        self.moved_keys: list = []
        self._build_ui()
        self._refresh()

    # ------------------------------------------------------------------ logic
    @property
    def last(self) -> Change | None:
        return self.log[-1] if self.log else None

    def _owners(self, ring: ConsistentHashRing) -> list:
        return ring.assign(self.keys) if len(ring) else [None] * len(self.keys)

    def _change(self, action: str, mutate, ideal: float | None) -> Change:
        before = self.ring.copy()
        after = self.ring.copy()
        mutate(after)                 # raises before anything changes if the input is bad
        old, new = self._owners(before), self._owners(after)
        self.moved_keys = [k for k, a, b in zip(self.keys, old, new) if a != b]
        self.ring = after
        self._remember_colours()
        change = Change(action, len(after), len(self.moved_keys), len(self.keys), ideal)
        self.log.append(change)
        self._before = before
        self._refresh()
        return change

    def add_node(self, node: Any, weight: float = 1.0) -> Change:
        """Add a node: it should take about ``1/(n+1)`` of the keys, all from others."""
        n = len(self.ring)
        return self._change(f"add {node}", lambda r: r.add_node(node, weight),
                            1 / (n + 1))

    def remove_node(self, node: Any) -> Change:
        """Remove a node: exactly its keys move, each to the next node clockwise."""
        share = None
        if node in self.ring and self.keys:
            share = sum(1 for owner in self.ring.assign(self.keys) if owner == node) / len(self.keys)
        return self._change(f"remove {node}", lambda r: r.remove_node(node), share)

    def set_vnodes(self, vnodes: int) -> Change:
        """Change the virtual-node count (points ``0..V-1`` are kept, the rest added/removed)."""
        check_int("vnodes", vnodes, minimum=1, maximum=self.max_vnodes)
        return self._change(f"vnodes {self.ring.vnodes} -> {vnodes}",
                            lambda r: r.set_vnodes(vnodes), None)

    def reset(self) -> None:
        """Back to the starting nodes and virtual-node count; forget the log."""
        self.ring = ConsistentHashRing(self.initial_nodes, self.initial_vnodes, hash=self.hash)
        self.log = []
        self.moved_keys = []
        self._before = None
        self._refresh()

    def _remember_colours(self) -> None:
        # A node keeps its colour for the panel's life, new nodes take the next free one.
        fresh = node_colours(list(self.colours) + [n for n in self.ring.nodes
                                                   if n not in self.colours])
        for n in self.ring.nodes:
            self.colours.setdefault(n, fresh[n])

    def log_table(self) -> TextTable:
        """Every change so far: keys moved against what had to move."""
        rows = [[i + 1, c.action, c.nodes_after, c.moved, f"{100 * c.fraction:.1f}%",
                 "-" if c.ideal is None else f"{100 * c.ideal:.1f}%"]
                for i, c in enumerate(self.log)]
        return format_table(["#", "change", "nodes", "moved", "fraction", "had to move"], rows,
                            title=f"{len(self.keys)} keys")

    def views(self) -> list:
        """What the panel shows: the drawing and its text tables."""
        out = [draw_ring(self.ring, self.keys, moved=self.moved_keys, colours=self.colours),
               ring_table(self.ring, self.keys)]
        if self.log and self._before is not None:
            out.append(moves_table(self._before, self.ring, self.keys))
        return out

    # --------------------------------------------------------------------- UI
    def _build_ui(self) -> None:
        self._before = None
        self.name = w.Text(value="", placeholder="new node", description="node",
                           layout=w.Layout(width="200px"))
        self.add_button = w.Button(description="add node", button_style="success")
        self.add_button.on_click(lambda _b: self._try(self.add_node, self.name.value.strip()))
        self.remove_choice = w.Dropdown(options=list(self.ring.nodes), description="remove",
                                        layout=w.Layout(width="200px"))
        self.remove_button = w.Button(description="remove node", button_style="warning")
        self.remove_button.on_click(lambda _b: self._try(self.remove_node,
                                                         self.remove_choice.value))
        self.vnodes_slider = w.IntSlider(value=self.initial_vnodes, min=1, max=self.max_vnodes,
                                         description="vnodes", continuous_update=False)
        self._syncing = False
        self.vnodes_slider.observe(self._on_slider, names="value")
        self.reset_button = w.Button(description="reset", button_style="danger")
        self.reset_button.on_click(lambda _b: self.reset())
        self.message = w.HTML()
        # The views go into an Image and an HTML widget, not an Output widget: updating
        # them is a plain state change, which notebook runners (nbclient, nbval) handle
        # without mimicking a front end (nbclient's Output emulation can stall a run).
        self.picture = w.Image(format="png", layout=w.Layout(width="520px"))
        self.tables = w.HTML()
        self.ui = w.VBox([
            w.HTML(f"<b>{self.title}</b>"),
            w.HBox([self.name, self.add_button]),
            w.HBox([self.remove_choice, self.remove_button]),
            w.HBox([self.vnodes_slider, self.reset_button]),
            self.message,
            w.HBox([self.picture, self.tables]),
        ])

    def _try(self, fn, *args: Any) -> None:
        try:
            fn(*args)
        except (ValueError, TypeError) as exc:
            self._sync_controls()         # e.g. put the slider back where the ring is
            self.message.value = f"<span style='color:#D55E00'>{exc}</span>"

    def _on_slider(self, change: dict) -> None:
        if not self._syncing and change["new"] != self.ring.vnodes:
            self._try(self.set_vnodes, change["new"])

    def _refresh(self) -> None:
        if not hasattr(self, "ui"):
            return
        self._sync_controls()
        c = self.last
        if c is None:
            self.message.value = (f"{len(self.ring)} nodes, {self.ring.vnodes} virtual nodes "
                                  f"each, {len(self.keys)} keys")
        else:
            had = "" if c.ideal is None else f"; had to move: {100 * c.ideal:.1f}%"
            self.message.value = (f"{c.action}: {c.moved} of {c.keys} keys moved "
                                  f"({100 * c.fraction:.1f}%){had}")
        if self.render_enabled:
            self.renders += 1
            figure, *tables = self.views()
            self.picture.value = figure_png(figure)
            self.tables.value = "".join(text_html(t) for t in tables)

    def _sync_controls(self) -> None:
        self._syncing = True
        try:
            self.vnodes_slider.value = self.ring.vnodes
            self.remove_choice.options = list(self.ring.nodes)
        finally:
            self._syncing = False

    def _ipython_display_(self) -> None:
        display(self.ui)
