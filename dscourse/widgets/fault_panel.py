"""The fault panel and player: the one widget every notebook reuses.

A ``FaultPanel`` owns a scenario, a seed and a ``FaultPlan``. The learner
crashes and recovers nodes, cuts the network, changes loss and delay, skews a
clock or pauses a node; each click adds a fault *at the current virtual time*
to the plan, and the panel replays the scenario from the start with that plan
up to now. Because ``(seed, plan)`` determines a run, what is on screen is
always exactly what ``panel.to_code()`` rebuilds, and the player can seek
backwards by replaying.

Every control calls a plain method (``crash``, ``recover``, ``partition``,
``heal``, ``set_loss``, ``set_delay``, ``skew``, ``pause``, ``seek``,
``step``, ``reset``), so tests and notebooks can drive the same logic without
a browser, and topic panels add their own views and actions::

    panel = FaultPanel(build=lambda seed: my_cluster(seed), seed=1, horizon=2000,
                       views=[cluster_view(color_by="role"), table_view()],
                       actions={"client write": lambda sim: ...})
    panel            # shows the widget
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import ipywidgets as w
from IPython.display import display

from ..sim import FaultPlan, Simulator, Uniform
from ..sim.validate import check_delay, check_number, check_probability
from ..viz.cluster import cluster_table, draw_cluster
from ..viz.spacetime import draw_spacetime
from .render import ViewArea

View = Callable[[Simulator], Any]


def cluster_view(color_by: str | None = "role", label_fields: Sequence[str] = ()) -> View:
    """A view: the cluster graph at the panel's current time."""
    return lambda sim: draw_cluster(sim.trace, sim.now, color_by=color_by,
                                    label_fields=label_fields)


def table_view(fields: Sequence[str] | None = None) -> View:
    """A view: the cluster as a text table (what a screen reader reads)."""
    return lambda sim: cluster_table(sim.trace, sim.now, fields=fields)


def spacetime_view(window: float = 500.0, state_field: str | None = None) -> View:
    """A view: the space-time diagram of the last ``window`` ms."""
    return lambda sim: draw_spacetime(sim.trace, since=max(0.0, sim.now - window),
                                      until=max(sim.now, 1.0), state_field=state_field,
                                      label=None, width=7.5)


