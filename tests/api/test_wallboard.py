"""The wallboard: its view (targets, colours, alerts), the event stream, and the page in a real
headless Chromium updating live."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from datetime import datetime
from datetime import time as dtime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from acd.events import AgentAnswered, AgentHungUp, CallArrived, CallerHungUp
from callcenter.wallboard import WallboardHub, status


def test_target_colours():
    assert status(None, 0.95) == "none"
    assert status(0.95, 0.95) == status(1.0, 0.95) == "green"
    assert status(0.94, 0.95) == status(0.90, 0.95) == "amber"
    assert status(0.8999, 0.95) == status(0.0, 0.95) == "red"


def open_stream(live) -> http.client.HTTPResponse:
    parts = urlsplit(live.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.request("GET", "/wallboard/events", headers={"Authorization": f"Bearer {live.token}"})
    response = conn.getresponse()
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    return response


def next_event(response: http.client.HTTPResponse) -> tuple[str, dict]:
    kind, data = "message", ""
    while True:
        line = response.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data += line[6:]
        elif line == "" and data:
            return kind, json.loads(data)


def queue_of(board: dict, name: str) -> dict:
    return next(q for q in board["queues"] if q["name"] == name)


def test_stream_pushes_a_snapshot_then_each_change(live):
    stream = open_stream(live)
    kind, board = next_event(stream)
    assert kind == "snapshot" and queue_of(board, "zh-general")["waiting"] == 0
    assert board["threshold_seconds"] == 15 and board["targets"]["service_level"] == 0.95
    # today's counts: since midnight in the center's time zone (earlier calls from the records)
    shanghai = ZoneInfo("Asia/Shanghai")
    midnight = datetime.combine(datetime.now(shanghai).date(), dtime(0), shanghai).timestamp()
    assert board["counts_since"] == midnight and board["timezone"] == "Asia/Shanghai"
    started = time.monotonic()
    live.submit(CallArrived("s1", "zh-general", language="zh", line="12345"))
    kind, board = next_event(stream)
    assert time.monotonic() - started < 1.0
    general = queue_of(board, "zh-general")
    assert kind == "snapshot" and general["waiting"] == 1 and general["language"] == "zh"
    assert general["waiting_since"] == pytest.approx(time.time(), abs=2)
    zh = next(lang for lang in board["languages"] if lang["language"] == "zh")
    assert zh["waiting"] == 1 and zh["offered"] == 1 and set(zh["queues"]) >= {"zh-general"}
    assert board["alerts"] == []
    live.submit(CallerHungUp("s1"))
    kind, board = next_event(stream)
    general = queue_of(board, "zh-general")
    assert (general["abandoned"], general["service_level_status"]) == (1, "red")
    assert general["connection_rate"] == 0.0 and general["connection_rate_status"] == "red"
    assert board["alerts"] == []  # 0 % of one call is no reason to alarm anyone
    assert board["alert_min_calls"] == 20
    for i in range(2, 21):  # the twentieth abandon makes a sample
        live.submit(CallArrived(f"s{i}", "zh-general", language="zh", line="12345"))
        live.submit(CallerHungUp(f"s{i}"))
    while queue_of(board, "zh-general")["abandoned"] < 20:
        kind, board = next_event(stream)
    assert {a["queue"] for a in board["alerts"]} == {"zh-general"}
    assert "zh-general: 15-s answer rate 0.0% below target 95%" in [a["text"] for a in board["alerts"]]
    hub = live.api.app.state.hub
    assert hub.listeners == 1
    stream.close()
    deadline = time.monotonic() + 3
    while hub.listeners and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.listeners == 0  # a closed tab stops costing the engine anything


def test_closing_the_server_ends_open_streams(live):
    stream = open_stream(live)
    next_event(stream)
    started = time.monotonic()
    live.run(live.api.close())
    assert time.monotonic() - started < 2.0
    assert stream.read() == b""  # the server ended the stream


def test_hub_coalesces_changes_and_sends_heartbeats():
    async def scenario() -> list[str]:
        counter = {"n": 0}

        def view() -> dict:
            counter["n"] += 1  # changes on every sample
            return {"n": counter["n"]}

        hub = WallboardHub(view, interval=0.1, heartbeat=0.3)
        events: list[str] = []

        async def listen() -> None:
            async for chunk in hub.events():
                events.append(chunk.split("\n", 1)[0])

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.55)
        hub.view = lambda: {"n": "steady"}
        await asyncio.sleep(0.9)
        await hub.close()
        await asyncio.wait_for(task, 1)
        return events

    events = asyncio.run(scenario())
    snapshots = events.count("event: snapshot")
    assert 4 <= snapshots <= 9  # about one per interval while changing, never one per change
    assert events.count("event: heartbeat") >= 2  # nothing changed for 0.9 s: heartbeats


def _chromium_driver(tmp_path):
    import shutil

    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1920,1080",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def test_wallboard_page_in_headless_chromium(live, tmp_path):
    driver = _chromium_driver(tmp_path)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Read the DOM in one script call: the board re-renders its rows on every push, so a
    # located element may be replaced before a second call reads it.
    def text(css: str) -> str | None:
        return driver.execute_script("const e = document.querySelector(arguments[0]);"
                                     "return e ? e.innerText : null;", css)

    def attr(css: str, name: str) -> str | None:
        return driver.execute_script("const e = document.querySelector(arguments[0]);"
                                     "return e ? e.getAttribute(arguments[1]) : null;", css, name)

    def until(predicate, timeout: float = 5.0):
        return WebDriverWait(driver, timeout, poll_frequency=0.02).until(lambda _: predicate())

    try:
        for agent in ("1002", "1003", "1004", "1005", "1022", "1030", "1036", "1040"):
            live.post(f"/api/agents/{agent}/login", body={"ready": True})
        live.post("/api/agents/1006/login")
        live.post("/api/agents/1006/not-ready", body={"reason": "lunch"})
        live.submit(CallArrived("w-zh", "zh-general", language="zh", line="12345"))
        live.submit(CallArrived("w-zh2", "zh-consumer", language="zh", line="12315"))

        driver.get(live.url + "/wallboard")  # refused: the sign-in form, then back to the board
        driver.find_element(By.ID, "token").send_keys(live.token)
        driver.find_element(By.ID, "sign-in").click()
        until(lambda: driver.current_url == live.url + "/wallboard")
        until(lambda: text("#link") == "LIVE")
        driver.execute_script("window.boardMarker = 42;")
        ja_waiting = 'tr[data-queue="ja-general"] td.waiting'
        assert text(ja_waiting) == "0"
        assert len(driver.find_elements(By.CSS_SELECTOR, "#board tr[data-queue]")) == 9
        assert len(driver.find_elements(By.CSS_SELECTOR, "#board tr[data-language]")) == 7
        assert attr("#banner", "hidden") is not None

        started = time.monotonic()
        live.submit(CallArrived("w-ja", "ja-general", language="ja", line="12345"))
        until(lambda: text(ja_waiting) == "1", timeout=2.0)
        assert time.monotonic() - started < 1.0, "the board took over a second to show the call"
        assert text('tr[data-language="ja"] td.waiting') == "1"

        live.submit(CallerHungUp("w-ja"))  # an abandon: the ja queue misses its targets
        sl_cell = 'tr[data-queue="ja-general"] td.sl'
        until(lambda: "red" in (attr(sl_cell, "class") or ""))
        assert attr("#banner", "hidden") is not None  # but one call is too few to alarm
        for i in range(19):
            live.submit(CallArrived(f"w-ja{i}", "ja-general", language="ja", line="12345"))
            live.submit(CallerHungUp(f"w-ja{i}"))
        until(lambda: attr("#banner", "hidden") is None)
        assert "ja-general: 15-s answer rate 0.0% below target 95%" in text("#banner")
        assert "red" in attr(sl_cell, "class") and text(sl_cell).startswith("0.0%")

        calls = live.get("/api/calls").json()["ringing"]
        for call in calls:
            live.submit(AgentAnswered(call["agent_id"], call["call_id"]))
        talking = calls[0]["agent_id"]
        tile = f'[data-agent="{talking}"]'
        until(lambda: attr(tile, "data-state") == "on_call")
        assert "12345" in text(f"{tile} .call") and "Mandarin" in text(f"{tile} .call")
        assert "Not ready (lunch)" in text('[data-agent="1006"]')
        live.submit(AgentHungUp(talking))
        until(lambda: attr(tile, "data-state") == "wrap_up")
        until(lambda: text('tr[data-queue="zh-general"] td.answered') == "1")

        assert driver.execute_script("return window.boardMarker") == 42  # never reloaded
        origins = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        assert origins and all(name.startswith(live.url) for name in origins)  # no CDN
        shot = tmp_path / "wallboard.png"
        assert driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        print(f"wallboard screenshot: {shot}")
    finally:
        driver.quit()
