"""Erlang C (M/M/c) and Erlang A (M/M/c+M) queue formulas, stable for thousands of agents.

Rates are per second. Erlang B comes from Poisson log-probabilities, Erlang A from the
Palm / Mandelbaum-Zeltyn closed forms written with a log-space series, so nothing overflows.

Erlang A (patience exponential with rate ``theta``), with ``x = c mu / theta`` and
``y = lambda / theta``, uses ``S(a, z) = sum_n z**n / prod_{k=1..n}(a + k)``:

* ``P(wait) = B S(x,y) / (1 - B + B S(x,y))`` (``B`` the Erlang B blocking of ``c``, ``A``);
* a caller who waits and would be served after ``V`` has ``P(V > t | wait) = P(x, y e^{-theta t})
  / P(x, y)`` (regularized lower incomplete gamma); they are answered when ``V`` < patience.

The service level counts calls answered within ``t`` over ALL offered calls (abandons included).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import integrate, special, stats

_TINY_LOG = -600.0  # below this a regularized gamma value is computed by series instead


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Steady-state figures for one queue with ``agents`` agents."""

    agents: int
    offered_load: float  # erlangs
    prob_wait: float
    service_level: float  # answered within threshold / offered
    abandon_rate: float  # abandoned / offered
    asa_seconds: float  # mean wait of answered calls
    occupancy: float  # busy agents / agents
    stable: bool = True  # False for Erlang C with load >= agents

    def as_dict(self) -> dict[str, float | int | bool]:
        return asdict(self)


def _check(calls_per_second: float, aht: float, agents: int) -> None:
    if calls_per_second < 0 or not math.isfinite(calls_per_second):
        raise ValueError(f"arrival rate must be >= 0, got {calls_per_second}")
    if aht <= 0 or not math.isfinite(aht):
        raise ValueError(f"handle time must be > 0, got {aht}")
    if agents < 1:
        raise ValueError(f"agents must be >= 1, got {agents}")


