"""Benchmark: a SIPp burst at several times the engine's capacity, with and without admission
control, side by side.

``callcenter serve`` runs as its own process on the shipped config with no seat logged in, so
every admitted caller hears the IVR and then hold music, streamed by the engine. SIPp places
``--calls`` calls (default 3x ``--capacity``) at ``--rate`` calls/s, holds each answered one
``--hold`` seconds, then hangs up; a refused call (503) is ACKed and counted. The callers' SDP
points at a sink process that timestamps every packet the engine sends: a gap inside a stream
(between two packets of one talkspurt, i.e. without the RTP marker bit) over 60 ms is a glitch.
A control stream from a bare process sending every 20 ms to the same sink shows what the
machine's scheduling alone costs (the cores are shared).

Run once with admission control (``--max-calls CAPACITY``, serve's default rates) and once
without (``--max-calls 0 --invite-rate 0``). Reported per run: admitted / refused / failed
calls, answer time (median and 95th percentile, SIPp's response time to the INVITE), streams
with a gap over 60 ms and the worst gap, packets lost, engine peak CPU (% of a core) and RSS,
calls recorded in the records database against calls admitted, calls still live after every
BYE, and the recovery: seconds from the end of the burst until a probe INVITE gets a final
answer within 200 ms (responsive) and until it is answered 200 within 200 ms (accepting).

Run:  python bench/bench_overload.py [--capacity 100 --hold 10 --rate 150]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOCAL = "127.0.0.1"
TOKEN = "bench-overload-token-0123456789abcdef"
TICKS = os.sysconf("SC_CLK_TCK")
GLITCH = 0.060
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="burst caller">
  <send retrans="500"><![CDATA[
INVITE sip:12345@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:13800138000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:12345@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:13800138000@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio SINK_PORT RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="503" optional="true" next="refused" rtd="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:12345@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
  <pause milliseconds="HOLD_MS"/>
  <send retrans="500"><![CDATA[
BYE sip:12345@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" next="end"/>
  <label id="refused"/>
  <send><![CDATA[
ACK sip:12345@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
  <label id="end"/>
  <ResponseTimeRepartition value="10, 20, 50, 100, 200, 500, 1000, 2000"/>
</scenario>
"""


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


# -- the RTP sink (a child process) --------------------------------------------------------


def sink(port: int, out: Path, run_for: float) -> None:
    """Per source: packets, lost, gaps inside a talkspurt. Arrival times are the kernel's
    (SO_TIMESTAMPNS), so a sink that is scheduled late does not invent gaps."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind((LOCAL, port))
    sock.settimeout(0.5)
    control: set[tuple[str, int]] = set()  # the ticker's stream: payload type 127
    streams: dict[tuple[str, int], list[float]] = {}  # last_at, last_seq, packets, lost, worst, glitches
    deadline = time.monotonic() + run_for
    while time.monotonic() < deadline:
        try:
            data, ancillary, _, addr = sock.recvmsg(2048, 64)
        except TimeoutError:
            continue
        now = next((sec + nsec / 1e9 for level, kind, raw in ancillary
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS
                    for sec, nsec in [struct.unpack("qq", raw[:16])]), time.time())
        if len(data) < 12:
            continue
        seq = int.from_bytes(data[2:4], "big")
        state = streams.get(addr)
        if state is None:
            streams[addr] = [now, seq, 1, 0, 0.0, 0]
            if data[1] & 0x7F == 127:
                control.add(addr)
            continue
        state[3] += max(0, ((seq - state[1]) & 0xFFFF) - 1) if (seq - state[1]) & 0xFFFF < 1000 else 0
        if not data[1] & 0x80:  # inside a talkspurt
            gap = now - state[0]
            state[4] = max(state[4], gap)
            state[5] += gap > GLITCH
        state[0], state[1] = now, seq
        state[2] += 1
    out.write_text(json.dumps({"streams": [s[2:] for a, s in streams.items() if a not in control],
                               "control": [s[2:] for a, s in streams.items() if a in control]}))


def ticker(port: int, run_for: float) -> None:
    """A control stream: a bare process sending a packet every 20 ms to the sink. Its gaps
    are what the machine's scheduling alone costs (other load on the shared cores)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.monotonic()
    for n in range(int(run_for / 0.02)):
        packet = bytes([0x80, 127]) + (n & 0xFFFF).to_bytes(2, "big") + bytes(8)
        sock.sendto(packet, (LOCAL, port))
        time.sleep(max(0.0, start + (n + 1) * 0.02 - time.monotonic()))


# -- one run ----------------------------------------------------------------------------------


