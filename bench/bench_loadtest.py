"""Capacity ladder for the live SIP load test against a separate `callcenter serve` process.

Starts the engine (its own process, so engine and load generator each get a core), then runs
``callcenter loadtest`` in remote mode at growing rate scales of the capacity scenario and
prints, per step: calls placed, SIP failures, calls without audio, callers dropped, unrecorded
calls, calls left in the engine, SL and abandon rate against the simulator's range. The highest
step with no failure is the figure.

    python bench/bench_loadtest.py --minutes 2 --scales 1,2,3,4

With ``--rates`` (calls per second) the ladder is one of two-way conversations: the engine
gets a config of ``--agents`` Mandarin seats with ``--wrap-up`` seconds of wrap-up, and each
step staffs as many seats as Erlang A needs for the ``--staff`` target at that rate (or
``--seats``), so callers mostly talk to agents rather than all wait on hold:

    python bench/bench_loadtest.py --scenario simulator/loadtest/scenarios/conversations.yaml \
        --rates 1,2,3 --minutes 2
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from simulator.loadtest.session import Options, run_session
from simulator.scenario import LoadedScenario, Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "simulator/loadtest/scenarios/capacity.yaml"
SHIPPED_CONFIG = ROOT / "callcenter/data/hotline.yaml"
AGENTS = [str(n) for n in range(1001, 1041)]


def seats_config(folder: Path, agents: int, wrap_up: float) -> tuple[Path, list[str]]:
    """The shipped center with ``agents`` Mandarin seats (ids 2001...) and ``wrap_up``."""
    data = yaml.safe_load(SHIPPED_CONFIG.read_text(encoding="utf-8"))
    data["defaults"]["wrap_up_seconds"] = wrap_up
    ids = [str(2001 + i) for i in range(agents)]
    data["agents"] = [{"id": a, "name": f"Seat {a}", "skills": {"zh": 4, "general": 3}}
                      for a in ids]
    path = folder / "center.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, ids


def staffed(loaded: LoadedScenario, config_path: Path | None, calls_per_second: float,
            seats: int | None, target: str) -> LoadedScenario:
    """The scenario at ``calls_per_second`` with ``seats`` agents (or as many as Erlang A
    needs for ``target``), on the engine's config when it is a generated one."""
    from callcenter.config import load_config
    from simulator.staffing import Target, required_agents

    scenario = loaded.scenario
    data = scenario.model_dump()
    base = sum(a["calls_per_hour"] or 0 for a in data["arrivals"])
    for arrival in data["arrivals"]:
        arrival["calls_per_hour"] = (arrival["calls_per_hour"] or 0) * calls_per_second * 3600 / base
    if seats is None:
        wrap = load_config(config_path).defaults.wrap_up_seconds if config_path \
            else scenario.wrap_up_seconds or 0
        aht = scenario.handle_time.mean + scenario.ring_time.mean + wrap
        seats = required_agents(calls_per_second * 3600, aht, Target.parse(target),
                                scenario.patience.mean).agents
    group = dict(data["staffing"][0], count=seats)
    data["staffing"] = [group]
    config = load_config(config_path) if config_path else loaded.config
    if config_path:
        data["center"] = str(config_path)
    return LoadedScenario(Scenario.model_validate(data), config, loaded.path)


