"""Widgets for the message-queue notebook.

``RebalanceWidget``: a consumer group on the simulator, with buttons to add a
consumer, kill one (it crashes and stays down: the broker notices when its
heartbeats stop), restart one, and step time on. After every click the
assignment is redrawn (``viz.queues``), with the group's lag and the history
of rebalances as text. Like the fault panel it replays: the state on screen is
always ``(seed, actions)`` replayed to the current time, and ``to_code()``
prints that replay. The methods the buttons call (``add_consumer``, ``kill``,
``restart``, ``step``, ``seek``, ``reset``) are plain methods, so tests drive
the same logic without a browser.

``guarantee_panel``: the course's ``FaultPanel`` on a producer -> broker ->
consumer pipeline with a chosen delivery guarantee, showing the audit.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
from IPython.display import display

from ..queues.sim import build_pipeline
from ..sim.table import format_table
from ..sim.validate import check_choice, check_int, check_number
from ..viz.queues import assignment_table, draw_assignment, rebalance_table
from .fault_panel import FaultPanel
from .render import ViewArea

KINDS = ("add", "kill", "restart")


class RebalanceWidget:
    """Add and kill consumers of a group and watch the partitions move (module docstring)."""

    def __init__(self, *, seed: int = 0, partitions: int = 6, consumers: int = 2,
                 strategy: str = "range", step: float = 200.0, messages: int = 300,
                 interval: float = 10.0, render: bool = True) -> None:
        self.seed = seed
        self.partitions = check_int("partitions", partitions, minimum=1)
        self.initial = check_int("consumers", consumers, minimum=0)
        self.strategy = check_choice("strategy", strategy, ("range", "round-robin"))
        self.step_size = check_number("step", step, minimum=0.0, strict_min=True)
        self.messages, self.interval = messages, interval
        self.render_enabled = render
        self.renders = 0
        self.actions: list[tuple] = []           # (time, kind, consumer)
        self.pipe = self._fresh()
        self._build_ui()
        self._refresh()

    # -- logic ------------------------------------------------------------------------------------------
    def _fresh(self):
        pipe = build_pipeline(self.seed, partitions=self.partitions, consumers=self.initial,
                              strategy=self.strategy, messages=self.messages,
                              interval=self.interval, keys=24, sample_every=50.0)
        for at, kind, name in self.actions:
            pipe.sim.at(at, self._apply, pipe, kind, name)
        return pipe

    @staticmethod
    def _apply(pipe, kind: str, name: str) -> None:
        if kind == "add":
            pipe.add_consumer(name)
        elif kind == "kill":
            pipe.sim.crash(name)
        else:
            pipe.sim.recover(name)

    @property
    def time(self) -> float:
        return self.pipe.sim.now

    @property
    def consumers(self) -> list[str]:
        return list(self.pipe.consumer_ids)

    def status(self, consumer: str) -> str:
        return self.pipe.sim.status(consumer)

    def _act(self, kind: str, name: str) -> None:
        # Replay from the start with the new action, so that what is on screen is exactly
        # what to_code() rebuilds (an action applied live could order differently among
        # the events of the same instant).
        t = self.time
        self.actions.append((t, kind, name))
        self.pipe = self._fresh()
        self.pipe.sim.run(until=t)
        self._refresh()

    def add_consumer(self) -> str:
        """A new consumer joins now; returns its name."""
        n = len(self.pipe.consumer_ids) + 1
        name = f"c{n}"
        while name in self.pipe.sim.nodes:
            n += 1
            name = f"c{n}"
        self._act("add", name)
        return name

    def _check(self, name: Any, want: str) -> None:
        if name not in self.pipe.consumer_ids:
            raise ValueError(f"consumer={name!r} is not in the group; consumers: "
                             f"{', '.join(self.pipe.consumer_ids) or 'none'}")
        if self.status(name) != want:
            raise ValueError(f"consumer {name!r} is {self.status(name)}, not {want}")

    def kill(self, name: str) -> None:
        """Crash a consumer (it stays down until ``restart``)."""
        self._check(name, "up")
        self._act("kill", name)

    def restart(self, name: str) -> None:
        self._check(name, "crashed")
        self._act("restart", name)

    def seek(self, t: float) -> None:
        t = check_number("t", t, minimum=0.0)
        if t >= self.time:
            self.pipe.sim.run(until=t)
        else:
            self.pipe = self._fresh()
            self.pipe.sim.run(until=t)
        self._refresh()

    def step(self) -> None:
        self.seek(self.time + self.step_size)

    def reset(self) -> None:
        self.actions = []
        self.pipe = self._fresh()
        self._refresh()

    def to_code(self) -> str:
        lines = ["from dscourse.queues import build_pipeline", "",
                 f"pipe = build_pipeline({self.seed}, partitions={self.partitions}, "
                 f"consumers={self.initial}, strategy={self.strategy!r}, messages={self.messages}, "
                 f"interval={self.interval}, keys=24, sample_every=50.0)"]
        for at, kind, name in self.actions:
            call = {"add": f"pipe.add_consumer, {name!r}", "kill": f"pipe.sim.crash, {name!r}",
                    "restart": f"pipe.sim.recover, {name!r}"}[kind]
            lines.append(f"pipe.sim.at({at!r}, {call})")
        lines.append(f"pipe.sim.run(until={self.time!r})")
        return "\n".join(lines)

    def lag_now(self):
        lag = self.pipe.lag()
        return format_table([str(tp) for tp in lag] + ["total"],
                            [list(lag.values()) + [sum(lag.values())]],
                            title=f"lag at t = {self.time:.0f} ms")

    def views(self) -> list:
        """What the widget shows: the drawing, then its text twins."""
        assignment = self.pipe.assignment()
        down = [c for c in self.pipe.consumer_ids if self.status(c) != "up"]
        parts = [f"orders-{i}" for i in range(self.partitions)]
        title = f"generation {self.pipe.generation()} at t = {self.time:.0f} ms"
        return [draw_assignment(assignment, parts, down=down, title=title),
                assignment_table(assignment, parts), self.lag_now(),
                rebalance_table(self.pipe.sim.trace)]

    # -- UI ------------------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.add_button = w.Button(description="add consumer", button_style="success")
        self.add_button.on_click(lambda _b: self.add_consumer())
        self.target = w.Dropdown(description="consumer", layout=w.Layout(width="200px"))
        self.kill_button = w.Button(description="kill", button_style="danger")
        self.kill_button.on_click(lambda _b: self._try(self.kill, self.target.value))
        self.restart_button = w.Button(description="restart")
        self.restart_button.on_click(lambda _b: self._try(self.restart, self.target.value))
        self.step_button = w.Button(description=f"run {self.step_size:g} ms ▶")
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button = w.Button(description="reset", button_style="warning")
        self.reset_button.on_click(lambda _b: self.reset())
        self.message = w.HTML()
        self.code = w.Textarea(layout=w.Layout(width="95%", height="110px"))
        self.output = ViewArea()
        self.ui = w.VBox([
            w.HTML("<b>Consumer group: add and kill consumers, watch the rebalance</b>"),
            w.HBox([self.add_button, self.target, self.kill_button, self.restart_button]),
            w.HBox([self.step_button, self.reset_button]),
            self.message, self.output,
            w.Accordion(children=[self.code], titles=("replay as code",)),
        ])

    def _try(self, fn, *args: Any) -> None:
        try:
            fn(*args)
        except (ValueError, TypeError) as exc:
            self.message.value = f"<span style='color:#D55E00'>{exc}</span>"

    def _refresh(self) -> None:
        if not hasattr(self, "ui"):
            return
        options = [f"{c}" for c in self.pipe.consumer_ids]
        keep = self.target.value if self.target.value in options else (options[0] if options else None)
        self.target.options = options
        self.target.value = keep
        up = sum(1 for c in self.pipe.consumer_ids if self.status(c) == "up")
        self.message.value = (f"t = {self.time:.0f} ms · generation {self.pipe.generation()} · "
                              f"{up} consumer(s) up of {len(options)}")
        self.code.value = self.to_code()
        if self.render_enabled:
            self.renders += 1
            self.output.show(self.views())

    def _ipython_display_(self) -> None:
        display(self.ui)


def guarantee_panel(guarantee: str = "at-least-once", *, seed: int = 0, via: str = "dedup",
                    horizon: float = 800.0, render: bool = True, **options: Any) -> FaultPanel:
    """The fault panel on an audited pipeline: crash consumers, cut links, drop messages,
    and read the audit of every message so far (lost, once, duplicated)."""
    built: dict = {}

    def build(s: int):
        pipe = build_pipeline(s, guarantee=guarantee, via=via, **options)
        built["pipe"] = pipe
        return pipe.sim

    def audit_view(sim):
        a = built["pipe"].audit()
        return a.table(title=f"{guarantee} audit at t = {sim.now:.0f} ms (a message not yet "
                             f"processed counts as lost so far)")

    return FaultPanel(build, seed=seed, horizon=horizon, step=100.0,
                      views=[audit_view, lambda sim: built["pipe"].audit().details()],
                      title=f"Delivery guarantee: {guarantee}", render=render)
