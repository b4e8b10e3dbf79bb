"""The main job end to end: ``callcenter serve`` as a process, a seat, a caller, the records."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from callcenter.records import RecordStore
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent

pytestmark = [pytest.mark.sip, pytest.mark.timeout(120)]

LOCAL = "127.0.0.1"
TOKEN = "e2e-test-token-0123456789abcdef"


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def shared_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: serve cannot build its prompts")
    return tmp_path_factory.mktemp("serve-prompts")


def api(port: int, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://{LOCAL}:{port}{path}", method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_serve_takes_a_real_call_from_caller_to_seat_and_records_it(tmp_path, shared_prompts):
    secrets = tmp_path / "seats.secret"
    secrets.write_text("1001 = seat-1001-e2e-password\n", encoding="utf-8")
    secrets.chmod(0o600)
    sip_port, api_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    db = tmp_path / "records.db"
    env = {**os.environ, "CALLCENTER_API_TOKEN": TOKEN}
    serve = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--sip", f"{LOCAL}:{sip_port}",
         "--api", f"{LOCAL}:{api_port}", "--db", f"sqlite:///{db}", "--prompts",
         str(shared_prompts), "--secrets", str(secrets)],
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    log_lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = serve.stderr.readline()
            if not line:
                break
            log_lines.append(line)
            if "engine ready" in line:
                break
        assert any("engine ready" in line for line in log_lines), "".join(log_lines)

        async def call_flow() -> tuple[str, float]:
            rung: list[Call] = []
            seat = UserAgent(await open_endpoint(port=0), user="1001", media=True,
                             on_call=rung.append, auto_answer=True)
            reply = await seat.register(f"sip:{LOCAL}:{sip_port}", (LOCAL, sip_port),
                                        username="1001", password="seat-1001-e2e-password")
            assert reply is not None and reply.status == 200
            agent = await asyncio.to_thread(api, api_port, "/api/agents/1001/login", {"ready": True})
            assert agent["presence"] == "available"
            caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
            call = await caller.call(f"sip:12345@{LOCAL}:{sip_port}", (LOCAL, sip_port))
            assert call.status == 200
            async def rang() -> None:
                while not rung:
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(rang(), 20)  # greeting, no digit = Mandarin, queue, seat
            await asyncio.wait_for(rung[0].confirmed.wait(), 5)
            await asyncio.sleep(1.0)  # talk
            hung_up_at = time.time()
            reply = await caller.hangup(call)
            assert reply is not None and reply.status == 200
            await asyncio.wait_for(rung[0].ended.wait(), 5)
            await caller.endpoint.close()
            await seat.endpoint.close()
            return call.call_id, hung_up_at

        call_id, hung_up_at = asyncio.run(call_flow())
    finally:
        serve.send_signal(signal.SIGTERM)
        _, rest = serve.communicate(timeout=30)
        log_lines.append(rest or "")
    log = "".join(log_lines)
    assert serve.returncode == 0, log
    summary = re.search(rf"call_id={re.escape(call_id)} line=12345 language=zh queue=zh-general "
                        r"wait=(\S+) talk=(\S+) outcome=answered agent=1001", log)
    assert summary, log
    wait, talk = float(summary.group(1)), float(summary.group(2))
    assert 0 <= wait < 5 and 0.8 < talk < 5
    store = RecordStore.open(f"sqlite:///{db}")
    try:
        (record,) = [c for c in store.calls() if c.call_id == call_id]
        assert record.outcome == "answered" and record.agent_id == "1001"
        assert abs(record.ended_at - hung_up_at) < 2
        assert store.integrity_check() == "ok"
    finally:
        store.close()
