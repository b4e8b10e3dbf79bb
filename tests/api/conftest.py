"""A real engine with the API on a free loopback port, its event loop on a background thread.

Everything that touches the core runs on that loop (``live.submit``, ``live.call``), as it
does in ``callcenter serve``; tests talk to the API over real HTTP with urllib."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from acd.events import Event
from callcenter.api import ApiServer, start_api
from callcenter.config import load_config
from callcenter.runtime.app import Engine, build_engine


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(NoRedirect)


class LiveEngine:
    def __init__(self, tmp_path: Path) -> None:
        self.token = secrets.token_urlsafe(24)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="engine-loop", daemon=True)
        self.thread.start()
        db_url = f"sqlite:///{tmp_path}/cc.db"
        self.engine: Engine = self.call(lambda: build_engine(load_config(), db_url=db_url))
        self.api: ApiServer = self.run(start_api(self.engine, host="127.0.0.1", port=0,
                                                 token=self.token))
        self.url = self.api.url

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        async def on_loop() -> Any:
            return fn(*args)
        return self.run(on_loop())

    def submit(self, event: Event) -> list:
        return self.call(self.engine.driver.submit, event)

    def request(self, method: str, path: str, *, token: str | None = "default", body: Any = None,
                headers: dict[str, str] | None = None, data: bytes | None = None) -> Reply:
        headers = dict(headers or {})
        if token == "default":
            token = self.token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with _opener.open(req, timeout=10) as resp:
                return Reply(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.headers, err.read())

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        try:
            self.run(self.api.close())
            self.call(self.engine.close)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveEngine]:
    engine = LiveEngine(tmp_path)
    try:
        yield engine
    finally:
        engine.close()
