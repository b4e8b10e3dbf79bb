"""The desk end to end, over one in-process engine with its SIP stack and API on loopback and
real headless Chromium sessions: an agent signs in and picks the seat a real SIP phone has
registered; a real caller dials 12345, walks the IVR to the queue; the screen pop shows on the
page while the phone is still ringing; the phone answers, caller and seat hear each other; the
agent takes the case in during the call and transfers it (转办) to the water department; the
department user signs for it and replies in its own browser; the supervisor sees the red card
show on the open board once the case is overdue (time moved by the case store's timer, not
waited for) and the case's row red in the list; a user of
another department opening the case gets the page a missing case gets, and nothing of it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from callcenter.media.dtmf import detect_tone
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from tests.api.conftest import LiveEngine
from tests.casework.api_client import PASSWORD
from tests.desk.pages import fits, loaded, shot, sign_in, text, until
from tests.telephony.conftest import prompts_dir  # noqa: F401 - a fixture of this module
from tests.telephony.helpers import LOCAL, exchange_tones

pytestmark = [pytest.mark.sip, pytest.mark.timeout(180)]
SEAT_PASSWORD = "seat-1001-desk-e2e-password"
USERS = (("agent1", "agent", None), ("boss", "supervisor", None), ("water1", "department", "water"),
         ("bus1", "department", "transport"))


class Phones:
    """The embedded SIP stack on the engine's loop, a seat phone registered as agent 1001
    (answering only when told) and a caller."""

    def __init__(self, live: LiveEngine, prompts: Path) -> None:
        self.live = live
        self.rung: list[Call] = []

        async def start() -> None:
            self.tel = await start_embedded(live.engine, host=LOCAL, port=0, prompts_dir=prompts,
                                            passwords={"1001": SEAT_PASSWORD}, rtp_timeout=None)
            self.seat = UserAgent(await open_endpoint(port=0), user="1001", media=True,
                                  on_call=self.rung.append, auto_answer=False)
            reply = await self.seat.register(f"sip:{LOCAL}:{self.tel.port}", (LOCAL, self.tel.port),
                                             username="1001", password=SEAT_PASSWORD)
            assert reply is not None and reply.status == 200
            self.caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)

        live.run(start())

    def dial(self, number: str) -> Call:
        engine = (LOCAL, self.tel.port)
        return self.live.run(self.caller.call(f"sip:{number}@{LOCAL}:{self.tel.port}", engine))

    def close(self) -> None:
        async def stop() -> None:
            for ua in (self.caller, self.seat):
                await ua.endpoint.close()
            await self.tel.close()

        self.live.run(stop())


@pytest.fixture
def center(tmp_path: Path, prompts_dir: Path) -> Iterator[tuple[LiveEngine, Phones]]:  # noqa: F811
    live = LiveEngine(tmp_path)
    phones = None
    try:
        live.users = {name: live.engine.casework.accounts.add_user(name, role, PASSWORD, department)
                      for name, role, department in USERS}
        live.url = live.api.url
        phones = Phones(live, prompts_dir)
        yield live, phones
    finally:
        if phones is not None:
            phones.close()
        live.close()


@pytest.fixture
def other_browsers(tmp_path: Path):
    """Two more Chromiums, each with its own profile: other people's browsers."""
    from tests.api.test_wallboard import _chromium_driver

    drivers = []
    try:
        for name in ("department", "supervisor"):
            (tmp_path / name).mkdir()
            drivers.append(_chromium_driver(tmp_path / name))
            drivers[-1].set_window_size(1366, 768)
        yield drivers
    finally:
        for driver in drivers:
            driver.quit()


def rows(driver) -> dict[str, str]:
    """The inbox's cases and their card classes."""
    return driver.execute_script("return Object.fromEntries([...document.querySelectorAll('tr.case')]"
                                 ".map(r => [r.dataset.case, r.className.replace('case', '').trim()]))")


