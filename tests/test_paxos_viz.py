"""Paxos views: labels, diagrams and their text tables."""

import pytest
from matplotlib.figure import Figure

from dscourse.consensus.paxos import Accept, Ballot, Nack, Prepare, Promise
from dscourse.consensus.paxos_compare import comparison_table
from dscourse.consensus.paxos_explore import explore_paxos
from dscourse.consensus.paxos_mutants import MUTANTS
from dscourse.consensus.paxos_runs import duel, lone_proposer
from dscourse.viz.paxos import (
    draw_counterexample,
    draw_messages_per_value,
    draw_paxos,
    draw_rounds,
    paxos_label,
    paxos_table,
    rounds,
    rounds_table,
)


def test_labels_are_short_and_say_what_matters():
    b1, b2 = Ballot(1, "p1"), Ballot(2, "p2")
    assert paxos_label(Prepare(b1)) == "Prepare 1.p1"
    assert paxos_label(Promise(b2, None, None)) == "Promise 2.p2"
    assert paxos_label(Promise(b2, b1, "x")) == "Promise 2.p2 (had 1.p1:x)"
    assert paxos_label(Accept(b1, "x")) == "Accept 1.p1 x"
    assert paxos_label(Nack(b1, b2)) == "Nack 1.p1 < 2.p2"


def test_a_run_draws_and_its_table_lists_every_message():
    sim = lone_proposer()
    assert isinstance(draw_paxos(sim.trace, title="t"), Figure)
    table = paxos_table(sim.trace, limit=None)
    assert len(table.rows) == len(sim.trace.messages()) == 12
    assert table.rows[0][1] == "Prepare 1.p1"


def test_duel_rounds_climb_without_backoff_and_stop_with_it():
    runs = {"none": duel(None, until=400.0).trace, "backoff": duel(20.0, until=400.0).trace}
    assert isinstance(draw_rounds(runs), Figure)
    climbed = rounds(runs["none"])
    assert [k for _, k in climbed["p1"]] == list(range(1, len(climbed["p1"]) + 1))
    table = {(r[0], r[1]): r[2:] for r in rounds_table(runs).rows}
    assert table[("none", "p1")][2] == "never"
    assert table[("backoff", "p1")][2] != "never"


def test_counterexamples_draw_and_bad_input_is_refused():
    cx = explore_paxos(MUTANTS["minority_quorum"], crashes=0).counterexample
    assert isinstance(draw_counterexample(cx), Figure)
    with pytest.raises(TypeError, match="Counterexample"):
        draw_counterexample("schedule")


def test_message_bars_read_the_comparison_table():
    assert isinstance(draw_messages_per_value(comparison_table(n=3, commands=5)), Figure)
