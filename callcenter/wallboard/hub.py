"""One producer for every open wallboard: it samples the view a few times a second (on the
engine's loop, where the ACD lives) and wakes the server-sent-event streams when it changed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

log = logging.getLogger(__name__)


class WallboardHub:
    """Samples ``view()`` every ``interval`` s while someone listens (so at most 1/interval
    pushes per second) and sends a heartbeat after ``heartbeat`` s without a change."""

    def __init__(self, view: Callable[[], dict[str, Any]], *, interval: float = 0.25,
                 heartbeat: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        self.view = view
        self.interval = interval
        self.heartbeat = heartbeat
        self.clock = clock
        self.version = 0
        self.message = ""
        self.listeners = 0
        self._key = ""
        self._changed = asyncio.Event()  # replaced on every change: a one-shot broadcast
        self._task: asyncio.Task | None = None
        self._closed = False

    def sample(self) -> bool:
        """Take the view now; if it differs from the last one, make a new version and wake
        the streams. Returns whether it changed."""
        view = self.view()
        key = json.dumps(view, sort_keys=True, separators=(",", ":"))
        if key == self._key:
            return False
        self._key = key
        self.version += 1
        self.message = json.dumps({**view, "server_time": self.clock(), "version": self.version},
                                  separators=(",", ":"), ensure_ascii=False)
        self._wake()
        return True

    async def _produce(self) -> None:
        while self.listeners and not self._closed:
            try:
                self.sample()
            except Exception:  # a broken view must not end the streams
                log.exception("wallboard view failed")
            await asyncio.sleep(self.interval)
        self._task = None

    async def events(self) -> AsyncIterator[str]:
        """The SSE stream of one client: the current snapshot, then every change, with a
        heartbeat (carrying the server time) when nothing changed for a while."""
        if self._closed:
            return
        self.listeners += 1
        if self._task is None:
            self.sample()
            self._task = asyncio.get_running_loop().create_task(self._produce())
        sent = 0
        try:
            yield "retry: 2000\n\n"
            while not self._closed:
                if self.version != sent:
                    sent = self.version
                    yield f"event: snapshot\nid: {sent}\ndata: {self.message}\n\n"
                    continue
                changed = self._changed  # taken after the version check: no lost wake-up
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.heartbeat):
                        await changed.wait()
                if self.version == sent and not self._closed:
                    yield f"event: heartbeat\ndata: {json.dumps({'server_time': self.clock()})}\n\n"
        finally:
            self.listeners -= 1

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def close(self) -> None:
        """End every stream (so that the server can shut down) and stop sampling."""
        self._closed = True
        self._wake()
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
