"""A real etcd cluster on 127.0.0.1 (Debian's etcd-server; make test installs it).

These tests never skip: without etcd they fail and say how to install it.
"""

import os
import shutil
import socket
import time

import pytest

from dscourse.engines import etcd
from dscourse.engines.localproc import PortInUse, live_processes

pytestmark = pytest.mark.engine


def listening(pid):
    """(address, port) of every TCP socket process ``pid`` listens on, from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                parts = line.split()
                local, state, inode = parts[1], parts[3], parts[9]
                if state == "0A" and inode in inodes:           # 0A: LISTEN
                    addr, port = local.split(":")
                    out.add((addr, int(port, 16)))
    return out


LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F"}    # 127.0.0.1 (v4, v4-mapped v6)


@pytest.fixture(scope="module")
def cluster():
    reason = etcd.etcd_available()
    if reason:
        pytest.fail(f"the etcd engine tests need etcd: {reason}")
    with etcd.EtcdCluster() as c:
        yield c


def test_three_members_on_loopback_with_distinct_ports_and_one_leader(cluster):
    assert cluster.prefix in ("/v3", "/v3beta")
    ports = [p for m in cluster.members for p in (m.client_port, m.peer_port)]
    assert len(set(ports)) == 6
    for m in cluster.members:
        bound = listening(cluster.procs[m.name].pid)
        assert {p for _, p in bound} >= {m.client_port, m.peer_port}
        assert all(addr in LOOPBACK for addr, _ in bound), bound
    roles = sorted(r[2] for r in cluster.members_table().rows)
    assert roles == ["follower", "follower", "leader"]


def test_put_get_and_a_lease_lock_with_fencing_tokens(cluster):
    rev = cluster.put("greeting", "hello")
    assert cluster.get("greeting") == "hello" and rev > 0
    lease_a, lease_b = cluster.grant(5), cluster.grant(5)
    got = cluster.try_lock("/locks/demo", "a", lease_a)
    assert got.acquired and got.holder == "a" and got.token > rev
    other = cluster.try_lock("/locks/demo", "b", lease_b)
    assert not other.acquired and other.holder == "a" and other.token == got.token
    assert cluster.keepalive(lease_a)


def test_when_the_lock_holder_stops_renewing_the_next_candidate_gets_a_larger_token(cluster):
    first, second, took = cluster.lock_failover(ttl=1)
    assert second.holder != first.holder and second.token > first.token
    assert 0.5 < took < 4.0            # about the TTL (etcd rounds leases up to whole seconds)


def test_killing_the_leader_elects_another_and_writes_resume(cluster):
    f = cluster.kill_leader_and_measure()
    assert f.new_leader not in (None, f.old_leader)
    assert f.term_after > f.term_before
    assert 0 < f.elected_after < 10 and 0 < f.writable_after < 10
    assert cluster.leader() == f.new_leader
    cluster.put("after-failover", "ok")
    assert cluster.get("after-failover") == "ok"


def test_a_cluster_without_quorum_still_stops_and_leaves_nothing():
    with etcd.EtcdCluster() as c:
        procs = list(c.procs.values())
        pids = [p.pid for p in procs]
        datadir = c.datadir
        c.kill(c.leader())
        c.kill(c.alive()[0])                # the last member has lost its quorum
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 8
    assert not os.path.exists(datadir)
    assert all(not os.path.exists(f"/proc/{pid}") for pid in pids)
    assert not set(procs) & set(live_processes())


def test_the_cluster_is_stopped_even_when_the_block_fails():
    with pytest.raises(RuntimeError, match="inside the block"):
        with etcd.EtcdCluster(size=1) as c:
            pid, datadir = c.procs["m1"].pid, c.datadir
            raise RuntimeError("something failed inside the block")
    assert not os.path.exists(f"/proc/{pid}") and not os.path.exists(datadir)


def test_a_port_that_is_taken_is_a_clear_error_and_nothing_starts():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        before = live_processes()
        with pytest.raises(PortInUse, match=f"client_ports\\[0\\]={taken} is already in use"):
            etcd.EtcdCluster(client_ports=[taken, taken + 1, taken + 2]).start()
        assert live_processes() == before
    with pytest.raises(ValueError, match="list of 3 ports"):
        etcd.EtcdCluster(client_ports=[2379])


def test_a_member_dies_with_the_process_that_started_it_even_on_kill_9():
    import signal
    import subprocess
    import sys
    code = ("from dscourse.engines.etcd import EtcdCluster\n"
            "c = EtcdCluster(size=1); c.start()\n"
            "print(c.procs['m1'].pid, c.datadir, flush=True)\n"
            "import time; time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    datadir = ""
    try:
        pid, datadir = parent.stdout.readline().split()
        child = int(pid)
        assert os.path.exists(f"/proc/{child}")
        parent.send_signal(signal.SIGKILL)            # no finally, no atexit: only the kernel
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{child}")
    finally:
        parent.kill()
        parent.wait()
        if datadir:
            shutil.rmtree(datadir, ignore_errors=True)   # the one thing only the parent deletes


def test_without_the_engines_the_labs_skip_and_say_how_to_install(monkeypatch):
    from dscourse.engines import election_labs, zookeeper
    monkeypatch.setattr(etcd.shutil, "which", lambda name: None)
    monkeypatch.setattr(zookeeper.shutil, "which", lambda name: None)
    before = live_processes()
    with pytest.raises(etcd.EtcdNotInstalled, match="apt-get install -y etcd-server"):
        etcd.EtcdCluster().start()
    lab = election_labs.etcd_lab()
    assert lab.skipped and "apt-get install -y etcd-server" in lab.facts_text()
    zk_lab = election_labs.zookeeper_lab()
    assert "apt-get install -y zookeeper" in zk_lab.facts_text()
    table = election_labs.side_by_side(election_labs.simulated_counterparts(seeds=[1]), lab, zk_lab)
    assert [r[3] for r in table.rows] == ["skipped"] * 3
    assert live_processes() == before
