"""One call leg's RTP: paced prompt playback, RFC 4733 digits in, and relaying when bridged.

The hot paths avoid per-packet objects: bridged packets are relayed as raw datagrams (only
the payload type byte is rewritten, or the payload translated byte for byte between PCMU
and PCMA), prompts are pre-encoded and paced by one shared 20 ms ticker, and every send
of a loop pass leaves in one burst (:mod:`callcenter.media.outbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable, Sequence

from callcenter.media import g711
from callcenter.media.dtmf import DtmfReceiver
from callcenter.media.outbox import outbox
from callcenter.media.pacer import PTIME, pacer
from callcenter.media.player import Source
from callcenter.media.playout import PayloadPlayer
from callcenter.media.rtp import RtpPacket, RtpParseError, RtpSender
from callcenter.media.rtp_endpoint import Addr

log = logging.getLogger(__name__)

__all__ = ["PTIME", "LegMedia"]

_HEADER = struct.Struct("!BBHII")


BURST = 16  # datagrams read per readiness event


class _Route:
    """How packets from ``source`` are rewritten for ``target``; None drops a packet."""

    __slots__ = ("audio", "dtmf", "audio_byte", "dtmf_byte", "table")

    def __init__(self, source: LegMedia, target: LegMedia) -> None:
        self.audio = source.payload_type
        self.dtmf = source.dtmf_payload_type
        self.audio_byte = None if target.payload_type == self.audio else target.payload_type
        self.dtmf_byte = (None if target.dtmf_payload_type == self.dtmf
                          else target.dtmf_payload_type)
        self.table = g711.transcode_table(self.audio, target.payload_type)
        if self.dtmf is not None and target.dtmf_payload_type is None:
            self.dtmf_byte = -1  # the target cannot take telephone-events

    def __call__(self, data: bytes) -> bytes | None:
        if len(data) < 12:
            return None
        pt = data[1] & 0x7F
        if pt == self.audio:
            if self.table is None:
                return data if self.audio_byte is None else _with_pt(data, self.audio_byte)
            return self._transcode(data)
        if pt == self.dtmf:
            if self.dtmf_byte is None:
                return data
            return None if self.dtmf_byte < 0 else _with_pt(data, self.dtmf_byte)
        return None  # comfort noise or anything not negotiated

    def _transcode(self, data: bytes) -> bytes | None:
        assert self.table is not None and self.audio_byte is not None
        if data[0] & 0x30:  # header extension or padding: take the long way
            try:
                packet = RtpPacket.parse(data)
            except RtpParseError:
                return None
            packet.payload = packet.payload.translate(self.table)
            packet.payload_type = self.audio_byte
            return packet.to_bytes()
        start = 12 + 4 * (data[0] & 0x0F)
        return (bytes((data[0], (data[1] & 0x80) | self.audio_byte)) + data[2:start]
                + data[start:].translate(self.table))


def _with_pt(data: bytes, pt: int) -> bytes:
    return bytes((data[0], (data[1] & 0x80) | pt)) + data[2:]


class LegMedia:
    """The RTP socket of one leg, talking to ``remote`` with the negotiated payload types.

    Until :meth:`bridge` is called, :meth:`play` sends prompts (one player at a time) and
    telephone-events are reported to ``on_digit``; once bridged, packets received on either
    leg are sent out of the other (transcoding between PCMU and PCMA when they differ).

    Symmetric RTP (latching): the leg sends to where the peer's RTP comes from once a valid
    packet has arrived, and from then on takes RTP from that source only; ``last_packet_at``
    (``time.monotonic()``) counts accepted packets only. Before that it sends to the
    signalled ``remote`` only when it lies on ``peer_host`` (the host the signalling came
    from) and latches only onto sources on that host; with ``window`` (seconds) it sends to
    a signalled address on any host for that long and latches onto the first source.
    """

    def __init__(self, sock: socket.socket, *, remote: Addr | None, payload_type: int,
                 dtmf_payload_type: int | None, on_digit: Callable[[str], None] | None = None,
                 peer_host: str | None = None, window: float | None = None,
                 symmetric: bool = True):
        self.local_port: int = sock.getsockname()[1]
        self.peer_host = peer_host
        self.window = window
        self.symmetric = symmetric  # False (lab use only): send where SDP says, take any RTP
        self.latched: Addr | None = None
        self.target: Addr | None = None  # where packets go: latched, or a usable ``remote``
        self.foreign = 0  # datagrams refused: from another source than the latched one
        self._window_timer: asyncio.TimerHandle | None = None
        self.remote = remote
        self.payload_type = payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self.on_digit = on_digit
        self.peer: LegMedia | None = None
        self.tap: Callable[[bytes], None] | None = None  # a conference takes the leg's RTP
        self.closed = False
        self.received = 0
        self.last_packet_at = time.monotonic()
        self._sock = sock
        self._sender = RtpSender(payload_type)
        self._dtmf = DtmfReceiver()
        self._player: PayloadPlayer | None = None
        self._on_done: Callable[[], None] | None = None
        self._first = True
        self._route: _Route | None = None
        loop = asyncio.get_running_loop()
        self._outbox = outbox(loop)
        self._pacer = pacer(loop)
        self._loop = loop
        loop.add_reader(sock.fileno(), self._read_ready)
        self._aim()

    def set_remote(self, remote: Addr, payload_type: int, dtmf_payload_type: int | None) -> None:
        """Where to send, once known (from an SDP answer)."""
        self.remote = remote
        self.payload_type = payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self._sender.payload_type = payload_type
        self._aim()

    def _aim(self) -> None:
        """Choose the target before latching: the signalled address if the policy allows it."""
        if self.latched is not None:
            return
        remote = self.remote
        self.target = None
        if remote is None or remote[0] in ("0.0.0.0", "::"):  # noqa: S104 - hold: no peer
            return
        if not self.symmetric or self.peer_host is None or remote[0] == self.peer_host:
            self.target = remote
        elif self.window:
            self.target = remote
            if self._window_timer is not None:
                self._window_timer.cancel()
            self._window_timer = self._loop.call_later(self.window, self._window_over)

    def _window_over(self) -> None:
        self._window_timer = None
        if self.latched is None and self.remote is not None:
            log.info("no RTP from %s:%s within %.1fs: not sending there any more",
                     self.remote[0], self.remote[1], self.window)
            self.target = None

    def _latch(self, data: bytes, addr: Addr) -> bool:
        """Take ``addr`` as the peer if ``data`` is RTP from a source the policy accepts."""
        if len(data) < 12 or data[0] >> 6 != 2:
            return False
        if self.peer_host is not None and not self.window and addr[0] != self.peer_host:
            return False
        self.latched = self.target = addr
        if self._window_timer is not None:
            self._window_timer.cancel()
            self._window_timer = None
        if addr != self.remote:
            log.info("RTP on port %d latched to %s:%s (signalled %s)", self.local_port,
                     addr[0], addr[1], self.remote)
        return True

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
            player = PayloadPlayer(sources, self.payload_type, loop=loop)
        except Exception:  # noqa: BLE001 - a broken prompt file must not break the call
            log.exception("unplayable prompts %s", sources)
            player = PayloadPlayer([], self.payload_type)
        if player.finished:
            if on_done is not None:
                asyncio.get_running_loop().call_soon(on_done)
            return
        self._player, self._on_done, self._first = player, on_done, True
        self._pacer.subscribe(id(self), self._tick)

    def stop(self) -> None:
        """Stop playback without reporting it as finished."""
        if self._player is not None:
            self._player.interrupt()
            self._pacer.unsubscribe(id(self))
        self._player = self._on_done = None

    def seconds_left(self) -> float:
        """How long what is playing still lasts (0 when nothing plays; one pass if looping)."""
        player = self._player
        if player is None:
            return 0.0
        return max(0, len(player.data) - player.position) / 8000

    @property
    def playing(self) -> bool:
        return self._player is not None

    def _tick(self) -> None:
        """One packet time: send the next frame, or report the end of the prompts."""
        player = self._player
        payload = player.next_payload() if player is not None and not self.closed else None
        if payload is None:
            self._pacer.unsubscribe(id(self))
            done, self._player, self._on_done = self._on_done, None, None
            if done is not None and player is not None and not player.interrupted:
                try:
                    done()
                except Exception:  # noqa: BLE001
                    log.exception("prompt completion handler failed")
            return
        if self.target is not None:
            self.send_audio(payload)
        self._first = False

    # -- receiving and bridging --------------------------------------------------------------

    def _read_ready(self) -> None:
        recvfrom = self._sock.recvfrom
        for _ in range(BURST):
            try:
                data, addr = recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # ICMP port unreachable and the like
                log.debug("RTP socket error: %s", exc)
                continue
            self._datagram(data, addr)
            if self.closed:
                return

    def _datagram(self, data: bytes, addr: tuple) -> None:
        if (self.symmetric and addr != self.latched
                and (self.latched is not None or not self._latch(data, addr))):
            self.foreign += 1
            return
        self.last_packet_at = time.monotonic()
        self.received += 1
        if self.tap is not None:
            self.tap(data)
            return
        peer = self.peer
        if peer is not None:
            route = self._route
            out = route(data) if route is not None else None
            if out is not None and peer.target is not None and not peer.closed:
                self._outbox.put(peer._sock, out, peer.target)
            return
        if (self.dtmf_payload_type is None or len(data) < 12
                or data[1] & 0x7F != self.dtmf_payload_type):
            return
        try:
            packet = RtpPacket.parse(data)
        except RtpParseError:
            return
        self._on_packet(packet, (addr[0], addr[1]))

    def _on_packet(self, packet: RtpPacket, addr: Addr) -> None:
        """A telephone-event packet received while not bridged."""
        if packet.payload_type == self.dtmf_payload_type and self.dtmf_payload_type is not None:
            for digit in self._dtmf.feed(packet):
                if self.on_digit is not None:
                    self.on_digit(digit.digit)

    async def bridge(self, other: LegMedia) -> None:
        """Connect this leg and ``other`` both ways; playback on both stops."""
        if self.closed or other.closed:
            return
        self.stop()
        other.stop()
        self._route, other._route = _Route(self, other), _Route(other, self)
        self.peer, other.peer = other, self

    def unbridge(self) -> None:
        """Disconnect this leg from its bridged peer, both ways (each keeps its socket)."""
        peer, self.peer, self._route = self.peer, None, None
        if peer is not None and peer.peer is self:
            peer.peer, peer._route = None, None

    def send_audio(self, payload: bytes) -> None:
        """Send one frame of audio in the leg's payload type (a conference's mix)."""
        if self.closed or self.target is None:
            return
        sender = self._sender
        header = _HEADER.pack(0x80, self.payload_type | (0x80 if self._first else 0),
                              sender.sequence, sender.timestamp, sender.ssrc)
        self._outbox.put(self._sock, header + payload, self.target)
        sender.sequence = (sender.sequence + 1) & 0xFFFF
        sender.timestamp = (sender.timestamp + len(payload)) & 0xFFFFFFFF
        self._first = False

    async def ready(self) -> None:
        """Kept for callers that awaited the socket being wrapped; reading starts at once."""

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.stop()
        if self._window_timer is not None:
            self._window_timer.cancel()
            self._window_timer = None
        peer, self.peer = self.peer, None
        if peer is not None and peer.peer is self:
            peer.peer = None
        with contextlib.suppress(Exception):  # the loop may already be closed
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
