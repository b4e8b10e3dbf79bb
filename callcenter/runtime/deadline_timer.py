"""The case workflow's deadlines on the engine's one timer (:class:`Timers`), in the
``CoreDriver`` manner: ask for the next deadline, set it, fire, ask again.

Unlike the ACD, the case workflow's state lives in the database, so firing runs in a worker
thread (the loop never waits on a commit) and ``poke()`` may be called from any thread after a
change that may have moved the earliest deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from callcenter.runtime.timers import Timers

log = logging.getLogger(__name__)


class DeadlineTimer:
    """Calls ``fire(now)`` when ``next_deadline()`` has come, then re-arms."""

    def __init__(self, next_deadline: Callable[[], float | None], fire: Callable[[float], object], *,
                 clock: Callable[[], float] = time.time, loop: asyncio.AbstractEventLoop,
                 timers: Timers | None = None) -> None:
        self.next_deadline = next_deadline
        self.fire = fire
        self.clock = clock
        self.loop = loop
        self.timers = timers if timers is not None else Timers(clock, loop)
        self.fired = 0
        self._running: asyncio.Task | None = None
        self._closed = False

    def start(self) -> None:
        self.loop.call_soon_threadsafe(self._rearm)

    def poke(self) -> None:
        """Something changed: look at the earliest deadline again (any thread)."""
        if not self._closed:
            self.loop.call_soon_threadsafe(self._rearm)

    def _rearm(self) -> None:
        if self._closed or self._running is not None:
            return  # the running fire re-arms when it ends
        deadline = self.next_deadline()
        if deadline is not None:
            deadline = min(deadline, self.clock() + 3600.0)  # re-check hourly: clock steps
        self.timers.set(("cases", id(self)), deadline, self._due)

    def _due(self, now: float) -> None:
        if not self._closed:
            self._running = self.loop.create_task(self._run())

    async def _run(self) -> None:
        try:
            await asyncio.to_thread(self.fire, self.clock())
            self.fired += 1
        except Exception:  # a failing timer must never take the engine down
            log.exception("case deadline handling failed")
            await asyncio.sleep(1.0)  # not in a tight loop on a persistent failure
        finally:
            self._running = None
            self._rearm()

    async def close(self) -> None:
        self._closed = True
        self.timers.set(("cases", id(self)), None, self._due)
        if self._running is not None:
            with contextlib.suppress(Exception):
                await self._running
