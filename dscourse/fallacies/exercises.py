"""Automatic feedback for the fallacies notebook's exercises.

* ``check_idempotent_server(ServerClass)``: the learner writes a deposit
  server whose ``on_deposit`` gives an exactly-once effect under retries. It
  is run against the retrying client on several seeds (some not shown in the
  notebook) with 20% loss and 10% duplication.
* ``check_timeout_rule(choose_timeout)``: the learner writes a function that
  picks a timeout from measured round-trip times. It is given 1000 samples
  from each latency distribution and judged on 2000 *new* requests: at most
  1% may time out (1.5% allowed for sampling noise), and the timeout may not
  exceed twice the new requests' p99.9 (a timeout is also how long a client
  waits on a server that is dead).

Each returns a ``dscourse.feedback.Feedback``: what was checked, what went
wrong, and a hint.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

from ..feedback import Feedback
from ..sim import Node
from .latency import DISTRIBUTIONS, measure_rtts
from .reliable import run_deposits

SERVER_SEEDS = (3, 17, 99, 2024)
TIMEOUT_SEEDS = (5, 23)
SPURIOUS_BUDGET = 0.015     # 1% target plus room for sampling noise
WASTE_FACTOR = 2.0          # the timeout may not exceed this many new-request p99.9s


def _check_class(server_class) -> None:
    if not isinstance(server_class, type):
        raise TypeError(f"server_class must be a class (a Node subclass), got {server_class!r}; "
                        f"pass the class itself, not an instance")
    if not issubclass(server_class, Node):
        raise TypeError(f"server_class must be a Node subclass (e.g. class MyServer(AccountServer)),"
                        f" got {server_class.__name__}")


def check_idempotent_server(server_class: type, seeds=SERVER_SEEDS) -> Feedback:
    """Run ``server_class`` against a retrying client; feedback on its effect."""
    _check_class(server_class)
    fb = Feedback("Exercise 1: an idempotent deposit server", passed=False)
    runs = []
    for seed in seeds:
        try:
            runs.append(run_deposits(server_class, 10, seed, count=60, loss=0.2, duplicate=0.1))
        except Exception as exc:   # the learner's handler failed: report it, do not crash
            fb.add(f"the server runs without errors (seed {seed})", False)
            fb.problem = f"your server raised {type(exc).__name__}: {exc}"
            fb.hint = ("on_deposit(self, src, msg) gets a Deposit with msg.request_id and "
                       "msg.amount; answer with self.ctx.send(src, DepositOk(...)).")
            return fb
    fb.add(f"runs without errors on {len(runs)} seeds (loss 20%, duplication 10%)", True)
    unanswered = [(r.sim.seed, r.count - r.acknowledged) for r in runs if r.acknowledged < r.count]
    answered = fb.add("the client gets an answer for every deposit", not unanswered)
    wrong = [(r.sim.seed, r.balance - r.expected_balance) for r in runs
             if r.balance != r.expected_balance]
    exact = fb.add("every deposit changes the balance exactly once", not wrong)
    fb.passed = answered and exact
    if not exact:
        seed, diff = wrong[0]
        if diff > 0:
            fb.problem = (f"on seed {seed} the balance is {diff} too high: a retried (or "
                          f"duplicated) deposit was applied again.")
            fb.hint = ("remember each msg.request_id you have applied (a dict request_id -> "
                       "reply) and do not apply a request_id twice.")
        else:
            fb.problem = (f"on seed {seed} the balance is {-diff} too low: some distinct "
                          f"deposits were never applied.")
            fb.hint = ("decide 'seen before?' by msg.request_id alone: two different deposits "
                       "may have the same amount and come from the same client.")
    elif not answered:
        seed, missing = unanswered[0]
        fb.problem = (f"on seed {seed} the client gave up on {missing} deposit(s): when a retry "
                      f"arrived your server stayed silent, so the client never learned the "
                      f"outcome.")
        fb.hint = ("a repeat means your first answer was probably lost: send the saved reply "
                   "again (without applying the deposit again).")
    return fb


@cache
def _timeout_cases() -> tuple:
    """(name, seed, samples shown to the learner, new requests) per distribution and seed."""
    cases = []
    for name, latency in DISTRIBUTIONS.items():
        for seed in TIMEOUT_SEEDS:
            shown = measure_rtts(latency, seed, count=1000, name=name)
            new = measure_rtts(latency, seed + 1000, count=2000, name=name)
            cases.append((name, seed, shown.rtts, new))
    return tuple(cases)


def check_timeout_rule(choose_timeout: Callable) -> Feedback:
    """Judge ``choose_timeout(samples) -> timeout_ms`` on every latency distribution."""
    if not callable(choose_timeout):
        raise TypeError(f"choose_timeout must be a function samples -> timeout (ms), "
                        f"got {choose_timeout!r}")
    fb = Feedback("Exercise 2: a timeout for a 1% budget", passed=False)
    too_short, too_long = [], []
    shown_case: dict = {}      # per distribution: the case to show (a failing one if any)
    for name, _seed, shown, new in _timeout_cases():
        try:
            timeout = choose_timeout(list(shown))
        except Exception as exc:
            fb.add(f"choose_timeout runs on the {name} samples", False)
            fb.problem = f"choose_timeout raised {type(exc).__name__}: {exc}"
            fb.hint = "it gets a list of round-trip times in ms and must return one number."
            return fb
        if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                or math.isnan(timeout) or timeout <= 0):
            fb.add(f"choose_timeout returns a positive number ({name})", False)
            fb.problem = f"for the {name} samples it returned {timeout!r}"
            fb.hint = "return a timeout in milliseconds, e.g. a float such as 42.0."
            return fb
        cut = new.timeout_rate(timeout)
        limit = WASTE_FACTOR * new.p999
        ok = True
        if cut > SPURIOUS_BUDGET:
            too_short.append((name, timeout, cut))
            ok = False
        if timeout > limit:
            too_long.append((name, timeout, limit))
            ok = False
        case = (ok, timeout, cut, timeout / new.p999)
        prev = shown_case.get(name)
        if prev is None or (prev[0] and (not ok or cut > prev[2])):
            shown_case[name] = case
    for name, (ok, timeout, cut, ratio) in shown_case.items():
        fb.add(f"{name:<11}: timeout {timeout:7.1f} ms cuts off {100 * cut:4.1f}% of new "
               f"requests ({ratio:.1f} x their p99.9)", ok)
    fb.passed = not too_short and not too_long
    if too_short:
        name, timeout, cut = max(too_short, key=lambda t: t[2])
        fb.problem = (f"with the {name} latencies your timeout of {timeout:.1f} ms cut off "
                      f"{100 * cut:.1f}% of new requests (budget 1%).")
        fb.hint = ("the mean, the median or a small multiple of them ignores the tail; use a "
                   "high percentile of the samples (dscourse.fallacies.percentile), a bit "
                   "above the 99th for safety.")
    elif too_long:
        name, timeout, limit = too_long[0]
        fb.problem = (f"with the {name} latencies your timeout of {timeout:.1f} ms is more than "
                      f"{limit:.1f} ms (twice the p99.9 of new requests): a client would wait "
                      f"that long on a dead server.")
        fb.hint = ("a fixed number fits one distribution only; and the largest samples (the max, "
                   "the p99.9 of 1000 samples) rest on one or two measurements, which in a heavy "
                   "tail can be huge. Use a percentile many samples support (about 99-99.5).")
    return fb
