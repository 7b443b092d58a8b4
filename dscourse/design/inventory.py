"""Worked problem: inventory. Selling stock that must never go below zero, under a partition.

The store holds a counter ``sold``; ``stock`` units exist. Shoppers (one per
replica, ``c1`` at ``n1`` and so on: each is a shop's till) each want to buy
some units, one at a time. The rule to keep is an **invariant across
concurrent updates**: units sold <= stock. Three designs, same shoppers,
same partition (``n1`` and ``c1`` cut off from the rest for a while):

``ap-check`` (the natural AP design, and wrong)
    The replicas are an AP CRDT counter (``replication.CRDTCounterNode``):
    every replica answers, and no increment is ever lost. A till *reads* the
    count at its replica and, if it is below the stock, *increments* it. But
    the read is of one replica's copy: during the partition each side sees
    only its own sales, and both sides sell the last units. Even without a
    partition, two tills can read the same count (the check and the act are
    two operations). The units sold beyond the stock are counted.

``cp-ticket`` (CP: correct, unavailable on the minority side)
    The replicas are the CP counter (``replication.CPCounterNode``, ballots
    as in single-decree Paxos). A till *first* increments, which atomically
    hands out a ticket: the counter's value after the increment. The sale
    goes through only if the ticket is within the stock. One linearizable
    fetch-and-add replaces check-then-act, so no two sales get the same unit.
    The minority side cannot reach a majority: its sales are refused
    ("fail") or end unknown ("info") until the heal. An unknown increment may
    have taken a ticket nobody uses: stock can be *under*-sold, never over.
    (The store answers a batch of increments decided together with the
    batch's final value; the rule above stays safe, it may only refuse one
    unit too many near the end.)

``ap-escrow`` (AP that keeps the invariant)
    Split the invariant: each replica gets its own quota of the stock (the
    escrow method), kept in its own key ``sold@n1``, which only its till
    increments through it. The till checks its *own* key at its *own*
    replica, so the read is never stale and no two replicas sell the same
    unit: available on both sides of any partition, never oversold. The cost:
    a replica whose quota is spent refuses sales while stock sits unsold at
    another replica (moving quota needs coordination).

Everything reported is counted from the runs: what the tills were told, and
the stores' own counts read by an auditor after the heal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ..replication.client import Client, ClientReply, ClientRequest, Op
from ..replication.experiments import build, node_ids, partition_plan
from ..sim import Node, Simulator
from ..sim.rng import Seed
from ..sim.table import TextTable, format_table
from ..sim.validate import check_choice, check_delay, check_int

__all__ = ["DESIGNS", "Till", "InventoryRun", "inventory_sim", "run_inventory", "inventory_result",
           "inventory_table", "even_split", "DEFAULT_WANTS"]

DESIGNS = ("ap-check", "cp-ticket", "ap-escrow")
STORE = {"ap-check": "crdt-counter", "cp-ticket": "cp-counter", "ap-escrow": "crdt-counter"}
DEFAULT_WANTS = (14, 6, 6)        # uneven demand: the till cut off from the others wants most


def escrow_key(replica: Any) -> str:
    return f"sold@{replica}"


class Till(Node):
    """A shop's till: buys ``wants`` units, one at a time, through its ``home`` replica.

    Outcomes, one per attempt, in ``self.sales``: ``sold``, ``sold out`` (the
    rule said no: the till stops), ``refused`` (the store failed the
    operation: try again later) or ``unknown`` (no answer, or the store could
    not say: the till does not count it as sold, and tries again).
    """

    def __init__(self, node_id: Any, home: Any, design: str, stock: int, wants: int, *,
                 quota: int | None = None, think: float = 20.0, timeout: float = 400.0,
                 stop: float = 1000.0):
        super().__init__(node_id)
        self.home = home
        self.design = check_choice("design", design, DESIGNS)
        self.stock = check_int("stock", stock, minimum=0)
        self.wants = check_int("wants", wants, minimum=0)
        self.quota = None if quota is None else check_int("quota", quota, minimum=0)
        self.think = check_delay("think", think)
        self.timeout = check_delay("timeout", timeout)
        self.stop = check_delay("stop", stop)
        self.req = 0
        self.phase: str | None = None          # "check" | "buy" while a request is out
        self.started = 0.0
        self.bought = 0
        self.done = False
        self.sales: list = []                  # (time, outcome, detail)

    @property
    def key(self) -> str:
        return escrow_key(self.home) if self.design == "ap-escrow" else "sold"

    def on_start(self) -> None:
        self.ctx.set_timer(self.think, "next")

    def on_recover(self) -> None:
        pass                                   # the course never crashes a till

    def _send(self, phase: str, f: str) -> None:
        self.req += 1
        self.phase, self.started = phase, self.ctx.clock()
        self.ctx.send(self.home, ClientRequest(self.req, f, self.key, 1 if f == "increment" else None))
        self.ctx.set_timer(self.timeout, "timeout", self.req)

    def _attempt(self) -> None:
        if self.done or self.bought >= self.wants or self.ctx.clock() >= self.stop:
            return
        if self.design == "cp-ticket":
            self._send("buy", "increment")      # fetch-and-add: the ticket is the answer
        else:
            self._send("check", "read")         # check-then-act

    def _record(self, outcome: str, detail: Any = None) -> None:
        self.sales.append((self.ctx.clock(), outcome, detail))
        if outcome == "sold":
            self.bought += 1
        if outcome == "sold out":
            self.done = True
        self.phase = None
        self.ctx.set_timer(self.think, "next")

    def on_client_reply(self, src: Any, msg: ClientReply) -> None:
        if self.phase is None or msg.req != self.req:
            return                              # an answer we stopped waiting for
        if msg.outcome != "ok":
            self._record("refused" if msg.outcome == "fail" else "unknown", msg.error)
            return
        if self.phase == "check":
            limit = self.quota if self.design == "ap-escrow" else self.stock
            if msg.value >= limit:
                self._record("sold out", msg.value)
            else:
                self._send("buy", "increment")
        elif self.design == "cp-ticket":
            self._record("sold" if msg.value <= self.stock else "sold out", msg.value)
        else:
            self._record("sold", msg.value)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next" and self.phase is None:
            self._attempt()
        elif name == "timeout" and self.phase is not None and payload == self.req:
            self._record("unknown", "no answer")


def even_split(stock: int, replicas: Sequence[Any]) -> dict:
    """Quotas as even as possible, the remainder to the first replicas: they sum to ``stock``."""
    stock = check_int("stock", stock, minimum=0)
    ids = list(replicas)
    base, extra = divmod(stock, len(ids))
    return {r: base + (1 if i < extra else 0) for i, r in enumerate(ids)}


@dataclass
class InventoryRun:
    design: str
    stock: int
    sim: Simulator
    tills: list
    quotas: dict | None
    audited: dict = field(default_factory=dict)   # key -> count read by the auditor after the heal

    def outcomes(self, till: Any | None = None) -> dict:
        counts = dict.fromkeys(("sold", "sold out", "refused", "unknown"), 0)
        for t in self.tills:
            if till is None or t.node_id == till:
                for _, outcome, _ in t.sales:
                    counts[outcome] += 1
        return counts

    @property
    def sold(self) -> int:
        """Units the tills were told they sold."""
        return sum(t.bought for t in self.tills)

    @property
    def oversold(self) -> int:
        return max(0, self.sold - self.stock)

    @property
    def unsold(self) -> int:
        return max(0, self.stock - self.sold)

    @property
    def demand(self) -> int:
        return sum(t.wants for t in self.tills)

    @property
    def counted(self) -> int | None:
        """Units the store itself counted (increments that took effect), read after the heal."""
        return sum(self.audited.values()) if self.audited else None

    def during(self, start: float, end: float) -> dict:
        """Outcomes of attempts that ended in ``[start, end)``, per till."""
        out = {}
        for t in self.tills:
            counts = dict.fromkeys(("sold", "sold out", "refused", "unknown"), 0)
            for at, outcome, _ in t.sales:
                if start <= at < end:
                    counts[outcome] += 1
            out[t.node_id] = counts
        return out


def inventory_sim(design: str, seed: Seed = 1, *, stock: int = 20,
                  wants: Sequence[int] = DEFAULT_WANTS, quotas: Mapping[Any, int] | None = None,
                  stop: float = 1100.0, think: float = 20.0, audit_at: float = 1400.0) -> Simulator:
    """The replicas of ``design``, till ``c<i>`` at replica ``n<i>``, an auditor; no faults.

    ``quotas`` (``ap-escrow`` only) maps replica -> units; default ``even_split``.
    The auditor reads the store's counts at ``audit_at`` (after the tills stop).
    """
    check_choice("design", design, DESIGNS)
    check_int("stock", stock, minimum=0)
    wants = [check_int(f"wants[{i}]", w, minimum=0) for i, w in enumerate(wants)]
    n = len(wants)
    if n < 2:
        raise ValueError(f"wants must give at least 2 tills (one per replica), got {wants!r}")
    ids = node_ids(n)
    if design == "ap-escrow":
        quotas = even_split(stock, ids) if quotas is None else dict(quotas)
        missing = [r for r in ids if r not in quotas]
        if missing:
            raise ValueError(f"quotas must give every replica {ids} a quota; missing {missing}")
    elif quotas is not None:
        raise ValueError(f"quotas only apply to design='ap-escrow', not {design!r}")
    options = {"anti_entropy_interval": 50.0} if STORE[design] == "crdt-counter" else {}
    sim = build(STORE[design], n, seed=seed, clients=[], **options)
    for i, (nid, w) in enumerate(zip(ids, wants)):
        sim.add_node(Till(f"c{i + 1}", nid, design, stock, w,
                          quota=None if quotas is None else quotas[nid], think=think, stop=stop))
    keys = [escrow_key(r) for r in ids] if design == "ap-escrow" else ["sold"]
    sim.add_node(Client("auditor", [ids[-1]], [Op("read", k, at=audit_at) for k in keys],
                        timeout=400.0))
    return sim


def run_inventory(design: str, seed: Seed = 1, *, stock: int = 20,
                  wants: Sequence[int] = DEFAULT_WANTS, quotas: Mapping[Any, int] | None = None,
                  partition: tuple | None = (100.0, 700.0), stop: float = 1100.0,
                  think: float = 20.0, duration: float = 1600.0) -> InventoryRun:
    """Run one design (see ``inventory_sim``) with ``n1`` and ``c1`` cut off from
    ``partition[0]`` to ``partition[1]`` ms (``None``: no fault); the auditor reads after both
    the tills' ``stop`` and the heal."""
    audit_at = max(stop, partition[1] if partition else 0.0) + 300.0
    sim = inventory_sim(design, seed, stock=stock, wants=wants, quotas=quotas, stop=stop,
                        think=think, audit_at=audit_at)
    if partition is not None:
        partition_plan(len(wants), partition[0], partition[1]).apply(sim)
    sim.run(until=max(duration, audit_at + 500.0))
    return inventory_result(sim)


