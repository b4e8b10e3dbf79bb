"""Hotline users: who may do what with cases, with credentials of their own.

Three roles: ``agent`` (hotline agent: intake, direct answer, dispatch of their own intake),
``supervisor`` (everything in the hotline: supervision, extensions, re-dispatch) and
``department`` (one department's user: only that department's cases). Passwords are hashed
with Argon2id (argon2-cffi); there are no default users. A login gives a random bearer token
kept only as its SHA-256 in ``user_sessions``; failed logins are throttled per user name and
per client address.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from callcenter.records import RecordStore

ROLES = ("agent", "supervisor", "department")
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message names the field."""


class TooManyAttempts(Exception):
    """Too many failed logins; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after:.0f} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    username: str
    role: str
    department: str | None = None

    @property
    def hotline(self) -> bool:
        """Agents and supervisors work for the hotline itself (all departments' cases)."""
        return self.role in ("agent", "supervisor")


class LoginThrottle:
    """At most ``max_failures`` failed logins per key (user name, client address) within
    ``window`` seconds; a success does not clear the address's count."""

    def __init__(self, max_failures: int = 5, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def check(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            failures = self._failures.get(key)
            if not failures:
                continue
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) >= self.max_failures:
                raise TooManyAttempts(failures[0] + self.window - now)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > 10_000:  # forget idle keys so a flood cannot grow this forever
            for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
                del self._failures[key]


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")
    if password != password.strip():
        raise AccountError("password: must not begin or end with spaces")
    return password


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Users and sessions in the record database."""

    def __init__(self, records: RecordStore, *, session_seconds: float = 12 * 3600,
                 clock: Callable[[], float] = time.time, throttle: LoginThrottle | None = None,
                 hasher: PasswordHasher | None = None) -> None:
        self.records = records
        self.session_seconds = session_seconds
        self.clock = clock
        self.throttle = throttle or LoginThrottle()
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    # ------------------------------------------------------------------ users

    def add_user(self, username: str, role: str, password: str, department: str | None = None,
                 departments: set[str] | None = None) -> User:
        """Create a user; ``departments`` (when given) are the known department codes."""
        if not _USERNAME.match(username):
            raise AccountError("username: 2-64 letters, digits or _.@- (starting with a letter "
                               "or digit)")
        if role not in ROLES:
            raise AccountError(f"role: must be one of {', '.join(ROLES)}")
        if role == "department":
            if not department:
                raise AccountError("department: required for a department user")
            if departments is not None and department not in departments:
                raise AccountError(f"department: unknown department {department!r}")
        elif department:
            raise AccountError(f"department: only department users have one (role {role})")
        check_password(password)
        digest = self.hasher.hash(password)
        backend = self.records.backend
        with self.records._lock, backend.transaction():
            if backend.query("SELECT 1 FROM users WHERE username = ?", (username,)):
                raise AccountError(f"username: {username!r} already exists")
            backend.execute(
                "INSERT INTO users (username, role, department, password_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)", (username, role, department or None, digest, self.clock()))
        return User(username, role, department or None)

    def set_password(self, username: str, password: str) -> None:
        check_password(password)
        digest = self.hasher.hash(password)
        with self.records._lock, self.records.backend.transaction():
            changed = self.records.backend.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (digest, username))
            if not changed:
                raise AccountError(f"username: no user {username!r}")
            self.records.backend.execute("DELETE FROM user_sessions WHERE username = ?", (username,))

    def disable(self, username: str) -> None:
        with self.records._lock, self.records.backend.transaction():
            if not self.records.backend.execute(
                    "UPDATE users SET disabled = 1 WHERE username = ?", (username,)):
                raise AccountError(f"username: no user {username!r}")
            self.records.backend.execute("DELETE FROM user_sessions WHERE username = ?", (username,))

    def users(self) -> list[User]:
        with self.records._lock:
            rows = self.records.backend.query(
                "SELECT username, role, department FROM users WHERE disabled = 0 ORDER BY username")
        return [User(*row) for row in rows]

    # ------------------------------------------------------------------ sessions

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right (an unknown user costs the same hash check)."""
        with self.records._lock:
            rows = self.records.backend.query(
                "SELECT username, role, department, password_hash FROM users "
                "WHERE username = ? AND disabled = 0", (username,))
        digest = rows[0][3] if rows else self._dummy_hash
        try:
            self.hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(*rows[0][:3]) if rows else None

    def login(self, username: str, password: str, client: str = "") -> tuple[str, User]:
        """A new session token for the user; raises ``TooManyAttempts`` when throttled and
        ``PermissionError`` for a wrong user name or password (the same for both)."""
        keys = (f"user:{username}", f"addr:{client}")
        self.throttle.check(*keys)
        user = self.authenticate(username, password)
        if user is None:
            self.throttle.failed(*keys)
            raise PermissionError("wrong user name or password")
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.records._lock, self.records.backend.transaction():
            self.records.backend.execute("DELETE FROM user_sessions WHERE expires_at < ?", (now,))
            self.records.backend.execute(
                "INSERT INTO user_sessions (token_hash, username, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)", (_token_hash(token), username, now, now + self.session_seconds))
        return token, user

    def user_for_token(self, token: str) -> User | None:
        with self.records._lock:
            rows = self.records.backend.query(
                "SELECT u.username, u.role, u.department FROM user_sessions s "
                "JOIN users u ON u.username = s.username "
                "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
                (_token_hash(token), self.clock()))
        return User(*rows[0]) if rows else None

    def logout(self, token: str) -> None:
        with self.records._lock, self.records.backend.transaction():
            self.records.backend.execute("DELETE FROM user_sessions WHERE token_hash = ?",
                                         (_token_hash(token),))
