"""The fault panel, set up for leader election.

``election_panel(build, seed=..., horizon=...)`` is the course's
``FaultPanel`` with three views: the cluster coloured by role (with each
node's term), the leader timeline (who believed it led, and every
split-brain window in red), and the timeline as text. Its buttons crash,
partition, pause and skew exactly as everywhere else; ``panel.to_code()``
replays what is on screen.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from ..sim import Simulator
from ..viz.election import draw_leader_timeline, timeline_table
from .fault_panel import FaultPanel, cluster_view


def timeline_view(nodes: Sequence[Any] | None = None) -> Callable[[Simulator], Any]:
    """A view: leader beliefs up to the panel's current time."""
    return lambda sim: draw_leader_timeline(sim.trace, nodes=nodes, until=max(sim.now, 1.0))


def timeline_text_view() -> Callable[[Simulator], Any]:
    return lambda sim: timeline_table(sim.trace, until=sim.now)


def election_panel(build: Callable[[int], Simulator], *, seed: int = 1, horizon: float = 3000.0,
                   step: float = 100.0, nodes: Sequence[Any] | None = None,
                   actions: Mapping[str, Callable[[Simulator], Any]] | None = None,
                   title: str = "Leader election", render: bool = True) -> FaultPanel:
    """A ``FaultPanel`` with the election views (see the module docstring)."""
    views = [cluster_view(color_by="role", label_fields=("term",)), timeline_view(nodes),
             timeline_text_view()]
    return FaultPanel(build, seed=seed, horizon=horizon, step=step, views=views,
                      actions=actions, title=title, render=render)
