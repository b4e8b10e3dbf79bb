"""A caller leg's media that remembers when its last RTP packet arrived."""

from __future__ import annotations

import time

from callcenter.media.rtp import RtpPacket
from callcenter.media.rtp_endpoint import Addr
from callcenter.telephony.media import LegMedia


class WatchedMedia(LegMedia):
    """:class:`LegMedia` with ``last_packet_at`` (``time.monotonic()``, the loop's clock).

    Starts at creation time, so a caller that never sends RTP also times out.
    """

    def __init__(self, *args, **kwargs) -> None:
        self.last_packet_at = time.monotonic()
        super().__init__(*args, **kwargs)

    def _on_packet(self, packet: RtpPacket, addr: Addr) -> None:
        self.last_packet_at = time.monotonic()
        super()._on_packet(packet, addr)

    def silent_for(self) -> float:
        """Seconds since the last packet."""
        return time.monotonic() - self.last_packet_at


def sends_media(sdp: bytes) -> bool:
    """False when an offer says its sender will not send audio (hold: ``a=inactive``,
    ``a=recvonly``, or the old ``c=... 0.0.0.0``)."""
    lines = {line.strip().lower() for line in sdp.decode("utf-8", "replace").splitlines()}
    if lines & {"a=inactive", "a=recvonly"}:
        return False
    return not any(line.startswith("c=") and line.endswith(" 0.0.0.0") for line in lines)
