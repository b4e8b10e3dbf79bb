"""pjsua2 peers end to end: a pjsua2 caller and ``callcenter agent-phone`` as the English seat."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from acd.events import AgentAnswered, CallArrived, CallerHungUp
from agents.seat import Activity, Presence
from callcenter.config import load_config
from callcenter.config.schema import Transfers
from callcenter.media.dtmf import detect_tone
from callcenter.phone.softphone import PhoneEvent, Softphone
from callcenter.records import call_summary_line
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from tests.telephony.conftest import engine_parts
from tests.telephony.helpers import press, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]

LOCAL = "127.0.0.1"
SEAT, SEAT_PASSWORD = "1030", "seat-1030-pjsua2-pass"


async def read_wav(path: Path, timeout: float = 3.0) -> tuple[np.ndarray, int]:
    """The samples of a WAV file pjsua2 finishes asynchronously (its header comes last)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            with wave.open(str(path), "rb") as wav:
                frames = wav.readframes(wav.getnframes())
                if frames:
                    return np.frombuffer(frames, np.int16), wav.getframerate()
        except (wave.Error, EOFError, FileNotFoundError):
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path.name} was not completed")
        await asyncio.sleep(0.05)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


@pytest.fixture
def seats():
    """Agent-phone processes a failed test left running are killed afterwards."""
    started: list[SeatProcess] = []
    yield started
    for seat in started:
        if seat.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(seat.process.pid, signal.SIGKILL)


