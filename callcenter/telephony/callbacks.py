"""Callbacks for the embedded engine, on the SIP side: the call object decides (a waiting
caller accepts one, hangs up and keeps their place; the seat rings; once it answers the
caller is dialled back); this module keeps what is needed to reach the caller and places
the call back.

The engine only ever calls back the caller's own number, through the configured outbound route
or at the address the call came from (see :func:`callback_target`): never a number keyed in,
never a Contact naming another host.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from callcenter.media.rtp_endpoint import bind_udp_socket
from callcenter.sip.message import SIPResponse
from callcenter.sip.sdp import SDPError, build_offer, parse_answer
from callcenter.sip.transactions import Addr
from callcenter.telephony.legs import CallerLeg, callback_target, cancel_for, new_invite
from callcenter.telephony.media import LegMedia
from calls import commands as cc
from calls import events as ce
from calls.call import Call

if TYPE_CHECKING:
    from callcenter.telephony.call_control import CallControl

log = logging.getLogger(__name__)

DIAL_BACK_TIMEOUT = 30.0  # seconds the caller's phone may ring when called back


class Callbacks:
    """The callers waiting for a callback (as their legs were), and the calls back to them."""

    def __init__(self, control: CallControl) -> None:
        self.control = control
        self.pending: dict[str, CallerLeg] = {}  # the caller's leg as it was when they left

    def keep(self, leg: CallerLeg) -> None:
        """The caller hung up and keeps their place: remember how to reach them."""
        self.pending[leg.call_id] = leg

    def forget(self, call_id: str) -> None:
        self.pending.pop(call_id, None)

    def leg_for(self, call: Call) -> CallerLeg | None:
        """A leg that will call the caller back once the seat answers (None: unreachable)."""
        c = self.control
        original = self.pending.get(call.call_id)
        target = self.target(original) if original is not None else None
        if original is None or target is None:
            return None
        sock = bind_udp_socket(c.ep.local_addr[0], 0)
        media = LegMedia(sock, remote=None, payload_type=original.media.payload_type,
                         dtmf_payload_type=None, peer_host=target[1][0], window=c.rtp_window,
                         symmetric=c.rtp_symmetric)
        leg = CallerLeg(original.call_id, original.line, original.invite, None, media,
                        call.language, call=call, silent_ok=True, source=original.source)
        c.callers[leg.call_id] = leg
        return leg

    def dial_back(self, call: Call, leg: CallerLeg) -> None:
        """The agent answered: call the caller back (the call object times the ringing)."""
        c = self.control
        target = self.target(leg)
        if target is None:
            c._later(call, ce.DialFailed(cc.CALLBACK, call.call_id, 404, "Not Found"))
            return
        uri, addr = target
        sdp = build_offer(c.host, leg.media.local_port, user=leg.line).to_bytes()
        invite = new_invite(leg.line, leg.line, uri, sdp, host=c.host, port=c.port,
                            contact=c.contact(leg.line), cseq=c.next_cseq())
        leg.callback_invite = invite
        c.send_invite(invite, addr, lambda response: self.on_response(call, leg, response),
                      lambda timeout: self._failed(call, 408, "Request Timeout"))
        log.info("calling %s back at %s", leg.call_id, uri)

    def on_response(self, call: Call, leg: CallerLeg, response: SIPResponse) -> None:
        if response.status < 200:
            return
        c = self.control
        if response.status >= 300:
            self._failed(call, response.status, response.reason)
            return
        assert leg.callback_invite is not None
        try:
            dialog, leg.ack = c.confirm(leg.callback_invite, response, leg.line,
                                        peer=self.target(leg)[1])  # type: ignore[index]
        except ValueError as exc:
            self._failed(call, 502, f"unusable 2xx: {exc}")
            return
        leg.dialog = dialog
        c.dialogs[dialog.id] = leg
        if leg.ended:
            c.send_in_dialog(dialog, "BYE")  # the agent left meanwhile
            c.dialogs.pop(dialog.id, None)
            return
        try:
            codec, dtmf, host, port = parse_answer(response.body)
        except SDPError as exc:
            c.send_in_dialog(dialog, "BYE")
            self._failed(call, 488, f"bad SDP: {exc}")
            return
        leg.media.set_remote((host, port), codec.payload_type, dtmf)
        leg.silent_ok = False
        log.info("%s answered the callback", leg.call_id)
        c._event(call, ce.DialAnswered(cc.CALLBACK, call.call_id))

    def _failed(self, call: Call, status: int, reason: str) -> None:
        log.warning("callback of %s failed: %s %s", call.call_id, status, reason)
        self.control._event(call, ce.DialFailed(cc.CALLBACK, call.call_id, status, reason))

    def drop(self, leg: CallerLeg) -> None:
        """Stop calling the caller back (CANCEL before they answer), and free the leg."""
        c = self.control
        if leg.dialog is None and leg.callback_invite is not None:
            target = self.target(leg)
            if target is not None:
                c.ep.send_request(cancel_for(leg.callback_invite), target[1])
            c.release(leg)
        else:
            c.hang_up(leg)

    def target(self, leg: CallerLeg) -> tuple[str, Addr] | None:
        """(URI, address) to call ``leg``'s caller back at; None if they cannot be."""
        return callback_target(leg, self.control.config.callback_gateway())
