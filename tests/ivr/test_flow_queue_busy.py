"""Timelines of the all-agents-busy message with its callback offer."""

from __future__ import annotations

import pytest

from ivr_flows import commands as c
from tests.ivr.driver import Call, only


@pytest.fixture
def call(flows):
    return Call(flows, "queue_busy", language="fr")


def test_accepting_schedules_a_callback_and_hangs_up(call):
    out = call.start(at=100.0)
    assert call.played(out) == [("all_busy_callback", "fr")]
    out = call.press("1", 103.0)
    assert only(out, c.ScheduleCallback) == c.ScheduleCallback("fr", None)
    assert call.played(out) == [("callback_confirmed", "fr")]
    assert call.prompt_done(106.0) == [c.HangUp()]


def test_silence_keeps_the_caller_waiting(call):
    call.start(at=100.0)
    call.prompt_done(105.0)
    out = call.advance(111.0)
    assert call.played(out) == [("please_hold", "fr")]
    assert call.prompt_done(112.0) == [c.ReturnControl()]
    assert call.run.outcome.kind == "returned"


def test_another_key_declines(call):
    call.start(at=100.0)
    out = call.press("2", 101.0)
    assert call.played(out) == [("please_hold", "fr")]
    assert not any(isinstance(x, c.ScheduleCallback) for x in call.log)


def test_barge_in_and_hang_up_during_the_offer(call):
    call.start(at=100.0)
    out = call.press("1", 100.5)
    assert out[0] == c.StopPlaying(1)
    assert call.hang_up(101.0) == []  # during the confirmation
    assert call.run.outcome.kind == "caller_hung_up"
    assert call.advance(200.0) == []
