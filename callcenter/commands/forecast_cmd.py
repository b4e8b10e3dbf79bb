"""``callcenter forecast``: arrivals per half-hour for the coming days, from the call records."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import click


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _parse_day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"{option}: expected a date YYYY-MM-DD, got {text!r}")
        raise


def _make_history(store, loaded, spec: str, seed: int) -> int:
    from callcenter.records.rows import call_row
    from simulator.history import generate

    start_text, sep, days_text = spec.partition(":")
    start = _parse_day(start_text, "--make-history")
    if not sep or not days_text.isdigit() or not 21 <= int(days_text) <= 1000:
        _fail(f"--make-history: expected START:DAYS with 21-1000 days, got {spec!r}")
    if store.count_calls():
        _fail("--make-history: the database already holds calls; use a new one")
    records = generate(loaded, start, int(days_text), seed=seed)
    store.write([call_row(r, store.tz) for r in records])
    return len(records)


@click.command("forecast")
@click.option("--from-records", "from_records", is_flag=True, required=True,
              help="Forecast from the call records (the only source for now).")
@click.option("--db", "url", default=None,
              help="Record database URL (default: $CALLCENTER_DB or sqlite:///callcenter.db).")
@click.option("--days", type=click.IntRange(1, 28), default=7, show_default=True,
              help="Days to forecast.")
@click.option("--start", "start_text", default=None,
              help="First day to forecast, YYYY-MM-DD (default: the day after the records).")
@click.option("--backtest-weeks", type=click.IntRange(0, 12), default=2, show_default=True,
              help="Held-out weeks scored against the seasonal naive forecast (0: none).")
@click.option("--template", default="jinan-day", show_default=True,
              help="Scenario whose handle times, patience and staffing the forecast scenarios keep.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write forecast.csv, a scenario and a staff --profile file per day here.")
@click.option("--make-history", "history_spec", default=None, metavar="START:DAYS",
              help="First fill an empty database with synthetic records (known seasonality and "
                   "holidays) from the template's volumes.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --make-history.")
def forecast(from_records: bool, url: str | None, days: int, start_text: str | None,
             backtest_weeks: int, template: str, out_dir: str | None, history_spec: str | None,
             seed: int) -> None:
    """Forecast arrivals per half-hour by line, language and queue (weekday profile, trend,
    Chinese holidays and make-up working days), with a backtest on held-out weeks."""
    from callcenter.records import DEFAULT_URL, RecordStore, StoreError
    from cases.calendar import WorkCalendar
    from simulator.forecast import backtest, forecast_days, history_from_arrivals
    from simulator.scenario import ScenarioError, load_scenario

    start = _parse_day(start_text, "--start") if start_text else None
    try:
        loaded = load_scenario(template)
    except ScenarioError as exc:
        _fail(f"--template: {exc.issues[0]}")
    tz = loaded.config.center.timezone
    url = url or os.environ.get("CALLCENTER_DB") or DEFAULT_URL
    try:
        store = RecordStore.open(url, timezone=tz, create=history_spec is not None)
    except StoreError as exc:
        _fail(str(exc))
    with store:
        if history_spec:
            made = _make_history(store, loaded, history_spec, seed)
            click.echo(f"wrote {made:,} synthetic call records")
        rows = store.arrivals()
    try:
        history = history_from_arrivals(rows, tz)
    except ValueError as exc:
        _fail(str(exc))
    calendar = WorkCalendar(tz=tz)
    last = history.date(history.days - 1)
    click.echo(f"history: {len(rows):,} calls, {history.start} to {last} ({history.days} days), "
               f"{len(history.keys)} line/language/queue series")
    if backtest_weeks:
        try:
            bt = backtest(history, calendar, backtest_weeks)
        except ValueError as exc:
            _fail(f"--backtest-weeks: {exc}")
        click.echo(f"\nbacktest: {backtest_weeks} held-out week(s) from {bt.weeks[0]}; model vs the "
                   f"seasonal naive forecast (same interval a week earlier)")
        if bt.special_days:
            click.echo("  special days held out: " + ", ".join(f"{d} {k}" for d, k in bt.special_days))
        click.echo(_score_table(bt.scores))
    first = start or last + dt.timedelta(days=1)
    try:
        dates, cells, types = forecast_days(history, calendar, first, days)
    except ValueError as exc:
        _fail(f"--start: {exc}")
    click.echo(f"\nforecast from {first}:")
    click.echo(f"{'day':<10} {'':<3} {'kind':<8} {'calls':>7} {'peak half-hour':>15}")
    for date, day_cells, t in zip(dates, cells, types, strict=True):
        per = day_cells.sum(axis=1)
        peak = int(per.argmax()) * history.interval_minutes
        click.echo(f"{date.isoformat():<10} {date.strftime('%a'):<3} {t.kind:<8} {per.sum():>7.0f} "
                   f"{peak // 60:02d}:{peak % 60:02d} {per.max():>5.0f}"
                   + (f"  ({t.note})" if t.note else ""))
    if out_dir:
        _write(Path(out_dir), history, dates, cells, loaded)
        click.echo(f"\nwrote {out_dir}/forecast.csv and per day DATE.yaml (callcenter simulate / "
                   f"roster) and DATE-profile.txt (callcenter staff --profile)")


def _score_table(scores) -> str:
    heads = ["level", "cells", "MAPE", "WAPE", "naive MAPE", "naive WAPE"]
    rows = [[s.level, str(s.cells), _pct(s.mape), _pct(s.wape), _pct(s.naive_mape),
             _pct(s.naive_wape)] for s in scores]
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                               enumerate(zip(row, widths, strict=True))) for row in [heads, *rows])


def _write(folder: Path, history, dates, cells, template) -> None:
    import yaml

    from simulator.forecast import hourly, merge_keys

    folder.mkdir(parents=True, exist_ok=True)
    step = history.interval_minutes
    with open(folder / "forecast.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["date", "time", "line", "language", "queue", "calls"])
        for date, day in zip(dates, cells, strict=True):
            for slot in range(day.shape[0]):
                for s, (line, language, queue) in enumerate(history.keys):
                    minute = slot * step
                    writer.writerow([date.isoformat(), f"{minute // 60:02d}:{minute % 60:02d}",
                                     line, language, queue, round(float(day[slot, s]), 3)])
    base = template.scenario.model_dump(mode="json", exclude_none=True)
    if base["center"] != "default" and not Path(base["center"]).is_absolute():
        base["center"] = str((template.path / base["center"]).resolve())
    streams = {(a.line, a.language): a for a in template.scenario.arrivals}
    by_stream = merge_keys(history.keys, (0, 1))
    for date, day in zip(dates, cells, strict=True):
        per_hour = hourly(day, step)  # (24, series)
        arrivals = []
        for (line, language), series in sorted(by_stream.items()):
            rates = [round(float(v), 2) for v in per_hour[:, series].sum(axis=1)]
            like = streams.get((line, language))
            entry = {"name": f"{line}-{language}", "line": line, "language": language,
                     "per_hour": rates}
            if like is not None:
                entry |= like.model_dump(mode="json", exclude_none=True,
                                         include={"handle_time", "patience", "priority"})
            arrivals.append(entry)
        scenario = {**base, "arrivals": arrivals}
        with open(folder / f"{date.isoformat()}.yaml", "w", encoding="utf-8") as f:
            f.write(f"# forecast for {date} ({date.strftime('%A')}) from the call records\n")
            yaml.safe_dump(scenario, f, sort_keys=False, width=120)
        totals = per_hour.sum(axis=1)
        (folder / f"{date.isoformat()}-profile.txt").write_text(
            f"# calls per hour forecast for {date}\n" + "".join(f"{v:.1f}\n" for v in totals))
