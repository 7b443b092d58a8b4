"""A real etcd cluster on 127.0.0.1: Raft's election, measured, and a lease-based lock.

etcd is a key-value store replicated with Raft. ``EtcdCluster`` starts
three members of Debian's ``etcd-server`` (each with its own client and peer
port and a temporary data directory), and stops them, and deletes the
directories, when the ``with`` block ends, even if it fails::

    with EtcdCluster() as cluster:
        print(cluster.members_table())
        failover = cluster.kill_leader_and_measure()

Everything goes through etcd's JSON gateway with plain HTTP (keys and values
are base64): ``/v3/maintenance/status`` (which member leads, in which Raft
term), ``/v3/kv/put``, ``/v3/kv/range``, ``/v3/lease/grant``,
``/v3/lease/keepalive``, ``/v3/kv/txn``. (The ``etcd3`` Python package no
longer imports with current protobuf.) The gateway's prefix depends on the
version (``/v3/`` from 3.4 on, ``/v3beta/`` in 3.3); the cluster asks.

**A lease-based lock** (``try_lock``) is the lock store of the simulator,
for real: grant a lease with a TTL, then in one transaction "if the key does
not exist, create it attached to my lease". The holder must keep the lease
alive; if it stops (it crashed), etcd deletes the key when the TTL runs out
and the next candidate's transaction succeeds. The key's *create revision*
is a fencing token: etcd's revision increases with every write to the store.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from ..sim.table import TextTable, format_table
from ..sim.validate import check_int, check_number
from .localproc import LocalCluster, ManagedProcess, free_ports, require_free

INSTALL = "sudo apt-get install -y etcd-server   (Debian/Ubuntu: the etcd binary, no service needed)"


class EtcdNotInstalled(RuntimeError):
    """The ``etcd`` binary is not on PATH."""


def etcd_available() -> str | None:
    """None if etcd can be started here, else why not and how to install it."""
    if shutil.which("etcd") is None:
        return f"the etcd server is not installed (no `etcd` on PATH); install it with: {INSTALL}"
    return None


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(text: str) -> str:
    return base64.b64decode(text).decode()


class GatewayError(RuntimeError):
    """An HTTP call to a member failed (it is down, or has no leader)."""


def call(url: str, body: dict, timeout: float = 1.0) -> dict:
    """POST ``body`` as JSON to ``url``; the decoded JSON answer, or ``GatewayError``."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise GatewayError(f"{url}: {exc}") from None


@dataclass(frozen=True)
class Member:
    name: str
    client_port: int
    peer_port: int

    @property
    def client_url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"


@dataclass(frozen=True)
class EtcdFailover:
    """What happened after the leader member was killed (times in seconds)."""
    old_leader: str
    new_leader: str | None
    elected_after: float | None      # until a surviving member reported a new leader
    writable_after: float | None     # until a write through a survivor succeeded
    term_before: int
    term_after: int | None


@dataclass(frozen=True)
class LockResult:
    acquired: bool
    holder: str          # who holds the lock now
    token: int           # the lock key's create revision: a fencing token


