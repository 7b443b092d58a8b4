"""Notebook 10's widget (driven without a browser), figures and the talk template."""

import pytest

from dscourse.design.cache import STRATEGIES, copies_sweep, hot_key_load, zipf_requests
from dscourse.design.inventory import DESIGNS, run_inventory
from dscourse.design.problems import chat, payment_ledger, social_feed
from dscourse.design.rules import PROFILES, QUESTION_KEYS, recommend
from dscourse.design.talk import PROBLEM_NUMBERS, Measured, course_numbers, problem_facts, talk
from dscourse.viz.design import (
    cache_figure,
    copies_figure,
    feed_figure,
    inventory_figure,
    ledger_figure,
)
from dscourse.widgets.design import DesignChecklist, design_html


# ------------------------------------------------------------------ the widget
def test_checklist_starts_undecided_and_follows_the_buttons():
    panel = DesignChecklist()
    assert set(panel.answers) == set(QUESTION_KEYS) and set(panel.answers.values()) == {None}
    assert panel.design.cap == "undecided"
    panel.buttons["consistency"].value = "yes"
    assert panel.design.cap == "CP" and "CP:" in panel.output.value
    panel.buttons["consistency"].value = "no"
    panel.buttons["invariant"].value = "yes"
    assert "escrow" in panel.design.get("consistency").choice
    assert "escrow" in panel.text() and "oversell" in panel.output.value   # the note is shown


def test_checklist_examples_reset_and_hand_edits():
    panel = DesignChecklist()
    panel.profile.value = "inventory"
    assert panel.answers == PROFILES["inventory"]
    assert panel.design == recommend(PROFILES["inventory"])
    renders = panel.renders
    panel.buttons["hot_spots"].value = "no"            # a hand edit: no longer the example
    assert panel.profile.value == "(your own answers)" and panel.renders == renders + 1
    assert "hot keys" not in panel.design.get("placement").choice
    panel.reset_button.click()
    assert set(panel.answers.values()) == {None} and panel.design.cap == "undecided"


def test_checklist_links_every_notebook_it_recommends():
    panel = DesignChecklist(PROFILES["chat"])
    for r in panel.design.recommendations:
        for f in r.notebooks:
            assert f"href='{f}'" in panel.output.value
    assert panel.output.value == design_html(panel.design)


def test_set_answers_recommends_once_and_bad_input_is_refused():
    panel = DesignChecklist()
    before = panel.renders
    panel.set_answers(PROFILES["cache"])
    assert panel.renders == before + 1 and panel.answers == PROFILES["cache"]
    with pytest.raises(ValueError, match="unknown question key"):
        panel.set_answers({"speed": True})
    with pytest.raises(ValueError, match="name must be one of"):
        panel.load_profile("bank")
    quiet = DesignChecklist(render=False)
    quiet.buttons["ordering"].value = "yes"
    assert quiet.renders == 0 and quiet.output.value == ""
    assert "log" in quiet.design.get("messaging").choice


# ------------------------------------------------------------------ figures
def test_figures_draw_the_measured_numbers():
    ledger = payment_ledger(1)
    ax = ledger_figure(ledger).axes[0]
    heights = sorted(round(p.get_height()) for p in ax.patches)
    assert max(heights) == max(r.lost for r in ledger)
    feed = social_feed(1)
    ax = feed_figure(feed).axes[0]
    assert max(p.get_height() for p in ax.patches) == max(max(r.stale.values()) for r in feed)
    runs = [run_inventory(d, 1) for d in DESIGNS]
    fig = inventory_figure(runs)
    assert len(fig.axes) == 3
    assert f"{runs[0].oversold} oversold" in fig.axes[0].get_title()
    reqs = zipf_requests(keys=2000, count=10_000, seed=1)
    loads = [hot_key_load(reqs, s) for s in STRATEGIES]
    ax = cache_figure(loads).axes[0]
    assert max(p.get_height() for p in ax.patches) == max(r.hottest[1] for r in loads)
    rows = copies_sweep(reqs, (1, 2, 4))
    assert len(copies_figure(rows).axes[0].lines) == 3        # two series and the capacity


# ------------------------------------------------------------------ talk
@pytest.fixture(scope="module")
def course():
    return course_numbers(seed=1)


def test_course_numbers_are_measured_and_name_their_notebook(course):
    assert all(isinstance(m, Measured) for m in course.values())
    assert {m.notebook for m in course.values()} == {"02", "03", "06", "07", "08", "09"}
    assert course["cap_minority"].value == "0%"
    assert course["raft_messages"].value == "8"               # 2(n-1) for n = 5, measured
    assert course["hash_join"].value.startswith("75%")        # (n-1)/n for 3 -> 4
    for keys in PROBLEM_NUMBERS.values():
        assert set(keys) <= set(course)


def test_talks_state_assumptions_choice_trade_off_and_numbers(course):
    results = {"payment ledger": payment_ledger(1), "social feed": social_feed(1), "chat": chat(1),
               "inventory": [run_inventory(d, 1) for d in DESIGNS],
               "cache": [hot_key_load(zipf_requests(seed=1), s) for s in STRATEGIES]}
    for name, result in results.items():
        t = talk(name, course, problem_facts(name, result))
        text = str(t)
        assert t.assumptions and t.choice and t.trade_off and t.support
        assert text.index("1. Assumptions") < text.index("2. Choice") < text.index("3. Trade-off")
        assert all(f.notebook == "10" for f in t.trade_off)
        assert t.choice[0].startswith("consistency: " + recommend(PROFILES[name]).get(
            "consistency").choice)
    ledger = talk("payment ledger", course, problem_facts("payment ledger", results["payment ledger"]))
    assert any(c.startswith("delivery: at-least-once") for c in ledger.choice)
    lost = [f for f in ledger.trade_off if f.key == "ledger_lost"][0]
    by = {r.store: r for r in results["payment ledger"]}
    assert lost.value == f"0 vs {by['lww'].lost} of {by['lww'].acknowledged}"


def test_talk_bad_input(course):
    with pytest.raises(ValueError, match="name must be one of"):
        talk("bank", course, [])
    with pytest.raises(ValueError, match="course is missing"):
        talk("cache", {}, [])
