"""``callcenter report``: the daily report from the call records."""

from __future__ import annotations

import json

import click

from callcenter.config import LANGUAGE_NAMES, ConfigError, load_config
from callcenter.records import DB_ENV, DEFAULT_URL, RecordStore, StoreError, default_url
from callcenter.reports.daily import Targets, build_daily_report, parse_day
from callcenter.reports.render import render_text


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


@click.command("report")
@click.option("--day", "day_text", required=True, help="The day to report, YYYY-MM-DD "
              "(in the center's timezone).")
@click.option("--db", "url", default=None,
              help=f"Record database URL (default: ${DB_ENV} or {DEFAULT_URL}, as serve).")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Hotline config file or folder (default: the shipped 12345 config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def report(day_text: str, url: str | None, config_path: str | None, as_json: bool) -> None:
    """Print the day's offered, answered, connection rate, service level, abandons, ASA and
    AHT, overall and by line, language, queue and agent, with the targets met or missed."""
    try:
        day = parse_day(day_text)
    except ValueError as exc:
        _fail(str(exc))
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        _fail(f"config invalid:\n{exc}")
    url = url or default_url()
    try:
        store = RecordStore.open(url, timezone=config.center.timezone, create=False)
    except StoreError as exc:
        _fail(str(exc))
    sl = config.service_level
    with store:
        daily = build_daily_report(
            store, day, sl.policy(),
            targets=Targets(service_level=sl.target, connection_rate=sl.connection_rate_target),
            center=config.center.name,
        )
    if as_json:
        click.echo(json.dumps(daily.as_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(render_text(
        daily,
        line_names={line.number: line.name for line in config.lines},
        language_names=LANGUAGE_NAMES,
    ), nl=False)
