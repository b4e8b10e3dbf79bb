"""Agent feature codes dialled from a seat: ``*11`` login (ready), ``*12`` logout, ``*13`` ready,
``*14`` not ready. The agent is the seat's PJSIP endpoint (authenticated), not its caller id."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Collection

from acd import events as acd_ev
from callcenter.asterisk import AGICommandFailed, AGISession

log = logging.getLogger(__name__)

RESULT_VARIABLE = "CALLCENTER_RESULT"
FEATURES = {"11": "login", "12": "logout", "13": "ready", "14": "not_ready"}
CONFIRMED = "callcenter/seat_ok"
REFUSED = "callcenter/seat_refused"
"""The seat's answer: our own tones (the embedded engine's confirmation beep), which
``asterisk-config`` exports for every language, so no Asterisk core sound is needed."""
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
    prompt = CONFIRMED if done else REFUSED
    with contextlib.suppress(AGICommandFailed):
        await session.stream_file(prompt)
    await session.hangup()
