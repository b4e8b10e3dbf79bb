"""Missed-call callbacks across restarts, on the pure dialer: what ``changes()`` hands to a
store, ``restore`` takes up again; a number is still called back once per period, a callback
pending at the restart is still dialled, and a call cut by the restart counts as a failed try."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from outbound.dialer import Dialer
from outbound.model import CallOutcome, Dial, Kind, KindRules, Mode, Rules, TaskEnded
from outbound.task import FINAL, State, Task
from tests.outbound.helpers import local

NUMBERS = ["13800138000", "13900139000", "02161234567"]


class Store:
    """What a runner keeps: a copy of each missed-call task as last changed."""

    def __init__(self) -> None:
        self.rows: dict[str, Task] = {}

    def save(self, dialer: Dialer) -> None:
        for task in dialer.changes():
            if task.kind is Kind.MISSED_CALL:
                self.rows[task.task_id] = replace(task)

    def restart(self, rules: Rules, now: float) -> tuple[Dialer, list]:
        dialer = Dialer(rules, track_changes=True)
        commands = [c for task in self.rows.values() for c in dialer.restore(replace(task), now)]
        self.save(dialer)
        return dialer, commands


def test_a_pending_callback_is_dialled_after_the_restart_and_not_made_twice() -> None:
    rules, store = Rules(), Store()
    dialer = Dialer(rules, track_changes=True)
    task = dialer.add_missed("call-1", "+8613800138000", "12345", local(7)).task  # before 08:00
    assert task is not None and dialer.on_timer(local(7)) == []
    store.save(dialer)

    dialer, commands = store.restart(rules, local(7, 30))
    assert commands == []
    assert dialer.add_missed("call-2", "13800138000", "12345", local(7, 30)).reason == \
        "a callback to this number is already pending"
    assert dialer.next_deadline() == local(8)
    [dial] = dialer.on_timer(local(8))
    assert (dial.task_id, dial.number, dial.attempt) == (task.task_id, "13800138000", 1)


def test_a_number_called_back_is_not_called_again_in_the_period_after_a_restart() -> None:
    rules, store = Rules(), Store()
    dialer = Dialer(rules, track_changes=True)
    task = dialer.add_missed("call-1", "13800138000", "12345", local(10)).task
    assert task is not None
    [dial] = dialer.on_timer(local(10))
    dialer.ended(dial.task_id, CallOutcome.ANSWERED, local(10, 1))
    store.save(dialer)

    dialer, _ = store.restart(rules, local(11))
    assert dialer.tasks == {}  # finished: only remembered
    assert dialer.add_missed("call-2", "13800138000", "12345", local(11)).reason == \
        "this number was already called back in the period"
    later = dialer.add_missed("call-3", "13800138000", "12345", local(10, 2, day=1)).task
    assert later is not None and later.task_id != task.task_id


def test_a_call_cut_by_the_restart_is_a_failed_attempt_and_retried_with_its_spacing() -> None:
    rules, store = Rules(), Store()
    dialer = Dialer(rules, track_changes=True)
    dialer.add_missed("call-1", "13800138000", "12345", local(10))
    [dial] = dialer.on_timer(local(10))
    store.save(dialer)
    assert store.rows[dial.task_id].state is State.DIALLING

    dialer, commands = store.restart(rules, local(10, 5))
    assert commands == []
    task = dialer.tasks[dial.task_id]
    assert (task.state, task.attempts) == (State.SCHEDULED, 1)
    assert dialer.next_deadline() == local(10, 5) + rules.of(Kind.MISSED_CALL).spacing[CallOutcome.FAILED]
    [again] = dialer.on_timer(local(10, 35))
    assert again.attempt == 2


def test_a_call_cut_on_its_last_attempt_ends_the_task() -> None:
    rules = Rules(kinds={**Rules().kinds, Kind.MISSED_CALL: KindRules(max_attempts=1, window=7200.0)})
    store = Store()
    dialer = Dialer(rules, track_changes=True)
    dialer.add_missed("call-1", "13800138000", "12345", local(10))
    [dial] = dialer.on_timer(local(10))
    store.save(dialer)
    _, [ended] = store.restart(rules, local(10, 5))
    assert isinstance(ended, TaskEnded) and ended.task_id == dial.task_id and not ended.reached


def test_an_agent_callback_reserved_at_the_restart_waits_again_without_spending_an_attempt() -> None:
    kinds = {**Rules().kinds, Kind.MISSED_CALL: KindRules(mode=Mode.AGENT, queue="zh-general", window=7200.0)}
    rules, store = Rules(kinds=kinds), Store()
    dialer = Dialer(rules, track_changes=True)
    task = dialer.add_missed("call-1", "13800138000", "12345", local(10)).task
    assert dialer.take("zh-general", local(10)) is task
    store.save(dialer)
    dialer, _ = store.restart(rules, local(10, 1))
    assert dialer.tasks[task.task_id].state is State.SCHEDULED
    assert dialer.take("zh-general", local(10, 1)).attempts == 0


step = st.tuples(st.sampled_from(["missed", "wait", "end", "restart"]), st.integers(0, len(NUMBERS) - 1),
                 st.floats(0, 4 * 3600), st.sampled_from(list(CallOutcome)))


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=50), st.floats(0, 24 * 3600))
def test_restarts_anywhere_keep_once_per_period_and_unique_tasks(steps: list, start: float) -> None:
    rules, store = Rules(), Store()
    dialer = Dialer(rules, track_changes=True)
    now = local(0) + start
    made: dict[str, float] = {}  # task id -> when made
    in_call: list[str] = []
    for action, index, seconds, outcome in steps:
        commands: list = []
        if action == "missed":
            task = dialer.add_missed(f"c{len(made)}", NUMBERS[index], "12345", now).task
            if task is not None:
                assert task.task_id not in made, "a task id was used again"
                made[task.task_id] = now
                earlier = [at for tid, at in made.items() if tid != task.task_id
                           and dialer.tasks.get(tid, store.rows.get(tid)).number == task.number]
                assert all(now - at >= rules.missed_call_period for at in earlier)
        elif action == "wait":
            now += seconds
            commands = dialer.on_timer(now)
        elif action == "end" and in_call:
            commands = dialer.ended(in_call.pop(0), outcome, now)
        elif action == "restart":
            dialer, commands = store.restart(rules, now)
            in_call.clear()
        in_call += [c.task_id for c in commands if isinstance(c, Dial)]
        store.save(dialer)
    assert all(task.state in FINAL or task.task_id in dialer.tasks for task in store.rows.values())
