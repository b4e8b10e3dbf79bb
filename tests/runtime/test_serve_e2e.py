"""The main job end to end: ``callcenter serve`` as a process, a seat, a caller, the records."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
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
from tests.serve_process import wait_ready

pytestmark = [pytest.mark.sip, pytest.mark.timeout(120)]

LOCAL = "127.0.0.1"
TOKEN = "e2e-test-token-0123456789abcdef"


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


def api(port: int, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://{LOCAL}:{port}{path}", method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def start_serve(tmp_path: Path, prompts: Path, db: Path, sip_port: int, api_port: int,
                secrets: Path, agi_port: int | None = None) -> tuple[subprocess.Popen, list[str]]:
    env = {**os.environ, "CALLCENTER_API_TOKEN": TOKEN}
    serve = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--sip", f"{LOCAL}:{sip_port}",
         "--api", f"{LOCAL}:{api_port}", "--db", f"sqlite:///{db}", "--prompts", str(prompts),
         "--secrets", str(secrets),
         "--agi", f"{LOCAL}:{agi_port}" if agi_port else "off"],
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    return serve, wait_ready(serve)


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    from prometheus_client.parser import text_string_to_metric_families

    request = urllib.request.Request(f"http://{LOCAL}:{port}/metrics",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def stored_calls(db: Path) -> list:
    store = RecordStore.open(f"sqlite:///{db}")
    try:
        assert store.integrity_check() == "ok"
        return store.calls()
    finally:
        store.close()


async def one_call(sip_port: int, api_port: int) -> tuple[str, float]:
    """A seat registers and logs in, a caller dials 12345, the seat answers, they talk 1 s."""
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


def test_serve_takes_a_real_call_records_it_and_survives_a_kill(tmp_path, shared_prompts):
    secrets = tmp_path / "seats.secret"
    secrets.write_text("1001 = seat-1001-e2e-password\n", encoding="utf-8")
    secrets.chmod(0o600)
    sip_port, api_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    agi_port = free_port(socket.SOCK_STREAM)
    db = tmp_path / "records.db"
    serve, log_lines = start_serve(tmp_path, shared_prompts, db, sip_port, api_port, secrets,
                                   agi_port)
    try:
        # The FastAGI side is up too: an Asterisk channel for line 12345 gets answered.
        with socket.create_connection((LOCAL, agi_port), timeout=10) as agi:
            agi.sendall(b"agi_network: yes\nagi_network_script: 12345\n"
                        b"agi_request: agi://127.0.0.1/12345\nagi_channel: PJSIP/caller-1\n"
                        b"agi_uniqueid: 1700000000.1\nagi_callerid: 5551000\n\n")
            assert agi.makefile("rb").readline().strip() == b"ANSWER"
        # Not from an Asterisk host (asterisk.hosts: loopback 127.0.0.1 by default): closed unread.
        outsider = ("127.0.0.2", 0)
        with (socket.create_connection((LOCAL, agi_port), timeout=10, source_address=outsider) as other,
              contextlib.suppress(ConnectionResetError)):
            assert other.makefile("rb").read() == b""
        call_id, hung_up_at = asyncio.run(one_call(sip_port, api_port))
        # The counters scraped over HTTP match the one call placed over SIP.
        metrics = scrape(api_port)
        labels = (("language", "zh"), ("line", "12345"), ("queue", "zh-general"))
        assert metrics[("callcenter_calls_answered_total", labels)] == 1
        assert metrics[("callcenter_calls_offered_total", labels)] == 1
        assert metrics.get(("callcenter_calls_abandoned_total", labels), 0) == 0
        assert metrics[("callcenter_agi_refused_total", ())] == 1
        # The record reaches the disk; then the engine is killed without warning.
        deadline = time.monotonic() + 10
        while not [c for c in stored_calls(db) if c.call_id == call_id]:
            assert time.monotonic() < deadline, "the call record never reached the database"
            time.sleep(0.2)
    finally:
        serve.kill()
        _, rest = serve.communicate(timeout=30)
        log_lines.append(rest or "")
    log = "".join(log_lines)
    summary = re.search(rf"call_id={re.escape(call_id)} line=12345 language=zh queue=zh-general "
                        r"wait=(\S+) talk=(\S+) outcome=answered agent=1001", log)
    assert summary, log
    wait, talk = float(summary.group(1)), float(summary.group(2))
    assert 0 <= wait < 5 and 0.8 < talk < 5
    (record,) = [c for c in stored_calls(db) if c.call_id == call_id]  # integrity checked too
    assert record.outcome == "answered" and record.agent_id == "1001"
    assert abs(record.ended_at - hung_up_at) < 2

    # A restart on the same database keeps what was recorded and stops cleanly.
    serve, log_lines = start_serve(tmp_path, shared_prompts, db, sip_port, api_port, secrets)
    serve.send_signal(signal.SIGTERM)
    _, rest = serve.communicate(timeout=30)
    assert serve.returncode == 0, "".join(log_lines) + (rest or "")
    calls = {c.call_id: c for c in stored_calls(db)}
    assert calls.keys() == {call_id, "1700000000.1"}
    assert calls[call_id] == record  # what was recorded stays as it was
    agi_call = calls["1700000000.1"]  # the Asterisk channel hung up during the greeting
    assert (agi_call.line, agi_call.outcome, agi_call.queue) == ("12345", "ivr_abandoned", None)
