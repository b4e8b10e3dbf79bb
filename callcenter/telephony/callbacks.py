"""Callbacks for the embedded engine, on the SIP side: the call object decides (a waiting
caller accepts one, hangs up and keeps their place; the seat rings; once it answers the
caller is dialled back); this module keeps what is needed to reach the caller and places
the call back.

The engine only ever calls back the caller's own number: through the configured outbound route
only as a trusted peer (the carrier) asserted it, or at the very address the call came from
(see :func:`callback_target`): never a number keyed in, never a Contact naming another host. An
agent's outbound task takes the same path (the seat first, then the citizen) with a
:class:`Route` of its own: the case's number through the outbound trunk, from the line's number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.media.rtp_endpoint import bind_udp_socket
from callcenter.sip.message import SIPRequest, SIPResponse
from callcenter.sip.sdp import SDPError, build_offer, parse_answer
from callcenter.sip.transactions import Addr
from callcenter.telephony.legs import CallerLeg, callback_target, cancel_for, new_invite
from callcenter.telephony.media import LegMedia
from callcenter.telephony.outbound_calls import CHALLENGES, with_credentials
from calls import commands as cc
from calls import events as ce
from calls.call import Call

if TYPE_CHECKING:
    from callcenter.telephony.call_control import CallControl

log = logging.getLogger(__name__)

DIAL_BACK_TIMEOUT = 30.0  # seconds the caller's phone may ring when called back


@dataclass(frozen=True)
class Route:
    """Where an agent's outbound task dials the citizen once the seat answered (``uri`` at
    ``addr``, from ``line``), whom ``may_dial`` asks first (False: not now, e.g. calling hours
    closed while the seat rang), whom ``on_status`` tells the final status (2xx: answered), and
    the trunk's digest ``credentials`` (answered once when it challenges, as a survey call's)."""

    uri: str
    addr: Addr
    line: str
    may_dial: Callable[[], bool]
    on_status: Callable[[int], None]
    credentials: tuple[str, str] | None = None


class Callbacks:
    """The callers waiting for a callback (as their legs were), and the calls back to them."""

    def __init__(self, control: CallControl) -> None:
        self.control = control
        self.pending: dict[str, CallerLeg] = {}  # the caller's leg as it was when they left
        self.routes: dict[str, Route] = {}  # agents' outbound tasks, by call id (their owner's)

    def keep(self, leg: CallerLeg) -> None:
        """The caller hung up and keeps their place: remember how to reach them."""
        self.pending[leg.call_id] = leg

    def forget(self, call_id: str) -> None:
        self.pending.pop(call_id, None)

    def leg_for(self, call: Call) -> CallerLeg | None:
        """A leg that will call the caller back once the seat answers (None: unreachable)."""
        c = self.control
        route = self.routes.get(call.call_id)
        if route is not None:  # the seat shows the line's number
            invite = new_invite(route.line, route.line, route.uri, b"", host=c.host, port=c.port,
                                contact=c.contact(route.line), cseq=c.next_cseq())
            line, payload_type, source, target = route.line, 0, route.addr, (route.uri, route.addr)
        else:
            original = self.pending.get(call.call_id)
            found = self.target(original) if original is not None else None
            if original is None or found is None:
                return None
            invite, line, payload_type = original.invite, original.line, original.media.payload_type
            source, target = original.source, found
        sock = bind_udp_socket(c.ep.local_addr[0], 0)
        media = LegMedia(sock, remote=None, payload_type=payload_type,
                         dtmf_payload_type=None, peer_host=target[1][0], window=c.rtp_window,
                         symmetric=c.rtp_symmetric)
        leg = CallerLeg(call.call_id, line, invite, None, media,
                        call.language, call=call, silent_ok=True, source=source)
        c.callers[leg.call_id] = leg
        return leg

    def dial_back(self, call: Call, leg: CallerLeg) -> None:
        """The agent answered: call the caller back (the call object times the ringing)."""
        c = self.control
        target = self.target(leg)
        route = self.routes.get(call.call_id)
        if target is None or (route is not None and not route.may_dial()):
            c._later(call, ce.DialFailed(cc.CALLBACK, call.call_id, 404 if target is None else 480,
                                         "Not Found" if target is None else "Not Now"))
            return
        uri, addr = target
        self._send(call, leg, self._invite(leg, uri), addr, route)
        log.info("calling %s back at %s", leg.call_id, uri)

    def _invite(self, leg: CallerLeg, uri: str) -> SIPRequest:
        c = self.control
        sdp = build_offer(c.host, leg.media.local_port, user=leg.line).to_bytes()
        return new_invite(leg.line, leg.line, uri, sdp, host=c.host, port=c.port,
                          contact=c.contact(leg.line), cseq=c.next_cseq())

    def _send(self, call: Call, leg: CallerLeg, invite: SIPRequest, addr: Addr, route: Route | None) -> None:
        leg.callback_invite = invite
        self.control.send_invite(invite, addr, lambda response: self.on_response(call, leg, response, route),
                                 lambda timeout: self._failed(call, 408, "Request Timeout", route))

    def on_response(self, call: Call, leg: CallerLeg, response: SIPResponse,
                    route: Route | None = None) -> None:
        if response.status < 200:
            return
        c = self.control
        if route is not None and response.status in CHALLENGES \
                and self._authenticate(call, leg, response, route):
            return
        if response.status >= 300:
            self._failed(call, response.status, response.reason, route)
            return
        assert leg.callback_invite is not None
        try:
            dialog, leg.ack = c.confirm(leg.callback_invite, response, leg.line,
                                        peer=self.target(leg)[1])  # type: ignore[index]
        except ValueError as exc:
            self._failed(call, 502, f"unusable 2xx: {exc}", route)
            return
        leg.dialog = dialog
        c.dialogs[dialog.id] = leg
        if leg.ended:
            c.send_in_dialog(dialog, "BYE")  # the agent left meanwhile
            c.dialogs.pop(dialog.id, None)
            if route is not None:
                route.on_status(487)  # not reached: nobody was there to talk
            return
        try:
            codec, dtmf, host, port = parse_answer(response.body)
        except SDPError as exc:
            c.send_in_dialog(dialog, "BYE")
            self._failed(call, 488, f"bad SDP: {exc}", route)
            return
        leg.media.set_remote((host, port), codec.payload_type, dtmf)
        leg.silent_ok = False
        log.info("%s answered the callback", leg.call_id)
        if route is not None:
            route.on_status(response.status)
        c._event(call, ce.DialAnswered(cc.CALLBACK, call.call_id))

    def _authenticate(self, call: Call, leg: CallerLeg, response: SIPResponse, route: Route) -> bool:
        """Answer the trunk's challenge once (as a survey call does); False: the status stands."""
        assert leg.callback_invite is not None
        try:
            invite = with_credentials(leg.callback_invite, response, route.credentials,
                                      lambda: self._invite(leg, route.uri))
        except ValueError as exc:
            self._failed(call, response.status, f"challenge: {exc}", route)
            return True
        if invite is not None and leg.ended:
            route.on_status(487)  # the agent left meanwhile: not reached, nobody to talk
        elif invite is not None:
            self._send(call, leg, invite, route.addr, route)
        return invite is not None

    def _failed(self, call: Call, status: int, reason: str, route: Route | None = None) -> None:
        log.warning("callback of %s failed: %s %s", call.call_id, status, reason)
        if route is not None:
            route.on_status(status)
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
        route = self.routes.get(leg.call_id)
        if route is not None:
            return route.uri, route.addr
        return callback_target(leg, self.control.config.callback_gateway(), self.control.trust)
