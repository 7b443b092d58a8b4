"""Causal consistency, the four session guarantees and convergence: both ways."""

import pytest

from dscourse.checkers import (
    check_causal,
    check_convergence,
    check_monotonic_reads,
    check_monotonic_writes,
    check_read_your_writes,
    check_session_guarantees,
    check_writes_follow_reads,
    kv_history,
    register_history,
)
from dscourse.sim import History


def run(*ops, kv=False):
    """Sequential operations ``(process, f, value, result)``; each completes ok at once."""
    h = History()
    for p, f, value, result in ops:
        h.invoke(p, f, value)
        h.ok(p, result)
    return h


def w(p, v):
    return (p, "write", v, None)


def r(p, v):
    return (p, "read", None, v)


def kw(p, k, v):
    return (p, "write", [k, v], None)


def kr(p, k, v):
    return (p, "read", [k, None], [k, v])


ALL = {"causal": check_causal, "read your writes": check_read_your_writes,
       "monotonic reads": check_monotonic_reads, "monotonic writes": check_monotonic_writes,
       "writes follow reads": check_writes_follow_reads}


def verdicts(h, **kw_):
    return {name: fn(h, **kw_).valid for name, fn in ALL.items()}


def test_a_sequentially_consistent_history_passes_everything():
    h = run(w("a", 1), r("b", 1), w("b", 2), r("a", 2), r("a", 2))
    assert all(verdicts(h).values())


def test_read_your_writes_violation():
    h = run(w("a", 1), r("a", None))
    v = verdicts(h)
    assert v["read your writes"] is False and v["causal"] is False
    assert v["monotonic reads"] and v["monotonic writes"] and v["writes follow reads"]
    res = check_read_your_writes(h)
    (a,) = res.anomalies
    assert a.kind == "read of the initial value" and a.read.invoke_index == 2
    assert a.required.invoke_index == 0
    assert "the same session had already made write 1 (event 0)" in a.message
    assert "read at" in res.table()


def test_read_your_writes_stale_after_own_newer_write():
    # a read 1 (b's), then wrote 2 (so 1 is causally before 2), then read 1 again
    h = run(w("b", 1), r("a", 1), w("a", 2), r("a", 1))
    res = check_read_your_writes(h)
    assert not res.valid and res.anomalies[0].kind == "stale read"


def test_read_your_writes_accepts_a_concurrent_winner():
    # b's write is concurrent with a's: last-writer-wins may legitimately pick it
    h = run(w("a", 1), w("b", 2), r("a", 2))
    assert check_read_your_writes(h).valid
    # ... but a store that keeps siblings must not lose a's write
    sib = run(w("a", 1), w("b", 2), (("a", "read", None, [2])))
    assert not check_read_your_writes(sib, siblings=True).valid
    both = run(w("a", 1), w("b", 2), (("a", "read", None, [1, 2])))
    assert check_read_your_writes(both, siblings=True).valid
    assert check_causal(both, siblings=True).valid


def test_monotonic_reads_violation_and_concurrent_flip_flop():
    h = run(w("b", 1), w("b", 2), r("a", 2), r("a", 1))
    v = verdicts(h)
    assert v["monotonic reads"] is False and v["causal"] is False
    assert v["read your writes"] is True
    a = check_monotonic_reads(h).anomalies[0]
    assert [op.invoke_index for op in a.because] == [4]       # the earlier read of 2
    # concurrent writes seen in either order: allowed
    ok = run(w("b", 1), w("c", 2), r("a", 2), r("a", 1))
    assert check_monotonic_reads(ok).valid and check_causal(ok).valid
    # back to the initial value after seeing a write: not allowed
    assert not check_monotonic_reads(run(w("b", 1), r("a", 1), r("a", None))).valid


def test_monotonic_writes_violation():
    h = run(kw("b", "x", 1), kw("b", "y", 2), kr("a", "y", 2), kr("a", "x", None))
    v = verdicts(h, kv=True)
    assert v == {"causal": False, "read your writes": True, "monotonic reads": True,
                 "monotonic writes": False, "writes follow reads": True}
    a = check_monotonic_writes(h, kv=True).anomalies[0]
    assert a.required.value == ["x", 1]
    assert {op.invoke_index for op in a.because} == {2, 4}


def test_writes_follow_reads_violation():
    h = run(kw("b", "x", 1), kr("c", "x", 1), kw("c", "y", 2),
            kr("a", "y", 2), kr("a", "x", None))
    v = verdicts(h, kv=True)
    assert v == {"causal": False, "read your writes": True, "monotonic reads": True,
                 "monotonic writes": True, "writes follow reads": False}
    res = check_writes_follow_reads(h, kv=True)
    assert "had seen c's write 2 to 'y' (event 4), which c made after reading write 1 to 'x'" in \
        res.anomalies[0].message
    assert {op.invoke_index for op in res.ops} == {0, 2, 4, 6, 8}
    lanes = res.lanes()
    assert {p for p, lane in lanes.rows if "#" in lane} == {"a", "b", "c"}


