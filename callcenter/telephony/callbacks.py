"""Callbacks for the embedded engine: a waiting caller accepts one, hangs up and keeps their
place; when the ACD offers the call, the agent's seat rings and, once it answers, the engine
calls the caller back and bridges the two.

The engine only ever calls back the caller's own number, through the configured outbound route
or at the address the call came from (see :func:`callback_target`): never a number keyed in,
never a Contact naming another host.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from acd import commands as acd_cmd
from acd import events as acd_ev
from callcenter.media.rtp_endpoint import bind_udp_socket
from callcenter.sip.message import SIPResponse
from callcenter.sip.sdp import SDPError, build_offer, parse_answer
from callcenter.sip.transactions import Addr
from callcenter.telephony.legs import CallerLeg, callback_target, cancel_for, new_invite
from callcenter.telephony.media import LegMedia

if TYPE_CHECKING:
    from callcenter.telephony.call_control import CallControl

log = logging.getLogger(__name__)

DIAL_BACK_TIMEOUT = 30.0  # seconds the caller's phone may ring when called back


class Callbacks:
    """Accepted callbacks waiting for an agent, and the calls back to the callers."""

    def __init__(self, control: CallControl) -> None:
        self.control = control
        self.pending: dict[str, CallerLeg] = {}  # the caller's leg as it was when accepted

    def accepted(self, leg: CallerLeg) -> None:
        """The caller pressed to be called back: the ACD keeps the call, this leg may end."""
        c = self.control
        if not leg.in_acd:
            return
        if self.target(leg) is None:
            log.warning("no callback for %s: the caller's number is not a phone number",
                        leg.call_id)
            return
        if not c.submit(acd_ev.CallbackAccepted(leg.call_id)):
            return
        leg.in_acd = False  # hanging up now is not an abandon: the call keeps its place
        self.pending[leg.call_id] = leg
        log.info("callback accepted on %s", leg.call_id)

    def leg_for(self, offer: acd_cmd.OfferCall) -> CallerLeg | None:
        """The leg to ring the agent for: the caller if still on the line, else a new leg that
        will call them back once the agent answers."""
        c = self.control
        original = self.pending.get(offer.call_id)  # type: ignore[arg-type]
        if original is None:
            return None
        live = c.callers.get(original.call_id)
        if live is original and live.state == "queued":
            del self.pending[original.call_id]  # still on the line: connect them directly
            live.in_acd = True
            live.side_run = None
            live.media.stop()
            c.hold_music(live)
            return live
        if live is not None and live.state == "callback":
            return live  # ringing another agent after a ring-no-answer
        if live is not None:
            return None
        target = self.target(original)
        if target is None:
            return None
        sock = bind_udp_socket(c.ep.local_addr[0], 0)
        media = LegMedia(sock, remote=None, payload_type=original.media.payload_type,
                         dtmf_payload_type=None, peer_host=target[1][0], window=c.rtp_window,
                         symmetric=c.rtp_symmetric)
        leg = CallerLeg(original.call_id, original.line, original.invite, None, media,
                        original.language, state="callback", in_acd=True, silent_ok=True,
                        source=original.source)
        c.callers[leg.call_id] = leg
        return leg

    def dial_back(self, leg: CallerLeg) -> None:
        """The agent answered: call the caller back (the agent hears the line ring)."""
        c = self.control
        target = self.target(leg)
        assert target is not None  # checked on acceptance
        uri, addr = target
        leg.state = "dialling-back"
        sdp = build_offer(c.host, leg.media.local_port, user=leg.line).to_bytes()
        invite = new_invite(leg.line, leg.line, uri, sdp, host=c.host, port=c.port,
                            contact=c.contact(leg.line), cseq=c.next_cseq())
        leg.callback_invite = invite
        c.send_invite(invite, addr, lambda response: self.on_response(leg, response),
                      lambda timeout: self.on_timeout(leg))
        leg.timer = asyncio.get_running_loop().call_later(DIAL_BACK_TIMEOUT, self._no_answer, leg)
        log.info("calling %s back at %s", leg.call_id, uri)

    def on_response(self, leg: CallerLeg, response: SIPResponse) -> None:
        if response.status < 200:
            return
        c = self.control
        if leg.timer is not None:
            leg.timer.cancel()
            leg.timer = None
        if response.status >= 300:
            self._failed(leg, f"{response.status} {response.reason}")
            return
        assert leg.callback_invite is not None
        try:
            dialog, leg.ack = c.confirm(leg.callback_invite, response, leg.line,
                                        peer=self.target(leg)[1])  # type: ignore[index]
        except ValueError as exc:
            self._failed(leg, f"unusable 2xx: {exc}")
            return
        leg.dialog = dialog
        c.dialogs[dialog.id] = leg
        if leg.state != "dialling-back":
            c.send_in_dialog(dialog, "BYE")  # the agent left meanwhile
            return
        try:
            codec, dtmf, host, port = parse_answer(response.body)
        except SDPError as exc:
            c.send_in_dialog(dialog, "BYE")
            self._failed(leg, f"bad SDP: {exc}")
            return
        leg.media.set_remote((host, port), codec.payload_type, dtmf)
        leg.state = "talking"
        leg.silent_ok = False
        self.pending.pop(leg.call_id, None)
        log.info("%s answered the callback", leg.call_id)

    def on_timeout(self, leg: CallerLeg) -> None:
        self._failed(leg, "no response")

    def _no_answer(self, leg: CallerLeg) -> None:
        leg.timer = None
        if leg.state == "dialling-back" and leg.callback_invite is not None:
            self.control.ep.send_request(cancel_for(leg.callback_invite),
                                         self.target(leg)[1])  # type: ignore[index]

    def _failed(self, leg: CallerLeg, reason: str) -> None:
        """The caller could not be reached: the agent's call ends (logged; no retry)."""
        log.warning("callback of %s failed: %s", leg.call_id, reason)
        self.pending.pop(leg.call_id, None)
        agent = leg.agent
        if agent is not None and agent.state == "answered":
            self.control.hang_up_agent(agent)
        else:
            self.control.hang_up(leg)

    def caller_leg_gone(self, leg: CallerLeg) -> None:
        """Clean up a callback leg that ends before the caller answered."""
        if leg.state == "dialling-back" and leg.dialog is None and leg.callback_invite is not None:
            target = self.target(leg)
            if target is not None:
                self.control.ep.send_request(cancel_for(leg.callback_invite), target[1])

    def target(self, leg: CallerLeg) -> tuple[str, Addr] | None:
        """(URI, address) to call ``leg``'s caller back at; None if they cannot be."""
        return callback_target(leg, self.control.config.callback_gateway())

    def finished(self, call_id: str) -> None:
        """The ACD ended the call (overflow, or after the conversation): forget the callback."""
        self.pending.pop(call_id, None)

