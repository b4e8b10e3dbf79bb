"""The config warns ahead of a year the working-day calendar does not cover."""

from __future__ import annotations

import datetime as dt

from callcenter.config import default_config_path, load_config_with_warnings


def test_the_config_warns_sixty_days_before_an_uncovered_year(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, warnings = load_config_with_warnings(today=dt.date(2026, 12, 4))
    assert [w for w in warnings if w.startswith("cases.calendar")] == [
        "cases.calendar: no holiday data for 2027, less than 60 days away: add cases.calendar.2027 "
        "(its holidays and make-up working days) before case deadlines fall in it, or those steps "
        "are refused"]
    _, warnings = load_config_with_warnings(today=dt.date(2026, 6, 1))
    assert not [w for w in warnings if w.startswith("cases.calendar")]
    path = tmp_path / "hotline.yaml"
    path.write_text(default_config_path().read_text(encoding="utf-8")
                    + "\ncases:\n  calendar:\n    2027: {holidays: [2027-01-01]}\n", encoding="utf-8")
    _, warnings = load_config_with_warnings(path, today=dt.date(2026, 12, 4))
    assert not [w for w in warnings if w.startswith("cases.calendar")]
