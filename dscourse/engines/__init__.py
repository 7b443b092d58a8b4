"""Adapters to real systems, started on 127.0.0.1 by the code that uses them.

Each engine starts its server itself (a free port, a temporary data
directory), stops it afterwards even when something fails, and says clearly
how to install the server when it is missing. The simulator teaches the
ideas; an engine shows the same ideas on the real thing. Modules:
``redis_streams`` (consumer groups on Redis Streams).

Leader election (notebook 09): ``etcd`` (a three-member etcd cluster, its Raft
failover and a lease lock, over the JSON gateway), ``zookeeper`` (a
three-server ZooKeeper ensemble and kazoo's election recipe),
``election_labs`` (both labs next to the simulator's predictions) and
``localproc`` (server processes in their own process groups that never
outlive their parent).
"""
