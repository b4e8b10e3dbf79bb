"""``callcenter serve`` as a child process for the end-to-end tests: start it on a database and
a config folder and wait for "engine ready", stop it with a signal, make a hotline user with the
CLI, and call its HTTP API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
API_TOKEN = "engine-token-0123456789abcdef"
CLI = [sys.executable, "-m", "callcenter.cli"]


def free_port() -> int:
    """A TCP port free on the loopback address now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment, running this checkout's code, with ``extra`` set."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def start_serve(tmp_path: Path, db: Path, api_port: int, config: Path, *, extra: Sequence[str] = (),
                env: dict[str, str] | None = None, timeout: float = 90, sip: str = "off") -> subprocess.Popen:
    """``serve`` with the API on ``api_port`` (SIP at ``sip``, no AGI) over the SQLite file ``db``,
    once it says "engine ready"; its stderr stays open for the test. Fails with serve's output."""
    process = subprocess.Popen(
        [*CLI, "serve", "--sip", sip, "--agi", "off", "--api", f"127.0.0.1:{api_port}",
         "--db", f"sqlite:///{db}", "--config", str(config), *extra],
        stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=env if env is not None else child_env(CALLCENTER_API_TOKEN=API_TOKEN))
    wait_ready(process, timeout)
    return process


def wait_ready(process: subprocess.Popen, timeout: float = 90) -> list[str]:
    """serve's stderr lines up to "engine ready"; kills it and fails with them if it never is."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "engine ready" in line:
            return lines
    process.kill()
    raise AssertionError("serve did not start:\n" + "".join(lines))


def drain(process: subprocess.Popen) -> list[str]:
    """serve's further stderr lines, read on a thread of their own (a full pipe would stall it)."""
    lines: list[str] = []

    def read() -> None:
        for line in process.stderr:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def stop(process: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` (SIGTERM: a clean stop; SIGKILL: a crash) and wait for the end."""
    process.send_signal(sig)
    process.wait(timeout=30)
    process.stderr.close()


def add_user(tmp_path: Path, db: Path, username: str, role: str, password: str) -> None:
    """A hotline user made by ``callcenter cases add-user`` (password from a 0600 file)."""
    secret = tmp_path / f"{username}.pw"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    made = subprocess.run([*CLI, "cases", "add-user", username, "--role", role, "--password-file",
                           str(secret), "--db", f"sqlite:///{db}"],
                          capture_output=True, text=True, cwd=tmp_path, env=child_env())
    assert made.returncode == 0, made.stderr


def call(port: int, method: str, path: str, body: object = None,
         token: str | None = None) -> tuple[int, object]:
    """One JSON request to the API: (status, decoded body)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def sign_in(port: int, username: str, password: str) -> str:
    """A session token for ``username``."""
    status, session = call(port, "POST", "/api/session", {"username": username, "password": password})
    assert status == 200, session
    return session["token"]  # type: ignore[index]
