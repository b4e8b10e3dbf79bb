"""Forecasts from call records: day types, the fitted seasonality, the backtest, the command."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from callcenter.commands.forecast_cmd import forecast
from callcenter.records import RecordStore
from callcenter.records.rows import call_row
from cases.calendar import WorkCalendar
from simulator.forecast import Model, backtest, day_type, history_from_arrivals
from simulator.history import WEEKDAY_FACTORS, Seasonality, generate
from simulator.scenario import load_scenario

TZ = "Asia/Shanghai"
CALENDAR = WorkCalendar(tz=TZ)
START = dt.date(2025, 6, 2)  # 133 days: to 12 October, past National Day 2025


@pytest.fixture(scope="module")
def history():
    loaded = load_scenario("jinan-day")
    records = generate(loaded, START, 133, seed=3, season=Seasonality(calls_per_day=1500))
    rows = [(r.arrived_at, r.line, r.language, r.queue) for r in records]
    return history_from_arrivals(rows, TZ)


def test_day_types_follow_the_chinese_calendar() -> None:
    kinds = {d: day_type(dt.date.fromisoformat(d), CALENDAR).kind for d in (
        "2025-09-26", "2025-09-27", "2025-09-28", "2025-10-01", "2025-10-04", "2025-10-11")}
    assert kinds == {"2025-09-26": "working", "2025-09-27": "weekend", "2025-09-28": "makeup",
                     "2025-10-01": "holiday", "2025-10-04": "holiday", "2025-10-11": "makeup"}
    # A year the calendar package does not know yet: weekdays, and said so.
    future = day_type(dt.date(2030, 10, 1), CALENDAR)
    assert future.kind == "working" and future.note


def test_history_is_counted_per_local_half_hour(history) -> None:
    assert history.start == START and history.days == 133
    assert history.counts.shape[1] == 48 and len(history.keys) == 9
    assert ("12345", "en", "en-general") in history.keys
    # Local time: the night trough sits at 03:00-05:00 Beijing time, not UTC.
    per_slot = history.counts.sum(axis=(0, 2))
    assert per_slot[6:10].sum() < per_slot[20:24].sum() / 10


def test_the_model_recovers_the_known_seasonality(history) -> None:
    model = Model(history, CALENDAR, fit_weeks=19)
    beta = model.beta
    # Weekday effects relative to Monday, then holidays and make-up days.
    for i in range(1, 7):
        assert math.exp(beta[1 + i]) == pytest.approx(WEEKDAY_FACTORS[i] / WEEKDAY_FACTORS[0],
                                                      rel=0.05)
    assert math.exp(beta[8]) == pytest.approx(0.45 / WEEKDAY_FACTORS[0], rel=0.08)
    assert math.exp(beta[1]) == pytest.approx(1.005, abs=0.004)  # trend per week
    # Weekends have their own, flatter day: a bigger share of calls before 07:00.
    wed, sat = model.forecast(history.days + 2, 4)[[0, 3]].sum(axis=2)
    assert sat[:14].sum() / sat.sum() > 1.5 * wed[:14].sum() / wed.sum()


def test_backtest_beats_the_seasonal_naive_forecast_around_national_day(history) -> None:
    result = backtest(history, CALENDAR, weeks=3)
    scores = {s.level: s for s in result.scores}
    special = [d.isoformat() for d, _ in result.special_days]
    assert "2025-10-01" in special and "2025-09-28" in special
    day = scores["day, all calls"]
    assert day.wape < 0.08 and day.naive_wape > 0.25
    for score in scores.values():
        assert score.wape < score.naive_wape
    holidays = scores["day, holidays and make-up days"]
    assert holidays.cells == len(special) and holidays.wape < holidays.naive_wape / 3


def test_forecast_command_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    out = tmp_path / "out"
    result = CliRunner().invoke(forecast, [
        "--from-records", "--db", f"sqlite:///{db}", "--make-history", "2025-08-11:56",
        "--backtest-weeks", "1", "--days", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "naive WAPE" in result.output and "forecast from 2025-10-06" in result.output
    lines = result.output.splitlines()
    assert any(line.startswith("2025-10-06 Mon holiday") for line in lines)
    scenario = load_scenario(out / "2025-10-07.yaml")
    total = sum(sum(a.per_hour or []) for a in scenario.scenario.arrivals)
    rows = (out / "forecast.csv").read_text().splitlines()
    on_day = [float(r.rsplit(",", 1)[1]) for r in rows[1:] if r.startswith("2025-10-07")]
    assert total == pytest.approx(sum(on_day), rel=1e-3)
    assert len(on_day) == 48 * 9
    profile = (out / "2025-10-07-profile.txt").read_text().splitlines()
    assert len([p for p in profile if not p.startswith("#")]) == 24


def test_forecast_reads_what_the_engine_writes(tmp_path: Path) -> None:
    loaded = load_scenario("jinan-day")
    records = generate(loaded, dt.date(2025, 3, 3), 35, seed=1, season=Seasonality(300))
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with RecordStore.open(url, timezone=TZ) as store:
        store.add_calls(records[:500])  # the engine's path: rows and events
        store.write([call_row(r, store.tz) for r in records[500:]])
        arrivals = store.arrivals()
    assert len(arrivals) == len(records)
    history = history_from_arrivals(arrivals, TZ)
    assert int(history.counts.sum()) == len(records)
    assert np.all(history.counts >= 0)


@pytest.mark.parametrize("args, message", [
    (["--start", "tomorrow"], "--start: expected a date YYYY-MM-DD"),
    (["--make-history", "2025-01-01:5"], "--make-history: expected START:DAYS with 21-1000"),
    (["--backtest-weeks", "9"], "--backtest-weeks: a 9-week backtest needs"),
    (["--template", "no-such.yaml"], "--template:"),
])
def test_bad_input_exits_2_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "calls.db"
    setup = ["--make-history", "2025-08-11:28"] if "--make-history" not in args else []
    setup += ["--backtest-weeks", "1"]
    result = CliRunner().invoke(forecast, ["--from-records", "--db", f"sqlite:///{db}",
                                           "--days", "1", *setup, *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and result.output.count("Error") == 1


def test_an_empty_or_missing_database_is_a_clean_error(tmp_path: Path) -> None:
    missing = CliRunner().invoke(forecast, ["--from-records", "--db",
                                            f"sqlite:///{tmp_path / 'none.db'}"])
    assert missing.exit_code == 2 and "no record database" in missing.output
    RecordStore.open(f"sqlite:///{tmp_path / 'empty.db'}").close()
    empty = CliRunner().invoke(forecast, ["--from-records", "--db",
                                          f"sqlite:///{tmp_path / 'empty.db'}"])
    assert empty.exit_code == 2 and "no call records" in empty.output
