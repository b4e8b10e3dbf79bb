"""Agent feature codes dialled from a seat: ``*11`` login (ready), ``*12`` logout, ``*13`` ready,
``*14`` not ready. The agent is the seat's PJSIP endpoint (authenticated), not its caller id."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection

from acd import events as acd_ev
from callcenter.asterisk import AGICommandFailed, AGISession
from callcenter.asterisk_engine.channel_audio import SOUNDS
from callcenter.asterisk_engine.dialplan import RESULT_VARIABLE
from callcenter.telephony.feature_codes import CONFIRMATION_PROMPTS, REFUSED_PROMPT

log = logging.getLogger(__name__)

FEATURES = {"11": "login", "12": "logout", "13": "ready", "14": "not_ready"}
CONFIRMED = f"{SOUNDS}/seat_ok"
REFUSED = f"{SOUNDS}/seat_refused"
"""Tones (the embedded engine's confirmation beep) played when the spoken prompt is missing;
``asterisk-config`` always exports them for every language: no Asterisk core sound is needed."""


def answer_prompts(code: str, done: bool) -> tuple[str, str]:
    """What the seat hears, as the embedded engine says it (``feature_logged_in`` ...,
    ``feature_refused``, in the channel's language), then the tone if that is missing."""
    if done:
        key = CONFIRMATION_PROMPTS["*" + code.lstrip("*")]
        return f"{SOUNDS}/{key}", CONFIRMED
    return f"{SOUNDS}/{REFUSED_PROMPT}", REFUSED
_SEAT = re.compile(r"PJSIP/(?P<endpoint>[^/]+)-[0-9a-f]+$")


def seat_of(channel: str) -> str | None:
    """``PJSIP/1001-0000000a`` -> ``1001``."""
    match = _SEAT.match(channel)
    return match["endpoint"] if match else None


def feature_event(action: str, agent: str) -> acd_ev.Event:
    """The ACD event of a feature code's action for ``agent``."""
    if action == "login":
        return acd_ev.AgentLoggedIn(agent, ready=True)
    if action == "logout":
        return acd_ev.AgentLoggedOut(agent)
    if action == "ready":
        return acd_ev.AgentReady(agent)
    return acd_ev.AgentNotReady(agent, "break")


async def feature_code(session: AGISession, code: str, agents: Collection[str],
                       submit: Callable[[acd_ev.Event], bool]) -> None:
    """Carry out ``code`` for the seat on ``session``; confirm with a prompt, then hang up."""
    agent = seat_of(session.env.channel)
    action = FEATURES.get(code.lstrip("*"))
    await session.answer()
    if agent is None or agent not in agents or action is None:
        log.warning("feature code %r from %s refused", code, session.env.channel)
        done = False
    else:
        done = submit(feature_event(action, agent))
    await session.set_variable(RESULT_VARIABLE, "ok" if done else "refused")
    for prompt in answer_prompts(code, done):
        try:
            await session.stream_file(prompt)
            break
        except AGICommandFailed:
            log.warning("sound %s missing in Asterisk's sounds", prompt)
    await session.hangup()
