"""Preview dialling in a real browser: the blending gate offers a return visit to the ready
agent; their seat page (headless Chromium) shows the task card (the case, the number masked
but for its last 4) and nothing rings. Skip puts it back in line (no attempt spent, the seat
never rang); Call rings the agent's seat (pjsua2) first, then the citizen's phone (pjsua2),
who declines: busy, one attempt spent, the retry due after the busy spacing, the seat in
wrap-up."""

from __future__ import annotations

import asyncio

import pytest

from acd.commands import OfferCall
from agents.seat import Activity
from callcenter.api.server import start_api
from callcenter.phone.softphone import PhoneEvent, Softphone
from outbound.task import State
from tests.desk.conftest import browser  # noqa: F401 - the headless Chromium fixture
from tests.desk.pages import shot, sign_in, text, until
from tests.outbound.helpers import case_steps, replied_case
from tests.phone.outbound_engine import LOCAL, outbound_engine, ready_seat, run_campaigns
from tests.telephony.helpers import wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(150)]

CITIZEN = "13100131000"  # no other phone of the session has it
SEAT, SEAT_PASSWORD = "1005", "seat-1005-preview-pass"  # a seat no other phone of the session has
PREVIEW = {"return_visits": {"mode": "preview"}, "agent_calls": {"warmup_seconds": 0, "tick_seconds": 0.2}}


def test_a_previewed_visit_is_skipped_then_called_and_the_busy_citizen_is_tried_again(
        tmp_path, prompts_dir, pj_worker, browser):  # noqa: F811
    citizen_events: list[PhoneEvent] = []
    citizen = Softphone(pj_worker, f"{LOCAL}:5060", CITIZEN, on_event=citizen_events.append)
    engine = outbound_engine(tmp_path, pj_worker.port, "00:00-23:59", PREVIEW)
    engine.casework.accounts.add_user("agent1", "agent", "pass-agent1-preview")
    offers: list[OfferCall] = []
    engine.driver.add_sink(lambda commands: offers.extend(c for c in commands if isinstance(c, OfferCall)))

    async def scenario(tel, runner) -> None:
        service, acd = engine.casework.service, engine.driver.acd
        api = await start_api(engine, host=LOCAL, port=0, token="t" * 32)
        seat_events: list[PhoneEvent] = []
        seat = await ready_seat(engine, tel, pj_worker, SEAT, SEAT_PASSWORD, seat_events)
        try:

            def open_seat_page() -> None:
                class Desk:
                    url = api.url
                sign_in(browser, Desk, "agent1", "/desk/seat", password="pass-agent1-preview")
                until(browser, lambda: browser.find_elements("id", "do-pick"))
                browser.find_element("id", "seat-pick").send_keys(SEAT)
                browser.find_element("id", "do-pick").click()
                until(browser, lambda: browser.find_elements("id", "task-none"))

            await asyncio.to_thread(open_seat_page)
            case_id = await asyncio.to_thread(replied_case, service, CITIZEN)

            def card_shown() -> str:
                until(browser, lambda: browser.find_element("id", "task-card").is_displayed(), 20)
                until(browser, lambda: browser.find_element("id", "do-task-call").is_displayed())
                return browser.page_source

            page = await asyncio.to_thread(card_shown)
            assert text(browser, "#task-number") == "*******1000" and CITIZEN not in page
            assert text(browser, "#task-case") == case_id
            assert text(browser, "#task-text") == "公积金提取一直没有到账"
            await asyncio.to_thread(shot, browser, "desk-agent-outbound-preview")
            [task] = runner.dialer.tasks.values()
            assert task.state is State.RESERVED and acd.seat(SEAT).activity is Activity.RINGING
            assert not [e for e in seat_events + citizen_events if e.kind == "ringing"]  # nobody yet

            await asyncio.to_thread(lambda: browser.find_element("id", "do-task-skip").click())
            await wait_for(lambda: len(offers) >= 2, 10)  # back in line, offered again
            assert task.attempts == 0 and not [e for e in seat_events if e.kind == "ringing"]

            await asyncio.to_thread(card_shown)
            await asyncio.to_thread(lambda: browser.find_element("id", "do-task-call").click())
            await wait_for(lambda: [e for e in citizen_events if e.kind == "ringing"], 20)
            assert [e.kind for e in seat_events if e.kind in ("ringing", "connected")][:2] == [
                "ringing", "connected"]  # the seat first
            citizen.hangup()  # declined (603): busy
            await wait_for(lambda: task.state is State.SCHEDULED and task.attempts == 1, 20)
            assert task.due_at - engine.driver.clock() > 9 * 60  # the busy spacing: 10 minutes
            await wait_for(lambda: acd.seat(SEAT).activity is Activity.WRAP_UP, 10)
            await asyncio.to_thread(until, browser,
                                    lambda: browser.find_element("id", "task-none").is_displayed())
            assert case_steps(service, case_id)[-1] == "Replied"  # not reached yet: nothing recorded
        finally:
            seat.close()  # pjsua2 has room for 8 accounts in all
            await asyncio.to_thread(browser.get, "about:blank")  # its live stream ends
            await api.close()

    try:
        run_campaigns(engine, prompts_dir, scenario, passwords={SEAT: SEAT_PASSWORD})
    finally:
        citizen.close()
