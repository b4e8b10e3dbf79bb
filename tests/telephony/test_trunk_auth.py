"""Survey calls through a trunk that challenges (407): the same digest answer as the agent
calls' (see test_agent_tasks), sent once; a wrong password is a failed attempt, not a loop."""

from __future__ import annotations

import asyncio

import pytest

from outbound.task import State
from tests.outbound.helpers import replied_case
from tests.phone.outbound_engine import outbound_engine, run_campaigns
from tests.telephony.helpers import wait_for
from tests.telephony.trunk import CITIZEN, challenging_trunk, free_udp_port

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


def _survey(tmp_path, prompts_dir, password: str, check) -> None:
    port = free_udp_port()
    engine = outbound_engine(tmp_path, port, "00:00-23:59")

    async def scenario(tel, runner) -> None:
        trunk = await challenging_trunk(port, "hotline", password)
        try:
            await asyncio.to_thread(replied_case, engine.casework.service, CITIZEN)
            await wait_for(lambda: runner.dialer.tasks, 10)
            [task] = runner.dialer.tasks.values()
            await check(task, trunk)
        finally:
            await trunk.endpoint.close()

    run_campaigns(engine, prompts_dir, scenario, credentials=("hotline", "trunk-pass"))


def test_a_survey_call_answers_the_trunks_challenge(tmp_path, prompts_dir):
    async def check(task, trunk) -> None:
        await wait_for(lambda: trunk.calls, 10)  # the survey is playing to the citizen
        assert task.state is State.DIALLING and task.attempts == 1  # (a survey's ends with the call)
        first, second = trunk.invites
        assert first.headers.get("proxy-authorization") is None
        assert 'username="hotline"' in second.headers.get("proxy-authorization")
        assert len(trunk.calls) == 1

    _survey(tmp_path, prompts_dir, "trunk-pass", check)


def test_a_survey_call_with_a_wrong_trunk_password_fails_once(tmp_path, prompts_dir):
    async def check(task, trunk) -> None:
        await wait_for(lambda: task.attempts == 1 and task.state is State.SCHEDULED, 10)
        assert task.due_at - task.since == 1800  # the failed spacing
        assert len(trunk.invites) == 2 and not trunk.calls

    _survey(tmp_path, prompts_dir, "another-pass", check)
