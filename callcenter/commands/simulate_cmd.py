"""``callcenter simulate``: run a traffic scenario through the production ACD on a virtual clock."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
import time

import click

from callcenter.commands.options import Count, OutputFile, Quantity
from callcenter.commands.startup import collector_paused
from simulator.scenario import ScenarioError, load_scenario, with_duration

PLOT_REPLICATIONS = 8  # a chart without intervals cannot tell a bad hour from a bad draw


def _fmt(value: float | None, kind: str, ci: float | None = None) -> str:
    if value is None:
        return "-"
    if kind == "pct":
        text = f"{100 * value:.1f}%"
        return text + (f"±{100 * ci:.1f}" if ci else "")
    if kind == "sec":
        return f"{value:.1f}" + (f"±{ci:.1f}" if ci else "")
    return f"{value:.0f}"


def _table(combined: dict) -> str:
    columns = [("offered", "int"), ("answered", "int"), ("abandoned", "int"),
               ("service_level", "pct"), ("connection_rate", "pct"), ("abandon_rate", "pct"),
               ("asa_seconds", "sec"), ("aht_seconds", "sec"), ("occupancy", "pct")]
    heads = ["group", "offered", "answered", "abandoned", "SL", "connected", "abandon",
             "ASA s", "AHT s", "occupancy"]
    rows = [("overall", combined["overall"])]
    for key, prefix in (("lines", "line"), ("languages", "lang"), ("queues", "queue")):
        rows += [(f"{prefix} {name}", group) for name, group in combined[key].items()]
    cells = []
    for label, group in rows:
        ci = group.get("ci95", {})
        cells.append([label] + [_fmt(group[name], kind, ci.get(name)) for name, kind in columns])
    widths = [max(len(str(r[i])) for r in [heads, *cells]) for i in range(len(heads))]
    lines = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in
                       enumerate(zip(heads, widths, strict=True)))]
    for row in cells:
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                               enumerate(zip(row, widths, strict=True))))
    return "\n".join(lines)


def _ivr_lines(ivr: dict, replications: int) -> str:
    """Callers by how their walk through the line's flow ended (per replication)."""
    per = " per replication" if replications > 1 else ""

    def one(group: dict) -> str:
        seconds = group["ivr_seconds"]
        mean = f" after {seconds:.1f} s" if seconds is not None else ""
        return (f"{group['callers']:,.0f} callers: {group['enqueued']:,.0f} reached a queue{mean}, "
                f"{group['self_service']:,.0f} self-service (no agent), "
                f"{group['transferred']:,.0f} transferred, {group['abandoned']:,.0f} hung up "
                f"in the IVR, {group['failed']:,.0f} failed")

    out = [f"IVR (the lines' flows walked; prompt durations: {ivr['prompts']}){per}:",
           f"  overall     {one(ivr['overall'])}"]
    out += [f"  line {line:<6} {one(group)}" for line, group in ivr["lines"].items()]
    return "\n".join(out)


@click.command("simulate")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--seed", type=Count(0), default=0, show_default=True, help="Random seed (0 or more).")
@click.option("--replications", type=click.IntRange(1, 10_000), default=None,
              help="Independent runs; figures get a mean and a 95% confidence half-width "
                   "(default 1, or 8 with --plot so the chart has intervals).")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes for replications (default: CPU count).")
@click.option("--duration-hours", type=Quantity(), default=None,
              help="Override the scenario's duration.")
@click.option("--json", "json_path", type=OutputFile(), help="Write figures as JSON.")
@click.option("--records", "records_path", type=OutputFile(), help="Write one CSV row per call.")
@click.option("--plot", "plot_path", type=OutputFile(),
              help="Write an hourly chart (PNG).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: on when stderr is a terminal).")
def simulate(scenario_path: str, seed: int, replications: int | None, jobs: int | None,
             duration_hours: float | None, json_path: str | None, records_path: str | None,
             plot_path: str | None, progress: bool | None) -> None:
    """Simulate SCENARIO (a YAML file, or a shipped scenario name such as jinan-day)
    through the production ACD and print the figures."""
    try:
        with collector_paused():
            from simulator.metrics import service_level_policy, threshold_seconds
            from simulator.replications import RECORD_COLUMNS, combine, run_replications

            loaded = load_scenario(scenario_path)
            if duration_hours is not None:
                loaded = dataclasses.replace(
                    loaded, scenario=with_duration(loaded.scenario, duration_hours))
    except ScenarioError as exc:
        click.echo(f"Error: invalid scenario:{chr(10) if len(exc.issues) > 1 else ' '}{exc}", err=True)
        raise SystemExit(2) from None
    except ValueError as exc:  # pydantic error from the duration override
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from None
    replications = replications or (PLOT_REPLICATIONS if plot_path else 1)
    show = sys.stderr.isatty() if progress is None else progress
    jobs = jobs or min(os.cpu_count() or 1, replications)
    bar = None
    if show and replications > 1:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread: replications may fork
        bar = tqdm(total=replications, unit="run", desc="replications")
    started = time.perf_counter()
    reps = run_replications(loaded, replications, seed, jobs, keep_rows=records_path is not None,
                            progress=show, on_done=(lambda _: bar.update(1)) if bar else None)
    elapsed = time.perf_counter() - started
    if bar:
        bar.close()
    combined = combine([r.summary for r in reps])
    calls = sum(r.calls for r in reps)
    combined["scenario"] = str(loaded.path / os.path.basename(scenario_path))
    combined["seed"] = seed
    combined["threshold_seconds"] = threshold_seconds(loaded)
    combined["service_level_definition"] = service_level_policy(loaded).describe()
    combined["simulated_calls"] = calls
    combined["wall_seconds"] = round(elapsed, 3)

    click.echo(f"{replications} replication(s), {calls} calls simulated in {elapsed:.2f} s "
               f"({calls / elapsed:,.0f} calls/s)")
    click.echo(f"Definition: {combined['service_level_definition']}")
    click.echo(_table(combined))
    click.echo(_ivr_lines(combined["ivr"], replications))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(combined, f, indent=1)
    if records_path:
        with open(records_path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(RECORD_COLUMNS)
            for rep in reps:
                writer.writerows(rep.rows or [])
    if plot_path:
        from simulator.plot import plot_hourly

        plot_hourly(combined, plot_path, f"{os.path.basename(scenario_path)}: "
                    f"{replications} replication(s), seed {seed}",
                    target=loaded.config.service_level.target,
                    threshold=threshold_seconds(loaded))
