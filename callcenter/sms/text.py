"""SMS text: the alphabet (GSM 7-bit or UCS-2), the segment count, and the parts of a long
message (concatenated SMS, by UDH or by the ``sar_*`` TLVs).

The characters are encoded with ``smpplib``'s GSM 03.38 table and UTF-16-BE; the split is done
here, on character boundaries (``smpplib.gsm.make_parts`` cuts the encoded bytes and can split a
GSM escape pair or a UTF-16 surrogate pair), with a reference number derived from the message
id so that a resent part carries the same one. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from smpplib import consts
from smpplib.gsm import gsm_encode

GSM7 = consts.SMPP_ENCODING_DEFAULT  # data_coding 0: the SMSC default alphabet, one octet per septet
UCS2 = consts.SMPP_ENCODING_ISO10646  # data_coding 8
UDHI = consts.SMPP_GSMFEAT_UDHI  # esm_class bit: short_message starts with a user data header
MAX_PARTS = 255

# (octets of one single message, octets of user data in one part of a concatenated one)
_LIMITS = {GSM7: (160, 153), UCS2: (140, 134)}
_NAMES = {GSM7: "GSM-7", UCS2: "UCS-2"}

Concatenation = Literal["udh", "sar"]


class MessageTooLong(ValueError):
    """More than 255 parts."""


@dataclass(frozen=True, slots=True)
class Segmentation:
    """How a text travels: its alphabet, its length in septets (GSM-7) or UTF-16 units
    (UCS-2), and how many SMS it takes."""

    data_coding: int
    units: int
    segments: int

    @property
    def alphabet(self) -> str:
        return _NAMES[self.data_coding]


@dataclass(frozen=True, slots=True)
class Part:
    """One submit_sm's worth of a message: ``short_message`` (with its UDH when ``esm_class``
    has UDHI), and the SAR values when concatenated by TLVs (else None)."""

    seq: int
    total: int
    short_message: bytes
    data_coding: int
    esm_class: int
    sar: tuple[int, int, int] | None = None  # (reference, total, this part's number)


def _units(text: str) -> tuple[int, list[bytes]]:
    """The alphabet and the encoding of each character (GSM escapes: 2 octets; UCS-2 code
    points beyond the BMP: 4)."""
    try:
        if "`" in text:  # smpplib's table uses it as a filler (it would arrive as "§")
            raise UnicodeError(text)
        return GSM7, [gsm_encode(ch) for ch in text]
    except (UnicodeError, ValueError):
        return UCS2, [ch.encode("utf-16-be") for ch in text]


def segmentation(text: str) -> Segmentation:
    coding, units = _units(text)
    octets = sum(len(u) for u in units)
    single, _ = _LIMITS[coding]
    count = 1 if octets <= single else len(_chunks(units, _LIMITS[coding][1]))
    return Segmentation(coding, octets if coding == GSM7 else octets // 2, count)


def _chunks(units: list[bytes], size: int) -> list[bytes]:
    """Whole characters packed into chunks of at most ``size`` octets."""
    chunks: list[bytes] = []
    current = bytearray()
    for unit in units:
        if len(current) + len(unit) > size:
            chunks.append(bytes(current))
            current = bytearray()
        current += unit
    if current or not chunks:
        chunks.append(bytes(current))
    return chunks


def reference(message_id: str, bits: int = 8) -> int:
    """A concatenation reference number that is the same every time ``message_id`` is sent."""
    digest = hashlib.sha256(message_id.encode()).digest()
    return int.from_bytes(digest[:2], "big") % (1 << bits)


def split(text: str, message_id: str, concatenation: Concatenation = "udh") -> list[Part]:
    """The parts to submit for ``text``; raises ``MessageTooLong`` past 255 parts."""
    coding, units = _units(text)
    single, part_size = _LIMITS[coding]
    if sum(len(u) for u in units) <= single:
        return [Part(1, 1, b"".join(units), coding, 0)]
    chunks = _chunks(units, part_size)
    total = len(chunks)
    if total > MAX_PARTS:
        raise MessageTooLong(f"{total} parts (at most {MAX_PARTS})")
    if concatenation == "sar":
        ref = reference(message_id, 16)
        return [Part(i, total, chunk, coding, 0, (ref, total, i)) for i, chunk in enumerate(chunks, 1)]
    ref = reference(message_id)
    return [Part(i, total, bytes((5, 0, 3, ref, total, i)) + chunk, coding, UDHI)
            for i, chunk in enumerate(chunks, 1)]


def decode(short_message: bytes, data_coding: int, esm_class: int = 0) -> str:
    """The text of one part (its UDH dropped): for tests and for logging what an SMSC sent."""
    if esm_class & UDHI and short_message:
        short_message = short_message[1 + short_message[0]:]
    if data_coding == UCS2:
        return short_message.decode("utf-16-be", errors="replace")
    if data_coding == GSM7:
        return _gsm_decode(short_message)
    return short_message.decode("latin-1")


def _gsm_decode(data: bytes) -> str:
    from smpplib.gsm import GSM_CHARACTER_TABLE as table

    out = []
    escape = False
    for octet in data:
        if octet == 0x1B and not escape:
            escape = True
            continue
        index = octet + 0x80 if escape else octet
        escape = False
        out.append(table[index] if index < len(table) else "?")
    return "".join(out)
