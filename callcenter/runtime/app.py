"""The composition root: one function builds config, core, drivers and adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import Sequence
from dataclasses import dataclass

from acd.commands import Command
from acd.engine import ACD
from callcenter.config import HotlineConfig
from callcenter.runtime.core_driver import CoreDriver

log = logging.getLogger("callcenter")


@dataclass
class Engine:
    """The parts of a running engine, built from explicit pieces (no import-time magic)."""

    config: HotlineConfig
    acd: ACD
    driver: CoreDriver

    def status_line(self) -> str:
        snapshot = self.acd.snapshot(self.driver.clock())
        waiting = sum(q["waiting"] for q in snapshot["queues"].values())
        states: dict[str, int] = {}
        for agent in snapshot["agents"]:
            key = agent["presence"] if agent["presence"] != "available" else agent["activity"]
            states[key] = states.get(key, 0) + 1
        agents = " ".join(f"{k}={v}" for k, v in sorted(states.items()))
        return f"status waiting={waiting} live_calls={self.acd.live_calls()} agents: {agents}"


def build_engine(config: HotlineConfig, *, seed: int | None = None) -> Engine:
    """Wire the routing core and its asyncio driver for ``config``."""
    acd = ACD(config.queue_specs(), config.agent_specs(), rng=random.Random(seed))
    driver = CoreDriver(acd)

    def log_commands(commands: Sequence[Command]) -> None:
        for command in commands:
            log.debug("%s", command)

    driver.add_sink(log_commands)
    return Engine(config=config, acd=acd, driver=driver)


async def run(engine: Engine, *, status_interval: float = 60.0, run_for: float | None = None) -> None:
    """Run until SIGINT/SIGTERM (or ``run_for`` seconds), logging a status line now and then."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-main thread
            loop.add_signal_handler(sig, stop.set)
    if run_for is not None:
        loop.call_later(run_for, stop.set)
    log.info("engine ready: %s, %d lines, %d queues, %d agents", engine.config.center.name,
             len(engine.config.lines), len(engine.config.queues), len(engine.config.agents))
    log.info(engine.status_line())
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=status_interval)
        except TimeoutError:
            log.info(engine.status_line())
    engine.driver.close()
    log.info("engine stopped")
