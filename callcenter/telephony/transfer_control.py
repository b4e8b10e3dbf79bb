"""Carrying out agents' blind transfers (REFER) for the embedded engine's call control."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from acd import events as acd_ev
from callcenter.config.schema import Department
from callcenter.media.rtp_endpoint import bind_udp_socket
from callcenter.sip.message import SIPRequest, SIPResponse, make_response
from callcenter.sip.sdp import SDPError, build_offer, parse_answer
from callcenter.telephony.legs import AgentLeg, CallerLeg, DepartmentLeg, agent_invite, cancel_for
from callcenter.telephony.media import LegMedia
from callcenter.telephony.transfer import (
    TransferRefused,
    department_for,
    notify_headers,
    refer_number,
    sipfrag,
)
from ivr_flows import commands as ivr_cmd

if TYPE_CHECKING:
    from callcenter.telephony.call_control import CallControl

log = logging.getLogger(__name__)


class Transfers:
    """REFER from a talking seat → INVITE to the department → bridge, NOTIFY, release the agent.

    The agent keeps the caller until the department answers; a failure is reported to the seat
    by NOTIFY. A seat that hangs up right after its REFER (many softphones do) leaves the caller
    hearing "transferring" and hold music while the department rings.
    """

    def __init__(self, control: CallControl) -> None:
        self.control = control

    # -- the seat's REFER --------------------------------------------------------------------

    def on_refer(self, request: SIPRequest, agent: AgentLeg) -> None:
        c = self.control
        caller = agent.caller
        try:
            department, gateway = self.check(agent, refer_number(request))
        except TransferRefused as exc:
            log.warning("transfer by agent %s on %s refused: %s", agent.agent_id, caller.call_id,
                        exc)
            c.ep.respond(make_response(request, exc.status, str(exc)))
            return
        c.ep.respond(make_response(request, 202))
        self._notify(agent, 100, "Trying", final=False)
        log.info("agent %s transfers %s to %s", agent.agent_id, caller.call_id, department.id)
        self.dial(caller, department, gateway, transferor=agent)

    def check(self, agent: AgentLeg, number: str) -> tuple[Department, tuple[str, int]]:
        """The department ``number`` dials and its gateway, if ``agent`` may transfer its
        caller there now (``TransferRefused`` otherwise): the REFER's and the desk's checks."""
        caller = agent.caller
        if agent.state != "answered" or caller.state != "talking" or caller.agent is not agent:
            raise TransferRefused(403, "Forbidden - no conversation to transfer")
        if caller.department is not None:
            raise TransferRefused(491, "Request Pending - a transfer is under way")
        return department_for(self.control.config, number)

    def from_ivr(self, caller: CallerLeg, department_id: str) -> bool:
        """The IVR sends the caller to a department; False if it cannot be reached."""
        try:
            department, gateway = department_for(self.control.config, department_id)
        except TransferRefused as exc:
            log.warning("IVR transfer of %s to %s impossible: %s", caller.call_id,
                        department_id, exc)
            return False
        caller.state = "transferring"
        self.control.hold_music(caller)
        self.dial(caller, department, gateway, transferor=None)
        return True

    def dial(self, caller: CallerLeg, department: Department, gateway: tuple[str, int], *,
             transferor: AgentLeg | None, three_way: bool = False) -> None:
        """INVITE the department's number at ``gateway`` on behalf of ``caller`` (with
        ``three_way`` the agent stays on the call once the department answers)."""
        c = self.control
        sock = bind_udp_socket(c.ep.local_addr[0], 0)
        sdp = build_offer(c.host, sock.getsockname()[1], user=caller.line).to_bytes()
        host = f"[{gateway[0]}]" if ":" in gateway[0] else gateway[0]
        target = f"sip:{department.number}@{host}:{gateway[1]}"
        invite = agent_invite(caller, target, sdp, host=c.host, port=c.port,
                              contact=c.contact(caller.line), cseq=c.next_cseq())
        media = LegMedia(sock, remote=None, payload_type=caller.media.payload_type,
                         dtmf_payload_type=None,  # a configured gateway is trusted
                         symmetric=c.rtp_symmetric)
        leg = DepartmentLeg(department.id, department.number, caller, transferor, invite,
                            gateway, media, three_way=three_way)
        caller.department = leg
        c.send_invite(invite, gateway, lambda response: self.on_response(leg, response),
                      lambda timeout: self.on_timeout(leg))
        leg.timer = asyncio.get_running_loop().call_later(
            c.config.transfers.ring_timeout_seconds, self._ring_timeout, leg)
        log.info("calling department %s (%s) via %s:%d for %s", department.id,
                 department.number, *gateway, caller.call_id)

    def _notify(self, agent: AgentLeg, status: int, reason: str, *, final: bool) -> None:
        """Tell the transferring seat how the transfer goes (RFC 3515 NOTIFY, sipfrag)."""
        c = self.control
        if agent.dialog is None or agent.state != "answered":
            return
        request = agent.dialog.create_request(
            "NOTIFY", via_host=c.host, via_port=c.port, body=sipfrag(status, reason),
            content_type="message/sipfrag", headers=notify_headers(final))
        c.ep.send_request(request, agent.dialog.next_hop())

    # -- the department's side ---------------------------------------------------------------

    def on_response(self, leg: DepartmentLeg, response: SIPResponse) -> None:
        if response.status < 200:
            return
        if response.status >= 300:
            status = 408 if leg.state == "cancelled" else response.status
            self._failed(leg, status, "Request Timeout" if status == 408 else response.reason)
            return
        c = self.control
        try:
            dialog, leg.ack = c.confirm(leg.invite, response, leg.caller.line, peer=leg.peer)
        except ValueError as exc:
            self._failed(leg, 502, f"Bad Gateway - {exc}")
            return
        leg.dialog = dialog
        c.dialogs[dialog.id] = leg
        if leg.state != "ringing" or leg.caller.state == "ended":
            c.send_in_dialog(dialog, "BYE")
            self._end(leg)
            return
        try:
            codec, dtmf, host, port = parse_answer(response.body)
        except SDPError as exc:
            c.send_in_dialog(dialog, "BYE")
            self._failed(leg, 488, f"Not Acceptable Here - {exc}")
            return
        leg.media.set_remote((host, port), codec.payload_type, dtmf)
        leg.state = "answered"
        self._connect(leg)

    def on_timeout(self, leg: DepartmentLeg) -> None:
        self._failed(leg, 408, "Request Timeout")

    def _ring_timeout(self, leg: DepartmentLeg) -> None:
        leg.timer = None
        if leg.state == "ringing":
            log.info("department %s did not answer %s in time", leg.department_id,
                     leg.caller.call_id)
            leg.state = "cancelled"
            self.control.ep.send_request(cancel_for(leg.invite), leg.peer)

    def _connect(self, leg: DepartmentLeg) -> None:
        """The department answered: release the agent, bridge the caller to the department."""
        c = self.control
        caller, agent = leg.caller, leg.transferor
        self._cancel_timer(leg)
        if leg.three_way and agent is not None and agent.state == "answered":
            from callcenter.telephony.conference_control import Conference

            caller.media.stop()
            leg.conference = Conference([caller.media, agent.media, leg.media])
            log.info("three-way call %s: agent %s with %s", caller.call_id, agent.agent_id,
                     leg.department_id)
            return
        leg.transferor = None
        if agent is not None and agent.state == "answered":
            self._notify(agent, 200, "OK", final=True)
            if agent.dialog is not None:
                c.send_in_dialog(agent.dialog, "BYE")
            c.end_agent_leg(agent)
            if caller.in_acd:
                c.submit(acd_ev.AgentHungUp(agent.agent_id, transferred_to=leg.department_id))
        caller.state = "transferred"
        caller.media.stop()
        c.spawn(caller.media.bridge(leg.media))
        log.info("call %s transferred to %s", caller.call_id, leg.department_id)

    def _failed(self, leg: DepartmentLeg, status: int, reason: str) -> None:
        """The department did not take the call: the agent keeps it, or the caller is told."""
        agent = leg.transferor
        caller = leg.caller
        self._end(leg)
        log.info("transfer of %s to %s failed: %d %s", caller.call_id, leg.department_id,
                 status, reason)
        if agent is not None and agent.state == "answered":
            if not leg.three_way:  # a REFER's progress; the conversation goes on
                self._notify(agent, status, reason, final=True)
        elif caller.state == "transferring":
            c = self.control
            caller.state = "talking"  # not queued: the message is the last thing played
            caller.media.play(c.sources([ivr_cmd.Prompt("service_unavailable", caller.language)]),
                              on_done=lambda: c.hang_up(caller))

    # -- either party leaving ----------------------------------------------------------------

    def transferor_left(self, agent: AgentLeg) -> bool:
        """The seat hung up after its REFER while the department rings: the caller stays.

        Returns False when no transfer is pending (an ordinary hang-up).
        """
        c = self.control
        caller = agent.caller
        leg = caller.department
        if leg is not None and leg.conference is not None and leg.transferor is agent:
            self._agent_left_three_way(leg, agent)
            return True
        if leg is None or leg.state != "ringing" or leg.transferor is not agent:
            return False
        leg.transferor = None
        if caller.in_acd:
            c.submit(acd_ev.AgentHungUp(agent.agent_id, transferred_to=leg.department_id))
        caller.state = "transferring"
        caller.media.play(c.sources([ivr_cmd.Prompt("transferring", caller.language)]),
                          on_done=lambda: c.hold_music(caller))
        return True

    def _agent_left_three_way(self, leg: DepartmentLeg, agent: AgentLeg) -> None:
        """The agent left the three-way call: the caller and the department talk on."""
        c = self.control
        caller = leg.caller
        leg.conference.close()
        leg.conference = leg.transferor = None
        if caller.in_acd:
            c.submit(acd_ev.AgentHungUp(agent.agent_id, transferred_to=leg.department_id))
        caller.state = "transferred"
        c.spawn(caller.media.bridge(leg.media))
        log.info("agent %s left the three-way call %s", agent.agent_id, caller.call_id)

    def caller_left(self, leg: DepartmentLeg) -> None:
        """The caller hung up: cancel the ringing department or hang up on it."""
        c = self.control
        if leg.state == "ringing":
            leg.state = "cancelled"
            c.ep.send_request(cancel_for(leg.invite), leg.peer)
            leg.transferor = None
            return
        if leg.state == "answered" and leg.dialog is not None:
            c.send_in_dialog(leg.dialog, "BYE")
        self._end(leg)

    def department_left(self, leg: DepartmentLeg) -> None:
        """The department hung up (BYE): the caller's call ends too, unless the agent is
        still there (a three-way call): then caller and agent talk on."""
        agent = leg.transferor if leg.conference is not None else None
        self._end(leg)
        if agent is not None and agent.state == "answered" and leg.caller.state == "talking":
            self.control.spawn(leg.caller.media.bridge(agent.media))
            log.info("department %s left the three-way call %s", leg.department_id, leg.caller.call_id)
            return
        self.control.hang_up(leg.caller)

    def _end(self, leg: DepartmentLeg) -> None:
        self._cancel_timer(leg)
        if leg.conference is not None:
            leg.conference.close()
            leg.conference = None
        leg.state = "ended"
        leg.media.close()
        if leg.dialog is not None:
            self.control.dialogs.pop(leg.dialog.id, None)
        if leg.caller.department is leg:
            leg.caller.department = None

    @staticmethod
    def _cancel_timer(leg: DepartmentLeg) -> None:
        if leg.timer is not None:
            leg.timer.cancel()
            leg.timer = None
