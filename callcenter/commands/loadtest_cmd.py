"""``callcenter loadtest``: real SIP callers and agent seats against an engine, measured three ways."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from callcenter.commands.options import Count, OutputFile, fail, require


@click.command("loadtest")
@click.argument("scenario_path", metavar="SCENARIO", required=False)
@click.option("--target", default="sip:12345@127.0.0.1:5060", show_default=True,
              help="The engine's SIP address (callers dial each stream's line there).")
@click.option("--duration-minutes", type=click.FloatRange(min=0, min_open=True), default=None,
              help="How long calls are placed (default: the scenario's duration).")
@click.option("--rate-scale", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Multiply every arrival rate.")
@click.option("--seed", type=Count(0), default=0, show_default=True)
@click.option("--json", "json_path", type=OutputFile(), help="Write figures as JSON.")
@click.option("--plot", "plot_path", type=OutputFile(),
              help="Write calls waiting and service level over time (PNG).")
@click.option("--db", "db_url", help="The engine's record database URL (read after the run).")
@click.option("--api", help="The engine's HTTP API base URL, to log the agents in.")
@click.option("--token", envvar="CALLCENTER_API_TOKEN", help="API bearer token.")
@click.option("--in-process", is_flag=True, help="Start an engine inside this process.")
@click.option("--secrets", "secrets_file", type=click.Path(path_type=Path),
              help="Agent SIP passwords, 'agent_id = password' lines (remote engine).")
@click.option("--replications", type=click.IntRange(0, 1000), default=20, show_default=True,
              help="Simulator runs for the prediction (0: none).")
@click.option("--drain-seconds", type=click.FloatRange(min=0), default=None,
              help="Longest wait after the last call for calls to end.")
@click.option("--kill-fraction", type=click.FloatRange(0, 1), default=0.0,
              help="Fault run: this share of the seats disappears mid-run.")
@click.option("--kill-after-minutes", type=click.FloatRange(min=0), default=None,
              help="When the seats disappear (default: half the duration).")
@click.option("--seat-processes", type=click.IntRange(min=0), default=0, show_default=True,
              help="Host the seats in this many child processes, an equal slice each (0: "
                   "inside the generator); a fault run then SIGKILLs whole processes.")
@click.option("--rtp-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="In-process engine: seconds without RTP before it gives up on a party.")
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.option("--export-sipp", "sipp_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write SIPp scenarios to this folder and exit.")
@click.option("-v", "--verbose", is_flag=True, help="Log the engine and SIP stack's warnings.")
def loadtest(scenario_path: str | None, target: str, duration_minutes: float | None,
             rate_scale: float, seed: int, json_path: str | None, plot_path: str | None,
             db_url: str | None, api: str | None, token: str | None, in_process: bool,
             secrets_file: Path | None, replications: int, drain_seconds: float | None,
             kill_fraction: float, kill_after_minutes: float | None, seat_processes: int,
             rtp_timeout: float | None, progress: bool, sipp_dir: Path | None,
             verbose: bool) -> None:
    """Place real SIP calls at the Poisson times of SCENARIO (the `callcenter simulate` format)
    while agent seats register, answer and talk; print the simulator's prediction, the
    callers' measurement and the engine's records side by side.

    Exit status: 0 clean run, 1 failed or unrecorded calls, 2 bad scenario or setup.
    """
    if sipp_dir is not None:
        from simulator.loadtest.sipp import export_sipp

        for path in export_sipp(sipp_dir):
            click.echo(f"wrote {path}")
        return
    if scenario_path is None:
        fail("missing SCENARIO")
    if api is not None:
        require("httpx", "--api", "loadtest")
    from simulator.loadtest.inprocess import PromptsUnavailable
    from simulator.loadtest.plan import PlanError
    from simulator.loadtest.session import Options, SetupError, run_session
    from simulator.scenario import ScenarioError, load_scenario

    logging.basicConfig(level=logging.WARNING if verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        loaded = load_scenario(scenario_path)
    except ScenarioError as exc:
        fail(f"invalid scenario:\n{exc}")
    passwords: dict[str, str] = {}
    if not in_process:
        from callcenter.telephony.passwords import PasswordFileError, seat_passwords

        try:
            passwords = seat_passwords(secrets_file)
        except PasswordFileError as exc:
            fail(f"secrets: {exc}")
    minutes = duration_minutes or loaded.scenario.duration_hours * 60
    kill_after = kill_after_minutes * 60 if kill_after_minutes is not None else minutes * 30
    opts = Options(target=target, minutes=duration_minutes, rate_scale=rate_scale, seed=seed,
                   in_process=in_process, db_url=db_url, api=api, token=token,
                   passwords=passwords, replications=replications, drain=drain_seconds,
                   kill_fraction=kill_fraction, kill_after=kill_after if kill_fraction else None,
                   progress=progress, seat_processes=seat_processes, rtp_timeout=rtp_timeout)
    try:
        report = run_session(loaded, opts)
    except (ScenarioError, PlanError, SetupError, PromptsUnavailable, ValueError) as exc:
        fail(str(exc))
    _print(report)
    if json_path:
        Path(json_path).write_text(json.dumps(report.as_json(), indent=1, default=str),
                                   encoding="utf-8")
    if plot_path:
        from simulator.loadtest.plot import plot_run

        plot_run(report.outcome.samples, report.outcome.calls, report.outcome.started, plot_path,
                 f"{Path(scenario_path).name}: live SIP run, seed {seed}", report.threshold,
                 report.prediction)
    if not report.clean:
        raise SystemExit(1)


def _print(report) -> None:
    from simulator.loadtest.figures import table
    from simulator.loadtest.predict import in_range

    callers, seats, records = report.callers, report.seats, report.records
    click.echo(table(report.prediction, callers, records))
    lost = seats.get("lost_seats") or []
    click.echo(f"seats{' (surviving)' if lost else ''}: {seats['calls_taken']} calls taken, "
               f"{seats['talk_seconds']:.0f} s talk, {seats['missed_offers']} offers rang out, "
               f"{seats['silent_calls']} calls without the caller's audio")
    outcome = report.outcome
    if outcome.killed:
        how = (f"{len(outcome.killed_pids)} seat processes SIGKILLed" if outcome.killed_pids
               else "sockets closed")
        click.echo(f"fault: {len(outcome.killed)} seats killed ({how}): "
                   f"{', '.join(outcome.killed)}")
        if lost:
            click.echo(f"fault: the figures of the {len(lost)} killed seats died with them "
                       f"(n/a); callers and records still count every call")
    if records is not None:
        click.echo(f"records: {records['missing_records']} placed calls missing, "
                   f"{records['duplicate_records']} recorded twice, "
                   f"{records['outcome_mismatches']} outcomes differ from the caller's view")
    if report.engine.get("mode") == "in-process":
        click.echo(f"engine: {report.engine['stuck_calls']} calls left in the ACD, "
                   f"{report.engine['open_sip_legs']} caller legs open")
    wrap = report.engine.get("wrap_up_seconds")
    if wrap is not None and wrap != report.loaded.scenario.wrap_up_seconds:
        click.echo(f"note: the engine applies {wrap:g} s wrap-up (scenario: "
                   f"{report.loaded.scenario.wrap_up_seconds} s); the prediction uses the engine's")
    if report.prediction:
        for key in ("service_level", "abandon_rate"):
            verdict = in_range(report.prediction, callers, key)
            if verdict is not None:
                click.echo(f"{key}: measured {'inside' if verdict else 'OUTSIDE'} the range of "
                           f"95% of simulated runs")
    if callers["failures"]:
        click.echo("failures: " + "; ".join(callers["failures"]))
