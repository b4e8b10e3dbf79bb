"""Random time samplers drawn in blocks from numpy (one cheap call per sample)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from simulator.scenario import Distribution

Sampler = Callable[[], float]
BLOCK = 4096


def _blocked(draw: Callable[[int], np.ndarray]) -> Sampler:
    buffer: list[float] = []

    def sample() -> float:
        nonlocal buffer
        if not buffer:
            buffer = draw(BLOCK).tolist()
        return buffer.pop()

    return sample


def make_sampler(dist: Distribution, rng: np.random.Generator) -> Sampler:
    """A function returning one sample in seconds per call (``inf`` for ``none``)."""
    kind = dist.distribution
    if kind == "none":
        return lambda: math.inf
    if kind == "fixed":
        value = float(dist.mean_seconds or 0.0)
        return lambda: value
    if kind == "exponential":
        mean = float(dist.mean_seconds or 0.0)
        return _blocked(lambda n: rng.exponential(mean, n))
    if kind == "lognormal":
        mean, sd = float(dist.mean_seconds or 0.0), float(dist.sd_seconds or 0.0)
        sigma2 = math.log1p((sd / mean) ** 2)
        mu = math.log(mean) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return _blocked(lambda n: rng.lognormal(mu, sigma, n))
    samples = np.asarray(dist.samples, dtype=float)
    return _blocked(lambda n: rng.choice(samples, n))


def is_zero(dist: Distribution) -> bool:
    """True for a fixed time of zero (the simulator then skips the event entirely)."""
    return dist.distribution == "fixed" and not dist.mean_seconds
