"""Message queues: partitioned logs, consumer groups, delivery guarantees.

Start without a simulation, with the small text API (``memory.py``)::

    from dscourse.queues import MemoryBroker
    broker = MemoryBroker()
    broker.create_topic("orders", partitions=4)
    broker.publish("orders", key="user-123", value="ORD-001")   # -> orders-?@0
    c = broker.consumer("billing", topics="orders")
    c.poll()            # records, shown as a table
    c.commit()          # the group's committed offsets move
    c.seek(2, 0)        # rewind partition 2: replay

Then on the simulator, with crashes and loss from a ``FaultPlan``:
``build_pipeline`` / ``run_audited`` (``sim.py``) put a ``BrokerNode``,
``ProducerNode``s and ``ConsumerNode``s together; ``audit`` counts, for each
message, how many times it was processed and took effect.

Modules: ``log`` (partitions, offsets, retention), ``groups`` (assignment,
rebalance, committed offsets, lag), ``memory`` (the text API), ``messages``,
``producer`` (retries and idempotence), ``broker`` and ``consumer`` (the log on
the simulator), ``delivery`` (the guarantees and the output store), ``audit``,
``sim`` (pipelines and crash schedules), ``broker_queue`` (RabbitMQ's model),
``visibility`` (SQS's model), ``dlq`` (dead letters), ``models`` (the three
side by side), ``exercises``.
"""

from .audit import Audit, Produced, audit
from .broker import BrokerNode
from .broker_queue import AckQueue, AckQueueBroker, AckQueueConsumer
from .consumer import ConsumerNode
from .delivery import EXACTLY_ONCE_VIA, GUARANTEES, Sink
from .dlq import DeadLetters, consume_with_dead_letters
from .groups import STRATEGIES, CommitFailed, GroupState, assign_range, assign_round_robin
from .log import Log, OffsetOutOfRange, Record, TopicPartition, partition_for, stable_hash
from .memory import Batch, Consumer, MemoryBroker
from .models import MODELS, compare_models, run_model
from .producer import ProducerNode, ProducerSequences
from .sim import Pipeline, build_pipeline, crash_schedule, run_audited
from .visibility import VisibilityBroker, VisibilityConsumer, VisibilityQueue

__all__ = [
    "AckQueue", "AckQueueBroker", "AckQueueConsumer", "Audit", "Batch", "BrokerNode",
    "CommitFailed", "Consumer", "ConsumerNode", "DeadLetters", "EXACTLY_ONCE_VIA", "GUARANTEES",
    "GroupState", "Log", "MODELS", "MemoryBroker", "OffsetOutOfRange", "Pipeline", "Produced",
    "ProducerNode", "ProducerSequences", "Record", "STRATEGIES", "Sink", "TopicPartition",
    "VisibilityBroker", "VisibilityConsumer", "VisibilityQueue", "assign_range",
    "assign_round_robin", "audit", "build_pipeline", "compare_models", "consume_with_dead_letters",
    "crash_schedule", "partition_for", "run_audited", "run_model", "stable_hash",
]
