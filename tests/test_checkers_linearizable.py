"""Linearizability checker: hand-written histories with known verdicts, every model.

Histories are written as event lists: ``I(p, f, v)`` invokes, ``O(p, v)`` /
``F(p)`` / ``N(p)`` complete ok / fail / info. Real-time order is list order.
"""

import pytest

from dscourse.checkers import (
    UNKNOWN,
    CASRegister,
    Counter,
    KVMap,
    Model,
    Register,
    check_linearizable,
)
from dscourse.sim import History


def I(p, f, v=None):  # noqa: E743  (I/O/F/N: invoke, ok, fail, info)
    return {"process": p, "type": "invoke", "f": f, "value": v}


def _done(kind):
    def make(p, v=None, f=None):
        return {"process": p, "type": kind, "f": f, "value": v}
    return make


O, F, N = _done("ok"), _done("fail"), _done("info")  # noqa: E741


def hist(*events):
    """Fill in each completion's f from its invocation."""
    pending, out = {}, []
    for e in events:
        e = dict(e)
        if e["type"] == "invoke":
            pending[e["process"]] = e["f"]
        elif e["f"] is None:
            e["f"] = pending.pop(e["process"])
        out.append(e)
    return History.from_events(out)


def verdict(h, model, **kw):
    return check_linearizable(h, model, **kw).valid


# -- registers: the classic examples ------------------------------------------------
def test_sequential_write_then_read_is_linearizable():
    h = hist(I(0, "write", 1), O(0), I(1, "read"), O(1, 1))
    r = check_linearizable(h, Register())
    assert r.valid is True and bool(r)
    assert [op.f for op in r.linearization] == ["write", "read"]


def test_stale_read_after_a_completed_write_is_not_linearizable():
    h = hist(I(0, "write", 1), O(0), I(1, "read"), O(1, None))
    r = check_linearizable(h, Register())
    assert r.valid is False and not r
    assert r.failed_op.process == 1 and r.failed_op.f == "read"
    # the window is exactly the write and the stale read
    assert sorted((op.process, op.f) for op in r.window) == [(0, "write"), (1, "read")]
    assert r.window_minimal
    assert "cannot all be true" in r.explanation
    assert "failed op" in r.table()


def test_read_concurrent_with_a_write_may_see_either_value():
    for seen in (None, 1):
        h = hist(I(0, "write", 1), I(1, "read"), O(1, seen), O(0))
        assert verdict(h, Register()) is True, seen


def test_read_of_a_value_never_written_fails_with_a_window_of_one():
    h = hist(I(0, "write", 1), O(0), I(1, "read"), O(1, 7))
    r = check_linearizable(h, Register())
    assert r.valid is False
    assert [op.process for op in r.window] == [1]


def test_concurrent_writes_either_order_is_fine_but_reads_must_agree():
    base = [I(0, "write", 1), I(1, "write", 2), O(0), O(1)]
    for last in (1, 2):
        assert verdict(hist(*base, I(2, "read"), O(2, last)), Register()) is True
    # two later sequential reads that disagree: 2 then 1 cannot be explained
    h = hist(*base, I(2, "read"), O(2, 2), I(2, "read"), O(2, 1))
    assert verdict(h, Register()) is False
    # ... nor can 1 then 2 (both writes finished before the reads)
    h = hist(*base, I(2, "read"), O(2, 1), I(2, "read"), O(2, 2))
    assert verdict(h, Register()) is False


def test_reads_must_not_go_back_in_time_across_processes():
    # p2 sees the new value, then p3 (starting after p2 finished) sees the old one
    h = hist(I(0, "write", 1), I(1, "read"), O(1, 1), I(2, "read"), O(2, None), O(0))
    r = check_linearizable(h, Register())
    assert r.valid is False
    assert {op.process for op in r.window} == {1, 2}


