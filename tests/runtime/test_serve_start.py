"""``callcenter serve`` on start: a wildcard SIP bind with --advertise, and what it tells a person."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callcenter.config import load_config
from callcenter.runtime.welcome import id_ranges, login_help
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent

pytestmark = [pytest.mark.sip, pytest.mark.timeout(120)]


def serve(*args: str, cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "callcenter.cli", "serve", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def refusals(result: subprocess.CompletedProcess) -> list[str]:
    """The error lines (the config's own warnings, logged before, are not errors)."""
    return [line for line in result.stderr.splitlines() if " WARNING " not in line]


def test_wildcard_sip_without_advertise_is_refused_before_the_records_are_touched(tmp_path):
    result = serve("--sip", "0.0.0.0:5060", "--db", f"sqlite:///{tmp_path}/var/records.db",
                   cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert refusals(result) == [
        "refusing to start: --sip 0.0.0.0:5060 binds every address: give --advertise HOST, the "
        "address callers and seats reach the engine at (put in SDP and Contact)"]
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("advertise, message", [
    ("0.0.0.0", "--advertise 0.0.0.0: give the address callers and seats reach the engine at"),
    ("pbx.example", "--advertise 'pbx.example': give an IP address"),
])
def test_advertise_must_be_an_address_a_peer_can_reach(tmp_path, advertise, message):
    result = serve("--sip", "0.0.0.0:5060", "--advertise", advertise, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (refusal,) = refusals(result)
    assert message in refusal


def test_agent_ids_fold_into_ranges():
    assert id_ranges(["1001", "1002", "1003", "1007", "x9", "x10", "0999", "1000"]) == \
        "1001-1003, 1007, x9, x10, 0999-1000"
    assert id_ranges([]) == ""


def test_login_help_names_the_agents_the_address_and_the_ways_in():
    config = load_config()
    lines = login_help(config, {"1001": "pw", "1002": "pw"}, sip=("10.0.0.5", 5060),
                       api=("127.0.0.1", 8080))
    assert lines[0] == "agents (40): 1001-1040"
    assert "REGISTER as sip:<agent id>@10.0.0.5:5060" in lines[1]
    assert "2 with a SIP password (1001-1002)" in lines[1] and "*11" in lines[1]
    assert "POST http://127.0.0.1:8080/api/agents/<agent id>/login" in lines[2]
    bare = login_help(config, {}, sip=("127.0.0.1", 5060), api=None)
    assert len(bare) == 2 and "none has a SIP password yet (--secrets FILE" in bare[1]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def prompts(tmp_path_factory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: serve cannot build its prompts")
    return tmp_path_factory.mktemp("prompts")


def test_wildcard_bind_advertises_the_given_address_and_says_how_to_log_in(tmp_path, prompts):
    """A real call to a serve bound on 0.0.0.0: Contact and SDP carry the --advertise address."""
    port = free_udp_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--sip", f"0.0.0.0:{port}",
         "--advertise", "127.0.0.1", "--api", "off", "--agi", "127.0.0.1:0",
         "--db", f"sqlite:///{tmp_path}/records.db", "--prompts", str(prompts)],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    log: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("engine ready" in line for line in log):
            line = process.stderr.readline()
            if not line:
                break
            log.append(line)
        text = "".join(log)
        assert "engine ready" in text, text
        assert "FastAGI listening on 127.0.0.1:" in text and "127.0.0.1:0 " not in text
        assert "agents (40): 1001-1040" in text
        assert f"seats: REGISTER as sip:<agent id>@127.0.0.1:{port}" in text

        async def call() -> tuple[str, bytes]:
            caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
            try:
                answered = await caller.call(f"sip:12345@127.0.0.1:{port}", ("127.0.0.1", port))
                assert answered.status == 200
                contact = answered.dialog.remote_target
                await caller.hangup(answered)
                return str(contact), answered.remote_sdp
            finally:
                await caller.endpoint.close()

        contact, sdp = asyncio.run(call())
        assert "@127.0.0.1:" in contact and "0.0.0.0" not in contact
        assert b"c=IN IP4 127.0.0.1" in sdp and b"0.0.0.0" not in sdp
    finally:
        process.terminate()
        process.wait(timeout=20)
