"""Scenario tests modelled on the standard Raft lab suite (MIT 6.824, labs 2A-2C), in virtual time.

Every cluster checks the five safety properties after every event; each test
ends by asserting that none was violated.
"""

import pytest

from dscourse.consensus.raft import RaftCluster
from dscourse.consensus.raft.chaos import figure8_run
from dscourse.consensus.raft.timing import measure_messages_per_commit
from dscourse.sim.rng import derive_rng

ELECTION = 300.0          # the longest election timeout (ms)


def safe(c):
    assert c.violations == [], c.violation_table()


# ------------------------------------------------------------------------ 2A: election
def test_initial_election():
    c = RaftCluster(3, seed=1)
    leader = c.wait_for_leader()
    assert leader is not None and c.check_one_leader() == leader
    term = c.node(leader).current_term
    assert term >= 1
    c.run(2 * ELECTION)                      # no failure: no new election
    assert c.node(leader).current_term == term and c.leader() == leader
    assert set(c.terms().values()) == {term}
    safe(c)


def test_re_election_after_leader_failure_and_when_it_returns():
    c = RaftCluster(3, seed=2)
    leader1 = c.wait_for_leader()
    c.disconnect(leader1)
    leader2 = c.wait_for_leader()
    assert leader2 not in (None, leader1)
    c.connect(leader1)                       # the old leader returns: it must not disturb
    c.run(2 * ELECTION)
    assert c.check_one_leader() == leader2 or c.check_one_leader() is not None
    assert c.node(leader1).role != "leader" or c.node(leader1).current_term > \
        c.node(leader2).current_term
    leader2 = c.check_one_leader()
    others = [n for n in c.ids if n != leader2]
    c.disconnect(leader2)
    c.disconnect(others[0])                  # no majority: no leader
    c.run(2 * ELECTION)
    assert c.leader() is None
    c.connect(others[0])                     # a majority again
    assert c.wait_for_leader() is not None
    c.connect(leader2)
    c.run(ELECTION)
    assert c.check_one_leader() is not None
    safe(c)


def test_many_elections_with_repeated_failures_among_seven():
    c = RaftCluster(7, seed=3)
    assert c.wait_for_leader() is not None
    rng = derive_rng(3, "test")
    for _ in range(10):
        cut = rng.sample(c.ids, 3)           # a minority at a time
        for n in cut:
            c.disconnect(n)
        assert c.wait_for_leader() is not None
        c.check_one_leader()
        for n in cut:
            c.connect(n)
    assert c.wait_for_leader() is not None
    safe(c)


# ---------------------------------------------------------------------- 2B: agreement
def test_basic_agreement():
    c = RaftCluster(3, seed=4)
    for index in range(1, 4):
        assert c.n_committed(index)[0] == 0          # nothing committed before submit
        assert c.one(index * 100) == index
    assert all(c.committed(n) == [100, 200, 300] for n in c.ids)
    safe(c)


def test_agreement_despite_a_disconnected_follower():
    c = RaftCluster(3, seed=5)
    c.one(101)
    leader = c.leader()
    follower = next(n for n in c.ids if n != leader)
    c.disconnect(follower)
    c.one(102, expected=2)
    c.run(ELECTION)
    c.one(103, expected=2)
    c.connect(follower)                      # its higher term may force a new election
    c.one(104, expected=3)
    assert c.committed(follower)[:3] == [101, 102, 103] and 104 in c.committed(follower)
    safe(c)


def test_no_agreement_without_a_majority():
    c = RaftCluster(5, seed=6)
    c.one(10)
    leader = c.leader()
    followers = [n for n in c.ids if n != leader][:3]
    for n in followers:
        c.disconnect(n)
    result = c.submit(20, leader)
    assert result.ok and result.index == 2
    c.run(2 * ELECTION)
    assert c.n_committed(2) == (0, None)
    for n in followers:
        c.connect(n)
    c.run(2 * ELECTION)
    leader2 = c.check_one_leader()
    again = c.submit(30, leader2)
    assert again.ok and again.index in (2, 3)
    c.one(1000)
    safe(c)


