"""Bounds on the desk's live streams: how many one engine keeps open, how many one user may
hold (a refused page gets a status saying why, before anything is streamed), and how much
one stream may queue (a page that stops reading is disconnected, not buffered for).

A page's ``EventSource`` reconnects by itself after a disconnect and is sent the current
state again, so dropping a stalled stream loses nothing a live page needs.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

from fastapi.responses import PlainTextResponse, Response

MAX_STREAMS = 2000  # open at once on one engine, over all users
MAX_STREAMS_PER_USER = 4  # one user's pages (tabs, windows) open at once
MAX_QUEUED = 64  # messages queued for one stream; a message is one small JSON (< 2 KB)
RETRY_AFTER = "5"


class StreamQueue(asyncio.Queue):
    """One stream's messages. When ``MAX_QUEUED`` are waiting the page is not reading: what
    is queued is dropped and the stream ends (``None``) once the page reads again."""

    def __init__(self) -> None:
        super().__init__(MAX_QUEUED + 1)
        self.overflowed = False

    def offer(self, message: str) -> None:
        if self.overflowed:
            return
        if self.qsize() >= MAX_QUEUED:
            while not self.empty():
                self.get_nowait()
            self.overflowed = True
            self.put_nowait(None)
            return
        self.put_nowait(message)


class StreamLimits:
    """Counts open streams per user; ``admit`` refuses one beyond the limits."""

    def __init__(self, total: int | None = None, per_user: int | None = None) -> None:
        self.total = MAX_STREAMS if total is None else total
        self.per_user = MAX_STREAMS_PER_USER if per_user is None else per_user
        self.open: Counter[str] = Counter()

    def refusal(self, user: str) -> Response | None:
        """The response refusing one more stream for ``user``, or None when it may open."""
        if sum(self.open.values()) >= self.total:
            return PlainTextResponse(f"streams: this engine serves at most {self.total} live pages; "
                                     "retry later", 503, headers={"Retry-After": RETRY_AFTER})
        if self.open[user] >= self.per_user:
            return PlainTextResponse(f"streams: at most {self.per_user} live pages per user; "
                                     "close one", 429, headers={"Retry-After": RETRY_AFTER})
        return None

    def admit(self, user: str, stream: AsyncIterator[str]) -> AsyncIterator[str] | Response:
        """``stream``, counted against ``user`` until it ends, or the refusal."""
        refused = self.refusal(user)
        if refused is not None:
            return refused
        self.open[user] += 1
        return _Counted(self, user, stream)

    def release(self, user: str) -> None:
        self.open[user] -= 1
        if self.open[user] <= 0:
            del self.open[user]


class _Counted:
    """A stream that gives its place back once: when it ends, fails, is cancelled or closed,
    or is dropped unread (a client gone before its first byte)."""

    def __init__(self, limits: StreamLimits, user: str, stream: AsyncIterator[str]) -> None:
        self.limits, self.user, self.stream = limits, user, stream
        self.released = False

    def __aiter__(self) -> _Counted:
        return self

    async def __anext__(self) -> str:
        try:
            return await self.stream.__anext__()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.limits.release(self.user)

    async def aclose(self) -> None:
        self.release()
        aclose = getattr(self.stream, "aclose", None)
        if aclose is not None:
            await aclose()

    def __del__(self) -> None:
        self.release()
