"""The department workspace in a real headless Chromium: sign in, the inbox with deadlines
and cards, a case's page with its history, and sign for, reply, return and extension through
the same case service as the API; another department's case is a 404 page and nothing else."""

from __future__ import annotations

import re

import httpx

from tests.casework.test_cases_api import intake
from tests.desk.pages import fits, loaded, shot, sign_in, text, until


def dispatched(desk, lead: str, **extra) -> str:
    case_id = intake(desk, **extra)["case_id"]
    desk.ok("agent1", f"/api/cases/{case_id}/dispatch", {"lead": lead})
    return case_id


def test_sign_in_out_and_the_cookie_scripts_cannot_read(desk, browser):
    browser.get(desk.url + "/desk/inbox")
    until(browser, lambda: loaded(browser, "login"))
    shot(browser, "desk-sign-in")
    sign_in(browser, desk, "water1", "/desk/inbox", password="not the password")
    until(browser, lambda: text(browser, "#message"))
    assert "用户名或密码错误" in text(browser, "#message")
    sign_in(browser, desk, "water1", "/desk/inbox")
    until(browser, lambda: loaded(browser, "inbox"))
    cookie = next(c for c in browser.get_cookies() if c["name"] == "hotline_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "hotline_session" not in browser.execute_script("return document.cookie")
    assert desk.casework.accounts.user_for_token(cookie["value"]).username == "water1"
    browser.find_element("id", "sign-out").click()
    until(browser, lambda: loaded(browser, "login"))
    assert desk.casework.accounts.user_for_token(cookie["value"]) is None  # ended on the server
    browser.get(desk.url + "/desk/inbox")
    until(browser, lambda: loaded(browser, "login"))


def test_the_department_signs_replies_and_sees_the_history(desk, browser):
    mine = dispatched(desk, "water", text="小区停水两天了")
    theirs = dispatched(desk, "transport", text="公交站牌损坏")
    sign_in(browser, desk, "water1", "/desk/inbox")
    until(browser, lambda: loaded(browser, "inbox"))
    rows = browser.execute_script("return [...document.querySelectorAll('tr.case')].map(r => r.dataset.case)")
    assert rows == [mine]
    assert "公交站牌" not in browser.page_source
    assert "2026-11-17 09:00" in text(browser, f"tr[data-case='{mine}']")  # sign for within 24 working hours
    assert fits(browser)
    shot(browser, "desk-department-inbox")
    browser.find_element("link text", mine).click()
    until(browser, lambda: loaded(browser, "case"))
    assert text(browser, "#request") == "小区停水两天了"
    browser.find_element("id", "do-sign").click()
    until(browser, lambda: text(browser, "#done"))
    assert text(browser, "#status") == "办理中"
    browser.find_element("id", "reply-text").send_keys("已修复供水管道，今日恢复供水")
    browser.find_element("id", "do-reply").click()
    until(browser, lambda: text(browser, "#status") == "已回复")
    events = browser.execute_script(
        "return [...document.querySelectorAll('#history tr.event')].map(r => r.dataset.type)")
    steps = [e for e in events if e in ("CaseOpened", "Dispatched", "SignedFor", "Replied")]
    assert steps == ["CaseOpened", "Dispatched", "SignedFor", "Replied"]
    assert "已修复供水管道" in text(browser, "#history")
    assert fits(browser)
    shot(browser, "desk-department-case")
    # The API sees what the page did: one service, one store.
    assert desk.get("boss", f"/api/cases/{mine}").json()["status"] == "replied"
    # Another department's case: the same 404 page as a case that does not exist.
    browser.get(f"{desk.url}/desk/cases/{theirs}")
    until(browser, lambda: text(browser, "#not-found"))
    assert "公交站牌" not in browser.page_source and theirs not in text(browser, "main")
    browser.get(f"{desk.url}/desk/cases/20991231-000001")
    until(browser, lambda: text(browser, "#not-found"))


def test_return_and_extension_are_recorded_with_their_reasons(desk, browser):
    first = dispatched(desk, "water")
    second = dispatched(desk, "water")
    sign_in(browser, desk, "water1", f"/desk/cases/{first}")
    until(browser, lambda: loaded(browser, "case"))
    browser.find_element("id", "return-reason").send_keys("不属于本单位职责")
    browser.find_element("id", "do-return").click()
    until(browser, lambda: text(browser, "#done"))
    assert first in text(browser, "#done") and loaded(browser, "inbox")  # it left the inbox
    assert not browser.find_elements("css selector", f"tr[data-case='{first}']")
    returned = [e for e in desk.get("boss", f"/api/cases/{first}/history").json() if e["type"] == "Returned"]
    assert len(returned) == 1 and returned[0]["reason"] == "不属于本单位职责"
    returned = returned[0]
    assert returned["actor"]["user"] == "water1"
    browser.get(f"{desk.url}/desk/cases/{second}")
    until(browser, lambda: loaded(browser, "case"))
    browser.find_element("id", "do-sign").click()
    until(browser, lambda: browser.find_elements("id", "extension-days"))
    browser.find_element("id", "extension-days").send_keys("99")  # the browser lets it through
    browser.execute_script("document.getElementById('extension-days').removeAttribute('max')")
    browser.find_element("id", "extension-reason").send_keys("需要协调施工")
    browser.find_element("id", "do-extension").click()
    until(browser, lambda: text(browser, "#message"))
    assert "days" in text(browser, "#message")  # the API's own validation, naming the field
    assert desk.get("boss", f"/api/cases/{second}").json()["case"]["extension_pending"] is None
    days = browser.find_element("id", "extension-days")
    days.clear()
    days.send_keys("3")
    browser.find_element("id", "extension-reason").send_keys("需要协调施工")
    browser.find_element("id", "do-extension").click()
    until(browser, lambda: text(browser, "#done"))
    assert desk.get("boss", f"/api/cases/{second}").json()["case"]["extension_pending"] == 3


def row_class(browser, case_id: str) -> str:
    return browser.find_element("css selector", f"tr[data-case='{case_id}']").get_attribute("class")


def test_cards_show_in_the_inbox(desk, browser):
    late = dispatched(desk, "water")  # yellow at once: the sign-for limit is the yellow card's 24 h
    near = dispatched(desk, "water")
    desk.ok("water1", f"/api/cases/{near}/sign")  # its reply is 3 working days away: no card
    desk.clock.now += 20 * 3600  # Tuesday 05:00: 4 hours before the sign-for deadline
    desk.casework.service.fire_due()
    sign_in(browser, desk, "water1", "/desk/inbox")
    until(browser, lambda: loaded(browser, "inbox"))
    assert row_class(browser, late) == "case yellow"
    assert "黄牌" in text(browser, f"tr[data-case='{late}']")
    desk.clock.now += 5 * 3600  # past the deadline
    desk.casework.service.fire_due()
    browser.refresh()
    until(browser, lambda: loaded(browser, "inbox"))
    assert row_class(browser, late) == "case red" and row_class(browser, near) == "case "
    browser.find_element("id", "lang").click()  # the same page in English
    until(browser, lambda: "Red" in (text(browser, f"tr[data-case='{late}']") or ""))
    assert "Inbox" in text(browser, "h1")
    shot(browser, "desk-department-inbox-cards-en")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_posts_need_the_csrf_token_and_another_departments_case_takes_nothing(desk):
    mine = dispatched(desk, "water")
    theirs = dispatched(desk, "transport", text="公交站牌损坏")
    cookies = {"hotline_session": desk.tokens["water1"]}
    with httpx.Client(base_url=desk.url, cookies=cookies) as client:
        csrf = _csrf(client.get(f"/desk/cases/{mine}").text)
        before = desk.casework.store.count_events()
        no_token = client.post(f"/desk/cases/{mine}/sign", data={})
        assert no_token.status_code == 403
        other_site = client.post(f"/desk/cases/{mine}/sign", data={"csrf": csrf},
                                 headers={"Origin": "http://evil.example"})
        assert other_site.status_code == 403
        assert desk.casework.store.count_events() == before
        for action, form in (("sign", {}), ("reply", {"text": "t"}), ("return", {"reason": "r"}),
                             ("extension", {"days": "1", "reason": "r"})):
            reply = client.post(f"/desk/cases/{theirs}/{action}", data={"csrf": csrf, **form})
            assert reply.status_code == 404, (action, reply.status_code)
            assert "公交站牌" not in reply.text and "没有这个工单" in reply.text
        assert client.get(f"/desk/cases/{theirs}").status_code == 404
        assert desk.casework.store.count_events() == before
        signed = client.post(f"/desk/cases/{mine}/sign", data={"csrf": csrf})
        assert signed.status_code == 303 and desk.casework.store.count_events() == before + 1
    # A token from another session does not fit this one.
    with httpx.Client(base_url=desk.url, cookies={"hotline_session": desk.tokens["bus1"]}) as client:
        assert client.post(f"/desk/cases/{theirs}/sign", data={"csrf": csrf}).status_code == 403