def test_failed_write_did_not_happen():
    h = hist(I(0, "write", 1), F(0), I(1, "read"), O(1, 1))
    assert verdict(h, Register()) is False
    h = hist(I(0, "write", 1), F(0), I(1, "read"), O(1, None))
    assert verdict(h, Register()) is True


def test_info_write_may_take_effect_later():
    # the write timed out; a read much later sees it: allowed
    h = hist(I(0, "write", 1), N(0), I(1, "read"), O(1, None), I(1, "read"), O(1, 1))
    assert verdict(h, Register()) is True


def test_info_write_may_never_take_effect():
    h = hist(I(0, "write", 1), N(0), I(1, "read"), O(1, None), I(1, "read"), O(1, None))
    assert verdict(h, Register()) is True


def test_info_write_takes_effect_at_most_once():
    # seen, then overwritten, then seen again: one write cannot take effect twice
    h = hist(I(0, "write", 1), N(0), I(1, "read"), O(1, 1), I(1, "write", 2), O(1),
             I(1, "read"), O(1, 1))
    r = check_linearizable(h, Register())
    assert r.valid is False
    assert [(op.f, op.process) for op in r.window] == [("read", 1), ("write", 1), ("read", 1)]


def test_info_write_cannot_take_effect_before_it_was_invoked():
    h = hist(I(1, "read"), O(1, 1), I(0, "write", 1), N(0))
    assert verdict(h, Register()) is False


def test_pending_operation_at_the_end_counts_as_info():
    h = hist(I(0, "write", 1), I(1, "read"), O(1, 1))
    assert verdict(h, Register()) is True


def test_register_initial_value():
    h = hist(I(0, "read"), O(0, 0))
    assert verdict(h, Register()) is False
    assert verdict(h, Register(initial=0)) is True


def test_json_lists_are_values():
    h = hist(I(0, "write", [1, 2]), O(0), I(1, "read"), O(1, [1, 2]))
    assert verdict(h, Register()) is True


def test_plain_event_lists_are_accepted():
    events = [I(0, "write", 1), O(0, None, "write"), I(1, "read"), O(1, 1, "read")]
    assert verdict(events, Register()) is True


# -- compare-and-set -------------------------------------------------------------
def test_cas_success_and_failure():
    h = hist(I(0, "write", 1), O(0), I(1, "cas", [1, 2]), O(1), I(2, "read"), O(2, 2))
    assert verdict(h, CASRegister()) is True
    # a cas that reported success although the value was not the expected one
    h = hist(I(0, "write", 1), O(0), I(1, "cas", [5, 2]), O(1), I(2, "read"), O(2, 2))
    assert verdict(h, CASRegister()) is False
    # a failed cas did not take effect
    h = hist(I(0, "write", 1), O(0), I(1, "cas", [1, 2]), F(1), I(2, "read"), O(2, 2))
    assert verdict(h, CASRegister()) is False


def test_two_successful_cas_from_the_same_value_is_not_linearizable():
    h = hist(I(0, "write", 0), O(0), I(1, "cas", [0, 1]), I(2, "cas", [0, 2]), O(1), O(2))
    r = check_linearizable(h, CASRegister())
    assert r.valid is False
    assert {op.process for op in r.window} == {1, 2}


def test_info_cas_may_or_may_not_have_swapped():
    start = [I(0, "write", 0), O(0), I(1, "cas", [0, 1]), N(1)]
    for seen in (0, 1):
        assert verdict(hist(*start, I(2, "read"), O(2, seen)), CASRegister()) is True
    assert verdict(hist(*start, I(2, "read"), O(2, 3)), CASRegister()) is False


# -- counter ---------------------------------------------------------------------
def test_counter_concurrent_adds_and_reads():
    h = hist(I(0, "add", 1), I(1, "add", 2), I(2, "read"), O(2, 1), O(0), O(1),
             I(2, "read"), O(2, 3))
    assert verdict(h, Counter()) is True
    # a read that sees 2 when only 1 and 2 (= 3) or 1 or 0 are possible sums... 2 is
    # reachable (add 2 first); 4 is not
    h = hist(I(0, "add", 1), I(1, "add", 2), I(2, "read"), O(2, 4), O(0), O(1))
    assert verdict(h, Counter()) is False


