"""Benchmark: two-way RTP bridging in asyncio, our RtpBridge against a raw byte relay.

``--calls`` bridged calls each get two relay sockets; a separate generator process plays
both parties of every call (20 ms G.711 packets, 50 packets/s per direction), so the
bridge relays ``calls x 100`` packets/s. Reported: packets relayed per second, share of
the generated packets relayed, and the bridge process CPU time per second of wall time.
The baseline relays datagrams without parsing them. Bounded by ``--seconds``.

Run:  python bench/bench_rtp_bridge.py [--calls 300 --seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callcenter.media.rtp import RtpPacket  # noqa: E402
from callcenter.media.rtp_endpoint import RtpBridge, RtpEndpoint  # noqa: E402

Addr = tuple[str, int]


def generate(pairs: list[tuple[Addr, Addr]], seconds: float, result: multiprocessing.Queue) -> None:
    """Send one 20 ms packet per party per tick; read and count whatever comes back."""
    socks = []
    for a, b in pairs:
        for target in (a, b):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
            socks.append((s, target))
    payload = RtpPacket(0, 1, 160, 0x5EED, b"\xff" * 160).to_bytes()
    sent = received = 0
    start = time.perf_counter()
    tick = 0
    while time.perf_counter() - start < seconds:
        for s, target in socks:
            s.sendto(payload, target)
            sent += 1
            while True:
                try:
                    s.recv(2048)
                except BlockingIOError:
                    break
                received += 1
        tick += 1
        delay = start + tick * 0.02 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    time.sleep(0.1)
    for s, _ in socks:
        while True:
            try:
                s.recv(2048)
            except BlockingIOError:
                break
            received += 1
        s.close()
    result.put((sent, received))


class RawRelay(asyncio.DatagramProtocol):
    """Baseline leg: forwards bytes to the other leg's latched peer without parsing."""

    def __init__(self) -> None:
        self.other: RawRelay | None = None
        self.peer: Addr | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.relayed = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        if self.peer is None:
            self.peer = (addr[0], addr[1])
        other = self.other
        if other is not None and other.peer is not None and other.transport is not None:
            other.transport.sendto(data, other.peer)
            self.relayed += 1


async def open_ours(calls: int) -> tuple[list[tuple[Addr, Addr]], Callable[[], int], Callable[[], object]]:
    bridges = []
    pairs = []
    for _ in range(calls):
        a, b = await RtpEndpoint.open(), await RtpEndpoint.open()
        bridges.append(RtpBridge(a, b))
        pairs.append((a.local_addr, b.local_addr))
    return (pairs, lambda: sum(br.relayed for br in bridges),
            lambda: [br.close() for br in bridges])


async def open_raw(calls: int) -> tuple[list[tuple[Addr, Addr]], Callable[[], int], Callable[[], object]]:
    loop = asyncio.get_running_loop()
    legs: list[RawRelay] = []
    pairs = []
    for _ in range(calls):
        ta, a = await loop.create_datagram_endpoint(RawRelay, local_addr=("127.0.0.1", 0))
        tb, b = await loop.create_datagram_endpoint(RawRelay, local_addr=("127.0.0.1", 0))
        a.other, b.other = b, a
        legs += [a, b]
        pairs.append((ta.get_extra_info("sockname")[:2], tb.get_extra_info("sockname")[:2]))
    return (pairs, lambda: sum(leg.relayed for leg in legs),
            lambda: [leg.transport.close() for leg in legs if leg.transport])


async def run(opener, calls: int, seconds: float) -> dict[str, float]:
    pairs, relayed, close = await opener(calls)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    proc = multiprocessing.Process(target=generate, args=(pairs, seconds, queue))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    proc.start()
    loop = asyncio.get_running_loop()
    sent, received = await loop.run_in_executor(None, queue.get)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    await loop.run_in_executor(None, proc.join)
    total = relayed()
    close()
    return {"relayed_per_s": total / seconds, "delivered": received / max(sent, 1),
            "cpu_per_wall": cpu / wall, "sent": sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(f"{args.calls} bridged calls, {args.calls * 100} packets/s offered, "
          f"{args.seconds:g} s per run")
    results = {}
    for name, opener in (("ours", open_ours), ("raw relay", open_raw)):
        r = asyncio.run(run(opener, args.calls, args.seconds))
        results[name] = r
        print(f"{name:10} relayed {r['relayed_per_s']:8.0f} packets/s, delivered "
              f"{100 * r['delivered']:5.1f}% of {r['sent']} sent, bridge CPU "
              f"{100 * r['cpu_per_wall']:5.1f}% of one core")
    ratio = results["ours"]["cpu_per_wall"] / max(results["raw relay"]["cpu_per_wall"], 1e-9)
    print(f"CPU ratio ours/raw relay: {ratio:.2f}")


if __name__ == "__main__":
    main()
