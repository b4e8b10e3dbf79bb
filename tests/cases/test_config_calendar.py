"""The config warns ahead of a year the working-day calendar does not cover."""

from __future__ import annotations

import datetime as dt

from callcenter.config import default_config_path, load_config_with_warnings

SHIPPED_CASES = "cases:\n  provisional_calendar: true\n"


def calendar_warnings(tmp_path, cases: str, today: dt.date) -> list[str]:  # type: ignore[no-untyped-def]
    text = default_config_path().read_text(encoding="utf-8")
    assert SHIPPED_CASES in text
    path = tmp_path / "hotline.yaml"
    path.write_text(text.replace(SHIPPED_CASES, cases), encoding="utf-8")
    _, warnings = load_config_with_warnings(path, today=today)
    return [w for w in warnings if w.startswith("cases.calendar")]


def test_the_config_warns_sixty_days_before_an_uncovered_year(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, warnings = load_config_with_warnings(today=dt.date(2026, 12, 4))
    assert [w for w in warnings if w.startswith("cases.calendar")] == [
        "cases.calendar: no holiday data for 2027, less than 60 days away: add cases.calendar.2027 "
        "(its holidays and make-up working days); until then case deadlines in it are provisional "
        "(statutory holidays only, no make-up days)"]
    _, warnings = load_config_with_warnings(today=dt.date(2026, 6, 1))
    assert not [w for w in warnings if w.startswith("cases.calendar")]
    assert calendar_warnings(tmp_path, "cases:\n  provisional_calendar: false\n", dt.date(2026, 12, 4)) == [
        "cases.calendar: no holiday data for 2027, less than 60 days away: add cases.calendar.2027 "
        "(its holidays and make-up working days); until then case steps whose deadlines fall in it "
        "are refused"]
    covered = "cases:\n  calendar:\n    2027: {holidays: [2027-01-01]}\n"
    assert not calendar_warnings(tmp_path, covered, dt.date(2026, 12, 4))
