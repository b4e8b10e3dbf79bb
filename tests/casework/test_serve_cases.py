"""``callcenter serve`` with cases: a user made by the CLI logs in, takes in and dispatches a
case over real HTTP, the live case timer raises the card on its own, and after ``kill -9`` and
a restart the case and its history are all there."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from callcenter.config.loader import default_config_path
from tests.serve_process import add_user, call, free_port, sign_in, start_serve, stop

pytestmark = pytest.mark.timeout(120)
PASSWORD = "supervisor password 1"


def start(db: Path, port: int, tmp_path: Path):
    config = tmp_path / "config"  # the shipped config, with a yellow-card window of weeks
    if not config.exists():
        config.mkdir()
        shipped = default_config_path().read_text(encoding="utf-8")
        cases = "\ncases:\n  provisional_calendar: true\n"
        assert cases in shipped
        (config / "hotline.yaml").write_text(
            shipped.replace(cases, cases + "  rules: {yellow_hours: 1000}\n"), encoding="utf-8")
    return start_serve(tmp_path, db, port, config)


def test_cases_through_serve_survive_kill_9(tmp_path):
    db = tmp_path / "cc.db"
    add_user(tmp_path, db, "boss", "supervisor", PASSWORD)
    port = free_port()
    serve = start(db, port, tmp_path)
    try:
        token = sign_in(port, "boss", PASSWORD)
        status, case = call(port, "POST", "/api/cases", {"category": "0201", "text": "停水", "call_id": "c-1",
                                                         "caller_number": "13800000001"}, token)
        assert status == 201, case
        case_id = case["case_id"]
        status, _ = call(port, "POST", f"/api/cases/{case_id}/dispatch", {"lead": "water"}, token)
        assert status == 200
        # the sign-for deadline is within the (configured) yellow-card window: the live timer fires
        deadline = time.monotonic() + 20
        kinds: list[str] = []
        while time.monotonic() < deadline and "CardRaised" not in kinds:
            kinds = [e["type"] for e in call(port, "GET", f"/api/cases/{case_id}/history", token=token)[1]]
            time.sleep(0.05)
        assert "CardRaised" in kinds
    finally:
        stop(serve, signal.SIGKILL)
    serve = start(db, port, tmp_path)
    try:
        token = sign_in(port, "boss", PASSWORD)
        status, history = call(port, "GET", f"/api/cases/{case_id}/history", token=token)
        assert status == 200 and [e["type"] for e in history][:2] == ["CaseOpened", "DeadlineSet"]
        assert "CardRaised" in [e["type"] for e in history]
        assert call(port, "GET", "/api/calls/c-1/cases", token=token)[1]["cases"][0]["case_id"] == case_id
    finally:
        stop(serve, signal.SIGTERM)
