"""Timelines of line 12345: greeting, Mandarin by default, 9 for the foreign-language menu."""

from __future__ import annotations

import pytest

from ivr_flows import commands as c
from ivr_flows import events as e
from tests.ivr.driver import Call, only

FOREIGN = {"1": "en", "2": "ja", "3": "ko", "4": "fr", "5": "de", "6": "ru"}


@pytest.fixture
def call(flows):
    return Call(flows, "line_12345")


def test_greeting_is_mandarin_then_one_english_phrase(call):
    out = call.start(line="12345")
    play = only(out, c.PlayPrompts)
    assert play.barge_in
    assert call.played(out) == [("welcome_12345", "zh"), ("other_languages", "en")]
    assert only(out, c.CollectDigits).max_digits == 1


def test_no_digit_goes_straight_to_the_mandarin_queue(call):
    call.start()
    assert call.prompt_done(3.0) == []
    assert call.run.next_deadline() == pytest.approx(4.5)
    assert call.advance(4.49) == []
    out = call.advance(4.5)
    enqueue = only(out, c.Enqueue)
    assert (enqueue.queue, enqueue.language) == ("zh-general", "zh")
    assert not any(isinstance(x, c.SetLanguage) for x in out)
    assert call.run.outcome.kind == "enqueued" and call.run.outcome.at == 4.5
    assert call.run.next_deadline() is None


def test_other_key_at_the_greeting_also_means_mandarin(call):
    call.start()
    out = call.press("5", 1.0)
    assert isinstance(out[0], c.StopPlaying)
    assert only(out, c.Enqueue).queue == "zh-general"


@pytest.mark.parametrize(("key", "language"), sorted(FOREIGN.items()))
def test_each_foreign_language_goes_to_its_own_queue(call, key, language):
    call.start()
    out = call.press("9", 1.2)  # barge-in on the greeting
    assert out[0] == c.StopPlaying(1)
    assert call.played(out) == [(f"offer_{x}", x) for x in ("en", "ja", "ko", "fr", "de", "ru")] + [
        ("offer_zh", "zh")
    ]
    call.prompt_done(14.0)
    out = call.press(key, 15.0)
    assert c.SetLanguage(language) in out
    enqueue = only(out, c.Enqueue)
    assert (enqueue.queue, enqueue.language) == (f"{language}-general", language)
    assert call.run.language == language


def test_zero_in_the_language_menu_means_mandarin(call):
    call.start()
    call.press("9", 1.0)
    out = call.press("0", 2.0)
    assert c.StopPlaying(2) in out
    assert only(out, c.Enqueue).queue == "zh-general"


def test_invalid_key_in_the_language_menu_retries_once_then_english(call):
    call.start()
    call.press("9", 1.0)
    out = call.press("8", 2.0)
    assert out[0] == c.StopPlaying(2)
    assert call.played(out)[0] == ("invalid_input", "en")
    assert ("offer_ja", "ja") in call.played(out)
    out = call.press("7", 3.0)
    enqueue = only(out, c.Enqueue)
    assert enqueue.queue == "en-general" and c.SetLanguage("en") in out


def test_silence_in_the_language_menu_replays_it_then_english(call):
    call.start()
    call.press("9", 1.0)
    call.prompt_done(14.0)
    out = call.advance(19.0)
    assert call.played(out)[0] == ("offer_en", "en")  # no lead-in prompt after a timeout
    call.prompt_done(32.0)
    assert call.advance(36.9) == []
    out = call.advance(37.0)
    assert only(out, c.Enqueue).queue == "en-general"


def test_caller_hangs_up_during_the_greeting(call):
    call.start()
    assert call.hang_up(1.0) == []
    assert call.run.outcome.kind == "caller_hung_up"
    assert call.run.next_deadline() is None
    # late events from the adapter change nothing
    assert call.send(e.PromptFinished(1), 2.0) == []
    assert call.press("9", 2.5) == []
    assert call.run.outcome.kind == "caller_hung_up"


def test_late_prompt_finished_after_barge_in_is_ignored(call):
    call.start()
    call.press("9", 1.0)
    assert call.send(e.PromptFinished(1), 1.1) == []
    assert call.run.playing == 2
