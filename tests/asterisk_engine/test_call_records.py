"""Over Asterisk too, every call's record opens on arrival and closes where it ends: in the
IVR (self-service, abandoned, transferred) or, once queued, by the ACD."""

from __future__ import annotations

import asyncio

import pytest

from acd.commands import CallFinished
from callcenter.records.lifecycle import CallClosed, CallOpened
from ivr_flows.loader import load_for_config
from ivr_flows.plugins import default_registry

from .conftest import engine_parts, start, wait_for
from .fake_asterisk import FakeChannel
from .test_ivr_paths import TRANSFER_FLOW, flows_with

pytestmark = pytest.mark.timeout(30)

GOODBYE_FLOW = """
flow: line_12345
language: zh
start: bye
nodes:
  bye: {kind: hangup, prompts: [goodbye]}
"""


def lifecycle(line_flow: str | None, tmp_path, **channel) -> list:
    """Run one caller on line 12345 (with ``line_flow``, or the shipped one); the record
    commands published for it."""

    async def scenario():
        parts = engine_parts()
        flows = None
        if line_flow is not None:
            flows = load_for_config(parts.config, default_registry(),
                                    paths=[flows_with(tmp_path, line_flow)])
        running = await start(parts, flows=flows)
        caller = FakeChannel(running.port, "12345", **channel)
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return [c for c in parts.commands if isinstance(c, (CallOpened, CallClosed, CallFinished))]

    return asyncio.run(scenario())


def test_a_call_the_flow_ends_is_self_service(tmp_path):
    opened, closed = lifecycle(GOODBYE_FLOW, tmp_path)
    assert isinstance(opened, CallOpened) and opened.line == "12345"
    assert (closed.call_id, closed.outcome, closed.language) == (opened.call_id, "self_service", "zh")
    assert closed.ended_at >= opened.arrived_at == closed.arrived_at


def test_a_caller_hanging_up_in_the_greeting_is_an_ivr_abandon(tmp_path):
    opened, closed = lifecycle(None, tmp_path, hangup_on="STREAM FILE")
    assert (closed.call_id, closed.outcome) == (opened.call_id, "ivr_abandoned")


def test_an_ivr_transfer_is_recorded_with_its_department(tmp_path):
    keys = [("STREAM FILE callcenter/enter_id", "1")] + [("WAIT FOR DIGIT", d) for d in "3#"]

    async def department_answers(channel, words):
        channel.variables["DIALSTATUS"] = "ANSWER"
        return ["200 result=-1"]

    opened, closed = lifecycle(TRANSFER_FLOW, tmp_path, keys=keys, dial=department_answers)
    assert (closed.outcome, closed.transferred_to) == ("ivr_transferred", "housing-authority")
