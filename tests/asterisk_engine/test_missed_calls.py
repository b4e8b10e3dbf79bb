"""Missed-call callbacks over Asterisk, through the same campaign runner as the embedded engine
(its sink on the ACD's records): a caller (a fake AGI channel on line 12345, caller ID a mobile)
gives up waiting; the engine originates the callback over AMI (a real ``AMIClient`` against the
fake AMI server, which checks every header) to that number, showing the line's number; the
answered channel runs ``visit/<task id>``: the ``missed_callback`` flow offers an agent, the
citizen presses 1 and the agent's seat rings on that channel and answers, as on the embedded
engine. Giving up again within the period brings no second call; outside calling hours the
callback waits, and the next engine (within hours) dials it once. A caller ID that did not come
in on the trunk is not called back.

The clock is pinned to a moment of the test's choosing (Shanghai time).
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from acd.commands import CallFinished, CallRecord
from acd.events import AgentLoggedIn
from callcenter.asterisk_engine import AsteriskHandle
from callcenter.config import load_config
from callcenter.config.outbound_section import MissedCalls, OutboundSection
from callcenter.config.schema import Escalation
from callcenter.records.lifecycle import CallOpened
from callcenter.runtime.app import Engine, build_engine
from callcenter.runtime.campaigns import CampaignRunner
from callcenter.runtime.listeners import ListenerOptions, start_listeners
from outbound.model import Kind
from outbound.task import State
from tests.outbound.helpers import local

from ..asterisk.fakes import FakeAMIServer
from .ami_scripts import ami_script, answered_originate, run_campaigns
from .conftest import wait_for
from .fake_asterisk import FakeChannel, answering

pytestmark = pytest.mark.timeout(60)
CITIZEN = "13900139000"
LINE = "12345"


def missed_engine(tmp_path: Path, now: float, *, overflow_after: float | None = None,
                  **missed_calls: object) -> Engine:
    """An engine over ``tmp_path``'s database (built again on it: a restart), its clock at ``now``,
    calling hours 08:00-21:00; ``overflow_after`` seconds in zh-general turn a caller away to the
    message."""
    section = OutboundSection(gateway="127.0.0.1:5070", missed_calls=MissedCalls(**missed_calls))
    config = load_config()
    if overflow_after is not None:
        overflow = [Escalation(after_seconds=overflow_after, overflow_message="leave_message")]
        config = config.model_copy(update={"queues": [
            q.model_copy(update={"escalation": overflow}) if q.name == "zh-general" else q
            for q in config.queues]})
    engine = build_engine(config.model_copy(update={"outbound": section}),
                          db_url=f"sqlite:///{tmp_path / 'cc.db'}")
    engine.driver.clock = lambda: now
    return engine


async def give_up_waiting(engine: Engine, handle: AsteriskHandle, number: str = CITIZEN,
                          channel: str = "PJSIP/trunk") -> FakeChannel:
    """A caller from ``number`` on the line (on ``channel``) waits in the queue (nobody ready)
    and hangs up."""
    abandoned = engine.acd.stats["zh-general"].abandoned
    caller = FakeChannel(handle.agi_port, LINE, callerid=number, channel=channel)
    task = asyncio.create_task(caller.run())
    await wait_for(lambda: "EXEC StartMusicOnHold default" in caller.commands, 10)
    caller.hang_up()
    await task
    await wait_for(lambda: engine.acd.stats["zh-general"].abandoned == abandoned + 1)
    return caller


def missed(runner: CampaignRunner) -> list:
    return [t for t in runner.dialer.tasks.values() if t.kind is Kind.MISSED_CALL]


def originates(ami: FakeAMIServer) -> list[str]:
    return [a.get("Channel") for a in ami.actions if a.get("Action") == "Originate"]


def test_a_caller_who_gave_up_is_called_back_once_in_the_period_and_reaches_an_agent(tmp_path):
    engine = missed_engine(tmp_path, local(10))
    records: list[CallRecord | CallOpened] = []  # the ACD's, and the opening of each call's record
    engine.driver.add_sink(lambda commands: records.extend(
        c.record if isinstance(c, CallFinished) else c for c in commands
        if isinstance(c, CallFinished | CallOpened)))
    numbers: list[str | None] = []  # the own number of the callback's channel, as the runner sees it
    seat_answers = answering(talk=0.1)

    async def dial(channel: FakeChannel, words: list[str]) -> list[str]:
        numbers.append(runner.own_numbers[0](channel.uniqueid))
        return await seat_answers(channel, words)

    citizen = FakeChannel(0, "visit/missed_call-1", uniqueid="1795810600.1", callerid=CITIZEN,
                          keys=[("WAIT FOR DIGIT", "1")], dial=dial)
    runner: CampaignRunner

    async def scenario(engine, handle, started, ami) -> None:
        nonlocal runner
        runner = started
        await give_up_waiting(engine, handle)
        await wait_for(lambda: originates(ami), 10)
        [task] = missed(runner)
        assert (task.number, task.line, task.attempts) == (CITIZEN, LINE, 1)
        engine.driver.submit(AgentLoggedIn("1001", ready=True))
        citizen.port = handle.agi_port  # Asterisk runs the callback's context once answered
        await citizen.run()
        await wait_for(lambda: task.state is State.DONE, 10)
        assert runner.ended[-1].task_id == task.task_id and runner.ended[-1].reached

        await give_up_waiting(engine, handle)  # again, within the period: no second call
        assert missed(runner) == [task]

    script = ami_script(*answered_originate("missed_call-1", "1795810600.1", CITIZEN))
    ami = run_campaigns(engine, script, scenario)
    assert ami.mismatches == []
    assert originates(ami) == [f"PJSIP/{CITIZEN}@trunk"]
    played = [c.split()[2] for c in citizen.commands if c.startswith("STREAM FILE")]
    assert played[0] == "callcenter/visit_intro" and "callcenter/missed_offer" in played
    assert any(c.startswith("EXEC Dial PJSIP/1001,") for c in citizen.commands)  # the agent rang
    assert numbers == [None]  # the engine's own call is never a missed call to call back
    # The callback is a call on the line in the records, answered by the agent, between the
    # two abandons.
    assert [(type(r).__name__, r.line, getattr(r, "outcome", None)) for r in records] == [
        ("CallOpened", LINE, None), ("CallRecord", LINE, "abandoned"),
        ("CallOpened", LINE, None), ("CallRecord", LINE, "answered"),
        ("CallOpened", LINE, None), ("CallRecord", LINE, "abandoned")]
    assert [str(r.call_id) for r in records[2:4]] == ["1795810600.1"] * 2
    assert records[3].agent_id == "1001"


def test_a_caller_overflowed_to_the_message_is_called_back(tmp_path):
    engine = missed_engine(tmp_path, local(10), overflow_after=0.5)
    offset = local(10) - time.time()
    engine.driver.clock = lambda: time.time() + offset  # running, from 10:00
    outcomes: list[str] = []
    engine.driver.add_sink(lambda commands: outcomes.extend(
        c.record.outcome for c in commands if isinstance(c, CallFinished)))

    async def scenario(engine, handle, runner, ami) -> None:
        caller = FakeChannel(handle.agi_port, LINE, callerid=CITIZEN)
        await caller.run()  # waits, hears the message, is hung up
        assert "STREAM FILE callcenter/leave_message" in " ".join(caller.commands)
        await wait_for(lambda: originates(ami), 10)
        [task] = missed(runner)
        assert (task.number, task.line, task.call_id) == (CITIZEN, LINE, caller.uniqueid)

    ami = run_campaigns(engine, ami_script(*answered_originate("missed_call-1", "1795810600.1", CITIZEN)),
                        scenario)
    assert ami.mismatches == [] and outcomes == ["overflowed"]


def test_a_caller_with_no_number_of_their_own_is_not_called_back(tmp_path):
    engine = missed_engine(tmp_path, local(10))

    async def scenario(engine, handle, runner, ami) -> None:
        for callerid in ("anonymous", "sip:13900139000@evil.example", "110", "+1 202 555 0100"):
            await give_up_waiting(engine, handle, callerid)
        assert missed(runner) == []

    ami = run_campaigns(engine, ami_script(), scenario)
    assert ami.mismatches == [] and originates(ami) == []


def test_a_caller_id_that_did_not_come_in_on_the_trunk_is_not_called_back(tmp_path):
    engine = missed_engine(tmp_path, local(10))

    async def scenario(engine, handle, runner, ami) -> None:
        await give_up_waiting(engine, handle, channel="PJSIP/1001")  # a seat's endpoint, say
        assert missed(runner) == []
        await give_up_waiting(engine, handle)  # the same number on the trunk
        await wait_for(lambda: originates(ami), 10)
        [task] = missed(runner)
        assert task.number == CITIZEN

    script = ami_script(*answered_originate("missed_call-1", "1795810600.9", CITIZEN))
    ami = run_campaigns(engine, script, scenario)
    assert originates(ami) == [f"PJSIP/{CITIZEN}@trunk"]


def test_a_caller_who_gets_through_later_is_not_called_back(tmp_path):
    engine = missed_engine(tmp_path, local(22), within_minutes=1440)

    async def scenario(engine, handle, runner, ami) -> None:
        await give_up_waiting(engine, handle)  # at night: the callback waits for the morning
        [task] = missed(runner)
        engine.driver.submit(AgentLoggedIn("1001", ready=True))
        caller = FakeChannel(handle.agi_port, LINE, callerid=CITIZEN, dial=answering(talk=0.1))
        await caller.run()  # calls again and reaches the agent
        assert engine.acd.stats["zh-general"].answered == 1
        assert task.state is State.CANCELLED and runner.ended[-1].reason == "the caller got through"

    ami = run_campaigns(engine, ami_script(), scenario)
    assert ami.mismatches == [] and originates(ami) == []


def test_outside_calling_hours_the_callback_waits_and_the_next_engine_dials_it_once(tmp_path):
    night = missed_engine(tmp_path, local(22), within_minutes=1440)

    async def waits(engine, handle, runner, ami) -> None:
        await give_up_waiting(engine, handle)
        [task] = missed(runner)
        assert task.attempts == 0 and task.state is State.SCHEDULED
        assert runner.dialer.next_deadline() == local(8, day=1)  # the opening

    ami = run_campaigns(night, ami_script(), waits)
    assert ami.mismatches == [] and originates(ami) == []

    morning = missed_engine(tmp_path, local(8, 30, day=1), within_minutes=1440)
    citizen = FakeChannel(0, "visit/missed_call-1", uniqueid="1795810700.1", callerid=CITIZEN,
                          keys=[("WAIT FOR DIGIT", "2"), ("WAIT FOR DIGIT", "2")])

    async def dials(engine, handle, runner, ami) -> None:
        await wait_for(lambda: originates(ami), 10)
        [task] = missed(runner)
        assert (task.number, task.attempts) == (CITIZEN, 1)
        citizen.port = handle.agi_port
        await citizen.run()  # no agent wanted: the offer runs out, goodbye
        await wait_for(lambda: task.state is State.DONE, 10)

    script = ami_script(*answered_originate("missed_call-1", "1795810700.1", CITIZEN))
    ami = run_campaigns(morning, script, dials)
    assert ami.mismatches == [] and originates(ami) == [f"PJSIP/{CITIZEN}@trunk"]
    assert [c.split()[2] for c in citizen.commands if c.startswith("STREAM FILE")][-1] \
        == "callcenter/visit_thanks"


def test_a_callback_answered_and_hung_up_at_once_is_not_reached_and_tried_again_later(tmp_path):
    engine = missed_engine(tmp_path, local(10))
    citizen = FakeChannel(0, "visit/missed_call-1", uniqueid="1795810600.1", callerid=CITIZEN,
                          hangup_on="STREAM FILE callcenter/visit_intro")

    async def scenario(engine, handle, runner, ami) -> None:
        await give_up_waiting(engine, handle)
        await wait_for(lambda: originates(ami), 10)
        [task] = missed(runner)
        citizen.port = handle.agi_port
        await citizen.run()
        await wait_for(lambda: task.state is State.SCHEDULED, 10)  # silent: not reached
        assert task.attempts == 1 and runner.ended == []
        assert runner.dialer.next_deadline() == local(11)  # the spacing after silence, 60 minutes

    script = ami_script(*answered_originate("missed_call-1", "1795810600.1", CITIZEN))
    ami = run_campaigns(engine, script, scenario)
    assert ami.mismatches == [] and originates(ami) == [f"PJSIP/{CITIZEN}@trunk"]


def test_beside_the_embedded_engine_asterisk_callers_are_called_back_through_its_trunk(tmp_path, prompts_dir):
    """``serve`` with SIP and FastAGI both on: the dialer is the embedded engine's; a caller who
    came in over Asterisk and gave up is called back by an INVITE to the trunk."""
    trunk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    trunk.bind(("127.0.0.1", 0))
    trunk.setblocking(False)
    section = OutboundSection(gateway=f"127.0.0.1:{trunk.getsockname()[1]}", calling_hours="00:00-23:59")
    engine = build_engine(load_config().model_copy(update={"outbound": section}),
                          db_url=f"sqlite:///{tmp_path / 'cc.db'}")
    options = ListenerOptions(sip=("127.0.0.1", 0), agi=("127.0.0.1", 0), api=None,
                              prompts_dir=prompts_dir, qualify_interval=None)

    async def main() -> bytes:
        closers = await start_listeners(engine, options)
        try:
            handle = next(c.__self__ for c in closers
                          if isinstance(getattr(c, "__self__", None), AsteriskHandle))
            await give_up_waiting(engine, handle)
            return await asyncio.wait_for(asyncio.get_running_loop().sock_recv(trunk, 65535), 10)
        finally:
            for close in closers:
                await close()

    try:
        invite = asyncio.run(main()).decode()
    finally:
        engine.close()
        trunk.close()
    request_line, headers = invite.split("\r\n", 1)
    assert request_line.startswith(f"INVITE sip:{CITIZEN}@127.0.0.1:")
    assert f"<sip:{LINE}@" in next(h for h in headers.split("\r\n") if h.lower().startswith(("from:", "f:")))
