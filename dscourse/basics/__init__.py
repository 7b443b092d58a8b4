"""Small protocols for the first tour and for tests of the simulator itself.

* ``EchoClient`` / ``EchoServer``: request and reply, the smallest protocol.
* ``HeartbeatNode``: a heartbeat failure detector. Every node tells every peer
  "I am alive" each ``interval`` ms and suspects a peer it has not heard from
  for ``timeout`` ms. Crashes are detected; so are partitions, wrongly: a
  node cut off by the network looks exactly like a crashed one.
"""

from .echo import EchoClient, EchoServer, Reply, Request
from .heartbeat import Heartbeat, HeartbeatNode

__all__ = ["EchoClient", "EchoServer", "Heartbeat", "HeartbeatNode", "Reply", "Request"]
