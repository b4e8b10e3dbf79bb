"""The HTTP API (agents, queues, calls, figures, metrics) and the wallboard, served by uvicorn
inside the engine's event loop."""

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
