"""Survey calls of the dialer over Asterisk, through the same campaign runner as the embedded
engine: a case replied by a department is visited by an AMI Originate of the citizen's number
into ``callcenter-visit`` (a real ``AMIClient`` against the fake AMI server, which checks every
header), the answered call runs ``visit/<task id>`` on the fake channel; the citizen presses 2:
the case is re-handled; after the second reply the re-visit comes, 1: the case is closed.
"""

from __future__ import annotations

import asyncio

import pytest

from acd.events import AgentAnswered, AgentHungUp, AgentLoggedIn, CallerHungUp
from callcenter.asterisk import AMIMessage
from callcenter.asterisk.ami_originate import outcome_from_event
from callcenter.asterisk_engine.visits import AsteriskVisits
from callcenter.config import load_config
from callcenter.config.outbound_section import OutboundSection
from callcenter.runtime.app import build_engine
from outbound.model import CallOutcome, Dial, Kind, Mode
from tests.outbound.helpers import visited_twice

from .ami_scripts import ami_script, answered_originate, run_campaigns
from .conftest import engine_parts, start, wait_for
from .fake_asterisk import FakeChannel, answering

pytestmark = pytest.mark.timeout(60)
CITIZEN = "13500135000"


def test_a_dissatisfied_visit_over_asterisk_is_rehandled_and_the_revisit_closes_the_case(tmp_path):
    section = OutboundSection(gateway="127.0.0.1:5070", calling_hours="00:00-23:59")
    engine = build_engine(load_config().model_copy(update={"outbound": section}),
                          db_url=f"sqlite:///{tmp_path / 'cc.db'}")
    citizens: list[FakeChannel] = []
    visits = [("return_visit-1", "1795810600.1"), ("revisit-2", "1795810600.2")]

    async def scenario(engine, handle, runner, ami) -> None:
        async def answer(task_id: str, uniqueid: str, key: str) -> None:
            """Asterisk runs the visit context on the citizen's answered channel."""
            await wait_for(lambda: any(a.get("Variable") == f"CALLCENTER_VISIT={task_id}"
                                       for a in ami.actions), 20)
            citizen = FakeChannel(handle.agi_port, f"visit/{task_id}", uniqueid=uniqueid,
                                  callerid=CITIZEN, keys=[("WAIT FOR DIGIT", key)] * 2)
            citizens.append(citizen)
            await citizen.run()

        await visited_twice(engine.casework.service, runner, CITIZEN,
                            lambda keys: answer(*visits.pop(0), keys[0]))

    script = ami_script(*(block for task_id, uniqueid in visits
                          for block in answered_originate(task_id, uniqueid, CITIZEN)))
    ami = run_campaigns(engine, script, scenario)
    assert ami.mismatches == []
    for citizen in citizens:
        played = [c.split()[2] for c in citizen.commands if c.startswith("STREAM FILE")]
        assert played[0] == "callcenter/visit_intro" and "callcenter/visit_satisfied" in played
        assert citizen.commands[-1] == "HANGUP"


def dial(number: str = CITIZEN) -> Dial:
    return Dial("return_visit-7", number, "12345", Kind.RETURN_VISIT, Mode.SURVEY, 1, "C1")


@pytest.mark.parametrize(("reason", "outcome"), [
    ("5", CallOutcome.BUSY), ("3", CallOutcome.NO_ANSWER), ("0", CallOutcome.FAILED),
    ("8", CallOutcome.FAILED),
])
def test_an_unanswered_survey_call_reports_the_originate_outcome_once(reason, outcome):
    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        results: list[tuple] = []

        async def originate(channel, **options):  # OriginateResponse as Asterisk sends it
            event = AMIMessage.of(("Event", "OriginateResponse"), ("Response", "Failure"),
                                  ("Reason", reason), ("Channel", f"PJSIP/{CITIZEN}@trunk"))
            return outcome_from_event(AMIMessage.of(("Response", "Success")), event)

        visits = AsteriskVisits(running.flow, lambda *r: results.append(r), originate)
        visits.dial(dial(), "return_visit", {})
        await wait_for(lambda: results)
        late = FakeChannel(running.port, "visit/return_visit-7")  # a session after the outcome
        await late.run()
        await running.server.close()
        return results, late

    results, late = asyncio.run(scenario())
    assert results == [("return_visit-7", outcome, None)]
    assert late.commands == ["HANGUP"]


