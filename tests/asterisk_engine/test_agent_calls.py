"""Agents' outbound calls over Asterisk, through the same campaign runner and blending gate as
the embedded engine: a replied case's return visit (progressive or preview) is offered, not
while AMI is down, to the ready agent 1001; their seat rings by AMI Originate (a real
``AMIClient`` against the fake AMI server, which checks every header) into
``callback/<call id>``; on that seat channel (a fake AGI channel) the engine dials the case's
number through the trunk showing the line's number; the citizen answers (the answered hook),
the agent records "not solved" as the desk does: the case is re-handled. A citizen busy, not
answering or unreachable puts the task back in line, spaced by the dialer's retry rules for
that outcome, the case untouched.

The seat's Originate follows the recorded one (``live/ami_originate_to_seat.txt``, Reason 4);
its AGI path and the citizen's Dial were not run on a real Asterisk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import pytest

from acd.events import AgentLoggedIn
from callcenter.asterisk.transcripts import RECEIVED, SENT, AMIBlock
from callcenter.asterisk_engine.agent_calls import AsteriskAgentCalls
from callcenter.config import load_config
from callcenter.config.outbound_section import OutboundSection
from callcenter.runtime.app import build_engine
from callcenter.telephony.agent_calls import CallIdInUse
from callcenter.telephony.transfer import TransferRefused
from outbound.model import Answers
from outbound.task import State
from tests.outbound.helpers import AGENT, SHANGHAI, replied_case

from .ami_scripts import ami_script, block, run_campaigns
from .conftest import engine_parts, start, wait_for
from .fake_asterisk import FakeChannel

pytestmark = pytest.mark.timeout(60)
CITIZEN = "13700137000"
SEAT = "1001"
TASK = "return_visit-1"
CALL_ID = f"outbound:{TASK}"
TICKS = {"warmup_seconds": 0, "tick_seconds": 0.2}


def free_port() -> int:
    """A loopback port for the FastAGI server: the seat's Originate names it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seat_originate(agi_port: int, *, reached: bool = True) -> list[AMIBlock]:
    """The engine rings the seat for the task (the offer's 120 s of ``agent_calls.offer_seconds``,
    the line's number shown: the desk masks the citizen's), answered (Reason 4, as recorded) or
    not ``reached`` (Failure, Reason 0: an unregistered seat, as recorded)."""
    if not reached:
        return [seat_action(agi_port), queued(),
                block(RECEIVED, "Event: OriginateResponse", "Privilege: call,all", "ActionID: seat",
                      "Response: Failure", f"Channel: PJSIP/{SEAT}", "Application: AGI", "Reason: 0",
                      "Uniqueid: <unknown>", "CallerIDNum: 12345")]
    return [
        seat_action(agi_port),
        queued(),
        block(RECEIVED, "Event: OriginateResponse", "Privilege: call,all", "ActionID: seat",
              "Response: Success", f"Channel: PJSIP/{SEAT}-0000000b", "Application: AGI",
              "Reason: 4", "Uniqueid: 1796360504.11", "CallerIDNum: 12345"),
    ]


def seat_action(agi_port: int) -> AMIBlock:
    return block(SENT, "Action: Originate", "ActionID: seat", f"Channel: PJSIP/{SEAT}", "Application: AGI",
                 f"Data: agi://127.0.0.1:{agi_port}/callback/{CALL_ID}", "Timeout: 120000",
                 'CallerID: "12345" <12345>', "Async: true")


def queued() -> AMIBlock:
    return block(RECEIVED, "Response: Success", "ActionID: seat", "Message: Originate successfully queued")


