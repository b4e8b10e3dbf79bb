"""API benchmark: what HTTP traffic costs the engine's event loop, which also drives the core.

The API runs in the engine's loop, so every request and every wallboard sample delays the
core's timers (ring-no-answer, wrap-up, escalation) by its own duration. This starts a real
engine with its API on a loopback port, runs HTTP clients (reads of queues and agents, seat
actions, /metrics scrapes) and open wallboard streams against it for a while, and reports
requests per second, request latency, the cost of one wallboard sample and of one /metrics
render with the roster size, and the lateness of a 10 ms timer on the loop (what the core
would see).

    python bench/bench_api.py                      # shipped config (40 agents), 8 clients
    python bench/bench_api.py --agents 2000 --streams 50
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing as mp
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.events import CallArrived  # noqa: E402
from callcenter.api import start_api  # noqa: E402
from callcenter.config import HotlineConfig, load_config  # noqa: E402
from callcenter.metrics import render_metrics  # noqa: E402
from callcenter.runtime.app import build_engine  # noqa: E402


def roster(config: HotlineConfig, agents: int) -> HotlineConfig:
    """The shipped config with ``agents`` agents (copies of the shipped ones, new ids)."""
    if agents <= len(config.agents):
        return config
    base = config.agents
    extra = [base[i % len(base)].model_copy(update={"id": f"{9000 + i}"})
             for i in range(agents - len(base))]
    return config.model_copy(update={"agents": [*base, *extra]})


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def client(port: int, token: str, agent_id: str, seconds: float, go: Any, out: Any) -> None:
    """One keep-alive connection cycling through reads, actions and a scrape (its own
    process, so that the clients do not compete with the server for the GIL)."""
    latencies: list[float] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    plan = [("POST", f"/api/agents/{agent_id}/login", b"{}"), ("GET", "/api/queues", None),
            ("POST", f"/api/agents/{agent_id}/ready", None), ("GET", "/api/agents", None),
            ("POST", f"/api/agents/{agent_id}/not-ready", b'{"reason": "break"}'),
            ("GET", "/api/calls", None), ("POST", f"/api/agents/{agent_id}/logout", None),
            ("GET", "/metrics", None)]
    out.put(("ready", None))
    go.wait()
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        method, path, body = plan[i % len(plan)]
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=auth)
        response = conn.getresponse()
        response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status}")
        latencies.append(time.perf_counter() - started)
        i += 1
    conn.close()
    out.put(("latencies", latencies))


def stream(port: int, token: str, seconds: float, go: Any, out: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/wallboard/events", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    out.put(("ready", None))
    go.wait()
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        line = response.readline()
        if not line:
            break
        n += line.startswith(b"event: snapshot")
    conn.close()
    out.put(("snapshots", n))


async def lag_probe(stop: asyncio.Event, out: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(0.01)
        out.append(loop.time() - started - 0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--streams", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--waiting", type=int, default=200, help="calls waiting during the run")
    args = parser.parse_args()

    config = roster(load_config(), args.agents)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def on_loop(fn, *a):
        async def call():
            return fn(*a)
        return asyncio.run_coroutine_threadsafe(call(), loop).result(60)

    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp:
        engine = on_loop(lambda: build_engine(config, db_url=f"sqlite:///{tmp}/bench.db"))
        api = asyncio.run_coroutine_threadsafe(
            start_api(engine, host="127.0.0.1", port=0, token=token), loop).result(10)
        queues = [q.name for q in config.queues]
        for i in range(args.waiting):
            on_loop(engine.driver.submit, CallArrived(f"w{i}", queues[i % len(queues)]))
        hub = api.app.state.hub

        def timed(fn, n: int = 50) -> float:
            def run():
                started = time.perf_counter()
                for _ in range(n):
                    fn()
                return (time.perf_counter() - started) / n
            return on_loop(run)

        sample_cost = timed(lambda: hub.view())
        metrics_cost = timed(lambda: render_metrics(engine.registry))

        probe_stop = asyncio.Event()
        lags: list[float] = []
        probe = asyncio.run_coroutine_threadsafe(lag_probe(probe_stop, lags), loop)
        ids = [a.id for a in config.agents][-args.clients:]
        ctx = mp.get_context("spawn")  # the engine's threads are running: no fork
        results = ctx.Queue()
        go = ctx.Event()
        procs = [ctx.Process(target=client, args=(api.port, token, ids[i], args.seconds, go, results))
                 for i in range(args.clients)]
        procs += [ctx.Process(target=stream, args=(api.port, token, args.seconds, go, results))
                  for _ in range(args.streams)]
        for p in procs:
            p.start()
        for _ in procs:
            assert results.get(timeout=60)[0] == "ready"
        lags.clear()  # measure while the clients run
        go.set()
        started = time.perf_counter()
        collected = [results.get(timeout=args.seconds + 30) for _ in procs]
        elapsed = time.perf_counter() - started
        for p in procs:
            p.join(10)
        asyncio.run_coroutine_threadsafe(api.close(), loop).result(10)
        loop.call_soon_threadsafe(probe_stop.set)
        probe.result(5)
        on_loop(engine.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)

    done = [x for kind, v in collected if kind == "latencies" for x in v]
    snapshots = [v for kind, v in collected if kind == "snapshots"]
    result = {
        "agents": len(config.agents), "waiting_calls": args.waiting, "clients": args.clients,
        "streams": args.streams, "seconds": round(elapsed, 2),
        "requests_per_second": round(len(done) / elapsed),
        "request_ms": {"p50": round(statistics.median(done) * 1e3, 2),
                       "p99": round(pct(done, 0.99) * 1e3, 2)},
        "wallboard_sample_ms": round(sample_cost * 1e3, 3),
        "metrics_render_ms": round(metrics_cost * 1e3, 3),
        "loop_timer_lateness_ms": {"p50": round(statistics.median(lags) * 1e3, 2),
                                   "p99": round(pct(lags, 0.99) * 1e3, 2),
                                   "max": round(max(lags) * 1e3, 2)},
        "snapshots_per_stream_per_second": round(sum(snapshots) / max(1, len(snapshots)) / elapsed, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
