"""Erlang formulas at scale: our closed forms vs a brute-force birth-death sum, side by side.

For growing centers (offered load in erlangs, agents at the Erlang A staffing point) prints
the time per evaluation of each method and the difference in P(wait) and abandon rate. Ours
gives all figures (service level, and ASA by quadrature, included); the brute-force baseline
only P(wait) and the abandon rate, so the times are context, not a race. The textbook
factorial Erlang C formula (at load + 10 agents) is shown failing past ~170 agents.

    python bench/bench_erlang.py
"""

from __future__ import annotations

import math
import time

import numpy as np

from simulator.erlang import erlang_a_metrics
from simulator.staffing import Target, required_agents

AHT, PATIENCE = 300.0, 120.0


def brute_force(lam: float, agents: int, depth: int) -> tuple[float, float]:
    """P(wait) and abandon rate from the stationary chain truncated at agents + depth,
    summed in log space with numpy."""
    mu, theta = 1 / AHT, 1 / PATIENCE
    n = np.arange(1, agents + depth)
    death = np.minimum(n, agents) * mu + np.maximum(n - agents, 0) * theta
    log_w = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(death))])
    pi = np.exp(log_w - log_w.max())
    pi /= pi.sum()
    queue = np.maximum(np.arange(len(pi)) - agents, 0)
    return float(pi[agents:].sum()), float(theta * (queue * pi).sum() / lam)


def textbook_erlang_c(agents: int, load: float) -> float:
    """The factorial formula as printed in textbooks (overflows for large centers)."""
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    return top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    best, value = math.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - started)
    return best, value


def main() -> None:
    print(f"{'erlangs':>8}{'agents':>8}{'ours ms':>10}{'brute ms':>10}"
          f"{'|dP(wait)|':>12}{'|dAband|':>11}  textbook Erlang C")
    for load in (10, 100, 1_000, 5_000, 20_000):
        lam = load / AHT
        agents = required_agents(lam * 3600, AHT, Target(15, 0.9), PATIENCE).agents
        t_ours, ours = timed(lambda lam=lam, agents=agents: erlang_a_metrics(
            lam, AHT, agents, 15, PATIENCE))
        depth = int(10 * math.sqrt(load) + 200)
        t_brute, (p_wait, abandon) = timed(lambda lam=lam, agents=agents, depth=depth:
                                           brute_force(lam, agents, depth))
        try:
            textbook = f"{textbook_erlang_c(load + 10, load):.4f}"
        except OverflowError:
            textbook = "OverflowError"
        print(f"{load:>8}{agents:>8}{1000 * t_ours:>10.3f}{1000 * t_brute:>10.3f}"
              f"{abs(ours.prob_wait - p_wait):>12.2e}"
              f"{abs(ours.abandon_rate - abandon):>11.2e}  {textbook}")
    started = time.perf_counter()
    profile = [required_agents(v, AHT, Target(15, 0.95), PATIENCE).agents
               for v in np.linspace(100, 20_000, 24)]
    print(f"\n24-hour staffing profile (100 to 20,000 calls/h): {time.perf_counter() - started:.2f} s,"
          f" peak {max(profile)} agents")


if __name__ == "__main__":
    main()