def test_only_a_mainland_number_from_the_case_is_dialled():
    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        visits = AsteriskVisits(running.flow, lambda *r: None, originate=None)  # type: ignore[arg-type]
        for number in ("sip:1@evil", "0013812345678", "138-1234-5678", "13800001"):
            with pytest.raises(ValueError, match="not a number"):
                visits.dial(dial(number), "return_visit", {})
        await running.server.close()

    asyncio.run(scenario())


def test_a_visit_session_never_replaces_a_live_call_nor_runs_a_task_twice():
    """``visit/<task id>`` on a channel whose uniqueid a live caller's call already has (or
    none), for a task already running, or for no task waiting: each is hung up, and neither
    the caller talking to an agent nor the running visit notices."""

    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
        results: list[tuple] = []

        async def originate(channel, **options):  # answered (Reason 4)
            event = AMIMessage.of(("Event", "OriginateResponse"), ("Response", "Success"),
                                  ("Reason", "4"), ("Channel", f"PJSIP/{CITIZEN}@trunk"))
            return outcome_from_event(AMIMessage.of(("Response", "Success")), event)

        seat_hangs_up = asyncio.Event()
        caller = FakeChannel(running.port, "12345", dial=answering(until=seat_hangs_up))
        talking = asyncio.create_task(caller.run())
        calls = running.flow.calls
        await wait_for(lambda: caller.uniqueid in calls and calls[caller.uniqueid].answered_by == "1001")
        wire = calls[caller.uniqueid]
        visits = running.flow.visits = AsteriskVisits(running.flow, lambda *r: results.append(r), originate)
        visits.dial(dial(), "return_visit", {"line": "12345", "case_number": "7"})
        refused = [FakeChannel(running.port, "visit/return_visit-7", uniqueid=caller.uniqueid),
                   FakeChannel(running.port, "visit/return_visit-7")]
        refused[1].uniqueid = ""  # no uniqueid at all
        for channel in refused:
            await channel.run()
        # the caller's call in place, none under no id; the task's own session may still come
        waiting = visits.visits.get("return_visit-7")
        assert calls.get(caller.uniqueid) is wire and "" not in calls
        assert waiting is not None and not waiting.started
        citizen = FakeChannel(running.port, "visit/return_visit-7", uniqueid="1795810600.9",
                              callerid=CITIZEN, max_wait=5.0)  # waits for a key until it hangs up
        visiting = asyncio.create_task(citizen.run())
        await wait_for(lambda: any(c.startswith("WAIT FOR DIGIT") for c in citizen.commands))
        visit = calls["1795810600.9"]
        for path in ("visit/return_visit-7", "visit/return_visit-8"):
            channel = FakeChannel(running.port, path, uniqueid="1795810600.10")
            refused.append(channel)
            await channel.run()
        during = (calls.get(caller.uniqueid) is wire, wire.answered_by, wire.channel,
                  calls.get("1795810600.9") is visit, list(parts.records), list(results))
        seat_hangs_up.set()
        citizen.hang_up()
        await asyncio.gather(talking, visiting)
        await wait_for(lambda: results and parts.records)
        await running.server.close()
        return parts, caller, citizen, refused, during, results

    parts, caller, citizen, refused, during, results = asyncio.run(scenario())
    assert during == (True, "1001", caller.channel, True, [], [])
    assert [channel.commands for channel in refused] == [["HANGUP"]] * 4
    played = [c.split()[2] for c in citizen.commands if c.startswith("STREAM FILE")]
    assert played[0] == "callcenter/visit_intro" and "HANGUP" not in citizen.commands
    assert [task for task, _, _ in results] == ["return_visit-7"]  # reported once, by its own call
    (record,) = parts.records
    assert record.outcome == "answered" and record.agent_id == "1001"
    assert len(parts.submitted(AgentAnswered)) == 1 and len(parts.submitted(AgentHungUp)) == 1
    assert parts.submitted(CallerHungUp) == []
