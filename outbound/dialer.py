"""The campaign engine: one pure object for every kind of outbound work.

Inputs are method calls with ``now`` (an injected clock); outputs are commands (``Dial``,
``TaskEnded``) and ``next_deadline()``. Survey tasks are pushed: ``on_timer`` dials those due,
within calling hours and each kind's concurrency. Agent tasks are pulled: the blending gate
asks ``take`` for the oldest one an idle agent fits when an agent may have it (they wait in
lanes by line and language, so those nobody fits are passed over untouched), and ``dial``
once the agent's seat answered.
Every number is validated (``outbound.numbers``) when a task is made and is the only number
that task ever dials."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

from outbound.model import Answers, CallOutcome, Command, Dial, Kind, Mode, Rules, TaskEnded
from outbound.numbers import NumberRefused, national
from outbound.task import FINAL, State, Task

Lane = tuple[Kind, str, str]  # (kind, line, language): "" for a survey kind's line and language
_NOT_REACHED = (CallOutcome.BUSY, CallOutcome.NO_ANSWER, CallOutcome.FAILED, CallOutcome.SILENT)


@dataclass(frozen=True, slots=True)
class Admission:
    """The task made, or None and why not."""

    task: Task | None
    reason: str = ""


class Dialer:
    """Tasks of every kind, the rules they obey, and what to dial next."""

    def __init__(self, rules: Rules, *, track_changes: bool = False) -> None:
        """``track_changes``: keep the tasks made or changed for ``changes()`` (a runner that
        stores them); without it nothing is kept (the simulator)."""
        self.rules = rules
        self.tasks: dict[str, Task] = {}
        self._last_id = 0  # task ids go on from here (past those restored)
        # (due_at, seq, task id) of scheduled tasks, per lane (``_lane``); and (expires, seq, task id)
        self._heaps: dict[Lane, list[tuple[float, int, str]]] = {
            (kind, "", ""): [] for kind in rules.kinds if rules.of(kind).mode is Mode.SURVEY}
        self._expiry: list[tuple[float, int, str]] = []
        self._seq = count()
        self._active: dict[Kind, int] = {kind: 0 for kind in Kind}  # survey calls in progress
        self._blocked = set(rules.do_not_call)
        self._called_back: dict[str, float] = {}  # number -> when its missed-call task was made
        self._now = float("-inf")
        # tasks changed since ``changes()`` was last asked; None: not tracked
        self._touched: dict[str, Task] | None = {} if track_changes else None

    # ---- making tasks

    def add_visit(self, case_id: str, number: str, line: str, now: float, *, not_before: float,
                  due: float | None = None, language: str = "zh",
                  kind: Kind = Kind.RETURN_VISIT) -> Admission:
        """A return visit (or a re-visit after re-handling) of a case, to the case's number."""
        if kind is Kind.MISSED_CALL:
            raise ValueError("kind: a visit is a return_visit or a revisit")
        return self._admit(kind, number, line, now, max(not_before, now), due, case_id=case_id,
                           language=language)

    def add_missed(self, call_id: str, number: str, line: str, now: float, *,
                   language: str = "zh") -> Admission:
        """A caller who abandoned or was refused at overload: call back within the kind's window,
        at most once per number per ``missed_call_period``."""
        try:
            number = national(number)
        except NumberRefused as exc:
            return Admission(None, str(exc))
        for task in self.tasks.values():
            if task.kind is Kind.MISSED_CALL and task.number == number and task.state not in FINAL:
                return Admission(None, "a callback to this number is already pending")
        last = self._called_back.get(number)
        if last is not None and now - last < self.rules.missed_call_period:
            return Admission(None, "this number was already called back in the period")
        window = self.rules.of(Kind.MISSED_CALL).window
        admission = self._admit(Kind.MISSED_CALL, number, line, now, now,
                                None if window is None else now + window, call_id=call_id,
                                language=language)
        if admission.task is not None:
            self._called_back[number] = now
        return admission

    def _admit(self, kind: Kind, number: str, line: str, now: float, due_at: float,
               expires: float | None, **extra: str) -> Admission:
        self._now = max(self._now, now)
        try:
            number = national(number)
        except NumberRefused as exc:
            return Admission(None, str(exc))
        if not line.isdigit():
            raise ValueError(f"line: {line!r} is not a number to show as the caller ID")
        if number in self._blocked:
            return Admission(None, "do-not-call")
        rules = self.rules.of(kind)
        self._last_id += 1
        task = Task(f"{kind.value}-{self._last_id}", kind, rules.mode, number, line, now, due_at,
                    expires, since=now, **extra)
        self.tasks[task.task_id] = task
        self._touch(task)
        self._schedule(task)
        return Admission(task)

    def _lane(self, task: Task) -> Lane:
        """Where a scheduled task waits: one lane per survey kind (dialled in due order), one
        per agent kind, line and language (what an agent must have to take it)."""
        if task.mode is Mode.AGENT:
            return (task.kind, task.line, task.language)
        return (task.kind, "", "")

    def _schedule(self, task: Task) -> None:
        seq = next(self._seq)
        heapq.heappush(self._heaps.setdefault(self._lane(task), []), (task.due_at, seq, task.task_id))
        if task.expires is not None:
            heapq.heappush(self._expiry, (task.expires, seq, task.task_id))

    def _apply(self, task: Task, event: str, now: float) -> None:
        task.apply(event, now)
        self._touch(task)

    def _touch(self, task: Task) -> None:
        if self._touched is not None:
            self._touched[task.task_id] = task

    def changes(self) -> list[Task]:
        """The tasks made or changed since the last call (for a runner that stores them)."""
        if self._touched is None:
            raise ValueError("changes: this dialer was made without track_changes")
        touched = list(self._touched.values())
        self._touched.clear()
        return touched

    # ---- taking up stored tasks after a restart

    def restore(self, task: Task, now: float) -> list[Command]:
        """Take up ``task`` as a previous run stored it (a missed-call callback: the cases hold
        the visits). A finished one only counts for once-per-number-per-period; one that was
        ringing or talking when the run ended lost its call: that attempt failed, and the
        retry rules decide. Ids of new tasks go on past the restored ones."""
        if task.task_id in self.tasks:
            raise ValueError(f"task {task.task_id}: already known")
        self._now = max(self._now, now)
        suffix = task.task_id.rpartition("-")[2]
        if suffix.isdigit():
            self._last_id = max(self._last_id, int(suffix))
        if task.kind is Kind.MISSED_CALL:
            last = self._called_back.get(task.number)
            self._called_back[task.number] = task.created if last is None else max(last, task.created)
        if task.state in FINAL:
            return []
        self.tasks[task.task_id] = task
        if task.state is State.RESERVED:
            self.release(task.task_id, now)  # the agent's offer went with the run
            return []
        if task.state in (State.DIALLING, State.CONNECTED):
            if task.mode is Mode.SURVEY:
                self._active[task.kind] += 1
            return self.ended(task.task_id, CallOutcome.FAILED, now)
        self._schedule(task)
        return []

    def _head(self, lane: Lane) -> Task | None:
        """The scheduled task of ``lane`` due first (stale heap entries are dropped)."""
        heap = self._heaps[lane]
        while heap:
            due_at, _, task_id = heap[0]
            task = self.tasks[task_id]
            if task.state is State.SCHEDULED and task.due_at == due_at:
                return task
            heapq.heappop(heap)
        return None

    def _full(self, kind: Kind) -> bool:
        return self._active[kind] >= self.rules.of(kind).max_concurrent

    # ---- the clock

    def on_timer(self, now: float) -> list[Command]:
        """Expire what can no longer be dialled; dial the survey tasks due."""
        self._now = max(self._now, now)
        commands: list[Command] = []
        hours = self.rules.hours
        opens = hours.next_open(now)
        while self._expiry and self._expiry[0][0] <= opens:
            _, _, task_id = heapq.heappop(self._expiry)
            task = self.tasks[task_id]
            if task.state is State.SCHEDULED:
                self._apply(task, "expire", now)
                commands.append(self._ended(task, "expired"))
        if opens > now:
            return commands  # nothing is dialled outside calling hours
        for lane, heap in self._heaps.items():
            kind = lane[0]
            if self.rules.of(kind).mode is not Mode.SURVEY:
                continue  # agent tasks wait to be taken
            while not self._full(kind):
                task = self._head(lane)
                if task is None or task.due_at > now:
                    break
                heapq.heappop(heap)
                self._apply(task, "dial", now)
                self._active[kind] += 1
                commands.append(self._dial(task))
        return commands

    def next_deadline(self) -> float | None:
        """When ``on_timer`` next has something to do, or None. A due task waiting for an agent
        or for a survey slot does not make a deadline: ``take`` and ``ended`` free it."""
        hours = self.rules.hours
        points: list[float] = []
        while self._expiry and self.tasks[self._expiry[0][2]].state is not State.SCHEDULED:
            heapq.heappop(self._expiry)
        if self._expiry:
            points.append(hours.last_chance(self._expiry[0][0]))
        for lane in self._heaps:
            kind = lane[0]
            task = self._head(lane)
            if task is None:
                continue
            at = hours.next_open(max(task.due_at, self._now))
            if self.rules.of(kind).mode is Mode.AGENT or self._full(kind):
                if at > self._now:
                    points.append(at)  # tells a runner when agent work becomes due
                continue
            points.append(at)
        return min(points, default=None)

    # ---- agent tasks

    def take(self, queue: str, now: float, fits: Callable[[Task], bool] | None = None) -> Task | None:
        """The oldest due agent task of ``queue`` that ``fits`` (an idle agent could take it),
        reserved for the agent about to be offered it. Tasks that do not fit are passed over
        untouched (still due, in their order). ``fits`` may look only at a task's kind, line and
        language: it is asked once per lane's oldest task, so the work does not grow with the
        tasks passed over. Call ``on_timer`` first: a task past its window is left to expire."""
        if not self.rules.hours.is_open(now):
            return None
        heads: list[tuple[float, int, Task]] = []
        for lane, heap in self._heaps.items():
            rules = self.rules.of(lane[0])
            if rules.mode is not Mode.AGENT or rules.queue != queue:
                continue
            task = self._head(lane)
            if task is not None and task.due_at <= now and (task.expires is None or now <= task.expires):
                heads.append((task.due_at, heap[0][1], task))
        for _, _, task in sorted(heads, key=lambda head: head[:2]):
            if fits is None or fits(task):
                heapq.heappop(self._heaps[self._lane(task)])
                self._apply(task, "reserve", now)
                return task
        return None

    def release(self, task_id: str, now: float) -> None:
        """The agent did not take the task: it waits again, no attempt spent."""
        task = self.tasks[task_id]
        self._apply(task, "release", now)
        self._schedule(task)

    def dial(self, task_id: str, now: float) -> list[Command]:
        """The agent's seat answered: dial the citizen (if calling hours still allow)."""
        task = self.tasks[task_id]
        if not self.rules.hours.is_open(now):
            self.release(task_id, now)
            return []
        self._apply(task, "dial", now)
        return [self._dial(task)]

    # ---- what happened to a call

    def answered(self, task_id: str, now: float) -> None:
        self.tasks[task_id].apply("answer", now)

    def ended(self, task_id: str, outcome: CallOutcome, now: float,
              answers: Answers | None = None) -> list[Command]:
        """The call of ``task_id`` is over with ``outcome``: done, another try, or given up."""
        self._now = max(self._now, now)
        task = self.tasks[task_id]
        if outcome is CallOutcome.ANSWERED and task.state is not State.CONNECTED:
            self._apply(task, "answer", now)
        if task.state in (State.DIALLING, State.CONNECTED) and task.mode is Mode.SURVEY:
            self._active[task.kind] -= 1
        if outcome is CallOutcome.ANSWERED:
            self._apply(task, "complete", now)
            return [self._ended(task, "reached", reached=True, answers=answers)]
        if outcome is CallOutcome.INVALID:
            self._apply(task, "give_up", now)
            return [self._ended(task, "invalid number")]
        assert outcome in _NOT_REACHED
        rules = self.rules.of(task.kind)
        retry_at = self.rules.hours.next_open(now + rules.spacing.get(outcome, 0.0))
        if task.attempts >= rules.max_attempts or (task.expires is not None and retry_at > task.expires):
            self._apply(task, "give_up", now)
            return [self._ended(task, f"not reached after {task.attempts} attempts ({outcome.value})")]
        self._apply(task, "retry", now)
        task.due_at = retry_at
        self._schedule(task)
        return []

    # ---- withdrawing work

    def cancel(self, task_id: str, now: float, reason: str) -> list[Command]:
        task = self.tasks[task_id]
        self._apply(task, "cancel", now)
        return [self._ended(task, reason)]

    def inbound_answered(self, number: str, now: float) -> list[Command]:
        """The caller got through on their own: their pending callback is withdrawn."""
        try:
            number = national(number)
        except NumberRefused:
            return []
        return [command for task in list(self.tasks.values())
                if task.kind is Kind.MISSED_CALL and task.number == number
                and task.state is State.SCHEDULED
                for command in self.cancel(task.task_id, now, "the caller got through")]

    def block(self, number: str, now: float) -> list[Command]:
        """Put ``number`` on the do-not-call list and withdraw what waits for it."""
        number = national(number)
        self._blocked.add(number)
        return [command for task in list(self.tasks.values())
                if task.number == number and task.state in (State.SCHEDULED, State.RESERVED)
                for command in self.cancel(task.task_id, now, "do-not-call")]

    def pending(self) -> int:
        """Tasks not finished yet."""
        return sum(task.state not in FINAL for task in self.tasks.values())

    # ---- commands

    def _dial(self, task: Task) -> Dial:
        return Dial(task.task_id, task.number, task.line, task.kind, task.mode, task.attempts,
                    task.case_id, task.language)

    def _ended(self, task: Task, reason: str, *, reached: bool = False,
               answers: Answers | None = None) -> TaskEnded:
        return TaskEnded(task.task_id, task.kind, task.number, reached, task.attempts, reason,
                         task.case_id, task.call_id, answers)
