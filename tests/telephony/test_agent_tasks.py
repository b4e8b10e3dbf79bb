"""Agents' outbound tasks on the embedded engine: a visit takes the line its case's call came in
on (live in the ACD, else its record; the campaign's without one); a task goes only to an agent
with the skills of its line and language (and never waits in the ACD for one), an offer whose seat cannot ring
puts the task back in line with no attempt spent, and the citizen is dialled through a trunk
that challenges (digest credentials answered once; a wrong password fails the attempt)."""

from __future__ import annotations

import asyncio

import pytest

from acd.commands import CallRecord, OfferCall
from acd.events import AgentLoggedIn, CallArrived
from agents.seat import Presence
from calls.call import Call
from outbound.model import CallOutcome
from outbound.task import State
from tests.outbound.helpers import AGENT, replied_case
from tests.phone.outbound_engine import outbound_engine, run_campaigns
from tests.telephony.helpers import wait_for
from tests.telephony.trunk import PROGRESSIVE, agent_call

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]



def _engine(tmp_path):
    engine = outbound_engine(tmp_path, 9, "00:00-23:59", PROGRESSIVE)  # nothing is dialled
    offers: list[OfferCall] = []
    engine.driver.add_sink(lambda commands: offers.extend(c for c in commands if isinstance(c, OfferCall)))
    return engine, offers


def test_a_visit_takes_the_line_its_case_came_in_on_for_its_caller_id_and_skills(tmp_path, prompts_dir):
    engine, offers = _engine(tmp_path)
    at = engine.driver.clock() - 600
    engine.store.add_calls([CallRecord("c-12329", "zh-housing-fund", "12329", "zh", 0, at, at + 5,
                                       "answered", at + 120, answered_at=at + 20, agent_id="1002",
                                       wait=15.0, talk=100.0)])

    async def scenario(tel, runner) -> None:
        service = engine.casework.service
        engine.driver.submit(CallArrived("live-1", "zh-consumer", language="zh", line="12315"))
        recorded = await asyncio.to_thread(replied_case, service, "13700137004", call_id="c-12329")
        live = await asyncio.to_thread(replied_case, service, "13700137005", call_id="live-1")
        unknown = await asyncio.to_thread(replied_case, service, "13700137006", call_id="no-such-call")
        none = await asyncio.to_thread(replied_case, service, "13700137007")
        cases = (recorded, live, unknown, none)
        assert [service.case(AGENT, c).line for c in cases] == ["12329", "12315", "", ""]
        await wait_for(lambda: len(runner.dialer.tasks) == 4, 10)
        tasks = {t.case_id: t for t in runner.dialer.tasks.values()}
        assert [tasks[c].line for c in cases] == ["12329", "12315", "12345", "12345"]
        def requirements(case_id: str) -> dict[str, int]:
            return engine.agent_tasks.requirements(tasks[case_id].line, tasks[case_id].language)

        assert requirements(recorded) == {"zh": 3, "housing_fund": 3}
        assert requirements(live) == {"zh": 3, "consumer": 3}
        assert requirements(none) == {"zh": 3, "general": 2}

    run_campaigns(engine, prompts_dir, scenario)


def test_an_english_speakers_visit_waits_for_an_english_speaking_agent(tmp_path, prompts_dir):
    engine, offers = _engine(tmp_path)

    async def scenario(tel, runner) -> None:
        service, acd = engine.casework.service, engine.driver.acd
        engine.driver.submit(AgentLoggedIn("1002", ready=True))  # zh and general only
        await asyncio.to_thread(replied_case, service, "13700137001", language="en")
        await wait_for(lambda: runner.dialer.tasks, 10)
        [task] = runner.dialer.tasks.values()
        await asyncio.sleep(1.0)  # ten gate ticks: 1002 is idle all along, but speaks no English
        assert offers == [] and acd.live_calls() == 0 and task.state is State.SCHEDULED
        engine.driver.submit(AgentLoggedIn("1030", ready=True))  # en 5
        await wait_for(lambda: offers, 10)
        assert [(o.agent_id, o.call_id) for o in offers] == [("1030", "outbound:" + task.task_id)]

    run_campaigns(engine, prompts_dir, scenario)


def test_an_offer_whose_seat_cannot_ring_puts_the_task_back_in_line(tmp_path, prompts_dir):
    engine, offers = _engine(tmp_path)

    async def scenario(tel, runner) -> None:
        acd = engine.driver.acd
        engine.driver.submit(AgentLoggedIn("1002", ready=True))  # logged in, no phone registered
        await asyncio.to_thread(replied_case, engine.casework.service, "13700137002")
        await wait_for(lambda: offers, 10)
        [task] = runner.dialer.tasks.values()
        await wait_for(lambda: acd.seat("1002").presence is Presence.NOT_READY, 10)  # declined
        await wait_for(lambda: task.state is State.SCHEDULED, 10)
        assert task.attempts == 0 and acd.live_calls() == 0 and not tel.control.calls
        assert engine.agent_tasks.holding("1002") is None

    run_campaigns(engine, prompts_dir, scenario)


