"""Outbound work blended into a simulated day through the production ACD: the campaign's calls
stay out of the inbound records, nothing is dialled outside calling hours, and a gate that never
opens leaves the inbound day exactly as it was without a campaign."""

from __future__ import annotations

import dataclasses

from outbound.blending import BlendPolicy
from outbound.hours import CallingHours
from simulator.engine import simulate
from simulator.outbound import OutboundWork
from simulator.scenario import load_scenario


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


def test_a_gate_that_never_opens_changes_nothing_inbound() -> None:
    loaded = _scenario(hours=10.0)
    closed = OutboundWork(50, seed=1, policy=BlendPolicy(target=0.99, margin=0.01))
    with_campaign = simulate(loaded, seed=5, outbound=closed)
    without = simulate(loaded, seed=5)
    assert closed.close().dials == 0
    assert _records(with_campaign) == _records(without)
