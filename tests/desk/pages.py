"""Helpers for driving the desk pages in Chromium."""

from __future__ import annotations

import os
from pathlib import Path

from tests.casework.api_client import PASSWORD
from tests.desk.conftest import SHOTS_ENV


def until(driver, predicate, timeout: float = 10.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(lambda _: predicate())


def text(driver, css: str) -> str | None:
    return driver.execute_script("const e = document.querySelector(arguments[0]);"
                                 "return e ? e.innerText : null;", css)


def sign_in(driver, desk, user: str, page: str = "/desk", password: str = PASSWORD) -> None:
    driver.get(desk.url + page)
    until(driver, lambda: driver.find_elements("id", "username"))
    driver.find_element("id", "username").send_keys(user)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "sign-in").click()


def loaded(driver, page: str) -> bool:
    return driver.execute_script("return document.readyState === 'complete' && document.body"
                                 " && document.body.dataset.page") == page


def shot(driver, name: str) -> None:
    """A screenshot of the page as it is, when $CALLCENTER_SCREENSHOTS names a folder."""
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def fits(driver) -> bool:
    """Nothing wider than the 1366-pixel window (no sideways scrolling)."""
    return driver.execute_script("return document.documentElement.scrollWidth <= innerWidth")