class EtcdCluster(LocalCluster):
    """``size`` etcd members on 127.0.0.1, for the length of a ``with`` block.

    ``client_ports``/``peer_ports``: ports to use (checked free), or None
    for free ones. ``heartbeat_ms`` and ``election_ms`` are etcd's Raft
    timings (etcd's defaults are 100 and 1000).
    """

    def __init__(self, size: int = 3, *, client_ports: list[int] | None = None,
                 peer_ports: list[int] | None = None, heartbeat_ms: int = 50,
                 election_ms: int = 500, startup_timeout: float = 30.0) -> None:
        self.size = check_int("size", size, minimum=1, maximum=7)
        for name, ports in (("client_ports", client_ports), ("peer_ports", peer_ports)):
            if ports is not None and (not isinstance(ports, (list, tuple)) or len(ports) != size):
                raise ValueError(f"{name} must be a list of {size} ports, or None; got {ports!r}")
        self.requested = (client_ports, peer_ports)
        self.heartbeat_ms = check_int("heartbeat_ms", heartbeat_ms, minimum=10)
        self.election_ms = check_int("election_ms", election_ms, minimum=5 * heartbeat_ms)
        self.startup_timeout = check_number("startup_timeout", startup_timeout, minimum=1.0)
        super().__init__()
        self.members: list[Member] = []
        self.prefix = "/v3"

    def names(self) -> list[str]:
        return [m.name for m in self.members]

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        reason = etcd_available()
        if reason:
            raise EtcdNotInstalled(reason)
        if self.procs:
            raise RuntimeError("this EtcdCluster is already started")
        client_ports, peer_ports = self.requested
        if client_ports is not None:
            client_ports = [require_free(f"client_ports[{i}]", p) for i, p in enumerate(client_ports)]
        if peer_ports is not None:
            peer_ports = [require_free(f"peer_ports[{i}]", p) for i, p in enumerate(peer_ports)]
        ports = free_ports(2 * self.size)
        client_ports = client_ports or ports[:self.size]
        peer_ports = peer_ports or ports[self.size:]
        self.members = [Member(f"m{i + 1}", c, p)
                        for i, (c, p) in enumerate(zip(client_ports, peer_ports))]
        self.datadir = tempfile.mkdtemp(prefix="dscourse-etcd-")
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        token = f"dscourse-{os.getpid()}-{client_ports[0]}"
        try:
            for m in self.members:
                argv = [shutil.which("etcd"), "--name", m.name,
                        "--data-dir", os.path.join(self.datadir, m.name),
                        "--listen-client-urls", m.client_url, "--advertise-client-urls", m.client_url,
                        "--listen-peer-urls", m.peer_url, "--initial-advertise-peer-urls", m.peer_url,
                        "--initial-cluster", initial, "--initial-cluster-state", "new",
                        "--initial-cluster-token", token,
                        "--heartbeat-interval", str(self.heartbeat_ms),
                        "--election-timeout", str(self.election_ms), "--log-level", "error"]
                self.procs[m.name] = ManagedProcess(
                    argv, name=f"etcd {m.name}",
                    log_path=os.path.join(self.datadir, f"{m.name}.log")).start()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            for m in self.members:
                p = self.procs[m.name]
                if not p.running:
                    raise RuntimeError(f"etcd member {m.name} exited at start: {p.log_tail()}")
            if self._detect_prefix() and all((self.status(m.name) or {}).get("leader")
                                             for m in self.members):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the etcd cluster had no leader within "
                                   f"{self.startup_timeout:g} s")
            time.sleep(0.05)

    def _detect_prefix(self) -> bool:
        """Find the gateway's prefix: /v3 (etcd >= 3.4) or /v3beta (3.3)."""
        url = self.members[0].client_url
        for prefix in ("/v3", "/v3beta"):
            try:
                call(f"{url}{prefix}/maintenance/status", {}, timeout=0.5)
                self.prefix = prefix
                return True
            except GatewayError:
                continue
        return False

    # ------------------------------------------------------------------ calls
    def member(self, name: str) -> Member:
        return self.members[self.names().index(self.check_name(name))]

    def api(self, path: str, body: dict, member: str | None = None, timeout: float = 1.0) -> dict:
        """Call ``path`` (e.g. ``/kv/put``) on ``member``, or on each live member until one answers."""
        names = [member] if member is not None else self.alive()
        error = None
        for name in names:
            try:
                return call(f"{self.member(name).client_url}{self.prefix}{path}", body, timeout)
            except GatewayError as exc:
                error = exc
        raise GatewayError(f"no member answered {path}: {error}")

    def status(self, name: str) -> dict | None:
        """The member's maintenance status (its leader's id, the Raft term), None if down."""
        try:
            return self.api("/maintenance/status", {}, member=name, timeout=0.5)
        except GatewayError:
            return None

    def member_ids(self) -> dict:
        """etcd's numeric member id (a string) -> our member name."""
        out = {}
        for m in self.members:
            st = self.status(m.name)
            if st:
                out[st["header"]["member_id"]] = m.name
        return out

    def leader(self) -> str | None:
        """The member that the live members agree leads, or None."""
        ids = self.member_ids()
        seen = {(self.status(n) or {}).get("leader") for n in self.alive()}
        seen.discard(None)
        if len(seen) != 1:
            return None
        return ids.get(seen.pop())

    def members_table(self) -> TextTable:
        leader = self.leader()
        rows = [(m.name, "up" if m.name in self.alive() else "killed",
                 "leader" if m.name == leader else "follower") for m in self.members]
        return format_table(["member", "process", "role"], rows)

    def put(self, key: str, value: str, lease: str | None = None, member: str | None = None) -> int:
        body = {"key": b64(key), "value": b64(value)}
        if lease is not None:
            body["lease"] = lease
        return int(self.api("/kv/put", body, member)["header"]["revision"])

    def get(self, key: str) -> str | None:
        kvs = self.api("/kv/range", {"key": b64(key)}).get("kvs") or []
        return unb64(kvs[0].get("value", "")) if kvs else None

    def grant(self, ttl: int) -> str:
        """A lease of ``ttl`` seconds; its id (a string, as the gateway gives int64s)."""
        check_int("ttl", ttl, minimum=1)
        return self.api("/lease/grant", {"TTL": ttl})["ID"]

    def keepalive(self, lease: str) -> bool:
        res = self.api("/lease/keepalive", {"ID": lease}).get("result", {})
        return int(res.get("TTL", 0)) > 0

    def try_lock(self, key: str, holder: str, lease: str) -> LockResult:
        """Create ``key`` = ``holder`` attached to ``lease`` if nobody holds it (one transaction)."""
        k = b64(key)
        res = self.api("/kv/txn", {
            "compare": [{"key": k, "target": "CREATE", "create_revision": "0"}],
            "success": [{"request_put": {"key": k, "value": b64(holder), "lease": lease}}],
            "failure": [{"request_range": {"key": k}}]})
        if res.get("succeeded"):
            return LockResult(True, holder, int(res["header"]["revision"]))
        kvs = res["responses"][0]["response_range"].get("kvs") or []
        if not kvs:
            return LockResult(False, "", 0)       # released between compare and read
        return LockResult(False, unb64(kvs[0]["value"]), int(kvs[0]["create_revision"]))

    # ---------------------------------------------------------------- the labs
    def kill_leader_and_measure(self, timeout: float = 20.0) -> EtcdFailover:
        """Kill the leading member; time until a survivor reports a new leader, and until a
        write through a survivor succeeds."""
        old = self.leader()
        if old is None:
            raise RuntimeError("the cluster has no agreed leader to kill")
        term_before = int(self.status(old)["raftTerm"])
        old_id = {v: k for k, v in self.member_ids().items()}[old]
        t0 = time.monotonic()
        self.kill(old)
        elected = writable = new = term_after = None
        while time.monotonic() - t0 < timeout and (elected is None or writable is None):
            if elected is None:
                for name in self.alive():
                    st = self.status(name)
                    if st and st.get("leader") not in (None, "0", old_id):
                        elected = time.monotonic() - t0
                        new = self.member_ids().get(st["leader"])
                        term_after = int(st["raftTerm"])
                        break
            if writable is None:
                try:
                    self.api("/kv/put", {"key": b64("failover-probe"), "value": b64("x")},
                             timeout=0.3)
                    writable = time.monotonic() - t0
                except GatewayError:
                    pass
            time.sleep(0.01)
        return EtcdFailover(old, new, elected, writable, term_before, term_after)

    def lock_failover(self, ttl: int = 1, candidates=("a", "b", "c"),
                      timeout: float = 15.0) -> tuple[LockResult, LockResult, float]:
        """Leader election with a lease lock: the first candidate wins; it then stops keeping
        its lease alive (it crashed); the next winner, its token, and the seconds it took."""
        leases = {c: self.grant(ttl) for c in candidates}
        first = self.try_lock("/election/leader", candidates[0], leases[candidates[0]])
        if not first.acquired:
            raise RuntimeError(f"the lock was already held by {first.holder!r}")
        for c in candidates[1:]:
            if self.try_lock("/election/leader", c, leases[c]).acquired:
                raise RuntimeError("two candidates got the lock")   # pragma: no cover
        t0 = time.monotonic()                  # the holder's last sign of life
        while time.monotonic() - t0 < timeout:
            for c in candidates[1:]:
                self.keepalive(leases[c])
                got = self.try_lock("/election/leader", c, leases[c])
                if got.acquired:
                    return first, got, time.monotonic() - t0
            time.sleep(0.05)
        raise TimeoutError(f"no candidate got the lock within {timeout:g} s")
