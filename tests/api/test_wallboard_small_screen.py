"""The wallboard on a 1366x768 screen in a real headless Chromium: every column, the lines and
every logged-in agent visible without scrolling; the center's clock, not the browser's."""

from __future__ import annotations

import time

from acd.events import CallArrived
from callcenter.config import load_config
from tests.api.test_wallboard import _chromium_driver

WIDTH, HEIGHT = 1366, 768


def test_everything_fits_a_1366x768_screen_in_the_centers_time_zone(live, tmp_path):
    driver = _chromium_driver(tmp_path)
    from selenium.webdriver.support.ui import WebDriverWait

    def rect(css: str) -> dict | None:
        return driver.execute_script(
            "const e = document.querySelector(arguments[0]);"
            "return e ? e.getBoundingClientRect().toJSON() : null;", css)

    try:
        agents = [a.id for a in load_config().agents]
        assert len(agents) == 40
        for agent in agents:  # the busiest board: every seat logged in
            live.post(f"/api/agents/{agent}/login", body={"ready": False})
        for i, (queue, language) in enumerate([("zh-general", "zh"), ("ja-general", "ja")]):
            live.submit(CallArrived(f"fit-{i}", queue, language=language, line="12345"))
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})
        driver.set_window_size(WIDTH, HEIGHT)
        inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        driver.set_window_size(WIDTH + (WIDTH - inner[0]), HEIGHT + (HEIGHT - inner[1]))
        assert driver.execute_script("return [window.innerWidth, window.innerHeight]") == [WIDTH, HEIGHT]
        driver.get(live.url + "/wallboard")  # the sign-in form, then the board
        driver.find_element("id", "token").send_keys(live.token)
        driver.find_element("id", "sign-in").click()
        WebDriverWait(driver, 10, poll_frequency=0.05).until(
            lambda d: d.execute_script("return document.querySelectorAll('.agent').length") == 40)
        shot = tmp_path / "wallboard-1366x768.png"
        driver.save_screenshot(str(shot))
        print(f"wallboard screenshot: {shot}")
        for css in ("#board thead th:last-child", "#board tbody tr:last-child td.aht",
                    "#lines tbody tr:last-child td.lost", ".agent:last-child", "#clock", "#tz"):
            box = rect(css)
            assert box is not None, css
            assert box["left"] >= 0 and box["right"] <= WIDTH, (css, box)
            assert box["top"] >= 0 and box["bottom"] <= HEIGHT, (css, box)
        assert driver.execute_script(
            "return document.documentElement.scrollWidth <= innerWidth "
            "&& document.documentElement.scrollHeight <= innerHeight")
        assert [r.get_attribute("data-line") for r in driver.find_elements(
            "css selector", "#lines tbody tr")] == ["12345", "12315", "12329"]
        # The browser thinks it is in New York; the board shows Shanghai's time and says so.
        assert "Asia/Shanghai" in driver.find_element("css selector", "#tz").text
        shown = driver.find_element("css selector", "#clock").text
        expected = time.strftime("%H:%M", time.gmtime(time.time() + 8 * 3600))
        assert shown[:5] == expected or shown[:2] == expected[:2], (shown, expected)
        assert "Alerts once a queue has counted 20 calls" in driver.find_element(
            "css selector", "#definition").text
    finally:
        driver.quit()
