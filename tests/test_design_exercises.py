"""Notebook 10's exercise checks, against the reference solutions and typical wrong answers."""

import pytest

from dscourse.design.exercises import (
    check_hot_key_router,
    check_seat_booking,
    check_split_stock,
    reference_choose_node,
    reference_split_stock,
)
from dscourse.feedback import Feedback

SEATS = dict(consistency=True, invariant=True, causal=False, partition_key=True, ordering=False,
             coordination=False, idempotent=True, hot_spots=True, membership=False)


# ------------------------------------------------------------------ seat booking
@pytest.mark.parametrize("consistency", [True, False])
def test_seat_booking_reference_answers_pass_with_cp_or_escrow(consistency):
    fb = check_seat_booking({**SEATS, "consistency": consistency})
    assert isinstance(fb, Feedback) and fb.passed, str(fb)
    design = "cp-ticket" if consistency else "ap-escrow"
    assert f"({design}) never sells a seat twice" in str(fb)


def test_seat_booking_without_the_invariant_runs_the_design_and_counts_the_double_sales():
    fb = check_seat_booking({**SEATS, "consistency": False, "invariant": False})
    assert not fb.passed
    assert "'ap-check'" in fb.problem and "seat(s) twice" in fb.problem and "seed 2" in fb.problem
    assert "invariant question" in fb.hint


def test_seat_booking_cp_without_the_invariant_is_safe_but_still_not_right():
    fb = check_seat_booking({**SEATS, "invariant": False})
    assert not fb.passed
    assert "each seat may be sold once" in fb.problem


@pytest.mark.parametrize("key, wrong, says", [
    ("ordering", True, "order the e-mails"),
    ("idempotent", False, "skips those it has seen"),
    ("hot_spots", False, "one hot key"),
    ("partition_key", False, "concert id"),
])
def test_seat_booking_wrong_answers_are_named_with_the_sentence_that_settles_them(key, wrong, says):
    fb = check_seat_booking({**SEATS, key: wrong})
    assert not fb.passed and says in fb.problem


def test_seat_booking_undecided_and_malformed_answers():
    fb = check_seat_booking({"consistency": True})
    assert not fb.passed and "still None" in fb.problem and "'invariant'" in fb.problem
    fb = check_seat_booking({**SEATS, "speed": True})
    assert not fb.passed and "unknown question key" in fb.problem
    fb = check_seat_booking({**SEATS, "ordering": "no"})
    assert not fb.passed and "must be True, False or None" in fb.problem


# ------------------------------------------------------------------ escrow
def test_split_stock_reference_passes():
    fb = check_split_stock(reference_split_stock)
    assert fb.passed, str(fb)
    assert len(fb.checks) == 10


def test_split_stock_full_stock_everywhere_is_an_oversell_measured():
    fb = check_split_stock(lambda stock, replicas: {r: stock for r in replicas})
    assert not fb.passed
    assert "adds up to 60, more than the 20 units" in fb.problem
    assert "6 that do not exist" in fb.problem


def test_split_stock_floor_division_strands_the_remainder():
    fb = check_split_stock(lambda stock, replicas: {r: stock // len(replicas) for r in replicas})
    assert not fb.passed
    assert "2 unit(s) belong to no replica" in fb.problem and "18 sold of 20" in fb.problem


def test_split_stock_true_division_and_bad_shapes_and_crashes():
    fb = check_split_stock(lambda stock, replicas: {r: stock / len(replicas) for r in replicas})
    assert not fb.passed and "use // for division" in fb.problem
    fb = check_split_stock(lambda stock, replicas: [stock])
    assert not fb.passed and "one quota per replica" in fb.problem
    fb = check_split_stock(lambda stock, replicas: {r: -1 for r in replicas})
    assert not fb.passed and "at least 0" in fb.problem

    def broken(stock, replicas):
        raise NotImplementedError("Exercise: replace this line with your solution")
    fb = check_split_stock(broken)
    assert not fb.passed and "not solved yet" in fb.problem


def test_split_stock_that_only_works_for_three_replicas_is_caught_on_an_unseen_case():
    def three_only(stock, replicas):
        return dict(zip(replicas, (stock - 2 * (stock // 3), stock // 3, stock // 3)))
    fb = check_split_stock(three_only)
    assert not fb.passed and "split_stock(10, ['n1', 'n2', 'n3', 'n4'])" in fb.problem


# ------------------------------------------------------------------ hot keys
def test_hot_key_router_reference_passes():
    fb = check_hot_key_router(reference_choose_node)
    assert fb.passed, str(fb)


def test_hot_key_router_plain_ring_overloads_one_node():
    fb = check_hot_key_router(lambda key, ring, hot, rng: ring.get_node(key))
    assert not fb.passed and "times the mean" in fb.problem and "8 nodes" in fb.problem


def test_hot_key_router_random_nodes_break_cache_locality():
    fb = check_hot_key_router(lambda key, ring, hot, rng: rng.choice(ring.nodes))
    assert not fb.passed and "cold key(s) were served by a node other than their owner" in fb.problem


def test_hot_key_router_hot_keys_everywhere_cost_too_many_copies():
    fb = check_hot_key_router(
        lambda key, ring, hot, rng: rng.choice(ring.nodes) if key in hot else ring.get_node(key))
    assert not fb.passed and "a hot key was served by 8 nodes" in fb.problem


def test_hot_key_router_two_copies_are_not_enough():
    fb = check_hot_key_router(lambda key, ring, hot, rng: rng.choice(ring.get_nodes(key, 2))
                              if key in hot else ring.get_node(key))
    assert not fb.passed and "times the mean" in fb.problem


def test_hot_key_router_bad_node_and_exceptions():
    fb = check_hot_key_router(lambda key, ring, hot, rng: "cache-99")
    assert not fb.passed and "not a node of the ring" in fb.problem
    fb = check_hot_key_router(lambda key, ring, hot, rng: 1 / 0)
    assert not fb.passed and "raised ZeroDivisionError" in fb.problem
