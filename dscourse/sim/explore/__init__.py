"""A small-scope model checker: every schedule of a tiny system, breadth first.

A seeded simulation tries *one* schedule per seed. This module tries *all* of
them, up to a bound: the nodes of a protocol (unchanged ``Node`` subclasses,
written for the simulator) are run in a world with no clock and no latency,
where any pending event may happen next:

* **deliver** any in-flight message to its receiver, in any order;
* **drop** a message (if the ``drops`` budget allows), **duplicate** one
  (``duplicates``);
* **fire** any pending timer, however early (``timer_fires``
  bounds how many);
* **restart** a node (``crashes`` bounds how many; ``crashable`` says which
  nodes may): it crashes, losing its timers and all but its ``ctx.storage``,
  and recovers as a fresh instance, as in the simulator. For safety a crash
  that lasts is no different from a restart whose messages are still in
  flight (a crashed node does nothing a slow node could not), so one
  ``restart`` step stands for a crash and a later recovery.

The search is breadth first, so the first state that breaks an invariant is
reached by a *shortest* schedule. Each explored state is hashed (every node's
state key and storage, the multiset of in-flight messages, the pending timers
and the budgets left), so a state reached twice, by two orders of the same
independent events, is expanded once. Three reductions keep tiny systems
tiny, none of which can hide a broken invariant:

* a step that consumes a message or timer and changes nothing is not taken
  (leaving the event pending covers everything it could lead to);
* steps at different nodes commute, so a step whose outcome is already known
  from the parent state is recognised as leading back to a seen state
  without being run (the other side of a diamond);
* the node that acts is copied; the others are shared with the parent state.

Choices are made in sorted order: the explorer is deterministic, and so must
the protocol be (``ctx.rng`` is the same seeded stream the simulator would
give it).

A node's state key is, by default, the canonical text of its attributes
(``ctx`` left out); pass ``state_key=`` to choose what matters. Invariants
are predicates over the nodes, ``{node_id: node}``, returning ``True``/``None``
when they hold and ``False`` or a message when not. The explorer has no clock
(``ctx.clock()`` counts steps): protocols whose safety depends on timing are
explored as if every timeout could happen at any moment.

A ``Counterexample`` is a schedule: ``counterexample.replay()`` runs it on a
real ``Simulator`` (each step one millisecond of virtual time, timers no
earlier than they were due) and returns it, so its ``trace`` draws on the
space-time diagram and its ``violations`` show the broken invariant.

    result = explore(lambda: [Acceptor("a1"), ...], {"agreement": agreement},
                     max_depth=12, crashes=1)
    result.counterexample.replay().trace

Modules: ``values`` (canonical texts and copies of node state), ``world``
(one global state, its steps and the context nodes run with), ``search``
(the breadth-first search and its results), ``replay`` (a schedule run on
the simulator).
"""

from .replay import replay
from .search import Counterexample, ExploreResult, explore
from .values import short_label, state_text
from .world import KINDS, Step, default_state_key, state_key_without

__all__ = ["KINDS", "Counterexample", "ExploreResult", "Step", "default_state_key", "explore",
           "replay", "short_label", "state_key_without", "state_text"]