def run_agent_call(tmp_path, citizen_status: str, mode: str = "progressive"):
    """The case's visit offered to the seat; its ``callback/`` session dials the citizen, whose
    ``DIALSTATUS`` is ``citizen_status`` (``ANSWER``: the answered hook runs, then the agent's
    result; ``SEAT_GONE``: the agent hangs up while the citizen's phone rings). In ``preview``
    mode the seat rings once the agent starts the call (the desk's Call).
    Returns (engine, what was seen, the Dials the seat's channel ran, the AMI server)."""
    section = OutboundSection(gateway="127.0.0.1:5070", calling_hours="00:00-23:59",
                              return_visits={"mode": mode}, agent_calls=TICKS)
    engine = build_engine(load_config().model_copy(update={"outbound": section}),
                          db_url=f"sqlite:///{tmp_path / 'cc.db'}")
    agi_port = free_port()
    dials: list[list[str]] = []
    seen: dict = {}

    async def scenario(engine, handle, runner, ami) -> None:
        service, campaign = engine.casework.service, engine.agent_tasks
        engine.driver.submit(AgentLoggedIn(SEAT, ready=True))
        up = handle.flow.callbacks.connected
        handle.flow.callbacks.connected = lambda: False  # AMI down a while: no task offered
        case_id = seen["case"] = await asyncio.to_thread(replied_case, service, CITIZEN)
        await wait_for(lambda: runner.dialer.tasks.get(TASK) is not None, 10)
        await asyncio.sleep(0.5)  # a few of the gate's ticks
        assert campaign.holding(SEAT) is None and engine.driver.acd.call_state(CALL_ID) is None
        handle.flow.callbacks.connected = up
        if mode == "preview":
            await wait_for(lambda: campaign.holding(SEAT) is not None, 20)
            await asyncio.sleep(0.3)  # a few ticks: the seat must not ring on its own
            assert campaign.holding(SEAT).step == "offered" and len(ami.actions) == 3
            campaign.call(SEAT, TASK)  # the agent presses Call on the task card
        await wait_for(lambda: any(a.get("Channel") == f"PJSIP/{SEAT}" for a in ami.actions), 20)
        assert campaign.holding(SEAT).step == "ringing"

        async def citizen(channel: FakeChannel, words: list[str]) -> list[str]:
            dials.append(words)
            if citizen_status == "ANSWER":  # the citizen answers: the hook runs on their channel
                hook = FakeChannel(handle.agi_port, f"answered/{CALL_ID}", channel="PJSIP/trunk-0000000c")
                await hook.run()
                seen["talking"] = campaign.holding(SEAT).step
                with pytest.raises(TransferRefused, match="outbound task"):  # not the seat's to redirect
                    engine.call_actions.transfer(SEAT, engine.config.departments[0].number)
            if citizen_status == "SEAT_GONE":
                channel.dead = True
                return ["200 result=-1", "HANGUP"]
            channel.variables["DIALSTATUS"] = citizen_status
            return ["200 result=0"]

        seat = seen["seat"] = FakeChannel(handle.agi_port, f"callback/{CALL_ID}", channel=f"PJSIP/{SEAT}",
                                          dial=citizen)
        await seat.run()
        if citizen_status == "ANSWER":
            await wait_for(lambda: campaign.holding(SEAT).step == "result", 10)
            campaign.record(SEAT, TASK, Answers(solved=False, satisfied=False), "仍未到账")
            await wait_for(lambda: service.case(AGENT, case_id).status.value == "handling", 20)
        else:
            await wait_for(lambda: runner.dialer.tasks[TASK].state is State.SCHEDULED, 10)
        await wait_for(lambda: engine.driver.acd.call_state(CALL_ID) is None, 10)
        seen["held"] = dict(campaign.held)
        seen["task"] = runner.dialer.tasks[TASK]
        seen["status"] = service.case(AGENT, case_id).status.value

    ami = run_campaigns(engine, ami_script(*seat_originate(agi_port)), scenario, agi_port=agi_port)
    return engine, seen, dials, ami


@pytest.mark.parametrize("mode", ["progressive", "preview"])
def test_an_agent_call_rings_the_seat_then_dials_the_case_number_and_the_result_rehandles_the_case(tmp_path,
                                                                                                 mode):
    engine, seen, dials, ami = run_agent_call(tmp_path, "ANSWER", mode)
    assert ami.mismatches == []
    (dial,) = dials  # the case's number through the trunk, called from the seat's channel
    assert dial == ["EXEC", "Dial", f"PJSIP/{CITIZEN}@trunk,30,U(callcenter-answered^{CALL_ID})"]
    seat = seen["seat"]
    assert seat.variables["CALLERID(num)"] == "12345"  # the line's number is shown
    assert seen["talking"] == "talking" and seen["held"] == {}
    assert seen["task"].state is State.DONE and seen["task"].attempts == 1
    assert seen["status"] == "handling"  # re-handled on the agent's "not solved"


@pytest.mark.parametrize(("status", "spacing"), [
    ("BUSY", 600.0), ("DONTCALL", 600.0), ("TORTURE", 600.0),  # busy (said no)
    ("NOANSWER", 3600.0), ("CANCEL", 3600.0),  # no answer
    ("CHANUNAVAIL", 1800.0), ("CONGESTION", 1800.0), ("INVALIDARGS", 1800.0), ("", 1800.0),  # failed
    ("SEAT_GONE", 3600.0),  # the agent gave up before the citizen answered: not reached
])
def test_a_citizen_not_reached_puts_the_agent_task_back_in_line_spaced_by_the_outcome(tmp_path, status,
                                                                                       spacing):
    engine, seen, dials, ami = run_agent_call(tmp_path, status)
    assert ami.mismatches == [] and len(dials) == 1
    task = seen["task"]
    assert task.state is State.SCHEDULED and task.attempts == 1  # to be tried again, later
    assert spacing <= task.due_at - task.since <= spacing + 120  # (calling hours close at 23:59)
    assert seen["status"] == "replied" and seen["held"] == {}  # the case is untouched
    assert seen["seat"].commands[-1] == "HANGUP" or status == "SEAT_GONE"


