"""Server processes on 127.0.0.1 that never outlive the code that started them.

The engine labs start several servers (three etcd members, three ZooKeeper
servers) and kill some of them on purpose. ``ManagedProcess`` makes that
safe:

* each server runs in its **own process group** (``start_new_session``), so
  stopping it stops anything it started too;
* on Linux the child is told to die with its parent (util-linux's
  ``setpriv --pdeathsig``, which sets ``PR_SET_PDEATHSIG`` and then runs the
  server), so even ``kill -9`` of the notebook kernel leaves nothing behind.
  Not a ``preexec_fn``: running Python in a forked child of a process with
  threads (a Jupyter kernel has several) can deadlock;
* ``stop()`` sends SIGTERM to the group, waits, then SIGKILL: a server that
  ignores SIGTERM (an etcd member that has lost its quorum may) still goes;
* every live process is also stopped at interpreter exit (``atexit``).

``free_ports(k)`` picks ports the kernel says are free; ``require_free``
turns a requested port that is taken into a clear ``PortInUse`` error.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Sequence

from ..sim.validate import check_int

_LIVE: set = set()
_LOCK = threading.Lock()


class PortInUse(ValueError):
    """A port that was asked for is already taken on 127.0.0.1."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def require_free(name: str, port: int) -> int:
    """``port`` checked (an int in 1024..65535) and free on 127.0.0.1, or ``PortInUse``."""
    check_int(name, port, minimum=1024, maximum=65535)
    if port_in_use(port):
        raise PortInUse(f"{name}={port} is already in use on 127.0.0.1; choose another port, "
                        f"or pass None to let the code pick a free one")
    return port


def free_ports(k: int) -> list[int]:
    """``k`` distinct ports that are free on 127.0.0.1 right now."""
    check_int("k", k, minimum=1)
    socks = []
    try:
        for _ in range(k):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def die_with_parent_prefix() -> list[str]:
    """A command prefix that kills the server when this process dies, however it dies."""
    setpriv = shutil.which("setpriv")
    if sys.platform.startswith("linux") and setpriv:
        return [setpriv, "--pdeathsig", "KILL", "--"]
    return []


class ManagedProcess:
    """One server process in its own process group; see the module docstring."""

    def __init__(self, argv: Sequence[str], *, name: str, log_path: str,
                 cwd: str | None = None, env: dict | None = None) -> None:
        self.argv = list(argv)
        self.name = name
        self.log_path = log_path
        self.cwd = cwd
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ManagedProcess":
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.proc.pid})")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(die_with_parent_prefix() + self.argv,
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=self.cwd, env=self.env,
                                         start_new_session=True)
        with _LOCK:
            _LIVE.add(self)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the process to end; its exit code (None if never started)."""
        return None if self.proc is None else self.proc.wait(timeout=timeout)

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> None:
        """SIGKILL the whole group at once: a crash, as the labs need it."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process in D state
            pass
        with _LOCK:
            _LIVE.discard(self)

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM the group, wait up to ``grace`` seconds, then SIGKILL it (safe to repeat)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            deadline = time.monotonic() + grace
            while self.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        self.kill()             # the group, even if the leader process already exited

    def log_tail(self, chars: int = 800) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()[-chars:].strip()
        except OSError:
            return ""

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"ManagedProcess({self.name!r}, {state})"


class LocalCluster:
    """Named server processes sharing one temporary data directory; a context manager.

    Subclasses say who the members are (``names()``) and how to ``start``;
    stopping, the liveness list and crashing a member are the same for all.
    """

    kind = "member"

    def __init__(self) -> None:
        self.procs: dict[str, ManagedProcess] = {}
        self.datadir: str | None = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def names(self) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_name(self, name: str) -> str:
        if name not in self.names():
            raise ValueError(f"name must be one of {self.names()}, got {name!r}")
        return name

    def alive(self) -> list[str]:
        """The members whose process is running."""
        return [n for n in self.names() if n in self.procs and self.procs[n].running]

    def kill(self, name: str) -> None:
        """SIGKILL a member: a crash."""
        self.procs[self.check_name(name)].kill()

    def stop(self) -> None:
        """Stop every member (SIGTERM, then SIGKILL) and delete the data; safe to repeat."""
        for p in self.procs.values():
            p.stop()
        self.procs = {}
        if self.datadir:
            shutil.rmtree(self.datadir, ignore_errors=True)
            self.datadir = None


def live_processes() -> list[ManagedProcess]:
    """Processes started here and not stopped yet (tests check this is empty)."""
    with _LOCK:
        return sorted((p for p in _LIVE if p.running), key=lambda p: p.name)


@atexit.register
def _stop_all() -> None:  # pragma: no cover - runs at interpreter exit
    with _LOCK:
        procs = list(_LIVE)
    for p in procs:
        p.stop(grace=1.0)
