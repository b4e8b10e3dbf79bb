"""IVR paths over AGI that do not end with an agent: self-service, transfer, queue escalations."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from acd.events import AgentLoggedIn, CallArrived, CallerHungUp
from callcenter.asterisk_engine.dial_ends import DIAL_ENDS, dial_end
from calls.call import UNAVAILABLE
from calls.commands import DEPARTMENT
from calls.events import DialFailed
from ivr_flows.loader import FLOWS_DIR, load_for_config
from ivr_flows.plugins import default_registry

from .conftest import engine_parts, start, wait_for
from .fake_asterisk import FakeChannel

pytestmark = pytest.mark.timeout(30)
RESIDENT_ID = "420111196606283771"  # in the shipped sample data, balance 234681.64

TRANSFER_FLOW = """
flow: line_12345
language: zh
start: ask
fallback: out
nodes:
  ask:
    kind: collect
    prompts: [enter_id]
    into: typed
    min_length: 1
    max_length: 11
    terminator: "#"
    tries: 1
    wait: 3
    inter_digit: 2
    invalid: out
    timeout: out
    failure: out
    next: out
  out:
    kind: transfer
    prompts: [transferring]
    department: housing-authority
"""

SAY_FLOW = """
flow: line_12345
language: zh
start: vars
fallback: bye
nodes:
  vars: {kind: set, variables: {ref: "305"}, next: zh_read}
  zh_read: {kind: play, prompts: [{say: ref, as: number}], next: en_lang}
  en_lang: {kind: set, language: en, next: en_read}
  en_read: {kind: play, prompts: [{say: ref, as: number}, {say: ref, as: digits}], next: bye}
  bye: {kind: hangup, prompts: [goodbye]}
"""


def flows_with(tmp_path, line_12345: str):
    """The shipped flows with line 12345's flow replaced."""
    flows_dir = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, flows_dir)
    (flows_dir / "line_12345.yaml").write_text(line_12345)
    return flows_dir


def streamed(channel: FakeChannel) -> list[str]:
    return [c.split()[2] for c in channel.commands if c.startswith("STREAM FILE")]


def call_12329(*then: tuple[str, str]):
    """A 12329 caller: 1 for the balance, the resident ID, then the keys ``then``."""
    keys = [("STREAM FILE callcenter/welcome_12329", "1"), ("STREAM FILE callcenter/enter_id", "4")]
    keys += [("WAIT FOR DIGIT", digit) for digit in RESIDENT_ID[1:]]

    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        caller = FakeChannel(running.port, "12329", keys=keys + list(then))
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, caller

    return asyncio.run(scenario())


def test_housing_fund_balance_is_read_out_without_an_agent():
    parts, caller = call_12329(("STREAM FILE callcenter/after_balance", "9"))
    assert caller.keys == []
    played = streamed(caller)
    amount = played[played.index("callcenter/balance_is") + 1:played.index("callcenter/after_balance")]
    assert amount == [f"callcenter/{key}" for key in (  # 二十三万四千六百八十一元六角四分
        "digit_2", "num_x10", "digit_3", "num_x10000", "digit_4", "num_x1000", "digit_6",
        "num_x100", "digit_8", "num_x10", "digit_1", "yuan", "digit_6", "jiao", "digit_4", "fen")]
    assert played[-1] == "callcenter/goodbye" and caller.commands[-1] == "HANGUP"
    assert parts.events == []  # self-service: the ACD never saw the call


def test_hash_after_the_id_plays_the_balance_on_as_in_the_recorded_call():
    """The live capture: '#' 0.6 s after the 18th digit stopped balance_is and hung up."""
    _, caller = call_12329(("STREAM FILE callcenter/balance_is", "#"))
    assert caller.keys == []
    played = streamed(caller)
    assert played.count("callcenter/balance_is") == 2  # stopped by the '#', then played again
    resumed = len(played) - 1 - played[::-1].index("callcenter/balance_is")
    assert played[resumed + 1] == "callcenter/digit_2" and "callcenter/after_balance" in played
    assert played[-1] == "callcenter/goodbye"  # silence in the balance menu: goodbye


def test_transfer_dials_the_configured_department_not_the_typed_number(tmp_path):
    flows_dir = flows_with(tmp_path, TRANSFER_FLOW)
    keys = [("STREAM FILE callcenter/enter_id", "1")] + [("WAIT FOR DIGIT", d) for d in "3800138000#"]

    async def scenario():
        parts = engine_parts()
        flows = load_for_config(parts.config, default_registry(), paths=[flows_dir])
        running = await start(parts, flows=flows)

        async def department_answers(channel, words):
            channel.variables["DIALSTATUS"] = "ANSWER"
            return ["200 result=-1"]  # talked, then the department hung up

        caller = FakeChannel(running.port, "12345", keys=keys, dial=department_answers)
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, caller

    parts, caller = asyncio.run(scenario())
    dials = [c for c in caller.commands if c.startswith("EXEC Dial")]
    # the configured number; the answered hook tells the call the department took it
    assert dials == [f"EXEC Dial PJSIP/053100100001@trunk,60,U(callcenter-answered^{caller.uniqueid})"]
    assert "13800138000" not in " ".join(caller.commands)
    assert caller.variables["CALLCENTER_RESULT"] == "transferred"
    assert parts.events == []


