"""The same caller scenarios through both telephony adapters give the same records: the
embedded engine over loopback SIP (a real caller and seat), and the FastAGI handler behind
Asterisk through the fake channel (the recorded AGI shapes).

A record is compared as what the records store keeps of it: the line, the outcome, the
queue, the language, the agent and the survey's score (times differ by construction).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from acd.commands import CallFinished, OfferCallback
from acd.events import AgentLoggedIn, CallArrived
from callcenter.records.lifecycle import CallClosed, CallOpened
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from calls.leg import State
from tests.asterisk_engine.conftest import start as start_agi
from tests.asterisk_engine.fake_asterisk import FakeChannel, answering
from tests.asterisk_engine.test_callbacks import recorded_outcome
from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, PASSWORDS, press, register_seat, wait_for
from tests.telephony.test_callbacks import offering_callbacks_after

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


@dataclass(frozen=True)
class Scenario:
    """A caller on 12345 presses ``keys`` (9 then a language; none: Mandarin), then: an agent
    answers and hangs up (``answered``; ``survey``: the caller then scores the call 4), the
    caller hangs up waiting (``queue``) or in the greeting (``ivr``), or accepts the callback
    offer, hangs up and is called back when seat 1001 logs in (``callback``)."""

    name: str
    keys: str
    ends: str  # answered | survey | queue | ivr | callback
    expected: tuple[tuple, ...]


SCENARIOS = [
    Scenario("mandarin caller served by an agent", "", "answered",
             (("opened", "12345"), ("answered", "12345", "zh-general", "zh", "1001", False))),
    Scenario("caller rates the call after the agent hangs up", "", "survey",
             (("opened", "12345"), ("answered", "12345", "zh-general", "zh", "1001", False),
              ("score", 4))),
    Scenario("english caller abandons in the queue", "91", "queue",
             (("opened", "12345"), ("abandoned", "12345", "en-general", "en", None, False))),
    Scenario("caller leaves during the greeting", "", "ivr",
             (("opened", "12345"), ("ivr_abandoned", "12345", None, "zh", None, False))),
    Scenario("caller accepts a callback and is called back", "", "callback",
             (("opened", "12345"), ("answered", "12345", "zh-general", "zh", "1001", True))),
]
NUMBER = "13800138000"  # the caller's own (mobile) number


def config_for(scenario: Scenario):
    """The shipped config; its Mandarin queue offers the callback after a second for ``callback``."""
    return offering_callbacks_after(1.0) if scenario.ends == "callback" else None


def records(commands: list, scores: list[int]) -> tuple[tuple, ...]:
    out: list[tuple] = []
    for command in commands:
        if isinstance(command, CallOpened):
            out.append(("opened", command.line))
        elif isinstance(command, CallClosed):
            out.append((command.outcome, command.line, None, command.language, None, False))
        elif isinstance(command, CallFinished):
            r = command.record
            out.append((r.outcome, r.line, r.queue, r.language, r.agent_id, r.callback))
    return (*out, *(("score", score) for score in scores))


def ended(parts) -> bool:
    return any(isinstance(c, (CallClosed, CallFinished)) for c in parts.commands)


def scoring(parts) -> list[int]:
    """The survey scores the engine stores (through the records writer's method)."""
    scores: list[int] = []
    parts.writer = SimpleNamespace(set_satisfaction=lambda call_id, score, at=None: scores.append(score))
    return scores


def surveying(tel) -> bool:
    """The embedded engine's caller waits for the survey's key."""
    return any(call.state is State.SURVEY and call.run is not None and call.run.playing is None
               for call in tel.control.calls.values())


def offered_callback(parts) -> bool:
    return any(isinstance(c, OfferCallback) for c in parts.commands)


async def over_sip(scenario: Scenario, prompts_dir) -> tuple[tuple, ...]:
    parts = engine_parts(config=config_for(scenario))
    scores = scoring(parts)
    tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir, passwords=PASSWORDS,
                               survey_flow="survey")
    rung: list[Call] = []
    served = scenario.ends in ("answered", "survey")
    seat = await register_seat(tel, "1001", parts, rung) if served else None
    called_back: list[Call] = []
    caller = UserAgent(await open_endpoint(port=0), user=NUMBER, media=True,
                       on_call=called_back.append, auto_answer=True)
    try:
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200
        if scenario.ends == "callback":
            await wait_for(lambda: offered_callback(parts), 20)
            await press(call, "1")
            await asyncio.wait_for(call.ended.wait(), 15)  # confirmed; the engine hangs up
            seat = await register_seat(tel, "1001", parts, rung)
            await wait_for(lambda: rung and called_back, 10)
            await asyncio.wait_for(called_back[0].confirmed.wait(), 5)
            await seat.hangup(rung[0])
        elif scenario.ends == "ivr":
            await caller.hangup(call)
        else:
            if scenario.keys:
                await press(call, scenario.keys)
            if served:
                assert seat is not None
                await wait_for(lambda: rung, 15)
                await asyncio.wait_for(rung[0].confirmed.wait(), 5)
                await seat.hangup(rung[0])
                if scenario.ends == "survey":
                    await wait_for(lambda: surveying(tel), 15)
                    await press(call, "4")
                else:
                    await caller.hangup(call)  # no survey heard out
            else:
                await wait_for(lambda: parts.submitted(CallArrived), 15)
                await caller.hangup(call)
        await wait_for(lambda: ended(parts), 15)
    finally:
        await tel.close()
        await caller.endpoint.close()
        if seat is not None:
            await seat.endpoint.close()
    return records(parts.commands, scores)


