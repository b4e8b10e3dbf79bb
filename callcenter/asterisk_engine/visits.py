"""The dialer's calls over Asterisk: survey calls (return visits, re-visits) and callbacks of
missed calls.

Each call is an AMI ``Originate`` of ``PJSIP/<number>@<trunk>`` (the number from the case or
the missed call's own caller ID, validated again here: a mainland phone number, never a URI or
a keyed string), showing the line's number, into the rendered ``callcenter-visit`` context with
the task id in ``CALLCENTER_VISIT``; once the citizen answers, that context runs
``AGI(<agi>/visit/<task id>)`` and the task's flow plays there as a ``calls.Call``, carried out
like a caller's (:mod:`.agi_call`): the survey (no record of its own), or ``missed_callback``
(a call on the line in the records; 1 queues the citizen for an agent, who rings on that
channel). The Originate's outcome (Reason 4 answered, 5 busy, 3 no answer, 0/1/8 failed:
:mod:`.outbound_outcomes`) goes to the dialer unless the call was answered; an answered call's
result is the embedded engine's rule (:func:`outbound.results.call_result`).
Each task's result is reported exactly once.

The missed calls themselves come from the ACD's records like on the embedded engine (the
campaign runner's sink); the caller's own number is the AGI session's ``agi_callerid`` when the
call came in on the trunk (its channel, in the lines context), only if it is exactly a mainland
phone number (``CallFlow.caller_number``); a caller ID from any other endpoint is not believed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.asterisk import AGISession, OriginateOutcome
from calls import events as ce
from calls.call import Call
from outbound.model import Answers, CallOutcome, Dial, Kind
from outbound.numbers import is_phone, national
from outbound.results import call_result

from .agi_call import AsteriskCall
from .dialplan import VISIT_CONTEXT, VISIT_VARIABLE
from .outbound_outcomes import call_outcome

if TYPE_CHECKING:
    from .call_flow import CallFlow

log = logging.getLogger(__name__)

RING_SECONDS = 45.0  # as on the embedded engine
ANSWER_GRACE = 15.0
"""Seconds after an answered Originate within which the call must reach ``visit/<task id>``."""
_TASK_ID = re.compile(r"[a-z_]+-[0-9]+")
_LINE = re.compile(r"[0-9]{3,20}")
Result = Callable[[str, CallOutcome, Answers | None], None]
Originate = Callable[..., Awaitable[OriginateOutcome]]


@dataclass
class _Visit:
    command: Dial
    flow: str
    variables: dict[str, str]
    started: bool = False  # the answered call reached visit/<task id>
    reported: bool = False


class AsteriskVisits:
    """Places the dialer's survey calls by ``originate`` (AMI's) and reports each one's outcome
    to ``on_result`` (task id, outcome, answers); ``run`` is the ``visit/<task id>`` session."""

    def __init__(self, flow: CallFlow, on_result: Result, originate: Originate, *,
                 ring_seconds: float = RING_SECONDS) -> None:
        self.flow = flow
        self.on_result = on_result
        self.originate = originate
        self.ring_seconds = ring_seconds
        self.visits: dict[str, _Visit] = {}  # by task id

    def dial(self, command: Dial, flow: str, variables: dict[str, str]) -> None:
        """Call ``command.number`` showing ``command.caller_id``; ``flow`` plays once answered."""
        if not is_phone(command.number) or not _LINE.fullmatch(command.caller_id) \
                or not _TASK_ID.fullmatch(command.task_id):
            raise ValueError(f"outbound {command.task_id}: not a number to call")
        visit = self.visits[command.task_id] = _Visit(command, flow, variables)
        self.flow.callbacks.spawn(self._originate(visit, national(command.number)))

    async def _originate(self, visit: _Visit, number: str) -> None:
        command = visit.command
        line = command.caller_id
        log.info("outbound %s (%s, attempt %d): calling %s through %s", command.task_id,
                 command.kind.value, command.attempt, number, self.flow.trunk)
        try:
            outcome = await self.originate(
                f"PJSIP/{number}@{self.flow.trunk}", context=VISIT_CONTEXT, exten="s", priority=1,
                timeout_ms=int(self.ring_seconds * 1000), caller_id=f'"{line}" <{line}>',
                variables={VISIT_VARIABLE: command.task_id})
        except Exception as exc:  # AMI down or slow: the attempt failed
            self._report(visit, CallOutcome.FAILED, f"originate: {exc!r}")
            return
        if visit.started:
            return  # the survey runs (or ran) and reports
        if not outcome.answered:
            self._report(visit, call_outcome(outcome), f"{outcome.result.value} (reason {outcome.reason})")
            return
        await asyncio.sleep(ANSWER_GRACE)
        if not visit.started:
            self._report(visit, CallOutcome.FAILED, "answered, but the dialplan never reached the engine")

    async def run(self, session: AGISession, task_id: str) -> None:
        """``visit/<task id>`` on the answered citizen's channel: the survey flow."""
        visit = self.visits.get(task_id)
        if visit is None or visit.started or visit.reported:
            log.warning("visit %r on %s: no such call waiting", task_id, session.env.channel)
            await session.hangup()
            return
        call_id = self.flow.new_call_id(session)
        if call_id is None:  # never in place of a live call; the task's own session may still come
            await session.hangup()
            return
        visit.started = True
        command = visit.command
        # A missed call's callback is a call on the line (recorded; it may reach an agent).
        call = Call(call_id, command.caller_id, visit.flow, self.flow.settings, language=command.language,
                    variables=visit.variables, recorded=command.kind is Kind.MISSED_CALL)
        wire = self.flow.calls[call_id] = AsteriskCall(self.flow, call, session)
        wire.placed = True
        try:
            wire.feed(ce.Arrived())
            await wire.drive(session)
        finally:
            outcome, answers = call_result(command.kind, call)
            self._report(visit, outcome, call.cause or "hung up", answers)

    def _report(self, visit: _Visit, outcome: CallOutcome, why: str, answers: Answers | None = None) -> None:
        if visit.reported:
            return
        visit.reported = True
        task_id = visit.command.task_id
        self.visits.pop(task_id, None)
        log.info("outbound %s: %s (%s)", task_id, outcome.value, why)
        self.on_result(task_id, outcome, answers)

    def close(self) -> None:
        """Nothing to stop here: the calls' tasks end with the AGI server and AMI."""
