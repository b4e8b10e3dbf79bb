"""Outbound work in a simulated day through the production ACD: the campaign's calls stay out of
the inbound records, nothing is dialled outside calling hours, a gate that never opens leaves
the inbound day exactly as it was without a campaign, dedicated agents work the campaign without
the gate and take no inbound call, and automated surveys use no agent and keep to their lines."""

from __future__ import annotations

import dataclasses

import pytest

from acd.engine import ACD
from acd.events import CallArrived
from acd.model import QueueSpec
from agents.model import AgentSpec
from outbound.blending import BlendPolicy
from outbound.hours import CallingHours
from outbound.model import Mode
from simulator.engine import simulate
from simulator.outbound import DEDICATED_SKILL, OutboundWork
from simulator.scenario import Shift, StaffGroup, load_scenario


def _scenario(hours: float = 11.0):
    loaded = load_scenario("mmc-plus-m")
    base = loaded.scenario
    update = {"duration_hours": hours, "warmup_hours": 0.0,
              "arrivals": [base.arrivals[0].model_copy(update={"calls_per_hour": 600})]}
    return dataclasses.replace(loaded, scenario=base.model_copy(update=update))


def _records(result) -> list[tuple]:
    return [(r.call_id, r.outcome, r.agent_id, round(r.wait, 6)) for r in result.records]


def test_a_campaign_is_worked_in_calling_hours_and_kept_out_of_inbound_records() -> None:
    loaded = _scenario()
    hours = CallingHours("09:00", "10:30", timezone="UTC")
    work = OutboundWork(200, seed=1, hours=hours, policy=BlendPolicy(target=0.80, margin=0.05))
    dials: list[float] = []
    talk = work.talk
    work.talk = lambda call_id, now: dials.append(now) or talk(call_id, now)  # type: ignore[method-assign]
    result = simulate(loaded, seed=3, outbound=work)
    figures = work.close()
    assert all(isinstance(r.call_id, int) for r in result.records)
    assert figures.reached > 20 and figures.dials == len(dials)
    assert figures.reached + figures.not_reached + figures.expired + figures.pending == 200
    assert dials and all(9 * 3600 <= at < 10.5 * 3600 for at in dials)
    assert sum(figures.reached_by_hour[:9]) == 0 and sum(figures.reached_by_hour[11:]) == 0
    with pytest.raises(ValueError, match="track_changes"):
        work.dialer.changes()  # nobody stores the simulator's tasks: their changes were never kept
    assert work.blender is not None and list(work.blender.inbound) == loaded.config.inbound_queues()


def test_the_gate_keeps_the_level_of_the_configs_inbound_queues_whatever_their_names() -> None:
    work = OutboundWork(5, seed=1)
    agents = [AgentSpec("a1", skills={"zh": 3, "general": 3})]
    # an inbound queue named as a hotline may like, beside the campaign's own queue
    acd = ACD([QueueSpec("outbound-complaints", {"zh": 1}), *work.queues], agents)
    work.attach(acd, agents, ["outbound-complaints"])
    assert work.blender is not None and work.blender.inbound == ("outbound-complaints",)
    acd.handle(CallArrived("c1", "outbound-complaints"), 0.0)
    work.blender.observe(0.0)
    acd.handle(CallArrived("c2", "outbound-complaints"), 100.0)
    work.blender.observe(100.0)
    assert work.blender.gate.arrivals.rate() == pytest.approx(1 / 100)


def test_a_gate_that_never_opens_changes_nothing_inbound() -> None:
    loaded = _scenario(hours=10.0)
    closed = OutboundWork(50, seed=1, policy=BlendPolicy(target=0.99, margin=0.01))
    with_campaign = simulate(loaded, seed=5, outbound=closed)
    without = simulate(loaded, seed=5)
    assert closed.close().dials == 0
    assert _records(with_campaign) == _records(without)


def _with_dedicated(loaded, count: int):
    group = StaffGroup(name="outbound", count=count, skills={"zh": 3, DEDICATED_SKILL: 3},
                       shifts=[Shift(start_hour=9, end_hour=10)])
    return dataclasses.replace(loaded, scenario=loaded.scenario.model_copy(
        update={"staffing": [*loaded.scenario.staffing, group]}))


def test_dedicated_agents_work_the_campaign_with_the_gate_shut_and_take_no_inbound_call() -> None:
    loaded = _with_dedicated(_scenario(hours=11.0), 3)
    shut = BlendPolicy(target=0.99, margin=0.01)  # no blended agent gets a task
    work = OutboundWork(300, seed=1, policy=shut, dedicated=True)
    with_campaign = simulate(loaded, seed=5, outbound=work)
    without = simulate(loaded, seed=5)
    figures = work.close()
    assert figures.reached > 20 and figures.dedicated_seconds == figures.agent_seconds > 0
    # the ACD breaks ties between equal agents at random: which pool agent answers may differ
    assert [r[:2] + r[3:] for r in _records(with_campaign)] == [r[:2] + r[3:] for r in _records(without)]
    assert not any(str(r.agent_id).startswith("outbound") for r in with_campaign.records)
    held = sum(figures.held.values())
    assert 0 < held <= figures.pool_seconds and figures.held["prediction"] > 0


def test_automated_surveys_need_no_agent_keep_to_their_lines_and_hours() -> None:
    loaded = _scenario(hours=12.0)
    hours = CallingHours("09:00", "11:00", timezone="UTC")
    work = OutboundWork(2000, seed=2, hours=hours, mode=Mode.SURVEY, lines=5)
    in_progress: list[int] = []
    survey = work._survey

    def watched(now: float) -> None:
        survey(now)
        in_progress.append(len(work._survey_ends))
        assert not work._survey_ends or hours.is_open(now) or now >= 11 * 3600

    work._survey = watched  # type: ignore[method-assign]
    with_campaign = simulate(loaded, seed=7, outbound=work)
    figures = work.close()
    assert _records(with_campaign) == _records(simulate(loaded, seed=7))
    assert max(in_progress) == 5 and figures.agent_seconds == 0
    # 5 lines for 2 hours, about a minute a call: some hundreds reached, none outside the hours
    assert 200 < figures.reached < 700 and figures.pending > 0
    assert sum(figures.reached_by_hour[:9]) == 0 and sum(figures.reached_by_hour[12:]) == 0
