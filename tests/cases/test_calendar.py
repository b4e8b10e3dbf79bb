"""Working days over real holidays (National Day and Spring Festival with their make-up days)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.calendar import CalendarGap, WorkCalendar, YearOverride

CAL = WorkCalendar()
D = dt.date


@pytest.mark.parametrize(("start", "n", "expected"), [
    # National Day 2024: 1-7 Oct off; Sun 29 Sep and Sat 12 Oct are make-up working days.
    (D(2024, 9, 27), 1, D(2024, 9, 29)),
    (D(2024, 9, 27), 2, D(2024, 9, 30)),
    (D(2024, 9, 30), 1, D(2024, 10, 8)),
    (D(2024, 9, 27), 5, D(2024, 10, 10)),
    (D(2024, 10, 11), 1, D(2024, 10, 12)),
    (D(2024, 10, 3), 0, D(2024, 10, 8)),  # 0: the next working day when the day is off
    (D(2024, 10, 8), 0, D(2024, 10, 8)),
    # Spring Festival 2024: 10-17 Feb off; Sun 4 Feb and Sun 18 Feb are make-up working days.
    (D(2024, 2, 3), 1, D(2024, 2, 4)),
    (D(2024, 2, 8), 2, D(2024, 2, 18)),
    # Spring Festival 2025: 28 Jan - 4 Feb off; Sun 26 Jan and Sat 8 Feb worked.
    (D(2025, 1, 24), 1, D(2025, 1, 26)),
    (D(2025, 1, 27), 1, D(2025, 2, 5)),
    (D(2025, 2, 7), 1, D(2025, 2, 8)),
    # National Day 2025: 1-8 Oct off; Sun 28 Sep and Sat 11 Oct worked.
    (D(2025, 9, 26), 1, D(2025, 9, 28)),
    (D(2025, 9, 30), 1, D(2025, 10, 9)),
    (D(2025, 10, 10), 1, D(2025, 10, 11)),
])
def test_adding_working_days_over_holidays(start: dt.date, n: int, expected: dt.date) -> None:
    assert CAL.add_working_days(start, n) == expected


@pytest.mark.parametrize(("start", "end", "count"), [
    (D(2024, 9, 27), D(2024, 10, 10), 5),
    (D(2024, 9, 30), D(2024, 10, 7), 0),  # the whole holiday week counts nothing
    (D(2024, 10, 7), D(2024, 10, 13), 5),  # 8-12 Oct, Saturday 12 included
    (D(2024, 2, 9), D(2024, 2, 18), 1),
    (D(2025, 1, 25), D(2025, 2, 8), 6),  # 26, 27 Jan, 5, 6, 7, 8 Feb
    (D(2024, 10, 10), D(2024, 9, 27), -5),
])
def test_counting_working_days_over_holidays(start: dt.date, end: dt.date, count: int) -> None:
    assert CAL.working_days_between(start, end) == count


@given(st.dates(D(2004, 1, 1), D(2026, 11, 30)), st.integers(1, 20))
def test_counting_inverts_adding(start: dt.date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(start, end) == n
    assert CAL.working_days_between(start, end - dt.timedelta(days=1)) == n - 1


def test_due_after_is_the_end_of_the_local_day() -> None:
    at = dt.datetime(2024, 9, 30, 16, 0, tzinfo=CAL.tz).timestamp()
    due = dt.datetime.fromtimestamp(CAL.due_after(at, 1), CAL.tz)
    assert due == dt.datetime(2024, 10, 9, 0, 0, tzinfo=CAL.tz)  # end of 8 Oct


def test_a_year_without_data_is_refused_not_computed_on_weekdays() -> None:
    with pytest.raises(CalendarGap, match=r"no holiday data for 2027.*cases\.calendar\.2027"):
        CAL.add_working_days(D(2026, 12, 30), 3)
    assert not CAL.covers(2027)
    assert CAL.gaps(D(2026, 12, 1)) == [2027]


def test_overrides_cover_a_new_year_and_replace_a_known_one() -> None:
    cal = WorkCalendar.from_config({
        2027: {"holidays": ["2027-01-01"], "workdays": ["2027-01-02"]},
        "2024": {"workdays": ["2024-10-05"]},
    })
    assert cal.covers(2027) and cal.gaps(D(2026, 12, 1)) == []
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 2)  # 1 Jan off, Sat 2 Jan worked
    # For a year the package knows, the configuration changes only the days it lists.
    assert cal.is_working_day(D(2024, 10, 5)) and not cal.is_working_day(D(2024, 10, 4))
    assert cal.is_working_day(D(2024, 10, 12))


def test_bad_overrides_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"calendar\.years\.2027\.holidays: '2027-13-01' is not a date"):
        WorkCalendar.from_config({2027: {"holidays": ["2027-13-01"]}})
    with pytest.raises(ValueError, match=r"calendar\.years\.2027: 2026-12-31 is not in 2027"):
        WorkCalendar.from_config({2027: {"holidays": ["2026-12-31"]}})
    with pytest.raises(ValueError, match=r"calendar\.years\.2027\.holiday: unknown field"):
        WorkCalendar.from_config({2027: {"holiday": []}})
    with pytest.raises(ValueError, match="both a holiday and a workday"):
        YearOverride(2027, frozenset({D(2027, 1, 1)}), frozenset({D(2027, 1, 1)}))


def test_working_time_pauses_over_days_off() -> None:
    def local(y: int, m: int, d: int, h: int = 0) -> float:
        return dt.datetime(y, m, d, h, tzinfo=CAL.tz).timestamp()

    assert CAL.add_working_time(local(2024, 9, 27, 10), 6 * 3600) == local(2024, 9, 27, 16)
    # Fri 10:00 + 24 h: 14 h on Friday, Saturday off, 10 h on the make-up Sunday 29 Sep.
    assert CAL.add_working_time(local(2024, 9, 27, 10), 24 * 3600) == local(2024, 9, 29, 10)
    # Mon 30 Sep 20:00 + 24 h: 4 h, then the National Day week off, 20 h on 8 Oct.
    assert CAL.add_working_time(local(2024, 9, 30, 20), 24 * 3600) == local(2024, 10, 8, 20)
    # Starting on a holiday: the clock starts on the next working day.
    assert CAL.add_working_time(local(2024, 10, 3, 9), 2 * 3600) == local(2024, 10, 8, 2)
    assert CAL.add_working_time(local(2024, 10, 8, 9), 0) == local(2024, 10, 8, 9)


def test_working_time_backwards_ends_where_the_remaining_working_time_starts() -> None:
    def local(y: int, m: int, d: int, h: int = 0) -> float:
        return dt.datetime(y, m, d, h, tzinfo=CAL.tz).timestamp()

    assert CAL.sub_working_time(local(2024, 9, 27, 16), 6 * 3600) == local(2024, 9, 27, 10)
    # 24 h before 10:00 on 8 Oct: 10 h on 8 Oct, the holiday week counts nothing, 14 h on 30 Sep.
    assert CAL.sub_working_time(local(2024, 10, 8, 10), 24 * 3600) == local(2024, 9, 30, 10)
    # Exactly one working day before the end of Tue 8 Oct: from the end of 30 Sep, the days off
    # between them leave nothing more to do.
    assert CAL.sub_working_time(local(2024, 10, 9), 24 * 3600) == local(2024, 10, 1)
    assert CAL.sub_working_time(local(2024, 10, 5, 12), 0) == local(2024, 10, 1)
    start = local(2024, 9, 30, 20)
    assert CAL.sub_working_time(CAL.add_working_time(start, 24 * 3600), 24 * 3600) == start


@given(st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2026, 11, 30)), st.integers(0, 200 * 3600))
def test_working_time_back_and_forth(start: dt.datetime, seconds: int) -> None:
    at = start.replace(microsecond=0, tzinfo=CAL.tz).timestamp()  # whole seconds: exact arithmetic
    later = CAL.add_working_time(at, seconds)
    assert later >= at + seconds  # days off only ever add time
    back = CAL.sub_working_time(later, seconds)
    assert back <= at  # at least ``seconds`` of working time from ``at`` on
    day = CAL.date_of(at)
    if CAL.is_working_day(day) and at > CAL.end_of(day - dt.timedelta(days=1)):  # inside a working day
        assert back == at


@given(st.sets(st.dates(D(2027, 1, 1), D(2027, 12, 31)), max_size=40), st.integers(0, 15),
       st.dates(D(2027, 1, 1), D(2027, 11, 30)))
def test_a_configured_year_never_puts_a_deadline_on_a_listed_holiday(
        holidays: set[dt.date], n: int, start: dt.date) -> None:
    cal = WorkCalendar([YearOverride(2027, frozenset(holidays))])
    try:
        due = cal.add_working_days(start, n)
    except CalendarGap:  # ran into 2028, which nobody configured
        return
    assert due not in holidays and due.weekday() < 5
    assert n == 0 or cal.working_days_between(start, due) == n
