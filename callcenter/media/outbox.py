"""Batched UDP sends: datagrams queued during one event-loop pass go out together.

On loopback and in VMs a ``sendto`` that wakes a sleeping receiver costs tens of
microseconds; sending a pass's datagrams back to back wakes each receiver once per burst
instead of once per packet. Sends use the raw non-blocking socket: a full send buffer or
a closed socket drops the datagram, as a network would. Whatever one send raises (a bad
address included) drops that datagram only: one stream can never stop another.
"""

from __future__ import annotations

import asyncio
import logging
import socket

log = logging.getLogger(__name__)

Addr = tuple[str, int]


class Outbox:
    """Datagrams to send at the end of the current loop pass (see :func:`outbox`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._queue: list[tuple[socket.socket, bytes, Addr]] = []
        self.sent = 0
        self.dropped = 0

    def put(self, sock: socket.socket, data: bytes, addr: Addr) -> None:
        if not self._queue:
            self.loop.call_soon(self.flush)
        self._queue.append((sock, data, addr))

    def flush(self) -> None:
        queue, self._queue = self._queue, []
        for sock, data, addr in queue:
            try:
                sock.sendto(data, addr)
            except OSError:  # full buffer, closed socket, unreachable port
                self.dropped += 1
            except Exception as exc:  # noqa: BLE001 - e.g. OverflowError for a bad port
                self.dropped += 1
                log.debug("unsendable datagram to %r: %s", addr, exc)
        self.sent += len(queue)


_outboxes: dict[asyncio.AbstractEventLoop, Outbox] = {}


def outbox(loop: asyncio.AbstractEventLoop | None = None) -> Outbox:
    """The running loop's outbox."""
    loop = loop or asyncio.get_running_loop()
    box = _outboxes.get(loop)
    if box is None:
        if loop.is_closed():
            raise RuntimeError("event loop is closed")
        for old in [k for k in _outboxes if k.is_closed()]:
            del _outboxes[old]
        box = _outboxes[loop] = Outbox(loop)
    return box
