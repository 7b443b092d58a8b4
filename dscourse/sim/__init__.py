"""The deterministic discrete-event simulator under every topic of the course.

Start here::

    from dscourse.sim import Simulator, Node, FaultPlan

    sim = Simulator(seed=1, latency=Uniform(1, 10))
    sim.add_node(MyNode("a"))
    FaultPlan().crash("a", at=50).apply(sim)
    sim.run(until=1000)
    print(sim.trace.table())
    sim.trace.digest()

Modules: ``simulator`` (the event loop and the fault API), ``node`` (Node and
its Context), ``network`` (links, loss, partitions, bandwidth), ``latency``
(distributions), ``clock`` (local clocks with skew and drift), ``faults``
(FaultPlan), ``nemesis`` (random plans), ``trace`` and ``history`` (the
record), ``invariants``, ``table`` (text tables), ``validate`` and ``rng``.
"""

from .clock import LocalClock
from .faults import Fault, FaultPlan
from .history import History, Operation
from .invariants import Violation
from .latency import Constant, Exponential, Latency, LogNormal, Pareto, Uniform
from .nemesis import random_plan
from .network import LinkConfig, Network, message_size
from .node import Context, Node
from .rng import derive_rng, make_rng
from .simulator import QUIET_LIMIT, SimulationNotQuiet, Simulator, gc_paused
from .table import TextTable, format_table
from .trace import MessageRecord, Trace, TraceRecord

__all__ = [
    "Constant", "Context", "Exponential", "Fault", "FaultPlan", "History", "Latency",
    "LinkConfig", "LocalClock", "LogNormal", "MessageRecord", "Network", "Node",
    "Operation", "Pareto", "QUIET_LIMIT", "SimulationNotQuiet", "Simulator", "TextTable",
    "Trace", "TraceRecord", "Uniform", "Violation", "derive_rng", "format_table",
    "gc_paused", "make_rng", "message_size", "random_plan",
]