class SeatProcess:
    """``callcenter agent-phone`` in auto mode; its output lines are collected as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode().strip())

    def saw(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for line in self.lines)

    async def quit(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write(b"quit\n")
        self.process.stdin.close()
        try:
            return await asyncio.wait_for(self.process.wait(), 10)
        finally:
            if self.process.returncode is None:
                self.process.kill()
            await self.reader


async def start_seat(port: int, record: Path) -> SeatProcess:
    env = {**os.environ, f"CALLCENTER_SIP_PASSWORD_{SEAT}": SEAT_PASSWORD}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter.cli", "agent-phone", "--server", f"{LOCAL}:{port}",
        "--agent", SEAT, "--login", "--auto-answer", "0.5", "--tone", "600",
        "--record", str(record), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env=env)
    return SeatProcess(process)


def test_pjsua2_caller_picks_english_and_talks_to_an_agent_phone(prompts_dir, pj_worker, tmp_path,
                                                                  seats):
    async def scenario():
        loop = asyncio.get_running_loop()
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords={SEAT: SEAT_PASSWORD})
        seat = await start_seat(tel.port, tmp_path / "seat.wav")
        seats.append(seat)
        await wait_for(lambda: seat.saw("feature call=0 *11 ok"), 15)
        assert seat.saw("registered")
        assert parts.acd.seat(SEAT).presence is Presence.AVAILABLE

        events: list[PhoneEvent] = []
        caller = await asyncio.to_thread(
            Softphone, pj_worker, f"{LOCAL}:{tel.port}", "13800138000",
            on_event=lambda event: loop.call_soon_threadsafe(events.append, event))
        call = await asyncio.to_thread(caller.dial, "12345")
        await wait_for(lambda: any(e.kind == "media" and e.call == call for e in events), 5)
        await asyncio.to_thread(caller.record, tmp_path / "ivr.wav", call)
        await asyncio.sleep(1.5)  # the greeting
        await asyncio.to_thread(caller.digits, "9", call)  # other languages (RFC 2833)
        await asyncio.sleep(0.8)
        await asyncio.to_thread(caller.digits, "1", call)  # English
        await wait_for(lambda: parts.count(CallArrived), 8)
        arrived_at = loop.time()
        (arrived,) = [e for e in parts.events if isinstance(e, CallArrived)]
        assert arrived.language == "en" and arrived.queue == "en-general"
        await wait_for(lambda: seat.saw("ringing"), 5)
        await wait_for(lambda: parts.count(AgentAnswered), 5)
        answered_at = loop.time()
        await asyncio.to_thread(caller.stop_recording, call)
        await asyncio.to_thread(caller.record, tmp_path / "talk.wav", call)
        await asyncio.to_thread(caller.tone, 1000, call)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(caller.hangup, call)
        await wait_for(lambda: parts.count(CallerHungUp), 5)
        hung_up_at = loop.time()
        await wait_for(lambda: any(e.kind == "ended" and e.call == call for e in events), 5)
        await wait_for(lambda: seat.saw("ended"), 5)

        assert seat.saw("connected")
        ivr, rate = await read_wav(tmp_path / "ivr.wav")
        assert len(ivr) > rate * 1.0 and rms(ivr[: rate]) > 300  # a prompt, not silence
        talk, rate = await read_wav(tmp_path / "talk.wav")
        heard_by_caller = talk[-int(0.5 * rate):]
        assert detect_tone(heard_by_caller, rate, 600.0)
        assert not detect_tone(heard_by_caller, rate, 1000.0, threshold=0.2)
        at_seat, rate = await read_wav(tmp_path / "seat.wav")
        heard_at_seat = at_seat[-int(0.8 * rate):-int(0.2 * rate)]
        assert detect_tone(heard_at_seat, rate, 1000.0)
        assert not detect_tone(heard_at_seat, rate, 600.0, threshold=0.2)

        (record,) = parts.records
        fields = dict(item.split("=", 1) for item in call_summary_line(record).split())
        assert fields["outcome"] == "answered" and fields["agent"] == SEAT
        assert fields["language"] == "en" and fields["queue"] == "en-general"
        wait, talk_time = float(fields["wait"]), float(fields["talk"])
        assert 0.5 <= wait < 3 and abs(wait - (answered_at - arrived_at)) < 0.15
        assert abs(talk_time - (hung_up_at - answered_at)) < 0.15 and talk_time > 1.4
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs

        assert await seat.quit() == 0
        await wait_for(lambda: parts.acd.seat(SEAT).presence is Presence.LOGGED_OUT, 3)
        await tel.close()

    asyncio.run(scenario())


def test_agent_phone_text_ui_logs_in_answers_hangs_up_and_wraps_up(prompts_dir, tmp_path, seats):
    async def scenario():
        dept_calls: list[Call] = []
        department = UserAgent(await open_endpoint(port=0), user="053100100001", media=True,
                               on_call=dept_calls.append, auto_answer=True)
        config = load_config()
        config = config.model_copy(update={
            "transfers": Transfers(gateway=f"{LOCAL}:{department.port}")})
        parts = engine_parts(config=config)
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords={SEAT: SEAT_PASSWORD})
        secrets = tmp_path / "seat.secret"
        secrets.write_text(f"{SEAT} = {SEAT_PASSWORD}\n", encoding="utf-8")
        secrets.chmod(0o600)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "callcenter.cli", "agent-phone", "--server",
            f"{LOCAL}:{tel.port}", "--agent", SEAT, "--password-file", str(secrets),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        seat = SeatProcess(process)
        seats.append(seat)
        assert process.stdin is not None

        async def do(command: str, expect: str, timeout: float = 5) -> None:
            seen = len(seat.lines)
            process.stdin.write(command.encode() + b"\n")
            try:
                await wait_for(lambda: any(expect in line for line in seat.lines[seen:]), timeout)
            except TimeoutError:
                raise AssertionError(f"{command!r}: no {expect!r} in {seat.lines[seen:]}") from None

        await wait_for(lambda: seat.saw("registered"), 10)
        acd = parts.acd
        await do("login", "feature call=0 *11 ok")
        assert acd.seat(SEAT).presence is Presence.AVAILABLE
        caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(call, "91")
        await wait_for(lambda: seat.saw("ringing"), 8)
        await do("answer", "connected")
        await wait_for(lambda: parts.count(AgentAnswered), 3)
        await do("hangup", "ended")
        await asyncio.wait_for(call.ended.wait(), 3)
        assert call.end_reason == "remote BYE"
        assert acd.seat(SEAT).activity is Activity.WRAP_UP
        await do("wrapup", "*15 ok")
        assert acd.seat(SEAT).activity is Activity.IDLE
        await do("wrapup", "*15 refused 403")  # not in wrap-up any more
        # A second caller, blind-transferred to the housing authority by the agent.
        second = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(second, "91")
        await wait_for(lambda: sum(line.startswith("ringing") for line in seat.lines) == 2, 8)
        await do("answer", "connected")
        await do("transfer housing", "error usage: transfer NUMBER")
        await do("transfer 053100100001", "ended")  # REFER, NOTIFY 200, the seat is released
        await wait_for(lambda: dept_calls and dept_calls[0].state == "confirmed", 5)
        assert second.state == "confirmed" and acd.seat(SEAT).activity is Activity.WRAP_UP
        await caller.hangup(second)
        await asyncio.wait_for(dept_calls[0].ended.wait(), 3)
        await do("wrapup", "*15 ok")
        await do("notready lunch", "error unknown reason 'lunch'")
        await do("notready meal", "*142 ok")
        assert acd.seat(SEAT).presence is Presence.NOT_READY and acd.seat(SEAT).reason == "meal"
        await do("notready", "*14 ok")
        assert acd.seat(SEAT).reason == "break"
        await do("dance", "error unknown command")
        await do("answer", "error no call")  # nothing is ringing
        await do("logout", "*12 ok")
        assert acd.seat(SEAT).presence is Presence.LOGGED_OUT
        assert await seat.quit() == 0
        assert [(r.outcome, r.agent_id) for r in parts.records] == [("answered", SEAT)] * 2
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
        await caller.endpoint.close()
        await department.endpoint.close()
        await tel.close()

    asyncio.run(scenario())
