"""Timelines of line 12315: its own greeting, then the consumer-complaints queue."""

from __future__ import annotations

from ivr_flows import commands as c
from tests.ivr.driver import Call, only


def test_greeting_then_consumer_queue(flows):
    call = Call(flows, "line_12315")
    out = call.start(line="12315")
    assert call.played(out) == [("welcome_12315", "zh")]
    assert not any(isinstance(x, c.CollectDigits) for x in out)
    enqueue = only(call.prompt_done(4.0), c.Enqueue)
    assert (enqueue.queue, enqueue.service) == ("zh-consumer", "consumer")
    assert call.run.outcome.at == 4.0


def test_any_key_skips_the_greeting(flows):
    call = Call(flows, "line_12315")
    call.start()
    out = call.press("3", 1.0)
    assert out[0] == c.StopPlaying(1)
    assert only(out, c.Enqueue).queue == "zh-consumer"


def test_hang_up_during_the_greeting(flows):
    call = Call(flows, "line_12315")
    call.start()
    call.hang_up(0.5)
    assert call.run.outcome.kind == "caller_hung_up"
    assert call.advance(300.0) == []
