"""The Dynamo-style store: ring placement on top of the shared quorum code."""

import pytest

from dscourse.hashing import ConsistentHashRing
from dscourse.hashing.dynamo import (
    DEFAULT_NODES,
    DynamoNode,
    availability,
    dynamo_cluster,
    preference_list,
    replicas_holding,
)
from dscourse.replication.client import Op
from dscourse.replication.quorum import QuorumNode
from dscourse.viz.ring import availability_table, client_table, preference_table, replica_table
from tests.conftest import sweep

KEY = "cart:alice"


def test_the_preference_list_is_the_ring_walked_clockwise():
    ring = ConsistentHashRing(DEFAULT_NODES, 8)
    node = DynamoNode("A", DEFAULT_NODES, vnodes=8, n=3)
    assert isinstance(node, QuorumNode)                      # the quorum code, written once
    for key in ("cart:alice", "cart:bob", "x", "y"):
        order = node.ring_order(key)
        assert order == ring.get_nodes(key, 5) and sorted(order) == sorted(DEFAULT_NODES)
        assert node.replicas_for(key) == order[:3] == preference_list(DEFAULT_NODES, key, 3)
        assert node.fallbacks_for(key) == order[3:]
    strict = DynamoNode("A", DEFAULT_NODES, sloppy=False)
    assert strict.fallbacks_for(KEY) == []


def test_healthy_cluster_stores_a_write_on_the_n_home_replicas():
    result = availability(0, sloppy=True)
    assert (result.write, result.read, result.read_value) == ("ok", "ok", ["book"])
    assert sorted(result.holders) == sorted(preference_list(DEFAULT_NODES, KEY, 3))
    assert result.hinted == ()


@pytest.mark.parametrize("sloppy", [False, True])
def test_one_home_replica_down_still_meets_both_quorums(sloppy):
    result = availability(1, sloppy=sloppy)
    home = preference_list(DEFAULT_NODES, KEY, 3)
    assert result.down == (home[2],)
    assert (result.write, result.read, result.read_value) == ("ok", "ok", ["book"])
    assert home[2] not in result.holders
    assert all(target == home[2] for _, target in result.hinted)   # a hint waits for it


def test_two_home_replicas_down_strict_quorum_refuses_sloppy_quorum_accepts():
    home = preference_list(DEFAULT_NODES, KEY, 5)
    strict = availability(2, sloppy=False)
    assert strict.write == "info" and strict.read == "fail"   # w=2 and r=2 cannot be met
    sloppy = availability(2, sloppy=True)
    assert (sloppy.write, sloppy.read, sloppy.read_value) == ("ok", "ok", ["book"])
    assert sloppy.holders == (home[0],)
    stand_ins = {s for s, _ in sloppy.hinted}
    assert stand_ins <= set(home[3:]) and {t for _, t in sloppy.hinted} == {home[1], home[2]}


def test_hinted_handoff_moves_the_value_home_after_recovery():
    result = availability(2, sloppy=True, recover_at=600.0)
    assert sorted(result.holders) == sorted(preference_list(DEFAULT_NODES, KEY, 3))
    assert result.hinted == ()                            # hints are dropped once delivered
    no_handoff = availability(2, sloppy=True, recover_at=600.0, handoff_interval=5000.0)
    assert len(no_handoff.holders) == 1 and len(no_handoff.hinted) == 2


def test_read_repair_fixes_a_replica_that_missed_a_write():
    common = dict(sloppy=False, hinted_handoff=False, recover_at=200.0)
    without = availability(1, read_repair=False, **common)
    with_repair = availability(1, read_repair=True, **common)
    missed = without.down[0]
    assert missed not in without.holders
    assert missed in with_repair.holders


