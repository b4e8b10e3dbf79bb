"""Recognising what a caller hears, by exact G.711 payloads: hold music and the agent's tone.

The engine plays its music on hold from a fixed 4 s loop and a seat sends a 1400 Hz tone
whose 20 ms frames are all identical (28 whole cycles each), so both arrive as known payload
bytes (relayed unchanged, or transcoded between PCMU and PCMA). A set lookup per packet is
exact and cheap; seats also send an RFC 4733 event ``D`` when they answer, which the bridge
relays, so an answer is seen even if a codec path changed the tone's bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from callcenter.media import g711
from callcenter.media.dtmf import TelephoneEvent, digit_to_event
from callcenter.media.rtp import RtpPacket
from callcenter.media.tone import music_on_hold, sine

FRAME = 160
TONE_HZ = 1400.0
ANSWER_EVENT = digit_to_event("D")
CODECS = (0, 8)


def _variants(frame) -> set[bytes]:
    out = set()
    for pt in CODECS:
        payload = g711.encode(frame, pt)
        out.add(payload)
        other = 8 if pt == 0 else 0
        out.add(g711.encode(g711.decode(payload, pt), other))
    return out


@lru_cache(maxsize=1)
def hold_payloads() -> frozenset[bytes]:
    """Payloads of every 20 ms frame of the engine's hold music, in PCMU and PCMA."""
    moh = music_on_hold()
    out: set[bytes] = set()
    for start in range(0, len(moh) - FRAME + 1, FRAME):
        frame = moh[start:start + FRAME]
        if abs(frame.astype(int)).max() > 200:  # skip near-silent frames
            out |= _variants(frame)
    return frozenset(out)


@lru_cache(maxsize=1)
def tone_frame() -> dict[int, bytes]:
    """One 20 ms frame of the seat's tone per payload type (every frame is the same)."""
    frame = sine(TONE_HZ, FRAME / 8000, amplitude=0.4)
    return {pt: g711.encode(frame, pt) for pt in CODECS}


@lru_cache(maxsize=1)
def voice_frame() -> dict[int, bytes]:
    """The caller's side of the conversation: a quiet 500 Hz frame (10 whole cycles)."""
    frame = sine(500.0, FRAME / 8000, amplitude=0.1)
    return {pt: g711.encode(frame, pt) for pt in CODECS}


@lru_cache(maxsize=1)
def tone_payloads() -> frozenset[bytes]:
    return frozenset(_variants(sine(TONE_HZ, FRAME / 8000, amplitude=0.4)))


class Ear:
    """Watches one caller's incoming RTP: audio, hold music, and the agent's answer.

    After an answer, hold music again means the engine put the caller back in the queue (its
    seat died); an agent's tone after that is a rescue. ``on_change`` fires on every answer,
    re-queue and rescue.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.packets = 0
        self.first_audio: float | None = None
        self.hold_at: float | None = None
        self.agent_at: float | None = None  # first answer
        self.answer_at: float | None = None  # latest answer (first or rescue)
        self.tone_last: float | None = None  # latest agent tone frame
        self.requeued_at: float | None = None  # first time hold music came back
        self.rescued_at: float | None = None  # first answer after a re-queue
        self.requeues = 0
        self.held = False  # back in the queue after an answer, no agent yet
        self._hold = hold_payloads()
        self._tone = tone_payloads()
        self._hold_run = 0
        self.on_agent: Callable[[], None] | None = None
        self.on_audio: Callable[[], None] | None = None
        self.on_change: Callable[[], None] | None = None

    @property
    def talking(self) -> bool:
        return self.agent_at is not None and not self.held

    def __call__(self, packet: RtpPacket, addr) -> None:
        self.packets += 1
        payload = packet.payload
        if packet.payload_type in CODECS:
            if self.first_audio is None:
                self.first_audio = self.clock()
                if self.on_audio is not None:
                    self.on_audio()
            if self.hold_at is None or self.talking:
                self._hold_run = self._hold_run + 1 if payload in self._hold else 0
                if self._hold_run >= 2:
                    self._hold_run = 0
                    if self.hold_at is None:
                        self.hold_at = self.clock() - 0.02
                    else:
                        self._requeued()
            if payload in self._tone:
                self.tone_last = self.clock()
                if not self.talking:
                    self._agent()
        elif not self.talking and len(payload) >= 4:
            try:
                event = TelephoneEvent.parse(payload)
            except ValueError:
                return
            if event.event == ANSWER_EVENT:
                self._agent()

    def _agent(self) -> None:
        now = self.clock()
        if self.agent_at is None:
            self.agent_at = now
            if self.on_agent is not None:
                self.on_agent()
        elif self.rescued_at is None:
            self.rescued_at = now
        self.answer_at, self.held = now, False
        self._changed()

    def _requeued(self) -> None:
        self.held = True
        self.requeues += 1
        if self.requeued_at is None:
            self.requeued_at = self.clock()
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
