"""A department's workspace: the supervision orders (督办) and reminders (催办) addressed to it
show in its inbox (in Chromium); and a department user can neither see nor act on another
department's case from any desk page or API route (walked from the app's routes, so a route
added later is covered the day it is added)."""

from __future__ import annotations

import re

import httpx

from callcenter.api.cases import cases_router
from callcenter.api.users import user_auth
from callcenter.desk import desk_router
from tests.casework.test_cases_api import intake
from tests.desk.pages import fits, loaded, shot, sign_in, text, until
from tests.desk.test_department_pages import dispatched


def test_supervision_and_reminders_show_in_the_departments_inbox(desk, browser):
    shared = intake(desk, text="供水管网改造")["case_id"]
    desk.ok("agent1", f"/api/cases/{shared}/dispatch", {"lead": "water", "assisting": ["transport"]})
    supervised = dispatched(desk, "water", text="<b>水压不足</b>")
    desk.ok("boss", f"/api/cases/{supervised}/supervise", {"note": "<i>群众多次反映</i>"})
    desk.ok("boss", f"/api/cases/{shared}/remind", {"department": "transport", "note": "请协办单位答复"})
    desk.ok("boss", f"/api/cases/{shared}/remind", {"department": "water", "note": "请今天内签收"})
    theirs = dispatched(desk, "transport", text="公交站牌损坏")
    desk.ok("boss", f"/api/cases/{theirs}/remind", {"department": "transport", "note": "交通局催办"})
    sign_in(browser, desk, "water1", "/desk/inbox")
    until(browser, lambda: loaded(browser, "inbox"))
    notices = browser.execute_script(
        "return [...document.querySelectorAll('#notices li')].map(l => [l.className, l.dataset.case])")
    assert notices == [["notice reminded", shared], ["notice supervised", supervised]]  # newest first
    assert "请今天内签收" in text(browser, "#notices") and "交通局催办" not in browser.page_source
    assert "请协办单位答复" not in browser.page_source  # sent to the assisting department, not here
    assert "<i>群众多次反映</i>" in text(browser, "#notices")  # shown as text, not markup
    assert "人工督办" in text(browser, f"#notices li[data-case='{supervised}']")
    assert "已催办" in text(browser, f"tr[data-case='{shared}']")
    assert "督办" in text(browser, f"tr[data-case='{supervised}']")
    assert fits(browser)
    shot(browser, "desk-department-inbox-notices")
    browser.find_element("css selector", f"#notices li[data-case='{shared}'] a").click()
    until(browser, lambda: loaded(browser, "case"))
    assert "请今天内签收" in text(browser, "#history")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_a_department_gets_nothing_of_another_departments_case_anywhere(desk):
    secret = "公交站牌损坏，联系人手机13900000000"
    theirs = dispatched(desk, "transport", text=secret, caller_number="13912345678", call_id="call-77")
    mine = dispatched(desk, "water")
    before = desk.casework.store.count_events()
    routers = (desk_router(desk.casework), cases_router(desk.casework, user_auth(desk.casework.accounts)))
    routes = [(method, route.path) for router in routers for route in router.routes
              for method in route.methods if "{case_id}" in route.path]
    assert len(routes) >= 17 and ("POST", "/desk/board/extension/{case_id}") in routes
    token = desk.tokens["water1"]
    with httpx.Client(base_url=desk.url, cookies={"hotline_session": token}) as page, \
            httpx.Client(base_url=desk.url, headers={"Authorization": f"Bearer {token}"}) as api:
        csrf = _csrf(page.get("/desk/inbox").text)
        for method, path in routes:
            client = page if path.startswith("/desk") else api
            concrete = path.replace("{case_id}", theirs).replace("{action}", "sign")
            form = {"csrf": csrf, "text": "x", "reason": "x", "days": "1", "decision": "approve"}
            reply = client.request(method, concrete, **({"data": form} if path.startswith("/desk")
                                                         else {"json": {}} if method == "POST" else {}))
            assert reply.status_code in (403, 404, 422), (method, path, reply.status_code)
            assert secret not in reply.text and "13912345678" not in reply.text, (method, path)
        # Lists and look-ups: nothing of theirs, even when asked for by name.
        for path, params in (("/desk/inbox", {}), ("/desk/cases", {"department": "transport"}),
                             ("/desk/cases", {"status": "dispatched"})):
            reply = page.get(path, params=params)
            assert reply.status_code == 200 and theirs not in reply.text and mine in reply.text, path
        for path, params in (("/api/cases", {"department": "transport"}), ("/api/cases", {}),
                             ("/api/callers/13912345678/cases", {}), ("/api/calls/call-77/cases", {})):
            reply = api.get(path, params=params)
            assert reply.status_code in (200, 403) and theirs not in reply.text, path
        assert page.get("/desk/board").status_code == 403
    assert desk.casework.store.count_events() == before


def test_the_inbox_keeps_the_nearest_deadlines_when_it_cannot_show_every_open_case(desk, monkeypatch):
    """A department with more open cases than the inbox shows keeps its oldest, most urgent ones
    (the inbox once read the newest cases and dropped closed ones afterwards)."""
    from callcenter.desk import routes

    monkeypatch.setattr(routes, "INBOX_CASES", 2)
    oldest = dispatched(desk, "water")
    desk.clock.now += 3600
    middle = dispatched(desk, "water")
    desk.clock.now += 3600
    newest = dispatched(desk, "water")
    with httpx.Client(base_url=desk.url, cookies={"hotline_session": desk.tokens["water1"]}) as page:
        html = page.get("/desk/inbox").text
    shown = re.findall(r'<tr class="case[^"]*" data-case="([^"]+)"', html)
    assert shown == [oldest, middle] and newest not in shown  # the newest has the farthest deadline
