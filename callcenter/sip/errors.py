"""The error raised for malformed SIP messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from callcenter.sip.headers import Headers

if TYPE_CHECKING:
    from callcenter.sip.message import SIPResponse


class SIPParseError(ValueError):
    """A message that cannot be parsed.

    ``headers`` holds what was parsed before the failure (possibly empty) and
    ``method`` the request method if the start line was a valid request line,
    so that :meth:`bad_request` can answer with a 400 where RFC 3261 allows it.
    """

    def __init__(
        self,
        reason: str,
        *,
        method: str | None = None,
        headers: Headers | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.method = method
        self.headers = headers if headers is not None else Headers()
        self.status = status

    @property
    def can_respond(self) -> bool:
        """True if a response can be addressed: a non-ACK request with a Via header."""
        return self.method not in (None, "ACK") and self.headers.get("via") is not None

    def bad_request(self) -> SIPResponse | None:
        """A 400 (or ``status``) response built from whatever headers were parsed."""
        from callcenter.sip.message import _REQUIRED, REASON_PHRASES, SIPResponse

        if not self.can_respond:
            return None
        headers = Headers()
        for name in _REQUIRED:
            for value in self.headers.get_all(name):
                headers.add(name, value)
        phrase = REASON_PHRASES.get(self.status, "Bad Request")
        reason = f"{phrase} - {_printable(self.reason)}"
        return SIPResponse(self.status, reason[:120], headers)


def _printable(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
