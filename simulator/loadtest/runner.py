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
from simulator.loadtest.seat import SeatStats
from simulator.loadtest.seat_pool import LocalSeats, SeatJob, SeatPool, SeatSetupError

log = logging.getLogger(__name__)
SAMPLE_SECONDS = 1.0


@dataclass
class RunOutcome:
    """What the callers and seats saw, plus one sample per second of the run."""

    calls: list[CallResult]
    seats: list[SeatStats]
    started: float
    stopped: float
    samples: list[dict] = field(default_factory=list)
    killed: list[str] = field(default_factory=list)  # agent ids of the seats killed
    killed_at: float | None = None  # wall-clock time of the kill
    killed_pids: list[int] = field(default_factory=list)  # seat processes killed
    seat_pids: list[int] = field(default_factory=list)  # every seat process started
    lost_seats: list[str] = field(default_factory=list)  # seats whose figures died with them


@dataclass
class RunSettings:
    target: str  # sip:12345@host:port (the user part is ignored: each call dials its line)
    duration: float  # seconds during which calls are placed
    drain: float = 120.0  # at most this long after the last call for calls to finish
    kill_fraction: float = 0.0  # seats killed at kill_at (fault run)
    kill_at: float | None = None
    progress: bool = True
    host: str = "127.0.0.1"
    seat_processes: int = 0  # 0: seats inside the generator; N: N child processes


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


def _status(elapsed: float, total: float, results: list[CallResult], planned: int) -> dict:
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
    scenario = loaded.scenario
    addr = target_addr(settings.target)
    job = SeatJob(addr, {c.index: c.handle for c in plan}, scenario.handle_time.mean,
                  scenario.ring_time, scenario.no_answer_ready_seconds, seed, settings.host)
    pacer = Pacer()
    pacing = asyncio.ensure_future(pacer.run())
    pool: SeatPool
    if settings.seat_processes > 0:
        from simulator.loadtest.seat_processes import SeatProcesses

        pool = SeatProcesses(seats, control, job, settings.seat_processes)
    else:
        pool = LocalSeats(seats, control, job, pacer)
    try:
        await pool.start()
    except SeatSetupError:
        pacing.cancel()
        raise
    ua = UserAgent(await open_endpoint(port=0, host=settings.host), media=True)
    ua.endpoint.tu = ua
    progress = Progress(settings.progress)
    loop = asyncio.get_running_loop()
    started_wall, t0 = time.time(), loop.time()
    results: list[CallResult] = []
    tasks: list[asyncio.Task] = []
    stop = asyncio.Event()
    outcome = RunOutcome(results, [], started_wall, started_wall,
                         seat_pids=list(getattr(pool, "pids", [])))

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
        outcome.killed_at = time.time()
        outcome.killed = await pool.kill(settings.kill_fraction)
        outcome.killed_pids = list(getattr(pool, "killed_pids", []))

    async def sample() -> None:
        while True:
            elapsed = loop.time() - t0
            s = _status(elapsed, settings.duration, results, len(plan))
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
        s = _status(loop.time() - t0, settings.duration, results, len(plan))
        progress.show(_line(s))
        progress.done()
        await asyncio.sleep(0.5)  # let the last BYEs settle
        outcome.seats = await pool.stop()
        outcome.lost_seats = list(pool.lost)
        for agent_id in pool.agent_ids:
            with contextlib.suppress(Exception):
                await control.logout(agent_id)
        await ua.endpoint.close()
    for r in results:
        if r.outcome == "pending":
            r.outcome = "unfinished"
    return outcome
