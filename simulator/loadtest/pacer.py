"""One 20 ms clock that sends a fixed audio frame on every active stream (callers and seats).

A task per stream would wake the event loop 50 times a second per call; one pacer sends
every stream's packet on the same tick, which keeps hundreds of streams cheap.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from callcenter.media.rtp import RtpSender
from callcenter.media.rtp_endpoint import Addr, RtpEndpoint

PTIME = 0.02
FRAME = 160


@dataclass
class _Stream:
    rtp: RtpEndpoint
    sender: RtpSender
    payload: bytes
    addr: Addr
    first: bool = True


class Pacer:
    """``add`` a stream, ``remove`` it when the call ends; ``run`` until cancelled."""

    def __init__(self) -> None:
        self._streams: dict[int, _Stream] = {}
        self._keys = itertools.count()
        self.late_ticks = 0

    def add(self, rtp: RtpEndpoint, sender: RtpSender, payload: bytes, addr: Addr) -> int:
        key = next(self._keys)
        self._streams[key] = _Stream(rtp, sender, payload, addr)
        return key

    def remove(self, key: int | None) -> None:
        if key is not None:
            self._streams.pop(key, None)

    def __len__(self) -> int:
        return len(self._streams)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            for stream in list(self._streams.values()):
                stream.rtp.send(stream.sender.packet(stream.payload, FRAME, marker=stream.first),
                                stream.addr)
                stream.first = False
            next_at += PTIME
            delay = next_at - loop.time()
            if delay < -0.2:  # far behind (a stalled loop): skip ticks rather than burst
                self.late_ticks += 1
                next_at = loop.time()
                delay = 0.0
            await asyncio.sleep(max(0.0, delay))