def inventory_result(sim: Simulator) -> InventoryRun:
    """Read an inventory run (built by ``inventory_sim``) after it ran: tills and audit."""
    tills = [sim.node(nid) for nid in sim.node_ids if isinstance(sim.node(nid), Till)]
    if not tills:
        raise ValueError("sim has no tills: build it with inventory_sim(...)")
    first = tills[0]
    quotas = None
    if first.design == "ap-escrow":
        quotas = {t.home: t.quota for t in tills}
    audited = {op.key: value for op, outcome, value, _e, _t in sim.node("auditor").results
               if outcome == "ok"}
    return InventoryRun(first.design, first.stock, sim, tills, quotas, audited)


def inventory_table(runs: Sequence[InventoryRun], window: tuple | None = (100.0, 700.0)) -> TextTable:
    """One row per design: demand, sold, oversold, unsold, and the cut-off till's luck."""
    rows = []
    for r in runs:
        o = r.outcomes()
        cut = r.during(*window)[r.tills[0].node_id] if window else None
        rows.append((r.design, r.stock, r.demand, r.sold, r.oversold, r.unsold,
                     "-" if r.counted is None else r.counted, o["refused"] + o["unknown"],
                     "-" if cut is None else
                     f"{cut['sold']} sold, {cut['refused'] + cut['unknown']} refused"))
    return format_table(["design", "stock", "demand", "sold", "oversold", "unsold",
                         "store counted", "refused/unknown", "c1 (cut off) during partition"], rows,
                        title="Inventory: the same tills and the same partition, three designs")
