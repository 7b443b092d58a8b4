"""Request and reply: a client sends ``Request(n)`` every ``interval`` ms to a
server, which answers ``Reply(n)``. The client records each exchange in the
simulator's history (invoke on send, ok on reply, info if no reply came
within ``timeout``), so the first notebook can count what was lost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import Node
from ..sim.validate import check_delay, check_int


@dataclass(frozen=True)
class Request:
    n: int


@dataclass(frozen=True)
class Reply:
    n: int


class EchoServer(Node):
    def __init__(self, node_id: Any):
        super().__init__(node_id)
        self.served = 0

    def on_request(self, src, msg: Request) -> None:
        self.served += 1
        self.ctx.send(src, Reply(msg.n))


class EchoClient(Node):
    def __init__(self, node_id: Any, server: Any, count: int = 10,
                 interval: float = 20.0, timeout: float = 50.0):
        super().__init__(node_id)
        self.server = server
        self.count = check_int("count", count, minimum=0)
        self.interval = check_delay("interval", interval)
        self.timeout = check_delay("timeout", timeout)
        self.sent = 0
        self.replies: list[int] = []
        self.waiting: int | None = None

    def on_start(self) -> None:
        self._next()

    def _next(self) -> None:
        if self.sent >= self.count:
            return
        n = self.sent
        self.sent += 1
        self.waiting = n
        self.ctx.history_invoke("echo", n)
        self.ctx.send(self.server, Request(n))
        self.ctx.set_timer(self.timeout, "timeout", n)

    def on_reply(self, src, msg: Reply) -> None:
        if msg.n != self.waiting:
            return          # a late reply to a request we gave up on
        self.waiting = None
        self.replies.append(msg.n)
        self.ctx.history_complete("ok", msg.n)
        self.ctx.set_timer(self.interval, "next")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "timeout" and payload == self.waiting:
            self.waiting = None
            self.ctx.history_complete("info", None)
            self.ctx.set_timer(self.interval, "next")
        elif name == "next":
            self._next()
