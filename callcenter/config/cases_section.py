"""The ``cases:`` section of the hotline config: the case process's time limits and rules, the
working-day calendar for years the ``chinese-calendar`` package does not know yet, and the
cluster alert's threshold.

    cases:
      rules: {dispatch_working_days: 2, sign_hours: 24, yellow_hours: 8}
      calendar:
        2027: {holidays: ["2027-01-01", ...], workdays: ["2027-02-06", ...]}
      provisional_calendar: true   # a year with neither: statutory holidays, deadlines flagged
      cluster_threshold: 20
      cluster_window_hours: 24
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from ivr_flows.strict_model import STRICT

if TYPE_CHECKING:
    from cases.calendar import WorkCalendar
    from cases.rules import Rules


@cache
def _default_rules() -> Rules:
    from cases.rules import Rules

    return Rules()


class CalendarYear(BaseModel):
    model_config = STRICT
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []


class CasesSection(BaseModel):
    model_config = STRICT
    # Validated as ``cases.rules.Rules``, imported late: the cases core loads its taxonomy with
    # this package's YAML helpers, so importing it while this package initialises would cycle.
    rules_: dict[str, Any] = Field(default={}, alias="rules")
    calendar: dict[Annotated[int, Field(ge=2000, le=2200)], CalendarYear] = {}
    # For a year neither the package nor ``calendar`` knows: off, case steps whose deadlines fall
    # in it are refused; on, its statutory holidays (no make-up days) give provisional deadlines.
    provisional_calendar: bool = False
    cluster_threshold: Annotated[int, Field(ge=2, le=100_000)] = 20
    cluster_window_hours: Annotated[float, Field(gt=0, le=24 * 90)] = 24.0

    _rules: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> CasesSection:
        if self.rules_:  # the defaults need no check: built when first asked for
            self._rules = self._build_rules()
        if self.calendar:  # a day in the wrong year or both a holiday and a workday
            self.work_calendar()
        return self

    def _build_rules(self) -> Rules:
        from pydantic import ValidationError

        from cases.rules import Rules

        try:
            return Rules(**self.rules_)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise ValueError(f"rules.{where}: {error['msg']}") from None

    @property
    def rules(self) -> Rules:
        return self._rules if self._rules is not None else _default_rules()

    def work_calendar(self, tz: str = "Asia/Shanghai") -> WorkCalendar:
        from cases.calendar import WorkCalendar  # the holiday package: only where days are counted

        return WorkCalendar.from_config(
            {year: {"holidays": d.holidays, "workdays": d.workdays} for year, d in self.calendar.items()}, tz,
            provisional=self.provisional_calendar)
