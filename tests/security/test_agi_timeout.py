"""FastAGI over loopback: a peer that sends an environment and then falls silent is not held
forever; the command times out, the session ends and its socket is closed, and the next
session is served normally."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.asterisk.agi_errors import AGITimeout
from callcenter.asterisk.agi_server import AGIServer, EndReason

pytestmark = pytest.mark.timeout(20)

ENV = b"agi_network: yes\nagi_request: agi://127.0.0.1/12345\nagi_uniqueid: 1.1\n\n"


def test_a_silent_asterisk_is_dropped_after_the_command_timeout():
    async def scenario():
        ends = []
        answered = []

        async def handler(session):
            await session.answer()
            answered.append(session)

        server = AGIServer(handler, port=0, command_timeout=0.5, close_timeout=0.5,
                           on_session_end=lambda s, end: ends.append(end))
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(ENV)
            assert await reader.readline() == b"ANSWER\n"
            # ...and nothing more: the server gives up and closes the connection.
            assert await asyncio.wait_for(reader.read(), 3) == b""
            writer.close()
            assert ends[0].reason is EndReason.PROTOCOL_ERROR
            assert isinstance(ends[0].error, AGITimeout) and not server.sessions
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(ENV)
            assert await reader.readline() == b"ANSWER\n"
            writer.write(b"200 result=0\n")
            await writer.drain()
            while not answered:
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(scenario())
