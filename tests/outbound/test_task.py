"""The outbound task's transition table: legal steps, and illegal ones that change nothing."""

from __future__ import annotations

import pytest

from outbound.model import Kind, Mode
from outbound.task import TABLE, IllegalTransition, State, Task


def _task(state: State = State.SCHEDULED) -> Task:
    return Task("t1", Kind.RETURN_VISIT, Mode.SURVEY, "13800138000", "12345", 0.0, 0.0, None,
                state=state)


def test_a_survey_attempt_counts_when_dialled_and_ends_done() -> None:
    task = _task()
    assert task.apply("dial", 1.0) is State.DIALLING and task.attempts == 1
    assert task.apply("answer", 2.0) is State.CONNECTED
    assert task.apply("complete", 3.0) is State.DONE and task.since == 3.0


def test_an_agent_task_released_spends_no_attempt() -> None:
    task = _task()
    task.apply("reserve", 1.0)
    task.apply("release", 2.0)
    assert task.state is State.SCHEDULED and task.attempts == 0


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", sorted({event for event, _ in TABLE}))
def test_an_illegal_event_raises_and_changes_nothing(event: str, state: State) -> None:
    if (event, state) in TABLE:
        return
    task = _task(state)
    with pytest.raises(IllegalTransition, match=f"{event}.*{state.value}"):
        task.apply(event, 5.0)
    assert (task.state, task.attempts, task.since) == (state, 0, 0.0)


def test_final_states_have_no_way_out() -> None:
    final = {State.DONE, State.EXHAUSTED, State.EXPIRED, State.CANCELLED}
    assert not [key for key in TABLE if key[1] in final]
