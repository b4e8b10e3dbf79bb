"""``callcenter serve`` with cases: a user made by the CLI logs in, takes in and dispatches a
case over real HTTP, the live case timer raises the card on its own, and after ``kill -9`` and
a restart the case and its history are all there."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from callcenter.config.loader import default_config_path

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "supervisor password 1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(db: Path, port: int, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "CALLCENTER_API_TOKEN": "engine-token-0123456789abcdef",
           "PYTHONPATH": str(ROOT)}
    config = tmp_path / "config"  # the shipped config, with a yellow-card window of weeks
    if not config.exists():
        config.mkdir()
        shipped = default_config_path().read_text(encoding="utf-8")
        cases = "\ncases:\n  provisional_calendar: true\n"
        assert cases in shipped
        (config / "hotline.yaml").write_text(
            shipped.replace(cases, cases + "  rules: {yellow_hours: 1000}\n"), encoding="utf-8")
    serve = subprocess.Popen([sys.executable, "-m", "callcenter.cli", "serve", "--sip", "off", "--agi", "off",
                              "--api", f"127.0.0.1:{port}", "--db", f"sqlite:///{db}",
                              "--config", str(config)],
                             stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = serve.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "engine ready" in line:
            return serve
    serve.kill()
    raise AssertionError("serve did not start:\n" + "".join(lines))


def call(port: int, method: str, path: str, body: object = None,
         token: str | None = None) -> tuple[int, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_cases_through_serve_survive_kill_9(tmp_path):
    db = tmp_path / "cc.db"
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    made = subprocess.run([sys.executable, "-m", "callcenter.cli", "cases", "add-user", "boss", "--role",
                           "supervisor", "--password-file", str(secret), "--db", f"sqlite:///{db}"],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert made.returncode == 0, made.stderr
    port = free_port()
    serve = start(db, port, tmp_path)
    try:
        status, session = call(port, "POST", "/api/session", {"username": "boss", "password": PASSWORD})
        assert status == 200, session
        token = session["token"]
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
        serve.send_signal(signal.SIGKILL)
        serve.wait(timeout=30)
        serve.stderr.close()
    serve = start(db, port, tmp_path)
    try:
        status, session = call(port, "POST", "/api/session", {"username": "boss", "password": PASSWORD})
        token = session["token"]
        status, history = call(port, "GET", f"/api/cases/{case_id}/history", token=token)
        assert status == 200 and [e["type"] for e in history][:2] == ["CaseOpened", "DeadlineSet"]
        assert "CardRaised" in [e["type"] for e in history]
        assert call(port, "GET", "/api/calls/c-1/cases", token=token)[1]["cases"][0]["case_id"] == case_id
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        serve.stderr.close()