def proc_usage(pid: int) -> tuple[float, int]:
    """(CPU seconds, RSS KiB) of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text()
                   .splitlines() if line.startswith("VmRSS:"))
        return (int(fields[11]) + int(fields[12])) / TICKS, rss
    except (OSError, StopIteration, IndexError):
        return 0.0, 0


async def probe(port: int) -> tuple[int, float]:
    """(final status, seconds) of a fresh INVITE (hung up at once if answered); 0 on timeout."""
    from callcenter.sip.transport import open_endpoint
    from callcenter.sip.useragent import UserAgent

    ua = UserAgent(await open_endpoint(port=0), user="13900139000")
    try:
        started = time.monotonic()
        call = await ua.call(f"sip:12345@{LOCAL}:{port}", (LOCAL, port), timeout=5)
        took = time.monotonic() - started
        if call.status == 200:
            await ua.hangup(call)
        return call.status or 0, took
    except TimeoutError:
        return 0, 5.0
    finally:
        await ua.endpoint.close()


async def recovery(port: int, since: float, limit: float) -> dict[str, float | None]:
    """Seconds after ``since`` until a probe INVITE gets a final answer (200 or 503) within
    200 ms ("responsive_s"), and until it is answered 200 within 200 ms ("accepting_s")."""
    out: dict[str, float | None] = {"responsive_s": None, "accepting_s": None}
    while time.monotonic() - since < limit and out["accepting_s"] is None:
        status, took = await probe(port)
        at = round(time.monotonic() - since, 1)
        if status and took < 0.2 and out["responsive_s"] is None:
            out["responsive_s"] = at
        if status == 200 and took < 0.2:
            out["accepting_s"] = at
        await asyncio.sleep(0.1)
    return out


def sipp_results(work: Path) -> dict[str, float]:
    counts = next(work.glob("*_counts.csv"), None)
    stats = next(work.glob("*_.csv"), None)
    out: dict[str, float] = {}
    if counts is not None:
        rows = list(csv.reader(counts.open(newline=""), delimiter=";"))
        last = dict(zip(rows[0], rows[-1], strict=False))
        out["refused"] = float(last.get("3_503_Recv", 0) or 0)
        out["admitted"] = float(last.get("4_200_Recv", 0) or 0)
    if stats is not None:
        rows = list(csv.reader(stats.open(newline=""), delimiter=";"))
        last = dict(zip(rows[0], rows[-1], strict=False))
        out["failed"] = float(last.get("FailedCall(C)", 0) or 0)
    rtd = next(work.glob("*_rtt.csv"), None)
    if rtd is not None:
        times = [float(r[2]) for r in csv.reader(rtd.open(newline=""), delimiter=";")
                 if len(r) > 2 and r[2].replace(".", "", 1).isdigit()]
        if times:
            times.sort()
            out["answer_p50_ms"] = statistics.median(times)
            out["answer_p95_ms"] = times[int(0.95 * (len(times) - 1))]
    return out


async def run(args: argparse.Namespace, admission: bool, work: Path) -> dict[str, object]:
    work.mkdir(parents=True)
    sip_port, api_port, sink_port = free_port(), free_port(socket.SOCK_STREAM), free_port()
    limits = (["--max-calls", str(args.capacity)] if admission
              else ["--max-calls", "0", "--invite-rate", "0", "--register-rate", "0"])
    env = {**os.environ, "CALLCENTER_API_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    engine = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--sip", f"{LOCAL}:{sip_port}",
         "--api", f"{LOCAL}:{api_port}", "--agi", "off", "--db", f"sqlite:///{work / 'cc.db'}",
         "--prompts", str(args.prompts), "--qualify-interval", "0", *limits],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=(work / "engine.log").open("w"))
    burst_seconds = args.calls / args.rate
    run_for = burst_seconds + args.hold + 40
    sinker = subprocess.Popen([sys.executable, __file__, "sink", "--port", str(sink_port),
                               "--out", str(work / "sink.json"), "--run-for", str(run_for)])
    control = subprocess.Popen([sys.executable, __file__, "ticker", "--port", str(sink_port),
                                "--run-for", str(run_for - 5)])
    try:
        await wait_ready(work / "engine.log", engine)
        (work / "burst.xml").write_text(SCENARIO.replace("SINK_PORT", str(sink_port))
                                        .replace("HOLD_MS", str(int(args.hold * 1000))))
        cpu0, _ = proc_usage(engine.pid)
        sipp = await asyncio.create_subprocess_exec(
            "sipp", "-sf", "burst.xml", "-i", LOCAL, "-p", str(free_port()), "-m", str(args.calls),
            "-r", str(args.rate), "-l", str(args.calls), "-nostdin", "-timeout", str(run_for),
            "-trace_stat", "-trace_counts", "-trace_rtt", "-rtt_freq", "1", "-fd", "1",
            f"{LOCAL}:{sip_port}", cwd=work, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        started = time.monotonic()
        peak_cpu = peak_rss = 0.0
        last = (started, cpu0)
        burst_end = started + burst_seconds
        recovered: asyncio.Task | None = None
        while sipp.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sipp.wait(), 0.5)
            now = time.monotonic()
            cpu, rss = proc_usage(engine.pid)
            peak_cpu = max(peak_cpu, 100 * (cpu - last[1]) / max(1e-6, now - last[0]))
            peak_rss = max(peak_rss, rss / 1024)
            last = (now, cpu)
            if recovered is None and now >= burst_end:
                recovered = asyncio.ensure_future(recovery(sip_port, burst_end, args.hold + 30))
        recovery_s = await recovered if recovered is not None else {}
        await asyncio.sleep(2.0)  # BYEs in flight
        live = live_calls(api_port)
    finally:
        engine.send_signal(signal.SIGINT)
        engine.wait(30)
        sinker.wait(run_for + 10)
        control.wait(10)
    recorded = sqlite3.connect(work / "cc.db").execute(  # SIPp's Call-IDs: n-pid@host
        "SELECT COUNT(*) FROM calls WHERE call_id LIKE '%-%@%'").fetchone()[0]
    result: dict[str, object] = dict(sipp_results(work))
    result.update(rtp_figures(work / "sink.json"))
    result.update(peak_cpu_pct=round(peak_cpu), peak_rss_mb=round(peak_rss),
                  recorded=recorded, live_after_bye=live, **recovery_s)
    return result


def rtp_figures(measured: Path) -> dict[str, float]:
    """The sink's figures: streams, those with a glitch, worst gap, packets, lost, and the
    control stream's worst gap (what the machine alone costs)."""
    data = json.loads(measured.read_text())
    streams, control = data["streams"], data["control"]
    return {"streams": len(streams), "streams_with_glitch": sum(1 for s in streams if s[3]),
            "worst_gap_ms": round(1000 * max((s[2] for s in streams), default=0.0), 1),
            "packets": sum(s[0] for s in streams), "lost": sum(s[1] for s in streams),
            "control_worst_gap_ms": round(1000 * max((s[2] for s in control), default=0.0), 1)}


