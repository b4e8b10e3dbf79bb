"""AGI codec against the recorded FastAGI transcripts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.asterisk import agi_commands as commands
from callcenter.asterisk.agi_protocol import (
    NEED_DATA,
    AGIConnection,
    AGIDeadChannel,
    AGIProtocolError,
    AGIUnknownCommand,
    AGIUsageError,
    CallerHungUp,
    ChannelStatus,
    CommandFailed,
    CommandResult,
    ConnectionClosed,
    EnvironmentReceived,
    HangupReceived,
    State,
    channel_status,
    data_result,
    parse_result,
    stream_result,
    variable_value,
)
from callcenter.asterisk.transcripts import AGIScript, agi_script, wire_bytes

from .fixtures import transcript

SESSION_FILES = ["agi_session_basic.txt", "agi_session_caller_hangup.txt", "agi_session_errors.txt"]


def drain(conn: AGIConnection) -> list[object]:
    events = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
        if isinstance(event, ConnectionClosed):
            break
    return events


def expected_kinds(replies: tuple[str, ...]) -> list[type]:
    """What each received line must turn into, judged from the raw text alone."""
    kinds: list[type] = []
    in_usage = False
    for line in replies:
        if in_usage:
            in_usage = not line.startswith("520 ")
            if not in_usage:
                kinds.append(CommandFailed)
        elif line == "HANGUP":
            kinds.append(HangupReceived)
        elif line.startswith("520-"):
            in_usage = True
        elif line.startswith("200 "):
            kinds.append(CommandResult)
        else:
            kinds.append(CommandFailed)
    return kinds


def replay(script: AGIScript, chunk: int | None = None) -> dict[str, list[object]]:
    """Feed a script through a connection; return the events after each command."""
    conn = AGIConnection()

    def feed(data: bytes) -> list[object]:
        step = chunk or len(data) or 1
        events: list[object] = []
        for start in range(0, max(len(data), 1), step):
            conn.receive_data(data[start : start + step])
            events += drain(conn)
        return events

    env_events = feed(wire_bytes([*script.environment, ""], b"\n"))
    assert [type(e) for e in env_events] == [EnvironmentReceived]
    results: dict[str, list[object]] = {"<env>": env_events}
    for step in script.steps:
        assert conn.send_command(step.command) == step.command.encode() + b"\n"
        events = feed(wire_bytes(step.replies, b"\n"))
        assert [type(e) for e in events] == expected_kinds(step.replies), step.command
        results.setdefault(step.command, []).extend(events)
    conn.receive_data(b"")
    assert drain(conn) == [ConnectionClosed()]
    return results


def sections():
    for name in SESSION_FILES:
        for index, section in enumerate(transcript(name).sections):
            yield pytest.param(section, id=f"{name}#{index}")


@pytest.mark.parametrize("chunk", [None, 1, 7])
def test_every_session_transcript_replays_line_by_line(chunk):
    count = 0
    for name in SESSION_FILES:
        for section in transcript(name).sections:
            replay(agi_script(section), chunk)
            count += 1
    assert count == 5


def test_env_blocks_parse_fields_line_and_args():
    blocks = transcript("agi_env_block.txt").sections
    envs = []
    for section in blocks:
        conn = AGIConnection()
        lines = [line.text for line in section.lines]
        for byte in wire_bytes(lines, b"\n"):
            conn.receive_data(bytes([byte]))
        (event,) = drain(conn)
        env = event.environment
        expected = dict(text.split(": ", 1) if ": " in text else (text[:-1], "") for text in lines)
        expected.pop("", None)
        assert dict(env.variables) == expected
        envs.append(env)
    first, second = envs
    assert first.line == "hotline" and dict(first.params) == {} and first.args == ()
    assert first.get("accountcode") == "" and first.callerid == "5551000"
    assert first.channel == "PJSIP/caller-00000000" and first.dnid == "12345"
    assert second.line == "hotline" and dict(second.params) == {"lang": "en"}
    assert second.args == ("first arg", "second")


def test_request_url_path_is_the_line():
    conn = AGIConnection()
    conn.receive_data(b"agi_network: yes\nagi_request: agi://10.0.0.5:4573/12345?lang=ug\n\n")
    (event,) = drain(conn)
    assert event.environment.line == "12345"
    assert event.environment.params["lang"] == "ug"


def test_basic_session_results_match_readme():
    (section,) = transcript("agi_session_basic.txt").sections
    results = replay(agi_script(section))

    def only(command: str):
        (event,) = [e for e in results[command] if isinstance(e, CommandResult)]
        return event.response

    assert stream_result(only('STREAM FILE hello-world ""')).digit is None
    interrupted = stream_result(only('STREAM FILE vm-intro "0123456789*#"'))
    assert (interrupted.digit, interrupted.endpos) == ("1", 5920)
    assert stream_result(only("WAIT FOR DIGIT 10000")).digit == "2"
    assert data_result(only("GET DATA beep 10000 4")) == data_result(parse_result("200 result=34"))
    assert data_result(only("GET DATA beep 10000 4")).digits == "34"
    timeout = data_result(only("GET DATA beep 2000 2"))
    assert timeout.digits == "" and timeout.timed_out
    assert variable_value(only("GET VARIABLE IVR_CHOICE")) == "34"
    assert variable_value(only('GET FULL VARIABLE "${CALLERID(num)}"')) == "5551000"
    assert variable_value(only("GET VARIABLE NO_SUCH_VARIABLE")) is None
    assert channel_status(only("CHANNEL STATUS")) is ChannelStatus.UP
    hangups = [e for e in results["HANGUP"] if isinstance(e, HangupReceived)]
    assert [h.count for h in hangups] == [1, 2]


def test_error_session_status_codes_have_their_own_exceptions():
    (section,) = transcript("agi_session_errors.txt").sections
    results = replay(agi_script(section))
    (unknown,) = results["FOO BAR"]
    assert isinstance(unknown.error, AGIUnknownCommand) and unknown.error.code == 510
    (usage,) = results["WAIT FOR DIGIT"]
    assert isinstance(usage.error, AGIUsageError) and usage.error.code == 520
    assert usage.error.text.startswith("Invalid command syntax")
    assert any("<replaceable>timeout</replaceable>" in text for text in usage.error.usage)
    (missing,) = results['STREAM FILE no-such-prompt ""']
    assert missing.response.result_int == -1 and missing.response.endpos == 0
    (no_app,) = results["EXEC NoSuchApplication foo"]
    assert no_app.response.result_int == -2
    (db_hit,) = results["DATABASE GET engine test"]
    assert variable_value(db_hit.response) == "42"
    (db_miss,) = results["DATABASE GET engine missing"]
    assert variable_value(db_miss.response) is None


def test_dead_channel_is_511_and_a_hangup():
    first = transcript("agi_session_caller_hangup.txt").sections[0]
    results = replay(agi_script(first))
    (during, hangup) = results['STREAM FILE vm-intro ""']
    assert during.response.result_int == -1 and during.response.endpos == 8160
    assert hangup == HangupReceived(1)
    for command in ('STREAM FILE beep ""', "GET DATA beep 3000 4", "CHANNEL STATUS"):
        (failed,) = results[command]
        assert isinstance(failed.error, AGIDeadChannel)
        assert isinstance(failed.error, CallerHungUp) and failed.error.code == 511
    (still_works,) = results["GET VARIABLE AFTER_HANGUP"]
    assert variable_value(still_works.response) == "yes"


def test_unsolicited_hangup_while_idle():
    second = transcript("agi_session_caller_hangup.txt").sections[1]
    script = agi_script(second)
    conn = AGIConnection()
    conn.receive_data(wire_bytes([*script.environment, ""], b"\n"))
    drain(conn)
    conn.send_command(script.steps[0].command)
    conn.receive_data(wire_bytes(script.steps[0].replies, b"\n"))
    assert [type(e) for e in drain(conn)] == [CommandResult, HangupReceived]
    assert conn.state is State.IDLE and conn.hangup_received


def test_every_sent_command_is_rebuilt_byte_exactly_by_the_formatters():
    checked = 0
    for name in SESSION_FILES:
        for section in transcript(name).sections:
            for step in agi_script(section).steps:
                if step.replies and step.replies[0][:3] in ("510", "520"):
                    continue  # deliberately malformed in the recording
                words = commands.split_command(step.command)
                for size in (3, 2, 1):
                    build = commands.COMMANDS.get(" ".join(words[:size]))
                    if build:
                        assert build(*words[size:]) == step.command
                        checked += 1
                        break
                else:
                    pytest.fail(f"no formatter for {step.command!r}")
    assert checked >= 40


@given(st.text(alphabet=st.characters(blacklist_characters="\r\n\x00", codec="utf-8")))
def test_quoted_arguments_survive_asterisks_parser(text):
    line = commands.verbose(text, 3)
    assert commands.split_command(line) == ["VERBOSE", text, "3"]
    assert commands.split_command(commands.exec_app("Dial", text))[2:] == ([text] if text else [])


def test_arguments_with_line_breaks_are_refused():
    with pytest.raises(ValueError):
        commands.set_variable("X", "a\nHANGUP")
    with pytest.raises(ValueError):
        commands.stream_file("x", "1x")


@pytest.mark.parametrize(
    "wire, reason",
    [
        (b"hello world\n\n", "not an AGI environment line"),
        (b"\n", "empty AGI environment block"),
        (b"agi_network: yes\nagi_request: agi://h/x\n", "before the environment block ended"),
        (b"agi_network: yes", "in the middle of a line"),
        (b"agi_x: " + b"a" * 70_000, "longer than"),
    ],
)
def test_bad_environment_is_a_protocol_error(wire, reason):
    conn = AGIConnection()
    conn.receive_data(wire)
    conn.receive_data(b"")
    with pytest.raises(AGIProtocolError, match=reason):
        drain(conn)
    with pytest.raises(AGIProtocolError):
        conn.next_event()


def test_env_block_size_is_guarded_even_with_short_lines():
    conn = AGIConnection(max_env_bytes=1024)
    conn.receive_data(b"agi_x: 1234567890\n" * 100)
    with pytest.raises(AGIProtocolError, match="environment block larger"):
        drain(conn)


@pytest.mark.parametrize(
    "reply",
    [b"garbage\n", b"200 result\n", b"200 result=1 (x) endpos\n", b"2000 ok\n"],
)
def test_garbage_reply_is_a_protocol_error(reply):
    conn = AGIConnection()
    conn.receive_data(b"agi_network: yes\n\n")
    drain(conn)
    conn.send_command("NOOP")
    conn.receive_data(reply)
    with pytest.raises(AGIProtocolError):
        drain(conn)


def test_reply_without_a_command_is_a_protocol_error():
    conn = AGIConnection()
    conn.receive_data(b"agi_network: yes\n\n200 result=0\n")
    assert isinstance(conn.next_event(), EnvironmentReceived)
    with pytest.raises(AGIProtocolError, match="unsolicited"):
        conn.next_event()


def test_one_command_at_a_time():
    conn = AGIConnection()
    with pytest.raises(Exception, match="environment"):
        conn.send_command("ANSWER")
    conn.receive_data(b"agi_network: yes\n\n")
    drain(conn)
    conn.send_command("ANSWER")
    with pytest.raises(Exception, match="awaiting_result"):
        conn.send_command("NOOP")


def test_unknown_status_code_keeps_its_code():
    conn = AGIConnection()
    conn.receive_data(b"agi_network: yes\n\n")
    drain(conn)
    conn.send_command("NOOP")
    conn.receive_data(b"599 Something new\n")
    (event,) = drain(conn)
    assert event.error.code == 599 and event.error.text == "Something new"


def test_send_command_quotes_separate_arguments():
    conn = AGIConnection()
    conn.receive_data(b"agi_network: yes\n\n")
    drain(conn)
    assert conn.send_command("GET DATA", "beep", 5000, 4) == b"GET DATA beep 5000 4\n"
    conn.receive_data(b"200 result=1\n")
    drain(conn)
    wire = conn.send_command("EXEC", "Dial", "PJSIP/agent1001,20,tT", "")
    assert commands.split_command(wire.decode()[:-1]) == ["EXEC", "Dial", "PJSIP/agent1001,20,tT", ""]
