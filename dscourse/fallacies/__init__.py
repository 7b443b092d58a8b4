"""The eight fallacies of distributed computing, each as a runnable experiment.

L Peter Deutsch and colleagues at Sun Microsystems listed seven false
assumptions in 1994 (the first four had already circulated at Sun, from Bill
Joy and Tom Lyon); James Gosling added the eighth around 1997. One module per
fallacy; each experiment takes a ``seed`` and returns a frozen result with the
measured numbers and a ``table()``:

1. the network is reliable: ``reliable`` (``reliability_experiment``)
2. latency is zero: ``latency`` (``tail_latency_experiment``, ``fanout_experiment``)
3. bandwidth is infinite: ``bandwidth`` (``queueing_experiment``)
4. the network is secure: ``security`` (``security_experiment``)
5. topology doesn't change: ``topology`` (``topology_experiment``)
6. there is one administrator: ``administrators`` (``config_experiment``)
7. transport cost is zero: ``cost`` (``batching_experiment``, ``heartbeat_cost_experiment``)
8. the network is homogeneous: ``stragglers`` (``straggler_experiment``) and
   ``homogeneous`` (``encoding_experiment``)

``exercises`` holds the notebook's automatic checks; ``latency_numbers`` loads
the published latency figures in ``data/latency_numbers.csv``.
"""

from .administrators import AdvertisingHeartbeatNode, config_conflicts, config_experiment, run_config
from .bandwidth import Packet, PoissonSender, Sink, md1_wait, queueing_experiment
from .common import build_sim, fraction_over, percentile
from .cost import HEADER_BYTES, PutBatch, Store, Writer, batching_experiment, heartbeat_cost_experiment
from .exercises import check_idempotent_server, check_timeout_rule
from .homogeneous import (
    FORMATS,
    Collector,
    DecodeError,
    Frame,
    Sensor,
    decode_reading,
    encode_reading,
    encoding_experiment,
)
from .latency import (
    DISTRIBUTIONS,
    FanoutFrontend,
    fanout_experiment,
    measure_rtts,
    slow_probability,
    tail_latency_experiment,
)
from .latency_numbers import load_latency_numbers
from .reliable import (
    AccountServer,
    Deposit,
    DepositClient,
    DepositOk,
    IdempotentAccountServer,
    first_lost_reply,
    reliability_experiment,
    run_deposits,
    run_mode,
)
from .security import Bank, Payer, TamperingRouter, Transfer, security_experiment, sign, verify
from .stragglers import Coordinator, Worker, straggler_experiment
from .topology import DiscoveryClient, Registry, Server, StaticClient, topology_experiment

__all__ = [
    "AccountServer", "AdvertisingHeartbeatNode", "Bank", "Collector", "Coordinator",
    "DISTRIBUTIONS", "DecodeError", "Deposit", "DepositClient", "DepositOk",
    "DiscoveryClient", "FORMATS", "FanoutFrontend", "Frame", "HEADER_BYTES",
    "IdempotentAccountServer", "Packet", "Payer", "PoissonSender", "PutBatch", "Registry",
    "Sensor", "Server", "Sink", "StaticClient", "Store", "TamperingRouter", "Transfer",
    "Worker", "Writer", "batching_experiment", "build_sim", "check_idempotent_server",
    "check_timeout_rule", "config_conflicts", "config_experiment", "decode_reading",
    "encode_reading", "encoding_experiment", "fanout_experiment", "first_lost_reply", "fraction_over",
    "heartbeat_cost_experiment", "load_latency_numbers", "md1_wait", "measure_rtts",
    "percentile", "queueing_experiment", "reliability_experiment", "run_config",
    "run_deposits", "run_mode", "security_experiment", "sign", "slow_probability",
    "straggler_experiment", "tail_latency_experiment", "topology_experiment", "verify",
]
