"""The decision checklist's rule set: every combination of answers, and the interesting ones."""

from itertools import product

import pytest

from dscourse.course import COURSE
from dscourse.design.rules import (
    AREAS,
    PROFILES,
    QUESTION_KEYS,
    QUESTIONS,
    check_answers,
    notebook_title,
    recommend,
)

FILES = {c.file for c in COURSE}
ALL = [dict(zip(QUESTION_KEYS, values))
       for values in product((True, False, None), repeat=len(QUESTION_KEYS))]   # 3**9 = 19683


@pytest.fixture(scope="module")
def designs():
    return [(answers, recommend(answers)) for answers in ALL]


def test_the_six_questions_of_the_course_text_are_all_asked():
    asked = {q.text for q in QUESTIONS if q.from_text}
    assert asked == {
        "Does data need to be immediately consistent?", "Is there a natural partition key?",
        "Do operations need ordering?", "Is there a coordination bottleneck?",
        "Can consumers be idempotent?", "Is hot-spot risk high?"}


def test_every_combination_gets_one_sound_recommendation_per_area(designs):
    assert len(designs) == 3 ** 9
    for answers, d in designs:
        assert tuple(r.area for r in d.recommendations) == AREAS
        for r in d.recommendations:
            assert r.choice and r.reason.endswith((".", ")")), (answers, r)
            assert r.notebooks and set(r.notebooks) <= FILES, (answers, r)
            assert set(r.because) <= set(QUESTION_KEYS)
            # course text note 7: exactly-once *delivery* is never on offer
            assert "exactly-once delivery" not in r.choice.lower()
        assert d.cap in ("CP", "AP", "undecided")


def test_cap_follows_consistency_and_the_invariant(designs):
    for answers, d in designs:
        cap = d.cap
        c, inv = answers["consistency"], answers["invariant"]
        if c is True or (c is None and inv is True):
            assert cap == "CP", answers
        elif c is False:
            assert cap == "AP", answers
        else:
            assert cap == "undecided", answers


def test_an_invariant_without_consistency_gets_escrow_and_a_warning(designs):
    for answers, d in designs:
        if answers["consistency"] is False and answers["invariant"] is True:
            assert "escrow" in d.get("consistency").choice
            assert "10_design_checklist.ipynb" == d.get("consistency").notebooks[0]
            assert any("oversell" in n for n in d.notes)


def test_ap_with_causal_dependencies_gets_vector_clocks_and_notebook_04():
    d = recommend(dict(consistency=False, invariant=False, causal=True))
    assert "causal" in d.get("consistency").choice
    assert d.get("consistency").notebooks[0] == "04_clocks_and_causality.ipynb"
    plain = recommend(dict(consistency=False, invariant=False, causal=False))
    assert plain.get("consistency").choice.startswith("AP: eventual")


def test_hot_spots_get_hot_key_handling_not_just_vnodes(designs):
    # virtual nodes balance keys, not one hot key: the fix is on top of them
    for answers, d in designs:
        if answers["hot_spots"] and answers["partition_key"] is not False:
            choice = d.get("placement").choice
            assert "virtual nodes" in choice and "hot keys" in choice, answers


def test_placement_without_hot_spots_depends_on_membership():
    fixed = recommend(dict(partition_key=True, hot_spots=False, membership=False))
    assert fixed.get("placement").choice.startswith("simple hash partitioning")
    moving = recommend(dict(partition_key=True, hot_spots=False, membership=True))
    assert moving.get("placement").choice == "consistent hashing with virtual nodes"
    assert "1/(n+1)" in moving.get("placement").reason      # course text note 8, corrected
    unknown = recommend(dict(partition_key=True))
    assert "safe default" in unknown.get("placement").choice


def test_messaging_log_per_key_or_single_log_or_queue():
    assert "partitioned log" in recommend(dict(ordering=True, partition_key=True)).get(
        "messaging").choice
    single = recommend(dict(ordering=True, partition_key=False))
    assert "single ordered log" in single.get("messaging").choice
    assert any("one partition" in n for n in single.notes)
    assert "simple queue" in recommend(dict(ordering=False)).get("messaging").choice


def test_delivery_is_at_least_once_plus_idempotency_or_transactions():
    assert recommend(dict(idempotent=True)).get("delivery").choice.startswith("at-least-once")
    tx = recommend(dict(idempotent=False)).get("delivery")
    assert "transactions" in tx.choice and "impossible" in tx.reason


def test_leader_election_always_mentions_fencing(designs):
    for answers, d in designs:
        if answers["coordination"]:
            r = d.get("coordination")
            assert "fencing" in r.choice and "09_leader_election.ipynb" in r.notebooks


@pytest.mark.parametrize("answers, note", [
    (dict(consistency=True, causal=True), "already causal"),
    (dict(consistency=True, partition_key=False), "one consensus group"),
    (dict(consistency=True, partition_key=True), "per shard"),
    (dict(consistency=True, coordination=False), "elects one inside"),
    (dict(ordering=True, hot_spots=True, partition_key=True), "gives up its order"),
    (dict(hot_spots=True, consistency=True), "counter shards"),
    (dict(ordering=True, idempotent=False), "transactional consumers"),
])
def test_interactions_become_notes(answers, note):
    d = recommend(answers)
    assert any(note in n for n in d.notes), d.notes
    # and no note appears without its cause
    assert not any(note in n for n in recommend({}).notes)


def test_undecided_answers_state_both_branches():
    d = recommend({})
    for r in d.recommendations:
        assert r.choice.startswith("undecided") or r.area == "placement", r
    assert d.notes == ()


def test_profiles_of_the_worked_problems():
    assert recommend(PROFILES["payment ledger"]).cap == "CP"
    assert recommend(PROFILES["inventory"]).cap == "CP"
    assert recommend(PROFILES["social feed"]).cap == "AP"
    chat = recommend(PROFILES["chat"])
    assert chat.cap == "AP" and "causal" in chat.get("consistency").choice
    cache = recommend(PROFILES["cache"])
    assert "hot keys" in cache.get("placement").choice
    for answers in PROFILES.values():
        assert None not in check_answers(answers).values()


def test_text_and_tables_name_every_area_and_notebook():
    d = recommend(PROFILES["payment ledger"])
    text = str(d)
    for r in d.recommendations:
        assert r.choice in text
        for f in r.notebooks:
            assert notebook_title(f) in text
    assert d.table().rows[0][0] == "consistency"
    yes = sum(1 for v in PROFILES["payment ledger"].values() if v)
    assert [row[1] for row in d.answers_table().rows].count("yes") == yes


def test_bad_answers_are_named():
    with pytest.raises(ValueError, match="unknown question key.*'speed'"):
        recommend({"speed": True})
    with pytest.raises(TypeError, match=r"answers\['consistency'\] must be True, False or None"):
        recommend({"consistency": "yes"})
    with pytest.raises(TypeError, match="answers must be a dict"):
        recommend(["consistency"])
    with pytest.raises(ValueError, match="area must be one of"):
        recommend({}).get("speed")
    with pytest.raises(ValueError, match="file must be one of the course notebooks"):
        notebook_title("11_nothing.ipynb")
