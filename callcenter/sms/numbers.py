"""SMPP addressing of the sender's number and of a mobile number; which numbers an SMS may go
to is decided by the engine's one number check (:func:`outbound.numbers.mainland_mobile`)."""

from __future__ import annotations


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
