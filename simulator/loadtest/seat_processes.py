"""Seats in child processes (``seat_worker``), an equal slice each, killed for real in a fault
run: SIGKILL, so their sockets vanish without BYE or unREGISTER and their figures are lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from dataclasses import dataclass, field

from callcenter.task_set import TaskSet
from simulator.loadtest.control import AgentControl
from simulator.loadtest.seat import SeatStats
from simulator.loadtest.seat_pool import SeatJob, SeatSetupError

log = logging.getLogger(__name__)
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0


def slices(pairs: list, count: int) -> list[list]:
    """``pairs`` cut into ``count`` contiguous slices whose sizes differ by at most one."""
    count = max(1, min(count, len(pairs)))
    n = len(pairs)
    return [pairs[i * n // count:(i + 1) * n // count] for i in range(count)]


@dataclass
class Child:
    slot: int
    pairs: list[tuple[str, str]]
    proc: asyncio.subprocess.Process | None = None
    started: asyncio.Future | None = None
    reader: asyncio.Task | None = None
    stats: list[SeatStats] | None = None
    killed: bool = False

    @property
    def agent_ids(self) -> list[str]:
        return [a for a, _ in self.pairs]

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


@dataclass
class SeatProcesses:
    """``count`` seat processes; the generator answers their login and ready requests with
    ``control``."""

    pairs: list[tuple[str, str]]
    control: AgentControl
    job: SeatJob
    count: int
    lost: list[str] = field(default_factory=list)
    killed_pids: list[int] = field(default_factory=list)
    talking: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.children = [Child(i, s) for i, s in enumerate(slices(self.pairs, self.count))]
        self.agent_ids = [a for a, _ in self.pairs]
        self._tasks = TaskSet()

    @property
    def pids(self) -> list[int]:
        return [c.pid for c in self.children if c.pid is not None]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        job = self.job.as_json()
        for child in self.children:
            child.started = loop.create_future()
            child.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "simulator.loadtest.seat_worker",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 26)
            child.reader = asyncio.ensure_future(self._read(child))
            await self._send(child, {"job": job, "seats": child.pairs, "slot": child.slot})
        try:
            await asyncio.wait_for(asyncio.gather(*(c.started for c in self.children)),
                                   START_TIMEOUT)
        except (SeatSetupError, TimeoutError) as exc:
            await self.stop()
            raise SeatSetupError(f"seat processes: {exc or 'no start within the timeout'}") \
                from None

    async def kill(self, fraction: float) -> list[str]:
        """SIGKILL whole processes holding about ``fraction`` of the seats, alternating between
        processes with a seat in a conversation and processes without; their seats' ids."""
        target = max(1, round(len(self.pairs) * fraction))
        alive = [c for c in self.children if not c.killed]
        busy = [c for c in alive if self.talking & set(c.agent_ids)]
        idle = [c for c in alive if c not in busy]
        order = [c for pair in zip(busy, idle, strict=False) for c in pair]
        order += busy[len(idle):] + idle[len(busy):]
        victims: list[str] = []
        for child in order:
            if len(victims) >= target:
                break
            assert child.proc is not None
            child.killed = True
            child.proc.send_signal(signal.SIGKILL)
            await child.proc.wait()
            self.killed_pids.append(child.proc.pid)
            victims += child.agent_ids
            self.talking -= set(child.agent_ids)
        self.lost += victims
        return victims

    async def stop(self) -> list[SeatStats]:
        """Tell the living processes to stop, collect their seats' figures (killed ones have
        none), and make sure every process is gone."""
        for child in self.children:
            if child.proc is None or child.killed or child.proc.returncode is not None:
                continue
            with contextlib.suppress(Exception):
                await self._send(child, {"op": "stop"})
                child.proc.stdin.close()
        for child in self.children:
            if child.proc is None:
                continue
            try:
                await asyncio.wait_for(child.proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                log.warning("seat process %s did not stop; killing it", child.pid)
                child.proc.kill()
                await child.proc.wait()
            if child.reader is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(child.reader, 5)
        self._tasks.cancel()
        for child in self.children:
            if child.stats is None and not child.killed:  # died on its own
                log.warning("seat process %s ended without its figures", child.pid)
                self.lost += child.agent_ids
        return [s for c in self.children for s in (c.stats or [])]

    async def _send(self, child: Child, message: dict) -> None:
        assert child.proc is not None and child.proc.stdin is not None
        child.proc.stdin.write((json.dumps(message) + "\n").encode())
        await child.proc.stdin.drain()

    async def _read(self, child: Child) -> None:
        assert child.proc is not None and child.proc.stdout is not None
        async for line in child.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            self._handle(child, message)
        if child.started is not None and not child.started.done():
            child.started.set_exception(SeatSetupError(f"seat process {child.pid} exited"))

    def _handle(self, child: Child, message: dict) -> None:
        op, event, agent = message.get("op"), message.get("event"), message.get("agent")
        if op == "login":
            self._spawn(self._login(child, agent, message["req"]))
        elif op == "ready":
            self._spawn(self.control.ready(agent))
        elif op == "logout":
            self._spawn(self.control.logout(agent))
        elif event == "talking":
            self.talking.add(agent)
        elif event == "idle":
            self.talking.discard(agent)
        elif event == "started" and child.started is not None and not child.started.done():
            child.started.set_result(None)
        elif event == "error" and child.started is not None and not child.started.done():
            child.started.set_exception(SeatSetupError(message.get("message", "")))
        elif event == "stats":
            child.stats = [SeatStats(**s) for s in message["seats"]]

    async def _login(self, child: Child, agent: str, req: int) -> None:
        try:
            await self.control.login(agent)
            reply = {"req": req, "ok": True}
        except Exception as exc:  # noqa: BLE001 - the child reports it as a setup error
            reply = {"req": req, "ok": False, "error": str(exc)}
        with contextlib.suppress(Exception):
            await self._send(child, reply)

    def _spawn(self, coro) -> None:
        self._tasks.spawn(coro)
