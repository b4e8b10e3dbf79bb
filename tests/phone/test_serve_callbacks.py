"""``callcenter serve`` killed (-9) with a missed-call callback pending: a caller (pjsua2) gives
up waiting outside calling hours, the engine is killed before the callback is due, the next
engine (now within calling hours) dials it once, and after another restart the same caller
giving up again is not called back within the period."""

from __future__ import annotations

import shutil
import signal
import socket
import sqlite3
import time
from pathlib import Path

import pytest

from callcenter.config.loader import default_config_path
from callcenter.phone.softphone import AutoMode, PhoneEvent, Softphone
from tests.phone.test_outbound_missed import _hours_excluding_now
from tests.serve_process import API_TOKEN, call, drain, free_port, start_serve, stop

pytestmark = [pytest.mark.sip, pytest.mark.timeout(360)]
LOCAL = "127.0.0.1"
NUMBER = "13300133000"


def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


def _tasks(db: Path) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT task_id, number, state, attempts FROM outbound_tasks").fetchall()


def _abandoned(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM calls WHERE outcome = 'abandoned'").fetchone()[0]


def _config(tmp_path: Path, trunk_port: int, hours: str) -> Path:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    shutil.copy(default_config_path(), folder / "hotline.yaml")
    (folder / "outbound.yaml").write_text(
        f'outbound:\n  gateway: "{LOCAL}:{trunk_port}"\n  calling_hours: "{hours}"\n'
        "  missed_calls: {within_minutes: 1440, max_attempts: 1}\n", encoding="utf-8")
    return folder


def test_a_callback_pending_when_serve_is_killed_is_dialled_once_after_the_restart(
        tmp_path, prompts_dir, pj_worker):
    db, api, sip = tmp_path / "cc.db", free_port(), _udp_port()
    events: list[PhoneEvent] = []
    phone = Softphone(pj_worker, f"{LOCAL}:{sip}", NUMBER, on_event=events.append,
                      auto=AutoMode(answer_after=0.3))
    rang = lambda: sum(e.kind == "ringing" for e in events)  # noqa: E731

    logs: list[list[str]] = []  # each engine's log lines

    def serve(hours: str):
        process = start_serve(tmp_path, db, api, _config(tmp_path, pj_worker.port, hours),
                              sip=f"{LOCAL}:{sip}", extra=["--prompts", str(prompts_dir)])
        logs.append(drain(process))
        return process

    def give_up() -> None:
        """Call 12345 (no agent is logged in), wait in the queue, hang up."""
        before = _abandoned(db)
        phone.dial(f"sip:12345@{LOCAL}:{sip}")
        _until(lambda: sum(call(api, "GET", "/api/calls", token=API_TOKEN)[1]["waiting"].values()) == 1,
               30, "the caller in the queue")
        phone.hangup()
        _until(lambda: _abandoned(db) == before + 1, 15, "the abandoned call's record")

    engine = serve(_hours_excluding_now("Asia/Shanghai"))
    try:
        give_up()
        _until(lambda: [row[1:] for row in _tasks(db)] == [(NUMBER, "scheduled", 0)], 10, "the stored task")
    finally:
        stop(engine, signal.SIGKILL)
    assert rang() == 0

    engine = serve("00:00-23:59")
    try:
        _until(lambda: rang() == 1, 30, "the callback")
        _until(lambda: any(e.kind == "connected" for e in events[-3:]), 10, "the answer")
        phone.hangup()
        _until(lambda: [row[2:] for row in _tasks(db)] in ([("exhausted", 1)], [("done", 1)]), 30,
               "the callback's end")
    finally:
        stop(engine, signal.SIGTERM)

    engine = serve("00:00-23:59")
    try:
        give_up()
        _until(lambda: any("no callback (this number was already called back in the period)" in line
                           for line in logs[-1]), 10, "the refusal")
        assert len(_tasks(db)) == 1 and rang() == 1
    finally:
        stop(engine, signal.SIGTERM)
