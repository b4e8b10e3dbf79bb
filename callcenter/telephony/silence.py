"""Telling a caller who has gone (no RTP) from one who is quiet or on hold."""

from __future__ import annotations

import time

from callcenter.telephony.media import LegMedia


def silent_for(media: LegMedia) -> float:
    """Seconds since the leg last received RTP (or since it was opened)."""
    return time.monotonic() - media.last_packet_at


def sends_media(sdp: bytes) -> bool:
    """False when an offer says its sender will not send audio (hold: ``a=inactive``,
    ``a=recvonly``, or the old ``c=... 0.0.0.0``)."""
    lines = {line.strip().lower() for line in sdp.decode("utf-8", "replace").splitlines()}
    if lines & {"a=inactive", "a=recvonly"}:
        return False
    return not any(line.startswith("c=") and line.endswith(" 0.0.0.0") for line in lines)