def _refused_number(tel, task) -> tuple[str, object]:
    task.number = "12345"  # as a number the numbering plan no longer accepts
    return "invalid number", None


def _call_id_in_use(tel, task) -> tuple[str, object]:
    call_id = "outbound:" + task.task_id  # a call still goes by it (a previous attempt's, say)
    lingering = tel.control.calls[call_id] = Call(call_id, "12345", "", tel.control.settings, language="zh",
                                                  recorded=False)
    return f"failed: call id {call_id!r} already in use", lingering


@pytest.mark.parametrize("spoil", [_refused_number, _call_id_in_use])
def test_a_task_that_cannot_be_placed_ends_and_the_others_are_offered(tmp_path, prompts_dir, spoil):
    engine, offers = _engine(tmp_path)

    async def scenario(tel, runner) -> None:
        acd, tasks = engine.driver.acd, engine.agent_tasks
        service = engine.casework.service
        first = await asyncio.to_thread(replied_case, service, "13700137008")
        await wait_for(lambda: len(runner.dialer.tasks) == 1, 10)
        second = await asyncio.to_thread(replied_case, service, "13700137009")
        await wait_for(lambda: len(runner.dialer.tasks) == 2, 10)
        by_case = {t.case_id: t for t in runner.dialer.tasks.values()}
        refused, other = by_case[first], by_case[second]
        reason, lingering = spoil(tel, refused)
        engine.driver.submit(AgentLoggedIn("1002", ready=True))  # both in one tick, the refused first
        engine.driver.submit(AgentLoggedIn("1003", ready=True))
        await wait_for(lambda: offers, 10)
        assert {o.call_id for o in offers} == {"outbound:" + other.task_id}  # (no seat rings here)
        (ended,) = [e for e in runner.ended if e.task_id == refused.task_id]
        assert refused.state is State.CANCELLED and (ended.reason, ended.reached) == (reason, False)
        refused_call = "outbound:" + refused.task_id
        assert tel.control.calls.get(refused_call) is lingering  # none placed, nothing overwritten
        assert refused_call not in tasks.blender.in_acd and refused_call not in tel.control.callbacks.routes
        assert acd.call_state(refused_call) is None
        assert all(h.task is not refused for h in tasks.held.values())

    run_campaigns(engine, prompts_dir, scenario)


def test_an_inbound_calls_offer_does_not_make_the_gate_sweep_the_acd(tmp_path, prompts_dir):
    engine, offers = _engine(tmp_path)

    async def scenario(tel, runner) -> None:
        tasks = engine.agent_tasks
        sweeps = []
        sweep = tasks._sweep
        tasks._sweep = lambda: (sweeps.append(1), sweep())  # type: ignore[method-assign]
        engine.driver.submit(AgentLoggedIn("1002", ready=True))
        engine.driver.submit(CallArrived("in-1", "zh-general", language="zh", line="12345"))
        await wait_for(lambda: offers, 10)
        assert [o.call_id for o in offers] == ["in-1"]
        await asyncio.sleep(0.3)  # the loop ran what the offer scheduled, and three gate ticks
        assert sweeps == []  # (a task's offer still sweeps: the seat that cannot ring, above)

    run_campaigns(engine, prompts_dir, scenario)


def test_the_agent_calls_citizen_is_dialled_through_a_trunk_that_challenges(tmp_path, prompts_dir):
    async def check(engine, runner, trunk, outcomes, seat) -> None:
        tasks = engine.agent_tasks
        await wait_for(lambda: (h := tasks.holding("1002")) is not None and h.step == "talking", 20)
        first, second = trunk.invites
        assert first.headers.get("proxy-authorization") is None
        assert 'username="hotline"' in second.headers.get("proxy-authorization")
        assert second.uri == first.uri == f"sip:13700137003@127.0.0.1:{trunk.port}"
        assert len(trunk.calls) == 1 and outcomes == []  # the citizen is on the line

    agent_call(tmp_path, prompts_dir, check)


def test_a_wrong_trunk_password_fails_the_attempt_once_without_a_loop(tmp_path, prompts_dir):
    async def check(engine, runner, trunk, outcomes, seat) -> None:
        await wait_for(lambda: outcomes, 20)
        [task] = runner.dialer.tasks.values()
        assert outcomes == [(task.task_id, CallOutcome.FAILED)]
        assert len(trunk.invites) == 2 and not trunk.calls  # answered once, refused again: over
        assert task.state is State.SCHEDULED and task.attempts == 1
        assert engine.agent_tasks.holding("1002") is None

    agent_call(tmp_path, prompts_dir, check, trunk_password="another-pass")
