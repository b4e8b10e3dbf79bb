"""Calls from the agent's desk in headless Chromium, over real SIP on loopback: during a call
the agent brings the department into a three-way call with a button (each of the three hears
the other two), leaves it with another (caller and department talk on); a number that is not
a department's is refused on the page and nothing is dialled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from callcenter.config.schema import Transfers
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from tests.api.conftest import LiveEngine
from tests.casework.api_client import PASSWORD
from tests.desk.pages import fits, loaded, shot, sign_in, text, until
from tests.desk.test_call_to_case import Phones
from tests.telephony.conftest import prompts_dir  # noqa: F401 - a fixture of this module
from tests.telephony.helpers import LOCAL
from tests.telephony.test_three_way import all_talk
from tests.telephony.test_transfer import HOUSING, talking

pytestmark = [pytest.mark.sip, pytest.mark.timeout(120)]


@pytest.fixture
def center(tmp_path: Path, prompts_dir: Path) -> Iterator[tuple[LiveEngine, Phones, UserAgent, list]]:  # noqa: F811
    live = LiveEngine(tmp_path)
    phones = department = None
    answered: list[Call] = []
    try:
        live.engine.casework.accounts.add_user("agent1", "agent", PASSWORD)
        live.url = live.api.url

        async def pbx() -> UserAgent:  # the department's PBX behind the transfer gateway
            return UserAgent(await open_endpoint(port=0), user=HOUSING, media=True, on_call=answered.append)

        department = live.run(pbx())
        live.engine.config = live.engine.config.model_copy(update={"transfers": Transfers(
            gateway=f"{LOCAL}:{department.port}", ring_timeout_seconds=30)})
        phones = Phones(live, prompts_dir)
        phones.seat.auto_answer = True
        yield live, phones, department, answered
    finally:
        if phones is not None:
            phones.close()
        if department is not None:
            live.run(department.endpoint.close())
        live.close()


def test_three_way_call_and_leaving_it_from_the_desk(center, browser):
    live, phones, department, answered = center
    sign_in(browser, live, "agent1", "/desk/seat")
    until(browser, lambda: loaded(browser, "seat"))
    Select(browser.find_element("id", "seat-pick")).select_by_value("1001")
    browser.find_element("id", "do-pick").click()
    until(browser, lambda: text(browser, "#state") == "未签入")
    browser.find_element("id", "do-login").click()
    until(browser, lambda: text(browser, "#state") == "示忙")
    browser.find_element("id", "do-ready").click()
    until(browser, lambda: text(browser, "#state") == "空闲")
    # Before any call: refused, and said why.
    browser.find_element("id", "do-three-way").click()
    until(browser, lambda: text(browser, "#message"))
    assert "not talking" in text(browser, "#message") and not answered

    call = phones.dial("12345")
    until(browser, lambda: text(browser, "#state") == "通话中", 30)
    seat_call = phones.rung[0]
    Select(browser.find_element("id", "call-number")).select_by_value(HOUSING)
    assert "053100100001" in text(browser, "#calls")
    browser.find_element("id", "do-three-way").click()
    until(browser, lambda: answered and answered[0].state == "confirmed", 10)
    control = phones.tel.control
    until(browser, lambda: live.call(lambda: control.callers[call.call_id].department.conference), 5)
    assert fits(browser)
    shot(browser, "desk-agent-three-way-call")
    heard = live.run(all_talk({"caller": call, "agent": seat_call, "department": answered[0]}), 15)
    for name, shares in heard.items():
        assert all((share < 0.05) if other == name else (share > 0.25)
                   for other, share in shares.items()), heard

    browser.find_element("id", "do-leave").click()  # the agent leaves; the others talk on
    until(browser, lambda: seat_call.ended.is_set(), 5)
    until(browser, lambda: text(browser, "#state") in ("话后处理", "空闲"), 5)
    assert live.run(talking(call, answered[0]), 15)
    live.run(phones.caller.hangup(call))