def log_erlang_b(agents: int, load: float) -> float:
    """Log of the M/M/c/c blocking probability (``load`` > 0), from Poisson log-probabilities."""
    return float(stats.poisson.logpmf(agents, load) - stats.poisson.logcdf(agents, load))


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/c/c with ``load`` erlangs."""
    if load <= 0:
        return 0.0
    return math.exp(log_erlang_b(agents, load))


def _log_idle_ratio(agents: int, load: float) -> float:
    """``log(1/B - 1)``: the chance of a free agent relative to all-busy-nobody-waiting."""
    log_b = log_erlang_b(agents, load)
    return math.log1p(-math.exp(log_b)) - log_b if log_b < 0 else -math.inf


def erlang_c(agents: int, load: float) -> float:
    """Probability that a call waits in M/M/c (1 when ``load >= agents``)."""
    if load >= agents:
        return 1.0
    b = erlang_b(agents, load)
    rho = load / agents
    return b / (1.0 - rho * (1.0 - b))


def erlang_c_metrics(
    calls_per_second: float, aht: float, agents: int, threshold: float
) -> QueueMetrics:
    """Erlang C figures: callers never abandon."""
    _check(calls_per_second, aht, agents)
    load = calls_per_second * aht
    if load >= agents:
        return QueueMetrics(agents, load, 1.0, 0.0, 0.0, math.inf, 1.0, stable=False)
    pw = erlang_c(agents, load)
    drain = agents / aht - calls_per_second
    return QueueMetrics(
        agents=agents,
        offered_load=load,
        prob_wait=pw,
        service_level=1.0 - pw * math.exp(-drain * threshold),
        abandon_rate=0.0,
        asa_seconds=pw / drain,
        occupancy=load / agents,
    )


def log_series(a: float, z: float) -> float:
    """``log sum_{n>=0} z**n / prod_{k=1..n} (a + k)`` = ``log(e^z z^-a Gamma(a+1) P(a, z))``."""
    if z <= 0:
        return 0.0
    p = special.gammainc(a, z)
    if p > 0 and math.log(p) > _TINY_LOG:
        return z - a * math.log(z) + special.gammaln(a + 1) + math.log(p)
    # P underflows only when z is well below a: the series then converges geometrically.
    total, term, n = 1.0, 1.0, 0
    while term > 1e-17 * total:
        n += 1
        term *= z / (a + n)
        total += term
    return math.log(total)


@dataclass(frozen=True, slots=True)
class _ErlangA:
    """Precomputed log quantities of one M/M/c+M system (rates per second)."""

    lam: float
    mu: float
    theta: float
    agents: int

    @property
    def x(self) -> float:
        return self.agents * self.mu / self.theta

    @property
    def y(self) -> float:
        return self.lam / self.theta

    def log_pi_c(self) -> float:
        """Log probability of exactly ``agents`` in system (all busy, nobody waiting)."""
        idle = _log_idle_ratio(self.agents, self.lam / self.mu)
        return -float(np.logaddexp(idle, log_series(self.x, self.y)))

    def answered_after_waiting(self, log_pi_c: float, t: float) -> float:
        """P(caller waits, is answered, and waited at most ``t`` seconds)."""
        x, y = self.x, self.y
        head = log_pi_c + math.log(x / (x + 1))
        full = math.exp(head + log_series(x + 1, y))
        if math.isinf(t):
            return full
        u0 = math.exp(-self.theta * t)
        if u0 <= 0:
            return full
        rest = head + log_series(x + 1, y * u0) + y * (1 - u0) + (x + 1) * math.log(u0)
        return max(full - math.exp(rest), 0.0)

    def answered_wait_total(self, log_pi_c: float) -> float:
        """E[wait; answered] in seconds: integral over t of P(waits, answered, wait > t)."""
        x, y = self.x, self.y
        head = log_pi_c + math.log(x / (x + 1))

        def tail(s: float) -> float:  # s = theta * t
            u0 = math.exp(-s)
            return math.exp(head + log_series(x + 1, y * u0) + y * (1 - u0) - (x + 1) * s)

        if x - y > math.sqrt(y) + 1.0:
            scale = 1.0 / (x - y)
        else:
            scale = max(math.log(y / x), 0.0) + 1.0 / math.sqrt(y + 1.0)
        total, a, b = 0.0, 0.0, scale / 64.0
        for _ in range(400):
            piece, _ = integrate.quad(tail, a, b, limit=100)
            total += piece
            if b > scale and tail(b) * b <= 1e-14 * total:
                break
            a, b = b, 2.0 * b
        return total / self.theta


def erlang_a_metrics(
    calls_per_second: float, aht: float, agents: int, threshold: float, patience: float
) -> QueueMetrics:
    """Erlang A figures: exponential patience with mean ``patience`` seconds."""
    _check(calls_per_second, aht, agents)
    if patience <= 0:
        raise ValueError(f"patience must be > 0, got {patience}")
    if math.isinf(patience):
        return erlang_c_metrics(calls_per_second, aht, agents, threshold)
    load = calls_per_second * aht
    if load == 0:
        return QueueMetrics(agents, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    system = _ErlangA(calls_per_second, 1.0 / aht, 1.0 / patience, agents)
    log_pi_c = system.log_pi_c()
    no_wait = math.exp(log_pi_c + _log_idle_ratio(agents, load))
    answered = no_wait + system.answered_after_waiting(log_pi_c, math.inf)
    within = no_wait + system.answered_after_waiting(log_pi_c, threshold)
    answered = min(answered, 1.0)
    asa = system.answered_wait_total(log_pi_c) / answered if answered > 0 else math.inf
    return QueueMetrics(
        agents=agents,
        offered_load=load,
        prob_wait=1.0 - no_wait,
        service_level=min(within, answered),
        abandon_rate=max(1.0 - answered, 0.0),
        asa_seconds=asa,
        occupancy=min(load * answered / agents, 1.0),
    )


def erlang_a_service_level(
    calls_per_second: float, aht: float, agents: int, threshold: float, patience: float
) -> float:
    """Only the service level of ``erlang_a_metrics`` (answered within ``threshold``), without
    the waiting-time integral: cheap enough to ask before every outbound offer."""
    _check(calls_per_second, aht, agents)
    if patience <= 0 or math.isinf(patience):
        return erlang_a_metrics(calls_per_second, aht, agents, threshold, patience).service_level
    load = calls_per_second * aht
    if load == 0:
        return 1.0
    system = _ErlangA(calls_per_second, 1.0 / aht, 1.0 / patience, agents)
    log_pi_c = system.log_pi_c()
    no_wait = math.exp(log_pi_c + _log_idle_ratio(agents, load))
    answered = min(no_wait + system.answered_after_waiting(log_pi_c, math.inf), 1.0)
    return min(no_wait + system.answered_after_waiting(log_pi_c, threshold), answered)


def queue_metrics(
    calls_per_second: float,
    aht: float,
    agents: int,
    threshold: float,
    patience: float | None = None,
) -> QueueMetrics:
    """Erlang A when ``patience`` is given, Erlang C when it is None."""
    if patience is None:
        return erlang_c_metrics(calls_per_second, aht, agents, threshold)
    return erlang_a_metrics(calls_per_second, aht, agents, threshold, patience)
