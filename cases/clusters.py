"""Incremental detectors over arriving requests, with bounded memory.

``SlidingCounter``: per key, the requests of the last ``window`` seconds (at most ``cap`` kept
per key, at most ``max_keys`` keys: the least recently seen key is dropped first).
``RepeatDetector``: the same caller, or the same address and category, N times in D days.
``ClusterDetector``: requests concentrating on one place or subject pass a threshold in a
window: one ``Alert`` when the threshold is reached, re-armed once the count falls below it."""

from __future__ import annotations

from collections import OrderedDict, deque

from cases.commands import Alert
from cases.events import CaseOpened

DAY = 86_400.0


class SlidingCounter:
    def __init__(self, window: float, cap: int, max_keys: int = 100_000) -> None:
        if window <= 0 or cap < 1 or max_keys < 1:
            raise ValueError("window, cap and max_keys must be positive")
        self.window, self.cap, self.max_keys = window, cap, max_keys
        self._keys: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()

    def add(self, key: str, at: float, case_id: str) -> tuple[str, ...]:
        """Record a request; returns the case ids under ``key`` in the window (this one last)."""
        entries = self._keys.pop(key, None)
        if entries is None:
            entries = deque(maxlen=self.cap)
        self._prune(entries, at)
        entries.append((at, case_id))
        self._keys[key] = entries
        while len(self._keys) > self.max_keys:
            self._keys.popitem(last=False)
        return tuple(case for _, case in entries)

    def count(self, key: str, now: float) -> int:
        entries = self._keys.get(key)
        if entries is None:
            return 0
        self._prune(entries, now)
        return len(entries)

    def __len__(self) -> int:
        return len(self._keys)

    def _prune(self, entries: deque[tuple[float, str]], now: float) -> None:
        while entries and entries[0][0] <= now - self.window:
            entries.popleft()


def normalise(text: str) -> str:
    """An address or subject as a key: no whitespace or punctuation spacing, case folded."""
    return "".join(text.split()).casefold()


class RepeatDetector:
    """Which earlier cases make a new one a repeated request (N within D days)."""

    def __init__(self, count: int, days: float, max_keys: int = 200_000) -> None:
        self.count = count
        self._counter = SlidingCounter(days * DAY, count, max_keys)

    def observe(self, event: CaseOpened) -> tuple[str, ...]:
        """Record the intake; returns the earlier case ids when this is the N-th (or later)."""
        related: set[str] = set()
        for key in self.keys(event):
            ids = self._counter.add(key, event.at, event.case_id)
            if len(ids) >= self.count:
                related.update(ids[:-1])
        related.discard(event.case_id)
        return tuple(sorted(related))

    @staticmethod
    def keys(event: CaseOpened) -> list[str]:
        keys = []
        if event.caller_number:
            keys.append(f"caller:{event.caller_number}")
        if event.address:
            keys.append(f"place:{event.district}|{normalise(event.address)}|{event.category}")
        return keys


class ClusterDetector:
    """Alerts when ``threshold`` requests on one place (district+address) or subject
    (district+category) arrive within ``window`` seconds."""

    def __init__(self, threshold: int, window: float, max_keys: int = 100_000) -> None:
        self.threshold, self.window = threshold, window
        self._counter = SlidingCounter(window, threshold, max_keys)
        self._alerted: OrderedDict[str, None] = OrderedDict()
        self._max_keys = max_keys

    def observe(self, event: CaseOpened) -> list[Alert]:
        alerts = []
        for kind, key in self.keys(event):
            ids = self._counter.add(key, event.at, event.case_id)
            if len(ids) < self.threshold:
                self._alerted.pop(key, None)  # re-armed: the count fell below the threshold
            elif key not in self._alerted:
                self._alerted[key] = None
                if len(self._alerted) > self._max_keys:
                    self._alerted.popitem(last=False)
                alerts.append(Alert(kind, key, len(ids), self.window, ids))
        return alerts

    @staticmethod
    def keys(event: CaseOpened) -> list[tuple[str, str]]:
        keys = [("subject", f"{event.district}|{event.category}")]
        if event.address:
            keys.append(("place", f"{event.district}|{normalise(event.address)}"))
        return keys
