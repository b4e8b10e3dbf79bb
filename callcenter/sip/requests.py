"""Building out-of-dialog requests (INVITE, OPTIONS, REGISTER ...) with a fresh Via branch."""

from __future__ import annotations

from collections.abc import Iterable

from callcenter.sip.ids import new_branch
from callcenter.sip.message import Headers, SIPRequest


def new_request(method: str, uri: str, *, via: tuple[str, int], from_: str, to: str,
                call_id: str, cseq: int, contact: str | None = None, body: bytes = b"",
                content_type: str | None = None,
                extra: Iterable[tuple[str, str]] = ()) -> SIPRequest:
    """A request outside any dialog, sent over UDP from ``via`` (host, port).

    ``from_`` and ``to`` are whole header values (``from_`` with its tag).
    """
    host, port = via
    headers = Headers()
    headers.add("Via", f"SIP/2.0/UDP {host}:{port};branch={new_branch()};rport")
    headers.add("Max-Forwards", "70")
    headers.add("From", from_)
    headers.add("To", to)
    headers.add("Call-ID", call_id)
    headers.add("CSeq", f"{cseq} {method}")
    if contact is not None:
        headers.add("Contact", contact)
    for name, value in extra:
        headers.add(name, value)
    if body and content_type:
        headers.add("Content-Type", content_type)
    return SIPRequest(method, uri, headers, body)
