"""Consumer groups on a real server: Redis Streams.

A Redis **stream** is an append-only log (like one Kafka partition): ``XADD``
appends an entry and returns its id (``<milliseconds>-<sequence>``). A
**consumer group** (``XGROUP CREATE``) remembers how far the group has read;
``XREADGROUP ... >`` hands each consumer entries nobody in the group has had
yet. Every entry handed out goes into the group's **pending entries list**
(PEL), under the consumer that got it, until that consumer acknowledges it
with ``XACK``: this is the acked-queue model (RabbitMQ's), on top of a log.

A consumer that crashes leaves its entries pending for ever. ``XPENDING``
shows them (per consumer, with how often each was delivered and how long it
has been idle), and ``XAUTOCLAIM`` lets another consumer take over the entries
idle for longer than ``min_idle_time``: each reclaimed entry is delivered
again (its delivery count goes up), so an entry the crashed consumer had
processed but not acknowledged is processed twice: at-least-once, as in the
simulator's log, and the same cure (idempotent processing) applies.

``RedisServer`` starts Debian's ``redis-server`` on 127.0.0.1 with a free port
(or the one asked for, refusing a port already in use) and a temporary data
directory, without persistence, and stops it and deletes the directory on
exit, even if the code inside the ``with`` block fails::

    with RedisServer() as server:
        r = server.client()
        print(crashed_consumer_lab(r))

Outputs here never show entry ids or idle times (they contain wall-clock
milliseconds); they show our own message numbers and counts, which repeat.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import weakref
from typing import Any

from ..sim.table import TextTable, format_table
from ..sim.validate import check_int, check_number
from .localproc import ManagedProcess, free_ports, port_in_use, require_free  # noqa: F401

INSTALL_HINT = ("install it with:  sudo apt-get install -y redis-server   (Debian/Ubuntu; the "
                "course needs only the binary, not the system service), or  conda install -c "
                "conda-forge redis-server;  and the client with:  pip install redis")


class RedisNotInstalled(RuntimeError):
    """``redis-server`` (or the ``redis`` Python client) is not installed."""


def redis_available() -> str | None:
    """None if Redis can be used here, else the reason (with how to install it)."""
    if shutil.which("redis-server") is None:
        return f"redis-server is not on PATH; {INSTALL_HINT}"
    try:
        import redis  # noqa: F401
    except ImportError:
        return f"the redis Python client is missing; {INSTALL_HINT}"
    return None


def _stop(proc: ManagedProcess, datadir: str) -> None:
    """Stop the server process (politely, then firmly) and delete its directory."""
    proc.stop(grace=5.0)
    shutil.rmtree(datadir, ignore_errors=True)


class RedisServer:
    """A private ``redis-server`` on 127.0.0.1 for the length of a ``with`` block."""

    def __init__(self, port: int | None = None, *, startup_timeout: float = 10.0) -> None:
        if port is not None:
            check_int("port", port, minimum=1024, maximum=65535)
        self.requested_port = port
        self.startup_timeout = check_number("startup_timeout", startup_timeout, minimum=0.1)
        self.port: int | None = None
        self.datadir: str | None = None
        self.proc: ManagedProcess | None = None
        self._finalizer = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.running

    def start(self) -> None:
        reason = redis_available()
        if reason:
            raise RedisNotInstalled(reason)
        if self.running:
            raise RuntimeError(f"this RedisServer is already running on port {self.port}")
        if self.requested_port is not None:
            require_free("port", self.requested_port)
        attempts = 1 if self.requested_port is not None else 3
        for attempt in range(attempts):
            port = self.requested_port or free_ports(1)[0]
            try:
                self._launch(port)
                return
            except OSError:
                if attempt == attempts - 1:
                    raise

    def _launch(self, port: int) -> None:
        datadir = tempfile.mkdtemp(prefix="dscourse-redis-")
        logfile = os.path.join(datadir, "redis.log")
        args = [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                "--dir", datadir, "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--protected-mode", "yes", "--logfile", logfile]
        proc = ManagedProcess(args, name=f"redis-server:{port}",
                              log_path=os.path.join(datadir, "stdout.log")).start()
        # A safety net: the server dies with this object or at interpreter exit.
        finalizer = weakref.finalize(self, _stop, proc, datadir)
        deadline = time.monotonic() + self.startup_timeout
        import redis
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1.0)
        while True:
            if not proc.running:
                log = open(logfile, encoding="utf-8", errors="replace").read()[-600:] \
                    if os.path.exists(logfile) else ""
                code = proc.wait()
                finalizer()
                raise OSError(f"redis-server exited at start (code {code}) on port "
                              f"{port}: {log.strip()}")
            try:
                if client.ping():
                    break
            except redis.exceptions.ConnectionError:
                pass
            if time.monotonic() > deadline:
                finalizer()
                raise TimeoutError(f"redis-server did not answer on 127.0.0.1:{port} within "
                                   f"{self.startup_timeout:g} s")
            time.sleep(0.02)
        client.close()
        self.port, self.datadir, self.proc, self._finalizer = port, datadir, proc, finalizer

    def stop(self) -> None:
        """Stop the server and delete its data directory (safe to call twice)."""
        if self._finalizer is not None:
            self._finalizer()
        self.proc = None

    def client(self, **options: Any):
        """A ``redis.Redis`` client for this server, decoding answers to ``str``."""
        if not self.running:
            raise RuntimeError("the server is not running: use it inside `with RedisServer() as s:`")
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, **options)


# -- the lab: the group commands, with outputs that do not show ids ----------------------------
def add_messages(r, stream: str, count: int, keys: int = 2, start: int = 0) -> list[str]:
    """``XADD`` messages ``n = start .. start+count-1`` with fields ``n`` and ``key``; their ids."""
    check_int("count", count, minimum=0)
    check_int("keys", keys, minimum=1)
    return [r.xadd(stream, {"n": n, "key": f"user-{n % keys}"}) for n in range(start, start + count)]


def create_group(r, stream: str, group: str, start: str = "0") -> None:
    """``XGROUP CREATE stream group start MKSTREAM`` (``"0"``: from the beginning)."""
    r.xgroup_create(stream, group, id=start, mkstream=True)


def read_group(r, stream: str, group: str, consumer: str, count: int) -> list[tuple]:
    """``XREADGROUP GROUP group consumer COUNT count STREAMS stream >``: ``(id, fields)`` pairs."""
    check_int("count", count, minimum=1)
    got = r.xreadgroup(group, consumer, {stream: ">"}, count=count)
    return list(got[0][1]) if got else []


def ack(r, stream: str, group: str, ids: list[str]) -> int:
    """``XACK``: the number of entries acknowledged."""
    return r.xack(stream, group, *ids) if ids else 0


def pending(r, stream: str, group: str) -> TextTable:
    """``XPENDING`` as a table: per pending entry, our message number, owner, deliveries."""
    entries = r.xpending_range(stream, group, min="-", max="+", count=1000)
    numbers = _numbers(r, stream, [e["message_id"] for e in entries])
    rows = [(numbers[e["message_id"]], e["consumer"], e["times_delivered"]) for e in entries]
    return format_table(["message n", "held by", "times delivered"], rows,
                        title=f"pending entries of group {group!r}: {len(rows)}")


def pending_count(r, stream: str, group: str) -> dict:
    """``XPENDING`` summary: ``{consumer: entries pending}``."""
    summary = r.xpending(stream, group)
    return {c["name"]: c["pending"] for c in summary["consumers"]}


def autoclaim(r, stream: str, group: str, consumer: str, min_idle_ms: int,
              count: int = 100) -> list[tuple]:
    """``XAUTOCLAIM``: take over entries idle for at least ``min_idle_ms``; ``(id, fields)`` pairs."""
    check_int("min_idle_ms", min_idle_ms, minimum=0)
    _next, claimed, *_deleted = r.xautoclaim(stream, group, consumer, min_idle_time=min_idle_ms,
                                             start_id="0-0", count=count)
    return list(claimed)


def _numbers(r, stream: str, ids: list[str]) -> dict:
    out = {}
    for i in ids:
        got = r.xrange(stream, min=i, max=i)
        out[i] = int(got[0][1]["n"]) if got else None
    return out


def crashed_consumer_lab(r, *, stream: str = "orders", group: str = "workers", messages: int = 10,
                         idle_ms: int = 100) -> TextTable:
    """The whole lab, step by step: c1 takes 5 entries, processes 3, acks 2 and crashes;
    c2 works on; ``XPENDING`` shows c1's 3 entries; after ``idle_ms`` ``XAUTOCLAIM`` gives
    them to c2, which processes and acks them. The last rows audit the processing:
    one entry was processed twice."""
    processed: dict[int, int] = {}

    def process(entries):
        for _id, fields in entries:
            processed[int(fields["n"])] = processed.get(int(fields["n"]), 0) + 1
        return [i for i, _ in entries]

    add_messages(r, stream, messages)
    create_group(r, stream, group)
    rows = [(f"XADD x{messages}", f"stream length {r.xlen(stream)}")]
    got = read_group(r, stream, group, "c1", 5)
    rows.append(("c1: XREADGROUP COUNT 5", f"got n = {[int(f['n']) for _, f in got]}"))
    ids = process(got[:3])
    ack(r, stream, group, ids[:2])
    rows.append(("c1: processes 3, XACK 2, crashes",
                 f"pending per consumer {pending_count(r, stream, group)}"))
    got2 = read_group(r, stream, group, "c2", 10)
    ack(r, stream, group, process(got2))
    rows.append(("c2: XREADGROUP, processes, XACK", f"got n = {[int(f['n']) for _, f in got2]}"))
    rows.append(("XPENDING", f"pending per consumer {pending_count(r, stream, group)}"))
    early = autoclaim(r, stream, group, "c2", min_idle_ms=60_000)
    rows.append(("c2: XAUTOCLAIM min-idle 60 s", f"claimed {len(early)} (c1 might only be slow)"))
    time.sleep(idle_ms / 1000 * 1.5)
    claimed = autoclaim(r, stream, group, "c2", min_idle_ms=idle_ms)
    rows.append((f"c2: XAUTOCLAIM min-idle {idle_ms} ms", f"claimed n = {[int(f['n']) for _, f in claimed]}"))
    deliveries = {e["message_id"]: e["times_delivered"]
                  for e in r.xpending_range(stream, group, min="-", max="+", count=100)}
    rows.append(("times delivered (claimed)", str(sorted(deliveries.values()))))
    ack(r, stream, group, process(claimed))
    rows.append(("c2: processes, XACK", f"pending per consumer {pending_count(r, stream, group)}"))
    twice = sorted(n for n, k in processed.items() if k > 1)
    rows.append(("audit", f"processed once: {sum(1 for k in processed.values() if k == 1)}, "
                          f"twice: {len(twice)} (n = {twice}), never: {messages - len(processed)}"))
    return format_table(["step", "result"], rows)
