"""Call legs of the embedded engine and the out-of-dialog requests it sends to seats."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from callcenter.sip.dialog import Dialog
from callcenter.sip.ids import new_call_id, new_tag
from callcenter.sip.message import Headers, NameAddr, SIPRequest, SIPResponse, SipURI
from callcenter.sip.requests import new_request
from callcenter.sip.transactions import Addr
from callcenter.telephony.media import LegMedia
from callcenter.telephony.trust import TrustDomain
from calls.call import Call
from outbound.numbers import is_phone

ALLOW = "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS, REGISTER, REFER"
_DIALABLE = re.compile(r"[^0-9+*#]")


@dataclass
class AgentLeg:
    """The engine's outgoing INVITE to an agent seat for one offer."""

    agent_id: str
    caller: CallerLeg
    invite: SIPRequest
    peer: Addr
    media: LegMedia
    dialog: Dialog | None = None
    ack: bytes | None = None
    state: str = "ringing"  # ringing | cancelled | answered | ended


@dataclass
class DepartmentLeg:
    """The engine's INVITE to a department for a transfer of ``caller``."""

    department_id: str
    number: str
    caller: CallerLeg
    invite: SIPRequest
    peer: Addr
    media: LegMedia
    dialog: Dialog | None = None
    ack: bytes | None = None
    state: str = "ringing"  # ringing | cancelled | answered | ended
    conference: Any = None  # the three-way call's Conference, while it mixes


@dataclass
class CallerLeg:
    """A caller's SIP side; ``call_id`` (the SIP Call-ID) is also the call object's and the
    ACD's call id. ``call`` is None for a seat's feature-code call."""

    call_id: str
    line: str
    invite: SIPRequest
    dialog: Dialog | None  # None for a callback until the caller answers
    media: LegMedia
    language: str
    call: Call | None = None
    ok: SIPResponse | None = None  # the 200 sent when the call object answers
    callback_invite: SIPRequest | None = None  # the engine's INVITE calling the caller back
    ack: bytes | None = None  # our ACK to the caller's 2xx, for a callback
    ended: bool = False
    silent_ok: bool = False  # the caller put the call on hold: no RTP is expected
    agent: AgentLeg | None = None
    department: DepartmentLeg | None = None
    play_id: int | None = None  # the call object's Play now heard
    source: Addr | None = None  # where the caller's INVITE came from
    on_ended: Callable[[CallerLeg, str], None] | None = None  # told once the leg has ended


def agent_invite(leg: CallerLeg, target: str, sdp: bytes, *, host: str, port: int,
                 contact: str, cseq: int) -> SIPRequest:
    """The INVITE that rings a seat at ``target`` for ``leg``; the caller's number is shown."""
    caller = caller_number(leg.invite) or "anonymous"
    return new_invite(caller, leg.line, target, sdp, host=host, port=port, contact=contact,
                      cseq=cseq)


def callback_target(leg: CallerLeg, gateway: Addr | None, trust: TrustDomain) -> tuple[str, Addr] | None:
    """Where to call a caller back: through ``gateway`` (the outbound route), else at the very
    address their INVITE came from; with the number :func:`vouched_number` gives (a trusted
    peer's only, unless there is no gateway and no trust domain: then that peer alone is called,
    with the number it sent). Never the Contact's host or user, nor a number keyed in; None when
    there is no number."""
    number, _ = vouched_number(leg.invite, leg.source, trust, strict=gateway is not None)
    to = gateway or leg.source
    if number is None or to is None:
        return None
    host = f"[{to[0]}]" if ":" in to[0] else to[0]
    return f"sip:{number}@{host}:{to[1]}", to


def vouched_number(request: SIPRequest, source: Addr | None, trust: TrustDomain, *,
                   strict: bool) -> tuple[str | None, bool]:
    """The caller's number (see :func:`asserted_number`) and whether one was sent but not
    believed. It is believed only from ``source`` a peer in ``trust`` if ``strict`` (the number is
    dialled through a gateway) or ``trust`` lists anyone; else (called back only at ``source``)
    whatever that peer sent."""
    number = asserted_number(request)
    if number is None or not strict and trust.empty or trust.trusts(source):
        return number, False
    return None, True


def own_number(request: SIPRequest, source: Addr | None, trust: TrustDomain) -> str | None:
    """The caller's number (see :func:`asserted_number`) if ``request`` came from ``source``, a
    peer in ``trust``: anyone else's headers say what that peer chose. None otherwise."""
    return asserted_number(request) if trust.trusts(source) else None


def asserted_number(request: SIPRequest) -> str | None:
    """The number in P-Asserted-Identity (else From), if it is a mainland phone number (a
    mobile, or a landline with area code); None otherwise. Whoever sent it chose it."""
    identity = request.headers.get("p-asserted-identity")
    try:
        uri = SipURI.parse((NameAddr.parse(identity) if identity else request.from_addr).uri)
    except ValueError:
        return None
    user = uri.user or ""
    return user if is_phone(user) else None


def new_invite(display: str, line: str, target: str, sdp: bytes, *, host: str, port: int,
               contact: str, cseq: int) -> SIPRequest:
    """An out-of-dialog INVITE from the engine's ``line`` (shown as ``display``) to ``target``."""
    return new_request("INVITE", target, via=(host, port),
                       from_=f'"{display}" <sip:{line}@{host}>;tag={new_tag()}',
                       to=f"<{target}>", call_id=new_call_id(host), cseq=cseq, contact=contact,
                       body=sdp, content_type="application/sdp", extra=[("Allow", ALLOW)])


def caller_number(request: SIPRequest) -> str:
    """The caller's user part reduced to dialable characters (for display only)."""
    try:
        user = SipURI.parse(request.from_addr.uri).user or ""
    except ValueError:
        return ""
    return _DIALABLE.sub("", user)


def cancel_for(invite: SIPRequest) -> SIPRequest:
    """A CANCEL for our INVITE (RFC 3261 section 9.1): same Via branch, Call-ID, From, To."""
    headers = Headers()
    headers.add("Via", invite.headers.get("via") or "")
    headers.add("Max-Forwards", "70")
    for name in ("From", "To", "Call-ID"):
        headers.add(name, invite.headers.get(name) or "")
    headers.add("CSeq", f"{invite.cseq.seq} CANCEL")
    return SIPRequest("CANCEL", invite.uri, headers)

