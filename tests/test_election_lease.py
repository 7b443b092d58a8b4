"""Lease-based election: the lock store, renewals at a third of the lease, the two hazards
(a pause, a drifting clock) and the fix (fencing tokens checked by the storage)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dscourse.election import (
    LeaseError,
    LockTable,
    leader_spans,
    leaders_at,
    lease_cluster,
    overwritten_by_stale,
    pause_after_renewal,
    resign_at,
    split_brain,
    storage_writes,
)
from dscourse.election.fencing import StorageNode, fenced, unfenced
from dscourse.election.lease import LeaseElector, is_election_message
from dscourse.election.lockstore import Acquire, LeaseReply, Renew
from dscourse.sim import FaultPlan
from tests.conftest import sweep

# ------------------------------------------------------------------ the lock table


def test_acquire_renew_release_with_increasing_tokens():
    t = LockTable()
    g = t.try_acquire("leader", "a", 300, now=0)
    assert (g.holder, g.token, g.expires) == ("a", 1, 300)
    assert t.try_acquire("leader", "b", 300, now=100) is None          # held by a
    assert t.renew("leader", "a", 300, now=200).expires == 500           # same token
    assert t.renew("leader", "a", 300, now=200).token == 1
    assert t.holder("leader", 499).holder == "a" and t.holder("leader", 500) is None
    g2 = t.try_acquire("leader", "b", 300, now=500)                      # a's lease ran out
    assert g2.token == 2
    t.release("leader", "b", now=600)
    assert t.holder("leader", 600) is None
    assert t.try_acquire("leader", "a", 300, now=600).token == 3         # a new grant, a new token


def test_asking_again_while_holding_gives_a_new_token():
    t = LockTable()
    t.try_acquire("leader", "a", 300, now=0)
    assert t.try_acquire("leader", "a", 300, now=10).token == 2


def test_lease_misuse_is_a_clear_error():
    t = LockTable()
    with pytest.raises(ValueError, match="duration must be greater than 0"):
        t.try_acquire("leader", "a", 0, now=0)
    with pytest.raises(ValueError, match="duration must be greater than 0"):
        t.try_acquire("leader", "a", -5, now=0)
    with pytest.raises(LeaseError, match="nobody holds it"):
        t.renew("leader", "a", 300, now=0)                # never acquired
    t.try_acquire("leader", "a", 300, now=0)
    with pytest.raises(LeaseError, match="granted to 'a'"):
        t.renew("leader", "b", 300, now=10)               # someone else's lease
    with pytest.raises(LeaseError, match="expired at 300"):
        t.renew("leader", "a", 300, now=301)              # too late
    with pytest.raises(LeaseError, match="has token 1, not 7"):
        t.renew("leader", "a", 300, now=10, token=7)
    t.release("leader", "a", now=20)
    with pytest.raises(LeaseError, match="released already"):
        t.release("leader", "a", now=30)                  # released twice
    with pytest.raises(TypeError, match="lock must be"):
        t.try_acquire("", "a", 300, now=0)
    assert issubclass(LeaseError, ValueError)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["acquire", "renew", "release"]),
                          st.sampled_from(["a", "b", "c"]), st.integers(1, 200)), max_size=40))
def test_one_holder_at_a_time_and_tokens_only_grow(ops):
    """A model of the rules: a grant only when nobody else holds an unexpired lease."""
    t, now, last_token = LockTable(), 0.0, 0
    held: tuple | None = None                       # (holder, expires) according to the model
    for op, who, dt in ops:
        now += dt
        free = held is None or held[1] <= now or held[0] == who
        try:
            if op == "acquire":
                g = t.try_acquire("L", who, 150, now)
                assert (g is not None) == free
                if g is not None:
                    assert g.token > last_token
                    last_token, held = g.token, (who, now + 150)
            elif op == "renew":
                t.renew("L", who, 150, now)
                assert held is not None and held[0] == who and held[1] > now
                held = (who, now + 150)
            else:
                t.release("L", who, now)
                assert held is not None and held[0] == who and held[1] > now
                held = None
        except LeaseError:
            assert op != "acquire"
            assert held is None or held[0] != who or held[1] <= now


# ------------------------------------------------------------------ on the simulator


def elector_ids(sim):
    return [n for n in sim.node_ids if n.startswith("n")]


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(5)))
def test_without_faults_one_leader_renewing_every_third_of_the_lease(seed):
    sim = lease_cluster(3, seed, lease=300)
    sim.run(until=2000)
    assert split_brain(leader_spans(sim.trace)) == []
    spans = leader_spans(sim.trace)
    assert len(spans) == 1 and spans[0].term == 1                  # one reign, fencing token 1
    renews = [r.time for r in sim.trace.select("send", node=spans[0].node)
              if isinstance(r.data, Renew) and r.peer == "lock"]
    gaps = {round(b - a, 6) for a, b in zip(renews, renews[1:])}
    assert gaps == {100.0}                                          # lease / 3
    assert overwritten_by_stale(storage_writes(sim.trace, "disk")) == []


def test_a_crashed_leader_is_replaced_after_its_lease_runs_out():
    sim = lease_cluster(3, seed=4, lease=300)
    sim.run(until=1000)
    (old, token), = leaders_at(sim.trace, 1000)
    sim.crash(old)
    sim.run(until=2000)
    (new, new_token), = leaders_at(sim.trace, 2000)
    assert new != old and new_token > token
    took = [s.start for s in leader_spans(sim.trace) if s.node == new][0] - 1000
    assert 100 < took <= 300 + 100 + 20        # lease, plus one polling interval and a round trip


def test_resigning_releases_the_lock_and_resigning_twice_is_an_error():
    sim = lease_cluster(3, seed=2)
    sim.run(until=500)
    (old, _), = leaders_at(sim.trace, 500)
    resign_at(sim, old, 600)
    sim.run(until=800)
    (new, _), = leaders_at(sim.trace, 800)
    assert new != old
    assert [s.start for s in leader_spans(sim.trace) if s.node == new][0] < 600 + 100 + 20
    with pytest.raises(LeaseError, match="does not hold it"):
        sim.nodes[old].resign()


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(5)))
def test_a_pause_longer_than_the_lease_makes_two_leaders(seed):
    for fencing in (False, True):
        sim = lease_cluster(3, seed, fencing=fencing)
        sim.run(until=1000)
        (old, _), = leaders_at(sim.trace, 1000)
        plan = pause_after_renewal(sim, old, 800)
        assert plan.faults[0].kind == "pause"
        sim.run(until=2500)
        windows = split_brain(leader_spans(sim.trace))
        assert windows and old in windows[0].nodes          # it woke up still believing
        writes = storage_writes(sim.trace, "disk")
        stale = overwritten_by_stale(writes)
        if fencing:
            assert stale == [] and any(not w.accepted and w.writer == old for w in writes)
        else:
            assert stale and {w.writer for w in stale} == {old}


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(5)))
def test_a_slow_clock_makes_two_leaders_and_fencing_stops_the_damage(seed):
    results = {}
    for fencing in (False, True):
        sim = lease_cluster(3, seed, fencing=fencing)
        sim.run(until=1000)
        (old, _), = leaders_at(sim.trace, 1000)
        (FaultPlan().clock(old, at=1000, drift=-0.6)            # 0.4 ms per true ms
         .partition([old], ["lock"], at=1000).heal(at=2000).apply(sim))
        sim.run(until=2500)
        results[fencing] = (split_brain(leader_spans(sim.trace)),
                            overwritten_by_stale(storage_writes(sim.trace, "disk")))
    (unsafe_windows, unsafe_stale), (safe_windows, safe_stale) = results[False], results[True]
    assert unsafe_windows and unsafe_stale
    assert safe_stale == []
    # a fenced write tells the old leader it was replaced, so it steps down sooner
    assert sum(w.duration for w in safe_windows) < sum(w.duration for w in unsafe_windows)


def test_a_stepped_clock_does_not_matter_timers_are_monotonic():
    sim = lease_cluster(3, seed=5)
    sim.run(until=1000)
    (old, _), = leaders_at(sim.trace, 1000)
    FaultPlan().clock(old, at=1000, skew=-5000).partition([old], ["lock"], at=1000).apply(sim)
    sim.run(until=2500)
    assert split_brain(leader_spans(sim.trace)) == []


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(4)))
def test_replicated_store_survives_one_replica_and_tokens_keep_growing(seed):
    sim = lease_cluster(3, seed, stores=3)
    FaultPlan().crash("lock2", at=500).apply(sim)
    sim.run(until=1500)
    spans = leader_spans(sim.trace)
    assert len(spans) == 1                                 # the crash changed nothing
    sim.crash("lock3")                                     # no majority left
    sim.run(until=2500)
    assert leaders_at(sim.trace, 2500) == []


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(8)))
def test_under_random_faults_tokens_grow_and_fenced_storage_never_takes_a_stale_write(seed):
    sim = lease_cluster(3, seed, stores=3)
    nodes = [n for n in sim.node_ids if n != "disk"]
    FaultPlan.random(nodes, seed=seed, duration=4000, kinds=("crash", "partition", "pause")).apply(sim)
    sim.run(until=4500)
    reigns = []
    for s in leader_spans(sim.trace, while_paused=True):
        if (s.node, s.term) not in reigns:
            reigns.append((s.node, s.term))
    tokens = [t for _, t in reigns]
    assert tokens == sorted(tokens) and len(set(tokens)) == len(tokens)
    assert overwritten_by_stale(storage_writes(sim.trace, "disk")) == []


def test_the_fencing_rule():
    assert fenced(3, 3) and fenced(3, 4) and not fenced(3, 2)
    assert unfenced(3, 2)


def test_election_messages_are_acquisitions_not_renewals():
    assert is_election_message(Acquire("leader", 300, 1))
    assert is_election_message(LeaseReply("acquire", 1, True, 1))
    assert not is_election_message(Renew("leader", 300, 1, 2))
    assert not is_election_message(LeaseReply("renew", 2, True, 1))


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="duration must be greater than 0"):
        LeaseElector("n1", ["lock"], lease=0)
    with pytest.raises(ValueError, match="duration must be greater than 0"):
        lease_cluster(3, lease=-10)
    with pytest.raises(ValueError, match="at least one"):
        LeaseElector("n1", [])
    with pytest.raises(TypeError, match="stores must be a list"):
        LeaseElector("n1", "lock")
    with pytest.raises(TypeError, match="fencing must be True or False"):
        StorageNode("disk", fencing="yes")
    with pytest.raises(TypeError, match="policy must be a function"):
        StorageNode("disk", policy=3)
    sim = lease_cluster(3, seed=1)
    sim.run(until=100)
    with pytest.raises(ValueError, match="sent no renewal"):
        pause_after_renewal(sim, "disk", 500, within=300)


def test_same_seed_same_trace():
    digests = set()
    for _ in range(2):
        sim = lease_cluster(3, seed=6, stores=3)
        FaultPlan().crash("n1", at=400).pause("lock1", at=500, duration=300).apply(sim)
        sim.run(until=1500)
        digests.add(sim.trace.digest())
    assert len(digests) == 1


def test_the_plan_of_a_live_pause_replays_the_same_run():
    live = lease_cluster(3, 2, fencing=False)
    live.run(until=1000)
    (old, _), = leaders_at(live.trace, 1000)
    plan = pause_after_renewal(live, old, 800)
    live.run(until=2500)
    replay = lease_cluster(3, 2, fencing=False)
    plan.apply(replay)
    replay.run(until=2500)
    def stale(sim):   # (writer, value): the times differ in the last bit of a float
        return [(w.writer, w.value) for w in overwritten_by_stale(storage_writes(sim.trace, "disk"))]

    assert stale(live) and stale(replay) == stale(live)
