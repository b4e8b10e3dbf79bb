"""Transfers for the embedded engine, on the SIP side: a seat's REFER becomes the call
object's ``TransferRequested``; its ``Dial``/``Drop`` of a department become INVITE, CANCEL
and BYE here, and the answers go back to it as events."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

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
from calls import commands as cc
from calls import events as ce
from calls.call import Call
from calls.leg import State

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

    def on_refer(self, request: SIPRequest, agent: AgentLeg) -> None:
        c = self.control
        caller = agent.caller
        try:
            department = self.check(agent, refer_number(request))
        except TransferRefused as exc:
            log.warning("transfer by agent %s on %s refused: %s", agent.agent_id, caller.call_id,
                        exc)
            c.ep.respond(make_response(request, exc.status, str(exc)))
            return
        c.ep.respond(make_response(request, 202))
        self.notify(agent, 100, "Trying", final=False)
        log.info("agent %s transfers %s to %s", agent.agent_id, caller.call_id, department.id)
        self.request(agent, department, three_way=False)

    def check(self, agent: AgentLeg, number: str) -> Department:
        """The department ``number`` dials, if ``agent`` may transfer its caller there now
        (``TransferRefused`` otherwise): the REFER's and the desk's checks."""
        caller = agent.caller
        call = caller.call
        if agent.state != "answered" or call is None or call.state is not State.TALKING \
                or caller.agent is not agent:
            raise TransferRefused(403, "Forbidden - no conversation to transfer")
        if caller.department is not None:
            raise TransferRefused(491, "Request Pending - a transfer is under way")
        return department_for(self.control.config, number)[0]

    def request(self, agent: AgentLeg, department: Department, *, three_way: bool) -> None:
        """Ask the caller's call object for the (checked) transfer or three-way call."""
        call = agent.caller.call
        assert call is not None
        kind = ce.ThreeWayRequested if three_way else ce.TransferRequested
        self.control._event(call, kind(agent.agent_id, department.id, department.number))

    def conference(self, caller: CallerLeg) -> None:
        """Caller, agent and department all hear each other (the three-way call)."""
        from callcenter.telephony.conference_control import Conference

        leg, agent = caller.department, caller.agent
        if leg is None or agent is None:
            return
        caller.media.stop()
        leg.conference = Conference([caller.media, agent.media, leg.media])
        log.info("three-way call %s: agent %s with %s", caller.call_id, agent.agent_id,
                 leg.department_id)

    def end_conference(self, caller: CallerLeg) -> None:
        leg = caller.department
        if leg is not None and leg.conference is not None:
            leg.conference.close()
            leg.conference = None

    def dial(self, call: Call, caller: CallerLeg, department_id: str) -> None:
        """INVITE the department's number at its gateway on behalf of ``caller``."""
        c = self.control
        try:
            department, gateway = department_for(c.config, department_id)
        except TransferRefused as exc:
            log.warning("transfer of %s to %s impossible: %s", caller.call_id, department_id, exc)
            c._later(call, ce.DialFailed(cc.DEPARTMENT, department_id, exc.status, str(exc)))
            return
        sock = bind_udp_socket(c.ep.local_addr[0], 0)
        sdp = build_offer(c.host, sock.getsockname()[1], user=caller.line).to_bytes()
        host = f"[{gateway[0]}]" if ":" in gateway[0] else gateway[0]
        target = f"sip:{department.number}@{host}:{gateway[1]}"
        invite = agent_invite(caller, target, sdp, host=c.host, port=c.port,
                              contact=c.contact(caller.line), cseq=c.next_cseq())
        media = LegMedia(sock, remote=None, payload_type=caller.media.payload_type,
                         dtmf_payload_type=None,  # a configured gateway is trusted
                         symmetric=c.rtp_symmetric)
        leg = DepartmentLeg(department.id, department.number, caller, invite, gateway, media)
        caller.department = leg
        c.send_invite(invite, gateway, lambda response: self.on_response(call, leg, response),
                      lambda timeout: self._failed(call, leg, 408, "Request Timeout"))
        log.info("calling department %s (%s) via %s:%d for %s", department.id,
                 department.number, *gateway, caller.call_id)

    def notify(self, agent: AgentLeg, status: int, reason: str, *, final: bool) -> None:
        """Tell the transferring seat how the transfer goes (RFC 3515 NOTIFY, sipfrag)."""
        c = self.control
        if agent.dialog is None or agent.state != "answered":
            return
        request = agent.dialog.create_request(
            "NOTIFY", via_host=c.host, via_port=c.port, body=sipfrag(status, reason),
            content_type="message/sipfrag", headers=notify_headers(final))
        c.ep.send_request(request, agent.dialog.next_hop())

    def on_response(self, call: Call, leg: DepartmentLeg, response: SIPResponse) -> None:
        if response.status < 200:
            return
        if response.status >= 300:
            status = 408 if leg.state == "cancelled" else response.status
            self._failed(call, leg, status, "Request Timeout" if status == 408 else response.reason)
            return
        c = self.control
        try:
            dialog, leg.ack = c.confirm(leg.invite, response, leg.caller.line, peer=leg.peer)
        except ValueError as exc:
            self._failed(call, leg, 502, f"Bad Gateway - {exc}")
            return
        leg.dialog = dialog
        c.dialogs[dialog.id] = leg
        if leg.state != "ringing" or leg.caller.ended:
            c.send_in_dialog(dialog, "BYE")
            self._end(leg)
            return
        try:
            codec, dtmf, host, port = parse_answer(response.body)
        except SDPError as exc:
            c.send_in_dialog(dialog, "BYE")
            self._failed(call, leg, 488, f"Not Acceptable Here - {exc}")
            return
        leg.media.set_remote((host, port), codec.payload_type, dtmf)
        leg.state = "answered"
        log.info("call %s transferred to %s", call.call_id, leg.department_id)
        c._event(call, ce.DialAnswered(cc.DEPARTMENT, leg.department_id))

    def _failed(self, call: Call, leg: DepartmentLeg, status: int, reason: str) -> None:
        self._end(leg)
        log.info("transfer of %s to %s failed: %d %s", call.call_id, leg.department_id,
                 status, reason)
        self.control._event(call, ce.DialFailed(cc.DEPARTMENT, leg.department_id, status, reason))

    def drop(self, caller: CallerLeg) -> None:
        """Cancel the ringing department, or hang up on it."""
        leg = caller.department
        if leg is None:
            return
        c = self.control
        if leg.state == "ringing":
            leg.state = "cancelled"  # its 487 ends the leg
            c.ep.send_request(cancel_for(leg.invite), leg.peer)
            return
        if leg.state == "answered" and leg.dialog is not None:
            c.send_in_dialog(leg.dialog, "BYE")
        self._end(leg)

    def department_left(self, leg: DepartmentLeg) -> None:
        """The department hung up (BYE)."""
        self._end(leg)
        call = leg.caller.call
        if call is not None:
            self.control._event(call, ce.PartyGone(cc.DEPARTMENT, leg.department_id))

    def _end(self, leg: DepartmentLeg) -> None:
        if leg.conference is not None:
            leg.conference.close()
            leg.conference = None
        leg.state = "ended"
        leg.media.close()
        if leg.dialog is not None:
            self.control.dialogs.pop(leg.dialog.id, None)
        if leg.caller.department is leg:
            leg.caller.department = None
