"""A minimal user agent over :class:`~callcenter.sip.transport.SipEndpoint`.

As UAS it answers INVITE with 180 and 200 + SDP (G.711 answer), takes ACK, BYE, CANCEL,
OPTIONS and INFO, and optionally REGISTER with digest auth. As UAC it places a call
(``await ua.call(...)``) and hangs up (``await ua.hangup(call)``). Enough for loopback
integration tests and as the base the engine's call control builds on.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from callcenter.media.rtp_endpoint import RtpEndpoint, bind_udp_socket
from callcenter.sip.dialog import Dialog, DialogId, dialog_id, in_dialog
from callcenter.sip.digest import DigestServer, build_authorization
from callcenter.sip.ids import new_branch, new_call_id, new_tag
from callcenter.sip.message import (
    Headers,
    NameAddr,
    SIPRequest,
    SIPResponse,
    SipURI,
    make_response,
)
from callcenter.sip.requests import new_request
from callcenter.sip.sdp import SDPError, answer_offer, build_offer, parse_answer, parse_sdp
from callcenter.sip.transactions import Addr, Timeout, TransactionKey
from callcenter.sip.transport import SipEndpoint

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REGISTER, NOTIFY"


@dataclass
class Call:
    """One call leg as seen by this user agent."""

    call_id: str
    role: str  # "uas" or "uac"
    invite: SIPRequest
    peer: Addr
    dialog: Dialog | None = None
    status: int | None = None
    state: str = "initial"
    local_sdp: bytes = b""
    remote_sdp: bytes = b""
    remote_media: Addr | None = None
    payload_type: int | None = None
    dtmf_payload_type: int | None = None
    end_reason: str = ""
    ack: bytes | None = None
    rtp: asyncio.Future[RtpEndpoint] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    notifies: list[str] = field(default_factory=list)  # sipfrag status lines of a transfer
    notified: asyncio.Event = field(default_factory=asyncio.Event)

    def finish(self, reason: str) -> None:
        if self.state != "ended":
            self.state = "ended"
            self.end_reason = reason
            self.answered.set()
            self.ended.set()
            if self.rtp is not None:
                self.rtp.add_done_callback(_close_endpoint)

    async def media(self) -> RtpEndpoint:
        """The call's RTP endpoint (only when the user agent runs with ``media=True``)."""
        if self.rtp is None:
            raise RuntimeError("this user agent does not open RTP sockets")
        return await self.rtp


