"""The seat's outbound task card when the agent's result lapses, in a real headless Chromium over
a real agent call (the embedded SIP stack, a trunk that answers, the seat's phone): the card
asks for the result; once ``result_seconds`` pass without it (the driver's clock moved on, not
waited for), the card tells the agent, and them only, that it was recorded as timed out, until
they dismiss it."""

from __future__ import annotations

import asyncio
import time

import pytest
from selenium.webdriver.support.ui import Select

from callcenter.api.server import start_api
from tests.casework.api_client import PASSWORD
from tests.desk.pages import loaded, shot, sign_in, text, until
from tests.phone.outbound_engine import LOCAL, desk_session
from tests.telephony.conftest import prompts_dir  # noqa: F401 - a fixture of this module
from tests.telephony.test_agent_task_result import SEAT, result_due
from tests.telephony.trunk import agent_call

pytestmark = [pytest.mark.sip, pytest.mark.timeout(120)]


class Site:
    url = ""


def take_seat(browser, site: Site, user: str, agent_id: str) -> None:
    sign_in(browser, site, user, "/desk/seat")
    until(browser, lambda: loaded(browser, "seat"))
    Select(browser.find_element("id", "seat-pick")).select_by_value(agent_id)
    browser.find_element("id", "do-pick").click()
    until(browser, lambda: text(browser, "#state"))


def hidden(browser, element_id: str) -> bool:
    return browser.find_element("id", element_id).get_attribute("hidden") is not None


def asks_for_the_result(browser) -> None:
    until(browser, lambda: text(browser, "#task-step") == "待登记结果", 20)
    assert not hidden(browser, "task-result") and hidden(browser, "task-lapsed")


def told_it_lapsed(browser) -> str:
    until(browser, lambda: text(browser, "#task-lapsed-text"), 30)  # read again every 5 s
    assert hidden(browser, "task-card") and hidden(browser, "task-none")
    shot(browser, "desk-agent-task-lapsed")
    return text(browser, "#task-lapsed-text")


def dismiss(browser) -> None:
    browser.find_element("id", "do-task-dismiss").click()
    until(browser, lambda: loaded(browser, "seat") and hidden(browser, "task-lapsed")
          and text(browser, "#task-none"))


def test_a_lapsed_result_is_told_on_the_agents_card_until_dismissed(tmp_path, prompts_dir,  # noqa: F811
                                                                     browser):
    shift = [0.0]

    async def check(engine, runner, trunk, outcomes, seat) -> None:
        for user in ("agent1", "agent2"):
            engine.casework.accounts.add_user(user, "agent", PASSWORD)
        api = await start_api(engine, host=LOCAL, port=0, token="t" * 32)
        site = Site()
        site.url = api.url
        try:
            task_id = await result_due(engine, seat)
            await asyncio.to_thread(take_seat, browser, site, "agent1", SEAT)
            await asyncio.to_thread(asks_for_the_result, browser)
            shift[0] += engine.agent_tasks.result_seconds  # the gate's next tick lapses it
            told = await asyncio.to_thread(told_it_lapsed, browser)
            assert task_id in told and "超时" in told
            assert engine.agent_tasks.notice(SEAT)[:2] == (task_id, "timed_out")
            other, _ = await asyncio.to_thread(desk_session, api.url, "agent2", PASSWORD, "1003")
            reply = await asyncio.to_thread(other.get, "/desk/seat/task")
            assert reply.json() == {"task": None, "lapsed": None}  # another seat learns nothing
            other.close()
            await asyncio.to_thread(dismiss, browser)
            assert engine.agent_tasks.notice(SEAT) is None
        finally:
            await api.close()

    agent_call(tmp_path, prompts_dir, check, clock=lambda: time.time() + shift[0])
