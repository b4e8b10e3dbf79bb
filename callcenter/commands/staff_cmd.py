"""``callcenter staff``: minimum agents for a service-level target (Erlang A or Erlang C)."""

from __future__ import annotations

import dataclasses
import json
import math

import click

from callcenter.commands.options import Quantity, fail
from callcenter.config import ConfigError, load_config
from simulator.erlang import QueueMetrics
from simulator.staffing import MODELS, Target, load_profile, required_agents, staff_profile


def _row(m: QueueMetrics) -> dict[str, float | int | None]:
    def clean(v: float) -> float | None:
        return None if math.isinf(v) or math.isnan(v) else round(v, 6)

    return {
        "agents": m.agents,
        "offered_load_erlangs": clean(m.offered_load),
        "service_level": clean(m.service_level),
        "abandon_rate": clean(m.abandon_rate),
        "asa_seconds": clean(m.asa_seconds),
        "occupancy": clean(m.occupancy),
        "prob_wait": clean(m.prob_wait),
    }


@click.command("staff")
@click.option("--calls-per-hour", type=Quantity(strict=False), help="Offered calls per hour.")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False),
              help="24 hourly volumes: YAML list or one number per line.")
@click.option("--aht", type=Quantity(), required=True, help="Average handle time, seconds.")
@click.option("--patience", type=Quantity(infinite=True),
              help="Mean caller patience, seconds (Erlang A; inf: callers never give up).")
@click.option("--target", "target_text", default="15:0.8", show_default=True,
              help="SECONDS:FRACTION answered within SECONDS, counted by the config's "
                   "service-level definition.")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Hotline config whose service-level definition counts (default: shipped).")
@click.option("--model", type=click.Choice(MODELS), default=None,
              help="Default: erlang-a when --patience is given, else erlang-c.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def staff(
    calls_per_hour: float | None,
    profile_path: str | None,
    aht: float,
    patience: float | None,
    target_text: str,
    model: str | None,
    config_path: str | None,
    as_json: bool,
) -> None:
    """Print the minimum number of agents and the predicted service level, abandon rate,
    ASA and occupancy."""
    try:
        target = Target.parse(target_text)
    except ValueError as exc:
        fail(str(exc))
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        fail(f"config invalid: {exc.issues[0] if exc.issues else exc}")
    policy = dataclasses.replace(config.service_level.policy(),
                                 threshold_seconds=target.threshold_seconds)
    definition = policy.describe()
    if policy.short_abandon_seconds > 0 and policy.abandons_in_denominator:
        definition += "; Erlang does not model short abandons: every abandon is counted"
    model = model or ("erlang-a" if patience is not None else "erlang-c")
    if (calls_per_hour is None) == (profile_path is None):
        fail("give exactly one of --calls-per-hour or --profile")
    try:
        if profile_path is not None:
            volumes = load_profile(profile_path)
            results = staff_profile(volumes, aht, target, patience, model,  # type: ignore[arg-type]
                                    policy)
        else:
            volumes = [calls_per_hour]  # type: ignore[list-item]
            results = [required_agents(calls_per_hour, aht, target, patience,  # type: ignore[arg-type]
                                       model, policy)]
    except (OSError, ValueError) as exc:
        fail(str(exc))
    header = {
        "model": model,
        "service_level_definition": definition,
        "target": {"threshold_seconds": target.threshold_seconds, "fraction": target.fraction},
        "aht_seconds": aht,
        # JSON has no infinity: null, as for Erlang C, means callers never give up
        "patience_seconds": patience if model == "erlang-a" and math.isfinite(patience or 0) else None,
    }
    if profile_path is None:
        if as_json:
            click.echo(json.dumps({**header, "calls_per_hour": calls_per_hour, **_row(results[0])},
                                  allow_nan=False))
            return
        m = results[0]
        click.echo(f"model            {model}")
        click.echo(f"target           service level {target.fraction:.1%}")
        click.echo(f"definition       {definition}")
        click.echo(f"agents           {m.agents}")
        click.echo(f"service level    {m.service_level:.2%}")
        click.echo(f"abandon rate     {m.abandon_rate:.2%}")
        click.echo(f"ASA              {m.asa_seconds:.1f} s")
        click.echo(f"occupancy        {m.occupancy:.1%}")
        return
    pairs = enumerate(zip(volumes, results, strict=True))
    hours = [{"hour": h, "calls": v, **_row(m)} for h, (v, m) in pairs]
    if as_json:
        click.echo(json.dumps({**header, "hours": hours}, allow_nan=False))
        return
    click.echo(f"model {model}; target service level {target.fraction:.1%}")
    click.echo(f"Definition: {definition}")
    click.echo(f"{'hour':>4} {'calls':>7} {'agents':>6} {'SL':>7} {'abandon':>8} {'ASA s':>7} "
               f"{'occup':>6}")
    for h, m in zip(hours, results, strict=True):
        click.echo(f"{h['hour']:>4} {h['calls']:>7.0f} {m.agents:>6} {m.service_level:>7.1%} "
                   f"{m.abandon_rate:>8.2%} {m.asa_seconds:>7.1f} {m.occupancy:>6.1%}")
    click.echo(f"peak agents {max(m.agents for m in results)}; "
               f"agent-hours {sum(m.agents for m in results)}")
