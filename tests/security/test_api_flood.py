"""The HTTP API shares the event loop with SIP and RTP. Huge bodies without a token, chunked
floods and a burst of authenticated requests are answered from their headers or cheaply; a
live call's audio keeps its 20 ms pacing meanwhile and the process does not balloon."""

from __future__ import annotations

import asyncio
import http.client
import multiprocessing
import os
import socket
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from callcenter.api import start_api
from callcenter.config import load_config
from callcenter.runtime.app import build_engine
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from callcenter.telephony.embedded import start_embedded
from tests.telephony.helpers import LOCAL, PASSWORDS, press, wait_for

from .helpers import normal_call_has_two_way_audio

pytestmark = [pytest.mark.sip, pytest.mark.timeout(90)]

TOKEN = "flood-test-token-0123456789"
BIG = 50 * 1024 * 1024


class Gaps:
    """Arrival gaps of one RTP stream (an ``on_packet`` handler)."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.gaps: list[float] = []

    def __call__(self, packet, addr) -> None:
        now = time.monotonic()
        if self.last is not None:
            self.gaps.append(now - self.last)
        self.last = now


def raw_post(port: int, headers: str, body_bytes: int) -> str:
    """POST with the given headers, then up to ``body_bytes`` of body; the status line."""
    with socket.create_connection((LOCAL, port), timeout=10) as sock:
        sock.sendall(f"POST /api/agents/1001/login HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
        chunk = b"[" * 65536
        if "chunked" in headers:
            chunk = b"10000\r\n" + chunk + b"\r\n"
        sent = 0
        try:
            while sent < body_bytes:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server answered and closed: the rest is never read
        try:
            return sock.recv(200).decode(errors="replace").split("\r\n")[0]
        except OSError:
            return "closed"


def authorised_get(port: int) -> int:
    conn = http.client.HTTPConnection(LOCAL, port, timeout=10)
    conn.request("GET", "/api/calls", headers={"Authorization": f"Bearer {TOKEN}"})
    status = conn.getresponse().status
    conn.close()
    return status


def login_attempt(port: int) -> int:
    conn = http.client.HTTPConnection(LOCAL, port, timeout=10)
    conn.request("POST", "/login", body="token=wrong-guess&next=/", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    status = conn.getresponse().status
    conn.close()
    return status


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def test_api_floods_do_not_starve_the_media_path(prompts_dir, tmp_path):
    async def scenario():
        engine = build_engine(load_config(), db_url=f"sqlite:///{tmp_path}/cc.db")
        tel = await start_embedded(engine, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, rtp_timeout=None)  # a silent caller
        api = await start_api(engine, host=LOCAL, port=0, token=TOKEN)
        caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        gaps = Gaps()
        (await call.media()).on_packet = gaps
        await press(call, "90")
        await wait_for(lambda: engine.acd.queue_position(call.call_id) == 1, 5)
        rss_before = rss_mb()
        attacks = ([(raw_post, api.port, f"Content-Length: {BIG}\r\n", BIG)] * 8
                   + [(raw_post, api.port, f"Authorization: Bearer {TOKEN}\r\n"
                       f"Content-Length: {BIG}\r\n", BIG)] * 2
                   + [(raw_post, api.port, "Transfer-Encoding: chunked\r\n", BIG)] * 4
                   + [(raw_post, api.port, f"Authorization: Bearer {TOKEN}\r\n"
                       "Transfer-Encoding: chunked\r\n", 4 * 1024 * 1024)] * 2
                   + [(authorised_get, api.port)] * 200
                   + [(login_attempt, api.port)] * 20)
        loop = asyncio.get_running_loop()
        # The attackers run in other processes: client threads here would contend for the GIL.
        # They run at the lowest priority: on a small machine their own CPU use would
        # otherwise be what delays the engine, not the engine's handling of their requests.
        with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=os.nice, initargs=(19,)) as pool:
            await asyncio.gather(*(loop.run_in_executor(pool, rss_mb) for _ in range(8)))
            gaps.gaps.clear()
            results = await asyncio.gather(*(loop.run_in_executor(pool, fn, *args)
                                             for fn, *args in attacks))
        big, chunked, capped = results[:10], results[10:14], results[14:16]
        gets, logins = results[16:216], results[216:]
        assert all(line.startswith("HTTP/1.1 401") for line in big[:8]), big
        assert all(line.startswith("HTTP/1.1 413") for line in big[8:]), big
        assert all(line.startswith("HTTP/1.1 401") for line in chunked), chunked
        assert not any(line.startswith("HTTP/1.1 2") for line in capped), capped
        assert gets.count(200) >= 150, gets  # the rest: 503 beyond the connection limit
        assert logins.count(401) == 5 and logins.count(429) == 15, logins
        worst, took = max(gaps.gaps), sum(gaps.gaps)
        gaps.gaps.clear()
        await asyncio.sleep(took)  # the same time without the attack: how loaded is the machine?
        quiet = max(gaps.gaps)
        assert worst < max(0.1, 2 * quiet), f"RTP gap of {worst * 1000:.0f} ms ({quiet * 1000:.0f} quiet)"
        assert rss_mb() - rss_before < 60
        await caller.hangup(call)
        await caller.endpoint.close()
        await normal_call_has_two_way_audio(tel, engine)
        await api.close()
        await tel.close()
        engine.close()

    asyncio.run(scenario())
