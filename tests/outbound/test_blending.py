"""The blending gate and the blender over the production ACD on a hand-advanced clock: inbound
always wins a free agent, outbound work goes out only while the predicted inbound service level
stays above target with a margin, and a task whose offer rang out leaves the ACD."""

from __future__ import annotations

import pytest

from acd.engine import ACD
from acd.events import AgentAnswered, AgentLoggedIn, CallArrived
from acd.model import QueueSpec
from agents.model import AgentSpec
from outbound.blending import (
    OUTBOUND_PREFIX,
    ArrivalRate,
    Blender,
    BlendGate,
    BlendPolicy,
    MeasuredLevel,
    Pool,
)
from outbound.dialer import Dialer
from outbound.hours import CallingHours
from outbound.model import Kind, KindRules, Mode, Rules
from outbound.task import State
from tests.core.helpers import cancels, login_all, offers

HOURS = CallingHours(timezone="UTC")  # virtual time 0 is midnight
NINE = 9 * 3600.0


def test_the_arrival_rate_is_measured_over_the_window() -> None:
    rate = ArrivalRate(window=600.0)
    rate.observe(0.0, 0)
    assert rate.rate() is None
    rate.observe(30.0, 5)
    assert rate.rate() is None  # under a minute
    rate.observe(600.0, 60)
    assert rate.rate() == pytest.approx(0.1)
    rate.observe(1200.0, 60)  # a quiet ten minutes: the old points leave the window
    assert rate.rate() == pytest.approx(0.0)


def _gate(calls_per_hour: float, **policy: float) -> BlendGate:
    gate = BlendGate(BlendPolicy(**policy))
    gate.arrivals.observe(0.0, 0)
    gate.arrivals.observe(900.0, round(calls_per_hour / 4))
    return gate


def test_inbound_waiting_closes_the_gate_whatever_the_prediction() -> None:
    gate = _gate(10)
    assert gate.may_offer(Pool(available=20, idle=10, on_outbound=0), 0, 300.0)
    assert not gate.may_offer(Pool(available=20, idle=10, on_outbound=0), 1, 300.0)
    assert not gate.may_offer(Pool(available=20, idle=0, on_outbound=0), 0, 300.0)


def test_the_gate_opens_only_above_target_plus_margin_with_one_agent_fewer() -> None:
    # 120 calls/h of 300 s is 10 erlangs: Erlang A gives about 0.80 within 15 s with 12 agents
    gate = _gate(120, target=0.80, margin=0.05, patience=120.0)
    twelve = gate.predicted(12, 300.0)
    assert 0.75 < twelve < 0.85
    assert not gate.may_offer(Pool(available=13, idle=1, on_outbound=0), 0, 300.0)
    assert gate.may_offer(Pool(available=16, idle=1, on_outbound=0), 0, 300.0)
    # agents already on outbound work do not count for inbound
    assert not gate.may_offer(Pool(available=16, idle=1, on_outbound=3), 0, 300.0)


def test_the_reserve_keeps_idle_agents_for_inbound() -> None:
    gate = _gate(10, reserve=2)
    assert not gate.may_offer(Pool(available=20, idle=2, on_outbound=0), 0, 300.0)
    assert gate.may_offer(Pool(available=20, idle=3, on_outbound=0), 0, 300.0)


def test_no_prediction_before_a_minute_of_arrivals() -> None:
    gate = BlendGate(BlendPolicy())
    assert not gate.may_offer(Pool(available=20, idle=10, on_outbound=0), 0, 300.0)


def _blender(agents: int, tasks: int, specialist: bool = False) -> tuple[ACD, Dialer, Blender]:
    specs = [AgentSpec(f"a{i}", skills={"zh": 4, "general": 3}) for i in range(agents)]
    queues = [QueueSpec("zh-general", {"zh": 3}), QueueSpec("zh-consumer", {"zh": 3, "consumer": 3}),
              QueueSpec("visits", {"zh": 1, "general": 3})]
    acd = ACD(queues, [*specs, AgentSpec("s0", skills={"zh": 4, "consumer": 4})] if specialist else specs)
    login_all(acd, [s.agent_id for s in specs] + (["s0"] if specialist else []))
    rules = Rules(hours=HOURS, kinds={Kind.RETURN_VISIT: KindRules(mode=Mode.AGENT, queue="visits")})
    dialer = Dialer(rules)
    for i in range(tasks):
        dialer.add_visit(f"C{i}", f"1380013800{i}", "12345", 0.0, not_before=0.0)
    gate = BlendGate(BlendPolicy(target=0.80, margin=0.05))
    blender = Blender(acd, dialer, gate, "visits", [s.agent_id for s in specs], ["zh-general", "zh-consumer"])
    blender.observe(NINE - 900)
    return acd, dialer, blender


def test_quiet_inbound_lets_idle_agents_take_outbound_tasks() -> None:
    acd, dialer, blender = _blender(agents=3, tasks=5)
    commands = blender.offer(NINE)
    # Erlang A with no arrivals: every idle agent may go, one task each
    assert sorted(agent for _, agent in offers(commands)) == ["a0", "a1", "a2"]
    assert all(call.startswith(OUTBOUND_PREFIX) for call, _ in offers(commands))
    assert sum(t.state is State.RESERVED for t in dialer.tasks.values()) == 3
    assert blender.offer(NINE + 1) == []  # nobody idle
    for call_id, agent in offers(commands):
        acd.handle(AgentAnswered(agent, call_id), NINE + 2)
    assert blender.pool() == Pool(available=3, idle=0, on_outbound=3)