async def over_asterisk(scenario: Scenario) -> tuple[tuple, ...]:
    parts = engine_parts(config=config_for(scenario))
    scores = scoring(parts)
    running = await start_agi(parts, on_score=parts.writer.set_satisfaction)
    seats: list[asyncio.Task] = []

    async def originate(channel: str, **options: object):
        """Asterisk rings the seat, which answers (Reason 4, as recorded) and runs our AGI."""
        async def caller_answers(channel: FakeChannel, words: list[str]) -> list[str]:
            channel.variables["DIALSTATUS"] = "ANSWER"  # the caller's phone, called back
            await asyncio.sleep(0.3)  # talk
            return ["200 result=-1"]  # the seat hung up

        seat = FakeChannel(running.port, str(options["data"]).split("/", 3)[3], channel=channel,
                           dial=caller_answers)
        seats.append(asyncio.create_task(seat.run()))
        return recorded_outcome("orig-seat-1001")

    running.flow.callbacks.originate = originate
    running.flow.callbacks.agi_url = f"agi://127.0.0.1:{running.port}"
    if scenario.ends in ("answered", "survey"):
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
    keys = [("STREAM FILE callcenter/welcome_12345", digit) if i == 0 else ("STREAM FILE", digit)
            for i, digit in enumerate(scenario.keys)]
    if scenario.ends == "callback":
        keys = [("STREAM FILE callcenter/all_busy_callback", "1")]
    if scenario.ends == "survey":
        keys = [("STREAM FILE callcenter/survey_question", "4")]
    caller = FakeChannel(running.port, "12345", keys=keys, dial=answering(talk=0.3), callerid=NUMBER,
                         hangup_on="STREAM FILE" if scenario.ends == "ivr" else None)
    task = asyncio.create_task(caller.run())
    if scenario.ends == "queue":
        await wait_for(lambda: parts.submitted(CallArrived), 15)
        caller.hang_up()
    await task
    if scenario.ends == "callback":
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
        await wait_for(lambda: seats, 10)
        await asyncio.gather(*seats)
    await wait_for(lambda: ended(parts), 15)
    await running.server.close()
    return records(parts.commands, scores)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_both_adapters_give_the_same_records(scenario, prompts_dir):
    embedded = asyncio.run(over_sip(scenario, prompts_dir))
    asterisk = asyncio.run(over_asterisk(scenario))
    assert embedded == asterisk == scenario.expected
