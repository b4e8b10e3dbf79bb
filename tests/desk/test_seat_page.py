"""The agent's seat on the desk, over a real engine (its API on a loopback port) in a real
headless Chromium: pick the seat, log in, ready, not ready with a reason, the state following
a change made elsewhere at once (pushed, not polled), the screen pop of the ACD's offer, and
a refused action changing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from acd.events import CallArrived, CallerHungUp
from tests.api.conftest import LiveEngine
from tests.casework.api_client import PASSWORD
from tests.desk.pages import fits, loaded, shot, sign_in, text, until


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[LiveEngine]:
    live = LiveEngine(tmp_path)
    try:
        live.engine.casework.accounts.add_user("agent1", "agent", PASSWORD)
        live.engine.casework.accounts.add_user("agent2", "agent", PASSWORD)
        yield live
    finally:
        live.close()


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
