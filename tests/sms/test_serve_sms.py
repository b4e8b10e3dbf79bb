"""``callcenter serve`` with an ``sms:`` section, end to end: a case taken in over HTTP while
the SMSC is down, the engine killed (-9) with the notice still queued, the SMSC back, the
engine restarted: the SMS goes once and its delivery is in the case's history."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.casework.test_serve_cases import ROOT, call, free_port
from tests.sms.test_engine_sms import SECTION
from tests.sms.test_sms_cli import smsc as smsc  # noqa: F401 (the fixture)
from tests.sms.test_sms_config import folder_with

pytestmark = pytest.mark.timeout(180)
PASSWORD = "supervisor password 1"


def serve(tmp_path: Path, db: Path, port: int) -> subprocess.Popen:
    secrets = tmp_path / "secrets"
    if not secrets.exists():
        secrets.write_text("smpp = s3cret\n")
        secrets.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if k != "CALLCENTER_SMPP_PASSWORD"}
    env.update(CALLCENTER_API_TOKEN="engine-token-0123456789abcdef", PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--sip", "off", "--agi", "off", "--api",
         f"127.0.0.1:{port}", "--db", f"sqlite:///{db}", "--config", str(tmp_path / "config"),
         "--secrets", str(secrets)], stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "engine ready" in line:
            return process
    process.kill()
    raise AssertionError("serve did not start:\n" + "".join(lines))


def stop(process: subprocess.Popen, sig: int) -> None:
    process.send_signal(sig)
    process.wait(timeout=30)
    process.stderr.close()


def test_a_notice_survives_an_smsc_outage_and_kill_9_and_goes_once(tmp_path, smsc):
    db = tmp_path / "cc.db"
    down = free_port()  # nothing listens there yet
    folder_with(tmp_path, SECTION.format(port=down))
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    made = subprocess.run([sys.executable, "-m", "callcenter.cli", "cases", "add-user", "boss", "--role",
                           "supervisor", "--password-file", str(secret), "--db", f"sqlite:///{db}"],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert made.returncode == 0, made.stderr
    port = free_port()
    engine = serve(tmp_path, db, port)
    try:
        token = call(port, "POST", "/api/session", {"username": "boss", "password": PASSWORD})[1]["token"]
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
        token = call(port, "POST", "/api/session", {"username": "boss", "password": PASSWORD})[1]["token"]
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
