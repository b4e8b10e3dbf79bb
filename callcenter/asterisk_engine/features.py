"""Agent feature codes dialled from a seat (the one table, :mod:`agents.feature_codes`: ``*11``
login (ready), ``*12`` logout, ``*13`` ready, ``*14`` and ``*141``-``*147`` not ready with a
reason, ``*15`` wrap-up done), run over FastAGI as ``feature/<digits>``. The agent is the seat's
PJSIP endpoint (authenticated), not its caller id."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection

from acd import events as acd_ev
from agents.feature_codes import REFUSED_PROMPT, FeatureCode
from agents.feature_codes import feature_code as lookup
from callcenter.asterisk import AGICommandFailed, AGISession
from callcenter.asterisk_engine.channel_audio import SOUNDS
from callcenter.asterisk_engine.dialplan import RESULT_VARIABLE

log = logging.getLogger(__name__)

CONFIRMED = f"{SOUNDS}/seat_ok"
REFUSED = f"{SOUNDS}/seat_refused"
"""Tones (the embedded engine's confirmation beep) played when the spoken prompt is missing;
``asterisk-config`` always exports them for every language: no Asterisk core sound is needed."""


def answer_prompts(feature: FeatureCode | None, done: bool) -> tuple[str, str]:
    """What the seat hears, as the embedded engine says it (``feature_logged_in`` ...,
    ``feature_refused``, in the channel's language), then the tone if that is missing."""
    if done and feature is not None:
        return f"{SOUNDS}/{feature.prompt}", CONFIRMED
    return f"{SOUNDS}/{REFUSED_PROMPT}", REFUSED


_SEAT = re.compile(r"PJSIP/(?P<endpoint>[^/]+)-[0-9a-f]+$")


def seat_of(channel: str) -> str | None:
    """``PJSIP/1001-0000000a`` -> ``1001``."""
    match = _SEAT.match(channel)
    return match["endpoint"] if match else None


async def feature_code(session: AGISession, code: str, agents: Collection[str],
                       submit: Callable[[acd_ev.Event], bool]) -> None:
    """Carry out ``code`` for the seat on ``session``; confirm with a prompt, then hang up."""
    agent = seat_of(session.env.channel)
    feature = lookup(code)
    await session.answer()
    if agent is None or agent not in agents or feature is None:
        log.warning("feature code %r from %s refused", code, session.env.channel)
        done = False
    else:
        done = submit(feature.event(agent))
    await session.set_variable(RESULT_VARIABLE, "ok" if done else "refused")
    for prompt in answer_prompts(feature, done):
        try:
            await session.stream_file(prompt)
            break
        except AGICommandFailed:
            log.warning("sound %s missing in Asterisk's sounds", prompt)
    await session.hangup()
