"""``CallMetrics``: call counters by line, language and queue, and a wait-time histogram,
kept from the core's finished-call records (the core counts per queue only)."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from acd.commands import CallFinished, CallRecord
from callcenter.records.lifecycle import CallClosed, CallOpened

WAIT_BUCKETS: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0)
UNKNOWN = "unknown"

CallKey = tuple[str, str, str]  # line, language, queue


@dataclass(frozen=True, slots=True)
class WaitHistogram:
    """Non-cumulative counts per bucket (the last one is +Inf), sum and count of waits."""

    counts: tuple[int, ...]
    total: float

    @property
    def count(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class CallCounts:
    """A consistent copy of the counters, taken at scrape time."""

    outcomes: dict[str, dict[CallKey, int]]  # outcome -> (line, language, queue) -> calls
    waits: dict[tuple[str, str], WaitHistogram]  # (queue, outcome) -> histogram
    buckets: tuple[float, ...]
    arrived: dict[str, int] = field(default_factory=dict)  # line -> calls that reached it
    ended: dict[tuple[str, str], int] = field(default_factory=dict)  # (line, outcome) -> calls

    def offered(self) -> dict[CallKey, int]:
        """Every finished call was offered once, whatever its outcome."""
        out: dict[CallKey, int] = {}
        for counts in self.outcomes.values():
            for key, n in counts.items():
                out[key] = out.get(key, 0) + n
        return out


class CallMetrics:
    """Counts finished calls; ``sink`` plugs into the core driver. Thread-safe.

    A call is counted as offered when it leaves the ACD, so offered is always answered +
    abandoned + overflowed (calls still waiting show in the ``calls_waiting`` gauge). Every
    call that reaches a line is also counted on arrival, and by line and outcome when it ends,
    wherever that is (the queue, the IVR, lost at shutdown).
    """

    def __init__(self, buckets: Sequence[float] = WAIT_BUCKETS) -> None:
        self.buckets = tuple(sorted(buckets))
        self._lock = threading.Lock()
        self._outcomes: dict[str, dict[CallKey, int]] = {}
        self._waits: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        self._arrived: dict[str, int] = {}
        self._ended: dict[tuple[str, str], int] = {}

    def _end(self, line: str | None, outcome: str) -> None:
        key = (line or UNKNOWN, outcome)
        self._ended[key] = self._ended.get(key, 0) + 1

    def observe(self, record: CallRecord) -> None:
        key = (record.line or UNKNOWN, record.language or UNKNOWN, record.queue)
        index = bisect.bisect_left(self.buckets, record.wait)  # le: a wait of 15.0 is in 15
        with self._lock:
            counts = self._outcomes.setdefault(record.outcome, {})
            counts[key] = counts.get(key, 0) + 1
            bins, total = self._waits.setdefault(
                (record.queue, record.outcome), ([0] * (len(self.buckets) + 1), [0.0]))
            bins[index] += 1
            total[0] += record.wait
            self._end(record.line, record.outcome)

    def sink(self, commands: Sequence[object]) -> None:
        """A ``CoreDriver`` sink: count every ``CallFinished``, ``CallOpened`` and ``CallClosed``."""
        for command in commands:
            if isinstance(command, CallFinished):
                self.observe(command.record)
            elif isinstance(command, CallOpened):
                with self._lock:
                    self._arrived[command.line] = self._arrived.get(command.line, 0) + 1
            elif isinstance(command, CallClosed):
                with self._lock:
                    self._end(command.line, command.outcome)

    def snapshot(self) -> CallCounts:
        with self._lock:
            return CallCounts(
                outcomes={o: dict(c) for o, c in self._outcomes.items()},
                waits={k: WaitHistogram(tuple(bins), total[0])
                       for k, (bins, total) in self._waits.items()},
                buckets=self.buckets,
                arrived=dict(self._arrived),
                ended=dict(self._ended),
            )
