"""What a caller hears: hold music, an agent, hold music again (re-queued), a new agent."""

from __future__ import annotations

from callcenter.media.rtp import RtpPacket
from simulator.loadtest.audio import Ear, hold_payloads, tone_frame
from simulator.loadtest.seat_processes import slices


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def feed(ear: Ear, clock: Clock, payloads: list[bytes]) -> None:
    for n, payload in enumerate(payloads):
        clock.now += 0.02
        ear(RtpPacket(0, n, n * 160, 1, payload), None)


def test_hold_music_after_the_agent_is_a_requeue_and_the_next_agent_a_rescue():
    clock = Clock()
    ear = Ear(clock)
    changes: list[tuple[bool, int]] = []
    ear.on_change = lambda: changes.append((ear.held, ear.requeues))
    hold = sorted(p for p in hold_payloads() if len(p) == 160)[:3]
    tone = tone_frame()[0]
    feed(ear, clock, hold)
    assert ear.hold_at is not None and ear.agent_at is None and not ear.talking
    feed(ear, clock, [tone] * 50)
    first = ear.agent_at
    assert first is not None and ear.talking and ear.requeued_at is None
    feed(ear, clock, [b"\xff" * 160] * 10)  # the seat went quiet: not a re-queue yet
    assert ear.talking and ear.requeues == 0
    feed(ear, clock, hold)
    assert ear.held and ear.requeues == 1 and ear.requeued_at is not None
    assert ear.tone_last is not None and ear.tone_last < ear.requeued_at
    feed(ear, clock, [tone] * 5)
    assert ear.talking and ear.agent_at == first
    assert ear.rescued_at is not None and ear.answer_at == ear.rescued_at > ear.requeued_at
    assert changes == [(False, 0), (True, 1), (False, 1)]


def test_one_hold_frame_alone_is_not_a_requeue():
    clock = Clock()
    ear = Ear(clock)
    tone = tone_frame()[0]
    hold = sorted(p for p in hold_payloads() if len(p) == 160)[:1]
    feed(ear, clock, [tone, *hold, tone])
    assert ear.talking and ear.requeues == 0


def test_seat_slices_are_contiguous_and_even():
    seats = [str(n) for n in range(7)]
    parts = slices(seats, 3)
    assert parts == [["0", "1"], ["2", "3"], ["4", "5", "6"]]
    assert slices(seats, 20) == [[s] for s in seats]
    assert slices(seats, 0) == [seats]
