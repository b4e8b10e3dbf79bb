"""FastAGI server over loopback against a fake Asterisk replaying the transcripts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from callcenter.asterisk.agi_errors import (
    AGIApplicationNotFound,
    AGICommandFailed,
    AGIDeadChannel,
    AGIUnknownCommand,
    AGIUsageError,
    CallerHungUp,
)
from callcenter.asterisk.agi_responses import ChannelStatus
from callcenter.asterisk.agi_server import AGIServer, AGISession, EndReason, SessionEnd
from callcenter.asterisk.transcripts import AGIScript, agi_script

from .fakes import FakeAGIRun, replay_agi_call
from .fixtures import transcript

pytestmark = pytest.mark.timeout(20)


def scripts(name: str) -> list[AGIScript]:
    return [agi_script(section) for section in transcript(name).sections]


async def run_scenario(
    handler: Callable[[AGISession], Awaitable[None]], script: AGIScript
) -> tuple[FakeAGIRun, AGISession, SessionEnd, list[AGISession], list[SessionEnd]]:
    hangups: list[AGISession] = []
    ends: list[SessionEnd] = []
    server = AGIServer(
        handler,
        port=0,
        hangup_grace=0.05,
        close_timeout=1.0,
        on_hangup=hangups.append,
        on_session_end=lambda session, end: ends.append(end),
    )
    async with server:
        run = await replay_agi_call(server.port, script)
        for _ in range(200):
            if ends:
                break
            await asyncio.sleep(0.01)
    session = hangups[0] if hangups else None
    return run, session, ends[0], hangups, ends


def play(handler, script):
    return asyncio.run(run_scenario(handler, script))


def test_basic_session_sends_the_recorded_commands_and_half_closes():
    (script,) = scripts("agi_session_basic.txt")
    seen: dict[str, object] = {}

    async def hotline(session: AGISession) -> None:
        seen["line"] = session.env.line
        await session.answer()
        seen["full"] = await session.stream_file("hello-world")
        seen["interrupted"] = await session.stream_file("vm-intro", "0123456789*#")
        seen["digit"] = await session.wait_for_digit(10000)
        seen["data"] = await session.get_data("beep", 10000, 4)
        seen["timeout"] = await session.get_data("beep", 2000, 2)
        await session.set_variable("IVR_CHOICE", seen["data"].digits)
        seen["choice"] = await session.get_variable("IVR_CHOICE")
        seen["num"] = await session.get_full_variable("${CALLERID(num)}")
        seen["unset"] = await session.get_variable("NO_SUCH_VARIABLE")
        seen["status"] = await session.channel_status()
        await session.verbose("engine: routing to queue support", 1)
        seen["queue"] = await session.exec("Queue", "support,c,,,30")
        await session.stream_file("goodbye")
        await session.hangup()

    run, session, end, hangups, ends = play(hotline, script)
    assert run.commands == [step.command for step in script.steps]
    assert run.server_half_closed
    assert end == SessionEnd(EndReason.COMPLETED, hangup_received=True)
    assert len(hangups) == 1 and len(ends) == 1 and session.ended.result() is end
    assert seen["line"] == "hotline"
    assert (seen["full"].digit, seen["full"].endpos) == (None, 11234)
    assert (seen["interrupted"].digit, seen["interrupted"].endpos) == ("1", 5920)
    assert seen["digit"] == "2"
    assert (seen["data"].digits, seen["data"].timed_out) == ("34", False)
    assert (seen["timeout"].digits, seen["timeout"].timed_out) == ("", True)
    assert (seen["choice"], seen["num"], seen["unset"]) == ("34", "5551000", None)
    assert seen["status"] is ChannelStatus.UP and seen["queue"] == 0


def test_hangup_during_stream_file_then_dead_channel_commands():
    script = scripts("agi_session_caller_hangup.txt")[0]
    seen: list[object] = []

    async def hotline(session: AGISession) -> None:
        await session.answer()
        with pytest.raises(CallerHungUp) as during:
            await session.stream_file("vm-intro")
        seen.append(type(during.value))
        for attempt in (
            session.stream_file("beep"),
            session.get_data("beep", 3000, 4),
            session.wait_for_digit(1000),
            session.channel_status(),
        ):
            with pytest.raises(AGIDeadChannel):
                await attempt
        await session.set_variable("AFTER_HANGUP", "yes")
        seen.append(await session.get_variable("AFTER_HANGUP"))
        await session.verbose("still here after hangup", 1)
        await session.noop()
        seen.append(await session.exec("Verbose", "1,exec-on-dead-channel"))
        await session.hangup()  # 511 on a dead channel is not an error

    run, session, end, hangups, ends = play(hotline, script)
    assert run.commands == [step.command for step in script.steps]
    assert seen == [CallerHungUp, "yes", 0]
    assert run.server_half_closed and end.reason is EndReason.COMPLETED
    assert len(hangups) == 1 and len(ends) == 1 and end.hangup_received


def test_unsolicited_hangup_while_idle_is_seen_once():
    script = scripts("agi_session_caller_hangup.txt")[1]

    async def hotline(session: AGISession) -> None:
        await session.answer()
        await asyncio.wait_for(session.wait_for_hangup(), 2)
        assert session.hangup_received
        with pytest.raises(CallerHungUp):
            await session.wait_for_digit(1000)
        assert await session.get_variable("AGI_NOTHING") is None

    run, session, end, hangups, ends = play(hotline, script)
    assert run.commands == [step.command for step in script.steps]
    assert end == SessionEnd(EndReason.COMPLETED, hangup_received=True)
    assert len(hangups) == 1 and len(ends) == 1


def test_queue_abandon_propagating_hangup_ends_session_as_caller_hung_up():
    script = scripts("agi_session_caller_hangup.txt")[2]
    queue_status: list[object] = []

    async def hotline(session: AGISession) -> None:
        await session.answer()
        try:
            await session.exec("Queue", "support,,,,30")
        except CallerHungUp:
            queue_status.append(await session.get_variable("QUEUESTATUS"))
        await session.stream_file("goodbye")  # raises: the caller is gone

    run, session, end, hangups, ends = play(hotline, script)
    assert run.commands == [step.command for step in script.steps]
    assert queue_status == [None]
    assert end.reason is EndReason.CALLER_HUNG_UP and isinstance(end.error, AGIDeadChannel)
    assert len(hangups) == 1 and len(ends) == 1 and run.server_half_closed


def test_error_replies_raise_their_own_exceptions():
    (script,) = scripts("agi_session_errors.txt")
    raised: list[type] = []

    async def hotline(session: AGISession) -> None:
        await session.answer()
        for line in ("FOO BAR", "WAIT FOR DIGIT"):
            try:
                await session.send(line)
            except (AGIUnknownCommand, AGIUsageError) as exc:
                raised.append(type(exc))
        with pytest.raises(AGICommandFailed):
            await session.stream_file("no-such-prompt")
        assert not session.hangup_received
        with pytest.raises(AGIApplicationNotFound):
            await session.exec("NoSuchApplication", "foo")
        assert await session.exec("Wait", "0.5") == 0
        assert await session.say_digits("123") is None
        await session.set_autohangup(0)
        await session.database_put("engine", "test", 42)
        raised.append(await session.database_get("engine", "test"))
        raised.append(await session.database_get("engine", "missing"))
        await session.noop("hello")
        await session.hangup()

    run, session, end, hangups, ends = play(hotline, script)
    assert run.commands == [step.command for step in script.steps]
    assert raised == [AGIUnknownCommand, AGIUsageError, "42", None]
    assert end == SessionEnd(EndReason.COMPLETED, hangup_received=True)


def test_handler_exception_is_logged_and_only_that_session_ends(caplog):
    basic = scripts("agi_session_basic.txt")[0]

    async def hotline(session: AGISession) -> None:
        await session.answer()
        if session.env.channel.endswith("-broken"):
            raise RuntimeError("flow bug")
        await session.stream_file("hello-world")

    broken_env = tuple(
        line + "-broken" if line.startswith("agi_channel:") else line for line in basic.environment
    )
    broken = AGIScript(broken_env, (), basic.steps[:1], False)
    healthy = AGIScript(basic.environment, (), basic.steps[:2], False)

    async def main():
        ends: list[SessionEnd] = []
        server = AGIServer(hotline, port=0, on_session_end=lambda s, e: ends.append(e))
        async with server:
            runs = await asyncio.gather(
                replay_agi_call(server.port, broken), replay_agi_call(server.port, healthy)
            )
            while len(ends) < 2:
                await asyncio.sleep(0.01)
        return runs, ends

    with caplog.at_level(logging.ERROR, logger="callcenter.asterisk.agi"):
        (broken_run, healthy_run), ends = asyncio.run(main())
    assert broken_run.commands == ["ANSWER"] and broken_run.server_half_closed
    assert healthy_run.commands == ["ANSWER", 'STREAM FILE hello-world ""']
    assert sorted(end.reason.value for end in ends) == ["completed", "handler_error"]
    assert "handler failed" in caplog.text and "flow bug" in caplog.text


def test_server_close_ends_running_sessions_once_and_cancels_handlers():
    (script,) = scripts("agi_session_basic.txt")
    cancelled: list[bool] = []
    answered: list[bool] = []

    async def hotline(session: AGISession) -> None:
        await session.answer()
        answered.append(True)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def main():
        ends: list[SessionEnd] = []
        server = AGIServer(hotline, port=0, on_session_end=lambda s, e: ends.append(e))
        await server.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(("\n".join(script.environment) + "\n\n").encode())
        assert await reader.readline() == b"ANSWER\n"
        writer.write(b"200 result=0\n")
        await until_true(lambda: bool(answered))
        await server.close()
        rest = await reader.read()
        writer.close()
        return ends, rest

    ends, rest = asyncio.run(main())
    assert [end.reason for end in ends] == [EndReason.SERVER_CLOSED]
    assert cancelled == [True] and rest == b""


def test_peer_closing_without_hangup_line_counts_as_one_hangup():
    (script,) = scripts("agi_session_basic.txt")

    async def hotline(session: AGISession) -> None:
        await session.answer()
        await session.wait_for_hangup()
        await session.stream_file("goodbye")

    async def main():
        ends: list[SessionEnd] = []
        hangups: list[AGISession] = []
        server = AGIServer(
            hotline, port=0, on_hangup=hangups.append, on_session_end=lambda s, e: ends.append(e)
        )
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(("\n".join(script.environment) + "\n\n").encode())
            assert await reader.readline() == b"ANSWER\n"
            writer.write(b"200 result=0\n")
            writer.close()
            await until_true(lambda: bool(ends))
        return ends, hangups

    ends, hangups = asyncio.run(main())
    (end,) = ends
    assert len(hangups) == 1
    assert end.reason is EndReason.CALLER_HUNG_UP and end.hangup_received


async def until_true(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


def test_a_command_abandoned_by_a_timeout_does_not_desynchronise_the_session():
    (script,) = scripts("agi_session_basic.txt")
    seen: list[object] = []

    async def hotline(session: AGISession) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(session.wait_for_digit(10000), 0.05)
        seen.append(await session.get_variable("IVR_CHOICE"))

    async def main():
        async with AGIServer(hotline, port=0) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(("\n".join(script.environment) + "\n\n").encode())
            assert await reader.readline() == b"WAIT FOR DIGIT 10000\n"
            await asyncio.sleep(0.3)  # the handler gives up after 0.05 s meanwhile
            writer.write(b"200 result=50\n")
            assert await reader.readline() == b"GET VARIABLE IVR_CHOICE\n"
            writer.write(b"200 result=1 (34)\n")
            assert await reader.read() == b""  # half-closed after the handler returned
            writer.close()

    asyncio.run(main())
    assert seen == ["34"]


def test_a_peer_not_allowed_is_closed_unread_counted_and_logged_once(caplog):
    """Each connection from 127.0.0.2 (not allowed) is reset before a byte is read and never
    reaches the handler; the refusal is counted each time but logged once for that address."""
    (script,) = scripts("agi_session_basic.txt")
    handled: list[str] = []

    async def hotline(session: AGISession) -> None:
        handled.append(session.env.channel)

    async def refused_connection(port: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
        try:
            writer.write(b"agi_channel: PJSIP/trunk-00000001\n\n")
            return await reader.read()
        except ConnectionError:
            return b""
        finally:
            writer.close()

    async def main():
        async with AGIServer(hotline, port=0, allow=lambda peer: peer[0] == "127.0.0.1") as server:
            replies = [await refused_connection(server.port) for _ in range(3)]
            await replay_agi_call(server.port, AGIScript(script.environment, (), (), False))
            while not handled:
                await asyncio.sleep(0.01)
            return server.refused, replies

    with caplog.at_level(logging.WARNING, logger="callcenter.asterisk.agi"):
        refused, replies = asyncio.run(main())
    assert refused == 3 and replies == [b""] * 3 and len(handled) == 1
    assert [r.message for r in caplog.records if "refused" in r.message] == [
        "FastAGI connection from 127.0.0.2 refused: not an allowed Asterisk host"]