def test_causal_catches_what_no_session_guarantee_does():
    # x=1 -> (c reads it) y=2 -> (d reads it) z=3 -> a reads z=3, then x=None
    h = run(kw("b", "x", 1), kr("c", "x", 1), kw("c", "y", 2), kr("d", "y", 2), kw("d", "z", 3),
            kr("a", "z", 3), kr("a", "x", None))
    v = verdicts(h, kv=True)
    assert v.pop("causal") is False
    assert all(v.values())
    assert "causal past already contains write 1" in check_causal(h, kv=True).anomalies[0].message


def test_value_never_written_and_failed_writes():
    h = run(w("a", 1), r("b", 99))
    res = check_causal(h)
    assert not res.valid and res.anomalies[0].kind == "value never written"
    h = History()
    h.invoke("a", "write", 5)
    h.fail("a")
    h.invoke("b", "read")
    h.ok("b", 5)
    res = check_causal(h)
    assert "a write that failed" in res.anomalies[0].message


def test_info_writes_may_be_seen_but_are_not_required():
    h = History()
    h.invoke("a", "write", 1)
    h.info("a")
    h.invoke("a", "read")
    h.ok("a", None)            # its own write timed out: not required
    h.invoke("b", "read")
    h.ok("b", 1)               # but it did happen
    assert all(verdicts(h).values())


def test_causality_cycle_is_reported():
    h = History()
    h.invoke("a", "read", ["x", None])
    h.invoke("b", "read", ["y", None])
    h.ok("a", ["x", 1])
    h.ok("b", ["y", 2])
    h.invoke("a", "write", ["y", 2])
    h.invoke("b", "write", ["x", 1])
    h.ok("a")
    h.ok("b")
    res = check_causal(h, kv=True)
    assert not res.valid
    assert any(a.kind == "causality cycle" for a in res.anomalies)


def test_session_guarantees_dict_and_explanation():
    h = run(w("a", 1), r("a", None))
    res = check_session_guarantees(h)
    assert list(res) == ["read your writes", "monotonic reads", "monotonic writes",
                         "writes follow reads"]
    assert "VIOLATED" in res["read your writes"].explanation
    assert "holds" in str(res["monotonic reads"])


@pytest.mark.parametrize("seed", range(4))
def test_linearizable_histories_satisfy_causal_and_sessions(seed):
    # linearizability implies causal consistency and every session guarantee
    for h, kv in ((register_history(150, 4, seed=seed, info_rate=0.1), False),
                  (kv_history(200, 5, keys=3, seed=seed, info_rate=0.1), True)):
        for name, valid in verdicts(h, kv=kv).items():
            assert valid, (name, seed)


def test_malformed_read_write_histories():
    with pytest.raises(ValueError, match="event 0: f='cas'"):
        check_causal(run(("a", "cas", [1, 2], None)))
    with pytest.raises(ValueError, match="event 2: value 1 was already written to key None at event 0"):
        check_causal(run(w("a", 1), w("b", 1)))
    with pytest.raises(ValueError, match=r"event 0: with kv=True a value must be \[key, value\]"):
        check_causal(run(w("a", 1)), kv=True)
    with pytest.raises(ValueError, match="event 1: with siblings=True a read returns a list"):
        check_causal(run(r("a", 1)), siblings=True)
    with pytest.raises(ValueError, match="which is the initial value"):
        check_causal(run(w("a", 0)), initial=0)
    with pytest.raises(ValueError, match="event 1: read completion is for key 'y'"):
        check_causal(run(("a", "read", ["x", None], ["y", 1])), kv=True)


# -- convergence -----------------------------------------------------------------
def test_convergence_both_ways():
    ok = check_convergence({"n1": {"x": 1}, "n2": {"x": 1}, "n3": {"x": 1}})
    assert ok.valid and bool(ok) and "all 3 replicas" in ok.reason
    bad = check_convergence({"n1": {"x": 1, "y": 2}, "n2": {"x": 1}, "n3": {"x": 1, "y": 2}})
    assert not bad.valid
    assert bad.groups[0][1] == ("n1", "n3") and bad.groups[1][1] == ("n2",)
    assert bad.differing_keys == ("y",)
    assert "n1, n3" in bad.table()
    assert check_convergence({"a": 3, "b": 4}).differing_keys == ()


