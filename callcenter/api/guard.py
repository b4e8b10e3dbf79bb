"""The API's outer gate: the engine token is checked before anything reads a body, and sign-in
attempts are rate limited per client address.

FastAPI reads and parses a route's body before its dependencies run, so a token check done as
a dependency comes too late: a large POST without a token would still be read and parsed on
the event loop the engine's SIP and RTP share. This ASGI middleware answers such requests from
their headers alone (body sizes are capped by :class:`~callcenter.api.limits.BodyLimit`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match

from callcenter.api.auth import TokenAuth
from callcenter.sip.ratelimit import SourceRateLimiter

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]

LOGIN_RATE = 0.2  # sign-in attempts per second and client address
LOGIN_BURST = 5


class RequestGuard:
    """ASGI middleware: 401 without the token on the ``guarded`` routes (the sign-in form
    for browsers), 429 with Retry-After for sign-in attempts beyond a client's rate."""

    def __init__(self, app: Any, auth: TokenAuth, *, guarded: Sequence[BaseRoute],
                 refuse_page: Callable[[Request], Response] | None = None,
                 login_rate: float = LOGIN_RATE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.auth = auth
        self.guarded = list(guarded)
        self.refuse_page = refuse_page
        self.logins = SourceRateLimiter(login_rate, LOGIN_BURST)
        self.retry_after = str(round(1 / login_rate))
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = self._refusal(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        request = Request(scope)
        if scope["method"] == "POST" and scope["path"] == "/login":
            client = request.client.host if request.client else ""
            if not self.logins.allow(client, self.clock()):
                return JSONResponse({"detail": "too many sign-in attempts"}, status_code=429,
                                    headers={"Retry-After": self.retry_after})
            return None
        if not any(route.matches(scope)[0] is not Match.NONE for route in self.guarded):
            return None
        if self.auth.allowed(request):
            return None
        if self.refuse_page is not None and "text/html" in request.headers.get("accept", ""):
            return self.refuse_page(request)
        return JSONResponse({"detail": "missing or wrong API token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