def test_concurrent_submissions():
    c = RaftCluster(3, seed=7)
    leader = c.wait_for_leader()
    results = [c.submit(i, leader) for i in range(5)]
    assert all(r.ok for r in results)
    assert len({r.term for r in results}) == 1
    assert [r.index for r in results] == [1, 2, 3, 4, 5]
    assert c.run_until(lambda c: all(c.n_committed(r.index)[0] == 3 for r in results))
    assert sorted(c.committed(leader)) == [0, 1, 2, 3, 4]
    safe(c)


def test_partitioned_leader_rejoins():
    c = RaftCluster(3, seed=8)
    c.one(101)
    leader1 = c.leader()
    c.disconnect(leader1)
    for cmd in (102, 103, 104):              # accepted by the cut-off leader, never committed
        assert c.submit(cmd, leader1).ok
    c.one(103, expected=2)
    leader2 = c.leader()
    c.disconnect(leader2)
    c.connect(leader1)
    c.one(104, expected=2)
    c.connect(leader2)
    c.one(105)
    final = c.committed(leader1)
    assert final == [101, 103, 104, 105]     # the old leader's uncommitted entries are gone
    assert all(c.committed(n) == final for n in c.ids)
    safe(c)


def test_leader_backs_up_quickly_over_many_conflicting_entries():
    c = RaftCluster(5, seed=9)
    c.one("first")
    ids = c.ids
    l1 = ids.index(c.leader())
    at = lambda k: ids[(l1 + k) % 5]
    # the leader and one follower alone: 50 commands that cannot commit
    for k in (2, 3, 4):
        c.disconnect(at(k))
    for i in range(50):
        c.submit(f"lost{i}", at(0))
    c.run(ELECTION)
    for k in (0, 1):
        c.disconnect(at(k))
    for k in (2, 3, 4):
        c.connect(at(k))
    for i in range(50):                      # the other three commit 50 commands
        c.one(f"kept{i}", expected=3)
    # now the new leader and one follower alone: 50 more that cannot commit
    leader2 = c.check_one_leader()
    other = at(2) if leader2 != at(2) else at(3)
    c.disconnect(other)
    for i in range(50):
        c.submit(f"lost-too{i}", leader2)
    c.run(ELECTION)
    # the first pair comes back with `other`: they must back up over 50 entries quickly
    for n in ids:
        c.disconnect(n)
    for n in (at(0), at(1), other):
        c.connect(n)
    start = c.now
    for i in range(50):
        c.one(f"new{i}", expected=3)
    assert c.now - start < 10_000
    for n in ids:
        c.connect(n)
    last = c.one("last")
    log = c.committed(c.leader())[:last]
    assert log[0] == "first" and len(log) == 102
    assert not any(str(x).startswith("lost") for x in log)
    safe(c)


def test_bounds_on_messages_per_agreement():
    c = RaftCluster(3, seed=10)
    c.wait_for_leader()
    sent = c.sim.stats()["sent"]
    assert 4 <= sent <= 30                   # an election: a few requests and answers
    for n in (3, 5):
        count = measure_messages_per_commit(n, commands=20, seed=11)
        # one AppendEntries and one answer per follower, plus a few retries at most
        assert 2 * (n - 1) <= count.per_command <= 2 * (n - 1) * 1.25
        assert count.per_command_total < count.per_command + 2 * (n - 1)


# -------------------------------------------------------------------- 2C: persistence
def test_persistence_across_crashes_of_all_servers():
    c = RaftCluster(3, seed=12)
    c.one(11)
    for n in c.ids:
        c.crash(n)
    for n in c.ids:
        c.recover(n)
    c.one(12)
    leader = c.leader()
    c.crash(leader)
    c.recover(leader)
    c.one(13)
    leader = c.leader()
    c.crash(leader)
    c.one(14, expected=2)
    c.recover(leader)
    c.one(15)
    assert all(c.committed(n) == [11, 12, 13, 14, 15] for n in c.ids)
    safe(c)


