"""``callcenter serve``: run the engine on the embedded defaults."""

from __future__ import annotations

import asyncio
import logging
import sys

import click

from callcenter.config import ConfigError, load_config_with_warnings
from callcenter.runtime.app import build_engine, run


@click.command("serve")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Hotline config file or folder (default: the shipped 12345 config).")
@click.option("--status-interval", type=float, default=60.0, show_default=True,
              help="Seconds between status log lines.")
@click.option("--run-for", type=float, default=None, help="Stop after this many seconds.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def serve(config_path: str | None, status_interval: float, run_for: float | None,
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
    engine = build_engine(config)
    asyncio.run(run(engine, status_interval=status_interval, run_for=run_for))
