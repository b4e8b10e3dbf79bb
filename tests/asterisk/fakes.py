"""Fake Asterisk peers replaying the recorded transcripts over real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from callcenter.asterisk.transcripts import AGIScript, wire_bytes

READ_TIMEOUT = 5.0


@dataclass
class FakeAGIRun:
    """What the fake Asterisk saw from our FastAGI server."""

    commands: list[str] = field(default_factory=list)
    server_half_closed: bool = False


async def replay_agi_call(port: int, script: AGIScript, host: str = "127.0.0.1") -> FakeAGIRun:
    """Play Asterisk's side of ``script`` against a FastAGI server.

    Sends the env block, then answers each command with the transcript's replies. When the
    transcript ends with Asterisk closing, its last ``HANGUP`` is held back until the server has
    half-closed (that is when real Asterisk sends it), then the fake closes too.
    """
    run = FakeAGIRun()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(wire_bytes([*script.environment, ""], b"\n"))
        writer.write(wire_bytes(script.leading, b"\n"))
        for index, step in enumerate(script.steps):
            line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
            if not line:
                run.server_half_closed = True
                return run
            run.commands.append(line.decode().removesuffix("\n"))
            replies = list(step.replies)
            held_back = None
            if index == len(script.steps) - 1 and script.closed_by_peer and replies[-1:] == [
                "HANGUP"
            ]:
                held_back = replies.pop()
            writer.write(wire_bytes(replies, b"\n"))
            await writer.drain()
            if held_back is not None:
                await _read_until_eof(reader, run)
                writer.write(wire_bytes([held_back], b"\n"))
                await writer.drain()
                return run
        await _read_until_eof(reader, run)
        return run
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def _read_until_eof(reader: asyncio.StreamReader, run: FakeAGIRun) -> None:
    while line := await asyncio.wait_for(reader.readline(), READ_TIMEOUT):
        run.commands.append(line.decode().removesuffix("\n"))
    run.server_half_closed = True


async def send_raw_and_wait(port: int, data: bytes, *, close: bool = True) -> bytes:
    """Send arbitrary bytes as a would-be Asterisk and return whatever the server sends back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    if close:
        writer.write_eof()
    try:
        return await asyncio.wait_for(reader.read(), READ_TIMEOUT)
    except (ConnectionError, OSError):
        return b""
    finally:
        writer.close()