def test_a_call_becomes_a_case_the_department_handles(center, browser, other_browsers):
    live, phones = center
    second_browser, boss_browser = other_browsers
    engine = live.engine
    # The agent signs in and picks the seat the phone registered as; logs in, ready.
    sign_in(browser, live, "agent1", "/desk/seat")
    until(browser, lambda: loaded(browser, "seat"))
    Select(browser.find_element("id", "seat-pick")).select_by_value("1001")
    browser.find_element("id", "do-pick").click()
    until(browser, lambda: text(browser, "#state") == "未签入")
    browser.find_element("id", "do-login").click()
    until(browser, lambda: text(browser, "#state") == "示忙")
    browser.find_element("id", "do-ready").click()
    until(browser, lambda: text(browser, "#state") == "空闲")

    # A caller dials 12345: the greeting, the menu's wait, then the zh-general queue and the seat.
    call = phones.dial("12345")
    assert call.status == 200
    until(browser, lambda: text(browser, "#pop-call-id") == call.call_id, 30)
    # The pop is on the page while the phone rings: nothing has answered it yet.
    assert len(phones.rung) == 1 and phones.rung[0].status is None and not phones.rung[0].answered.is_set()
    assert live.call(lambda: engine.acd.agent_call("1001")) == call.call_id
    assert (text(browser, "#pop-line"), text(browser, "#pop-queue"), text(browser, "#pop-language")) == \
        ("12345", "zh-general", "zh")
    until(browser, lambda: text(browser, "#state") == "振铃")
    shot(browser, "desk-e2e-pop-ringing")

    seat_call = phones.rung[0]
    live.call(phones.seat.answer, seat_call)
    until(browser, lambda: text(browser, "#state") == "通话中", 5)
    at_seat, at_caller = live.run(exchange_tones(call, seat_call), 15)
    assert detect_tone(at_seat, 8000, 1000.0) and detect_tone(at_caller, 8000, 600.0)

    # During the call: the intake form, transferred (转办) to the water department.
    assert text(browser, "#pop-caller") == "13800138000"  # from the caller's INVITE
    browser.find_element("id", "pop-intake").click()
    until(browser, lambda: loaded(browser, "intake"))
    assert browser.find_element("id", "caller").get_attribute("value") == "13800138000"
    browser.find_element("id", "category").send_keys("0201 求助/供水供电")
    browser.find_element("id", "district").send_keys("历下区")
    browser.find_element("id", "address").send_keys("文化东路1号")
    browser.find_element("id", "text").send_keys("小区停水两天了")
    Select(browser.find_element("id", "lead")).select_by_value("water")
    until(browser, lambda: text(browser, "#deadline-sign") != "–")
    shown_due = text(browser, "#deadline-reply")
    shot(browser, "desk-e2e-intake-on-call")
    browser.find_element("id", "do-dispatch").click()
    until(browser, lambda: loaded(browser, "case") or text(browser, "#message"), 30)  # slow when loaded
    assert loaded(browser, "case"), text(browser, "#message")
    case_id = text(browser, "#case-id")
    assert live.call(lambda: engine.casework.store.get(case_id).call_id) == call.call_id  # the call's case
    assert shown_due.startswith(text(browser, "#reply-due"))
    assert live.call(lambda: engine.acd.agent_call("1001")) == call.call_id  # still talking
    assert not call.ended.is_set() and not seat_call.ended.is_set()

    # The water department, in its own browser: the case in the inbox, signed for.
    sign_in(second_browser, live, "water1", "/desk/inbox")
    until(second_browser, lambda: loaded(second_browser, "inbox"))
    assert rows(second_browser) == {case_id: ""}
    second_browser.find_element("link text", case_id).click()
    until(second_browser, lambda: loaded(second_browser, "case"))
    second_browser.find_element("id", "do-sign").click()
    until(second_browser, lambda: text(second_browser, "#status") == "办理中")

    # The supervisor's board, open before the deadline: no red card.
    sign_in(boss_browser, live, "boss", "/desk/board")
    until(boss_browser, lambda: loaded(boss_browser, "board"))
    red = "tr[data-department=water] a[data-card=red]"
    until(boss_browser, lambda: text(boss_browser, "#cards"))
    assert not boss_browser.find_elements("css selector", red)
    # The reply deadline passes unreplied (the store's timer, run as of a later time): the
    # red card shows on the open board, pushed, and the case's row in the list is red.
    service = engine.casework.service
    reply_due = live.call(lambda: service.case(live.users["boss"], case_id).deadlines["reply"])
    assert live.call(service.fire_due, reply_due + 60) == 1
    until(boss_browser, lambda: text(boss_browser, red) == "1", 5)
    assert fits(boss_browser)
    shot(boss_browser, "desk-e2e-supervisor-board-red")
    boss_browser.get(live.url + "/desk/inbox")
    until(boss_browser, lambda: loaded(boss_browser, "inbox") and rows(boss_browser)[case_id] == "red")
    assert text(boss_browser, f"tr[data-case='{case_id}'] .card-cell") == "红牌"
    shot(boss_browser, "desk-e2e-supervisor-red-card")

    # The department replies, late; the history has it all.
    second_browser.find_element("id", "reply-text").send_keys("已修复供水管道，今日恢复供水")
    second_browser.find_element("id", "do-reply").click()
    until(second_browser, lambda: text(second_browser, "#status") == "已回复")
    events = second_browser.execute_script(
        "return [...document.querySelectorAll('#history tr.event')].map(r => r.dataset.type)")
    assert [e for e in events if e in ("CaseOpened", "Dispatched", "SignedFor", "CardRaised", "Replied")] \
        == ["CaseOpened", "Dispatched", "SignedFor", "CardRaised", "Replied"]
    assert fits(second_browser)
    shot(second_browser, "desk-e2e-department-replied")

    # Another department's user: nothing of the case, on its page or in its inbox.
    second_browser.find_element("id", "sign-out").click()
    until(second_browser, lambda: loaded(second_browser, "login"))
    sign_in(second_browser, live, "bus1", f"/desk/cases/{case_id}")
    until(second_browser, lambda: text(second_browser, "#not-found"))
    source = second_browser.page_source
    assert "停水" not in source and "文化东路" not in source and case_id not in text(second_browser, "main")
    second_browser.get(live.url + "/desk/inbox")
    until(second_browser, lambda: loaded(second_browser, "inbox"))
    assert rows(second_browser) == {}

    # The caller hangs up: the seat's call ends, the agent goes to wrap-up.
    reply = live.run(phones.caller.hangup(call))
    assert reply is not None and reply.status == 200
    live.run(asyncio.wait_for(seat_call.ended.wait(), 5))
    record = live.get("/api/agents/1001").json()
    assert record["state"] in ("wrap_up", "idle")
