"""Browser sessions for hotline users: the user's session token in an HttpOnly, SameSite=Strict
cookie (never readable by scripts, never in a URL), and a CSRF token bound to it.

Every form post carries the CSRF token (an HMAC of the session token under a key that lives
only in this process) and, when the browser sends one, an ``Origin`` of this site; a post
missing either is refused before anything reads the case.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from fastapi import Request

from callcenter.casework.accounts import Accounts, User

COOKIE = "hotline_session"
LANG_COOKIE = "hotline_lang"
MAX_FORM_BYTES = 32_768


class FormRefused(Exception):
    """A post that is too large, from another site, or without a valid CSRF token."""


class Sessions:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self._key = secrets.token_bytes(32)
        self.on_logout: list[Callable[[str], object]] = []  # called with the ended session's token

    def token(self, request: Request) -> str | None:
        return request.cookies.get(COOKIE) or None

    def user(self, request: Request) -> User | None:
        token = self.token(request)
        return self.accounts.user_for_token(token) if token else None

    def csrf(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def login_csrf(self, request: Request) -> str:
        """The sign-in form's token, bound to the client address (there is no session yet)."""
        return self.csrf("login:" + (request.client.host if request.client else ""))

    async def form(self, request: Request, *, login: bool = False) -> dict[str, str]:
        """The posted form's fields (first value each) once the post is shown to be ours."""
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
            raise FormRefused("origin: another site")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise FormRefused("form: too large")
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                                keep_blank_values=True).items()}
        token = self.token(request)
        expected = self.login_csrf(request) if login else (self.csrf(token) if token else None)
        if expected is None or not hmac.compare_digest(fields.pop("csrf", ""), expected):
            raise FormRefused("csrf: missing or wrong")
        return fields
