"""The seats of a run, hosted inside the load generator (``LocalSeats``) or in child processes
(``seat_processes.SeatProcesses``): both start, report who is talking, lose seats in a fault
run and hand back the seats' figures at the end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from callcenter.sip.transactions import Addr
from simulator.loadtest.control import AgentControl
from simulator.loadtest.pacer import Pacer
from simulator.loadtest.seat import Seat, SeatStats
from simulator.sampling import make_sampler
from simulator.scenario import Distribution


class SeatSetupError(RuntimeError):
    """Seats could not register or log in (engine unreachable, wrong password, API refused)."""


@dataclass
class SeatJob:
    """What every seat needs besides its id and password: where to register, each call's
    talk time (by call index), how long to ring, when to go ready again after a miss."""

    addr: Addr
    handles: dict[int, float]
    default_handle: float
    ring_time: Distribution
    ready_after: float
    seed: int = 0
    host: str = "127.0.0.1"

    @property
    def registrar(self) -> str:
        return f"sip:{self.addr[0]}:{self.addr[1]}"

    def handle_for(self, index: int | None) -> float:
        return self.handles.get(index, self.default_handle) if index is not None \
            else self.default_handle

    def as_json(self) -> dict:
        return {"addr": list(self.addr), "handles": {str(k): v for k, v in self.handles.items()},
                "default_handle": self.default_handle, "ring_time": self.ring_time.model_dump(),
                "ready_after": self.ready_after, "seed": self.seed, "host": self.host}

    @classmethod
    def from_json(cls, data: dict) -> SeatJob:
        return cls((data["addr"][0], int(data["addr"][1])),
                   {int(k): float(v) for k, v in data["handles"].items()},
                   float(data["default_handle"]), Distribution.model_validate(data["ring_time"]),
                   float(data["ready_after"]), int(data["seed"]), data["host"])


def build_seats(job: SeatJob, pairs: list[tuple[str, str]], control: AgentControl,
                pacer: Pacer, stream: int = 0,
                on_talk: Callable[[str, bool], None] | None = None) -> list[Seat]:
    """Seats for ``pairs`` ((agent id, password)); ``stream`` separates the ring-time samples
    of seat hosts sharing a seed."""
    rng = np.random.default_rng(np.random.SeedSequence([job.seed, 0x5EA7, stream]))
    ring = make_sampler(job.ring_time, rng)
    return [Seat(agent_id, password, control, handle_for=job.handle_for, ring_time=ring,
                 ready_after=job.ready_after, pacer=pacer, host=job.host, on_talk=on_talk)
            for agent_id, password in pairs]


async def start_seats(seats: list[Seat], job: SeatJob) -> list[BaseException]:
    """Register and log in every seat; the errors of those that failed."""
    started = await asyncio.gather(*(s.start(job.registrar, job.addr) for s in seats),
                                   return_exceptions=True)
    return [e for e in started if isinstance(e, BaseException)]


class SeatPool(Protocol):
    agent_ids: list[str]
    lost: list[str]  # seats whose figures died with them

    async def start(self) -> None: ...

    async def kill(self, fraction: float) -> list[str]: ...

    async def stop(self) -> list[SeatStats]: ...


@dataclass
class LocalSeats:
    """Seats in the load generator's own event loop (sharing its ``pacer``); a "kill" closes
    their sockets."""

    pairs: list[tuple[str, str]]
    control: AgentControl
    job: SeatJob
    pacer: Pacer
    seats: list[Seat] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.seats = build_seats(self.job, self.pairs, self.control, self.pacer)
        self.agent_ids = [s.agent_id for s in self.seats]

    async def start(self) -> None:
        errors = await start_seats(self.seats, self.job)
        if errors:
            await self.stop()
            raise SeatSetupError(f"{len(errors)} of {len(self.seats)} seats could not start: "
                                 f"{errors[0]}")

    async def kill(self, fraction: float) -> list[str]:
        victims = self.seats[:max(1, round(len(self.seats) * fraction))]
        for seat in victims:
            await seat.kill()
        return [s.agent_id for s in victims]

    async def stop(self) -> list[SeatStats]:
        for seat in self.seats:
            with contextlib.suppress(Exception):
                await seat.close()
        return [s.stats for s in self.seats]
