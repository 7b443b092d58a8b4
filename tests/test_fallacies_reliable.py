"""Fallacy 1: lost writes, duplicated writes, and the exactly-once effect; exercise 1."""

import pytest

from dscourse.fallacies import (
    AccountServer,
    DepositOk,
    IdempotentAccountServer,
    check_idempotent_server,
    reliability_experiment,
    run_deposits,
    run_mode,
)
from dscourse.fallacies.common import build_sim
from dscourse.fallacies.reliable import deposit_amounts
from dscourse.sim import FaultPlan

from .conftest import sweep


def test_on_a_perfect_network_even_the_naive_client_is_exact():
    run = run_mode("naive", 1, loss=0.0)
    assert run.exactly_once and run.acknowledged == run.count and run.unknown == 0


def test_naive_client_loses_writes_and_leaves_outcomes_unknown():
    run = run_mode("naive", 1, count=100, loss=0.2)
    assert run.lost > 0 and run.duplicated == 0
    assert run.balance < run.expected_balance
    # a lost reply: the deposit happened, but the client was never told
    assert run.applied > run.acknowledged
    assert run.acknowledged + run.unknown == run.count
    ops = run.sim.history.operations()
    assert sum(op.type == "info" for op in ops) == run.unknown


def test_retries_without_idempotency_duplicate_writes():
    run = run_mode("retry", 1, count=100, loss=0.2)
    assert run.lost == 0 and run.acknowledged == run.count
    assert run.duplicated > 0 and run.balance > run.expected_balance


def test_a_client_that_gives_up_may_lose_but_never_duplicates_with_keys():
    run = run_mode("idempotent", 0, count=60, loss=0.3, duplicate=0.1, attempts=2)
    assert run.unknown > 0 and run.duplicated == 0
    assert run.balance == sum(deposit_amounts(0, 60)[int(r.split(":")[1])]
                              for r in run.sim.node("server").applied)


def test_network_duplication_alone_duplicates_writes_on_a_naive_server():
    run = run_mode("naive", 2, count=100, loss=0.0, duplicate=0.2)
    assert run.duplicated > 0


@pytest.mark.sweep
@pytest.mark.parametrize("seed", range(sweep(10)))
def test_idempotency_keys_give_an_exactly_once_effect(seed):
    run = run_mode("idempotent", seed, count=60, loss=0.3, duplicate=0.1, attempts=40)
    assert run.exactly_once
    assert run.acknowledged == run.count
    # every acknowledgement carries the balance right after that deposit
    server = run.sim.node("server")
    assert server.balance == sum(deposit_amounts(seed, 60))


def test_experiment_compares_the_three_designs_on_the_same_amounts():
    result = reliability_experiment(4)
    assert [r.mode for r in result.runs] == ["naive", "retry", "idempotent"]
    assert len({r.expected_balance for r in result.runs}) == 1
    assert result["naive"].lost > 0
    assert result["retry"].duplicated > 0
    assert result["idempotent"].exactly_once
    text = result.table()
    assert "idempotent" in text and "duplicated" in text
    assert text.rows[0][0] == "naive"


def test_same_seed_same_run_different_seed_different_run():
    a, b, c = run_mode("retry", 7), run_mode("retry", 7), run_mode("retry", 8)
    assert a == b   # sim excluded from comparison: every number equal
    assert a.sim.trace.digest() == b.sim.trace.digest()
    assert a.sim.trace.digest() != c.sim.trace.digest()


def test_a_fault_plan_applies_on_top_of_the_loss():
    plan = FaultPlan().crash("server", at=200)
    run = run_deposits(IdempotentAccountServer, 3, 1, count=50, loss=0.0, plan=plan)
    assert run.applied < 50 and run.unknown > 0


def test_build_sim_puts_network_faults_at_time_zero_in_force_before_boot():
    plan = FaultPlan().loss(1.0, at=0)
    run = run_deposits(AccountServer, 1, 1, count=3, loss=0.0, plan=plan)
    assert run.applied == 0      # even the very first request met the loss
    with pytest.raises(TypeError, match="plan must be"):
        build_sim(1, [], plan="crash it")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"mode": "magic"}, ValueError, "mode must be one of"),
    ({"mode": "naive", "loss": 1.5}, ValueError, "loss must be at most 1"),
    ({"mode": "naive", "count": 0}, ValueError, "count must be at least 1"),
    ({"mode": "retry", "attempts": 0}, ValueError, "attempts must be at least 1"),
    ({"mode": "naive", "timeout": -1}, ValueError, "timeout must be at least 0"),
])
def test_bad_arguments(kwargs, error, match):
    mode = kwargs.pop("mode")
    with pytest.raises(error, match=match):
        run_mode(mode, 1, **kwargs)


def test_run_deposits_rejects_a_non_node_server():
    with pytest.raises(TypeError, match="server_class must be a Node subclass"):
        run_deposits(dict, 1, 1)


# ------------------------------------------------------------------ exercise 1
class ReferenceServer(AccountServer):
    def __init__(self, node_id):
        super().__init__(node_id)
        self.done = {}

    def on_deposit(self, src, msg):
        if msg.request_id not in self.done:
            self.balance += msg.amount
            self.done[msg.request_id] = DepositOk(msg.request_id, self.balance)
        self.ctx.send(src, self.done[msg.request_id])


class SilentOnRepeat(AccountServer):
    def __init__(self, node_id):
        super().__init__(node_id)
        self.seen = set()

    def on_deposit(self, src, msg):
        if msg.request_id in self.seen:
            return
        self.seen.add(msg.request_id)
        super().on_deposit(src, msg)


class KeyedOnAmount(AccountServer):
    def __init__(self, node_id):
        super().__init__(node_id)
        self.seen = {}

    def on_deposit(self, src, msg):
        if msg.amount in self.seen:
            self.ctx.send(src, self.seen[msg.amount])
            return
        self.balance += msg.amount
        self.seen[msg.amount] = DepositOk(msg.request_id, self.balance)
        self.ctx.send(src, self.seen[msg.amount])


class Crashes(AccountServer):
    def on_deposit(self, src, msg):
        self.balance += msg.value


def test_exercise_1_accepts_the_reference_solutions():
    assert check_idempotent_server(ReferenceServer).passed
    assert check_idempotent_server(IdempotentAccountServer).passed


@pytest.mark.parametrize("wrong, problem, hint", [
    (AccountServer, "too high", "do not apply a request_id twice"),
    (SilentOnRepeat, "gave up on", "send the saved reply again"),
    (KeyedOnAmount, "too low", "msg.request_id alone"),
    (Crashes, "AttributeError", "msg.amount"),
])
def test_exercise_1_explains_typical_mistakes(wrong, problem, hint):
    fb = check_idempotent_server(wrong)
    assert not fb.passed
    assert problem in fb.problem and hint in fb.hint
    assert "not yet" in str(fb)


def test_exercise_1_rejects_an_instance_or_a_non_node():
    with pytest.raises(TypeError, match="pass the class itself"):
        check_idempotent_server(ReferenceServer("server"))
    with pytest.raises(TypeError, match="must be a Node subclass"):
        check_idempotent_server(int)
