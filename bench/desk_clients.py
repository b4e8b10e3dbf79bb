"""Desk pages without a browser, for the desk benchmarks: a signed-in session that picked its
seat (the same form posts a browser makes, CSRF tokens included) and its live stream read
as a page's ``EventSource`` reads it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def desk_session(base: str, user: str, password: str, seat: str) -> httpx.AsyncClient:
    """A client signed in as ``user`` on the desk at ``base``, driving ``seat``."""
    client = httpx.AsyncClient(base_url=base, timeout=60)
    login = await client.get("/desk/login")
    if _CSRF.search(login.text) is None:
        raise RuntimeError(f"{user}: sign-in page {login.status_code}: {login.text[:200]!r}")
    reply = await client.post("/desk/login", data={"username": user, "password": password,
                                                   "next": "/desk/seat",
                                                   "csrf": _CSRF.search(login.text).group(1)})
    if reply.status_code != 303 or "login" in reply.headers.get("location", ""):
        raise RuntimeError(f"{user}: sign-in refused ({reply.status_code})")
    page = await client.get("/desk/seat")
    csrf = _CSRF.search(page.text).group(1)
    reply = await client.post("/desk/seat/pick", data={"seat": seat, "csrf": csrf})
    if reply.status_code != 303:
        raise RuntimeError(f"{user}: seat {seat} refused ({reply.status_code})")
    return client


async def read_stream(client: httpx.AsyncClient, on_event: Callable[[dict[str, Any], float], None],
                      opened: Callable[[int], None] | None = None) -> None:
    """Read the seat page's stream until it ends, calling ``on_event(event, time.time())`` for
    each event as it arrives; ``opened(status)`` once the response starts."""
    async with client.stream("GET", "/desk/seat/events") as reply:
        if opened is not None:
            opened(reply.status_code)
        if reply.status_code != 200:
            return
        async for line in reply.aiter_lines():
            if line.startswith("data: "):
                on_event(json.loads(line[6:]), time.time())


def percentile(values: list[float], p: float) -> float | None:
    """The ``p``-th percentile (nearest rank) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]
