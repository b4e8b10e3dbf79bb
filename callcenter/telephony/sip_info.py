"""Key presses carried in SIP INFO (``application/dtmf-relay`` and ``application/dtmf``)."""

from __future__ import annotations

import re

from callcenter.sip.message import SIPRequest

DIGITS = frozenset("0123456789*#ABCD")
_SIGNAL = re.compile(r"^\s*Signal\s*=\s*(\S)", re.IGNORECASE | re.MULTILINE)


def info_digit(request: SIPRequest) -> str | None:
    """The key an INFO request carries, or None (other INFO bodies are acknowledged, unused)."""
    kind = (request.content_type or "").split(";")[0].strip().lower()
    text = request.body[:256].decode("ascii", errors="replace")
    if kind == "application/dtmf-relay":
        match = _SIGNAL.search(text)
        digit = match.group(1).upper() if match else None
    elif kind == "application/dtmf":
        digit = text.strip()[:1].upper() or None
    else:
        return None
    return digit if digit in DIGITS else None
