"""dscourse: the package behind the distributed-systems course.

Every notebook imports from here; nothing in the notebooks re-implements a
protocol. Layers (each imports only from the ones before it):

* ``dscourse.sim``: the deterministic simulator, fault plans, traces;
* ``dscourse.clocks``: Lamport and vector clocks;
* topic packages (``fallacies``, ``replication``, ``checkers``, ``consensus``,
  ``queues``, ``hashing``, ``election``): protocols and checkers;
* ``dscourse.scenarios``: named, seeded set-ups shared by notebooks and tests;
* ``dscourse.viz`` and ``dscourse.widgets``: views and panels that read traces.
"""

__version__ = "0.1.0"
