"""Fake Asterisk peers replaying the recorded transcripts over real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Container
from dataclasses import dataclass, field

from callcenter.asterisk.ami_protocol import (
    NEED_DATA,
    AMIConnection,
    AMIMessage,
    ConnectionClosed,
    MessageReceived,
)
from callcenter.asterisk.transcripts import SENT, AGIScript, AMIBlock, wire_bytes

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


class FakeAMIServer:
    """Replays Asterisk's side of an AMI transcript to each client that connects.

    Received blocks are sent as recorded, with ActionIDs rewritten to the ones the client used;
    at each sent block it reads the client's action and records any difference from the
    transcript (ActionID aside) in ``mismatches``. ``drop_after`` closes the first connection
    abruptly after that many received blocks; connections whose number (from 1) is in ``refuse``
    are closed at once, before the banner.
    """

    def __init__(
        self,
        blocks: list[AMIBlock],
        *,
        drop_after: int | None = None,
        refuse: Container[int] = (),
    ) -> None:
        self.blocks = blocks
        self.drop_after = drop_after
        self.refuse = refuse
        self.accepted = 0
        self.actions: list[AMIMessage] = []
        self.mismatches: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FakeAMIServer:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        connection = self.accepted
        try:
            if connection in self.refuse:
                return
            await self._replay(reader, writer, drop=self.drop_after if connection == 1 else None)
        finally:
            writer.close()

    async def _replay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, drop: int | None
    ) -> None:
        codec = AMIConnection(expect_banner=False)
        ids: dict[str, str] = {}
        sent = 0
        for block in self.blocks:
            if block.direction == SENT:
                await writer.drain()
                message = await _read_message(reader, codec)
                if message is None:
                    return
                self.actions.append(message)
                self._compare(block, message)
                ids[block.get("ActionID") or ""] = message.action_id or ""
                continue
            if drop is not None and sent >= drop:
                writer.transport.abort()
                return
            lines = list(block.lines)
            if not block.is_banner:
                lines = [_rewrite_id(line, ids) for line in lines] + [""]
            writer.write(wire_bytes(lines, b"\r\n"))
            sent += 1
        await writer.drain()

    def _compare(self, block: AMIBlock, message: AMIMessage) -> None:
        expected = [(k, v) for k, v in block.headers() if k != "ActionID"]
        actual = [(k, v) for k, v in message.headers if k != "ActionID"]
        if expected != actual:
            self.mismatches.append(f"line {block.lineno}: expected {expected}, got {actual}")


def _rewrite_id(line: str, ids: dict[str, str]) -> str:
    if line.startswith("ActionID: "):
        recorded = line[len("ActionID: ") :]
        return f"ActionID: {ids.get(recorded, recorded)}"
    return line


async def _read_message(reader: asyncio.StreamReader, codec: AMIConnection) -> AMIMessage | None:
    while True:
        event = codec.next_event()
        if isinstance(event, MessageReceived):
            return event.message
        if isinstance(event, ConnectionClosed):
            return None
        if event is NEED_DATA:
            codec.receive_data(await asyncio.wait_for(reader.read(65536), READ_TIMEOUT))
