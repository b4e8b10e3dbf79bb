"""SIP over TCP against idle, slow and numerous connections, over loopback: connections are
limited in all and per source, one that sends no complete message in time (slowloris) or
stays silent is closed, and near the open-file limit the engine refuses connections, never
calls."""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys

import pytest

from callcenter.sip.transport import TcpLimits
from callcenter.telephony.admission import AdmissionLimits
from callcenter.telephony.embedded import start_embedded
from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, PASSWORDS, RawPeer, start

from .helpers import normal_call_has_two_way_audio

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True if the engine closes the connection (EOF or reset) within ``seconds``."""
    try:
        await asyncio.wait_for(reader.read(), seconds)
    except ConnectionError:
        return True
    except TimeoutError:
        return False
    return True


def test_slow_idle_and_too_many_connections_are_closed(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        tel.endpoint.tcp_limits = TcpLimits(per_source=5, header_timeout=0.5, idle_timeout=1.0)
        conns = [await asyncio.open_connection(LOCAL, tel.port) for _ in range(8)]
        await asyncio.sleep(0.1)
        assert tel.endpoint.tcp_refused == 3 and len(tel.endpoint._tcp) == 5  # 5 per source
        for _, writer in conns:
            writer.close()
        # Silent from the start, or one byte at a time (slowloris): closed.
        silent = await asyncio.open_connection(LOCAL, tel.port)
        slow = await asyncio.open_connection(LOCAL, tel.port)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for byte in b"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP":
            if slow[0].at_eof():
                break
            slow[1].write(bytes([byte]))
            await asyncio.sleep(0.05)
        assert slow[0].at_eof() or await closed_within(slow[0], 1.0)
        assert loop.time() - started < 1.5
        assert await closed_within(silent[0], 1.0)
        # A connection that has sent a message and then idles is closed after idle_timeout.
        reader, writer = await asyncio.open_connection(LOCAL, tel.port)
        writer.write(RawPeer(tel.port).request("OPTIONS").replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP"))
        assert (await reader.readline()).startswith(b"SIP/2.0 200")
        assert await closed_within(reader, 2.0)
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())


HOLDER = """
import socket, sys
held = []
for n in range(int(sys.argv[2])):
    s = socket.socket()
    s.bind((f"127.0.0.{10 + n % 20}", 0))
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        pass
    held.append(s)
print("held", flush=True)
sys.stdin.read()
"""


def test_near_the_open_file_limit_connections_are_refused_not_calls(prompts_dir):
    async def scenario():
        in_use = len(os.listdir("/proc/self/fd"))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 350, hard))
        try:
            parts = engine_parts()
            tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                       passwords=PASSWORDS,
                                       admission=AdmissionLimits(max_calls=10))
            # 400 idle connections from 20 addresses, held by another process.
            holder = subprocess.Popen(
                [sys.executable, "-c", HOLDER, str(tel.port), "400"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True,
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
            assert await asyncio.to_thread(holder.stdout.readline) == "held\n"
            await normal_call_has_two_way_audio(tel, parts)  # sockets left for the call
            assert tel.endpoint.tcp_refused > 0
            assert len(tel.endpoint._tcp) <= tel.endpoint.tcp_limits.max_connections
            holder.stdin.close()
            holder.wait(10)
            await tel.close()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    asyncio.run(scenario())
