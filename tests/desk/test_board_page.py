"""The supervisors' board in a real headless Chromium: cases by status, cards by department,
supervision orders, extension requests decided from the board, cluster alerts, each figure
linking to its cases; a case turning red shows without a reload (pushed over the page's one
stream). Only supervisors open it; every post needs the session's CSRF token."""

from __future__ import annotations

import re

import httpx

from tests.desk.pages import fits, loaded, shot, sign_in, text, until
from tests.desk.test_department_pages import dispatched
from tests.desk.test_seat_page import seat


def board_text(browser, css: str) -> str:
    return text(browser, css) or ""


def test_the_board_shows_the_figures_live_and_decides_extensions(desk, browser):
    late = dispatched(desk, "water", text="<script>window.hacked = 1</script>小区停水")
    other = dispatched(desk, "transport", text="公交站牌损坏")
    asking = dispatched(desk, "water", text="路灯不亮")
    desk.ok("water1", f"/api/cases/{asking}/sign")
    desk.ok("water1", f"/api/cases/{asking}/extension", {"days": 3, "reason": "需要协调施工"})
    desk.ok("boss", f"/api/cases/{other}/supervise", {"note": "群众反映强烈"})
    for _ in range(20):  # a cluster: twenty requests at one address within a day
        desk.ok("agent1", "/api/cases", {"category": "0201", "text": "停水", "district": "历下区",
                                         "address": "文化东路1号"})
    assert desk.casework.alerts
    desk.casework.service.fire_due()  # the sign-for limit is the yellow card's 24 h: yellow at once
    sign_in(browser, desk, "boss", "/desk/board")
    until(browser, lambda: loaded(browser, "board"))
    until(browser, lambda: browser.find_elements("css selector", "#by-status a[data-status=dispatched]"))
    counts = {s: board_text(browser, f"#by-status a[data-status={s}]")
              for s in ("open", "dispatched", "handling")}
    assert counts == {"open": "20", "dispatched": "2", "handling": "1"}
    assert board_text(browser, "tr[data-department=water] a[data-card=yellow]") == "1"
    assert not browser.find_elements("css selector", "a[data-card=red]")
    assert other in board_text(browser, "#supervision") and "人工督办" in board_text(browser, "#supervision")
    assert asking in board_text(browser, "#extensions") and "3 个工作日" in board_text(browser, "#extensions")
    assert "文化东路1号" in board_text(browser, "#alerts")
    alert_list = browser.find_element("css selector", "#alerts li[data-kind=place] a").get_attribute("href")
    assert browser.find_element("id", "wallboard").get_attribute("href").endswith("/wallboard")
    # The deadline passes: the red card shows on the open page, pushed, no reload.
    browser.execute_script("document.body.dataset.marker = 'same page'")
    desk.clock.now += 25 * 3600
    desk.casework.service.fire_due()
    until(browser, lambda: board_text(browser, "tr[data-department=water] a[data-card=red]") == "1", 5)
    assert browser.execute_script("return document.body.dataset.marker") == "same page"
    assert fits(browser)
    shot(browser, "desk-supervisor-board")
    browser.find_element("id", "lang").click()  # the same board in English, still live
    until(browser, lambda: (text(browser, "#by-status h2") or "") == "Cases by status")
    until(browser, lambda: "Place" in board_text(browser, "#alerts"))
    assert fits(browser)
    shot(browser, "desk-supervisor-board-en")
    # Approve the extension from the board, by keyboard (a plain form with the CSRF token).
    click(browser, f"#approve-{asking}", keyboard=True)
    until(browser, lambda: text(browser, "#done"))
    decided = [e for e in desk.get("boss", f"/api/cases/{asking}/history").json()
               if e["type"] == "ExtensionDecided"]
    assert len(decided) == 1 and decided[0]["approved"] is True and decided[0]["actor"]["user"] == "boss"
    assert not browser.find_elements("id", f"approve-{asking}")
    # Each figure links to its cases: the red card of the water department.
    click(browser, "tr[data-department=water] a[data-card=red]")
    until(browser, lambda: loaded(browser, "cases"))
    rows = browser.execute_script("return [...document.querySelectorAll('tr.case')].map(r => r.dataset.case)")
    assert rows == [late]
    assert "<script>window.hacked = 1</script>小区停水" in text(browser, f"tr[data-case='{late}'] .text")
    assert browser.execute_script("return window.hacked") is None
    browser.back()
    until(browser, lambda: loaded(browser, "board"))
    click(browser, "#by-status a[data-status=handling]")
    until(browser, lambda: loaded(browser, "cases"))
    rows = browser.execute_script("return [...document.querySelectorAll('tr.case')].map(r => r.dataset.case)")
    assert rows == [asking]
    browser.get(alert_list)  # the cluster alert's twenty cases
    until(browser, lambda: loaded(browser, "cases"))
    assert len(browser.find_elements("css selector", "tr.case")) == 20
    assert "文化东路1号" in text(browser, "#filters")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_only_supervisors_open_the_board_and_every_post_needs_the_token(desk):
    case_id = dispatched(desk, "water")
    desk.ok("water1", f"/api/cases/{case_id}/sign")
    desk.ok("water1", f"/api/cases/{case_id}/extension", {"days": 2, "reason": "r"})
    before = desk.casework.store.count_events()
    for user in ("agent1", "water1"):
        with httpx.Client(base_url=desk.url, cookies={"hotline_session": desk.tokens[user]}) as client:
            page = client.get("/desk/board")
            assert page.status_code == 403 and case_id not in page.text, user
            assert client.get("/desk/board/events").status_code == 403
            csrf = _csrf(client.get("/desk/inbox").text)
            refused = client.post(f"/desk/board/extension/{case_id}",
                                  data={"csrf": csrf, "decision": "approve"})
            assert refused.status_code == 403, user
    with httpx.Client(base_url=desk.url, cookies={"hotline_session": desk.tokens["boss"]}) as client:
        assert client.get("/desk/board").status_code == 200
        no_token = client.post(f"/desk/board/extension/{case_id}", data={"decision": "approve"})
        assert no_token.status_code == 403
        elsewhere = client.post(f"/desk/board/extension/{case_id}", headers={"Origin": "http://evil.example"},
                                data={"csrf": _csrf(client.get("/desk/board").text), "decision": "approve"})
        assert elsewhere.status_code == 403
        assert desk.casework.store.count_events() == before
        bad = client.get("/desk/cases", params={"status": "<b>x</b>"})
        assert bad.status_code == 422 and "status: unknown status" in bad.text and "<b>x</b>" not in bad.text
    with httpx.Client(base_url=desk.url) as client:
        assert client.get("/desk/board", follow_redirects=False).headers["location"].startswith("/desk/login")
        assert client.get("/desk/board/events").status_code == 401


