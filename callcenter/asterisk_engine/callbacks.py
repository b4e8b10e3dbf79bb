"""Callbacks over Asterisk, as on the embedded engine (the call object decides: a waiting
caller accepts one in the ``queue_busy`` flow, hangs up and keeps their place; when the ACD
offers the call, the seat rings and, once it answers, the caller is called back).

* The seat rings by AMI ``Originate`` (``Channel: PJSIP/<agent>``, the ACD's ring timeout, the
  caller's number shown), whose answered channel runs ``AGI(<agi>/callback/<call id>)``.
  Outcomes as recorded (``live/ami_originate_to_seat.txt``): Reason 4 answered; Failure /
  Reason 0 (unregistered seat, unknown endpoint, busy), 1, 3, 5, 8 or a refused action: the
  seat declined, the ACD moves on.
* On that session (the seat's channel) the channel's caller id becomes the line's number and
  ``Dial(PJSIP/<number>@<trunk>,<dial-back timeout>,...)`` calls the caller back through the
  configured trunk (:meth:`.agi_call.AsteriskCall.call_back`).

The number called back is the caller's own: the channel's ``CALLERID(num)`` when the call came
in on the trunk (:func:`trunk_number`), only if it is exactly a mainland phone number; never
digits the caller keyed, nor a caller ID from any other endpoint. Without AMI
no callback is offered.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from callcenter.asterisk import AGIEnvironment, OriginateOutcome
from callcenter.core_port import Core
from callcenter.task_set import TaskSet
from outbound.numbers import dialable

from .dialplan import LINES_CONTEXT

log = logging.getLogger(__name__)

DIAL_BACK_TIMEOUT = 30  # seconds the caller's phone may ring, as on the embedded engine
Originate = Callable[..., Awaitable[OriginateOutcome]]


def callback_number(callerid: str) -> str | None:
    """The caller's own number to call back (national form), or None if it is not exactly a
    mainland phone number (``13800001``, ``anonymous``, a SIP URI ...)."""
    return dialable(callerid)


def trunk_number(env: AGIEnvironment, trunk: str) -> str | None:
    """The caller's own number (see :func:`callback_number`) of a call that came in on the
    trunk: its channel is the trunk endpoint's (``PJSIP/<trunk>-...``: identified by the
    carrier's address, the one endpoint rendered with ``trust_id_inbound=yes``) in the lines
    context. None on any other channel or context: that caller ID is what its peer chose."""
    on_trunk = re.fullmatch(rf"PJSIP/{re.escape(trunk)}-[0-9a-f]{{8}}", env.channel)
    if env.context != LINES_CONTEXT or not on_trunk:
        return None
    return callback_number(env.callerid)


class AsteriskCallbacks:
    """The seats rung by AMI for callers waiting for a callback."""

    def __init__(self, driver: Core, *, trunk: str = "trunk",
                 dial_back_timeout: int = DIAL_BACK_TIMEOUT) -> None:
        self.driver = driver
        self.trunk = trunk
        self.dial_back_timeout = dial_back_timeout
        self.originate: Originate | None = None  # AMI's
        self.connected: Callable[[], bool] = lambda: True  # AMI's link is up
        self.agi_url: str | None = None  # where Asterisk reaches our FastAGI
        self._tasks = TaskSet()

    @property
    def available(self) -> bool:
        """A callback can be placed now (AMI up): else none is offered."""
        return self.originate is not None and self.agi_url is not None and self.connected()

    async def ring(self, agent: str, call_id: str, line: str, number: str,
                   ring_timeout: float) -> bool:
        """Ring ``agent``'s seat for the caller of ``call_id``: True if it answered (its
        channel then runs ``callback/<call id>``)."""
        if self.originate is None or self.agi_url is None:
            return False
        try:
            outcome = await self.originate(
                f"PJSIP/{agent}", application="AGI", data=f"{self.agi_url}/callback/{call_id}",
                timeout_ms=max(1000, math.floor(ring_timeout * 1000)),
                caller_id=f'"{line}" <{number}>')
        except Exception as exc:  # AMI down or slow: the seat did not ring
            log.warning("callback ring of %s for %s failed: %r", agent, call_id, exc)
            return False
        log.info("callback ring of %s for %s: %s (reason %s)", agent, call_id,
                 outcome.result.value, outcome.reason)
        return outcome.answered

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(work)

    async def close(self) -> None:
        await self._tasks.close()
