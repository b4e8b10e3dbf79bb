"""``callcenter flows``: check IVR flow files against the hotline config and prompt catalogue."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def flows() -> None:
    """IVR flows."""


@flows.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path),
              help="Hotline config (default: the shipped one).")
@click.option("--catalogue", "catalogue_path", type=click.Path(exists=True, path_type=Path),
              help="Prompt catalogue (default: the shipped one).")
def check(paths: tuple[Path, ...], config_path: Path | None, catalogue_path: Path | None) -> None:
    """Validate flow files (default: the shipped flows). Exits 2 on an invalid flow."""
    from callcenter.config import load_config
    from ivr_flows.catalogue import CATALOGUE_PATH, load_catalogue
    from ivr_flows.context import FlowContext
    from ivr_flows.issues import FlowError
    from ivr_flows.loader import FLOWS_DIR, load_flows
    from ivr_flows.plugins import default_registry

    catalogue = load_catalogue(catalogue_path or CATALOGUE_PATH)
    try:  # the config's prompts and the engine's own are looked up in this catalogue too
        cfg = load_config(config_path, catalogue)
    except Exception as exc:  # noqa: BLE001 - config errors carry their own message
        click.echo(f"config: {exc}", err=True)
        sys.exit(2)
    context = FlowContext.from_config(cfg, plugins=default_registry().names())
    problems = catalogue.missing(context.languages)
    try:
        loaded = load_flows(paths or (FLOWS_DIR,), context=context, catalogue=catalogue)
    except FlowError as exc:
        problems += [str(i) for i in exc.issues]
        loaded = None
    if loaded is not None and not paths:
        problems += [f"line {line.number}: runs unknown flow '{line.flow}'"
                     for line in cfg.lines if line.flow not in loaded]
    for warning in loaded.warnings if loaded is not None else ():
        click.echo(str(warning), err=True)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(2)
    click.echo(f"{len(loaded)} flow(s) OK: {', '.join(sorted(loaded))}")
