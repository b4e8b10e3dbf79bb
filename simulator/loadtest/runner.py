"""One live run: seats log in, callers dial at their planned times, then everything drains."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from callcenter.sip.message import SipURI
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from simulator.loadtest.caller import CallResult, place_call
from simulator.loadtest.control import AgentControl
from simulator.loadtest.pacer import Pacer
from simulator.loadtest.plan import PlannedCall
from simulator.loadtest.seat import Seat, SeatStats
from simulator.sampling import make_sampler

log = logging.getLogger(__name__)
SAMPLE_SECONDS = 1.0


class SeatSetupError(RuntimeError):
    """Seats could not register or log in (engine unreachable, wrong password, API refused)."""


@dataclass
class RunOutcome:
    """What the callers and seats saw, plus one sample per second of the run."""

    calls: list[CallResult]
    seats: list[SeatStats]
    started: float
    stopped: float
    samples: list[dict] = field(default_factory=list)
    killed: list[str] = field(default_factory=list)


@dataclass
class RunSettings:
    target: str  # sip:12345@host:port (the user part is ignored: each call dials its line)
    duration: float  # seconds during which calls are placed
    drain: float = 120.0  # at most this long after the last call for calls to finish
    kill_fraction: float = 0.0  # seats killed at kill_at (fault run)
    kill_at: float | None = None
    progress: bool = True
    host: str = "127.0.0.1"


def target_addr(target: str) -> tuple[str, int]:
    uri = SipURI.parse(target)
    return uri.host, uri.port or 5060


class Progress:
    """A live one-line status on stderr (a full line per update when not a terminal)."""

    def __init__(self, enabled: bool, stream=sys.stderr) -> None:
        self.enabled = enabled
        self.stream = stream
        self.tty = stream.isatty()

    def show(self, text: str) -> None:
        if not self.enabled:
            return
        self.stream.write(("\r" + text + "\033[K") if self.tty else text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")


def _status(elapsed: float, total: float, results: list[CallResult], seats: list[Seat],
            planned: int) -> dict:
    counts = {"placed": len(results), "planned": planned}
    for name in ("answered", "abandoned", "failed", "ended-by-engine", "unfinished"):
        counts[name] = sum(r.outcome == name for r in results)
    counts["waiting"] = sum(r.waiting for r in results)
    counts["in_ivr"] = sum(r.queued_at is None and r.outcome == "pending" for r in results)
    counts["talking"] = sum(r.answered_at is not None and r.ended_at is None for r in results)
    done_answered = [r for r in results if r.outcome == "answered" and r.wait is not None]
    counts["t"] = round(elapsed, 1)
    counts["total"] = total
    counts["answered_so_far"] = len(done_answered)
    return counts


def _line(s: dict) -> str:
    return (f"t={s['t']:.0f}/{s['total']:.0f}s placed {s['placed']}/{s['planned']}  "
            f"ivr {s['in_ivr']}  waiting {s['waiting']}  talking {s['talking']}  "
            f"answered {s['answered']}  abandoned {s['abandoned']}  failed {s['failed']}")


async def run_load(plan: list[PlannedCall], seats: list[tuple[str, str]], control: AgentControl,
                   settings: RunSettings, loaded, *, seed: int = 0,
                   engine_waiting: Callable[[], int] | None = None) -> RunOutcome:
    """Register ``seats`` ((agent id, password)), place ``plan``'s calls, wait for the end."""
    import numpy as np

    scenario = loaded.scenario
    addr = target_addr(settings.target)
    registrar = f"sip:{addr[0]}:{addr[1]}"
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EA7]))
    ring = make_sampler(scenario.ring_time, rng)
    handles = {c.index: c.handle for c in plan}
    default_handle = scenario.handle_time.mean

    def handle_for(index: int | None) -> float:
        return handles.get(index, default_handle) if index is not None else default_handle

    pacer = Pacer()
    pacing = asyncio.ensure_future(pacer.run())
    parties = [Seat(agent_id, password, control, handle_for=handle_for, ring_time=ring,
                    ready_after=scenario.no_answer_ready_seconds, pacer=pacer,
                    host=settings.host)
               for agent_id, password in seats]
    started = await asyncio.gather(*(s.start(registrar, addr) for s in parties),
                                   return_exceptions=True)
    errors = [e for e in started if isinstance(e, BaseException)]
    if errors:
        pacing.cancel()
        for seat in parties:
            with contextlib.suppress(Exception):
                await seat.close()
        raise SeatSetupError(f"{len(errors)} of {len(parties)} seats could not start: {errors[0]}")
    ua = UserAgent(await open_endpoint(port=0, host=settings.host), media=True)
    ua.endpoint.tu = ua
    progress = Progress(settings.progress)
    loop = asyncio.get_running_loop()
    started_wall, t0 = time.time(), loop.time()
    results: list[CallResult] = []
    tasks: list[asyncio.Task] = []
    stop = asyncio.Event()
    outcome = RunOutcome(results, [s.stats for s in parties], started_wall, started_wall)

    async def dial() -> None:
        for call in plan:
            delay = call.at - (loop.time() - t0)
            if delay > 0:
                await asyncio.sleep(delay)
            if call.at >= settings.duration:
                break
            result = CallResult(call)
            results.append(result)
            target = f"sip:{call.line}@{addr[0]}:{addr[1]}"
            tasks.append(asyncio.ensure_future(place_call(ua, call, target, addr, result,
                                                          pacer, stop=stop)))

    async def fault() -> None:
        if not settings.kill_fraction or settings.kill_at is None:
            return
        await asyncio.sleep(settings.kill_at)
        victims = parties[:max(1, round(len(parties) * settings.kill_fraction))]
        for seat in victims:
            outcome.killed.append(seat.agent_id)
            await seat.kill()

    async def sample() -> None:
        while True:
            elapsed = loop.time() - t0
            s = _status(elapsed, settings.duration, results, parties, len(plan))
            s["engine_waiting"] = engine_waiting() if engine_waiting else None
            outcome.samples.append(s)
            progress.show(_line(s))
            await asyncio.sleep(SAMPLE_SECONDS)

    sampler = asyncio.ensure_future(sample())
    faulter = asyncio.ensure_future(fault())
    try:
        await dial()
        remaining = settings.duration - (loop.time() - t0)
        if remaining > 0:
            await asyncio.sleep(remaining)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=settings.drain)
            if pending:
                stop.set()  # callers still waiting hang up and count as unfinished
                await asyncio.wait(pending, timeout=30)
    finally:
        sampler.cancel()
        faulter.cancel()
        pacing.cancel()
        outcome.stopped = time.time()
        s = _status(loop.time() - t0, settings.duration, results, parties, len(plan))
        progress.show(_line(s))
        progress.done()
        await asyncio.sleep(0.5)  # let the last BYEs settle
        for seat in parties:
            with contextlib.suppress(Exception):
                await control.logout(seat.agent_id)
            with contextlib.suppress(Exception):
                await seat.close()
        await ua.endpoint.close()
    for r in results:
        if r.outcome == "pending":
            r.outcome = "unfinished"
    return outcome
