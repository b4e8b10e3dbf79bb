"""Callbacks over Asterisk, as on the embedded engine: a waiting caller accepts one (the
``queue_busy`` flow), hangs up and keeps their place; when the ACD offers the call, the agent's
seat rings and, once it answers, the caller is called back and bridged to the agent.

* The seat rings by AMI ``Originate`` (``Channel: PJSIP/<agent>``, the ACD's ring timeout, the
  caller's number shown), whose answered channel runs ``AGI(<agi>/callback/<call id>)``.
  Outcomes as recorded (``live/ami_originate_to_seat.txt``): Reason 4 answered; Failure /
  Reason 0 (unregistered seat, unknown endpoint, busy), 1, 3, 5, 8 or a refused action: the
  seat declined, the ACD moves on.
* On that session (the agent's channel) the ACD gets ``AgentAnswered``; the channel's caller
  id becomes the line's number and ``Dial(PJSIP/<number>@<trunk>,<dial-back timeout>)`` calls
  the caller back through the configured trunk. When the Dial returns the conversation (or
  the attempt) is over: ``AgentHungUp``.

The number called back is the caller's own: the channel's ``CALLERID(num)`` when the call came
in, only if it is exactly a mainland phone number; never digits the caller keyed. Without AMI
no callback is offered.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from acd import commands as acd_cmd
from acd import events as acd_ev
from acd.engine import CallState
from callcenter.asterisk import AGISession, OriginateOutcome
from callcenter.core_port import Core
from outbound.numbers import is_phone, national

from .features import seat_of

log = logging.getLogger(__name__)

DIAL_BACK_TIMEOUT = 30  # seconds the caller's phone may ring, as on the embedded engine
Originate = Callable[..., Awaitable[OriginateOutcome]]


def callback_number(callerid: str) -> str | None:
    """The caller's own number to call back (national form), or None if it is not exactly a
    mainland phone number (``13800001``, ``anonymous``, a SIP URI ...)."""
    return national(callerid) if is_phone(callerid) else None


@dataclass(frozen=True)
class Pending:
    """An accepted callback: whom to call back, for which line."""

    call_id: str
    line: str
    number: str


class AsteriskCallbacks:
    """Accepted callbacks waiting for an agent, and the rings and calls back for them."""

    def __init__(self, driver: Core, *, trunk: str = "trunk",
                 dial_back_timeout: int = DIAL_BACK_TIMEOUT) -> None:
        self.driver = driver
        self.trunk = trunk
        self.dial_back_timeout = dial_back_timeout
        self.originate: Originate | None = None  # AMI's
        self.connected: Callable[[], bool] = lambda: True  # AMI's link is up
        self.agi_url: str | None = None  # where Asterisk reaches our FastAGI
        self.pending: dict[str, Pending] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def available(self) -> bool:
        """A callback can be placed now (AMI up): else none is offered."""
        return self.originate is not None and self.agi_url is not None and self.connected()

    def accept(self, call_id: str, line: str, number: str | None) -> bool:
        """The caller pressed to be called back: True if the ACD keeps the call for that."""
        if number is None or not self.available:
            log.warning("no callback for %s: %s", call_id,
                        "no AMI to place it" if number is not None else "the caller's number "
                        "is not a mainland phone number")
            return False
        if not self.driver.try_submit(acd_ev.CallbackAccepted(call_id)):
            return False
        self.pending[call_id] = Pending(call_id, line, number)
        log.info("callback accepted on %s", call_id)
        return True

    def handle(self, command: acd_cmd.Command) -> None:
        """ACD commands about pending callbacks (the caller's own session has ended)."""
        if isinstance(command, acd_cmd.OfferCall):
            pending = self.pending.get(str(command.call_id))
            if pending is not None:
                task = asyncio.get_running_loop().create_task(self._ring(command, pending))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        elif isinstance(command, acd_cmd.CallFinished):
            self.pending.pop(str(command.record.call_id), None)

    async def _ring(self, offer: acd_cmd.OfferCall, pending: Pending) -> None:
        assert self.originate is not None and self.agi_url is not None
        try:
            outcome = await self.originate(
                f"PJSIP/{offer.agent_id}", application="AGI",
                data=f"{self.agi_url}/callback/{pending.call_id}",
                timeout_ms=max(1000, math.floor(offer.ring_timeout * 1000)),
                caller_id=f'"{pending.line}" <{pending.number}>')
        except Exception as exc:  # AMI down or slow: the seat did not ring
            log.warning("callback ring of %s for %s failed: %r", offer.agent_id, pending.call_id, exc)
            answered = False
        else:
            answered = outcome.answered
            log.info("callback ring of %s for %s: %s (reason %s)", offer.agent_id, pending.call_id,
                     outcome.result.value, outcome.reason)
        acd = self.driver.acd
        if not answered and acd.call_state(offer.call_id) is CallState.OFFERED \
                and acd.agent_call(offer.agent_id) == offer.call_id:
            self.driver.try_submit(acd_ev.AgentDeclined(offer.agent_id, offer.call_id))

    async def answered(self, session: AGISession, call_id: str) -> None:
        """``callback/<call id>`` on the agent's answered channel: call the caller back."""
        agent = seat_of(session.env.channel)
        pending = self.pending.get(call_id)
        if agent is None or pending is None or not self.driver.try_submit(
                acd_ev.AgentAnswered(agent, call_id)):
            log.warning("callback answer by %s for %s refused", session.env.channel, call_id)
            await session.hangup()
            return
        self.pending.pop(call_id, None)
        try:
            await session.set_variable("CALLERID(num)", pending.line)
            await session.exec("Dial", f"PJSIP/{pending.number}@{self.trunk},{self.dial_back_timeout}")
            status = await session.get_variable("DIALSTATUS") or ""
            log.info("called %s back for %s: %s", pending.number, call_id, status or "no status")
        finally:
            if self.driver.acd.agent_call(agent) == call_id:
                self.driver.try_submit(acd_ev.AgentHungUp(agent))
        if not session.hangup_sent:
            await session.hangup()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
