"""The case API in-process (httpx over ASGI: the real FastAPI app, no socket), with users of
every role logged in."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from argon2 import PasswordHasher

from callcenter.api.casework_routes import make_casework_app
from callcenter.casework.service import Casework, build_casework

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # tests only
PASSWORD = "a long test password"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CaseApi:
    """Sync calls into the async app; ``as_(user)`` picks whose token goes with a request."""

    def __init__(self, url: str, clock: Clock) -> None:
        self.clock = clock
        self.casework: Casework = build_casework(url, clock=clock, hasher=FAST)
        self.app = make_casework_app(self.casework)
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                        base_url="http://cases.test")
        self.tokens: dict[str, str] = {}

    def add_user(self, name: str, role: str, department: str | None = None) -> None:
        self.casework.accounts.add_user(name, role, PASSWORD, department)
        reply = self.request(None, "POST", "/api/session", json={"username": name, "password": PASSWORD})
        assert reply.status_code == 200, reply.text
        self.tokens[name] = reply.json()["token"]

    def request(self, user: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.loop.run_until_complete(self.client.request(method, path, headers=headers, **kwargs))

    def post(self, user: str, path: str, body: Any = None) -> httpx.Response:
        return self.request(user, "POST", path, json=body if body is not None else {})

    def get(self, user: str, path: str, **params: Any) -> httpx.Response:
        return self.request(user, "GET", path, params=params)

    def ok(self, user: str, path: str, body: Any = None) -> dict[str, Any]:
        reply = self.post(user, path, body)
        assert reply.status_code in (200, 201), (path, reply.status_code, reply.text)
        return reply.json()

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.casework.close()
