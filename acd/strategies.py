"""Agent ranking strategies, registered by the names operators know.

Eligibility (skills, minimum proficiency) is decided elsewhere; a strategy only orders the
idle eligible agents of one bucket. Each idle agent sits in a pool under the key the strategy
gives it when it becomes idle (its key cannot change while it stays idle), so picking is
O(log n) and never scans the roster.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from acd.idle_pools import HeapPool, IdlePool, PooledAgent, SortedPool


class Strategy:
    """Base: order idle agents by ``key`` and take the first."""

    name = ""

    def key(self, agent: PooledAgent, skills: Mapping[str, int]) -> tuple:
        raise NotImplementedError

    def new_pool(self) -> IdlePool:
        return HeapPool()

    def pick(self, pool: IdlePool, state: dict) -> Any:
        """The agent of ``pool`` (never empty) to offer the call to."""
        return pool.best()


class LongestIdleAgent(Strategy):
    name = "longest-idle-agent"

    def key(self, agent: PooledAgent, skills: Mapping[str, int]) -> tuple:
        return (agent.idle_since, agent.order)


class MostSkilled(Strategy):
    """Highest total proficiency in the queue's skills; ties go to the longest idle."""

    name = "most-skilled"

    def key(self, agent: PooledAgent, skills: Mapping[str, int]) -> tuple:
        score = sum(agent.proficiency(skill) for skill in skills)
        return (-score, agent.idle_since, agent.order)


class FewestCalls(Strategy):
    name = "fewest-calls"

    def key(self, agent: PooledAgent, skills: Mapping[str, int]) -> tuple:
        return (agent.calls_answered, agent.idle_since, agent.order)


class LeastTalkTime(Strategy):
    name = "least-talk-time"

    def key(self, agent: PooledAgent, skills: Mapping[str, int]) -> tuple:
        return (agent.talk_total, agent.idle_since, agent.order)


class RoundRobin(Strategy):
    """The next agent in roster order after the one this queue offered to last."""

    name = "round-robin"

    def key(self, agent: PooledAgent, skills: Mapping[str, int]) -> tuple:
        return (agent.order,)

    def new_pool(self) -> SortedPool:
        return SortedPool()

    def pick(self, pool: SortedPool, state: dict) -> Any:
        items = pool.items
        index = items.bisect_left(((state.get("last", -1) + 1,),))
        if index >= len(items):
            index = 0
        key, agent = items[index]
        state["last"] = key[-1]
        return agent


class RandomAgent(Strategy):
    """A uniformly random idle eligible agent, from the injected generator."""

    name = "random"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def key(self, agent: PooledAgent, skills: Mapping[str, int]) -> tuple:
        return (agent.order,)

    def new_pool(self) -> SortedPool:
        return SortedPool()

    def pick(self, pool: SortedPool, state: dict) -> Any:
        return pool.items[self.rng.randrange(len(pool.items))][1]


STRATEGY_NAMES: tuple[str, ...] = (
    "longest-idle-agent",
    "most-skilled",
    "fewest-calls",
    "least-talk-time",
    "round-robin",
    "random",
)


def make_strategy(name: str, rng: random.Random) -> Strategy:
    """The strategy registered under ``name``; ``ValueError`` naming the allowed ones."""
    simple: dict[str, type[Strategy]] = {
        "longest-idle-agent": LongestIdleAgent,
        "most-skilled": MostSkilled,
        "fewest-calls": FewestCalls,
        "least-talk-time": LeastTalkTime,
        "round-robin": RoundRobin,
    }
    if name == "random":
        return RandomAgent(rng)
    if name in simple:
        return simple[name]()
    raise ValueError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGY_NAMES)}")
