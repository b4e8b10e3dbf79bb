"""Callers: real SIP calls from one user agent (many calls per process), one task per call.

A caller dials the line, talks (a quiet 500 Hz tone, every 20 ms like a phone) from the
moment the call connects, presses its language keys as RFC 4733 events once the greeting is
heard, counts as queued when hold music starts (or right after its last key), and hangs up
when its patience runs out before an agent's tone or answer event arrives. After an answer
it listens until the agent's side ends the call; if hold music comes back instead (its seat
died and the engine put it back in the queue), it waits for the next agent. A call the engine
ends before the agent's talk time is through counts as dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass

from callcenter.media.dtmf import dtmf_packets
from callcenter.media.rtp import RtpSender
from callcenter.sip.transactions import Addr
from callcenter.sip.useragent import UserAgent
from simulator.loadtest.audio import Ear, voice_frame
from simulator.loadtest.pacer import Pacer
from simulator.loadtest.plan import PlannedCall

QUEUE_TIMEOUT = 60.0  # no hold music and no answer this long after answer: count as queued
END_GRACE = 30.0  # after the planned handle time, wait this long for the agent's BYE
DROP_SLACK = 2.0  # an agent's tone heard this much shorter than its handle time: cut short


@dataclass
class CallResult:
    """One call as the caller saw it; times are wall-clock seconds."""

    plan: PlannedCall
    call_id: str = ""
    placed_at: float = 0.0
    status: int | None = None
    connected_at: float | None = None
    queued_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: str = "pending"  # pending|answered|abandoned|ended-by-engine|failed|unfinished
    failure: str = ""
    packets: int = 0
    rescued_at: float | None = None  # answered again after being put back in the queue
    requeues: int = 0  # times hold music came back after an answer
    dropped: bool = False  # the engine ended the call before the agent's talk was through
    audio_cut: bool = False  # the agent's tone stopped early, though the call ended on time

    @property
    def wait(self) -> float | None:
        if self.answered_at is None or self.queued_at is None:
            return None
        return max(0.0, self.answered_at - self.queued_at)

    @property
    def waiting(self) -> bool:
        return self.queued_at is not None and self.outcome == "pending" and self.answered_at is None


async def press(ua: UserAgent, call, keys: str) -> None:
    rtp = await call.media()
    sender = RtpSender(call.payload_type or 0)
    for key in keys:
        for packet in dtmf_packets(sender, key, payload_type=call.dtmf_payload_type or 101):
            rtp.send(packet, call.remote_media)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)


async def place_call(ua: UserAgent, plan: PlannedCall, target: str, addr: Addr,
                     result: CallResult, pacer: Pacer, *, stop: asyncio.Event | None = None,
                     clock=time.time) -> CallResult:
    """Run one caller to the end; fills and returns ``result``."""
    ua.user = plan.number  # the From user: the seat learns the call's index from it
    call = ua.start_call(target, addr)
    result.call_id, result.placed_at = call.call_id, clock()
    try:
        await asyncio.wait_for(call.answered.wait(), 35)
    except TimeoutError:
        result.outcome, result.failure = "failed", "no final response"
        return result
    result.status = call.status
    if call.status != 200 or call.state == "ended":
        result.outcome, result.failure = "failed", f"INVITE {call.status}"
        result.ended_at = clock()
        return result
    result.connected_at = clock()
    ear = Ear(clock)
    heard_agent, heard_audio = asyncio.Event(), asyncio.Event()
    ear.on_agent, ear.on_audio = heard_agent.set, heard_audio.set
    rtp = await call.media()
    rtp.on_packet = ear
    pt = call.payload_type or 0
    voice = pacer.add(rtp, RtpSender(pt), voice_frame()[pt], call.remote_media)
    ended = asyncio.ensure_future(call.ended.wait())
    try:
        if plan.keys:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard_audio.wait(), 5)
            await asyncio.sleep(0.3)
            await press(ua, call, plan.keys)
            result.queued_at = clock()
        # Queued: hold music (or an agent) is heard.
        deadline = clock() + QUEUE_TIMEOUT
        while result.queued_at is None and not ended.done() and clock() < deadline:
            if ear.hold_at is not None or ear.agent_at is not None:
                result.queued_at = ear.hold_at or ear.agent_at
                break
            await asyncio.sleep(0.05)
        if result.queued_at is None:
            result.queued_at = clock()
        # Wait for an agent, the end of the call, patience, or the run being stopped.
        waits = [ended, asyncio.ensure_future(heard_agent.wait())]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        patience = plan.patience - (clock() - result.queued_at)
        timeout = None if math.isinf(plan.patience) else max(0.0, patience)
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for w in waits[1:]:
            w.cancel()
        if ear.agent_at is not None:
            result.answered_at = ear.agent_at
            result.outcome = "answered"
            await _converse(ua, call, plan, ear, ended, result, stop, clock)
        elif ended.done():
            result.outcome, result.dropped = "ended-by-engine", True
        else:
            result.outcome = "abandoned" if stop is None or not stop.is_set() else "unfinished"
            await ua.hangup(call, timeout=10)
    except Exception as exc:  # noqa: BLE001 - one broken call must not end the run
        result.outcome, result.failure = "failed", f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(Exception):
            await ua.hangup(call, timeout=5)
    finally:
        pacer.remove(voice)
        ended.cancel()
        result.packets = ear.packets
        result.rescued_at, result.requeues = ear.rescued_at, ear.requeues
        result.ended_at = clock()
    if ear.packets == 0 and not result.failure:
        result.failure = "no audio"
    return result


async def _converse(ua: UserAgent, call, plan: PlannedCall, ear: Ear, ended: asyncio.Future,
                    result: CallResult, stop: asyncio.Event | None, clock) -> None:
    """From the answer to the end of the call: listen to the agent until its side hangs up;
    back in the queue, wait for the next agent (or the run's stop). Marks a call the engine
    ends while the caller is held again, before the agent's handle time is through, or well
    after the agent's tone stopped short of it, as dropped."""
    changed = asyncio.Event()
    ear.on_change = changed.set
    hung_up = False
    while not ended.done():
        changed.clear()
        waits = [asyncio.ensure_future(changed.wait())]
        if ear.held and stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        answer_at = ear.answer_at if ear.answer_at is not None else clock()
        timeout = None if ear.held else max(0.0, answer_at + plan.handle + END_GRACE - clock())
        await asyncio.wait([ended, *waits], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        if ended.done():
            break
        if changed.is_set():
            continue
        result.failure = "stopped while back in the queue" if ear.held else "agent never hung up"
        hung_up = True
        await ua.hangup(call, timeout=5)
    ear.on_change = None
    if hung_up:
        return
    if ear.held:
        result.dropped = True
    elif ear.answer_at is not None:
        end, due = clock(), ear.answer_at + plan.handle
        tone_stopped = (ear.tone_last or end) < due - DROP_SLACK
        # Ended early, or ended late after the agent had gone quiet (a dead seat noticed by
        # the engine's RTP timeout). Ended on time after a quiet spell: the seat was there
        # (it hung up on time) and only its audio did not arrive.
        result.dropped = end < due - DROP_SLACK or (tone_stopped and end > due + DROP_SLACK)
        result.audio_cut = tone_stopped and not result.dropped
