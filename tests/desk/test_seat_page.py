"""The agent's seat on the desk, over a real engine (its API on a loopback port) in a real
headless Chromium: pick the seat, log in, ready, not ready with a reason, the state following
a change made elsewhere at once (pushed, not polled), the screen pop of the ACD's offer, and
a refused action changing nothing."""

from __future__ import annotations

from selenium.webdriver.support.ui import Select

from acd.events import AgentAnswered, CallArrived, CallerHungUp
from callcenter.api.cases import IntakeIn
from ivr_flows.handoff import CallerDetails
from tests.api.conftest import LiveEngine
from tests.desk.pages import fits, loaded, shot, sign_in, text, until


def seat(live: LiveEngine, agent_id: str) -> dict:
    return live.get(f"/api/agents/{agent_id}").json()


def take_seat(browser, engine: LiveEngine, user: str, agent_id: str) -> None:
    engine.url = engine.api.url
    sign_in(browser, engine, user, "/desk/seat")
    until(browser, lambda: loaded(browser, "seat"))
    Select(browser.find_element("id", "seat-pick")).select_by_value(agent_id)
    browser.find_element("id", "do-pick").click()


def test_state_controls_follow_the_acd_and_the_offer_pops(engine, browser):
    take_seat(browser, engine, "agent1", "1001")
    until(browser, lambda: text(browser, "#state") == "未签入")
    browser.find_element("id", "do-login").click()
    until(browser, lambda: text(browser, "#state") == "示忙")
    assert seat(engine, "1001")["state"] == "not_ready"
    browser.find_element("id", "do-ready").click()
    until(browser, lambda: text(browser, "#state") == "空闲")
    # A change made elsewhere (the phone's feature code, the API) shows at once.
    engine.post("/api/agents/1001/not-ready", body={"reason": "lunch"})
    until(browser, lambda: text(browser, "#state") == "示忙" and text(browser, "#reason") == "用餐", 3)
    Select(browser.find_element("id", "not-ready-reason")).select_by_value("training")
    browser.find_element("id", "do-not-ready").click()
    until(browser, lambda: text(browser, "#reason") == "培训")
    assert seat(engine, "1001")["reason"] == "training"
    browser.find_element("id", "do-wrap-up-done").click()  # not in wrap-up: refused, nothing changed
    until(browser, lambda: text(browser, "#message"))
    assert seat(engine, "1001")["state"] == "not_ready"
    engine.submit(CallArrived("pop-1", "zh-general", language="zh", line="12345"))
    waiting_since = engine.call(engine.engine.acd.enqueued_at, "pop-1")
    until(browser, lambda: engine.engine.driver.clock() - waiting_since >= 1.5)  # the caller waits
    browser.find_element("id", "do-ready").click()
    until(browser, lambda: text(browser, "#pop-call-id") == "pop-1", 3)
    assert text(browser, "#pop-queue") == "zh-general" and text(browser, "#pop-line") == "12345"
    assert text(browser, "#pop-language") == "zh" and text(browser, "#pop h2") == "来电弹屏"
    assert int(text(browser, "#pop-waited").split()[0]) >= 1  # time waited, from the ACD
    until(browser, lambda: text(browser, "#state") == "振铃")
    assert fits(browser)
    shot(browser, "desk-agent-seat-ringing")
    engine.submit(CallerHungUp("pop-1"))  # pushed to the open page as it happens
    ended = ("来电已结束振铃", "空闲")
    until(browser, lambda: (text(browser, "#pop-none"), text(browser, "#state")) == ended, 3)


def test_a_seat_is_driven_from_one_desk_only(engine, browser):
    take_seat(browser, engine, "agent1", "1002")
    until(browser, lambda: text(browser, "#state"))
    browser.delete_all_cookies()
    take_seat(browser, engine, "agent2", "1002")
    until(browser, lambda: text(browser, "#message"))
    assert "1002" in text(browser, "#message") and seat(engine, "1002")["state"] == "logged_out"


def test_seat_routes_need_a_hotline_session(engine):
    import httpx

    with httpx.Client(base_url=engine.api.url) as client:
        for method, path in (("GET", "/desk/seat"), ("POST", "/desk/seat/pick"),
                             ("POST", "/desk/seat/do/login"), ("POST", "/desk/seat/do/ready")):
            reply = client.request(method, path, data={"seat": "1003"})
            assert reply.status_code == 303 and reply.headers["location"].startswith("/desk/login"), path
        assert client.get("/desk/seat/events").status_code == 401
        # the engine's own API token is not a desk session
        assert client.get("/desk/seat/events", headers={"Authorization": f"Bearer {engine.token}"}
                          ).status_code == 401
    assert seat(engine, "1003")["state"] == "logged_out"


