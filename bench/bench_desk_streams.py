"""Benchmark: how many agent desktops one engine serves. The same live calls run twice against
a fresh ``callcenter serve`` (its own process): once with no desktop open, once with
``--desks`` seat pages' live streams open (signed-in desk sessions, one seat each, read by
HTTP clients as a page's ``EventSource`` reads them), and the two are set side by side.

The engine's config has ``--desks`` seats; every seat is logged in not ready and
``--churn`` times a second one of them changes its not-ready reason through the API (in both
runs; with desktops each change is pushed to that seat's page). The calls are those of
``bench_overload.py``: SIPp places ``--calls`` at ``--rate``/s to 12345, each held ``--hold``
seconds, hearing the IVR and then hold music streamed by the engine to a sink process that
timestamps every packet (a gap over 60 ms inside a talkspurt is a glitch; a control stream
from a bare process shows what the shared machine alone costs).

Reported per run: streams opened / refused, events the desktops received, engine CPU (mean
and peak % of a core over the calls) and RSS, RTP streams with a glitch, worst gap, packets
lost; then the ratios (desktops / none) and the RSS per open stream.

Run:  python bench/bench_desk_streams.py [--desks 500 --calls 60 --rate 10 --hold 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_overload as overload  # noqa: E402
from desk_clients import desk_session, read_stream  # noqa: E402

LOCAL = "127.0.0.1"
TOKEN = "bench-desk-streams-token-0123456789abcdef"
PASSWORD = "bench desk password 0123"


def prepare(work: Path, desks: int) -> tuple[Path, list[str]]:
    """A config with ``desks`` seats and a desk user for each in the engine's database."""
    from argon2 import PasswordHasher
    from bench_loadtest import seats_config

    from callcenter.casework.service import build_casework

    work.mkdir(parents=True)
    config, seats = seats_config(work, desks, 5.0)
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # sign-in is not measured
    casework = build_casework(f"sqlite:///{work / 'cc.db'}", hasher=cheap)
    for seat in seats:
        casework.accounts.add_user(f"desk{seat}", "agent", PASSWORD)
    casework.close()
    return config, seats


