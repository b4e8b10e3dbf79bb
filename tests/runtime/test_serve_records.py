"""Every call leaves a record, even through ``kill -9``; a second serve leaves the first one's
records alone. ``callcenter serve`` runs as a process, callers are real SIP user agents."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callcenter.records import RecordStore
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from tests.runtime.test_serve_e2e import LOCAL, TOKEN, api, free_port, scrape, start_serve

pytestmark = [pytest.mark.sip, pytest.mark.timeout(180)]


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    path = tmp_path / "seats.secret"
    path.write_text("1001 = seat-1001-e2e-password\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def records(db: Path) -> dict:
    with RecordStore.open(f"sqlite:///{db}", create=False) as store:
        return {c.call_id: c for c in store.calls()}


def wait_for(condition, timeout: float, what: str, db: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}: " + (
            repr(records(db)) if db else "")
        time.sleep(0.1)


async def place_calls(sip_port: int, hang_up_early: int, stay: int) -> tuple[list, list[str], list[str]]:
    """``hang_up_early`` callers to 12329 hang up during the greeting; ``stay`` callers to 12345
    stay on. Returns the user agents (to close later) and both groups' call ids."""
    agents, early, staying = [], [], []
    for number, count, ids in (("12329", hang_up_early, early), ("12345", stay, staying)):
        for i in range(count):
            ua = UserAgent(await open_endpoint(port=0), user=f"1390000{number}{i}", media=True)
            agents.append(ua)
            call: Call = await ua.call(f"sip:{number}@{LOCAL}:{sip_port}", (LOCAL, sip_port))
            assert call.status == 200
            ids.append(call.call_id)
            if number == "12329":
                await asyncio.sleep(0.3)
                reply = await ua.hangup(call)
                assert reply is not None and reply.status == 200
    return agents, early, staying


def test_a_killed_engine_leaves_open_records_that_the_next_start_closes_as_lost(
        tmp_path, shared_prompts, secrets):
    sip_port, api_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    db = tmp_path / "records.db"
    serve, log_lines = start_serve(tmp_path, shared_prompts, db, sip_port, api_port, secrets)
    loop = asyncio.new_event_loop()
    try:
        agents, early, staying = loop.run_until_complete(place_calls(sip_port, 2, 3))
        # No agent is logged in: the 12345 callers are in the IVR or waiting in the queue.
        wait_for(lambda: sum(c.outcome == "open" for c in records(db).values()) == 3
                 and all(records(db)[i].outcome == "ivr_abandoned" for i in early),
                 20, "the open records and the IVR abandons to reach the database", db)
        metrics = scrape(api_port)
        assert metrics[("callcenter_calls_arrived_total", (("line", "12329"),))] == 2
        assert metrics[("callcenter_calls_ended_total",
                        (("line", "12329"), ("outcome", "ivr_abandoned")))] == 2
        killed_at = time.time()
        serve.send_signal(signal.SIGKILL)
        serve.wait(timeout=30)
    finally:
        if serve.poll() is None:
            serve.kill()
        serve.communicate(timeout=30)
    for ua in agents:
        loop.run_until_complete(ua.endpoint.close())
    loop.close()
    before = records(db)
    assert sorted(i for i, c in before.items() if c.outcome == "open") == sorted(staying)

    serve, log_lines = start_serve(tmp_path, shared_prompts, db, sip_port, api_port, secrets)
    try:
        wait_for(lambda: all(records(db)[i].outcome == "lost" for i in staying), 20,
                 "the open records to be closed as lost")
    finally:
        serve.send_signal(signal.SIGTERM)
        _, rest = serve.communicate(timeout=30)
    log = "".join(log_lines) + (rest or "")
    assert "3 call(s) left open by an earlier run closed as lost" in log, log
    after = records(db)
    for call_id in staying:
        lost = after[call_id]
        assert lost.line == "12345" and lost.arrived_at <= lost.ended_at
        # ended when the dead engine was last seen alive: its heartbeat is every 5 s
        assert killed_at - 6.0 <= lost.ended_at <= killed_at, (lost, killed_at)
    for call_id in early:
        assert after[call_id] == before[call_id]  # closed records are never touched again
    assert serve.returncode == 0


