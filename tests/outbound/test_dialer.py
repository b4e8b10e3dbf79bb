"""The campaign engine on a virtual clock: calling hours, attempts and spacing, do-not-call,
once per number per period, the number dialled and the caller ID shown."""

from __future__ import annotations

import pytest

from outbound.dialer import Dialer
from outbound.hours import CallingHours
from outbound.model import Answers, CallOutcome, Dial, Kind, KindRules, Mode, Rules, TaskEnded
from outbound.numbers import NumberRefused, national
from outbound.task import State
from tests.outbound.helpers import clock_of, local


def _dialer(**kinds: KindRules) -> Dialer:
    rules = Rules()
    merged = {**rules.kinds, **{Kind(k): v for k, v in kinds.items()}}
    return Dialer(Rules(kinds=merged))


def _dials(commands: list) -> list[Dial]:
    return [c for c in commands if isinstance(c, Dial)]


def test_a_visit_dials_the_cases_number_showing_the_lines_number() -> None:
    dialer = _dialer()
    task = dialer.add_visit("C1", "+8613800138000", "12345", local(10), not_before=local(10)).task
    assert task is not None
    [dial] = dialer.on_timer(local(10))
    assert dial == Dial(task.task_id, "13800138000", "12345", Kind.RETURN_VISIT, Mode.SURVEY, 1, "C1", "zh")


@pytest.mark.parametrize("number", [
    "sip:13800138000@evil.example", "13800138000@10.0.0.1", "0013800138000", "1380013800", "110",
    "138 0013 8000", "", "13800138000;user=phone"])
def test_anything_but_a_phone_number_is_refused(number: str) -> None:
    admission = _dialer().add_visit("C1", number, "12345", local(10), not_before=local(10))
    assert admission.task is None and "not a mainland phone number" in admission.reason
    with pytest.raises(NumberRefused):
        national(number)


def test_calls_wait_for_calling_hours_and_nothing_is_dialled_at_night() -> None:
    dialer = _dialer()
    dialer.add_visit("C1", "13800138000", "12345", local(22), not_before=local(22))
    assert dialer.on_timer(local(22)) == []
    assert clock_of(dialer.next_deadline()) == "08:00"
    assert dialer.on_timer(local(7, 59, day=1)) == []
    [dial] = dialer.on_timer(local(8, 0, day=1))
    assert dial.attempt == 1


def test_hours_close_at_the_end_of_the_opening() -> None:
    hours = CallingHours("08:00", "21:00")
    assert hours.is_open(local(20, 59)) and not hours.is_open(local(21))
    assert hours.next_open(local(21)) == local(8, day=1)
    assert hours.next_open(local(3)) == local(8)
    assert hours.last_chance(local(20)) == local(20)
    assert hours.last_chance(local(23)) == local(21) == hours.last_chance(local(7, day=1))
    with pytest.raises(ValueError, match="end: 07:00 must be after start"):
        CallingHours("08:00", "07:00")


def test_busy_and_no_answer_are_retried_with_their_spacing_then_given_up() -> None:
    dialer = _dialer(return_visit=KindRules(max_attempts=3, spacing={
        CallOutcome.BUSY: 600.0, CallOutcome.NO_ANSWER: 3600.0}))
    task = dialer.add_visit("C1", "13800138000", "12345", local(9), not_before=local(9)).task
    dialer.on_timer(local(9))
    assert dialer.ended(task.task_id, CallOutcome.BUSY, local(9, 1)) == []
    assert dialer.next_deadline() == local(9, 11)
    assert dialer.on_timer(local(9, 10)) == []
    assert _dials(dialer.on_timer(local(9, 11)))[0].attempt == 2
    assert dialer.ended(task.task_id, CallOutcome.NO_ANSWER, local(9, 12)) == []
    assert dialer.next_deadline() == local(10, 12)
    assert _dials(dialer.on_timer(local(10, 12)))[0].attempt == 3
    [ended] = dialer.ended(task.task_id, CallOutcome.NO_ANSWER, local(10, 13))
    assert ended == TaskEnded(task.task_id, Kind.RETURN_VISIT, "13800138000", False, 3,
                              "not reached after 3 attempts (no_answer)", "C1")
    assert task.state is State.EXHAUSTED and dialer.next_deadline() is None