def test_counter_lost_update_is_caught():
    # two increments both completed, the read after them sees only one
    h = hist(I(0, "increment"), I(1, "increment"), O(0), O(1), I(2, "read"), O(2, 1))
    r = check_linearizable(h, Counter())
    assert r.valid is False
    assert len(r.window) == 3


def test_counter_info_adds_may_or_may_not_count():
    start = [I(0, "add", 5), N(0), I(1, "add", 1), O(1)]
    for seen in (1, 6):
        assert verdict(hist(*start, I(2, "read"), O(2, seen)), Counter()) is True
    assert verdict(hist(*start, I(2, "read"), O(2, 5)), Counter()) is False


# -- key-value map, P-compositionality ----------------------------------------------
def kvw(p, k, v):
    return I(p, "write", [k, v])


def kvr(p, k):
    return I(p, "read", [k, None])


def test_kv_keys_are_independent():
    h = hist(kvw(0, "x", 1), O(0), kvw(0, "y", 2), O(0),
             kvr(1, "x"), O(1, ["x", 1]), kvr(1, "y"), O(1, ["y", 2]))
    r = check_linearizable(h, KVMap())
    assert r.valid is True and r.parts == 2


def test_kv_reports_the_bad_key_and_its_window():
    h = hist(kvw(0, "x", 1), O(0), kvw(0, "y", 2), O(0),
             kvr(1, "x"), O(1, ["x", 1]), kvr(1, "y"), O(1, ["y", None]))
    r = check_linearizable(h, KVMap())
    assert r.valid is False and r.key == "y"
    assert all(op.value[0] == "y" for op in r.window)
    assert "key 'y'" in r.explanation


def test_kv_writes_may_complete_with_none_or_the_pair():
    h = hist(kvw(0, "x", 1), O(0, None), kvw(0, "x", 2), O(0, ["x", 2]),
             kvr(1, "x"), O(1, ["x", 2]))
    assert verdict(h, KVMap()) is True


def test_kv_verdict_equals_per_key_register_verdicts():
    # P-compositionality: the map is linearizable iff each key's sub-history is
    from dscourse.checkers import kv_history
    from dscourse.checkers.generate import corrupt_read
    h = kv_history(120, 4, keys=3, seed=5)
    bad, _ = corrupt_read(h, seed=1, model=KVMap(), key="k1")
    for history in (h, bad):
        whole = check_linearizable(history, KVMap()).valid
        per_key = []
        for key in ("k0", "k1", "k2"):
            events = []
            keep = set()
            for e in history.events:
                if e["type"] == "invoke" and e["value"][0] == key:
                    keep.add(e["process"])
                    events.append({**e, "value": e["value"][1]})
                elif e["type"] != "invoke" and e["process"] in keep:
                    keep.discard(e["process"])
                    v = e["value"]
                    events.append({**e, "value": v[1] if isinstance(v, list) else v})
            per_key.append(check_linearizable(events, Register()).valid)
        assert whole == all(per_key)
    assert check_linearizable(bad, KVMap()).key == "k1"


def test_kv_map_of_counters():
    h = hist(I(0, "add", ["a", 1]), O(0), I(0, "add", ["b", 5]), O(0),
             I(1, "read", ["a", None]), O(1, ["a", 1]), I(1, "read", ["b", None]), O(1, ["b", 4]))
    r = check_linearizable(h, KVMap(Counter()))
    assert r.valid is False and r.key == "b"


# -- your own model ----------------------------------------------------------------
class Stack(Model):
    name = "stack"
    fs = ("push", "pop")

    def init(self):
        return ()

    def step(self, state, op):
        if op.f == "push":
            return True, state + (op.value,)
        if op.type == "info":
            return True, state[:-1]
        top = state[-1] if state else None
        return op.result == top, state[:-1]