def click(browser, css: str, keyboard: bool = False) -> None:
    """Click (or, with ``keyboard``, press Enter on) an element of the board's live part, which
    the stream may replace at any moment."""
    from selenium.common.exceptions import ElementNotInteractableException, StaleElementReferenceException
    from selenium.webdriver.common.keys import Keys

    def clicked() -> bool:
        try:
            element = browser.find_element("css selector", css)
            element.send_keys(Keys.ENTER) if keyboard else element.click()
        except (StaleElementReferenceException, ElementNotInteractableException):
            return False  # replaced, or not yet laid out, by the stream's latest update
        return True

    until(browser, clicked)


def state_of(browser, agent_id: str) -> str | None:
    return browser.execute_script(
        "const r = document.querySelector(`tr[data-agent='${arguments[0]}']`);"
        "return r ? r.dataset.state : null", agent_id)


def test_the_board_follows_the_agents_and_changes_their_state(engine, browser):
    engine.post("/api/agents/1001/login", body={"ready": True})
    engine.post("/api/agents/1002/login")
    sign_in(browser, engine, "boss", "/desk/board")
    until(browser, lambda: loaded(browser, "board"))
    until(browser, lambda: (state_of(browser, "1001"), state_of(browser, "1002")) == ("idle", "not_ready"))
    assert state_of(browser, "1003") is None  # logged out: counted, not listed
    browser.execute_script("document.body.dataset.marker = 'same page'")
    engine.post("/api/agents/1001/not-ready", body={"reason": "lunch"})  # changed elsewhere: pushed
    until(browser, lambda: text(browser, "tr[data-agent='1001'] td.state") == "示忙 · 用餐", 3)
    assert browser.execute_script("return document.body.dataset.marker") == "same page"
    click(browser, "#agent-1002-ready")  # through the ACD, as the API does
    until(browser, lambda: state_of(browser, "1002") == "idle")
    assert seat(engine, "1002")["state"] == "idle"
    click(browser, "#agent-1002-not-ready")
    until(browser, lambda: text(browser, "tr[data-agent='1002'] td.state") == "示忙 · 班长置忙")
    assert seat(engine, "1002")["reason"] == "supervisor"
    assert fits(browser)
    shot(browser, "desk-supervisor-board-agents")
    click(browser, "#agent-1001-logout")
    until(browser, lambda: loaded(browser, "board") and state_of(browser, "1001") is None)
    assert seat(engine, "1001")["state"] == "logged_out"
