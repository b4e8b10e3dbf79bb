"""Pre-encoded playout, the shared pacer, batched sends and the raw bridged relay."""

from __future__ import annotations

import asyncio
import socket

import numpy as np

from callcenter.media import g711
from callcenter.media.outbox import outbox
from callcenter.media.pacer import Pacer
from callcenter.media.player import PromptPlayer
from callcenter.media.playout import PayloadPlayer
from callcenter.media.rtp import RtpPacket
from callcenter.media.tone import music_on_hold, sine


def test_payload_player_matches_prompt_player_encoded():
    for loop in (False, True):
        for source in (music_on_hold(), sine(440, 0.37)):
            frames, payloads = PromptPlayer([source], loop=loop), PayloadPlayer([source], 8, loop=loop)
            for _ in range(400):
                frame, payload = frames.next_frame(), payloads.next_payload()
                if frame is None or payload is None:
                    assert frame is None and payload is None
                    break
                assert g711.encode(frame.samples, 8) == payload


def test_transcode_tables_equal_decode_then_encode():
    codes = bytes(range(256))
    assert codes.translate(g711.ULAW_TO_ALAW) == g711.alaw_encode(g711.ulaw_decode(codes))
    assert codes.translate(g711.ALAW_TO_ULAW) == g711.ulaw_encode(g711.alaw_decode(codes))
    assert g711.transcode_table(0, 0) is None


def test_pacer_ticks_every_subscriber_on_one_timer():
    async def run() -> tuple[int, int, int]:
        pacer = Pacer(asyncio.get_running_loop(), ptime=0.01)
        a, b = [], []
        pacer.subscribe(1, lambda: a.append(1))
        pacer.subscribe(2, lambda: b.append(1) if len(b) < 3 else pacer.unsubscribe(2))
        await asyncio.sleep(0.105)
        pacer.unsubscribe(1)
        await asyncio.sleep(0.03)
        return len(a), len(b), pacer.ticks

    a, b, ticks = asyncio.run(run())
    # Wall-clock timing varies with machine load; what matters is one timer for every
    # subscriber, and the one that left after three ticks got exactly three.
    assert 3 <= a <= 12 and b == 3 and ticks <= a + 1


def test_outbox_sends_a_pass_in_order_and_drops_on_closed_sockets():
    async def run() -> list[bytes]:
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(1)
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        closed.close()
        box = outbox()
        for i in range(3):
            box.put(tx, bytes([i]), rx.getsockname())
        box.put(closed, b"x", rx.getsockname())
        await asyncio.sleep(0)
        got = [rx.recv(10) for _ in range(3)]
        assert box.dropped == 1
        tx.close()
        rx.close()
        return got

    assert asyncio.run(run()) == [b"\x00", b"\x01", b"\x02"]


def test_bridged_legs_relay_raw_and_transcode():
    from callcenter.telephony.media import LegMedia

    async def run() -> tuple[RtpPacket, RtpPacket]:
        far_a, far_b = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2))
        for s in (far_a, far_b):
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
        a = LegMedia(socks[0], remote=far_a.getsockname(), payload_type=0, dtmf_payload_type=101)
        b = LegMedia(socks[1], remote=far_b.getsockname(), payload_type=8, dtmf_payload_type=96)
        await a.bridge(b)
        loop = asyncio.get_running_loop()
        samples = np.arange(-8000, 8000, 100, dtype=np.int16)[:160]
        audio = RtpPacket(0, 7, 160, 1234, g711.ulaw_encode(samples), marker=True)
        event = RtpPacket(101, 8, 320, 1234, b"\x05\x8a\x03\x20")
        far_a.sendto(audio.to_bytes(), ("127.0.0.1", a.local_port))
        far_a.sendto(event.to_bytes(), ("127.0.0.1", a.local_port))
        got = [RtpPacket.parse(await loop.sock_recv(far_b, 2048)) for _ in range(2)]
        a.close()
        b.close()
        for s in (far_a, far_b):
            s.close()
        return got[0], got[1]

    audio, event = asyncio.run(run())
    assert audio.payload_type == 8 and audio.marker and audio.sequence == 7 and audio.ssrc == 1234
    samples = np.arange(-8000, 8000, 100, dtype=np.int16)[:160]
    assert audio.payload == g711.alaw_encode(g711.ulaw_decode(g711.ulaw_encode(samples)))
    assert event.payload_type == 96 and event.payload == b"\x05\x8a\x03\x20"
