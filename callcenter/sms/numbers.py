"""The one kind of number an SMS notice goes to: a mainland China mobile number (validated
with ``phonenumbers``, Google's numbering-plan data), never anything else from a case."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_SHAPE = re.compile(r"^\+?[0-9][0-9 -]{4,24}$")
_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def mainland_mobile(raw: str | None) -> str | None:
    """The 11-digit mobile number in ``raw`` (``13812345678``, ``+86 138 1234 5678``,
    ``8613812345678``), or None when it is not a valid mainland mobile number."""
    if not raw or not _SHAPE.match(raw.strip()):
        return None
    digits = re.sub(r"[ -]", "", raw.strip())
    if digits.startswith("86") and len(digits) == 13:
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, "CN")
    except NumberParseException:
        return None
    if (number.country_code != 86 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in _MOBILE):
        return None
    national = phonenumbers.national_significant_number(number)
    return national if len(national) == 11 and national.startswith("1") else None


def smpp_source(number: str) -> tuple[str, int, int]:
    """``(source_addr, ton, npi)`` for the sender's number: a short code such as 12345 with TON
    unknown, a longer number as international."""
    return number, 0 if len(number) < 7 else 1, 1


def smpp_address(mobile: str, style: str = "international") -> tuple[str, int, int]:
    """``(destination_addr, ton, npi)`` for an 11-digit mobile number: ``8613812345678``
    (international, E.164) or ``13812345678`` (national)."""
    if style == "national":
        return mobile, 2, 1
    return "86" + mobile, 1, 1
