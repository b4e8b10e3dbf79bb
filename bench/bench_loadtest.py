"""Capacity ladder for the live SIP load test against a separate `callcenter serve` process.

Starts the engine (its own process, so engine and load generator each get a core), then runs
``callcenter loadtest`` in remote mode at growing rate scales of the capacity scenario and
prints, per step: calls placed, SIP failures, calls without audio, unrecorded calls, SL and
abandon rate against the simulator's range. The highest step with no failure is the figure.

    python bench/bench_loadtest.py --minutes 2 --scales 1,2,3,4
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simulator.loadtest.session import Options, run_session
from simulator.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "simulator/loadtest/scenarios/capacity.yaml"
AGENTS = [str(n) for n in range(1001, 1041)]


def start_engine(folder: Path, sip_port: int, api_port: int, token: str,
                 prompts: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    passwords = {a: secrets.token_urlsafe(12) for a in AGENTS}
    secrets_file = folder / "secrets"
    secrets_file.write_text("".join(f"{a} = {p}\n" for a, p in passwords.items()))
    secrets_file.chmod(0o600)
    env = dict(os.environ, CALLCENTER_API_TOKEN=token)
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - lives as long as the engine
    proc = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--db", f"sqlite:///{folder}/records.db",
         "--sip", f"127.0.0.1:{sip_port}", "--api", f"127.0.0.1:{api_port}", "--secrets",
         str(secrets_file), "--prompts", str(prompts), "--log-level", "WARNING",
         "--agi", "off", "--status-interval", "30"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(8)
    if proc.poll() is not None or "refusing" in (folder / "serve.log").read_text():
        raise SystemExit(f"engine did not start; see {folder / 'serve.log'}")
    return proc, passwords


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def rng(bounds: list[float] | None) -> str:
    return "-" if not bounds else f"{100 * bounds[0]:.1f}-{100 * bounds[1]:.1f}"


def save(report, out: Path, scale: float) -> None:
    import json

    from simulator.loadtest.figures import table
    from simulator.loadtest.plot import plot_run

    out.mkdir(parents=True, exist_ok=True)
    (out / f"scale{scale:g}.json").write_text(json.dumps(report.as_json(), indent=1, default=str))
    (out / f"scale{scale:g}.txt").write_text(table(report.prediction, report.callers,
                                                   report.records) + "\n")
    plot_run(report.outcome.samples, report.outcome.calls, report.outcome.started,
             out / f"scale{scale:g}.png", f"capacity x{scale:g}: live SIP run", report.threshold,
             report.prediction)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(SCENARIO))
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--scales", default="1,2,3")
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
    proc, passwords = start_engine(folder, args.sip_port, args.api_port, token, prompts)
    loaded = load_scenario(args.scenario)
    rows = []
    try:
        for scale in [float(s) for s in args.scales.split(",")]:
            opts = Options(target=f"sip:12345@127.0.0.1:{args.sip_port}", minutes=args.minutes,
                           rate_scale=scale, seed=args.seed, db_url=f"sqlite:///{folder}/records.db",
                           api=f"http://127.0.0.1:{args.api_port}", token=token,
                           passwords=passwords, replications=args.replications,
                           progress=sys.stderr.isatty())
            started = time.perf_counter()
            report = run_session(loaded, opts)
            c, r, p = report.callers, report.records or {}, report.prediction or {}
            rate = sum(a.calls_per_hour or 0 for a in loaded.scenario.arrivals) * scale
            rows.append((rate, c["offered"], c["sip_failures"], c["no_audio"],
                         report.seats["silent_calls"], r.get("missing_records"),
                         c["service_level"], p.get("range95", {}).get("service_level"),
                         c["abandon_rate"], p.get("range95", {}).get("abandon_rate"),
                         time.perf_counter() - started))
            print(f"scale {scale}: {rows[-1]}", flush=True)
            if args.out:
                save(report, Path(args.out), scale)
            if proc.poll() is not None:
                print("engine process died", flush=True)
                break
    finally:
        proc.terminate()
        proc.wait(30)
    print("calls/h  placed  failed  no-audio  silent  unrecorded  SL (sim 95% range)  "
          "abandon (sim 95% range)  wall s")
    for rate, n, f, na, si, miss, sl, slr, ab, abr, wall in rows:
        print(f"{rate:7.0f}  {n:6d}  {f:6d}  {na:8d}  {si:6d}  {miss!s:>10}  "
              f"{fmt(sl)} ({rng(slr)})  {fmt(ab)} ({rng(abr)})  {wall:.0f}")


if __name__ == "__main__":
    main()