def _close_endpoint(future: asyncio.Future[RtpEndpoint]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()


class UserAgent:
    """UAS and UAC on one endpoint (set ``endpoint.tu`` to this object)."""

    def __init__(
        self,
        endpoint: SipEndpoint,
        *,
        user: str = "callcenter",
        media_host: str | None = None,
        media_port: Callable[[], int] | None = None,
        ring: bool = True,
        auto_answer: bool = True,
        registrar: DigestServer | None = None,
        on_call: Callable[[Call], None] | None = None,
        media: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.credentials = credentials  # (username, password) to answer a challenged INVITE
        endpoint.tu = self
        self.user = user
        self.media_host = media_host or endpoint.local_addr[0]
        ports = itertools.count(40000, 2)
        self.media_port = media_port or (lambda: next(ports))
        self.ring = ring
        self.auto_answer = auto_answer
        self.registrar = registrar
        self.on_call = on_call
        self.media = media
        self.calls: dict[DialogId, Call] = {}
        self._invites: dict[TransactionKey, Call] = {}
        self._client: dict[TransactionKey, asyncio.Future[SIPResponse | None]] = {}
        self.registrations: dict[str, str] = {}
        self.completed: deque[Call] = deque(maxlen=1000)

    # -- helpers ---------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self.endpoint.local_addr[0]

    @property
    def port(self) -> int:
        return self.endpoint.local_addr[1]

    @property
    def contact(self) -> str:
        return f"<sip:{self.user}@{self.host}:{self.port}>"

    def _allocate_media(self) -> tuple[int, asyncio.Future[RtpEndpoint] | None]:
        """A media port for SDP; with ``media=True`` also a bound RTP socket being wrapped."""
        if not self.media:
            return self.media_port(), None
        sock = bind_udp_socket(self.media_host, 0)
        future = asyncio.ensure_future(RtpEndpoint.from_socket(sock))
        return sock.getsockname()[1], future

    def _end(self, call: Call, reason: str) -> None:
        if call.state != "ended":
            call.finish(reason)
            self.completed.append(call)
        if call.dialog is not None:
            self.calls.pop(call.dialog.id, None)

    # -- TU callbacks ----------------------------------------------------------------------

    def on_request(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        handler = getattr(self, f"_on_{request.method.lower()}", None)
        if request.method == "ACK":
            self._on_ack(request)
            return
        rejection = self._precheck(request)
        if rejection is not None:
            self.endpoint.respond(rejection)
        elif handler is None:
            self.endpoint.respond(make_response(request, 501, headers=[("Allow", ALLOW)]))
        else:
            handler(request, addr, txn)

    @staticmethod
    def _precheck(request: SIPRequest) -> SIPResponse | None:
        """RFC 3261 8.2.2 / 16.3 checks: Max-Forwards exhausted (483), Require (420)."""
        max_forwards = request.headers.get("max-forwards")
        if max_forwards is not None and max_forwards.strip() == "0" and \
                request.method != "OPTIONS":
            return make_response(request, 483)
        required = [opt.strip() for value in request.headers.get_all("require")
                    for opt in value.split(",") if opt.strip()]
        if required and request.method != "CANCEL":
            return make_response(request, 420, headers=[("Unsupported", ", ".join(required))])
        return None

    def on_response(self, response: SIPResponse, addr: Addr, txn: TransactionKey | None) -> None:
        if txn is not None and txn in self._invites:
            self._invite_response(self._invites[txn], response)
            if response.status >= 200:
                self._invites.pop(txn, None)
            return
        if response.cseq.method == "INVITE" and 200 <= response.status < 300:
            # A re-INVITE's 2xx (ACK it), or a retransmitted 2xx (ACK again).
            call = self.calls.get(dialog_id(response))
            if call is not None and call.dialog is not None:
                if txn is not None and txn in self._client:
                    call.ack = call.dialog.create_ack(
                        response.cseq.seq, via_host=self.host, via_port=self.port).to_bytes()
                if call.ack is not None:
                    self.endpoint.send(call.ack, call.dialog.next_hop())
        if txn is not None and response.status >= 200:
            future = self._client.pop(txn, None)
            if future is not None and not future.done():
                future.set_result(response)

    def on_timeout(self, timeout: Timeout) -> None:
        call = self._invites.pop(timeout.transaction, None)
        if call is not None:
            call.status = 408
            self._end(call, f"timeout {timeout.kind}")
            return
        future = self._client.pop(timeout.transaction, None)
        if future is not None and not future.done():
            future.set_result(None)
        if timeout.kind == "L":
            call = next((c for c in self.calls.values() if c.invite is timeout.request), None)
            if call is not None and call.dialog is not None:
                log.warning("no ACK for 2xx on %s, sending BYE", call.call_id)
                asyncio.ensure_future(self.hangup(call))

    # -- UAS -------------------------------------------------------------------------------

    def _on_invite(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        if request.to_tag:
            self._on_reinvite(request)
            return
        tag = new_tag()
        port, rtp = self._allocate_media()
        if request.body:
            try:
                answer = answer_offer(request.body, self.media_host, port, user=self.user)
            except SDPError as exc:
                if rtp is not None:
                    rtp.add_done_callback(_close_endpoint)
                self.endpoint.respond(make_response(request, exc.status, to_tag=tag))
                return
            call = Call(request.call_id, "uas", request, addr, state="early",
                        local_sdp=answer.to_bytes(), remote_sdp=request.body,
                        remote_media=(answer.remote_address, answer.remote_port),
                        payload_type=answer.codec.payload_type,
                        dtmf_payload_type=answer.dtmf_payload_type, rtp=rtp)
        else:  # delayed offer: we offer in the 200, the answer comes in the ACK
            offer = build_offer(self.media_host, port, user=self.user)
            call = Call(request.call_id, "uas", request, addr, state="early",
                        local_sdp=offer.to_bytes(), rtp=rtp)
        ok = make_response(request, 200, to_tag=tag, body=call.local_sdp,
                           content_type="application/sdp",
                           headers=[("Contact", self.contact), ("Allow", ALLOW)])
        try:
            call.dialog = Dialog.from_uas(request, ok, local_contact=self.contact)
        except ValueError as exc:
            self.endpoint.respond(make_response(request, 400, f"Bad Request - {exc}",
                                                to_tag=tag))
            return
        if self.ring:
            self.endpoint.respond(make_response(request, 180, to_tag=tag,
                                                headers=[("Contact", self.contact)]))
        self.calls[call.dialog.id] = call
        if self.on_call:
            self.on_call(call)
        if self.auto_answer:
            self.answer(call, ok)

    def answer(self, call: Call, ok: SIPResponse | None = None) -> None:
        """Send the 200 for an incoming call (done automatically when ``auto_answer``)."""
        if ok is None:
            tag = call.dialog.local_tag if call.dialog else new_tag()
            ok = make_response(call.invite, 200, to_tag=tag, body=call.local_sdp,
                               content_type="application/sdp",
                               headers=[("Contact", self.contact), ("Allow", ALLOW)])
        call.status = 200
        call.state = "answered"
        call.answered.set()
        self.endpoint.respond(ok)

    def _on_reinvite(self, request: SIPRequest) -> None:
        call = in_dialog(request, self.calls, self.endpoint.respond)
        if call is None:
            return
        body = call.local_sdp
        if request.body:
            try:
                local = parse_sdp(call.local_sdp).audio()
                port = local.port if local is not None else self.media_port()
                answer = answer_offer(request.body, self.media_host, port, user=self.user,
                                      version=2)
                body = answer.to_bytes()
            except SDPError as exc:
                self.endpoint.respond(make_response(request, exc.status))
                return
        self.endpoint.respond(make_response(request, 200, body=body,
                                            content_type="application/sdp",
                                            headers=[("Contact", self.contact)]))

    def _on_ack(self, request: SIPRequest) -> None:
        call = self.calls.get(dialog_id(request))
        if call is not None and call.role == "uas" and request.cseq.seq == call.invite.cseq.seq:
            if call.remote_media is None and request.body:
                # Delayed offer: our 200 carried the offer, the ACK carries the answer.
                try:
                    codec, dtmf, host, port = parse_answer(request.body)
                    call.remote_sdp = request.body
                    call.remote_media = (host, port)
                    call.payload_type, call.dtmf_payload_type = codec.payload_type, dtmf
                except SDPError as exc:
                    log.warning("unusable SDP in ACK on %s: %s", call.call_id, exc)
            call.state = "confirmed"
            call.confirmed.set()

    def _on_bye(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        call = in_dialog(request, self.calls, self.endpoint.respond)
        if call is None:
            return
        self.endpoint.respond(make_response(request, 200))
        self._end(call, "remote BYE")

    def _on_cancel(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        invite_key = self.endpoint.layer.matching_invite(request)
        if invite_key is None:
            self.endpoint.respond(make_response(request, 481))
            return
        self.endpoint.respond(make_response(request, 200))
        invite_txn = self.endpoint.layer.get(invite_key)
        if invite_txn is not None and invite_txn.state == "Proceeding":
            for call in list(self.calls.values()):
                if call.invite is invite_txn.request:
                    tag = call.dialog.local_tag if call.dialog else new_tag()
                    self.endpoint.respond(make_response(call.invite, 487, to_tag=tag))
                    self._end(call, "cancelled")

    def _on_options(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        self.endpoint.respond(make_response(request, 200, to_tag=new_tag(), headers=[
            ("Allow", ALLOW), ("Accept", "application/sdp")]))

    def _on_info(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        known = dialog_id(request) in self.calls
        self.endpoint.respond(make_response(request, 200 if known else 481))

    def _on_notify(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        """Transfer progress (RFC 3515): the sipfrag status line is kept on the call."""
        call = self.calls.get(dialog_id(request))
        if call is None or call.dialog is None or not call.dialog.receive_request(request):
            self.endpoint.respond(make_response(request, 481))
            return
        self.endpoint.respond(make_response(request, 200))
        call.notifies.append(request.body.decode("utf-8", "replace").split("\r\n")[0])
        call.notified.set()

    async def transfer(self, call: Call, target: str, timeout: float = 40.0) -> SIPResponse | None:
        """Blind-transfer ``call`` to ``target`` (a SIP URI) with REFER; the final response."""
        return await self.request(call, "REFER", headers=[("Refer-To", f"<{target}>")],
                                  timeout=timeout)

    def _on_register(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        if self.registrar is None:
            self.endpoint.respond(make_response(request, 405, headers=[("Allow", ALLOW)]))
            return
        result = self.registrar.verify(request.headers.get("authorization"), "REGISTER")
        if not result.ok:
            challenge = self.registrar.challenge(stale=result.stale)
            self.endpoint.respond(make_response(request, 401, to_tag=new_tag(),
                                                headers=[("WWW-Authenticate", challenge)]))
            return
        contact = request.headers.get("contact") or ""
        expires = request.headers.get("expires") or "3600"
        if expires.strip() == "0" and result.username:
            self.registrations.pop(result.username, None)
        elif result.username:
            self.registrations[result.username] = contact
        self.endpoint.respond(make_response(request, 200, to_tag=new_tag(), headers=[
            ("Contact", f"{contact};expires={expires}" if contact else ""),
            ("Expires", expires)]))

    # -- UAC -------------------------------------------------------------------------------

    def _new_request(self, method: str, uri: str, *, to: str, from_tag: str, call_id: str,
                     cseq: int, body: bytes = b"", content_type: str | None = None,
                     extra: list[tuple[str, str]] | None = None) -> SIPRequest:
        return new_request(method, uri, via=(self.host, self.port),
                           from_=str(NameAddr(f"sip:{self.user}@{self.host}").with_tag(from_tag)),
                           to=to, call_id=call_id, cseq=cseq, contact=self.contact, body=body,
                           content_type=content_type, extra=extra or ())

    def start_call(self, target: str, addr: Addr, *, offer: bytes | None = None) -> Call:
        """Send an INVITE to ``target`` (a SIP URI) at ``addr``; returns the Call at once.

        ``offer=None`` builds a G.711 offer; ``offer=b""`` sends no SDP (delayed offer), in
        which case the answer goes in the ACK.
        """
        rtp = None
        if offer is None:
            port, rtp = self._allocate_media()
            offer = build_offer(self.media_host, port, user=self.user).to_bytes()
        call_id = new_call_id(self.host)
        tag = new_tag()
        invite = self._new_request("INVITE", target, to=f"<{target}>", from_tag=tag,
                                   call_id=call_id, cseq=1, body=offer,
                                   content_type="application/sdp")
        call = Call(call_id, "uac", invite, addr, state="calling", local_sdp=offer, rtp=rtp)
        key = self.endpoint.send_request(invite, addr)
        self._invites[key] = call
        return call

    def _authenticate(self, call: Call, response: SIPResponse) -> bool:
        """Send the INVITE again with ``credentials`` answering the challenge (once)."""
        if self.credentials is None or call.invite.headers.get("authorization"):
            return False
        challenge = (response.headers.get("www-authenticate")
                     or response.headers.get("proxy-authenticate") or "")
        username, password = self.credentials
        invite = call.invite
        again = SIPRequest("INVITE", invite.uri, invite.headers.copy(), invite.body)
        again.headers.set("CSeq", f"{invite.cseq.seq + 1} INVITE")
        again.headers.set("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch={new_branch()};rport")
        again.headers.set("Authorization", build_authorization(
            challenge, method="INVITE", uri=invite.uri, username=username, password=password))
        call.invite = again
        self._invites[self.endpoint.send_request(again, call.peer)] = call
        return True

    async def call(self, target: str, addr: Addr, *, offer: bytes | None = None,
                   timeout: float = 10.0) -> Call:
        """Place a call and wait for the final response (check ``call.status``)."""
        call = self.start_call(target, addr, offer=offer)
        await asyncio.wait_for(call.answered.wait(), timeout)
        return call

    def cancel(self, call: Call) -> None:
        """CANCEL an outgoing call that has no final response yet (RFC 3261 section 9.1).

        The INVITE then fails with 487; its client transaction sends the ACK.
        """
        if call.role != "uac" or call.status is not None:
            raise ValueError("only an unanswered outgoing call can be cancelled")
        invite = call.invite
        headers = Headers()
        headers.add("Via", invite.headers.get("via") or "")
        for route in invite.headers.get_all("route"):
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        for name in ("From", "To", "Call-ID"):
            headers.add(name, invite.headers.get(name) or "")
        headers.add("CSeq", f"{invite.cseq.seq} CANCEL")
        self.endpoint.send_request(SIPRequest("CANCEL", invite.uri, headers), call.peer)

    def _invite_response(self, call: Call, response: SIPResponse) -> None:
        if response.status < 200:
            if call.state == "calling":
                call.state = "ringing" if response.status in (180, 183) else call.state
            return
        if response.status in (401, 407) and self._authenticate(call, response):
            return
        call.status = response.status
        if response.status >= 300:
            self._end(call, f"rejected {response.status}")
            return
        try:
            dialog = Dialog.from_uac(call.invite, response, local_contact=self.contact)
        except ValueError as exc:  # e.g. a 2xx without To tag
            log.warning("unusable 2xx on %s: %s", call.call_id, exc)
            self._end(call, f"bad 2xx: {exc}")
            return
        call.dialog = dialog
        call.remote_sdp = response.body
        ack_body = b""
        try:
            if response.body and not call.local_sdp:
                # Delayed offer: the 2xx carries the offer and our ACK the answer.
                port, call.rtp = self._allocate_media()
                answer = answer_offer(response.body, self.media_host, port, user=self.user)
                call.local_sdp = ack_body = answer.to_bytes()
                call.payload_type = answer.codec.payload_type
                call.dtmf_payload_type = answer.dtmf_payload_type
                call.remote_media = (answer.remote_address, answer.remote_port)
            elif response.body:
                codec, dtmf, host, port = parse_answer(response.body)
                call.payload_type, call.dtmf_payload_type = codec.payload_type, dtmf
                call.remote_media = (host, port)
        except SDPError as exc:
            log.warning("unusable SDP in 2xx on %s: %s", call.call_id, exc)
        ack = dialog.create_ack(call.invite.cseq.seq, via_host=self.host, via_port=self.port,
                                body=ack_body,
                                content_type="application/sdp" if ack_body else None)
        call.ack = ack.to_bytes()
        self.endpoint.send(call.ack, dialog.next_hop())
        self.calls[dialog.id] = call
        call.state = "confirmed"
        call.answered.set()
        call.confirmed.set()

    async def request(self, call: Call, method: str, *, body: bytes = b"",
                      content_type: str | None = None, headers: list[tuple[str, str]] | None = None,
                      timeout: float = 40.0) -> SIPResponse | None:
        """Send an in-dialog request and wait for its final response (None on timeout)."""
        if call.dialog is None:
            raise ValueError("call has no dialog")
        req = call.dialog.create_request(method, via_host=self.host, via_port=self.port,
                                         body=body, content_type=content_type,
                                         headers=headers or [])
        future: asyncio.Future[SIPResponse | None] = asyncio.get_running_loop().create_future()
        key = self.endpoint.send_request(req, call.dialog.next_hop())
        self._client[key] = future
        return await asyncio.wait_for(future, timeout)

    async def hangup(self, call: Call, timeout: float = 40.0) -> SIPResponse | None:
        """Send BYE on an established call and wait for its response."""
        if call.state == "ended":
            return None
        response = await self.request(call, "BYE", timeout=timeout)
        self._end(call, "local BYE")
        return response

    async def options(self, target: str, addr: Addr, timeout: float = 40.0) -> SIPResponse | None:
        """Send an out-of-dialog OPTIONS ping."""
        req = self._new_request("OPTIONS", target, to=f"<{target}>", from_tag=new_tag(),
                                call_id=new_call_id(self.host), cseq=1)
        future: asyncio.Future[SIPResponse | None] = asyncio.get_running_loop().create_future()
        self._client[self.endpoint.send_request(req, addr)] = future
        return await asyncio.wait_for(future, timeout)

    async def register(self, registrar: str, addr: Addr, *, username: str, password: str,
                       expires: int = 3600, timeout: float = 40.0) -> SIPResponse | None:
        """REGISTER, answering one digest challenge (client side of agent softphones)."""
        call_id, tag = new_call_id(self.host), new_tag()
        aor = f"<sip:{username}@{_host_of(registrar)}>"
        extra = [("Expires", str(expires))]
        response = None
        for cseq in (1, 2):
            req = self._new_request("REGISTER", registrar, to=aor, from_tag=tag,
                                    call_id=call_id, cseq=cseq, extra=extra)
            req.headers.set("From", f"{aor};tag={tag}")
            loop = asyncio.get_running_loop()
            future: asyncio.Future[SIPResponse | None] = loop.create_future()
            self._client[self.endpoint.send_request(req, addr)] = future
            response = await asyncio.wait_for(future, timeout)
            if response is None or response.status != 401:
                return response
            challenge = response.headers.get("www-authenticate") or ""
            extra = [("Expires", str(expires)), ("Authorization", build_authorization(
                challenge, method="REGISTER", uri=registrar, username=username,
                password=password, nc=1))]
        return response


def _host_of(uri: str) -> str:
    """The host[:port] part of a SIP URI."""
    parsed = SipURI.parse(uri)
    return parsed.host + (f":{parsed.port}" if parsed.port else "")