class FaultPanel:
    """Fault injection and replay for a scenario; see the module docstring.

    Parameters
    ----------
    build : callable
        ``build(seed) -> Simulator`` with the scenario's nodes added and no faults.
    seed : int
        The run's seed.
    horizon : float
        The end of the time slider (ms).
    step : float
        How far ``step()`` and the play button advance (ms).
    plan : FaultPlan, optional
        Faults to start with (for example a shared workshop scenario).
    views : list of callables
        Each ``view(sim)`` returns a figure, a text table or anything displayable.
    actions : mapping of name to callable
        Extra buttons; ``action(sim)`` runs at the current time and is replayed.
    delay_mean : float
        The mean message delay the delay slider starts at (uniform, ±50%).
    """

    def __init__(self, build: Callable[[int], Simulator], *, seed: int = 0,
                 horizon: float = 1000.0, step: float = 50.0, plan: FaultPlan | None = None,
                 views: Sequence[View] | None = None,
                 actions: Mapping[str, Callable[[Simulator], Any]] | None = None,
                 delay_mean: float = 10.0, title: str = "Fault panel", render: bool = True):
        if not callable(build):
            raise TypeError(f"build must be a function seed -> Simulator, got {build!r}")
        self.build = build
        self.seed = seed
        self.horizon = check_number("horizon", horizon, minimum=0.0, strict_min=True)
        self.step_size = check_number("step", step, minimum=0.0, strict_min=True)
        if plan is not None and not isinstance(plan, FaultPlan):
            raise TypeError(f"plan must be a FaultPlan, got {type(plan).__name__}")
        self.plan = FaultPlan(list(plan)) if plan is not None else FaultPlan()
        self.views = list(views) if views is not None else [cluster_view(), table_view()]
        self.action_fns = dict(actions or {})
        self.actions: list[tuple[float, str]] = []
        self.delay_mean = check_number("delay_mean", delay_mean, minimum=0.0, strict_min=True)
        self.title = title
        self.render_enabled = render
        self.renders = 0
        self.sim = self._fresh()
        self.node_ids = list(self.sim.node_ids)
        if not self.node_ids:
            raise ValueError("build(seed) returned a simulator with no nodes; the panel needs some")
        self._build_ui()
        self._refresh()

    # ------------------------------------------------------------------ logic
    @property
    def time(self) -> float:
        return self.sim.now

    def _fresh(self) -> Simulator:
        sim = self.build(self.seed)
        if not isinstance(sim, Simulator):
            raise TypeError(f"build(seed) must return a Simulator, got {type(sim).__name__}")
        self.plan.apply(sim)
        for at, name in self.actions:
            sim.at(at, self.action_fns[name], sim)
        return sim

    def _replay(self, until: float) -> None:
        """Rebuild from the start with the current plan and run to ``until``."""
        self.sim = self._fresh()
        self.sim.run(until=until)
        self._refresh()

    def _add(self, method: str, *args: Any, **kwargs: Any) -> None:
        t = self.time
        getattr(self.plan, method)(*args, at=t, **kwargs)
        self._replay(t)

    def crash(self, node: Any) -> None:
        self._check_node(node)
        self._add("crash", node)

    def recover(self, node: Any) -> None:
        self._check_node(node)
        self._add("recover", node)

    def toggle(self, node: Any) -> None:
        """Crash the node if it is up, recover it if it is down."""
        self.recover(node) if self.sim.status(node) == "crashed" else self.crash(node)

    def partition(self, side: Iterable[Any]) -> None:
        """Cut ``side`` off from every other node (both ways)."""
        side = sorted(set(side), key=str)
        for n in side:
            self._check_node(n)
        rest = [n for n in self.node_ids if n not in side]
        if not side or not rest:
            raise ValueError(f"side must name some but not all nodes, got {side}")
        self._add("partition", side, rest)

    def heal(self) -> None:
        self._add("heal")

    def set_loss(self, probability: float) -> None:
        self._add("loss", check_probability("probability", probability))

    def set_delay(self, mean: float) -> None:
        """Message delay uniform in [mean/2, 3*mean/2] from now on."""
        mean = check_delay("mean", mean)
        self._add("latency", Uniform(round(mean * 0.5, 3), round(mean * 1.5, 3)))

    def skew(self, node: Any, offset: float) -> None:
        self._check_node(node)
        self._add("clock", node, skew=check_number("offset", offset))

    def pause(self, node: Any, duration: float) -> None:
        self._check_node(node)
        self._add("pause", node, duration=check_delay("duration", duration))

    def act(self, name: str) -> None:
        """Run a registered action at the current time (recorded for replay)."""
        if name not in self.action_fns:
            raise ValueError(f"name must be one of {sorted(self.action_fns)}, got {name!r}")
        self.actions.append((self.time, name))
        self._replay(self.time)

    def seek(self, t: float) -> None:
        """Show the run at time ``t``: forwards by running on, backwards by replaying."""
        t = check_number("t", t, minimum=0.0)
        if t >= self.sim.now:
            self.sim.run(until=t)
            self._refresh()
        else:
            self._replay(t)

    def step(self) -> None:
        self.seek(min(self.time + self.step_size, max(self.horizon, self.time + self.step_size)))

    def reset(self) -> None:
        """Forget every fault and action; back to time 0."""
        self.plan = FaultPlan()
        self.actions = []
        self._replay(0.0)

    def to_code(self) -> str:
        """Python that rebuilds exactly what is on screen."""
        code = self.plan.to_code()
        code += (f"\n\nsim = build(seed={self.seed})   # the scenario this panel was made with"
                 "\nplan.apply(sim)")
        for at, name in self.actions:
            code += f"\nsim.at({at!r}, actions[{name!r}], sim)"
        code += f"\nsim.run(until={self.time!r})"
        return code

    def _check_node(self, node: Any) -> None:
        if node not in self.node_ids:
            raise ValueError(f"node={node!r} is not in this panel's scenario; "
                             f"nodes: {', '.join(map(str, self.node_ids))}")

    # --------------------------------------------------------------------- UI
    def _build_ui(self) -> None:
        layout = w.Layout(width="auto")
        self.node_buttons = {}
        for n in self.node_ids:
            b = w.Button(description=f"crash {n}", layout=w.Layout(width="110px"))
            b.on_click(lambda _b, n=n: self.toggle(n))
            self.node_buttons[n] = b
        self.side = w.SelectMultiple(options=self.node_ids, rows=min(len(self.node_ids), 5),
                                     description="cut off", layout=w.Layout(width="200px"))
        self.partition_button = w.Button(description="partition", button_style="warning")
        self.partition_button.on_click(lambda _b: self._try(self.partition, self.side.value))
        self.heal_button = w.Button(description="heal", button_style="success")
        self.heal_button.on_click(lambda _b: self.heal())
        self.loss_slider = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05,
                                         description="loss", continuous_update=False)
        self.loss_slider.observe(lambda ch: self.set_loss(ch["new"]), names="value")
        self.delay_slider = w.FloatSlider(value=self.delay_mean, min=1.0,
                                          max=max(200.0, self.delay_mean * 4), step=1.0,
                                          description="delay ms", continuous_update=False)
        self.delay_slider.observe(lambda ch: self.set_delay(ch["new"]), names="value")
        self.clock_node = w.Dropdown(options=self.node_ids, description="node",
                                     layout=w.Layout(width="160px"))
        self.skew_amount = w.FloatText(value=100.0, description="skew ms",
                                       layout=w.Layout(width="170px"))
        self.skew_button = w.Button(description="skew clock")
        self.skew_button.on_click(lambda _b: self.skew(self.clock_node.value,
                                                       self.skew_amount.value))
        self.pause_amount = w.FloatText(value=300.0, description="pause ms",
                                        layout=w.Layout(width="170px"))
        self.pause_button = w.Button(description="pause node")
        self.pause_button.on_click(lambda _b: self._try(self.pause, self.clock_node.value,
                                                        self.pause_amount.value))
        self.action_buttons = {}
        for name in self.action_fns:
            b = w.Button(description=name, button_style="info")
            b.on_click(lambda _b, name=name: self.act(name))
            self.action_buttons[name] = b
        self.time_slider = w.FloatSlider(value=0.0, min=0.0, max=self.horizon,
                                         step=self.step_size, description="time ms",
                                         continuous_update=False, layout=w.Layout(width="420px"))
        self._syncing = False
        self.time_slider.observe(self._on_slider, names="value")
        self.play = w.Play(value=0, min=0, max=max(1, int(self.horizon / self.step_size)),
                           step=1, interval=400, description="play")
        self.play.observe(lambda ch: self.seek(ch["new"] * self.step_size), names="value")
        self.step_button = w.Button(description="step ▶", layout=w.Layout(width="80px"))
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button = w.Button(description="reset", button_style="danger",
                                     layout=w.Layout(width="80px"))
        self.reset_button.on_click(lambda _b: self.reset())
        self.code = w.Textarea(layout=w.Layout(width="95%", height="110px"))
        self.message = w.HTML()
        self.output = ViewArea()
        rows = [
            w.HTML(f"<b>{self.title}</b>"),
            w.HBox(list(self.node_buttons.values()) + list(self.action_buttons.values())),
            w.HBox([self.side, w.VBox([self.partition_button, self.heal_button])]),
            w.HBox([self.loss_slider, self.delay_slider]),
            w.HBox([self.clock_node, self.skew_amount, self.skew_button,
                    self.pause_amount, self.pause_button]),
            w.HBox([self.play, self.step_button, self.time_slider, self.reset_button]),
            self.message,
            self.output,
            w.Accordion(children=[self.code], titles=("replay as code",)),
        ]
        self.ui = w.VBox(rows, layout=layout)

    def _try(self, fn: Callable, *args: Any) -> None:
        try:
            fn(*args)
        except (ValueError, TypeError) as exc:
            self.message.value = f"<span style='color:#D55E00'>{exc}</span>"

    def _on_slider(self, change: dict) -> None:
        if not self._syncing:
            self.seek(change["new"])

    def _refresh(self) -> None:
        """Bring every control and view in line with the simulator."""
        if not hasattr(self, "ui"):
            return
        self._syncing = True
        try:
            if self.time > self.time_slider.max:
                self.time_slider.max = self.time
            self.time_slider.value = self.time
        finally:
            self._syncing = False
        for n, b in self.node_buttons.items():
            down = self.sim.status(n) == "crashed"
            b.description = f"recover {n}" if down else f"crash {n}"
            b.button_style = "success" if down else ""
        self.code.value = self.to_code()
        self.message.value = (f"t = {self.time:.0f} ms · {len(self.plan)} fault(s) in the plan · "
                              f"{self.sim.stats()['sent']} messages sent")
        if self.render_enabled:
            self.renders += 1
            self.output.show(view(self.sim) for view in self.views)

    def _ipython_display_(self) -> None:
        display(self.ui)
