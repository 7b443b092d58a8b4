"""Instructor mode: the shared scenarios show what the guide says, and the seed notes are current."""

from pathlib import Path

import pytest

from dscourse.design.inventory import inventory_result
from dscourse.design.workshop import (
    NOTES_BEGIN,
    NOTES_END,
    PLAN_DIR,
    SCENARIOS,
    notes_markdown,
    notes_table,
    scenario_info,
    seed_notes,
    shared_scenario,
    write_plans,
)
from dscourse.election import leader_spans, leaders_at, overwritten_by_stale, split_brain, storage_writes
from dscourse.queues.sim import DEMO, build_pipeline
from dscourse.replication.experiments import Run, default_windows, node_ids
from dscourse.sim import FaultPlan

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "workshop.md"


def test_stored_plans_are_what_the_code_makes(tmp_path):
    fresh = write_plans(tmp_path)
    assert sorted(p.name for p in fresh) == sorted(f"{n}.json" for n in SCENARIOS)
    for path in fresh:
        stored = PLAN_DIR / path.name
        assert stored.exists(), f"{stored} missing: python -m dscourse.design.workshop plans"
        assert stored.read_text() == path.read_text(), f"{stored} is stale"
        assert FaultPlan.from_json(stored.read_text()).to_json() + "\n" == stored.read_text()


def test_every_scenario_is_listed_in_data_readme():
    readme = (ROOT / "data" / "README.md").read_text()
    for name in SCENARIOS:
        assert f"workshop/{name}.json" in readme, name


def _run(name):
    build, seed, plan = shared_scenario(name)
    sim = build(seed)
    plan.apply(sim)
    sim.run(until=scenario_info(name).horizon)
    return sim, plan


def test_replaying_a_shared_scenario_gives_the_same_trace_every_time():
    for name in ("cap-partition", "raft-leader-crash"):
        assert _run(name)[0].trace.digest() == _run(name)[0].trace.digest()


def test_cap_partition_stays_available_and_serves_stale_reads():
    sim, plan = _run("cap-partition")
    r = Run(sim, "lww", node_ids(3), plan, default_windows(plan, 1300.0))
    ops = [op for op in sim.history.operations() if 400.0 <= op.invoke_time < 900.0]
    assert ops and all(op.type == "ok" for op in ops)
    assert any(400.0 <= op.invoke_time < 900.0 for op, _v, _n in r.stale_reads())


def test_raft_leader_crash_crashes_the_leader_and_a_new_one_takes_over():
    sim, plan = _run("raft-leader-crash")
    crash = plan.faults[0]
    assert crash.kind == "crash"
    (old, term), = leaders_at(sim.trace, crash.at - 1e-6)
    assert old == crash.params["node_id"]
    later = [(n, t) for n, t in leaders_at(sim.trace, crash.at + 1000.0 - 1e-6)]
    assert later and later[0][0] != old and later[0][1] > term
    assert not sim.violations


def test_queue_crashes_repeat_effects_and_lose_none():
    _build, seed, plan = shared_scenario("queue-crashes")
    pipe = build_pipeline(seed, guarantee="at-least-once", **DEMO)
    plan.apply(pipe.sim)
    pipe.run(until=scenario_info("queue-crashes").horizon)
    audit = pipe.audit()
    assert audit.lost == 0 and audit.duplicated > 0


def test_lease_pause_makes_two_leaders_and_without_fencing_a_stale_write_lands():
    sim, plan = _run("lease-pause")
    assert plan.faults[0].kind == "pause"
    assert split_brain(leader_spans(sim.trace))
    assert overwritten_by_stale(storage_writes(sim.trace, "disk"))


def test_lease_pause_replays_the_live_run_of_notebook_09():
    # the notebook pauses the leader live, right after its renewal; the stored plan must do the same
    from dscourse.election import lease_cluster, pause_after_renewal
    live = lease_cluster(3, 1, fencing=False)
    live.run(until=1000.0)
    (old, _), = leaders_at(live.trace, 1000.0)
    pause_after_renewal(live, old, 800.0)
    live.run(until=2500.0)
    sim, plan = _run("lease-pause")
    assert plan.faults[0].params["node_id"] == old
    assert len(overwritten_by_stale(storage_writes(sim.trace, "disk"))) == \
        len(overwritten_by_stale(storage_writes(live.trace, "disk")))


def test_inventory_partition_oversells():
    sim, _plan = _run("inventory-partition")
    run = inventory_result(sim)
    assert run.design == "ap-check" and run.oversold > 0


def test_unknown_scenario_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="name must be one of"):
        shared_scenario("nope")
    with pytest.raises(FileNotFoundError, match="workshop plans"):
        shared_scenario("cap-partition", tmp_path)


@pytest.fixture(scope="module")
def notes():
    return seed_notes()


def test_the_guide_holds_the_current_seed_notes(notes):
    text = GUIDE.read_text()
    assert NOTES_BEGIN in text and NOTES_END in text
    stored = text[text.index(NOTES_BEGIN): text.index(NOTES_END) + len(NOTES_END)]
    assert stored == notes_markdown(notes), \
        "docs/workshop.md is stale: paste the output of python -m dscourse.design.workshop notes"


def test_seed_notes_claims(notes):
    by = {(n.notebook, n.demo): n for n in notes}
    for n in notes:
        assert sorted(n.shows + n.others) == list(range(1, 21))
    narrow = by[("06", "election_trial((150, 155), seed={seed})")]
    wide = by[("06", "election_trial((150, 300), seed={seed})")]
    assert len(narrow.shows) > len(wide.shows)           # the paper's point: spread the timeouts
    lease = by[("09", 'run_trial(algorithm("lease"), Scenario("pause"), {seed})')]
    raft = by[("09", 'run_trial(algorithm("raft"), Scenario("pause"), {seed})')]
    assert lease.shows and not raft.shows
    assert notes_table(notes).rows[0][0] == "05"


def test_guide_mentions_every_shared_scenario_and_offline_install():
    text = GUIDE.read_text()
    for name in SCENARIOS:
        assert f'shared_scenario("{name}")' in text or f"`{name}`" in text, name
    assert "pip install --no-index --find-links wheelhouse -e '.[dev]'" in text
    assert "Presentation Mode" in text and "Simple Interface" in text


def test_guide_timings_start_from_the_course_map():
    from dscourse.course import COURSE
    rows = {}
    for line in GUIDE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit() and len(cells[0]) == 2:
            rows[int(cells[0])] = cells
    assert sorted(rows) == [c.number for c in COURSE]
    for c in COURSE:
        number, title, self_paced, full, half = rows[c.number]
        assert title == c.title and int(self_paced) == c.minutes
        assert int(full) <= c.minutes and (half == "-" or int(half) <= int(full))