def test_a_seat_that_cannot_be_rung_gives_the_task_back_with_no_attempt_spent(tmp_path):
    section = OutboundSection(gateway="127.0.0.1:5070", calling_hours="00:00-23:59",
                              return_visits={"mode": "progressive"}, agent_calls=TICKS)
    engine = build_engine(load_config().model_copy(update={"outbound": section}),
                          db_url=f"sqlite:///{tmp_path / 'cc.db'}")
    agi_port = free_port()
    seen: dict = {}

    async def scenario(engine, handle, runner, ami) -> None:
        engine.driver.submit(AgentLoggedIn(SEAT, ready=True))
        await asyncio.to_thread(replied_case, engine.casework.service, CITIZEN)
        await wait_for(lambda: engine.driver.acd.seat(SEAT).reason == "declined", 20)
        await wait_for(lambda: engine.driver.acd.call_state(CALL_ID) is None, 10)
        seen["task"], seen["held"] = runner.dialer.tasks[TASK], dict(engine.agent_tasks.held)

    ami = run_campaigns(engine, ami_script(*seat_originate(agi_port, reached=False)), scenario,
                        agi_port=agi_port)
    assert ami.mismatches == []
    task = seen["task"]
    assert (task.state, task.attempts) == (State.SCHEDULED, 0) and seen["held"] == {}


def test_calling_hours_closing_while_the_seat_rang_dial_no_one_and_give_the_task_back(tmp_path):
    section = OutboundSection(gateway="127.0.0.1:5070", calling_hours="00:00-23:59",
                              return_visits={"mode": "progressive"}, agent_calls=TICKS)
    engine = build_engine(load_config().model_copy(update={"outbound": section}),
                          db_url=f"sqlite:///{tmp_path / 'cc.db'}")
    hour = (dt.datetime.now(SHANGHAI).hour + 2) % 24
    closed = section.model_copy(update={"calling_hours": f"{hour:02d}:00-{hour:02d}:30"})  # not now
    agi_port = free_port()
    dials: list[list[str]] = []
    seen: dict = {}

    async def scenario(engine, handle, runner, ami) -> None:
        engine.driver.submit(AgentLoggedIn(SEAT, ready=True))
        await asyncio.to_thread(replied_case, engine.casework.service, CITIZEN)
        await wait_for(lambda: any(a.get("Channel") == f"PJSIP/{SEAT}" for a in ami.actions), 20)
        runner.dialer.rules = closed.rules(engine.config.center.timezone)  # closed while the seat rang

        async def citizen(channel: FakeChannel, words: list[str]) -> list[str]:
            dials.append(words)
            return ["200 result=0"]

        seat = seen["seat"] = FakeChannel(handle.agi_port, f"callback/{CALL_ID}", channel=f"PJSIP/{SEAT}",
                                          dial=citizen)
        await seat.run()
        await wait_for(lambda: engine.driver.acd.call_state(CALL_ID) is None, 10)
        seen["task"], seen["held"] = runner.dialer.tasks[TASK], dict(engine.agent_tasks.held)

    ami = run_campaigns(engine, ami_script(*seat_originate(agi_port)), scenario, agi_port=agi_port)
    assert ami.mismatches == [] and dials == []  # nobody dialled
    assert seen["seat"].commands[-1] == "HANGUP" and seen["held"] == {}
    task = seen["task"]
    assert (task.state, task.attempts) == (State.SCHEDULED, 0)  # back in line, no attempt spent


def test_a_task_is_never_placed_over_a_call_that_goes_by_its_id():
    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        calls = AsteriskAgentCalls(running.flow, lambda task_id: True, lambda task_id, status: None)
        first = calls.place(CALL_ID, TASK, CITIZEN, "12345", "zh", preview=True)
        placed = running.flow.calls[CALL_ID]
        with pytest.raises(CallIdInUse, match="already in use"):
            calls.place(CALL_ID, TASK, "13700137009", "12345", "zh", preview=False)
        assert running.flow.calls[CALL_ID] is placed and placed.call is first  # the first stays
        await running.server.close()

    asyncio.run(scenario())
