"""Token auth for the HTTP API: a Bearer header, or a session cookie for browser pages.

Programs send ``Authorization: Bearer <token>``. Browsers (the wallboard's ``EventSource``,
the docs page) cannot set that header, so ``POST /login`` with the token sets an HttpOnly,
SameSite=Strict cookie holding an HMAC of the token (the token itself is never stored in the
browser, and never appears in a URL, where access logs, history and Referer headers would
keep it). The cookie is accepted on read-only (GET/HEAD) routes only: actions that change a
seat always need the header, so another site cannot make a logged-in browser act.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPBearer

log = logging.getLogger(__name__)

TOKEN_ENV = "CALLCENTER_API_TOKEN"
COOKIE_NAME = "callcenter_session"
MIN_TOKEN_LENGTH = 16
_READ_ONLY = frozenset({"GET", "HEAD"})

bearer_scheme = HTTPBearer(auto_error=False, description="The API token.")
cookie_scheme = APIKeyCookie(name=COOKIE_NAME, auto_error=False,
                             description="Set by POST /login; read-only routes only.")


def default_token_file() -> Path:
    """Where a generated token is kept: ``$XDG_STATE_HOME/callcenter/api-token``."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "callcenter" / "api-token"


def check_token(token: str) -> str:
    """``token`` if usable; raises ``ValueError`` for an empty or short one."""
    if len(token.strip()) < MIN_TOKEN_LENGTH or token != token.strip():
        raise ValueError(f"API token must be at least {MIN_TOKEN_LENGTH} characters, "
                         "without surrounding spaces")
    return token


def resolve_token(explicit: str | None = None, *, env: Mapping[str, str] | None = None,
                  file: Path | str | None = None) -> str:
    """The API token: ``explicit``, else ``$CALLCENTER_API_TOKEN``, else the one in ``file``;
    when none exists a random token is generated and written to ``file`` (mode 0600), whose
    path is logged so that a local supervisor can read it. There is no default token."""
    env = os.environ if env is None else env
    if explicit:
        return check_token(explicit)
    if env.get(TOKEN_ENV):
        log.info("API token from $%s", TOKEN_ENV)
        return check_token(env[TOKEN_ENV])
    path = Path(file) if file is not None else default_token_file()
    if path.exists():
        if path.stat().st_mode & 0o077:
            log.warning("API token file %s is readable by other users; chmod 600 it", path)
        log.info("API token from %s", path)
        return check_token(path.read_text(encoding="utf-8").strip())
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    log.warning("no API token configured: generated one in %s (mode 0600)", path)
    return token


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (names are not resolved)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class TokenAuth:
    """Checks requests against one token, in constant time."""

    def __init__(self, token: str) -> None:
        self._token = check_token(token).encode()
        self.session = hmac.new(self._token, b"callcenter-api-session", hashlib.sha256).hexdigest()

    def token_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self._token)

    def session_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.session.encode())

    def allowed(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and self.token_ok(value.strip()):
            return True
        return request.method in _READ_ONLY and self.session_ok(request.cookies.get(COOKIE_NAME))

    async def __call__(self, request: Request) -> None:
        """FastAPI dependency: 401 unless the request carries the token."""
        if not self.allowed(request):
            raise HTTPException(401, "missing or wrong API token", {"WWW-Authenticate": "Bearer"})

