"""The simulator's event loop, timers, crashes, pauses and clocks."""

import pytest

from dscourse.sim import Constant, FaultPlan, Node, SimulationNotQuiet, Simulator

from .conftest import Chatter, Msg, Recorder, chatter_sim


def test_events_run_in_time_order_and_ties_are_fifo():
    sim = Simulator(seed=0)
    seen = []
    for label in "abc":
        sim.at(5.0, seen.append, label)
    sim.at(1.0, seen.append, "first")
    sim.run()
    assert seen == ["first", "a", "b", "c"]
    assert sim.now == 5.0


def test_message_arrives_after_its_latency():
    sim = Simulator(seed=0, latency=Constant(7.0))
    a = sim.add_node(Recorder("a", plan=[(3.0, "b", 1)]))
    b = sim.add_node(Recorder("b"))
    sim.run()
    assert b.got == [("a", 1)] and a.got == []
    deliver = sim.trace.select("deliver")[0]
    assert deliver.time == pytest.approx(10.0)


def test_run_until_stops_at_the_time_and_sets_now():
    sim = chatter_sim()
    sim.run(until=100)
    assert sim.now == 100
    assert all(r.time <= 100 for r in sim.trace)
    with pytest.raises(ValueError, match="until=50 is in the past"):
        sim.run(until=50)


def test_run_max_events_counts_events():
    sim = chatter_sim()
    assert sim.run(max_events=17) == 17
    assert sim.events_processed == 17


def test_run_without_bounds_on_a_busy_system_raises_not_hangs(monkeypatch):
    monkeypatch.setattr("dscourse.sim.simulator.QUIET_LIMIT", 500)
    sim = chatter_sim()
    with pytest.raises(SimulationNotQuiet, match="pass until"):
        sim.run()


def test_run_until_quiet_returns_when_nothing_is_left():
    sim = Simulator(seed=0)
    sim.add_node(Recorder("a", plan=[(1.0, "b", 1)]))
    sim.add_node(Recorder("b"))
    sim.run()
    assert sim.pending_events == 0
    assert not sim.step()


def test_step_processes_one_event():
    sim = chatter_sim()
    assert sim.step() is True
    assert sim.events_processed == 1


def test_timer_cancel():
    class Canceller(Node):
        def on_start(self):
            self.fired = []
            keep = self.ctx.set_timer(10, "keep")
            drop = self.ctx.set_timer(5, "drop")
            self.ctx.cancel_timer(drop)
            self.keep = keep

        def on_timer(self, name, payload):
            self.fired.append(name)

    sim = Simulator()
    node = sim.add_node(Canceller("x"))
    sim.run()
    assert node.fired == ["keep"]


def test_crash_loses_volatile_state_keeps_storage_and_kills_timers():
    class Counter(Node):
        def __init__(self, node_id):
            super().__init__(node_id)
            self.volatile = 0

        def on_start(self):
            self.ctx.storage["boots"] = self.ctx.storage.get("boots", 0) + 1
            self.ctx.set_timer(10, "tick")

        def on_timer(self, name, payload):
            self.volatile += 1
            self.ctx.set_timer(10, "tick")

    sim = Simulator()
    sim.add_node(Counter("c"))
    sim.run(until=55)
    before = sim.nodes["c"]
    assert before.volatile == 5
    sim.crash("c")
    sim.run(until=200)
    assert sim.status("c") == "crashed"
    assert before.volatile == 5            # no timer fired while crashed
    sim.recover("c")
    after = sim.nodes["c"]
    assert after is not before and after.volatile == 0
    assert sim.storage("c")["boots"] == 2
    sim.run(until=225)
    assert after.volatile == 2


def test_messages_to_a_crashed_node_are_dropped_and_counted():
    sim = Simulator(seed=0, latency=Constant(5))
    sim.add_node(Recorder("a", plan=[(1.0, "b", 1), (20.0, "b", 2)]))
    b = sim.add_node(Recorder("b"))
    FaultPlan().crash("b", at=3).recover("b", at=10).apply(sim)
    sim.run()
    assert sim.nodes["b"].got == [("a", 2)] and b.got == []
    assert sim.stats()["dropped"] == {"crashed": 1}


