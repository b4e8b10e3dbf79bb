"""The idle pool's two heaps (``heapq`` in plain Python, native entries compiled) pick the
same agent through any sequence of agents going idle and leaving idle."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.idle_pools import HeapPool
from acd.idle_pools import PooledAgent as Agent

# (agent, first key number) to go idle, or (agent, None) to leave idle; few distinct key
# numbers so that ties are decided by the roster order.
# Long enough for the stale entries of agents that left to be swept out of the heap.
steps = st.lists(st.tuples(st.integers(0, 7),
                           st.one_of(st.none(), st.sampled_from([0.0, 1.5, -2.0]))),
                 max_size=400)


def key_of(number: float, order: int, width: int) -> tuple:
    """A strategy's key: one, two or three numbers, unique per agent."""
    return {1: (number * 100 + order,), 2: (number, order),
            3: (number, float(order % 3), order)}[width]


@settings(max_examples=150, deadline=None)
@given(steps=steps, width=st.integers(1, 3))
def test_both_heaps_pick_the_same_agent(steps: list, width: int) -> None:
    check_both_heaps(steps, width)


@pytest.mark.parametrize("width", [1, 2, 3])
def test_both_heaps_pick_the_same_agent_through_a_long_day(width: int) -> None:
    rng = random.Random(width)  # many agents, and hundreds of stale entries swept out
    steps = [(rng.randrange(40), rng.choice([None, None, 0.0, 1.5, -2.0, rng.random()]))
             for _ in range(5000)]
    check_both_heaps(steps, width, roster=40)


def check_both_heaps(steps: list, width: int, roster: int = 8) -> None:
    agents = [Agent(order) for order in range(roster)]
    idle: dict[int, tuple] = {}
    pools = (HeapPool(native=False), HeapPool(native=True))
    for order, number in steps:
        agent = agents[order]
        if number is None:
            if order in idle:
                agent.idle_epoch += 1
                for pool in pools:
                    pool.discard(idle[order], agent)
                del idle[order]
        elif order not in idle:
            key = idle[order] = key_of(number, order, width)
            for pool in pools:
                pool.add(key, agent)
        assert [pool.live for pool in pools] == [len(idle)] * 2
        if idle:
            expected = agents[min(idle, key=lambda o: idle[o])]
            assert [pool.best() for pool in pools] == [expected, expected]


def test_the_native_heap_refuses_a_key_of_four_numbers() -> None:
    with pytest.raises(ValueError, match="at most three numbers"):
        HeapPool(native=True).add((1, 2, 3, 4), Agent(0))
