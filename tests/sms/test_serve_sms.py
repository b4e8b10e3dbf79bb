"""``callcenter serve`` with an ``sms:`` section, end to end: a case taken in over HTTP while
the SMSC is down, the engine killed (-9) with the notice still queued, the SMSC back, the
engine restarted: the SMS goes once and its delivery is in the case's history."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.serve_process import API_TOKEN, add_user, call, child_env, free_port, sign_in, start_serve, stop
from tests.sms.test_engine_sms import SECTION
from tests.sms.test_sms_cli import smsc as smsc  # noqa: F401 (the fixture)
from tests.sms.test_sms_config import folder_with

pytestmark = pytest.mark.timeout(180)
PASSWORD = "supervisor password 1"


def serve(tmp_path: Path, db: Path, port: int):
    """serve with the SMSC's password in the secrets file only (not in the environment)."""
    secrets = tmp_path / "secrets"
    if not secrets.exists():
        secrets.write_text("smpp = s3cret\n")
        secrets.chmod(0o600)
    env = child_env(CALLCENTER_API_TOKEN=API_TOKEN)
    env.pop("CALLCENTER_SMPP_PASSWORD", None)
    return start_serve(tmp_path, db, port, tmp_path / "config", extra=["--secrets", str(secrets)], env=env)


def test_a_notice_survives_an_smsc_outage_and_kill_9_and_goes_once(tmp_path, smsc):
    db = tmp_path / "cc.db"
    down = free_port()  # nothing listens there yet
    folder_with(tmp_path, SECTION.format(port=down))
    add_user(tmp_path, db, "boss", "supervisor", PASSWORD)
    port = free_port()
    engine = serve(tmp_path, db, port)
    try:
        token = sign_in(port, "boss", PASSWORD)
        status, case = call(port, "POST", "/api/cases", {"category": "0201", "text": "停水",
                                                         "caller_number": "13800000001"}, token)
        assert status == 201, case
        case_id = case["case_id"]
    finally:
        stop(engine, signal.SIGKILL)
    # the SMSC is up now (at the port the config names)
    (tmp_path / "config" / "sms.yaml").write_text(SECTION.format(port=smsc.port), encoding="utf-8")
    engine = serve(tmp_path, db, port)
    try:
        token = sign_in(port, "boss", PASSWORD)
        deadline = time.monotonic() + 60
        statuses: list[str] = []
        while time.monotonic() < deadline and "delivered" not in statuses:
            history = call(port, "GET", f"/api/cases/{case_id}/history", token=token)[1]
            statuses = [e["status"] for e in history if e["type"] == "Notified"]
            time.sleep(0.1)
        assert statuses == ["sent", "delivered"]
    finally:
        stop(engine, signal.SIGTERM)
    [sub] = smsc.submitted
    assert sub.destination == "8613800000001" and case_id in sub.text
