"""Benchmark: capacity of the embedded engine (``callcenter serve``) under SIPp caller load.

The engine runs as its own process with a bench config of ``--agents`` Mandarin seats (no
wrap-up). Scripted seats (``bench_capacity_seats.py``, several seats per process, our SIP
stack) register, are logged in over the HTTP API, answer after ``--ring`` seconds and echo
the caller's audio back with their own SSRC. SIPp callers dial 12345 at ``--rate`` calls/s
(at most ``--limit`` at once): half press 9 then 0 (RFC 2833 from SIPp's pcaps), half stay
silent (Mandarin by default), then send G.711 audio with ``play_pcap_audio`` while holding
``--talk`` seconds, then BYE. The engine's media towards the callers goes to a sink that
counts it per seat stream, so a call counts as two-way bridged in a second when its seat
received >= 40 caller packets and the caller side >= 40 seat packets.

Reported: calls attempted / successful / failed (SIPp: any unexpected message or timeout),
peak and sustained concurrent two-way calls, call attempts per second, engine CPU % and
RSS (from /proc), CPU-seconds and KiB per call. The baseline, in the same run, is the same
SIPp caller scenario against SIPp's own UAS (``-sn uas``); ratios are printed.

Run:  python bench/bench_engine_capacity.py [--rate 50 --calls 3000 --talk 8 --agents 500]
      [--profile engine.svg]  (py-spy on the engine for 20 s once calls are bridged)

Measured on the 2-core VM (engine, SIPp and seats on the same machine), defaults: 3000/3000
calls at 49.8 attempts/s, 304 sustained and 346 peak two-way calls (413 with media flowing),
91.6 % / 93.5 % of the audio delivered up / down, engine 60 % of a core, 14.9 ms CPU and
116 KiB per call; SIPp's own UAS: 0.54 ms CPU per call. Results vary with other load on
the machine (the report line "other processes" shows it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_capacity_setup import (  # noqa: E402
    AUDIO_FIRST_SEQ,
    agent_ids,
    write_audio_pcap,
    write_caller_scenario,
    write_config,
    write_secrets,
)

LOCAL = "127.0.0.1"
TOKEN = "bench-capacity-token-0123456789abcdef"
TICKS = os.sysconf("SC_CLK_TCK")
IVR_SECONDS = 6.5  # greeting (2.3 s + 1.9 s) + 1.5 s menu wait + routing, silent callers
TWO_WAY_MIN = 40  # packets per second and direction (of 50) for a call to count
FLOWING_MIN = 10  # a looser count: media flows both ways in that second


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


def proc_usage(pid: int) -> tuple[float, int]:
    """(CPU seconds, RSS KiB) of a process, 0s when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text()
                   .splitlines() if line.startswith("VmRSS:"))
    except (OSError, StopIteration, IndexError):
        return 0.0, 0
    return cpu, rss


def machine_busy() -> float:
    """CPU seconds the machine has been busy (all cores, all processes)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICKS


def udp_errors() -> dict[str, int]:
    """The kernel's UDP error counters (whole machine): receive buffer overflows and so on."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()
             if line.startswith("Udp:")]
    counters = dict(zip(lines[0][1:], (int(x) for x in lines[1][1:]), strict=False))
    return {k: counters.get(k, 0) for k in ("InErrors", "RcvbufErrors", "SndbufErrors")}


class Sampler(threading.Thread):
    """Samples CPU and RSS of some processes every ``interval`` seconds."""

    def __init__(self, pids: dict[str, int], interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.samples: list[tuple[float, dict[str, tuple[float, int]]]] = []
        self.machine: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.time(), {k: proc_usage(p) for k, p in self.pids.items()}))
            self.machine.append((time.time(), machine_busy()))
            self.stop.wait(self.interval)

    def machine_busy(self, start: float, end: float) -> float:
        """Busy CPU of the whole machine in the window, in % of one core."""
        window = [(t, busy) for t, busy in self.machine if start <= t <= end]
        if len(window) < 2:
            return 0.0
        return 100 * (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])

    def usage(self, name: str, start: float, end: float) -> dict[str, float]:
        window = [(t, s[name]) for t, s in self.samples
                  if start <= t <= end and s.get(name, (0, 0))[1]]
        if len(window) < 2:
            return {"cpu_pct": 0.0, "cpu_s": 0.0, "rss_peak_kib": 0, "rss_start_kib": 0}
        cpu = window[-1][1][0] - window[0][1][0]
        return {"cpu_pct": 100 * cpu / (window[-1][0] - window[0][0]), "cpu_s": cpu,
                "rss_peak_kib": max(s[1] for _, s in window), "rss_start_kib": window[0][1][1]}


