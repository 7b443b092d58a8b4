"""A real ZooKeeper ensemble on 127.0.0.1, and kazoo's leader-election recipe on it.

``ZooKeeperEnsemble`` starts three servers of Debian's ``zookeeper`` package.
Debian's start script reads only the system-wide configuration, so each
server's Java main class (``org.apache.zookeeper.server.quorum.QuorumPeerMain``)
is started directly, with a classpath from ``/usr/share/java``, its own
``zoo.cfg`` and ``myid`` in a temporary directory, free client and quorum
ports on 127.0.0.1, and the admin web server (which would take port 8080)
turned off. The servers elect a leader among themselves with Zab's fast
leader election; ``mode(server)`` asks one with the ``srvr`` command.

Two failovers are measured:

* ``kill_leader_and_measure``: SIGKILL the leading *server*; the time until
  a survivor reports being leader, and until a client (whose session moves
  to a surviving server) can write again;
* ``election_failover``: three candidate *clients* (separate processes,
  so that one can really crash) run kazoo's ``Election`` recipe, which is
  the recipe of the simulator's ``ZkElector`` (ephemeral sequential znodes,
  the lowest leads, each watches its predecessor). The leading candidate is
  killed with SIGKILL; its session expires after the session timeout, its
  znode vanishes, and the next candidate announces itself as leader.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass

from ..sim.table import TextTable, format_table
from ..sim.validate import check_int, check_number
from .localproc import LocalCluster, ManagedProcess, free_ports, require_free

INSTALL = ("sudo apt-get install -y zookeeper   (Debian/Ubuntu; brings a Java runtime), and "
           "pip install kazoo")
MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
JAVA_DIR = "/usr/share/java"
ELECTION = "/dscourse/election"    # kazoo's Election recipe keeps its znodes here
LEADERS = "/dscourse/leaders"      # where an elected candidate announces itself


def quiet_logger() -> logging.Logger:
    """kazoo logs every dropped connection; the labs drop them on purpose, so keep it quiet."""
    log = logging.getLogger("dscourse.engines.kazoo")
    log.setLevel(logging.CRITICAL)
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


class ZooKeeperNotInstalled(RuntimeError):
    """Java, Debian's ZooKeeper jars, or the kazoo client is missing."""


def classpath() -> str | None:
    """ZooKeeper's jars from /usr/share/java (their manifests name the rest), or None."""
    main = os.path.join(JAVA_DIR, "zookeeper.jar")
    if not os.path.exists(main):
        return None
    jars = [main] + sorted(glob.glob(os.path.join(JAVA_DIR, "zookeeper-jute.jar")))
    return ":".join(jars)


def zookeeper_available() -> str | None:
    """None if an ensemble can be started here, else why not and how to install it."""
    if shutil.which("java") is None:
        return f"Java is not installed; install ZooKeeper with: {INSTALL}"
    if classpath() is None:
        return f"ZooKeeper's jars are not in {JAVA_DIR}; install it with: {INSTALL}"
    try:
        import kazoo  # noqa: F401
    except ImportError:
        return f"the kazoo client is not installed; {INSTALL}"
    return None


