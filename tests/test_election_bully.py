"""The bully algorithm: the highest live id wins, at a cost of O(n²) messages in the worst case."""

import pytest

from dscourse.election import bully
from dscourse.election.bully import BullyNode, bully_cluster, worst_and_best_case
from dscourse.election.harness import leader_spans, leaders_at, split_brain
from dscourse.sim import FaultPlan
from tests.conftest import sweep


def roles(sim):
    return {n: sim.nodes[n].role for n in sim.node_ids if sim.is_up(n)}


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(6)))
def test_the_highest_live_id_leads_and_everyone_agrees(seed):
    sim = bully_cluster(5, seed)
    sim.run(until=600)
    assert [n for n, r in roles(sim).items() if r == "leader"] == ["n5"]
    assert {sim.nodes[n].coordinator for n in sim.node_ids} == {"n5"}
    sim.crash("n5")
    sim.run(until=1500)
    assert [n for n, r in roles(sim).items() if r == "leader"] == ["n4"]
    assert {sim.nodes[n].coordinator for n in ("n1", "n2", "n3")} == {"n4"}
    # the bully: when n5 comes back it takes over from a working coordinator
    sim.recover("n5")
    sim.run(until=2000)
    assert [n for n, r in roles(sim).items() if r == "leader"] == ["n5"]
    # ... with at most one message delay (10 ms) in which both believe they lead
    for w in split_brain(leader_spans(sim.trace, until=2000)):
        assert w.nodes == ("n4", "n5") and w.start >= 1500 and w.duration <= 10


def test_integer_ids_compare_as_numbers_not_as_text():
    sim = bully_cluster([3, 10, 7], seed=1)
    sim.run(until=500)
    assert leaders_at(sim.trace, 500) == [(10, None)]   # as text, "7" > "10"


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 8])
def test_message_counts_match_the_analysis(n):
    """Worst case (lowest notices): n(n-1)/2 Election (the lowest sends n-1, the next n-2, ...,
    each counting the dead node), (n-1)(n-2)/2 Answer (one per pair of live nodes) and n-1
    Coordinator: n(n-1) in all. Best case (the second highest notices): 1 Election + n-1
    Coordinator = n."""
    counts = worst_and_best_case(n, seed=3)
    elections, answers, coordinators = n * (n - 1) // 2, (n - 1) * (n - 2) // 2, n - 1
    assert counts["worst"] == elections + answers + coordinators
    assert counts["best"] == 1 + (n - 1)


def test_worst_case_grows_quadratically():
    small, big = worst_and_best_case(4)["worst"], worst_and_best_case(8)["worst"]
    assert 3.5 < big / small < 5          # doubling n multiplies it by about four
    assert worst_and_best_case(8)["best"] / worst_and_best_case(4)["best"] == 2


def test_a_partition_gives_each_side_its_own_coordinator():
    sim = bully_cluster(5, seed=2)
    FaultPlan().partition(["n1", "n2", "n3"], ["n4", "n5"], at=500).heal(at=1500).apply(sim)
    sim.run(until=1400)
    assert sorted(n for n, r in roles(sim).items() if r == "leader") == ["n3", "n5"]
    windows = split_brain(leader_spans(sim.trace, until=1400))
    assert windows and windows[0].nodes == ("n3", "n5")
    sim.run(until=2200)                       # healed: n5 bullies n3 back into line
    assert [n for n, r in roles(sim).items() if r == "leader"] == ["n5"]


def test_election_messages_are_named_as_in_the_literature():
    assert bully.ELECTION_MESSAGES == {"Election", "Answer", "Coordinator"}
    sim = bully_cluster(3, seed=1)
    sim.run(until=300)
    kinds = {type(r.data).__name__ for r in sim.trace.select("send")}
    assert kinds <= bully.ELECTION_MESSAGES | {"Heartbeat"}
    assert {"Election", "Coordinator", "Heartbeat"} <= kinds


def test_same_seed_same_trace():
    a, b = bully_cluster(5, 9), bully_cluster(5, 9)
    for sim in (a, b):
        FaultPlan().crash("n5", at=400).apply(sim)
        sim.run(until=1200)
    assert a.trace.digest() == b.trace.digest()


def test_bad_input_is_refused_clearly():
    with pytest.raises(TypeError, match="comparable"):
        BullyNode("a", [1, 2])
    with pytest.raises(TypeError, match="comparable"):
        bully_cluster(["a", 1])
    with pytest.raises(ValueError, match="distinct"):
        bully_cluster(["a", "a"])
    with pytest.raises(TypeError, match="node id"):
        BullyNode(1.5, [1])
    with pytest.raises(TypeError, match="peers"):
        BullyNode("a", "bc")
    with pytest.raises(ValueError, match="low <= high"):
        BullyNode("a", ["b"], detect_timeout=(300, 100))
    with pytest.raises(ValueError, match="answer_timeout"):
        BullyNode("a", ["b"], answer_timeout=0)
    with pytest.raises(ValueError, match="not a node"):
        bully_cluster(3, detect_timeouts={"n9": 100})
    with pytest.raises(ValueError, match="n must be at least 2"):
        worst_and_best_case(1)