def engine_calls(api: str, token: str) -> int | None:
    """Calls the engine still holds (waiting, ringing, talking), from its API."""
    request = urllib.request.Request(f"{api}/api/calls",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            snap = json.load(response)
    except OSError:
        return None
    return sum(snap["waiting"].values()) + len(snap["ringing"]) + len(snap["talking"])


def start_engine(folder: Path, sip_port: int, api_port: int, token: str, prompts: Path,
                 config: Path | None = None,
                 agents: list[str] = AGENTS) -> tuple[subprocess.Popen, dict[str, str]]:
    passwords = {a: secrets.token_urlsafe(12) for a in agents}
    secrets_file = folder / "secrets"
    secrets_file.write_text("".join(f"{a} = {p}\n" for a, p in passwords.items()))
    secrets_file.chmod(0o600)
    env = dict(os.environ, CALLCENTER_API_TOKEN=token)
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - lives as long as the engine
    proc = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--db", f"sqlite:///{folder}/records.db",
         "--sip", f"127.0.0.1:{sip_port}", "--api", f"127.0.0.1:{api_port}", "--secrets",
         str(secrets_file), "--prompts", str(prompts), "--log-level", "WARNING",
         "--agi", "off", "--status-interval", "30",
         *(["--config", str(config)] if config else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(8)
    if proc.poll() is not None or "refusing" in (folder / "serve.log").read_text():
        raise SystemExit(f"engine did not start; see {folder / 'serve.log'}")
    return proc, passwords


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def rng(bounds: list[float] | None) -> str:
    return "-" if not bounds else f"{100 * bounds[0]:.1f}-{100 * bounds[1]:.1f}"


def save(report, out: Path, label: str) -> None:
    from simulator.loadtest.figures import table
    from simulator.loadtest.plot import plot_run

    out.mkdir(parents=True, exist_ok=True)
    (out / f"{label}.json").write_text(json.dumps(report.as_json(), indent=1, default=str))
    (out / f"{label}.txt").write_text(table(report.prediction, report.callers,
                                            report.records) + "\n")
    plot_run(report.outcome.samples, report.outcome.calls, report.outcome.started,
             out / f"{label}.png", f"{label}: live SIP run", report.threshold, report.prediction)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(SCENARIO))
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--scales", default="1,2,3")
    parser.add_argument("--rates", default=None,
                        help="Calls per second per step (two-way ladder; overrides --scales).")
    parser.add_argument("--agents", type=int, default=300,
                        help="With --rates: seats in the engine's config.")
    parser.add_argument("--wrap-up", type=float, default=2.0,
                        help="With --rates: the engine's wrap-up, seconds.")
    parser.add_argument("--staff", default="15:0.9",
                        help="With --rates: Erlang A target SECONDS:FRACTION sizing the seats.")
    parser.add_argument("--seats", type=int, default=None,
                        help="With --rates: this many seats at every step instead.")
    parser.add_argument("--seat-processes", type=int, default=0)
    parser.add_argument("--sip-port", type=int, default=5096)
    parser.add_argument("--api-port", type=int, default=8096)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="Folder for each step's JSON and plot.")
    args = parser.parse_args()
    from simulator.loadtest.inprocess import build_prompt_cache

    prompts = build_prompt_cache(["zh", "en", "ja", "ko", "fr", "de", "ru"])
    folder = Path(tempfile.mkdtemp(prefix="bench-loadtest-"))
    token = secrets.token_urlsafe(24)
    loaded = load_scenario(args.scenario)
    config, agents = None, AGENTS
    if args.rates:
        config, agents = seats_config(folder, args.agents, args.wrap_up)
        steps = [(f"rate{r:g}", staffed(loaded, config, r, args.seats, args.staff), 1.0)
                 for r in (float(x) for x in args.rates.split(","))]
    else:
        steps = [(f"scale{x:g}", loaded, x) for x in (float(x) for x in args.scales.split(","))]
    api = f"http://127.0.0.1:{args.api_port}"
    proc, passwords = start_engine(folder, args.sip_port, args.api_port, token, prompts,
                                   config, agents)
    print(f"engine pid {proc.pid}, records sqlite:///{folder}/records.db", flush=True)
    rows = []
    try:
        for label, step, scale in steps:
            opts = Options(target=f"sip:12345@127.0.0.1:{args.sip_port}", minutes=args.minutes,
                           rate_scale=scale, seed=args.seed, db_url=f"sqlite:///{folder}/records.db",
                           api=api, token=token, passwords=passwords,
                           replications=args.replications, progress=sys.stderr.isatty(),
                           seat_processes=args.seat_processes)
            seats = sum(g.count for g in step.scenario.staffing or [])
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            report = run_session(step, opts)
            time.sleep(2)
            c, r, p = report.callers, report.records or {}, report.prediction or {}
            rate = sum(a.calls_per_hour or 0 for a in step.scenario.arrivals) * scale / 3600
            rows.append((rate, seats, c["offered"], r.get("offered"), c["sip_failures"],
                         c["no_audio"],
                         report.seats["silent_calls"], c["dropped"], c["audio_cut"],
                         r.get("missing_records"),
                         r.get("duplicate_records"), engine_calls(api, token),
                         c["service_level"], p.get("range95", {}).get("service_level"),
                         c["abandon_rate"], p.get("range95", {}).get("abandon_rate"),
                         time.perf_counter() - started, load_before, os.getloadavg()[0]))
            print(f"{label}: {rows[-1]}", flush=True)
            if args.out:
                save(report, Path(args.out), label)
            if proc.poll() is not None:
                print("engine process died", flush=True)
                break
    finally:
        proc.terminate()
        proc.wait(30)
    print("calls/s  seats  placed  recorded  failed  no-audio  silent  dropped  audio-cut  "
          "unrecorded  twice  in-engine  SL (sim 95% range)  abandon (sim 95% range)  wall s  load 1-min")
    for (rate, seats, n, rec, f, na, si, dr, cut, miss, dup, live, sl, slr, ab, abr, wall,
         l0, l1) in rows:
        print(f"{rate:7.2f}  {seats:5d}  {n:6d}  {rec!s:>8}  {f:6d}  {na:8d}  {si:6d}  {dr:7d}  "
              f"{cut:9d}  "
              f"{miss!s:>10}  {dup!s:>5}  {live!s:>9}  {fmt(sl)} ({rng(slr)})  "
              f"{fmt(ab)} ({rng(abr)})  {wall:.0f}  {l0:.2f}->{l1:.2f}")


if __name__ == "__main__":
    main()