def four_letter(port: int, word: str = "srvr", timeout: float = 0.5) -> str:
    """Send a four-letter command to a server; its answer ('' if it does not answer)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


@dataclass(frozen=True)
class Server:
    sid: int
    client_port: int
    quorum_port: int
    election_port: int

    @property
    def name(self) -> str:
        return f"zk{self.sid}"


@dataclass(frozen=True)
class ServerFailover:
    old_leader: str
    new_leader: str | None
    elected_after: float | None     # seconds until a survivor said "leader"
    writable_after: float | None    # seconds until the client's write succeeded


@dataclass(frozen=True)
class ClientFailover:
    old_leader: str
    new_leader: str | None
    took_over_after: float | None   # seconds from the kill to the new leader's announcement
    session_timeout: float


class ZooKeeperEnsemble(LocalCluster):
    """``size`` ZooKeeper servers on 127.0.0.1 for the length of a ``with`` block."""

    def __init__(self, size: int = 3, *, client_ports: list[int] | None = None,
                 tick_ms: int = 200, startup_timeout: float = 60.0) -> None:
        self.size = check_int("size", size, minimum=1, maximum=7)
        if client_ports is not None and (not isinstance(client_ports, (list, tuple))
                                         or len(client_ports) != size):
            raise ValueError(f"client_ports must be a list of {size} ports, or None; "
                             f"got {client_ports!r}")
        self.requested = client_ports
        self.tick_ms = check_int("tick_ms", tick_ms, minimum=10)
        self.startup_timeout = check_number("startup_timeout", startup_timeout, minimum=1.0)
        super().__init__()
        self.servers: list[Server] = []
        self._clients: list = []

    def names(self) -> list[str]:
        return [s.name for s in self.servers]

    @property
    def hosts(self) -> str:
        return ",".join(f"127.0.0.1:{s.client_port}" for s in self.servers)

    def start(self) -> None:
        reason = zookeeper_available()
        if reason:
            raise ZooKeeperNotInstalled(reason)
        if self.procs:
            raise RuntimeError("this ZooKeeperEnsemble is already started")
        wanted = None
        if self.requested is not None:
            wanted = [require_free(f"client_ports[{i}]", p) for i, p in enumerate(self.requested)]
        ports = free_ports(3 * self.size)
        clients = wanted or ports[:self.size]
        self.servers = [Server(i + 1, clients[i], ports[self.size + 2 * i],
                               ports[self.size + 2 * i + 1]) for i in range(self.size)]
        self.datadir = tempfile.mkdtemp(prefix="dscourse-zookeeper-")
        try:
            for s in self.servers:
                self.procs[s.name] = self._launch(s)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _launch(self, s: Server) -> ManagedProcess:
        home = os.path.join(self.datadir, s.name)
        os.makedirs(os.path.join(home, "data"))
        with open(os.path.join(home, "data", "myid"), "w") as fh:
            fh.write(f"{s.sid}\n")
        lines = [f"tickTime={self.tick_ms}", "initLimit=10", "syncLimit=5",
                 f"dataDir={os.path.join(home, 'data')}", f"clientPort={s.client_port}",
                 "clientPortAddress=127.0.0.1", "admin.enableServer=false",
                 "4lw.commands.whitelist=srvr,ruok", "quorumListenOnAllIPs=false"]
        lines += [f"server.{o.sid}=127.0.0.1:{o.quorum_port}:{o.election_port}"
                  for o in self.servers]
        cfg = os.path.join(home, "zoo.cfg")
        with open(cfg, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        argv = [shutil.which("java"), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dzookeeper.admin.enableServer=false", "-Djava.net.preferIPv4Stack=true",
                "-cp", classpath(), MAIN, cfg]
        return ManagedProcess(argv, name=f"zookeeper {s.name}",
                              log_path=os.path.join(home, "server.log")).start()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            modes = self.modes()
            roles = sorted(str(m) for m in modes.values())
            if roles == sorted(["leader"] + ["follower"] * (self.size - 1)) \
                    or (self.size == 1 and roles == ["standalone"]):
                return
            for name, p in self.procs.items():
                if not p.running:
                    raise RuntimeError(f"ZooKeeper server {name} exited at start: {p.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the ZooKeeper ensemble was not ready within "
                                   f"{self.startup_timeout:g} s (modes: {modes})")
            time.sleep(0.05)

    def stop(self) -> None:
        """Close clients, stop every server (SIGTERM, then SIGKILL), delete the data."""
        for c in self._clients:
            try:
                c.stop()
                c.close()
            except Exception:      # a client of a dead ensemble: nothing to close cleanly
                pass
        self._clients = []
        super().stop()

    # ---------------------------------------------------------------- servers
    def server(self, name: str) -> Server:
        return self.servers[self.names().index(self.check_name(name))]

    def mode(self, name: str) -> str | None:
        """``leader``, ``follower`` or ``standalone`` (from ``srvr``); None if it does not serve."""
        for line in four_letter(self.server(name).client_port).splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None

    def modes(self) -> dict:
        return {name: self.mode(name) for name in self.alive()}

    def leader(self) -> str | None:
        leaders = [n for n, m in self.modes().items() if m == "leader"]
        return leaders[0] if len(leaders) == 1 else None

    def servers_table(self) -> TextTable:
        modes = self.modes()
        rows = [(s.name, "up" if s.name in modes else "killed", modes.get(s.name) or "-")
                for s in self.servers]
        return format_table(["server", "process", "mode"], rows)

    def client(self, timeout: float = 4.0):
        """A started ``kazoo.client.KazooClient`` on every server (closed by ``stop``)."""
        from kazoo.client import KazooClient
        c = KazooClient(hosts=self.hosts, timeout=timeout, logger=quiet_logger())
        c.start(timeout=15)
        self._clients.append(c)
        return c

    # ------------------------------------------------------------------ labs
    def kill_leader_and_measure(self, timeout: float = 30.0) -> ServerFailover:
        """Kill the leading server; time until a survivor leads and a client can write."""
        old = self.leader()
        if old is None:
            raise RuntimeError("the ensemble has no leader to kill")
        zk = self.client()
        zk.ensure_path("/dscourse/probe")
        from kazoo.exceptions import KazooException
        t0 = time.monotonic()
        self.kill(old)
        elected = writable = new = None
        while time.monotonic() - t0 < timeout and (elected is None or writable is None):
            if elected is None:
                new = self.leader()
                if new is not None and new != old:
                    elected = time.monotonic() - t0
            if writable is None:
                try:
                    zk.set("/dscourse/probe", b"x")
                    writable = time.monotonic() - t0
                except KazooException:
                    pass
            time.sleep(0.01)
        return ServerFailover(old, new if elected is not None else None, elected, writable)

    def election_failover(self, candidates: int = 3, session_timeout: float = 2.0,
                          timeout: float = 30.0) -> ClientFailover:
        """Run kazoo's Election in ``candidates`` processes; kill the leader's; measure."""
        check_int("candidates", candidates, minimum=2, maximum=9)
        session_timeout = check_number("session_timeout", session_timeout, minimum=0.5)
        zk = self.client()
        zk.ensure_path(LEADERS)
        zk.ensure_path(ELECTION)
        procs = {}
        try:
            for i in range(1, candidates + 1):
                cid = f"c{i}"
                argv = [sys.executable, "-m", "dscourse.engines.zookeeper", "candidate",
                        self.hosts, cid, str(session_timeout)]
                procs[cid] = ManagedProcess(argv, name=f"candidate {cid}",
                                            log_path=os.path.join(self.datadir, f"{cid}.log"),
                                            env={**os.environ, "PYTHONPATH": _package_root()})
                procs[cid].start()
            self._wait(lambda: len(zk.get_children(ELECTION)) == candidates
                       and zk.get_children(LEADERS), timeout)
            old = zk.get_children(LEADERS)[0]
            t0 = time.monotonic()
            procs[old].kill()
            new = self._wait(lambda: [c for c in zk.get_children(LEADERS) if c != old], timeout)
            took = time.monotonic() - t0 if new else None
            return ClientFailover(old, new[0] if new else None, took, session_timeout)
        finally:
            for p in procs.values():
                p.stop(grace=1.0)

    @staticmethod
    def _wait(predicate, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.01)
        return None


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _candidate(hosts: str, cid: str, session_timeout: float) -> None:  # pragma: no cover - a child
    """One candidate process: kazoo's Election; when elected, announce and hold on."""
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=hosts, timeout=session_timeout, logger=quiet_logger())
    zk.start(timeout=15)

    def lead() -> None:
        zk.create(f"{LEADERS}/{cid}", ephemeral=True, makepath=True)
        while True:
            time.sleep(1.0)

    zk.Election(ELECTION, cid).run(lead)


if __name__ == "__main__":  # pragma: no cover - runs as a candidate process
    if len(sys.argv) == 5 and sys.argv[1] == "candidate":
        _candidate(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit("usage: python -m dscourse.engines.zookeeper candidate HOSTS ID SESSION_TIMEOUT")
