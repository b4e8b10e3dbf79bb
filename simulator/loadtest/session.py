"""A whole load test: plan, engine (in-process or remote), run, records, prediction, report."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from simulator.loadtest.figures import caller_figures, record_figures, seat_figures
from simulator.loadtest.plan import (
    live_scenario,
    map_to_roster,
    plan_calls,
    seats_on_duty,
    with_engine_timers,
)
from simulator.loadtest.runner import RunOutcome, RunSettings, run_load
from simulator.loadtest.seat_pool import SeatSetupError
from simulator.metrics import threshold_seconds
from simulator.scenario import LoadedScenario

log = logging.getLogger(__name__)


class SetupError(RuntimeError):
    """The run cannot start (missing passwords, API, prompts, seats that cannot register)."""


@dataclass
class Options:
    target: str = "sip:12345@127.0.0.1:5060"
    minutes: float | None = None
    rate_scale: float = 1.0
    seed: int = 0
    in_process: bool = False
    db_url: str | None = None
    api: str | None = None
    token: str | None = None
    passwords: dict[str, str] = field(default_factory=dict)
    replications: int = 20
    jobs: int = 2
    drain: float | None = None
    kill_fraction: float = 0.0
    kill_after: float | None = None  # seconds
    progress: bool = True
    prompts_dir: Path | None = None
    seat_processes: int = 0  # seats in this many child processes (0: in the generator)
    rtp_timeout: float | None = None  # in-process engine's RTP timeout (None: its default)


@dataclass
class Report:
    loaded: LoadedScenario
    outcome: RunOutcome
    threshold: float
    prediction: dict | None
    callers: dict
    seats: dict
    records: dict | None
    engine: dict

    def as_json(self) -> dict:
        return {
            "scenario": str(self.loaded.path), "threshold_seconds": self.threshold,
            "duration_minutes": self.loaded.scenario.duration_hours * 60,
            "started_at": self.outcome.started, "stopped_at": self.outcome.stopped,
            "prediction": self.prediction, "callers": self.callers, "seats": self.seats,
            "records": self.records, "engine": self.engine, "killed_seats": self.outcome.killed,
            "killed_at": self.outcome.killed_at, "killed_pids": self.outcome.killed_pids,
            "seat_pids": self.outcome.seat_pids, "samples": self.outcome.samples,
            "calls": [{"call_id": c.call_id, "stream": c.plan.stream, "language": c.plan.language,
                       "planned_at": round(c.plan.at, 3), "outcome": c.outcome,
                       "wait": c.wait, "failure": c.failure, "answered_at": c.answered_at,
                       "requeues": c.requeues, "rescued_at": c.rescued_at,
                       "dropped": c.dropped, "audio_cut": c.audio_cut}
                      for c in self.outcome.calls],
        }

    @property
    def clean(self) -> bool:
        """No SIP failure, no caller dropped, no call without a record, none recorded twice,
        none stuck."""
        r = self.records or {}
        return (self.callers["sip_failures"] == 0 and self.callers["no_audio"] == 0
                and self.callers["dropped"] == 0
                and self.seats["silent_calls"] == 0
                and r.get("missing_records", 0) == 0 and r.get("duplicate_records", 0) == 0
                and not self.engine.get("stuck_calls"))


def _read_records(db_url: str, timezone: str, expected: int, wait: float = 10.0) -> list:
    """The record database's calls, waiting briefly for the engine's writer to catch up."""
    from callcenter.records import RecordStore

    deadline = time.monotonic() + wait
    while True:
        with RecordStore.open(db_url, timezone=timezone, create=False) as store:
            rows = store.calls()
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


async def _run(loaded: LoadedScenario, opts: Options) -> tuple[RunOutcome, dict, str]:
    """Place the calls; returns what was seen, engine facts and the record database URL."""
    from simulator.loadtest.control import ApiControl, DriverControl
    from simulator.loadtest.drain import drain_seconds

    calls = plan_calls(loaded, opts.seed)
    seats = seats_on_duty(loaded)
    if not seats:
        raise SetupError("no agent is on duty at the start of the scenario")
    settings = RunSettings(opts.target, loaded.scenario.duration_hours * 3600.0,
                           drain=opts.drain if opts.drain is not None else drain_seconds(loaded),
                           kill_fraction=opts.kill_fraction, kill_at=opts.kill_after,
                           progress=opts.progress, seat_processes=opts.seat_processes)
    engine_info: dict = {}
    if opts.in_process:
        from simulator.loadtest.inprocess import build_prompt_cache, prompt_languages, start_local

        prompts = build_prompt_cache(prompt_languages(loaded), opts.prompts_dir)
        db_url = opts.db_url or f"sqlite:///{tempfile.mkdtemp(prefix='loadtest-')}/records.db"
        local = await start_local(loaded, seats, db_url, prompts, rtp_timeout=opts.rtp_timeout)
        settings.target = f"sip:12345@127.0.0.1:{local.port}"
        engine = local.engine
        try:
            try:
                outcome = await run_load(calls, list(local.passwords.items()),
                                         DriverControl(engine.driver), settings, loaded,
                                         seed=opts.seed, engine_waiting=engine.acd.waiting_calls)
            except SeatSetupError as exc:
                raise SetupError(str(exc)) from None
            await asyncio.sleep(0.5)
            engine_info = {"mode": "in-process", "stuck_calls": engine.acd.live_calls(),
                           "open_sip_legs": len(local.telephony.control.callers)}
        finally:
            await local.close()
            engine.close()
        return outcome, engine_info, db_url
    if not opts.api or not opts.token:
        raise SetupError("give --api URL and --token (or --in-process)")
    seats = map_to_roster(seats, loaded.config)
    engine_info["wrap_up_seconds"] = with_engine_timers(loaded, seats).scenario.wrap_up_seconds
    missing = [s.agent_id for s in seats if s.agent_id not in opts.passwords]
    if missing:
        raise SetupError(f"no SIP password for agents {', '.join(missing)} (use --secrets)")
    try:
        outcome = await run_load(calls, [(s.agent_id, opts.passwords[s.agent_id]) for s in seats],
                                 ApiControl(opts.api, opts.token), settings, loaded,
                                 seed=opts.seed)
    except SeatSetupError as exc:
        raise SetupError(str(exc)) from None
    engine_info.update(mode="remote", target=opts.target)
    return outcome, engine_info, opts.db_url or ""


def run_session(loaded: LoadedScenario, opts: Options) -> Report:
    """Plan and place the calls, then gather the three views of the same window."""
    from simulator.loadtest.inprocess import prompts_cache
    from simulator.loadtest.predict import predict, with_built_prompts

    loaded = live_scenario(loaded, opts.minutes, opts.rate_scale)
    threshold = threshold_seconds(loaded)
    outcome, engine_info, db_url = asyncio.run(_run(loaded, opts))
    records = None
    if db_url:
        connected = sum(c.connected_at is not None for c in outcome.calls)
        rows = _read_records(db_url, loaded.config.center.timezone, connected)
        records = record_figures(outcome.calls, rows, threshold, outcome.killed_at,
                                 outcome.killed)
    predicted = loaded
    if engine_info.get("mode") == "remote":
        # The engine applies its own config's wrap-up; predict the system that really ran.
        predicted = with_engine_timers(loaded, map_to_roster(seats_on_duty(loaded), loaded.config))
    elif opts.in_process and opts.replications:  # time the IVR by the prompts the engine played
        predicted = with_built_prompts(predicted, opts.prompts_dir or prompts_cache())
    prediction = predict(predicted, opts.replications, opts.seed, opts.jobs) \
        if opts.replications else None
    return Report(loaded, outcome, threshold, prediction,
                  caller_figures(outcome.calls, threshold, outcome.killed_at),
                  seat_figures(outcome.seats, outcome.lost_seats), records, engine_info)
