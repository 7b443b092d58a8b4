"""The small-scope model checker: generic behaviour on toy protocols, bounds, replay."""

from dataclasses import dataclass

import pytest

from dscourse.sim import Node
from dscourse.sim.explore import Step, explore, replay, state_key_without, state_text


@dataclass(frozen=True)
class Read:
    pass


@dataclass(frozen=True)
class Value:
    n: int


@dataclass(frozen=True)
class Write:
    n: int


class Server(Node):
    def __init__(self, node_id):
        super().__init__(node_id)
        self.count = 0
        self.writes = 0

    def on_read(self, src, msg):
        self.ctx.send(src, Value(self.count))

    def on_write(self, src, msg):
        self.count = msg.n
        self.writes += 1


class Client(Node):
    """Read-modify-write without a lock: two of them can lose an update."""

    def on_start(self):
        self.ctx.send("s", Read())

    def on_value(self, src, msg):
        self.ctx.send("s", Write(msg.n + 1))


def racy():
    return [Server("s"), Client("c1"), Client("c2")]


def no_lost_update(nodes):
    s = nodes["s"]
    return s.count == s.writes or f"{s.writes} writes but count {s.count}"


def test_finds_the_lost_update_with_a_shortest_schedule():
    result = explore(racy, {"no_lost_update": no_lost_update}, max_depth=10)
    cx = result.counterexample
    assert not result.ok and cx.invariant == "no_lost_update"
    # Both reads must reach the server before either write: 2 reads, 2 values, 2 writes.
    assert len(cx) == 6
    assert [s.kind for s in cx.schedule] == ["deliver"] * 6
    # Nothing shorter exists: the whole space one step shallower is clean.
    shallower = explore(racy, {"no_lost_update": no_lost_update}, max_depth=5)
    assert shallower.ok and shallower.exhausted


def test_the_counterexample_replays_on_the_simulator():
    cx = explore(racy, {"no_lost_update": no_lost_update}).counterexample
    sim = cx.replay()
    assert [v.name for v in sim.violations] == ["no_lost_update"]
    assert sim.node("s").count == 1 and sim.node("s").writes == 2
    assert sim.trace.count("deliver") == len(cx)
    times = [r.time for r in sim.trace.select("deliver")]
    assert times == sorted(times) and len(set(times)) == len(times)   # one step per ms
    assert "deliver c1 -> s: Write(1)" in cx.table()


def test_exploration_is_deterministic():
    a = explore(racy, {"no_lost_update": no_lost_update})
    b = explore(racy, {"no_lost_update": no_lost_update})
    assert a == b
    inv = {"no_lost_update": no_lost_update}
    assert replay(racy, a.counterexample.schedule, invariants=inv).trace.digest() == \
        a.counterexample.replay().trace.digest()


def test_a_correct_system_is_exhausted_within_the_bound():
    result = explore(racy, {"writes_counted": lambda nodes: nodes["s"].writes <= 2}, max_depth=20)
    assert result.ok and result.exhausted and result.counterexample is None
    assert result.depth == 6                       # 2 reads, 2 values, 2 writes, then quiet
    assert "no violation" in result.table()


def test_max_states_stops_the_search_and_says_so():
    result = explore(racy, {"writes_counted": lambda nodes: True}, max_states=5)
    assert result.ok and not result.exhausted and result.states == 5
    assert "stopped at max_states" in result.table()


@dataclass(frozen=True)
class Inc:
    pass


class Counter(Node):
    def __init__(self, node_id):
        super().__init__(node_id)
        self.count = 0

    def on_inc(self, src, msg):
        self.count += 1


class Sender(Node):
    def on_start(self):
        self.ctx.send("s", Inc())


def test_duplicates_are_explored_only_within_their_budget():
    build = lambda: [Counter("s"), Sender("c")]       # noqa: E731
    once = {"at_most_once": lambda nodes: nodes["s"].count <= 1}
    assert explore(build, once).ok
    cx = explore(build, once, duplicates=1).counterexample
    assert [s.kind for s in cx.schedule] == ["deliver", "duplicate"] or \
        [s.kind for s in cx.schedule] == ["duplicate", "deliver"]
    sim = cx.replay()
    assert sim.trace.count("dup") == 1 and sim.node("s").count == 2


def test_a_dropped_message_replays_as_a_drop():
    build = lambda: [Counter("s"), Sender("c")]       # noqa: E731
    result = explore(build, {"never": lambda nodes: True}, drops=1)
    assert result.ok and result.exhausted and result.states == 3   # sent, delivered, dropped
    sim = replay(build, [Step("drop", "s", "c", state_text(Inc()))])
    assert [r.data for r in sim.trace.select("drop")] == ["loss"]
    assert sim.node("s").count == 0


class Alarms(Node):
    def __init__(self, node_id):
        super().__init__(node_id)
        self.fired = []

    def on_start(self):
        self.ctx.set_timer(10, "early")
        self.ctx.set_timer(500, "late")

    def on_timer(self, name, payload):
        self.fired.append(name)


def test_timers_fire_in_any_order_and_replay_no_earlier_than_due():
    inv = {"early_first": lambda nodes: nodes["t"].fired[:1] != ["late"]}
    cx = explore(lambda: [Alarms("t")], inv).counterexample
    assert [s.describe() for s in cx.schedule] == ["timer at t: 'late'"]
    sim = cx.replay()
    assert sim.trace.select("timer")[0].time >= 500
    assert not explore(lambda: [Alarms("t")], inv, timer_fires=0).counterexample


def test_state_key_decides_which_states_are_the_same():
    inv = {"fine": lambda nodes: True}
    full = explore(racy, inv)
    coarse = explore(racy, inv, state_key=state_key_without("count", "writes"))
    assert coarse.exhausted and coarse.states < full.states


@pytest.mark.parametrize("kwargs, error, match", [
    ({"max_depth": -1}, ValueError, "max_depth must be at least 0"),
    ({"max_depth": 2.5}, TypeError, "max_depth must be an integer"),
    ({"max_depth": 10_000}, ValueError, "max_depth must be at most"),
    ({"max_states": 0}, ValueError, "max_states must be at least 1"),
    ({"crashes": -1}, ValueError, "crashes must be at least 0"),
    ({"timer_fires": -2}, ValueError, "timer_fires must be at least 0"),
    ({"crashable": ["nobody"]}, ValueError, "not a known node"),
    ({"state_key": "count"}, TypeError, "state_key must be a function"),
])
def test_bad_bounds_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        explore(racy, {"ok": lambda nodes: True}, **kwargs)


def test_bad_systems_and_invariants_are_refused():
    ok = {"ok": lambda nodes: True}
    with pytest.raises(ValueError, match="no nodes"):
        explore(lambda: [], ok)
    with pytest.raises(ValueError, match="two nodes with id 's'"):
        explore(lambda: [Server("s"), Server("s")], ok)
    with pytest.raises(TypeError, match="Node instances"):
        explore(lambda: ["s"], ok)
    with pytest.raises(TypeError, match="build must be a function"):
        explore(racy(), ok)
    with pytest.raises(TypeError, match="non-empty dict"):
        explore(racy, {})
    with pytest.raises(TypeError, match="map names"):
        explore(racy, {"x": 3})
    with pytest.raises(ValueError, match="not a known node"):
        replay(racy, [Step("deliver", "nobody", "c1", "")])
    with pytest.raises(RuntimeError, match="diverged"):
        replay(racy, [Step("deliver", "s", "c1", "Write(n=7)")])
