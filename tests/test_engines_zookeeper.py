"""A real ZooKeeper ensemble on 127.0.0.1 (Debian's zookeeper package, kazoo; make test
installs them) and kazoo's election recipe.

These tests never skip: without ZooKeeper they fail and say how to install it.
"""

import os
import socket

import pytest

from dscourse.engines import zookeeper as zkeng
from dscourse.engines.localproc import PortInUse, free_ports, live_processes
from tests.test_engines_etcd import LOOPBACK, listening

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def ensemble():
    reason = zkeng.zookeeper_available()
    if reason:
        pytest.fail(f"the ZooKeeper engine tests need ZooKeeper: {reason}")
    with zkeng.ZooKeeperEnsemble() as z:
        yield z


def test_three_servers_on_loopback_one_leader_and_no_admin_server(ensemble):
    assert sorted(ensemble.modes().values()) == ["follower", "follower", "leader"]
    for s in ensemble.servers:
        bound = listening(ensemble.procs[s.name].pid)
        ports = {p for _, p in bound}
        assert s.client_port in ports and 8080 not in ports
        assert all(addr in LOOPBACK for addr, _ in bound), bound
    zk = ensemble.client()
    zk.ensure_path("/dscourse/test")
    zk.set("/dscourse/test", b"hello")
    assert zk.get("/dscourse/test")[0] == b"hello"


def test_killing_the_leading_candidate_hands_leadership_to_another(ensemble):
    f = ensemble.election_failover(candidates=3, session_timeout=2.0)
    assert f.new_leader not in (None, f.old_leader)
    # the dead candidate's znode goes only when its session expires
    assert 0.5 * f.session_timeout < f.took_over_after < f.session_timeout + 3


def test_killing_the_leading_server_elects_another_and_writes_resume(ensemble):
    f = ensemble.kill_leader_and_measure()
    assert f.new_leader not in (None, f.old_leader)
    assert 0 < f.elected_after < 10 and 0 < f.writable_after < 10
    assert ensemble.leader() == f.new_leader and len(ensemble.alive()) == 2


def test_the_ensemble_is_stopped_even_when_the_block_fails():
    with pytest.raises(RuntimeError, match="inside the block"):
        with zkeng.ZooKeeperEnsemble(size=1) as z:
            proc, datadir = z.procs["zk1"], z.datadir
            assert z.mode("zk1") == "standalone"
            raise RuntimeError("something failed inside the block")
    assert not proc.running and not os.path.exists(f"/proc/{proc.pid}")
    assert not os.path.exists(datadir) and proc not in live_processes()


def test_a_port_that_is_taken_is_a_clear_error_and_nothing_starts():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        before = live_processes()
        a, b = free_ports(2)
        with pytest.raises(PortInUse, match=f"client_ports\\[1\\]={taken} is already in use"):
            zkeng.ZooKeeperEnsemble(client_ports=[a, taken, b]).start()
        assert live_processes() == before
    with pytest.raises(ValueError, match="tick_ms must be at least 10"):
        zkeng.ZooKeeperEnsemble(tick_ms=1)
