"""One call leg's RTP: paced prompt playback, RFC 4733 digits in, and relaying when bridged."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Sequence

from callcenter.media import g711
from callcenter.media.dtmf import DtmfReceiver
from callcenter.media.player import PromptPlayer, Source
from callcenter.media.rtp import RtpPacket, RtpSender
from callcenter.media.rtp_endpoint import Addr, RtpEndpoint

log = logging.getLogger(__name__)

PTIME = 0.02


class LegMedia:
    """The RTP socket of one leg, talking to ``remote`` with the negotiated payload types.

    Until :meth:`bridge` is called, :meth:`play` sends prompts (one player at a time) and
    telephone-events are reported to ``on_digit``; once bridged, packets received on either
    leg are sent out of the other (transcoding between PCMU and PCMA when they differ).
    """

    def __init__(self, sock: socket.socket, *, remote: Addr | None, payload_type: int,
                 dtmf_payload_type: int | None, on_digit: Callable[[str], None] | None = None):
        self.local_port: int = sock.getsockname()[1]
        self.remote = remote
        self.payload_type = payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self.on_digit = on_digit
        self.peer: LegMedia | None = None
        self.rtp: RtpEndpoint | None = None
        self.closed = False
        self._sender = RtpSender(payload_type)
        self._dtmf = DtmfReceiver()
        self._player: PromptPlayer | None = None
        self._on_done: Callable[[], None] | None = None
        self._wake = asyncio.Event()
        self._ready = asyncio.ensure_future(RtpEndpoint.from_socket(sock, self._on_packet))
        self._pump = asyncio.ensure_future(self._run())

    def set_remote(self, remote: Addr, payload_type: int, dtmf_payload_type: int | None) -> None:
        """Where to send, once known (from an SDP answer)."""
        self.remote = remote
        self.payload_type = payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self._sender.payload_type = payload_type

    # -- playback ---------------------------------------------------------------------------

    def play(self, sources: Sequence[Source], *, loop: bool = False,
             on_done: Callable[[], None] | None = None) -> None:
        """Replace what is playing with ``sources``; ``on_done`` runs when they have played out.

        Unreadable sources are skipped; with nothing left to play, ``on_done`` runs soon.
        """
        self.stop()
        if self.closed or self.peer is not None:
            return
        try:
            player = PromptPlayer(sources, loop=loop)
        except Exception:  # noqa: BLE001 - a broken prompt file must not break the call
            log.exception("unplayable prompts %s", sources)
            player = PromptPlayer([])
        if player.finished:
            if on_done is not None:
                asyncio.get_running_loop().call_soon(on_done)
            return
        self._player, self._on_done = player, on_done
        self._wake.set()

    def stop(self) -> None:
        """Stop playback without reporting it as finished."""
        if self._player is not None:
            self._player.interrupt()
        self._player = self._on_done = None

    @property
    def playing(self) -> bool:
        return self._player is not None

    async def _run(self) -> None:
        rtp = await self._ready
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        first = True
        while not self.closed:
            player = self._player
            if player is None:
                self._wake.clear()
                await self._wake.wait()
                next_at, first = loop.time(), True
                continue
            frame = player.next_frame()
            if frame is None:
                done, self._player, self._on_done = self._on_done, None, None
                if done is not None:
                    try:
                        done()
                    except Exception:  # noqa: BLE001
                        log.exception("prompt completion handler failed")
                continue
            if self.remote is not None:
                payload = g711.encode(frame.samples, self.payload_type)
                rtp.send(self._sender.packet(payload, len(frame.samples), marker=first),
                         self.remote)
            first = False
            next_at += PTIME
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    # -- receiving and bridging --------------------------------------------------------------

    def _on_packet(self, packet: RtpPacket, addr: Addr) -> None:
        peer = self.peer
        if peer is not None:
            peer._forward(packet, self)
            return
        if packet.payload_type == self.dtmf_payload_type and self.dtmf_payload_type is not None:
            for digit in self._dtmf.feed(packet):
                if self.on_digit is not None:
                    self.on_digit(digit.digit)

    def _forward(self, packet: RtpPacket, source: LegMedia) -> None:
        """Send a packet that arrived on ``source`` out of this leg."""
        if self.rtp is None or self.remote is None or self.closed:
            return
        if packet.payload_type == source.dtmf_payload_type:
            if self.dtmf_payload_type is None:
                return
            packet.payload_type = self.dtmf_payload_type
        elif packet.payload_type == source.payload_type:
            if source.payload_type != self.payload_type:
                samples = g711.decode(packet.payload, source.payload_type)
                packet.payload = g711.encode(samples, self.payload_type)
            packet.payload_type = self.payload_type
        else:
            return  # comfort noise or anything not negotiated
        self.rtp.send(packet, self.remote)

    async def bridge(self, other: LegMedia) -> None:
        """Connect this leg and ``other`` both ways; playback on both stops."""
        self.rtp = await self._ready
        other.rtp = await other._ready
        if self.closed or other.closed:
            return
        self.stop()
        other.stop()
        self.peer, other.peer = other, self

    async def ready(self) -> None:
        self.rtp = await self._ready

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.stop()
        self._wake.set()
        peer, self.peer = self.peer, None
        if peer is not None and peer.peer is self:
            peer.peer = None
        self._pump.cancel()
        if self._ready.done():
            with contextlib.suppress(Exception):
                self._ready.result().close()
        else:
            self._ready.add_done_callback(
                lambda f: f.cancelled() or f.exception() or f.result().close())
