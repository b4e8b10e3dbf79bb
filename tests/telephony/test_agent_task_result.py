"""An agent call's result that is never recorded: once the citizen answered and the call ended,
``result_seconds`` (600 by default) on the driver's clock frees the agent's task as an answered
call without answers (``silent``: not reached, the dialer tries again after its spacing), with
a remark on the case; a supervisor may release it sooner from the board, an agent may not."""

from __future__ import annotations

import asyncio
import time

import pytest

from acd.events import WrapUpDone
from callcenter.api.server import start_api
from callcenter.casework.accounts import User
from callcenter.runtime.agent_campaigns import TaskRefused
from outbound.model import Answers, CallOutcome
from outbound.task import State
from tests.outbound.helpers import replied_case
from tests.phone.outbound_engine import LOCAL, desk_session
from tests.telephony.helpers import wait_for
from tests.telephony.trunk import agent_call

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]

SEAT = "1002"


async def result_due(engine, seat) -> str:
    """The citizen answered, the agent hung up: the task waits for their result; its id."""
    tasks = engine.agent_tasks
    await wait_for(lambda: (h := tasks.holding(SEAT)) is not None and h.step == "talking", 20)
    [call] = seat.answered
    await seat.hangup(call)
    await wait_for(lambda: tasks.holding(SEAT).step == "result", 10)
    return tasks.holding(SEAT).task.task_id


def remarks(engine, case_id: str) -> list[str]:
    history = engine.casework.service.history(User("boss", "supervisor"), case_id)
    return [e.get("text", "") for e in history if e["type"] == "Remarked"]


def test_a_result_never_recorded_frees_the_task_after_result_seconds(tmp_path, prompts_dir):
    shift = [0.0]

    async def check(engine, runner, trunk, outcomes, seat) -> None:
        tasks = engine.agent_tasks
        task_id = await result_due(engine, seat)
        task = runner.dialer.tasks[task_id]
        assert tasks.result_seconds == 600  # the default
        shift[0] += 590
        tasks.lapse(engine.driver.clock())  # what the gate's tick does: ten seconds left
        assert tasks.holding(SEAT).step == "result" and outcomes == []
        shift[0] += 10  # the next tick frees it
        await wait_for(lambda: tasks.holding(SEAT) is None, 5)
        assert outcomes == [(task_id, CallOutcome.SILENT)]
        assert task.state is State.SCHEDULED and task.attempts == 1
        assert task.due_at - task.since == 3600  # the silent spacing: tried again in an hour
        await wait_for(lambda: remarks(engine, task.case_id), 10)
        [remark] = remarks(engine, task.case_id)
        assert remark.startswith(f"agent call {task_id}: the citizen was on the line, no result from agent")
        with pytest.raises(TaskRefused, match="no result from agent 1002 within 600 s"):
            tasks.record(SEAT, task_id, Answers(solved=True, satisfied=True))  # too late
        for action in (tasks.skip, tasks.call):  # another agent naming the task learns nothing of it
            with pytest.raises(TaskRefused) as other:
                action("1003", task_id)
            assert str(other.value) == f"task {task_id}: not yours"
        with pytest.raises(TaskRefused) as other:
            tasks.record("1003", task_id, Answers(solved=True, satisfied=True))
        assert str(other.value) == f"task {task_id}: not yours"
        # the desk tells the agent until their next task is offered to them
        assert tasks.notice(SEAT)[:2] == (task_id, "timed_out") and tasks.notice("1003") is None
        engine.driver.submit(WrapUpDone(SEAT))
        await asyncio.to_thread(replied_case, engine.casework.service, "13700137055")
        await wait_for(lambda: tasks.holding(SEAT) is not None, 20)
        assert tasks.holding(SEAT).task.task_id != task_id and tasks.notice(SEAT) is None

    agent_call(tmp_path, prompts_dir, check, clock=lambda: time.time() + shift[0])


def test_a_supervisor_releases_the_task_from_the_board_and_an_agent_may_not(tmp_path, prompts_dir):
    async def check(engine, runner, trunk, outcomes, seat) -> None:
        accounts = engine.casework.accounts
        accounts.add_user("boss1", "supervisor", "pass-boss1-release")
        accounts.add_user("agent1", "agent", "pass-agent1-release")
        api = await start_api(engine, host=LOCAL, port=0, token="t" * 32)
        try:
            task_id = await result_due(engine, seat)
            agent, agent_csrf = await asyncio.to_thread(desk_session, api.url, "agent1",
                                                        "pass-agent1-release", SEAT)
            refused = await asyncio.to_thread(agent.post, f"/desk/board/agents/{SEAT}/release-task",
                                              data={"csrf": agent_csrf})
            assert refused.status_code == 403 and engine.agent_tasks.holding(SEAT) is not None
            boss, csrf = await asyncio.to_thread(desk_session, api.url, "boss1", "pass-boss1-release",
                                                 page="/desk/board")
            board = await asyncio.to_thread(boss.get, "/desk/board")
            assert f'id="agent-{SEAT}-release-task"' in board.text
            done = await asyncio.to_thread(boss.post, f"/desk/board/agents/{SEAT}/release-task",
                                           data={"csrf": csrf})
            assert done.status_code == 303, done.text
            assert engine.agent_tasks.holding(SEAT) is None
            assert outcomes == [(task_id, CallOutcome.SILENT)]
            card = await asyncio.to_thread(agent.get, "/desk/seat/task")  # the agent's card tells them
            assert card.json() == {"task": None, "lapsed": {
                "task_id": task_id, "how": "released", "why": "released by supervisor boss1"}}
            read = await asyncio.to_thread(agent.post, "/desk/seat/task/dismiss",
                                           data={"csrf": agent_csrf, "task": task_id})
            assert read.status_code == 303 and engine.agent_tasks.notice(SEAT) is None
            again = await asyncio.to_thread(boss.post, f"/desk/board/agents/{SEAT}/release-task",
                                            data={"csrf": csrf})
            assert again.status_code == 409 and "holds no task waiting for a result" in again.text
            board = await asyncio.to_thread(boss.get, "/desk/board")
            assert "release-task" not in board.text
            await wait_for(lambda: remarks(engine, runner.dialer.tasks[task_id].case_id), 10)
            assert "released by supervisor boss1" in remarks(engine, runner.dialer.tasks[task_id].case_id)[0]
            agent.close()
            boss.close()
        finally:
            await api.close()

    agent_call(tmp_path, prompts_dir, check)