def test_answered_but_silent_is_not_reached_and_retried() -> None:
    dialer = _dialer()
    task = dialer.add_visit("C1", "13800138000", "12345", local(9), not_before=local(9)).task
    dialer.on_timer(local(9))
    dialer.answered(task.task_id, local(9, 1))
    assert dialer.ended(task.task_id, CallOutcome.SILENT, local(9, 2)) == []
    assert task.state is State.SCHEDULED and task.due_at == local(10, 2)


def test_a_retry_that_would_fall_at_night_waits_for_the_morning() -> None:
    dialer = _dialer()
    task = dialer.add_visit("C1", "13800138000", "12345", local(20, 30), not_before=local(20, 30)).task
    dialer.on_timer(local(20, 30))
    dialer.ended(task.task_id, CallOutcome.NO_ANSWER, local(20, 31))
    assert task.due_at == local(8, day=1)


def test_a_reached_survey_ends_with_its_answers() -> None:
    dialer = _dialer()
    task = dialer.add_visit("C1", "13800138000", "12345", local(9), not_before=local(9)).task
    dialer.on_timer(local(9))
    dialer.answered(task.task_id, local(9, 1))
    answers = Answers(solved=False, satisfied=False, score=2)
    [ended] = dialer.ended(task.task_id, CallOutcome.ANSWERED, local(9, 2), answers)
    assert ended.reached and ended.answers == answers and ended.case_id == "C1"


def test_an_invalid_number_is_never_dialled_again() -> None:
    dialer = _dialer()
    task = dialer.add_visit("C1", "13800138000", "12345", local(9), not_before=local(9)).task
    dialer.on_timer(local(9))
    [ended] = dialer.ended(task.task_id, CallOutcome.INVALID, local(9, 1))
    assert ended.reason == "invalid number" and dialer.next_deadline() is None


def test_do_not_call_refuses_new_work_and_withdraws_waiting_work() -> None:
    dialer = Dialer(Rules(do_not_call=frozenset({"13900139000"})))
    assert dialer.add_visit("C1", "+8613900139000", "12345", local(9), not_before=local(9)).reason == (
        "do-not-call")
    task = dialer.add_visit("C2", "13800138000", "12345", local(9), not_before=local(12)).task
    [ended] = dialer.block("8613800138000", local(10))
    assert ended.reason == "do-not-call" and task.state is State.CANCELLED
    assert dialer.on_timer(local(12)) == []


def test_survey_calls_respect_the_concurrency_of_their_kind() -> None:
    dialer = _dialer(return_visit=KindRules(max_concurrent=2))
    tasks = [dialer.add_visit(f"C{i}", f"1380013800{i}", "12345", local(9), not_before=local(9)).task
             for i in range(3)]
    assert len(dialer.on_timer(local(9))) == 2
    assert dialer.next_deadline() is None  # the third waits for a slot, not for the clock
    dialer.answered(tasks[0].task_id, local(9, 1))
    dialer.ended(tasks[0].task_id, CallOutcome.ANSWERED, local(9, 2), Answers(True, True))
    assert [d.case_id for d in dialer.on_timer(local(9, 2))] == ["C2"]


def test_a_visit_past_its_deadline_expires_undialled() -> None:
    dialer = _dialer()
    task = dialer.add_visit("C1", "13800138000", "12345", local(20, 50), not_before=local(22),
                            due=local(23)).task
    [ended] = dialer.on_timer(local(22))
    assert ended.reason == "expired" and task.state is State.EXPIRED and task.attempts == 0


def test_a_missed_call_is_called_back_once_per_number_per_period() -> None:
    dialer = Dialer(Rules())
    first = dialer.add_missed("call-1", "13800138000", "12345", local(10))
    assert first.task is not None and first.task.call_id == "call-1"
    assert dialer.add_missed("call-2", "13800138000", "12345", local(10, 5)).reason == (
        "a callback to this number is already pending")
    [dial] = dialer.on_timer(local(10))
    dialer.ended(dial.task_id, CallOutcome.ANSWERED, local(10, 3))
    assert dialer.add_missed("call-3", "+8613800138000", "12345", local(15)).reason == (
        "this number was already called back in the period")
    assert dialer.add_missed("call-4", "13800138000", "12345", local(10, 1, day=1)).task is not None


