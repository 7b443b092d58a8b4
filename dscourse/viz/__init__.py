"""Views: drawings and text tables that read a Trace, a History or a result.

Views never touch live nodes: they take the record a run left behind, so the
same drawing works on a run that just happened, a replay, or a trace loaded
from disk. Every figure has a text twin (a table) that nbval can compare and a
screen reader can read.

* ``dscourse.viz.snapshot``: the cluster's state at a time, rebuilt from a trace;
* ``dscourse.viz.cluster``: the cluster graph (networkx) and its table;
* ``dscourse.viz.spacetime``: the space-time (Lamport) diagram and its table;
* ``dscourse.viz.plots``: small shared plotting helpers (CDFs, lines, bars);
* topic views: ``history``, ``raft``, ``ring``, ``queues``, ... (one per topic).
"""
