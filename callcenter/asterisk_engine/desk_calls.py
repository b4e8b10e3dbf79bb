"""The desk's calls over Asterisk: blind transfer, the three-way call (三方通话) and leaving it.

The same three methods as the embedded engine's ``DeskCalls`` and the same refusals
(``TransferRefused``: 409 the agent is not talking to a caller, 403 not a department number,
503 AMI down); a refused one sends nothing. What is dialled is a configured department's
number, never the request's text. Over AMI (the rendered ``extensions.conf`` and
``confbridge.conf`` hold the targets):

* transfer: ``Redirect`` of the caller's channel to ``callcenter-transfer,<department
  number>,1`` (``Dial`` through the trunk); the agent is released to wrap-up at once
  (``AgentHungUp``), their channel, alone in the broken bridge, is hung up by Asterisk.
* three_way: ``Redirect`` of the caller's channel with the agent's (``ExtraChannel``) to
  ``callcenter-conference,<call id>,1`` (``ConfBridge(<call id>,...)``), then ``Originate`` of
  the department through the trunk into the same extension.
* leave (once the department answered): ``ConfbridgeKick`` of the agent's channel; the caller
  and the department talk on. An agent who hangs up while the department is not there ends
  the call (``ConfbridgeKick`` of all).
  The agent's ``Hangup`` event (kicked, or hung up themselves) ends the conversation in the ACD
  (recorded as transferred to the department if it had answered).

The caller's FastAGI session ends when its channel is redirected; the call flow then leaves the
call's end to this module (``AsteriskCall.moved``); a hang-up before the Redirect is answered
waits for it: redirected, the caller is the department's; refused, the hang-up ends the call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from acd import events as acd_ev
from callcenter.asterisk import AMIMessage
from callcenter.config import HotlineConfig
from callcenter.config.schema import Department
from callcenter.core_port import Core
from callcenter.task_set import TaskSet
from callcenter.telephony.transfer import TransferRefused

from .call_flow import AsteriskCall, CallFlow
from .dialplan import CONFERENCE_CONTEXT, TRANSFER_CONTEXT

log = logging.getLogger(__name__)

_CALL_ID = re.compile(r"[0-9]+\.[0-9]+")  # Asterisk's uniqueid: the conference's name
SendAction = Callable[..., Awaitable[Any]]


@dataclass
class Conference:
    """A three-way call the agent is in."""

    call_id: str
    agent_channel: str
    department: str
    department_channel: str | None = None  # set while the department is in the call

    @property
    def joined(self) -> bool:
        """The department answered and is still there: the agent may hand the caller over."""
        return self.department_channel is not None


class AsteriskDeskCalls:
    """The desk's ``call_actions`` over AMI; :meth:`hangup` takes AMI ``Hangup`` events."""

    EVENTS = ("Hangup",)

    def __init__(self, config: HotlineConfig, driver: Core, flow: CallFlow, *,
                 send_action: SendAction, originate: SendAction,
                 connected: Callable[[], bool], ring_timeout: float = 60.0) -> None:
        self.config = config
        self.driver = driver
        self.flow = flow
        self.send_action = send_action
        self.originate = originate
        self.connected = connected
        self.ring_timeout = ring_timeout
        self.conferences: dict[str, Conference] = {}  # agent -> the three-way call they are in
        self._tasks = TaskSet()

    # ---- the desk's three methods ----------------------------------------------------------

    def transfer(self, agent_id: str, number: str) -> None:
        """Blind transfer of the agent's caller to a department; the agent goes to wrap-up."""
        call, department = self._checked(agent_id, number)
        log.info("agent %s transfers %s to %s from the desk", agent_id, call.call_id, department.id)
        call.move()
        self._spawn(self._transfer(call, agent_id, department))

    def three_way(self, agent_id: str, number: str) -> None:
        """Caller and agent into a ConfBridge; the department is called into it."""
        call, department = self._checked(agent_id, number)
        if not _CALL_ID.fullmatch(call.call_id) or call.agent_channel is None:
            raise TransferRefused(409, f"call {call.call_id} cannot be conferenced")
        log.info("agent %s brings %s into %s", agent_id, department.id, call.call_id)
        call.move()
        self.conferences[agent_id] = Conference(call.call_id, call.agent_channel, department.id)
        self._spawn(self._three_way(call, agent_id, department))

    def leave(self, agent_id: str) -> None:
        """The agent leaves the three-way call; the caller and the department stay."""
        conference = self.conferences.get(agent_id)
        if conference is None:
            raise TransferRefused(409, "no three-way call to leave")
        if not conference.joined:  # as on the embedded engine: the caller is not left alone
            raise TransferRefused(409, "the department is not in the call")
        if not self.connected():
            raise TransferRefused(503, "Service Unavailable - AMI is down")
        self._spawn(self._send("ConfbridgeKick", [("Conference", conference.call_id),
                                                  ("Channel", conference.agent_channel)]))

    # ---- checks ----------------------------------------------------------------------------

    def _checked(self, agent_id: str, number: str) -> tuple[AsteriskCall, Department]:
        call = next((c for c in self.flow.calls.values() if c.answered_by == agent_id and c.in_acd
                     and not c.moved and self.driver.acd.agent_call(agent_id) == c.call_id), None)
        if call is None:
            raise TransferRefused(409, f"agent {agent_id} is not talking to a caller")
        if call.task is not None:  # the citizen's channel is the seat's Dial's, not ours to redirect
            raise TransferRefused(409, f"call {call.call_id}: an outbound task's call is not transferred")
        department = next((d for d in self.config.departments if number in (d.number, d.id)), None)
        if department is None:
            raise TransferRefused(403, "Forbidden - not a department number")
        if not self.connected():
            raise TransferRefused(503, "Service Unavailable - AMI is down")
        return call, department

    # ---- AMI -------------------------------------------------------------------------------

    async def _transfer(self, call: AsteriskCall, agent_id: str, department: Department) -> None:
        redirect = [("Channel", call.channel), ("Exten", department.number),
                    ("Context", TRANSFER_CONTEXT), ("Priority", "1")]
        moved = await self._redirect(call, redirect)
        if moved:
            self._release(agent_id, call.call_id, department.id)

    async def _three_way(self, call: AsteriskCall, agent_id: str, department: Department) -> None:
        assert call.agent_channel is not None
        redirect = [("Channel", call.channel), ("ExtraChannel", call.agent_channel),
                    ("Exten", call.call_id), ("ExtraExten", call.call_id),
                    ("Context", CONFERENCE_CONTEXT), ("ExtraContext", CONFERENCE_CONTEXT),
                    ("Priority", "1"), ("ExtraPriority", "1")]
        if not await self._redirect(call, redirect):
            self.conferences.pop(agent_id, None)
            return
        try:
            outcome = await self.originate(
                f"PJSIP/{department.number}@{self.flow.trunk}", context=CONFERENCE_CONTEXT,
                exten=call.call_id, priority=1, timeout_ms=int(self.ring_timeout * 1000),
                caller_id=f'"{call.line}" <{call.line}>')  # the line called
        except Exception as exc:  # AMI lost: caller and agent go on talking in the bridge
            log.warning("calling %s into %s failed: %r", department.id, call.call_id, exc)
            return
        log.info("department %s called into %s: %s", department.id, call.call_id,
                 outcome.result.value)
        conference = self.conferences.get(agent_id)
        if conference is not None and conference.call_id == call.call_id and outcome.answered:
            conference.department_channel = outcome.channel

    async def _redirect(self, call: AsteriskCall, headers: list[tuple[str, str]]) -> bool:
        """Redirect the caller's channel; failed, the call is the call flow's again (a hang-up
        meanwhile is then the conversation's end, as without the desk)."""
        moved = False
        try:
            moved = await self._send("Redirect", headers)
        finally:
            call.moved_to(moved)
        return moved

    async def _send(self, action: str, headers: list[tuple[str, str]]) -> bool:
        try:
            await self.send_action(action, headers)
        except Exception as exc:  # refused by Asterisk, or AMI lost
            log.warning("AMI %s %s failed: %r", action, headers, exc)
            return False
        return True

    def hangup(self, message: AMIMessage) -> None:
        """A ``Hangup`` event: the agent leaving a three-way call ends their part (without the
        department there, the caller's too: ``ConfbridgeKick`` of all); the department
        leaving leaves caller and agent talking."""
        channel = message.get("Channel")
        for agent_id, conference in list(self.conferences.items()):
            if conference.department_channel == channel:
                conference.department_channel = None
            elif conference.agent_channel == channel:
                del self.conferences[agent_id]
                self._release(agent_id, conference.call_id,
                              conference.department if conference.joined else None)
                if not conference.joined:
                    self._spawn(self._send("ConfbridgeKick", [("Conference", conference.call_id),
                                                              ("Channel", "all")]))

    def _release(self, agent_id: str, call_id: str, department: str | None) -> None:
        """The agent's conversation is over: to wrap-up (once, if still on that call), the
        caller handed to ``department`` (recorded with the call, as on the embedded engine)."""
        if self.driver.acd.agent_call(agent_id) == call_id:
            self.driver.try_submit(acd_ev.AgentHungUp(agent_id, transferred_to=department))

    def _spawn(self, work: Awaitable[Any]) -> None:
        self._tasks.spawn(work)

    async def close(self) -> None:
        await self._tasks.close()