def test_partitioned_leader_and_follower_crash_then_leader_restarts():
    c = RaftCluster(3, seed=13)
    c.one(101)
    leader = c.leader()
    follower = next(n for n in c.ids if n != leader)
    c.disconnect(follower)
    c.one(102, expected=2)
    c.crash(leader)
    c.connect(follower)
    c.recover(leader)
    c.one(103, expected=2)
    c.recover(leader)
    c.one(104)
    assert c.committed(follower) == [101, 102, 103, 104]
    safe(c)


@pytest.mark.parametrize("unreliable", [False, True])
def test_figure8(unreliable):
    for seed in range(4):
        run = figure8_run(seed, iterations=40, unreliable=unreliable)
        assert run.violations == [] and run.lost == [], (seed, run.cluster.violation_table())


def test_agreement_with_loss_duplication_and_long_reordering():
    c = RaftCluster(5, seed=14, loss=0.1, duplicate=0.1, reorder=0.1, reorder_delay=300.0)
    rng = derive_rng(14, "test")
    for i in range(20):
        for _ in range(3):
            leader = c.leader()
            if leader is not None:
                c.submit(f"extra{i}-{rng.randrange(100)}", leader)
        c.one(i, timeout=20_000)
    c.sim.set_network(loss=0.0, duplicate=0.0, reorder=0.0)
    last = c.one("last", timeout=20_000)
    committed = c.committed(c.leader())
    assert [x for x in committed if isinstance(x, int)] == list(range(20))
    assert all(c.committed(n)[:last] == committed[:last] for n in c.ids)
    safe(c)


@pytest.mark.parametrize("unreliable", [False, True])
def test_churn(unreliable):
    """Servers crash, restart and get cut off at random while commands flow."""
    network = dict(loss=0.1, duplicate=0.1, reorder=0.1, reorder_delay=300.0) if unreliable else {}
    c = RaftCluster(5, seed=15 + unreliable, **network)
    rng = derive_rng(15, "churn")
    accepted = []
    for _ in range(60):
        for n in c.ids:
            if c.is_up(n):
                r = c.submit(rng.randrange(10**6), n)
                if r.ok:
                    accepted.append(r)
        action = rng.random()
        target = rng.choice(c.ids)
        if action < 0.2:
            c.disconnect(target)
        elif action < 0.5:
            c.connect(target)
        elif action < 0.6 and sum(c.is_up(n) for n in c.ids) > 3:
            c.crash(target)
        elif action < 0.9:
            c.recover(target)
        c.run(rng.uniform(0, 150))
    c.heal()
    for n in c.ids:
        c.recover(n)
    c.sim.set_network(loss=0.0, duplicate=0.0, reorder=0.0)
    last = c.one("end", timeout=20_000)
    assert c.run_until(lambda c: all(c.node(n).commit_index >= last for n in c.ids), 5000)
    logs = [c.committed(n)[:last] for n in c.ids]
    assert all(log == logs[0] for log in logs)
    assert len(accepted) > 10
    safe(c)


def test_a_returning_cut_off_follower_forces_an_election_it_cannot_win():
    """The notebook's story: the cut-off server's terms rise; back, it deposes the leader."""
    c = RaftCluster(3, seed=2)
    for command in ("x", "y"):
        c.one(command)
    leader = c.leader()
    lagging = next(n for n in c.ids if n != leader)
    before = c.node(leader).current_term
    c.disconnect(lagging)
    c.one("z", expected=2)                   # its log falls behind
    c.run(1000)
    assert c.node(lagging).current_term > before + 1
    assert c.node(leader).current_term == before
    c.connect(lagging)
    c.run(600)
    now = c.leader()
    assert now != lagging and c.node(now).current_term >= c.node(lagging).current_term
    assert c.node(now).current_term > before                 # there was an election
    assert len({tuple(c.committed(n)) for n in c.ids}) == 1
    safe(c)
