"""One asyncio timer for every live deadline: the routing core's and each call's.

Each owner sets its next deadline under a key (``None`` clears it); one ``loop.call_at`` is
armed for the earliest, and when it comes every due owner is fired with ``now`` (from the
injected clock) and re-armed by setting its key again. A failing owner is logged and never
stops the others.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)

SLACK = 0.002
"""Seconds added to every wait, so that an owner is never fired a hair before its deadline."""


class Timers:
    """Deadlines by key, driven by one loop timer."""

    def __init__(self, clock: Callable[[], float], loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.clock = clock
        self._loop = loop
        self._due: dict[Hashable, tuple[float, Callable[[float], object]]] = {}
        self._heap: list[tuple[float, int, Hashable]] = []
        self._seq = 0
        self._handle: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None
        self._closed = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def set(self, key: Hashable, deadline: float | None, fire: Callable[[float], object]) -> None:
        """Call ``fire(now)`` once ``deadline`` has come (replacing what ``key`` had)."""
        current = self._due.get(key)
        if deadline is None:
            if current is not None:
                del self._due[key]  # its heap entry goes stale
            return
        if current is not None and current[0] == deadline:
            self._due[key] = (deadline, fire)
            return
        self._due[key] = (deadline, fire)
        self._seq += 1
        heapq.heappush(self._heap, (deadline, self._seq, key))
        self._rearm()

    def deadline(self, key: Hashable) -> float | None:
        entry = self._due.get(key)
        return entry[0] if entry is not None else None

    def __len__(self) -> int:
        return len(self._due)

    def _earliest(self) -> float | None:
        heap = self._heap
        while heap:
            deadline, _, key = heap[0]
            entry = self._due.get(key)
            if entry is not None and entry[0] == deadline:
                return deadline
            heapq.heappop(heap)  # stale: cleared or moved
        return None

    def _rearm(self) -> None:
        if self._closed:
            return
        deadline = self._earliest()
        if deadline == self._armed_for and (self._handle is not None or deadline is None):
            return
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._armed_for = deadline
        if deadline is not None:
            delay = max(0.0, deadline - self.clock()) + SLACK
            self._handle = self.loop.call_at(self.loop.time() + delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._armed_for = None
        now = self.clock()
        while (deadline := self._earliest()) is not None and deadline <= now:
            _, _, key = heapq.heappop(self._heap)
            _, fire = self._due.pop(key)
            try:
                fire(now)
            except Exception:  # one owner's failure must not stop the others
                log.exception("timer of %r failed", key)
        self._rearm()

    def close(self) -> None:
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._due.clear()
        self._heap.clear()