async def api(client, path: str, body: dict[str, Any]) -> None:
    reply = await client.post(path, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    reply.raise_for_status()


async def churn(base: str, seats: list[str], per_second: float, stop: asyncio.Event) -> int:
    """Change one seat's not-ready reason ``per_second`` times a second, round the seats."""
    import httpx

    changes = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        started = time.monotonic()
        while not stop.is_set():
            seat = seats[changes % len(seats)]
            reason = ("break", "lunch")[(changes // len(seats)) % 2 == 0]
            await api(client, f"/api/agents/{seat}/not-ready", {"reason": reason})
            changes += 1
            await asyncio.sleep(max(0.0, started + changes / per_second - time.monotonic()))
    return changes


async def run(args: argparse.Namespace, desks: int, work: Path) -> dict[str, Any]:
    import httpx

    config, seats = prepare(work, args.desks)
    sip_port, api_port, sink_port = (overload.free_port(), overload.free_port(socket.SOCK_STREAM),
                                     overload.free_port())
    base = f"http://{LOCAL}:{api_port}"
    env = {**os.environ, "CALLCENTER_API_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    engine = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--sip", f"{LOCAL}:{sip_port}", "--api",
         f"{LOCAL}:{api_port}", "--agi", "off", "--db", f"sqlite:///{work / 'cc.db'}",
         "--config", str(config),
         "--prompts", str(args.prompts), "--qualify-interval", "0", "--max-calls", "0"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=(work / "engine.log").open("w"))
    run_for = args.calls / args.rate + args.hold + 30
    stop = asyncio.Event()
    opened: list[int] = []
    events = [0]
    clients: list[httpx.AsyncClient] = []
    readers: list[asyncio.Future] = []
    try:
        await overload.wait_ready(work / "engine.log", engine)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for seat in seats:
                await api(client, f"/api/agents/{seat}/login", {"ready": False})
        for seat in seats[:desks]:
            clients.append(await desk_session(base, f"desk{seat}", PASSWORD, seat))
            readers.append(asyncio.ensure_future(read_stream(
                clients[-1], lambda event, at: events.__setitem__(0, events[0] + 1), opened.append)))
        while len(opened) < desks:
            await asyncio.sleep(0.1)
        _, rss_idle = overload.proc_usage(engine.pid)
        sinker = subprocess.Popen([sys.executable, overload.__file__, "sink", "--port", str(sink_port),
                                   "--out", str(work / "sink.json"), "--run-for", str(run_for)])
        control = subprocess.Popen([sys.executable, overload.__file__, "ticker", "--port", str(sink_port),
                                    "--run-for", str(run_for - 5)])
        (work / "burst.xml").write_text(overload.SCENARIO.replace("SINK_PORT", str(sink_port))
                                        .replace("HOLD_MS", str(int(args.hold * 1000))))
        events[0] = 0
        churner = asyncio.ensure_future(churn(base, seats, args.churn, stop))
        cpu0, _ = overload.proc_usage(engine.pid)
        started = last = time.monotonic()
        last_cpu = cpu0
        sipp = await asyncio.create_subprocess_exec(
            "sipp", "-sf", "burst.xml", "-i", LOCAL, "-p", str(overload.free_port()), "-m", str(args.calls),
            "-r", str(args.rate), "-l", str(args.calls), "-nostdin", "-timeout", str(run_for),
            "-trace_stat", "-trace_counts", "-fd", "1", f"{LOCAL}:{sip_port}", cwd=work,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        peak_cpu = peak_rss = 0.0
        while sipp.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sipp.wait(), 1.0)
            now = time.monotonic()
            cpu, rss = overload.proc_usage(engine.pid)
            peak_cpu = max(peak_cpu, 100 * (cpu - last_cpu) / max(1e-6, now - last))
            peak_rss = max(peak_rss, rss / 1024)
            last, last_cpu = now, cpu
        mean_cpu = 100 * (last_cpu - cpu0) / max(1e-6, last - started)
        stop.set()
        changes = await churner
        received = events[0]
    finally:
        stop.set()
        for reader in readers:
            reader.cancel()
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()
        engine.send_signal(signal.SIGINT)
        engine.wait(60)
    for helper in (sinker, control):
        helper.wait(run_for + 10)
    result: dict[str, Any] = {
        "desks_open": sum(1 for s in opened if s == 200), "desks_refused": sum(1 for s in opened if s != 200),
        "desk_events": received, "state_changes": changes,
        "cpu_mean_pct": round(mean_cpu, 1), "cpu_peak_pct": round(peak_cpu),
        "rss_idle_mb": round(rss_idle / 1024), "rss_peak_mb": round(peak_rss)}
    result.update(overload.sipp_results(work))
    result.update(overload.rtp_figures(work / "sink.json"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desks", type=int, default=500, help="desk pages' streams to open")
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--rate", type=float, default=10.0, help="SIPp calls per second")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds each call lasts")
    parser.add_argument("--churn", type=float, default=20.0, help="seat state changes per second")
    parser.add_argument("--prompts", type=Path, default=None, help="a prompt folder (built if empty)")
    args = parser.parse_args()
    from bench_screen_pop import prompts_for

    args.prompts = prompts_for(args.prompts)
    print(f"{args.calls} calls at {args.rate:g}/s held {args.hold:g} s; {args.churn:g} seat changes/s; "
          f"{overload.load_line()}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-desk-streams-") as tmp:
        for name, desks in (("no desks", 0), (f"{args.desks} desks", args.desks)):
            results[name] = asyncio.run(run(args, desks, Path(tmp) / name.replace(" ", "-")))
            print(name, json.dumps(results[name]), flush=True)
    none, some = results.values()
    print(f"\n{'':24}" + "".join(f"{name:>14}" for name in results) + f"{'ratio':>10}")
    for key in none:
        a, b = none[key], some.get(key)
        ratio = f"{b / a:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a else "-"
        print(f"{key:24}{a!s:>14}{b!s:>14}{ratio:>10}")
    per_stream = (some["rss_idle_mb"] - none["rss_idle_mb"]) * 1024 / max(1, some["desks_open"])
    print(f"engine RSS per open desk stream (idle, signed in): {per_stream:.0f} KiB")
    print(overload.load_line())


if __name__ == "__main__":
    main()
