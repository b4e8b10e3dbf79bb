"""Thin asyncio RTP plumbing: a UDP endpoint, a two-leg bridge and a paced prompt sender."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

from callcenter.media import g711
from callcenter.media.player import PromptPlayer
from callcenter.media.rtp import RtpPacket, RtpParseError, RtpSender

log = logging.getLogger(__name__)

Addr = tuple[str, int]
PacketHandler = Callable[[RtpPacket, Addr], None]


class RtpEndpoint(asyncio.DatagramProtocol):
    """One RTP socket; parsed packets go to ``on_packet``, invalid datagrams are counted."""

    def __init__(self, on_packet: PacketHandler | None = None) -> None:
        self.on_packet = on_packet
        self.transport: asyncio.DatagramTransport | None = None
        self.local_addr: Addr = ("127.0.0.1", 0)
        self.received = 0
        self.invalid = 0
        self.sent = 0

    @classmethod
    async def open(cls, host: str = "127.0.0.1", port: int = 0,
                   on_packet: PacketHandler | None = None) -> RtpEndpoint:
        loop = asyncio.get_running_loop()
        _, endpoint = await loop.create_datagram_endpoint(lambda: cls(on_packet),
                                                          local_addr=(host, port))
        return endpoint

    @classmethod
    async def from_socket(cls, sock: socket.socket,
                          on_packet: PacketHandler | None = None) -> RtpEndpoint:
        """Wrap an already bound UDP socket (see :func:`bind_udp_socket`)."""
        loop = asyncio.get_running_loop()
        _, endpoint = await loop.create_datagram_endpoint(lambda: cls(on_packet), sock=sock)
        return endpoint

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("sockname")
        self.local_addr = (sock[0], sock[1])

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        try:
            packet = RtpPacket.parse(data)
        except RtpParseError:
            self.invalid += 1
            return
        self.received += 1
        if self.on_packet is not None:
            self.on_packet(packet, (addr[0], addr[1]))

    def send(self, packet: RtpPacket | bytes, addr: Addr) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.sendto(bytes(packet), addr)
        self.sent += 1

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def bind_udp_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound non-blocking UDP socket, so its port is known before the event loop wraps it."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class RtpBridge:
    """Relays packets between two legs: what arrives on one leg goes out of the other.

    Each leg sends to its configured peer, or latches onto the source of the first
    packet it receives (symmetric RTP) when no peer is configured.
    """

    def __init__(self, leg_a: RtpEndpoint, leg_b: RtpEndpoint, *, peer_a: Addr | None = None,
                 peer_b: Addr | None = None) -> None:
        self.legs = (leg_a, leg_b)
        self.peers: list[Addr | None] = [peer_a, peer_b]
        self.relayed = 0
        leg_a.on_packet = lambda pkt, addr: self._relay(0, pkt, addr)
        leg_b.on_packet = lambda pkt, addr: self._relay(1, pkt, addr)

    def _relay(self, side: int, packet: RtpPacket, addr: Addr) -> None:
        if self.peers[side] is None:
            self.peers[side] = addr
        other = 1 - side
        peer = self.peers[other]
        if peer is not None:
            self.legs[other].send(packet, peer)
            self.relayed += 1

    def close(self) -> None:
        for leg in self.legs:
            leg.close()


async def play(endpoint: RtpEndpoint, player: PromptPlayer, sender: RtpSender, addr: Addr, *,
               payload_type: int = 0, ptime: float = 0.02) -> int:
    """Send the player's frames as G.711 RTP paced every ``ptime``; returns frames sent."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    count = 0
    for frame in player:
        payload = g711.encode(frame.samples, payload_type)
        endpoint.send(sender.packet(payload, len(frame.samples), marker=count == 0,
                                    payload_type=payload_type), addr)
        count += 1
        delay = start + count * ptime - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
    return count