async def wait_ready(log: Path, engine: subprocess.Popen) -> None:
    deadline = time.monotonic() + 600  # the first run builds the prompts
    while time.monotonic() < deadline:
        if engine.poll() is not None:
            raise RuntimeError(f"engine exited: {log.read_text()[-2000:]}")
        if "engine ready" in log.read_text():
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("engine did not start")


def live_calls(api_port: int) -> int:
    import urllib.request

    request = urllib.request.Request(f"http://{LOCAL}:{api_port}/api/calls",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    return sum(body["waiting"].values()) + len(body["ringing"]) + len(body["talking"])


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"machine: {os.cpu_count()} cores, load average {one:.1f} (1 min) {five:.1f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "sink", "ticker"])
    parser.add_argument("--capacity", type=int, default=100,
                        help="calls the engine is to admit at once (--max-calls)")
    parser.add_argument("--calls", type=int, default=None, help="burst size (default 3x capacity)")
    parser.add_argument("--rate", type=float, default=150.0, help="SIPp call attempts per second")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds an answered call lasts")
    parser.add_argument("--prompts", type=Path, default=ROOT / "var" / "prompts")
    parser.add_argument("--only", choices=["admission", "none"], default=None)
    parser.add_argument("--port", type=int)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--run-for", type=float)
    args = parser.parse_args()
    if args.mode == "sink":
        sink(args.port, args.out, args.run_for)
        return
    if args.mode == "ticker":
        ticker(args.port, args.run_for)
        return
    if shutil.which("sipp") is None:
        sys.exit("sipp not found (Debian package sip-tester)")
    args.calls = args.calls or 3 * args.capacity
    print(f"burst: {args.calls} calls at {args.rate:g}/s, held {args.hold:g} s; "
          f"capacity {args.capacity}; {load_line()}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-overload-") as tmp:
        for name, admission in (("admission", True), ("none", False)):
            if args.only in (None, name):
                results[name] = asyncio.run(run(args, admission, Path(tmp) / name))
                print(name, json.dumps(results[name]), flush=True)
    keys = sorted({k for r in results.values() for k in r})
    print(f"\n{'':24}" + "".join(f"{name:>16}" for name in results))
    for key in keys:
        print(f"{key:24}" + "".join(f"{str(r.get(key, '-')):>16}" for r in results.values()))
    print(load_line())


if __name__ == "__main__":
    main()
