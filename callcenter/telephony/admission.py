"""Admission control for the embedded engine: how many calls it carries and how fast one
source may send INVITEs and REGISTERs. Beyond them the engine answers 503 with Retry-After,
before any media is set up, and keeps serving the calls it has accepted.

The default ceiling comes from ``bench/bench_overload.py`` and the load benchmarks: one engine
process carries about 300 two-way calls at three quarters of a core and stays clean up to
about 100 call attempts per second.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

from callcenter.sip.ratelimit import SourceRateLimiter
from callcenter.sip.transport import TcpLimits

log = logging.getLogger(__name__)

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


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to its hard limit; returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open-file limit from %d to %d: %s", soft, hard, exc)
    return soft


def tcp_limits(limits: AdmissionLimits | None) -> TcpLimits:
    """TCP connection limits that leave file descriptors for the calls admitted (three RTP
    sockets a call at most, plus the database, the API and prompts): near the open-file
    limit the engine refuses new connections, never new calls."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    calls = (limits.max_calls if limits is not None else None) or DEFAULT_MAX_CALLS
    room = soft - 3 * calls - 200 if soft != resource.RLIM_INFINITY else 100_000
    return TcpLimits(max_connections=max(8, min(TcpLimits.max_connections, room)))