def test_a_sloppy_quorum_is_not_a_quorum_a_read_can_miss_an_acknowledged_write():
    from dscourse.hashing.dynamo import CART, sloppy_stale_read
    home = preference_list(DEFAULT_NODES, CART, 3)
    sim = sloppy_stale_read(1)
    (_, w_out, _, _, _), (_, r_out, r_value, _, _) = sim.node("client").results
    assert w_out == "ok" and r_out == "ok"
    assert r_value == []              # r + w > n, yet the read missed the acknowledged write
    holders, hinted = replicas_holding(sim, CART, "book")
    assert holders == (home[0],) and {t for _, t in hinted} == set(home[1:])
    strict = sloppy_stale_read(1, sloppy=False)
    (_, w_out, _, _, _), (_, r_out, r_value, _, _) = strict.node("client").results
    assert w_out == "info"            # not acknowledged: the client was not told "ok"


def test_same_seed_same_trace():
    def run(seed):
        sim = dynamo_cluster(seed, ops=[Op("write", KEY, "v1", at=5.0), Op("read", KEY, at=50.0)])
        sim.at(20.0, sim.crash, "C")
        sim.run(until=600)
        return sim.trace.digest()
    assert run(3) == run(3)
    assert run(3) != run(4)


def test_views_of_the_store():
    ring = ConsistentHashRing(DEFAULT_NODES, 8)
    table = preference_table(ring, [KEY], 3)
    assert table.rows[0][2] == ", ".join(ring.get_nodes(KEY, 3))
    sim = dynamo_cluster(1, ops=[Op("write", KEY, "book", at=10.0)])
    sim.run(until=300)
    replicas = replica_table(sim, KEY)
    assert [r[2] for r in replicas.rows] == ["home 1", "home 2", "home 3", "stand-in 1",
                                              "stand-in 2"]
    assert client_table(sim).rows[0][:5] == ["write", KEY, "book", "A", "ok"]
    assert availability_table([availability(0, sloppy=False)]).rows[0][3] == "ok"


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError, match="node_id='Z' is not one of nodes"):
        DynamoNode("Z", DEFAULT_NODES)
    with pytest.raises(ValueError, match="n must be between 1 and the number of replicas"):
        DynamoNode("A", ["A", "B"], n=3)
    with pytest.raises(ValueError, match="down must be at most 2"):
        availability(3, sloppy=True)
    with pytest.raises(ValueError, match="coordinator='Q' is not one of nodes"):
        dynamo_cluster(1, coordinator="Q")


def test_stand_ins_keep_hints_and_never_their_own_copy():
    from dscourse.hashing.dynamo import CART, shopping_cart
    sim = shopping_cart(1)
    home = preference_list(DEFAULT_NODES, CART, 3)
    for node in home[1:]:
        sim.at(200.0, sim.crash, node)
    sim.run(until=800)
    for node in DEFAULT_NODES:
        if node not in home:          # read repair reached them, but they kept no copy
            assert CART not in sim.storage(node).get("data", {})
    holders, hinted = replicas_holding(sim, CART, "pen")
    assert holders == (home[0],) and {t for _, t in hinted} == set(home[1:])
    for node in home[1:]:
        sim.recover(node)
    sim.run(until=2000)
    assert sorted(replicas_holding(sim, CART, "lamp")[0]) == sorted(home)
    outcomes = [outcome for _, outcome, _, _, _ in sim.node("client").results]
    assert outcomes == ["ok"] * 8


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(12)))
def test_replicas_converge_after_random_crashes(seed):
    """Whatever crashes happen, once every node is back the home replicas agree and no hint is left."""
    from dscourse.hashing.dynamo import CART, shopping_cart
    from dscourse.sim.rng import make_rng

    rng = make_rng(seed)
    home = preference_list(DEFAULT_NODES, CART, 3)
    others = sorted(n for n in DEFAULT_NODES if n != home[0])   # the coordinator stays up
    sim = shopping_cart(seed)
    for node in rng.sample(others, rng.randint(1, 3)):
        down = rng.uniform(0, 1000)
        sim.at(down, sim.crash, node)
        sim.at(down + rng.uniform(50, 700), sim.recover, node)
    sim.run(until=5000)
    states = {n: sim.storage(n).get("data", {}).get(CART) for n in home}
    assert len(set(states.values())) == 1, states
    assert all(not sim.storage(n).get("hints") for n in DEFAULT_NODES)
    coordinator = sim.node(home[0])
    assert coordinator.policy.value(states[home[0]]) == ["lamp"]     # the last write won
