"""The case API and desk pages served over a real socket (uvicorn in a thread) on a real
SQLite file, for a headless Chromium to use; users of every role, the clock settable."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.casework.api_client import PASSWORD, CaseApi, Clock
from tests.casework.conftest import MONDAY_9AM

SHOTS_ENV = "CALLCENTER_SCREENSHOTS"  # a folder: save a 1366x768 screenshot of each page there


class Desk(CaseApi):
    url = ""


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    import uvicorn

    api = Desk(f"sqlite:///{tmp_path / 'cases.db'}", Clock(MONDAY_9AM))
    for name, role, department in (("agent1", "agent", None), ("boss", "supervisor", None),
                                   ("water1", "department", "water"),
                                   ("bus1", "department", "transport")):
        api.add_user(name, role, department)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(api.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    api.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    yield api
    server.should_exit = True
    thread.join(5)
    api.close()


@pytest.fixture
def engine(tmp_path: Path):
    """A real engine with its API and desk on a loopback port; agents and a supervisor."""
    from tests.api.conftest import LiveEngine

    live = LiveEngine(tmp_path)
    try:
        for name, role in (("agent1", "agent"), ("agent2", "agent"), ("boss", "supervisor")):
            live.engine.casework.accounts.add_user(name, role, PASSWORD)
        live.url = live.api.url
        yield live
    finally:
        live.close()


@pytest.fixture
def browser(tmp_path: Path):
    from tests.api.test_wallboard import _chromium_driver

    driver = _chromium_driver(tmp_path)
    width, height = 1366, 768
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(width + (width - inner[0]), height + (height - inner[1]))
    yield driver
    driver.quit()


__all__ = ["PASSWORD"]
