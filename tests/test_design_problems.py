"""Notebook 10's worked problems: each measured trade-off, asserted on several seeds."""

import pytest

from dscourse.design.cache import (
    copies_sweep,
    hot_key_load,
    hot_keys,
    join_misses,
    join_table,
    load_table,
    zipf_requests,
)
from dscourse.design.inventory import (
    DESIGNS,
    even_split,
    inventory_result,
    inventory_sim,
    inventory_table,
    run_inventory,
)
from dscourse.design.problems import (
    PARTITION,
    chat,
    chat_table,
    feed_linearizable,
    feed_table,
    ledger_table,
    payment_ledger,
    social_feed,
)
from dscourse.replication.experiments import partition_plan
from tests.conftest import sweep

SEEDS = (1, 2, 3)


# ------------------------------------------------------------------ payment ledger
@pytest.mark.parametrize("seed", SEEDS)
def test_ledger_cp_refuses_during_the_partition_and_never_diverges(seed):
    by = {r.store: r for r in payment_ledger(seed)}
    cp, lww, crdt = by["cp-counter"], by["lww"], by["crdt-counter"]
    # CP: the cut-off side gets no ok at all, the majority side keeps working
    assert cp.minority.invoked > 0 and cp.minority.ok == 0
    assert cp.majority.ok == cp.majority.invoked > 0
    # ... and nothing acknowledged is lost; every replica reads the same balance afterwards
    assert cp.lost == 0 and cp.agree and cp.linearizable is True
    assert min(cp.balances.values()) >= cp.acknowledged
    # AP (the text's LWW counter): available on both sides, and it loses acknowledged deposits
    assert lww.minority.ok == lww.minority.invoked > 0
    assert lww.lost > 0 and lww.linearizable is False
    # AP (CRDT): available and loses nothing, yet stale reads make it non-linearizable
    assert crdt.minority.ok == crdt.minority.invoked and crdt.lost == 0 and crdt.agree
    assert crdt.linearizable is False


def test_ledger_table_shows_the_measured_numbers():
    results = payment_ledger(1)
    table = ledger_table(results)
    for r, row in zip(results, table.rows):
        assert row[1] == f"{r.minority.ok}/{r.minority.invoked}" and row[6] == r.lost


# ------------------------------------------------------------------ social feed
@pytest.mark.parametrize("seed", SEEDS)
def test_feed_ap_serves_stale_reads_during_the_partition_cp_refuses(seed):
    by = {r.store: r for r in social_feed(seed)}
    ap, cp = by["lww"], by["cp-register"]
    assert ap.minority.ok == ap.minority.invoked > 0          # available on the cut-off side
    assert ap.stale["during"] > 0                             # ... and stale
    assert ap.stale["during"] >= ap.stale["before"] + ap.stale["after"]
    assert cp.minority.invoked > 0 and cp.minority.ok == 0    # CP: refused
    assert sum(cp.stale.values()) == 0
    assert feed_linearizable(cp) is True and feed_linearizable(ap) is False
    assert feed_table([ap, cp]).rows[0][4] == ap.stale["during"]


# ------------------------------------------------------------------ chat
def test_chat_the_text_store_shows_a_reply_without_its_post_vector_clocks_do_not():
    text, causal = chat(1)
    assert text.reply_without_post and text.anomalies >= 1
    assert not causal.reply_without_post and causal.anomalies == 0
    # the causal store buffered the reply: Carol's first read of it was empty, later it came
    first, later = [v for _t, key, v in causal.carol if key == "reply"]
    assert first == [] and later == ["bob: welcome!"]
    assert chat_table([text, causal]).rows[0][2] == "yes"


# ------------------------------------------------------------------ inventory
@pytest.mark.parametrize("seed", SEEDS)
def test_inventory_oversells_under_ap_by_a_counted_amount_never_under_cp_or_escrow(seed):
    runs = {d: run_inventory(d, seed) for d in DESIGNS}
    ap, cp, escrow = runs["ap-check"], runs["cp-ticket"], runs["ap-escrow"]
    assert ap.oversold > 0
    assert ap.oversold == ap.sold - ap.stock
    assert ap.counted == ap.sold           # the CRDT lost no sale: the store agrees with the tills
    assert cp.oversold == 0 and escrow.oversold == 0
    assert cp.sold <= cp.stock and (cp.counted or 0) >= cp.sold   # tickets taken >= units sold
    # CP: the cut-off till was refused during the partition; AP designs kept selling there
    cut = (100.0, 700.0)
    assert cp.during(*cut)["c1"]["refused"] + cp.during(*cut)["c1"]["unknown"] > 0
    assert ap.during(*cut)["c1"]["sold"] > 0 and escrow.during(*cut)["c1"]["sold"] > 0
    # escrow: c1 ran out of its own quota while another replica's stock stayed unsold
    assert escrow.outcomes("c1")["sold out"] == 1 and escrow.unsold > 0
    assert escrow.sold == sum(min(q, t.wants) for q, t in zip(escrow.quotas.values(), escrow.tills))
    table = inventory_table([ap, cp, escrow])
    assert [row[4] for row in table.rows] == [ap.oversold, 0, 0]


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(6)))
def test_cp_tickets_and_escrow_never_oversell_under_random_partitions(seed):
    start = 30.0 * (seed % 7)
    for design in ("cp-ticket", "ap-escrow"):
        r = run_inventory(design, seed, stock=9, wants=(8, 8, 8), partition=(start, start + 400.0),
                          think=3.0)
        assert r.oversold == 0, (design, seed)