@pytest.mark.parametrize("status", [*sorted(DIAL_ENDS.keys() - {"ANSWER"}), ""])
def test_a_department_not_taking_the_transfer_is_told_as_the_one_table_says(tmp_path, status,
                                                                            dial_failures):
    flows_dir = flows_with(tmp_path, TRANSFER_FLOW)
    keys = [("STREAM FILE callcenter/enter_id", "1"), ("WAIT FOR DIGIT", "#")]

    async def scenario():
        parts = engine_parts()
        flows = load_for_config(parts.config, default_registry(), paths=[flows_dir])
        running = await start(parts, flows=flows)

        async def department_fails(channel, words):
            channel.variables["DIALSTATUS"] = status
            return ["200 result=0"]

        caller = FakeChannel(running.port, "12345", keys=keys, dial=department_fails)
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return caller

    caller = asyncio.run(scenario())
    assert dial_failures == [DialFailed(DEPARTMENT, "housing-authority", dial_end(status).status,
                                        status or "no status")]
    assert streamed(caller)[-1] == f"callcenter/{UNAVAILABLE}" and caller.commands[-1] == "HANGUP"


def test_hold_prompts_while_waiting_then_overflow_to_a_message():
    async def scenario():
        parts = engine_parts()
        zh = parts.config.queue("zh-general")
        escalation = [zh.escalation[0].model_copy(update={
            "after_seconds": 0.6, "min_proficiency": None, "overflow_message": "leave_message"})]
        queues = [q.model_copy(update={"escalation": escalation}) if q.name == "zh-general" else q
                  for q in parts.config.queues]
        parts = engine_parts(config=parts.config.model_copy(update={"queues": queues}))
        running = await start(parts, hold_interval=0.2)
        caller = FakeChannel(running.port, "12345", max_wait=2.0)  # the greeting's full 1.5 s
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, caller

    parts, caller = asyncio.run(scenario())
    assert len(parts.submitted(CallArrived)) == 1 and parts.submitted(CallerHungUp) == []
    played = streamed(caller)
    assert played.count("callcenter/please_hold") >= 2
    assert played[-1] == "callcenter/leave_message" and caller.commands[-1] == "HANGUP"
    (record,) = parts.records
    assert record.outcome == "overflowed"


def test_values_are_said_natively_only_where_asterisk_has_number_sounds(tmp_path):
    async def scenario():
        parts = engine_parts()
        flows = load_for_config(parts.config, default_registry(), paths=[flows_with(tmp_path, SAY_FLOW)])
        running = await start(parts, flows=flows)
        caller = FakeChannel(running.port, "12345")
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return caller

    commands = asyncio.run(scenario()).commands
    zh = commands.index('SET VARIABLE CHANNEL(language) "zh"')
    en = commands.index('SET VARIABLE CHANNEL(language) "en"')
    assert commands[zh + 1:en] == [f'STREAM FILE callcenter/{key} ""'  # 三百零五
                                   for key in ("digit_3", "num_x100", "digit_0", "digit_5")]
    assert commands[en + 1:en + 3] == ['SAY NUMBER 305 ""', 'SAY DIGITS 305 ""']


def test_hold_announces_position_and_estimated_wait():
    async def scenario():
        parts = engine_parts()
        for agent in ("1001", "1002", "1003"):  # logged in but on a break: they serve zh-general
            parts.driver.submit(AgentLoggedIn(agent))
        running = await start(parts, hold_interval=0.2)
        first = FakeChannel(running.port, "12345", uniqueid="1700000000.1", max_wait=2.0)
        second = FakeChannel(running.port, "12345", uniqueid="1700000000.2", max_wait=2.0)
        runs = [asyncio.ensure_future(first.run())]
        await wait_for(lambda: parts.acd.waiting_calls() == 1)
        runs.append(asyncio.ensure_future(second.run()))
        await wait_for(lambda: all("callcenter/estimated_wait" in streamed(channel)
                                   for channel in (first, second)))
        first.hang_up()
        second.hang_up()
        await asyncio.gather(*runs)
        await wait_for(lambda: len(running.ends) == 2)
        await running.server.close()
        return parts, first, second

    parts, first, second = asyncio.run(scenario())
    for channel, ahead in ((first, "0"), (second, "1")):
        played = streamed(channel)
        at = played.index("callcenter/position_in_queue")
        # Mandarin has no Asterisk number sounds: the catalogue's digits say the count.
        assert played[at + 1] == f"callcenter/digit_{ahead}"
        assert played[at + 2] == "callcenter/estimated_wait"
    # Three agents share 330 s per call: the second caller waits about 220 s -> 4 minutes.
    played = streamed(second)
    at = played.index("callcenter/estimated_wait")
    assert played[at + 1] == "callcenter/digit_4"
    assert len([r for r in parts.records if r.outcome == "abandoned"]) == 2
