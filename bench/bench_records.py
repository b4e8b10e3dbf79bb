"""Record-writing benchmark: finished calls per second into SQLite, and the cost to the loop.

Each finished call is one ``calls`` row and three event-log rows, plus two agent state
changes. Three ways are timed on the same records:

* ``writer``: ``RecordWriter.sink`` (what the engine calls), batches committed by its thread;
  the time until everything is committed is the throughput, the time spent inside ``sink``
  is what the event loop pays;
* ``per-call``: one transaction (one fsync) per call through the synchronous API, the
  shape of an unbatched recorder, as the baseline;
* both with ``synchronous=FULL`` (the store's setting) and, for comparison, ``NORMAL``.

    python bench/bench_records.py                # 20,000 calls
    python bench/bench_records.py --calls 100000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.commands import AgentStateChanged, CallFinished, CallRecord  # noqa: E402
from callcenter.records import RecordStore, RecordWriter  # noqa: E402


def commands(n: int, t0: float = 1.79e9) -> list[list[object]]:
    """One command batch per finished call, as the ACD emits them."""
    out = []
    for i in range(n):
        at = t0 + i
        agent = f"{1000 + i % 40}"
        record = CallRecord(f"c{i}", "zh-general", "12345", "zh", 0, at - 8, at, "answered",
                            at + 180, at + 6, agent, 6.0, 6.0, 174.0, 1, first_queue="zh-general")
        out.append([AgentStateChanged(agent, "available", "on_call", "", at + 6, f"c{i}"),
                    CallFinished(record),
                    AgentStateChanged(agent, "available", "wrap_up", "", at + 180, f"c{i}")])
    return out


def open_store(folder: str, name: str, sync: str) -> RecordStore:
    store = RecordStore.open(f"sqlite:///{folder}/{name}.db")
    store.backend.conn.execute(f"PRAGMA synchronous={sync}")
    return store


def bench_writer(batches: list[list[object]], folder: str, sync: str) -> dict[str, float]:
    store = open_store(folder, f"writer-{sync}", sync)
    writer = RecordWriter(store)
    sink_times = []
    start = time.perf_counter()
    for batch in batches:
        t = time.perf_counter()
        writer.sink(batch)
        sink_times.append(time.perf_counter() - t)
    writer.flush()
    elapsed = time.perf_counter() - start
    n_batches = writer.batches
    writer.close()
    sink_times.sort()
    return {"calls_per_s": len(batches) / elapsed, "commits": n_batches,
            "sink_mean_us": statistics.fmean(sink_times) * 1e6,
            "sink_p99_us": sink_times[int(0.99 * (len(sink_times) - 1))] * 1e6}


def bench_per_call(batches: list[list[object]], folder: str, sync: str) -> dict[str, float]:
    store = open_store(folder, f"percall-{sync}", sync)
    start = time.perf_counter()
    for batch in batches:
        store.record_commands(batch)
    elapsed = time.perf_counter() - start
    store.close()
    return {"calls_per_s": len(batches) / elapsed, "commits": len(batches)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--per-call", type=int, default=2_000,
                        help="calls for the unbatched baseline (slow at FULL)")
    args = parser.parse_args()
    batches = commands(args.calls)
    with tempfile.TemporaryDirectory() as folder:
        print(f"{args.calls} finished calls (1 call row + 5 event rows each), SQLite WAL")
        for sync in ("FULL", "NORMAL"):
            w = bench_writer(batches, folder, sync)
            print(f"  writer   synchronous={sync:<6} {w['calls_per_s']:>9,.0f} calls/s  "
                  f"{w['commits']:>6} commits  sink mean {w['sink_mean_us']:.1f} us, "
                  f"p99 {w['sink_p99_us']:.1f} us")
        for sync in ("FULL", "NORMAL"):
            p = bench_per_call(batches[: args.per_call], folder, sync)
            print(f"  per-call synchronous={sync:<6} {p['calls_per_s']:>9,.0f} calls/s  "
                  f"{p['commits']:>6} commits")


if __name__ == "__main__":
    main()
