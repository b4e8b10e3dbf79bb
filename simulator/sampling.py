"""Random time samplers drawn in blocks from numpy (one cheap call per sample).

A sampler is called with no arguments (or ``sample()``) and returns seconds. They are small
classes rather than closures so that the compiled core (``acd/compiled.py``) calls
``sample()`` natively (a call through ``__call__`` goes through Python's protocol).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import numpy as np

from simulator.scenario import Distribution

BLOCK: Final = 4096


class Sampler:
    """A fixed time (also ``inf`` for ``none``)."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def sample(self) -> float:
        return self.value

    def __call__(self) -> float:
        return self.sample()


class BlockSampler(Sampler):
    """Samples taken from the end of a block that ``draw(BLOCK)`` refills when empty."""

    __slots__ = ("draw", "buffer")

    def __init__(self, draw: Callable[[int], np.ndarray]) -> None:
        super().__init__(0.0)
        self.draw = draw
        self.buffer: list[float] = []

    def sample(self) -> float:
        buffer = self.buffer
        if not buffer:
            buffer = self.buffer = self.draw(BLOCK).tolist()
        return buffer.pop()


def make_sampler(dist: Distribution, rng: np.random.Generator) -> Sampler:
    """A sampler of ``dist``: one sample in seconds per call (``inf`` for ``none``)."""
    kind = dist.distribution
    if kind == "none":
        return Sampler(math.inf)
    if kind == "fixed":
        return Sampler(float(dist.mean_seconds or 0.0))
    if kind == "exponential":
        mean = float(dist.mean_seconds or 0.0)
        return BlockSampler(lambda n: rng.exponential(mean, n))
    if kind == "lognormal":
        mean, sd = float(dist.mean_seconds or 0.0), float(dist.sd_seconds or 0.0)
        sigma2 = math.log1p((sd / mean) ** 2)
        mu = math.log(mean) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return BlockSampler(lambda n: rng.lognormal(mu, sigma, n))
    samples = np.asarray(dist.samples, dtype=float)
    return BlockSampler(lambda n: rng.choice(samples, n))


def is_zero(dist: Distribution) -> bool:
    """True for a fixed time of zero (the simulator then skips the event entirely)."""
    return dist.distribution == "fixed" and not dist.mean_seconds
