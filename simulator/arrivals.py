"""Poisson arrivals with piecewise-constant hourly rates, by exact inversion (no thinning)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

HOUR = 3600.0


class PiecewisePoisson:
    """Arrival times of a Poisson stream whose rate is ``per_hour[h % 24]`` in hour ``h``."""

    __slots__ = ("rates", "end", "_buffer", "_rng", "_constant")

    def __init__(self, per_hour: Sequence[float], end: float, rng: np.random.Generator) -> None:
        self.rates = [r / HOUR for r in per_hour]
        self.end = end
        self._rng = rng
        self._buffer: list[float] = []
        self._constant = self.rates[0] if len(set(self.rates)) == 1 and self.rates[0] > 0 else 0.0

    def _draw(self) -> float:
        if not self._buffer:
            self._buffer = self._rng.exponential(1.0, 4096).tolist()
        return self._buffer.pop()

    def next_after(self, t: float) -> float:
        """The next arrival after ``t``, or ``inf`` when none comes before ``end``."""
        need = self._draw()
        if self._constant:
            t += need / self._constant
            return t if t < self.end else math.inf
        rates, n = self.rates, len(self.rates)
        end = self.end
        while t < end:
            hour = int(t // HOUR)
            rate = rates[hour % n]
            boundary = min((hour + 1) * HOUR, end)
            if rate > 0:
                room = rate * (boundary - t)
                if need <= room:
                    return t + need / rate
                need -= room
            t = boundary
        return math.inf
