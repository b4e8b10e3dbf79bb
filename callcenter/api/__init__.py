"""The HTTP API (agents, queues, calls, figures, metrics) and the wallboard, served by uvicorn
inside the engine's event loop.

    api = await start_api(engine, host="127.0.0.1", port=8080, token=None)  # in the engine's loop
    ...
    await api.close()  # before engine.close()

Clients send ``Authorization: Bearer <token>`` (Prometheus: ``authorization: {credentials_file:
...}``); a browser signs in at ``/login`` for a read-only session cookie. The route list is
``/docs`` and ``/openapi.json``.
"""

from callcenter.api.app import make_app
from callcenter.api.auth import TOKEN_ENV, default_token_file, resolve_token
from callcenter.api.server import ApiConfigError, ApiServer, start_api

__all__ = [
    "TOKEN_ENV",
    "ApiConfigError",
    "ApiServer",
    "default_token_file",
    "make_app",
    "resolve_token",
    "start_api",
]
