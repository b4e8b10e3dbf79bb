"""Interoperability with the real SIPp binary over loopback UDP."""

from __future__ import annotations

import asyncio
import csv
import shutil
import socket
from pathlib import Path

import pytest

from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent

SIPP = shutil.which("sipp")
pytestmark = [
    pytest.mark.sip,
    pytest.mark.timeout(30),
    pytest.mark.skipif(SIPP is None, reason="sipp not installed (Debian package sip-tester)"),
]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sipp_counters(stat_file: Path) -> dict[str, int]:
    """Cumulative counters from the last row of a ``-trace_stat`` CSV."""
    with stat_file.open(newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header, last = rows[0], rows[-1]
    wanted = ("TotalCallCreated", "SuccessfulCall(C)", "FailedCall(C)")
    return {name: int(last[header.index(name)]) for name in wanted}


async def run_sipp(args: list[str], workdir: Path, timeout: float = 25.0) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        SIPP, *args, "-nostdin", "-trace_stat", "-stf", str(workdir / "stat.csv"),
        cwd=workdir, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, output.decode(errors="replace")[-2000:]


@pytest.mark.parametrize("transport,calls", [("u1", 10), ("t1", 5)], ids=["udp", "tcp"])
def test_sipp_uac_places_calls_to_our_uas(tmp_path, transport, calls):
    async def scenario():
        endpoint = await open_endpoint(port=0, tcp=transport == "t1")
        uas = UserAgent(endpoint, user="12345")
        rc, output = await run_sipp(
            [f"127.0.0.1:{uas.port}", "-sn", "uac", "-t", transport, "-i", "127.0.0.1",
             "-p", str(free_udp_port()), "-mp", str(free_udp_port()),
             "-m", str(calls), "-r", "5", "-d", "200", "-timeout", "20s", "-timeout_error"],
            tmp_path)
        await endpoint.close()
        return rc, output, uas

    rc, output, uas = asyncio.run(scenario())
    assert rc == 0, output
    counters = sipp_counters(tmp_path / "stat.csv")
    assert counters == {"TotalCallCreated": calls, "SuccessfulCall(C)": calls,
                        "FailedCall(C)": 0}
    assert len(uas.completed) == calls
    assert all(c.end_reason == "remote BYE" and c.confirmed.is_set() for c in uas.completed)
    assert not uas.calls


def test_our_uac_calls_sipp_uas(tmp_path):
    async def scenario():
        port = free_udp_port()
        sipp = asyncio.ensure_future(run_sipp(
            ["-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_udp_port()),
             "-m", "1", "-timeout", "20s", "-timeout_error"], tmp_path))
        endpoint = await open_endpoint(port=0)
        uac = UserAgent(endpoint, user="1001")
        await asyncio.sleep(0.3)
        # If sipp binds late, timer A retransmits the INVITE.
        call = await uac.call(f"sip:service@127.0.0.1:{port}", ("127.0.0.1", port), timeout=10)
        status, media = call.status, call.remote_media
        bye = await uac.hangup(call)
        rc, output = await sipp
        await endpoint.close()
        return status, media, bye, rc, output

    status, media, bye, rc, output = asyncio.run(scenario())
    assert status == 200
    assert media is not None and media[0] == "127.0.0.1"
    assert bye is not None and bye.status == 200
    assert rc == 0, output
    counters = sipp_counters(tmp_path / "stat.csv")
    assert counters["SuccessfulCall(C)"] == 1 and counters["FailedCall(C)"] == 0
