"""The one phone-number check of the engine, on ``phonenumbers`` (Google's numbering-plan data).

Every number the engine dials (callbacks, campaigns, the do-not-call list) and every number an
SMS notice goes to passes here. A number is accepted only if it is a valid mainland China number
of the kind the use needs: a mobile or a landline with its area code to dial, a mobile for SMS.
Never an international ``00`` string, a SIP URI, a short or special number (110, 12345, 95598),
a 400/800 service number, or an unassigned range."""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType

_DIAL_SHAPE = re.compile(r"\+?[0-9]{3,16}")  # digits only, optionally one leading +
_SMS_SHAPE = re.compile(r"\+?[0-9][0-9 -]{4,24}")  # as typed: spaces and hyphens allowed
_SEPARATORS = re.compile(r"[ -]")


@cache
def _plan() -> tuple[ModuleType, frozenset[int], frozenset[int]]:
    """``phonenumbers`` and its mobile and dialable number types, loaded on first use (its
    import takes about 50 ms, which commands that never check a number need not pay)."""
    import phonenumbers
    from phonenumbers import PhoneNumberType as Type

    mobile = frozenset({Type.MOBILE, Type.FIXED_LINE_OR_MOBILE})
    return phonenumbers, mobile, mobile | {Type.FIXED_LINE}


class NumberRefused(ValueError):
    """Not a number the engine may dial; the message says why."""


def _mainland(digits: str) -> tuple[str, bool] | None:
    """``(national form, is a mobile)`` of ``digits`` (already only digits and an optional +),
    or None unless it is a valid mainland mobile or landline. The national form is what the
    engine dials and compares: ``13800138000``, ``053188881234`` (area code with its 0)."""
    if digits.startswith(("00", "+00")):
        return None  # an international dial string, whatever follows
    if digits.startswith("86") and len(digits) > 11:
        digits = "+" + digits  # 86 then the number: E.164 without its plus (as trunks send it)
    international = digits.startswith("+")
    phonenumbers, mobiles, dialable = _plan()
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    if kind not in dialable:
        return None
    significant = phonenumbers.national_significant_number(number)
    mobile = kind in mobiles and len(significant) == 11 and significant.startswith("1")
    form = significant if mobile else "0" + significant
    if not international and digits not in (form, "0" + form):
        return None  # written nationally, a landline needs its area code's 0 (1088881234 is not one)
    if not mobile and not 10 <= len(form) <= 12:
        return None  # a service number under an area code (010 95000), not a subscriber's line
    return form, mobile


def dialable(text: object) -> str | None:
    """The national form of ``text`` if it is exactly a mainland number the engine may dial
    (``13800138000``, ``+8613800138000``, ``8613800138000``, ``053188881234``,
    ``+8653188881234``), else None."""
    if not isinstance(text, str) or not _DIAL_SHAPE.fullmatch(text):
        return None
    found = _mainland(text)
    return None if found is None else found[0]


def is_phone(text: object) -> bool:
    """True if ``text`` is exactly a mainland number the engine may dial."""
    return dialable(text) is not None


def national(text: object) -> str:
    """``text`` validated, in national form: what the engine dials and what the do-not-call
    list and the once-per-period rule compare. Raises ``NumberRefused``."""
    number = dialable(text)
    if number is None:
        shown = text if isinstance(text, str) and len(text) <= 40 else f"{str(text)[:40]}..."
        raise NumberRefused(f"number: {shown!r} is not a mainland phone number")
    return number


def mainland_mobile(raw: str | None) -> str | None:
    """The 11-digit mobile number in ``raw`` as a person types it (``13812345678``,
    ``+86 138 1234 5678``, ``8613812345678``), or None unless it is a valid mainland mobile."""
    if not raw or not _SMS_SHAPE.fullmatch(raw.strip()):
        return None
    found = _mainland(_SEPARATORS.sub("", raw.strip()))
    return found[0] if found is not None and found[1] else None