def test_a_second_serve_on_the_same_database_exits_2_and_touches_nothing(
        tmp_path, shared_prompts, secrets):
    sip_port, api_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    db = tmp_path / "records.db"
    serve, _ = start_serve(tmp_path, shared_prompts, db, sip_port, api_port, secrets)
    try:
        agent = api(api_port, "/api/agents/1001/login", {"ready": True})
        assert agent["presence"] == "available"
        with RecordStore.open(f"sqlite:///{db}") as store:
            wait_for(lambda: store.agent_states_before(time.time() + 1).get("1001"), 10,
                     "the login to be recorded")
            events_before = store.events()
        env = {**os.environ, "CALLCENTER_API_TOKEN": TOKEN}
        for sip, http in ((sip_port, api_port),  # the same addresses
                          (free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM))):
            second = subprocess.run(
                [sys.executable, "-m", "callcenter.cli", "serve", "--sip", f"{LOCAL}:{sip}",
                 "--api", f"{LOCAL}:{http}", "--db", f"sqlite:///{db}", "--prompts",
                 str(shared_prompts), "--secrets", str(secrets), "--agi", "off"],
                capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
            assert second.returncode == 2, second.stderr
            lines = [line for line in second.stderr.strip().splitlines()
                     if "WARNING callcenter: config:" not in line]  # the config's own warnings
            assert len(lines) == 1, second.stderr
            assert "in use by another engine" in lines[0] and str(serve.pid) in lines[0]
        with RecordStore.open(f"sqlite:///{db}") as store:
            assert store.events() == events_before  # no one was logged out
        assert api(api_port, "/api/agents/1001")["presence"] == "available"
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.communicate(timeout=30)
    assert serve.returncode == 0


def test_report_reads_the_database_serve_writes_by_default(tmp_path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    env = {k: v for k, v in os.environ.items() if k != "CALLCENTER_DB"}
    cli = [sys.executable, "-m", "callcenter.cli"]
    served = subprocess.run([*cli, "serve", "--sip", "off", "--api", "off", "--agi", "off",
                             "--run-for", "0.2"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=60)
    assert served.returncode == 0, served.stderr
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    report = subprocess.run([*cli, "report", "--day", today], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=60)
    assert report.returncode == 0, report.stderr
    assert "daily report for" in report.stdout


def test_a_12329_caller_who_keys_the_id_and_hash_hears_the_balance_and_the_report_shows_it(
        tmp_path, shared_prompts):
    """The README's path: serve on its defaults in an empty folder, a caller to 12329 presses
    1, the 18-digit ID and #, hears the balance read out (not goodbye), and ``report --day``
    run in the same folder counts the call as self-service on line 12329."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from callcenter.media.dtmf import dtmf_packets
    from callcenter.media.rtp import RtpSender

    env = {k: v for k, v in os.environ.items() if k != "CALLCENTER_DB"}
    sip_port = free_port(socket.SOCK_DGRAM)
    cli = [sys.executable, "-m", "callcenter.cli"]
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        serve = subprocess.Popen([*cli, "serve", "--sip", f"{LOCAL}:{sip_port}", "--api", "off",
                                  "--agi", "off", "--prompts", str(shared_prompts)],
                                 stderr=sink, text=True, env=env, cwd=tmp_path)
    try:
        wait_for(lambda: "engine ready" in log.read_text(), 90, "serve to start")

        async def caller() -> tuple[str, float, float]:
            ua = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
            call = await ua.call(f"sip:12329@{LOCAL}:{sip_port}", (LOCAL, sip_port))
            assert call.status == 200
            rtp = await call.media()
            sender = RtpSender(call.payload_type)  # one stream, as a phone keeps for a call

            async def keys(digits: str) -> None:
                for digit in digits:
                    for packet in dtmf_packets(sender, digit, payload_type=call.dtmf_payload_type):
                        rtp.send(packet, call.remote_media)
                        await asyncio.sleep(0.02)
                    await asyncio.sleep(0.15)

            await asyncio.sleep(2.0)  # into the welcome
            await keys("1")
            await asyncio.sleep(2.0)  # into "enter your 18-digit ID, then #"
            await keys("420111196606283771#")  # in the sample data: balance 234681.64
            pressed = time.monotonic()
            await asyncio.wait_for(call.ended.wait(), 60)  # the engine says goodbye and hangs up
            ended = time.monotonic()
            await ua.endpoint.close()
            return call.call_id, pressed, ended

        call_id, pressed, ended = asyncio.run(caller())
        # "your balance is", the amount, the options, their 6 s wait, goodbye: well over 8 s.
        # With the # taken as the balance menu's key the caller got goodbye within 3 s.
        assert ended - pressed > 8.0, ended - pressed
        db = tmp_path / "var" / "callcenter.db"
        wait_for(lambda: records(db).get(call_id) is not None
                 and records(db)[call_id].outcome == "self_service", 10,
                 f"the record of {call_id} (serve's log: {log.read_text()})", db)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
    assert serve.returncode == 0, log.read_text()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    report = subprocess.run([*cli, "report", "--day", today], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=60)
    assert report.returncode == 0, report.stderr
    ended_section = report.stdout.split("Calls by line: where they ended")[1]
    row = next(line for line in ended_section.splitlines() if line.startswith("12329"))
    numbers = [int(word) for word in row.split() if word.isdigit() and word != "12329"]
    assert numbers == [1, 0, 1, 0, 0, 0, 0], row  # calls, to queue, self-service, ...