def test_pause_holds_messages_and_freezes_the_clock():
    sim = Simulator(seed=0, latency=Constant(5))
    sim.add_node(Recorder("a", plan=[(1.0, "b", 1)]))
    b = sim.add_node(Recorder("b"))
    sim.run(until=2)
    sim.pause("b", duration=100)
    sim.run(until=50)
    assert b.got == []                       # held, not lost
    sim.run(until=103)
    assert b.got == [("a", 1)]
    # the frozen clock stood still for the 100 ms of the pause
    assert sim.clock("b").read(sim.now) == pytest.approx(3.0)
    assert sim.stats()["dropped"] == {}


def test_pause_without_freeze_keeps_time():
    sim = Simulator()
    sim.add_node(Recorder("b"))
    sim.pause("b", duration=100, freeze_clock=False)
    sim.run(until=150)
    assert sim.clock("b").read(150) == pytest.approx(150)


def test_timers_follow_the_local_clock_drift():
    class Once(Node):
        def on_start(self):
            self.ctx.set_timer(100, "t")

        def on_timer(self, name, payload):
            self.fired_at = self.ctx.clock()

    sim = Simulator()
    sim.add_node(Once("fast"))
    sim.set_clock("fast", drift=1.0)     # runs twice as fast as true time
    sim.run()
    assert sim.now == pytest.approx(50)
    assert sim.nodes["fast"].fired_at == pytest.approx(100)


def test_skew_shifts_readings_but_not_timers():
    sim = Simulator()
    sim.add_node(Recorder("a"))
    sim.set_clock("a", skew=-30)
    assert sim.clock("a").read(0) == -30
    assert sim.clock("a").monotonic(0) == 0


def test_remove_node_drops_it_from_peers():
    sim = chatter_sim(n=3)
    sim.run(until=10)
    sim.remove_node("n2")
    assert sim.node_ids == ("n0", "n1")
    assert sim.nodes["n0"].ctx.peers == ("n1",)
    assert sim.status("n2") == "departed"


def test_invariants_are_checked_after_every_event_and_recorded_not_raised():
    sim = chatter_sim()
    sim.add_invariant("few_messages", lambda s: s.nodes["n0"].sent < 3 or "n0 sent too much")
    sim.run(until=200)
    assert len(sim.violations) == 1
    v = sim.violations[0]
    assert v.name == "few_messages" and v.message == "n0 sent too much"
    assert v.time == pytest.approx(30.0)
    assert sim.trace.count("violation") == 1


def test_invariant_recovers_and_fails_again_is_recorded_twice():
    state = {"bad": False}
    sim = Simulator()
    sim.add_invariant("flag", lambda s: not state["bad"])
    sim.at(1, state.update, {"bad": True})
    sim.at(2, state.update, {"bad": False})
    sim.at(3, state.update, {"bad": True})
    sim.run()
    assert [v.time for v in sim.violations] == [1, 3]


def test_history_records_client_operations():
    from dscourse.basics import EchoClient, EchoServer
    sim = Simulator(seed=2, latency=Constant(5))
    sim.add_node(EchoServer("s"))
    sim.add_node(EchoClient("c", "s", count=3, interval=10, timeout=50))
    sim.run()
    ops = sim.history.operations()
    assert [(o.type, o.result) for o in ops] == [("ok", 0), ("ok", 1), ("ok", 2)]
    assert ops[0].invoke_time == 0 and ops[0].complete_time == 10


def test_unknown_message_handler_is_a_clear_error():
    class Mute(Node):
        pass

    sim = Simulator()
    sim.add_node(Recorder("a", plan=[(1, "b", 1)]))
    sim.add_node(Mute("b"))
    with pytest.raises(NotImplementedError, match="on_msg"):
        sim.run()


def test_chatter_reaches_everyone(sim3):
    sim3.run(until=500)
    assert all(node.got for node in sim3.nodes.values())
    assert isinstance(sim3.nodes["n0"], Chatter)
    assert Msg(1) == Msg(1)
