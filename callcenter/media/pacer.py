"""One shared 20 ms ticker per event loop for paced media (prompt playout).

Every subscriber's ``tick()`` runs on the same timer, so N playing calls cost one timer
callback per packet time instead of N sleeping tasks; their packets leave in one burst.
The schedule is absolute: a late timer does not shift later ticks. When the loop is busy
and the timer fires late, the ticks that are due run back to back (at most ``max_burst``
per firing), so prompts last as long as the IVR expects; only when more than
``max_catch_up`` ticks behind (the loop stalled) does the schedule restart from now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

PTIME = 0.02


class Pacer:
    """Calls each subscriber once per ``ptime`` while there are subscribers."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ptime: float = PTIME,
                 max_catch_up: int = 50, max_burst: int = 25) -> None:
        self.loop = loop
        self.ptime = ptime
        self.max_catch_up = max_catch_up
        self.max_burst = max_burst
        self._subscribers: dict[int, Callable[[], None]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._running = False
        self._next_at = 0.0
        self.ticks = 0

    def __len__(self) -> int:
        return len(self._subscribers)

    def subscribe(self, key: int, tick: Callable[[], None]) -> None:
        """Call ``tick`` every packet time from the next tick on (``key`` identifies it)."""
        self._subscribers[key] = tick
        if not self._running:
            self._running = True
            self._next_at = self.loop.time()
            self._timer = self.loop.call_soon(self._tick)

    def unsubscribe(self, key: int) -> None:
        self._subscribers.pop(key, None)

    def _tick(self) -> None:
        self._timer = None
        now = self.loop.time()
        due = min(self.max_burst, max(1, int((now - self._next_at) / self.ptime) + 1))
        for _ in range(due):
            self.ticks += 1
            for tick in list(self._subscribers.values()):
                tick()
        if not self._subscribers:
            self._running = False
            return
        self._next_at += due * self.ptime
        if now - self._next_at > self.max_catch_up * self.ptime:
            self._next_at = now  # too far behind: skip instead of bursting
        self._timer = self.loop.call_at(self._next_at, self._tick)


_pacers: dict[asyncio.AbstractEventLoop, Pacer] = {}


def pacer(loop: asyncio.AbstractEventLoop | None = None) -> Pacer:
    """The running loop's 20 ms pacer."""
    loop = loop or asyncio.get_running_loop()
    shared = _pacers.get(loop)
    if shared is None:
        for old in [k for k in _pacers if k.is_closed()]:
            del _pacers[old]
        shared = _pacers[loop] = Pacer(loop)
    return shared
