"""A year without an official schedule: statutory holidays from the rules, deadlines flagged."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from cases.calendar import WorkCalendar
from cases.case import Case
from cases.events import DeadlineSet
from cases.model import DeadlineKind
from cases.statutory import statutory_holidays
from cases.workflow import CaseWorkflow, Context
from tests.cases.helpers import DEPARTMENTS, TAXONOMY, at, context
from tests.cases.test_workflow import opened

D = dt.date
PROVISIONAL = WorkCalendar(provisional=True)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rules_give_days_the_official_schedules_keep_off(year: int) -> None:
    days = statutory_holidays(year)
    assert len(days) == 13
    assert all(chinese_calendar.is_holiday(day) for day in days)


def test_2027_from_the_rules() -> None:
    days = statutory_holidays(2027)
    spring = {D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8)}  # 除夕 to 初三
    assert spring <= days and D(2027, 1, 1) in days and D(2027, 10, 3) in days
    assert D(2027, 4, 5) in days  # 清明
    assert D(2027, 6, 9) in days and D(2027, 9, 15) in days  # 端午, 中秋


def test_a_provisional_year_skips_statutory_holidays_and_says_so() -> None:
    # Thu 31 Dec 2026 is the 1st working day; Fri 1 Jan 2027 is off, then a weekend.
    assert PROVISIONAL.add_working_days(D(2026, 12, 30), 2) == D(2027, 1, 4)
    assert PROVISIONAL.add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 9)  # Spring Festival off
    assert PROVISIONAL.is_provisional(D(2027, 3, 1)) and not PROVISIONAL.is_provisional(D(2026, 3, 1))
    assert not WorkCalendar().is_provisional(D(2027, 3, 1))  # off: refused, not provisional
    configured = WorkCalendar.from_config({2027: {"holidays": ["2027-01-01"]}}, provisional=True)
    assert not configured.is_provisional(D(2027, 3, 1))


def test_deadlines_over_a_provisional_year_are_flagged_in_the_log_and_the_case() -> None:
    ctx = context()
    ctx = Context(TAXONOMY, DEPARTMENTS, PROVISIONAL, ctx.rules)
    flow, outcome = CaseWorkflow.open(opened(when=at(2026, 12, 31, 10)), ctx)
    deadlines = [e for e in outcome.events if isinstance(e, DeadlineSet)]
    assert deadlines and all(e.provisional for e in deadlines)
    assert DeadlineKind.DISPATCH in flow.case.provisional
    assert Case.from_dict(flow.case.to_dict()).provisional == flow.case.provisional
    earlier, outcome = CaseWorkflow.open(opened(when=at(2026, 6, 1, 10)), ctx)
    assert not any(e.provisional for e in outcome.events if isinstance(e, DeadlineSet))
    assert not earlier.case.provisional
