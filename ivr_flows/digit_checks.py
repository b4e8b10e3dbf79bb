"""Named checks for collected digits, referred to by a collect node's ``validator``."""

from __future__ import annotations

from collections.abc import Callable

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_check_digit(first17: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_resident_id(keys: str) -> str:
    """Keys as typed on a phone (``*`` stands for the letter X) to the ID's written form."""
    return keys.replace("*", "X")


def is_resident_id(keys: str) -> bool:
    """18-character resident ID number with a valid check character (``*`` or X for 10)."""
    value = normalise_resident_id(keys).upper()
    if len(value) != 18 or not value[:17].isdigit():
        return False
    return resident_id_check_digit(value[:17]) == value[17]


def is_digits(keys: str) -> bool:
    return keys.isdigit()


CHECKS: dict[str, Callable[[str], bool]] = {
    "resident_id": is_resident_id,
    "digits": is_digits,
}

NORMALISERS: dict[str, Callable[[str], str]] = {
    "resident_id": normalise_resident_id,
}
