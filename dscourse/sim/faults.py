"""Fault plans: faults as data.

A ``FaultPlan`` is a list of timed faults (crash, recover, pause, partition,
one-way partition, isolate, heal, network changes such as loss and latency,
clock skew and drift). Built with chained calls,

    plan = (FaultPlan()
            .partition(["n1"], ["n2", "n3"], at=100)
            .heal(at=400)
            .crash("n2", at=500))

and applied to a simulator with ``plan.apply(sim)`` before running it. The
same ``(seed, plan)`` always gives the same run, so a plan is what a learner
exports from the fault panel (``plan.to_code()``), saves (``plan.to_json()``)
and hands to a test. Every fault is carried out through the simulator method
of the same name, the API the tests and the widgets share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from .latency import Latency, as_latency
from .table import TextTable, format_table
from .validate import check_delay, check_node_id, check_number

NETWORK_SETTINGS = ("latency", "loss", "duplicate", "reorder", "reorder_delay",
                    "bandwidth", "queue_limit")
FORMAT = "dscourse.faultplan"


@dataclass(frozen=True)
class Fault:
    """One fault: what happens (``kind`` and ``params``) and when (``at``)."""
    at: float
    kind: str
    params: dict = field(default_factory=dict)

    def apply(self, sim) -> None:
        p = self.params
        if self.kind == "partition":
            sim.partition(*p["groups"])
        elif self.kind == "network":
            settings = {k: v for k, v in p.items() if k not in ("src", "dst")}
            sim.set_network(p.get("src"), p.get("dst"), **settings)
        elif self.kind == "clock":
            sim.set_clock(p["node"], skew=p.get("skew"), drift=p.get("drift"))
        else:
            getattr(sim, self.kind)(**p)

    def nodes(self) -> list:
        """The node ids this fault names."""
        p = self.params
        if self.kind == "partition":
            return [n for g in p["groups"] for n in g]
        if self.kind == "partition_oneway":
            return list(p["sources"]) + list(p["targets"])
        return [p[k] for k in ("node_id", "node", "src", "dst") if p.get(k) is not None]

    def to_dict(self) -> dict:
        params = {k: (v.to_dict() if isinstance(v, Latency) else v) for k, v in self.params.items()}
        return {"at": self.at, "kind": self.kind, **params}

    def describe(self) -> str:
        p = self.params
        if self.kind == "partition":
            return " | ".join(",".join(map(str, g)) for g in p["groups"])
        if self.kind == "partition_oneway":
            return f"{','.join(map(str, p['sources']))} -/-> {','.join(map(str, p['targets']))}"
        parts = []
        for k, v in p.items():
            if v is None:
                continue
            if k in ("node_id", "node"):
                parts.insert(0, str(v))
            else:
                parts.append(f"{k}={v.to_code() if isinstance(v, Latency) else v}")
        return ", ".join(parts)


def _code_value(value: Any) -> str:
    if isinstance(value, Latency):
        return value.to_code()
    if isinstance(value, float) and value == int(value):
        return repr(value)
    return repr(value)


class FaultPlan:
    """An ordered list of faults, built by chained calls; see the module docstring."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._faults: list[Fault] = []
        for f in faults:
            if not isinstance(f, Fault):
                raise TypeError(f"faults must be Fault values, got {f!r}")
            self._add(f.at, f.kind, dict(f.params))

    # -- building ------------------------------------------------------------
    def _add(self, at: Any, kind: str, params: dict) -> "FaultPlan":
        at = check_number("at", at, minimum=0.0)
        fault = Fault(at, kind, params)
        # keep time order; faults at the same time stay in the order added
        i = len(self._faults)
        while i > 0 and self._faults[i - 1].at > at:
            i -= 1
        self._faults.insert(i, fault)
        return self

    def crash(self, node: Any, at: float) -> "FaultPlan":
        return self._add(at, "crash", {"node_id": check_node_id("node", node)})

    def recover(self, node: Any, at: float) -> "FaultPlan":
        return self._add(at, "recover", {"node_id": check_node_id("node", node)})

    def crash_for(self, node: Any, at: float, duration: float) -> "FaultPlan":
        """Crash ``node`` at ``at`` and recover it ``duration`` ms later."""
        duration = check_delay("duration", duration)
        return self.crash(node, at).recover(node, check_number("at", at) + duration)

    def pause(self, node: Any, at: float, duration: float,
              freeze_clock: bool = True) -> "FaultPlan":
        if not isinstance(freeze_clock, bool):
            raise TypeError(f"freeze_clock must be True or False, got {freeze_clock!r}")
        return self._add(at, "pause", {"node_id": check_node_id("node", node),
                                       "duration": check_delay("duration", duration),
                                       "freeze_clock": freeze_clock})

    def partition(self, *groups: Iterable[Any], at: float) -> "FaultPlan":
        if len(groups) < 2:
            raise ValueError(f"partition needs at least two groups, got {len(groups)}")
        clean = []
        for i, g in enumerate(groups):
            if isinstance(g, (str, bytes)) or not isinstance(g, Iterable):
                raise TypeError(f"groups[{i}] must be a list of node ids, got {g!r}")
            clean.append([check_node_id(f"groups[{i}]", n) for n in g])
        return self._add(at, "partition", {"groups": clean})

    def partition_oneway(self, sources: Iterable[Any], targets: Iterable[Any],
                         at: float) -> "FaultPlan":
        for name, g in (("sources", sources), ("targets", targets)):
            if isinstance(g, (str, bytes)) or not isinstance(g, Iterable):
                raise TypeError(f"{name} must be a list of node ids, got {g!r}")
        return self._add(at, "partition_oneway",
                         {"sources": [check_node_id("sources", n) for n in sources],
                          "targets": [check_node_id("targets", n) for n in targets]})

    def isolate(self, node: Any, at: float) -> "FaultPlan":
        return self._add(at, "isolate", {"node_id": check_node_id("node", node)})

    def remove_node(self, node: Any, at: float) -> "FaultPlan":
        """The node leaves the cluster for good (decommissioned), at ``at``."""
        return self._add(at, "remove_node", {"node_id": check_node_id("node", node)})

    def heal(self, at: float) -> "FaultPlan":
        return self._add(at, "heal", {})

    def set_network(self, at: float, src: Any = None, dst: Any = None,
                    **settings: Any) -> "FaultPlan":
        """Change link settings from ``at`` on (all links, or ``src`` -> ``dst``)."""
        unknown = set(settings) - set(NETWORK_SETTINGS)
        if unknown:
            raise TypeError(f"unknown network setting(s) {sorted(unknown)}; "
                            f"allowed: {list(NETWORK_SETTINGS)}")
        if not settings:
            raise ValueError("set_network needs at least one setting, "
                             f"among {list(NETWORK_SETTINGS)}")
        if (src is None) != (dst is None):
            raise ValueError("give both src and dst for one link, or neither for all links")
        if "latency" in settings:
            settings["latency"] = as_latency("latency", settings["latency"])
        from .network import LinkConfig  # validates every value the same way the network does
        LinkConfig().changed(**settings)
        params: dict = {}
        if src is not None:
            params = {"src": check_node_id("src", src), "dst": check_node_id("dst", dst)}
        params.update(sorted(settings.items()))
        return self._add(at, "network", params)

    def loss(self, probability: float, at: float) -> "FaultPlan":
        return self.set_network(at, loss=probability)

    def latency(self, latency: Latency | float, at: float) -> "FaultPlan":
        return self.set_network(at, latency=latency)

    def clock(self, node: Any, at: float, skew: float | None = None,
              drift: float | None = None) -> "FaultPlan":
        if skew is None and drift is None:
            raise ValueError("clock needs skew=... and/or drift=...")
        params: dict = {"node": check_node_id("node", node)}
        if skew is not None:
            params["skew"] = check_number("skew", skew)
        if drift is not None:
            params["drift"] = check_number("drift", drift, minimum=-1.0, strict_min=True)
        return self._add(at, "clock", params)

    @classmethod
    def random(cls, nodes: Iterable[Any], seed=None, **options: Any) -> "FaultPlan":
        """A random plan (a nemesis); see ``dscourse.sim.nemesis.random_plan``."""
        from .nemesis import random_plan
        return random_plan(nodes, seed=seed, **options)

    # -- reading -------------------------------------------------------------
    @property
    def faults(self) -> list[Fault]:
        return list(self._faults)

    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self):
        return iter(self._faults)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, FaultPlan) and self.to_dict() == other.to_dict()

    def __add__(self, other: "FaultPlan") -> "FaultPlan":
        if not isinstance(other, FaultPlan):
            return NotImplemented
        return FaultPlan(list(self) + list(other))

    def table(self) -> TextTable:
        rows = [(f"{f.at:.1f}", f.kind, f.describe()) for f in self._faults]
        return format_table(["at", "fault", "detail"], rows,
                            title=None if rows else "(an empty fault plan: no faults)")

    def __repr__(self) -> str:
        return f"FaultPlan({len(self._faults)} faults)"

    # -- applying ------------------------------------------------------------
    def apply(self, sim) -> "FaultPlan":
        """Schedule every fault on ``sim``; node ids are checked first."""
        known = set(sim._status)
        for i, f in enumerate(self._faults):
            for n in f.nodes():
                if n not in known:
                    raise ValueError(f"fault {i} ({f.kind} at {f.at:g}) names node {n!r}, "
                                     f"which the simulator does not have; known: "
                                     f"{sorted(known, key=str)}")
            if f.at < sim.now:
                raise ValueError(f"fault {i} ({f.kind}) is at {f.at:g}, in the past; "
                                 f"the simulator is at {sim.now:g}")
        for f in self._faults:
            if f.at == sim.now:
                # Due now: apply at once, so that it comes before anything else
                # scheduled for this instant (a fault at t=0 precedes the nodes'
                # boot, and the messages they send while booting meet it).
                f.apply(sim)
            else:
                sim.at(f.at, f.apply, sim)
        return self

    # -- export ----------------------------------------------------------------
    def to_code(self, name: str = "plan") -> str:
        """Python that rebuilds this plan exactly."""
        imports = sorted({"FaultPlan"} | {type(v).__name__ for f in self._faults
                                          for v in f.params.values() if isinstance(v, Latency)})
        lines = [f"from dscourse.sim import {', '.join(imports)}", "", f"{name} = (", "    FaultPlan()"]
        for f in self._faults:
            p = dict(f.params)
            if f.kind == "partition":
                args = [_code_value(g) for g in p["groups"]]
            elif f.kind == "network":
                args = [f"{k}={_code_value(v)}" for k, v in p.items()]
                lines.append(f"    .set_network(at={_code_value(f.at)}, {', '.join(args)})")
                continue
            elif f.kind == "clock":
                args = [_code_value(p.pop("node"))] + [f"{k}={_code_value(v)}" for k, v in p.items()]
            else:
                node = p.pop("node_id", None)
                args = ([_code_value(node)] if node is not None else []) + \
                       [f"{k}={_code_value(v)}" for k, v in p.items()]
            args.append(f"at={_code_value(f.at)}")
            lines.append(f"    .{f.kind}({', '.join(args)})")
        lines.append(")")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": 1, "faults": [f.to_dict() for f in self._faults]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Any) -> "FaultPlan":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"a fault plan must be a dict with format={FORMAT!r}; got "
                             f"{str(data)[:60]!r}")
        if data.get("version") != 1:
            raise ValueError(f"fault plan version must be 1, got {data.get('version')!r}")
        faults = data.get("faults")
        if not isinstance(faults, list):
            raise ValueError(f"fault plan 'faults' must be a list, got {type(faults).__name__}")
        plan = cls()
        builders = {"crash": plan.crash, "recover": plan.recover, "pause": plan.pause,
                    "partition": plan.partition, "partition_oneway": plan.partition_oneway,
                    "isolate": plan.isolate, "heal": plan.heal, "network": plan.set_network,
                    "clock": plan.clock, "remove_node": plan.remove_node}
        for i, entry in enumerate(faults):
            if not isinstance(entry, dict) or "kind" not in entry or "at" not in entry:
                raise ValueError(f"fault {i} must be a dict with 'at' and 'kind', got {entry!r}")
            params = {k: v for k, v in entry.items() if k not in ("at", "kind")}
            kind = entry["kind"]
            if kind not in builders:
                raise ValueError(f"fault {i}: kind must be one of {sorted(builders)}, got {kind!r}")
            if "node_id" in params:
                params["node"] = params.pop("node_id")
            if isinstance(params.get("latency"), dict):
                params["latency"] = Latency.from_dict(params["latency"])
            try:
                if kind == "partition":
                    builders[kind](*params.pop("groups"), at=entry["at"], **params)
                else:
                    builders[kind](at=entry["at"], **params)
            except (TypeError, KeyError) as exc:
                raise ValueError(f"fault {i} ({kind}): bad parameters {params!r}: {exc}") from None
        return plan

    @classmethod
    def from_json(cls, text: str) -> "FaultPlan":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"fault plan JSON is malformed: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path) -> "FaultPlan":
        with open(path, encoding="utf-8") as fh:
            return cls.from_json(fh.read())

    def save(self, path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.to_json() + "\n")