def test_a_custom_model_plugs_in():
    good = hist(I(0, "push", 1), O(0), I(0, "push", 2), O(0), I(1, "pop"), O(1, 2))
    bad = hist(I(0, "push", 1), O(0), I(0, "push", 2), O(0), I(1, "pop"), O(1, 1))
    assert verdict(good, Stack()) is True
    r = check_linearizable(bad, Stack())
    assert r.valid is False and r.model == "stack"
    with pytest.raises(ValueError, match="event 0: f='enqueue' is not an operation of the stack"):
        check_linearizable(hist(I(0, "enqueue", 1), O(0)), Stack())


# -- explanations ---------------------------------------------------------------------
def test_prefix_is_a_legal_linearization_of_everything_before_the_failure():
    h = hist(I(0, "write", 1), O(0), I(1, "write", 2), O(1), I(0, "read"), O(0, 2),
             I(1, "read"), O(1, 1))
    r = check_linearizable(h, Register())
    assert r.valid is False
    assert r.failed_op.complete_index == 7
    state = None
    for op in r.prefix:       # replay the witness through the register
        if op.f == "write":
            state = op.value
        else:
            assert op.result == state
    assert {op.invoke_index for op in r.prefix} == {0, 2, 4}
    assert "Longest linearization found: 3 operations" in r.prefix_table()


def test_lanes_show_the_window():
    h = hist(I(0, "write", 1), O(0), I(1, "read"), O(1, None))
    text = r = check_linearizable(h, Register()).lanes()
    assert "[write(1)#" in text and "[read→None#" in text
    assert r.rows[0][0] == 0


# -- budgets ---------------------------------------------------------------------------
def concurrent_adds_then_impossible_read(n):
    """n concurrent info adds of distinct powers of two, then a read of an impossible sum.

    Every subset of the adds gives a distinct state, so no cache can help: the
    search must try 2**n subsets before it can say False.
    """
    events = [I(p, "add", 2 ** p) for p in range(n)]
    events += [N(p) for p in range(n)]
    events += [I(n, "read"), O(n, -1)]
    return hist(*events)


def test_budget_gives_unknown_instead_of_hanging():
    h = concurrent_adds_then_impossible_read(16)
    r = check_linearizable(h, Counter(), max_steps=5_000)
    assert r.valid == UNKNOWN and not r
    assert "max_steps=5000" in r.reason
    assert r.steps == 5_000
    # the same history with a small n is decided
    assert verdict(concurrent_adds_then_impossible_read(4), Counter()) is False


def test_budget_is_deterministic():
    h = concurrent_adds_then_impossible_read(12)
    a = check_linearizable(h, Counter(), max_steps=3_000)
    b = check_linearizable(h, Counter(), max_steps=3_000)
    assert a == b


def test_memo_bound_is_reported_and_search_still_correct():
    h = concurrent_adds_then_impossible_read(8)
    r = check_linearizable(h, Counter(), max_memo=10)
    assert r.valid is False and r.memo_full


def test_kv_unknown_names_unfinished_keys():
    events = []
    for p in range(10):
        events.append(I(p, "add", ["hard", 2 ** p]))
    events += [N(p) for p in range(10)]
    events += [I(20, "read", ["hard", None]), O(20, ["hard", -1])]
    r = check_linearizable(hist(*events), KVMap(Counter()), max_steps=500)
    assert r.valid == UNKNOWN and "'hard'" in r.reason


