"""Timelines of the post-call satisfaction survey: a 1-5 score recorded against the call."""

from __future__ import annotations

import pytest

from ivr_flows import commands as c
from tests.ivr.driver import Call, only


@pytest.fixture
def call(flows):
    return Call(flows, "survey", language="en", call_id="call-7")


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_each_score_is_recorded(call, score):
    out = call.start()
    assert call.played(out) == [("survey_question", "en")]
    out = call.press(str(score), 2.0)  # barge-in: no need to hear the whole question
    assert out[0] == c.StopPlaying(1)
    assert c.RecordScore("satisfaction", score) in out
    assert call.played(out) == [("survey_thanks", "en")]
    assert call.run.scores == {"satisfaction": score}
    assert call.prompt_done(4.0) == [c.HangUp()]


@pytest.mark.parametrize("key", ["0", "6", "9", "*", "#"])
def test_out_of_range_key_asks_again_then_records(call, key):
    call.start()
    out = call.press(key, 1.0)
    assert call.played(out) == [("invalid_input", "en"), ("survey_question", "en")]
    assert not any(isinstance(x, c.RecordScore) for x in out)
    out = call.press("4", 2.0)
    assert only(out, c.RecordScore).score == 4


def test_no_answer_twice_hangs_up_without_a_score(call):
    call.start()
    call.prompt_done(5.0)
    out = call.advance(11.0)
    assert call.played(out) == [("no_input", "en"), ("survey_question", "en")]
    call.prompt_done(17.0)
    out = call.advance(23.0)
    assert out == [c.HangUp()]
    assert call.run.scores == {}


def test_hang_up_during_the_question_records_nothing(call):
    call.start()
    call.hang_up(1.0)
    assert call.run.scores == {}
    assert [x for _, x in call.log if isinstance(x, c.RecordScore)] == []
