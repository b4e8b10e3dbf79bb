"""Agent SIP passwords from a secrets file or the environment; there are no defaults."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "CALLCENTER_SIP_PASSWORD_"


class PasswordFileError(ValueError):
    """A secrets file that is unsafe or cannot be read."""


def load_passwords(path: Path | str) -> dict[str, str]:
    """Read ``agent_id = password`` lines (``#`` comments, blank lines ignored).

    The file must not be readable by group or others (POSIX), and every password must be
    non-empty.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PasswordFileError(f"{path}: {exc.strerror}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PasswordFileError(f"{path}: readable by others; run chmod 600 on it")
    passwords: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        agent_id, sep, password = (part.strip() for part in line.partition("="))
        if not sep or not agent_id or not password:
            raise PasswordFileError(f"{path}:{number}: expected 'agent_id = password'")
        if agent_id in passwords:
            raise PasswordFileError(f"{path}:{number}: agent {agent_id} listed twice")
        passwords[agent_id] = password
    return passwords


def passwords_from_env(environ: Mapping[str, str] | None = None,
                       prefix: str = ENV_PREFIX) -> dict[str, str]:
    """``CALLCENTER_SIP_PASSWORD_1001=...`` gives agent 1001 its password (empty ones skipped)."""
    environ = os.environ if environ is None else environ
    return {name[len(prefix):]: value for name, value in environ.items()
            if name.startswith(prefix) and len(name) > len(prefix) and value}


def seat_passwords(secrets_file: Path | str | None) -> dict[str, str]:
    """The agents' SIP passwords: the environment, then ``secrets_file`` (which wins).
    Raises ``PasswordFileError`` for an unusable file."""
    passwords = passwords_from_env()
    if secrets_file is not None:
        passwords.update(load_passwords(secrets_file))
    return passwords
