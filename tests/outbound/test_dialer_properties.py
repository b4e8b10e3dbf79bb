"""Properties of the campaign engine over random days on a virtual clock: nothing is dialled
outside calling hours, no task exceeds its attempts, every task ends exactly once, a number
is called back at most once per period, and the timer never leaves its own deadline due."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from outbound.dialer import Dialer
from outbound.model import Answers, CallOutcome, Dial, Kind, KindRules, Mode, Rules, TaskEnded
from outbound.task import FINAL, State
from tests.outbound.helpers import local

NUMBERS = ["13800138000", "13900139000", "+8613700137000", "02161234567"]
OUTCOMES = list(CallOutcome)

step = st.tuples(
    st.sampled_from(["visit", "missed", "wait", "end", "block"]),
    st.integers(0, len(NUMBERS) - 1),
    st.floats(0, 6 * 3600),  # seconds to move the clock on
    st.sampled_from(OUTCOMES),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=60), st.floats(0, 24 * 3600))
def test_a_random_day_keeps_the_rules(steps: list, start: float) -> None:
    rules = Rules()
    dialer = Dialer(rules)
    now = local(0) + start
    dials: list[tuple[float, Dial]] = []
    ended: dict[str, int] = {}
    in_call: list[str] = []
    missed_made: list[tuple[float, str]] = []

    def run(commands: list) -> None:
        for command in commands:
            if isinstance(command, Dial):
                dials.append((now, command))
                in_call.append(command.task_id)
            else:
                assert isinstance(command, TaskEnded)
                ended[command.task_id] = ended.get(command.task_id, 0) + 1

    for index, (action, n, wait, outcome) in enumerate(steps):
        number = NUMBERS[n]
        if action == "visit":
            dialer.add_visit(f"C{index}", number, "12345", now, not_before=now + wait)
        elif action == "missed":
            task = dialer.add_missed(f"call-{index}", number, "12345", now).task
            if task is not None:
                missed_made.append((now, task.number))
        elif action == "wait":
            deadline = dialer.next_deadline()
            now = max(now, deadline) if deadline is not None and deadline < now + wait else now + wait
            run(dialer.on_timer(now))
            after = dialer.next_deadline()
            assert after is None or after > now, "a deadline on_timer leaves due: a busy loop"
        elif action == "end" and in_call:
            answers = Answers(True, True) if outcome is CallOutcome.ANSWERED else None
            run(dialer.ended(in_call.pop(0), outcome, now, answers))
        elif action == "block":
            run(dialer.block(number, now))
    for at, dial in dials:
        assert rules.hours.is_open(at), "dialled outside calling hours"
        assert dial.attempt <= rules.of(dial.kind).max_attempts
        assert dial.caller_id == "12345" and dial.number.isdigit()
    for task in dialer.tasks.values():
        assert ended.get(task.task_id, 0) == (1 if task.state in FINAL else 0)
    for i, (at, number) in enumerate(missed_made):
        for later, other in missed_made[i + 1:]:
            assert other != number or later - at >= rules.missed_call_period
    assert all(d.kind in Kind for _, d in dials)


visit = st.tuples(st.sampled_from(["12345", "12315"]), st.sampled_from(["zh", "en", "ug"]),
                  st.sampled_from([Kind.RETURN_VISIT, Kind.REVISIT]), st.floats(0, 3600))


@settings(max_examples=150, deadline=None)
@given(st.lists(visit, max_size=40), st.sets(st.sampled_from(["zh", "en", "ug"])),
       st.lists(st.sampled_from(["take", "release"]), max_size=30))
def test_take_gives_the_oldest_due_task_that_fits_and_leaves_the_others_as_they_were(
        visits: list, speakers: set, actions: list) -> None:
    agent = KindRules(mode=Mode.AGENT, queue="visits")
    dialer = Dialer(Rules(kinds={Kind.RETURN_VISIT: agent, Kind.REVISIT: agent}))
    start = local(9)
    due = {}  # task id -> when it is due
    for i, (line, language, kind, after) in enumerate(visits):
        task = dialer.add_visit(f"C{i}", f"1380013{i:04d}", line, start, not_before=start + after,
                                language=language, kind=kind).task
        due[task.task_id] = task.due_at
    now, taken = start + 3600, []

    def fits(task) -> bool:
        return task.language in speakers

    for action in actions:
        if action == "release" and taken:
            dialer.release(taken.pop(0).task_id, now)
            continue
        waiting = [t for t in dialer.tasks.values() if t.state is State.SCHEDULED and fits(t)]
        before = {t.task_id: (t.state, t.attempts) for t in dialer.tasks.values()}
        task = dialer.take("visits", now, fits)
        if not waiting:
            assert task is None
        else:
            assert task is not None and fits(task)
            assert due[task.task_id] == min(due[t.task_id] for t in waiting)
            taken.append(task)
        assert all((t.state, t.attempts) == before[t.task_id] for t in dialer.tasks.values() if t is not task)
