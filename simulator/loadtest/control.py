"""Logging agents in and making them ready: in-process (the engine's driver) or over HTTP."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from acd.engine import ACDError
from acd.events import AgentLoggedIn, AgentLoggedOut, AgentReady

log = logging.getLogger(__name__)


class AgentControl(Protocol):
    async def login(self, agent_id: str) -> None: ...

    async def ready(self, agent_id: str) -> None: ...

    async def logout(self, agent_id: str) -> None: ...


class DriverControl:
    """Submits agent events straight to an in-process engine's driver."""

    def __init__(self, driver) -> None:
        self.driver = driver

    async def login(self, agent_id: str) -> None:
        self.driver.submit(AgentLoggedIn(agent_id, ready=True))

    async def ready(self, agent_id: str) -> None:
        try:
            self.driver.submit(AgentReady(agent_id))
        except ACDError as exc:  # already ready, or on a call again
            log.debug("ready %s: %s", agent_id, exc)

    async def logout(self, agent_id: str) -> None:
        try:
            self.driver.submit(AgentLoggedOut(agent_id))
        except ACDError as exc:
            log.debug("logout %s: %s", agent_id, exc)


class ApiControl:
    """Uses the engine's HTTP API (``POST /agents/{id}/login`` and ``/ready``)."""

    def __init__(self, base_url: str, token: str) -> None:
        base = base_url.rstrip("/")
        self.base_url = base if base.endswith("/api") else base + "/api"
        self.headers = {"Authorization": f"Bearer {token}"}

    def _post(self, path: str, body: dict | None = None) -> int:
        import httpx

        response = httpx.post(f"{self.base_url}{path}", json=body, headers=self.headers,
                              timeout=10)
        return response.status_code

    async def login(self, agent_id: str) -> None:
        status = await asyncio.to_thread(self._post, f"/agents/{agent_id}/login", {"ready": True})
        if status == 409:  # still logged in from an earlier run: make the seat ready
            status = await asyncio.to_thread(self._post, f"/agents/{agent_id}/ready")
        if status >= 300:
            raise RuntimeError(f"login of agent {agent_id} refused: HTTP {status}")

    async def ready(self, agent_id: str) -> None:
        status = await asyncio.to_thread(self._post, f"/agents/{agent_id}/ready")
        if status >= 300:
            log.debug("ready %s: HTTP %s", agent_id, status)

    async def logout(self, agent_id: str) -> None:
        status = await asyncio.to_thread(self._post, f"/agents/{agent_id}/logout")
        if status >= 300:
            log.debug("logout %s: HTTP %s", agent_id, status)
