"""Admission control for the embedded engine: how many calls it carries and how fast one
source may send INVITEs and REGISTERs. Beyond them the engine answers 503 with Retry-After,
before any media is set up, and keeps serving the calls it has accepted.

The default ceiling comes from ``bench/bench_overload.py`` and the load benchmarks: one engine
process carries about 300 two-way calls at three quarters of a core and stays clean up to
about 100 call attempts per second.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.sip.ratelimit import SourceRateLimiter

DEFAULT_MAX_CALLS = 300


@dataclass(frozen=True)
class AdmissionLimits:
    """Ceilings of one engine process (None: no limit)."""

    max_calls: int | None = DEFAULT_MAX_CALLS  # live calls (caller legs) at once
    invite_rate: float | None = 50.0  # new INVITEs per second from one source address
    register_rate: float | None = 10.0  # REGISTERs per second from one source address
    retry_after: int = 5  # seconds, in the 503

    def limiters(self) -> dict[str, SourceRateLimiter]:
        """Per-source token buckets by method; a burst of two seconds' worth is allowed."""
        rates = {"INVITE": self.invite_rate, "REGISTER": self.register_rate}
        return {method: SourceRateLimiter(rate, max(1.0, 2 * rate))
                for method, rate in rates.items() if rate}
