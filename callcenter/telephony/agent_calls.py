"""Agents' outbound calls on the embedded engine (preview and progressive dialling).

A task the blending gate put in the ACD becomes a call object with nobody on the line
(``calls.events.TaskPlaced``); from there it takes the callback's path: the ACD's offer rings
the agent's registered seat (in preview mode once the agent starts the call from the desk), and
once the seat answers the citizen is dialled and bridged. The number dialled is the task's
(the case's, validated by the dialer and again here), through the outbound trunk, showing the
line's number: never a number from a page or a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from callcenter.sip.transactions import Addr
from callcenter.telephony.callbacks import Route
from calls import events as ce
from calls.call import Call
from outbound.numbers import national

if TYPE_CHECKING:
    from callcenter.telephony.call_control import CallControl

log = logging.getLogger(__name__)


class CallIdInUse(ValueError):
    """A task's call id goes by a call already (a previous attempt's, still there): never
    overwritten; the task ends instead (:mod:`callcenter.runtime.agent_campaigns`)."""


class AgentCalls:
    """Places agents' tasks as calls; ``may_dial(task_id)`` is asked once the seat answered,
    ``on_status(task_id, status)`` hears the final SIP status of the citizen's INVITE; the
    trunk's digest ``credentials`` answer its challenge as the survey calls' do."""

    def __init__(self, control: CallControl, gateway: Addr, may_dial: Callable[[str], bool],
                 on_status: Callable[[str, int], None], *,
                 credentials: tuple[str, str] | None = None) -> None:
        self.control = control
        self.gateway = gateway
        self.credentials = credentials
        self.may_dial = may_dial
        self.on_status = on_status

    def place(self, call_id: str, task_id: str, number: str, line: str, language: str, *,
              preview: bool) -> Call:
        """The task ``call_id`` the ACD holds now: its call object, before the ACD's offer.
        Raises ``CallIdInUse`` if a call already goes by ``call_id`` (never overwritten)."""
        c = self.control
        if call_id in c.calls or call_id in c.callers or call_id in c.callbacks.routes:
            raise CallIdInUse(f"call id {call_id!r} already in use")
        host, port = self.gateway
        shown = f"[{host}]" if ":" in host else host
        uri = f"sip:{national(number)}@{shown}:{port}"
        c.callbacks.routes[call_id] = Route(uri, self.gateway, line, lambda: self.may_dial(task_id),
                                            lambda status: self.on_status(task_id, status), self.credentials)
        call = Call(call_id, line, "", c.settings, language=language, recorded=False)
        c.calls[call_id] = call
        c._event(call, ce.TaskPlaced(national(number), preview=preview))
        log.info("outbound %s: %s task for %s", task_id, "preview" if preview else "progressive", uri)
        return call

    def start(self, call_id: str, agent_id: str) -> None:
        """The agent starts a preview task offered to them: their seat rings. Raises
        ``LookupError`` (no such task here) or ``calls.leg.IllegalTransition`` (not theirs now)."""
        c = self.control
        call = c.calls.get(call_id)
        if call is None:
            raise LookupError(f"task {call_id}: not offered here")
        c._do(call, call.handle(ce.PreviewCall(agent_id), c._now()))

    def forget(self, call_id: str) -> None:
        """The ACD closed the task's call: its route goes (a late status is still told)."""
        self.control.callbacks.routes.pop(call_id, None)
