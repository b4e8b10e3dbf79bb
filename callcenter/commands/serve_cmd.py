"""``callcenter serve``: run the engine on the embedded defaults."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click

from callcenter.config import ConfigError, load_config_with_warnings
from callcenter.records import StoreError
from callcenter.runtime.app import build_engine, run


@click.command("serve")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Hotline config file or folder (default: the shipped 12345 config).")
@click.option("--db", "db_url", default="sqlite:///var/callcenter.db", show_default=True,
              help="Call records: sqlite:///PATH or postgresql://...")
@click.option("--status-interval", type=float, default=60.0, show_default=True,
              help="Seconds between status log lines.")
@click.option("--run-for", type=float, default=None, help="Stop after this many seconds.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def serve(config_path: str | None, db_url: str, status_interval: float, run_for: float | None,
          log_level: str) -> None:
    """Run the call-center engine (refuses to start on a broken config)."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config, warnings = load_config_with_warnings(config_path)
    except ConfigError as exc:
        click.echo(f"refusing to start: config invalid ({len(exc.issues)} problem(s))", err=True)
        for issue in exc.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(2)
    for warning in warnings:
        logging.getLogger("callcenter").warning("config: %s", warning)
    if db_url.startswith("sqlite:///"):
        Path(db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = build_engine(config, db_url=db_url)
    except StoreError as exc:
        click.echo(f"refusing to start: records database: {exc}", err=True)
        sys.exit(2)
    asyncio.run(run(engine, status_interval=status_interval, run_for=run_for))
