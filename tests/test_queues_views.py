"""Queue views, the rebalance widget, the spike scenario and the exercises' checkers."""

import matplotlib
import pytest

from dscourse.queues import build_pipeline, run_audited
from dscourse.queues.exercises import check_at_least_once, check_idempotent, check_range_assignment
from dscourse.queues.sim import spike_pipeline, spike_summary
from dscourse.viz.queues import (
    assignment_table,
    audit_table,
    draw_assignment,
    draw_audit,
    draw_lag,
    lag_series,
    lag_table,
    rebalance_table,
)
from dscourse.widgets.queues import RebalanceWidget, guarantee_panel

matplotlib.use("Agg")


# -- the spike: why a queue helps ------------------------------------------------------------------
@pytest.fixture(scope="module")
def spikes():
    out = {}
    for n in (1, 2, 4):
        pipe = spike_pipeline(0, n)
        assert pipe.run()
        out[n] = pipe
    return out


def test_more_consumers_drain_the_spike_sooner_and_the_producer_never_waits(spikes):
    s = {n: spike_summary(p) for n, p in spikes.items()}
    drained = [s[n]["lag back to 0 at (ms)"] for n in (1, 2, 4)]
    assert drained[0] > drained[1] > drained[2]
    assert s[1]["peak lag"] > 50                  # the queue absorbed the burst
    done = [s[n]["producer done at (ms)"] for n in (1, 2, 4)]
    assert max(done) - min(done) < 20             # the producer is decoupled from consumers
    assert max(done) < drained[0]


def test_lag_views_read_the_trace(spikes):
    trace = spikes[1].sim.trace
    series = lag_series(trace)
    assert sorted(series) == [f"orders-{i}" for i in range(4)]
    table = lag_table(trace, every=200.0)
    assert table.headers[-1] == "total" and table.rows[-1][-1] == 0
    assert max(row[-1] for row in table.rows) <= spike_summary(spikes[1])["peak lag"]
    fig = draw_lag(trace, marks={200.0: "spike"})
    assert len(fig.axes[0].lines) == 4 + 1 + 1          # partitions, total, the mark
    with pytest.raises(ValueError, match="sample_every"):
        lag_series(build_pipeline(0, messages=1).sim.trace)


def test_assignment_and_audit_views():
    a = {"c1": ["orders-0", "orders-1"], "c2": ["orders-2"], "c3": []}
    table = assignment_table(a, [f"orders-{i}" for i in range(4)])
    assert table.rows == [["orders-0", "c1"], ["orders-1", "c1"], ["orders-2", "c2"],
                          ["orders-3", "-"]]
    assert "idle members: c3" in table
    fig = draw_assignment(a, down=["c4"])
    assert any(t.get_text() == "c4 (down)" for t in fig.axes[0].texts)
    _, a1, _ = run_audited(0, None, messages=10)
    _, a2, _ = run_audited(0, None, messages=10, guarantee="at-most-once")
    t = audit_table({"at-least-once": a1, "at-most-once": a2})
    assert [r[:3] for r in t.rows] == [["at-least-once", 10, 0], ["at-most-once", 10, 0]]
    assert len(draw_audit({"x": a1}).axes[0].patches) == 3


# -- the widget ----------------------------------------------------------------------------------------
def test_widget_add_kill_restart_and_rebalance():
    w = RebalanceWidget(partitions=4, consumers=1, render=False)
    w.step()
    assert w.pipe.assignment() == {"c1": [f"orders-{i}" for i in range(4)]}
    w.add_button.click()
    w.step()
    assert w.pipe.assignment() == {"c1": ["orders-0", "orders-1"], "c2": ["orders-2", "orders-3"]}
    w.target.value = "c1"
    w.kill_button.click()
    assert w.status("c1") == "crashed"
    for _ in range(4):
        w.step_button.click()
    assert w.pipe.assignment() == {"c2": [f"orders-{i}" for i in range(4)]}
    assert "c1 missed heartbeats" in rebalance_table(w.pipe.sim.trace)
    w.kill_button.click()                                   # c1 is already down
    assert "is crashed, not up" in w.message.value
    w.restart_button.click()
    w.step()
    assert sorted(w.pipe.assignment()) == ["c1", "c2"]