# -- malformed input ---------------------------------------------------------------
@pytest.mark.parametrize("events, model, message", [
    ([O(0, 1, "read")], Register(),
     "event 0: 'ok' completion for process 0 without a pending invocation"),
    ([I(0, "read"), I(0, "read")], Register(), "event 1: process 0 invokes 'read' while"),
    ([{"process": 0, "type": "done", "f": "read", "value": None}], Register(),
     "event 0: type must be one of"),
    ([I(0, "write", 1), O(0, None, "write"), I(1, "fetch"), O(1, 1, "fetch")], Register(),
     "event 2: f='fetch' is not an operation of the register model"),
    ([I(0, "write", {1: 2}.keys()), O(0, None, "write")], Register(),
     "event 0: a write's value must be hashable"),
    ([I(0, "cas", 5), O(0, None, "cas")], CASRegister(), r"event 0: a cas needs value \[expected, new\]"),
    ([I(0, "add", "one"), O(0, None, "add")], Counter(), "event 0: add needs an integer value"),
    ([I(0, "read"), O(0, "lots", "read")], Counter(), "event 1: a counter read must return an integer"),
    ([I(0, "write", 5), O(0, None, "write")], KVMap(),
     r"event 0: a kv operation's value must be \[key, argument\]"),
    ([I(0, "read", ["x", None]), O(0, 5, "read")], KVMap(),
     r"event 1: a kv completion's value must be \[key, result\]"),
    ([I(0, "read", ["x", None]), O(0, ["y", 5], "read")], KVMap(), "event 1: completion is for key 'y'"),
])
def test_malformed_histories_name_the_event(events, model, message):
    with pytest.raises(ValueError, match=message):
        check_linearizable(events, model)


def test_fail_ops_are_validated_too():
    with pytest.raises(ValueError, match="event 0: f='fetch'"):
        check_linearizable(hist(I(0, "fetch"), F(0)), Register())


@pytest.mark.parametrize("kwargs, error", [
    (dict(max_steps=0), ValueError), (dict(max_steps=1.5), TypeError),
    (dict(quantum=0), ValueError), (dict(max_memo=-1), ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        check_linearizable(hist(I(0, "read"), O(0, None)), Register(), **kwargs)


def test_bad_model_and_history_types():
    with pytest.raises(TypeError, match="model must be"):
        check_linearizable([], "register")
    with pytest.raises(TypeError, match="History.from_json"):
        check_linearizable("[]", Register())
    with pytest.raises(TypeError, match="per_key must be"):
        KVMap(KVMap())


def test_stop_when_gives_unknown_and_is_asked_between_turns():
    h = concurrent_adds_then_impossible_read(16)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    r = check_linearizable(h, Counter(), quantum=100, stop_when=stop)
    assert r.valid == UNKNOWN and "stopped by stop_when" in r.reason
    assert r.steps == 300 and len(calls) == 4
    with pytest.raises(TypeError, match="stop_when must be a callable"):
        check_linearizable(h, Counter(), stop_when=5)


def test_explanation_budget_keeps_a_valid_but_unminimised_window():
    # sequential adds of distinct powers of two, then a read of an impossible sum:
    # the search fails at once, but relaxing the adds makes a subset-sum puzzle
    events = []
    for k in range(14):
        events += [I(0, "add", 2 ** k), O(0)]
    events += [I(1, "read"), O(1, -1)]
    h = hist(*events)
    quick = check_linearizable(h, Counter(), explain_steps=2_000)
    assert quick.valid is False and not quick.window_minimal
    assert "not minimised" in quick.explanation
    assert quick.window[-1].f == "read"
    full = check_linearizable(h, Counter(), explain_steps=10**6)
    assert full.window_minimal and [op.f for op in full.window] == ["read"]


def test_kv_keys_are_searched_in_turns_so_a_later_bad_key_is_found_early():
    # the first key is a 2**16 subset-sum puzzle; the second is plainly wrong
    events = [I(p, "add", ["hard", 2 ** p]) for p in range(16)]
    events += [N(p) for p in range(16)]
    events += [I(20, "read", ["hard", None]), O(20, ["hard", -1])]
    events += [I(21, "add", ["bad", 1]), O(21), I(21, "read", ["bad", None]), O(21, ["bad", 0])]
    r = check_linearizable(hist(*events), KVMap(Counter()), quantum=500)
    assert r.valid is False and r.key == "bad"
    assert r.steps < 1_000          # one turn of the hard key, then the bad key fails
