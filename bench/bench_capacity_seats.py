"""Capacity bench parties: scripted agent seats, and the sink for the callers' downlink.

``seats`` mode registers a range of agents on one SIP endpoint, answers each INVITE after a
short ring and echoes the caller's RTP back with its own SSRC (one per call); it hangs up
after ``--max-hold`` unless the caller hangs up first. ``sink`` mode counts the RTP the
engine sends towards the callers, per SSRC. Both keep per-second packet counts per stream
and write them as JSON on SIGTERM or after ``--run-for``.

Run by ``bench_engine_capacity.py``; not meant to be started by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.bench_capacity_setup import password_for  # noqa: E402
from callcenter.sip.transport import open_endpoint  # noqa: E402
from callcenter.sip.useragent import Call, UserAgent  # noqa: E402

SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; needs CAP_NET_ADMIN
Counts = dict[int, dict[int, int]]  # ssrc -> second -> packets
Spans = dict[int, list[int]]  # ssrc -> [first sequence number, last (unwrapped), packets]


def track(spans: Spans, ssrc: int, data: bytes) -> None:
    """Extend the stream's sequence span: gaps inside it are packets lost on the way."""
    seq = int.from_bytes(data[2:4], "big")
    span = spans.get(ssrc)
    if span is None:
        spans[ssrc] = [seq, seq, 1]
        return
    last = span[1]
    step = (seq - last) & 0xFFFF
    if step < 0x8000:
        span[1] = last + step
    span[2] += 1


class EchoLeg(asyncio.DatagramProtocol):
    """One seat call's RTP: counts what arrives and sends it back with the seat's SSRC."""

    def __init__(self, counts: Counts, spans: Spans, ssrc: int) -> None:
        self.counts = counts[ssrc]
        self.spans = spans
        self.ssrc_id = ssrc
        self.ssrc = ssrc.to_bytes(4, "big")
        self.remote: tuple[str, int] | None = None
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        second = int(time.time())
        self.counts[second] = self.counts.get(second, 0) + 1
        if len(data) >= 12 and data[1] & 0x7F in (0, 8):
            track(self.spans, self.ssrc_id, data)
        if self.remote is not None and self.transport is not None and len(data) >= 12:
            self.transport.sendto(data[:8] + self.ssrc + data[12:], self.remote)


class Seats:
    """Agent seats sharing one SIP endpoint; each call gets its own RTP socket."""

    def __init__(self, ua: UserAgent, ring: float, max_hold: float) -> None:
        self.ua = ua
        self.ring = ring
        self.max_hold = max_hold
        self.counts: Counts = defaultdict(dict)
        self.spans: Spans = {}
        self.legs: dict[int, EchoLeg] = {}
        self.next_ssrc = 0
        self.stats = {"offered": 0, "answered": 0, "caller_bye": 0, "seat_bye": 0,
                      "bye_failed": 0, "cancelled": 0}
        self.tasks: set[asyncio.Task] = set()
        ua.media_port = self._open_rtp
        ua.on_call = self._on_call
        self._pending: list[EchoLeg] = []

    def _open_rtp(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.ua.media_host, 0))
        sock.setblocking(False)
        self.next_ssrc += 1
        leg = EchoLeg(self.counts, self.spans, self.next_ssrc)
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(loop.create_datagram_endpoint(lambda: leg, sock=sock))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        self._pending.append(leg)
        return sock.getsockname()[1]

    def _on_call(self, call: Call) -> None:
        leg = self._pending.pop()
        leg.remote = call.remote_media
        self.stats["offered"] += 1
        task = asyncio.ensure_future(self._run(call, leg))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, call: Call, leg: EchoLeg) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(call.ended.wait(), self.ring)
        if call.state == "ended":
            self.stats["cancelled"] += 1
        else:
            self.ua.answer(call)
            self.stats["answered"] += 1
            try:
                await asyncio.wait_for(call.ended.wait(), self.max_hold)
                self.stats["caller_bye"] += 1
            except TimeoutError:
                reply = await self.ua.hangup(call, timeout=10)
                self.stats["seat_bye" if reply is not None and reply.status == 200
                           else "bye_failed"] += 1
        await asyncio.sleep(0.5)  # late packets still count
        if leg.transport is not None:
            leg.transport.close()


class Sink(asyncio.DatagramProtocol):
    """Counts RTP packets per SSRC and second (the engine's media towards the callers)."""

    def __init__(self) -> None:
        self.counts: Counts = defaultdict(dict)
        self.spans: Spans = {}

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        if len(data) >= 12:
            ssrc = int.from_bytes(data[8:12], "big")
            if data[1] & 0x7F in (0, 8):
                track(self.spans, ssrc, data)
            per = self.counts[ssrc]
            second = int(time.time())
            per[second] = per.get(second, 0) + 1


def big_buffer(sock: socket.socket, size: int = 8 << 20) -> None:
    """A receive buffer that rides out the receiver being descheduled for a while."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


async def wait_stop(run_for: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), run_for)


async def run_seats(args: argparse.Namespace) -> dict:
    host, port = args.registrar.rsplit(":", 1)
    registrar = (host, int(port))
    endpoint = await open_endpoint(port=0)
    ua = UserAgent(endpoint, user="seat", auto_answer=False, ring=True)
    seats = Seats(ua, args.ring, args.max_hold)
    seats.next_ssrc = args.ssrc_base
    first, last = (int(x) for x in args.agents.split("-"))
    ids = [str(a) for a in range(first, last + 1)]
    failed: list[str] = []
    gate = asyncio.Semaphore(20)

    async def register(agent_id: str) -> None:
        async with gate:
            reply = await ua.register(f"sip:{host}:{port}", registrar, username=agent_id,
                                      password=password_for(agent_id), timeout=10)
            if reply is None or reply.status != 200:
                failed.append(agent_id)

    await asyncio.gather(*(register(a) for a in ids))
    print(json.dumps({"registered": len(ids) - len(failed), "failed": failed}), flush=True)
    await wait_stop(args.run_for)
    await endpoint.close()
    return {"stats": seats.stats, "counts": seats.counts, "spans": seats.spans}


async def run_sink(args: argparse.Namespace) -> dict:
    loop = asyncio.get_running_loop()
    sink = Sink()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", args.port))
    big_buffer(sock)
    transport, _ = await loop.create_datagram_endpoint(lambda: sink, sock=sock)
    print(json.dumps({"port": transport.get_extra_info("sockname")[1]}), flush=True)
    await wait_stop(args.run_for)
    transport.close()
    return {"counts": sink.counts, "spans": sink.spans}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["seats", "sink"])
    parser.add_argument("--registrar", default="127.0.0.1:5060")
    parser.add_argument("--agents", default="1001-1200", help="first-last agent id")
    parser.add_argument("--ring", type=float, default=0.3)
    parser.add_argument("--max-hold", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ssrc-base", type=int, default=1 << 24)
    parser.add_argument("--run-for", type=float, default=300.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = asyncio.run(run_seats(args) if args.mode == "seats" else run_sink(args))
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
