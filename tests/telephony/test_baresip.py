"""baresip as an agent seat: it registers with digest auth, dials *11, auto-answers, talks."""

from __future__ import annotations

import asyncio
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from acd.events import AgentAnswered, AgentLoggedIn, AgentLoggedOut
from callcenter.media.dtmf import detect_tone
from callcenter.media.player import PromptPlayer
from callcenter.media.rtp import RtpSender
from callcenter.media.rtp_endpoint import play
from callcenter.media.tone import sine
from callcenter.telephony.embedded import start_embedded

from .conftest import engine_parts
from .helpers import LOCAL, Listener, new_caller, press, wait_for

MODULES = Path("/usr/lib/baresip/modules")
SEAT, SEAT_PASSWORD = "1030", "seat-1030-baresip-pass"

pytestmark = [
    pytest.mark.sip, pytest.mark.timeout(40),
    pytest.mark.skipif(shutil.which("baresip") is None or not (MODULES / "aufile.so").exists(),
                       reason="baresip (with its aufile, sndfile and aubridge modules) is not installed"),
]


def baresip_home(home: Path, engine_port: int) -> Path:
    """A baresip config: a 600 Hz tone as microphone, received audio saved as WAV files."""
    tone = home / "tone600.wav"
    with wave.open(str(tone), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(sine(600, 20).tobytes())
    (home / "snd").mkdir()
    modules = ["g711", "aufile", "aubridge", "sndfile", "account", "menu"]
    (home / "config").write_text("\n".join([
        f"module_path {MODULES}", f"sip_listen {LOCAL}:0", f"audio_source aufile,{tone}",
        "audio_player aubridge,nil", "audio_alert aubridge,nil", f"snd_path {home / 'snd'}",
        "jitter_buffer_delay 0-0",  # no jitter buffer: relayed audio is recorded as it comes
        *(f"module {name}.so" for name in modules)]) + "\n")
    (home / "accounts").write_text(
        f"<sip:{SEAT}@{LOCAL}:{engine_port}>;auth_pass={SEAT_PASSWORD};answermode=auto;"
        "regint=300;audio_codecs=PCMU,PCMA\n")
    return home


async def last_dump(folder: Path, timeout: float = 3.0) -> tuple[np.ndarray, int]:
    """What baresip received on its latest call (the WAV is complete once the call ended)."""
    for _ in range(int(timeout / 0.1)):
        dumps = sorted(folder.glob("*-dec.wav"), key=lambda path: path.stat().st_mtime)
        try:
            with wave.open(str(dumps[-1]), "rb") as wav:
                samples = np.frombuffer(wav.readframes(wav.getnframes()), np.int16)
                if len(samples) >= wav.getframerate() // 2:
                    return samples, wav.getframerate()
        except (IndexError, EOFError, wave.Error):
            pass  # not there, or still being written
        await asyncio.sleep(0.1)
    raise AssertionError(f"no complete recording in {sorted(p.name for p in folder.iterdir())}")


def test_baresip_seat_logs_in_by_feature_code_and_talks(prompts_dir, tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords={SEAT: SEAT_PASSWORD})
        home = baresip_home(tmp_path, tel.port)
        seat = await asyncio.create_subprocess_exec(
            "baresip", "-f", str(home), "-e", f"/dial sip:*11@{LOCAL}:{tel.port}",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        try:
            await wait_for(lambda: parts.count(AgentLoggedIn), 10)
            assert tel.registrar.contact_for(SEAT) is not None
            await wait_for(lambda: not tel.control.callers, 3)  # the *11 confirmation ended
            await asyncio.sleep(1.1)  # baresip names its per-call recordings by the second
            caller = await new_caller()
            call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
            rtp = await call.media()
            await press(call, "91", rtp)
            await wait_for(lambda: parts.count(AgentAnswered), 10)
            heard = Listener()
            await asyncio.sleep(0.3)
            rtp.on_packet = heard
            await play(rtp, PromptPlayer([sine(1000, 1.0)]), RtpSender(call.payload_type),
                       call.remote_media, payload_type=call.payload_type)
            await caller.hangup(call)
            by_caller = heard.tail(0.5)
            assert detect_tone(by_caller, 8000, 600.0)
            assert not detect_tone(by_caller, 8000, 1000.0, threshold=0.2)
            (record,) = parts.records
            assert record.outcome == "answered" and record.agent_id == SEAT
            assert record.language == "en" and 0.9 < record.talk < 4
            at_seat, rate = await last_dump(home / "snd")
            assert detect_tone(at_seat[-int(0.8 * rate):-int(0.2 * rate)], rate, 1000.0)
            await caller.endpoint.close()
        finally:
            seat.terminate()
            await asyncio.wait_for(seat.wait(), 5)
        await wait_for(lambda: parts.count(AgentLoggedOut), 3)  # unregistered on the way out
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
        await tel.close()

    asyncio.run(scenario())
