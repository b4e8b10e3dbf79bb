"""Reading a new user's password for the CLI: from a file (first line) or a prompt, never from
the command line, where ``ps`` and the shell history would keep it."""

from __future__ import annotations

import os
from pathlib import Path

from callcenter.casework.accounts import AccountError


def password_from_file(path: Path) -> str:
    """The first line of ``path`` (without its newline); ``AccountError`` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AccountError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise AccountError(f"{path}:1: password: not UTF-8 text") from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise AccountError(f"{path}: readable by other users; chmod 600 it")
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise AccountError(f"{path}:1: password: empty")
    return lines[0]
