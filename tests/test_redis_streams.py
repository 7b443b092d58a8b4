"""Redis Streams on a real redis-server started on 127.0.0.1 (make test installs it).

These tests never skip: without redis-server they fail and say how to install it.
"""

import os
import re
import socket
import time

import pytest

from dscourse.engines import redis_streams as rs

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def server():
    reason = rs.redis_available()
    if reason:
        pytest.fail(f"the Redis engine tests need Redis: {reason}")
    with rs.RedisServer() as s:
        yield s


@pytest.fixture
def r(server):
    client = server.client()
    client.flushall()
    yield client
    client.close()


def test_server_binds_localhost_on_its_port_with_a_private_directory(server):
    assert server.running and server.port
    info = server.client().config_get("bind")
    assert info["bind"] == "127.0.0.1"
    assert os.path.isdir(server.datadir) and "dscourse-redis-" in server.datadir
    assert server.client().config_get("dir")["dir"] == os.path.realpath(server.datadir)


def test_stopping_leaves_no_process_and_no_directory():
    with rs.RedisServer() as s:
        pid, datadir, port = s.proc.pid, s.datadir, s.port
        assert s.client().ping()
    assert not os.path.exists(datadir)
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    assert not rs.port_in_use(port)
    s.stop()                                     # twice is fine


def test_the_server_is_stopped_even_when_the_block_fails():
    with pytest.raises(RuntimeError, match="inside the block"):
        with rs.RedisServer() as s:
            proc, datadir = s.proc, s.datadir
            raise RuntimeError("something failed inside the block")
    assert not proc.running and not os.path.exists(datadir)


def test_a_port_in_use_is_refused_clearly():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        if port < 1024:
            pytest.fail("the OS handed out a privileged port")
        with pytest.raises(ValueError, match=f"port={port} is already in use on 127.0.0.1"):
            rs.RedisServer(port).start()


def test_bad_arguments_and_missing_redis(monkeypatch):
    with pytest.raises(ValueError, match="port must be at least 1024"):
        rs.RedisServer(port=80)
    monkeypatch.setattr(rs.shutil, "which", lambda name: None)
    assert "apt-get install -y redis-server" in rs.redis_available()
    with pytest.raises(rs.RedisNotInstalled, match="apt-get install -y redis-server"):
        rs.RedisServer().start()


def test_xadd_xreadgroup_hand_each_entry_to_one_consumer(r):
    rs.add_messages(r, "s", 6)
    rs.create_group(r, "s", "g")
    a = rs.read_group(r, "s", "g", "a", 4)
    b = rs.read_group(r, "s", "g", "b", 4)
    assert [int(f["n"]) for _, f in a] == [0, 1, 2, 3]
    assert [int(f["n"]) for _, f in b] == [4, 5]
    assert rs.read_group(r, "s", "g", "b", 4) == []
    assert rs.pending_count(r, "s", "g") == {"a": 4, "b": 2}


def test_xack_removes_from_the_pending_entries_list(r):
    rs.add_messages(r, "s", 3)
    rs.create_group(r, "s", "g")
    got = rs.read_group(r, "s", "g", "a", 3)
    assert rs.ack(r, "s", "g", [got[0][0], got[1][0]]) == 2
    assert rs.ack(r, "s", "g", [got[0][0]]) == 0            # acking twice does nothing
    table = rs.pending(r, "s", "g")
    assert table.rows == [[2, "a", 1]]


def test_xautoclaim_takes_over_a_crashed_consumers_entries_only_when_idle(r):
    rs.add_messages(r, "s", 4)
    rs.create_group(r, "s", "g")
    rs.read_group(r, "s", "g", "dead", 3)                    # ... and then it crashes
    assert rs.autoclaim(r, "s", "g", "alive", min_idle_ms=60_000) == []
    time.sleep(0.06)
    claimed = rs.autoclaim(r, "s", "g", "alive", min_idle_ms=50)
    assert [int(f["n"]) for _, f in claimed] == [0, 1, 2]
    assert rs.pending_count(r, "s", "g") == {"alive": 3}
    assert [row[2] for row in rs.pending(r, "s", "g").rows] == [2, 2, 2]   # delivered twice


def test_the_lab_prints_the_same_text_every_time(r, server):
    first = rs.crashed_consumer_lab(r, idle_ms=50)
    r.flushall()
    second = rs.crashed_consumer_lab(r, idle_ms=50)
    assert first == second
    assert first.rows[-1][1] == "processed once: 9, twice: 1 (n = [2]), never: 0"
    assert ["c2: XAUTOCLAIM min-idle 50 ms", "claimed n = [2, 3, 4]"] in first.rows
    assert not re.search(r"\d{10,}-\d+", str(first))     # no stream ids (wall-clock ms) shown
