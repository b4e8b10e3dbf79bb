"""Erlang C and Erlang A against independent references."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.linalg import expm

from simulator.erlang import erlang_a_metrics, erlang_b, erlang_c, erlang_c_metrics


def exact_erlang_c(agents: int, load: Fraction) -> Fraction:
    """Textbook Erlang C with exact rational arithmetic (factorials, no recursion)."""
    below = sum(load**k / math.factorial(k) for k in range(agents))
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    return top / (below + top)


@pytest.mark.parametrize(
    ("agents", "load", "published"),
    [(1, 0.5, 0.5), (2, 1.0, 1 / 3), (3, 2.0, 4 / 9), (5, 4.0, 0.5541), (10, 8.0, 0.4092)],
)
def test_erlang_c_matches_published_tables(agents: int, load: float, published: float) -> None:
    assert erlang_c(agents, load) == pytest.approx(published, abs=5e-5)


@pytest.mark.parametrize(("agents", "load"), [(7, Fraction(11, 2)), (20, Fraction(17)),
                                              (40, Fraction(77, 2))])
def test_erlang_c_matches_exact_rational_formula(agents: int, load: Fraction) -> None:
    assert erlang_c(agents, float(load)) == pytest.approx(float(exact_erlang_c(agents, load)),
                                                          rel=1e-10)


def test_erlang_c_service_level_and_asa_follow_the_wait_distribution() -> None:
    lam, aht, agents, t = 0.02, 180.0, 5, 20.0
    m = erlang_c_metrics(lam, aht, agents, t)
    drain = agents / aht - lam
    assert m.asa_seconds == pytest.approx(m.prob_wait / drain)
    assert m.service_level == pytest.approx(1 - m.prob_wait * math.exp(-drain * t))
    assert m.occupancy == pytest.approx(lam * aht / agents)


def test_erlang_b_is_stable_for_thousands_of_agents() -> None:
    values = [erlang_b(c, 4500.0) for c in (4400, 4500, 4600, 5000)]
    assert all(0 < v < 1 for v in values[:3])
    assert values == sorted(values, reverse=True)
    metrics = erlang_a_metrics(4500 / 300, 300, 4600, 15, 180)
    assert 0.0 < metrics.abandon_rate < 0.01 and 0.9 < metrics.service_level <= 1.0


def birth_death_reference(
    lam: float, mu: float, theta: float, agents: int, t: float, depth: int = 400
) -> dict[str, float]:
    """M/M/c+M by brute force: truncated stationary chain, and a tagged-caller absorbing chain
    (states: callers ahead k, answered, abandoned) for the wait figures."""
    weights = [1.0]
    for n in range(1, agents + depth):
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        weights.append(weights[-1] * lam / death)
    pi = np.array(weights) / sum(weights)
    waiting = pi[agents:]  # arrival sees j = 0, 1, ... callers ahead (PASTA)
    size = len(waiting)
    # Transient generator over "k ahead"; absorbing rates to answered and abandoned.
    gen = np.zeros((size, size))
    to_answer = np.zeros(size)
    for k in range(size):
        out = agents * mu + k * theta
        if k == 0:
            to_answer[k] = agents * mu
        else:
            gen[k, k - 1] = out
        gen[k, k] = -(out + theta)
    fundamental = np.linalg.inv(-gen)
    answered_after_wait = waiting @ fundamental @ to_answer
    answered_within = waiting @ (np.eye(size) - expm(gen * t)) @ fundamental @ to_answer
    wait_of_answered = waiting @ fundamental @ fundamental @ to_answer
    no_wait = pi[:agents].sum()
    answered = no_wait + answered_after_wait
    return {
        "prob_wait": 1 - no_wait,
        "service_level": no_wait + answered_within,
        "abandon_rate": 1 - answered,
        "asa_seconds": wait_of_answered / answered,
    }


@pytest.mark.parametrize(
    ("calls_per_hour", "aht", "agents", "patience", "threshold"),
    [(100, 300, 10, 120, 15), (200, 240, 12, 60, 20), (60, 600, 6, 300, 30),
     (400, 180, 15, 90, 10), (50, 300, 3, 200, 15)],
)
def test_erlang_a_matches_birth_death_chain(
    calls_per_hour: float, aht: float, agents: int, patience: float, threshold: float
) -> None:
    lam = calls_per_hour / 3600
    got = erlang_a_metrics(lam, aht, agents, threshold, patience)
    ref = birth_death_reference(lam, 1 / aht, 1 / patience, agents, threshold)
    for name, value in ref.items():
        assert getattr(got, name) == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    lam, aht, agents, t = 100 / 3600, 300, 11, 15
    c = erlang_c_metrics(lam, aht, agents, t)
    a = erlang_a_metrics(lam, aht, agents, t, 1e7)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-4)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-3)
    assert a.abandon_rate < 1e-5


def test_erlang_a_overload_sheds_the_excess() -> None:
    # Far more load than agents: about 1 - c/A of callers must abandon.
    m = erlang_a_metrics(2000 / 3600, 300, 50, 15, 120)
    assert m.abandon_rate == pytest.approx(1 - 50 / m.offered_load, abs=0.02)
    assert m.occupancy > 0.98


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="handle time"):
        erlang_c_metrics(0.1, 0, 3, 15)
    with pytest.raises(ValueError, match="patience"):
        erlang_a_metrics(0.1, 100, 3, 15, -1)
    with pytest.raises(ValueError, match="agents"):
        erlang_a_metrics(0.1, 100, 0, 15, 60)


def test_erlang_a_stays_finite_from_deep_overload_to_huge_surplus() -> None:
    lam = 1_000_000 / 3600  # 83,333 erlangs
    previous = -1.0
    for agents in (10, 1000, 50_000, 83_000, 90_000, 200_000):
        m = erlang_a_metrics(lam, 300, agents, 15, 120)
        values = (m.prob_wait, m.service_level, m.abandon_rate, m.asa_seconds, m.occupancy)
        assert all(math.isfinite(v) and v >= 0 for v in values)
        assert m.service_level >= previous
        previous = m.service_level
    deep = erlang_a_metrics(lam, 300, 1000, 15, 120)
    assert deep.abandon_rate == pytest.approx(1 - 1000 / deep.offered_load, rel=1e-3)