def test_a_missed_call_at_night_expires_without_a_dial() -> None:
    dialer = Dialer(Rules())
    task = dialer.add_missed("call-1", "13800138000", "12345", local(22, 30)).task
    assert dialer.next_deadline() <= local(22, 30)  # due now: it can no longer be dialled
    [ended] = dialer.on_timer(local(22, 30))
    assert ended.reason == "expired" and task.attempts == 0
    assert dialer.next_deadline() is None


def test_a_caller_who_got_through_is_not_called_back() -> None:
    dialer = Dialer(Rules())
    task = dialer.add_missed("call-1", "13800138000", "12345", local(22)).task
    [ended] = dialer.inbound_answered("+8613800138000", local(22, 10))
    assert ended.reason == "the caller got through" and task.state is State.CANCELLED


def test_agent_tasks_wait_to_be_taken_and_ring_the_seat_first() -> None:
    dialer = _dialer(return_visit=KindRules(mode=Mode.AGENT, queue="visits"))
    task = dialer.add_visit("C1", "13800138000", "12345", local(9), not_before=local(9, 30)).task
    assert dialer.on_timer(local(9, 30)) == []  # never pushed
    assert dialer.take("visits", local(9)) is None  # not due yet
    assert dialer.take("other", local(9, 30)) is None
    assert dialer.take("visits", local(9, 30)) is task and task.state is State.RESERVED
    dialer.release(task.task_id, local(9, 31))
    assert dialer.take("visits", local(9, 32)) is task
    [dial] = dialer.dial(task.task_id, local(9, 33))
    assert dial.mode is Mode.AGENT and dial.attempt == 1


def test_an_agent_task_is_not_taken_outside_calling_hours() -> None:
    dialer = _dialer(return_visit=KindRules(mode=Mode.AGENT, queue="visits"))
    dialer.add_visit("C1", "13800138000", "12345", local(9), not_before=local(9))
    assert dialer.take("visits", local(21, 30)) is None


def test_an_agent_campaign_needs_its_queue() -> None:
    with pytest.raises(ValueError, match="queue: an agent campaign needs"):
        KindRules(mode=Mode.AGENT)


def test_agent_tasks_nobody_fits_are_passed_over_untouched_and_the_look_is_bounded() -> None:
    dialer = _dialer(return_visit=KindRules(mode=Mode.AGENT, queue="visits"),
                     revisit=KindRules(mode=Mode.AGENT, queue="visits"))
    english = [dialer.add_visit(f"E{i}", f"1390013{i:04d}", "12345", local(9), not_before=local(9),
                                language="en").task for i in range(30)]
    later = dialer.add_visit("Z1", "13700137001", "12345", local(9), not_before=local(9, 5)).task
    first = dialer.add_visit("Z0", "13700137000", "12345", local(9), not_before=local(9, 1)).task
    revisit = dialer.add_visit("R", "13600136000", "12329", local(9), not_before=local(9, 2),
                               kind=Kind.REVISIT).task
    asked: list[str] = []

    def chinese(task) -> bool:
        asked.append(task.task_id)
        return task.language == "zh"

    assert dialer.take("visits", local(10), chinese) is first  # the oldest that fits
    assert dialer.take("visits", local(10), chinese) is revisit  # the next, of another kind and line
    assert dialer.take("visits", local(10), chinese) is later
    assert dialer.take("visits", local(10), chinese) is None
    assert len(asked) <= 3 + 3 + 2 + 1  # once per lane's head, not once per English task
    assert all(t.state is State.SCHEDULED and t.attempts == 0 for t in english)
    assert dialer.take("visits", local(10)) is english[0]  # still due, in their order
    assert dialer.take("visits", local(10), lambda task: True) is english[1]


def test_only_a_dialer_that_tracks_changes_keeps_them_for_its_store() -> None:
    for track in (True, False):
        dialer = Dialer(Rules(), track_changes=track)
        task = dialer.add_missed("call-1", "13800138000", "12345", local(10)).task
        dialer.on_timer(local(10))
        if track:
            assert dialer.changes() == [task] and dialer.changes() == []
        else:
            with pytest.raises(ValueError, match="made without track_changes"):
                dialer.changes()
