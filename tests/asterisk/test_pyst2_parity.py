"""Our AGI formatters say the same words to Asterisk as pyst2 (the vocabulary we follow).

pyst2 installs as a top-level package named ``asterisk``, which this test folder shadows when
pytest puts ``tests/`` on ``sys.path``; so its ``agi`` module is loaded from its file.
"""

from __future__ import annotations

import importlib.util
import io
import signal
from importlib import metadata

import pytest

from callcenter.asterisk import agi_commands as commands
from callcenter.asterisk.agi_responses import digit_from_code, parse_result


def load_pyst2_agi():
    try:
        dist = metadata.distribution("pyst2")
    except metadata.PackageNotFoundError:
        pytest.skip("pyst2 is not installed")
    path = dist.locate_file("asterisk/agi.py")
    spec = importlib.util.spec_from_file_location("pyst2_agi", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pyst2_lines(calls, replies):
    agi_module = load_pyst2_agi()
    stdin = io.StringIO("agi_network: yes\n\n" + "".join(r + "\n" for r in replies))
    stdout = io.StringIO()
    previous = signal.getsignal(signal.SIGHUP)  # pyst2 installs a process-wide handler
    try:
        agi = agi_module.AGI(stdin=stdin, stdout=stdout, stderr=io.StringIO())
        results = [call(agi) for call in calls]
    finally:
        signal.signal(signal.SIGHUP, previous)
    return stdout.getvalue().splitlines(), results, agi_module


CASES = [
    (lambda a: a.answer(), commands.answer(), "200 result=0"),
    (lambda a: a.stream_file("vm-intro", "0123456789*#", 0),
     commands.stream_file("vm-intro", "0123456789*#", 0), "200 result=49 endpos=5920"),
    (lambda a: a.wait_for_digit(10000), commands.wait_for_digit(10000), "200 result=50"),
    (lambda a: a.get_data("beep", 10000, 4), commands.get_data("beep", 10000, 4), "200 result=34"),
    (lambda a: a.set_variable("IVR_CHOICE", "34"), commands.set_variable("IVR_CHOICE", "34"),
     "200 result=1"),
    (lambda a: a.get_variable("IVR_CHOICE"), commands.get_variable("IVR_CHOICE"),
     "200 result=1 (34)"),
    (lambda a: a.get_full_variable("${CALLERID(num)}"),
     commands.get_full_variable("${CALLERID(num)}"), "200 result=1 (5551000)"),
    (lambda a: a.verbose("engine: routing to queue support", 1),
     commands.verbose("engine: routing to queue support", 1), "200 result=1"),
    (lambda a: a.channel_status(), commands.channel_status(), "200 result=6"),
    (lambda a: a.appexec("Queue", "support,c,,,30"), commands.exec_app("Queue", "support,c,,,30"),
     "200 result=0"),
    (lambda a: a.say_digits("123"), commands.say_digits("123"), "200 result=0"),
    (lambda a: a.set_autohangup(0), commands.set_autohangup(0), "200 result=0"),
    (lambda a: a.database_put("engine", "test", 42), commands.database_put("engine", "test", 42),
     "200 result=1"),
    (lambda a: a.database_get("engine", "test"), commands.database_get("engine", "test"),
     "200 result=1 (42)"),
    (lambda a: a.noop(), commands.noop(), "200 result=0"),
    (lambda a: a.hangup(), commands.hangup(), "200 result=1"),
]


def test_same_argument_words_as_pyst2():
    sent, _, _ = pyst2_lines([case[0] for case in CASES], [case[2] for case in CASES])
    assert len(sent) == len(CASES)
    for theirs, (_, ours, _) in zip(sent, CASES, strict=True):
        assert commands.split_command(theirs) == commands.split_command(ours), theirs


def test_same_digits_as_pyst2():
    replies = ["200 result=49 endpos=5920", "200 result=50"]
    calls = [lambda a: a.stream_file("vm-intro", "1"), lambda a: a.wait_for_digit(1000)]
    _, results, _ = pyst2_lines(calls, replies)
    assert results == [digit_from_code(parse_result(r).result_int) for r in replies]


def test_pyst2_cannot_tell_a_missing_prompt_from_a_hangup():
    """Why the server waits briefly for the HANGUP line after ``result=-1`` instead."""
    for reply in ("200 result=-1 endpos=0", "200 result=-1 endpos=8160"):
        with pytest.raises(Exception) as raised:
            pyst2_lines([lambda a: a.stream_file("x")], [reply])
        assert type(raised.value).__name__ == "AGIAppError"
