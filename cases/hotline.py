"""All cases of a hotline in one pure object: routes events to their case, runs the repeat and
cluster detectors on intakes, and keeps one timer queue for every case's next deadline.

The same code drives the live engine (fed by the store and the API) and the simulator."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from cases import events as ev
from cases.case import Case
from cases.clusters import DAY, ClusterDetector, RepeatDetector
from cases.errors import CaseError
from cases.workflow import Context, Outcome, decide, next_deadline, open_case, timer


class Hotline:
    """``keep_closed`` False forgets a case once it is closed (a long simulation's memory); the
    events that closed it are still in the outcome."""

    def __init__(self, context: Context, cluster_threshold: int = 20, cluster_window: float = DAY,
                 keep_closed: bool = True) -> None:
        self.context = context
        self.keep_closed = keep_closed
        self.cases: dict[str, Case] = {}
        self.repeats = RepeatDetector(context.rules.repeat_count, context.rules.repeat_days)
        self.clusters = ClusterDetector(cluster_threshold, cluster_window)
        self._timers: list[tuple[float, str]] = []  # (when, case id); stale entries skipped
        self._due: dict[str, float] = {}  # case id -> its next deadline, as scheduled

    def apply(self, event: ev.Event) -> Outcome:
        """Apply one event from outside; raises ``CaseError`` and changes nothing if refused."""
        if isinstance(event, ev.CaseOpened):
            if event.case_id in self.cases:
                raise CaseError(f"case_id: case {event.case_id} already exists")
            # Check before the detectors remember anything.
            open_case(event, self.context)
            repeats = self.repeats.observe(event)
            case, outcome = open_case(event, self.context, repeats)
            alerts = self.clusters.observe(event)
            outcome = Outcome(outcome.events, outcome.commands + tuple(alerts))
        else:
            current = self.cases.get(event.case_id)
            if current is None:
                raise CaseError(f"case_id: no case {event.case_id!r}")
            case, outcome = decide(current, event, self.context)
        self._store(case)
        return outcome

    def on_timer(self, now: float) -> Outcome:
        """Everything due at ``now`` across all cases."""
        events: list[ev.Event] = []
        commands = []
        while self._timers and self._timers[0][0] <= now:
            when, case_id = heapq.heappop(self._timers)
            if self._due.get(case_id) != when:
                continue  # stale: the case's next deadline moved since
            del self._due[case_id]
            case, outcome = timer(self.cases[case_id], now, self.context)
            self._store(case)
            events.extend(outcome.events)
            commands.extend(outcome.commands)
        return Outcome(tuple(events), tuple(commands))

    def next_deadline(self) -> float | None:
        while self._timers and self._due.get(self._timers[0][1]) != self._timers[0][0]:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def restore(self, events: Iterable[ev.Event]) -> None:
        """Rebuild from a stored log (events of many cases, in order); intakes feed the detectors
        again without deriving anything."""
        for event in events:
            if isinstance(event, ev.CaseOpened):
                self.repeats.observe(event)
                self.clusters.observe(event)
                self.cases[event.case_id] = Case.open(event)
            else:
                case = self.cases.get(event.case_id)
                if case is None:
                    raise CaseError(f"log: {type(event).__name__} for unknown case {event.case_id!r}")
                case.apply(event)
        for case in list(self.cases.values()):
            if case.closed and not self.keep_closed:
                del self.cases[case.case_id]
            else:
                self._schedule(case)

    def _store(self, case: Case) -> None:
        if case.closed and not self.keep_closed:
            self.cases.pop(case.case_id, None)
        else:
            self.cases[case.case_id] = case
        self._schedule(case)

    def _schedule(self, case: Case) -> None:
        """One live heap entry per case: the one ``_due`` names (others are skipped as stale)."""
        due = next_deadline(case, self.context.rules) if case.case_id in self.cases else None
        if due is None:
            self._due.pop(case.case_id, None)
        elif self._due.get(case.case_id) != due:
            self._due[case.case_id] = due
            heapq.heappush(self._timers, (due, case.case_id))
