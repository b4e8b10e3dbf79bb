"""SIPp peers: a caller pressing 9 then 1 with RFC 2833 pcaps reaches a SIPp agent seat,
which hangs up after talking; the engine then hangs up on the caller."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import pytest

from acd.events import AgentAnswered, AgentHungUp, AgentLoggedIn, CallArrived, CallerHungUp
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from callcenter.telephony.embedded import start_embedded

from .conftest import engine_parts
from .helpers import LOCAL, wait_for
from .pcaps import PCAPS, dtmf_pcap

pytestmark = [pytest.mark.sip, pytest.mark.timeout(40)]

SCENARIOS = Path(__file__).with_name("sipp")
SEAT, SEAT_PASSWORD = "1030", "seat-1030-sipp-pass"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


async def sipp(scenario: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", LOCAL, "-mi", LOCAL, "-m", "1",
        "-nostdin", "-timeout", "25s", "-timeout_error", *args,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


@pytest.mark.skipif(shutil.which("sipp") is None or not (PCAPS / "dtmf_2833_9.pcap").exists(),
                    reason="SIPp with its pcaps (sip-tester) is not installed")
def test_sipp_caller_picks_english_by_rfc2833_and_reaches_a_sipp_seat(prompts_dir, tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords={SEAT: SEAT_PASSWORD})
        # Register the seat from the port SIPp will listen on, then hand the port to SIPp:
        # the engine sends INVITEs to the address a registration came from.
        registrant = UserAgent(await open_endpoint(port=0), user=SEAT)
        reply = await registrant.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port),
                                          username=SEAT, password=SEAT_PASSWORD)
        assert reply is not None and reply.status == 200
        seat_port = registrant.port
        await registrant.endpoint.close()
        parts.driver.submit(AgentLoggedIn(SEAT, ready=True))
        seat = await sipp(SCENARIOS / "seat_uas.xml", "-p", str(seat_port), "-mp", str(free_udp_port()))
        await asyncio.sleep(0.3)
        keys = dtmf_pcap("91", tmp_path / "keys_91.pcap")  # 9: other languages, 1: English
        caller_xml = tmp_path / "caller_english.xml"
        caller_xml.write_text((SCENARIOS / "caller_english.xml").read_text()
                              .replace("@DTMF_PCAP@", str(keys)))
        caller = await sipp(caller_xml, f"{LOCAL}:{tel.port}", "-mp", str(free_udp_port()))
        await wait_for(lambda: parts.count(AgentAnswered), 15)
        (arrived,) = [e for e in parts.events if isinstance(e, CallArrived)]
        assert arrived.language == "en" and arrived.queue == "en-general"
        for process, name in ((caller, "caller"), (seat, "seat")):
            _, err = await asyncio.wait_for(process.communicate(), 15)
            assert process.returncode == 0, f"SIPp {name}: {err.decode()[-2000:]}"
        (record,) = parts.records
        assert record.outcome == "answered" and record.agent_id == SEAT
        assert record.language == "en" and 1.4 < record.talk < 5.0
        assert parts.count(AgentHungUp) == 1 and parts.count(CallerHungUp) == 0
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
        await tel.close()

    asyncio.run(scenario())
