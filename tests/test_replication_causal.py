"""The causal store (buffering, siblings, session tokens), its sketch, and session guarantees."""

import pytest

from dscourse.checkers import check_causal, check_session_guarantees
from dscourse.clocks import VectorClock
from dscourse.replication.causal import CausalNode, Update
from dscourse.replication.experiments import build, node_ids, run
from dscourse.replication.scenarios import comparison_plan, concurrent_edits, post_and_reply, session_run
from dscourse.sim import FaultPlan

from .conftest import sweep


def reads(sim, process=None):
    return [e["value"] for e in sim.history.events
            if e["f"] == "read" and e["type"] == "ok" and process in (None, e["process"])]


def test_the_sketch_shows_a_reply_before_its_post_and_the_store_buffers_it():
    sketch = post_and_reply("textbook-causal")
    verdict = check_causal(sketch.history, kv=True)
    assert verdict.valid is False
    assert [a.read.process for a in verdict.anomalies] == ["carol"]
    store = post_and_reply("causal")
    assert check_causal(store.history, kv=True, siblings=True).valid is True
    logs = [r for r in store.trace.select("log", node="n3") if "buffered" in r.data]
    assert logs, "n3 must have buffered the reply until the post arrived"
    # carol never sees the reply without the post
    carol = reads(store, "carol")
    assert carol[0] == ["reply", []] and carol[-1] == ["post", ["alice: hello"]]


def test_concurrent_writes_siblings_lww_and_the_sketch_drop_data():
    kept = concurrent_edits("causal", conflicts="siblings")
    assert reads(kept)[-1] == ["doc", ["alice's edit", "bob's edit"]]
    lww = concurrent_edits("causal", conflicts="lww")
    sketch = concurrent_edits("textbook-causal")
    for sim in (lww, sketch):
        final = {repr(sim.node(n).value("doc")) for n in node_ids(3)}
        assert len(final) == 1                              # converged, to ONE of the two edits
        assert reads(sim)[-1][1] in ("alice's edit", "bob's edit")


def test_deliverable_is_the_causal_broadcast_rule():
    sim = build("causal", 3, seed=1)
    sim.run(until=1)
    node = sim.node("n1")
    assert node.deliverable(Update("n2", VectorClock({"n2": 1}), "k", 1))
    assert not node.deliverable(Update("n2", VectorClock({"n2": 2}), "k", 1))         # gap
    assert not node.deliverable(Update("n2", VectorClock({"n2": 1, "n3": 1}), "k", 1))  # dependency


def test_a_lagging_replica_holds_a_session_read_then_fails_clearly():
    with pytest.raises(ValueError, match="must be one of replicas"):
        CausalNode("n9", ["n1"])
    with pytest.raises(ValueError, match="conflicts must be one of"):
        CausalNode("n1", ["n1"], conflicts="max")
    r = session_run("causal", session=True, seed=1, plan=FaultPlan().partition(["n3"], ["n1", "n2"],
                    at=0).heal(at=2000), duration=1500)
    errors = [res[3] for c in ("c1", "c2", "c3") for res in r.sim.node(c).results if res[1] == "fail"]
    assert errors and all("has not caught up with the session" in e for e in errors)


@pytest.mark.sweep
def test_causal_store_with_tokens_is_causal_under_random_faults():
    for seed in range(sweep(3)):
        plan = FaultPlan.random(node_ids(3), seed=seed, duration=900,
                                kinds=("crash", "partition", "pause", "loss", "duplicate"))
        r = session_run("causal", session=True, seed=seed, plan=plan, duration=1300, stop=1000)
        assert check_causal(r.history, kv=True, siblings=True).valid is True, seed


def test_session_guarantees_fail_without_tokens_and_hold_with_them():
    plan = comparison_plan()
    without = session_run("lww", session=False, seed=2, plan=plan)
    with_tokens = session_run("lww", session=True, seed=2, plan=plan)
    bad = check_session_guarantees(without.history, kv=True)
    good = check_session_guarantees(with_tokens.history, kv=True)
    assert not bad["read your writes"].valid and not bad["monotonic reads"].valid
    assert good["read your writes"].valid and good["monotonic reads"].valid


def test_runs_are_deterministic():
    a = run("causal", 3, seed=5, duration=400, keyed=True, keys=("x", "y"), route="random")
    b = run("causal", 3, seed=5, duration=400, keyed=True, keys=("x", "y"), route="random")
    assert a.sim.trace.digest() == b.sim.trace.digest()