def api(port: int, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://{LOCAL}:{port}{path}", method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_api(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"engine exited with {proc.returncode}")
        try:
            api(port, "/api/agents")
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("engine API did not come up")


def sipp_counters(stat_file: Path) -> dict[str, str | float]:
    """SIPp's final counters, plus ``attempt_rate``: calls created / seconds to create them."""
    with stat_file.open(newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    head, data = rows[0], [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]
    out: dict[str, str | float] = dict(zip(head, rows[-1], strict=False))
    total = out.get("TotalCallCreated", "0")

    def at(row: dict[str, str]) -> float:
        return float(row["CurrentTime"].split()[-1])

    done = next((r for r in data if r["TotalCallCreated"] == total), None)
    if data and done is not None and at(done) > at(data[0]):
        out["attempt_rate"] = int(total) / (at(done) - at(data[0]))
    return out


def run_sipp(target: int, scenario: Path, args: argparse.Namespace, workdir: Path,
             name: str, sampler: Sampler) -> dict[str, str | float]:
    stat = workdir / f"{name}.csv"
    duration = args.calls / args.rate + IVR_SECONDS + args.talk + 30
    argv = ["sipp", f"{LOCAL}:{target}", "-sf", str(scenario), "-i", LOCAL,
            "-p", str(free_port()), "-mp", str(free_port()), "-m", str(args.calls),
            "-r", str(args.rate), "-l", str(args.limit), "-nostdin",
            "-timeout", f"{int(duration)}s", "-recv_timeout", "20000",
            "-trace_stat", "-stf", str(stat), "-fd", "1", "-trace_err",
            "-error_file", str(workdir / f"{name}_errors.log")]
    proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler.pids[f"sipp_{name}"] = proc.pid
    try:
        proc.wait(timeout=duration + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return sipp_counters(stat)


def two_way(seat_counts: dict[str, dict[str, int]], sink_counts: dict[str, dict[str, int]],
            minimum: int = TWO_WAY_MIN) -> tuple[dict[int, int], int]:
    """Per second, how many calls were two-way; and how many calls ever were."""
    per_second: dict[int, int] = {}
    calls = 0
    for ssrc, seconds in seat_counts.items():
        down = sink_counts.get(ssrc, {})
        both = [int(s) for s, n in seconds.items() if n >= minimum
                and down.get(s, 0) >= minimum]
        calls += bool(both)
        for s in both:
            per_second[s] = per_second.get(s, 0) + 1
    return per_second, calls


def where_packets_went(seat_spans: dict[str, list[int]],
                       sink_spans: dict[str, list[int]]) -> dict[str, int]:
    """Account the callers' audio by RTP sequence number: packets played before the seat's
    leg was bridged (the engine does not relay them, by design), packets missing inside a
    stream (lost on the way), and the same for the seats' echoes back to the callers."""
    out = {"up_received": 0, "up_before_bridge": 0, "up_gaps": 0, "down_echoed": 0,
           "down_received": 0, "down_gaps": 0}
    for ssrc, (first, last, count) in seat_spans.items():
        out["up_received"] += count
        out["up_before_bridge"] += max(0, first - AUDIO_FIRST_SEQ)
        out["up_gaps"] += last - first + 1 - count
        out["down_echoed"] += count
        down = sink_spans.get(ssrc)
        if down is not None:
            out["down_received"] += down[2]
            out["down_gaps"] += down[1] - down[0] + 1 - down[2]
    return out


def spawn_party(args_: list[str], out: Path) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bench_capacity_seats.py"),
                             *args_, "--out", str(out)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"{args_[0]} process failed to start")
    return proc, json.loads(line)


def stop_party(proc: subprocess.Popen, out: Path) -> dict:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return json.loads(out.read_text())


def engine_run(args: argparse.Namespace, work: Path, scenario_for) -> dict:
    config = write_config(work, args.agents)
    secrets = write_secrets(work, args.agents)
    sip_port, api_port = free_port(), free_port(socket.SOCK_STREAM)
    env = {**os.environ, "CALLCENTER_API_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    engine = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--config", str(config),
         "--sip", f"{LOCAL}:{sip_port}", "--api", f"{LOCAL}:{api_port}", "--agi", "off",
         "--db", f"sqlite:///{work / 'records.db'}", "--prompts", str(args.prompts),
         "--secrets", str(secrets), "--status-interval", "10", "--log-level", args.log_level,
         "--no-rtp-symmetric"],  # the callers' media goes to a sink, not back to SIPp
        cwd=work, env=env, stdout=subprocess.DEVNULL,
        stderr=(work / "engine.log").open("w"))  # noqa: SIM115 - lives as long as the engine
    parties: list[tuple[subprocess.Popen, Path]] = []
    try:
        wait_api(api_port, engine, 120)
        run_for = str(args.calls / args.rate + IVR_SECONDS + args.talk + 120)
        sink_out = work / "sink.json"
        sink, info = spawn_party(["sink", "--run-for", run_for], sink_out)
        parties.append((sink, sink_out))
        ids = agent_ids(args.agents)
        per = -(-len(ids) // args.seat_procs)
        for i in range(args.seat_procs):
            chunk = ids[i * per:(i + 1) * per]
            out = work / f"seats{i}.json"
            proc, reg = spawn_party(
                ["seats", "--registrar", f"{LOCAL}:{sip_port}", "--agents",
                 f"{chunk[0]}-{chunk[-1]}", "--ring", str(args.ring), "--ssrc-base",
                 str((i + 1) << 24), "--max-hold", str(IVR_SECONDS + args.talk + 60),
                 "--run-for", run_for], out)
            parties.append((proc, out))
            if reg["failed"]:
                raise RuntimeError(f"seats failed to register: {reg['failed'][:5]}")
        with ThreadPoolExecutor(8) as pool:
            states = list(pool.map(lambda a: api(api_port, f"/api/agents/{a}/login",
                                                 {"ready": True})["presence"], ids))
        if states.count("available") != len(ids):
            raise RuntimeError("not every agent is available after login")
        sampler = Sampler({"engine": engine.pid, "sink": sink.pid,
                           **{f"seats{i}": p.pid for i, (p, _) in enumerate(parties[1:])}})
        sampler.start()
        time.sleep(3)
        idle = sampler.usage("engine", time.time() - 2.6, time.time())
        profiler = None
        if args.profile:
            delay = IVR_SECONDS + args.talk + 2
            profiler = threading.Timer(delay, lambda: subprocess.run(
                ["py-spy", "record", "-o", str(args.profile), "--pid", str(engine.pid),
                 "--duration", "20", "--rate", "50", *(["--format", "raw"]
                                                       if args.profile.suffix == ".txt" else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False))
            profiler.start()
        start, errors_before = time.time(), udp_errors()
        counters = run_sipp(sip_port, scenario_for(info["port"]), args, work, "engine", sampler)
        end = time.time()
        udp_lost = {k: v - errors_before[k] for k, v in udp_errors().items()}
        if profiler is not None:
            profiler.join()
        sampler.stop.set()
        results = [stop_party(p, out) for p, out in parties]
        parties.clear()
        sink_counts = results[0]["counts"]
        seat_counts: dict[str, dict[str, int]] = {}
        seat_stats: dict[str, int] = {}
        for r in results[1:]:
            seat_counts.update(r["counts"])
            for k, v in r["stats"].items():
                seat_stats[k] = seat_stats.get(k, 0) + v
        seat_spans: dict[str, list[int]] = {}
        for r in results[1:]:
            seat_spans.update(r.get("spans", {}))
        media_path = where_packets_went(seat_spans, results[0].get("spans", {}))
        per_second, bridged = two_way(seat_counts, sink_counts)
        flowing, _ = two_way(seat_counts, sink_counts, FLOWING_MIN)
        up = sum(sum(v.values()) for v in seat_counts.values())
        down = sum(sum(v.values()) for k, v in sink_counts.items() if k in seat_counts)
        usage = sampler.usage("engine", start, end)
        seats_cpu = sum(sampler.usage(f"seats{i}", start, end)["cpu_pct"]
                        for i in range(args.seat_procs))
        sipp_cpu = sampler.usage("sipp_engine", start, end)["cpu_pct"]
        sink_cpu = sampler.usage("sink", start, end)["cpu_pct"]
        machine = sampler.machine_busy(start, end)
        return {"counters": counters, "start": start, "end": end, "idle": idle, "usage": usage,
                "per_second": per_second, "bridged": bridged, "flowing": flowing,
                "packets_up": up, "packets_down": down, "media_path": media_path,
                "udp_errors": udp_lost, "seat_stats": seat_stats,
                "seats_cpu_pct": seats_cpu, "sipp_cpu_pct": sipp_cpu, "sink_cpu_pct": sink_cpu,
                "machine_busy_pct": machine}
    finally:
        for proc, _ in parties:
            proc.send_signal(signal.SIGTERM)
        engine.send_signal(signal.SIGTERM)
        try:
            engine.wait(timeout=30)
        except subprocess.TimeoutExpired:
            engine.kill()


def baseline_run(args: argparse.Namespace, work: Path, scenario: Path) -> dict:
    port = free_port()
    uas = subprocess.Popen(["sipp", "-sn", "uas", "-i", LOCAL, "-p", str(port),
                            "-mp", str(free_port()), "-rtp_echo", "-nostdin"], cwd=work,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        sampler = Sampler({"uas": uas.pid})
        sampler.start()
        start = time.time()
        counters = run_sipp(port, scenario, args, work, "baseline", sampler)
        end = time.time()
        sampler.stop.set()
        return {"counters": counters, "usage": sampler.usage("uas", start, end)}
    finally:
        uas.kill()
        uas.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="call attempts per second")
    parser.add_argument("--calls", type=int, default=3000, help="calls to place")
    parser.add_argument("--limit", type=int, help="SIPp's concurrent call cap (default: 1.5 x "
                        "rate x call length)")
    parser.add_argument("--talk", type=float, default=8.0, help="seconds after the IVR")
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--seat-procs", type=int, default=2)
    parser.add_argument("--ring", type=float, default=0.3)
    parser.add_argument("--silent-share", type=float, default=0.5,
                        help="share of callers pressing no key (Mandarin)")
    parser.add_argument("--codec", choices=["PCMU", "PCMA"], default="PCMU")
    parser.add_argument("--prompts", type=Path, default=ROOT / "var" / "prompts")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--profile", type=Path, help="py-spy output (.svg or .txt)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    args.limit = args.limit or int(1.5 * args.rate * (IVR_SECONDS + args.talk)) + 10
    if shutil.which("sipp") is None:
        sys.exit("sipp is not installed")
    work = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    pt = 0 if args.codec == "PCMU" else 8
    audio = write_audio_pcap(work / "caller.pcap", args.talk + 2, pt)

    def scenario_for(sink_port: int) -> Path:
        return write_caller_scenario(work / "caller.xml", audio=audio, sink_port=sink_port,
                                     payload_type=pt, ivr_ms=int(IVR_SECONDS * 1000),
                                     talk_ms=int(args.talk * 1000),
                                     silent_share=args.silent_share)

    try:
        ours = engine_run(args, work, scenario_for)
        base = None if args.no_baseline else baseline_run(args, work, scenario_for(free_port()))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder: {work}")
    report(args, ours, base)


def report(args: argparse.Namespace, ours: dict, base: dict | None) -> None:
    c = ours["counters"]
    attempted, ok, failed = (int(c.get(k, 0)) for k in ("TotalCallCreated",
                                                         "SuccessfulCall(C)", "FailedCall(C)"))
    wall = ours["end"] - ours["start"]
    per_second = ours["per_second"]
    series = [per_second[s] for s in sorted(per_second)]
    peak = max(series, default=0)
    plateau = sorted(series)[len(series) // 2:] if series else [0]
    sustained = statistics.median(plateau)
    u, idle = ours["usage"], ours["idle"]
    print(f"engine capacity: {args.rate:g} calls/s offered, {args.calls} calls, talk {args.talk:g} s,"
          f" {args.agents} seats, {args.codec}, {args.silent_share:.0%} silent callers")
    print(f"  calls attempted {attempted}, successful {ok}, failed {failed}; "
          f"bridged two-way (seat side) {ours['bridged']}; seats {ours['seat_stats']}")
    print(f"  call attempts/s {c.get('attempt_rate', 0):.1f} (offered {args.rate:g}; "
          f"whole run {wall:.0f} s)")
    print(f"  concurrent two-way calls (>= {TWO_WAY_MIN} of 50 packets/s each way): peak {peak}, "
          f"sustained (median of the busier half of the seconds) {sustained:.0f}; with media "
          f"flowing both ways (>= {FLOWING_MIN}/s): peak {max(ours['flowing'].values(), default=0)}")
    path = ours.get("media_path")
    if path:
        lost_down = path["down_echoed"] - path["down_received"]
        print(f"  caller audio by RTP sequence: {path['up_before_bridge']} packets played before "
              f"the seat was bridged (not relayed, by design), {path['up_gaps']} missing inside "
              f"streams (lost on the way) of {path['up_received'] + path['up_gaps']}; seat echoes: "
              f"{path['down_echoed']} sent, {lost_down} not arriving "
              f"({path['down_gaps']} inside streams)")
    sent = ok * args.talk * 50
    print(f"  media: seats got {ours['packets_up']} caller packets ({ours['packets_up'] / max(sent, 1):.1%}"
          f" of the {sent:.0f} SIPp plays), callers got {ours['packets_down']} seat packets back "
          f"({ours['packets_down'] / max(ours['packets_up'], 1):.1%} of the echoes); kernel UDP "
          f"errors on the machine during the run: {ours['udp_errors']}")
    print(f"  engine: CPU {u['cpu_pct']:.0f} % (idle {idle['cpu_pct']:.1f} %), "
          f"RSS {idle['rss_start_kib'] / 1024:.0f} -> {u['rss_peak_kib'] / 1024:.0f} MiB; "
          f"seat processes CPU {ours['seats_cpu_pct']:.0f} %")
    bench = u["cpu_pct"] + ours["seats_cpu_pct"] + ours["sipp_cpu_pct"] + ours["sink_cpu_pct"]
    print(f"  machine busy {ours['machine_busy_pct']:.0f} % of 200 %: engine + SIPp "
          f"{ours['sipp_cpu_pct']:.0f} % + seats + sink {ours['sink_cpu_pct']:.0f} % = {bench:.0f} %,"
          f" other processes and kernel {ours['machine_busy_pct'] - bench:.0f} %")
    per_call_cpu = u["cpu_s"] / max(ok, 1)
    per_call_kib = (u["rss_peak_kib"] - idle["rss_start_kib"]) / max(peak, 1)
    print(f"  per call: {per_call_cpu * 1000:.1f} ms CPU, {per_call_kib:.0f} KiB RSS "
          f"(per concurrent two-way call)")
    if base is None:
        return
    b = base["counters"]
    b_ok, b_failed = int(b.get("SuccessfulCall(C)", 0)), int(b.get("FailedCall(C)", 0))
    bu = base["usage"]
    print(f"baseline SIPp UAS (-sn uas -rtp_echo), same callers: successful {b_ok}, failed "
          f"{b_failed}, CPU {bu['cpu_pct']:.0f} %, RSS {bu['rss_peak_kib'] / 1024:.0f} MiB, "
          f"{bu['cpu_s'] / max(b_ok, 1) * 1000:.2f} ms CPU per call")
    print(f"ratios engine/baseline: CPU {u['cpu_pct'] / max(bu['cpu_pct'], 0.1):.1f}x, "
          f"CPU per call {per_call_cpu / max(bu['cpu_s'] / max(b_ok, 1), 1e-6):.1f}x, "
          f"successful calls {ok / max(b_ok, 1):.2f}")


if __name__ == "__main__":
    main()
