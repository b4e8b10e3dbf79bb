"""Benchmark: SIPp call load against our UAS, side by side with SIPp's own UAS as baseline.

``sipp -sn uac`` places ``--calls`` calls at ``--rate`` calls/s, each held ``--hold-ms``
(rate x hold = concurrent calls; the defaults give 50 calls/s and 300 concurrent). Each run
reports successful/failed calls, SIPp's INVITE->200 response time and the UAS CPU time.
The run is bounded by ``--calls`` and a global SIPp timeout.

Run:  python bench/bench_sip_load.py [--rate 50 --hold-ms 6000 --calls 600]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import resource
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callcenter.sip.transport import open_endpoint  # noqa: E402
from callcenter.sip.useragent import UserAgent  # noqa: E402


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def counters(stat_file: Path) -> dict[str, str]:
    with stat_file.open(newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    return dict(zip(rows[0], rows[-1], strict=False))


def uac_args(port: int, args: argparse.Namespace, workdir: Path) -> list[str]:
    return [f"127.0.0.1:{port}", "-sn", "uac", "-i", "127.0.0.1", "-p", str(free_port()),
            "-mp", str(free_port()), "-m", str(args.calls), "-r", str(args.rate),
            "-d", str(args.hold_ms), "-l", str(args.calls), "-nostdin",
            "-timeout", f"{int(args.calls / args.rate + args.hold_ms / 1000 + 30)}s",
            "-trace_stat", "-stf", str(workdir / "stat.csv"), "-fd", "1"]


async def run_uac(sipp: str, argv: list[str], workdir: Path) -> int:
    proc = await asyncio.create_subprocess_exec(
        sipp, *argv, cwd=workdir, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await proc.wait()


async def against_ours(sipp: str, args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    endpoint = await open_endpoint(port=0)
    uas = UserAgent(endpoint, user="12345")
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, len(uas.calls))
            await asyncio.sleep(0.1)

    sampler = asyncio.ensure_future(sample())
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rc = await run_uac(sipp, uac_args(uas.port, args, workdir), workdir)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    sampler.cancel()
    await endpoint.close()
    return {"rc": rc, "cpu_s": cpu, "wall_s": wall, "peak_calls": peak,
            **counters(workdir / "stat.csv")}


async def against_sipp_uas(sipp: str, args: argparse.Namespace,
                           workdir: Path) -> dict[str, object]:
    port = free_port()
    uas = await asyncio.create_subprocess_exec(
        sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_port()),
        "-nostdin", "-timeout", f"{int(args.calls / args.rate + args.hold_ms / 1000 + 40)}s",
        cwd=workdir, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(0.5)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    rc = await run_uac(sipp, uac_args(port, args, workdir), workdir)
    wall = time.perf_counter() - wall0
    uas.terminate()
    await uas.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Children CPU covers both sipp processes; subtract nothing, report as an upper bound.
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"rc": rc, "cpu_s": cpu, "wall_s": wall, "peak_calls": "-",
            **counters(workdir / "stat.csv")}


def report(name: str, result: dict[str, object]) -> None:
    print(f"{name:14} rc={result['rc']} ok={result.get('SuccessfulCall(C)')} "
          f"failed={result.get('FailedCall(C)')} retrans={result.get('Retransmissions(C)')} "
          f"peak_concurrent={result['peak_calls']} "
          f"uas_cpu={float(result['cpu_s']):.2f}s wall={float(result['wall_s']):.1f}s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="calls per second")
    parser.add_argument("--hold-ms", type=int, default=6000, help="call duration")
    parser.add_argument("--calls", type=int, default=600, help="total calls (bounded)")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    sipp = shutil.which("sipp")
    if sipp is None:
        sys.exit("sipp not found (Debian package sip-tester)")
    logging.basicConfig(level=logging.ERROR)
    print(f"load: {args.calls} calls at {args.rate:g}/s, hold {args.hold_ms} ms "
          f"(~{args.rate * args.hold_ms / 1000:.0f} concurrent)")
    with tempfile.TemporaryDirectory() as tmp:
        ours = await against_ours(sipp, args, Path(tmp))
    report("ours", ours)
    if not args.skip_baseline:
        with tempfile.TemporaryDirectory() as tmp:
            base = await against_sipp_uas(sipp, args, Path(tmp))
        report("sipp uas", base)
        print("(sipp uas cpu includes the sipp uac load generator)")


if __name__ == "__main__":
    asyncio.run(main())
