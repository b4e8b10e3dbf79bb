"""The ``cases:`` config section: rules and calendar years the package does not know; a
deadline in a year nobody covers is refused (naming the calendar), never computed on weekdays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from callcenter.casework.accounts import User
from callcenter.casework.service import build_casework
from callcenter.config import ConfigError, load_config
from callcenter.config.loader import default_config_path
from cases.errors import CaseError

AGENT = User("a1", "agent")
FIELDS = {"channel": "phone", "category": "0101", "text": "咨询", "caller_number": "13800000001"}


def config_with(tmp_path, text: str):
    folder = tmp_path / "config"
    folder.mkdir()
    shipped = default_config_path().read_text(encoding="utf-8")
    assert "\ncases:\n  provisional_calendar: true\n" in shipped
    (folder / "hotline.yaml").write_text(  # the test's cases.yaml sets the section
        shipped.replace("\ncases:\n  provisional_calendar: true\n", "\n"), encoding="utf-8")
    (folder / "cases.yaml").write_text(text, encoding="utf-8")
    return load_config(folder)


def at(year: int, month: int, day: int, hour: int = 9) -> float:
    return dt.datetime(year, month, day, hour, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


def test_a_year_without_calendar_data_is_refused_and_nothing_is_stored(tmp_path):
    casework = build_casework(f"sqlite:///{tmp_path / 'c.db'}", clock=lambda: at(2099, 3, 2))
    try:
        with pytest.raises(CaseError, match="calendar: no holiday data for 2099"):
            casework.service.open(AGENT, FIELDS)
        assert casework.store.count() == 0 and casework.store.count_events() == 0
    finally:
        casework.close()


def test_the_config_covers_a_year_and_sets_the_rules(tmp_path):
    config = config_with(tmp_path, """
cases:
  rules: {dispatch_working_days: 1}
  calendar:
    2099: {holidays: ["2099-03-03"], workdays: ["2099-03-07"]}
""")
    calendar = config.cases.work_calendar()
    casework = build_casework(f"sqlite:///{tmp_path / 'c.db'}", clock=lambda: at(2099, 3, 2),
                              rules=config.cases.rules, calendar=calendar)
    try:
        case = casework.service.open(AGENT, FIELDS).case
        # Monday 2 March + 1 working day, Tuesday 3 March a holiday: the end of Wednesday 4 March
        assert case.deadlines["dispatch"] == at(2099, 3, 5, 0)
    finally:
        casework.close()


def test_a_bad_calendar_names_the_file_line_and_field(tmp_path):
    with pytest.raises(ConfigError) as caught:
        config_with(tmp_path, "cases:\n  calendar:\n    2099: {holidays: [\"2098-12-31\"]}\n")
    assert "cases.yaml:1" in str(caught.value) or "cases.yaml:" in str(caught.value)
    assert "2098-12-31 is not in 2099" in str(caught.value)
