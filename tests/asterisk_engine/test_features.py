"""Agent feature codes dialled from a seat reach the ACD through the FastAGI handler."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import AgentLoggedIn, AgentLoggedOut, AgentNotReady, AgentReady, WrapUpDone
from agents.feature_codes import FEATURE_CODES
from callcenter.telephony.feature_codes import FEATURE_CODES as EMBEDDED

from .conftest import engine_parts, start, wait_for
from .fake_asterisk import FakeChannel

pytestmark = pytest.mark.timeout(20)


def dial_codes(*calls: tuple[str, str], missing: frozenset[str] = frozenset()):
    """Each ``(seat endpoint, code)`` dials ``*<code>``; returns the parts and the channels."""

    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        channels = []
        for endpoint, code in calls:
            channel = FakeChannel(running.port, f"feature/{code}", channel=f"PJSIP/{endpoint}",
                                  callerid=endpoint, missing_sounds=missing)
            await channel.run()
            channels.append(channel)
        await wait_for(lambda: len(running.ends) == len(calls))
        await running.server.close()
        return parts, channels

    return asyncio.run(scenario())


def test_login_not_ready_ready_logout_from_the_seat():
    parts, channels = dial_codes(("1001", "11"), ("1001", "14"), ("1001", "13"), ("1001", "12"))
    assert parts.events == [AgentLoggedIn("1001", ready=True), AgentNotReady("1001", "break"),
                            AgentReady("1001"), AgentLoggedOut("1001")]
    login, not_ready, ready, logout = channels
    assert login.commands == ["ANSWER", 'SET VARIABLE CALLCENTER_RESULT "ok"',
                              'STREAM FILE callcenter/feature_logged_in ""', "HANGUP"]
    for channel, said in ((not_ready, "feature_not_ready"), (ready, "feature_ready"),
                          (logout, "feature_logged_out")):
        assert f'STREAM FILE callcenter/{said} ""' in channel.commands
        assert 'STREAM FILE callcenter/seat_ok ""' not in channel.commands
    assert parts.acd.seat("1001").presence.value == "logged_out"


def test_codes_from_unknown_seats_or_refused_by_the_acd_change_nothing():
    parts, channels = dial_codes(("trunk", "11"), ("1001", "13"), ("1001", "99"))
    # the trunk is no agent; 1001 is logged out so cannot be ready; 99 is no feature code
    assert [e for e in parts.events if not isinstance(e, AgentReady)] == []
    assert parts.acd.seat("1001").presence.value == "logged_out"
    for channel in channels:
        assert channel.variables["CALLCENTER_RESULT"] == "refused"
        assert [c for c in channel.commands if c.startswith("STREAM")] == [
            'STREAM FILE callcenter/feature_refused ""']


def test_a_seat_hears_our_tone_when_the_spoken_prompt_is_not_installed():
    """As the embedded engine beeps when the prompt file is missing; never a core sound."""
    missing = frozenset({"callcenter/feature_logged_in", "callcenter/feature_refused"})
    _, (login, refused) = dial_codes(("1001", "11"), ("1001", "11"), missing=missing)
    assert [c for c in login.commands if c.startswith("STREAM")] == [
        'STREAM FILE callcenter/feature_logged_in ""', 'STREAM FILE callcenter/seat_ok ""']
    assert [c for c in refused.commands if c.startswith("STREAM")] == [
        'STREAM FILE callcenter/feature_refused ""', 'STREAM FILE callcenter/seat_refused ""']


def test_not_ready_reasons_and_wrap_up_done_as_on_the_embedded_engine():
    """*141-*147 and *15 (missing over Asterisk before): the same table as the SIP engine."""
    parts, channels = dial_codes(("1001", "11"), ("1001", "142"), ("1001", "147"), ("1001", "13"),
                                 ("1001", "15"))
    assert parts.events == [AgentLoggedIn("1001", ready=True), AgentNotReady("1001", "meal"),
                            AgentNotReady("1001", "technical"), AgentReady("1001"), WrapUpDone("1001")]
    said = [[c for c in channel.commands if c.startswith("STREAM")] for channel in channels]
    assert said[1] == said[2] == ['STREAM FILE callcenter/feature_not_ready ""']
    # 1001 was not in wrap-up: the ACD refuses *15, and the seat hears so
    assert said[4] == ['STREAM FILE callcenter/feature_refused ""']
    assert set(EMBEDDED) == set(FEATURE_CODES) and len(FEATURE_CODES) == 12
