"""The course text's ``CPCounter`` sketch, made runnable, warts and all.

The notebooks run the sketch first, watch it fail, then run the correct
store (``cp.py``). The Java calls replicas synchronously; here each call is a
message and each ``catch (NetworkException)`` is a timeout. Everything else
follows the sketch line by line:

* ``increment()``: ``getCurrentValue()`` (the sketch does not define it; we
  take it to be ``read()``), then ``replica.write(current + 1)`` to every
  replica; if fewer than ``quorumSize`` acknowledge, throw
  ``ConsistencyException`` ("Rejecting write to maintain consistency"). The
  replicas that did take the write **keep it**: the client is told "fail"
  for a write that happened.
* ``read()``: ask every replica; succeed only if ``quorumSize`` of them hold
  the **same** value. Replicas that took different writes make reads fail
  even when every replica answers.

Values carry no version, so nothing orders two writes: a replica keeps the
last write that *arrived*. (The ``APCounter`` sketch is
``ap.APRegisterNode``: last-writer-wins on local clocks plus a repair queue.)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from ..sim import Node
from ..sim.validate import check_delay, check_node_id
from .client import ClientReply, ClientRequest

__all__ = ["TextbookCPCounterNode", "ReadValue", "ValueIs", "WriteValue", "WriteAck"]


@dataclass(frozen=True)
class ReadValue:
    op: tuple


@dataclass(frozen=True)
class ValueIs:
    op: tuple
    value: int


@dataclass(frozen=True)
class WriteValue:
    op: tuple
    value: int


@dataclass(frozen=True)
class WriteAck:
    op: tuple


class TextbookCPCounterNode(Node):
    """A replica holding an unversioned int, and a coordinator running the sketch."""

    def __init__(self, node_id: Any, replicas: Iterable[Any], *, timeout: float = 100.0):
        super().__init__(node_id)
        self.replicas = sorted({check_node_id("replicas", x) for x in replicas},
                               key=lambda x: (isinstance(x, str), x))
        self.quorum_size = len(self.replicas) // 2 + 1       # (replicas.size() / 2) + 1
        self.timeout = check_delay("timeout", timeout)
        self.ops: dict = {}
        self.seq = 0

    @property
    def value(self) -> int:
        return self.ctx.storage.get("value", 0)

    # -- replica ----------------------------------------------------------------
    def on_read_value(self, src: Any, msg: ReadValue) -> None:
        self.ctx.send(src, ValueIs(msg.op, self.value))

    def on_write_value(self, src: Any, msg: WriteValue) -> None:
        self.ctx.storage["value"] = msg.value          # no version: the last to arrive wins
        self.ctx.record_state(key="x", state=str(msg.value))
        self.ctx.send(src, WriteAck(msg.op))

    # -- coordinator --------------------------------------------------------------
    def on_client_request(self, src: Any, msg: ClientRequest) -> None:
        if msg.f not in ("read", "increment"):
            self.ctx.send(src, ClientReply(msg.req, "fail", None, f"unknown operation {msg.f!r}"))
            return
        self.seq += 1
        op = {"id": (self.node_id, self.seq), "client": src, "msg": msg, "phase": "read",
              "values": {}, "acks": set(), "done": False}
        self.ops[op["id"]] = op
        self._start_read(op)

    def _start_read(self, op: dict) -> None:
        op["phase"], op["values"] = "read", {}
        self.ctx.set_timer(self.timeout, "timeout", (op["id"], "read"))
        for replica in self.replicas:
            self.ctx.send(replica, ReadValue(op["id"]))

    def on_value_is(self, src: Any, msg: ValueIs) -> None:
        op = self.ops.get(msg.op)
        if op is None or op["done"] or op["phase"] != "read":
            return
        op["values"][src] = msg.value
        if len(op["values"]) == len(self.replicas):
            self._end_read(op)

    def _end_read(self, op: dict) -> None:
        # valueCounts ... .filter(count >= quorumSize) ... .orElseThrow("No quorum for read")
        counts = Counter(op["values"].values())
        agreed = sorted(v for v, c in counts.items() if c >= self.quorum_size)
        if not agreed:
            seen = ", ".join(f"{n}={v}" for n, v in sorted(op["values"].items()))
            return self._reply(op, "fail", None, f"No quorum for read (values: {seen or 'none'})")
        current = agreed[0]
        if op["msg"].f == "read":
            return self._reply(op, "ok", current)
        op["phase"], op["acks"], op["wrote"] = "write", set(), current + 1
        self.ctx.set_timer(self.timeout, "timeout", (op["id"], "write"))
        for replica in self.replicas:
            self.ctx.send(replica, WriteValue(op["id"], current + 1))

    def on_write_ack(self, src: Any, msg: WriteAck) -> None:
        op = self.ops.get(msg.op)
        if op is None or op["done"] or op["phase"] != "write":
            return
        op["acks"].add(src)
        if len(op["acks"]) == len(self.replicas):
            self._reply(op, "ok", op["wrote"])

    def on_timer(self, name: str, payload: Any) -> None:
        op_id, phase = payload
        op = self.ops.get(op_id)
        if op is None or op["done"] or op["phase"] != phase:
            return
        if phase == "read":
            self._end_read(op)
        elif len(op["acks"]) >= self.quorum_size:
            self._reply(op, "ok", op["wrote"])
        else:
            # throw new ConsistencyException(...): the sketch reports a failure,
            # but the replicas that acknowledged keep the new value.
            self._reply(op, "fail", None,
                        f"Cannot reach quorum ({len(op['acks'])}/{self.quorum_size}). "
                        f"Rejecting write to maintain consistency.")

    def _reply(self, op: dict, outcome: str, value: Any, error: str = "") -> None:
        op["done"] = True
        del self.ops[op["id"]]
        self.ctx.send(op["client"], ClientReply(op["msg"].req, outcome, value, error))
