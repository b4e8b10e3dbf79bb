"""The return visit by an agent end to end over loopback (progressive dialling): a case replied
by a department; the blending gate offers the visit to the one ready agent whose skills fit;
their seat (a pjsua2 phone registered on the engine) rings first, then the engine dials the
citizen's softphone (pjsua2) through the outbound trunk showing the line's number; the desk
shows the task (number masked, the case); the agent records "not solved": the case is
re-handled and supervised; after the department's second reply the re-visit comes the same
way, the agent records "solved, satisfied": the case is closed, every step in its history.
Only the agent holding the task may post its result."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import WrapUpDone
from agents.seat import Activity
from callcenter.api.server import start_api
from callcenter.casework.accounts import User
from callcenter.phone.softphone import AutoMode, PhoneEvent, Softphone
from outbound.task import State
from tests.casework.api_client import PASSWORD
from tests.outbound.helpers import AGENT, DEPARTMENT, REHANDLED_THEN_CLOSED, case_steps, replied_case
from tests.phone.outbound_engine import LOCAL, desk_session, outbound_engine, ready_seat, run_campaigns
from tests.telephony.helpers import wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(150)]

CITIZEN = "13200132000"  # no other phone of the session has it (see test_outbound_survey)
SEAT, OTHER_SEAT, SEAT_PASSWORD = "1002", "1003", "seat-1002-agent-call-pass"
AGENT_MODE = {"return_visits": {"mode": "progressive"}, "revisits": {"mode": "progressive"},
              "agent_calls": {"warmup_seconds": 0, "tick_seconds": 0.2}}


def test_an_agent_call_rehandles_a_dissatisfied_case_and_the_revisit_closes_it(tmp_path, prompts_dir,
                                                                                pj_worker):
    citizen_events: list[PhoneEvent] = []
    citizen = Softphone(pj_worker, f"{LOCAL}:5060", CITIZEN, on_event=citizen_events.append,
                        auto=AutoMode(answer_after=0.3))
    engine = outbound_engine(tmp_path, pj_worker.port, "00:00-23:59", AGENT_MODE)
    for name in ("agent1", "agent2"):
        engine.casework.accounts.add_user(name, "agent", PASSWORD)

    async def scenario(tel, runner) -> None:
        service, acd = engine.casework.service, engine.driver.acd
        campaign = engine.agent_tasks
        api = await start_api(engine, host=LOCAL, port=0, token="t" * 32)
        seat_events: list[PhoneEvent] = []
        seat = await ready_seat(engine, tel, pj_worker, SEAT, SEAT_PASSWORD, seat_events)
        try:
            desk, csrf = await asyncio.to_thread(desk_session, api.url, "agent1", PASSWORD, SEAT)
            other, other_csrf = await asyncio.to_thread(desk_session, api.url, "agent2", PASSWORD, OTHER_SEAT)

            case_id = await asyncio.to_thread(replied_case, service, CITIZEN)

            async def talking() -> dict:
                """The seat rang first and answered, then the citizen: the desk's card."""
                await wait_for(lambda: (h := campaign.holding(SEAT)) is not None and h.step == "talking", 40)
                reply = await asyncio.to_thread(desk.get, "/desk/seat/task")
                return reply.json()["task"]

            task = await talking()
            assert task["number"] == "*******2000" and CITIZEN not in str(task)
            assert task["case_id"] == case_id and task["history"] == f"/desk/cases/{case_id}"
            assert task["text"] == "公积金提取一直没有到账" and task["mode"] == "progressive"
            seat_rang = [e for e in seat_events if e.kind == "ringing"]
            citizen_rang = [e for e in citizen_events if e.kind == "ringing"]
            assert len(seat_rang) == 1 and len(citizen_rang) == 1
            assert "sip:12345@" in citizen_rang[0].detail  # the line's number as the caller ID
            assert acd.agent_call(SEAT) == "outbound:" + task["task_id"]

            seat.hangup()  # the agent ends the call: wrap-up, then the result
            await wait_for(lambda: acd.seat(SEAT).activity is Activity.WRAP_UP, 10)
            form = {"task": task["task_id"], "solved": "no", "satisfied": "no", "remark": "仍未到账"}
            refused = await asyncio.to_thread(other.post, "/desk/seat/task/result",
                                              data={**form, "csrf": other_csrf})
            assert refused.status_code == 409 and "not yours" in refused.text
            assert service.case(AGENT, case_id).status.value == "replied"  # nothing changed
            done = await asyncio.to_thread(desk.post, "/desk/seat/task/result", data={**form, "csrf": csrf})
            assert done.status_code == 303, done.text
            await wait_for(lambda: service.case(AGENT, case_id).status.value == "handling", 20)
            engine.driver.submit(WrapUpDone(SEAT))

            await asyncio.to_thread(service.act, DEPARTMENT, case_id, "Replied",
                                    {"department": "housing-authority", "text": "已重新办理并到账"})
            task = await talking()
            assert task["kind"] == "revisit" and task["rehandles"] == 1
            # Once the agent's session expired, the seat's cookie shows the card no more.
            accounts, clock = engine.casework.accounts, engine.casework.accounts.clock
            accounts.clock = lambda: clock() + 10 * 86400
            try:
                stale = await asyncio.to_thread(desk.get, "/desk/seat/task")
            finally:
                accounts.clock = clock
            assert stale.status_code == 401 and "公积金" not in stale.text and "task" not in stale.text
            citizen.hangup()  # this time the citizen ends it
            await wait_for(lambda: campaign.holding(SEAT).step == "result", 10)
            done = await asyncio.to_thread(desk.post, "/desk/seat/task/result", data={
                "task": task["task_id"], "solved": "yes", "satisfied": "yes", "score": "5", "csrf": csrf})
            assert done.status_code == 303, done.text
            await wait_for(lambda: service.case(AGENT, case_id).status.value == "closed", 20)

            assert case_steps(service, case_id) == REHANDLED_THEN_CLOSED
            history = service.history(User("boss", "supervisor"), case_id)
            notes = [e["note"] for e in history if e["type"] == "VisitResult"]
            assert notes[0].startswith("agent call return_visit-") and notes[0].endswith(": 仍未到账")
            assert notes[1].startswith("agent call revisit-") and notes[1].endswith(", score 5")
            tasks = list(runner.dialer.tasks.values())
            assert [t.kind.value for t in tasks] == ["return_visit", "revisit"]
            assert all(t.state is State.DONE and t.attempts == 1 for t in tasks)
            assert len([e for e in seat_events if e.kind == "ringing"]) == 2
            assert len([e for e in citizen_events if e.kind == "ringing"]) == 2
            desk.close()
            other.close()
        finally:
            seat.close()  # pjsua2 has room for 8 accounts in all
            await api.close()

    try:
        run_campaigns(engine, prompts_dir, scenario, passwords={SEAT: SEAT_PASSWORD})
    finally:
        citizen.close()
