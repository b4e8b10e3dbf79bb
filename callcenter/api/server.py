"""``start_api``: serve the API with uvicorn inside the engine's running event loop (no
threads: handlers drive the core from the very loop that runs it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from callcenter.api.app import make_app
from callcenter.api.auth import TOKEN_ENV, check_token, is_loopback, resolve_token
from callcenter.api.limits import RequestCap
from callcenter.desk import streams
from callcenter.runtime.app import Engine
from callcenter.wallboard.today import TodayCounters

log = logging.getLogger(__name__)


MAX_CONNECTIONS = 64  # requests at once; beyond: 503 (the API shares the event loop with SIP and RTP)
# The desk's live streams are bounded by their own limits (per user and in all), not by the above.
DESK_STREAMS = frozenset({"/desk/seat/events", "/desk/board/events"})


class ApiConfigError(ValueError):
    """The API would be unsafe or cannot start as configured."""


class _Server(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to the engine's own handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiServer:
    """A running API; ``await close()`` ends wallboard streams and stops the server."""

    def __init__(self, server: _Server, task: asyncio.Task, host: str, port: int,
                 rollover: asyncio.Task) -> None:
        self._server = server
        self._task = task
        self._rollover = rollover
        self.host = host
        self.port = port

    @property
    def app(self) -> FastAPI:
        app = self._server.config.app
        return app.app if isinstance(app, RequestCap) else app

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        self._rollover.cancel()
        await self.app.state.hub.close()
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP so that asyncio sets TCP_NODELAY on accepted connections (with proto 0
    # it does not, and Nagle plus delayed ACKs add 40 ms to every keep-alive response).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ApiConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def start_api(engine: Engine, *, host: str = "127.0.0.1", port: int = 8080, token: str | None,
                    token_file: Path | str | None = None, access_log: bool = False) -> ApiServer:
    """Start serving ``engine`` on ``host:port`` (port 0: any free port, see ``.port``).

    ``token`` None means: ``$CALLCENTER_API_TOKEN`` if set; otherwise only a loopback host is
    allowed and the token comes from ``token_file`` (generated there, mode 0600, if absent).
    Raises ``ApiConfigError`` for a non-loopback host without a configured token, a short
    token, or an address that cannot be bound.
    """
    try:
        if token is None and os.environ.get(TOKEN_ENV):
            token = check_token(os.environ[TOKEN_ENV])
        if token is None:
            if not is_loopback(host):
                raise ApiConfigError(
                    f"refusing to serve the API on {host} without a token: pass one or set "
                    f"${TOKEN_ENV} (only a loopback host may run with a generated token)")
            token = resolve_token(None, env={}, file=token_file)
        else:
            check_token(token)
    except ApiConfigError:
        raise
    except (ValueError, OSError) as exc:  # a short token, an unwritable token file
        raise ApiConfigError(f"API token: {exc}") from None
    app = make_app(engine, token=token)
    sock = _bind(host, port)
    # log_config=None: uvicorn's records go through the engine's own logging set-up.
    capped = RequestCap(app, MAX_CONNECTIONS, DESK_STREAMS)
    config = uvicorn.Config(capped, log_config=None, log_level="warning", access_log=access_log,
                            lifespan="off", timeout_graceful_shutdown=3, ws="none",
                            limit_concurrency=MAX_CONNECTIONS + streams.MAX_STREAMS,
                            timeout_keep_alive=5,
                            h11_max_incomplete_event_size=16 * 1024)
    server = _Server(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]),
                                                  name="callcenter-api")
    while not server.started:
        if task.done():
            sock.close()
            task.result()  # raises what stopped the server
            raise ApiConfigError("the API server stopped while starting")
        await asyncio.sleep(0.01)
    bound_port = sock.getsockname()[1]
    log.info("API and wallboard on http://%s:%d (docs at /docs, wallboard at /wallboard)",
             host, bound_port)
    rollover = asyncio.get_running_loop().create_task(_roll_at_midnight(engine, app.state.today))
    return ApiServer(server, task, host, bound_port, rollover)


async def _roll_at_midnight(engine: Engine, today: TodayCounters) -> None:
    """Start the day's counters afresh at each local midnight."""
    clock = engine.driver.clock
    while True:
        await asyncio.sleep(max(0.0, today.next_midnight(clock()) - clock()) + 0.01)
        if today.roll(engine.acd.stats, clock()):
            log.info("wallboard and figures: a new day, counters start at zero")
