"""The three kinds of event on the simulator's heap.

An event is a tuple ``(time, sequence, kind, a, b, c, d)``; the sequence
number makes ties first-in first-out, so the heap never compares the rest.

* ``DELIVER``: ``a`` receiver, ``b`` sender, ``c`` message, ``d`` message id;
* ``TIMER``: ``a`` node, ``b`` timer id, ``c`` (name, payload, deadline), ``d`` incarnation;
* ``CALL``: ``a`` a function, ``b`` its arguments (a fault, a client, a boot).
"""

DELIVER, TIMER, CALL = 0, 1, 2