def test_convergence_bad_input():
    with pytest.raises(TypeError, match="replica_states must be a mapping"):
        check_convergence([1, 2])
    with pytest.raises(ValueError, match="empty"):
        check_convergence({})


# -- against a direct reading of the definitions ------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def small_kv_histories(draw):
    """Sequential-looking histories with reads of arbitrary (even future) writes."""
    n = draw(st.integers(2, 9))
    h, written = History(), {"x": [], "y": []}
    counter = 0
    for _ in range(n):
        p = draw(st.sampled_from("abc"))
        key = draw(st.sampled_from("xy"))
        if draw(st.booleans()):
            counter += 1
            h.invoke(p, "write", [key, counter])
            written[key].append(counter)
            h.complete(p, draw(st.sampled_from(["ok", "ok", "ok", "info"])))
        else:
            h.invoke(p, "read", [key, None])
            choices = [None] + written[key] + [counter + 1]   # counter+1: maybe written later
            h.ok(p, [key, draw(st.sampled_from(choices))])
    return h


def oracle(h):
    """Flagged reads per guarantee, straight from the definitions (no vectors,
    no antichains, no 'latest write' shortcuts): explicit transitive closure."""
    ops = [op for op in h.operations() if op.type == "ok" or op.f == "write"]
    writes = {(op.value[0], op.value[1]): op.invoke_index for op in ops if op.f == "write"}
    idx = {op.invoke_index: op for op in ops}
    saw = {}
    thin = set()
    for op in ops:
        if op.f == "read":
            key, v = op.result
            if v is None:
                saw[op.invoke_index] = None
            elif (key, v) in writes:
                saw[op.invoke_index] = writes[(key, v)]
            else:
                thin.add(op.invoke_index)
    edges = {i: set() for i in idx}
    for a in ops:
        for b in ops:
            if a.process == b.process and a.invoke_index < b.invoke_index and a.type == "ok":
                edges[a.invoke_index].add(b.invoke_index)
    for r, w in saw.items():
        if w is not None:
            edges[w].add(r)
    co = {}
    for i in idx:
        seen, stack = set(), list(edges[i])
        while stack:
            j = stack.pop()
            if j not in seen:
                seen.add(j)
                stack.extend(edges[j])
        co[i] = seen                     # i is before everything in co[i]
    cyclic = any(i in co[i] for i in idx)

    def reflects(r, w1):
        w = saw[r]
        return w is not None and not (w != w1 and w1 in co[w])

    def key_of(i):
        return idx[i].value[0]

    reads = [i for i in saw]
    flagged = {name: set() for name in ALL}
    for r in reads:
        x, p = key_of(r), idx[r].process
        key_writes = [w for w in idx if idx[w].f == "write" and key_of(w) == x]
        if any(r in co[w2] and w2 != saw[r] and not reflects(r, w2) for w2 in key_writes):
            flagged["causal"].add(r)
        own = [w for w in key_writes if idx[w].process == p and idx[w].type == "ok" and w < r]
        if any(not reflects(r, w) for w in own):
            flagged["read your writes"].add(r)
        earlier = [q for q in reads if q < r and idx[q].process == p]
        if any(key_of(q) == x and saw[q] is not None and not reflects(r, saw[q]) for q in earlier):
            flagged["monotonic reads"].add(r)
        for q in earlier:
            w2 = saw[q]
            if w2 is None:
                continue
            writer = idx[w2].process
            mw = [w1 for w1 in key_writes if idx[w1].process == writer and idx[w1].type == "ok"
                  and w1 < w2]
            if any(not reflects(r, w1) for w1 in mw):
                flagged["monotonic writes"].add(r)
            wfr = [saw[q1] for q1 in reads if idx[q1].process == writer and q1 < w2
                   and saw[q1] is not None and key_of(saw[q1]) == x]
            if any(not reflects(r, w1) for w1 in wfr):
                flagged["writes follow reads"].add(r)
    return flagged, thin, cyclic


@settings(max_examples=250, deadline=None)
@given(small_kv_histories())
def test_causal_and_session_checkers_agree_with_the_definitions(h):
    flagged, thin, cyclic = oracle(h)
    for name, fn in ALL.items():
        res = fn(h, kv=True)
        got = {a.read.invoke_index for a in res.anomalies
               if a.kind in ("stale read", "read of the initial value")}
        assert bool(thin) == any(a.kind == "value never written" for a in res.anomalies)
        if name == "causal":
            assert res.valid == (not flagged[name] and not thin and not cyclic), name
            assert cyclic == any(a.kind == "causality cycle" for a in res.anomalies)
            if cyclic:
                continue
        else:
            assert res.valid == (not flagged[name] and not thin), name
        assert got == flagged[name], (name, h.events)
