"""Simulator throughput: dscourse against SimPy on the same ping-pong workload.

The workload: N nodes in pairs; each node sends a ``Ping`` to its partner at
the start, and every node that receives a ``Ping`` answers its sender with a
new ``Ping`` one higher. Each message takes a uniform 1-10 ms. The run stops
after ``DELIVERIES`` deliveries. The node code (``PingNode.on_ping``) is the
same in all three engines; only the engine differs:

* dscourse: ``Simulator`` with a full trace, fault hooks enabled but idle
  (no partition, no loss: the checks still run on every send and delivery);
* SimPy idiomatic, as its documentation teaches: one process per node that
  waits on its inbox ``Store``, and a process per message that waits out the
  latency and then puts it in the inbox;
* SimPy callbacks: a bare ``Timeout`` per message with a callback that hands
  the message to the node (no processes, no stores, no trace).

Prints deliveries per second for each engine and each N, then one line per
comparison ending in ``ratio R`` (dscourse / SimPy; above 1 means dscourse is
faster), and the N = 50 vs N = 5 slow-down. Rates are per second of this
process's CPU time (``time.process_time``), which on a shared virtual machine
excludes the time the hypervisor gives to others (wall-clock rates, printed
too, swing by half from run to run there). Run it with ``make bench``.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dscourse.sim import Node, Simulator, Uniform  # noqa: E402

DELIVERIES = 200_000
LOW, HIGH = 1.0, 10.0


@dataclass(frozen=True, slots=True)
class Ping:
    n: int


class PingNode(Node):
    """The protocol, shared by all engines: answer every Ping with the next."""

    def __init__(self, node_id, partner, counter, send=None):
        super().__init__(node_id)
        self.partner = partner
        self.counter = counter   # deliveries so far, shared by all nodes of a run
        self._send = send        # SimPy engines plug their send in here

    def send(self, dst, msg):
        if self._send is None:
            self.ctx.send(dst, msg)
        else:
            self._send(self.node_id, dst, msg)

    def on_start(self):
        self.send(self.partner, Ping(0))

    def on_ping(self, src, msg):
        self.counter[0] += 1
        self.send(src, Ping(msg.n + 1))


def partners(n):
    return [(i, i ^ 1 if (i ^ 1) < n else (i - 1 if i else 1)) for i in range(n)]


def run_dscourse(n, deliveries, seed):
    sim = Simulator(seed=seed, latency=Uniform(LOW, HIGH))
    counter = [0]
    for i, j in partners(n):
        sim.add_node(PingNode(i, j, counter))
    start, cpu = time.perf_counter(), time.process_time()
    while counter[0] < deliveries:
        sim.run(max_events=deliveries - counter[0])
    return counter[0], time.perf_counter() - start, time.process_time() - cpu


def run_simpy_idiomatic(n, deliveries, seed):
    import simpy
    env = simpy.Environment()
    rng = random.Random(seed)
    inboxes = [simpy.Store(env) for _ in range(n)]
    nodes, counter = [], [0]

    def carry(src, dst, msg):            # the network: wait out the latency, then deliver
        yield env.timeout(LOW + (HIGH - LOW) * rng.random())
        yield inboxes[dst].put((src, msg))

    def send(src, dst, msg):
        env.process(carry(src, dst, msg))

    def serve(node):                     # a node: take messages from its inbox
        while True:
            src, msg = yield inboxes[node.node_id].get()
            node.on_ping(src, msg)

    for i, j in partners(n):
        nodes.append(PingNode(i, j, counter, send))
    for node in nodes:
        env.process(serve(node))
        node.on_start()
    start, cpu = time.perf_counter(), time.process_time()
    while counter[0] < deliveries:
        env.step()
    return counter[0], time.perf_counter() - start, time.process_time() - cpu


def run_simpy_callbacks(n, deliveries, seed):
    import simpy
    env = simpy.Environment()
    rng = random.Random(seed)
    nodes, counter = [], [0]

    def arrive(dst, src, msg, _event):
        nodes[dst].on_ping(src, msg)

    def send(src, dst, msg):
        timeout = env.timeout(LOW + (HIGH - LOW) * rng.random())
        timeout.callbacks.append(partial(arrive, dst, src, msg))

    for i, j in partners(n):
        nodes.append(PingNode(i, j, counter, send))
    for node in nodes:
        node.on_start()
    start, cpu = time.perf_counter(), time.process_time()
    while counter[0] < deliveries:
        env.step()
    return counter[0], time.perf_counter() - start, time.process_time() - cpu


ENGINES = {"dscourse": run_dscourse, "SimPy idiomatic": run_simpy_idiomatic,
           "SimPy callbacks": run_simpy_callbacks}


def measure(n, deliveries, seed, rounds):
    """Best rate per engine over ``rounds`` rounds, the engines interleaved in
    each round so that a noisy neighbour slows all of them alike."""
    best = {name: (0.0, 0.0) for name in ENGINES}      # (per CPU second, per wall second)
    for _ in range(rounds):
        for name, fn in ENGINES.items():
            gc.collect()
            done, wall, cpu = fn(n, deliveries, seed)
            best[name] = (max(best[name][0], done / cpu), max(best[name][1], done / wall))
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=DELIVERIES)
    parser.add_argument("--rounds", type=int, default=7, help="best of this many rounds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        import simpy
    except ImportError:
        sys.exit("SimPy is not installed: run `make bench`, which installs it")
    print(f"ping-pong, {args.deliveries:,} deliveries, uniform {LOW:g}-{HIGH:g} ms latency, "
          f"seed {args.seed}, best of {args.rounds} interleaved rounds; Python {sys.version.split()[0]}, "
          f"SimPy {simpy.__version__}")
    rates = {}
    for n in (5, 50):
        for name, (rate, wall_rate) in measure(n, args.deliveries, args.seed, args.rounds).items():
            rates[(name, n)] = rate
            print(f"  N={n:<3} {name:<16} {rate:>12,.0f} deliveries/s CPU "
                  f"({wall_rate:,.0f}/s wall clock)")
    for n in (5, 50):
        for peer in ("SimPy idiomatic", "SimPy callbacks"):
            ratio = rates[("dscourse", n)] / rates[(peer, n)]
            print(f"N={n}: dscourse vs {peer}: ratio {ratio:.2f}")
    slowdown = 1 - rates[("dscourse", 50)] / rates[("dscourse", 5)]
    print(f"dscourse N=50 vs N=5: {slowdown:+.1%} slower (target: at most 25%)")


if __name__ == "__main__":
    main()