def test_nothing_goes_out_while_an_inbound_call_waits() -> None:
    acd, dialer, blender = _blender(agents=3, tasks=1, specialist=True)
    acd.handle(CallArrived("in-1", "zh-consumer", 0, NINE), NINE)
    acd.handle(AgentAnswered("s0", "in-1"), NINE + 2)
    acd.handle(CallArrived("in-2", "zh-consumer", 0, NINE + 3), NINE + 3)  # waits for the specialist
    assert blender.pool().idle == 3  # idle, but they cannot take it (not yet)
    assert blender.offer(NINE + 4) == []
    assert all(t.state is State.SCHEDULED for t in dialer.tasks.values())


def test_nothing_goes_out_outside_calling_hours() -> None:
    acd, dialer, blender = _blender(agents=2, tasks=2)
    assert blender.offer(22 * 3600.0) == []


def test_an_offer_that_rings_out_leaves_the_acd_and_keeps_its_attempts() -> None:
    acd, dialer, blender = _blender(agents=1, tasks=1)
    [(call_id, agent)] = offers(blender.offer(NINE))
    ring_end = acd.on_timer(NINE + 60)
    assert cancels(ring_end) == [(call_id, agent, "ring-no-answer")]
    blender.withdraw(call_id, NINE + 60)
    [task] = dialer.tasks.values()
    assert task.state is State.SCHEDULED and task.attempts == 0
    assert acd.call_state(call_id) is None and acd.waiting_calls() == 0


def test_a_queue_measured_under_the_floor_closes_the_gate() -> None:
    gate = _gate(10, floor=0.80)
    pool = Pool(available=20, idle=10, on_outbound=0)
    meter = gate.levels.setdefault("zh-consumer", MeasuredLevel(900.0))
    meter.observe(0.0, 0, 0)
    meter.observe(300.0, 3, 5)  # 60 %, but fewer calls than the floor needs
    assert gate.may_offer(pool, 0, 300.0)
    meter.observe(600.0, 7, 10)  # 70 % of 10 calls
    assert not gate.may_offer(pool, 0, 300.0)
    meter.observe(1200.0, 17, 20)  # 85 % over the window
    assert gate.may_offer(pool, 0, 300.0)


def test_the_gate_names_the_first_rule_that_holds_an_agent_back() -> None:
    gate = _gate(120, target=0.80, margin=0.05, patience=120.0, reserve=2)
    pool = Pool(available=20, idle=5, on_outbound=0)
    assert gate.refusal(pool, 1, 300.0) == "inbound waiting"
    assert gate.refusal(Pool(available=20, idle=2, on_outbound=0), 0, 300.0) == "reserve"
    assert gate.refusal(pool, 0, 300.0) is None
    assert gate.refusal(Pool(available=12, idle=5, on_outbound=0), 0, 300.0) == "prediction"
    assert BlendGate(BlendPolicy()).refusal(pool, 0, 300.0) == "no rate yet"


def test_a_task_goes_only_to_an_agent_with_its_lines_skills_and_never_enters_the_acd_without_one() -> None:
    acd, dialer, blender = _blender(agents=3, tasks=2)
    blender.requirements = lambda line, language: {"consumer": 3}  # a 12315 case: no idle agent fits
    assert blender.offer(NINE) == [] and acd.stats["visits"].offered == 0 and not blender.in_acd
    assert all(t.state is State.SCHEDULED and t.attempts == 0 for t in dialer.tasks.values())
    blender.requirements = lambda line, language: {"zh": 4, "general": 3}
    assert len(offers(blender.offer(NINE + 1))) == 2


def test_the_fit_is_the_acds_own_with_the_agents_signed_in_now() -> None:
    acd, dialer, blender = _blender(agents=1, tasks=0)
    task = dialer.add_visit("E", "13900139000", "12345", 0.0, not_before=0.0, language="en").task
    blender.requirements = lambda line, language: {language: 3}
    assert blender.offer(NINE) == [] and task.state is State.SCHEDULED
    acd.add_agent(AgentSpec("en-1", skills={"en": 4, "zh": 1, "general": 3}))  # joins after the gate was made
    acd.handle(AgentLoggedIn("en-1", ready=True), NINE + 1)
    [(call_id, agent)] = offers(blender.offer(NINE + 2))
    assert blender.in_acd[call_id] is task and agent == "en-1"


def test_the_warmup_before_a_prediction_is_the_policys() -> None:
    gate = BlendGate(BlendPolicy(warmup=0.0))
    gate.arrivals.observe(NINE, 0)
    gate.arrivals.observe(NINE + 0.5, 0)
    assert gate.may_offer(Pool(available=2, idle=1, on_outbound=0), 0, 300.0)
    with pytest.raises(ValueError, match="warmup"):
        BlendPolicy(warmup=-1.0)


def test_a_task_nobody_idle_fits_does_not_hold_up_the_ones_behind_it() -> None:
    acd, dialer, blender = _blender(agents=2, tasks=0)
    # the oldest: 25 English visits, no English speaker; then one Chinese visit
    english = [dialer.add_visit(f"E{i}", f"1390013{i:04d}", "12345", 0.0, not_before=0.0,
                                language="en").task for i in range(25)]
    chinese = dialer.add_visit("Z", "13700137000", "12345", 1.0, not_before=1.0).task
    blender.requirements = lambda line, language: {language: 1, "general": 3}
    [(call_id, _)] = offers(blender.offer(NINE))
    assert blender.in_acd[call_id] is chinese
    assert all(t.state is State.SCHEDULED and t.attempts == 0 for t in english)
    assert acd.stats["visits"].offered == 1  # the English ones never entered the ACD