def test_widget_replays_exactly_what_to_code_prints():
    w = RebalanceWidget(consumers=2, render=False)
    w.step()
    w.add_consumer()
    w.step()
    w.kill("c2")
    w.step()
    namespace = {}
    exec(w.to_code(), namespace)
    assert namespace["pipe"].sim.trace.digest() == w.pipe.sim.trace.digest()
    t = w.time
    w.seek(100.0)                                           # backwards: a replay
    w.seek(t)
    assert namespace["pipe"].sim.trace.digest() == w.pipe.sim.trace.digest()
    w.reset()
    assert w.actions == [] and w.time == 0


def test_widget_renders_its_views():
    w = RebalanceWidget(consumers=1, render=True)
    w.step()
    assert w.renders >= 2 and len(w.views()) == 4
    with pytest.raises(ValueError, match="not in the group"):
        w.kill("c9")


def test_guarantee_panel_shows_the_audit():
    panel = guarantee_panel("at-least-once", render=False, messages=10)
    panel.seek(600)
    text = str(panel.views[0](panel.sim))
    assert "at-least-once audit at t = 600 ms" in text
    assert "produced" in text


# -- the exercises: reference solutions pass, typical wrong answers fail ----------------------------------
def good_loop(consumer, process):
    for r in consumer.poll(5):
        process(r)
    consumer.commit()


def commit_first(consumer, process):
    batch = consumer.poll(5)
    consumer.commit()
    for r in batch:
        process(r)


def never_commits(consumer, process):
    for r in consumer.poll(5):
        process(r)


def off_by_one(consumer, process):
    for r in consumer.poll(5):
        process(r)
        consumer.commit({r.tp: r.offset})


def broken(consumer, process):
    return consumer.poll(5)[0].nope


@pytest.mark.parametrize("fn, passes, says", [
    (good_loop, True, ""),
    (commit_first, False, "committed before they were processed"),
    (never_commits, False, "never commits"),
    (off_by_one, False, "record.offset + 1"),
    (broken, False, "AttributeError"),
])
def test_check_at_least_once(fn, passes, says):
    fb = check_at_least_once(fn)
    assert fb.passed is passes and says in str(fb)


def h_good(record, db):
    with db.transaction():
        if not db.seen(record.msg_id):
            db.apply(record)
            db.mark(record.msg_id)


def h_plain(record, db):
    db.apply(record)


def h_offset_key(record, db):
    with db.transaction():
        if not db.seen((record.partition, record.offset)):
            db.apply(record)
            db.mark((record.partition, record.offset))


def h_not_atomic(record, db):
    if not db.seen(record.msg_id):
        db.apply(record)
        db.mark(record.msg_id)


def h_mark_first(record, db):
    if not db.seen(record.msg_id):
        db.mark(record.msg_id)
        db.apply(record)


@pytest.mark.parametrize("fn, passes, says", [
    (h_good, True, ""),
    (h_plain, False, "must be recognised"),
    (h_offset_key, False, "msg_id"),
    (h_not_atomic, False, "crash came before the dedup key"),
    (h_mark_first, False, "never took effect"),
])
def test_check_idempotent(fn, passes, says):
    fb = check_idempotent(fn)
    assert fb.passed is passes and says in str(fb)


def range_ref(members, n):
    members = sorted(members)
    share, extra = divmod(n, len(members))
    out, start = {}, 0
    for i, m in enumerate(members):
        k = share + (i < extra)
        out[m] = list(range(start, start + k))
        start += k
    return out


def range_extras_last(members, n):
    members = sorted(members)
    share, extra = divmod(n, len(members))
    out, start = {}, 0
    for i, m in enumerate(members):
        k = share + (i >= len(members) - extra)
        out[m] = list(range(start, start + k))
        start += k
    return out


def round_robin(members, n):
    members = sorted(members)
    out = {m: [] for m in members}
    for p in range(n):
        out[members[p % len(members)]].append(p)
    return out


def drops_idle(members, n):
    return {m: ps for m, ps in range_ref(members, n).items() if ps}


@pytest.mark.parametrize("fn, passes, says", [
    (range_ref, True, ""),
    (range_extras_last, False, "FIRST n % m members"),
    (round_robin, False, "contiguous"),
    (drops_idle, False, "every member must be a key"),
])
def test_check_range_assignment(fn, passes, says):
    fb = check_range_assignment(fn)
    assert fb.passed is passes and says in str(fb)
