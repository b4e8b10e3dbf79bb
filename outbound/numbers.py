"""The one phone-number check for numbers the engine dials (callbacks, campaigns).

A mainland number: a mobile, or a landline with its area code, optionally after +86 or 86;
never 00 (international), never a SIP URI, never anything with letters or separators."""

from __future__ import annotations

import re

PHONE = re.compile(r"(?:\+?86)?(?:1[3-9]\d{9}|0[1-9]\d{8,10})")
_COUNTRY = re.compile(r"^\+?86(?=1[3-9]\d{9}$|0[1-9]\d{8,10}$)")


class NumberRefused(ValueError):
    """Not a number the engine may dial; the message says why."""


def is_phone(text: str) -> bool:
    """True if ``text`` is exactly a mainland phone number."""
    return PHONE.fullmatch(text) is not None


def national(text: str) -> str:
    """``text`` validated and without its country code: the form the engine dials and the
    do-not-call list and the once-per-period rule compare. Raises ``NumberRefused``."""
    if not isinstance(text, str) or not is_phone(text):
        shown = text if isinstance(text, str) and len(text) <= 40 else f"{str(text)[:40]}..."
        raise NumberRefused(f"number: {shown!r} is not a mainland phone number")
    return _COUNTRY.sub("", text)
