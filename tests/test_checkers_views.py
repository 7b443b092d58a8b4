"""The history view (matplotlib) and its text forms."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from dscourse.checkers import (  # noqa: E402
    Register,
    check_linearizable,
    check_read_your_writes,
    corrupt_read,
    history_lanes,
    operations_table,
    register_history,
)
from dscourse.sim import History  # noqa: E402
from dscourse.viz.history import HOT_COLOUR, history_table, plot_history  # noqa: E402


def stale():
    h = History()
    h.invoke(0, "write", 1, time=0.0)
    h.ok(0, time=2.0)
    h.invoke(1, "read", time=3.0)
    h.ok(1, None, time=5.0)
    h.invoke(2, "write", 2, time=1.0)
    h.info(2, time=4.0)
    h.invoke(0, "read", time=6.0)
    return h


def test_lanes_draw_every_kind_of_operation():
    text = history_lanes(stale())
    lines = text.splitlines()
    assert lines[0] == "History lanes"
    assert lines[1].startswith("event")
    lane = {row[0]: row[1] for row in text.rows}
    assert lane[0].startswith("[write(1)") and lane[0].endswith(">")   # pending read at the end
    assert "~" in lane[2] and lane[2].endswith(">")                      # info runs off the edge
    assert "[..~> unknown outcome" in text


def test_lanes_highlight_and_zoom_on_a_window():
    h = register_history(400, 5, seed=2)
    bad, index = corrupt_read(h, seed=1)
    r = check_linearizable(bad, Register())
    text = r.lanes(width=100)
    assert all(len(line) <= 100 for line in text.splitlines()[:-1])
    hot = {op.process for op in r.window}
    for process, lane in text.rows:
        assert ("#" in lane) == (process in hot)
    # the range shown is the window's (plus a margin of 2 events), not the whole history
    assert text.start == max(0, min(op.invoke_index for op in r.window) - 2)
    assert text.stop == max(op.complete_index for op in r.window) + 2


def test_lanes_cut_long_histories_and_say_so():
    text = history_lanes(register_history(200, 3, seed=1), width=60)
    assert "the rest is cut" in text.splitlines()[0]


def test_operations_table_marks_the_window():
    h = stale()
    r = check_linearizable(h, Register())
    assert r.valid is False
    table = operations_table(h, highlight=r.window)
    marked = [row for row in table.rows if row[-1] == "*"]
    assert len(marked) == len(r.window) == 2


def test_plot_history_draws_bars_and_highlights():
    h = stale()
    r = check_linearizable(h, Register())
    fig = plot_history(h, r)
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    assert len(bars) == 4
    hot = [p for p in bars if matplotlib.colors.to_hex(p.get_facecolor()) == HOT_COLOUR.lower()]
    assert len(hot) == 2
    assert ax.get_xlabel() == "virtual time (ms)"
    assert "linearizable: False" in ax.get_title()


def test_plot_history_event_axis_and_consistency_results():
    h = History()
    h.invoke("a", "write", 1)
    h.ok("a")
    h.invoke("a", "read")
    h.ok("a", None)
    res = check_read_your_writes(h)
    fig = plot_history(h, res)
    assert fig.axes[0].get_xlabel() == "event index"
    assert "read your writes: violated" in fig.axes[0].get_title()
    table = history_table(h, res)
    assert [row[-1] for row in table.rows] == ["*", "*"]


def test_plot_history_zooms_on_a_long_history():
    h = register_history(600, 5, seed=3)
    bad, _ = corrupt_read(h, seed=3)
    r = check_linearizable(bad, Register())
    fig = plot_history(bad, r)
    lo, hi = fig.axes[0].get_xlim()
    full = bad.events[-1]["time"]
    assert hi - lo < full / 4
    assert len(history_table(bad, r).rows) == len(r.window)


def test_plot_history_bad_arguments():
    with pytest.raises(ValueError, match="axis must be"):
        plot_history(stale(), axis="log")
    with pytest.raises(TypeError, match="result must be"):
        plot_history(stale(), result="yes")
