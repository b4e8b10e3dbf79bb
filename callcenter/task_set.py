"""``TaskSet``: the background tasks one object starts and owns. The event loop keeps only a
weak reference to a task, so an owner must hold each until it ends; on closing, the owner
cancels them together (and may wait for them to finish)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


class TaskSet:
    """Tasks kept referenced until they end (each leaves the set by itself)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        """Run ``work`` (a coroutine or future) on the running loop as a task of this set."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel(self) -> None:
        """Cancel every task still running (without waiting for them)."""
        for task in list(self._tasks):
            task.cancel()

    async def close(self) -> None:
        """Cancel every task and wait until all have ended (their errors are not raised)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)
