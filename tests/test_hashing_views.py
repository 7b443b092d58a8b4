"""The ring's views and the ring explorer widget, driven without a browser."""

import pytest

from dscourse.hashing import ConsistentHashRing, JumpHash, ModuloHash, balance_vs_vnodes, compare
from dscourse.viz.ring import (
    balance_table,
    comparison_table,
    draw_balance,
    draw_ring,
    lookup_rates,
    moves_table,
    rates_table,
    ring_graph,
    ring_table,
)
from dscourse.widgets.ring import RingExplorer

KEYS = [f"key-{i}" for i in range(60)]


def test_ring_graph_is_the_cycle_of_virtual_nodes_in_ring_order():
    ring = ConsistentHashRing(["A", "B", "C"], 3)
    g = ring_graph(ring)
    points = ring.points()
    assert g.number_of_nodes() == 9 and g.number_of_edges() == 9
    for a, b in zip(points, points[1:] + points[:1]):
        assert g.has_edge((a.node, a.index), (b.node, b.index))


def test_draw_ring_shows_one_band_per_arc_and_every_key():
    ring = ConsistentHashRing(["A", "B", "C"], 3)
    fig = draw_ring(ring, KEYS, moved=KEYS[:5])
    ax = fig.axes[0]
    bands = [p for p in ax.patches if p.get_facecolor()[:3] != (0.9333333333333333,) * 3]
    assert len(bands) == len([a for a in ring.arcs() if a.length])
    offsets = [c.get_offsets() for c in ax.collections]
    assert any(len(o) == len(KEYS) for o in offsets)          # the keys
    assert any(len(o) == 5 for o in offsets)                  # the moved ones, ringed
    assert "3 nodes x 3 virtual nodes, 60 keys" in ax.get_title()
    empty = draw_ring(ConsistentHashRing(), KEYS)
    assert empty.axes[0].get_title() == "empty ring"
    with pytest.raises(TypeError, match="ring must be a ConsistentHashRing"):
        draw_ring(ModuloHash(["a"]))


def test_ring_and_moves_tables_count_keys():
    ring = ConsistentHashRing(["A", "B", "C"], 3)
    table = ring_table(ring, KEYS)
    counts = {row[0]: row[4] for row in table.rows}
    owners = ring.assign(KEYS)
    assert counts == {n: owners.count(n) for n in "ABC"}
    after = ring.copy()
    after.add_node("D")
    moves = moves_table(ring, after, KEYS)
    moved = sum(1 for a, b in zip(owners, after.assign(KEYS)) if a != b)
    assert moves.startswith(f"{moved} of 60 keys moved")
    assert ring_table(ring).headers == ("node", "vnodes", "weight", "ring share")
    assert all(row[1] == "D" for row in moves.rows)          # every moved key went to D
    assert sum(row[2] for row in moves.rows) == moved


def test_balance_plot_and_table():
    points = balance_vs_vnodes([1, 10, 100], nodes=5, trials=2)
    assert points[0].std_over_mean > points[1].std_over_mean > points[2].std_over_mean
    fig = draw_balance(points)
    assert fig.axes[0].get_xscale() == "log"
    assert balance_table(points).rows[1][0] == 10


def test_comparison_and_rates_tables():
    nodes = [f"n{i}" for i in range(5)]
    rows = compare({"modulo": ModuloHash(nodes), "jump": JumpHash(nodes)}, KEYS * 1,
                   join="n5", leave="n2")
    table = comparison_table(rows)
    assert rows[1].leave is None and "cannot remove" in rows[1].leave_error
    assert table.rows[1][-1] == "cannot"
    rates = lookup_rates({"modulo": ModuloHash(nodes)}, KEYS, repeat=1)
    assert rates["modulo"] > 0 and "modulo" in rates_table(rates)


def test_explorer_buttons_and_slider_change_the_ring_and_count_moves():
    panel = RingExplorer(["A", "B", "C"], vnodes=3, keys=60, render=False)
    before = panel.ring.copy()
    panel.name.value = "D"
    panel.add_button.click()
    assert panel.ring.nodes == ("A", "B", "C", "D")
    expected = sum(1 for a, b in zip(before.assign(KEYS), panel.ring.assign(KEYS)) if a != b)
    assert panel.last.moved == expected == len(panel.moved_keys)
    assert panel.last.ideal == pytest.approx(1 / 4)
    assert f"{expected} of 60 keys moved" in panel.message.value
    assert "D" in panel.remove_choice.options

    owned_by_b = panel.ring.assign(KEYS).count("B")
    panel.remove_choice.value = "B"
    panel.remove_button.click()
    assert "B" not in panel.ring.nodes and panel.last.moved == owned_by_b
    assert panel.last.ideal == pytest.approx(owned_by_b / 60)

    panel.vnodes_slider.value = 10
    assert panel.ring.vnodes == 10 and panel.ring.vnode_count("A") == 10
    assert panel.last.action == "vnodes 3 -> 10" and panel.last.ideal is None
    assert [row[1] for row in panel.log_table().rows] == ["add D", "remove B", "vnodes 3 -> 10"]

    panel.reset_button.click()
    assert panel.ring.nodes == ("A", "B", "C") and panel.ring.vnodes == 3 and not panel.log
    assert panel.vnodes_slider.value == 3


def test_explorer_shows_errors_instead_of_raising():
    panel = RingExplorer(["A", "B"], vnodes=2, keys=10, render=False)
    panel.name.value = "A"
    panel.add_button.click()
    assert "already present" in panel.message.value and panel.ring.nodes == ("A", "B")
    panel.name.value = "  "
    panel.add_button.click()
    assert "non-empty" in panel.message.value and not panel.log
    panel.remove_node("A")
    panel.remove_node("B")
    assert len(panel.ring) == 0 and panel.last.moved == 10     # keys have nowhere to go
    panel.remove_choice.options = ["ghost"]
    panel.remove_button.click()
    assert "not a known node" in panel.message.value
    with pytest.raises(ValueError, match="vnodes must be at most 64"):
        panel.set_vnodes(65)
    with pytest.raises(TypeError, match="key must be a str or bytes"):
        RingExplorer(keys=[1, 2], render=False)


def test_explorer_renders_views_into_its_output():
    panel = RingExplorer(["A", "B"], vnodes=2, keys=20)
    assert panel.renders == 1
    assert bytes(panel.picture.value[:4]) == b"\x89PNG"
    panel.add_node("C")
    assert panel.renders == 2
    assert "<pre" in panel.tables.value and "moved" in panel.tables.value
    views = panel.views()
    assert len(views) == 3 and str(views[2]).startswith(f"{panel.last.moved} of 20 keys moved")
    assert panel.colours["A"] != panel.colours["C"]