def test_inventory_without_a_partition_and_its_building_blocks():
    r = run_inventory("ap-check", 1, partition=None)
    assert r.oversold == 0 and r.sold == r.stock
    assert even_split(20, ["a", "b", "c"]) == {"a": 7, "b": 7, "c": 6}
    sim = inventory_sim("cp-ticket", 2)
    partition_plan(3, 100.0, 700.0).apply(sim)
    sim.run(until=2000.0)
    again = run_inventory("cp-ticket", 2)
    assert inventory_result(sim).sold == again.sold
    assert [t.sales for t in inventory_result(sim).tills] == [t.sales for t in again.tills]


def test_inventory_bad_input():
    with pytest.raises(ValueError, match="design must be one of"):
        run_inventory("magic")
    with pytest.raises(ValueError, match="quotas only apply"):
        run_inventory("ap-check", quotas={"n1": 1})
    with pytest.raises(ValueError, match="missing"):
        run_inventory("ap-escrow", quotas={"n1": 1})
    with pytest.raises(ValueError, match="at least 2 tills"):
        run_inventory("cp-ticket", wants=(3,))
    with pytest.raises(TypeError, match="stock must be an integer"):
        run_inventory("cp-ticket", stock=2.5)


# ------------------------------------------------------------------ cache
@pytest.fixture(scope="module")
def requests():
    return zipf_requests(seed=1)


def test_zipf_stream_is_seeded_and_skewed(requests):
    assert zipf_requests(seed=1) == requests and zipf_requests(seed=2) != requests
    top = hot_keys(requests, 3)
    assert top == ["item-1", "item-2", "item-3"]
    share = requests.count("item-1") / len(requests)
    assert 0.10 < share < 0.20            # 1/H(10000, 1.1) is about 15%


def test_a_join_misses_most_requests_with_modulo_few_with_the_ring(requests):
    modulo, ring = join_misses(requests, nodes=4)
    assert modulo.miss_fraction > 0.75                   # (n-1)/n of keys move: 80% for 4 -> 5
    assert ring.miss_fraction < 0.3 and ring.keys_moved < modulo.keys_moved / 3
    assert join_table([modulo, ring]).rows[0][5] == f"{modulo.miss_fraction:.1%}"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_hot_key_overloads_one_node_and_replication_or_splitting_fixes_it(seed):
    reqs = zipf_requests(seed=seed)
    ring, rep, split = (hot_key_load(reqs, s, seed=seed) for s in ("ring", "replicate", "split"))
    assert ring.max_over_mean > 2.0 and len(ring.over_capacity) == 1
    hottest_owner = ring.hottest[0]
    assert ring.over_capacity == (hottest_owner,)
    assert rep.over_capacity == () and split.over_capacity == ()
    assert rep.max_over_mean < ring.max_over_mean and split.max_over_mean < ring.max_over_mean
    assert sum(rep.loads.values()) == sum(ring.loads.values()) == len(reqs)
    # the price of each fix
    assert (rep.write_fanout, rep.read_fanout) == (6, 1)
    assert (split.write_fanout, split.read_fanout) == (1, 6)
    table = load_table([ring, rep, split])
    assert table.rows[0][7] == hottest_owner and table.rows[1][7] == "none"


def test_more_copies_help_replication(requests):
    rows = copies_sweep(requests, (1, 2, 4, 8))
    assert rows[0][1] == rows[0][2]                       # one copy: both are the plain ring
    assert rows[-1][1] < rows[1][1] < rows[0][1]


def test_cache_bad_input(requests):
    with pytest.raises(ValueError, match="strategy must be one of"):
        hot_key_load(requests, "magic")
    with pytest.raises(ValueError, match="copies must be at most 8"):
        hot_key_load(requests, "replicate", copies=9)
    with pytest.raises(ValueError, match="headroom must be at least 1"):
        hot_key_load(requests, headroom=0.5)


def test_partition_constant_matches_the_docs():
    assert PARTITION == (400.0, 900.0)
