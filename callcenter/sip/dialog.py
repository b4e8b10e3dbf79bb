"""SIP dialogs (RFC 3261 section 12): state and in-dialog request construction."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from callcenter.sip.ids import new_branch
from callcenter.sip.message import (
    Headers,
    NameAddr,
    SIPRequest,
    SIPResponse,
    SipURI,
    make_response,
)

DialogId = tuple[str, str, str]


class _InDialog(Protocol):
    dialog: Dialog | None


L = TypeVar("L", bound=_InDialog)


def dialog_id(message: SIPRequest | SIPResponse) -> DialogId:
    """(Call-ID, local tag, remote tag) of a message we received.

    In a received request our tag is in To; in a received response (to our request)
    our tag is in From.
    """
    if isinstance(message, SIPRequest):
        return message.call_id, message.to_tag or "", message.from_tag or ""
    return message.call_id, message.from_tag or "", message.to_tag or ""



def in_dialog(request: SIPRequest, known: Mapping[DialogId, L],
              respond: Callable[[SIPResponse], Any]) -> L | None:
    """What ``known`` holds for the dialog of a received in-dialog request, once that dialog
    takes the request; None after answering it 481 (no such dialog) or 500 (CSeq out of order)."""
    found = known.get(dialog_id(request))
    if found is None or found.dialog is None:
        respond(make_response(request, 481))
        return None
    if not found.dialog.receive_request(request):
        respond(make_response(request, 500))
        return None
    return found

@dataclass
class Dialog:
    """One side of a dialog."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: NameAddr
    remote_uri: NameAddr
    remote_target: str
    route_set: list[str] = field(default_factory=list)
    local_seq: int = 0
    remote_seq: int | None = None
    is_uac: bool = True
    local_contact: str | None = None
    state: str = "confirmed"
    peer: tuple[str, int] | None = None  # where the peer signals from: in-dialog requests go here

    @property
    def id(self) -> DialogId:
        return self.call_id, self.local_tag, self.remote_tag

    @classmethod
    def from_uas(cls, request: SIPRequest, response: SIPResponse, *,
                 local_contact: str | None = None) -> Dialog:
        """The UAS side, from the received request and our 1xx/2xx with a To tag (12.1.1)."""
        to_tag = response.to_tag
        if not to_tag:
            raise ValueError("response has no To tag")
        contact = request.contact
        if contact is None:
            raise ValueError("dialog-creating request has no Contact")
        to = request.to_addr
        return cls(
            call_id=request.call_id,
            local_tag=to_tag,
            remote_tag=request.from_tag or "",
            local_uri=NameAddr(to.uri, to.display_name),
            remote_uri=request.from_addr,
            remote_target=contact.uri,
            route_set=request.headers.get_all("record-route"),
            local_seq=secrets.randbelow(2**16) + 1,
            remote_seq=request.cseq.seq,
            is_uac=False,
            local_contact=local_contact,
            state="confirmed" if response.status >= 200 else "early",
        )

    @classmethod
    def from_uac(cls, request: SIPRequest, response: SIPResponse, *,
                 local_contact: str | None = None) -> Dialog:
        """The UAC side, from our request and a 1xx/2xx carrying a To tag (12.1.2)."""
        to_tag = response.to_tag
        if not to_tag:
            raise ValueError("response has no To tag")
        contact = response.contact
        from_addr = request.from_addr
        return cls(
            call_id=request.call_id,
            local_tag=from_addr.tag or "",
            remote_tag=to_tag,
            local_uri=NameAddr(from_addr.uri, from_addr.display_name),
            remote_uri=NameAddr(request.to_addr.uri, request.to_addr.display_name),
            remote_target=contact.uri if contact else request.uri,
            route_set=list(reversed(response.headers.get_all("record-route"))),
            local_seq=request.cseq.seq,
            remote_seq=None,
            is_uac=True,
            local_contact=local_contact or request.headers.get("contact"),
            state="confirmed" if response.status >= 200 else "early",
        )

    def _request_uri_and_routes(self) -> tuple[str, list[str]]:
        """Request-URI and Route headers per RFC 3261 section 12.2.1.1."""
        if not self.route_set:
            return self.remote_target, []
        first = NameAddr.parse(self.route_set[0])
        try:
            loose = "lr" in SipURI.parse(first.uri).params
        except ValueError:
            loose = True
        if loose:
            return self.remote_target, list(self.route_set)
        uri = SipURI.parse(first.uri)
        uri.params = {}
        return str(uri), [*self.route_set[1:], f"<{self.remote_target}>"]

    def create_request(
        self,
        method: str,
        *,
        via_host: str,
        via_port: int,
        transport: str = "UDP",
        branch: str | None = None,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        cseq: int | None = None,
    ) -> SIPRequest:
        """Build an in-dialog request (BYE, re-INVITE, INFO, REFER, ...).

        The local CSeq is incremented except for ACK and CANCEL, which must reuse
        the CSeq number of the INVITE they belong to (pass ``cseq``).
        """
        if cseq is None:
            if method in ("ACK", "CANCEL"):
                raise ValueError(f"{method} needs the INVITE's cseq")
            self.local_seq += 1
            cseq = self.local_seq
        uri, routes = self._request_uri_and_routes()
        out = Headers()
        out.add("Via", f"SIP/2.0/{transport} {via_host}:{via_port};branch="
                       f"{branch or new_branch()};rport")
        for route in routes:
            out.add("Route", route)
        out.add("Max-Forwards", "70")
        out.add("From", str(self.local_uri.with_tag(self.local_tag)))
        out.add("To", str(self.remote_uri.with_tag(self.remote_tag)))
        out.add("Call-ID", self.call_id)
        out.add("CSeq", f"{cseq} {method}")
        if self.local_contact and method in ("INVITE", "UPDATE", "REFER", "SUBSCRIBE",
                                             "NOTIFY"):
            out.add("Contact", self.local_contact)
        for name, value in headers:
            out.add(name, value)
        if body and content_type:
            out.add("Content-Type", content_type)
        return SIPRequest(method, uri, out, body)

    def create_ack(self, invite_cseq: int, *, via_host: str, via_port: int,
                   transport: str = "UDP", body: bytes = b"",
                   content_type: str | None = None) -> SIPRequest:
        """The ACK for a 2xx to the INVITE with CSeq ``invite_cseq`` (13.2.2.4)."""
        return self.create_request("ACK", via_host=via_host, via_port=via_port,
                                   transport=transport, body=body,
                                   content_type=content_type, cseq=invite_cseq)

    def receive_request(self, request: SIPRequest) -> bool:
        """Check and record an in-dialog request's CSeq (12.2.2); False means answer 500.

        ACK and CANCEL reuse the INVITE's number and are always accepted. A
        target-refresh request (re-INVITE, UPDATE) with a Contact updates the target.
        """
        seq = request.cseq.seq
        if request.method not in ("ACK", "CANCEL"):
            if self.remote_seq is not None and seq <= self.remote_seq:
                return False
            self.remote_seq = seq
        if request.method in ("INVITE", "UPDATE"):
            contact = request.contact
            if contact is not None:
                self.remote_target = contact.uri
        return True

    def receive_response(self, response: SIPResponse) -> None:
        """Apply a response to one of our in-dialog or dialog-creating requests."""
        if response.cseq.method == "INVITE" and 200 <= response.status < 300:
            self.state = "confirmed"
            contact = response.contact
            if contact is not None:
                self.remote_target = contact.uri
        if response.status in (408, 481) and response.cseq.method != "INVITE":
            self.state = "terminated"

    def next_hop(self) -> tuple[str, int]:
        """Host and port to send in-dialog requests to: ``peer`` when set (a Contact or route
        naming another host must not redirect them), else the first route or the target."""
        if self.peer is not None:
            return self.peer
        uri = NameAddr.parse(self.route_set[0]).uri if self.route_set else self.remote_target
        parsed = SipURI.parse(uri)
        if "maddr" in parsed.params and parsed.params["maddr"]:
            return parsed.params["maddr"] or parsed.host, parsed.port or 5060
        return parsed.hostport()
