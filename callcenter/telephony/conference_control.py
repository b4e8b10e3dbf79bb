"""The three-way call (三方通话) in the embedded engine, and the calls an agent's desk asks for.

:class:`Conference` puts call legs' RTP through the pure :class:`~callcenter.media.mixer.Mixer`:
each leg's packets go to the mixer as they arrive, and on the shared 20 ms packet clock every
leg is sent the others' voices. :class:`DeskCalls` is what the desk pages call: a blind
transfer of the agent's caller to a department, the three-way call with a department, and
the agent leaving it (the caller and the department go on talking). Both go through the
same checks as a seat's REFER (only the config's department numbers can be dialled).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from callcenter.media.mixer import Mixer
from callcenter.media.pacer import pacer
from callcenter.media.rtp import RtpPacket, RtpParseError
from callcenter.telephony.legs import AgentLeg
from callcenter.telephony.media import LegMedia
from callcenter.telephony.transfer import TransferRefused
from calls import events as ce
from calls.leg import State

if TYPE_CHECKING:
    from callcenter.telephony.call_control import CallControl

log = logging.getLogger(__name__)


class Conference:
    """The legs in ``legs`` hear each other through one mixer until :meth:`close`."""

    def __init__(self, legs: list[LegMedia]) -> None:
        self.mixer = Mixer()
        self.legs: list[LegMedia] = []
        for leg in legs:
            self.join(leg)
        self._pacer = pacer()
        self._pacer.subscribe(id(self), self._tick)

    def join(self, leg: LegMedia) -> None:
        leg.unbridge()
        leg.stop()
        self.mixer.add(leg, leg.payload_type)
        leg.tap = partial(self._heard, leg)
        self.legs.append(leg)

    def leave(self, leg: LegMedia) -> None:
        self.mixer.remove(leg)
        if leg in self.legs:
            self.legs.remove(leg)
            leg.tap = None

    def _heard(self, leg: LegMedia, data: bytes) -> None:
        try:
            packet = RtpPacket.parse(data)
        except RtpParseError:
            return
        self.mixer.put(leg, packet.payload, packet.payload_type)

    def _tick(self) -> None:
        for leg, payload in self.mixer.mix().items():
            leg.send_audio(payload)  # a closed leg sends nothing

    def close(self) -> None:
        self._pacer.unsubscribe(id(self))
        for leg in list(self.legs):
            self.leave(leg)


class DeskCalls:
    """The calls an agent's desk asks the engine for; each raises ``TransferRefused`` (status
    and reason) when it cannot be done, and changes nothing then. They go to the caller's call
    object like a seat's REFER."""

    def __init__(self, control: CallControl) -> None:
        self.control = control

    def talking(self, agent_id: str, state: State = State.TALKING) -> AgentLeg:
        """The agent's leg in a conversation with a caller (or, with ``state``, in that one)."""
        for caller in self.control.callers.values():
            agent = caller.agent
            if agent is not None and agent.agent_id == agent_id and agent.state == "answered" \
                    and caller.call is not None and caller.call.state is state:
                return agent
        raise TransferRefused(409, f"agent {agent_id} is not talking to a caller")

    def transfer(self, agent_id: str, number: str) -> None:
        """Blind transfer: the department is called; the agent is released when it answers."""
        agent = self.talking(agent_id)
        department = self.control.transfers.check(agent, number)
        log.info("agent %s transfers %s to %s from the desk", agent_id, agent.caller.call_id,
                 department.id)
        self.control.transfers.request(agent, department, three_way=False)

    def three_way(self, agent_id: str, number: str) -> None:
        """The department is called; when it answers caller, agent and department all talk."""
        agent = self.talking(agent_id)
        department = self.control.transfers.check(agent, number)
        log.info("agent %s brings %s into %s", agent_id, department.id, agent.caller.call_id)
        self.control.transfers.request(agent, department, three_way=True)

    def leave(self, agent_id: str) -> None:
        """The agent leaves the three-way call; the caller and the department stay."""
        try:
            agent = self.talking(agent_id, State.CONFERENCE)
        except TransferRefused:
            raise TransferRefused(409, "no three-way call to leave") from None
        call = agent.caller.call
        assert call is not None
        self.control._event(call, ce.AgentLeaves(agent_id))
