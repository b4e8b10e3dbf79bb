"""Working days: the Chinese public-holiday calendar with its make-up working days (调休).

Data comes from the ``chinese-calendar`` package, overridable per year (for years the package
does not know yet, or a local decision). A date in a year with neither raises ``CalendarGap``:
a deadline is never silently computed on weekdays only. A calendar made ``provisional`` takes
such a year's statutory holidays from the rules instead (``cases.statutory``: no bridged or
make-up days) and says so: ``is_provisional`` is true for its days. Times are epoch seconds; dates are
local to the calendar's time zone; a day's deadline is the end of that day (24:00 local).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

from cases.errors import CaseError
from cases.statutory import FIRST_YEAR, LAST_YEAR, statutory_holidays

DEFAULT_TZ = "Asia/Shanghai"


class CalendarGap(CaseError):
    """The calendar has no holiday data for the year of a date it was asked about."""


@dataclass(frozen=True, slots=True)
class YearOverride:
    """One year's days off (holidays) and make-up working days, over the package's data (or over
    Monday-Friday for a year the package does not know: such a year is covered once given)."""

    year: int
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        for day in self.holidays | self.workdays:
            if day.year != self.year:
                raise ValueError(f"calendar.years.{self.year}: {day} is not in {self.year}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"calendar.years.{self.year}: {min(both)} is both a holiday and a workday")


class WorkCalendar:
    """Working-day arithmetic over the package's data plus ``overrides``."""

    def __init__(self, overrides: Iterable[YearOverride] = (), tz: str = DEFAULT_TZ,
                 use_package: bool = True, provisional: bool = False) -> None:
        self.tz = ZoneInfo(tz)
        self._overrides: dict[int, YearOverride] = {o.year: o for o in overrides}
        self._use_package = use_package
        self.provisional = provisional
        self._cache: dict[dt.date, bool] = {}

    @classmethod
    def from_config(cls, years: Mapping[int | str, Mapping[str, Iterable[str | dt.date]]],
                    tz: str = DEFAULT_TZ, provisional: bool = False) -> WorkCalendar:
        """From ``{2027: {"holidays": ["2027-01-01", ...], "workdays": [...]}}``."""
        overrides = []
        for year, days in years.items():
            unknown = set(days) - {"holidays", "workdays"}
            if unknown:
                raise ValueError(f"calendar.years.{year}.{min(unknown)}: unknown field")
            overrides.append(YearOverride(
                int(year),
                frozenset(_date(d, f"calendar.years.{year}.holidays") for d in days.get("holidays", ())),
                frozenset(_date(d, f"calendar.years.{year}.workdays") for d in days.get("workdays", ())),
            ))
        return cls(overrides, tz, provisional=provisional)

    def covers(self, year: int) -> bool:
        """True when working days of ``year`` are known (not only provisional)."""
        if year in self._overrides:
            return True
        if not self._use_package:
            return False
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def is_provisional(self, day: dt.date) -> bool:
        """True when ``day``'s year is known only from the statutory rules (no official schedule)."""
        return self.provisional and not self.covers(day.year)

    def is_working_day(self, day: dt.date) -> bool:
        known = self._cache.get(day)
        if known is not None:
            return known
        override = self._overrides.get(day.year)
        if override is not None and day in override.workdays:
            result = True
        elif override is not None and day in override.holidays:
            result = False
        else:
            result = self._package(day, override)
        self._cache[day] = result
        return result

    def _package(self, day: dt.date, override: YearOverride | None) -> bool:
        """The package's answer; for a year only the configuration knows, Monday to Friday."""
        if self._use_package:
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:
                pass
        if override is not None:
            return day.weekday() < 5
        if self.provisional and FIRST_YEAR <= day.year <= LAST_YEAR:
            return day.weekday() < 5 and day not in statutory_holidays(day.year)
        raise CalendarGap(
            f"calendar: no holiday data for {day.year} (needed for {day}); "
            f"add cases.calendar.{day.year} to the configuration, or set cases.provisional_calendar"
        )

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``day`` (``n`` = 0: ``next_working_day(day)``)."""
        if n < 0:
            raise ValueError("n: must not be negative")
        day = self.next_working_day(day) if n == 0 else day
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: the inverse of ``add_working_days`` for n > 0;
        negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count

    # Times (epoch seconds) against local dates.

    def date_of(self, at: float) -> dt.date:
        return dt.datetime.fromtimestamp(at, self.tz).date()

    def end_of(self, day: dt.date) -> float:
        """24:00 local at the end of ``day``, in epoch seconds."""
        midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), self.tz)
        return midnight.timestamp()

    def due_after(self, at: float, working_days: int) -> float:
        """End of the ``working_days``-th working day after the day of ``at`` (0: the same day if it
        is a working day, else the next working day)."""
        return self.end_of(self.add_working_days(self.date_of(at), working_days))

    def add_working_time(self, at: float, seconds: float) -> float:
        """``at`` plus ``seconds`` counted on working days only (a limit in hours that a holiday
        week pauses): time on days off does not count."""
        if seconds < 0:
            raise ValueError("seconds: must not be negative")
        day = self.date_of(at)
        start = at
        while True:
            if self.is_working_day(day):
                end = self.end_of(day)
                if start + seconds <= end:
                    return start + seconds
                seconds -= end - start
            day += dt.timedelta(days=1)
            start = self.end_of(day - dt.timedelta(days=1))

    def sub_working_time(self, at: float, seconds: float) -> float:
        """The earliest time from which ``seconds`` of working days remain until ``at`` (days off
        just before it count nothing, so it may fall at the end of the last working day)."""
        if seconds < 0:
            raise ValueError("seconds: must not be negative")
        day, end = self.date_of(at), at
        while True:
            start = self.end_of(day - dt.timedelta(days=1))
            if self.is_working_day(day):
                if seconds < end - start:
                    return end - seconds
                seconds -= end - start
            day -= dt.timedelta(days=1)
            end = start
            if seconds == 0 and self.is_working_day(day):
                return end

    def gaps(self, today: dt.date, ahead_days: int = 60) -> list[int]:
        """Years within ``ahead_days`` of ``today`` the calendar does not cover (to warn early)."""
        years = range(today.year, (today + dt.timedelta(days=ahead_days)).year + 1)
        return [y for y in years if not self.covers(y)]


def _date(value: str | dt.date, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None
