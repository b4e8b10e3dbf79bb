"""Agents' outbound tasks over Asterisk (preview and progressive dialling), the embedded engine's
:class:`~callcenter.telephony.agent_calls.AgentCalls` for :mod:`callcenter.runtime.agent_campaigns`.

A task the blending gate put in the ACD becomes a call object with nobody on the line
(``calls.events.TaskPlaced``) and takes the callback's path (:mod:`.callbacks`): the ACD's offer
rings the agent's seat by AMI ``Originate`` (in preview mode once the agent starts the call from
the desk) into ``callback/<call id>``; on that answered channel, if ``may_dial`` allows, the
caller ID becomes the line's number and ``Dial(PJSIP/<the task's number>@<trunk>,...)`` calls the
citizen. The Dial's end goes to ``on_status`` once as a SIP-like status:
200 when the citizen answers (the answered hook), else from ``DIALSTATUS`` (:mod:`.dial_ends`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from callcenter.telephony.agent_calls import CallIdInUse
from calls import events as ce
from calls.call import Call
from calls.leg import IllegalTransition
from outbound.numbers import national

from .agi_call import AsteriskCall
from .task_dial import TaskDial

if TYPE_CHECKING:
    from .call_flow import CallFlow

log = logging.getLogger(__name__)

class AsteriskAgentCalls:
    """Places agents' tasks as calls of ``flow``; ``may_dial(task_id)`` is asked once the seat
    answered, ``on_status(task_id, status)`` hears how the citizen's Dial ended."""

    def __init__(self, flow: CallFlow, may_dial: Callable[[str], bool],
                 on_status: Callable[[str, int], None]) -> None:
        self.flow = flow
        self.may_dial = may_dial
        self.on_status = on_status

    @property
    def available(self) -> bool:
        """A seat can be rung now (AMI up): else the gate offers no task, which would only ring
        out as the agent's decline."""
        return self.flow.callbacks.available

    def place(self, call_id: str, task_id: str, number: str, line: str, language: str, *,
              preview: bool) -> Call:
        """The task ``call_id`` the ACD holds now: its call object, before the ACD's offer.
        Raises ``CallIdInUse`` if a call already goes by ``call_id`` (never overwritten)."""
        if call_id in self.flow.calls:
            raise CallIdInUse(f"call id {call_id!r} already in use")
        number = national(number)  # the case's, validated again: never a URI
        call = Call(call_id, line, "", self.flow.settings, language=language, recorded=False)
        wire = self.flow.calls[call_id] = AsteriskCall(self.flow, call, None)
        wire.placed = True
        wire.task = TaskDial(task_id, lambda: self.may_dial(task_id),
                             lambda status: self.on_status(task_id, status))
        wire.feed(ce.TaskPlaced(number, preview=preview))
        log.info("outbound %s: %s task for %s through %s", task_id, "preview" if preview else "progressive",
                 number, self.flow.trunk)
        return call

    def start(self, call_id: str, agent_id: str) -> None:
        """The agent starts a preview task offered to them: their seat rings. Raises
        ``LookupError`` (no such task here) or ``calls.leg.IllegalTransition`` (not theirs now)."""
        wire = self.flow.calls.get(call_id)
        if wire is None or wire.task is None:
            raise LookupError(f"task {call_id}: not offered here")
        call = wire.call
        if not call.awaiting_agent or call.agent != agent_id:
            raise IllegalTransition(f"call {call_id}: no preview offered to {agent_id}")
        wire.feed(ce.PreviewCall(agent_id))

    def forget(self, call_id: str) -> None:
        """The ACD closed the task's call: nothing kept here beyond the call object."""