def open_cases(live: LiveEngine, user: str, caller: str, texts: list[str]) -> list[str]:
    """Cases taken in by ``user`` for ``caller``, one per text, oldest first."""
    casework = live.engine.casework
    agent = next(u for u in casework.accounts.users() if u.username == user)
    ids = []
    for request in texts:
        fields = IntakeIn(category="0201", text=request, caller_number=caller).model_dump(mode="json")
        ids.append(casework.service.open(agent, fields).case.case_id)
    return ids


def test_the_pop_shows_the_caller_the_ivr_and_earlier_cases_and_the_figures_follow(engine, browser):
    texts = [f"第{i}次来电：公积金提取" for i in range(1, 6)] + ["<img src=x onerror=\"window.popped = 1\">"]
    cases = open_cases(engine, "agent1", "13800138000", texts)
    take_seat(browser, engine, "agent1", "1001")
    until(browser, lambda: text(browser, "#state") == "未签入")
    until(browser, lambda: text(browser, "#fig-direct") == "0% (0/6)")
    assert text(browser, "#fig-calls") == "0" and text(browser, "#fig-aht") == "–"
    engine.post("/api/agents/1001/login", body={"ready": True})
    shown_id = "*" * 14 + "123X"
    engine.call(engine.engine.driver.publish, [CallerDetails(
        "pop-2", "13800138000", ("main_menu", "enter_id", "lookup", "not_found", "agent"),
        (("id_number", shown_id),))])
    engine.submit(CallArrived("pop-2", "zh-general", language="zh", line="12329"))
    until(browser, lambda: text(browser, "#pop-call-id") == "pop-2", 3)
    assert text(browser, "#pop-caller") == "13800138000" and text(browser, "#pop-line") == "12329"
    assert text(browser, "#pop-ivr") == "main_menu → enter_id → lookup → not_found → agent"
    assert text(browser, "#pop-keyed") == f"身份证号: {shown_id}"
    listed = browser.execute_script(
        "return [...document.querySelectorAll('#pop-cases li a')].map(a => a.getAttribute('href'))")
    assert listed == [f"/desk/cases/{c}" for c in reversed(cases[1:])]  # the newest 5, newest first
    assert texts[-1] in text(browser, "#pop-cases li")  # shown, not run
    assert browser.execute_script("return window.popped") is None
    intake_link = browser.find_element("id", "pop-intake").get_attribute("href")
    assert intake_link == f"{engine.url}/desk/intake?caller=13800138000&call=pop-2"
    assert fits(browser)
    shot(browser, "desk-agent-seat-pop")
    engine.submit(AgentAnswered("1001", "pop-2"))
    until(browser, lambda: text(browser, "#state") == "通话中", 3)
    engine.submit(CallerHungUp("pop-2"))  # the call ends: its talk counts at once
    until(browser, lambda: text(browser, "#fig-calls") == "1", 3)
    assert text(browser, "#fig-aht").endswith(" s")
    # A case answered on the spot by this agent changes the rate on the open page.
    agent = next(u for u in engine.engine.casework.accounts.users() if u.username == "agent1")
    engine.engine.casework.answer(agent, cases[0], "可通过网上办事大厅提取")
    until(browser, lambda: text(browser, "#fig-direct") == "17% (1/6)", 3)
    browser.get(f"{engine.url}/desk/cases/{cases[0]}")  # each earlier case links to its page
    until(browser, lambda: text(browser, "#request") == texts[0])
    # The pop's intake link: the caller's number filled in, the case linked to the call.
    browser.get(intake_link)
    until(browser, lambda: loaded(browser, "intake"))
    assert browser.find_element("id", "caller").get_attribute("value") == "13800138000"
    browser.find_element("id", "category").send_keys("0201 求助/供水供电")
    browser.find_element("id", "text").send_keys("咨询公积金提取进度")
    browser.find_element("id", "answer").send_keys("已告知办理进度")
    browser.find_element("id", "do-answer").click()
    until(browser, lambda: loaded(browser, "case"))
    row = engine.engine.casework.store.get(text(browser, "#case-id"))
    assert (row.call_id, row.caller) == ("pop-2", "13800138000")
