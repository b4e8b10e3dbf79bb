"""Bad bytes from the socket end that one FastAGI session with a logged error, nothing else."""

from __future__ import annotations

import asyncio
import logging

import pytest

from callcenter.asterisk.agi_server import AGIServer, AGISession, EndReason, SessionEnd
from callcenter.asterisk.transcripts import AGIScript, agi_script, wire_bytes

from .fakes import replay_agi_call, send_raw_and_wait
from .fixtures import transcript

pytestmark = pytest.mark.timeout(20)


def healthy_script() -> AGIScript:
    basic = agi_script(transcript("agi_session_basic.txt").sections[0])
    return AGIScript(basic.environment, (), basic.steps[:3], False)


def env_bytes(script: AGIScript) -> bytes:
    return wire_bytes([*script.environment, ""], b"\n")


BAD_INPUTS = {
    "garbage-env": lambda env: b"GET / HTTP/1.1\nHost: x\n\n",
    "truncated-env": lambda env: env[: len(env) // 2],
    "oversized-env-line": lambda env: b"agi_network: " + b"y" * 70_000,
    "binary-noise": lambda env: bytes(range(256)) * 4,
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_env_closes_that_session_while_another_completes(kind, caplog):
    script = healthy_script()
    bad_wire = BAD_INPUTS[kind](env_bytes(script))

    async def main():
        ends: dict[str, SessionEnd] = {}
        bad_ended = asyncio.Event()

        async def hotline(session: AGISession) -> None:
            await session.answer()
            await asyncio.wait_for(bad_ended.wait(), 5)  # the bad one fails mid-call
            await session.stream_file("hello-world")
            await session.stream_file("vm-intro", "0123456789*#")

        def on_end(session: AGISession, end: SessionEnd) -> None:
            key = "good" if end.reason is EndReason.COMPLETED else "bad"
            ends[key] = end
            if key == "bad":
                bad_ended.set()

        async with AGIServer(hotline, port=0, on_session_end=on_end) as server:
            good = asyncio.create_task(replay_agi_call(server.port, script))
            await asyncio.sleep(0.05)
            keep_open = kind == "oversized-env-line"
            reply = await send_raw_and_wait(server.port, bad_wire, close=not keep_open)
            good_run = await good
            while len(ends) < 2:
                await asyncio.sleep(0.01)
        return ends, reply, good_run

    with caplog.at_level(logging.ERROR, logger="callcenter.asterisk.agi"):
        ends, reply, good_run = asyncio.run(main())
    assert reply == b""  # nothing sent to the bad peer, and it was disconnected
    assert ends["bad"].reason is EndReason.PROTOCOL_ERROR
    assert "bad environment block" in caplog.text
    assert good_run.commands == [step.command for step in script.steps]
    assert ends["good"].reason is EndReason.COMPLETED


@pytest.mark.parametrize(
    "reply, message",
    [
        (b"this is not agi\n", "not an AGI status line"),
        (b"200 result=0" + b" " * 70_000, "longer than"),
        (b"200 result=0\n200 result=0\n", "unsolicited"),
    ],
)
def test_bad_reply_mid_call_is_a_protocol_error(reply, message, caplog):
    script = healthy_script()
    errors: list[BaseException] = []

    async def hotline(session: AGISession) -> None:
        try:
            await session.answer()
            await session.stream_file("hello-world")
        except Exception as exc:  # what the handler sees is the protocol error
            errors.append(exc)
            raise

    async def main():
        ends: list[SessionEnd] = []
        async with AGIServer(hotline, port=0, on_session_end=lambda s, e: ends.append(e)) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(env_bytes(script))
            assert await reader.readline() == b"ANSWER\n"
            writer.write(reply)
            rest = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            while not ends:
                await asyncio.sleep(0.01)
        return ends, rest

    with caplog.at_level(logging.ERROR, logger="callcenter.asterisk.agi"):
        ends, rest = asyncio.run(main())
    (end,) = ends
    assert end.reason is EndReason.PROTOCOL_ERROR and message in str(end.error)
    assert "protocol error" in caplog.text and message in caplog.text
    assert rest in (b"", b'STREAM FILE hello-world ""\n')
    assert len(errors) <= 1


def test_silent_peer_times_out_without_a_handler_call():
    calls: list[AGISession] = []

    async def hotline(session: AGISession) -> None:
        calls.append(session)

    async def main():
        ends: list[SessionEnd] = []
        server = AGIServer(hotline, port=0, env_timeout=0.2)
        server.on_session_end = lambda session, end: ends.append(end)
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            data = await asyncio.wait_for(reader.read(), 5)
            writer.close()
        return ends, data

    ends, data = asyncio.run(main())
    assert data == b"" and calls == []
    assert [end.reason for end in ends] == [EndReason.CONNECTION_LOST]
