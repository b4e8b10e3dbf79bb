"""Framing SIP messages on a byte stream (TCP) by Content-Length (RFC 3261 section 18.3)."""

from __future__ import annotations

from callcenter.sip.errors import SIPParseError

MAX_MESSAGE_SIZE = 64 * 1024


class StreamFramer:
    """Split a TCP byte stream into SIP messages using Content-Length (RFC 3261 18.3).

    CRLF keep-alives between messages (RFC 5626) are skipped. A header section over
    :data:`MAX_MESSAGE_SIZE` or without Content-Length raises :class:`SIPParseError`;
    the connection should then be closed because framing is lost.
    """

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self._buffer = bytearray()
        self.max_size = max_size

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the complete messages now available."""
        self._buffer += data
        frames: list[bytes] = []
        while True:
            start = 0
            while start < len(self._buffer) and self._buffer[start] in (13, 10):
                start += 1
            if start:
                del self._buffer[:start]
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > self.max_size:
                    raise SIPParseError("header section too large", status=513)
                return frames
            head = bytes(self._buffer[:end])
            length = _content_length(head)
            total = end + 4 + length
            if total > self.max_size:
                raise SIPParseError(f"message too large: {total} bytes", status=513)
            if len(self._buffer) < total:
                return frames
            frames.append(bytes(self._buffer[:total]))
            del self._buffer[:total]

    @property
    def buffered(self) -> int:
        """Bytes waiting for the rest of a message."""
        return len(self._buffer)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in (b"content-length", b"l"):
            value = value.strip()
            if not (0 < len(value) <= 10 and value.isdigit()):
                raise SIPParseError(f"bad Content-Length: {value[:20]!r}")
            return int(value)
    raise SIPParseError("missing Content-Length on stream transport")
